"""Every service the handlers and the operator's commands may call, in one object built by `bot.core.bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.access import AccessService
from bot.services.catalog import CatalogService
from bot.services.dialogs import DialogService
from bot.services.export import ExportService
from bot.services.imports import ImportService
from bot.services.invites import InviteService
from bot.services.items import ItemService
from bot.services.jobs import JobRunner
from bot.services.people import PeopleService
from bot.services.removal import RemovalService
from bot.services.reports import ReportService
from bot.services.summary import SummaryService


@dataclass(frozen=True)
class Services:
    access: AccessService
    invites: InviteService
    people: PeopleService
    catalog: CatalogService
    removal: RemovalService
    reports: ReportService
    items: ItemService
    summary: SummaryService
    imports: ImportService
    exports: ExportService
    dialogs: DialogService
    jobs: JobRunner
