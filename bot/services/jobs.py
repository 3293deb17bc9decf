"""Scheduled jobs: entry points like a message. Each takes an instant, reads the database, queues
messages with dedup keys, and is safe to run twice. APScheduler only calls `tick`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from loguru import logger

from bot.domain.roadmap import Form, Item, Roadmap, item_number
from bot.domain.schedule import Event, ItemSettings, plan, report_date
from bot.domain.scope import Scope
from bot.services.items import ITEM, item_args, item_marks
from bot.services.ports import Messenger
from bot.services.reports import REPORT
from bot.services.roadmaps import RoadmapCache
from bot.services.summary import SummaryService
from bot.views.message import Button, File, Outgoing, Reply, Screen
from bot.words import texts
from bot.words.commands import CommandId
from bot.words.format import due_words, fmt_date, plural, short
from storage.chats import ChatRepo
from storage.directory import DirectoryRepo
from storage.items import ItemRepo, JobRepo
from storage.people import PeopleRepo
from storage.reports import ReportRepo
from storage.retention import RetentionRepo

JOB_KINDS = {"form-reminders": "form_reminder", "summaries": "form_summary",
             "item-reminders": "item_reminder", "overdue": "item_overdue"}


REMINDERS = ("form_reminder", "item_reminder")
PRUNE_EVERY = timedelta(hours=6)  # how often a tick deletes what is past the retention period


def together(events: list[Event]) -> list[list[Event]]:
    """Events in groups that go out as one message to each reader: the summaries of one territory at one moment;
    the reminders of one moment (the planner puts a local day's reminders at one moment, so a person gets one a
    day); the overdue notices of one moment. Order kept (a group where its first event was)."""
    groups: list[list[Event]] = []
    by_key: dict[tuple, list[Event]] = {}
    for event in events:
        if event.kind == "form_summary":
            key: tuple = (event.kind, event.scope_role, event.scope_id, event.instant)
        elif event.kind in REMINDERS:
            key = ("reminders", event.instant)
        else:
            key = (event.kind, event.instant)
        if key not in by_key:
            by_key[key] = []
            groups.append(by_key[key])
        by_key[key].append(event)
    return groups


@dataclass(frozen=True)
class _Due:
    """One thing a reminder asks of one person: a form to send for an organization, an item to confirm."""

    what: tuple  # tells two things apart: the same form of the same period for the same organization is one
    key: str  # the outbox key the reminder had when it was alone (kept, so an upgrade queues nothing twice)
    occurrence: date
    unit: str  # the organization's or territory's name
    alone: Reply  # the message when it is the only thing due
    line: str  # its line in a message of several, without the organization
    button: Button  # its button there
    about: str = ""  # a line under it: the people the order names (v3)


@dataclass(frozen=True)
class TickResult:
    ran: int
    skipped: int
    queued: int


class JobRunner:
    def __init__(self, roadmaps: RoadmapCache, directory_repo: DirectoryRepo, people_repo: PeopleRepo,
                 report_repo: ReportRepo, item_repo: ItemRepo, job_repo: JobRepo, chat_repo: ChatRepo,
                 messenger: Messenger, summary: SummaryService, item_settings: ItemSettings,
                 region_timezone: str, grace: timedelta, screen: Screen, retention_repo: RetentionRepo | None = None,
                 retention: timedelta = timedelta(days=90)) -> None:
        self.screen = screen  # what fits under one message (the messengers' adapters say)
        self.roadmaps = roadmaps
        self.directory_repo = directory_repo
        self.people_repo = people_repo
        self.report_repo = report_repo
        self.item_repo = item_repo
        self.job_repo = job_repo
        self.chat_repo = chat_repo
        self.messenger = messenger
        self.summary = summary
        self.item_settings = item_settings
        self.region_timezone = region_timezone
        self.grace = grace
        self.retention_repo = retention_repo
        self.retention = retention
        self._pruned_at: datetime | None = None

    async def events(self, start: datetime, end: datetime) -> list[Event]:
        municipalities, region_names = await self.directory_repo.municipalities_with_region_names()
        return plan(await self.roadmaps.all(), municipalities, region_names, start, end, self.item_settings,
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
        if self.retention_repo is not None and (self._pruned_at is None or not
                                                timedelta(0) <= now - self._pruned_at < PRUNE_EVERY):
            # a tick comes every minute; what is 90 days old may wait a few hours (nine statements a tick had been
            # most of a tick's work)
            self._pruned_at = now
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
        """A group of `together`: summaries, reminders or overdue notices falling due at one moment."""
        if group[0].kind == "form_summary":
            return await self._summaries(group)
        if group[0].kind in REMINDERS:
            return await self._reminders(group)
        return await self._overdue(group)

    # -- forms -----------------------------------------------------------------------------

    async def _reminders(self, group: list[Event]) -> int:
        """Everything the reminders of one moment ask of each person, as one message: the old single reminder when
        one thing is due, else a list with a button for each."""
        wanted: dict[int, dict[tuple, _Due]] = {}
        for event in group:
            roadmap = await self.roadmaps.get(event.roadmap_id)
            if roadmap is None:
                continue
            today = await self._local_day(event)
            found = await self._form_dues(event, roadmap, today) if event.kind == "form_reminder" else \
                await self._item_dues(event, roadmap, today)
            for person, due in found:
                wanted.setdefault(person, {}).setdefault(due.what, due)
        messages: list[Outgoing] = []
        for person, dues in wanted.items():
            if len(dues) == 1:
                due = next(iter(dues.values()))
                messages.append(Outgoing(person, due.alone, due.key))
                continue
            reply = reminder_list(list(dues.values()), await self._local_day(group[0]), self.screen)
            messages.append(Outgoing(person, reply, f"reminders:{group[0].instant.isoformat()}:{person}"))
        return await self.messenger.send_bulk(messages) if messages else 0

    async def _form_dues(self, event: Event, roadmap: Roadmap, today: date) -> list[tuple[int, _Due]]:
        form = next((f for f in roadmap.form if f.id == event.ref), None)
        if form is None:
            return []
        orgs = await self.directory_repo.organizations_of_municipality(event.scope_id)
        done = await self.report_repo.submitted(roadmap.id, form.id, event.occurrence.isoformat())
        when = due_words(event.occurrence, today)
        due = [o for o in orgs if o.id not in done and o.type in form.org_types and form.indicators_for(o.type)]
        if form.filled_by == "import":
            return await self._import_dues(event, roadmap, form, len(due), when) if due else []
        admins = await self.people_repo.holders_of("organization", [o.id for o in due])
        out: list[tuple[int, _Due]] = []
        # a due date from a calendar names it (v3): two periods of one form days apart say why
        period = fmt_date(event.occurrence) + calendar_words(roadmap, event.occurrence)
        for org in due:
            ref = {"org": org.id, "rm": roadmap.id, "form": form.id}
            alone = Reply(texts.REMIND_FORM.format(title=form.title, period=period, when=when,
                                                   organization=org.name),
                          [[Button(texts.REMIND_FORM_BUTTON, REPORT, ref)]], inline=True)
            line = texts.REMIND_LIST_FORM.format(title=form.title, period=period, when=when)
            for admin in admins.get(org.id, []):
                out.append((admin.person_id, _Due(("form", roadmap.id, form.id, event.occurrence, org.id),
                                              f"{event.key}:{org.id}:{admin.person_id}", event.occurrence, org.name,
                                              alone, line, Button(texts.REMIND_FORM_BUTTON, REPORT, ref))))
        return out

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
        summary = await self.summary.summary_for_events(due, first.scope_role, first.scope_id,
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
        scope = await self.summary.territory(event.scope_role, event.scope_id)
        if scope is None:
            return None
        try:
            picture = await self.summary.chart(scope, event.instant)
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

    async def _import_dues(self, event: Event, roadmap: Roadmap, form: Form, missing: int,
                           when: str) -> list[tuple[int, _Due]]:
        """v3 `filled_by = "import"`: not the schools but the municipality's coordinators are reminded, once, to
        import the figures still missing for the period."""
        muni = await self.directory_repo.municipality(event.scope_id)
        said = {"title": form.title, "period": fmt_date(event.occurrence), "when": when,
                "n": plural(missing, *texts.ORGANIZATIONS), "municipality": muni.name if muni else ""}
        button = Button(texts.BTN_IMPORT_TEMPLATE, CommandId.TEMPLATE)
        alone = Reply(texts.REMIND_IMPORT.format(**said), [[button]], inline=True)
        return [(p.person_id, _Due(("form", roadmap.id, form.id, event.occurrence, f"m{event.scope_id}"),
                               f"{event.key}:m:{p.person_id}", event.occurrence, said["municipality"], alone,
                               texts.REMIND_LIST_IMPORT.format(**said), button))
                for p in await self.people_repo.holders("municipality", str(event.scope_id))]

    async def _item_dues(self, event: Event, roadmap: Roadmap, today: date) -> list[tuple[int, _Due]]:
        item = next((i for i in roadmap.item if i.id == event.ref), None)
        if item is None:
            return []
        confirmed = await self.item_repo.confirmed_units(roadmap.id, item.id, event.occurrence.isoformat())
        # a reminder before the report's date (v3 `report_by`) speaks of the report, not of the work's date
        report = event.detail.startswith("r")
        when = due_words(report_date(item, event.occurrence) if report else event.occurrence, today) + \
            ("" if report else calendar_words(roadmap, event.occurrence))
        text = (texts.REMIND_ITEM_REPORT if report else texts.REMIND_ITEM).format(
            id=item.number, title=item.title, when=when,
            result=(texts.ITEM_RESULT.format(result=item.result) if item.result else "") +
            (texts.ITEM_PEOPLE.format(people=item.responsible_person) + "\n" if item.responsible_person else ""))
        line = (texts.REMIND_LIST_ITEM_REPORT if report else texts.REMIND_LIST_ITEM).format(
            id=item.number, title=short(item.title, 80), when=when)
        units = [u for u in await self.units(event, item) if (u.level, u.id) not in confirmed]
        people: dict[tuple[str, str], list] = {}
        for level in {u.level for u in units}:
            found = await self.people_repo.holders_of(level, [u.id for u in units if u.level == level])
            people.update({(level, scope_id): persons for scope_id, persons in found.items()})
        out: list[tuple[int, _Due]] = []
        for scope in units:
            args = item_args(roadmap, item, event.occurrence, scope)
            alone = Reply(text, [[Button(texts.ITEM_DONE_BUTTON, ITEM, args)]], callback=True)
            for person in people.get((scope.level, scope.id), []):
                out.append((person.person_id, _Due(("item", roadmap.id, item.id, event.occurrence, scope.level, scope.id),
                                               f"{event.key}:{scope.level}{scope.id}:{person.person_id}",
                                               event.occurrence, scope.name, alone, line,
                                               Button(texts.ITEMS_DONE_N.format(id=item.number), ITEM, args),
                                               texts.ITEM_PEOPLE.format(people=item.responsible_person)
                                               if item.responsible_person else "")))
        return out

    async def _overdue(self, group: list[Event]) -> int:
        """The overdue notices of one moment: to each chat or coordinator one message, a line per item (one item:
        the notice as it always read)."""
        notices: dict[int, list[tuple[str, dict[str, str]]]] = {}  # peer -> (the notice's own key, what it says)
        for event in group:
            roadmap = await self.roadmaps.get(event.roadmap_id)
            item = next((i for i in roadmap.item if i.id == event.ref), None) if roadmap else None
            if roadmap is None or item is None:
                continue
            for peer, key, said in await self._item_overdue(event, roadmap, item):
                notices.setdefault(peer, []).append((key, said))
        messages: list[Outgoing] = []
        for peer, said in notices.items():
            if len(said) == 1:
                messages.append(Outgoing(peer, Reply(texts.ITEM_OVERDUE.format(**said[0][1])), said[0][0]))
                continue
            text = "\n".join([texts.ITEM_OVERDUE_HEAD] + ["• " + texts.ITEM_OVERDUE_LINE.format(**s) for _, s in said])
            messages.append(Outgoing(peer, Reply(text), f"overdue:{group[0].instant.isoformat()}:{peer}"))
        return await self.messenger.send_bulk(messages) if messages else 0

    async def _item_overdue(self, event: Event, roadmap: Roadmap, item: Item) -> list[tuple[int, str, dict[str, str]]]:
        """(peer, key, notice) for each chat or coordinator to be told that `item` is overdue."""
        confirmed = await self.item_repo.confirmed_units(roadmap.id, item.id, event.occurrence.isoformat())
        late = [s for s in await self.units(event, item) if (s.level, s.id) not in confirmed]
        if not late:
            return []
        # Who hears about it: the coordinators one level up (a region's own items: its coordinators).
        by_parent: dict[tuple[str, str], list[str]] = {}
        for scope in late:
            if scope.level == "organization":
                parent = ("municipality", str(event.scope_id))
            else:
                muni = await self.directory_repo.municipality(int(scope.id)) if scope.level == "municipality" else None
                parent = ("region", str(muni.region_id if muni else scope.id))
            by_parent.setdefault(parent, []).append(scope.name)
        out: list[tuple[int, str, dict[str, str]]] = []
        for (level, scope_id), names in by_parent.items():
            said = {"id": item.number, "title": item.title, "due": fmt_date(event.occurrence), "names": "; ".join(names)}
            chats = await self.chat_repo.for_scope(level, scope_id)
            peers = [c.peer_id for c in chats] or [p.person_id for p in await self.people_repo.holders(level, scope_id)]
            out += [(peer, f"{event.key}:{level}{scope_id}:{peer}", said) for peer in peers]
        return out


ITEMS_PER_ROW = 4  # «✓ п. 3б» buttons in a row


def reminder_list(dues: list[_Due], today: date, screen: Screen) -> Reply:
    """Several things due, as one reminder: the forms (numbered when more than one, «Сдать отчёт 2»), then the items
    by their roadmap numbers («✓ п. 4»); the organization named when they are not all one's. Buttons beyond what a
    keyboard holds give way to «Все пункты» (/items lists every open item)."""
    forms = [d for d in dues if d.what[0] == "form"]
    items = sorted((d for d in dues if d.what[0] == "item"), key=lambda d: (d.occurrence, d.what))
    several = len({d.unit for d in dues}) > 1
    lines = [texts.REMIND_LIST_HEAD.format(day=due_words(today, today))]
    rows: list[list[Button]] = []
    if forms:
        lines.append(texts.REMIND_LIST_FORMS)
        for n, due in enumerate(forms, 1):
            label = due.button.label if len(forms) == 1 else f"{due.button.label} {n}"
            lines.append((f"{n}. " if len(forms) > 1 else "") + due.line + (f" — {due.unit}" if several else ""))
            if len(rows) < screen.rows - 1:
                rows.append([replace(due.button, label=label, callback=False)])  # it opens the form as messages
    if items:
        lines.append(texts.REMIND_LIST_ITEMS)
        numbers = [item_number(d.what[2]) for d in items]
        marks = item_marks(numbers)
        buttons = []
        for mark, number, due in zip(marks, numbers, items, strict=True):
            lines.append(due.line.replace(f"п. {number} ", f"п. {mark} ", 1) + (f" — {due.unit}" if several else ""))
            if due.about:
                lines.append(f"   {due.about}")
            buttons.append(replace(due.button, label=texts.ITEMS_DONE_N.format(id=mark)))
        room = min(screen.buttons - len(rows), (screen.rows - len(rows)) * ITEMS_PER_ROW)
        if len(buttons) > room:
            # /items answers as a message, not in place: a callback press of it would be acknowledged and do nothing
            buttons = buttons[:room - 1] + [Button(texts.BTN_ALL_ITEMS, CommandId.ITEMS, callback=False)]
        rows += [buttons[i:i + ITEMS_PER_ROW] for i in range(0, len(buttons), ITEMS_PER_ROW)]
    lines.append(texts.REMIND_LIST_HOW if forms and items else texts.REMIND_LIST_HOW_FORMS if forms else texts.ITEMS_HOW)
    return Reply("\n".join(lines), rows, callback=True)


def calendar_words(roadmap: Roadmap, day: date) -> str:
    """« (окончание триместров)» after a due date one of the roadmap's calendars lists (v3), else nothing."""
    title = next((c.title for c in roadmap.calendar if c.dates and day in c.dates), None)
    if title is None:
        return ""
    # «Окончание триместров» mid-sentence is «окончание триместров»; «ЕГЭ» stays as written
    return texts.CALENDAR_NAMED.format(calendar=title[:1].lower() + title[1:] if title[1:2].islower() else title)
