"""The outbox: every outgoing message, its deterministic random_id, its delivery state."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from loguru import logger

from bot.views.message import File, split_text, typeset

from .db import IN_CHUNK, Database, iso, utcnow

# VK's random_id is a signed 32-bit number, unique per community; ours count up from 1 and never go back (a fault
# notice takes a negative one instead). The arithmetic: the largest install we plan for, a national one of 100,000
# organizations with a reminder, a reply or two and a summary each week, sends about 500,000 messages a week, 26
# million a year: 2^31 lasts it 80 years; a region of 3,000 organizations, over 2,000 years. Only a jump could spend
# it, so the start-up check moves the counter only past ids it sent itself (bot/vk/side.py).
RANDOM_ID_SPACE = 2**31 - 1
# Another sender's claim frees this long after it was made. A claim outlives its sender only when the sender died
# or lost the database (an instance whose lease went stops within a second, bot/cli.py `_hold_lease`); a request it
# had begun ends within its timeout (bot/ratelimit.py CALL_WITHIN_S, 10 s). Should one still land, the send rules
# keep it single: VK drops a repeated random_id, and a MAX row's attempt is written before its send, so the next
# sender looks in the chat first.
CLAIM_TTL_S = 15.0
# Each time this many rows have been queued, the database's planner is told how long the queue is now: PostgreSQL,
# not yet told (its autovacuum looks a minute or so later), took a 10,000-row broadcast for a dozen rows and read
# and sorted the whole queue at every claim of 25 — 24 ms of its CPU a claim, 0.15 ms once told (`claim`)
BULK_ROWS = 500
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
    attempt_at: float | None = None  # MAX: when a send started whose answer never came


class OutboxRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._queued_unseen = 0  # rows queued since the planner was last told (BULK_ROWS)
        self._ids_before_end: int | None = None

    async def add(self, messages: list[OutMessage], priority: int) -> int:
        """Queue messages in one transaction; ones whose dedup_key exists are skipped. Returns how many.

        Each row gets its random_id here, once, from the community's counter: every later attempt to send
        the row reuses it, so VK delivers a row at most once however often a crash makes us retry, and no
        two rows ever share one (VK would take the second for the first and deliver nothing)."""
        now = iso(utcnow())
        sql = ("INSERT OR IGNORE INTO outbox(peer_id, text, keyboard, attachment, priority, dedup_key, "
               "random_id, created_at, secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        async with self.db.transaction():
            if any(m.dedup_key for m in messages):  # ids are not spent on rows that would be skipped
                messages = await self._new_only(messages)
            if not messages:
                return 0
            ids = await self._next_random_ids(len(messages))
            rows = [(m.peer_id, m.text, m.keyboard, m.attachment, priority, m.dedup_key, rid, now, int(m.secret))
                    for m, rid in zip(messages, ids, strict=True)]
            if not any(m.files for m in messages):
                added = await self.db.executemany(sql, rows)
                await self._seen_by_planner(added)
                return added
            added = 0
            for m, row in zip(messages, rows, strict=True):
                inserted = await self.db.fetchone(sql + " RETURNING id", row)
                if inserted is None:
                    continue
                added += 1
                await self.db.executemany(
                    "INSERT INTO outbox_files(outbox_id, seq, kind, name, data) VALUES (?, ?, ?, ?, ?)",
                    [(inserted[0], i, f.kind, f.name, f.data) for i, f in enumerate(m.files)])
            await self._seen_by_planner(added)
            return added

    async def _seen_by_planner(self, added: int) -> None:
        self._queued_unseen += added
        if self._queued_unseen >= BULK_ROWS:
            self._queued_unseen = 0
            await self.db.refresh_statistics("outbox")

    async def _new_only(self, messages: list[OutMessage]) -> list[OutMessage]:
        keys = [m.dedup_key for m in messages if m.dedup_key]
        known: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            rows = await self.db.fetchall(
                f"SELECT dedup_key FROM outbox WHERE dedup_key IN ({','.join('?' * len(chunk))})", chunk)
            known |= {r[0] for r in rows}
        seen: set[str] = set()
        fresh = []
        for m in messages:
            if m.dedup_key and (m.dedup_key in known or m.dedup_key in seen):
                continue
            if m.dedup_key:
                seen.add(m.dedup_key)
            fresh.append(m)
        return fresh

    async def _next_random_ids(self, n: int) -> list[int]:
        """The next `n` ids of the counter, skipping ids earlier versions drew at random. Inside `add`'s transaction,
        one statement moves the counter and says where it stands: on PostgreSQL the UPDATE takes the counter's row, so
        an instance queuing at the same moment on another connection waits, then moves it on from there — never the
        same ids (on SQLite the transaction's write lock already did). A trip to the database is most of what queuing
        a reply costs: this had been four (lock, read, look for old ids, write); it is one once the counter is past
        the old ids."""
        ids: list[int] = []
        while len(ids) < n:
            want = n - len(ids)
            moved = await self.db.scalar(
                "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + ? AS TEXT) WHERE key = 'random_id_next' "
                "RETURNING CAST(value AS BIGINT)", (want,))
            if moved is None:  # no counter (migration 007 makes it; it had been read as 1 when missing): it starts at 1
                await self.set_random_floor(1)
                continue
            end = int(moved)
            current = end - want
            taken: set[int] = set()
            if current <= await self._last_id_before():
                taken = {r[0] for r in await self.db.fetchall(
                    "SELECT id FROM random_ids_before WHERE id >= ? AND id < ?", (current, end))}
            ids += [x for x in range(current, end) if x not in taken]
        if ids and ids[-1] >= RANDOM_ID_SPACE:
            raise RuntimeError("the community's random_id space is spent")  # 2 billion messages
        return ids

    async def _last_id_before(self) -> int:
        """The highest id earlier versions drew (0 if none): the table is filled once, by migration 007."""
        if self._ids_before_end is None:
            self._ids_before_end = int(await self.db.scalar("SELECT coalesce(max(id), 0) FROM random_ids_before"))
        return self._ids_before_end

    async def set_random_floor(self, next_id: int, force: bool = False) -> bool:
        """Make the counter give `next_id` or more from now on (after a backup was restored, VK has seen
        ids the database has forgotten). True if the counter moved."""
        return await self.db.execute(
            "INSERT INTO meta(key, value) VALUES ('random_id_next', ?) ON CONFLICT(key) DO UPDATE "
            "SET value = excluded.value WHERE ? = 1 OR CAST(meta.value AS INTEGER) < CAST(excluded.value AS INTEGER)",
            (str(next_id), int(force))) > 0

    async def files(self, row_id: int) -> list[OutFile]:
        rows = await self.db.fetchall("SELECT kind, name, data FROM outbox_files WHERE outbox_id = ? ORDER BY seq",
                                      (row_id,))
        return [OutFile(r[0], r[1], bytes(r[2])) for r in rows]

    async def attach(self, row_id: int, attachment: str | None) -> None:
        """The row's files are uploaded (or given up on: None): the message goes with what the messenger holds."""
        async with self.db.transaction():
            await self.db.execute("UPDATE outbox SET attachment = ? WHERE id = ?", (attachment, row_id))
            await self.db.execute("DELETE FROM outbox_files WHERE outbox_id = ?", (row_id,))

    async def claim(self, owner: str, limit: int, *, messenger: str = "vk", max_priority: int = 1,
                    choose: Callable[[list[Queued]], list[Queued]] | None = None,
                    now: float | None = None) -> list[Queued]:
        """Ready rows of one messenger (VK's peers are positive, MAX's negative: storage/accounts.py), taken for
        `owner` to send; `choose` picks among the candidates (all by default). One per recipient: their first pending
        row, by priority then arrival, and only when it is ready and nobody sends it — so a recipient's messages
        leave in order (a part waits for the part before it, also through a backoff and while another sender has
        it), and one person's thousand messages are one candidate beside everyone else's (a flood had delayed others'
        replies for minutes).

        The candidates are read and claimed in one transaction; on PostgreSQL they are locked `FOR UPDATE SKIP
        LOCKED`, so two senders on one database (instances overlapping at a takeover, a `run-job --send`) never take
        the same row and neither waits for the other. A sender's own claims last until it gives them back
        (`release`); another's free CLAIM_TTL_S after they were made — the sender died with them."""
        now = time.time() if now is None else now
        async with self.db.transaction():
            rows = await self.db.fetchall(self.claim_sql(messenger), (max_priority, now, owner, now - CLAIM_TTL_S, limit))
            candidates = [Queued(*r) for r in rows]
            chosen = choose(candidates) if choose is not None else candidates
            if chosen:
                await self.db.executemany("UPDATE outbox SET claimed_by = ?, claimed_at = ? WHERE id = ?",
                                          [(owner, now, r.id) for r in chosen])
        return chosen

    def claim_sql(self, messenger: str) -> str:
        """`claim`'s SELECT; its parameters: the highest priority, now, the owner, now - CLAIM_TTL_S, the limit."""
        side = "o.peer_id > 0" if messenger == "vk" else "o.peer_id < 0"
        return (
            "SELECT o.id, o.peer_id, o.text, o.keyboard, o.attachment, o.random_id, o.attempts, o.priority, "
            "(SELECT count(*) FROM outbox_files f WHERE f.outbox_id = o.id), o.attempt_at FROM outbox o "
            f"WHERE o.status = 'pending' AND {side} AND o.priority <= ? AND o.not_before <= ? "
            "AND (o.claimed_by IS NULL OR o.claimed_by <> ? AND o.claimed_at < ?) "
            "AND o.id = (SELECT h.id FROM outbox h WHERE h.peer_id = o.peer_id AND h.status = 'pending' "
            "ORDER BY h.priority, h.id LIMIT 1) ORDER BY o.priority, o.id LIMIT ?"
            + self.db.skip_locked("o"))

    async def release(self, owner: str, row_ids: list[int]) -> None:
        """`owner` is done with these rows (sent, failed or waiting again): another sender may take them."""
        for i in range(0, len(row_ids), IN_CHUNK):
            chunk = row_ids[i:i + IN_CHUNK]
            await self.db.execute(
                "UPDATE outbox SET claimed_by = NULL, claimed_at = NULL "
                f"WHERE claimed_by = ? AND id IN ({','.join('?' * len(chunk))})", (owner, *chunk))

    async def release_all(self) -> int:
        """Every claim given back: at the start of the only sender there can be (SQLite's file lock), whose
        predecessor died holding some."""
        return await self.db.execute(
            "UPDATE outbox SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by IS NOT NULL")

    async def mark_attempt(self, row_id: int, at: float | None) -> None:
        """A MAX send starts: if its answer is lost, the next attempt first looks for it in the chat."""
        await self.db.execute("UPDATE outbox SET attempt_at = ? WHERE id = ?", (at, row_id))

    async def mark_sent_max(self, row_id: int, mid: str) -> None:
        await self.db.execute("UPDATE outbox SET status = 'sent', sent_at = ?, mid = ?, claimed_by = NULL, "
                              "claimed_at = NULL, text = CASE WHEN secret = 1 THEN '' ELSE text END WHERE id = ?",
                              (iso(utcnow()), mid, row_id))

    async def next_wakeup(self) -> float | None:
        """When the earliest backed-off row becomes ready (unix time), if any is waiting."""
        return await self.db.scalar("SELECT min(not_before) FROM outbox WHERE status = 'pending'")

    async def mark_sent(self, results: list[tuple[int, int]]) -> None:
        """(row id, message id) pairs."""
        now = iso(utcnow())
        # a code's text is needed no more once the messenger has it
        await self.db.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?, claimed_by = NULL, claimed_at = NULL, "
            "text = CASE WHEN secret = 1 THEN '' ELSE text END WHERE id = ?",
            [(now, mid, rid) for rid, mid in results])

    async def mark_failed(self, row_id: int, peer_id: int, code: int) -> None:
        async with self.db.transaction():
            await self.db.execute("UPDATE outbox SET status = 'failed', error_code = ?, "
                                  "text = CASE WHEN secret = 1 THEN '' ELSE text END WHERE id = ?", (code, row_id))
            await self.db.execute("DELETE FROM outbox_files WHERE outbox_id = ?", (row_id,))
            if abs(peer_id) < 2_000_000_000 and code in UNREACHABLE_CODES:  # a person (VK's or MAX's), not a chat
                await self.mark_unreachable(peer_id, code)

    async def mark_unreachable(self, person_id: int, code: int) -> None:
        await self.db.execute(
            "INSERT INTO unreachable(person_id, error_code, at) VALUES (?, ?, ?) "
            "ON CONFLICT(person_id) DO UPDATE SET error_code = excluded.error_code, at = excluded.at",
            (person_id, code, iso(utcnow())))

    async def retry_later(self, row_ids: list[int], delay_s: float) -> None:
        when = time.time() + delay_s
        await self.db.executemany("UPDATE outbox SET attempts = attempts + 1, not_before = ? WHERE id = ?",
                                  [(when, rid) for rid in row_ids])

    async def reword(self, row_id: int, text: str) -> None:
        """The row goes again at once with this text (VK refused it as a repeat of the person's last message)."""
        await self.db.execute("UPDATE outbox SET text = ?, attempts = attempts + 1, not_before = 0 WHERE id = ?",
                              (text, row_id))

    async def retry_now(self) -> int:
        """Rows waiting out a backoff are ready at once (the messenger has recovered)."""
        return await self.db.execute("UPDATE outbox SET not_before = 0 WHERE status = 'pending' AND not_before > ?",
                                     (time.time(),))

    async def reachable_again(self, person_id: int) -> None:
        await self.db.execute("DELETE FROM unreachable WHERE person_id = ?", (person_id,))

    async def unreachable(self, person_ids: list[int]) -> dict[int, int]:
        if not person_ids:
            return {}
        marks = ",".join("?" * len(person_ids))
        rows = await self.db.fetchall(f"SELECT person_id, error_code FROM unreachable WHERE person_id IN ({marks})", person_ids)
        return {r[0]: r[1] for r in rows}

    async def pending_count_of(self, messenger: str) -> int:
        side = "peer_id > 0" if messenger == "vk" else "peer_id < 0"
        return int(await self.db.scalar(f"SELECT count(*) FROM outbox WHERE status = 'pending' AND {side}"))

    async def pending_count(self) -> int:
        return int(await self.db.scalar("SELECT count(*) FROM outbox WHERE status = 'pending'"))

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, count(*) FROM outbox GROUP BY status")
        return {r[0]: r[1] for r in rows}


