"""MAX by webhook, as production runs it: maxemu posts each update to the bot's own HTTP server with the secret;
the bot answers 200 once the update is handled and committed, refuses a request without the secret, and
setup-max makes the bot's subscriptions what config.toml says."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.app import build_app
from bot.cli import _subscriptions
from bot.config import AccessSection, Config, MaxSection, ServerSection, StorageSection
from bot.max.api import MaxApi
from maxemu.emulator import Emulator
from maxemu.server import MaxEmulatorServer
from testkit.harness import DEMO_CSV, NTGO_ROADMAP, OWNER
from testkit.waiting import wait_for

SECRET = "hook-secret_42"
PUBLIC = "https://bot.example.ru/max/hook"  # the proxy passes the path on to [server] listen


async def test_a_max_only_installation_served_by_webhook(tmp_path: Path) -> None:
    emu = Emulator(token="maxemu-token")
    server = await MaxEmulatorServer(emu, retry_s=0.2).start()
    config = Config(max=MaxSection(api_url=server.api_url, webhook_url=PUBLIC),
                    server=ServerSection(listen="127.0.0.1:0"),
                    storage=StorageSection(path=str(tmp_path / "bot.sqlite3")), access=AccessSection(owners=[OWNER]))
    now = datetime(2023, 10, 18, 6, 0, tzinfo=UTC)  # in the demo roadmap's weekly period to 20.10.2023
    app = await build_app(config, "", max_token=emu.token, max_webhook_secret=SECRET, schedule=False,
                          raise_errors=True, clock=lambda: now)
    await app.services.catalog.import_directory_file(DEMO_CSV)
    await app.services.catalog.load_roadmap_file(NTGO_ROADMAP)
    stop = asyncio.Event()
    running = asyncio.create_task(app.run_polling(stop))
    try:
        assert app.web is not None
        await wait_for(lambda: app.web.port != 0 and app.web._runner is not None)
        local = f"http://127.0.0.1:{app.web.port}/max/hook"
        async with aiohttp.ClientSession() as s:
            # a stranger posting an update without the secret is refused before anything is read
            async with s.post(local, json={"update_type": "bot_started", "timestamp": 1}) as r:
                assert r.status == 403
            async with s.get(f"http://127.0.0.1:{app.web.port}/healthz") as r:
                assert r.status == 200 and await r.text() == "ok"
        emu.subscriptions.append({"url": local, "secret": SECRET, "update_types": None, "time": 0, "version": None})
        # registration by the invite's deep link, then a report, then /status and a button under it
        code, _ = await app.services.invites.create("organization", "6624000001", None, now)
        emu.add_user(701, "Анна", "Петрова")
        emu.open_link(701, f"https://max.ru/{emu.bot_username}?start={code}")
        await wait_for(lambda: any(d.text.startswith("Готово") for d in emu.delivered(user_id=701)))
        emu.say(701, "/whoami")
        await wait_for(lambda: any("MAX id: 701" in d.text for d in emu.delivered(user_id=701)))
        # a report through the form's buttons and typed answers, then /status and a press under it
        emu.say(701, "/report")
        await wait_for(lambda: any("Вопрос 1 из 2" in d.text for d in emu.delivered(user_id=701)))
        emu.say(701, "25")
        await wait_for(lambda: any("Вопрос 2 из 2" in d.text for d in emu.delivered(user_id=701)))
        emu.say(701, "20")
        await wait_for(lambda: any("Проверьте ответы" in d.text for d in emu.delivered(user_id=701)))
        review = next(d for d in reversed(emu.delivered(user_id=701)) if "Проверьте ответы" in d.text)
        send = next(b for b in review.buttons() if b["text"] == "Отправить")
        emu.press(701, review.mid, send["payload"])
        await wait_for(lambda: any("Отчёт принят" in d.text for d in emu.delivered(user_id=701)))
        sub = await app.repos.reports.submission("6624000001", "ntgo-sferum-2023", "weekly", "2023-10-20")
        assert sub is not None and await app.repos.reports.figures(sub.id) == {"staff_total": 25, "staff_active": 20}
        before = len(emu.delivered(user_id=701))
        emu.say(701, "/status")  # the school's own card: its report sent, its figures
        await wait_for(lambda: len(emu.delivered(user_id=701)) > before)
        card = emu.delivered(user_id=701)[-1].text
        assert "МАОУ СОШ № 1" in card and "отчёт сдан" in card and "80,0" in card, card  # 20 of 25
        # a reminder to a school that has not reported, and its button opens the form
        code2, _ = await app.services.invites.create("organization", "6624000002", None, now)
        emu.add_user(702, "Сергей", "Кузнецов")
        emu.open_link(702, f"https://max.ru/{emu.bot_username}?start={code2}")
        await wait_for(lambda: any(d.text.startswith("Готово") for d in emu.delivered(user_id=702)))
        await app.services.jobs.run_job("form-reminders", datetime(2023, 10, 20, 5, 0, tzinfo=UTC))
        await wait_for(lambda: any(d.text.startswith("Напоминание: отчёт") for d in emu.delivered(user_id=702)))
        assert not any(d.text.startswith("Напоминание") for d in emu.delivered(user_id=701))  # 701 has reported
        reminder = next(d for d in emu.delivered(user_id=702) if d.text.startswith("Напоминание"))
        emu.press(702, reminder.mid, next(b for b in reminder.buttons() if b["text"] == "Сдать отчёт")["payload"])
        await wait_for(lambda: any("Вопрос 1 из 2" in d.text for d in emu.delivered(user_id=702)))
        # a coordinator binds the coordinators' chat (the bot made its admin); the scheduled summary comes there
        muni = (await app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0]
        code3, _ = await app.services.invites.create("municipality", str(muni.id), None, now)
        emu.add_user(703, "Ольга", "Смирнова")
        emu.open_link(703, f"https://max.ru/{emu.bot_username}?start={code3}")
        await wait_for(lambda: any(d.text.startswith("Готово") for d in emu.delivered(user_id=703)))
        chat = emu.add_chat([703], bot_admin=True)
        await wait_for(lambda: bool(emu.delivered(chat_id=chat)))  # the welcome
        emu.say(703, f"@{emu.bot_username} /bind", chat_id=chat)
        await wait_for(lambda: any(d.text.startswith("Беседа привязана") for d in emu.delivered(chat_id=chat)),
                       seen=lambda: [d.text[:60] for d in emu.delivered(chat_id=chat)])
        day = await app.services.jobs.events(datetime(2023, 10, 20, tzinfo=UTC), datetime(2023, 10, 21, tzinfo=UTC))
        summary_at = next(e.instant for e in day if e.kind == "form_summary")
        await app.services.jobs.run_job("summaries", summary_at)
        await wait_for(lambda: any(d.text.startswith("Сводка «Еженедельный") for d in emu.delivered(chat_id=chat)))
        assert emu.poll({"marker": "0"})["updates"] == []  # with a webhook set, a poller gets nothing
        assert all(status == 200 for _, status in server.webhook_posts), server.webhook_posts
        assert len(server.webhook_posts) == len(emu.updates)  # each delivered once: answered 200 first time
        assert app.handler_errors == []
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await app.close()
        await server.stop()


async def test_setup_max_makes_the_subscription_what_config_says(tmp_path: Path) -> None:
    emu = Emulator(token="maxemu-token")
    server = await MaxEmulatorServer(emu).start()
    api = MaxApi(emu.token, server.api_url, per_second=0)
    try:
        emu.subscriptions.append({"url": "https://old.example.ru/hook", "secret": None, "update_types": None,
                                  "time": 0, "version": None})
        said = await _subscriptions(api, PUBLIC, SECRET)
        assert [sub["url"] for sub in emu.subscriptions] == [PUBLIC] and emu.subscriptions[0]["secret"] == SECRET
        assert any("old.example.ru" in line for line in said)
        said = await _subscriptions(api, "", "")  # back to polling: nothing may starve the poller
        assert emu.subscriptions == [] and any("опросом" in line for line in said)
    finally:
        await api.close()
        await server.stop()
