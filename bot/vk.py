"""The one place that talks to VK: messages, names, document uploads. Retries what is transient."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
from collections.abc import AsyncIterator, Callable

import aiohttp
from loguru import logger
from vkbottle import API, DocMessagesUploader, PhotoMessageUploader, VKAPIError

from storage.outbox import OutboxRepo, OutMessage

MESSAGE_LIMIT = 4096
TRANSIENT_CODES = {6, 9, 10}


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


class RateLimiter:
    """At most `per_second` requests reach VK in any rolling second (a community may make 20/s).

    A slot is counted from the moment its answer arrives, and requests still in flight hold
    theirs: the server's arrival time lies between our send and our receipt, so spacing
    measured from receipts can never look denser to VK than the limit, however the network
    bunches requests. Waiters are served urgent first (replies to people), then in order."""

    def __init__(self, per_second: int = 20, window: float = 1.0) -> None:
        self.per_second = per_second
        self.window = window
        self._done: collections.deque[float] = collections.deque()
        self._in_flight = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = 0
        self._timer: asyncio.TimerHandle | None = None
        self._gap = window / per_second
        self._last_grant = float("-inf")

    def _pump(self) -> None:
        """Grant free slots to waiters in (urgency, arrival) order; wake again when one frees."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._done and now - self._done[0] >= self.window:
            self._done.popleft()
        # Grants are spaced evenly (window / per_second apart) instead of in bursts of 20 at once,
        # so whoever comes next, a reply in particular, never waits long for a slot.
        while (self._waiters and len(self._done) + self._in_flight < self.per_second
               and now - self._last_grant >= self._gap):
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                self._in_flight += 1
                self._last_grant = now
                future.set_result(None)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._waiters:
            wake = self._last_grant + self._gap - now
            if self._done and len(self._done) + self._in_flight >= self.per_second:
                wake = max(wake, self.window - (now - self._done[0]))
            if wake > 0 or len(self._done) + self._in_flight < self.per_second:
                self._timer = loop.call_later(max(0.0, wake), self._pump)

    @contextlib.asynccontextmanager
    async def slot(self, urgent: bool = True) -> AsyncIterator[None]:
        """`urgent=False` (bulk sends) lets urgent callers waiting at the same time go first."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._waiters, (0 if urgent else 1, self._seq, future))
        self._pump()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release()  # granted just as we were cancelled: give the slot back
            raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        self._in_flight -= 1
        self._done.append(asyncio.get_running_loop().time())
        self._pump()


class LimitedAPI(API):
    """vkbottle's API with every method call (ours, the long-poll client's, uploaders') under one limiter."""

    def __init__(self, token: str, limiter: RateLimiter | None = None) -> None:
        super().__init__(token)
        self.limiter = limiter or RateLimiter()

    async def request(self, method: str, data: dict, version: str | None = None, *, urgent: bool = True) -> dict:
        async with self.limiter.slot(urgent):
            return await super().request(method, data, version)


class VkGateway:
    """Messages go to the outbox (the sender delivers them); other calls go to VK directly."""

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
                if e.code not in TRANSIENT_CODES or attempt == self.retries:
                    raise
            except (TimeoutError, aiohttp.ClientError, ValueError):
                # ValueError: an HTML 5xx page that is not JSON
                if attempt == self.retries:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

    async def send(self, peer_id: int, text: str, keyboard: str | None = None,
                   attachment: str | None = None) -> None:
        """A reply to a person: queued ahead of bulk sends."""
        await self.outbox.add(compose(peer_id, text, keyboard, attachment), priority=0)
        self.wake_sender()

    async def send_bulk(self, messages: list[OutMessage]) -> int:
        """Reminders, summaries: queued behind replies; messages with a known dedup_key are skipped."""
        added = await self.outbox.add(messages, priority=1)
        self.wake_sender()
        return added

    async def answer_event(self, event_id: str, user_id: int, peer_id: int) -> None:
        await self._call("messages.sendMessageEventAnswer",
                         {"event_id": event_id, "user_id": user_id, "peer_id": peer_id})

    async def user_name(self, vk_id: int) -> tuple[str, str]:
        try:
            response = (await self._call("users.get", {"user_ids": vk_id}))["response"]
        except (TimeoutError, VKAPIError, aiohttp.ClientError, ValueError):
            logger.warning("users.get failed; registering without a name")
            return "", ""
        if not response:
            return "", ""
        return response[0].get("first_name", ""), response[0].get("last_name", "")

    async def upload_photo(self, peer_id: int, data: bytes) -> str:
        return await PhotoMessageUploader(self.api).upload(data, peer_id=peer_id)

    async def upload_document(self, peer_id: int, data: bytes, title: str) -> str:
        return await DocMessagesUploader(self.api).upload(data, title=title, peer_id=peer_id)
