"""Seed 000's whole season through the bot: 2023-08-01 to 2024-05-31, every message accounted for."""

from __future__ import annotations

from collections import Counter

from tests.harness import Harness
from tests.season import PERIODS, REMIND_AT, ROADMAP_ID, SEASON_END, Season


async def test_a_season_of_seed_000(harness: Harness):
    h = harness
    season = Season(h, seed=7)
    await season.setup()
    totals = await season.run()
    (muni,) = season.munis
    assert [o.type for o in muni.orgs].count("school") == 9 and sum(o.staff for o in muni.orgs) == 423

    # the plan covers every behaviour the issue names
    behaviours = Counter(s.behaviour for s in season.submissions.values())
    assert all(behaviours[b] > 0 for b in ("early", "after_first", "after_second", "corrected", "late", "missing"))
    assert Counter(season.confirm_plan.values()).keys() == {"first", "due_day", "never"}

    # every action got its answer
    assert totals.unanswered == []

    # each person received exactly the reminders the plan implies, and nothing else unprompted
    expected: Counter = Counter()
    for org in muni.orgs:
        expected[(org.admin, "form_reminder")] = season.expected_form_reminders(org, muni)
        expected[(org.admin, "item_reminder")] = season.expected_item_reminders("organization", org.id, muni,
                                                                                SEASON_END)
    expected[(muni.coordinator, "item_reminder")] = season.expected_item_reminders(
        "municipality", str(muni.id), muni, SEASON_END)
    expected[(muni.chat, "summary")] = len(PERIODS)
    overdue = season.expected_overdue(muni, SEASON_END)
    for peer, _item, _occ in overdue:
        expected[(peer, "overdue")] += 1
    got = Counter({k: v for k, v in totals.pushed.items() if v})
    assert got == +expected
    assert sum(expected.values()) > 400  # a season's worth, not a vacuous match

    # the overdue notices name exactly the units that never confirmed
    assert set(totals.overdue) == set(overdue)
    for key, names in overdue.items():
        listed = totals.overdue[key].split("Не подтвердили: ", 1)[1].split("; ")
        assert set(listed) == names, key

    # every weekly summary carries the coverage and percentages computed here
    for period in PERIODS:
        text = totals.summaries[(muni.chat, period)]
        for line in season.expected_summary(muni, period).values():
            assert line in text, (period, line, text)

    # nothing was sent twice: every delivery has its own random_id, no push repeats
    deliveries = [m for msgs in h.emu.record.values() for m in msgs]
    assert len({m.random_id for m in deliveries}) == len(deliveries)
    pushes = Counter((m.peer_id, m.text) for m in deliveries
                     if m.text.startswith(("Напоминание по", "Сводка", "Просрочен")))
    assert max(pushes.values()) == 1
    # the two form reminders of a day read alike; a third would be a repeat
    form_reminders = Counter((m.peer_id, m.text) for m in deliveries if m.text.startswith("Напоминание: "))
    assert max(form_reminders.values()) == len(REMIND_AT)

    # what is stored: one submission per organization and period, the last value, the late flag
    for (org_id, period), s in season.submissions.items():
        stored = await h.app.reports.reports.submission(org_id, ROADMAP_ID, "weekly", period.isoformat())
        if s.behaviour == "missing":
            assert stored is None
            continue
        assert stored is not None and stored.late == (s.behaviour == "late"), (org_id, period)
        assert await h.app.reports.reports.figures(stored.id) == {"staff_total": s.staff, "staff_active": s.final()}
    # confirmations: exactly the planned ones
    for key, choice in season.confirm_plan.items():
        role, scope, item, occ = key
        conf = await h.app.items.items.confirmation(ROADMAP_ID, item, occ.isoformat(), role, scope)
        assert (conf is not None) == (choice != "never"), key
