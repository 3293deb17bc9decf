"""MAX's updates as `Incoming`, in two steps so that nothing is written outside the event's transaction.

`incoming` reads nothing and writes nothing: the update comes out with MAX's own ids (the sender's user_id, the
dialog's or group chat's chat_id). `resolve` runs inside the dispatcher's transaction, with the event's other
writes: MAX's ids become our `person_id`s (storage/accounts.py, made on first sight), a `bot_started` marks the
person reachable again. On a full disk the event is kept and tried again, as on VK.

Messages of bots (another bot in a group chat) are nobody's: dropped before anything is routed or stored.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loguru import logger

from bot.addressing import addressed_to
from bot.domain.invite_codes import normalize_code
from bot.max.keyboards import IN_PLACE
from bot.payloads import decode_payload
from bot.views.message import Document, Incoming
from storage.accounts import MaxAccountRepo
from storage.outbox import OutboxRepo

MAX = "max"
STARTED = "max:started:"  # the event id of a bot_started update


class MaxUpdates:
    """Updates in, `Incoming` out; remembers the names MAX shows with each update (MAX has no `users.get`)."""

    def __init__(self, accounts: MaxAccountRepo, outbox: OutboxRepo, username: str = "") -> None:
        self.accounts = accounts
        self.outbox = outbox
        self.username = username.lower()
        self.nick = username  # as MAX spells it (GET /me): the name in the bot's links
        self.names: dict[int, tuple[str, str]] = {}  # person_id -> (first, last), as MAX last showed them

    def incoming(self, update: dict[str, Any]) -> Incoming | None:
        """The update with MAX's ids, or None when it is not for the bot (a bot's message, another bot addressed)."""
        kind = update.get("update_type")
        try:
            if kind == "message_created":
                return self._message(update["message"])
            if kind == "message_callback":
                return self._press(update)
            user = update.get("user") or {}
            if user.get("is_bot"):
                return None
            if kind == "bot_started":
                # the person opened the bot («Начать»): greeted as VK's «Начать» greets, and reachable again.
                # A deep link https://max.ru/<bot>?start=<payload> brings its payload: an invite link's code is
                # taken as if typed (one tap registers); any other payload is nobody's business but «Начать»
                payload = str(update.get("payload") or "")
                text = payload if normalize_code(payload) is not None else "/start"
                return Incoming("message", f"{STARTED}{user['user_id']}:{update['timestamp']}", int(user["user_id"]),
                                int(update["chat_id"]), text=text, messenger=MAX, sender_name=_name(user),
                                reachable=True)
            if kind == "bot_stopped":
                return Incoming("deny", f"max:stopped:{user['user_id']}:{update['timestamp']}", int(user["user_id"]),
                                int(update["chat_id"]), messenger=MAX, sender_name=_name(user))
            # who added or removed the bot does not matter to us: since November 2026 MAX leaves `user` out of
            # bot_added (dev.max.ru/docs-api/changelog-api), and an update read as needing it was dropped
            who = int(user.get("user_id") or 0)
            if kind == "bot_removed":
                return Incoming("left", f"max:removed:{update['chat_id']}:{update['timestamp']}", who,
                                int(update["chat_id"]), True, messenger=MAX, sender_name=_name(user))
            if kind == "bot_added":
                return Incoming("joined", f"max:added:{update['chat_id']}:{update['timestamp']}", who,
                                int(update["chat_id"]), True, f"@{self.username}" if self.username else "",
                                messenger=MAX, sender_name=_name(user))
        except (KeyError, TypeError, ValueError):
            logger.warning("malformed MAX {} update skipped", kind)
        return None

    async def known_person(self, incoming: Incoming) -> int | None:
        """Our id of the update's sender if the bot knows them already (read only, before the transaction)."""
        return await self.accounts.known_person(incoming.from_id)

    async def resolve(self, incoming: Incoming) -> Incoming:
        """Inside the event's transaction: MAX's ids as ours, the name remembered, reachability written."""
        dialog = None if incoming.in_chat or not incoming.peer else incoming.peer  # 0: the dialog's id not told
        # 0: nobody in particular (a chat event MAX tells without its user); no account is made for it
        person = await self.accounts.person(incoming.from_id, dialog) if incoming.from_id else 0
        peer = await self.accounts.chat(incoming.peer) if incoming.in_chat else person
        if any(incoming.sender_name):
            self.names[person] = incoming.sender_name
        if incoming.reachable:
            await self.outbox.reachable_again(person)
        return replace(incoming, from_id=person, peer=peer)

    def _message(self, message: dict[str, Any]) -> Incoming | None:
        recipient, body, sender = message["recipient"], message["body"], message["sender"]
        if sender.get("is_bot"):
            return None
        in_chat = recipient.get("chat_type") != "dialog"
        text = body.get("text") or ""
        addressed = False
        if in_chat:
            said = addressed_to(text, {self.username} if self.username else set())
            if said is None:
                return None
            text, addressed = said, said != text
        return Incoming("message", f"max:{body['mid']}", int(sender["user_id"]), int(recipient["chat_id"]), in_chat,
                        text, date=int(message.get("timestamp") or 0) // 1000,
                        documents=_documents(body.get("attachments")), messenger=MAX, sender_name=_name(sender),
                        addressed=addressed)

    def _press(self, update: dict[str, Any]) -> Incoming | None:
        callback, message = update["callback"], update.get("message") or {}
        recipient = message.get("recipient") or {}
        user = callback["user"]
        if user.get("is_bot"):
            return None
        # without the message (MAX: null when it was deleted) a press is answered in the person's dialog
        in_chat = recipient.get("chat_type") == "chat"
        command, args = decode_payload(callback.get("payload"))
        in_place = all(args.pop(k, None) == v for k, v in IN_PLACE.items())
        callback_id = str(callback["callback_id"])
        common = {"callback_id": callback_id, "messenger": MAX, "sender_name": _name(user)}
        if in_place:
            return Incoming("callback", f"max:cb:{callback_id}", int(user["user_id"]), int(recipient.get("chat_id") or 0),
                            in_chat, command=command, args=args, **common)
        return Incoming("message", f"max:cb:{callback_id}", int(user["user_id"]), int(recipient.get("chat_id") or 0), in_chat,
                        _label(message, callback.get("payload")), command, args, **common)


def _name(user: dict[str, Any]) -> tuple[str, str]:
    return str(user.get("first_name") or ""), str(user.get("last_name") or "")


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
