"""Reporting periods exactly as the contract defines them (`docs/roadmap-format.md`).

A period is identified by its due date in the organization's municipality time zone.
"1w": every `on` weekday; "2w"/"3w": every 2/3 weeks from the first `on` weekday on or after
`roadmap.starts`; "1m": on `day` of each month (the last day when unset, or when the month is
shorter). Periods run from `roadmap.starts` to `roadmap.ends`, both included.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.roadmap import WEEKDAYS, Form, Roadmap


@dataclass(frozen=True)
class Period:
    due: date
    starts: date  # the day after the previous due date (or the roadmap's start)

    @property
    def key(self) -> str:
        return self.due.isoformat()


def due_dates(form: Form, starts: date, ends: date) -> list[date]:
    if form.every == "1m":
        out = []
        year, month = starts.year, starts.month
        while (year, month) <= (ends.year, ends.month):
            last = calendar.monthrange(year, month)[1]
            d = date(year, month, min(form.day or last, last))
            if starts <= d <= ends:
                out.append(d)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out
    assert form.on is not None  # the loader requires `on` for week cadences
    weekday = WEEKDAYS.index(form.on)
    first = starts + timedelta(days=(weekday - starts.weekday()) % 7)
    step = timedelta(weeks=int(form.every[0]))
    out = []
    d = first
    while d <= ends:
        out.append(d)
        d += step
    return out


def periods(form: Form, roadmap: Roadmap) -> list[Period]:
    dues = due_dates(form, roadmap.roadmap.starts, roadmap.roadmap.ends)
    out = []
    previous = roadmap.roadmap.starts - timedelta(days=1)
    for d in dues:
        out.append(Period(d, previous + timedelta(days=1)))
        previous = d
    return out


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def current_period(form: Form, roadmap: Roadmap, today: date) -> Period | None:
    """The period whose due day is today or the nearest ahead; None after the last one."""
    for p in periods(form, roadmap):
        if p.due >= today:
            return p
    return None


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
