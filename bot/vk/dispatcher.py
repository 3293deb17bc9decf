"""From long-poll updates to handlers: one user's events in arrival order, each event once.

vkbottle runs every update as its own task, so two quick messages from one person could be
handled out of order or interleaved. Here each update still gets a task (so people do not
wait for each other), but tasks of one sender queue on that sender's lock in arrival order.

Handling is atomic: one database transaction holds the event's "handled" mark, everything the
handler wrote and the reply it queued in the outbox. A crash before the commit leaves no trace
(the event is handled again from scratch); after it, a re-delivery finds the mark and is skipped.
A handler that fails has its writes undone and the person's apology is committed with the mark.
When the database cannot write (a full disk), the event stays unhandled and is tried again.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from loguru import logger

from bot.views.message import Document, Incoming
from bot.vk.keyboards import decode_payload
from storage.chats import EventRepo
from storage.db import unavailable

CHAT_BASE = 2_000_000_000  # VK's peer ids of group chats start here
_MENTION = re.compile(r"^\s*\[(?:club|public)(?P<id>\d+)\|[^\]]*\]\s*[,:]?\s*")
_PLAIN_MENTION = re.compile(r"^\s*@(?P<name>[A-Za-z0-9_.]+)\s*[,:]?\s*")  # typed, not picked from VK's list
_ADDRESSED_COMMAND = re.compile(r"^(?P<command>/\S+?)@(?P<name>[A-Za-z0-9_.]+)")


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


def parse_update(update: dict[str, Any]) -> Incoming | None:
    kind = update.get("type")
    obj = update.get("object") or {}
    event_id = str(update.get("event_id") or "")
    try:
        if kind == "message_new":
            # before Long Poll version 5.103 the object is the message itself (`run` refuses such a
            # community, but its settings can change under a running bot)
            msg = obj.get("message") or ({} if "message" in obj else obj)
            text = msg.get("text") or ""
            peer = int(msg["peer_id"])
            command, args = decode_payload(msg.get("payload"))
            return Incoming("message", event_id, int(msg["from_id"]), peer, peer >= CHAT_BASE,
                            text if isinstance(text, str) else "", command, args,
                            conversation_message_id=msg.get("conversation_message_id"),
                            date=int(msg.get("date") or 0), documents=_documents(msg.get("attachments")))
        if kind == "message_event":
            peer = int(obj["peer_id"])
            command, args = decode_payload(obj.get("payload"))
            return Incoming("callback", event_id, int(obj["user_id"]), peer, peer >= CHAT_BASE,
                            command=command, args=args, callback_id=str(obj.get("event_id")),
                            conversation_message_id=obj.get("conversation_message_id"))
        if kind in ("message_allow", "message_deny"):
            uid = int(obj["user_id"])
            return Incoming("allow" if kind == "message_allow" else "deny", event_id, uid, uid)
    except (KeyError, TypeError, ValueError):
        logger.warning("malformed {} update skipped", kind)
    return None


def _documents(attachments: Any) -> tuple[Document, ...]:
    """The files (VK's "doc" attachments) of a message; anything malformed is left out."""
    out = []
    for a in attachments if isinstance(attachments, list) else []:
        doc = a.get("doc") if isinstance(a, dict) and a.get("type") == "doc" else None
        if isinstance(doc, dict) and isinstance(doc.get("url"), str) and isinstance(doc.get("title"), str):
            size = doc.get("size")
            out.append(Document(doc["title"][:200], doc["url"], size if isinstance(size, int) else 0))
    return tuple(out)


Handler = Callable[[Incoming], Awaitable[None]]
Prepare = Callable[[Incoming], Awaitable[Incoming | None]]
ErrorHook = Callable[[BaseException, Incoming], Awaitable[None]]
RETRY_CAP_S = 30.0  # how long an event waits, at most, between tries while the database cannot write


async def _nothing(incoming: Incoming) -> None:
    return None


@dataclass
class Dispatcher:
    handler: Handler
    events: EventRepo
    on_error: ErrorHook
    # outside the transaction, first: what must not wait (a press's answer to VK) and what must not hold the
    # database while it waits (a sent file's download); may return the update with more in it
    before: Prepare = _nothing
    on_unavailable: Handler = _nothing  # the database cannot write: tell the person without it
    group_id: int = 0  # our community: chat messages addressed to another one are not ours to answer
    screen_names: set[str] = field(default_factory=set)  # "club1" and, once VK has told us, our short name
    _locks: dict[int, asyncio.Lock] = field(default_factory=dict)
    _waiting: dict[int, int] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def feed(self, update: dict[str, Any]) -> asyncio.Task[None] | None:
        incoming = parse_update(update)
        if incoming is not None and incoming.in_chat and incoming.kind == "message":
            incoming = self._joined(update) or self._addressed(incoming)
        if incoming is None:
            return None
        # Creating the task here, in arrival order, and taking the lock as its first step
        # keeps one sender's events in order (asyncio.Lock wakes waiters first-in first-out).
        task = asyncio.create_task(self._run(incoming))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _joined(self, update: dict[str, Any]) -> Incoming | None:
        """The community was added to a chat (VK sends that to the bot whatever its access): an update whose
        text is how to address the bot there, so the welcome can say it."""
        message = (update.get("object") or {}).get("message") or {}
        action = message.get("action") or {}
        if action.get("type") != "chat_invite_user" or action.get("member_id") != -self.group_id:
            return None
        name = next((n for n in sorted(self.screen_names) if not n.startswith(("club", "public"))),
                    f"club{self.group_id}")
        return Incoming("joined", str(update.get("event_id") or ""), int(message.get("from_id") or 0),
                        int(message["peer_id"]), True, f"@{name}")

    def _addressed(self, incoming: Incoming) -> Incoming | None:
        """A chat message with our mention or `/command@our_name` loses the address; one addressed to
        another community (`[club999|@other] /bind`, `/bind@other_bot`) is dropped: several bots may
        share a coordinators' chat, and each answers only what is meant for it."""
        text = incoming.text
        ours = self.screen_names | {f"club{self.group_id}", f"public{self.group_id}"}
        mention = _MENTION.match(text)
        plain = _PLAIN_MENTION.match(text)
        if mention:
            if int(mention["id"]) != self.group_id:
                return None
            text = text[mention.end():]
        elif plain:
            if plain["name"].lower() not in ours:
                return None  # a person or another bot is addressed
            text = text[plain.end():]
        command = _ADDRESSED_COMMAND.match(text)
        if command:
            name = command["name"].lower()
            if name not in ours:
                return None
            text = command["command"] + text[command.end():]
        return replace(incoming, text=text) if text != incoming.text else incoming

    async def _run(self, incoming: Incoming) -> None:
        key = incoming.from_id
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
                except Exception:  # best effort: VK may be unreachable too
                    logger.warning("could not tell the person about the fault")
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_CAP_S)

    async def _handle_once(self, incoming: Incoming, dedup: str) -> None:
        db = self.events.db
        async with db.transaction():
            if dedup and not await self.events.claim(dedup):
                logger.debug("duplicate event {} skipped", dedup)
                return
            try:
                async with db.savepoint():
                    await self.handler(incoming)
            except Exception as e:  # one bad update must not stop the bot
                if unavailable(e):
                    raise
                await self.on_error(e, incoming)

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
