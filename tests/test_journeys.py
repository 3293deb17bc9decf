"""The journeys of the bot's people, each run once on VK and once on MAX (one installation serves both): nothing
in services asks which messenger a person writes from; only the adapters differ. Each runs on SQLite and on
PostgreSQL (one set of repositories serves both)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.max.side import MaxSide
from bot.views.message import Outgoing, Reply
from bot.words import texts
from testkit.harness import start_harness, stop_harness
from testkit.journey import MaxDriver, VkDriver, register

SCHOOL = "6624000001"  # МАОУ СОШ № 1 of the demo directory (40 staff)


@pytest.fixture(params=["vk", "max"])
async def journey(request, tmp_path, schema, engine):
    h = await start_harness(tmp_path, schema, with_max=request.param == "max", db_url=engine)
    driver = VkDriver(h) if request.param == "vk" else MaxDriver(h)
    try:
        yield driver
        assert not h.app.handler_errors, h.app.handler_errors
        if h.max_emu is not None:  # every button a MAX person saw in the journey was drawn whole
            assert h.max_emu.labels_cut == [], h.max_emu.labels_cut
    finally:
        await stop_harness(h)


async def muni_id(d) -> str:
    return str((await d.h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)


async def test_register_report_and_status(journey) -> None:
    d = journey
    greeting = await d.say(501, "Здравствуйте")
    assert "код приглашения" in greeting[-1].text
    await register(d, 501, "organization", SCHOOL)
    asked = await d.say(501, "/report")
    assert "Вопрос 1 из 2" in asked[-1].text
    await d.say(501, "40")
    check = await d.say(501, "30")
    assert "Проверьте ответы" in check[-1].text and texts.BTN_SEND in check[-1].labels
    done = await d.press(501, texts.BTN_SEND)
    assert done[-1].text.startswith("Отчёт принят") and "30 из 40 — 75,0\u00a0%" in done[-1].text
    await register(d, 502, "municipality", await muni_id(d), "Ольга", "Смирнова")
    status = await d.say(502, "/status")
    assert "Сдали: 1 из 20 организаций (5,0\u00a0%)." in status[-1].text
    assert status[-1].labels[:2] == ["Кто не сдал", "Пункты"]
    who = await d.press(502, "Кто не сдал")
    assert "не сдали 19 из 20" in who[-1].text and "   – МАОУ СОШ № 1\n" not in who[-1].text


async def test_a_reminder_goes_where_the_admin_registered(journey) -> None:
    d = journey
    await register(d, 511, "organization", SCHOOL)
    await d.h.app.services.jobs.run_job("form-reminders", datetime(2023, 10, 20, 5, 0, tzinfo=UTC))
    await d.h.settle()
    seen = d.seen(511) if isinstance(d, VkDriver) else d.seen_of(511)
    reminder = seen[-1]
    assert reminder.text.startswith("Напоминание: отчёт") and texts.REMIND_FORM_BUTTON in reminder.labels
    form = await d.press(511, texts.REMIND_FORM_BUTTON)
    assert "Вопрос 1 из 2" in form[-1].text
    # the job run again sends nothing twice
    await d.h.app.services.jobs.run_job("form-reminders", datetime(2023, 10, 20, 5, 0, tzinfo=UTC))
    await d.h.settle()
    again = d.seen(511) if isinstance(d, VkDriver) else d.seen_of(511)
    assert sum(1 for m in again if m.text.startswith("Напоминание: отчёт")) == 1


async def test_a_bound_chat_gets_the_summary(journey) -> None:
    d = journey
    await register(d, 521, "municipality", await muni_id(d), "Ольга", "Смирнова")
    chat = await d.add_chat([521, 522])
    bound = await d.say(521, "/bind", chat=chat)
    assert bound[-1].text.startswith("Беседа привязана")
    await d.h.app.services.jobs.run_job("summaries", datetime(2023, 10, 20, 13, 0, tzinfo=UTC))
    await d.h.settle()
    seen = d.seen(chat) if isinstance(d, VkDriver) else d.seen_of(chat=chat)
    summaries = [m for m in seen if m.text.startswith("Сводка «Еженедельный мониторинг Сферума»")]
    assert len(summaries) == 1 and summaries[0].files == 1  # with its chart
    assert "Кто не сдал" in summaries[0].labels
    who = await d.press(521, "Кто не сдал", chat=chat)
    assert who[-1].text.startswith("Кто не сдал — Нижнетуринский ГО")
    # someone else in the chat is told whose summary it is, not shown it
    other = await d.press(522, "Пункты", chat=chat)
    assert other[-1].text == texts.CHAT_STATUS_NOT_YOURS


async def test_a_bot_removed_from_the_chat_tells_its_coordinators_and_keeps_the_binding(journey) -> None:
    """Someone removes the bot from the bound chat: its coordinators hear it privately, the chat is marked unreachable
    (nothing is unbound); added back, the chat is reachable again and the welcome says how to address the bot."""
    d = journey
    await register(d, 531, "municipality", await muni_id(d), "Ольга", "Смирнова")
    chat = await d.add_chat([531, 532])
    assert (await d.say(531, "/bind", chat=chat))[-1].text.startswith("Беседа привязана")
    ours = await d.person_id_of(531)
    before = len(d.seen(531) if isinstance(d, VkDriver) else d.seen_of(531))
    if isinstance(d, VkDriver):
        d.h.emu.remove_community(chat, 532)
        our_chat = chat
    else:
        d.emu.remove_bot(chat, 532)
        our_chat = await d.h.app.repos.max_accounts.chat(chat)
    await d.h.settle()
    told = (d.seen(531) if isinstance(d, VkDriver) else d.seen_of(531))[before:]
    assert [m.text for m in told] == [texts.CHAT_LEFT.format(
        scope="муниципалитет: Нижнетуринский ГО", how="" if isinstance(d, VkDriver) else texts.CHAT_LEFT_MAX)]
    assert our_chat in await d.h.app.repos.outbox.unreachable([our_chat])
    assert await d.h.app.repos.chats.get(our_chat) is not None  # the binding stays
    assert ours not in await d.h.app.repos.outbox.unreachable([ours])
    if isinstance(d, VkDriver):
        d.h.emu.add_community(chat, 531)
    else:
        d.emu.add_bot_back(chat)
    await d.h.settle()
    assert await d.h.app.repos.outbox.unreachable([our_chat]) == {}
    seen = d.seen(chat) if isinstance(d, VkDriver) else d.seen_of(chat=chat)
    welcome = seen[-1].text
    assert welcome.endswith(texts.CHAT_WELCOME_VK if isinstance(d, VkDriver) else texts.CHAT_WELCOME_MAX), welcome


async def test_a_broadcast_survives_a_crash(journey) -> None:
    """30 reminders; the sender is killed in the middle of the broadcast and a new one on the same database delivers
    the rest: every admin has exactly one reminder. VK: the row's random_id makes VK drop a repeat. MAX (no
    random_id): five sends are also taken by MAX with their answers lost on the way, and the lost ones are found in
    the chat's history instead of being sent again (without that look the test fails: each would come twice)."""
    import asyncio

    from bot.max.sender import MaxSender
    from bot.vk.sender import Sender

    d = journey
    h = d.h
    orgs = [o.id for o in await h.app.repos.directory.organizations_of_municipality(int(await muni_id(d)))]
    admins = []
    for n, org in enumerate(orgs):
        for _ in range(2 if n < 10 else 1):  # 30 admins over 20 organizations
            user = 800 + len(admins)
            await register(d, user, "organization", org)
            admins.append(user)

    def reminders(user: int) -> int:
        seen = d.seen(user) if isinstance(d, VkDriver) else d.seen_of(user)
        return sum(1 for m in seen if m.text.startswith("Напоминание"))

    def delivered_total() -> int:
        return len(h.max_emu.sent) if isinstance(d, MaxDriver) else sum(len(h.emu.delivered(u)) for u in admins)

    start = delivered_total()
    if isinstance(d, MaxDriver):
        h.max_emu.lose_answers = 5
    await h.app.services.jobs.run_job("form-reminders", datetime(2023, 10, 20, 5, 0, tzinfo=UTC))
    sender = h.app.max.sender if isinstance(d, MaxDriver) else h.app.sender
    draining = asyncio.create_task(sender.drain(30))
    while delivered_total() < start + 12 and not draining.done():  # noqa: ASYNC110 - no event to wait on
        await asyncio.sleep(0.002)
    draining.cancel()  # killed mid-broadcast, sends in flight
    await asyncio.gather(draining, return_exceptions=True)
    if isinstance(d, MaxDriver):
        fresh = MaxSender(h.app.repos.outbox, h.app.max.api, h.app.repos.max_accounts)
        assert await fresh.drain(60)
        assert sender.duplicates_avoided + fresh.duplicates_avoided >= 5  # the lost answers were looked for
    else:
        assert await Sender(h.app.repos.outbox, h.app.api).drain(60)
    got = {u: reminders(u) for u in admins}
    assert set(got.values()) == {1}, {u: n for u, n in got.items() if n != 1}
    assert await h.app.repos.outbox.pending_count() == 0


