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


V2 = """
[roadmap]
id = "v2"
title = "Мониторинг 2025"
starts = 2025-01-01
ends = 2025-12-31

[[form]]
id = "rish"
title = "РИШ"
from = 2025-03-03
until = "2025-08"
every = "3m"
day = 25
  [[form.indicator]]
  key = "a"
  question = "?"
  kind = "count"

[[form]]
id = "half"
title = "Полугодие"
every = "6m"
  [[form.indicator]]
  key = "b"
  question = "?"
  kind = "count"

[[form]]
id = "quarters"
title = "Четверти"
dates = [2025-12-26, 2025-03-21, 2025-05-30, 2025-10-24]
  [[form.indicator]]
  key = "c"
  question = "?"
  kind = "count"

[[form]]
id = "enrolment"
title = "Приём"
  [[form.schedule]]
  from = 2025-01-13
  until = 2025-03-31
  every = "3w"
  on = "mon"
  [[form.schedule]]
  from = 2025-04-01
  until = 2025-04-30
  every = "1w"
  on = "mon"
  [[form.indicator]]
  key = "d"
  question = "?"
  kind = "count"
"""


def test_v2_form_schedules() -> None:
    rm = parse_roadmap(V2, "v2.toml")
    rish, half, quarters, enrolment = rm.form
    # quarterly on the 25th of the quarter's last month, only between 3 March and the end of August
    assert [p.due for p in periods(rish, rm)] == [date(2025, 3, 25), date(2025, 6, 25)]
    assert periods(rish, rm)[0].starts == date(2025, 3, 3)
    assert current_period(rish, rm, date(2025, 2, 10)) is None  # before `from` it asks nothing
    assert current_period(rish, rm, date(2025, 7, 1)) is None  # nor after the last period up to `until`
    assert [p.due for p in periods(half, rm)] == [date(2025, 6, 30), date(2025, 12, 31)]
    assert [p.due for p in periods(quarters, rm)] == [date(2025, 3, 21), date(2025, 5, 30), date(2025, 10, 24),
                                                       date(2025, 12, 26)]
    # every three weeks on Mondays from 13 January to March, then weekly in April
    assert [p.due for p in periods(enrolment, rm)] == [
        date(2025, 1, 13), date(2025, 2, 3), date(2025, 2, 24), date(2025, 3, 17),
        date(2025, 4, 7), date(2025, 4, 14), date(2025, 4, 21), date(2025, 4, 28)]


def test_v2_form_schedule_errors_name_file_line_and_key() -> None:
    import pytest

    from bot.domain.roadmap import RoadmapError

    cases = [
        (V2.replace('every = "6m"', 'every = "6m"\ndates = [2025-06-30]'), "form[1].every", "что-то одно"),
        (V2.replace("from = 2025-03-03", "from = 2024-12-01"), "form[0].from", "вне дорожной карты"),
        (V2.replace('  every = "3w"\n  on = "mon"\n', ""), "form[3].schedule[0].every", "что-то одно"),
        (V2.replace("day = 25\n", 'on = "fri"\n'), "form[0].on", "ключом day"),
    ]
    for text, key, message in cases:
        with pytest.raises(RoadmapError) as e:
            parse_roadmap(text, "v2.toml")
        assert any(p.key == key and message in p.message and p.line for p in e.value.problems), (key, e.value)


def test_a_schedule_asks_nothing_before_its_parts_open() -> None:
    """A form whose only [[form.schedule]] part starts on 03.03 is not open (not listed, not counted as missing,
    not fillable) in January and February; the first period starts on 03.03, not at the roadmap's start; a gap
    between two parts is closed too."""
    from datetime import date

    from bot.domain.periods import current_period, periods
    from bot.domain.roadmap import parse_roadmap

    text = (Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "region-2025.toml").read_text(encoding="utf-8")
    rm = parse_roadmap(text, "region-2025.toml")
    enrolment = next(f for f in rm.form if f.id == "enrolment")  # parts: 13.01–31.03 every 3 weeks, weekly from 01.04
    late = enrolment.model_copy(update={"schedule": enrolment.schedule[1:]})  # only the part from 01.04
    assert periods(late, rm)[0].starts == date(2025, 4, 1)
    assert current_period(late, rm, date(2025, 1, 20)) is None
    assert current_period(late, rm, date(2025, 4, 2)) == periods(late, rm)[0]
    assert current_period(enrolment, rm, date(2025, 3, 20)) is None  # after the 3-weekly part, before the weekly
    assert current_period(enrolment, rm, date(2025, 2, 1)).due == date(2025, 2, 3)


def test_a_roadmap_loaded_again_with_other_dates_has_its_own_periods() -> None:
    """Periods are computed once per loaded roadmap (the planner asks on every tick), so a file loaded again with the
    same form ids and another end date must not be answered from the first one's."""
    text = (ROOT / "roadmaps" / "ntgo-2023.toml").read_text(encoding="utf-8")
    longer = parse_roadmap(text.replace("ends = 2023-12-30", "ends = 2024-01-31"), "ntgo.toml")
    mondays = parse_roadmap(text.replace('on = "fri"', 'on = "mon"'), "ntgo.toml")
    assert periods(NTGO.form[0], NTGO)[-1].due == date(2023, 12, 29)
    assert periods(longer.form[0], longer)[-1].due == date(2024, 1, 26)
    assert {p.due.weekday() for p in periods(mondays.form[0], mondays)} == {0}
    # what a caller does with its list does not change the next caller's
    periods(NTGO.form[0], NTGO).clear()
    assert len(periods(NTGO.form[0], NTGO)) == 22
