"""Two instances on one PostgreSQL: the serving one is killed with -9 every 2.5 s (once the last restarted one is
up) while 10,000 reminders go out and 30 admins fill in their form; a new process is started after each kill.
Nothing is lost, nothing is sent twice, every figure is right, every answer is replied to once, and the standby
takes the lease within seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit import failover
from testkit.forkserver import ForkServer


@pytest.mark.process
@pytest.mark.timeout(900)
def test_two_instances_killed_in_turn_lose_nothing_and_send_nothing_twice(tmp_path: Path, pg_server,
                                                                           bot_processes: ForkServer) -> None:
    url = pg_server.new_database("failover")
    out = failover.run(tmp_path, url, recipients=10000, admins=30, kill_every_s=2.5, instances=2,
                       launcher=bot_processes)
    assert out.kills >= 3, out.line()
    assert (out.lost, out.twice, out.wrong_figures, out.replied_other_than_once) == (0, 0, 0, 0), out.line()
    # every kill taken over within seconds, by the standby: the killed one is started again only after that
    assert len(out.takeovers) == out.kills and max(out.takeovers) < 10, out.line()
