"""One user floods the bot while others use it: how long the others wait for their replies, on MAX and on VK.

Usage: python bench/flood.py [--flood 10000] [--others 200] [--only max|vk]

`python -m bot run` serves one messenger through its emulator: MAX through maxemu (30 requests a second, 2 a second
per chat), VK through vkemu (20 requests a second). One registered admin sends `--flood` messages as fast as the
emulator takes them; meanwhile each of `--others` admins sends /whoami at a random moment and waits for its reply.
Prints the others' reply latency (p50, p99, worst), how many of the flood's replies were delivered by then, and the
messenger's refusals for rate (MAX's 429, VK's error 6). The issue measured p99 330 s on MAX before replies were
served a recipient at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root: testkit, bot
from testkit.processes import (  # noqa: E402
    bot_env,
    control,
    control_async,
    max_control,
    maxemu_process,
    percentile,
    prepare_admins,
    vkemu_process,
    write_config,
)

FIRST = 500_000


@dataclass(frozen=True)
class Emulator:
    """How the bench asks one emulator's control API: where, how many messages a person got, and how many
    requests it refused for rate (MAX: HTTP 429; VK: error 6)."""

    base: str
    prefix: str
    delivered_action: str
    delivered_key: str
    refused: Callable[[dict], int]


VK = ("/control/", "record", "peer_id", lambda stats: int(stats["errors_by_code"].get("6", 0)))
MAX = ("/_control/", "sent", "user_id", lambda stats: int(stats["refused"].get("429", 0)))


async def _run(emu: Emulator, flooder: int, others: list[int], flood: int) -> dict[str, float]:
    latencies: list[float] = []
    async with aiohttp.ClientSession() as s:
        async def control(action: str, body: dict) -> object:
            return await control_async(s, emu.base, action, body, prefix=emu.prefix)

        async def delivered(uid: int) -> int:
            return len(await control(emu.delivered_action, {emu.delivered_key: uid}))  # type: ignore[arg-type]

        async def flooding() -> None:
            for n in range(flood):
                await control("say", {"user_id": flooder, "text": f"спам {n}"})

        async def one(uid: int, spread_s: float) -> None:
            await asyncio.sleep(random.uniform(0, spread_s))
            before = await delivered(uid)
            t0 = time.perf_counter()
            await control("say", {"user_id": uid, "text": "/whoami"})
            while time.perf_counter() - t0 < 600:
                if await delivered(uid) > before:
                    latencies.append(time.perf_counter() - t0)
                    return
                await asyncio.sleep(0.05)

        t0 = time.perf_counter()
        flood_task = asyncio.create_task(flooding())
        await asyncio.sleep(1.0)  # the flood is under way first
        await asyncio.gather(*(one(uid, 20.0) for uid in others))
        await flood_task
        wall = time.perf_counter() - t0
        refused = emu.refused(await control("stats", {}))  # type: ignore[arg-type]
        flood_replies = await delivered(flooder)
    return {"flood": flood, "others": len(others), "answered": len(latencies),
            "reply_p50_s": round(percentile(latencies, 50), 2), "reply_p99_s": round(percentile(latencies, 99), 2),
            "reply_worst_s": round(max(latencies) if latencies else float("nan"), 2),
            "flood_replies_delivered": flood_replies, "wall_s": round(wall, 1), "refused_for_rate": refused}


def on_max(flood: int, others: int) -> dict[str, float]:
    people = others + 1
    with tempfile.TemporaryDirectory() as tmp, vkemu_process(rate_limit=20) as vk, maxemu_process() as mx:
        db = Path(tmp) / "bot.sqlite3"
        asyncio.run(prepare_admins(db, people, FIRST, shift_to_now=False, max_ids=True))
        max_control(mx, "add_users", {"first": FIRST, "count": people, "started": True})
        env = {**bot_env(write_config(Path(tmp) / "config.toml", vk, db, max_api=mx)), "MAX_TOKEN": "maxemu-token"}
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp, env=env)
        try:
            time.sleep(4)
            return asyncio.run(_run(Emulator(mx, *MAX), FIRST, list(range(FIRST + 1, FIRST + people)), flood))
        finally:
            bot.terminate()
            bot.wait(60)


def on_vk(flood: int, others: int) -> dict[str, float]:
    people = others + 1
    with tempfile.TemporaryDirectory() as tmp, vkemu_process(rate_limit=20) as vk:
        db = Path(tmp) / "bot.sqlite3"
        asyncio.run(prepare_admins(db, people, FIRST, shift_to_now=False))
        control(vk, "add_users", {"user_ids": list(range(FIRST, FIRST + people)), "allowed": True})
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp,
                               env=bot_env(write_config(Path(tmp) / "config.toml", vk, db)))
        try:
            time.sleep(4)
            return asyncio.run(_run(Emulator(vk, *VK), FIRST, list(range(FIRST + 1, FIRST + people)), flood))
        finally:
            bot.terminate()
            bot.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flood", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=200)
    parser.add_argument("--only", choices=["vk", "max"], default=None)
    args = parser.parse_args()
    result: dict[str, float] = {}
    for name, run in (("max", on_max), ("vk", on_vk)):
        if args.only in (None, name):
            r = run(args.flood, args.others)
            print(f"{name}: flood of {r['flood']} messages from one user, {r['others']} others writing meanwhile:")
            print(f"  others' replies: p50 {r['reply_p50_s']} s, p99 {r['reply_p99_s']} s, worst {r['reply_worst_s']} s "
                  f"({r['answered']} of {r['others']} answered)")
            print(f"  flood replies delivered by the end: {r['flood_replies_delivered']}; "
                  f"refused for rate: {r['refused_for_rate']}")
            result |= {f"{name}_{k}": v for k, v in r.items()}
    print(json.dumps({"bench": "flood", **result}, ensure_ascii=False))


if __name__ == "__main__":
    main()
