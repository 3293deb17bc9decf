"""PostgreSQL beside the embedded SQLite (`[storage] url = "postgresql://…"`), through asyncpg.

asyncpg, not psycopg 3: it is asyncio-native (no thread, no sync layer underneath), speaks the binary protocol and
is the driver most asyncio services run PostgreSQL through; psycopg 3's async mode would have served as well, but
its strength — one API for sync and async code — is nothing this bot needs.

`PgDatabase` is `storage.db.Database`'s twin: the same methods with the same meaning, so the repositories run
unchanged. Their SQLite SQL is translated once per statement (storage/dialect.py). One connection under one
asyncio lock, a transaction holding it throughout, as the SQLite side does: one instance's writes are serialized
either way, and the handled-update claim, the outbox and the job marks keep their meaning. SQLite's lenient types
are kept at the edge: an argument is converted to the type PostgreSQL infers for its parameter (an int compared
with a TEXT column goes as text), and numeric results come back as int or float, never Decimal."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from loguru import logger

from .db import MIGRATIONS_DIR, StorageUnusable, Transactions, iso, pending_migrations, utcnow
from .dialect import PG_FUNCTIONS, migration_to_postgres, to_postgres

LEASE_KEY = 4242002  # the instance lease's advisory lock
LEASE_TTL_S = 10.0  # a lease not renewed this long is ended by a standby (its holder's machine or network is gone)
LEASE_RENEW_TIMEOUT_S = 3.0  # a holder whose renewal is not answered this fast stops: it may have lost the lease
# the pg_locks row of the lease's lock (a bigint key shows as classid 0 and objid, objsubid 1)
_LEASE_LOCK = f"locktype = 'advisory' AND classid = 0 AND objid = {LEASE_KEY} AND objsubid = 1 AND granted"
_TEXT = {"text", "varchar", "bpchar", "name"}
_INTS = {"int2", "int4", "int8"}
_FLOATS = {"float4", "float8", "numeric"}


def _argument(value: Any, pg_type: str) -> Any:
    """A value as the parameter's type wants it (SQLite took any; PostgreSQL's protocol does not)."""
    if value is None:
        return None
    if pg_type in _TEXT and not isinstance(value, str):
        return str(value)
    if pg_type in _INTS and not isinstance(value, int):
        return int(value)
    if pg_type in _INTS and isinstance(value, bool):
        return int(value)
    if pg_type in _FLOATS and not isinstance(value, float):
        return float(value) if pg_type != "numeric" else Decimal(str(value))
    return value


def _result(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _row(record: asyncpg.Record) -> tuple[Any, ...]:
    return tuple(_result(v) for v in record.values())


def safe_url(url: str) -> str:
    """The URL as it may be logged or shown: never the password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


async def _connect(url: str) -> asyncpg.Connection:
    """A session (the password from PGPASSWORD when the URL has none)."""
    return await asyncpg.connect(url, password=os.environ.get("PGPASSWORD") or None, timeout=10,
                                 statement_cache_size=0)


