"""Targets judged against their deadline (format v2), with values and verdicts computed by hand."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot.domain.roadmap import Target
from bot.domain.verdicts import judge

BY = date(2025, 5, 30)
# five Friday periods, the last one due on the deadline
DUES = [date(2025, 5, 2), date(2025, 5, 9), date(2025, 5, 16), date(2025, 5, 23), date(2025, 5, 30)]


def target(goal: float | None = 100, direction: str = "at_least", by: date | None = BY) -> Target:
    return Target(key="t", title="Т", numerator="a", denominator="b", goal_percent=goal, direction=direction, by=by)


def series(*values: float | None) -> dict[date, float | None]:
    return dict(zip(DUES, values, strict=False))


def verdict(t: Target, values: dict[date, float | None], today: date, dues: list[date] = DUES):
    return judge(t, dues, values, today)


def test_after_the_deadline_the_value_on_it_decides() -> None:
    met = verdict(target(), series(60, 80, 90, 95, 100), date(2025, 6, 2))
    assert (met.kind, met.value, met.deadline) == ("met", 100, BY)
    # 99,96 % is read as «100,0 %»: met at the precision people see
    assert verdict(target(), series(60, 80, 90, 95, 99.96), date(2025, 6, 2)).kind == "met"
    missed = verdict(target(), series(60, 80, 90, 95, 97.5), BY)  # on the day itself
    assert (missed.kind, missed.value) == ("not_met", 97.5)
    # the last period with data on or before the deadline, not a later one
    late = verdict(target(), {**series(60, 80, 100, None, None), date(2025, 6, 6): 50.0}, date(2025, 6, 9),
                   DUES + [date(2025, 6, 6)])
    assert (late.kind, late.value) == ("met", 100)
    assert verdict(target(), series(None, None, None, None, None), date(2025, 6, 2)).kind == "no_data"


def test_before_the_deadline_the_pace_decides() -> None:
    # 60 -> 70 in one period: +10 a period, three periods left (16.05, 23.05, 30.05): 70 + 30 = 100 -> on track
    assert verdict(target(), series(60, 70), date(2025, 5, 12)).kind == "on_track"
    # 60 -> 65: +5 a period, 65 + 15 = 80 < 100 -> behind
    assert verdict(target(), series(60, 65), date(2025, 5, 12)).kind == "behind"
    # a gap: 50 on 02.05, nothing on 09.05, 70 on 16.05: +10 a period over two, two left: 70 + 20 = 90 -> behind
    assert verdict(target(), series(50, None, 70), date(2025, 5, 19)).kind == "behind"
    # already at the goal: on track whatever the pace
    assert verdict(target(), series(100, 100), date(2025, 5, 12)).kind == "on_track"
    # one value short of the goal: no pace yet; none at all: no data
    assert verdict(target(), series(40), date(2025, 5, 5)).kind == "no_pace"
    assert verdict(target(), {}, date(2025, 5, 5)).kind == "no_data"


def test_an_at_most_goal_is_met_at_or_below_it() -> None:
    zero = target(goal=0, direction="at_most")
    assert verdict(zero, series(5, 3, 1, 0.5, 0), date(2025, 6, 1)).kind == "met"
    assert verdict(zero, series(5, 3, 1, 0.5, 0.4), date(2025, 6, 1)).kind == "not_met"
    # falling 2 points a period: 3 - 2·3 < 0 -> on track; falling 0,5: 3 - 1,5 > 0 -> behind
    assert verdict(zero, series(5, 3), date(2025, 5, 12)).kind == "on_track"
    assert verdict(zero, series(3.5, 3), date(2025, 5, 12)).kind == "behind"


def test_a_monitored_target_and_one_without_a_deadline_have_no_verdict() -> None:
    assert verdict(target(goal=None), series(60, 70), date(2025, 5, 12)) is None
    assert verdict(target(by=None), series(60, 70), date(2025, 5, 12)) is None


def test_the_time_left_counts_the_periods_still_ahead() -> None:
    # 60 -> 62 on weekly Fridays: by 30.05 (three periods left) 62 + 6 = 68 -> behind; by 26.12 (33 left)
    # 62 + 66 = 128 -> on track
    fridays = [date(2025, 5, 2) + timedelta(weeks=n) for n in range(35)]
    assert fridays[-1] == date(2025, 12, 26)
    assert verdict(target(), series(60, 62), date(2025, 5, 12), fridays).kind == "behind"
    late = verdict(target(by=date(2025, 12, 26)), series(60, 62), date(2025, 5, 12), fridays)
    assert late.kind == "on_track" and late.deadline == date(2025, 12, 26)


def test_a_judged_target_without_by_is_judged_by_the_roadmaps_end() -> None:
    """The contract: `by` defaults to `roadmap.ends` — set once at loading, so every view judges it alike."""
    from bot.domain.roadmap import parse_roadmap

    text = Path(__file__).resolve().parents[1].joinpath("bot", "demo", "ntgo-2023.toml").read_text(encoding="utf-8")
    roadmap = parse_roadmap(text, "ntgo.toml")
    weekly = next(t for t in roadmap.target if t.key == "teachers_active_share")
    assert weekly.by == roadmap.roadmap.ends
    kept = next(t for t in roadmap.target if t.key == "teachers_active_of_all")
    assert kept.by == date(2023, 12, 30)  # a written `by` stays as written


def test_an_exact_goal_is_met_only_when_equal_at_the_precision_shown() -> None:
    """v3 `direction = "exactly"`: equal at one decimal is met; before `by` equal is on track and anything else
    behind — there is no pace towards an exact figure."""
    exact = target(goal=100, direction="exactly")
    assert exact.goal_label == "цель ровно 100\u00a0%"
    assert verdict(exact, series(60, 80, 90, 95, 99.96), date(2025, 6, 2)).kind == "met"  # «100,0 %»
    assert verdict(exact, series(60, 80, 90, 95, 101), date(2025, 6, 2)).kind == "not_met"  # over is not equal
    assert verdict(exact, series(60, 80, 90, 100), date(2025, 5, 24)).kind == "on_track"
    # 80, 90, 95: a pace that would reach 100 by the deadline still is not «equal»: behind
    assert verdict(exact, series(80, 90, 95), date(2025, 5, 17)).kind == "behind"
    assert verdict(exact, series(95), date(2025, 5, 3)).kind == "behind"  # one value, not equal: behind, no pace


def test_a_check_ending_after_the_deadline_decides_from_its_own_date() -> None:
    """v3 target `report_by`: the state due 23.05 is measured by a check ending 30.05 — the period due 30.05 decides,
    and the verdict is given from 30.05; between the two the target is on track or behind as before `by`."""
    checked = Target(key="t", title="Т", numerator="a", denominator="b", goal_percent=100, by=date(2025, 5, 23),
                     report_by=date(2025, 5, 30))
    values = series(60, 80, 90, 95, 100)
    assert verdict(checked, values, date(2025, 5, 26)).kind == "behind"  # 95 on 23.05, no time left: not yet judged
    final = verdict(checked, values, date(2025, 5, 30))
    assert (final.kind, final.value, final.deadline) == ("met", 100, date(2025, 5, 23))
    plain = target(by=date(2025, 5, 23))  # without report_by the period due on `by` decides: 95, not met
    assert verdict(plain, values, date(2025, 5, 30)).kind == "not_met"
