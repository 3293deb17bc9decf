"""How many requests per second `python -m vkemu` serves here, rate limit off.

Usage: python bench/vkemu_throughput.py [--requests 20000] [--concurrency 32]
The emulator runs in its own process; the client is one aiohttp session with N workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root: testkit, bot
from testkit.processes import percentile, vkemu_process  # noqa: E402

TOKEN = "vkemu-token"


async def run(base: str, total: int, concurrency: int) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as s:
        for uid in range(1, 101):
            await s.post(f"{base}/control/add_user", json={"user_id": uid, "allowed": True})
        latencies: list[float] = []
        errors = 0
        counter = iter(range(total))

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                data = {"access_token": TOKEN, "v": "5.199", "peer_id": str(i % 100 + 1),
                        "message": f"Напоминание {i}", "random_id": str(i + 1)}
                t0 = time.perf_counter()
                async with s.post(f"{base}/method/messages.send", data=data) as r:
                    body = json.loads(await r.text())
                latencies.append(time.perf_counter() - t0)
                if "error" in body:
                    errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {"requests": total, "wall_s": wall, "rps": total / wall, "errors": errors,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with vkemu_process(rate_limit=0) as base:
        r = asyncio.run(run(base, args.requests, args.concurrency))
    print(f"vkemu_throughput: {r['requests']} messages.send, concurrency {args.concurrency}: "
          f"{r['rps']:.0f} requests/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
          f"errors {r['errors']}, wall {r['wall_s']:.1f} s")
    print(json.dumps({"bench": "vkemu_throughput", **{k: round(v, 2) for k, v in r.items()}}))


if __name__ == "__main__":
    main()
