"""The outbox: every outgoing message, its deterministic random_id, its delivery state."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from .db import Database, iso, utcnow

RANDOM_ID_SPACE = 2**31 - 1
UNREACHABLE_CODES = {7, 900, 901, 902}  # VK will not deliver to this person until they act


@dataclass(frozen=True)
class OutFile:
    kind: str  # "photo" or "document"
    name: str
    data: bytes


@dataclass(frozen=True)
class OutMessage:
    peer_id: int
    text: str
    keyboard: str | None = None
    attachment: str | None = None
    dedup_key: str | None = None
    files: tuple[OutFile, ...] = ()  # uploaded by the sender, then sent as the attachment
    secret: bool = False


@dataclass(frozen=True)
class Queued:
    id: int
    peer_id: int
    text: str
    keyboard: str | None
    attachment: str | None
    random_id: int
    attempts: int
    priority: int
    files: int = 0  # files still to upload


class OutboxRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, messages: list[OutMessage], priority: int) -> int:
        """Queue messages in one transaction; ones whose dedup_key exists are skipped. Returns how many.

        Each row gets its random_id here, once: every later attempt to send the row reuses it, so
        VK delivers a row at most once however often a crash makes us retry."""
        now = iso(utcnow())
        rows = [(m.peer_id, m.text, m.keyboard, m.attachment, priority, m.dedup_key,
                 secrets.randbelow(RANDOM_ID_SPACE) + 1, now, int(m.secret)) for m in messages]
        sql = ("INSERT OR IGNORE INTO outbox(peer_id, text, keyboard, attachment, priority, dedup_key, "
               "random_id, created_at, secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        if not any(m.files for m in messages):
            return await self.db.executemany(sql, rows)
        added = 0
        async with self.db.transaction():
            for m, row in zip(messages, rows, strict=True):
                inserted = await self.db.fetchone(sql + " RETURNING id", row)
                if inserted is None:
                    continue  # its key was queued before: its files were stored then
                added += 1
                await self.db.executemany(
                    "INSERT INTO outbox_files(outbox_id, seq, kind, name, data) VALUES (?, ?, ?, ?, ?)",
                    [(inserted[0], i, f.kind, f.name, f.data) for i, f in enumerate(m.files)])
        return added

    async def files(self, row_id: int) -> list[OutFile]:
        rows = await self.db.fetchall("SELECT kind, name, data FROM outbox_files WHERE outbox_id = ? ORDER BY seq",
                                      (row_id,))
        return [OutFile(r[0], r[1], bytes(r[2])) for r in rows]

    async def attach(self, row_id: int, attachment: str | None) -> None:
        """The row's files are uploaded (or given up on: None): the message goes with what VK holds."""
        async with self.db.transaction():
            await self.db.execute("UPDATE outbox SET attachment = ? WHERE id = ?", (attachment, row_id))
            await self.db.execute("DELETE FROM outbox_files WHERE outbox_id = ?", (row_id,))

    async def next_batch(self, limit: int = 25, max_priority: int = 1) -> list[Queued]:
        rows = await self.db.fetchall(
            "SELECT id, peer_id, text, keyboard, attachment, random_id, attempts, priority, "
            "(SELECT count(*) FROM outbox_files f WHERE f.outbox_id = outbox.id) FROM outbox "
            "WHERE status = 'pending' AND priority <= ? AND not_before <= ? ORDER BY priority, id LIMIT ?",
            (max_priority, time.time(), limit))
        return [Queued(*r) for r in rows]

    async def next_wakeup(self) -> float | None:
        """When the earliest backed-off row becomes ready (unix time), if any is waiting."""
        return await self.db.scalar("SELECT min(not_before) FROM outbox WHERE status = 'pending'")

    async def mark_sent(self, results: list[tuple[int, int]]) -> None:
        """(row id, message id) pairs."""
        now = iso(utcnow())
        # a code's text is needed no more once VK has it
        await self.db.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?, "
            "text = CASE WHEN secret THEN '' ELSE text END WHERE id = ?",
            [(now, mid, rid) for rid, mid in results])

    async def mark_failed(self, row_id: int, peer_id: int, code: int) -> None:
        async with self.db.transaction():
            await self.db.execute("UPDATE outbox SET status = 'failed', error_code = ?, "
                                  "text = CASE WHEN secret THEN '' ELSE text END WHERE id = ?", (code, row_id))
            await self.db.execute("DELETE FROM outbox_files WHERE outbox_id = ?", (row_id,))
            if peer_id < 2_000_000_000 and code in UNREACHABLE_CODES:
                await self.mark_unreachable(peer_id, code)

    async def mark_unreachable(self, vk_id: int, code: int) -> None:
        await self.db.execute(
            "INSERT INTO unreachable(vk_id, error_code, at) VALUES (?, ?, ?) "
            "ON CONFLICT(vk_id) DO UPDATE SET error_code = excluded.error_code, at = excluded.at",
            (vk_id, code, iso(utcnow())))

    async def retry_later(self, row_ids: list[int], delay_s: float) -> None:
        when = time.time() + delay_s
        await self.db.executemany("UPDATE outbox SET attempts = attempts + 1, not_before = ? WHERE id = ?",
                                  [(when, rid) for rid in row_ids])

    async def retry_now(self) -> int:
        """Rows waiting out a backoff are ready at once (VK has recovered)."""
        return await self.db.execute("UPDATE outbox SET not_before = 0 WHERE status = 'pending' AND not_before > ?",
                                     (time.time(),))

    async def reachable_again(self, vk_id: int) -> None:
        await self.db.execute("DELETE FROM unreachable WHERE vk_id = ?", (vk_id,))

    async def unreachable(self, vk_ids: list[int]) -> dict[int, int]:
        if not vk_ids:
            return {}
        marks = ",".join("?" * len(vk_ids))
        rows = await self.db.fetchall(f"SELECT vk_id, error_code FROM unreachable WHERE vk_id IN ({marks})", vk_ids)
        return {r[0]: r[1] for r in rows}

    async def has(self, dedup_key: str) -> bool:
        return await self.db.scalar("SELECT 1 FROM outbox WHERE dedup_key = ?", (dedup_key,)) is not None

    async def pending_count(self) -> int:
        return int(await self.db.scalar("SELECT count(*) FROM outbox WHERE status = 'pending'"))

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, count(*) FROM outbox GROUP BY status")
        return {r[0]: r[1] for r in rows}
