"""build_app: every object the bot needs, created in one place (CLI, sandbox and tests share it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from loguru import logger
from vkbottle import API

from bot.config import Config
from bot.core import Clock, open_core
from bot.dispatch import Dispatcher
from bot.domain.schedule import ItemSettings
from bot.max.api import MaxApi
from bot.max.messenger import MaxMessenger
from bot.max.sender import MaxSender
from bot.max.side import MaxSide
from bot.max.updates import Translator
from bot.services.dialogs import DialogService
from bot.services.items import ItemService
from bot.services.jobs import JobRunner
from bot.services.people import PeopleService
from bot.services.registry import Services
from bot.views import texts
from bot.views.message import Buttons, Incoming, Outgoing, Reply
from bot.vk.api import connect
from bot.vk.dispatcher import VkDispatcher
from bot.vk.messenger import VkMessenger
from bot.vk.polling import Polling, Progress, recover_unanswered
from bot.vk.sender import Sender
from handlers import Context, main_menu, route
from storage.db import Database
from storage.repositories import Repositories


class NoMessenger(Exception):
    """A message to a person of a messenger that is not configured (its section was removed after they registered)."""


class Messengers:
    """The messenger port over VK and MAX: a peer is VK's when positive, MAX's when negative (storage/accounts.py),
    so services and handlers never ask which messenger a person writes from."""

    def __init__(self, vk: VkMessenger | None, max_: MaxMessenger | None = None) -> None:
        self.vk = vk
        self.max = max_

    def invite_links(self, code: str) -> list[tuple[str, str]]:
        """(column, link) for each messenger that can open the bot with an invite code."""
        return [link for m in (self.vk, self.max) if m is not None and (link := m.invite_link(code)) is not None]

    def of(self, peer: int) -> VkMessenger | MaxMessenger:
        messenger = self.max if peer < 0 else self.vk
        if messenger is None:
            raise NoMessenger(peer)
        return messenger

    async def send(self, peer: int, reply: Reply, menu: Buttons | None = None) -> None:
        await self.of(peer).send(peer, reply, menu)

    async def send_bulk(self, messages: list[Outgoing]) -> int:
        vk = [m for m in messages if m.peer >= 0]
        mx = [m for m in messages if m.peer < 0]
        for name, lost, messenger in (("vk", vk, self.vk), ("max", mx, self.max)):
            if lost and messenger is None:
                logger.warning("{} messages dropped: [{}] is not in config.toml", len(lost), name)
        return (await self.vk.send_bulk(vk) if vk and self.vk else 0) + \
            (await self.max.send_bulk(mx) if mx and self.max else 0)

    async def send_now(self, peer: int, text: str, key: str) -> None:
        await self.of(peer).send_now(peer, text, key)

    async def acknowledge(self, incoming: Incoming) -> None:
        await self.of(incoming.peer).acknowledge(incoming)

    async def user_name(self, user_id: int) -> tuple[str, str]:
        return await self.of(user_id).user_name(user_id)


@dataclass
class App:
    config: Config
    repos: Repositories
    services: Services
    api: API | None  # None: no [vk] (a MAX-only installation)
    messenger: Messengers
    sender: Sender | None
    clock: Clock
    max: MaxSide | None = None  # [max] in config.toml and MAX_TOKEN: MAX served beside VK
    raise_errors: bool = False
    schedule: bool = True
    handler_errors: list[BaseException] = field(default_factory=list)
    dispatcher: VkDispatcher = field(init=False)
    shutdown_grace: float = 10.0

    def __post_init__(self) -> None:
        group_id = self.config.vk.group_id if self.config.vk is not None else 0
        self.dispatcher = VkDispatcher(self.handle, self.repos.events, self.on_error, before=self.before,
                                       on_unavailable=self.on_unavailable, group_id=group_id)

    @property
    def db(self) -> Database:
        return self.repos.db

    async def handle(self, incoming: Incoming) -> None:
        if incoming.kind == "allow":
            await self.repos.outbox.reachable_again(incoming.from_id)
            return
        if incoming.kind == "deny":
            await self.repos.outbox.mark_unreachable(incoming.from_id, 901)
            return
        actor = await self.services.access.actor(incoming.from_id)
        await route(Context(incoming, actor, self.services, self.messenger, main_menu, self.clock()))

    async def before(self, incoming: Incoming) -> Incoming | None:
        """Outside the handler's transaction: VK's client spins until a press is answered; a file a person
        sent is downloaded here, so the database is not held while VK's file server answers."""
        messenger = self.messenger.of(incoming.peer)
        if incoming.callback_id:  # VK: a callback button; MAX: any button (MAX's are all callbacks)
            await messenger.acknowledge(incoming)
        if incoming.kind == "message" and not incoming.in_chat and incoming.documents:
            documents = []
            for doc in incoming.documents[:MAX_DOCUMENTS]:
                data = await messenger.download(doc.url, MAX_DOCUMENT_BYTES) \
                    if doc.size <= MAX_DOCUMENT_BYTES else None
                documents.append(replace(doc, data=data))
            return replace(incoming, documents=tuple(documents))
        return None

    async def on_unavailable(self, incoming: Incoming) -> None:
        """The database cannot write: the person hears it straight from VK; their message is kept and
        handled when the database writes again."""
        if incoming.kind in ("message", "callback") and not incoming.in_chat:
            await self.messenger.send_now(incoming.peer, texts.STORAGE_DOWN, f"down:{incoming.event_id}")

    async def on_error(self, error: BaseException, incoming: Incoming) -> None:
        self.handler_errors.append(error)
        logger.opt(exception=error).error("handler failed on a {} update", incoming.kind)
        if self.raise_errors:
            return  # tests assert handler_errors is empty; no apology message muddies the record
        if incoming.kind == "message" and not incoming.in_chat:
            try:
                await self.messenger.send(incoming.peer, Reply(texts.ERROR))
            except Exception:  # the apology is best effort; the error is already logged
                logger.warning("could not tell the user about the error")

    async def run_polling(self, stop: asyncio.Event) -> None:
        """Long-poll each messenger and send until `stop` is set; then let in-flight handlers finish and their
        replies go out (each within a grace period) before returning."""
        scheduler = self._start_scheduler() if self.schedule else None
        max_stop = asyncio.Event()
        max_running = asyncio.create_task(self.max.run(max_stop)) if self.max is not None else None
        try:
            if self.api is not None and self.sender is not None and self.config.vk is not None:
                await self._run_vk(stop, self.api, self.sender, self.config.vk.group_id)
            else:
                await stop.wait()
        finally:
            max_stop.set()
            if max_running is not None:
                await asyncio.gather(max_running, return_exceptions=True)
            if scheduler is not None:
                scheduler.shutdown(wait=False)

    async def _run_vk(self, stop: asyncio.Event, api: API, vk_sender: Sender, group_id: int) -> None:
        recoveries: set[asyncio.Task[int]] = set()

        def on_gap() -> None:
            task = asyncio.create_task(self._recover())
            recoveries.add(task)
            task.add_done_callback(recoveries.discard)

        learning = asyncio.create_task(self._learn_screen_name())  # beside polling: a slow VK must not delay it
        polling = Polling(api, group_id, await self.repos.events.saved_ts(), on_gap=on_gap)
        progress = Progress(self.repos.events)

        async def listen() -> None:
            async for event in polling.listen():
                tasks = [t for u in event.get("updates", []) if (t := self.dispatcher.feed(u)) is not None]
                progress.add(polling.request_ts or str(event["ts"]), str(event["ts"]), tasks)

        await self._random_ids_past_vk()
        sender_stop = asyncio.Event()
        sender = asyncio.create_task(vk_sender.run(sender_stop))
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
            if not await self.dispatcher.drain(self.shutdown_grace):
                logger.warning("some handlers did not finish within {} s", self.shutdown_grace)
            if not await vk_sender.drain(self.shutdown_grace):
                logger.warning("some messages stay in the outbox until the next start")
        finally:
            learning.cancel()
            sender_stop.set()
            await sender
            await saver

    async def _random_ids_past_vk(self) -> None:
        """After a backup is restored the counter of random_ids is behind what VK has seen, and VK would
        take new messages for old ones: the counter is moved past the newest id in VK's recent conversations."""
        try:
            body = await asyncio.wait_for(self.api.request("messages.getConversations", {
                "count": 200, "group_id": self.config.vk.group_id}), 10)
            seen = [int(item["last_message"].get("random_id") or 0) for item in body["response"].get("items", [])
                    if (item.get("last_message") or {}).get("out")]
        except Exception:  # without it the bot still works; only a restored backup is at risk
            logger.warning("could not read recent conversations to check the random_id counter")
            return
        if seen and await self.repos.outbox.set_random_floor(max(seen) + 1):
            logger.warning("the random_id counter was behind VK (a restored backup?): moved past {}", max(seen))

    async def _learn_screen_name(self) -> None:
        """The community's short name, so that `/bind@name` in a chat is known as ours."""
        try:
            body = await asyncio.wait_for(self.api.request("groups.getById", {"group_id": self.config.vk.group_id}), 10)
            groups = body["response"]["groups"]
            if groups and groups[0].get("screen_name"):
                self.dispatcher.screen_names.add(str(groups[0]["screen_name"]).lower())
        except Exception:  # without it, only club<id> is recognised; the bot works all the same
            logger.warning("could not read the community's short name")

    async def _recover(self) -> int:
        try:
            return await recover_unanswered(self.api, self.config.vk.group_id, self.dispatcher.feed)
        except Exception:  # recovery is a second chance; the bot goes on without it
            logger.exception("could not read unanswered conversations")
            return 0

    def _start_scheduler(self) -> AsyncIOScheduler:
        """APScheduler only triggers: every tick reads the database and runs what fell due,
        and the first tick, right at start, catches up after downtime within the grace window."""
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(self.tick, "interval", seconds=self.config.schedule.tick_seconds,
                          next_run_time=datetime.now(UTC), coalesce=True, max_instances=1,
                          misfire_grace_time=None)
        scheduler.start()
        return scheduler

    async def tick(self) -> None:
        try:
            await self.services.jobs.tick(self.clock())
        except Exception:  # a failed tick is retried at the next one; the bot keeps serving
            logger.exception("scheduled tick failed")

    async def close(self) -> None:
        if self.max is not None:
            await self.max.api.close()
        if self.api is not None:
            await self.api.http_client.close()
        await self.db.close()


