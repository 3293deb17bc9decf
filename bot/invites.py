"""Invite codes: issued for a role and scope, single-use, expiring, stored hashed, brute-force limited."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from storage.people import InviteRepo, PeopleRepo

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I/O/0/1: they are misread on paper and phones
CODE_LENGTH = 10
# Cyrillic letters that look like Latin ones: people type codes on Russian keyboards.
_LOOKALIKES = str.maketrans("АВЕКМНОРСТХУЗ", "ABEKMHOPCTXY3")


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_code(text: str) -> str | None:
    """The canonical code in `text`, or None when the text does not look like a code at all."""
    s = text.strip().upper().translate(_LOOKALIKES)
    s = "".join(ch for ch in s if ch not in " -_.\t")
    if len(s) == CODE_LENGTH and all(ch in ALPHABET for ch in s):
        return s
    return None


def hash_code(canonical: str) -> str:
    return hashlib.sha256(f"sferum-invite:{canonical}".encode()).hexdigest()


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
    def __init__(self, invites: InviteRepo, people: PeopleRepo, ttl_days: int = 14,
                 max_failures_per_hour: int = 5) -> None:
        self.invites = invites
        self.people = people
        self.ttl = timedelta(days=ttl_days)
        self.max_failures = max_failures_per_hour

    async def create(self, role: str, scope_id: str, created_by: int | None, now: datetime) -> tuple[str, datetime]:
        """A new code (shown once, stored only as a hash) and when it expires."""
        code = new_code()
        expires = now + self.ttl
        await self.invites.add(hash_code(normalize_code(code) or ""), role, scope_id, created_by, expires)
        return code, expires

    async def redeem(self, vk_id: int, text: str, now: datetime) -> Redemption:
        recent = await self.invites.failures_since(vk_id, now - timedelta(hours=1))
        if len(recent) >= self.max_failures:
            unlock = recent[-self.max_failures] + timedelta(hours=1)
            return Redemption(Outcome.LOCKED, wait_minutes=max(1, math.ceil((unlock - now).total_seconds() / 60)))
        canonical = normalize_code(text)
        invite = await self.invites.get(hash_code(canonical)) if canonical else None
        outcome = Outcome.OK
        if invite is None:
            outcome = Outcome.WRONG
        elif invite.used_by is not None:
            outcome = Outcome.USED
        elif invite.expires_at <= now:
            outcome = Outcome.EXPIRED
        if outcome is not Outcome.OK or invite is None:
            await self.invites.record_failure(vk_id, now)
            return Redemption(outcome)
        if any(r.role == invite.role and r.scope_id == invite.scope_id for r in await self.people.roles(vk_id)):
            return Redemption(Outcome.ALREADY, invite.role, invite.scope_id)
        async with self.invites.db.transaction():
            if not await self.invites.mark_used(invite.code_hash, vk_id, now):
                return Redemption(Outcome.USED)
            if await self.people.person(vk_id) is None:
                await self.people.upsert_person(vk_id, "", "")
            await self.people.grant(vk_id, invite.role, invite.scope_id)
        return Redemption(Outcome.OK, invite.role, invite.scope_id)
