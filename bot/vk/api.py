"""VK API access: one rate limiter for every call (ours, the long poll's, the uploaders')."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from vkbottle import API
from vkbottle.api.request_rescheduler import ABCRequestRescheduler

# VK errors worth retrying later: 1 unknown error, 6 too many requests, 9 flood control, 10 internal error.
TRANSIENT_ERRORS = frozenset({1, 6, 9, 10})


class VkUnavailable(aiohttp.ClientError):
    """VK answered with something that is not JSON (a 5xx page): try again later."""


# What a call may raise when VK or the network is briefly down; callers retry these, later.
TRANSIENT_EXCEPTIONS: tuple[type[BaseException], ...] = (TimeoutError, aiohttp.ClientError, OSError)


class RaiseInstead(ABCRequestRescheduler):
    """vkbottle's default answer to a 5xx is to sleep and call again *inside* the failed call; under a
    rate limiter that nested call needs a second slot while the first is held, and 20 of them waiting
    at once hold every slot for good. The call fails instead, and its caller retries with its slot free."""

    async def reschedule(self, ctx_api: Any, method: str, data: dict[str, Any], recent_response: Any) -> dict:
        raise VkUnavailable(f"{method}: VK answered with no JSON")


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
    """vkbottle's API with every method call (ours, the long-poll client's, uploaders') under one limiter.

    A slot is held only for the HTTP exchange, never while retrying, and every exchange has a timeout:
    a VK that does not answer costs a caller `timeout` seconds, not the bot its traffic."""

    def __init__(self, token: str, limiter: RateLimiter | None = None, timeout: float = 30.0) -> None:
        super().__init__(token, request_rescheduler=RaiseInstead())
        self.limiter = limiter or RateLimiter()
        self.timeout = timeout

    async def request(self, method: str, data: dict, version: str | None = None, *, urgent: bool = True) -> dict:
        data = await self.validate_request(data)
        async with self.limiter.slot(urgent), self.token_generator as token:
            response = await asyncio.wait_for(self.http_client.request_text(
                self.API_URL + method, method="POST", data=data,
                params={"access_token": token, "v": version or self.API_VERSION}), self.timeout)
        return await self.validate_response(method, data, response)


def connect(token: str, api_url: str, requests_per_second: int) -> LimitedAPI:
    """The API client the bot and the operator's commands use."""
    api = LimitedAPI(token, RateLimiter(requests_per_second or 1_000_000))
    api.API_URL = api_url
    return api
