"""VK's keyboard limits (https://dev.vk.com/ru/api/bots/development/keyboard)."""

from __future__ import annotations

import json
from typing import Any

STANDARD_ROWS, STANDARD_BUTTONS = 10, 40
INLINE_ROWS, INLINE_BUTTONS = 6, 10
PER_ROW = 5
LABEL_MAX = 40
PAYLOAD_MAX = 255
ACTION_TYPES = {"text", "callback", "open_link", "location", "vkpay", "open_app", "open_photo"}


class KeyboardError(ValueError):
    pass


def check_keyboard(raw: str) -> dict[str, Any]:
    """Parse a keyboard JSON string and enforce VK's limits; raise KeyboardError (VK error 911)."""
    try:
        kb = json.loads(raw)
    except json.JSONDecodeError as e:
        raise KeyboardError(f"keyboard is not JSON: {e.msg}") from None
    if not isinstance(kb, dict) or not isinstance(kb.get("buttons"), list):
        raise KeyboardError("keyboard.buttons must be an array")
    inline = bool(kb.get("inline", False))
    rows = kb["buttons"]
    max_rows, max_buttons = (INLINE_ROWS, INLINE_BUTTONS) if inline else (STANDARD_ROWS, STANDARD_BUTTONS)
    if len(rows) > max_rows:
        raise KeyboardError(f"too many rows: {len(rows)} > {max_rows}")
    total = 0
    for row in rows:
        if not isinstance(row, list):
            raise KeyboardError("each row must be an array")
        if len(row) > PER_ROW:
            raise KeyboardError(f"too many buttons in a row: {len(row)} > {PER_ROW}")
        total += len(row)
        for button in row:
            action = button.get("action") if isinstance(button, dict) else None
            if not isinstance(action, dict) or action.get("type") not in ACTION_TYPES:
                raise KeyboardError("button.action.type is invalid")
            label = action.get("label")
            if action["type"] in ("text", "callback", "open_link"):
                if not isinstance(label, str) or not label:
                    raise KeyboardError("button label is required")
                if len(label) > LABEL_MAX:
                    raise KeyboardError(f"button label longer than {LABEL_MAX}")
            payload = action.get("payload")
            if payload is not None:
                if not isinstance(payload, str):
                    payload = json.dumps(payload, ensure_ascii=False)
                if len(payload) > PAYLOAD_MAX:
                    raise KeyboardError(f"button payload longer than {PAYLOAD_MAX}")
            if "color" in button and button["color"] not in ("primary", "secondary", "negative",
                                                               "positive", "default"):
                raise KeyboardError("button color is invalid")
    if total > max_buttons:
        raise KeyboardError(f"too many buttons: {total} > {max_buttons}")
    return kb
