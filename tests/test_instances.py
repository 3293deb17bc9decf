"""Two instances on one PostgreSQL behind MAX's webhook, a round-robin proxy in front of them as an operator's
would be: both take updates — each claimed once, one person's one after the other — while only the lease holder
sends and runs the schedule. Twelve admins fill in their forms through both at once; every answer lands once,
every message is answered once, in order."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.app import build_app
from bot.config import AccessSection, Config, MaxSection, ServerSection, StorageSection
from maxemu.emulator import Emulator
from maxemu.server import MaxEmulatorServer
from testkit.harness import DEMO_CSV, NTGO_ROADMAP, OWNER
from testkit.waiting import wait_for

SECRET = "hook-secret_42"
PUBLIC = "https://bot.example.ru/max/hook"
SCHOOLS = [f"66240000{n:02d}" for n in range(1, 10)] + ["6624000010", "6624000011", "6624000012"]


async def proxy(ports: list[int]) -> tuple[web.AppRunner, int, list[int]]:
    """A round-robin reverse proxy: each POST to the next instance; `served` counts which took how many."""
    turn = itertools.cycle(range(len(ports)))
    served = [0] * len(ports)
    session = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.Response:
        n = next(turn)
        served[n] += 1
        async with session.post(f"http://127.0.0.1:{ports[n]}{request.path}", data=await request.read(),
                                headers={k: v for k, v in request.headers.items() if k.lower().startswith("x-")}) as r:
            return web.Response(status=r.status, body=await r.read())

    app = web.Application()
    app.router.add_post("/{tail:.*}", forward)
    app.on_cleanup.append(lambda _: session.close())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1], served  # type: ignore[union-attr]


async def test_two_instances_behind_the_webhook_share_the_updates(tmp_path: Path, pg_server, monkeypatch) -> None:
    # the invite key every instance shares (each would otherwise make its own beside its own path: a code issued
    # through one would be unknown to the other)
    monkeypatch.setenv("BOT_SECRET", "one-key-for-every-instance")
    url = pg_server.new_database("instances")
    emu = Emulator(token="maxemu-token")
    server = await MaxEmulatorServer(emu, retry_s=0.2).start()
    now = datetime(2023, 10, 18, 6, 0, tzinfo=UTC)
    apps = []
    for n in range(2):
        config = Config(max=MaxSection(api_url=server.api_url, webhook_url=PUBLIC),
                        server=ServerSection(listen="127.0.0.1:0"),
                        storage=StorageSection(path=str(tmp_path / f"i{n}" / "bot.sqlite3"), url=url),
                        access=AccessSection(owners=[OWNER]))
        apps.append(await build_app(config, "", max_token=emu.token, max_webhook_secret=SECRET, schedule=False,
                                    raise_errors=True, clock=lambda: now))
    holder, standby = apps
    await holder.services.catalog.import_directory_file(DEMO_CSV)
    await holder.services.catalog.load_roadmap_file(NTGO_ROADMAP)
    stop = asyncio.Event()
    assert await holder.db.take_lease(holder.instance) and not await standby.db.take_lease(standby.instance)
    running = asyncio.create_task(holder.run_polling(stop))  # the holder: web, sender
    assert standby.web is not None and holder.web is not None
    await standby.web.start()  # the standby: updates only (bot/cli.py `_serve` on PostgreSQL)
    await wait_for(lambda: holder.web._runner is not None and holder.web.port != 0)
    runner, port, served = await proxy([holder.web.port, standby.web.port])
    try:
        emu.subscriptions.append({"url": f"http://127.0.0.1:{port}/max/hook", "secret": SECRET, "update_types": None,
                                  "time": 0, "version": None})
        users = list(range(801, 801 + len(SCHOOLS)))
        for uid, school in zip(users, SCHOOLS, strict=True):
            code, _ = await holder.services.invites.create("organization", school, None, now)
            emu.add_user(uid, "Админ", str(uid))
            emu.open_link(uid, f"https://max.ru/{emu.bot_username}?start={code}")
        await wait_for(lambda: all(any(d.text.startswith("Готово") for d in emu.delivered(user_id=u)) for u in users),
                       seen=lambda: ([len(emu.delivered(user_id=u)) for u in users], served, server.webhook_posts[-5:],
                                     holder.handler_errors, standby.handler_errors))

        async def fill(uid: int) -> None:
            for text, marker in (("/report", "Вопрос 1 из 2"), (str(uid - 700), "Вопрос 2 из 2"),
                                 (str(uid - 780), "Проверьте ответы")):
                emu.say(uid, text)
                await wait_for(lambda marker=marker: any(marker in d.text for d in emu.delivered(user_id=uid)))
            review = next(d for d in reversed(emu.delivered(user_id=uid)) if "Проверьте ответы" in d.text)
            emu.press(uid, review.mid, next(b for b in review.buttons() if b["text"] == "Отправить")["payload"])
            await wait_for(lambda: any("Отчёт принят" in d.text for d in emu.delivered(user_id=uid)))

        await asyncio.gather(*(fill(uid) for uid in users))
        assert min(served) > len(users), served  # both instances took updates
        for uid, school in zip(users, SCHOOLS, strict=True):
            sub = await holder.repos.reports.submission(school, "ntgo-sferum-2023", "weekly", "2023-10-20")
            assert sub is not None and await holder.repos.reports.figures(sub.id) == {
                "staff_total": uid - 700, "staff_active": uid - 780}
            texts = [d.text for d in emu.delivered(user_id=uid)]
            steps = ("Готово", "Вопрос 1 из 2", "Вопрос 2 из 2", "Проверьте ответы", "Отчёт принят")
            order = [[i for i, t in enumerate(texts) if m in t] for m in steps]
            assert all(len(found) == 1 for found in order), texts  # each answered once
            assert [found[0] for found in order] == sorted(found[0] for found in order), texts  # in order
        assert all(status == 200 for _, status in server.webhook_posts)
        assert len(server.webhook_posts) == len(emu.updates)  # each update answered 200 the first time
        # the standby sent nothing itself: every reply went out through the holder's sender
        assert standby.metrics.sent.labels("max")._value.get() == 0
        assert holder.handler_errors == [] and standby.handler_errors == []
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await runner.cleanup()
        await standby.web.stop()
        await holder.close()
        await standby.close()
        await server.stop()
