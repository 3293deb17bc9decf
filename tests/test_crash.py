"""kill -9 at random moments during a 5,000-recipient broadcast: everyone gets exactly one message — on SQLite and on
PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from testkit.forkserver import ForkServer  # noqa: E402
from testkit.processes import bot_env, control, pending, prepare_admins, vkemu_process, write_config  # noqa: E402

RECIPIENTS = 5000
FIRST = 100_000


def test_kill_9_during_broadcast_delivers_exactly_once(tmp_path: Path, engine: str | None,
                                                       bot_processes: ForkServer) -> None:
    rng = random.Random(1234)
    db_path = engine or tmp_path / "bot.sqlite3"
    asyncio.run(prepare_admins(db_path, RECIPIENTS, FIRST, shift_to_now=False))
    with vkemu_process(rate_limit=20) as base:
        control(base, "add_users", {"user_ids": list(range(FIRST, FIRST + RECIPIENTS)), "allowed": True})
        env = bot_env(write_config(tmp_path / "config.toml", base, db_path))
        job = ["run-job", "form-reminders", "--at", "2023-10-20T10:00+05:00"]
        # the job itself is killed once mid-way, then run again, then run a third time for good measure
        proc = bot_processes.popen(job, tmp_path, env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for _ in range(2):
            out = bot_processes.run(job, tmp_path, env, timeout=120)
            assert out.returncode == 0, out.stderr
        assert pending(db_path) == RECIPIENTS
        kills = 0
        deadline = time.monotonic() + 240
        while pending(db_path) > 0 and time.monotonic() < deadline:
            bot = bot_processes.popen(["run"], tmp_path, env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if kills < 6:
                time.sleep(rng.uniform(1.0, 3.0))
                os.kill(bot.pid, signal.SIGKILL)
                bot.wait()
                kills += 1
            else:
                while pending(db_path) > 0 and time.monotonic() < deadline:
                    time.sleep(0.5)
                bot.send_signal(signal.SIGTERM)
                bot.wait(60)
        assert kills == 6
        assert pending(db_path) == 0
        counts = control(base, "counts")
        per_peer = {int(k): v for k, v in counts.items()}  # type: ignore[union-attr]
        assert len(per_peer) == RECIPIENTS
        assert set(per_peer.values()) == {1}, {k: v for k, v in per_peer.items() if v != 1}
        stats = control(base, "stats")
        assert stats["errors_by_code"].get("6", 0) == 0  # type: ignore[index]
