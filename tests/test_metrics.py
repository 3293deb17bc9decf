"""GET /metrics after a small journey shows what happened, counted once each; GET /healthz fails while the database
cannot be written or the messenger refuses the token, and recovers with it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import aiohttp

from bot.web import WebServer
from testkit.harness import register


def _value(text: str, name: str, **labels: str) -> float:
    """One sample of the exposition; 0 when it is absent (a counter never touched is not written)."""
    for line in text.splitlines():
        m = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if m and dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or "")) == labels:
            return float(m.group(2))
    return 0.0


async def _read_only(h, on: bool) -> None:
    """The database refuses writes (a read-only file; PostgreSQL: a read-only session, as on a standby)."""
    if h.app.db.engine == "postgres":
        await h.app.db.conn.execute(f"SET default_transaction_read_only = {'on' if on else 'off'}")
    else:
        await h.app.db.conn.execute(f"PRAGMA query_only = {'ON' if on else 'OFF'}")


async def test_metrics_count_a_journey_and_healthz_follows_the_database(harness_on) -> None:
    h = harness_on
    h.clock.now = datetime(2023, 10, 18, 6, 0, tzinfo=UTC)
    web = WebServer("127.0.0.1:0", h.app.health, h.app.metrics_text)
    await web.start()
    base = f"http://127.0.0.1:{web.port}"
    try:
        await register(h, 701, "organization", "6624000001")  # one update: the code
        await h.say(701, "/report")
        await h.say(701, "25")
        await h.say(701, "20")
        await h.press(701, "Отправить")
        await h.say(701, "/report")  # nothing left to send: still an update, handled
        await h.app.services.jobs.tick(h.clock())
        await h.settle()
        delivered = len(h.emu.delivered(701))
        async with aiohttp.ClientSession() as s:
            async with s.get(base + "/metrics") as r:
                assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
                text = await r.text()
        assert _value(text, "sferum_updates_total", messenger="vk", outcome="handled") == 6, text
        assert _value(text, "sferum_updates_total", messenger="vk", outcome="failed") == 0
        assert _value(text, "sferum_handler_seconds_count", messenger="vk") == 6
        assert _value(text, "sferum_messages_sent_total", messenger="vk") == delivered > 0
        assert _value(text, "sferum_outbox_depth", messenger="vk") == 0
        if h.app.db.engine == "postgres":  # the lease is `run`'s to take (bot/cli.py): until then a standby's 0
            assert _value(text, "sferum_lease_held", lease="instance", holder=h.app.instance) == 0
            assert await h.app.db.take_lease(h.app.instance)
            async with aiohttp.ClientSession() as s, s.get(base + "/metrics") as r:
                text = await r.text()
        assert _value(text, "sferum_lease_held", lease="instance", holder=h.app.instance) == 1

        # the same update delivered again (VK's long poll after a lost ts) is counted as a duplicate, not again
        h.emu.lp_events.append(h.emu.lp_events[-1])
        await h.settle()
        async with aiohttp.ClientSession() as s, s.get(base + "/metrics") as r:
            again = await r.text()
        assert _value(again, "sferum_updates_total", messenger="vk", outcome="handled") == 6
        assert _value(again, "sferum_updates_total", messenger="vk", outcome="duplicate") == 1, again

        # a database that cannot be written: /healthz fails, and recovers when it can again
        async with aiohttp.ClientSession() as s:
            async with s.get(base + "/healthz") as r:
                assert r.status == 200 and await r.text() == "ok"
            await _read_only(h, True)
            async with s.get(base + "/healthz") as r:
                assert r.status == 503 and (await r.text()).startswith("database:")
            await _read_only(h, False)
            async with s.get(base + "/healthz") as r:
                assert r.status == 200
            # a token VK refuses (error 5 at the last send) fails it too, until a send goes through
            assert h.app.vk is not None
            h.app.vk.sender.refusal = 5
            async with s.get(base + "/healthz") as r:
                assert r.status == 503 and await r.text() == "VK refuses the token: error 5"
            await h.say(701, "/whoami")
            async with s.get(base + "/healthz") as r:
                assert r.status == 200
    finally:
        await web.stop()