async def test_one_installation_serves_both_messengers(tmp_path, schema) -> None:
    """A school's admin in VK and another school's in MAX; a coordinator with a VK chat and a MAX chat bound to the
    same municipality: each reminder goes where its admin registered, both chats get the summary."""
    h = await start_harness(tmp_path, schema, with_max=True)
    vk, mx = VkDriver(h), MaxDriver(h)
    try:
        muni = await muni_id(vk)
        await register(vk, 531, "organization", SCHOOL)
        await register(mx, 531, "organization", "6624000002")  # the same number in MAX is another person
        await register(vk, 532, "municipality", muni, "Ольга", "Смирнова")
        await register(mx, 532, "municipality", muni, "Ольга", "Смирнова")
        vk_chat = await vk.add_chat([532])
        mx_chat = await mx.add_chat([532])
        assert (await vk.say(532, "/bind", chat=vk_chat))[-1].text.startswith("Беседа привязана")
        assert (await mx.say(532, "/bind", chat=mx_chat))[-1].text.startswith("Беседа привязана")
        await h.app.services.jobs.run_job("form-reminders", datetime(2023, 10, 20, 5, 0, tzinfo=UTC))
        await h.settle()
        vk_reminders = [m for m in vk.seen(531) if m.text.startswith("Напоминание")]
        mx_reminders = [m for m in mx.seen_of(531) if m.text.startswith("Напоминание")]
        assert len(vk_reminders) == 1 and "МАОУ СОШ № 1" in vk_reminders[0].text
        assert len(mx_reminders) == 1 and "МАОУ СОШ № 2" in mx_reminders[0].text
        await h.app.services.jobs.run_job("summaries", datetime(2023, 10, 20, 13, 0, tzinfo=UTC))
        await h.settle()
        for seen in (vk.seen(vk_chat), mx.seen_of(chat=mx_chat)):
            assert sum(1 for m in seen if m.text.startswith("Сводка «Еженедельный мониторинг Сферума»")) == 1
        # the roles are per messenger: the VK admin's MAX namesake sees their own school only
        own = await mx.say(531, "/status")
        assert own[-1].text.startswith("МАОУ СОШ № 2")
    finally:
        await stop_harness(h)


