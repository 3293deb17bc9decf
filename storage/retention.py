"""What the bot keeps only for a while: sent messages, handled-event marks, abandoned dialogs (152-ФЗ)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .db import Database, iso


@dataclass(frozen=True)
class Pruned:
    messages: int
    events: int
    dialogs: int


# found by the index outbox_finished (migration 018), not by reading every message kept
OLD_MESSAGES = "DELETE FROM outbox WHERE status IN ('sent', 'failed') AND created_at < ?"


class RetentionRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def prune(self, before: datetime) -> Pruned:
        """Delete what was finished before `before`: delivered or refused messages (their files go with
        them), marks of handled events, dialogs nobody has touched since. Pending messages stay."""
        cutoff = iso(before)
        async with self.db.transaction():
            messages = await self.db.execute(OLD_MESSAGES, (cutoff,))
            events = await self.db.execute("DELETE FROM processed_events WHERE at < ?", (cutoff,))
            dialogs = await self.db.execute("DELETE FROM conversations WHERE updated_at < ?", (cutoff,))
        return Pruned(messages, events, dialogs)
