"""Intake survives restarts and crashes: the saved long-poll ts, claims left undone, Progress."""

from __future__ import annotations

import asyncio

from bot.vk.polling import Progress
from storage.chats import EventRepo
from storage.db import Database
from testkit.harness import Harness, register, restart_app

SCHOOL_1 = "6624000001"


async def test_messages_written_while_the_bot_was_down_are_answered_after_restart(live_harness: Harness):
    h = live_harness
    await register(h, 800, "organization", SCHOOL_1)
    h.stop.set()
    await h.polling
    before = len(h.emu.delivered(800))
    h.emu.say(800, "/report")  # the bot is down; VK holds the message
    await restart_app(h)
    await h.emu.wait_for_poller()
    await h.settle()
    replies = h.emu.delivered(800)[before:]
    assert len(replies) == 1 and "Вопрос 1 из 2" in replies[0].text
    # and handled ones are not handled again by the next start
    await restart_app(h)
    await h.emu.wait_for_poller()
    await h.settle()
    assert len(h.emu.delivered(800)) == before + 1


async def test_an_event_is_marked_handled_only_with_its_transaction(tmp_path):
    db = await Database.open(tmp_path / "e.sqlite3")
    try:
        events = EventRepo(db)
        try:
            async with db.transaction():
                assert await events.claim("e1")
                raise RuntimeError("the process died mid-handler")
        except RuntimeError:
            pass
        assert await events.claim("e1")  # the mark went with the rolled-back work: handled again
        assert not await events.claim("e1")  # handled: a redelivery is a duplicate
        # a claim left undone by an older version (two-step claim) is handled again
        await db.execute("INSERT INTO processed_events(event_id, at, done) VALUES ('e2', '', 0)")
        assert await events.claim("e2")
        assert not await events.claim("e2")
        assert await events.saved_ts() is None
        await events.save_ts("41")
        assert await events.saved_ts() == "41"
    finally:
        await db.close()


async def test_progress_resumes_from_the_oldest_batch_with_unfinished_updates(tmp_path):
    db = await Database.open(tmp_path / "p.sqlite3")
    try:
        progress = Progress(EventRepo(db))
        loop = asyncio.get_running_loop()
        a, b, c = (loop.create_future() for _ in range(3))
        progress.add("10", "12", [a, b])  # type: ignore[list-item]
        progress.add("12", "13", [c])  # type: ignore[list-item]
        assert progress.resume_ts() == "10"
        a.set_result(None)
        c.set_result(None)
        await asyncio.sleep(0)  # done callbacks run on the loop
        assert progress.resume_ts() == "10"  # b of the first batch is still running
        b.set_result(None)
        await asyncio.sleep(0)
        assert progress.resume_ts() == "13"
        progress.add("13", "14", [])
        assert progress.resume_ts() == "14"
        await progress.save()
        assert await EventRepo(db).saved_ts() == "14"
    finally:
        await db.close()


async def test_messages_lost_in_a_long_poll_gap_are_recovered_from_unanswered_conversations(live_harness: Harness):
    h = live_harness
    await register(h, 801, "organization", SCHOOL_1)
    await register(h, 802, "organization", "6624000002")
    h.stop.set()
    await h.polling
    before = {u: len(h.emu.delivered(u)) for u in (801, 802)}
    h.emu.say(801, "/report")  # written while the bot is down ...
    h.emu.say(802, "/whoami")
    h.emu.fail_longpoll(1)  # ... and VK has lost that stretch of history by the time it is back
    await restart_app(h)
    await h.emu.wait_delivered(801, before[801] + 1)
    await h.settle()
    assert "Вопрос 1 из 2" in h.emu.delivered(801)[before[801]].text
    assert len(h.emu.delivered(802)) == before[802] + 1
    # a second gap finds nothing unanswered, and nothing is handled twice
    h.emu.fail_longpoll(1)
    h.emu.say(801, "204")
    await h.settle()
    await asyncio.sleep(0.2)
    await h.settle()
    assert len(h.emu.delivered(801)) == before[801] + 2 and "Вопрос 2 из 2" in h.emu.delivered(801)[-1].text


async def test_a_failing_handler_leaves_no_writes_and_its_apology_commits_with_the_handled_mark(tmp_path):
    from bot.dispatch import Dispatcher
    from bot.views.message import Incoming
    from bot.vk.updates import parse_update
    from storage.chats import ConversationRepo
    from storage.outbox import OutboxRepo, OutMessage

    db = await Database.open(tmp_path / "a.sqlite3")
    try:
        conversations, outbox = ConversationRepo(db), OutboxRepo(db)
        errors: list[BaseException] = []

        async def handler(incoming: Incoming) -> None:
            await conversations.set(incoming.from_id, "form", {"step": 2})
            raise ValueError("a bug after a write")

        async def on_error(error: BaseException, incoming: Incoming) -> None:
            errors.append(error)
            await outbox.add([OutMessage(incoming.peer, "Что-то пошло не так")], priority=0)

        dispatcher = Dispatcher(handler, EventRepo(db), on_error)
        update = {"type": "message_new", "event_id": "ev1",
                  "object": {"message": {"from_id": 5, "peer_id": 5, "text": "12", "date": 1}}}
        await dispatcher.feed_incoming(parse_update(update))
        assert [type(e) for e in errors] == [ValueError]
        assert await conversations.get(5) is None  # the handler's write was undone
        assert await outbox.pending_count() == 1  # the apology was kept
        await dispatcher.feed_incoming(parse_update(update))  # VK delivers it again: handled already, nothing more
        assert len(errors) == 1 and await outbox.pending_count() == 1
    finally:
        await db.close()


