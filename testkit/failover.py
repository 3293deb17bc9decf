"""Several `python -m bot run` processes on one PostgreSQL database, the serving one killed with -9 again and again
while a broadcast goes out and admins fill in the weekly form: what tests/test_failover.py asserts and
bench/failover.py measures.

The broadcast is the real reminder job (`run-job form-reminders` for last Friday, 10:00 local); the admins answer
the current week's form through vkemu as people do. The serving instance is the lease holder (meta `lease_holder`,
host:pid); after each kill a new process is started, so `instances` keep running."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from testkit.forkserver import Interpreter, Launcher, Process
from testkit.processes import (
    bot_env,
    control,
    fill_weekly_form,
    pending,
    prepare_admins,
    query,
    school_id,
    vkemu_process,
    write_config,
)

FIRST = 500_000
TZ = ZoneInfo("Asia/Yekaterinburg")
WAIT_S = 180
READY_S = 5.0  # a restarted `run` is built and waiting for the lease by then, on this machine under load
FORM_STEPS = (("/report", "Вопрос 1 из 2"), (None, "Вопрос 2 из 2"), (None, "Проверьте ответы"),
              ("Отправить", "Отчёт принят"))


@dataclass
class Outcome:
    recipients: int
    admins: int
    instances: int
    kills: int = 0
    # seconds from a kill to another instance holding the lease: a standby (the killed one is started again after)
    takeovers: list[float] = field(default_factory=list)
    lost: int = 0  # recipients without their reminder
    twice: int = 0  # recipients with more than one
    wrong_figures: int = 0
    replied_other_than_once: int = 0  # admins whose answers were not each answered exactly once
    seconds: float = 0.0  # from the first instance's start to an empty outbox
    sent_per_second: float = 0.0

    def line(self) -> str:
        took = (f"takeover median {statistics.median(self.takeovers):.1f} s, max {max(self.takeovers):.1f} s, "
                f"{len(self.takeovers)} by a standby" if self.takeovers else "no takeover")
        return (f"{self.instances} instance(s), {self.kills} kills: {self.recipients} reminders + {self.admins} admins "
                f"in {self.seconds:.0f} s ({self.sent_per_second:.0f} reminders/s); lost {self.lost}, twice "
                f"{self.twice}, wrong figures {self.wrong_figures}, answers not replied once "
                f"{self.replied_other_than_once}; {took}")


def _holder_pid(url: str) -> int | None:
    rows = query(url, "SELECT value FROM meta WHERE key = 'lease_holder'")
    if not rows:
        return None
    m = re.search(r":(\d+)$", rows[0][0])
    return int(m.group(1)) if m else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def last_friday_10() -> str:
    now = datetime.now(TZ)
    friday = now.date() - timedelta(days=(now.weekday() - 4) % 7 or 7)
    return f"{friday:%Y-%m-%d}T10:00+05:00"


def run(tmp: Path, url: str, recipients: int, admins: int, kill_every_s: float, instances: int = 2,
        launcher: Launcher | None = None) -> Outcome:
    """`launcher`: how `python -m bot` is started (the tests fork it from a server that imported it once)."""
    launcher = launcher or Interpreter()
    out = Outcome(recipients, admins, instances)
    asyncio.run(prepare_admins(url, recipients, FIRST, shift_to_now=True))
    typed = {school_id(n): (100 + n % 400, 40 + n % 50) for n in range(admins)}
    with vkemu_process(rate_limit=20) as base:
        control(base, "add_users", {"user_ids": list(range(FIRST, FIRST + recipients)), "allowed": True})
        env = bot_env(write_config(tmp / "config.toml", base, url))
        job = launcher.run(["run-job", "form-reminders", "--at", last_friday_10()], tmp, env, timeout=600)
        assert job.returncode == 0, job.stderr
        assert pending(url) == recipients, (pending(url), job.stdout, job.stderr)

        started_at: list[float] = []

        def start() -> Process:
            started_at.append(time.monotonic())
            return launcher.popen(["run"], tmp, env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        procs = [start() for _ in range(instances)]
        began = time.monotonic()
        try:
            while not control(base, "stats")["lp_waiting"]:  # type: ignore[index]
                time.sleep(0.1)

            async def crowd() -> None:
                filling = asyncio.gather(*(fill_weekly_form(base, FIRST + n, *typed[school_id(n)], 0.2 * n, 1.5,
                                                            WAIT_S) for n in range(admins)))
                while not (filling.done() and await asyncio.to_thread(pending, url) == 0):
                    if time.monotonic() - began > 900:
                        raise AssertionError("the run did not finish in 15 minutes")
                    await asyncio.sleep(kill_every_s if kill_every_s else 0.5)
                    if not kill_every_s or (filling.done() and await asyncio.to_thread(pending, url) == 0):
                        continue
                    pid = await asyncio.to_thread(_holder_pid, url)
                    victim = next((p for p in procs if p.pid == pid and p.poll() is None), None)
                    if victim is None:
                        continue
                    # a standby is there to take over: the last restarted process has had time to start (a few
                    # seconds on a loaded machine) before the holder is killed again
                    await asyncio.sleep(max(0.0, READY_S - (time.monotonic() - started_at[-1])))
                    victim.send_signal(signal.SIGKILL)
                    killed = time.monotonic()
                    await asyncio.to_thread(victim.wait)
                    procs.remove(victim)
                    out.kills += 1
                    while time.monotonic() - killed < 60:
                        now = await asyncio.to_thread(_holder_pid, url)
                        if now is not None and now != pid and _alive(now):
                            out.takeovers.append(time.monotonic() - killed)
                            break
                        await asyncio.sleep(0.1)
                    # the supervisor's restart, once the standby has been seen to take over: a bot forked in 50 ms
                    # (the tests) would otherwise race it for the lease, and the test is of the standby
                    procs.append(start())
                await filling

            asyncio.run(crowd())
            out.seconds = time.monotonic() - began
            time.sleep(1.0)  # replies that belong together may be a moment apart
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
        counts = {int(k): v for k, v in control(base, "counts").items()}  # type: ignore[union-attr]
        reminders = {}
        for uid in range(FIRST, FIRST + recipients):
            got = control(base, "record", {"peer_id": uid}) if uid < FIRST + admins else None
            if got is None:
                reminders[uid] = counts.get(uid, 0)
                continue
            texts = [m["text"] for m in got]  # type: ignore[index]
            reminders[uid] = sum(1 for t in texts if t.startswith("Напоминание"))
            if [sum(1 for t in texts if marker in t) for _, marker in FORM_STEPS] != [1, 1, 1, 1]:
                out.replied_other_than_once += 1
        out.lost = sum(1 for n in reminders.values() if n == 0)
        out.twice = sum(1 for n in reminders.values() if n > 1)
        stored: dict[str, dict[str, int]] = {}
        for org, key, value in query(url, "SELECT s.organization_id, f.indicator_key, f.value FROM submissions s "
                                          "JOIN figures f ON f.submission_id = s.id"):
            stored.setdefault(org, {})[key] = int(float(value))
        out.wrong_figures = sum(1 for org, (staff, active) in typed.items()
                                if stored.get(org) != {"staff_total": staff, "staff_active": active})
        out.sent_per_second = recipients / out.seconds if out.seconds else 0.0
    return out
