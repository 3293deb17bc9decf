"""build_app: every object the bot needs, created in one place (CLI, sandbox and tests share it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from loguru import logger
from vkbottle import API

from handlers import Context, route
from storage.chats import ChatRepo, ConversationRepo, EventRepo
from storage.db import Database, utcnow
from storage.directory import DirectoryRepo
from storage.items import ItemRepo, JobRepo
from storage.outbox import OutboxRepo
from storage.people import InviteRepo, PeopleRepo
from storage.reports import ReportRepo
from storage.roadmaps import RoadmapRepo

from . import texts
from .access import AccessService
from .catalog import CatalogService
from .config import Config
from .dispatcher import Dispatcher, Incoming
from .invites import InviteService
from .items import ItemService
from .jobs import JobRunner
from .people import PeopleService
from .polling import Polling, Progress, recover_unanswered
from .reporting import ReportService, RoadmapCache
from .schedule import ItemSettings
from .sender import Sender
from .status import StatusService
from .vk import LimitedAPI, RateLimiter, VkGateway

Clock = Callable[[], datetime]


@dataclass
class App:
    config: Config
    db: Database
    api: API
    vk: VkGateway
    directory: DirectoryRepo
    roadmaps: RoadmapRepo
    people_repo: PeopleRepo
    invite_repo: InviteRepo
    chats: ChatRepo
    conversations: ConversationRepo
    events: EventRepo
    access: AccessService
    invites: InviteService
    people: PeopleService
    catalog: CatalogService
    reports: ReportService
    items: ItemService
    status: StatusService
    jobs: JobRunner
    outbox: OutboxRepo
    sender: Sender
    clock: Clock
    raise_errors: bool = False
    schedule: bool = True
    handler_errors: list[BaseException] = field(default_factory=list)
    dispatcher: Dispatcher = field(init=False)
    shutdown_grace: float = 10.0

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(self.handle, self.events, self.on_error)

    async def handle(self, incoming: Incoming) -> None:
        if incoming.kind == "allow":
            await self.outbox.reachable_again(incoming.from_id)
            return
        if incoming.kind == "deny":
            await self.outbox.mark_unreachable(incoming.from_id, 901)
            return
        ctx = Context(incoming=incoming, actor=await self.access.actor(incoming.from_id), people=self.people,
                      access=self.access, conversations=self.conversations, vk=self.vk, reports=self.reports,
                      items=self.items, status=self.status, now=self.clock())
        await route(ctx)

    async def on_error(self, error: BaseException, incoming: Incoming) -> None:
        self.handler_errors.append(error)
        logger.opt(exception=error).error("handler failed on a {} update", incoming.kind)
        if self.raise_errors:
            return  # tests assert handler_errors is empty; no apology message muddies the record
        if incoming.kind == "message" and not incoming.in_chat:
            try:
                await self.vk.send(incoming.peer_id, texts.ERROR)
            except Exception:  # the apology is best effort; the error is already logged
                logger.warning("could not tell the user about the error")

    async def run_polling(self, stop: asyncio.Event) -> None:
        """Long-poll and send until `stop` is set; then let in-flight handlers finish and their
        replies go out (each within a grace period) before returning."""
        recoveries: set[asyncio.Task[int]] = set()

        def on_gap() -> None:
            task = asyncio.create_task(self._recover())
            recoveries.add(task)
            task.add_done_callback(recoveries.discard)

        polling = Polling(self.api, self.config.vk.group_id, await self.events.saved_ts(), on_gap=on_gap)
        progress = Progress(self.events)

        async def listen() -> None:
            async for event in polling.listen():
                tasks = [t for u in event.get("updates", []) if (t := self.dispatcher.feed(u)) is not None]
                progress.add(polling.request_ts or str(event["ts"]), str(event["ts"]), tasks)

        sender_stop = asyncio.Event()
        sender = asyncio.create_task(self.sender.run(sender_stop))
        saver = asyncio.create_task(progress.run(sender_stop))
        scheduler = self._start_scheduler() if self.schedule else None
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
            if not await self.sender.drain(self.shutdown_grace):
                logger.warning("some messages stay in the outbox until the next start")
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            sender_stop.set()
            await sender
            await saver

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
            await self.jobs.tick(self.clock())
        except Exception:  # a failed tick is retried at the next one; the bot keeps serving
            logger.exception("scheduled tick failed")

    async def close(self) -> None:
        await self.api.http_client.close()
        await self.db.close()


async def build_app(config: Config, token: str, *, api_url: str | None = None, db_path: str | None = None,
                    clock: Clock | None = None, raise_errors: bool = False, roadmap_recheck_s: float = 2.0,
                    schedule: bool = True) -> App:
    db = await Database.open(db_path or config.storage.path)
    api = LimitedAPI(token, RateLimiter(config.vk.requests_per_second or 1_000_000))
    api.API_URL = api_url or config.vk.api_url
    outbox = OutboxRepo(db)
    sender = Sender(outbox, api)
    vk = VkGateway(api, outbox, sender.wake)
    directory = DirectoryRepo(db)
    roadmaps = RoadmapRepo(db)
    people_repo = PeopleRepo(db)
    invite_repo = InviteRepo(db)
    chats = ChatRepo(db)
    access = AccessService(people_repo, directory, set(config.access.owners))
    invites = InviteService(invite_repo, people_repo, config.invites.ttl_days, config.invites.max_failures_per_hour)
    people = PeopleService(access, invites, people_repo, directory, chats, vk.user_name)
    conversations = ConversationRepo(db)
    cache = RoadmapCache(roadmaps, roadmap_recheck_s)
    report_repo = ReportRepo(db)
    reports = ReportService(cache, report_repo, directory, people_repo, conversations, access)
    item_repo = ItemRepo(db)
    items = ItemService(cache, item_repo, directory, conversations, config.default_timezone)
    status = StatusService(cache, directory, report_repo, item_repo, people_repo, access, config.default_timezone)
    hh, mm = map(int, config.schedule.item_remind_at.split(":"))
    jobs = JobRunner(cache, directory, people_repo, report_repo, item_repo, JobRepo(db), chats, vk, status,
                     ItemSettings(tuple(config.schedule.item_days_before), time(hh, mm)),
                     config.default_timezone, timedelta(hours=config.schedule.grace_hours))
    return App(config=config, db=db, api=api, vk=vk, directory=directory, roadmaps=roadmaps,
               people_repo=people_repo, invite_repo=invite_repo, chats=chats,
               conversations=conversations, events=EventRepo(db), access=access, invites=invites,
               people=people, catalog=CatalogService(directory, roadmaps), reports=reports, items=items, status=status,
               jobs=jobs, outbox=outbox, sender=sender, clock=clock or utcnow, raise_errors=raise_errors,
               schedule=schedule)
