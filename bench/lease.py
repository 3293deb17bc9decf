"""How long PostgreSQL's instance lease takes to move when its holder is killed with -9.

A PostgreSQL server is started from the machine's binaries (testkit/postgres.py). Each round, a child process opens
the database and takes the lease (bot/cli.py `_wait_for_lease`, storage/pg.py `take_lease`), a standby in this
process waits for it as `python -m bot run` does, and the child is killed with SIGKILL: printed is the time from the
kill to the standby holding the lease (the kernel closes the dead process's socket, PostgreSQL ends its session and
the advisory lock with it; the standby asks every LEASE_RETRY_S).

Then the holder's machine going silent (no FIN, no RST: power lost, cable cut; testkit/network.py): printed are the
time until the holder stopped itself (its renewal unanswered) and until the standby served (it ends a lease not
renewed for LEASE_TTL_S) — the holder always first.

Usage: python bench/lease.py [rounds] [silent_rounds]
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bot import cli  # noqa: E402
from storage.engines import open_database  # noqa: E402
from storage.pg import LEASE_TTL_S  # noqa: E402
from testkit import postgres  # noqa: E402
from testkit.network import SilentNetwork  # noqa: E402

PHASES = random.Random(7)
CHILD = """
import asyncio, sys
sys.path.insert(0, {root!r})
from storage.engines import open_database
async def main():
    db = await open_database({url!r})
    assert await db.take_lease("child")
    print("held", flush=True)
    await asyncio.sleep(3600)
asyncio.run(main())
"""


def holder(url: str) -> subprocess.Popen:
    """A child process holding the lease (started from synchronous code: it blocks until the child says so)."""
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=str(HERE.parent), url=url)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


async def round_once(url: str) -> float:
    child = await asyncio.to_thread(holder, url)
    db = await open_database(url)
    stop = asyncio.Event()
    waiting = asyncio.create_task(cli._wait_for_lease(SimpleNamespace(db=db, instance=f"bench:{os.getpid()}"), stop))
    # killed at a random moment of the standby's retry interval (at a fixed one, every round had measured the
    # same phase: 1.51 s of a 2 s interval, all ten)
    await asyncio.sleep(0.5 + PHASES.uniform(0, cli.LEASE_RETRY_S))
    assert not waiting.done()
    killed = time.monotonic()
    os.kill(child.pid, signal.SIGKILL)
    assert await asyncio.wait_for(waiting, 30)
    took = time.monotonic() - killed
    await asyncio.to_thread(child.wait)
    await db.conn.execute("SELECT pg_advisory_unlock_all()")
    await db.close()
    return took


async def silent_once(url: str) -> tuple[float, float]:
    """(holder stopped, standby serves), seconds after the holder's network went silent."""
    network = SilentNetwork(url)
    held = await open_database(await network.start())
    standby = await open_database(url)
    try:
        assert await held.take_lease("silent")
        holding = asyncio.create_task(cli._hold_lease(SimpleNamespace(db=held, instance="silent", closing=False),
                                                      asyncio.Event()))
        waiting = asyncio.create_task(cli._wait_for_lease(SimpleNamespace(db=standby, instance="standby"),
                                                          asyncio.Event()))
        await asyncio.sleep(1.5)
        silent = time.monotonic()
        network.silent = True
        assert await asyncio.wait_for(holding, 30)
        stopped = time.monotonic() - silent
        assert await asyncio.wait_for(waiting, 60)
        serves = time.monotonic() - silent
    finally:
        held.conn.terminate()
        held._lease_conn.terminate()  # type: ignore[attr-defined]
        await standby.close()
        await network.stop()
    return stopped, serves


async def main(rounds: int, silent_rounds: int) -> None:
    server = postgres.start(Path(tempfile.mkdtemp(prefix="lease-bench-")))
    try:
        url = server.new_database("lease_bench")
        await (await open_database(url)).close()  # migrated once, before the rounds
        times = [await round_once(url) for _ in range(rounds)]
        silent = [await silent_once(url) for _ in range(silent_rounds)]
    finally:
        server.stop()
    print(f"lease takeover after kill -9, {rounds} rounds (standby asks every {cli.LEASE_RETRY_S:g} s): "
          f"min {min(times):.2f} s, median {statistics.median(times):.2f} s, max {max(times):.2f} s")
    if silent:
        stops, serves = [s for s, _ in silent], [v for _, v in silent]
        print(f"holder's network silent, {silent_rounds} rounds (lease ends after {LEASE_TTL_S:.0f} s unrenewed): "
              f"holder stopped after median {statistics.median(stops):.2f} s (max {max(stops):.2f} s), standby "
              f"served after median {statistics.median(serves):.2f} s (max {max(serves):.2f} s); the holder first in "
              f"{sum(s < v for s, v in silent)} of {silent_rounds}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10, int(sys.argv[2]) if len(sys.argv) > 2 else 3))
