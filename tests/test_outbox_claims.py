"""Rows of the outbox are claimed by the sender that sends them: on PostgreSQL `FOR UPDATE SKIP LOCKED`, so two
senders on one database (instances overlapping at a takeover, a `run-job --send` beside a holder) never take the
same row and never wait for each other; a claim of a sender that died frees after CLAIM_TTL_S, on SQLite at the
next start."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from bot.vk.api import LimitedAPI, RateLimiter
from bot.vk.sender import Sender
from storage.engines import open_database
from storage.outbox import CLAIM_TTL_S, Claims, OutboxRepo, OutMessage
from vkemu import Emulator, EmulatorServer


async def _databases(tmp_path, engine, n: int):
    where = engine or tmp_path / "claims.sqlite3"
    return [await open_database(where) for _ in range(n)]


async def test_two_senders_on_one_database_send_every_message_once(tmp_path, schema, engine) -> None:
    """Two senders, each on its own connection, drain one queue of 600 messages at once. Without claims both would
    take the same first rows (VK drops a repeated random_id, and the emulator counts every such repeat)."""
    emu = Emulator(schema, check_responses=True, rate_limit=0, strict=True)
    server = await EmulatorServer(emu).start()
    dbs = await _databases(tmp_path, engine, 2)
    apis = []
    try:
        for uid in range(1, 301):
            emu.add_user(uid, allowed=True)
        await OutboxRepo(dbs[0]).add([OutMessage(uid, f"Напоминание {n} для {uid}") for uid in range(1, 301)
                                      for n in (1, 2)], 1)
        senders = []
        for db in dbs:
            api = LimitedAPI(emu.token, RateLimiter(1000))
            api.API_URL = server.api_url
            apis.append(api)
            senders.append(Sender(OutboxRepo(db), api, workers=3))
        done = await asyncio.gather(*(s.drain(60) for s in senders))
        assert done == [True, True]
        assert emu.repeated_sends == 0
        assert all([m.text for m in emu.delivered(uid)] == [f"Напоминание 1 для {uid}", f"Напоминание 2 для {uid}"]
                   for uid in range(1, 301))  # once each, in order
        assert await OutboxRepo(dbs[1]).pending_count() == 0
        both = [s.metrics.sent.labels("vk")._value.get() for s in senders]
        assert sum(both) == 600 and min(both) > 0, both  # both sent: the test raced them
        assert await dbs[0].scalar("SELECT count(*) FROM outbox WHERE claimed_by IS NOT NULL") == 0
    finally:
        for api in apis:
            await api.http_client.close()
        for db in dbs:
            await db.close()
        await server.stop()


async def test_a_row_locked_by_another_transaction_is_skipped_not_waited_for(pg_server) -> None:
    """PostgreSQL: while another connection's transaction holds the first rows (its claim not yet committed), a
    claim takes the next ones at once."""
    url = pg_server.new_database("skip_locked")
    first, second = await open_database(url), await open_database(url)
    try:
        await OutboxRepo(first).add([OutMessage(uid, "текст") for uid in range(1, 11)], 1)
        ids = [r[0] for r in await first.fetchall("SELECT id FROM outbox ORDER BY id")]
        async with first.transaction():
            await first.fetchall("SELECT id FROM outbox WHERE id IN (?, ?, ?) FOR UPDATE", ids[:3])
            taken = await asyncio.wait_for(OutboxRepo(second).claim("other", 100), 5)
        assert [r.id for r in taken] == ids[3:]
    finally:
        await first.close()
        await second.close()


async def test_a_dead_senders_claims_free_after_the_ttl_and_at_an_sqlite_start(tmp_path, engine) -> None:
    [db] = await _databases(tmp_path, engine, 1)
    outbox = OutboxRepo(db)
    try:
        await outbox.add([OutMessage(uid, "текст") for uid in range(1, 4)], 1)
        now = time.time()
        held = await outbox.claim("dead", 2, now=now)
        assert len(held) == 2
        # the holder itself never takes its own rows twice; another waits for them until the claim is old
        assert [r.peer_id for r in await outbox.claim("dead", 10, now=now)] == [3]
        assert await outbox.claim("alive", 10, now=now + CLAIM_TTL_S - 1) == []
        assert len(await outbox.claim("alive", 10, now=now + CLAIM_TTL_S + 1)) == 3
        # given back, a row is anyone's again; SQLite's one sender frees every claim when it starts
        await outbox.release("alive", [held[0].id])
        assert [r.id for r in await outbox.claim("third", 10, now=now + CLAIM_TTL_S + 1)] == [held[0].id]
        assert await outbox.release_all() == 3
        assert len(await outbox.claim("fourth", 10, now=now + CLAIM_TTL_S + 1)) == 3
    finally:
        await db.close()


@pytest.mark.parametrize("messenger", ["vk", "max"])
async def test_a_claim_given_back_while_the_database_fails_is_paid_before_the_next_take(tmp_path, messenger) -> None:

    [db] = await _databases(tmp_path, None, 1)
    outbox = OutboxRepo(db)
    try:
        peer = 1 if messenger == "vk" else -1
        await outbox.add([OutMessage(peer, "текст")], 1)
        claims = Claims(outbox, messenger)
        [row] = await claims.take(10)
        real = outbox.release

        async def refused(owner, ids):
            raise OSError("disk full")

        outbox.release = refused  # type: ignore[method-assign]
        await claims.give_back([row])  # logged, owed
        outbox.release = real  # type: ignore[method-assign]
        await outbox.retry_later([row.id], 0)  # still pending: the same sender must be able to take it again
        assert [r.id for r in await claims.take(10)] == [row.id]
    finally:
        await db.close()


async def test_two_instances_queuing_at_once_never_draw_one_random_id(tmp_path, engine) -> None:
    """Behind the webhooks two instances queue replies at the same moment, each on its own connection: the
    community's random_id counter is read and moved by one at a time, so no two rows share an id (VK would deliver
    the first and drop the second as its repeat)."""
    dbs = await _databases(tmp_path, engine, 2)
    try:
        async def queue(db, base: int) -> None:
            outbox = OutboxRepo(db)
            for n in range(40):
                await outbox.add([OutMessage(base + n, f"ответ {k}") for k in range(5)], 0)

        await asyncio.gather(queue(dbs[0], 1000), queue(dbs[1], 2000))
        total, distinct = (await dbs[0].fetchall("SELECT count(*), count(DISTINCT random_id) FROM outbox"))[0]
        assert total == 400 and distinct == total
    finally:
        for db in dbs:
            await db.close()


def _scans_of(plan: dict) -> list[dict]:
    found = [plan] if plan.get("Alias") == "o" else []
    for child in plan.get("Plans", []):
        found += _scans_of(child)
    return found


async def test_a_claim_on_a_long_queue_reads_what_it_takes_not_the_whole_queue(tmp_path, engine) -> None:
    """10,000 reminders queued a hundred at a time, a thousand of them sent: a claim of 25 walks the queue in order
    and stops, on both engines. PostgreSQL, its planner not told of the queue's length, had read and sorted every
    pending row at each claim: 24 ms of its CPU a claim at 10,000 rows, growing with the queue, so a broadcast
    cost the square of its size."""
    (db,) = await _databases(tmp_path, engine, 1)
    try:
        repo = OutboxRepo(db)
        for first in range(0, 10_000, 100):
            await repo.add([OutMessage(100_000 + n, f"Напоминание {n}") for n in range(first, first + 100)], 1)
        for _ in range(40):  # a sender a thousand messages into it, as a VK sender goes: 25 a claim
            taken = await repo.claim("sender", 25)
            await repo.mark_sent([(r.id, n) for n, r in enumerate(taken, 1)])
            await repo.release("sender", [r.id for r in taken])
        await repo.add([OutMessage(101_000, "Второе тому же человеку")], 0)  # first in the queue, then its first
        sql, now = repo.claim_sql("vk"), time.time()
        params = (1, now, "explainer", now - CLAIM_TTL_S, 25)
        if db.engine == "sqlite":
            plan = " | ".join(str(r[3]) for r in await db.fetchall("EXPLAIN QUERY PLAN " + sql, params))
            assert "TEMP B-TREE" not in plan and "USING INDEX outbox_queue" in plan, plan
        else:
            (row,) = await db.fetchall("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            plan = json.loads(row[0])[0]["Plan"]
            read = sum(s.get("Actual Rows", 0) + s.get("Rows Removed by Filter", 0) for s in _scans_of(plan))
            assert 0 < read <= 250, json.dumps(plan)[:2000]
        rows = await repo.claim("sender", 25)
        assert [r.peer_id for r in rows[:2]] == [101_000, 101_001] and rows[0].text == "Второе тому же человеку"
        assert len(rows) == 25 and len({r.peer_id for r in rows}) == 25  # one a recipient, in the queue's order
    finally:
        await db.close()


async def test_a_sent_row_is_given_back_by_the_statement_that_marks_it_sent(tmp_path) -> None:
    """Marking rows sent clears their claim in the same statement: giving the batch back releases only what is still
    pending (one trip to the database a batch fewer), and that row another sender can take."""

    (db,) = await _databases(tmp_path, None, 1)
    try:
        repo = OutboxRepo(db)
        await repo.add([OutMessage(uid, "текст") for uid in (1, 2, 3)], 1)
        claims = Claims(repo, "vk")
        released: list[list[int]] = []
        release = repo.release

        async def spying(owner: str, row_ids: list[int]) -> None:
            released.append(list(row_ids))
            await release(owner, row_ids)

        repo.release = spying  # type: ignore[method-assign]
        rows = await claims.take(10)
        assert len(rows) == 3
        await claims.mark_sent([(rows[0].id, 101), (rows[1].id, 102)])
        await claims.give_back(rows)
        assert released == [[rows[2].id]]
        assert await db.scalar("SELECT count(*) FROM outbox WHERE claimed_by IS NOT NULL") == 0
        assert [r.id for r in await OutboxRepo(db).claim("another", 10)] == [rows[2].id]
        # a batch all sent gives back nothing more
        await repo.add([OutMessage(4, "ещё")], 1)
        (fourth,) = await claims.take(10)
        await claims.mark_sent([(fourth.id, 104)])
        await claims.give_back([fourth])
        assert released == [[rows[2].id]]
    finally:
        await db.close()