async def test_a_transaction_inside_a_transaction_undoes_only_its_own_writes(tmp_path):
    db = await Database.open(tmp_path / "n.sqlite3")
    try:
        async with db.transaction():
            await db.execute("INSERT INTO meta(key, value) VALUES ('outer', '1')")
            try:
                async with db.transaction():
                    await db.execute("INSERT INTO meta(key, value) VALUES ('inner', '1')")
                    raise ValueError("the inner step fails")
            except ValueError:
                pass
        keys = {r[0] for r in await db.fetchall("SELECT key FROM meta")}
        assert "outer" in keys and "inner" not in keys
    finally:
        await db.close()


async def test_after_a_restored_backup_new_messages_are_not_taken_for_old_ones(live_harness: Harness):
    h = live_harness
    await register(h, 810, "organization", SCHOOL_1)
    await h.say(810, "/help")
    # the backup was taken before anything was sent: its counter starts again from 1
    await h.app.repos.outbox.set_random_floor(1, force=True)
    await restart_app(h)
    await h.emu.wait_for_poller()
    replies = await h.say(810, "/whoami")
    assert len(replies) == 1 and replies[0].text  # delivered, not swallowed as a repeat of an old message


def test_a_message_in_the_old_long_poll_shape_is_still_read():
    from bot.vk.updates import parse_update

    message = {"from_id": 5, "peer_id": 5, "text": "/help", "date": 1, "conversation_message_id": 3}
    new = parse_update({"type": "message_new", "event_id": "a", "object": {"message": message, "client_info": {}}})
    old = parse_update({"type": "message_new", "event_id": "a", "object": message})  # version < 5.103
    assert new == old and old is not None and old.text == "/help" and old.from_id == 5


async def test_a_restart_after_a_fault_notice_keeps_the_random_id_counter_where_it_was(harness: Harness):
    """A notice sent straight to VK while the database could not write must not drag the counter along: at the next
    start the counter is checked against VK's recent conversations (a restored backup), and once moved it never
    comes back — it had jumped to 99 % of its range after one outage."""
    from bot.views.message import Incoming

    h = harness
    await register(h, 820, "organization", SCHOOL_1)
    await h.say(820, "/help")
    counter = await h.app.db.scalar("SELECT value FROM meta WHERE key = 'random_id_next'")
    vk = h.app.messengers.named("vk")
    for n in range(20):  # an outage: twenty people told straight from VK
        # (each its own text: VK refuses a repeat of the last message with error 9, and a notice is best effort)
        await vk.notify_now(Incoming("message", f"ev{n}", 820, 820), f"Временная неполадка {n}", f"down:ev{n}")
    notices = [m for m in h.emu.delivered(820) if m.text.startswith("Временная неполадка")]
    assert len(notices) == 20 and all(m.random_id < 0 for m in notices)
    await h.app.vk.random_ids_past_vk()  # what a restart does first
    assert await h.app.db.scalar("SELECT value FROM meta WHERE key = 'random_id_next'") == counter
    assert (await h.say(820, "/whoami"))[0].random_id == int(counter)  # and the next reply takes the next id


async def test_the_max_poller_keeps_to_two_polls_a_second_while_people_write(tmp_path, schema) -> None:
    """`run`'s loop against maxemu at MAX's own limit (2 GET /updates a second): with a message every 0.1 s each poll
    comes back at once, and without its pacing the loop polled ten times a second and drew 429s."""
    from bot.max.side import POLL_GAP_S
    from testkit.harness import start_harness, stop_harness

    h = await start_harness(tmp_path, schema, with_max=True)
    try:
        emu, side = h.max_emu, h.app.max
        assert emu is not None and side is not None
        emu.polls_per_second, side.poll_gap_s = 2, POLL_GAP_S
        await asyncio.sleep(1.0)  # the harness's own quick polls are a second old
        emu.start(560)
        stop = asyncio.Event()
        running = asyncio.create_task(side.run(stop))
        polls_before = emu.calls.count(("GET", "/updates"))
        for n in range(30):
            emu.say(560, f"сообщение {n}")
            await asyncio.sleep(0.1)
        polls = emu.calls.count(("GET", "/updates")) - polls_before
        # every update read and handled: the last, said a moment ago, by the next poll (stopping at once, as this
        # test had, raced that poll on a loaded machine)
        deadline = asyncio.get_running_loop().time() + 10
        while await h.app.repos.max_accounts.saved_marker() != len(emu.updates):
            assert asyncio.get_running_loop().time() < deadline, "the loop stopped reading updates"
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(running, 30)
        assert (429, "too.many.requests") not in emu.rejected
        assert 3 <= polls <= 8  # 3 s of steady traffic: about two a second
    finally:
        await stop_harness(h)
