"""Personal data: what logs keep, what the database keeps, and for how long."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from loguru import logger
from vkbottle import API

from bot.__main__ import _quiet_libraries
from storage.db import Database, iso
from storage.outbox import OutboxRepo, OutMessage
from storage.retention import OLD_MESSAGES, RetentionRepo
from testkit.harness import Harness, register


async def test_vkbottle_debug_lines_are_dropped_ours_are_kept() -> None:
    got: list[str] = []
    sink = logger.add(lambda m: got.append(m.record["name"] or ""), level="DEBUG", filter=_quiet_libraries)
    try:
        await API("token").validate_request({"message": "Иванова Анна, 8 (912) 000-00-00"})  # logs at DEBUG
        logger.debug("ours")
    finally:
        logger.remove(sink)
    assert got == [__name__]


async def test_an_invite_code_is_not_kept_in_the_database_once_sent(sqlite_harness: Harness) -> None:
    harness = sqlite_harness  # the database file itself is looked at
    h = harness
    municipality = (await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id
    await register(h, 610, "municipality", str(municipality))
    answer = await h.text(610, "/invite МАОУ СОШ № 1")
    code = answer.split("\n\n")[1].strip()  # the code stands on its own line
    assert len(code) == 11 and code[5] == "-", answer
    await h.settle()
    dump = "\n".join(sqlite3.connect(h.app.db.path).iterdump())
    assert code not in dump


async def test_retention_deletes_old_finished_rows_and_keeps_what_waits(tmp_path) -> None:
    db = await Database.open(tmp_path / "r.sqlite3")
    try:
        outbox = OutboxRepo(db)
        await outbox.add([OutMessage(1, "старое"), OutMessage(2, "ждёт"), OutMessage(3, "свежее")], priority=0)
        old = iso(datetime.now(UTC) - timedelta(days=100))
        await db.execute("UPDATE outbox SET created_at = ? WHERE peer_id IN (1, 2)", (old,))
        await db.execute("UPDATE outbox SET status = 'sent' WHERE peer_id IN (1, 3)")
        await db.execute("INSERT INTO processed_events(event_id, at, done) VALUES ('old', ?, 1), ('new', ?, 1)",
                         (old, iso(datetime.now(UTC))))
        await db.execute("INSERT INTO conversations(person_id, state, data, updated_at) VALUES (5, 'form', '{}', ?)",
                         (old,))
        pruned = await RetentionRepo(db).prune(datetime.now(UTC) - timedelta(days=90))
        assert (pruned.messages, pruned.events, pruned.dialogs) == (1, 1, 1)
        assert [r[0] for r in await db.fetchall("SELECT text FROM outbox ORDER BY peer_id")] == ["ждёт", "свежее"]
        assert [r[0] for r in await db.fetchall("SELECT event_id FROM processed_events")] == ["new"]
        again = await RetentionRepo(db).prune(datetime.now(UTC) - timedelta(days=90))
        assert (again.messages, again.events, again.dialogs) == (0, 0, 0)
    finally:
        await db.close()


async def test_retention_finds_the_old_messages_by_an_index_not_by_reading_every_kept_one(tmp_path) -> None:
    """The delete runs every six hours over 90 days of delivered messages: it finds the old ones by (status,
    created_at). Indexed by (status, sent_at) it had read every kept message each time — half of all the SQL time
    of a season (tests/test_season.py: 1.4 of 2.7 s)."""
    db = await Database.open(tmp_path / "r.sqlite3")
    try:
        plan = " | ".join(str(r[3]) for r in await db.fetchall("EXPLAIN QUERY PLAN " + OLD_MESSAGES, ("x",)))
        assert "created_at<?" in plan.replace(" ", ""), plan
    finally:
        await db.close()
