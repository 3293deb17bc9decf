"""A rolling-second request limit shared by a messenger's callers (VK: 20/s for a community, MAX: 30/s for a bot)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
from collections.abc import AsyncIterator, Callable

# How long one call to a messenger may take before it is given up (and retried, or left to the outbox): a messenger
# that hangs — accepts a request and never answers — costs each call this much, so the first replies after it is
# back come within it (at 30 s they had come 20-37 s after VK recovered). A long poll waits its own time on top.
CALL_WITHIN_S = 10.0


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
        self.on_wait: Callable[[float], None] | None = None  # how long a granted request waited (for /metrics)

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
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        asked = loop.time()
        self._seq += 1
        heapq.heappush(self._waiters, (0 if urgent else 1, self._seq, future))
        self._pump()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release()  # granted just as we were cancelled: give the slot back
            raise
        if self.on_wait is not None:
            self.on_wait(loop.time() - asked)
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        self._in_flight -= 1
        self._done.append(asyncio.get_running_loop().time())
        self._pump()
