"""kill -9 at random moments while 100 admins fill in the weekly form: every answer is applied once,
to the question it answers, and every message is answered once — on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from testkit.forkserver import BotProcess, ForkServer
from testkit.processes import (
    bot_env,
    control,
    fill_weekly_form,
    prepare_admins,
    query,
    school_id,
    vkemu_process,
    write_config,
)

ADMINS = 100
KILLS = 20
FIRST = 30_000
REFERENCE = FIRST + ADMINS  # one more admin, who fills the form while nothing is killed
WAIT_S = 120


def figures(db_path: Path | str) -> dict[str, dict[str, int]]:
    rows = query(db_path, "SELECT s.organization_id, f.indicator_key, f.value FROM submissions s "
                          "JOIN figures f ON f.submission_id = s.id")
    counts = query(db_path, "SELECT organization_id, count(*) FROM submissions GROUP BY organization_id")
    out: dict[str, dict[str, int]] = {}
    for org, indicator, value in rows:
        out.setdefault(org, {})[indicator] = int(float(value))
    assert all(int(n) == 1 for _, n in counts), [c for c in counts if int(c[1]) != 1]
    return out


def shape(text: str) -> str:
    """A message with its numbers taken out: what it is, not what it says about whom."""
    return re.sub(r"\d+", "N", text.split("\n", 1)[0])


async def fill(base: str, uid: int, staff: int, active: int, start_s: float = 0.0, pause_s: float = 0.0) -> None:
    await fill_weekly_form(base, uid, staff, active, start_s, pause_s, WAIT_S)


@pytest.mark.timeout(600)
def test_kill_9_while_admins_answer_applies_each_answer_once(tmp_path: Path, engine: str | None,
                                                             bot_processes: ForkServer) -> None:
    rng = random.Random(99)
    db_path = engine or tmp_path / "bot.sqlite3"
    asyncio.run(prepare_admins(db_path, ADMINS + 1, FIRST, shift_to_now=True))
    typed = {school_id(n): (100 + n, 40 + n % 50) for n in range(ADMINS + 1)}  # two different numbers each
    with vkemu_process(rate_limit=20) as base:
        control(base, "add_users", {"user_ids": list(range(FIRST, REFERENCE + 1)), "allowed": True})
        env = bot_env(write_config(tmp_path / "config.toml", base, db_path))

        def start() -> BotProcess:
            return bot_processes.popen(["run"], tmp_path, env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        bot = start()
        try:
            # people write once the bot has polled: VK keeps nothing for a community that never asked
            while not control(base, "stats")["lp_waiting"]:  # type: ignore[index]
                time.sleep(0.1)
            asyncio.run(fill(base, REFERENCE, *typed[school_id(ADMINS)]))
            reference = [shape(m["text"]) for m in control(base, "record", {"peer_id": REFERENCE})]  # type: ignore[union-attr]

            async def crowd() -> int:
                nonlocal bot
                # admins start 0.3 s apart and pause up to 2 s between answers: a minute of traffic
                admins = asyncio.gather(*(fill(base, FIRST + n, *typed[school_id(n)], 0.3 * n, 2.0)
                                          for n in range(ADMINS)))
                kills = 0
                while kills < KILLS and not admins.done():
                    await asyncio.sleep(rng.uniform(1.0, 2.5))  # forked, the bot is up in a tenth of that
                    bot.send_signal(signal.SIGKILL)
                    bot.wait()
                    kills += 1
                    bot = start()
                await admins
                return kills

            kills = asyncio.run(crowd())
            time.sleep(1.0)  # replies that belong together may be a moment apart
        finally:
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(30)
            except subprocess.TimeoutExpired:
                bot.kill()
        assert kills == KILLS, f"the admins finished after {kills} kills; the test needs more to mean something"
        stored = figures(db_path)
        wrong = {org: (stored.get(org), typed[org]) for org in typed
                 if stored.get(org) != {"staff_total": typed[org][0], "staff_active": typed[org][1]}}
        assert not wrong, f"{len(wrong)} reports stored with a wrong figure: {list(wrong.items())[:5]}"
        twice = {}
        for n in range(ADMINS):
            got = [shape(m["text"]) for m in control(base, "record", {"peer_id": FIRST + n})]  # type: ignore[union-attr]
            if got != reference:
                twice[FIRST + n] = got
        assert not twice, f"{len(twice)} admins got other messages than {reference}: {list(twice.items())[:3]}"
