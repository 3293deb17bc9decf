"""One SQLite database: connection settings, numbered migrations, and write transactions."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
from loguru import logger

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


class StorageUnusable(Exception):
    """The database cannot be opened or written at start-up; `reason` says why in Russian."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def describe(error: BaseException) -> str:
    """What went wrong with a database file, in a few Russian words for the operator."""
    code = getattr(error, "sqlite_errorcode", None)
    code = code & 0xFF if isinstance(code, int) else None
    errno_ = getattr(error, "errno", None)
    if code == 8 or errno_ == 30:
        return "файловая система или файл только для чтения"
    if code == 13 or errno_ == 28:
        return "нет места на диске"
    if code in (11, 26):
        return "файл повреждён или это не база SQLite"
    if errno_ in (13, 1):
        return "нет прав на запись в папку или файл"
    if errno_ in (17, 20, 21):
        return "путь указывает не туда: вместо папки файл или вместо файла папка"
    if code == 14:
        return "файл не открывается (нет папки, нет прав, или это папка)"
    if code in (5, 6):
        return "база занята другим процессом"
    return f"{type(error).__name__}: {error}"


def peek_installation(path: str | Path) -> str:
    """The database's identity read before anything is opened for writing (a second bot on a hard link must be
    refused before it writes through its own -wal file): the main file only, no locks taken; "" if none yet."""
    try:
        uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'installation'").fetchone()
    except (sqlite3.Error, OSError, ValueError):
        return ""
    return str(row[0]) if row else ""


