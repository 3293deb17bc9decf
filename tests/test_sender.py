"""The outbox sender: execute batches, priorities, retries, and no duplicates after a crash."""

from __future__ import annotations

import asyncio

from bot.vk.api import LimitedAPI, RateLimiter
from bot.vk.messenger import compose
from bot.vk.sender import Sender
from storage.db import Database
from storage.outbox import OutboxRepo, OutMessage, Queued
from vkemu import Emulator, EmulatorServer


async def setup(tmp_path, schema, rate_limit=20):
    emu = Emulator(schema, check_responses=True, rate_limit=rate_limit, strict=True)
    server = await EmulatorServer(emu).start()
    db = await Database.open(tmp_path / "s.sqlite3")
    api = LimitedAPI(emu.token, RateLimiter(20))
    api.API_URL = server.api_url
    outbox = OutboxRepo(db)
    return emu, server, db, api, outbox, Sender(outbox, api)


async def teardown(server, db, api):
    await api.http_client.close()
    await db.close()
    await server.stop()


async def test_batches_of_25_in_execute_within_the_rate_limit(tmp_path, schema):
    emu, server, db, api, outbox, sender = await setup(tmp_path, schema)
    try:
        for uid in range(1, 101):
            emu.add_user(uid, allowed=True)
        await outbox.add([OutMessage(uid, f"Напоминание {uid}", dedup_key=f"r:{uid}") for uid in range(1, 101)], 1)
        before = emu.requests_total
        assert await sender.drain(30)
        assert emu.requests_total - before == 4  # 100 messages, 4 execute requests
        assert all([m.text for m in emu.delivered(uid)] == [f"Напоминание {uid}"] for uid in range(1, 101))
        assert emu.errors_by_code == {} and emu.response_problems == []
        # queuing the same job's messages again adds nothing
        assert await outbox.add([OutMessage(1, "Напоминание 1", dedup_key="r:1")], 1) == 0
    finally:
        await teardown(server, db, api)


async def test_replies_go_ahead_of_bulk(tmp_path, schema):
    emu, server, db, api, outbox, sender = await setup(tmp_path, schema)
    try:
        for uid in range(1, 61):
            emu.add_user(uid, allowed=True)
        await outbox.add([OutMessage(uid, "bulk") for uid in range(1, 61)], 1)
        await outbox.add([OutMessage(1, "reply")], 0)
        assert await sender.send_batch() == 25
        # the reply, queued last, is in the first batch; person 1's bulk message follows it, one per recipient a batch
        assert [m.text for m in emu.delivered(1)] == ["reply"]
        assert await sender.drain(10)
        assert [m.text for m in emu.delivered(1)] == ["reply", "bulk"]
    finally:
        await teardown(server, db, api)


async def ready(outbox: OutboxRepo) -> list[Queued]:
    """What a sender would take now, left untaken."""
    seen: list[Queued] = []
    await outbox.claim("look", 100, choose=lambda candidates: seen.extend(candidates) or [])
    return seen


async def test_one_recipients_messages_leave_in_order_and_a_flood_waits_its_turn(tmp_path, schema):
    """A long reply's parts go in order even when the first waits out a backoff; one person's 60 queued messages
    are one candidate a batch, so 40 other people are each served in the first two batches."""
    emu, server, db, api, outbox, sender = await setup(tmp_path, schema)
    try:
        for uid in range(1, 42):
            emu.add_user(uid, allowed=True)
        await outbox.add([OutMessage(1, f"флуд {n}") for n in range(60)], 0)
        await outbox.add([OutMessage(uid, "ответ") for uid in range(2, 42)], 0)
        await sender.send_batch()
        await sender.send_batch()
        assert all(emu.delivered(uid) for uid in range(2, 42))  # nobody waited behind the flood
        assert len(emu.delivered(1)) == 2
        parts = await outbox.add(compose(41, "x" * 5000), 0)  # two parts
        assert parts == 2
        head = next(r for r in await ready(outbox) if r.peer_id == 41)
        await outbox.retry_later([head.id], 0.3)  # the first part backs off...
        assert all(r.peer_id != 41 for r in await ready(outbox))  # ...and the second does not overtake it
        assert await sender.drain(30)
        texts = [m.text for m in emu.delivered(41)][1:]
        assert texts == [p.text for p in compose(41, "x" * 5000)]
        assert [m.text for m in emu.delivered(1)] == [f"флуд {n}" for n in range(60)]
    finally:
        await teardown(server, db, api)


