"""N organization admins fill the weekly form at once: answers/s and reply latency.

Usage: python bench/forms.py [--admins 100]
vkemu runs in its own process (rate limit off) and so does the bot (`python -m bot run`, its
own limiter off too, since this measures the bot, not VK's quota). Each admin sends
/report, two figures and "Отправить", waiting for each reply; latency is from the message
to the bot's reply being delivered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root: testkit, bot
from storage.db import Database  # noqa: E402
from testkit.processes import bot_env, percentile, prepare_admins, vkemu_process, write_config  # noqa: E402

FIRST_ADMIN = 10_000


async def prepare_next_week(db_path: Path) -> None:
    """Let the second run fill the form anew: drop this period's submissions."""
    db = await Database.open(db_path)
    await db.execute("DELETE FROM figure_changes")
    await db.execute("DELETE FROM figures")
    await db.execute("DELETE FROM submissions")
    await db.close()


async def drive(base: str, admins: int, rate: float | None) -> dict[str, float]:
    """Closed loop when `rate` is None (each admin answers as soon as replied: the bot's ceiling);
    otherwise the answers of all admins are paced at `rate` per second (the load a Friday brings)."""
    latencies: list[float] = []
    failures = 0
    slots = iter(range(10**9))
    steps = ["/report", "204", "179", "Отправить"]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as s:
        async def control(action: str, body: dict) -> object:
            async with s.post(f"{base}/control/{action}", json=body) as r:
                return await r.json()

        for n in range(admins):
            await control("add_user", {"user_id": FIRST_ADMIN + n, "first_name": "Админ", "last_name": str(n),
                                       "allowed": True})
        # wait until the bot answers at all
        await control("say", {"user_id": FIRST_ADMIN, "text": "/whoami"})
        await control("wait_delivered", {"peer_id": FIRST_ADMIN, "count": 1, "limit_s": 30})

        async def admin(uid: int) -> None:
            nonlocal failures
            seen = len(await control("record", {"peer_id": uid}))  # type: ignore[arg-type]
            for text in steps:
                if rate:
                    delay = start + next(slots) / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                t0 = time.perf_counter()
                await control("say", {"user_id": uid, "text": text})
                got = await control("wait_delivered", {"peer_id": uid, "count": seen + 1, "limit_s": 20,
                                                       "since": seen})
                if not got:
                    failures += 1
                    return
                latencies.append(time.perf_counter() - t0)
                seen += len(got)  # type: ignore[arg-type]
            if not any("Отчёт принят" in m["text"] for m in got):  # type: ignore[union-attr, index]
                print("FAIL", uid, [m["text"][:50] for m in await control("record", {"peer_id": uid})], file=sys.stderr)
                failures += 1

        start = t0 = time.perf_counter()
        await asyncio.gather(*(admin(FIRST_ADMIN + n) for n in range(admins)))
        wall = time.perf_counter() - t0
    return {"admins": admins, "answers": len(latencies), "wall_s": wall, "answers_per_s": len(latencies) / wall,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "failed_admins": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--admins", type=int, default=100)
    parser.add_argument("--rate", type=float, default=200.0, help="paced answers/s for the latency run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, vkemu_process(rate_limit=0) as base:
        db_path = Path(tmp) / "bench.sqlite3"
        asyncio.run(prepare_admins(db_path, args.admins, FIRST_ADMIN, shift_to_now=True))
        config = write_config(Path(tmp) / "config.toml", base, db_path, requests_per_second=0)
        env = bot_env(config)
        prof = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
        bot = subprocess.Popen([sys.executable, *prof, "-m", "bot", "run"], cwd=tmp, env=env)
        try:
            ceiling = asyncio.run(drive(base, args.admins, None))
            asyncio.run(prepare_next_week(db_path))
            paced = asyncio.run(drive(base, args.admins, args.rate))
        finally:
            bot.terminate()
            bot.wait(30)
    for name, r in (("all at once", ceiling), (f"paced at {args.rate:.0f}/s", paced)):
        print(f"forms, {name}: {r['admins']} admins, {r['answers']} answers in {r['wall_s']:.1f} s: "
              f"{r['answers_per_s']:.0f} answers/s, reply p50 {r['p50_ms']:.0f} ms, "
              f"p99 {r['p99_ms']:.0f} ms, failed admins {r['failed_admins']}")
    print(json.dumps({"bench": "forms", "admins": args.admins,
                      "burst_answers_per_s": round(ceiling["answers_per_s"], 1),
                      "burst_p99_ms": round(ceiling["p99_ms"], 1),
                      "paced_answers_per_s": round(paced["answers_per_s"], 1),
                      "paced_p50_ms": round(paced["p50_ms"], 1), "paced_p99_ms": round(paced["p99_ms"], 1),
                      "failed_admins": ceiling["failed_admins"] + paced["failed_admins"]}))


if __name__ == "__main__":
    main()