class Transactions:
    """What both engines share (SQLite here, PostgreSQL in storage/pg.py): transactions and savepoints over one
    connection under one asyncio lock, and the statements made of `execute` and `fetchall`. A subclass gives those
    two, `_raw` (one statement as is), `_in_transaction` and `_rollback`.

    A transaction holds the lock from BEGIN to COMMIT, so a reader never sees another task's half-done one; inside
    another transaction (a repository called by a handler, whose whole update is one transaction) it is a savepoint:
    what the inner block wrote is undone if it raises."""

    BEGIN = "BEGIN"

    conn: Any

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._savepoints = 0
        self._in_tx: contextvars.ContextVar[bool] = contextvars.ContextVar(f"in_tx_{id(self)}", default=False)

    async def _raw(self, sql: str) -> None:
        raise NotImplementedError

    def _in_transaction(self) -> bool:
        raise NotImplementedError

    async def _rollback(self) -> None:
        raise NotImplementedError

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        raise NotImplementedError

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def skip_locked(self, alias: str) -> str:
        """The clause that ends a SELECT taking rows for this transaction, skipping rows another transaction has
        taken: PostgreSQL's `FOR UPDATE … SKIP LOCKED`. SQLite has one writer, whose transaction is the lock."""
        return ""

    async def refresh_statistics(self, table: str) -> None:
        """After a bulk change to `table`: the planner's figures for it brought up to date. PostgreSQL plans by
        figures its autovacuum gathers within a minute or so; SQLite keeps none here (it plans by its indexes)."""

    async def serialize(self, key: str) -> None:
        """Inside a transaction: another instance's transaction with the same key waits for this one to end (one
        person's updates, taken by two instances behind the webhooks, one after the other). One SQLite instance has
        the dispatcher's own per-person lock, and nothing to do here."""

    async def probe_write(self) -> None:
        """A write that changes nothing: raises when the database cannot be written now (GET /healthz)."""
        await self.execute("UPDATE meta SET value = value WHERE key = 'installation'")

    async def installation(self) -> str:
        """The random id this database got when it was first opened: the same in a copy of it."""
        return str(await self.scalar("SELECT value FROM meta WHERE key = 'installation'") or "")

    async def close(self) -> None:
        await self.conn.close()

    async def fetchall_in(self, sql: str, params: Sequence[Any], values: Sequence[Any]) -> list[Any]:
        """`sql` with `{in}` where `IN (?, …)` goes, run over `values` 500 at a time (SQLite caps the number of
        parameters); `params` come before the values."""
        rows: list[Any] = []
        for i in range(0, len(values), IN_CHUNK):
            chunk = list(values[i:i + IN_CHUNK])
            rows += await self.fetchall(sql.format(**{"in": f"IN ({','.join('?' * len(chunk))})"}),
                                        (*params, *chunk))
        return rows

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return row[0] if row is not None else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if self._in_tx.get():
            async with self.savepoint():
                yield
            return
        async with self._lock:
            token = self._in_tx.set(True)
            try:
                try:
                    # BEGIN inside: a task cancelled while awaiting it (a stopped sender, a handler's time limit)
                    # has still begun the transaction, and it must be rolled back like any other
                    await self._raw(self.BEGIN)
                    yield
                    await self._raw("COMMIT")
                except BaseException:
                    # also when COMMIT itself failed (a full disk): SQLite keeps the transaction open then
                    await self._rollback()
                    raise
            finally:
                self._in_tx.reset(token)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """Inside a transaction: what the block writes is undone if it raises; the transaction goes on."""
        assert self._in_tx.get(), "a savepoint lives inside a transaction"
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        await self._raw(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            await self._rollback_to(name)
            raise
        await self._raw(f"RELEASE SAVEPOINT {name}")

    async def _rollback_to(self, name: str) -> None:
        """What the savepoint's block wrote undone, and the savepoint gone."""
        if self._in_transaction():
            await self._raw(f"ROLLBACK TO SAVEPOINT {name}")
            await self._raw(f"RELEASE SAVEPOINT {name}")


class Database(Transactions):
    """A single aiosqlite connection shared by the app (transactions: `Transactions`, with BEGIN IMMEDIATE)."""

    engine = "sqlite"

    BEGIN = "BEGIN IMMEDIATE"

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        super().__init__()
        self.conn = conn
        self.path = path
        self._deferred: list[str] = []  # see `_raw`
        self._unbegun: sqlite3.Error | None = None  # see `_trip`

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> Database:
        """Open (and migrate) the database; StorageUnusable, with the connection closed, if it cannot
        be used: a half-opened connection's thread would keep the process from exiting."""
        path = str(path)
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise StorageUnusable(path, describe(e)) from e
        try:
            conn.row_factory = aiosqlite.Row
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=5000"):
                await conn.execute(f"PRAGMA {pragma}")
            db = cls(conn, path)
            if migrate:
                await db.migrate()
                # a file that cannot be written is found now, not at the first message
                await db.execute("INSERT INTO meta(key, value) VALUES ('opened_at', ?) "
                                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (iso(utcnow()),))
                # the database's own identity, which a copy or a hard link carries along (storage/lock.py)
                await db.execute("INSERT INTO meta(key, value) VALUES ('installation', lower(hex(randomblob(16)))) "
                                 "ON CONFLICT(key) DO NOTHING")
                # into the main file at once: a copy made with cp (without the -wal file) still carries it
                await db.conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")  # read whole: no statement left open
        except (OSError, sqlite3.Error) as e:
            await conn.close()
            raise StorageUnusable(path, describe(e)) from e
        except BaseException:
            await conn.close()
            raise
        return db

    # -- migrations ---------------------------------------------------------------------------

    async def migrate(self, directory: Path = MIGRATIONS_DIR) -> list[int]:
        """Apply the numbered .sql files not yet recorded, each in its own transaction."""
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in await self.conn.execute_fetchall("SELECT version FROM schema_migrations")}
        applied: list[int] = []
        for version, path in pending_migrations(directory, done):
            sql = path.read_text(encoding="utf-8")
            try:
                await self.conn.executescript(
                    "BEGIN IMMEDIATE;\n" + sql + "\n;INSERT INTO schema_migrations VALUES "
                    f"({version}, '{path.name}', '{iso(utcnow())}');\nCOMMIT;"
                )
            except Exception:
                if self.conn.in_transaction:
                    await self.conn.execute("ROLLBACK")
                raise
            applied.append(version)
            logger.info("applied migration {}", path.name)
        return applied

    # -- statements ---------------------------------------------------------------------------

    # A trip to the database thread is most of what a statement costs here (a thread woken, a wake-up back: ~80 µs
    # of CPU against a few µs of SQLite), so BEGIN, SAVEPOINT and RELEASE do not travel alone: they wait in
    # `_deferred` and go with the transaction's next statement, in order, in one trip. A transaction that ran no
    # statement sends nothing at all; a savepoint rolled back before anything ran in it is simply forgotten.
    # COMMIT and ROLLBACK go at once: their outcome is what the caller waits for.

    async def _raw(self, sql: str) -> None:
        if sql == "COMMIT":
            if self._deferred[:1] == [self.BEGIN]:
                self._deferred = []
                return  # nothing ran: nothing was begun, nothing to commit
            await self._trip(None)
            return
        if sql == self.BEGIN:
            self._unbegun = None
        if sql.startswith("RELEASE SAVEPOINT ") and self._deferred \
                and self._deferred[-1] == "SAVEPOINT " + sql.removeprefix("RELEASE SAVEPOINT "):
            self._deferred.pop()  # nothing ran inside it
            return
        assert sql.startswith(("BEGIN", "SAVEPOINT ", "RELEASE SAVEPOINT ")), sql
        self._deferred.append(sql)

    def _in_transaction(self) -> bool:
        return bool(self.conn.in_transaction)

    async def _rollback_to(self, name: str) -> None:
        opened = f"SAVEPOINT {name}"
        if opened in self._deferred:  # nothing ran since it was opened: nothing to undo
            del self._deferred[self._deferred.index(opened):]
            return
        # what waits was opened and closed inside this savepoint, after its last statement: undone with it
        self._deferred = []
        await self.conn._execute(_roll_back_to, self.conn._conn, name)

    async def _rollback(self) -> None:
        self._deferred, self._unbegun = [], None
        # asked in the database thread, after whatever is queued there: a statement whose awaiting task was
        # cancelled still runs (aiosqlite cannot take it back), so a BEGIN may be yet to come when we get here —
        # looked at from this thread, the connection would seem clean and then be left inside a transaction,
        # refusing every later one («cannot start a transaction within a transaction»)
        await self.conn._execute(_rollback_quietly, self.conn._conn)

    async def _trip(self, step: Any, *args: Any) -> Any:
        """One statement of a transaction (None: its COMMIT) with what waits in `_deferred`, in one trip. A BEGIN that
        failed (another process holds the lock past busy_timeout, a full disk) fails every later statement of the
        transaction too, though the caller caught the first failure: outside a transaction they would each have
        been committed on their own."""
        deferred, self._deferred = self._deferred, []
        if self._unbegun is not None:
            raise self._unbegun
        try:
            return await self.conn._execute(_run_in_transaction, self.conn._conn, deferred, step, *args)
        except sqlite3.Error as e:
            if getattr(e, "in_deferred", False) and deferred and deferred[0] == self.BEGIN:
                self._unbegun = e
            raise

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write; returns the number of rows it changed.

        Outside a transaction the whole BEGIN IMMEDIATE .. COMMIT runs in one trip to the
        database thread: a standalone write is the common case and each trip costs."""
        if self._in_tx.get():  # one trip to the database thread, the cursor closed there (it had been two)
            return int(await self._trip(_write_in_transaction, sql, tuple(params)) or 0)
        async with self._lock:
            return int(await self.conn._execute(_write_once, self.conn._conn, sql, tuple(params)) or 0)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run one statement for many rows atomically; returns the number of rows changed."""
        rows = [tuple(r) for r in rows]
        if not rows:  # as on PostgreSQL: no rows, no trip to the database thread
            return 0
        if self._in_tx.get():
            return int(await self._trip(_write_many_in_transaction, sql, rows) or 0)
        async with self._lock:
            return int(await self.conn._execute(_write_many_once, self.conn._conn, sql, rows) or 0)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        if self._in_tx.get():
            return list(await self._trip(_fetch_in_transaction, sql, tuple(params)))
        async with self._lock:
            return list(await self.conn.execute_fetchall(sql, params))