async def test_transient_failures_back_off_and_retry(tmp_path, schema):
    emu, server, db, api, outbox, sender = await setup(tmp_path, schema)
    try:
        emu.add_user(1, allowed=True)
        emu.add_user(2)  # never wrote: 901, permanent
        await outbox.add(compose(1, "раз") + compose(2, "два"), 1)
        emu.fail_method("execute", 10)  # VK's internal error on the whole request
        emu.fail_http(1)  # then a 502 page
        assert await sender.drain(30)
        assert [m.text for m in emu.delivered(1)] == ["раз"]
        assert await outbox.unreachable([1, 2]) == {2: 901}
        assert await outbox.counts() == {"sent": 1, "failed": 1}
    finally:
        await teardown(server, db, api)


async def test_a_crash_after_sending_never_delivers_twice(tmp_path, schema):
    emu, server, db, api, outbox, sender = await setup(tmp_path, schema)
    try:
        for uid in range(1, 31):
            emu.add_user(uid, allowed=True)
        await outbox.add([OutMessage(uid, "один раз") for uid in range(1, 31)], 1)
        assert await sender.drain(30)
        # as if the process died after VK answered but before the rows were marked sent
        await db.execute("UPDATE outbox SET status = 'pending'")
        assert await sender.drain(30)
        assert all(len(emu.delivered(uid)) == 1 for uid in range(1, 31))
    finally:
        await teardown(server, db, api)


async def test_long_text_is_split_and_keyboard_stays_on_the_last_part(tmp_path, schema):
    emu, server, db, api, outbox, sender = await setup(tmp_path, schema)
    try:
        emu.add_user(1, allowed=True)
        text = "\n".join(f"строка {i}: " + "я" * 60 for i in range(150))
        kb = '{"inline": true, "buttons": [[{"action": {"type": "text", "label": "Ок"}}]]}'
        await outbox.add(compose(1, text, kb), 0)
        assert await sender.drain(30)
        parts = emu.delivered(1)
        assert len(parts) == 3 and "\n".join(m.text for m in parts) == text
        assert [m.keyboard is not None for m in parts] == [False, False, True]
    finally:
        await teardown(server, db, api)


async def test_rate_limiter_never_lets_vk_see_more_than_the_limit(tmp_path, schema):
    emu, server, db, api, outbox, sender = await setup(tmp_path, schema)
    try:
        await asyncio.gather(*(api.request("users.get", {"user_ids": 1}) for _ in range(45)))
        assert 6 not in emu.errors_by_code
    finally:
        await teardown(server, db, api)


async def test_every_api_call_has_a_timeout_and_a_5xx_fails_the_call_without_holding_slots(tmp_path, schema):
    emu, server, db, api, outbox, sender = await setup(tmp_path, schema)
    try:
        from bot.vk.api import VkUnavailable

        emu.add_user(5)
        api.timeout = 0.5
        emu.slow_down(3.0)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        try:
            await api.request("users.get", {"user_ids": 5})
            raise AssertionError("a call VK does not answer must time out")
        except TimeoutError:
            assert loop.time() - t0 < 1.5
        # 25 calls meet a 502 at once: each fails on its own; none waits for a slot another holds
        emu.fail_http(25)
        results = await asyncio.wait_for(asyncio.gather(
            *(api.request("users.get", {"user_ids": 5}) for _ in range(25)), return_exceptions=True), 5)
        assert all(isinstance(r, VkUnavailable) for r in results), results
        assert (await api.request("users.get", {"user_ids": 5}))["response"][0]["id"] == 5
    finally:
        await teardown(server, db, api)


