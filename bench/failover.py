"""Several instances on one PostgreSQL, the serving one killed with -9 every 30 s (testkit/failover.py), against one
instance left alone, under the same VK limit (20 requests a second, vkemu).

Prints, for each run: reminders and admins, seconds to an empty outbox and reminders a second, lost / sent twice /
wrong figures / answers not replied once, and how long the standby took to hold the lease after each kill.

Usage: python bench/failover.py [reminders] [admins] [kill_every_s]   (defaults: 40000 200 30)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from testkit import failover, postgres  # noqa: E402


def main() -> None:
    reminders = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    admins = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    every = float(sys.argv[3]) if len(sys.argv) > 3 else 30.0
    server = postgres.start(Path(tempfile.mkdtemp(prefix="failover-bench-")))
    try:
        for name, instances, kill_every in (("one", 1, 0.0), ("two", 2, every)):
            work = Path(tempfile.mkdtemp(prefix=f"failover-{name}-"))
            out = failover.run(work, server.new_database(f"bench_{name}"), reminders, admins, kill_every, instances)
            print(out.line(), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
