"""Invite codes: issued for a role and scope, single-use, expiring, stored hashed, brute-force limited."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from bot.domain.invite_codes import hash_code, legacy_hash, new_code, normalize_code
from storage.people import InviteRepo, PeopleRepo


class Outcome(Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    LOCKED = "locked"
    ALREADY = "already"


@dataclass(frozen=True)
class Redemption:
    outcome: Outcome
    role: str | None = None
    scope_id: str | None = None
    wait_minutes: int = 0


class InviteService:
    def __init__(self, invite_repo: InviteRepo, people_repo: PeopleRepo, key: bytes, ttl_days: int = 14,
                 max_failures_per_hour: int = 5) -> None:
        self.key = key  # storage/secret.py: never in the database
        self.invite_repo = invite_repo
        self.people_repo = people_repo
        self.ttl = timedelta(days=ttl_days)
        self.max_failures = max_failures_per_hour

    async def create(self, role: str, scope_id: str, created_by: int | None, now: datetime) -> tuple[str, datetime]:
        """A new code (shown once, stored only as a hash) and when it expires."""
        code = new_code()
        expires = now + self.ttl
        await self.invite_repo.add(hash_code(normalize_code(code) or "", self.key), role, scope_id, created_by, expires)
        return code, expires

    async def waiting(self, role: str, now: datetime) -> dict[str, datetime]:
        """scope id -> expiry of a code of `role` issued and not yet used."""
        return await self.invite_repo.live(role, now)

    async def redeem(self, person_id: int, text: str, now: datetime) -> Redemption:
        recent = await self.invite_repo.failures_since(person_id, now - timedelta(hours=1))
        if len(recent) >= self.max_failures:
            unlock = recent[-self.max_failures] + timedelta(hours=1)
            return Redemption(Outcome.LOCKED, wait_minutes=max(1, math.ceil((unlock - now).total_seconds() / 60)))
        canonical = normalize_code(text)
        invite = (await self.invite_repo.get(hash_code(canonical, self.key))
                  or await self.invite_repo.get(legacy_hash(canonical))) if canonical else None
        outcome = Outcome.OK
        if invite is None:
            outcome = Outcome.WRONG
        elif invite.used_by is not None:
            outcome = Outcome.USED
        elif invite.expires_at <= now:
            outcome = Outcome.EXPIRED
        if outcome is not Outcome.OK or invite is None:
            await self.invite_repo.record_failure(person_id, now)
            return Redemption(outcome)
        if any(r.role == invite.role and r.scope_id == invite.scope_id for r in await self.people_repo.roles(person_id)):
            # consumed all the same: a code once shown is spent, whoever typed it (else a stranger could use it)
            await self.invite_repo.mark_used(invite.code_hash, person_id, now)
            return Redemption(Outcome.ALREADY, invite.role, invite.scope_id)
        async with self.invite_repo.db.transaction():
            if not await self.invite_repo.mark_used(invite.code_hash, person_id, now):
                return Redemption(Outcome.USED)
            if await self.people_repo.person(person_id) is None:
                await self.people_repo.upsert_person(person_id, "", "")
            await self.people_repo.grant(person_id, invite.role, invite.scope_id)
        return Redemption(Outcome.OK, invite.role, invite.scope_id)
