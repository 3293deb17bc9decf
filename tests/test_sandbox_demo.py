"""The sandbox's demo is a live season (issue 16): the roadmap moved to now, the last weeks reported, the open
period partly sent — so a newcomer sees trends, «Как раньше» and who is late as in October."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.periods import periods
from bot.sandbox import DEMO_HISTORY, DEMO_NOT_YET, DEMO_SILENT, prepare_demo
from testkit.harness import start_harness, stop_harness


async def test_the_demo_is_a_live_season(tmp_path, schema) -> None:
    h = await start_harness(tmp_path, schema, demo=False)
    try:
        h.clock.now = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # a Tuesday in the school year
        await prepare_demo(h.app, h.emu)
        [rm] = await h.app.services.reports.roadmaps.all()
        form = rm.form[0]
        dues = [p for p in periods(form, rm)]
        past = [p for p in dues if p.due < h.clock.now.date()][-DEMO_HISTORY:]
        current = next(p for p in dues if p.due >= h.clock.now.date())
        assert rm.roadmap.starts.year == 2026 and current.key == "2026-11-27"
        reports = h.app.repos.reports
        for p in past:
            assert await reports.submitted(rm.id, form.id, p.key) == {
                f"66240000{n:02d}" for n in range(1, 21)} - DEMO_SILENT
        sent_now = await reports.submitted(rm.id, form.id, current.key)
        assert sent_now and not sent_now & (DEMO_NOT_YET | DEMO_SILENT)
        # activity grows week by week: the trend has a direction
        first = await reports.figures((await reports.submission("6624000002", rm.id, form.id, past[0].key)).id)
        last = await reports.figures((await reports.submission("6624000002", rm.id, form.id, past[-1].key)).id)
        assert last["staff_active"] > first["staff_active"] and last["staff_total"] == first["staff_total"]
    finally:
        await stop_harness(h)