MAX_DOCUMENTS = 3  # files looked at in one message
MAX_DOCUMENT_BYTES = 20 * 2**20  # a national file of figures is about 1 MB as .xlsx


async def build_app(config: Config, token: str, *, api_url: str | None = None, db_path: str | None = None,
                    clock: Clock | None = None, raise_errors: bool = False, roadmap_recheck_s: float = 2.0,
                    schedule: bool = True, api: API | None = None, max_token: str | None = None,
                    max_api_url: str | None = None) -> App:
    """Every object the bot needs. `api`: a ready VK API client (tests pass one that talks to the
    emulator in-process); otherwise one is made for `api_url` or `[vk] api_url`."""
    core = await open_core(config, db_path=db_path, clock=clock, roadmap_recheck_s=roadmap_recheck_s)
    repos = core.repos
    sender = None
    messenger = Messengers(None)
    if config.vk is not None:
        if api is None:
            api = connect(token, api_url or config.vk.api_url, config.vk.requests_per_second)
        sender = Sender(repos.outbox, api)
        messenger.vk = VkMessenger(api, repos.outbox, sender.wake, group_id=config.vk.group_id)
    max_parts = None
    if config.max is not None:
        # MAX's rows are composed whenever [max] is set (run-job queues them without the token); sent with it
        max_api = MaxApi(max_token or "", max_api_url or config.max.api_url, config.max.requests_per_second)
        translator = Translator(repos.max_accounts, repos.outbox)
        max_sender = MaxSender(repos.outbox, max_api, repos.max_accounts)
        messenger.max = MaxMessenger(max_api, repos.outbox, repos.max_accounts, translator, max_sender.wake)
        max_parts = (max_api, translator, max_sender)
    hh, mm = map(int, config.schedule.item_remind_at.split(":"))
    jobs = JobRunner(core.roadmaps, repos.directory, repos.people, repos.reports, repos.items, repos.jobs,
                     repos.chats, messenger, core.status,
                     ItemSettings(tuple(config.schedule.item_days_before), time(hh, mm)),
                     config.default_timezone, timedelta(hours=config.schedule.grace_hours),
                     repos.retention, timedelta(days=config.storage.retention_days))
    services = Services(
        access=core.access, invites=core.invites,
        people=PeopleService(core.access, core.invites, repos.people, repos.chats, messenger.user_name,
                            messenger.invite_links),
        catalog=core.catalog, reports=core.reports,
        items=ItemService(core.roadmaps, repos.items, repos.directory, repos.conversations, config.default_timezone),
        status=core.status, imports=core.imports, exports=core.exports, dialogs=DialogService(repos.conversations, core.reports), jobs=jobs)
    app = App(config=config, repos=repos, services=services, api=api, messenger=messenger, sender=sender,
              clock=core.clock, raise_errors=raise_errors, schedule=schedule)
    if max_parts is not None and messenger.max is not None and max_token:
        max_api, translator, max_sender = max_parts
        # the same handler, errors and fault notices as VK's; MAX's own reading of updates
        dispatcher = Dispatcher(app.handle, repos.events, app.on_error, before=app.before,
                                on_unavailable=app.on_unavailable)
        app.max = MaxSide(max_api, repos.max_accounts, translator, messenger.max, max_sender, dispatcher)
    return app
