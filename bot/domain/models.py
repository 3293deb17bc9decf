"""Typed rows the repositories return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Region:
    id: int
    name: str


@dataclass(frozen=True)
class Municipality:
    id: int
    region_id: int
    name: str
    timezone: str


@dataclass(frozen=True)
class Organization:
    id: str
    municipality_id: int
    name: str
    type: str


@dataclass(frozen=True)
class Person:
    person_id: int
    first_name: str
    last_name: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class Role:
    person_id: int
    role: str  # 'region' | 'municipality' | 'organization'
    scope_id: str


@dataclass(frozen=True)
class Invite:
    code_hash: str
    role: str
    scope_id: str
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    used_by: int | None
    used_at: datetime | None


@dataclass(frozen=True)
class CoordinatorChat:
    peer_id: int
    role: str
    scope_id: str
    bound_by: int


@dataclass(frozen=True)
class Conversation:
    person_id: int
    state: str
    data: dict
