"""A pressed button's payload, whichever messenger brings it back: `{"cmd": command, ...arguments}`."""

from __future__ import annotations

import json
import math
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
    return cmd, {k: v for k, v in raw.items() if k != "cmd" and isinstance(k, str) and _plain(v)}


INT_RANGE = 2**31  # our numbers in buttons are pages, question numbers, flags: far below; SQLite's integers end at 2**63


def _plain(value: Any) -> bool:
    """An argument our buttons could have put there: a short string, a bool or a number in range. Anything else (a
    20-digit integer that overflowed SQLite, NaN, a nested object) is dropped here, before any handler sees it."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return -INT_RANGE < value < INT_RANGE
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) < INT_RANGE
    return isinstance(value, str) and len(value) <= 256
