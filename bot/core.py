"""The one bootstrap: the database, the repositories and every service over them, built here and nowhere else.

Operator commands (`import-orgs`, `load-roadmap`, `invite`, `export`, `import-figures`) take only this, so they start
without loading the VK adapter (vkbottle alone takes over a second to import); `bot.app.build_app` takes the same,
with the messengers whose adapters it then plugs in, and adds the run loops, the senders and the web server."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from loguru import logger

from bot.config import Config
from bot.domain.figures_file import Caps
from bot.domain.schedule import ItemSettings
from bot.messengers import Messengers, screen_for
from bot.services.access import AccessService
from bot.services.catalog import CatalogService
from bot.services.dialogs import DialogService
from bot.services.export import ExportService
from bot.services.imports import ImportService
from bot.services.invites import InviteService
from bot.services.items import ItemService
from bot.services.jobs import JobRunner
from bot.services.people import PeopleService
from bot.services.reading import FileReader
from bot.services.registry import Services
from bot.services.removal import RemovalService
from bot.services.reports import ReportService
from bot.services.roadmaps import RoadmapCache
from bot.services.summary import SummaryService
from storage.db import utcnow
from storage.engines import open_database
from storage.repositories import Repositories
from storage.secret import installation_key

Clock = Callable[[], datetime]


@dataclass
class Core:
    config: Config
    repos: Repositories
    services: Services
    clock: Clock

    async def close(self) -> None:
        self.services.imports.reader.close()
        await self.repos.db.close()


async def bootstrap(config: Config, *, messengers: Messengers | None = None, db_path: str | None = None,
                    clock: Clock | None = None, roadmap_recheck_s: float = 2.0) -> Core:
    """Every service of the bot over its database. `messengers`: the adapters the app plugs in (an operator's command
    has none: nothing it runs sends)."""
    key = installation_key(db_path or config.storage.path)  # before the database: a problem leaves nothing open
    if config.storage.url and not os.environ.get("BOT_SECRET"):
        logger.warning("PostgreSQL without BOT_SECRET: invite codes are keyed with {}.key, this machine's own; "
                       "several instances need one BOT_SECRET", config.storage.path)
    repos = Repositories.of(await open_database(db_path or config.storage.url or config.storage.path))
    messengers = messengers if messengers is not None else Messengers()
    screen = screen_for(config.vk is not None, config.max is not None)
    access = AccessService(repos.people, repos.directory, set(config.access.owners), repos.max_accounts,
                           set(config.access.max_owners))
    roadmaps = RoadmapCache(repos.roadmaps, roadmap_recheck_s)
    summary = SummaryService(roadmaps, repos.directory, repos.reports, repos.items, repos.people, repos.chats, access,
                             repos.conversations, config.default_timezone, screen)
    invites = InviteService(repos.invites, repos.people, key, config.invites.ttl_days,
                            config.invites.max_failures_per_hour)
    reports = ReportService(roadmaps, repos.reports, repos.directory, repos.people, repos.conversations, access)
    hh, mm = map(int, config.schedule.item_remind_at.split(":"))
    services = Services(
        access=access, invites=invites,
        people=PeopleService(access, invites, repos.people, repos.chats, messengers.user_name,
                             messengers.invite_links),
        catalog=CatalogService(repos.directory, repos.roadmaps, config.default_timezone, roadmaps),
        removal=RemovalService(repos.directory, repos.people, repos.reports),
        reports=reports,
        items=ItemService(roadmaps, repos.items, repos.directory, repos.conversations, config.default_timezone, screen),
        summary=summary,
        imports=ImportService(roadmaps, repos.directory, repos.reports, access, config.default_timezone, summary,
                              repos.conversations, FileReader(Caps(rows=config.imports.max_rows,
                                                                   seconds=config.imports.max_seconds))),
        exports=ExportService(summary, repos.directory, repos.reports, repos.people),
        dialogs=DialogService(repos.conversations, reports),
        jobs=JobRunner(roadmaps, repos.directory, repos.people, repos.reports, repos.items, repos.jobs, repos.chats,
                       messengers, summary, ItemSettings(tuple(config.schedule.item_days_before), time(hh, mm)),
                       config.default_timezone, timedelta(hours=config.schedule.grace_hours), screen,
                       repos.retention, timedelta(days=config.storage.retention_days)))
    return Core(config=config, repos=repos, services=services, clock=clock or utcnow)
