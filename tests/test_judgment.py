"""One judgment of a target (bot/domain/judgment.py), the cases the issue saw and a property over any season."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.judgment import PeriodFigures, has_data, read
from bot.domain.roadmap import Target
from bot.domain.verdicts import judge

DUES = [date(2025, 3, 6) + timedelta(days=7 * n) for n in range(8)]
BY = DUES[-1]


def share(of_everyone: bool = False) -> Target:
    return Target(key="t", title="Т", numerator="a", denominator="@baseline.staff" if of_everyone else "b",
                  goal_percent=100, by=BY)


def test_a_week_nobody_reported_in_is_no_base_and_no_value() -> None:
    t = share()
    history = {DUES[0]: PeriodFigures(40.0, 3, 0), DUES[1]: PeriodFigures(0.0, 0, 5), DUES[2]: PeriodFigures(47.8, 4, 1)}
    r = read(t, DUES, history, DUES[2], DUES[2])
    # against the last week with reports, named because it is not the week just before («↑ +7,8 п.п. к 06.03»)
    assert (r.value, round(r.delta, 1), r.against, r.named) == (47.8, 7.8, DUES[0], True)
    first = read(t, DUES, {DUES[0]: PeriodFigures(0.0, 0, 5), DUES[1]: PeriodFigures(47.8, 2, 3)}, DUES[1], DUES[1])
    assert first.delta is None  # the first week with reports: no «↑ +47,8 п.п.» from nothing


def test_a_closed_period_without_reports_shows_the_last_real_value_with_its_date() -> None:
    history = {DUES[0]: PeriodFigures(50.0, 3, 0), DUES[1]: PeriodFigures(66.7, 3, 0), DUES[2]: PeriodFigures(0.0, 0, 3)}
    r = read(share(), DUES, history, DUES[2], DUES[2] + timedelta(days=1))
    assert (r.value, r.at, r.stale, r.delta) == (66.7, DUES[1], True, None)
    # and the verdict is not taken from the empty week's 0 %
    assert r.verdict is not None and r.verdict.kind == "on_track"


def test_a_share_of_everyone_with_one_missing_says_so_and_compares_only_whole_periods() -> None:
    t = share(of_everyone=True)
    missing = read(t, DUES, {DUES[0]: PeriodFigures(40.0, 9, 0), DUES[1]: PeriodFigures(47.9, 8, 1)}, DUES[1], DUES[1])
    assert (missing.without, missing.delta) == (1, None)  # «пока без 1 организации», not «↑ +7,9 п.п.»
    whole = read(t, DUES, {DUES[0]: PeriodFigures(40.0, 8, 1), DUES[1]: PeriodFigures(47.9, 9, 0),
                           DUES[2]: PeriodFigures(50.0, 9, 0)}, DUES[2], DUES[2])
    assert (whole.against, whole.named) == (DUES[1], False)
    skipped = read(t, DUES, {DUES[0]: PeriodFigures(40.0, 9, 0), DUES[1]: PeriodFigures(44.0, 8, 1),
                             DUES[2]: PeriodFigures(50.0, 9, 0)}, DUES[2], DUES[2])
    assert (skipped.against, skipped.named, round(skipped.delta, 1)) == (DUES[0], True, 10.0)


def test_before_the_first_due_date_there_is_no_value_but_that_date() -> None:
    r = read(share(), DUES, {}, DUES[0] - timedelta(days=7), DUES[0] - timedelta(days=9))
    assert (r.value, r.first_due) == (None, DUES[0])


figures = st.one_of(st.none(), st.builds(PeriodFigures, st.one_of(st.none(), st.floats(0, 150)),
                                         st.integers(0, 5), st.integers(0, 3)))


@settings(max_examples=300, deadline=None)
@given(st.lists(figures, min_size=len(DUES), max_size=len(DUES)), st.integers(0, len(DUES) - 1),
       st.integers(0, 20), st.booleans())
def test_every_delta_compares_comparable_periods(season: list, asked: int, later: int, everyone: bool) -> None:
    t = share(everyone)
    due = DUES[asked]
    history = {d: f for d, f in zip(DUES[:asked + 1], season, strict=False) if f is not None}
    today = due + timedelta(days=later)
    r = read(t, DUES, history, due, today)
    # the verdict is the one judge() gives over the periods with data, whatever view asks
    assert r.verdict == judge(t, DUES, {d: f.value if has_data(f) else None for d, f in history.items()}, today)
    if r.delta is not None:
        assert r.against is not None and r.against < due and not r.stale and not r.without
        assert has_data(history.get(due)) and has_data(history.get(r.against))
        if everyone:
            assert history[due].missing == 0 and history[r.against].missing == 0
        assert r.named == (r.against != DUES[asked - 1])
        assert all(not has_data(history.get(d)) or (everyone and history[d].missing)
                   for d in DUES if r.against < d < due)  # nothing comparable between them was skipped
    if r.stale:
        assert r.at is not None and r.at < due and has_data(history.get(r.at)) and not has_data(history.get(due))
        assert all(not has_data(history.get(d)) for d in DUES if r.at < d <= due)
    if r.value is not None and not r.stale:
        assert has_data(history.get(due))


def test_figures_sent_early_get_no_verdict_yet_but_none_by_the_deadline_are_no_data() -> None:
    """A school that reports before its period is due: the value shows and no «нет данных к …» stands beside it; once
    the deadline has passed with nothing due by it, «нет данных» is the verdict again."""
    early = {DUES[0]: PeriodFigures(83.3, 1, 0)}
    r = read(share(), DUES, early, DUES[0], DUES[0] - timedelta(days=3))
    assert (r.value, r.verdict) == (83.3, None)
    late_target = Target(key="t", title="Т", numerator="a", denominator="b", goal_percent=100, by=DUES[0])
    after = read(late_target, DUES, {DUES[1]: PeriodFigures(83.3, 1, 0)}, DUES[1], DUES[1])
    assert after.verdict is not None and after.verdict.kind == "no_data"  # nothing due by 06.03: still no data
    nothing = read(share(), DUES, {}, DUES[0], DUES[0] - timedelta(days=3))
    assert nothing.verdict is not None and nothing.verdict.kind == "no_data"


def test_readme_and_the_format_reference_state_the_rules_in_the_same_words() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]

    def block(name: str) -> str:
        text = (root / name).read_text(encoding="utf-8")
        return text[text.index("<!-- judgment -->"):text.index("<!-- /judgment -->")]

    assert block("README.md") == block("docs/roadmap-format.md") and "roadmap.ends" in block("README.md")
