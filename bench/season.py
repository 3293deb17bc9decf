"""A whole season (2023-08-01 .. 2024-05-31) for many municipalities, through the real bot and vkemu.

Each municipality is a copy of seed 000's (20 organizations, 423 staff), with its coordinator and
bound chat; the people act on the seeded plan of `tests/season.py` and the verdict is the same as
the test's: every push counted against the plan, every summary's percentages, nothing sent twice,
every figure stored once with its last value.

Usage: python bench/season.py [--municipalities 10] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from loguru import logger  # noqa: E402

from testkit.harness import start_harness, stop_harness  # noqa: E402
from testkit.season import Season  # noqa: E402
from vkemu import Schema  # noqa: E402


async def main(municipalities: int, seed: int) -> None:
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    with tempfile.TemporaryDirectory() as tmp:
        h = await start_harness(Path(tmp), Schema(), live=True)  # over HTTP, as the figures in the README were taken
        try:
            season = Season(h, seed=seed)
            started = time.perf_counter()
            await season.setup(municipalities)
            registered = time.perf_counter()
            totals = await season.run()
            ran = time.perf_counter()
            problems = await season.check()
        finally:
            await stop_harness(h)
    for p in problems[:20]:
        print("PROBLEM:", p)
    people = 1 + sum(1 + len(m.orgs) for m in season.munis)
    result = {
        "bench": f"season: {municipalities} municipalities, 2023-08-01..2024-05-31",
        "people": people,
        "ticks": totals.ticks,
        "pushed": sum(totals.pushed.values()),
        "user_actions": totals.actions,
        "replies": totals.replies,
        "registration_s": round(registered - started, 1),
        "season_s": round(ran - registered, 1),
        "problems": len(problems),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(result, ensure_ascii=False))
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--municipalities", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.municipalities, args.seed))
