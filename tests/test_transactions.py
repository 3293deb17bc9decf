"""Transactions and savepoints on both engines: what a block wrote stays or goes whole. On SQLite BEGIN, SAVEPOINT and
RELEASE wait for the transaction's next statement and travel with it to the database thread (storage/db.py): the
same outcomes, fewer trips."""

from __future__ import annotations

import sqlite3

import pytest

from storage.db import Database
from storage.engines import open_database


async def _open(tmp_path, engine):
    return await open_database(engine or tmp_path / "tx.sqlite3")


async def _names(db) -> list[str]:
    return [r[0] for r in await db.fetchall("SELECT name FROM regions ORDER BY name")]


async def test_a_savepoint_undoes_its_own_block_and_nothing_else(tmp_path, engine) -> None:
    db = await _open(tmp_path, engine)
    try:
        async with db.transaction():
            await db.execute("INSERT INTO regions(name) VALUES ('до')")
            with pytest.raises(RuntimeError):
                async with db.transaction():  # inside a transaction: a savepoint
                    await db.execute("INSERT INTO regions(name) VALUES ('внутри')")
                    raise RuntimeError("отказ")
            with pytest.raises(RuntimeError):
                async with db.transaction():  # one that fails before it wrote anything
                    raise RuntimeError("сразу")
            async with db.transaction():  # and one that ends well
                await db.execute("INSERT INTO regions(name) VALUES ('после')")
        assert await _names(db) == ["до", "после"]
    finally:
        await db.close()


async def test_nested_savepoints_before_the_first_statement(tmp_path, engine) -> None:
    """Savepoints opened and closed before the transaction wrote anything, one of them undone, then a write: the
    write is committed; an outer savepoint undone takes its inner, finished ones with it."""
    db = await _open(tmp_path, engine)
    try:
        async with db.transaction():
            async with db.savepoint():
                async with db.savepoint():
                    pass
            with pytest.raises(RuntimeError):
                async with db.savepoint():
                    async with db.savepoint():
                        pass
                    raise RuntimeError("отказ")
            await db.execute("INSERT INTO regions(name) VALUES ('первая')")
            with pytest.raises(RuntimeError):
                async with db.savepoint():
                    async with db.savepoint():
                        await db.execute("INSERT INTO regions(name) VALUES ('вложенная')")
                    raise RuntimeError("отказ")
            await db.execute("INSERT INTO regions(name) VALUES ('вторая')")
        assert await _names(db) == ["вторая", "первая"]
        async with db.transaction():  # nothing left open: the next one begins and commits
            await db.execute("INSERT INTO regions(name) VALUES ('третья')")
        assert await _names(db) == ["вторая", "первая", "третья"]
    finally:
        await db.close()


async def test_on_sqlite_control_statements_ride_with_the_next_statement(tmp_path) -> None:
    db = await Database.open(tmp_path / "trips.sqlite3")
    trips = 0
    real = db.conn._execute

    async def counted(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal trips
        trips += 1
        return await real(fn, *args, **kwargs)

    db.conn._execute = counted  # type: ignore[method-assign]
    try:
        async with db.transaction():
            async with db.savepoint():
                pass
        assert trips == 0 and not db.conn.in_transaction  # nothing ran: nothing begun, nothing committed
        async with db.transaction():
            await db.execute("INSERT INTO regions(name) VALUES ('a')")  # with BEGIN IMMEDIATE
            async with db.savepoint():
                await db.execute("INSERT INTO regions(name) VALUES ('b')")  # with SAVEPOINT
            await db.fetchall("SELECT 1")  # with RELEASE
        assert trips == 4  # three statements and COMMIT (it had been seven: each control statement alone)
        assert await _names(db) == ["a", "b"] and not db.conn.in_transaction
    finally:
        await db.close()


@pytest.fixture
async def locked(tmp_path):
    """Our SQLite database (busy_timeout cut to 50 ms) and another process's connection holding its write lock."""
    path = tmp_path / "busy.sqlite3"
    db = await Database.open(path)
    await db.conn.execute("PRAGMA busy_timeout=50")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield db, other
    finally:
        other.close()
        await db.close()


async def test_on_sqlite_a_begin_refused_fails_the_first_statement_and_leaves_the_connection_clean(locked) -> None:
    """Another process holds the write lock: BEGIN IMMEDIATE, sent with the first statement, waits out busy_timeout
    and fails there; the transaction is rolled back and the next one works once the lock is free."""
    db, other = locked
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        async with db.transaction():
            await db.execute("INSERT INTO regions(name) VALUES ('занято')")
    assert not db.conn.in_transaction
    other.execute("ROLLBACK")
    async with db.transaction():
        await db.execute("INSERT INTO regions(name) VALUES ('свободно')")
    assert await _names(db) == ["свободно"]


async def test_on_sqlite_a_transaction_whose_begin_failed_writes_nothing_even_if_the_failure_was_caught(
        locked) -> None:
    """BEGIN travels with the first statement, so its failure is that statement's: a block that catches it and
    goes on must not write the rest outside any transaction, each committed on its own."""
    db, other = locked
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        async with db.transaction():
            try:
                await db.execute("INSERT INTO regions(name) VALUES ('первая')")
            except sqlite3.OperationalError:
                pass
            other.execute("ROLLBACK")  # the lock is free again
            await db.execute("INSERT INTO regions(name) VALUES ('вторая')")
    assert await _names(db) == [] and not db.conn.in_transaction
    async with db.transaction():  # the next transaction begins afresh
        await db.execute("INSERT INTO regions(name) VALUES ('третья')")
    assert await _names(db) == ["третья"]
