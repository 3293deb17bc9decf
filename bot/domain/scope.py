"""What a role, an invite, a bound chat or an item's confirmation refers to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["region", "municipality", "organization"]
COORDINATOR_LEVELS = ("region", "municipality")


@dataclass(frozen=True)
class Scope:
    """A region, a municipality (ids are numbers, kept as text) or an organization (its directory id)."""

    level: str
    id: str
    name: str
