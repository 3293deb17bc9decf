"""build_app: every object the bot needs, created in one place (CLI, sandbox and tests share it).

This is the composition root and nothing else: each messenger's side (bot/vk/side.py, bot/max/side.py) owns its
run loop, its recovery at start and its intake; the dispatcher core (bot/dispatch.py) is shared by both."""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from loguru import logger

from bot.config import Config
from bot.core import Clock, bootstrap
from bot.dispatch import Dispatcher
from bot.downloads import MAX_FILE_HOSTS, TOO_BIG, VK_FILE_HOSTS, Downloader, FileHosts, Opener, origin
from bot.max.api import MaxApi, tls_context
from bot.max.messenger import MaxMessenger
from bot.max.sender import MaxSender
from bot.max.side import MaxSide
from bot.max.updates import MaxUpdates
from bot.messengers import MAX, VK, Messengers
from bot.metrics import Metrics
from bot.services.registry import Services
from bot.views.message import Incoming, Reply
from bot.vk.api import API, LimitedAPI, connect
from bot.vk.messenger import VkMessenger
from bot.vk.sender import Sender
from bot.vk.side import VkSide
from bot.vk.updates import VkUpdates
from bot.web import WebServer, webhook_path
from bot.words import texts
from handlers import Context, main_menu, route
from storage.db import Database
from storage.repositories import Repositories

CHAT_LEFT = 917  # as VK's «no access to this chat»: the bot was removed from it
MAX_DOCUMENTS = 3  # files looked at in one message
MAX_DOCUMENT_BYTES = 20 * 2**20  # a national file of figures is about 1 MB as .xlsx


