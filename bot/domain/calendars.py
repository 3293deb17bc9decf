"""Roadmap format v3's calendars at load: every "@<calendar>" in a date list, every `during` segment and
`extra_dates` resolved to plain dates, so periods, reminders, summaries and exports see ordinary due dates."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.domain.roadmap import Calendar, Roadmap


def settle_months(rm: Roadmap) -> Roadmap:
    """v3's settled rule: a month-precision `from` naming the month `roadmap.starts` falls in means `starts` (a
    form's, a segment's, an item's), and a form's `until` naming the month of `roadmap.ends` is cut at `ends`. An
    earlier (later) month stays an error."""
    head = rm.roadmap

    def start(day: date | None) -> date | None:
        if day is not None and day < head.starts and day.day == 1 and (day.year, day.month) == \
                (head.starts.year, head.starts.month):
            return head.starts
        return day

    def end(day: date | None) -> date | None:
        if day is not None and day > head.ends and (day.year, day.month) == (head.ends.year, head.ends.month):
            return head.ends
        return day

    forms = [form.model_copy(update={
        "from_": start(form.from_), "until": end(form.until),
        "schedule": [seg.model_copy(update={"from_": start(seg.from_), "until": end(seg.until)})
                     for seg in form.schedule] if form.schedule is not None else None}) for form in rm.form]
    items = [item.model_copy(update={"from_": start(item.from_)}) for item in rm.item]
    return rm.model_copy(update={"form": forms, "item": items})


def resolve_calendars(rm: Roadmap, add: Any) -> Roadmap:
    """v3: every "@<calendar>" replaced by the calendar's dates, every `during` segment by one segment per span of
    its calendar, `extra_dates` resolved likewise; what follows sees plain dates only. A form keeps the calendar
    dates inside its from/until (a calendar may serve several forms); a date written out in the form stays checked
    as in v2."""
    head = rm.roadmap
    calendars: dict[str, Calendar] = {}
    for ci, cal in enumerate(rm.calendar):
        if cal.id in calendars:
            add(("calendar", ci, "id"), f"календарь {cal.id!r} уже есть в этой дорожной карте")
        calendars[cal.id] = cal
        if (cal.dates is None) == (cal.spans is None):
            add(("calendar", ci, "dates" if cal.dates is not None else "spans"),
                "у календаря должно быть что-то одно: dates или spans")
        for si, sp in enumerate(cal.spans or []):
            if sp.until < sp.from_:
                add(("calendar", ci, "spans", si, "until"), "until раньше from")

    def dates_of(values: list[date | str] | None, where: tuple[str | int, ...],
                 inside: tuple[date, date] | None) -> list[date] | None:
        if values is None:
            return None
        out: set[date] = set()
        for value in values:
            if isinstance(value, date):
                out.add(value)
                continue
            cal = calendars.get(value[1:])
            if cal is None:
                add(where, f"нет календаря {value[1:]!r} ([[calendar]] с таким id)")
            elif cal.dates is None:
                add(where, f"в календаре {cal.id!r} нет dates (у него spans: такой календарь задаёт during)")
            else:
                out |= {d for d in cal.dates if inside is None or inside[0] <= d <= inside[1]}
        if not out and not any(isinstance(v, date) for v in values):
            add(where, "по ссылке на календарь не осталось ни одного срока")
        return sorted(out)

    forms = []
    for fi, form in enumerate(rm.form):
        inside = (form.from_ or head.starts, form.until or head.ends)
        update: dict[str, Any] = {}
        if form.dates is not None and not all(isinstance(v, date) for v in form.dates):
            # the calendar's dates inside the form's span; the written-out ones all kept (checked as in v2)
            update["dates"] = sorted(set(dates_of(form.dates, ("form", fi, "dates"), inside) or []) |
                                     {v for v in form.dates if isinstance(v, date)})
        if form.extra_dates is not None:
            if form.dates is not None:
                add(("form", fi, "extra_dates"), "extra_dates дополняет every, months или [[form.schedule]], "
                                                 "а у формы с dates все сроки перечислены")
            update["extra_dates"] = dates_of(form.extra_dates, ("form", fi, "extra_dates"), inside)
        segments = []
        for si, seg in enumerate(form.schedule or []):
            where = ("form", fi, "schedule", si)
            seg_dates = dates_of(seg.dates, (*where, "dates"), None) if seg.dates is not None and \
                not all(isinstance(v, date) for v in seg.dates) else seg.dates
            if seg.during is None:
                if seg.from_ is None or seg.until is None:
                    add((*where, "from" if seg.from_ is None else "until"),
                        "у отрезка расписания нужны from и until (или during = \"@календарь\")")
                segments.append(seg.model_copy(update={"dates": seg_dates}))
                continue
            if seg.from_ is not None or seg.until is not None:
                add((*where, "during"), "during задаёт отрезок вместо from и until: оставьте что-то одно")
            cal = calendars.get(seg.during[1:])
            if cal is None:
                add((*where, "during"), f"нет календаря {seg.during[1:]!r} ([[calendar]] с таким id)")
            elif cal.spans is None:
                add((*where, "during"), f"в календаре {cal.id!r} нет spans (у него dates: их берут в dates)")
            else:
                # each span, clipped to the form's own from/until (a calendar may serve several forms)
                spans = [(max(sp.from_, inside[0]), min(sp.until, inside[1])) for sp in cal.spans]
                spans = [(a, b) for a, b in spans if a <= b]
                if not spans:
                    add((*where, "during"), f"ни один отрезок календаря {cal.id!r} не приходится на срок формы")
                segments += [seg.model_copy(update={"from_": a, "until": b, "during": None, "dates": seg_dates})
                             for a, b in spans]
        if form.schedule is not None:
            update["schedule"] = segments
        forms.append(form.model_copy(update=update) if update else form)
    items = [item.model_copy(update={"dates": dates_of(item.dates, ("item", ii, "dates"), None)})
             if item.dates is not None and not all(isinstance(v, date) for v in item.dates) else item
             for ii, item in enumerate(rm.item)]
    return rm.model_copy(update={"form": forms, "item": items})
