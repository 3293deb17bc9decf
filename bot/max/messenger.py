"""The bot's messenger port spoken in MAX: replies and reminders become outbox rows (an inline keyboard as MAX's
attachment JSON, files uploaded by the sender, text split to MAX's 4,000 characters); the sender delivers them.
A button press is answered straight away (`POST /answers`), outside the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import quote

from loguru import logger

from bot.max.api import TRANSIENT_EXCEPTIONS, MaxApi, MaxError
from bot.max.updates import Translator, for_reply
from bot.views import texts
from bot.views.message import Buttons, Incoming, Outgoing, Reply
from storage.accounts import MaxAccountRepo
from storage.outbox import OutboxRepo, OutMessage, compose_rows

MESSAGE_LIMIT = 4000
ACK_WITHIN_S = 10.0


class MaxMessenger:
    def __init__(self, api: MaxApi, outbox: OutboxRepo, accounts: MaxAccountRepo, translator: Translator,
                 wake_sender: Callable[[], None]) -> None:
        self.api = api
        self.outbox = outbox
        self.accounts = accounts
        self.translator = translator
        self.wake_sender = wake_sender

    def invite_link(self, code: str) -> tuple[str, str] | None:
        """A deep link that opens the bot with the code (https://max.ru/<bot>?start=<payload>, MAX's format): one
        tap registers. Known once `GET /me` told the bot's nick."""
        if not self.translator.nick:
            return None
        return texts.INVITE_LINK_MAX, f"https://max.ru/{quote(self.translator.nick)}?start={quote(code)}"

    async def send(self, peer: int, reply: Reply, menu: Buttons | None = None) -> None:
        await self.outbox.add(compose_rows(peer, reply.text, for_reply(reply, menu), reply.files, None, reply.secret,
                                           MESSAGE_LIMIT), priority=0)
        self.wake_sender()

    async def send_bulk(self, messages: list[Outgoing]) -> int:
        rows: list[OutMessage] = []
        for m in messages:
            rows += compose_rows(m.peer, m.reply.text, for_reply(m.reply, None), m.reply.files, m.dedup_key,
                                 m.reply.secret, MESSAGE_LIMIT)
        added = await self.outbox.add(rows, priority=1) if rows else 0
        self.wake_sender()
        return added

    async def send_now(self, peer: int, text: str, key: str) -> None:
        """Straight to MAX when the database cannot write (a fault notice: a repeat would do no harm)."""
        address = await self.accounts.address(peer)
        if address is None:
            return
        where = {"user_id": address.max_id} if address.kind == "user" else {"chat_id": address.max_id}
        await asyncio.wait_for(self.api.request("POST", "/messages", where, {"text": text}), ACK_WITHIN_S)

    async def acknowledge(self, incoming: Incoming) -> None:
        """MAX's client waits for a press to be answered: a short notice (the pressed label, or «Принято»)."""
        if not incoming.callback_id:
            return
        try:
            await asyncio.wait_for(self.api.request("POST", "/answers", {"callback_id": incoming.callback_id},
                                                    {"notification": incoming.text or "Принято"}), ACK_WITHIN_S)
        except (MaxError, *TRANSIENT_EXCEPTIONS) as e:
            logger.warning("could not answer a MAX button press ({}); it is handled all the same", type(e).__name__ + (
                f" {e}" if isinstance(e, MaxError) else ""))

    async def download(self, url: str, limit: int) -> bytes | None:
        try:
            return await asyncio.wait_for(self.api.download(url, limit), 30.0)
        except TRANSIENT_EXCEPTIONS:
            logger.warning("a file sent in MAX could not be downloaded")
            return None

    async def user_name(self, user_id: int) -> tuple[str, str]:
        """MAX has no look-up of a user's name: the one its last update showed."""
        return self.translator.names.get(user_id, ("", ""))
