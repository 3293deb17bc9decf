from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

# Bytecode on, whatever the environment says (these machines set PYTHONDONTWRITEBYTECODE): without it every test worker
# compiles our modules and pytest rewrites every test file's asserts again (~5 s a worker), and every bot the process
# tests start compiles the app again (~0.15 s a start, hundreds of starts). __pycache__ is in .gitignore.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# The collector is off while the tests are collected (the app, vkbottle, matplotlib: objects and no garbage; a worker's
# collection took 4.0 s with it, 2.6 s without); pytest_collection_finish turns it on with what collection made frozen.
gc.disable()

import pytest  # noqa: E402

from vkemu import Schema  # noqa: E402

# Seconds a test takes under `make test` (measured with --durations; a test not named takes ~0.3 s): what the
# workers' shares are balanced by. pytest-xdist's worksteal gives each worker a contiguous share of the list and
# a worker done early steals the tail of another's, so a long test at the head of a share is never moved: the
# longest ones are dealt out first, one share at a time (they had all sat at the head of one share — the soak,
# then a season, a regional half-year and the outage, one after another on one worker).
SECONDS = {
    "test_faults.py": 103, "test_failover.py": 53, "test_crash.py": 28, "test_crash_forms.py": 46,
    "test_hostile_files.py::test_huge_files_leave_the_bot_small_and_others_answered": 22,
    "test_second_sender.py": 14.5, "test_community.py": 2, "test_cli.py": 7, "test_webhook_crash.py": 6,
    "test_community.py::test_setup_community_turns_everything_on_once_and_run_refuses_until_then": 13,
    "test_wheel.py": 8.5, "test_max_tls.py": 6, "test_disk_full.py": 4, "test_forkserver.py": 2,
    "test_disk_full.py::test_sigterm_while_the_database_cannot_write_is_a_clean_exit": 8.5,
    "test_season.py::test_a_season_of_seed_000": 31, "test_region_season.py": 22,
    "test_bad_input.py::test_numbers_out_of_range_in_any_payload_never_reach_a_handler": 15,
    "test_outage.py::test_after_vk_hangs_rather_than_fails_the_first_replies_come_within_ten_seconds": 10.5,
    "test_outage.py::test_twenty_presses_during_eight_seconds_of_502s_are_all_answered_after_recovery": 10,
    "test_outage.py::test_the_bot_outlives_failures_to_get_a_long_poll_server": 4,
    "test_postgres.py::test_a_holder_gone_silent_stops_itself_and_a_standby_takes_over_within_seconds": 6,
    "test_max_keyboards.py::test_every_keyboard_on_max_is_whole_and_never_says_vk": 6,
    "test_v3_season.py": 12, "test_max_webhook.py::test_a_max_only_installation_served_by_webhook": 7,
    "test_summary_golden.py::test_every_view_judges_a_target_alike_across_the_season": 10,
    "test_polling.py::test_the_max_poller_keeps_to_two_polls_a_second_while_people_write": 4.2,
    "test_instances.py::test_two_instances_behind_the_webhook_share_the_updates": 4.9,
}


def seconds(item: pytest.Item) -> float:
    name = item.path.name
    return SECONDS.get(f"{name}::{item.originalname}", SECONDS.get(name, 0.3))  # type: ignore[attr-defined]


