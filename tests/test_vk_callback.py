"""VK by the Callback API, as production may run it: setup-community's check registers the bot's server, vkemu asks it
to confirm itself with the community's code and then posts every event with the secret; the bot answers "ok" once
an event is handled and committed, and refuses an event without the secret."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.app import build_app
from bot.config import AccessSection, Config, ServerSection, StorageSection, VkSection
from bot.vk.api import connect
from bot.vk.community import Callback, _callback_check
from testkit.harness import DEMO_CSV, NTGO_ROADMAP, OWNER
from testkit.waiting import wait_for
from vkemu import Emulator, EmulatorServer

SECRET = "cbSecret42"


async def test_vk_served_by_the_callback_api(tmp_path: Path, schema) -> None:
    emu = Emulator(schema, check_responses=True, strict=True)
    emu.community.longpoll_enabled = False  # nothing comes by the long poll: only the Callback API delivers
    server = await EmulatorServer(emu, retry_s=0.2).start()
    config = Config(vk=VkSection(group_id=emu.group_id, api_url=server.api_url, requests_per_second=20,
                                 callback_url="https://bot.example.ru/vk/callback"),
                    server=ServerSection(listen="127.0.0.1:0"),
                    storage=StorageSection(path=str(tmp_path / "bot.sqlite3")), access=AccessSection(owners=[OWNER]))
    now = datetime(2023, 10, 18, 6, 0, tzinfo=UTC)
    app = await build_app(config, emu.token, vk_callback_secret=SECRET, schedule=False, raise_errors=True,
                          clock=lambda: now)
    await app.services.catalog.import_directory_file(DEMO_CSV)
    await app.services.catalog.load_roadmap_file(NTGO_ROADMAP)
    stop = asyncio.Event()
    running = asyncio.create_task(app.run_polling(stop))
    api = connect(emu.token, server.api_url, 0)
    try:
        assert app.web is not None and app.vk is not None
        await wait_for(lambda: app.web.port != 0 and app.vk.confirmation != "")
        local = f"http://127.0.0.1:{app.web.port}/vk/callback"
        async with aiohttp.ClientSession() as s:  # an event without the secret is refused
            async with s.post(local, json={"type": "message_new", "group_id": emu.group_id, "object": {}}) as r:
                assert r.status == 403
        check = await _callback_check(api, emu.group_id, Callback(local, SECRET), fix=True)
        assert check.ok and check.changed
        await wait_for(lambda: emu.callback_servers[0]["status"] == "ok")  # the bot answered the right code
        code, _ = await app.services.invites.create("organization", "6624000001", None, now)
        emu.add_user(801, "Анна", "Петрова")
        emu.say(801, code)
        await wait_for(lambda: any(m.text.startswith("Готово") for m in emu.delivered(801)))
        emu.say(801, "/report")
        await wait_for(lambda: any("Вопрос 1 из 2" in m.text for m in emu.delivered(801)))
        for typed in ("25", "20", "Отправить"):
            before = len(emu.delivered(801))
            emu.say(801, typed)
            await wait_for(lambda: len(emu.delivered(801)) > before)  # noqa: B023
        assert "Отчёт принят" in emu.delivered(801)[-1].text
        # a reminder to a school that has not reported, and its button opens the form
        code2, _ = await app.services.invites.create("organization", "6624000002", None, now)
        emu.add_user(802, "Сергей", "Кузнецов")
        emu.say(802, code2)
        await wait_for(lambda: any(m.text.startswith("Готово") for m in emu.delivered(802)))
        await app.services.jobs.run_job("form-reminders", datetime(2023, 10, 20, 5, 0, tzinfo=UTC))
        await wait_for(lambda: emu.delivered(802)[-1].text.startswith("Напоминание: отчёт"))
        emu.press(802, "Сдать отчёт")
        await wait_for(lambda: "Вопрос 1 из 2" in emu.delivered(802)[-1].text)
        # a coordinator: /status and a button under it; then the coordinators' chat bound and its scheduled summary
        muni = (await app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0]
        code3, _ = await app.services.invites.create("municipality", str(muni.id), None, now)
        emu.add_user(803, "Ольга", "Смирнова")
        emu.say(803, code3)
        await wait_for(lambda: any(m.text.startswith("Готово") for m in emu.delivered(803)))
        emu.say(803, "/status")
        await wait_for(lambda: emu.delivered(803)[-1].text.startswith("Сводка"))
        emu.press(803, "Кто не сдал")
        await wait_for(lambda: emu.delivered(803)[-1].text.startswith("Кто не сдал"),
                       seen=lambda: emu.delivered(803)[-1].text[:60])
        chat = emu.add_chat([803])
        emu.say(803, f"{emu.mention()} /bind", peer_id=chat)
        await wait_for(lambda: any(m.text.startswith("Беседа привязана") for m in emu.delivered(chat)))
        day = await app.services.jobs.events(datetime(2023, 10, 20, tzinfo=UTC), datetime(2023, 10, 21, tzinfo=UTC))
        await app.services.jobs.run_job("summaries", next(e.instant for e in day if e.kind == "form_summary"))
        await wait_for(lambda: any(m.text.startswith("Сводка «Еженедельный") for m in emu.delivered(chat)))
        answers = [answer for kind, answer in server.callback_posts if kind != "confirmation"]
        assert answers and all(a == "ok" for a in answers), server.callback_posts  # each taken the first time
        assert app.handler_errors == []
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
        await app.close()
        await api.http_client.close()
        await server.stop()
