"""VK served: the long poll feeding the shared dispatcher, the sender delivering VK's outbox rows, and what VK needs
at start (the community's short name, the random_id counter checked against VK, unanswered conversations read
after a gap in the long poll's history). The composition root only wires it (bot/app.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from loguru import logger
from vkbottle import API

from bot.dispatch import Dispatcher
from bot.vk.polling import Polling, Progress, recover_unanswered
from bot.vk.sender import Sender
from bot.vk.updates import VkUpdates
from storage.chats import EventRepo
from storage.outbox import OutboxRepo

VK = "vk"


class VkSide:
    def __init__(self, api: API, group_id: int, updates: VkUpdates, sender: Sender, dispatcher: Dispatcher,
                 events: EventRepo, outbox: OutboxRepo, shutdown_grace: float = 10.0) -> None:
        self.api = api
        self.group_id = group_id
        self.updates = updates
        self.sender = sender
        self.dispatcher = dispatcher
        self.events = events
        self.outbox = outbox
        self.shutdown_grace = shutdown_grace
        self.confirmation = ""  # the Callback API's confirmation code (serve_callback reads it)

    def feed(self, update: dict[str, Any]) -> asyncio.Task[None] | None:
        """One of VK's updates to the dispatcher (None: not for the bot)."""
        incoming = self.updates.incoming(update)
        return self.dispatcher.feed_incoming(incoming) if incoming is not None else None

    async def take(self, event: dict[str, Any], within_s: float = 20.0) -> str | None:
        """One Callback API event (its secret already checked): the text VK expects back — the confirmation code for
        {"type": "confirmation"}, "ok" once the event is handled and committed — or None when it could not be in
        time (VK delivers it again; the handled mark makes a repeat a no-op)."""
        if int(event.get("group_id") or 0) != self.group_id:
            return "ok"  # another community's event: not ours, nothing to retry
        if event.get("type") == "confirmation":
            return self.confirmation or None
        task = self.feed(event)
        if task is None:
            return "ok"
        try:
            await asyncio.wait_for(asyncio.shield(task), within_s)
        except TimeoutError:
            return None
        return "ok"

    async def serve_callback(self, stop: asyncio.Event) -> None:
        """Callback API mode: events arrive through `take` (bot/web.py); here the sender runs until `stop`."""
        try:
            self.confirmation = (await asyncio.wait_for(self.api.request(
                "groups.getCallbackConfirmationCode", {"group_id": self.group_id}), 10))["response"]["code"]
        except Exception:  # without it VK cannot (re)confirm the server; events of a confirmed one still come
            logger.warning("could not read the Callback API confirmation code")
        learning = asyncio.create_task(self.learn_screen_name())
        await self.random_ids_past_vk()
        sender_stop = asyncio.Event()
        sender = asyncio.create_task(self.sender.run(sender_stop))
        await stop.wait()
        try:
            await self._finish_work()
        finally:
            learning.cancel()
            sender_stop.set()
            await sender

    async def _finish_work(self) -> None:
        """At a stop: handlers in flight finish and their replies go out, each within the grace period."""
        if not await self.dispatcher.drain(self.shutdown_grace):
            logger.warning("some handlers did not finish within {} s", self.shutdown_grace)
        if not await self.sender.drain(self.shutdown_grace):
            logger.warning("some messages stay in the outbox until the next start")

    async def run(self, stop: asyncio.Event) -> None:
        """Long-poll and send until `stop`; then let in-flight handlers finish and their replies go out."""
        recoveries: set[asyncio.Task[int]] = set()

        def on_gap() -> None:
            task = asyncio.create_task(self.recover())
            recoveries.add(task)
            task.add_done_callback(recoveries.discard)

        learning = asyncio.create_task(self.learn_screen_name())  # beside polling: a slow VK must not delay it
        polling = Polling(self.api, self.group_id, await self.events.saved_ts(), on_gap=on_gap)
        progress = Progress(self.events)

        async def listen() -> None:
            async for event in polling.listen():
                tasks = [t for u in event.get("updates", []) if (t := self.feed(u)) is not None]
                progress.add(polling.request_ts or str(event["ts"]), str(event["ts"]), tasks)

        await self.random_ids_past_vk()
        sender_stop = asyncio.Event()
        sender = asyncio.create_task(self.sender.run(sender_stop))
        saver = asyncio.create_task(progress.run(sender_stop))
        listener = asyncio.create_task(listen())
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({listener, stopper}, return_when=asyncio.FIRST_COMPLETED)
        polling.stop()
        for task in (listener, stopper):
            task.cancel()
        await asyncio.gather(listener, stopper, return_exceptions=True)
        try:
            if listener in done and not listener.cancelled() and listener.exception():
                raise listener.exception()  # type: ignore[misc]
            await self._finish_work()
        finally:
            learning.cancel()
            sender_stop.set()
            await sender
            await saver

    async def random_ids_past_vk(self) -> None:
        """After a backup is restored the counter of random_ids is behind what VK has seen, and VK would
        take new messages for old ones: the counter is moved past the newest id in VK's recent conversations."""
        try:
            body = await asyncio.wait_for(self.api.request("messages.getConversations", {
                "count": 200, "group_id": self.group_id}), 10)
            seen = [int(item["last_message"].get("random_id") or 0) for item in body["response"].get("items", [])
                    if (item.get("last_message") or {}).get("out")]
            seen = [random_id for random_id in seen if random_id > 0]  # the counter's; a notice's is negative
        except Exception:  # without it the bot still works; only a restored backup is at risk
            logger.warning("could not read recent conversations to check the random_id counter")
            return
        if seen and await self.outbox.set_random_floor(max(seen) + 1):
            logger.warning("the random_id counter was behind VK (a restored backup?): moved past {}", max(seen))

    async def learn_screen_name(self) -> None:
        """The community's short name, so that `/bind@name` in a chat is known as ours."""
        try:
            body = await asyncio.wait_for(self.api.request("groups.getById", {"group_id": self.group_id}), 10)
            groups = body["response"]["groups"]
            if groups and groups[0].get("screen_name"):
                self.updates.screen_names.add(str(groups[0]["screen_name"]).lower())
        except Exception:  # without it, only club<id> is recognised; the bot works all the same
            logger.warning("could not read the community's short name")

    async def recover(self) -> int:
        try:
            return await recover_unanswered(self.api, self.group_id, self.feed)
        except Exception:  # recovery is a second chance; the bot goes on without it
            logger.exception("could not read unanswered conversations")
            return 0

    async def close(self) -> None:
        await self.api.http_client.close()
