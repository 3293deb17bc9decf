"""What is due when: reminders, summaries, item reminders and overdue notices, as plain data.

Nothing here sends or stores; the job runner (`bot.services.jobs`) runs the events. An event is identified by a key, so
running it twice (a replay, a restart) can be recognised and sends nothing new.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.domain.models import Municipality
from bot.domain.periods import Period, Same, due_dates, local_instant, periods
from bot.domain.roadmap import Form, Item, Roadmap, RoadmapHeader


@lru_cache(maxsize=64)
def _russia(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=year)


def is_working_day(day: date) -> bool:
    """Russia's production calendar: weekends, public holidays and transferred days."""
    return _russia(day.year).is_working_day(day)


@lru_cache(maxsize=4096)  # the planner asks about the same few hundred days on every tick
def previous_working_day(day: date) -> date:
    """`day` itself if it is a working day, else the closest working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


@lru_cache(maxsize=4096)
def next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class Event:
    kind: str
    instant: datetime
    roadmap_id: str
    ref: str  # form id or item id
    occurrence: date  # the period's or the item occurrence's due date
    scope_role: str  # 'municipality' | 'region': whose territory the event covers
    scope_id: int
    detail: str = ""  # reminder time or days before

    @property
    def key(self) -> str:
        return (f"{self.kind}:{self.roadmap_id}:{self.ref}:{self.occurrence.isoformat()}:"
                f"{self.scope_role}{self.scope_id}:{self.detail}")


@dataclass(frozen=True)
class ItemSettings:
    days_before: tuple[int, ...] = (7, 3, 1)
    remind_at: time = time(9, 0)


def report_date(item: Item, occurrence: date) -> date:
    """v3 `report_by`: when the report on an occurrence is due — its date, N calendar or working days after the
    occurrence, or (none given) the occurrence itself."""
    rule = item.report_by
    if rule is None:
        return occurrence
    if isinstance(rule, date):
        return rule
    n = int(rule[1:].rstrip("wd"))
    if rule.endswith("wd"):
        day = occurrence
        for _ in range(n):
            day = next_working_day(day + timedelta(days=1))
        return day
    return occurrence + timedelta(days=n)


REST_DAYS = 90  # a plan long over rests: its forms' final results and its items' open dates stop being shown


def at_rest(roadmap: Roadmap, occurrence: date, today: date) -> bool:
    """An item's occurrence no one is asked about any more: REST_DAYS past both its date and the plan's end (a plan
    of 2023 had listed its open items as overdue in 2026)."""
    return (today - max(occurrence, roadmap.roadmap.ends)).days > REST_DAYS


def item_state(item: Item, occurrence: date, today: date) -> str:
    """One judgment of an open occurrence, shown alike everywhere: "open" until its date, "awaiting" its report
    (v3 `report_by`: done by then, reported later), "overdue" once the report's date has passed."""
    if occurrence >= today:
        return "open"
    return "awaiting" if report_date(item, occurrence) >= today else "overdue"


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def item_occurrences(item: Item, roadmap: Roadmap) -> list[date]:
    """Due dates of an item, in order: its `dates`, its `months` of every year (v3), its `due`, or one per repetition
    inside [from, due] for `every` ("2y"/"3y" as "1y", v3)."""
    return list(_occurrences(Same(item), Same(roadmap.roadmap)))


@lru_cache(maxsize=512)  # the items of the roadmaps loaded now (a loaded roadmap is frozen: see `Same`)
def _occurrences(item_key: Same[Item], header_key: Same[RoadmapHeader]) -> tuple[date, ...]:
    item, header = item_key.obj, header_key.obj
    if item.dates:
        return tuple(sorted(item.dates))
    if item.months:
        start, end = item.from_ or header.starts, item.due or header.ends
        return tuple(due_dates(item, start, end))
    if item.due is None:
        return ()
    if item.every is None:
        return (item.due,)
    start = item.from_ or header.starts
    out: list[date] = []
    step_start = start
    while step_start <= item.due:
        if item.every.endswith("w"):
            next_start = step_start + timedelta(weeks=int(item.every[0]))
        elif item.every == "1m":
            next_start = _add_months(start, len(out) + 1)
        elif item.every in ("3m", "6m"):
            next_start = _add_months(start, int(item.every[0]) * (len(out) + 1))
        else:  # "1y", "2y", "3y"
            next_start = _add_months(start, 12 * int(item.every[0]) * (len(out) + 1))
        out.append(min(next_start - timedelta(days=1), item.due))
        step_start = next_start
    return tuple(out)


