"""Bots Long Poll that survives a crash without losing what people wrote.

vkbottle saves the ts to a file as soon as a batch is handed over, before its handlers ran; after
a kill -9 those updates would be skipped. Here the ts is saved in SQLite only when every update
fetched before it has been handled, and the bot resumes from it (handled ones are recognised by
event id). If VK no longer holds that history it answers failed 1 with a fresh ts; then the
conversations VK lists as unanswered are read and their last messages handled (`recover_unanswered`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loguru import logger
from vkbottle import API, VKAPIError
from vkbottle.polling import BotPolling

from bot.vk.api import TRANSIENT_ERRORS, TRANSIENT_EXCEPTIONS
from bot.vk.updates import CHAT_BASE
from storage.chats import EventRepo


class Polling(BotPolling):
    def __init__(self, api: API, group_id: int, resume_ts: str | None, wait: int = 25,
                 on_gap: Callable[[], None] | None = None) -> None:
        super().__init__(api, group_id=group_id, wait=wait, skip_old_events=False)
        self.resume_ts = resume_ts
        self.request_ts: str | None = None
        self.on_gap = on_gap

    async def get_server(self) -> dict[str, Any]:
        """A long-poll server, however long VK takes to give one: vkbottle asks for it outside its retry loop
        (at start, after failed 2 and 3), so a dropped connection or a 5xx there would end the bot."""
        delay = 0.5
        while True:
            try:
                return await super().get_server()
            except (*TRANSIENT_EXCEPTIONS, ValueError) as e:
                logger.warning("no long-poll server ({}); asking again in {:.1f} s", type(e).__name__, delay)
            except VKAPIError as e:
                if e.code not in TRANSIENT_ERRORS:
                    raise
                logger.warning("no long-poll server (VK error {}); asking again in {:.1f} s", e.code, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    def restore_server_ts(self, server: dict[str, Any]) -> dict[str, Any]:
        if self.resume_ts is not None:
            server["ts"] = self.resume_ts
        return server

    def save_server_ts(self, server: dict[str, Any]) -> None:
        return None  # `Progress` saves it once the updates are handled

    async def get_event(self, server: dict[str, Any]) -> dict[str, Any]:
        self.request_ts = str(server["ts"])
        return await super().get_event(server)

    async def handle_failed_event(self, server: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        # failed 3 ("information lost"): a new key is needed, but ask from our own ts first; if that
        # history is gone VK says failed 1 and gives the current ts.
        if event.get("failed") == 1 and self.on_gap is not None:
            # VK dropped the history between our ts and the new one: what people wrote there is
            # fetched from the conversations VK lists as unanswered.
            self.on_gap()
        if event.get("failed") == 3 and server.get("ts") is not None:
            fresh = await self.get_server()
            fresh["ts"] = server["ts"]
            return fresh
        return await super().handle_failed_event(server, event)


@dataclass
class _Batch:
    request_ts: str
    next_ts: str
    pending: int


class Progress:
    """The ts to resume from: the oldest batch with an unfinished update, else the newest ts."""

    def __init__(self, events: EventRepo) -> None:
        self.events = events
        self._batches: deque[_Batch] = deque()
        self._changed = asyncio.Event()
        self._resume: str | None = None
        self._saved: str | None = None

    def add(self, request_ts: str, next_ts: str, tasks: list[asyncio.Task[None]]) -> None:
        batch = _Batch(request_ts, next_ts, len(tasks))
        self._batches.append(batch)

        def done(_: asyncio.Task[None]) -> None:
            batch.pending -= 1
            self._changed.set()

        for task in tasks:
            task.add_done_callback(done)
        self._changed.set()

    def resume_ts(self) -> str | None:
        while self._batches and self._batches[0].pending == 0:
            self._resume = self._batches.popleft().next_ts
        return self._batches[0].request_ts if self._batches else self._resume

    async def save(self) -> None:
        ts = self.resume_ts()
        if ts is not None and ts != self._saved:
            await self.events.save_ts(ts)
            self._saved = ts

    async def run(self, stop: asyncio.Event) -> None:
        """Save the resume ts whenever it moves, until `stop`; then once more."""
        while not stop.is_set():
            waiter = asyncio.create_task(self._changed.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
            self._changed.clear()
            try:
                await self.save()
            except Exception:  # a missed save only means some updates are seen twice after a crash
                logger.exception("could not save the long-poll ts")
        await self.save()


RECOVER_PAGES = 5  # 1,000 conversations: more than a gap of a few seconds can leave


async def recover_unanswered(api: API, group_id: int, feed: Callable[[dict[str, Any]], object]) -> int:
    """Feed the last message of every private conversation VK lists as unanswered. A message already
    handled is recognised by its conversation message id, so this is safe at any time."""
    fed = 0
    for page in range(RECOVER_PAGES):
        body = (await api.request("messages.getConversations", {
            "filter": "unanswered", "count": 200, "offset": page * 200, "group_id": group_id}))["response"]
        items = body.get("items") or []
        for item in items:
            message = item.get("last_message") or {}
            peer = message.get("peer_id")
            if not isinstance(peer, int) or peer >= CHAT_BASE or message.get("out") == 1:
                continue  # chats: people talk among themselves there; not every message wants an answer
            feed({"type": "message_new", "event_id": f"recovered:{peer}:{message.get('conversation_message_id')}",
                  "object": {"message": message, "client_info": {}}})
            fed += 1
        if len(items) < 200:
            break
    if fed:
        logger.warning("recovered {} unanswered conversations after a long-poll gap", fed)
    return fed
