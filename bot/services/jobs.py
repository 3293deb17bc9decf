"""Scheduled jobs: entry points like a message. Each takes an instant, reads the database, queues
messages with dedup keys, and is safe to run twice. APScheduler only calls `tick`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from loguru import logger

from bot.domain.roadmap import Item, Roadmap
from bot.domain.schedule import Event, ItemSettings, plan
from bot.domain.scope import Scope
from bot.services.items import ITEM, item_args
from bot.services.ports import Messenger
from bot.services.reports import REPORT
from bot.services.roadmaps import RoadmapCache
from bot.services.status import StatusService
from bot.views import texts
from bot.views.format import due_words, fmt_date
from bot.views.message import Button, File, Outgoing, Reply
from storage.chats import ChatRepo
from storage.directory import DirectoryRepo
from storage.items import ItemRepo, JobRepo
from storage.people import PeopleRepo
from storage.reports import ReportRepo
from storage.retention import RetentionRepo

JOB_KINDS = {"form-reminders": "form_reminder", "summaries": "form_summary",
             "item-reminders": "item_reminder", "overdue": "item_overdue"}


def together(events: list[Event]) -> list[list[Event]]:
    """Events in groups that go out as one message: the summaries of one territory at one moment; every other event
    alone. Order kept (a group where its first event was)."""
    groups: list[list[Event]] = []
    summaries: dict[tuple[str, int, datetime], list[Event]] = {}
    for event in events:
        if event.kind != "form_summary":
            groups.append([event])
            continue
        key = (event.scope_role, event.scope_id, event.instant)
        if key not in summaries:
            summaries[key] = []
            groups.append(summaries[key])
        summaries[key].append(event)
    return groups


@dataclass(frozen=True)
class TickResult:
    ran: int
    skipped: int
    queued: int


class JobRunner:
    def __init__(self, roadmaps: RoadmapCache, directory_repo: DirectoryRepo, people_repo: PeopleRepo,
                 report_repo: ReportRepo, item_repo: ItemRepo, job_repo: JobRepo, chat_repo: ChatRepo,
                 messenger: Messenger, status: StatusService, item_settings: ItemSettings,
                 region_timezone: str, grace: timedelta, retention_repo: RetentionRepo | None = None,
                 retention: timedelta = timedelta(days=90)) -> None:
        self.roadmaps = roadmaps
        self.directory_repo = directory_repo
        self.people_repo = people_repo
        self.report_repo = report_repo
        self.item_repo = item_repo
        self.job_repo = job_repo
        self.chat_repo = chat_repo
        self.messenger = messenger
        self.status = status
        self.item_settings = item_settings
        self.region_timezone = region_timezone
        self.grace = grace
        self.retention_repo = retention_repo
        self.retention = retention

    async def events(self, start: datetime, end: datetime) -> list[Event]:
        municipalities = await self.directory_repo.all_municipalities()
        regions = {r.id: r.name for r in await self.directory_repo.all_regions()}
        return plan(await self.roadmaps.all(), municipalities, regions, start, end, self.item_settings,
                    self.region_timezone)

    async def tick(self, now: datetime) -> TickResult:
        """Run what fell due since the last tick. After downtime, what is older than the grace
        window is logged and skipped (a reminder a day late does more harm than good)."""
        last = await self.job_repo.last_tick()
        horizon = now - self.grace
        start = last if last is not None and last > horizon - timedelta(days=7) else horizon - timedelta(days=7)
        ran = skipped = queued = 0
        due: list[Event] = []
        for event in await self.events(start, now):
            if await self.job_repo.outcome(event.key) is not None:
                continue
            if event.instant <= horizon:
                logger.warning("skipped {} at {}: older than the grace window", event.kind, event.instant)
                await self.job_repo.record(event.key, event.instant, "skipped", now)
                skipped += 1
                continue
            due.append(event)
        for group in together(due):
            queued += await self.run_events(group)
            for event in group:
                await self.job_repo.record(event.key, event.instant, "done", now)
            ran += len(group)
        await self.job_repo.set_last_tick(now)
        if self.retention_repo is not None:
            pruned = await self.retention_repo.prune(now - self.retention)
            if pruned.messages or pruned.events or pruned.dialogs:
                logger.info("retention: {} messages, {} event marks, {} dialogs deleted", pruned.messages,
                            pruned.events, pruned.dialogs)
        if ran or skipped:
            logger.info("tick: {} events run, {} skipped, {} messages queued", ran, skipped, queued)
        return TickResult(ran, skipped, queued)

    async def run_job(self, job: str, at: datetime) -> int:
        """`run-job JOB --at T`: the events of that kind in the minute ending at T, run again if need be."""
        kind = JOB_KINDS[job]
        queued = 0
        for group in together([e for e in await self.events(at - timedelta(minutes=1), at) if e.kind == kind]):
            queued += await self.run_events(group)
            for event in group:
                await self.job_repo.record(event.key, event.instant, "done", at)
        return queued

    async def run_events(self, group: list[Event]) -> int:
        """One event, or summaries of one territory falling due at one moment (see `together`)."""
        if group[0].kind == "form_summary":
            return await self._summaries(group)
        return await self.run_event(group[0])

    async def run_event(self, event: Event) -> int:
        roadmap = await self.roadmaps.get(event.roadmap_id)
        if roadmap is None:
            return 0
        if event.kind == "form_reminder":
            return await self._form_reminder(event, roadmap)
        if event.kind == "form_summary":
            return await self._summaries([event])
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
        orgs = await self.directory_repo.organizations_of_municipality(event.scope_id)
        done = await self.report_repo.submitted(roadmap.id, form.id, event.occurrence.isoformat())
        when = due_words(event.occurrence, await self._local_day(event))
        messages: list[Outgoing] = []
        due = [o for o in orgs if o.id not in done and o.type in form.org_types and form.indicators_for(o.type)]
        admins = await self.people_repo.holders_of("organization", [o.id for o in due])
        for org in due:
            reply = Reply(texts.REMIND_FORM.format(title=form.title, period=fmt_date(event.occurrence), when=when,
                                                   organization=org.name),
                          [[Button(texts.REMIND_FORM_BUTTON, REPORT, {"org": org.id, "rm": roadmap.id,
                                                                     "form": form.id})]], inline=True)
            for admin in admins.get(org.id, []):
                messages.append(Outgoing(admin.vk_id, reply, f"{event.key}:{org.id}:{admin.vk_id}"))
        return await self.messenger.send_bulk(messages) if messages else 0

    async def _local_day(self, event: Event) -> date:
        """The day the event falls on where its people are: the municipality's wall clock (the region's for a
        region's event), so «сегодня» and «завтра» are theirs, not UTC's."""
        muni = await self.directory_repo.municipality(event.scope_id) if event.scope_role == "municipality" else None
        return event.instant.astimezone(ZoneInfo(muni.timezone if muni else self.region_timezone)).date()

    async def _summaries(self, group: list[Event]) -> int:
        """The summaries due at one moment for one territory (one or several forms): one message to each of its
        chats. Its key names the event (or every event of the group), so a re-run queues nothing twice."""
        first = group[0]
        chats = await self.chat_repo.for_scope(first.scope_role, str(first.scope_id))
        if not chats:
            return 0
        due = [(rm, e.ref, e.occurrence.isoformat()) for e in group if (rm := await self.roadmaps.get(e.roadmap_id))]
        summary = await self.status.summary_for_events(due, first.scope_role, first.scope_id,
                                                       await self._local_day(first))
        if summary is None:
            return 0
        png = await self._chart(first)
        reply = replace(summary, files=(File("chart.png", png, "photo"),)) if png is not None else summary
        key = first.key if len(group) == 1 else \
            "summaries:" + hashlib.sha1("|".join(sorted(e.key for e in group)).encode()).hexdigest()[:16]
        return await self.messenger.send_bulk([Outgoing(chat.peer_id, reply, f"{key}:{chat.peer_id}")
                                               for chat in chats])

    async def _chart(self, event: Event) -> bytes | None:
        scope = await self.status.territory(event.scope_role, event.scope_id)
        if scope is None:
            return None
        try:
            picture = await self.status.chart(scope, event.instant)
            return picture.png if picture is not None else None
        except Exception:
            logger.exception("chart failed; the summary goes without it")
            return None

    # -- items -----------------------------------------------------------------------------

    async def units(self, event: Event, item: Item) -> list[Scope]:
        """The scopes responsible for `item` in the event's territory."""
        out: list[Scope] = []
        if event.scope_role == "region":
            region = await self.directory_repo.region(event.scope_id)
            return [Scope("region", str(event.scope_id), region.name if region else "?")]
        if "municipality" in item.responsible:
            muni = await self.directory_repo.municipality(event.scope_id)
            out.append(Scope("municipality", str(event.scope_id), muni.name if muni else "?"))
        if "organization" in item.responsible:
            for org in await self.directory_repo.organizations_of_municipality(event.scope_id):
                if item.org_types is None or org.type in item.org_types:
                    out.append(Scope("organization", org.id, org.name))
        return out

    async def _item_reminder(self, event: Event, roadmap: Roadmap, item: Item) -> int:
        confirmed = await self.item_repo.confirmed_units(roadmap.id, item.id, event.occurrence.isoformat())
        when = due_words(event.occurrence, await self._local_day(event))
        text = texts.REMIND_ITEM.format(id=item.id, title=item.title, when=when,
                                        result=texts.ITEM_RESULT.format(result=item.result) if item.result else "")
        messages: list[Outgoing] = []
        units = [u for u in await self.units(event, item) if (u.level, u.id) not in confirmed]
        people: dict[tuple[str, str], list] = {}
        for level in {u.level for u in units}:
            found = await self.people_repo.holders_of(level, [u.id for u in units if u.level == level])
            people.update({(level, scope_id): persons for scope_id, persons in found.items()})
        for scope in units:
            reply = Reply(text, [[Button(texts.ITEM_DONE_BUTTON, ITEM, item_args(roadmap, item, event.occurrence,
                                                                                  scope))]], callback=True)
            for person in people.get((scope.level, scope.id), []):
                messages.append(Outgoing(person.vk_id, reply, f"{event.key}:{scope.level}{scope.id}:{person.vk_id}"))
        return await self.messenger.send_bulk(messages) if messages else 0

    async def _item_overdue(self, event: Event, roadmap: Roadmap, item: Item) -> int:
        confirmed = await self.item_repo.confirmed_units(roadmap.id, item.id, event.occurrence.isoformat())
        late = [s for s in await self.units(event, item) if (s.level, s.id) not in confirmed]
        if not late:
            return 0
        # Who hears about it: the coordinators one level up (a region's own items: its coordinators).
        by_parent: dict[tuple[str, str], list[str]] = {}
        for scope in late:
            if scope.level == "organization":
                parent = ("municipality", str(event.scope_id))
            else:
                muni = await self.directory_repo.municipality(int(scope.id)) if scope.level == "municipality" else None
                parent = ("region", str(muni.region_id if muni else scope.id))
            by_parent.setdefault(parent, []).append(scope.name)
        messages: list[Outgoing] = []
        for (level, scope_id), names in by_parent.items():
            reply = Reply(texts.ITEM_OVERDUE.format(id=item.id, title=item.title, due=fmt_date(event.occurrence),
                                                    names="; ".join(names)))
            chats = await self.chat_repo.for_scope(level, scope_id)
            peers = [c.peer_id for c in chats] or [p.vk_id for p in await self.people_repo.holders(level, scope_id)]
            messages += [Outgoing(peer, reply, f"{event.key}:{level}{scope_id}:{peer}") for peer in peers]
        return await self.messenger.send_bulk(messages) if messages else 0
