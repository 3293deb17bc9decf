"""A VKScript subset for `execute`: `var x = ...;` and `return ...;` over literals and API calls.

Enough for the batching bots do (`return [API.messages.send({...}), ...];`). Anything outside the
subset is a compile error (VK's error 12), never a silent misreading.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


class CompileError(Exception):
    pass


@dataclass
class ApiCall:
    method: str
    args: Any  # an expression node evaluating to a dict


@dataclass
class Var:
    name: str


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>-?\d+(?:\.\d+)?)
      | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<punct>[{}\[\](),:;=])
    )""",
    re.VERBOSE | re.DOTALL,
)


def _tokens(code: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(code):
        if code[pos:].strip() == "":
            break
        m = _TOKEN.match(code, pos)
        if not m or m.end() == pos:
            raise CompileError(f"unexpected character at {pos}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, code: str) -> None:
        self.toks = _tokens(code)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise CompileError(f"expected {value or 'token'}, got {tok[1] if tok else 'end'}")
        self.i += 1
        return tok

    def program(self) -> list[tuple[str, Any, Any]]:
        statements: list[tuple[str, Any, Any]] = []
        while self.peek() is not None:
            tok = self.peek()
            assert tok is not None
            if tok == ("name", "var"):
                self.take()
                name = self.take()[1]
                self.take("=")
                statements.append(("var", name, self.expr()))
            elif tok == ("name", "return"):
                self.take()
                statements.append(("return", None, self.expr()))
            else:
                raise CompileError(f"unsupported statement at {tok[1]}")
            if self.peek() is not None:
                self.take(";")
        return statements

    def expr(self) -> Any:
        kind, value = self.take()
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind == "str":
            quoted = value if value[0] == '"' else '"' + value[1:-1].replace('"', '\\"') + '"'
            try:
                return json.loads(quoted)
            except json.JSONDecodeError as e:
                raise CompileError(f"bad string literal: {e}") from None
        if kind == "name":
            if value in ("true", "false"):
                return value == "true"
            if value == "null":
                return None
            if value.startswith("API."):
                self.take("(")
                args: Any = {}
                if self.peek() != ("punct", ")"):
                    args = self.expr()
                self.take(")")
                return ApiCall(value[4:], args)
            return Var(value)
        if value == "[":
            items = []
            while self.peek() != ("punct", "]"):
                items.append(self.expr())
                if self.peek() == ("punct", ","):
                    self.take()
                elif self.peek() != ("punct", "]"):
                    raise CompileError("expected , or ]")
            self.take("]")
            return items
        if value == "{":
            obj: dict[str, Any] = {}
            while self.peek() != ("punct", "}"):
                k_kind, key = self.take()
                if k_kind == "str":
                    key = json.loads(key if key[0] == '"' else '"' + key[1:-1] + '"')
                elif k_kind != "name":
                    raise CompileError("bad object key")
                self.take(":")
                obj[key] = self.expr()
                if self.peek() == ("punct", ","):
                    self.take()
                elif self.peek() != ("punct", "}"):
                    raise CompileError("expected , or }")
            self.take("}")
            return obj
        raise CompileError(f"unexpected {value}")


def parse(code: str) -> list[tuple[str, Any, Any]]:
    return _Parser(code).program()


def count_calls(node: Any) -> int:
    if isinstance(node, ApiCall):
        return 1 + count_calls(node.args)
    if isinstance(node, list):
        return sum(count_calls(n) for n in node)
    if isinstance(node, dict):
        return sum(count_calls(n) for n in node.values())
    if isinstance(node, tuple):
        return count_calls(node[2])
    return 0


CallFn = Callable[[str, dict[str, Any]], Awaitable[Any]]


async def run(program: list[tuple[str, Any, Any]], call: CallFn) -> Any:
    env: dict[str, Any] = {}

    async def ev(node: Any) -> Any:
        if isinstance(node, ApiCall):
            args = await ev(node.args)
            if not isinstance(args, dict):
                raise CompileError("API call argument must be an object")
            return await call(node.method, args)
        if isinstance(node, Var):
            if node.name not in env:
                raise CompileError(f"undefined variable {node.name}")
            return env[node.name]
        if isinstance(node, list):
            return [await ev(n) for n in node]
        if isinstance(node, dict):
            return {k: await ev(v) for k, v in node.items()}
        return node

    for kind, name, node in program:
        value = await ev(node)
        if kind == "var":
            env[name] = value
        else:
            return value
    return None