async def test_a_hundred_thousand_queued_rows_have_distinct_random_ids_and_old_ones_are_skipped(tmp_path):
    """The ids are the counter's, in order, stepping over every id an earlier version drew at random — also where
    those fall at the edges of a batch. (It had been a million rows: 18 s of the suite, and the counter is one
    integer; what could go wrong is the skipping, so that is what is spread over the range now.)"""
    import random

    db = await Database.open(tmp_path / "ids.sqlite3")
    try:
        outbox = OutboxRepo(db)
        # ids an earlier version drew at random stay used for good
        rng = random.Random(5)
        before = {3, 5, 6} | set(rng.sample(range(10, 100_000), 3_000))
        before |= {n * 1_000 + k for n in range(1, 100, 7) for k in (-1, 0, 1)}  # around batch edges
        await db.executemany("INSERT INTO random_ids_before(id) VALUES (?)", [(i,) for i in sorted(before)])
        await outbox.add([OutMessage(1, f"m{i}") for i in range(5)], priority=1)
        first = [r[0] for r in await db.fetchall("SELECT random_id FROM outbox ORDER BY id")]
        assert first == [1, 2, 4, 7, 8]
        for _ in range(100):
            await outbox.add([OutMessage(7, "x") for _ in range(1_000)], priority=1)
        got = [r[0] for r in await db.fetchall("SELECT random_id FROM outbox ORDER BY id")]
        free = (i for i in range(1, 10**6) if i not in before)
        assert got == [next(free) for _ in range(100_005)]
        # a restored backup: the counter goes back, VK's newest id moves it forward, never back again
        await outbox.set_random_floor(2, force=True)
        assert await outbox.set_random_floor(1_000_009)
        assert not await outbox.set_random_floor(10)
        await outbox.add([OutMessage(1, "после восстановления")], priority=0)
        assert await db.scalar("SELECT max(random_id) FROM outbox") == 1_000_009
    finally:
        await db.close()


async def test_vk_refuses_to_deliver_a_random_id_it_has_seen_in_any_conversation(tmp_path, schema):
    emu, server, db, api, outbox, sender = await setup(tmp_path, schema)
    try:
        emu.add_user(1, allowed=True)
        emu.add_user(2, allowed=True)
        first = (await api.request("messages.send", {"peer_id": 1, "message": "a", "random_id": 77}))["response"]
        again = (await api.request("messages.send", {"peer_id": 2, "message": "b", "random_id": 77}))["response"]
        assert again == first and emu.delivered(2) == []
        try:
            await api.request("messages.send", {"peer_id": 2, "message": "c"})
            raise AssertionError("random_id is required")
        except Exception as e:  # noqa: BLE001 - vkbottle's error class for code 100
            assert getattr(e, "code", None) == 100
    finally:
        await teardown(server, db, api)


async def test_a_repeated_answer_is_reworded_when_vk_refuses_it_as_flood(harness) -> None:
    """A tired admin types a wrong figure twice: the same answer twice within a minute is VK's «Flood control: same
    message already sent» (error 9). It reaches them at once all the same, and reads the same."""
    from testkit.harness import register

    h = harness
    await register(h, 830, "organization", "6624000001")
    await h.say(830, "/report")
    first = await h.say(830, "много")
    again = await h.say(830, "много")
    assert len(first) == len(again) == 1 and first[0].text == again[0].text
    assert h.emu.errors_by_code[9] >= 1  # VK did refuse the repeat once
    assert again[0].sent_text == first[0].text + "\u2060"
    assert await h.app.repos.outbox.pending_count() == 0
