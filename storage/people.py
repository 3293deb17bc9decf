"""Persons, their roles, and invite codes (stored hashed)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.models import Invite, Person, Role

from .db import Database, iso, utcnow

CHUNK = 500  # ids in one IN (…): well under SQLite's limit of bound parameters


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class PeopleRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def person(self, person_id: int) -> Person | None:
        row = await self.db.fetchone("SELECT person_id, first_name, last_name FROM persons WHERE person_id = ?", (person_id,))
        return Person(*row) if row else None

    async def upsert_person(self, person_id: int, first_name: str, last_name: str) -> None:
        await self.db.execute(
            "INSERT INTO persons(person_id, first_name, last_name, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(person_id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name",
            (person_id, first_name, last_name, iso(utcnow())))

    async def roles(self, person_id: int) -> list[Role]:
        rows = await self.db.fetchall(
            "SELECT person_id, role, scope_id FROM roles WHERE person_id = ? ORDER BY granted_at, role", (person_id,))
        return [Role(*r) for r in rows]

    async def grant(self, person_id: int, role: str, scope_id: str) -> bool:
        return await self.db.execute(
            "INSERT OR IGNORE INTO roles(person_id, role, scope_id, granted_at) VALUES (?, ?, ?, ?)",
            (person_id, role, scope_id, iso(utcnow()))) > 0

    async def holders(self, role: str, scope_id: str) -> list[Person]:
        rows = await self.db.fetchall(
            "SELECT p.person_id, p.first_name, p.last_name FROM roles r JOIN persons p USING (person_id) "
            "WHERE r.role = ? AND r.scope_id = ? ORDER BY p.person_id", (role, scope_id))
        return [Person(*r) for r in rows]


    async def holders_of(self, role: str, scope_ids: list[str]) -> dict[str, list[Person]]:
        """`holders` for many scopes at once: a municipality's reminder asks once, not once per school (40,000
        schools had made 40,000 round trips and 8 s before the first reminder left)."""
        out: dict[str, list[Person]] = {}
        for start in range(0, len(scope_ids), CHUNK):
            part = scope_ids[start:start + CHUNK]
            rows = await self.db.fetchall(
                "SELECT r.scope_id, p.person_id, p.first_name, p.last_name FROM roles r JOIN persons p USING (person_id) "
                f"WHERE r.role = ? AND r.scope_id IN ({','.join('?' * len(part))}) ORDER BY p.person_id",
                (role, *part))
            for scope_id, *person in rows:
                out.setdefault(scope_id, []).append(Person(*person))
        return out

    async def unreachable_admins(self, municipality_id: int) -> list[tuple[str, str, int]]:
        """(person, organization, refusal code) for admins of the municipality their messenger does not deliver to."""
        rows = await self.db.fetchall(
            "SELECT trim(p.first_name || ' ' || p.last_name), o.name, u.error_code FROM unreachable u "
            "JOIN roles r ON r.person_id = u.person_id AND r.role = 'organization' "
            "JOIN organizations o ON o.id = r.scope_id AND o.removed_at IS NULL JOIN persons p ON p.person_id = u.person_id "
            "WHERE o.municipality_id = ? ORDER BY o.name", (municipality_id,))
        return [(r[0], r[1], r[2]) for r in rows]


class InviteRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, code_hash: str, role: str, scope_id: str, created_by: int | None,
                  expires_at: datetime) -> None:
        await self.db.execute(
            "INSERT INTO invites(code_hash, role, scope_id, created_by, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (code_hash, role, scope_id, created_by, iso(utcnow()), iso(expires_at)))

    async def get(self, code_hash: str) -> Invite | None:
        row = await self.db.fetchone(
            "SELECT code_hash, role, scope_id, created_by, created_at, expires_at, used_by, used_at "
            "FROM invites WHERE code_hash = ?", (code_hash,))
        if row is None:
            return None
        return Invite(row[0], row[1], row[2], row[3], _dt(row[4]), _dt(row[5]), row[6], _dt(row[7]))  # type: ignore[arg-type]

    async def mark_used(self, code_hash: str, person_id: int, at: datetime) -> bool:
        """Claim the code; False if someone used it first (single use even under races)."""
        return await self.db.execute(
            "UPDATE invites SET used_by = ?, used_at = ? WHERE code_hash = ? AND used_by IS NULL",
            (person_id, iso(at), code_hash)) == 1

    async def live(self, role: str, now: datetime) -> dict[str, datetime]:
        """scope id -> when its latest unused, unexpired code of `role` expires."""
        rows = await self.db.fetchall(
            "SELECT scope_id, max(expires_at) FROM invites WHERE role = ? AND used_by IS NULL AND expires_at > ? "
            "GROUP BY scope_id", (role, iso(now)))
        return {r[0]: datetime.fromisoformat(r[1]) for r in rows}

    async def record_failure(self, person_id: int, at: datetime) -> None:
        await self.db.execute("INSERT INTO invite_failures(person_id, at) VALUES (?, ?)", (person_id, iso(at)))

    async def failures_since(self, person_id: int, since: datetime) -> list[datetime]:
        rows = await self.db.fetchall(
            "SELECT at FROM invite_failures WHERE person_id = ? AND at >= ? ORDER BY at", (person_id, iso(since)))
        return [datetime.fromisoformat(r[0]) for r in rows]