@dataclass
class App:
    config: Config
    repos: Repositories
    services: Services
    messengers: Messengers
    clock: Clock
    raise_errors: bool = False
    schedule: bool = True
    vk: VkSide | None = None  # [vk] in config.toml
    max: MaxSide | None = None  # [max] in config.toml and MAX_TOKEN: MAX served beside VK
    handler_errors: list[BaseException] = field(default_factory=list)
    web: WebServer | None = None  # [server] listen: webhooks, /healthz and /metrics
    metrics: Metrics = field(default_factory=Metrics)
    closing: bool = False
    instance: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    dispatcher: Dispatcher = field(init=False)

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(self.handle, self.repos.events, self.on_error, before=self.before,
                                     on_unavailable=self.on_unavailable, metrics=self.metrics)

    @property
    def db(self) -> Database:
        return self.repos.db

    @property
    def api(self) -> API | None:
        """VK's API client (None: no [vk], a MAX-only installation)."""
        return self.vk.api if self.vk is not None else None

    @property
    def sender(self) -> Sender | None:
        return self.vk.sender if self.vk is not None else None

    async def handle(self, incoming: Incoming) -> None:
        if incoming.kind == "allow":
            await self.repos.outbox.reachable_again(incoming.from_id)
            return
        if incoming.kind == "deny":
            await self.repos.outbox.mark_unreachable(incoming.from_id, 901)
            return
        if incoming.kind == "left":  # the chat keeps its binding: added back, it gets its summaries again
            await self.repos.outbox.mark_unreachable(incoming.peer, CHAT_LEFT)
        elif incoming.kind == "joined":
            await self.repos.outbox.reachable_again(incoming.peer)
        actor = await self.services.access.actor(incoming.from_id)
        await route(Context(incoming, actor, self.services, self.messengers, main_menu, self.clock()))

    async def before(self, incoming: Incoming) -> Incoming | None:
        """Outside the handler's transaction: a messenger's client spins until a press is answered; a file a person
        sent is downloaded here, so the database is not held while the file server answers."""
        adapter = self.messengers.named(incoming.messenger)
        if incoming.callback_id:  # VK: a callback button; MAX: any button (MAX's are all callbacks)
            await adapter.acknowledge(incoming)
        if incoming.kind == "message" and not incoming.in_chat and incoming.documents:
            # only a coordinator's files are fetched (they alone may import figures): an outsider's attachment is
            # never downloaded, wherever it points; the handler tells them files are not for them
            person = await adapter.known_person(incoming)
            may = person is not None and (await self.services.access.actor(person)).is_coordinator
            documents = []
            for doc in incoming.documents[:MAX_DOCUMENTS]:
                if not may:
                    documents.append(doc)
                elif doc.size > MAX_DOCUMENT_BYTES:
                    documents.append(replace(doc, problem=TOO_BIG))
                else:
                    documents.append(await self.services.imports.read(await adapter.download(doc)))
            return replace(incoming, documents=tuple(documents))
        return None

    async def on_unavailable(self, incoming: Incoming) -> None:
        """The database cannot write: the person hears it straight from their messenger; their message is kept and
        handled when the database writes again."""
        if incoming.kind in ("message", "callback") and not incoming.in_chat:
            await self.messengers.named(incoming.messenger).notify_now(incoming, texts.STORAGE_DOWN,
                                                                       f"down:{incoming.event_id}")

    async def on_error(self, error: BaseException, incoming: Incoming) -> None:
        self.handler_errors.append(error)
        logger.opt(exception=error).error("handler failed on a {} update", incoming.kind)
        if self.raise_errors:
            return  # tests assert handler_errors is empty; no apology message muddies the record
        if incoming.kind == "message" and not incoming.in_chat:
            try:
                await self.messengers.send(incoming.peer, Reply(texts.ERROR))
            except Exception:  # the apology is best effort; the error is already logged
                logger.warning("could not tell the user about the error")

    async def run_polling(self, stop: asyncio.Event) -> None:
        """Serve each messenger until `stop` is set; each side lets its in-flight handlers finish and its replies go
        out (within a grace period) before returning."""
        await self.free_dead_claims()
        scheduler = self._start_scheduler() if self.schedule else None
        if self.web is not None:
            await self.web.start()
        running = []
        if self.vk is not None:
            by_callback = self.config.vk is not None and bool(self.config.vk.callback_url)
            running.append(asyncio.create_task(self.vk.serve_callback(stop) if by_callback else self.vk.run(stop)))
        if self.max is not None:
            by_webhook = self.config.max is not None and bool(self.config.max.webhook_url)
            running.append(asyncio.create_task(self.max.serve_webhook(stop) if by_webhook else self.max.run(stop)))
        try:
            if running:
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    if task.exception() is not None:
                        stop.set()  # one side failed for good: the others stop too, and the error is raised
                        await asyncio.gather(*running, return_exceptions=True)
                        raise task.exception()  # type: ignore[misc]
            else:
                await stop.wait()
        finally:
            stop.set()
            await asyncio.gather(*running, return_exceptions=True)
            if self.web is not None:
                await self.web.stop()
            if scheduler is not None:
                scheduler.shutdown(wait=False)

    async def free_dead_claims(self) -> None:
        """Before sending: on SQLite this process is the only sender there can be (the file lock), so rows a sender
        killed mid-send still held are free now. (On PostgreSQL another instance's claims free with time.)"""
        if self.db.engine == "sqlite" and (freed := await self.repos.outbox.release_all()):
            logger.info("{} outbox rows a stopped sender held are free again", freed)

    async def health(self) -> str | None:
        """GET /healthz: None when the database writes and no messenger refuses the bot's token."""
        try:
            await self.db.probe_write()
        except Exception as e:  # whatever it is, the probe says so rather than failing
            return f"database: {type(e).__name__}"
        if self.max is not None and self.max.sender.refusal is not None:
            return f"MAX refuses the token: {self.max.sender.refusal.code}"
        if self.vk is not None and self.vk.sender.refusal is not None:
            return f"VK refuses the token: error {self.vk.sender.refusal}"
        return None

    async def metrics_text(self) -> bytes:
        """GET /metrics: the counters, with the outbox's depth and the lease read now."""
        for name in self.messengers.adapters:
            self.metrics.outbox_depth.labels(name).set(await self.repos.outbox.pending_count_of(name))
        # SQLite: one instance by construction (the database's file lock, storage/lock.py) — it holds every lease;
        # PostgreSQL: the instance lease (bot/cli.py `_wait_for_lease`), 0 on a standby
        held = self.db.engine != "postgres" or await self.db.lease_holder() == self.instance  # type: ignore[attr-defined]
        self.metrics.lease.labels("instance", self.instance).set(1 if held else 0)
        return self.metrics.text()

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
        self.closing = True  # the database is closed on purpose from here (bot/cli.py `_hold_lease`)
        for adapter in self.messengers.adapters.values():
            await adapter.close()
        if self.vk is not None:
            await self.vk.close()
        self.services.imports.reader.close()
        await self.db.close()