def shares(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """The items laid out as `workers` contiguous shares of the sizes worksteal deals (len // workers left),
    longest first into the share with the least so far, each share's longest at its head."""
    sizes, left = [], len(items)
    for i in range(workers):
        sizes.append(left // (workers - i))
        left -= sizes[-1]
    dealt: list[list[pytest.Item]] = [[] for _ in range(workers)]
    load = [0.0] * workers
    for item in sorted(items, key=seconds, reverse=True):  # stable: equal ones keep the files' order
        k = min((k for k in range(workers) if len(dealt[k]) < sizes[k]), key=lambda k: load[k])
        dealt[k].append(item)
        load[k] += seconds(item)
    return [item for share in dealt for item in share]


# Each test file is of one kind (markers registered in pyproject.toml); a file not named here is a journey.
KINDS = {
    "process": ("test_cli.py", "test_community.py", "test_second_sender.py", "test_crash.py", "test_crash_forms.py", "test_disk_full.py",
                "test_faults.py", "test_vkemu_process.py", "test_wheel.py", "test_max_tls.py",
                "test_webhook_crash.py", "test_failover.py", "test_forkserver.py"),
    "rulebook": ("test_vkemu.py", "test_maxemu.py", "test_maxemu_clients.py", "test_fidelity.py"),
    "unit": ("test_catalog.py", "test_layout.py", "test_periods.py", "test_schedule.py", "test_sender.py",
             "test_verdicts.py", "test_search.py", "test_hostile_files.py", "test_transactions.py"),
}
KIND_OF = {name: kind for kind, names in KINDS.items() for name in names}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test marked with its kind (`pytest -m "not process"`: everything but processes), before `-m` selects."""
    for item in items:
        if not any(item.get_closest_marker(kind) for kind in (*KINDS, "journey")):  # a test may say its own
            item.add_marker(KIND_OF.get(item.path.name, "journey"))


class _Shares:
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item], config: pytest.Config) -> None:
        """After `-m` has selected: the shares of the workers (`make test` runs five: most of a process test is
        waiting, so five keep two cores busy: four left a tenth of them idle), balanced by SECONDS."""
        workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
        if workers > 1:
            items[:] = shares(items, workers)


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.freeze()
    gc.enable()


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_Shares(), "sferum-shares")


@pytest.fixture(scope="session")
def schema() -> Schema:
    return Schema()


@pytest.fixture(autouse=True, scope="session")
def _quiet_logs():
    from loguru import logger

    logger.remove()
    logger.add(lambda m: None, level="WARNING")  # keep handlers exercised, output out of the way
    yield


def _shared_directory(config: pytest.Config) -> Path:
    """A directory every process of this run sees: the controller's base temporary directory (a worker's is inside
    it, pytest-xdist's `popen-gwN`)."""
    base = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    return (base.parent if hasattr(config, "workerinput") else base) / "postgres-of-the-run"


@pytest.fixture(scope="session")
def pg_server(request, tmp_path_factory):
    """PostgreSQL started by the tests themselves (testkit/postgres.py): one for the whole run, shared by the workers
    (each test makes a database of its own); stopped by the controller at the end of the run."""
    from testkit import postgres

    if hasattr(request.config, "workerinput"):
        yield postgres.shared(_shared_directory(request.config))
        return
    server = postgres.start(tmp_path_factory.mktemp("postgres"))
    yield server
    server.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller, after every worker has finished
        from testkit import postgres

        postgres.stop_shared(_shared_directory(session.config))


@pytest.fixture(scope="session")
def bot_processes():
    """`python -m bot …` for the process tests of what a command does, forked from a server that made the command's
    imports once (testkit/forkserver.py); one set of servers per test worker."""
    from testkit.forkserver import fork_server

    with fork_server() as server:
        yield server


_databases = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request) -> str | None:
    """Where the database lives: None, the SQLite file (the default), or a fresh PostgreSQL database's URL. A test
    asking for `engine` (or `harness_on`) runs on both."""
    if request.param == "sqlite":
        return None
    server = request.getfixturevalue("pg_server")
    return server.new_database(f"t{next(_databases)}", migrated=True)


async def _harness(tmp_path, schema, live: bool, db_url: str | None = None):
    from testkit.harness import start_harness, stop_harness

    h = await start_harness(tmp_path, schema, live=live, db_url=db_url)
    try:
        yield h
    finally:
        await stop_harness(h)
    # vkbottle swallows handler exceptions; ours are collected and fail the test here.
    assert h.app.handler_errors == [], h.app.handler_errors
    assert h.emu.response_problems == [], h.emu.response_problems


@pytest.fixture
async def harness(request, tmp_path, schema):
    """The bot with the emulator in-process: fast and deterministic. On SQLite; with TEST_ENGINE=postgres every test
    using it runs on PostgreSQL instead (the journeys and crash tests run on both in every run: `harness_on`)."""
    url = None
    if os.environ.get("TEST_ENGINE") == "postgres":
        url = request.getfixturevalue("pg_server").new_database(f"t{next(_databases)}", migrated=True)
    async for h in _harness(tmp_path, schema, live=False, db_url=url):
        yield h


@pytest.fixture
async def sqlite_harness(tmp_path, schema):
    """`harness` on SQLite whatever TEST_ENGINE says: for tests of the file itself (a copy, a backup, its bytes)."""
    async for h in _harness(tmp_path, schema, live=False):
        yield h


@pytest.fixture
async def harness_on(tmp_path, schema, engine):
    """`harness` on each engine: SQLite, then PostgreSQL."""
    async for h in _harness(tmp_path, schema, live=False, db_url=engine):
        yield h


@pytest.fixture
async def live_harness(tmp_path, schema):
    """The bot long-polling the emulator over HTTP, as in production."""
    async for h in _harness(tmp_path, schema, live=True):
        yield h
