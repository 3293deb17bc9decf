"""Reporting periods exactly as the contract defines them (`docs/roadmap-format.md`).

A period is identified by its due date in the organization's municipality time zone.
"1w": every `on` weekday; "2w"/"3w": every 2/3 weeks from the first `on` weekday on or after
the start; "1m": on `day` of each month (the last day when unset, or when the month is shorter);
v2: "3m" on `day` of March, June, September and December, "6m" of June and December; `dates` as
given; `[[form.schedule]]` the union of its segments. Periods run from the form's `from` (else
`roadmap.starts`) to its `until` (else `roadmap.ends`), both included.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from bot.domain.roadmap import WEEKDAYS, Form, Roadmap, RoadmapHeader

T = TypeVar("T")


@dataclass(frozen=True)
class Period:
    due: date
    starts: date  # the day after the previous due date (or the roadmap's start)

    @property
    def key(self) -> str:
        return self.due.isoformat()


MONTHS = {"1m": range(1, 13), "3m": (3, 6, 9, 12), "6m": (6, 12)}


def due_dates(part: Any, starts: date, ends: date) -> list[date]:
    """Due dates of a form (or one segment of its schedule) between `starts` and `ends`, both included."""
    if part.dates:
        return sorted(d for d in part.dates if starts <= d <= ends)
    months = MONTHS.get(part.every or "") or getattr(part, "months", None)  # v3: `months` of every year
    if months:
        out = []
        year, month = starts.year, starts.month
        while (year, month) <= (ends.year, ends.month):
            last = calendar.monthrange(year, month)[1]
            d = date(year, month, min(part.day or last, last))
            if month in months and starts <= d <= ends:
                out.append(d)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out
    assert part.on is not None  # the loader requires `on` for week cadences
    weekday = WEEKDAYS.index(part.on)
    first = starts + timedelta(days=(weekday - starts.weekday()) % 7)
    step = timedelta(weeks=int(part.every[0]))
    out = []
    d = first
    while d <= ends:
        out.append(d)
        d += step
    return out


def span(form: Form, roadmap: Roadmap) -> tuple[date, date]:
    """The days the form runs: its `from`/`until`, else the roadmap's."""
    return _span(form, roadmap.roadmap)


def _span(form: Form, header: RoadmapHeader) -> tuple[date, date]:
    return form.from_ or header.starts, form.until or header.ends


class Same(Generic[T]):
    """A cache key that is the object itself, not its value: a loaded roadmap and its parts are frozen, so what is
    computed of them once holds while they live (comparing them by value would cost more than the computation). The
    key holds the object, so its id is not given to another while the cached value is kept."""

    __slots__ = ("obj",)

    def __init__(self, obj: T) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.obj is self.obj


def periods(form: Form, roadmap: Roadmap) -> list[Period]:
    """The form's periods in order; outside its `from`/`until` it asks nothing and reminds no one."""
    return list(_periods(Same(form), Same(roadmap.roadmap)))


@lru_cache(maxsize=256)  # the forms of the roadmaps loaded now, and a few replaced ones
def _periods(form_key: Same[Form], header_key: Same[RoadmapHeader]) -> tuple[Period, ...]:
    form = form_key.obj
    first, last = _span(form, header_key.obj)
    opens: dict[date, date] = {}  # a due date -> the earliest its period may start (a schedule part's `from`)
    if form.schedule:
        for seg in form.schedule:
            begins = max(seg.from_, first)
            for d in due_dates(seg, begins, min(seg.until, last)):
                opens[d] = min(opens.get(d, begins), begins)
        dues = sorted(opens)
    else:
        dues = due_dates(form, first, last)
    if form.extra_dates:  # v3: the same questions again on these dates (resolved from calendars at load)
        dues = sorted(set(dues) | {d for d in form.extra_dates if isinstance(d, date) and first <= d <= last})
    out = []
    previous = first - timedelta(days=1)
    for d in dues:
        # a schedule that starts on 03.03 asks nothing before it: its first period starts then, not in January
        out.append(Period(d, max(previous + timedelta(days=1), opens.get(d, first))))
        previous = d
    return tuple(out)


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def current_period(form: Form, roadmap: Roadmap, today: date) -> Period | None:
    """The period whose due day is today or the nearest ahead; None after the last one, before a form's own
    `from` (v2: a form that starts in March asks nothing in February) and before a schedule part opens."""
    if form.from_ is not None and today < form.from_:
        return None
    for p in periods(form, roadmap):
        if p.due >= today:
            return p if today >= p.starts or not form.schedule else None
    return None


def open_forms(roadmaps: list[Roadmap], org_type: str, region: str, municipality: str,
               today: date) -> list[tuple[Roadmap, Form, Period]]:
    """The forms an organization of `org_type` in `municipality` of `region` answers today: roadmaps that cover
    its territory, forms for its type with questions for it, a period open today. The admin's /report, the
    organization's card and its reminders all ask this one question."""
    return [(rm, form, period) for rm in roadmaps if rm.roadmap.covers(region, municipality) for form in rm.form
            if org_type in form.org_types and form.indicators_for(org_type)
            and (period := current_period(form, rm, today)) is not None]


def previous_period(form: Form, roadmap: Roadmap, period: Period) -> Period | None:
    earlier = [p for p in periods(form, roadmap) if p.due < period.due]
    return earlier[-1] if earlier else None


def period_by_key(form: Form, roadmap: Roadmap, key: str) -> Period | None:
    return next((p for p in periods(form, roadmap) if p.key == key), None)


def local_instant(day: date, at: time | None, timezone: str) -> datetime:
    """The moment `at` o'clock on `day` in `timezone` (end of the day when `at` is None)."""
    tz = ZoneInfo(timezone)
    if at is None:
        return datetime.combine(day + timedelta(days=1), time(0), tz)
    return datetime.combine(day, at, tz)


def summary_instant(form: Form, period: Period, timezone: str) -> datetime:
    """When the period's summary is posted; submissions after it are late."""
    return local_instant(period.due, form.summary_at, timezone)
