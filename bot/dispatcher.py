"""From long-poll updates to handlers: one user's events in arrival order, each event once.

vkbottle runs every update as its own task, so two quick messages from one person could be
handled out of order or interleaved. Here each update still gets a task (so people do not
wait for each other), but tasks of one sender queue on that sender's lock in arrival order,
and an event id seen before is skipped.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

from storage.chats import EventRepo

CHAT_BASE = 2_000_000_000


@dataclass(frozen=True)
class Incoming:
    """An update as handlers see it. Text and payload are untrusted input."""

    kind: str  # 'message' | 'callback' | 'allow' | 'deny'
    event_id: str
    from_id: int
    peer_id: int
    text: str = ""
    payload: dict[str, Any] | None = None
    callback_event_id: str | None = None
    conversation_message_id: int | None = None
    date: int = 0

    @property
    def dedup_key(self) -> str:
        """A message is known by its place in its conversation, so the same message seen through the
        long poll and through recovery of unanswered conversations is handled once."""
        if self.kind == "message" and isinstance(self.conversation_message_id, int) and self.conversation_message_id > 0:
            # date and text too: conversation ids start again if the bot is moved to another community
            digest = hashlib.sha1(f"{self.date}:{self.text}:{self.payload}".encode()).hexdigest()[:12]
            return f"m{self.peer_id}:{self.conversation_message_id}:{digest}"
        return self.event_id

    @property
    def in_chat(self) -> bool:
        return self.peer_id >= CHAT_BASE

    @property
    def command(self) -> str | None:
        """The payload's command name, if it is one of ours in shape (a short string)."""
        if self.payload is None:
            return None
        cmd = self.payload.get("cmd")
        return cmd if isinstance(cmd, str) and len(cmd) <= 32 else None


def _payload(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or len(raw) > 4096:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def parse_update(update: dict[str, Any]) -> Incoming | None:
    kind = update.get("type")
    obj = update.get("object") or {}
    event_id = str(update.get("event_id") or "")
    try:
        if kind == "message_new":
            msg = obj.get("message") or {}
            text = msg.get("text") or ""
            return Incoming("message", event_id, int(msg["from_id"]), int(msg["peer_id"]),
                            text if isinstance(text, str) else "", _payload(msg.get("payload")),
                            conversation_message_id=msg.get("conversation_message_id"),
                            date=int(msg.get("date") or 0))
        if kind == "message_event":
            return Incoming("callback", event_id, int(obj["user_id"]), int(obj["peer_id"]),
                            payload=_payload(obj.get("payload")), callback_event_id=str(obj.get("event_id")),
                            conversation_message_id=obj.get("conversation_message_id"))
        if kind in ("message_allow", "message_deny"):
            uid = int(obj["user_id"])
            return Incoming(kind.removeprefix("message_"), event_id, uid, uid)
    except (KeyError, TypeError, ValueError):
        logger.warning("malformed {} update skipped", kind)
    return None


Handler = Callable[[Incoming], Awaitable[None]]
ErrorHook = Callable[[BaseException, Incoming], Awaitable[None]]


@dataclass
class Dispatcher:
    handler: Handler
    events: EventRepo
    on_error: ErrorHook
    _locks: dict[int, asyncio.Lock] = field(default_factory=dict)
    _waiting: dict[int, int] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def feed(self, update: dict[str, Any]) -> asyncio.Task[None] | None:
        incoming = parse_update(update)
        if incoming is None:
            return None
        # Creating the task here, in arrival order, and taking the lock as its first step
        # keeps one sender's events in order (asyncio.Lock wakes waiters first-in first-out).
        task = asyncio.create_task(self._run(incoming))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, incoming: Incoming) -> None:
        key = incoming.from_id
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                dedup = incoming.dedup_key
                if dedup and not await self.events.claim(dedup):
                    logger.debug("duplicate event {} skipped", dedup)
                    return
                try:
                    await self.handler(incoming)
                except Exception as e:  # one bad update must not stop the bot
                    await self.on_error(e, incoming)
                if dedup:
                    await self.events.finish(dedup)
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                del self._waiting[key]
                self._locks.pop(key, None)

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
