"""MAX beside VK in one installation: MAX's long polling feeds the same dispatcher core, handlers and database;
its own sender delivers the outbox's MAX rows.

The marker is saved only when every update before it has been handled (or skipped as a duplicate): after a
crash the updates since the saved marker come again and the dispatcher's "handled" marks drop the ones done.
While running, the next poll starts from the marker MAX last gave (kept in memory), not the saved one: handlers
still at work must not have their updates read, acknowledged and downloaded a second time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from loguru import logger

from bot.dispatch import Dispatcher
from bot.max.api import TRANSIENT_EXCEPTIONS, MaxApi, MaxError
from bot.max.messenger import MaxMessenger
from bot.max.sender import MaxSender
from bot.max.updates import MAX, MaxUpdates
from storage.accounts import MaxAccountRepo

POLL_S = 30  # MAX holds a long poll at most 30 s since May 2026 (and takes 2 polls a second, keeping events 24 h)
# At most 2 polls start in a second (dev.max.ru/help/events: polling is limited in rate). 0.5 s apart by our clock
# could land three in one second by MAX's (a poll sent late, the next on time): 0.6 leaves the jitter room.
POLL_GAP_S = 0.6
POLL_LIMIT = 1000  # updates a poll may bring (the document's maximum): 2 polls a second then read 2,000 updates
TYPES = "message_created,message_callback,bot_started,bot_stopped,bot_added,bot_removed"


class MaxSide:
    def __init__(self, api: MaxApi, accounts: MaxAccountRepo, updates: MaxUpdates, messenger: MaxMessenger,
                 sender: MaxSender, dispatcher: Dispatcher) -> None:
        self.api = api
        self.accounts = accounts
        self.updates = updates
        self.messenger = messenger
        self.sender = sender
        self.dispatcher = dispatcher
        dispatcher.resolvers[MAX] = updates.resolve
        self._saving: asyncio.Task[None] | None = None
        self._read: int | None = None  # the marker of the last poll: read up to here, maybe not handled yet
        self._polled = float("-inf")  # when the last poll started: MAX takes 2 a second
        self.poll_gap_s = POLL_GAP_S

    async def me(self) -> dict[str, Any]:
        """`GET /me`: the bot MAX knows by the token (its username addresses it in group chats)."""
        me = await self.api.request("GET", "/me")
        self.updates.nick = str(me.get("username") or "")
        self.updates.username = self.updates.nick.lower()
        return me

    async def poll_once(self, wait_s: int = 0) -> int:
        """One long poll from the saved marker: its updates handed to the dispatcher, the marker saved once they
        are all handled. Returns how many updates came."""
        pause = self._polled + self.poll_gap_s - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        self._polled = time.monotonic()
        marker = self._read if self._read is not None else await self.accounts.saved_marker()
        params: dict[str, Any] = {"timeout": wait_s, "limit": POLL_LIMIT, "types": TYPES}
        if marker is not None:
            params["marker"] = marker
        answer = await self.api.request("GET", "/updates", params, within=wait_s + 10)
        updates = answer.get("updates") or []
        tasks = []
        for update in updates:
            incoming = self.updates.incoming(update)
            if incoming is not None:
                tasks.append(self.dispatcher.feed_incoming(incoming))
        read = int(answer.get("marker") if answer.get("marker") is not None else marker or 0)
        self._read = read
        self._save_after(tasks, read)
        return len(updates)

    def _save_after(self, tasks: list[asyncio.Task[None]], marker: int) -> None:
        previous = self._saving

        async def save() -> None:
            if previous is not None:
                await previous
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.accounts.save_marker(marker)

        self._saving = asyncio.create_task(save())

    async def saved(self) -> None:
        if self._saving is not None:
            await self._saving

    async def _start_sending(self) -> tuple[asyncio.Event, asyncio.Task[None]]:
        """The bot's nick (for addressing in chats), then the sender running until the event is set."""
        try:
            await self.me()
        except (MaxError, *TRANSIENT_EXCEPTIONS):
            logger.warning("MAX GET /me failed; the bot is addressed in chats only by commands")
        sender_stop = asyncio.Event()
        return sender_stop, asyncio.create_task(self.sender.run(sender_stop))

    async def run(self, stop: asyncio.Event) -> None:
        """Poll and send until `stop`; then let handlers and their replies finish."""
        sender_stop, sending = await self._start_sending()
        if await self.accounts.saved_marker() is None:
            # a first start: without a marker MAX gives only the latest update, so a marker is taken at once
            # (a quick poll) rather than after a 30 s wait during which people's messages would pile up unread
            try:
                await self.poll_once(0)
            except (MaxError, *TRANSIENT_EXCEPTIONS):
                logger.warning("MAX's first poll failed; polling goes on")
        delay = 1.0
        while not stop.is_set():
            poll = asyncio.create_task(self.poll_once(POLL_S))
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({poll, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if poll not in done:
                poll.cancel()
                await asyncio.gather(poll, return_exceptions=True)
                break
            stopper.cancel()
            error = poll.exception()
            if error is None:
                delay = 1.0
                continue
            logger.warning("MAX long poll failed ({}); again in {:.0f} s", type(error).__name__, delay)
            await asyncio.wait([asyncio.create_task(stop.wait())], timeout=delay)
            delay = min(delay * 2, 30.0)
        await self.dispatcher.drain(10.0)
        await self.saved()
        await self.sender.drain(10.0)
        sender_stop.set()
        await sending

    async def take(self, update: dict[str, Any], within_s: float = 25.0) -> bool:
        """One update MAX delivered to the webhook: True once it is handled and committed (MAX is then answered 200),
        False when it could not be within `within_s` (MAX is answered 503 and delivers it again; the handled mark
        makes the second delivery a no-op if this one completes after all). MAX waits 30 s for the answer."""
        incoming = self.updates.incoming(update)
        if incoming is None:
            return True  # not ours to handle (a bot's message, an unknown type): taken
        task = self.dispatcher.feed_incoming(incoming)
        try:
            await asyncio.wait_for(asyncio.shield(task), within_s)
        except TimeoutError:
            return False
        return True

    async def serve_webhook(self, stop: asyncio.Event) -> None:
        """Webhook mode: updates arrive through `take` (bot/web.py); here only the sender runs until `stop`."""
        sender_stop, sending = await self._start_sending()
        await stop.wait()
        await self.dispatcher.drain(10.0)
        await self.sender.drain(10.0)
        sender_stop.set()
        await sending

    async def pump(self) -> int:
        """Tests and the sandbox: read what came, handle it, save the marker and deliver the replies."""
        n = await self.poll_once(0)
        await self.dispatcher.drain(30.0)
        await self.saved()
        await self.sender.drain(30.0)
        return n
