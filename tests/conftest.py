from __future__ import annotations

import os
import sys

# Bytecode on, whatever the environment says (these machines set PYTHONDONTWRITEBYTECODE): without it every test worker
# compiles our modules and pytest rewrites every test file's asserts again (~5 s a worker), and every bot the process
# tests start compiles the app again (~0.15 s a start, hundreds of starts). __pycache__ is in .gitignore.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

import pytest  # noqa: E402

from vkemu import Schema  # noqa: E402

LONG_FIRST, LONG_LAST = "test_faults.py", "test_crash.py"  # the soak and the kill -9 broadcast, 1-2 min each
LONG_TAIL = "test_crash_forms.py"  # taken from the end by whichever worker is free
# the longest in-process files (a season: 40 s, a regional half year, a million outbox rows, an outage) start early,
# so without the process tests the workers' shares end together rather than one waiting on a season
LONG_IN_PROCESS = ("test_season.py", "test_region_season.py", "test_sender.py", "test_outage.py")


# Each test file is of one kind (markers registered in pyproject.toml); a file not named here is a journey.
KINDS = {
    "process": ("test_cli.py", "test_community.py", "test_second_sender.py", "test_crash.py", "test_crash_forms.py", "test_disk_full.py",
                "test_faults.py", "test_vkemu_process.py", "test_wheel.py", "test_max_tls.py",
                "test_webhook_crash.py", "test_failover.py"),
    "rulebook": ("test_vkemu.py", "test_maxemu.py", "test_maxemu_clients.py", "test_fidelity.py"),
    "unit": ("test_catalog.py", "test_layout.py", "test_periods.py", "test_schedule.py", "test_sender.py",
             "test_verdicts.py", "test_search.py", "test_hostile_files.py"),
}
KIND_OF = {name: kind for kind, names in KINDS.items() for name in names}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test marked with its kind (`pytest -m "not process"`: everything but processes, under a minute).
    The long process tests go to the ends of the run: `make test` runs four workers (most of a process test is
    waiting, so four keep two cores busy), each given a quarter (pytest-xdist's worksteal), so the soak runs beside
    the kill -9 tests, and a worker done early takes the last tests of another's quarter."""
    for item in items:
        if not any(item.get_closest_marker(kind) for kind in (*KINDS, "journey")):  # a test may say its own
            item.add_marker(KIND_OF.get(item.path.name, "journey"))
    order = {LONG_FIRST: 0, **dict.fromkeys(LONG_IN_PROCESS, 1), LONG_LAST: 3, LONG_TAIL: 4}
    items.sort(key=lambda item: order.get(item.path.name, 2))


@pytest.fixture(scope="session")
def schema() -> Schema:
    return Schema()


@pytest.fixture(autouse=True, scope="session")
def _quiet_logs():
    from loguru import logger

    logger.remove()
    logger.add(lambda m: None, level="WARNING")  # keep handlers exercised, output out of the way
    yield


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """PostgreSQL started by the tests themselves (testkit/postgres.py), one per test worker."""
    from testkit import postgres

    server = postgres.start(tmp_path_factory.mktemp("postgres"))
    yield server
    server.stop()


_databases = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request) -> str | None:
    """Where the database lives: None, the SQLite file (the default), or a fresh PostgreSQL database's URL. A test
    asking for `engine` (or `harness_on`) runs on both."""
    if request.param == "sqlite":
        return None
    server = request.getfixturevalue("pg_server")
    return server.new_database(f"t{os.getpid()}_{next(_databases)}")


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
        url = request.getfixturevalue("pg_server").new_database(f"t{os.getpid()}_{next(_databases)}")
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
