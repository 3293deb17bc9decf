"""What every messenger's sender does alike with the outbox, given the messenger's own steps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def drain(send: Callable[[], Awaitable[int]], pending: Callable[[], Awaitable[bool]],
                busy: Callable[[], bool], refused: Callable[[], bool] = lambda: False,
                limit_s: float = 30.0) -> bool:
    """Send until nothing is pending (tests, run-job, shutdown); False if time ran out or the messenger refuses the
    token. Whether anything is pending is asked first: one trip to the database when nothing is, where trying to
    send first took three (a claim's two, then the count) — a test drains after every message it types."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if not busy() and not await pending():
            return True
        if await send() == 0:
            if refused():
                return False  # the token is refused (and was just tried): waiting here would send nothing
            await asyncio.sleep(0.02)
    return False