class PgDatabase(Transactions):
    engine = "postgres"

    def __init__(self, conn: asyncpg.Connection, url: str) -> None:
        super().__init__()
        self.conn = conn
        self.path = safe_url(url)  # what messages name (storage.db.Database.path is the file)
        self._statements: dict[str, asyncpg.prepared_stmt.PreparedStatement] = {}
        self._url = url
        self._lease_conn: asyncpg.Connection | None = None  # the lease's own session (`take_lease`)
        self._lease_lock = asyncio.Lock()

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> PgDatabase:
        """Connect (the password from PGPASSWORD when the URL has none) and migrate; StorageUnusable if it cannot."""
        try:
            conn = await _connect(url)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
            raise StorageUnusable(safe_url(url), f"PostgreSQL не отвечает: {type(e).__name__}: {e}") from e
        db = cls(conn, url)
        try:
            if migrate:
                await db.migrate()
                await db.execute("INSERT INTO meta(key, value) VALUES ('opened_at', ?) "
                                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (iso(utcnow()),))
                await db.execute("INSERT INTO meta(key, value) VALUES ('installation', ?) ON CONFLICT(key) DO NOTHING",
                                 (secrets.token_hex(16),))
        except BaseException:
            await conn.close()
            raise
        return db

    def skip_locked(self, alias: str) -> str:
        return f" FOR UPDATE OF {alias} SKIP LOCKED"

    async def refresh_statistics(self, table: str) -> None:
        # SKIP_LOCKED: when another instance (or autovacuum) is at it, theirs will do; a table name of ours, no user's
        await self.conn.execute(f"ANALYZE (SKIP_LOCKED) {table}")

    async def serialize(self, key: str) -> None:
        assert self._in_tx.get(), "serialize holds its lock to the end of a transaction"
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", key)

    async def take_lease(self, holder: str) -> bool:
        """The instance lease: a session advisory lock on a connection of its own, renewed by its holder every
        second (`renew_lease`). When the holder's process dies, PostgreSQL drops its connection and the lock with it,
        and a waiting instance takes it at its next try. When the holder's machine dies or the network to it goes
        silent, PostgreSQL may keep its session for hours (TCP keepalive): a lease not renewed for LEASE_TTL_S is
        ended here by ending that session (`pg_terminate_backend`), and taken at the next try. The holder itself
        stops long before (its renewal times out after LEASE_RENEW_TIMEOUT_S), so two never serve at once."""
        conn = await self._lease_connection()
        async with self._lease_lock:
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEASE_KEY):
                await conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('lease_holder', $1), ('lease_pid', pg_backend_pid()::text), "
                    "('lease_until', (extract(epoch FROM clock_timestamp())::float8 + $2::float8)::text) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value", holder, LEASE_TTL_S)
                return True
            # the clock is the server's: no instance's own clock takes part; and only the session that holds the
            # lock is ended (a pid written by a holder long gone may be another session's by now)
            stale = await conn.fetchval(
                f"SELECT l.pid FROM pg_locks l, meta p, meta u WHERE {_LEASE_LOCK} AND p.key = 'lease_pid' "
                "AND l.pid = p.value::int AND u.key = 'lease_until' "
                "AND u.value::float8 < extract(epoch FROM clock_timestamp())::float8")
            if stale is not None:
                ended = await conn.fetchval("SELECT pg_terminate_backend($1)", stale)
                logger.warning("the lease was not renewed for {} s: its holder's session ended ({})", LEASE_TTL_S,
                               ended)
            return False

    async def renew_lease(self) -> bool:
        """The holder, every second: the lease is still this connection's and lasts LEASE_TTL_S more. False when it
        is not, or the server did not answer within LEASE_RENEW_TIMEOUT_S (a dead network looks like that)."""
        conn = self._lease_conn
        if conn is None or conn.is_closed():
            return False
        try:
            async with self._lease_lock:
                renewed = await conn.fetchval(
                    "UPDATE meta SET value = (extract(epoch FROM clock_timestamp())::float8 + $1::float8)::text "
                    f"WHERE key = 'lease_until' AND EXISTS (SELECT 1 FROM pg_locks WHERE {_LEASE_LOCK} "
                    "AND pid = pg_backend_pid()) RETURNING 1", LEASE_TTL_S, timeout=LEASE_RENEW_TIMEOUT_S)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
        return renewed == 1

    async def _lease_connection(self) -> asyncpg.Connection:
        if self._lease_conn is None or self._lease_conn.is_closed():
            self._lease_conn = await _connect(self._url)
        return self._lease_conn

    async def close(self) -> None:
        if self._lease_conn is not None and not self._lease_conn.is_closed():
            self._lease_conn.terminate()  # at once: a holder that closes gives the lease back now
        await self.conn.close()

    async def lease_holder(self) -> str:
        return str(await self.scalar("SELECT value FROM meta WHERE key = 'lease_holder'") or "")

    # -- migrations ---------------------------------------------------------------------------

    async def migrate(self, directory: Path = MIGRATIONS_DIR) -> list[int]:
        """The same numbered files as SQLite's, translated; each in its own transaction. Another instance
        migrating at the same moment waits on the advisory lock rather than applying a file twice."""
        applied: list[int] = []
        async with self._lock:
            await self.conn.execute("SELECT pg_advisory_lock(4242001)")
            try:
                await self.conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                        " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
                for statement in PG_FUNCTIONS:
                    await self.conn.execute(statement)
                done = {r[0] for r in await self.conn.fetch("SELECT version FROM schema_migrations")}
                for version, path in pending_migrations(directory, done):
                    async with self.conn.transaction():
                        for statement in migration_to_postgres(path.read_text(encoding="utf-8")):
                            await self.conn.execute(statement)
                        await self._advance_identities()
                        await self.conn.execute("INSERT INTO schema_migrations VALUES ($1, $2, $3)",
                                                version, path.name, iso(utcnow()))
                    applied.append(version)
                    logger.info("applied migration {} (PostgreSQL)", path.name)
            finally:
                await self.conn.execute("SELECT pg_advisory_unlock(4242001)")
        return applied

    async def _advance_identities(self) -> None:
        """A table rebuilt by a migration keeps its ids: its identity goes on after the largest (SQLite's rowid
        does so by itself)."""
        for table, column in await self.conn.fetch(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND is_identity = 'YES'"):
            await self.conn.execute(
                f'SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max("{column}"), 0) + 1, false) '
                f'FROM "{table}"', table, column)

    # -- statements ---------------------------------------------------------------------------

    async def _raw(self, sql: str) -> None:
        await self.conn.execute(sql)

    def _in_transaction(self) -> bool:
        return self.conn.is_in_transaction()

    async def _rollback(self) -> None:
        if self.conn.is_in_transaction():
            try:
                await self.conn.execute("ROLLBACK")
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                logger.warning("rollback failed; the connection is dropped")

    async def _prepared(self, sql: str) -> asyncpg.prepared_stmt.PreparedStatement:
        stmt = self._statements.get(sql)
        if stmt is None:
            stmt = await self.conn.prepare(to_postgres(sql))
            if len(self._statements) > 1000:
                self._statements.clear()
            self._statements[sql] = stmt
        return stmt

    async def _run(self, sql: str, params: Sequence[Any], fetch: bool) -> Any:
        stmt = await self._prepared(sql)
        args = [_argument(v, t.name) for v, t in zip(params, stmt.get_parameters(), strict=True)]
        if fetch:
            return [_row(r) for r in await stmt.fetch(*args)]
        await stmt.fetch(*args)
        status = stmt.get_statusmsg() or ""
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def _locked(self, sql: str, params: Sequence[Any], fetch: bool) -> Any:
        if self._in_tx.get():
            return await self._run(sql, params, fetch)
        async with self._lock:
            return await self._run(sql, params, fetch)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One write (its own transaction outside one); the number of rows it changed."""
        return await self._locked(sql, params, fetch=False)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        rows = [tuple(r) for r in rows]
        if not rows:
            return 0
        async with self.transaction():
            return sum([await self._run(sql, row, fetch=False) for row in rows])

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return await self._locked(sql, params, fetch=True)
