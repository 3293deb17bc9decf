"""A short VK outage does not stall the bot: presses during it are handled, and everyone is answered soon after."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from testkit.harness import Harness, register, restart_app

SCHOOLS = ("6624000001", "6624000002")
PRESSERS = range(900, 920)


async def test_twenty_presses_during_eight_seconds_of_502s_are_all_answered_after_recovery(live_harness: Harness):
    h = live_harness
    for uid in PRESSERS:
        await register(h, uid, "organization", SCHOOLS[uid % 2])
    h.emu.add_user(990)
    h.clock.now = datetime(2023, 10, 27, 6, 0, tzinfo=UTC)
    before = {uid: len(h.emu.delivered(uid)) for uid in PRESSERS}
    loop = asyncio.get_running_loop()
    h.emu.outage(8.0)  # the API answers 502; the long poll keeps delivering presses
    for uid in PRESSERS:
        h.emu.callback(uid, {"cmd": "item", "rm": "ntgo-sferum-2023", "item": "3", "occ": "2023-10-31",
                             "role": "organization", "scope": SCHOOLS[uid % 2], "sure": 1})  # «Да, выполнено»
    await asyncio.sleep(8.0)
    recovered = loop.time()
    h.emu.say(990, "/help")  # someone else, just after VK is back
    waiting = set(PRESSERS) | {990}
    while waiting and loop.time() - recovered < 10.0:
        await asyncio.sleep(0.1)
        waiting = {uid for uid in waiting if len(h.emu.delivered(uid)) <= before.get(uid, 0)}
    assert not waiting, f"not answered within 10 s of recovery: {sorted(waiting)}"
    for uid in PRESSERS:
        answer = h.emu.delivered(uid)[before[uid]:]
        assert len(answer) == 1, [m.text for m in answer]
        assert answer[0].text.startswith(("Отмечено: пункт 3", "Пункт 3")), answer[0].text
    assert h.app.handler_errors == []


async def test_the_bot_outlives_failures_to_get_a_long_poll_server(live_harness: Harness):
    h = live_harness
    await register(h, 930, "organization", SCHOOLS[0])
    # at the next start VK refuses the long-poll server three times ("internal error"): vkbottle asks for it
    # outside its retry loop, so without a retry of our own the bot would stop right there
    h.emu.fail_method("groups.getLongPollServer", 10, times=3)
    await restart_app(h)
    replies = await h.say(930, "/help")
    assert replies and h.polling is not None and not h.polling.done()


async def test_after_vk_hangs_rather_than_fails_the_first_replies_come_within_ten_seconds(live_harness: Harness):
    """VK holds every request for 4 s without answering (held ones never answer): the bot gives up on each call
    within 10 s, so people who wrote meanwhile and just after are answered soon after VK is back (20-37 s before)."""
    h = live_harness
    loop = asyncio.get_running_loop()
    before = {uid: len(h.emu.delivered(uid)) for uid in (995, 996)}
    h.emu.hang(4.0)
    h.emu.say(995, "/help")  # during the hang: its reply's send is held
    await asyncio.sleep(4.0)
    recovered = loop.time()
    h.emu.say(996, "/help")  # just after
    waiting = {995, 996}
    while waiting and loop.time() - recovered < 15.0:
        await asyncio.sleep(0.1)
        waiting = {uid for uid in waiting if len(h.emu.delivered(uid)) <= before[uid]}
    took = loop.time() - recovered
    assert not waiting, f"not answered within 15 s of recovery: {sorted(waiting)}"
    assert took < 12.0, took
    assert h.app.handler_errors == []
