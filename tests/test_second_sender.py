"""`run-job --send` beside a running bot hands its messages to the bot instead of starting a second sender (two
MAX senders had sent 6 of 300 people a reminder twice and drawn 93 answers 429)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

from testkit.forkserver import ForkServer
from testkit.processes import (
    bot_env,
    control,
    max_control,
    maxemu_process,
    pending,
    prepare_admins,
    vkemu_process,
    write_config,
)

ADMINS = 120
FIRST = 300_000


def test_run_job_send_beside_the_bot_sends_each_reminder_once(tmp_path: Path, bot_processes: ForkServer) -> None:
    db_path = tmp_path / "bot.sqlite3"
    asyncio.run(prepare_admins(db_path, ADMINS, FIRST, shift_to_now=False, max_ids=True))
    with vkemu_process(rate_limit=20) as vk, maxemu_process() as mx:
        max_control(mx, "add_users", {"first": FIRST, "count": ADMINS, "started": True})
        env = {**bot_env(write_config(tmp_path / "config.toml", vk, db_path, max_api=mx)), "MAX_TOKEN": "maxemu-token"}
        bot = bot_processes.popen(["run"], tmp_path, env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not control(vk, "stats")["lp_waiting"]:  # type: ignore[index]  # up, its sender idle
                assert time.monotonic() < deadline and bot.poll() is None, "the bot did not start"
                time.sleep(0.1)
            job = bot_processes.run(["run-job", "form-reminders", "--at", "2023-10-20T10:00+05:00", "--send"],
                                    tmp_path, env, timeout=120)
            assert job.returncode == 0, job.stderr
            assert "Бот запущен" in job.stdout, job.stdout  # queued for the bot, not sent by the command
            deadline = time.monotonic() + 120
            while pending(db_path) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert pending(db_path) == 0
            time.sleep(1)
            counts = {int(k): v for k, v in max_control(mx, "counts").items()}  # type: ignore[union-attr]
            got = [counts.get(uid, 0) for uid in range(FIRST, FIRST + ADMINS)]
            assert got == [1] * ADMINS, {FIRST + i: c for i, c in enumerate(got) if c != 1}
            refused = max_control(mx, "stats")["refused"]  # type: ignore[index]
            assert not refused.get("429"), refused
        finally:
            bot.terminate()
            _, err = bot.communicate(timeout=60)
        assert b"Traceback" not in err, err.decode()[-2000:]
    # without a bot, the command sends itself
    with vkemu_process(rate_limit=20) as vk, maxemu_process() as mx:
        max_control(mx, "add_users", {"first": FIRST, "count": ADMINS, "started": True})
        env = {**bot_env(write_config(tmp_path / "config.toml", vk, db_path, max_api=mx)), "MAX_TOKEN": "maxemu-token"}
        job = bot_processes.run(["run-job", "form-reminders", "--at", "2023-10-27T10:00+05:00", "--send"],
                                tmp_path, env, timeout=300)
        assert job.returncode == 0 and "Очередь отправлена" in job.stdout, (job.stdout, job.stderr)
        counts = {int(k): v for k, v in max_control(mx, "counts").items()}  # type: ignore[union-attr]
        assert [counts.get(uid, 0) for uid in range(FIRST, FIRST + ADMINS)] == [1] * ADMINS
