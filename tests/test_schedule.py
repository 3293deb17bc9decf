"""The planner: which event happens when, in whose time zone, moved off non-working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.models import Municipality, Region
from bot.domain.roadmap import parse_roadmap
from bot.domain.schedule import (
    ItemSettings,
    is_working_day,
    item_occurrences,
    plan,
    previous_working_day,
)

ROOT = Path(__file__).resolve().parents[1]
NTGO = parse_roadmap((ROOT / "roadmaps" / "ntgo-2023.toml").read_text(encoding="utf-8"), "n.toml")
SVERDLOVSK = Municipality(1, 1, "Нижнетуринский ГО", "Asia/Yekaterinburg")
REGIONS = {1: "Свердловская область"}
SVERDLOVSK_TZ = ZoneInfo("Asia/Yekaterinburg")


def test_russian_production_calendar():
    assert not is_working_day(date(2024, 4, 29))  # Monday off, moved from Saturday 27 April
    assert is_working_day(date(2024, 4, 27))  # a working Saturday
    assert not is_working_day(date(2023, 11, 6))  # Unity Day observed
    assert previous_working_day(date(2024, 5, 10)) == date(2024, 5, 8)  # 9 May and 10 May off
    assert previous_working_day(date(2024, 4, 30)) == date(2024, 4, 27)


def test_recurring_item_occurrences_end_each_period():
    item4 = next(i for i in NTGO.item if i.id == "4")
    assert item_occurrences(item4, NTGO) == [date(2023, 9, 30), date(2023, 12, 31), date(2024, 3, 31), date(2024, 5, 31)]
    item1 = next(i for i in NTGO.item if i.id == "1")
    assert item_occurrences(item1, NTGO) == [date(2023, 8, 31)]


def test_form_events_in_two_time_zones():
    rm = parse_roadmap((ROOT / "roadmaps" / "ntgo-2023.toml").read_text().replace(
        'municipalities = ["Нижнетуринский ГО"]', ""), "x.toml")
    moscow = Municipality(2, 1, "Другой ГО", "Europe/Moscow")
    events = plan([rm], [SVERDLOVSK, moscow], REGIONS, datetime(2023, 10, 20, tzinfo=UTC),
                  datetime(2023, 10, 21, tzinfo=UTC), ItemSettings(), "Europe/Moscow")
    reminders = [(e.scope_id, e.instant) for e in events if e.kind == "form_reminder"]
    # 10:00 and 15:00 local in each zone; a person gets one reminder a day, so the 15:00 one goes at 10:00 with it
    assert sorted((e.scope_id, e.detail, e.instant) for e in events if e.kind == "form_reminder") == [
        (1, "10:00", datetime(2023, 10, 20, 5, tzinfo=UTC)), (1, "15:00", datetime(2023, 10, 20, 5, tzinfo=UTC)),
        (2, "10:00", datetime(2023, 10, 20, 7, tzinfo=UTC)), (2, "15:00", datetime(2023, 10, 20, 7, tzinfo=UTC))]
    assert reminders[:2] == [(1, datetime(2023, 10, 20, 5, tzinfo=UTC))] * 2
    region_summary = [e for e in events if e.kind == "form_summary" and e.scope_role == "region"]
    # the region's summary waits for its westernmost municipality: 18:00 Moscow
    assert [e.instant for e in region_summary] == [datetime(2023, 10, 20, 15, tzinfo=UTC)]


def test_reminders_move_to_the_previous_working_day():
    text = (ROOT / "roadmaps" / "ntgo-2023.toml").read_text().replace('on = "fri"', 'on = "mon"')
    rm = parse_roadmap(text, "mon.toml")
    events = plan([rm], [SVERDLOVSK], REGIONS, datetime(2023, 11, 2, tzinfo=UTC), datetime(2023, 11, 7, tzinfo=UTC),
                  ItemSettings(), "Europe/Moscow")
    reminders = [e for e in events if e.kind == "form_reminder"]
    # Monday 6 November 2023 is a day off: its reminders come on Friday 3 November
    assert {e.occurrence for e in reminders} == {date(2023, 11, 6)}
    assert {e.instant.astimezone(UTC).date() for e in reminders} == {date(2023, 11, 3)}
    summaries = [e for e in events if e.kind == "form_summary"]
    assert {e.instant.date() for e in summaries} == {date(2023, 11, 6)}


def test_item_reminders_and_overdue_notice():
    events = plan([NTGO], [SVERDLOVSK], REGIONS, datetime(2023, 9, 1, tzinfo=UTC), datetime(2023, 10, 3, tzinfo=UTC),
                  ItemSettings((7, 3, 1), time(9, 0)), "Europe/Moscow")
    item2 = [e for e in events if e.ref == "2" and e.roadmap_id == NTGO.id]
    # item 2 is due Saturday 30 September 2023: 7 days before = Sat 23 -> Fri 22; 3 -> Wed 27; 1 and the
    # due day itself both -> Fri 29, one reminder; overdue notice on the next working day, Monday 2 October.
    # Each reminder carries the real distance to the due day ("завтра" on Friday 29, 8 days on Friday 22).
    days = sorted({(e.kind, e.detail, e.instant.date().isoformat()) for e in item2})
    assert days == [("item_overdue", "", "2023-10-02"), ("item_reminder", "1", "2023-09-29"),
                    ("item_reminder", "3", "2023-09-27"), ("item_reminder", "8", "2023-09-22")]
    # at the items' 09:00 local, except on the weekly form's Fridays: there with the form's reminder at 10:00, one
    # message a day
    hours = {e.instant.astimezone(SVERDLOVSK_TZ).date().isoformat(): e.instant.astimezone(SVERDLOVSK_TZ).hour
             for e in item2}
    assert hours == {"2023-09-22": 10, "2023-09-27": 9, "2023-09-29": 10, "2023-10-02": 9}


def test_a_day_of_reminders_is_one_moment_in_any_window():
    """Whatever window a tick looks through, a day's reminders come out at that day's one moment, and only once."""
    start, end = datetime(2023, 9, 20, tzinfo=UTC), datetime(2023, 10, 3, tzinfo=UTC)
    settings = ItemSettings((7, 3, 1), time(9, 0))
    whole = [e for e in plan([NTGO], [SVERDLOVSK], REGIONS, start, end, settings, "Europe/Moscow")
             if e.kind.endswith("reminder")]
    pieces = []
    cut = start
    while cut < end:  # ticks of 37 minutes: windows that cut days anywhere
        nxt = min(cut + timedelta(minutes=37), end)
        pieces += [e for e in plan([NTGO], [SVERDLOVSK], REGIONS, cut, nxt, settings, "Europe/Moscow")
                   if e.kind.endswith("reminder")]
        cut = nxt
    assert sorted(pieces, key=lambda e: e.key) == sorted(whole, key=lambda e: e.key)
    moments: dict[date, set[datetime]] = {}
    for e in whole:
        moments.setdefault(e.instant.astimezone(SVERDLOVSK_TZ).date(), set()).add(e.instant)
    assert moments and all(len(m) == 1 for m in moments.values())


def test_event_keys_are_stable_and_unique():
    window = (datetime(2023, 8, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC))
    a = plan([NTGO], [SVERDLOVSK], REGIONS, *window, ItemSettings(), "Europe/Moscow")
    b = plan([NTGO], [SVERDLOVSK], REGIONS, *window, ItemSettings(), "Europe/Moscow")
    assert [e.key for e in a] == [e.key for e in b]
    assert len({e.key for e in a}) == len(a)


def test_a_weekly_item_gets_no_reminder_a_week_ahead() -> None:
    smolensk = parse_roadmap((ROOT / "roadmaps" / "smolensk-2023.toml").read_text(encoding="utf-8"), "s.toml")
    region = Region(1, smolensk.roadmap.region or "")
    events = plan([smolensk], [Municipality(5, 1, "Смоленск", "Europe/Moscow")], {1: region.name},
                  datetime(2023, 5, 1, tzinfo=UTC), datetime(2023, 6, 1, tzinfo=UTC),
                  ItemSettings((7, 3, 1), time(9, 0)), "Europe/Moscow")
    weekly = [e for e in events if e.kind == "item_reminder" and e.ref == "16"]
    # order line 16: weekly calls; a reminder says how many days are left, never a week or more
    assert weekly and all(int(e.detail) < 7 for e in weekly), sorted({e.detail for e in weekly})
    monthly = [e for e in events if e.kind == "item_reminder" and e.detail == "7"]
    assert monthly  # items further apart still get their week-ahead reminder


def test_a_narrow_window_plans_exactly_what_the_whole_season_has_in_it():
    """The planner passes over due dates that cannot reach a window (a tick looks at one minute); what it returns
    for any window is what the whole season's plan has inside it — across the New Year holidays too."""
    import random

    region = parse_roadmap((ROOT / "tests" / "fixtures" / "region-2025.toml").read_text(encoding="utf-8"), "r.toml")
    settings = ItemSettings((7, 3, 1), time(9, 0))
    for rm, first, last in ((NTGO, datetime(2023, 7, 25, tzinfo=UTC), datetime(2024, 6, 10, tzinfo=UTC)),
                            (region, datetime(2024, 12, 20, tzinfo=UTC), datetime(2026, 1, 20, tzinfo=UTC))):
        whole = plan([rm], [SVERDLOVSK], REGIONS, first, last, settings, "Europe/Moscow")
        rng = random.Random(7)
        for _ in range(60):
            start = first + timedelta(hours=rng.randrange(0, int((last - first).total_seconds() // 3600) - 400))
            end = start + timedelta(minutes=rng.choice([1, 60, 60 * 24, 60 * 24 * 9]))
            got = plan([rm], [SVERDLOVSK], REGIONS, start, end, settings, "Europe/Moscow")
            assert got == [e for e in whole if start < e.instant <= end], (rm.id, start, end)


def test_a_reminder_ten_days_before_its_due_date_is_still_planned_in_a_one_minute_window():
    """A Monday form due 08.01.2024 is reminded on Friday 29.12.2023, before the New Year holidays: a tick's
    one-minute window on that Friday finds it."""
    text = (ROOT / "roadmaps" / "ntgo-2023.toml").read_text(encoding="utf-8").replace('on = "fri"', 'on = "mon"')
    rm = parse_roadmap(text.replace("ends = 2023-12-30", "ends = 2024-01-31"), "mon.toml")
    at = datetime(2023, 12, 29, 5, 0, tzinfo=UTC)  # 10:00 in Yekaterinburg
    found = plan([rm], [SVERDLOVSK], REGIONS, at - timedelta(minutes=1), at, ItemSettings(), "Europe/Moscow")
    assert {(e.kind, e.occurrence) for e in found} >= {("form_reminder", date(2024, 1, 8))}, found


def test_a_report_due_months_after_its_item_is_still_reminded_and_its_overdue_notice_planned() -> None:
    """v3 `report_by` as a date: item 1.1 done by 09.10.2026 is reported by 04.06.2027, eight months on. A tick's
    one-minute window finds its reminder on the report's day and its overdue notice the working day after (the
    planner had looked no further back than 144 days from an occurrence, for every item alike)."""
    text = (ROOT / "tests" / "fixtures" / "region-2026-v3.toml").read_text(encoding="utf-8")
    rm = parse_roadmap(text.replace("report_by = 2026-10-14", "report_by = 2027-06-04"), "v3.toml")
    settings = ItemSettings((7, 3, 1), time(9, 0))

    def at(day: date, hour: int) -> list[tuple[str, str, date]]:
        instant = datetime.combine(day, time(hour, 0), SVERDLOVSK_TZ).astimezone(UTC)
        found = plan([rm], [SVERDLOVSK], REGIONS, instant - timedelta(minutes=1), instant, settings, "Europe/Moscow")
        return [(e.kind, e.ref, e.occurrence) for e in found if e.ref == "1.1"]

    # 10:00 that day: with the monthly form's reminder, one message
    assert at(date(2027, 6, 4), 10) == [("item_reminder", "1.1", date(2026, 10, 9))]
    assert at(date(2027, 6, 7), 9) == [("item_overdue", "1.1", date(2026, 10, 9))]  # Monday after Friday 04.06