async def test_run_job_without_the_max_token_still_queues_max_messages(tmp_path, schema) -> None:
    """`run-job` without --send has no tokens: the MAX admin's reminder must still be queued in MAX's shape (found in
    the bench: it was queued as a VK message, and the running bot's MAX sender could only refuse it)."""
    from bot.app import build_app

    h = await start_harness(tmp_path, schema, with_max=True)
    d = MaxDriver(h)
    try:
        await register(d, 541, "organization", SCHOOL)
        job_app = await build_app(h.app.config, "", schedule=False)  # as `python -m bot run-job` builds it
        try:
            assert job_app.max is None and "max" in job_app.messengers.adapters
            assert await job_app.services.jobs.run_job("form-reminders", datetime(2023, 10, 20, 5, 0, tzinfo=UTC)) == 1
        finally:
            await job_app.close()
        await h.settle()  # the running bot's MAX sender delivers it
        reminder = d.seen_of(541)[-1]
        assert reminder.text.startswith("Напоминание") and texts.REMIND_FORM_BUTTON in reminder.labels
    finally:
        await stop_harness(h)


async def test_a_max_only_installation(tmp_path) -> None:
    """No [vk] at all: the bot serves MAX alone (`python -m bot run` with MAX_TOKEN), the same journeys."""
    import asyncio

    from bot.app import build_app
    from bot.config import AccessSection, Config, MaxSection, StorageSection
    from maxemu.emulator import Emulator as MaxEmulator
    from maxemu.server import MaxEmulatorServer
    from testkit.harness import DEMO_CSV, NTGO_ROADMAP

    emu = MaxEmulator(token="only-max")
    async with MaxEmulatorServer(emu) as server:
        config = Config(max=MaxSection(api_url=server.api_url), storage=StorageSection(path=str(tmp_path / "b.sqlite3")),
                        access=AccessSection(owners=[1], max_owners=[552]))
        app = await build_app(config, "", max_token=emu.token, schedule=False, raise_errors=True)
        assert app.api is None and app.sender is None and app.max is not None
        stop = asyncio.Event()
        running = asyncio.create_task(app.run_polling(stop))
        try:
            await app.services.catalog.import_directory_file(DEMO_CSV)
            await app.services.catalog.load_roadmap_file(NTGO_ROADMAP)
            code, _ = await app.services.invites.create("organization", SCHOOL, None, app.clock())
            for _ in range(100):  # the bot's first long poll sets the marker
                if await app.repos.max_accounts.saved_marker() is not None:
                    break
                await asyncio.sleep(0.05)
            emu.say(551, code)

            async def answered(n: int) -> list:
                for _ in range(200):
                    if len(emu.delivered(user_id=551)) >= n:
                        return emu.delivered(user_id=551)
                    await asyncio.sleep(0.05)
                raise AssertionError([d.text for d in emu.delivered(user_id=551)])

            replies = await answered(2)  # the greeting for «Начать», then the code's answer
            assert replies[-1].text.startswith("Готово"), [r.text for r in replies]
            emu.say(551, "/status")
            status = (await answered(3))[-1]
            assert status.text.startswith("МАОУ СОШ № 1")
            emu.say(551, "/whoami")
            assert "MAX id: 551" in (await answered(4))[-1].text
            # the operator of a MAX-only installation is an owner by their MAX id ([access] max_owners)
            emu.say(552, "/whoami")
            for _ in range(200):
                if emu.delivered(user_id=552) and "MAX id: 552" in emu.delivered(user_id=552)[-1].text:
                    break
                await asyncio.sleep(0.05)
            assert "владелец" in emu.delivered(user_id=552)[-1].text, [d.text for d in emu.delivered(user_id=552)]
            assert not app.handler_errors
        finally:
            stop.set()
            await running
            await app.close()


