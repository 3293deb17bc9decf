"""The bot's messenger port spoken in VK: replies and reminders become outbox rows (keyboards as
VK JSON, files uploaded as attachments, text split to VK's length); the sender delivers them.
Other calls (callback answers, names) go to VK directly and are retried when VK says "later"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from loguru import logger
from vkbottle import API, DocMessagesUploader, PhotoMessageUploader, VKAPIError

from bot.views.message import Buttons, File, Incoming, Outgoing, Reply
from bot.vk.api import TRANSIENT_ERRORS, TRANSIENT_EXCEPTIONS
from bot.vk.keyboards import for_reply
from storage.outbox import OutboxRepo, OutMessage

MESSAGE_LIMIT = 4096
ACK_WITHIN_S = 10.0  # VK's client stops waiting for a press's answer after a while anyway
NAME_WITHIN_S = 3.0


def compose(peer_id: int, text: str, keyboard: str | None = None, attachment: str | None = None,
            dedup_key: str | None = None) -> list[OutMessage]:
    """One message as outbox rows: split to VK's length, keyboard and attachment on the last part."""
    parts = split_text(text) if text else [""]
    out = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        key = None if dedup_key is None else (dedup_key if len(parts) == 1 else f"{dedup_key}#{i}")
        out.append(OutMessage(peer_id, part, keyboard if last else None, attachment if last else None, key))
    return out


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at line boundaries so each part fits VK's limit; a single overlong line is cut."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


class VkMessenger:
    def __init__(self, api: API, outbox: OutboxRepo, wake_sender: Callable[[], None], retries: int = 4) -> None:
        self.api = api
        self.outbox = outbox
        self.wake_sender = wake_sender
        self.retries = retries

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
        """A reply to a person or a chat: queued ahead of bulk sends."""
        attachment = await self._attach(peer, reply.files)
        await self.outbox.add(compose(peer, reply.text, for_reply(reply, menu), attachment), priority=0)
        self.wake_sender()

    async def send_bulk(self, messages: list[Outgoing]) -> int:
        """Reminders, summaries: queued behind replies. A message whose key was queued before is
        skipped, before anything is uploaded, so a re-run sends and uploads nothing."""
        rows: list[OutMessage] = []
        for m in messages:
            attachment = None
            if m.reply.files:
                # The outbox skips a known key anyway; asked first only when there is a file to upload.
                if await self.outbox.has(m.dedup_key) or await self.outbox.has(m.dedup_key + "#0"):
                    continue
                try:
                    attachment = await self._attach(m.peer, m.reply.files)
                except Exception:  # the figures matter more than the picture
                    logger.warning("upload failed; the message goes without its file")
            rows += compose(m.peer, m.reply.text, for_reply(m.reply, None), attachment, m.dedup_key)
        added = await self.outbox.add(rows, priority=1) if rows else 0
        self.wake_sender()
        return added

    async def _attach(self, peer: int, files: tuple[File, ...]) -> str | None:
        names = []
        for f in files:
            if f.kind == "photo":
                names.append(await PhotoMessageUploader(self.api).upload(f.data, peer_id=peer))
            else:
                names.append(await DocMessagesUploader(self.api).upload(f.data, title=f.name, peer_id=peer))
        return ",".join(names) or None

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
