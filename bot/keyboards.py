"""VK keyboards as JSON strings. Payloads only name a command; permissions are checked server-side."""

from __future__ import annotations

import json
from typing import Any

from . import texts

Button = tuple[str, dict[str, Any]]  # label, payload


def keyboard(rows: list[list[Button]], *, inline: bool = False, one_time: bool = False) -> str:
    return json.dumps({
        "one_time": False if inline else one_time,
        "inline": inline,
        "buttons": [[{"action": {"type": "text", "label": label[:40],
                                 "payload": json.dumps(payload, ensure_ascii=False)},
                      "color": "secondary"} for label, payload in row] for row in rows],
    }, ensure_ascii=False)


def callback_keyboard(rows: list[list[Button]]) -> str:
    """Inline callback buttons: pressing one sends a message_event, no text appears in the chat."""
    return json.dumps({
        "inline": True,
        "buttons": [[{"action": {"type": "callback", "label": label[:40],
                                 "payload": json.dumps(payload, ensure_ascii=False)},
                      "color": "positive"} for label, payload in row] for row in rows],
    }, ensure_ascii=False)


def main_menu(is_coordinator: bool, is_admin: bool = False) -> str:
    rows: list[list[Button]] = []
    if is_admin:
        rows.append([(texts.MENU_REPORT, {"cmd": "report"}), (texts.MENU_STATUS, {"cmd": "status"})])
    if is_coordinator:
        rows.append([(texts.MENU_STATUS, {"cmd": "status"}), (texts.MENU_INVITES, {"cmd": "invites"})])
    rows.append([(texts.MENU_ITEMS, {"cmd": "items"}), (texts.MENU_WHOAMI, {"cmd": "whoami"}),
                 (texts.MENU_HELP, {"cmd": "help"})])
    return keyboard(rows)


EMPTY = json.dumps({"one_time": True, "buttons": []})