async def test_max_updates_read_again_after_a_crash_are_handled_once(tmp_path, schema) -> None:
    """The marker is saved only after the updates before it are handled; a crash between the two means the updates
    come again on restart, and their "handled" marks (committed with the replies) drop them: nobody is answered twice."""
    h = await start_harness(tmp_path, schema, with_max=True)
    d = MaxDriver(h)
    try:
        await register(d, 561, "organization", SCHOOL)
        before_marker = await h.app.repos.max_accounts.saved_marker()
        await d.say(561, "/help")
        await d.say(561, "/whoami")
        replies = len(d.seen_of(561))
        await h.app.repos.max_accounts.save_marker(before_marker)  # as if the bot died before saving the marker
        old = h.app.max
        h.app.max = MaxSide(old.api, old.accounts, old.updates, old.messenger, old.sender, old.dispatcher)  # restart
        assert await h.app.max.pump() == 2  # the same two updates again
        assert len(d.seen_of(561)) == replies
    finally:
        await stop_harness(h)


async def test_a_coordinator_imports_figures_from_a_file(journey) -> None:
    """/template in the messenger, the filled workbook sent back as a file, the preview, «Применить»."""
    import io

    from openpyxl import load_workbook

    d = journey
    await register(d, 571, "municipality", await muni_id(d), "Ольга", "Смирнова")
    template = (await d.say(571, "/шаблон"))[-1]
    assert template.text.startswith("Шаблон для загрузки цифр — Нижнетуринский ГО") and template.files == 1
    book = load_workbook(io.BytesIO(d.file_bytes(template)))
    ws = book.worksheets[0]
    row = next(r for r in range(2, 22) if ws.cell(r, 1).value == SCHOOL)
    ws.cell(row, 4).value, ws.cell(row, 5).value = 40, 31
    buf = io.BytesIO()
    book.save(buf)
    preview = (await d.send_file(571, "шаблон.xlsx", buf.getvalue()))[-1]
    assert "новых отчётов 1" in preview.text and texts.BTN_APPLY in preview.labels
    done = (await d.press(571, texts.BTN_APPLY))[-1]
    assert done.text == "Записано из файла «шаблон.xlsx»: новых отчётов 1, изменённых 0."
    status = (await d.say(571, "/status"))[-1]
    assert "Сдали: 1 из 20 организаций" in status.text