IN_CHUNK = 500


def pending_migrations(directory: Path, done: set[int]) -> list[tuple[int, Path]]:
    """(version, file) of the numbered migrations not yet applied, in order — the same files for either engine."""
    out = []
    for path in sorted(directory.glob("*.sql")):
        m = _MIGRATION_NAME.match(path.name)
        if not m:
            raise RuntimeError(f"migration file name must be NNN_name.sql: {path.name}")
        if int(m.group(1)) not in done:
            out.append((int(m.group(1)), path))
    return out


def in_municipalities(ids: list[int] | None) -> tuple[str, list[int]]:
    """`AND o.municipality_id IN (...)` and its parameters; nothing for the whole directory (None)."""
    if ids is None:
        return "", []
    return f"AND o.municipality_id IN ({','.join('?' * len(ids))})", list(ids)


def _run_in_transaction(conn: sqlite3.Connection, deferred: list[str], step: Any, *args: Any) -> Any:
    """In the database thread: the transaction's deferred BEGIN/SAVEPOINT/RELEASE in order, then `step` — or
    COMMIT, when there is no step."""
    try:
        for sql in deferred:
            conn.execute(sql)
    except sqlite3.Error as e:
        e.in_deferred = True  # type: ignore[attr-defined]  # read by Database._trip
        raise
    if step is None:
        conn.execute("COMMIT")
        return None
    return step(conn, *args)


