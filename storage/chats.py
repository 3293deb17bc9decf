"""Coordinators' group chats, conversation state and handled long-poll events."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.models import Conversation, CoordinatorChat

from .db import Database, iso, utcnow


class ChatRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def bind(self, peer_id: int, role: str, scope_id: str, bound_by: int) -> None:
        await self.db.execute(
            "INSERT INTO coordinator_chats(peer_id, role, scope_id, bound_by, bound_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(peer_id) DO UPDATE SET role = excluded.role, scope_id = excluded.scope_id, "
            "bound_by = excluded.bound_by, bound_at = excluded.bound_at",
            (peer_id, role, scope_id, bound_by, iso(utcnow())))

    async def get(self, peer_id: int) -> CoordinatorChat | None:
        row = await self.db.fetchone(
            "SELECT peer_id, role, scope_id, bound_by FROM coordinator_chats WHERE peer_id = ?", (peer_id,))
        return CoordinatorChat(*row) if row else None

    async def for_scope(self, role: str, scope_id: str) -> list[CoordinatorChat]:
        rows = await self.db.fetchall(
            "SELECT peer_id, role, scope_id, bound_by FROM coordinator_chats WHERE role = ? AND scope_id = ?",
            (role, scope_id))
        return [CoordinatorChat(*r) for r in rows]


class ConversationRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, person_id: int) -> Conversation | None:
        row = await self.db.fetchone("SELECT person_id, state, data FROM conversations WHERE person_id = ?", (person_id,))
        return Conversation(row[0], row[1], json.loads(row[2])) if row else None

    async def set(self, person_id: int, state: str, data: dict[str, Any] | None = None) -> None:
        await self.db.execute(
            "INSERT INTO conversations(person_id, state, data, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(person_id) DO UPDATE SET state = excluded.state, data = excluded.data, "
            "updated_at = excluded.updated_at",
            (person_id, state, json.dumps(data or {}, ensure_ascii=False), iso(utcnow())))

    async def clear(self, person_id: int) -> bool:
        return await self.db.execute("DELETE FROM conversations WHERE person_id = ?", (person_id,)) > 0


class EventRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, event_id: str) -> bool:
        """Mark the event handled; False if it already was. Called in the transaction that holds the
        handler's effects, so "handled" commits together with them or not at all: a messenger may deliver an event
        twice, and after a crash the long poll is read again from the last ts whose events were all done.
        (Rows with done = 0 were left by versions that claimed and finished in two steps.)"""
        return await self.db.execute(
            "INSERT INTO processed_events(event_id, at, done) VALUES (?, ?, 1) "
            "ON CONFLICT(event_id) DO UPDATE SET at = excluded.at, done = 1 WHERE processed_events.done = 0",
            (event_id, iso(utcnow()))) > 0

    async def saved_ts(self) -> str | None:
        """The long-poll ts from which no event is left unhandled."""
        return await self.db.scalar("SELECT value FROM meta WHERE key = 'longpoll_ts'")

    async def save_ts(self, ts: str) -> None:
        await self.db.execute("INSERT INTO meta(key, value) VALUES ('longpoll_ts', ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (ts,))
