"""Buttons as VK keyboards: JSON, payloads, labels cut to VK's 40 characters without breaking a word."""

from __future__ import annotations

import json

from bot.payloads import encode_payload
from bot.views.message import Button, Buttons, Reply, Screen
from bot.words.format import short

LABEL_MAX = 40  # VK refuses longer button labels
# an inline keyboard: at most 6 rows and 10 buttons (https://dev.vk.com/ru/api/bots/development/keyboard; vkemu
# refuses more): the most a service lays out under one message
SCREEN = Screen(rows=6, buttons=10)


def payload(button: Button) -> str:
    """`{"cmd": command, ...args}`: what comes back when the button is pressed."""
    return encode_payload(button.command, button.args)


def keyboard(rows: Buttons, *, inline: bool = False, callback: bool = False) -> str:
    def button(b: Button) -> dict:
        pressed_in_place = callback if b.callback is None else b.callback
        return {"action": {"type": "callback" if pressed_in_place else "text", "label": short(b.label, LABEL_MAX),
                           "payload": payload(b)}, "color": "positive" if pressed_in_place else "secondary"}

    return json.dumps({
        "one_time": False,
        "inline": inline or callback or any(b.callback for row in rows for b in row),
        "buttons": [[button(b) for b in row] for row in rows],
    }, ensure_ascii=False)


def for_reply(reply: Reply, menu: Buttons | None) -> str | None:
    """The reply's own buttons, else the person's main menu (None: no keyboard at all)."""
    if reply.buttons is not None:
        return keyboard(reply.buttons, inline=reply.inline, callback=reply.callback)
    return keyboard(menu) if menu else None