def _roll_back_to(conn: sqlite3.Connection, name: str) -> None:
    if conn.in_transaction:
        conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
        conn.execute(f"RELEASE SAVEPOINT {name}")


def _fetch_in_transaction(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    cur = conn.execute(sql, params)
    try:
        return cur.fetchall()
    finally:
        cur.close()


def _write_in_transaction(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> int:
    cur = conn.execute(sql, params)
    try:
        return cur.rowcount
    finally:
        cur.close()


def _write_many_in_transaction(conn: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> int:
    cur = conn.executemany(sql, rows)
    try:
        return cur.rowcount
    finally:
        cur.close()


def _write_once(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> int:
    """In the database thread: one statement in its own BEGIN IMMEDIATE transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        count = conn.execute(sql, params).rowcount
        conn.execute("COMMIT")
    except BaseException:
        _rollback_quietly(conn)
        raise
    return count


def _write_many_once(conn: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> int:
    """In the database thread: one statement over many rows in its own BEGIN IMMEDIATE transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = conn.total_changes
        conn.executemany(sql, rows)
        count = conn.total_changes - before
        conn.execute("COMMIT")
    except BaseException:
        _rollback_quietly(conn)
        raise
    return count


def _rollback_quietly(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite has rolled back on its own (some I/O errors do)


# SQLite's primary result codes that mean "the database cannot take this write now", not "this write is wrong":
# 5 busy, 6 locked, 8 read-only, 10 I/O error, 13 full, 14 cannot open.
_UNAVAILABLE = {5, 6, 8, 10, 13, 14}


def unavailable(error: BaseException) -> bool:
    """True when `error` says the database cannot write at the moment (a full disk, a read-only file):
    the work is to be done again later, not answered as a bug."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(error, sqlite3.Error):
        return code is not None and (code & 0xFF) in _UNAVAILABLE
    # PostgreSQL (storage/pg.py): the server gone, a full disk, a read-only server or transaction (a standby)
    return type(error).__module__.startswith("asyncpg") and (
        type(error).__name__ in _PG_UNAVAILABLE or getattr(error, "sqlstate", "")[:2] in ("08", "53", "57"))


_PG_UNAVAILABLE = {"ConnectionDoesNotExistError", "InterfaceError", "ReadOnlySQLTransactionError",
                   "DiskFullError", "CannotConnectNowError", "AdminShutdownError"}
