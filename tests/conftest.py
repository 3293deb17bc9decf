from __future__ import annotations

import pytest

from vkemu import Schema


@pytest.fixture(scope="session")
def schema() -> Schema:
    return Schema()