class Claims:
    """One sender's hold on the rows it is sending: taken with `OutboxRepo.claim`, given back when done with. A
    give-back the database refused (a full disk) is owed and paid before the next take, so a live sender never keeps
    a row from itself."""

    def __init__(self, outbox: OutboxRepo, messenger: str) -> None:
        self.outbox = outbox
        self.messenger = messenger
        # unique per sender object: two apps in one process (tests) are two senders
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{messenger}:{secrets.token_hex(3)}"
        self._owed: list[int] = []
        self._given_back: set[int] = set()  # rows of the batch in hand marked sent (their claim cleared then)

    async def take(self, limit: int, choose: Callable[[list[Queued]], list[Queued]] | None = None) -> list[Queued]:
        if self._owed:
            owed, self._owed = self._owed, []
            try:
                await self.outbox.release(self.owner, owed)
            except Exception:
                self._owed += owed
                raise
        return await self.outbox.claim(self.owner, limit, messenger=self.messenger, choose=choose)

    async def pending(self) -> bool:
        """Whether any row of this messenger waits to be sent (a drain's question)."""
        return await self.outbox.pending_count_of(self.messenger) > 0

    async def mark_sent(self, results: list[tuple[int, int]]) -> None:
        """VK's (row id, message id) pairs: sent, and no longer held (in the same statement)."""
        await self.outbox.mark_sent(results)
        self._given_back.update(rid for rid, _ in results)

    async def mark_sent_max(self, row_id: int, mid: str) -> None:
        await self.outbox.mark_sent_max(row_id, mid)
        self._given_back.add(row_id)

    async def give_back(self, rows: list[Queued]) -> None:
        # a sent row was given back by the statement that marked it: one trip a batch fewer
        ids = [r.id for r in rows if r.id not in self._given_back]
        self._given_back.difference_update(r.id for r in rows)
        if not ids:
            return
        try:
            await self.outbox.release(self.owner, ids)
        except Exception as e:  # in a `finally`: the sender's own error, if any, is the one to raise
            logger.warning("outbox rows not given back ({}); tried again before the next batch", type(e).__name__)
            self._owed += ids


