"""kill -9 while MAX's webhook deliveries are being handled: nothing is lost and nothing is done twice. An update
whose transaction had not committed got no 200, so maxemu delivers it again to the restarted bot; one that had
committed but whose 200 was lost is delivered again and dropped by its handled mark."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from testkit.forkserver import BotProcess, ForkServer
from testkit.processes import (
    bot_env,
    free_port,
    max_control,
    maxemu_process,
    prepare_admins,
    vkemu_process,
    write_config,
)

ADMINS = 30
FIRST = 400_000
SECRET = "crash-hook-secret"


def healthy(port: int) -> bool:
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).status == 200
    except OSError:
        return False


def test_kill_9_during_webhook_deliveries_loses_nothing_and_repeats_nothing(tmp_path: Path,
                                                                            bot_processes: ForkServer) -> None:
    db_path = tmp_path / "bot.sqlite3"
    asyncio.run(prepare_admins(db_path, ADMINS, FIRST, shift_to_now=False, max_ids=True))
    port = free_port()
    with vkemu_process() as vk, maxemu_process(webhook_retry_s=0.3) as mx:
        max_control(mx, "add_users", {"first": FIRST, "count": ADMINS, "started": True})
        config = write_config(tmp_path / "config.toml", vk, db_path, max_api=mx)
        config.write_text(config.read_text().replace(f'api_url = "{mx}"\n',
                                                     f'api_url = "{mx}"\nwebhook_url = "https://bot.example.ru/max/hook"\n')
                          + f'[server]\nlisten = "127.0.0.1:{port}"\n')
        env = {**bot_env(config), "MAX_TOKEN": "maxemu-token", "MAX_WEBHOOK_SECRET": SECRET}

        def start() -> BotProcess:
            proc = bot_processes.popen(["run"], tmp_path, env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while not healthy(port):
                assert time.monotonic() < deadline and proc.poll() is None, "the bot did not start"
                time.sleep(0.05)
            return proc

        bot = start()
        max_control(mx, "subscribe", {"url": f"http://127.0.0.1:{port}/max/hook", "secret": SECRET})
        for n in range(ADMINS):
            max_control(mx, "say", {"user_id": FIRST + n, "text": "/whoami"})
            if n == ADMINS // 2:  # half sent: some handled, some in flight, the rest meet no bot at all
                os.kill(bot.pid, signal.SIGKILL)
        bot.wait()
        bot = start()  # maxemu keeps delivering what got no 200
        try:
            deadline = time.monotonic() + 60
            counts: dict[int, int] = {}
            while time.monotonic() < deadline:
                counts = {int(k): v for k, v in max_control(mx, "counts").items()}  # type: ignore[union-attr]
                if all(counts.get(FIRST + n, 0) >= 1 for n in range(ADMINS)):
                    break
                time.sleep(0.3)
            time.sleep(2)  # a repeat, if any, would arrive now
            counts = {int(k): v for k, v in max_control(mx, "counts").items()}  # type: ignore[union-attr]
            assert [counts.get(FIRST + n, 0) for n in range(ADMINS)] == [1] * ADMINS, counts
            statuses = max_control(mx, "stats")["webhook_statuses"]  # type: ignore[index]
            assert statuses.count(200) >= ADMINS and any(s != 200 for s in statuses), statuses  # the kill hit deliveries
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(60)