@dataclass(frozen=True)
class _Dues:
    """What of a roadmap the planner looks at on every tick, computed once per loaded roadmap: each form's periods
    and their due dates; each confirmable item's occurrences and how far past one its events may fall (its overdue
    notice comes the working day after its report's date: v3 `report_by`, months later for some)."""

    forms: tuple[tuple[Form, tuple[Period, ...], tuple[date, ...]], ...]
    items: tuple[tuple[Item, tuple[date, ...], timedelta], ...]


@lru_cache(maxsize=64)  # the roadmaps loaded now, and a few replaced ones
def _dues(key: Same[Roadmap]) -> _Dues:
    rm = key.obj
    forms = []
    for form in rm.form:
        every = tuple(periods(form, rm))
        forms.append((form, every, tuple(p.due for p in every)))
    items = []
    for item in rm.item:
        if item.confirm:
            occurrences = _occurrences(Same(item), Same(rm.roadmap))
            waits = [(report_date(item, o) - o).days for o in occurrences] if item.report_by is not None else []
            items.append((item, occurrences, timedelta(days=14 + max(waits, default=0))))
    return _Dues(tuple(forms), tuple(items))


def plan(roadmaps: list[Roadmap], municipalities: list[Municipality], region_names: dict[int, str],
         start: datetime, end: datetime, items: ItemSettings, region_timezone: str) -> list[Event]:
    """Every event with start < instant <= end, sorted by instant.

    A person gets at most one reminder a day: every reminder of one local day in one time zone (forms' `remind_at`
    times, items' days before) goes at one moment — the first `remind_at` of the forms due that day, else the items'
    reminder time — so the job runner sends them together
    (bot/services/jobs.py, `together`). Reminders are planned a day either side of the window so that the earliest
    time of a day is found whichever tick's window the day straddles."""
    out: list[Event] = []
    reminders: list[tuple[str, Event]] = []  # (time zone, event) before their day's instant is settled

    def keep(instant: datetime) -> bool:
        return start < instant <= end

    def near(instant: datetime) -> bool:
        return start - timedelta(days=1) < instant <= end + timedelta(days=1)

    # A due date whose events (reminders up to a week and a long holiday before it, an overdue notice the working
    # day after) cannot reach the window is passed over unplanned, found by bisection: a tick a minute looks at one
    # minute, not at a year of due dates.
    first_day, last_day = (start - timedelta(days=2)).date(), (end + timedelta(days=2)).date()
    item_before = timedelta(days=max(items.days_before, default=0) + 14)

    for rm in roadmaps:
        covered = [m for m in municipalities if rm.roadmap.covers(region_names.get(m.region_id, ""), m.name)]
        if not covered:
            continue
        by_zone: dict[str, list[Municipality]] = {}
        for t in covered:
            by_zone.setdefault(t.timezone, []).append(t)
        regions = sorted({m.region_id for m in covered})
        # Forms: reminders on the due day (moved to the previous working day), summary at summary_at.
        dues = _dues(Same(rm))
        for form, every, due_days in dues.forms:
            for period in every[bisect_left(due_days, first_day - timedelta(days=1)):
                                bisect_right(due_days, last_day + timedelta(days=14))]:
                remind_day = previous_working_day(period.due)
                for tz, group in by_zone.items():
                    for at in form.remind_at:
                        instant = local_instant(remind_day, at, tz)
                        if near(instant):
                            reminders += [(tz, Event("form_reminder", instant, rm.id, form.id, period.due,
                                                     "municipality", t.id, at.strftime("%H:%M"))) for t in group]
                    if form.summary_at is not None:
                        instant = local_instant(period.due, form.summary_at, tz)
                        if keep(instant):
                            out += [Event("form_summary", instant, rm.id, form.id, period.due, "municipality",
                                          t.id) for t in group]
                if form.summary_at is not None:
                    # A region's summary waits for its last municipality's local summary time.
                    for rid in regions:
                        zones = {t.timezone for t in covered if t.region_id == rid}
                        instant = max(local_instant(period.due, form.summary_at, tz) for tz in zones)
                        if keep(instant):
                            out.append(Event("form_summary", instant, rm.id, form.id, period.due, "region", rid))
        # Items: reminders N days before and on the due day, an overdue notice the next working day.
        for item, occurrences, item_after in dues.items:
            for i in range(bisect_left(occurrences, first_day - item_after),
                           bisect_right(occurrences, last_day + item_before)):
                occurrence = occurrences[i]
                # A reminder N days ahead only when the previous occurrence is further back than N days: a
                # weekly item's 7-day reminder would land on the previous week's due day and read as that one.
                since = occurrences[i - 1] if i else (item.from_ or rm.roadmap.starts) - timedelta(days=1)
                gap = (occurrence - since).days
                # Offsets that land on the same working day (a weekend in between) make one reminder.
                by_day: dict[date, int] = {}
                for n in sorted({d for d in items.days_before if d < gap} | {0}):
                    day = previous_working_day(occurrence - timedelta(days=n))
                    # what the reminder says is the real distance: a Friday before a Saturday due is "завтра"
                    by_day.setdefault(day, (occurrence - day).days)
                days = {str(n): day for day, n in by_day.items()}
                # v3 `report_by`: reminded again before the report's date, on the same counts of days back from it
                # that lie after the occurrence (two on one day are one message: see the docstring)
                report = report_date(item, occurrence)
                if report > occurrence:
                    by_report: dict[date, int] = {}
                    for n in sorted({d for d in items.days_before if d < (report - occurrence).days} | {0}):
                        day = previous_working_day(report - timedelta(days=n))
                        if day > occurrence:
                            by_report.setdefault(day, (report - day).days)
                    days.update({f"r{n}": day for day, n in by_report.items() if day not in days.values()})
                overdue_day = next_working_day(report + timedelta(days=1))
                local_units = [r for r in item.responsible if r in ("municipality", "organization")]
                zones: list[tuple[str, str, list[int]]] = []
                if local_units:
                    zones += [(tz, "municipality", [t.id for t in group]) for tz, group in by_zone.items()]
                if "region" in item.responsible:
                    zones.append((region_timezone, "region", list(regions)))
                for tz, role, scope_ids in zones:
                    for n, day in days.items():
                        instant = local_instant(day, items.remind_at, tz)
                        if near(instant):
                            reminders += [(tz, Event("item_reminder", instant, rm.id, item.id, occurrence, role,
                                                     sid, str(n))) for sid in scope_ids]
                    instant = local_instant(overdue_day, items.remind_at, tz)
                    if keep(instant):
                        out += [Event("item_overdue", instant, rm.id, item.id, occurrence, role, sid)
                                for sid in scope_ids]
    # The day's moment: its forms' first `remind_at` (the roadmap's own time) when a form is due, else the items' time.
    first: dict[tuple[str, date], tuple[bool, datetime]] = {}
    for tz, event in reminders:
        day = (tz, event.instant.astimezone(ZoneInfo(tz)).date())
        first[day] = min(first.get(day, (True, event.instant)), (event.kind != "form_reminder", event.instant))
    for tz, event in reminders:
        instant = first[(tz, event.instant.astimezone(ZoneInfo(tz)).date())][1]
        if keep(instant):
            out.append(replace(event, instant=instant))
    out.sort(key=lambda e: (e.instant, e.key))
    return out
