"""From a messenger's updates to handlers: one person's events in arrival order, each event once.

Each update gets a task (so people do not wait for each other), but tasks of one sender queue on that sender's
lock in arrival order. Handling is atomic: one database transaction holds the event's "handled" mark,
everything the handler wrote and the reply it queued in the outbox. A crash before the commit leaves no trace
(the event is handled again from scratch); after it, a re-delivery finds the mark and is skipped. A handler that
fails has its writes undone and the person's apology is committed with the mark. When the database cannot write
(a full disk), the event stays unhandled and is tried again. The VK and MAX adapters feed it, each with its
`resolve`: the messenger's own ids turned into ours inside the same transaction (nothing written outside it).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from loguru import logger

from bot.metrics import Metrics
from bot.views.message import Incoming
from storage.chats import EventRepo
from storage.db import unavailable


def dedup_key(incoming: Incoming) -> str:
    """A message is known by its place in its conversation, so the same message seen through the
    long poll and through recovery of unanswered conversations is handled once."""
    cmid = incoming.conversation_message_id
    if incoming.kind == "message" and isinstance(cmid, int) and cmid > 0:
        # date and text too: conversation ids start again if the bot is moved to another community
        payload = {"cmd": incoming.command, **incoming.args} if incoming.command else None
        digest = hashlib.sha1(f"{incoming.date}:{incoming.text}:{payload}".encode()).hexdigest()[:12]
        return f"m{incoming.peer}:{cmid}:{digest}"
    return incoming.event_id


Handler = Callable[[Incoming], Awaitable[None]]
Prepare = Callable[[Incoming], Awaitable[Incoming | None]]
ErrorHook = Callable[[BaseException, Incoming], Awaitable[None]]
Resolve = Callable[[Incoming], Awaitable[Incoming]]
RETRY_CAP_S = 30.0  # how long an event waits, at most, between tries while the database cannot write


async def _nothing(incoming: Incoming) -> None:
    return None


async def _as_is(incoming: Incoming) -> Incoming:
    return incoming


@dataclass
class Dispatcher:
    handler: Handler
    events: EventRepo
    on_error: ErrorHook
    # outside the transaction, first: what must not wait (a press's answer to the messenger) and what must not hold the
    # database while it waits (a sent file's download); may return the update with more in it
    before: Prepare = _nothing
    on_unavailable: Handler = _nothing  # the database cannot write: tell the person without it
    # inside the transaction, before the handler: the adapter's ids as ours (by the update's messenger)
    resolvers: dict[str, Resolve] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=Metrics)
    _locks: dict[Hashable, asyncio.Lock] = field(default_factory=dict)
    _waiting: dict[Hashable, int] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def feed_incoming(self, incoming: Incoming) -> asyncio.Task[None]:
        """Handle an update already read: a task of its own, queued behind the sender's earlier ones."""
        # Creating the task here, in arrival order, and taking the lock as its first step
        # keeps one sender's events in order (asyncio.Lock wakes waiters first-in first-out).
        task = asyncio.create_task(self._run(incoming))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, incoming: Incoming) -> None:
        key = (incoming.messenger, incoming.from_id)  # the messenger's own id: not resolved yet
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await self._handle(incoming)
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def _handle(self, incoming: Incoming) -> None:
        incoming = await self.before(incoming) or incoming
        dedup = dedup_key(incoming)
        delay, told = 1.0, False
        while True:
            try:
                await self._handle_once(incoming, dedup)
                return
            except Exception as e:
                if not unavailable(e):
                    logger.opt(exception=e).error("a {} update could not be handled", incoming.kind)
                    return
                logger.warning("the database cannot write ({}); the update is tried again in {:.0f} s", e, delay)
            if not told:
                told = True
                try:
                    await self.on_unavailable(incoming)
                except Exception:  # best effort: the messenger may be unreachable too
                    logger.warning("could not tell the person about the fault")
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_CAP_S)

    async def _handle_once(self, incoming: Incoming, dedup: str) -> None:
        db = self.events.db
        started = time.perf_counter()
        outcome = "handled"
        async with db.transaction():
            # several instances behind the webhooks: one sender's updates one after the other, as here in-process
            await db.serialize(f"{incoming.messenger}:{incoming.from_id}")
            if dedup and not await self.events.claim(dedup):
                logger.debug("duplicate event {} skipped", dedup)
                outcome = "duplicate"
            else:
                # outside the savepoint: the apology of a failed handler goes to the person the ids resolved to
                incoming = await self.resolvers.get(incoming.messenger, _as_is)(incoming)
                try:
                    async with db.savepoint():
                        await self.handler(incoming)
                except Exception as e:  # one bad update must not stop the bot
                    if unavailable(e):
                        raise
                    outcome = "failed"
                    await self.on_error(e, incoming)
        # counted once committed: an update whose transaction could not commit is tried again, not counted twice
        self.metrics.updates.labels(incoming.messenger, outcome).inc()
        if outcome != "duplicate":
            self.metrics.handler_seconds.labels(incoming.messenger).observe(time.perf_counter() - started)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def drain(self, grace_seconds: float) -> bool:
        """Wait for in-flight handlers; False if some were still running at the timeout."""
        if not self._tasks:
            return True
        done, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        return not pending
