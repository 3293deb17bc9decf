from __future__ import annotations

import pytest

from vkemu import Schema


@pytest.fixture(scope="session")
def schema() -> Schema:
    return Schema()


@pytest.fixture(autouse=True, scope="session")
def _quiet_logs():
    from loguru import logger

    logger.remove()
    logger.add(lambda m: None, level="WARNING")  # keep handlers exercised, output out of the way
    yield


@pytest.fixture
async def harness(tmp_path, schema):
    from tests.harness import start_harness, stop_harness

    h = await start_harness(tmp_path, schema)
    try:
        yield h
    finally:
        await stop_harness(h)
    # vkbottle swallows handler exceptions; ours are collected and fail the test here.
    assert h.app.handler_errors == [], h.app.handler_errors
    assert h.emu.response_problems == [], h.emu.response_problems
