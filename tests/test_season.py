"""Seed 000's whole season through the bot: 2023-08-01 to 2024-05-31, every message accounted for."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from testkit.harness import Harness
from testkit.season import Season


async def test_a_season_of_seed_000(harness: Harness):
    season = Season(harness, seed=7)
    await season.setup()
    # the clock stops at each planned event (twice), before each submission and every six hours between: what the
    # bot sent at any other moment would arrive at the next stop and be checked alike (hourly: 8 376 ticks, a third
    # of the test's CPU, for no more checks)
    totals = await season.run(idle_every=timedelta(hours=6))
    (muni,) = season.munis
    assert [o.type for o in muni.orgs].count("school") == 9 and sum(o.staff for o in muni.orgs) == 423
    # the plan covers every behaviour the issue names, so the checks below are not vacuous
    behaviours = Counter(s.behaviour for s in season.submissions.values())
    assert all(behaviours[b] > 0 for b in ("early", "after_first", "after_second", "corrected", "late", "missing"))
    assert Counter(season.confirm_plan.values()).keys() == {"first", "due_day", "never"}
    assert sum(totals.pushed.values()) > 400 and len(totals.overdue) >= 5 and len(totals.summaries) == 22
    # a person's reminders: one message a day at most, several things in one when they fall on one day
    assert totals.daily and max(totals.daily.values()) == 1
    # counts per person and kind, overdue names, summary percentages, no repeats, what is stored
    assert await season.check() == []


async def test_the_season_check_notices_a_wrong_count(harness: Harness):
    """The verdict is not vacuous: a reminder the bot did not send, or a figure it lost, is reported."""
    season = Season(harness, seed=3)
    await season.setup()
    end = season.totals  # nothing run yet: every expected message is missing
    problems = await season.check()
    assert end.pushed == Counter()
    assert any("form_reminder" in p and "expected" in p for p in problems)
    assert any(p.startswith("lost: ") for p in problems)
    assert any(p.startswith("summary ") for p in problems)