async def test_max_refusals_for_now_are_waited_out(tmp_path, schema) -> None:
    """MAX answers 429 (too many requests) and 503 a few times: the reply still comes, once."""
    from maxemu.emulator import ApiError

    h = await start_harness(tmp_path, schema, with_max=True)
    d = MaxDriver(h)
    try:
        await register(d, 581, "organization", SCHOOL)
        before = len(d.seen_of(581))
        d.emu.fail_next = [ApiError(429, "too.many.requests", "Too many requests"),
                           ApiError(503, "service.unavailable", "Try later"),
                           ApiError(429, "too.many.requests", "Too many requests")]
        await d.say(581, "/whoami")
        got = d.seen_of(581)[before:]
        assert [m.text.splitlines()[1] for m in got] == ["MAX id: 581"], [m.text for m in got]
        assert not d.emu.fail_next  # every fault was met and waited out
    finally:
        await stop_harness(h)


async def test_a_refused_token_stops_max_sending_and_loses_no_one(tmp_path, schema) -> None:
    """MAX refuses the bot's token (403 verify.token, as it answers a revoked one) while reminders go out: nothing is
    given up, no person is marked unreachable (a 403 had been taken for «this person refused the bot», emptying the
    whole MAX outbox for good); once MAX takes the token again everything is delivered."""
    h = await start_harness(tmp_path, schema, with_max=True)
    d = MaxDriver(h)
    sender = h.app.max.sender
    try:
        for uid in (601, 602, 603):
            await register(d, uid, "organization", SCHOOL)
        ours = [await d.person_id_of(uid) for uid in (601, 602, 603)]
        before = {uid: len(d.seen_of(uid)) for uid in (601, 602, 603)}
        real = d.emu.token
        d.emu.token = "revoked"  # MAX no longer takes the bot's token
        sender.refusal_probe_s = 0.2
        await h.app.messengers.send_bulk([Outgoing(peer, Reply(f"Напоминание {n}"), f"t:{n}")
                                          for n, peer in enumerate(ours)])
        assert not await sender.drain(2)  # gives up waiting at once: nothing can go
        assert sender.refusal is not None and sender.refusal.code == "verify.token"
        assert await h.app.db.scalar("SELECT count(*) FROM outbox WHERE status = 'failed'") == 0
        assert await h.app.db.scalar("SELECT count(*) FROM unreachable") == 0
        d.emu.token = real
        import asyncio

        await asyncio.sleep(0.3)
        assert await sender.drain(10)
        assert sender.refusal is None
        for uid, n in zip((601, 602, 603), range(3), strict=True):
            assert [m.text for m in d.seen_of(uid)[before[uid]:]] == [f"Напоминание {n}"]
    finally:
        await stop_harness(h)


