"""Scheduled jobs: entry points like a message. Each takes an instant, reads the database, queues
messages with dedup keys, and is safe to run twice. APScheduler only calls `tick`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from loguru import logger

from storage.chats import ChatRepo
from storage.directory import DirectoryRepo
from storage.items import ItemRepo, JobRepo
from storage.outbox import OutMessage
from storage.people import PeopleRepo
from storage.reports import ReportRepo

from . import keyboards, texts
from .reporting import RoadmapCache, fmt_date
from .roadmap import Item, Roadmap
from .schedule import Event, ItemSettings, Territory, plan
from .status import StatusService
from .vk import VkGateway, compose

JOB_KINDS = {"form-reminders": "form_reminder", "summaries": "form_summary",
             "item-reminders": "item_reminder", "overdue": "item_overdue"}


@dataclass(frozen=True)
class TickResult:
    ran: int
    skipped: int
    queued: int


class JobRunner:
    def __init__(self, roadmaps: RoadmapCache, directory: DirectoryRepo, people: PeopleRepo, reports: ReportRepo,
                 items: ItemRepo, jobs: JobRepo, chats: ChatRepo, vk: VkGateway, status: StatusService,
                 item_settings: ItemSettings,
                 region_timezone: str, grace: timedelta) -> None:
        self.roadmaps = roadmaps
        self.directory = directory
        self.people = people
        self.reports = reports
        self.items = items
        self.jobs = jobs
        self.chats = chats
        self.vk = vk
        self.status = status
        self.item_settings = item_settings
        self.region_timezone = region_timezone
        self.grace = grace

    async def events(self, start: datetime, end: datetime) -> list[Event]:
        territories = [Territory(*t) for t in await self.directory.territories()]
        return plan(await self.roadmaps.all(), territories, start, end, self.item_settings, self.region_timezone)

    async def tick(self, now: datetime) -> TickResult:
        """Run what fell due since the last tick. After downtime, what is older than the grace
        window is logged and skipped (a reminder a day late does more harm than good)."""
        last = await self.jobs.last_tick()
        horizon = now - self.grace
        start = last if last is not None and last > horizon - timedelta(days=7) else horizon - timedelta(days=7)
        ran = skipped = queued = 0
        for event in await self.events(start, now):
            if await self.jobs.outcome(event.key) is not None:
                continue
            if event.instant <= horizon:
                logger.warning("skipped {} at {}: older than the grace window", event.kind, event.instant)
                await self.jobs.record(event.key, event.instant, "skipped", now)
                skipped += 1
                continue
            queued += await self.run_event(event)
            await self.jobs.record(event.key, event.instant, "done", now)
            ran += 1
        await self.jobs.set_last_tick(now)
        if ran or skipped:
            logger.info("tick: {} events run, {} skipped, {} messages queued", ran, skipped, queued)
        return TickResult(ran, skipped, queued)

    async def run_job(self, job: str, at: datetime) -> int:
        """`run-job JOB --at T`: the events of that kind in the minute ending at T, run again if need be."""
        kind = JOB_KINDS[job]
        queued = 0
        for event in await self.events(at - timedelta(minutes=1), at):
            if event.kind == kind:
                queued += await self.run_event(event)
                await self.jobs.record(event.key, event.instant, "done", at)
        return queued

    async def run_event(self, event: Event) -> int:
        roadmap = await self.roadmaps.get(event.roadmap_id)
        if roadmap is None:
            return 0
        if event.kind == "form_reminder":
            return await self._form_reminder(event, roadmap)
        if event.kind == "form_summary":
            return await self._summary(event, roadmap)
        item = next((i for i in roadmap.item if i.id == event.ref), None)
        if item is None:
            return 0
        if event.kind == "item_reminder":
            return await self._item_reminder(event, roadmap, item)
        return await self._item_overdue(event, roadmap, item)

    # -- forms -----------------------------------------------------------------------------

    async def _form_reminder(self, event: Event, roadmap: Roadmap) -> int:
        form = next((f for f in roadmap.form if f.id == event.ref), None)
        if form is None:
            return 0
        orgs = await self.directory.organizations_of_municipality(event.scope_id)
        done = await self.reports.submitted(roadmap.id, form.id, event.occurrence.isoformat())
        messages: list[OutMessage] = []
        for org in orgs:
            if org.id in done or org.type not in form.org_types or not form.indicators_for(org.type):
                continue
            kb = keyboards.keyboard([[(texts.REMIND_FORM_BUTTON, {"cmd": "report", "org": org.id,
                                                                 "rm": roadmap.id, "form": form.id})]], inline=True)
            text = texts.REMIND_FORM.format(title=form.title, period=fmt_date(event.occurrence), organization=org.name)
            for admin in await self.people.holders("organization", org.id):
                messages += compose(admin.vk_id, text, kb, dedup_key=f"{event.key}:{org.id}:{admin.vk_id}")
        return await self.vk.send_bulk(messages) if messages else 0

    async def _summary(self, event: Event, roadmap: Roadmap) -> int:
        form = next((f for f in roadmap.form if f.id == event.ref), None)
        if form is None:
            return 0
        chats = await self.chats.for_scope(event.scope_role, str(event.scope_id))
        if not chats:
            return 0
        text = await self.status.summary_for_event(roadmap, form.id, event.occurrence.isoformat(),
                                                   event.scope_role, event.scope_id)
        if text is None:
            return 0
        png = await self._chart(event)
        messages: list[OutMessage] = []
        for chat in chats:
            key = f"{event.key}:{chat.peer_id}"
            if await self.vk.outbox.has(key) or await self.vk.outbox.has(key + "#0"):
                continue  # already queued by an earlier run: no second upload either
            photo = None
            if png is not None:
                try:
                    photo = await self.vk.upload_photo(chat.peer_id, png)
                except Exception:  # the figures matter more than the picture
                    logger.warning("chart upload failed; the summary goes without it")
            messages += compose(chat.peer_id, text, attachment=photo, dedup_key=key)
        return await self.vk.send_bulk(messages) if messages else 0

    async def _chart(self, event: Event) -> bytes | None:
        scope = await self.status.scope(event.scope_role, event.scope_id)
        if scope is None:
            return None
        try:
            return await self.status.chart(scope, event.instant)
        except Exception:
            logger.exception("chart failed; the summary goes without it")
            return None

    # -- items -----------------------------------------------------------------------------

    async def units(self, event: Event, item: Item) -> list[tuple[str, str, str]]:
        """(role, scope id, name) of the units responsible for `item` in the event's territory."""
        out: list[tuple[str, str, str]] = []
        if event.scope_role == "region":
            region = await self.directory.region(event.scope_id)
            return [("region", str(event.scope_id), region.name if region else "?")]
        if "municipality" in item.responsible:
            muni = await self.directory.municipality(event.scope_id)
            out.append(("municipality", str(event.scope_id), muni.name if muni else "?"))
        if "organization" in item.responsible:
            for org in await self.directory.organizations_of_municipality(event.scope_id):
                if item.org_types is None or org.type in item.org_types:
                    out.append(("organization", org.id, org.name))
        return out

    async def _item_reminder(self, event: Event, roadmap: Roadmap, item: Item) -> int:
        occurrence = event.occurrence.isoformat()
        confirmed = await self.items.confirmed_units(roadmap.id, item.id, occurrence)
        days = int(event.detail or 0)
        when = texts.REMIND_ITEM_WHEN.get(days, texts.REMIND_ITEM_DAYS.format(n=days))
        text = texts.REMIND_ITEM.format(id=item.id, title=item.title, due=fmt_date(event.occurrence), when=when,
                                        result=texts.ITEM_RESULT.format(result=item.result) if item.result else "")
        messages: list[OutMessage] = []
        for role, scope, _name in await self.units(event, item):
            if (role, scope) in confirmed:
                continue
            kb = keyboards.callback_keyboard([[(texts.ITEM_DONE_BUTTON, {
                "cmd": "item", "rm": roadmap.id, "item": item.id, "occ": occurrence, "role": role, "scope": scope})]])
            for person in await self.people.holders(role, scope):
                messages += compose(person.vk_id, text, kb, dedup_key=f"{event.key}:{role}{scope}:{person.vk_id}")
        return await self.vk.send_bulk(messages) if messages else 0

    async def _item_overdue(self, event: Event, roadmap: Roadmap, item: Item) -> int:
        confirmed = await self.items.confirmed_units(roadmap.id, item.id, event.occurrence.isoformat())
        late = [(role, scope, name) for role, scope, name in await self.units(event, item)
                if (role, scope) not in confirmed]
        if not late:
            return 0
        # Who hears about it: the coordinators one level up (a region's own items: its coordinators).
        by_parent: dict[tuple[str, str], list[str]] = {}
        for role, scope, name in late:
            if role == "organization":
                parent = ("municipality", str(event.scope_id))
            else:
                muni = await self.directory.municipality(int(scope)) if role == "municipality" else None
                parent = ("region", str(muni.region_id if muni else scope))
            by_parent.setdefault(parent, []).append(name)
        messages: list[OutMessage] = []
        for (role, scope), names in by_parent.items():
            text = texts.ITEM_OVERDUE.format(id=item.id, title=item.title, due=fmt_date(event.occurrence),
                                             names="; ".join(names))
            chats = await self.chats.for_scope(role, scope)
            peers = [c.peer_id for c in chats] or [p.vk_id for p in await self.people.holders(role, scope)]
            for peer in peers:
                messages += compose(peer, text, dedup_key=f"{event.key}:{role}{scope}:{peer}")
        return await self.vk.send_bulk(messages) if messages else 0

