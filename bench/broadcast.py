"""N personalized reminders through vkemu with VK's 20 requests/s limit on: three ways compared; and the same N
through maxemu at MAX's 30 requests/s (MAX has no batching: one request a message).

Usage: python bench/broadcast.py [--recipients 40000] [--throttled-sample 1000] [--max-recipients 40000]
       [--only vk|max]

1. the project: `run-job form-reminders` queues N reminders, `python -m bot run` sends them
   (execute batches of 25 under one limiter) while people keep writing to the bot;
2. a plain vkbottle loop: one messages.send per recipient, no throttle;
3. the same loop throttled to 20 requests/s: it needs N/20 seconds, so it runs on a sample and
   its wall time for N is projected from the measured rate.
Each runs against a fresh vkemu process. Prints wall time, messages/s, error-6 count,
duplicates and lost messages, and for the project the p99 of replies during the broadcast. The project's rate is
given twice: from `run-job` started (its process start and the queuing of N rows included: 4-10 s that the bot's own
scheduler, which queues inside the running bot, does not spend on starting) and from the first reminder delivered
to the last — the sender's own rate, which the issue's 450 msg/s (VK) and 28 msg/s (MAX) are about.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from vkbottle import API, VKAPIError

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

FIRST = 1_000_000
REPLIERS = 20


def add_users(base: str, first: int, count: int) -> None:
    control(base, "add_users", {"user_ids": list(range(first, first + count)), "allowed": True})


def tally(base: str, first: int, count: int) -> tuple[int, int, int]:
    counts = {int(k): v for k, v in control(base, "counts").items()}  # type: ignore[union-attr]
    got = [counts.get(uid, 0) for uid in range(first, first + count)]
    errors = control(base, "stats")["errors_by_code"]  # type: ignore[index]
    return sum(max(0, c - 1) for c in got), sum(1 for c in got if c == 0), int(errors.get("6", 0))


def project(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, vkemu_process(rate_limit=20) as base:
        db = Path(tmp) / "bot.sqlite3"
        asyncio.run(prepare_admins(db, n, FIRST, shift_to_now=False))
        add_users(base, FIRST, n)
        # people who write to the bot during the broadcast (not registered: they get the greeting)
        repliers = list(range(FIRST + n + 1, FIRST + n + 1 + REPLIERS))
        add_users(base, repliers[0], REPLIERS)
        env = bot_env(write_config(Path(tmp) / "config.toml", base, db))
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp, env=env)
        asyncio.run(_until_answering(base, repliers[0]))
        t0 = time.perf_counter()  # from queuing the reminders to the last one delivered
        subprocess.run([sys.executable, "-m", "bot", "run-job", "form-reminders", "--at", "2023-10-20T10:00+05:00"],
                       cwd=tmp, env=env, check=True, capture_output=True)
        latencies, first = asyncio.run(_replies_during(base, repliers, n + 1))
        wall = time.perf_counter() - t0
        sending = time.perf_counter() - first
        bot.terminate()
        bot.wait(60)
        dup, lost, e6 = tally(base, FIRST, n)
    return {"messages": n, "wall_s": wall, "msgs_per_s": n / wall, "sender_msgs_per_s": n / sending,
            "error6": e6, "duplicates": dup, "lost": lost,
            "reply_p50_ms": percentile(latencies, 50) * 1000, "reply_p99_ms": percentile(latencies, 99) * 1000,
            "replies": len(latencies)}


def project_max(n: int) -> dict[str, float]:
    """`run-job form-reminders` for n admins registered in MAX, delivered by `python -m bot run` through maxemu."""
    with tempfile.TemporaryDirectory() as tmp, vkemu_process(rate_limit=20) as vk, maxemu_process() as mx:
        db = Path(tmp) / "bot.sqlite3"
        asyncio.run(prepare_admins(db, n, FIRST, shift_to_now=False, max_ids=True))
        max_control(mx, "add_users", {"first": FIRST, "count": n, "started": True})
        env = {**bot_env(write_config(Path(tmp) / "config.toml", vk, db, max_api=mx)), "MAX_TOKEN": "maxemu-token"}
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp, env=env)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "run-job", "form-reminders", "--at", "2023-10-20T10:00+05:00"],
                       cwd=tmp, env=env, check=True, capture_output=True)
        sent, peak, last, last_t, first = 0, 0.0, 0, time.perf_counter(), 0.0
        deadline = time.perf_counter() + n / 20 + 300  # far beyond n / 30 s: a stall ends the run, not the machine
        while sent < n and time.perf_counter() < deadline:
            time.sleep(0.2 if not first else 2)
            sent = int(max_control(mx, "stats")["sent"])  # type: ignore[index]
            now = time.perf_counter()
            first = first or (now if sent else 0.0)
            if now - last_t >= 2:
                peak = max(peak, (sent - last) / (now - last_t))
                last, last_t = sent, now
        wall = time.perf_counter() - t0
        stats = max_control(mx, "stats")
        bot.terminate()
        bot.wait(60)
        counts = {int(k): v for k, v in max_control(mx, "counts").items()}  # type: ignore[union-attr]
        got = [counts.get(uid, 0) for uid in range(FIRST, FIRST + n)]
    refused = stats["refused"]  # type: ignore[index]
    return {"messages": n, "wall_s": wall, "msgs_per_s": n / wall, "sender_msgs_per_s": n / (wall - (first - t0)),
            "peak_2s_msgs_per_s": peak,
            "http_429": int(refused.get("429", 0)), "other_refusals": sum(v for k, v in refused.items() if k != "429"),
            "duplicates": sum(max(0, c - 1) for c in got), "lost": sum(1 for c in got if c == 0)}


async def _until_answering(base: str, uid: int) -> None:
    async with aiohttp.ClientSession() as s:
        for _ in range(60):
            await s.post(f"{base}/control/say", json={"user_id": uid, "text": "Здравствуйте"})
            async with s.post(f"{base}/control/wait_delivered",
                              json={"peer_id": uid, "count": 1, "limit_s": 1}) as r:
                if await r.json():
                    return
    raise RuntimeError("the bot did not start answering")


async def _replies_during(base: str, repliers: list[int], n: int) -> tuple[list[float], float]:
    """The replies' latencies, and when the broadcast's first message was seen delivered (to 0.2 s)."""
    latencies: list[float] = []
    first = 0.0
    async with aiohttp.ClientSession() as s:
        async def post(action: str, body: dict) -> object:
            return await control_async(s, base, action, body)

        async def delivered() -> int:
            stats = await post("stats", {})
            return int(stats["delivered_total"])  # type: ignore[index]

        i = 0
        start = await delivered()
        while (count := await delivered()) < n + len(latencies):
            if not first and count > start + len(latencies):
                first = time.perf_counter()
            uid = repliers[i % len(repliers)]
            i += 1
            seen = len(await post("record", {"peer_id": uid}))  # type: ignore[arg-type]
            t0 = time.perf_counter()
            await post("say", {"user_id": uid, "text": "Здравствуйте"})
            got = await post("wait_delivered", {"peer_id": uid, "count": seen + 1, "limit_s": 30, "since": seen})
            if got:
                latencies.append(time.perf_counter() - t0)
            await asyncio.sleep(0.2)
            if i > 100_000:
                break
    return latencies, first or time.perf_counter()


async def _plain_loop(base: str, first: int, n: int, throttle: float | None) -> float:
    api = API("vkemu-token")
    api.API_URL = base + "/method/"
    t0 = time.perf_counter()
    for k, uid in enumerate(range(first, first + n)):
        if throttle:
            delay = t0 + k / throttle - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        try:
            await api.request("messages.send", {"peer_id": uid, "message": f"Напоминание {uid}",
                                                "random_id": uid})
        except VKAPIError:
            pass  # what a naive bot does: the message is simply lost
    wall = time.perf_counter() - t0
    await api.http_client.close()
    return wall


def plain(n: int, throttle: float | None) -> dict[str, float]:
    with vkemu_process(rate_limit=20) as base:
        add_users(base, FIRST, n)
        wall = asyncio.run(_plain_loop(base, FIRST, n, throttle))
        dup, lost, e6 = tally(base, FIRST, n)
    return {"messages": n, "wall_s": wall, "msgs_per_s": (n - lost) / wall, "error6": e6, "duplicates": dup,
            "lost": lost}


def main() -> None:
    from loguru import logger

    logger.remove()  # vkbottle logs every request at DEBUG
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=40_000)
    parser.add_argument("--throttled-sample", type=int, default=1000)
    parser.add_argument("--max-recipients", type=int, default=40_000)
    parser.add_argument("--only", choices=["vk", "max"], default=None)
    args = parser.parse_args()
    n = args.recipients
    figures: dict[str, object] = {"bench": "broadcast"}
    if args.only != "max":
        figures |= vk_rows(n, args.throttled_sample)
    if args.only != "vk":
        m = project_max(args.max_recipients)
        print(f"broadcast of {m['messages']} reminders through maxemu, MAX limit 30 requests/s:")
        print(f"  project sender   : {m['wall_s']:.1f} s, {m['msgs_per_s']:.1f} msg/s against the 30/s ceiling "
              f"({m['sender_msgs_per_s']:.1f} msg/s from the first delivered) "
              f"(busiest 2 s: {m['peak_2s_msgs_per_s']:.1f}/s), HTTP 429: {m['http_429']} (each retried), "
              f"other refusals {m['other_refusals']}, duplicates {m['duplicates']}, lost {m['lost']}")
        figures |= {"max_recipients": m["messages"], "max_msgs_per_s": round(m["msgs_per_s"], 1),
                    "max_sender_msgs_per_s": round(m["sender_msgs_per_s"], 1),
                    "max_wall_s": round(m["wall_s"], 1), "max_peak_2s_msgs_per_s": round(m["peak_2s_msgs_per_s"], 1),
                    "max_http_429": m["http_429"], "max_other_refusals": m["other_refusals"],
                    "max_duplicates": m["duplicates"], "max_lost": m["lost"]}
    print(json.dumps(figures))


def vk_rows(n: int, throttled_sample: int) -> dict[str, object]:
    ours = project(n)
    naive = plain(n, None)
    sample = plain(min(n, throttled_sample), 20.0)
    projected = n / sample["msgs_per_s"] if sample["msgs_per_s"] else float("inf")
    print(f"broadcast of {n} reminders, vkemu limit 20 requests/s:")
    print(f"  project sender   : {ours['wall_s']:.1f} s, {ours['msgs_per_s']:.0f} msg/s from `run-job` started "
          f"({ours['sender_msgs_per_s']:.0f} msg/s from the first delivered), error 6: {ours['error6']}, "
          f"duplicates {ours['duplicates']}, lost {ours['lost']}; replies during it: p50 "
          f"{ours['reply_p50_ms']:.0f} ms, p99 {ours['reply_p99_ms']:.0f} ms ({ours['replies']} replies)")
    print(f"  vkbottle loop    : {naive['wall_s']:.1f} s, {naive['msgs_per_s']:.0f} msg/s delivered, "
          f"error 6: {naive['error6']}, duplicates {naive['duplicates']}, lost {naive['lost']}")
    print(f"  loop at 20/s     : {sample['msgs_per_s']:.1f} msg/s measured on {sample['messages']} "
          f"(error 6: {sample['error6']}, lost {sample['lost']}); {n} would take {projected / 60:.0f} min")
    return {"recipients": n, "project_msgs_per_s": round(ours["msgs_per_s"], 1),
            "project_sender_msgs_per_s": round(ours["sender_msgs_per_s"], 1),
            "project_wall_s": round(ours["wall_s"], 1), "project_error6": ours["error6"],
            "project_duplicates": ours["duplicates"], "project_lost": ours["lost"],
            "project_reply_p99_ms": round(ours["reply_p99_ms"], 1),
            "loop_error6": naive["error6"], "loop_lost": naive["lost"],
            "throttled_msgs_per_s": round(sample["msgs_per_s"], 1),
            "throttled_projected_min": round(projected / 60, 1)}


if __name__ == "__main__":
    main()