async def test_a_long_max_reply_arrives_in_order_within_the_per_chat_limit(tmp_path, schema) -> None:
    """A reply in four parts to one MAX person: its parts arrive in order and MAX never answers 429, though six
    workers send (two could have taken parts of one person at once, and the third in a second was refused)."""
    h = await start_harness(tmp_path, schema, with_max=True)
    h.max_emu.per_chat_per_second = h.app.max.sender.per_chat_per_second = 2  # MAX's own figure (the harness's is 100)
    d = MaxDriver(h)
    try:
        await register(d, 611, "organization", SCHOOL)
        peer = await d.person_id_of(611)
        before = len(d.seen_of(611))
        long_text = "\n".join(f"Строка {n:04d} " + "я" * 60 for n in range(200))  # about 14,000 characters
        await h.app.messengers.send(peer, Reply(long_text))
        assert await h.app.max.sender.drain(30)
        parts = [m.text for m in d.seen_of(611)[before:]]
        assert len(parts) >= 4 and "\n".join(parts).replace("\n\n", "\n") == long_text
        assert not [r for r in d.emu.rejected if r[0] == 429], d.emu.rejected
    finally:
        await stop_harness(h)


async def test_max_polling_reads_each_update_once_while_handlers_work(tmp_path, schema) -> None:
    """Found in the sandbox: every press was answered twice («Callback has already been answered») because the next
    poll started from the saved marker while the handler was still at work, so MAX gave the same update again. The
    real loop (`MaxSide.run`) now reads each update once; the marker is still saved only after handling."""
    import asyncio

    h = await start_harness(tmp_path, schema, with_max=True)
    d = MaxDriver(h)
    stop = asyncio.Event()
    try:
        await register(d, 591, "organization", SCHOOL)
        await d.say(591, "/menu")
        seen = len(d.seen_of(591))
        running = asyncio.create_task(h.app.max.run(stop))
        for label in ("Кто я", "Помощь", "Кто я"):
            message = next(m for m in reversed(d.emu.delivered(user_id=591)) if label in m.labels())
            d.emu.press(591, message.mid, next(b["payload"] for b in message.buttons() if b["text"] == label))
            for _ in range(200):
                if len(d.seen_of(591)) > seen:
                    break
                await asyncio.sleep(0.02)
            seen = len(d.seen_of(591))
        assert seen == len(d.seen_of(591)) and d.emu.rejected == [], d.emu.rejected
        assert sum(1 for call in d.emu.calls if call == ("POST", "/answers")) == 3
        stop.set()
        await asyncio.wait_for(running, 30)
        assert await h.app.repos.max_accounts.saved_marker() is not None
    finally:
        stop.set()
        await stop_harness(h)


async def test_an_invite_link_registers_in_one_tap(journey) -> None:
    """The coordinator's invite file carries, beside each code, a link that opens the bot with it — VK's
    vk.me/club<id>?ref=<code>, MAX's deep link max.ru/<bot>?start=<code>: a school admin opens it, presses
    «Начать» and is registered without typing the code. A link with anything else just opens the bot."""
    import io

    import openpyxl

    d = journey
    await register(d, 571, "municipality", await muni_id(d))
    made = (await d.say(571, "/invites"))[-1]
    assert "В файле есть и ссылки" in made.text
    rows = list(openpyxl.load_workbook(io.BytesIO(d.file_bytes(made))).active.iter_rows(values_only=True))
    column = next(n for n, title in enumerate(rows[0])
                  if title and title.startswith("Ссылка для " + ("MAX" if d.name == "max" else "ВКонтакте")))
    school = next(r for r in rows[1:] if r[1] == SCHOOL)
    link = school[column]
    assert link == (f"https://max.ru/{d.emu.bot_username}?start={school[3]}" if d.name == "max"
                    else f"https://vk.me/club{d.h.emu.group_id}?ref={school[3]}")
    assert (await d.open_link(572, link))[-1].text.startswith("Готово")
    assert (await d.h.app.services.access.actor(await d.person_id_of(572))).has("organization", SCHOOL)
    # a link that carries no code: the usual greeting, no «wrong code»
    plain = link.replace(school[3], "from-the-school-site")
    greeting = (await d.open_link(573, plain))[-1].text
    assert "код приглашения" in greeting and "не подошёл" not in greeting
    if d.name == "vk":  # «Начать» (and with it the ref) is only in a dialog not yet begun
        await d.say(575, "Здравствуйте")
        assert await d.open_link(575, link) == []
    with pytest.raises(ValueError):
        await d.open_link(574, link.replace(d.emu.bot_username if d.name == "max" else f"club{d.h.emu.group_id}",
                                            "another"))