def compose_rows(peer_id: int, text: str, keyboard: str | None, files: tuple[File, ...], dedup_key: str | None,
                 secret: bool, limit: int, files_per_message: int | None = None) -> list[OutMessage]:
    """One message as outbox rows: nested quotes set right (typeset), split to the messenger's length between lines, keyboard and files on the
    last part; a job's key numbered per part, so a re-run adds none of them."""
    # a messenger that takes fewer files in one message (MAX: a file is a message's only attachment) gets the rest
    # as messages of their own after it
    extra = files[files_per_message:] if files_per_message is not None else ()
    files = files[:files_per_message] if files_per_message is not None else files
    parts = split_text(typeset(text), limit) if text else [""]
    attached = tuple(OutFile("photo" if f.kind == "photo" else "document", f.name, f.data) for f in files)
    out = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        key = None if dedup_key is None else (dedup_key if len(parts) == 1 else f"{dedup_key}#{i}")
        out.append(OutMessage(peer_id, part, keyboard if last else None, None, key,
                              attached if last else (), secret))
    for n, f in enumerate(extra, 1):
        # named by its file: a message of its own is told apart from the others when a resend looks first
        out.append(OutMessage(peer_id, f.name, None, None, None if dedup_key is None else f"{dedup_key}#file{n}",
                              (OutFile("photo" if f.kind == "photo" else "document", f.name, f.data),), secret))
    return out
