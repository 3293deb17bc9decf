"""The MAX Bot API's OpenAPI document (shipped in maxemu/, public domain), read as the emulator's rule book.

A request is matched to an operation by method and path template; its query parameters and JSON body are
checked against the document (an unknown path, a wrong type, a missing required field, a text over its
maxLength are refused as MAX refuses them), and the emulator's own answers and updates are checked against
the response and `Update` schemas, so a drift between what we emulate and what MAX documents fails a test.

The validator covers what the document uses: $ref, allOf, discriminator (by `type`), properties, required,
type, nullable, enum, minLength/maxLength, minimum/maximum, items, maxItems, additionalProperties.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def default_schema_path() -> Path:
    """`MAXEMU_SCHEMA`, else the copy shipped beside this file: nothing outside the checkout is read."""
    env = os.environ.get("MAXEMU_SCHEMA")
    return Path(env) if env else Path(__file__).resolve().parent / "openapi.json"


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    parameters: list[dict[str, Any]]
    body: dict[str, Any] | None
    responses: dict[str, Any]


class Schema:
    def __init__(self, path: Path | None = None) -> None:
        self.doc = json.loads((path or default_schema_path()).read_text(encoding="utf-8"))
        self.schemas: dict[str, Any] = self.doc["components"]["schemas"]
        # A gap of the document: `ChatType` lists only "chat", while `Chat.type` describes "chat", "channel" and
        # "dialog", and MAX sends "dialog" in a private message's recipient (maxapi's ChatType has all three).
        chat_type = self.schemas.get("ChatType", {})
        if chat_type.get("enum") == ["chat"]:
            chat_type["enum"] = ["chat", "channel", "dialog"]
        # Another: `NewMessageBody` marks text, attachments and link required, yet the document's own examples send
        # `{"text": ...}` alone and maxapi (max-messenger's client) leaves out text and link when it has none.
        # The emulator then asks for a text or attachments itself (an empty message is refused).
        self.schemas.get("NewMessageBody", {}).pop("required", None)
        # Newer than the document: since November 2026 `bot_added` comes without `user` (MAX's changelog,
        # dev.max.ru/docs-api/changelog-api: «при update_type=bot_added поле user больше не возвращается»).
        for part in self.schemas.get("BotAddedToChatUpdate", {}).get("allOf", []):
            if "required" in part:
                part["required"] = [f for f in part["required"] if f != "user"]
                part.get("properties", {}).pop("user", None)
        # Newer than the document too: PATCH /me/commands, the commands offered when «/» is typed
        # (dev.max.ru/docs-api/methods/PATCH/me/commands: up to 32 `BotCommand`s, an empty list removes them all)
        self.doc["paths"].setdefault("/me/commands", {"patch": {
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["commands"], "properties": {"commands": {
                    "type": "array", "maxItems": 32, "items": {"$ref": "#/components/schemas/BotCommand"}}}}}}},
            "responses": {"200": {"$ref": "#/components/responses/SuccessResponse"}}}})
        self.operations: list[Operation] = []
        for template, ops in self.doc["paths"].items():
            regex = "^" + re.sub(r"\{[^/}]+\}", r"([^/]+)", template) + "$"
            for method, op in ops.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                self.operations.append(Operation(method.upper(), template, re.compile(regex),
                                                 [self.resolve(p) for p in op.get("parameters", [])], body,
                                                 op.get("responses", {})))

    # -- look-ups ---------------------------------------------------------------------------

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            parts = node["$ref"].removeprefix("#/").split("/")
            target: Any = self.doc
            for part in parts:
                target = target[part]
            node = target
        return node

    def match(self, method: str, path: str) -> tuple[Operation | None, bool]:
        """(the operation, whether the path exists under another method)."""
        exists = False
        for op in self.operations:
            if op.pattern.match(path) and self._params_fit(op, path):
                exists = True
                if op.method == method:
                    return op, True
        return None, exists

    def _params_fit(self, op: Operation, path: str) -> bool:
        """Path parameters against their schemas: /chats/-7012 is a chat id, /chats/@school12 a public link."""
        values = self.path_params(op, path)
        for p in op.parameters:
            if p.get("in") != "path" or p["name"] not in values:
                continue
            schema, value = self.resolve(p.get("schema", {})), values[p["name"]]
            if schema.get("type") == "integer" and not re.fullmatch(r"-?\d+", value):
                return False
            if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
                return False
        return True

    def response_schema(self, op: Operation, status: int = 200) -> dict[str, Any] | None:
        resp = op.responses.get(str(status))
        if resp is None:
            return None
        resp = self.resolve(resp)
        return resp.get("content", {}).get("application/json", {}).get("schema")

    # -- checks --------------------------------------------------------------------------------

    def check_query(self, op: Operation, query: dict[str, str]) -> list[str]:
        """Problems with the query string: a missing required parameter, a value of the wrong type or range.
        Unknown parameters are ignored (MAX ignores them too), except that the token is not a parameter here."""
        problems = []
        for p in op.parameters:
            if p.get("in") != "query":
                continue
            name, schema = p["name"], self.resolve(p.get("schema", {}))
            if name not in query:
                if p.get("required"):
                    problems.append(f"{name}: required")
                continue
            raw = query[name]
            kind = schema.get("type")
            if kind == "integer":
                if not re.fullmatch(r"-?\d+", raw):
                    problems.append(f"{name}: expected an integer, got {raw!r}")
                    continue
                problems += self.check(schema, int(raw), name)
            elif kind == "boolean" and raw not in ("true", "false"):
                problems.append(f"{name}: expected true or false, got {raw!r}")
            elif kind == "array":
                items = self.resolve(schema.get("items", {}))
                for item in raw.split(","):
                    if items.get("type") == "integer" and not re.fullmatch(r"-?\d+", item):
                        problems.append(f"{name}: expected integers, got {item!r}")
            elif kind == "string" or "enum" in schema or "allOf" in schema:
                problems += self.check(schema, raw, name)
        return problems

    def path_params(self, op: Operation, path: str) -> dict[str, str]:
        names = re.findall(r"\{([^/}]+)\}", op.template)
        m = op.pattern.match(path)
        return dict(zip(names, m.groups(), strict=True)) if m else {}

    def check(self, schema: dict[str, Any], value: Any, where: str = "body") -> list[str]:
        """Every way `value` breaks `schema`, as readable lines; empty when it fits."""
        schema = self.resolve(schema)
        if value is None:
            return [] if schema.get("nullable") or not self._has_shape(schema) else [f"{where}: must not be null"]
        problems: list[str] = []
        for part in schema.get("allOf", []):
            problems += self.check(part, value, where)
        disc = schema.get("discriminator")
        if disc and isinstance(value, dict):
            kind = value.get(disc["propertyName"])
            target = disc.get("mapping", {}).get(kind) if isinstance(kind, str) else None
            if isinstance(target, dict):  # `Update`'s mapping names its variants as {"$ref": ...}
                target = target.get("$ref")
            if target is None:
                return problems + [f"{where}.{disc['propertyName']}: unknown value {kind!r}"]
            return problems + self._check_variant(target, value, where)
        kind = schema.get("type") or ("object" if "properties" in schema else None)
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
        if kind == "object":
            if not isinstance(value, dict):
                return problems + [f"{where}: expected an object"]
            for name in schema.get("required", []):
                if name not in value:
                    problems.append(f"{where}.{name}: required")
            props = schema.get("properties", {})
            for name, sub in props.items():
                if name in value:
                    problems += self.check(sub, value[name], f"{where}.{name}")
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                for name, sub in value.items():
                    if name not in props:
                        problems += self.check(extra, sub, f"{where}.{name}")
        elif kind == "array":
            if not isinstance(value, list):
                return problems + [f"{where}: expected an array"]
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                problems.append(f"{where}: more than {schema['maxItems']} items")
            for n, item in enumerate(value):
                problems += self.check(schema.get("items", {}), item, f"{where}[{n}]")
        elif kind == "string":
            if not isinstance(value, str):
                return problems + [f"{where}: expected a string"]
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                problems.append(f"{where}: longer than {schema['maxLength']} characters")
            if "minLength" in schema and len(value) < schema["minLength"]:
                problems.append(f"{where}: shorter than {schema['minLength']} characters")
        elif kind == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                return problems + [f"{where}: expected an integer"]
            problems += self._range(schema, value, where)
        elif kind == "number":
            if not isinstance(value, int | float) or isinstance(value, bool):
                return problems + [f"{where}: expected a number"]
            problems += self._range(schema, value, where)
        elif kind == "boolean" and not isinstance(value, bool):
            problems.append(f"{where}: expected a boolean")
        return problems

    def _check_variant(self, ref: str, value: Any, where: str) -> list[str]:
        """A discriminated variant: its own parts, without going back through the base's discriminator."""
        variant = self.resolve({"$ref": ref})
        problems: list[str] = []
        for part in variant.get("allOf", []):
            part = self.resolve(part)
            if "discriminator" in part:
                base = {k: v for k, v in part.items() if k != "discriminator"}
                problems += self.check(base, value, where)
            else:
                problems += self.check(part, value, where)
        rest = {k: v for k, v in variant.items() if k not in ("allOf", "discriminator")}
        if rest:
            problems += self.check(rest, value, where)
        return problems

    @staticmethod
    def _range(schema: dict[str, Any], value: float, where: str) -> list[str]:
        if "minimum" in schema and value < schema["minimum"]:
            return [f"{where}: less than {schema['minimum']}"]
        if "maximum" in schema and value > schema["maximum"]:
            return [f"{where}: more than {schema['maximum']}"]
        return []

    @staticmethod
    def _has_shape(schema: dict[str, Any]) -> bool:
        return any(k in schema for k in ("type", "properties", "enum"))

    def update_problems(self, update: dict[str, Any]) -> list[str]:
        """An update the emulator emits, against the document's `Update` variants."""
        return self.check({"$ref": "#/components/schemas/Update"}, update, "update")
