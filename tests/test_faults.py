"""The soak bench, shortened: forms filled under VK faults and kill -9 restarts lose nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(300)  # 72 s of faults, then its catch-up; packed closer (48 s, kills every 15 s) it lost answers
def test_a_short_soak_with_faults_and_kills_loses_nothing():
    # on a loaded 2-core machine: a restart every ~11 s left too little time between kills (tried, failed once)
    out = subprocess.run([sys.executable, "bench/soak.py", "--minutes", "1.2", "--kill-every", "20",
                          "--admins", "8", "--idle", "2"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    lines = [line for line in out.stdout.splitlines() if line.startswith(("{", "PROBLEM"))]
    assert out.returncode == 0, "\n".join(lines) + out.stderr[-2000:]
    result = json.loads(lines[-1])
    # the faults really happened, and through them every answer came and every figure was kept
    assert result["kills"] >= 2 and result["longpoll_failures"] >= 3
    assert result["answers"] > 50 and result["problems"] == 0 and result["reminders_per_idle_admin"] >= 1


def test_the_soak_keeps_its_run_in_one_day_of_the_bots() -> None:
    """The soak's period is due on the bot's today and closes at its midnight: a run that would reach Moscow's midnight
    moves the bot's clock hours back (a run started at 23:58 found its admins' forms closed by the new day and counted
    their accepted reports as lost), and a weekend or the New Year holidays move it on to a working day."""
    import importlib.util
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from bot.domain.schedule import is_working_day

    spec = importlib.util.spec_from_file_location("soak", ROOT / "bench" / "soak.py")
    soak = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soak)
    moscow = ZoneInfo("Europe/Moscow")
    run = timedelta(minutes=20)
    for local in (datetime(2026, 12, 7, 23, 58, tzinfo=moscow), datetime(2026, 12, 7, 23, 30, tzinfo=moscow),
                  datetime(2026, 12, 7, 9, 0, tzinfo=moscow), datetime(2026, 12, 5, 23, 59, tzinfo=moscow),
                  datetime(2026, 12, 31, 23, 50, tzinfo=moscow), datetime(2026, 12, 8, 0, 1, tzinfo=moscow)):
        start = local + timedelta(days=soak.clock_shift_days(local.astimezone(UTC), run))
        assert start.date() == (start + run).date() and is_working_day(start.date()), (local, start)
        if is_working_day(local.date()) and local.date() == (local + run).date():
            assert start == local  # nothing to move
