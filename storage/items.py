"""Confirmations of roadmap items by the units responsible for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .db import Database, iso


@dataclass(frozen=True)
class Confirmation:
    unit_role: str
    unit_scope: str
    confirmed_by: int
    confirmed_at: datetime
    evidence: str | None


class ItemRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def confirm(self, roadmap_id: str, item_id: str, occurrence: str, unit_role: str, unit_scope: str,
                      by: int, at: datetime, evidence: str | None) -> bool:
        """True if this confirmation is new (a second press changes nothing)."""
        return await self.db.execute(
            "INSERT OR IGNORE INTO item_confirmations(roadmap_id, item_id, occurrence, unit_role, unit_scope, "
            "confirmed_by, confirmed_at, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (roadmap_id, item_id, occurrence, unit_role, unit_scope, by, iso(at), evidence)) > 0

    async def unconfirm(self, roadmap_id: str, item_id: str, occurrence: str, unit_role: str, unit_scope: str) -> bool:
        """«Снять отметку»: the item is open again for that unit; True if there was a mark."""
        return await self.db.execute(
            "DELETE FROM item_confirmations WHERE roadmap_id = ? AND item_id = ? AND occurrence = ? AND unit_role = ? "
            "AND unit_scope = ?", (roadmap_id, item_id, occurrence, unit_role, unit_scope)) > 0

    async def confirmed_units(self, roadmap_id: str, item_id: str, occurrence: str) -> set[tuple[str, str]]:
        rows = await self.db.fetchall(
            "SELECT unit_role, unit_scope FROM item_confirmations WHERE roadmap_id = ? AND item_id = ? "
            "AND occurrence = ?", (roadmap_id, item_id, occurrence))
        return {(r[0], r[1]) for r in rows}

    async def confirmation(self, roadmap_id: str, item_id: str, occurrence: str, unit_role: str,
                           unit_scope: str) -> Confirmation | None:
        row = await self.db.fetchone(
            "SELECT unit_role, unit_scope, confirmed_by, confirmed_at, evidence FROM item_confirmations "
            "WHERE roadmap_id = ? AND item_id = ? AND occurrence = ? AND unit_role = ? AND unit_scope = ?",
            (roadmap_id, item_id, occurrence, unit_role, unit_scope))
        return Confirmation(row[0], row[1], row[2], datetime.fromisoformat(row[3]), row[4]) if row else None


class JobRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def last_tick(self) -> datetime | None:
        value = await self.db.scalar("SELECT value FROM meta WHERE key = 'last_tick'")
        return datetime.fromisoformat(value) if value else None

    async def set_last_tick(self, at: datetime) -> None:
        await self.db.execute("INSERT INTO meta(key, value) VALUES ('last_tick', ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (iso(at),))

    async def record(self, event_key: str, instant: datetime, outcome: str, at: datetime) -> None:
        await self.db.execute(
            "INSERT INTO job_runs(event_key, instant, outcome, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(event_key) DO UPDATE SET outcome = excluded.outcome, at = excluded.at",
            (event_key, iso(instant), outcome, iso(at)))

    async def outcome(self, event_key: str) -> str | None:
        return await self.db.scalar("SELECT outcome FROM job_runs WHERE event_key = ?", (event_key,))
