"""The bot's messenger port spoken in VK: replies and reminders become outbox rows (keyboards as
VK JSON, files uploaded as attachments, text split to VK's length); the sender delivers them.
Other calls (callback answers, names) go to VK directly and are retried when VK says "later"."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from urllib.parse import quote

from loguru import logger
from vkbottle import API, VKAPIError

from bot.downloads import Downloader
from bot.views.message import Buttons, Document, File, Incoming, Outgoing, Reply
from bot.vk.api import TRANSIENT_ERRORS, TRANSIENT_EXCEPTIONS
from bot.vk.keyboards import for_reply
from bot.words import texts
from storage.outbox import RANDOM_ID_SPACE, OutboxRepo, OutMessage, compose_rows

MESSAGE_LIMIT = 4096
ACK_WITHIN_S = 10.0  # VK's client stops waiting for a press's answer after a while anyway
NAME_WITHIN_S = 3.0


def compose(peer_id: int, text: str, keyboard: str | None = None, files: tuple[File, ...] = (),
            dedup_key: str | None = None, secret: bool = False) -> list[OutMessage]:
    """One message as outbox rows at VK's length."""
    return compose_rows(peer_id, text, keyboard, files, dedup_key, secret, MESSAGE_LIMIT)


class VkMessenger:
    def __init__(self, api: API, outbox: OutboxRepo, wake_sender: Callable[[], None], downloader: Downloader,
                 retries: int = 4, group_id: int = 0) -> None:
        self.downloader = downloader
        self.group_id = group_id
        self.api = api
        self.outbox = outbox
        self.wake_sender = wake_sender
        self.retries = retries

    def invite_link(self, code: str) -> tuple[str, str] | None:
        """The community's dialog link with the code as its `ref`: the person presses «Начать» and VK hands the
        code over with that message — one tap registers."""
        if not self.group_id:
            return None
        return texts.INVITE_LINK_VK, f"https://vk.me/club{self.group_id}?ref={quote(code)}"

    async def _call(self, method: str, params: dict) -> dict:
        delay = 0.25
        for attempt in range(self.retries + 1):
            try:
                return await self.api.request(method, params)
            except VKAPIError as e:
                if e.code not in TRANSIENT_ERRORS or attempt == self.retries:
                    raise
            except TRANSIENT_EXCEPTIONS:
                if attempt == self.retries:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

    async def send(self, peer: int, reply: Reply, menu: Buttons | None = None) -> None:
        """A reply to a person or a chat: queued ahead of bulk sends. Only the database is touched (files
        too are uploaded by the sender), so a reply commits with the handler's other writes."""
        await self.outbox.add(compose(peer, reply.text, for_reply(reply, menu), reply.files,
                                      secret=reply.secret), priority=0)
        self.wake_sender()

    async def send_bulk(self, messages: list[Outgoing]) -> int:
        """Reminders, summaries: queued behind replies. A message whose key was queued before is
        skipped, so a re-run sends nothing."""
        rows: list[OutMessage] = []
        for m in messages:
            rows += compose(m.peer, m.reply.text, for_reply(m.reply, None), m.reply.files, m.dedup_key,
                            m.reply.secret)
        added = await self.outbox.add(rows, priority=1) if rows else 0
        self.wake_sender()
        return added

    async def notify_now(self, incoming: Incoming, text: str, key: str) -> None:
        """Straight to VK, not through the outbox: for when the database cannot write. The random_id
        comes from `key`, so telling the same thing again does not repeat the message."""
        # negative: a space the outbox's counter (1, 2, 3, … up to 2**31 - 1) never reaches, so a notice's id never
        # looks like the counter's newest at the next start (it had moved the counter to 99 % of its range and
        # queuing then failed). VK takes signed 32-bit random_ids: vk_api's get_random_id draws
        # getrandbits(31) * choice([-1, 1])
        random_id = -(int.from_bytes(hashlib.sha1(key.encode()).digest()[:4], "big") % RANDOM_ID_SPACE + 1)
        await asyncio.wait_for(self._call("messages.send", {"peer_id": incoming.peer, "message": text,
                                                            "random_id": random_id}), ACK_WITHIN_S)

    async def known_person(self, incoming: Incoming) -> int | None:
        """A VK person's id is ours as it is (communities never get this far: bot/vk/updates.py)."""
        return incoming.from_id

    async def acknowledge(self, incoming: Incoming) -> None:
        """A callback press: VK's client spins until the press is answered. Best effort: when VK is
        down the press is handled all the same, and its answer waits in the outbox."""
        if not incoming.callback_id:
            return
        try:
            await asyncio.wait_for(self._call("messages.sendMessageEventAnswer", {
                "event_id": incoming.callback_id, "user_id": incoming.from_id, "peer_id": incoming.peer}),
                ACK_WITHIN_S)
        except (VKAPIError, *TRANSIENT_EXCEPTIONS):
            logger.warning("could not answer a button press; it is handled all the same")

    async def download(self, doc: Document) -> Document:
        """From VK's file hosts only, never with the token (bot/downloads.py)."""
        return await self.downloader.document(doc)

    async def close(self) -> None:
        await self.downloader.close()

    async def user_name(self, user_id: int) -> tuple[str, str]:
        """Asked while a registration is being stored, so it is given little time: without a name the
        person is registered all the same."""
        try:
            response = (await asyncio.wait_for(self.api.request("users.get", {"user_ids": user_id}),
                                               NAME_WITHIN_S))["response"]
        except (VKAPIError, *TRANSIENT_EXCEPTIONS):
            logger.warning("users.get failed; registering without a name")
            return "", ""
        if not response:
            return "", ""
        return response[0].get("first_name", ""), response[0].get("last_name", "")
