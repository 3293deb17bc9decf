"""MAX's updates as `Incoming`, with MAX's ids turned into ours (storage/accounts.py), and our buttons as MAX's.

Every button in MAX is a callback button. A button the bot means as a plain command («Сводка», «Кто не сдал»)
comes in as the message VK's text button would make (its label as the text, its command and arguments); one
the bot answers in place («Выполнено» under a reminder) comes in as a callback. The payload says which (`"k"`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from loguru import logger

from bot.domain.invite_codes import normalize_code
from bot.payloads import decode_payload
from bot.views.format import short
from bot.views.message import Button, Buttons, Document, Incoming, Reply
from storage.accounts import MaxAccountRepo
from storage.outbox import OutboxRepo

STARTED = "max:started:"  # the event id of a bot_started update
LABEL_MAX = 64  # MAX shows about 20 characters a button in a row of one; the document allows 128
# MAX draws a button's label on one line and cuts what does not fit; its document recommends at most 20 characters
# for one button in a row, 10 for two, 5 for three, 3 for four (max-bot-api-client-ts issue #300: no wrapping)
ROW_WIDTH = {1: 20, 2: 10, 3: 5, 4: 3}
NARROWEST = 2  # five or more in a row (MAX allows seven): numbers only


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


_MENTION = re.compile(r"^\s*@(?P<name>[A-Za-z0-9_.]+)\s*[,:]?\s*")
_ADDRESSED_COMMAND = re.compile(r"^(?P<command>/\S+?)@(?P<name>[A-Za-z0-9_.]+)")


def max_keyboard(rows: Buttons, callback: bool) -> str:
    """An `inline_keyboard` attachment (as JSON text, stored in the outbox row) of callback buttons."""
    buttons = [[{"type": "callback", "text": short(b.label, LABEL_MAX),
                 "payload": json.dumps({"cmd": b.command, **b.args, **({"k": "cb"} if callback else {})},
                                       ensure_ascii=False)} for b in row] for row in max_rows(rows)]
    return json.dumps({"type": "inline_keyboard", "payload": {"buttons": buttons}}, ensure_ascii=False)


def for_reply(reply: Reply, menu: Buttons | None) -> str | None:
    """The reply's own buttons, else the main menu under the message (MAX has no keyboard below the input)."""
    if reply.buttons is not None:
        return max_keyboard(reply.buttons, reply.callback)
    return max_keyboard(menu, False) if menu else None


class Translator:
    """Updates in, `Incoming` out; remembers the names MAX shows with each update (MAX has no `users.get`)."""

    def __init__(self, accounts: MaxAccountRepo, outbox: OutboxRepo, username: str = "") -> None:
        self.accounts = accounts
        self.outbox = outbox
        self.username = username.lower()
        self.nick = username  # as MAX spells it (GET /me): the name in the bot's links
        self.names: dict[int, tuple[str, str]] = {}

    async def person(self, user: dict[str, Any], dialog_id: int | None = None) -> int:
        ours = await self.accounts.person(int(user["user_id"]), dialog_id)
        self.names[ours] = (str(user.get("first_name") or ""), str(user.get("last_name") or ""))
        return ours

    async def incoming(self, update: dict[str, Any]) -> Incoming | None:
        kind = update.get("update_type")
        try:
            if kind == "message_created":
                return await self._message(update["message"])
            if kind == "message_callback":
                return await self._press(update)
            if kind == "bot_started":
                # the person opened the bot («Начать»): greeted as VK's «Начать» greets; the adapter also marks
                # them reachable again (STARTED)
                ours = await self.person(update["user"], int(update["chat_id"]))
                await self.outbox.reachable_again(ours)
                # a deep link https://max.ru/<bot>?start=<payload> brings its payload: an invite link's code is
                # taken as if typed (one tap registers); any other payload is nobody's business but «Начать»
                payload = str(update.get("payload") or "")
                text = payload if normalize_code(payload) is not None else "/start"
                return Incoming("message", f"{STARTED}{update['user']['user_id']}:{update['timestamp']}", ours, ours,
                                text=text)
            if kind == "bot_stopped":
                ours = await self.person(update["user"])
                return Incoming("deny", f"max:stopped:{update['user']['user_id']}:{update['timestamp']}", ours, ours)
            if kind == "bot_added":
                chat = await self.accounts.chat(int(update["chat_id"]))
                who = await self.person(update["user"])
                return Incoming("joined", f"max:added:{update['chat_id']}:{update['timestamp']}", who, chat, True,
                                f"@{self.username}" if self.username else "")
        except (KeyError, TypeError, ValueError):
            logger.warning("malformed MAX {} update skipped", kind)
        return None

    async def _message(self, message: dict[str, Any]) -> Incoming | None:
        recipient, body = message["recipient"], message["body"]
        in_chat = recipient.get("chat_type") != "dialog"
        sender = await self.person(message["sender"], None if in_chat else int(recipient["chat_id"]))
        peer = await self.accounts.chat(int(recipient["chat_id"])) if in_chat else sender
        text = body.get("text") or ""
        if in_chat:
            text = self._addressed(text)
            if text is None:
                return None
        return Incoming("message", f"max:{body['mid']}", sender, peer, in_chat, text,
                        date=int(message.get("timestamp") or 0) // 1000, documents=_documents(body.get("attachments")))

    async def _press(self, update: dict[str, Any]) -> Incoming | None:
        callback, message = update["callback"], update.get("message") or {}
        recipient = message.get("recipient") or {}
        in_chat = recipient.get("chat_type") == "chat"
        presser = await self.person(callback["user"], None if in_chat or not recipient else
                                    int(recipient["chat_id"]))
        peer = await self.accounts.chat(int(recipient["chat_id"])) if in_chat else presser
        command, args = decode_payload(callback.get("payload"))
        in_place = args.pop("k", None) == "cb"
        callback_id = str(callback["callback_id"])
        if in_place:
            return Incoming("callback", f"max:cb:{callback_id}", presser, peer, in_chat, command=command,
                            args=args, callback_id=callback_id)
        label = _label(message, callback.get("payload"))
        return Incoming("message", f"max:cb:{callback_id}", presser, peer, in_chat, label, command, args,
                        callback_id=callback_id)

    def _addressed(self, text: str) -> str | None:
        """A chat message may name the bot («@sferum_bot /status», «/status@sferum_bot»); one naming another
        bot is not ours to answer."""
        mention = _MENTION.match(text)
        if mention:
            if mention["name"].lower() != self.username:
                return None
            text = text[mention.end():]
        command = _ADDRESSED_COMMAND.match(text)
        if command:
            if command["name"].lower() != self.username:
                return None
            text = command["command"] + text[command.end():]
        return text


def _label(message: dict[str, Any], payload: Any) -> str:
    for a in (message.get("body") or {}).get("attachments") or []:
        if a.get("type") == "inline_keyboard":
            for row in a["payload"]["buttons"]:
                for b in row:
                    if b.get("payload") == payload:
                        return str(b.get("text") or "")
    return ""


def _documents(attachments: Any) -> tuple[Document, ...]:
    out = []
    for a in attachments if isinstance(attachments, list) else []:
        if isinstance(a, dict) and a.get("type") == "file" and isinstance(a.get("payload"), dict):
            url, name = a["payload"].get("url"), a.get("filename")
            if isinstance(url, str) and isinstance(name, str):
                size = a.get("size")
                out.append(Document(name[:200], url, size if isinstance(size, int) else 0))
    return tuple(out)
