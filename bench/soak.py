"""Soak with faults: admins keep filling and correcting the weekly form while VK misbehaves and
the bot is killed with SIGKILL and restarted every few minutes.

Faults (vkemu in its own process, VK's 20 requests/s limit on): 5 % of method calls answer HTTP 5xx
and 5 % answer slowly (1.5 s), 2 % of connections are dropped, long-poll `failed` 1, 2 and 3 in turn
every 20 s (`--failed-every`), and `kill -9` of the bot (then a restart) every `--kill-every` seconds.

Afterwards, with the load stopped and the bot given time to catch up:
- every user's last message got an answer;
- each organization's stored figures are the last ones its admin typed and saw accepted, and the change log
  holds exactly the changes the admins made (nothing lost, nothing stored twice);
- the day's reminder reached each idle admin exactly once, through the kills (one a day: later remind_at
  times of the day are folded into it).

Usage: python bench/soak.py [--minutes 10] [--kill-every 120] [--admins 40] [--idle 20]
Exit status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
from testkit.processes import (  # noqa: E402
    bot_env,
    control,
    control_async,
    percentile,
    prepare_admins,
    school_id,
    vkemu_process,
    without_items,
)

FIRST_ADMIN = 20_000
TZ = "Europe/Moscow"
REPLY_WAIT_S = 180  # a user waits this long for an answer before the run counts it as lost
LOG = Path(tempfile.gettempdir()) / "sferum-soak-bot.log"  # the bot's own log, kept for a look afterwards


def clock_shift_days(now: datetime, run: timedelta) -> float:
    """How far the bot's clock runs ahead of ours (`run --clock-shift-days`): to the nearest Moscow working day, as
    reminders keep to working days — and, where the run would reach Moscow's midnight, hours back, so that the whole
    run stays in one day of the bot's: its period is due on that day and closes at its end (a run started at 23:58
    had found its admins' forms closed by the new day and counted their accepted reports as lost)."""
    from bot.domain.schedule import is_working_day

    local = now.astimezone(ZoneInfo(TZ))
    back = timedelta(0)
    if (local + run).date() != local.date():
        back = timedelta(hours=(local - local.replace(hour=12, minute=0, second=0, microsecond=0)).seconds // 3600)
    day = (local - back).date()
    ahead = next(n for n in range(30) if is_working_day(day + timedelta(days=n)))  # the New Year holidays: 12
    return ahead - back / timedelta(days=1)


def roadmap_text(start: datetime) -> tuple[str, list[str]]:
    """Seed 000's roadmap with the period due on the bot's today and its reminder a minute into the run (Moscow
    time). One: a person gets one reminder a day (bot/domain/schedule.py), so later remind_at times would add
    nothing to check."""
    local = start.astimezone(ZoneInfo(TZ))
    times = [t for t in [local + timedelta(minutes=1)] if t.date() == local.date()]  # (a run at midnight: none)
    remind = ", ".join(f'"{t:%H:%M}"' for t in times)
    text = without_items((ROOT / "roadmaps" / "ntgo-2023.toml").read_text(encoding="utf-8"))
    day = local.strftime("%a").lower()[:3]
    text = re.sub(r"(?m)^starts = .*$", f"starts = {local.date() - timedelta(days=30)}", text)
    text = re.sub(r"(?m)^ends = .*$", f"ends = {local.date() + timedelta(days=60)}", text)
    text = re.sub(r'(?m)^on = "fri"$', f'on = "{day}"', text)
    text = re.sub(r"(?m)^remind_at = .*$", f"remind_at = [{remind}]", text)
    text = re.sub(r"(?m)^summary_at = .*$", 'summary_at = "23:59"', text)
    return text, [f"{t:%H:%M}" for t in times]


async def prepare(tmp: Path, base: str, admins: int, idle: int) -> tuple[Path, list[str]]:
    text, times = roadmap_text(bot_now())
    await prepare_admins(tmp / "bot.sqlite3", admins + idle, FIRST_ADMIN, False, roadmap=text, timezone=TZ)
    config = tmp / "config.toml"
    config.write_text(f'[vk]\ngroup_id = 1\napi_url = "{base}/method/"\nrequests_per_second = 20\n'
                      f'[storage]\npath = "{tmp / "bot.sqlite3"}"\n'
                      "[schedule]\ngrace_hours = 1\ntick_seconds = 5\n", encoding="utf-8")
    return config, times


SHIFT = 0.0  # days, set by main() from the run's length


def bot_now() -> datetime:
    return datetime.now(UTC) + timedelta(days=SHIFT)


class User:
    def __init__(self, uid: int, org: str) -> None:
        self.uid = uid
        self.org = org
        self.accepted: dict[str, int] | None = None  # what the bot last confirmed as stored
        self.typed: dict[str, int] = {}  # what the person last typed for each figure
        self.changes = 0  # figure changes the bot confirmed (first report: 2)
        self.latencies: list[float] = []
        self.slow = 0
        self.lost = 0


async def run_users(base: str, users: list[User], stop_at: float) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REPLY_WAIT_S + 30)) as s:
        async def control(action: str, body: dict) -> object:
            return await control_async(s, base, action, body)

        async def exchange(u: User, text: str | None = None, press: str | None = None) -> str:
            """Write (or press) and wait for the bot's next message to this user."""
            seen = len(await control("record", {"peer_id": u.uid}))  # type: ignore[arg-type]
            t0 = time.perf_counter()
            if press is not None:
                await control("press", {"user_id": u.uid, "label": press})
            else:
                await control("say", {"user_id": u.uid, "text": text})
            got = await control("wait_delivered", {"peer_id": u.uid, "count": seen + 1, "limit_s": REPLY_WAIT_S,
                                                   "since": seen})
            if not got:
                u.lost += 1
                raise TimeoutError(f"user {u.uid}: no answer to {text or press!r}")
            latency = time.perf_counter() - t0
            u.latencies.append(latency)
            u.slow += latency > 30
            # replies that belong together (e.g. "accepted" + targets) may arrive a moment apart
            await asyncio.sleep(0.3)
            got = await control("record", {"peer_id": u.uid})
            return "\n".join(m["text"] for m in got[seen:])  # type: ignore[index]

        async def user(u: User) -> None:
            rng = random.Random(u.uid)
            while time.monotonic() < stop_at:
                await asyncio.sleep(rng.uniform(0.5, 3.0))
                reply = await exchange(u, "/report")
                staff = 100 + u.uid % 50
                active = rng.randint(40, staff)
                if "уже отправлен" in reply:
                    assert "Проверьте ответы" in await exchange(u, press="Исправить")
                    assert "Какой ответ" in await exchange(u, press="Исправить")
                    assert "Сколько из них" in await exchange(u, "2")
                    # stay within the form's plausibility band of the last accepted value
                    active = max(u.accepted["staff_active"] // 2 + 1, min(active, u.accepted["staff_active"] * 2))
                    reply = await exchange(u, str(active))
                    u.typed["staff_active"] = active
                    if "Всё верно?" in reply:
                        reply = await exchange(u, press="Подтвердить")
                    assert "Проверьте ответы" in reply, reply
                    reply = await exchange(u, "Отправить")
                    if "Исправление принято" in reply:
                        if active != u.accepted["staff_active"]:
                            u.changes += 1
                        u.accepted = {"staff_total": staff, "staff_active": active}
                    else:
                        raise AssertionError(f"user {u.uid}: correction not accepted: {reply[:200]}")
                elif "Вопрос 1 из 2" in reply:
                    await exchange(u, str(staff))
                    u.typed["staff_total"] = staff
                    await exchange(u, str(active))
                    u.typed["staff_active"] = active
                    reply = await exchange(u, "Отправить")
                    if "Отчёт принят" not in reply:
                        raise AssertionError(f"user {u.uid}: report not accepted: {reply[:200]}")
                    u.accepted = {"staff_total": staff, "staff_active": active}
                    u.changes += 2
                else:
                    raise AssertionError(f"user {u.uid}: unexpected answer to /report: {reply[:200]}")

        results = await asyncio.gather(*(user(u) for u in users), return_exceptions=True)
        for u, r in zip(users, results, strict=True):
            if isinstance(r, BaseException):
                print(f"user {u.uid} stopped: {r}", file=sys.stderr)
                u.lost += 1


async def chaos_loop(base: str, stop_at: float, codes: list[int], every: float = 20) -> int:
    injected = 0
    loop = asyncio.get_running_loop()
    while time.monotonic() < stop_at:
        await asyncio.sleep(every)
        await loop.run_in_executor(None, control, base, "fail_longpoll",
                                   {"code": codes[injected % len(codes)]})
        injected += 1
    return injected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--kill-every", type=float, default=120)
    parser.add_argument("--admins", type=int, default=40)
    parser.add_argument("--idle", type=int, default=20)
    parser.add_argument("--longpoll-codes", type=lambda v: [int(c) for c in v.split(",")], default=[1, 2, 3],
                        help="long-poll `failed` codes injected in turn every --failed-every seconds")
    parser.add_argument("--failed-every", type=float, default=20,
                        help="seconds between long-poll `failed` answers (the test's short soak packs them closer)")
    args = parser.parse_args()
    global SHIFT
    # the run, then the wait for the last answers, then the checks: all of it in one day of the bot's
    SHIFT = clock_shift_days(datetime.now(UTC), timedelta(minutes=args.minutes + 5, seconds=REPLY_WAIT_S))
    with tempfile.TemporaryDirectory() as tmp_name, vkemu_process(rate_limit=20) as base:
        tmp = Path(tmp_name)
        config, remind_times = asyncio.run(prepare(tmp, base, args.admins, args.idle))
        control(base, "chaos", {"p_5xx": 0.05, "p_slow": 0.05, "p_drop": 0.02, "slow_seconds": 1.5,
                                     "seed": 1})
        for n in range(args.admins + args.idle):
            control(base, "add_user", {"user_id": FIRST_ADMIN + n, "first_name": "Админ",
                                            "last_name": str(n), "allowed": True})
        env = bot_env(config)

        def start_bot() -> subprocess.Popen:
            return subprocess.Popen([sys.executable, "-m", "bot", "run", "--clock-shift-days", str(SHIFT)],
                                    cwd=tmp, env=env,
                                    stdout=subprocess.DEVNULL, stderr=open(LOG, "a"))  # noqa: SIM115

        bot = start_bot()
        # people write only once the bot listens: VK keeps no messages for a bot that never polled
        while control(base, "stats")["requests_total"] == 0:  # type: ignore[index]
            time.sleep(0.2)
        time.sleep(1)
        users = [User(FIRST_ADMIN + n, school_id(n)) for n in range(args.admins)]
        started = time.monotonic()
        stop_at = started + args.minutes * 60
        kills = 0

        async def killer() -> None:
            nonlocal bot, kills
            rng = random.Random(2)
            while True:
                await asyncio.sleep(args.kill_every * rng.uniform(0.7, 1.3))
                if time.monotonic() >= stop_at:
                    return
                bot.send_signal(signal.SIGKILL)
                bot.wait()
                kills += 1
                bot = start_bot()

        async def drive() -> int:
            kill_task = asyncio.create_task(killer())
            chaos_task = asyncio.create_task(chaos_loop(base, stop_at, args.longpoll_codes, args.failed_every))
            await run_users(base, users, stop_at)
            kill_task.cancel()
            return await chaos_task

        try:
            longpoll_failures = asyncio.run(drive())
            # the run is over: let the last reminder time pass (a short run can end before it), and the
            # bot catch up without faults
            control(base, "chaos", {})
            local = bot_now().astimezone(ZoneInfo(TZ))
            last = max((datetime.combine(local.date(), datetime.strptime(t, "%H:%M").time(), ZoneInfo(TZ))
                        for t in remind_times), default=local)
            time.sleep(max(0.0, (last - local).total_seconds()) + 15)
            bot.send_signal(signal.SIGTERM)
            bot.wait(60)
        finally:
            if bot.poll() is None:
                bot.kill()
        elapsed = time.monotonic() - started
        stats = control(base, "stats")
        idle = [FIRST_ADMIN + n for n in range(args.admins, args.admins + args.idle)]
        problems = asyncio.run(check(tmp / "bot.sqlite3", base, users, idle, remind_times))
    latencies = [x for u in users for x in u.latencies]
    result = {
        "bench": f"soak with faults, {args.minutes:g} min",
        "users": args.admins, "idle_admins": args.idle, "kills": kills, "longpoll_failures": longpoll_failures,
        "answers": len(latencies), "reply_p50_ms": round(percentile(latencies or [0], 50) * 1000),
        "reply_p99_ms": round(percentile(latencies or [0], 99) * 1000),
        "waited_over_30s": sum(u.slow for u in users),
        "vk_requests": stats["requests_total"], "error6": stats["errors_by_code"].get("6", 0),  # type: ignore[index]
        "reminders_per_idle_admin": len(remind_times), "problems": len(problems), "elapsed_s": round(elapsed),
    }
    for p in problems[:30]:
        print("PROBLEM:", p)
    print(json.dumps(result, ensure_ascii=False))
    if problems:
        sys.exit(1)


async def check(db_path: Path, base: str, users: list[User], idle: list[int], remind_times: list[str]) -> list[str]:
    from storage.db import Database
    from storage.reports import ReportRepo

    problems: list[str] = []
    db = await Database.open(db_path)
    reports = ReportRepo(db)
    roadmap, form = "ntgo-sferum-2023", "weekly"
    period = bot_now().astimezone(ZoneInfo(TZ)).date().isoformat()
    for u in users:
        if u.lost:
            problems.append(f"user {u.uid}: {u.lost} messages without an answer")
        sub = await reports.submission(u.org, roadmap, form, period)
        stored = await reports.figures(sub.id) if sub else {}
        if (u.accepted or {}) != stored:
            problems.append(f"{u.org}: stored {stored}, the admin saw {u.accepted} accepted")
        if not u.lost and stored != u.typed:
            problems.append(f"{u.org}: stored {stored}, the admin typed {u.typed} last")
        changes = len(await reports.history(u.org, limit=100_000))
        if changes != u.changes:
            problems.append(f"{u.org}: {changes} figure changes stored, the admin made {u.changes}")
    await db.close()
    # the day's reminder (its time inside the run) reached each idle admin exactly once
    for uid in idle:
        got = control(base, "record", {"peer_id": uid})
        reminders = [m for m in got if m["text"].startswith("Напоминание: ")]  # type: ignore[index]
        if len(reminders) != len(remind_times):
            problems.append(f"idle admin {uid}: {len(reminders)} reminders, {len(remind_times)} fell due")
    return problems


if __name__ == "__main__":
    main()
