"""Buttons as VK keyboards: JSON, payloads, labels cut to VK's 40 characters without breaking a word."""

from __future__ import annotations

import json
from typing import Any

from bot.views.format import short
from bot.views.message import Button, Buttons, Reply

LABEL_MAX = 40  # VK refuses longer button labels


def payload(button: Button) -> str:
    """`{"cmd": command, ...args}`: what comes back when the button is pressed."""
    return json.dumps({"cmd": button.command, **button.args}, ensure_ascii=False)


def keyboard(rows: Buttons, *, inline: bool = False, callback: bool = False) -> str:
    kind = "callback" if callback else "text"
    return json.dumps({
        "one_time": False,
        "inline": inline or callback,
        "buttons": [[{"action": {"type": kind, "label": short(b.label, LABEL_MAX), "payload": payload(b)},
                      "color": "positive" if callback else "secondary"} for b in row] for row in rows],
    }, ensure_ascii=False)


def for_reply(reply: Reply, menu: Buttons | None) -> str | None:
    """The reply's own buttons, else the person's main menu (None: no keyboard at all)."""
    if reply.buttons is not None:
        return keyboard(reply.buttons, inline=reply.inline, callback=reply.callback)
    return keyboard(menu) if menu else None


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