async def build_app(config: Config, token: str, *, api_url: str | None = None, db_path: str | None = None,
                    clock: Clock | None = None, raise_errors: bool = False, roadmap_recheck_s: float = 2.0,
                    schedule: bool = True, api: API | None = None, max_token: str | None = None,
                    max_api_url: str | None = None, open_file: Opener | None = None,
                    max_webhook_secret: str = "", vk_callback_secret: str = "") -> App:
    """Every object the bot needs. `api`: a ready VK API client (tests pass one that talks to the
    emulator in-process, and `open_file` that serves its files); otherwise one is made for `api_url` or
    `[vk] api_url`."""
    messengers = Messengers()  # its adapters are plugged in below; the services hold the object
    core = await bootstrap(config, messengers=messengers, db_path=db_path, clock=clock,
                           roadmap_recheck_s=roadmap_recheck_s)
    repos = core.repos
    metrics = Metrics()
    vk_parts = None
    if config.vk is not None:
        if api is None:
            api = connect(token, api_url or config.vk.api_url, config.vk.requests_per_second)
        vk_sender = Sender(repos.outbox, api, metrics=metrics)
        if isinstance(api, LimitedAPI):
            api.limiter.on_wait = partial(metrics.waited, VK)
        vk_files = Downloader(FileHosts(VK_FILE_HOSTS, (origin(api.API_URL),)), MAX_DOCUMENT_BYTES, opener=open_file)
        messengers.adapters[VK] = VkMessenger(api, repos.outbox, vk_sender.wake, vk_files, group_id=config.vk.group_id)
        vk_parts = (api, vk_sender)
    max_parts = None
    if config.max is not None:
        # MAX's rows are composed whenever [max] is set (run-job queues them without the token); sent with it
        max_api = MaxApi(max_token or "", max_api_url or config.max.api_url, config.max.requests_per_second,
                         ca_file=config.max.ca_file)
        max_updates = MaxUpdates(repos.max_accounts, repos.outbox)
        max_sender = MaxSender(repos.outbox, max_api, repos.max_accounts, metrics=metrics)
        if max_api.limiter is not None:
            max_api.limiter.on_wait = partial(metrics.waited, MAX)
        max_files = Downloader(FileHosts(MAX_FILE_HOSTS, (origin(max_api.base_url),)), MAX_DOCUMENT_BYTES,
                               tls=tls_context(config.max.ca_file))
        max_messenger = MaxMessenger(max_api, repos.outbox, max_updates, max_sender.wake, max_files)
        messengers.adapters[MAX] = max_messenger
        max_parts = (max_api, max_updates, max_messenger, max_sender)
    app = App(config=config, repos=repos, services=core.services, messengers=messengers, clock=core.clock,
              raise_errors=raise_errors, schedule=schedule, metrics=metrics)
    if vk_parts is not None and config.vk is not None:
        vk_api, vk_sender = vk_parts
        app.vk = VkSide(vk_api, config.vk.group_id, VkUpdates(config.vk.group_id), vk_sender, app.dispatcher,
                        repos.events, repos.outbox)
    if max_parts is not None and max_token:
        max_api, max_updates, max_messenger, max_sender = max_parts
        app.max = MaxSide(max_api, repos.max_accounts, max_updates, max_messenger, max_sender, app.dispatcher)
    if config.server.listen:
        app.web = WebServer(config.server.listen, app.health, app.metrics_text)
        if app.max is not None and config.max is not None and config.max.webhook_url:
            app.web.add_webhook(webhook_path(config.max.webhook_url), max_webhook_secret, app.max.take)
        if app.vk is not None and config.vk is not None and config.vk.callback_url:
            app.web.add_vk_callback(webhook_path(config.vk.callback_url), vk_callback_secret, app.vk.take)
    return app
