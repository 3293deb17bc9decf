"""A pressed button's payload, whichever messenger brings it back: `{"cmd": command, ...arguments}`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def encode_payload(command: str, args: Mapping[str, Any], **extra: Any) -> str:
    """A button's payload, as every messenger carries it back: `{"cmd": command, ...arguments}`."""
    return json.dumps({"cmd": command, **args, **extra}, ensure_ascii=False)


def decode_payload(raw: Any) -> tuple[str | None, dict[str, Any]]:
    """(command, arguments) of a pressed button; (None, {}) for anything not in our shape."""
    if isinstance(raw, str):
        if len(raw) > 4096:
            return None, {}
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            return None, {}
    if not isinstance(raw, dict):
        return None, {}
    cmd = raw.get("cmd")
    if not isinstance(cmd, str) or len(cmd) > 32:
        return None, {}
    return cmd, {k: v for k, v in raw.items() if k != "cmd"}
