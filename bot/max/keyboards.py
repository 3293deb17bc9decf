"""Buttons as MAX keyboards: every MAX button is a callback button, laid out so that a phone shows each label whole.

A button the bot means as a plain command («Сводка», «Кто не сдал») comes back as the message VK's text button would
make; one the bot answers in place («Выполнено» under a reminder) as a callback. The payload says which (`"k"`)."""

from __future__ import annotations

import json

from bot.payloads import encode_payload
from bot.views.message import Button, Buttons, Reply, Screen
from bot.words.format import short

# MAX's inline keyboard: up to 30 rows, 7 buttons a row, 210 in all (dev.max.ru/docs-api, «Клавиатура для чат-бота»;
# maxemu refuses more, as MAX does with errors.maxRows)
SCREEN = Screen(rows=30, buttons=210)
LABEL_MAX = 64  # MAX shows about 20 characters a button in a row of one; the document allows 128
# MAX draws a button's label on one line and cuts what does not fit; its document recommends at most 20 characters
# for one button in a row, 10 for two, 5 for three, 3 for four (max-bot-api-client-ts issue #300: no wrapping)
ROW_WIDTH = {1: 20, 2: 10, 3: 5, 4: 3}
NARROWEST = 2  # five or more in a row (MAX allows seven): numbers only
IN_PLACE = {"k": "cb"}  # in a payload: the press is answered in place (a callback), not as a message


def max_rows(rows: Buttons) -> Buttons:
    """Our rows laid out for MAX: each row split, in order, so that every label is shown whole."""
    out: Buttons = []
    for row in rows:
        current: list[Button] = []
        for button in row:
            wider = [*current, button]
            if current and any(len(b.label) > ROW_WIDTH.get(len(wider), NARROWEST) for b in wider):
                out.append(current)
                wider = [button]
            current = wider
        if current:
            out.append(current)
    return out


def max_keyboard(rows: Buttons, callback: bool) -> str:
    """An `inline_keyboard` attachment (as JSON text, stored in the outbox row) of callback buttons."""
    def extra(b: Button) -> dict[str, str]:
        return IN_PLACE if (callback if b.callback is None else b.callback) else {}

    buttons = [[{"type": "callback", "text": short(b.label, LABEL_MAX),
                 "payload": encode_payload(b.command, b.args, **extra(b))} for b in row] for row in max_rows(rows)]
    return json.dumps({"type": "inline_keyboard", "payload": {"buttons": buttons}}, ensure_ascii=False)


def for_reply(reply: Reply, menu: Buttons | None) -> str | None:
    """The reply's own buttons, else the main menu under the message (MAX has no keyboard below the input)."""
    if reply.buttons is not None:
        return max_keyboard(reply.buttons, reply.callback)
    return max_keyboard(menu, False) if menu else None
