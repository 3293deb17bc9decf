"""The part of the app that never talks to a messenger: the database and the services over it.

Operator commands (`import-orgs`, `load-roadmap`, `invite`, `export`, `import-figures`) open only this, so they start
without loading the VK adapter (vkbottle alone takes over a second to import); `bot.app` builds the
messenger side on top of the same objects."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from loguru import logger

from bot.config import Config
from bot.domain.figures_file import Caps
from bot.messengers import screen_for
from bot.services.access import AccessService
from bot.services.catalog import CatalogService
from bot.services.export import ExportService
from bot.services.imports import ImportService
from bot.services.invites import InviteService
from bot.services.reading import FileReader
from bot.services.removal import RemovalService
from bot.services.reports import ReportService
from bot.services.roadmaps import RoadmapCache
from bot.services.status import StatusService
from storage.db import utcnow
from storage.engines import open_database
from storage.repositories import Repositories
from storage.secret import installation_key

Clock = Callable[[], datetime]


@dataclass
class Core:
    config: Config
    repos: Repositories
    roadmaps: RoadmapCache
    access: AccessService
    invites: InviteService
    catalog: CatalogService
    removal: RemovalService
    reports: ReportService
    status: StatusService
    imports: ImportService
    exports: ExportService
    clock: Clock

    async def close(self) -> None:
        self.imports.reader.close()
        await self.repos.db.close()


async def open_core(config: Config, *, db_path: str | None = None, clock: Clock | None = None,
                    roadmap_recheck_s: float = 2.0) -> Core:
    key = installation_key(db_path or config.storage.path)  # before the database: a problem leaves nothing open
    if config.storage.url and not os.environ.get("BOT_SECRET"):
        logger.warning("PostgreSQL without BOT_SECRET: invite codes are keyed with {}.key, this machine's own; "
                       "several instances need one BOT_SECRET", config.storage.path)
    repos = Repositories.of(await open_database(db_path or config.storage.url or config.storage.path))
    access = AccessService(repos.people, repos.directory, set(config.access.owners), repos.max_accounts,
                           set(config.access.max_owners))
    roadmaps = RoadmapCache(repos.roadmaps, roadmap_recheck_s)
    status = StatusService(roadmaps, repos.directory, repos.reports, repos.items, repos.people, repos.chats, access,
                           repos.conversations, config.default_timezone,
                           screen_for(config.vk is not None, config.max is not None))
    return Core(
        config=config, repos=repos, roadmaps=roadmaps, access=access,
        invites=InviteService(repos.invites, repos.people, key, config.invites.ttl_days,
                              config.invites.max_failures_per_hour),
        catalog=CatalogService(repos.directory, repos.roadmaps, config.default_timezone),
        removal=RemovalService(repos.directory, repos.people, repos.reports),
        reports=ReportService(roadmaps, repos.reports, repos.directory, repos.people, repos.conversations, access),
        status=status, exports=ExportService(status, repos.directory, repos.reports, repos.people),
        imports=ImportService(roadmaps, repos.directory, repos.reports, access, config.default_timezone, status,
                              repos.conversations, FileReader(Caps(rows=config.imports.max_rows,
                                                                   seconds=config.imports.max_seconds))),
        clock=clock or utcnow)
