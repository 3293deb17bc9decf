"""Waiting for a sign, not for a time: a test that sleeps a fixed while passes on an idle machine and fails on a
loaded one (CI's two cores running five workers)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def wait_for(check: Callable[[], Any], limit_s: float = 30.0, seen: Callable[[], Any] | None = None,
                   every_s: float = 0.02) -> None:
    """Return once `check()` is true; fail the test after `limit_s`, saying what `seen()` shows then."""
    deadline = asyncio.get_running_loop().time() + limit_s
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out; seen: {seen() if seen else None}"
        await asyncio.sleep(every_s)
