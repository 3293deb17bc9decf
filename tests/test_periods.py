"""Period arithmetic exactly as the contract states it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

from bot.domain.periods import (
    current_period,
    due_dates,
    local_today,
    periods,
    previous_period,
    summary_instant,
)
from bot.domain.roadmap import Form, parse_roadmap

ROOT = Path(__file__).resolve().parents[1]
NTGO = parse_roadmap((ROOT / "roadmaps" / "ntgo-2023.toml").read_text(encoding="utf-8"), "ntgo.toml")


def form(**kw) -> Form:
    base = {"id": "f", "title": "t", "indicator": [{"key": "a", "question": "?", "kind": "count"}]}
    return Form.model_validate({**base, **kw})


def test_weekly_fridays_between_start_and_end():
    dues = due_dates(NTGO.form[0], date(2023, 8, 1), date(2023, 12, 30))
    assert dues[0] == date(2023, 8, 4) and dues[-1] == date(2023, 12, 29)
    assert len(dues) == 22 and all(d.weekday() == 4 for d in dues)


def test_two_and_three_week_cadences_count_from_first_weekday_on_or_after_start():
    # 2023-08-01 is a Tuesday: the first Tuesday on or after it is the start itself
    assert due_dates(form(every="2w", on="tue"), date(2023, 8, 1), date(2023, 9, 30))[:3] == [
        date(2023, 8, 1), date(2023, 8, 15), date(2023, 8, 29)]
    assert due_dates(form(every="3w", on="mon"), date(2023, 8, 1), date(2023, 9, 30)) == [
        date(2023, 8, 7), date(2023, 8, 28), date(2023, 9, 18)]


def test_monthly_on_day_or_last_day():
    assert due_dates(form(every="1m", day=25), date(2024, 1, 26), date(2024, 4, 30)) == [
        date(2024, 2, 25), date(2024, 3, 25), date(2024, 4, 25)]
    assert due_dates(form(every="1m"), date(2024, 1, 1), date(2024, 3, 31)) == [
        date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    assert due_dates(form(every="1m", day=31), date(2023, 2, 1), date(2023, 4, 30)) == [
        date(2023, 2, 28), date(2023, 3, 31), date(2023, 4, 30)]


def test_current_period_is_due_today_or_nearest_ahead():
    f = NTGO.form[0]
    assert current_period(f, NTGO, date(2023, 10, 20)).due == date(2023, 10, 20)  # a Friday
    assert current_period(f, NTGO, date(2023, 10, 21)).due == date(2023, 10, 27)
    assert current_period(f, NTGO, date(2023, 7, 1)).due == date(2023, 8, 4)
    assert current_period(f, NTGO, date(2023, 12, 30)) is None


def test_periods_chain_and_previous():
    ps = periods(NTGO.form[0], NTGO)
    assert ps[0].starts == date(2023, 8, 1) and ps[1].starts == date(2023, 8, 5)
    assert previous_period(NTGO.form[0], NTGO, ps[1]) == ps[0]
    assert previous_period(NTGO.form[0], NTGO, ps[0]) is None


def test_time_zones_decide_the_local_day():
    # 21:30 UTC on Thursday is already Friday in Yekaterinburg (UTC+5) but not in Moscow (UTC+3)
    now = datetime(2023, 10, 19, 21, 30, tzinfo=UTC)
    assert local_today(now, "Asia/Yekaterinburg") == date(2023, 10, 20)
    assert local_today(now, "Europe/Moscow") == date(2023, 10, 20)
    assert local_today(datetime(2023, 10, 19, 20, 30, tzinfo=UTC), "Europe/Moscow") == date(2023, 10, 19)
    ps = periods(NTGO.form[0], NTGO)
    p = next(p for p in ps if p.due == date(2023, 10, 20))
    assert summary_instant(NTGO.form[0], p, "Asia/Yekaterinburg") == datetime(2023, 10, 20, 13, 0, tzinfo=UTC)
    assert summary_instant(NTGO.form[0], p, "Europe/Moscow") == datetime(2023, 10, 20, 15, 0, tzinfo=UTC)
    assert NTGO.form[0].summary_at == time(18, 0)
