"""The official VK API JSON schema (VKCOM/vk-api-schema, API 5.199), read as the emulator's rule book.

Requests are validated the way VK validates them (unknown method -> 3, bad parameter -> 100) and
the emulator's own responses and long-poll events are checked against the schema's shapes, so a
drift between what we emulate and what VK documents shows up as a failing test, not in production.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Parameters every method accepts and the schema does not list.
COMMON_PARAMS = frozenset(
    {"access_token", "v", "lang", "test_mode", "captcha_sid", "captcha_key", "https", "confirm"}
)


def default_schema_dir() -> Path:
    """`VKEMU_SCHEMA`, else the copy shipped in vkemu/ (VKCOM/vk-api-schema 0efe478, MIT): the project
    reads nothing outside its checkout, so CI and a user's clone run against the same schema."""
    env = os.environ.get("VKEMU_SCHEMA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent / "vk-api-schema"


class ParamError(Exception):
    """A request parameter that VK would answer with error 100."""


@dataclass
class Param:
    name: str
    type: Any
    required: bool = False
    items: dict[str, Any] = field(default_factory=dict)
    max_items: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    enum: list[Any] | None = None


@dataclass
class Method:
    name: str
    params: dict[str, Param]
    responses: dict[str, str]


class Schema:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else default_schema_dir()
        if not (self.root / "errors.json").exists():
            raise FileNotFoundError(
                f"VK API schema not found at {self.root} (set VKEMU_SCHEMA to its folder)"
            )
        self._files: dict[Path, Any] = {}
        # a reference's node, once found: every checked response resolves the same few dozen references, and
        # resolving the file's path each time (a stat per folder) had been most of checking a response
        self._nodes: dict[str, tuple[Path, Any]] = {}
        self._refs: dict[tuple[Path, str], str] = {}
        self.methods: dict[str, Method] = {}
        self.errors: dict[int, str] = {}
        for methods_file in sorted(self.root.glob("*/methods.json")):
            for raw in self._load(methods_file).get("methods", []):
                params = {
                    p["name"]: Param(
                        name=p["name"],
                        type=p.get("type", "string"),
                        required=bool(p.get("required", False)),
                        items=p.get("items", {}),
                        max_items=p.get("maxItems"),
                        max_length=p.get("maxLength"),
                        minimum=p.get("minimum"),
                        maximum=p.get("maximum"),
                        enum=p.get("enum"),
                    )
                    for p in raw.get("parameters", [])
                }
                responses = {
                    k: self._abs_ref(methods_file, v["$ref"])
                    for k, v in raw.get("responses", {}).items()
                    if "$ref" in v
                }
                self.methods[raw["name"]] = Method(raw["name"], params, responses)
        for err in self._load(self.root / "errors.json")["errors"].values():
            self.errors.setdefault(err["code"], err["description"])

    # -- files and references -------------------------------------------------------------

    def _load(self, path: Path) -> Any:
        path = path.resolve()
        if path not in self._files:
            self._files[path] = json.loads(path.read_text(encoding="utf-8"))
        return self._files[path]

    def _abs_ref(self, base: Path, ref: str) -> str:
        key = (base, ref)
        found = self._refs.get(key)
        if found is None:
            file_part, _, pointer = ref.partition("#")
            target = (base.parent / file_part).resolve() if file_part else base.resolve()
            found = self._refs[key] = f"{target}#{pointer}"
        return found

    def resolve(self, ref: str) -> tuple[Path, dict[str, Any]]:
        found = self._nodes.get(ref)
        if found is None:
            file_part, _, pointer = ref.partition("#")
            path = Path(file_part)
            node: Any = self._load(path)
            for part in pointer.strip("/").split("/"):
                if part:
                    node = node[part]
            found = self._nodes[ref] = (path, node)
        return found

    def definition(self, section: str, name: str) -> str:
        """The absolute reference of `<section>/objects.json#/definitions/<name>`."""
        return f"{(self.root / section / 'objects.json').resolve()}#/definitions/{name}"

    # -- requests ---------------------------------------------------------------------------

    def long_poll_event_names(self) -> list[str]:
        """Every event type a community's Long Poll settings switch: the flags groups.setLongPollSettings takes
        (groups_long_poll_events lacks message_event, which the method has)."""
        params = self.methods["groups.setLongPollSettings"].params
        return sorted(n for n in params if n not in ("group_id", "enabled", "api_version"))

    def error_message(self, code: int) -> str:
        return self.errors.get(code, "Unknown error occurred")

    def validate_params(self, method: Method, params: dict[str, str], strict: bool = False) -> dict[str, Any]:
        """Parse form parameters into Python values, raising ParamError as VK's error 100 would. VK ignores a
        parameter a method does not have; `strict` refuses it (our own tests, to catch typos)."""
        parsed: dict[str, Any] = {}
        for name, raw in params.items():
            if name in COMMON_PARAMS:
                continue
            spec = method.params.get(name)
            if spec is None:
                if not strict:
                    continue
                raise ParamError(f"{name} is not a parameter of {method.name}")
            parsed[name] = self._parse(spec, raw)
        for spec in method.params.values():
            if spec.required and spec.name not in parsed:
                raise ParamError(f"{spec.name} is undefined")
        return parsed

    def _parse(self, spec: Param, raw: str) -> Any:
        types = spec.type if isinstance(spec.type, list) else [spec.type]
        last: ParamError | None = None
        for t in types:
            try:
                return self._parse_one(spec, t, raw)
            except ParamError as e:
                last = e
        assert last is not None
        raise last

    def _parse_one(self, spec: Param, t: str, raw: str) -> Any:
        name = spec.name
        if t == "array":
            parts = [p for p in raw.split(",")] if raw != "" else []
            if spec.max_items is not None and len(parts) > spec.max_items:
                raise ParamError(f"{name} is too long, max {spec.max_items} items")
            item_spec = Param(name=name, type=spec.items.get("type", "string"),
                              minimum=spec.items.get("minimum"), maximum=spec.items.get("maximum"),
                              enum=spec.items.get("enum"))
            return [self._parse(item_spec, p.strip()) for p in parts]
        if t == "integer":
            try:
                value: Any = int(raw.strip())
            except ValueError:
                raise ParamError(f"{name} not integer") from None
        elif t == "number":
            try:
                value = float(raw)
            except ValueError:
                raise ParamError(f"{name} not number") from None
        elif t == "boolean":
            if raw not in ("0", "1", "true", "false", "True", "False"):
                raise ParamError(f"{name} not boolean")
            value = raw in ("1", "true", "True")
        else:
            value = raw
            if spec.max_length is not None and len(raw) > spec.max_length:
                raise ParamError(f"{name} is too long, max length {spec.max_length}")
        if spec.minimum is not None and isinstance(value, (int, float)) and value < spec.minimum:
            raise ParamError(f"{name} should be greater or equal {spec.minimum}")
        if spec.maximum is not None and isinstance(value, (int, float)) and value > spec.maximum:
            raise ParamError(f"{name} should be less or equal {spec.maximum}")
        if spec.enum is not None and value not in spec.enum:
            raise ParamError(f"{name} should be one of {', '.join(map(str, spec.enum))}")
        return value

    # -- responses and events ---------------------------------------------------------------

    def check(self, ref: str, value: Any) -> list[str]:
        """Every way `value` departs from the shape at `ref` (empty when it conforms)."""
        problems: list[str] = []
        _, node = self.resolve(ref)
        self._check(Path(ref.partition("#")[0]), node, value, "$", problems, depth=0)
        return problems

    def check_response(self, method: str, body: dict[str, Any]) -> list[str]:
        m = self.methods[method]
        if not m.responses:
            return []
        results = [self.check(ref, body) for ref in m.responses.values()]
        return [] if any(not r for r in results) else min(results, key=len)

    def _check(self, base: Path, node: dict[str, Any], value: Any, where: str,
               problems: list[str], depth: int) -> None:
        if depth > 40:
            return
        if "$ref" in node:
            ref = self._abs_ref(base, node["$ref"])
            path, target = self.resolve(ref)
            self._check(path, target, value, where, problems, depth + 1)
        for sub in node.get("allOf", []):
            self._check(base, sub, value, where, problems, depth + 1)
        for key in ("oneOf", "anyOf"):
            if key in node:
                attempts = []
                for sub in node[key]:
                    p: list[str] = []
                    self._check(base, sub, value, where, p, depth + 1)
                    if not p:
                        break
                    attempts.append(p)
                else:
                    problems.extend(min(attempts, key=len))
        t = node.get("type")
        if t is not None and not _type_ok(t, value):
            problems.append(f"{where}: expected {t}, got {type(value).__name__}")
            return
        if isinstance(value, dict):
            for name, prop in node.get("properties", {}).items():
                if name in value:
                    self._check(base, prop, value[name], f"{where}.{name}", problems, depth + 1)
                elif prop.get("required") is True:
                    problems.append(f"{where}.{name}: required")
            for name in node.get("required", []) if isinstance(node.get("required"), list) else []:
                if name not in value:
                    problems.append(f"{where}.{name}: required")
        if isinstance(value, list) and "items" in node:
            for i, item in enumerate(value):
                self._check(base, node["items"], item, f"{where}[{i}]", problems, depth + 1)
        if "enum" in node and value not in node["enum"] and not isinstance(value, (dict, list)):
            problems.append(f"{where}: {value!r} not in enum")


def _type_ok(t: Any, value: Any) -> bool:
    types = t if isinstance(t, list) else [t]
    for one in types:
        if one == "integer" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if one == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if one == "string" and isinstance(value, str):
            return True
        if one == "boolean" and (isinstance(value, bool) or value in (0, 1)):
            return True
        if one == "object" and isinstance(value, dict):
            return True
        if one == "array" and isinstance(value, list):
            return True
        if one == "null" and value is None:
            return True
    return False
