"""The bot's messenger port spoken in MAX: replies and reminders become outbox rows (an inline keyboard as MAX's
attachment JSON, files uploaded by the sender, text split to MAX's 4,000 characters); the sender delivers them.
A button press is answered straight away (`POST /answers`), outside the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import quote

from loguru import logger

from bot.downloads import Downloader
from bot.max.api import TRANSIENT_EXCEPTIONS, MaxApi, MaxError
from bot.max.keyboards import for_reply
from bot.max.updates import MaxUpdates
from bot.views.message import Buttons, Document, Incoming, Outgoing, Reply
from bot.words import texts
from storage.outbox import OutboxRepo, OutMessage, compose_rows

MESSAGE_LIMIT = 4000
FILES_PER_MESSAGE = 1  # MAX: «A file must be the only attachment of a message» (maxemu holds it; its keyboard aside)
ACK_WITHIN_S = 10.0


class MaxMessenger:
    def __init__(self, api: MaxApi, outbox: OutboxRepo, updates: MaxUpdates,
                 wake_sender: Callable[[], None], downloader: Downloader) -> None:
        self.downloader = downloader
        self.api = api
        self.outbox = outbox
        self.updates = updates
        self.wake_sender = wake_sender

    def invite_link(self, code: str) -> tuple[str, str] | None:
        """A deep link that opens the bot with the code (https://max.ru/<bot>?start=<payload>, MAX's format): one
        tap registers. Known once `GET /me` told the bot's nick."""
        if not self.updates.nick:
            return None
        return texts.INVITE_LINK_MAX, f"https://max.ru/{quote(self.updates.nick)}?start={quote(code)}"

    async def send(self, peer: int, reply: Reply, menu: Buttons | None = None) -> None:
        await self.outbox.add(compose_rows(peer, reply.text, for_reply(reply, menu), reply.files, None, reply.secret,
                                           MESSAGE_LIMIT, FILES_PER_MESSAGE), priority=0)
        self.wake_sender()

    async def send_bulk(self, messages: list[Outgoing]) -> int:
        rows: list[OutMessage] = []
        for m in messages:
            rows += compose_rows(m.peer, m.reply.text, for_reply(m.reply, None), m.reply.files, m.dedup_key,
                                 m.reply.secret, MESSAGE_LIMIT, FILES_PER_MESSAGE)
        added = await self.outbox.add(rows, priority=1) if rows else 0
        self.wake_sender()
        return added

    async def notify_now(self, incoming: Incoming, text: str, key: str) -> None:
        """Straight to MAX when the database cannot write (a fault notice: a repeat would do no harm). The update
        is not resolved then: its ids are MAX's own, and the person is written to by their user_id."""
        await asyncio.wait_for(self.api.request("POST", "/messages", {"user_id": incoming.from_id}, {"text": text}),
                               ACK_WITHIN_S)

    async def known_person(self, incoming: Incoming) -> int | None:
        return await self.updates.known_person(incoming)

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

    async def download(self, doc: Document) -> Document:
        """From MAX's file hosts only, never with the token (bot/downloads.py)."""
        return await self.downloader.document(doc)

    async def close(self) -> None:
        await self.downloader.close()
        await self.api.close()

    async def user_name(self, user_id: int) -> tuple[str, str]:
        """MAX has no look-up of a user's name: the one its last update showed."""
        return self.updates.names.get(user_id, ("", ""))
