"""Scheduled jobs end to end: reminders, summaries, items, grace window, idempotent re-runs."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.words import texts
from testkit.harness import MOSCOW_SCHOOL, Harness, add_moscow_municipality, register

SCHOOL_1, SCHOOL_2 = "6624000001", "6624000002"


async def muni(h: Harness, name: str = "Нижнетуринский ГО") -> str:
    return str((await h.app.repos.directory.municipalities_by_name(name))[0].id)


async def run(h: Harness, job: str, at: datetime) -> int:
    queued = await h.app.services.jobs.run_job(job, at)
    await h.settle()
    return queued


async def test_form_reminders_in_two_time_zones_and_only_to_those_who_did_not_report(harness: Harness):
    h = harness
    await add_moscow_municipality(h)
    await register(h, 600, "organization", SCHOOL_1)
    await register(h, 601, "organization", SCHOOL_2)
    await register(h, 602, "organization", MOSCOW_SCHOOL)
    for typed in ("/report", "204", "179", texts.BTN_SEND):  # school 2 reports early
        await h.say(601, typed)
    before = {u: len(h.emu.delivered(u)) for u in (600, 601, 602)}
    # 10:00 in Yekaterinburg = 05:00 UTC: only the Yekaterinburg school that has not reported
    assert await run(h, "form-reminders", datetime(2023, 10, 20, 5, 0, tzinfo=UTC)) == 1
    new = {u: h.emu.delivered(u)[before[u]:] for u in (600, 601, 602)}
    assert [m.text.split("\n")[0] for m in new[600]] == [
        "Напоминание: отчёт «Еженедельный мониторинг Сферума» за период до 20.10.2023 нужно сдать сегодня, 20.10 — "
        "МАОУ СОШ № 1."]
    assert new[601] == [] and new[602] == []
    # 10:00 in Moscow = 07:00 UTC: the Moscow school
    assert await run(h, "form-reminders", datetime(2023, 10, 20, 7, 0, tzinfo=UTC)) == 1
    assert len(h.emu.delivered(602)) == before[602] + 1
    # the same instant again sends nothing new
    assert await run(h, "form-reminders", datetime(2023, 10, 20, 5, 0, tzinfo=UTC)) == 0
    assert len(h.emu.delivered(600)) == before[600] + 1
    # the reminder's button opens the form for that organization
    reply = (await h.press(600, texts.REMIND_FORM_BUTTON))[-1].text
    assert "МАОУ СОШ № 1" in reply and "Вопрос 1 из 2" in reply


async def test_tick_grace_window_and_idempotence(harness: Harness):
    h = harness
    await register(h, 610, "organization", SCHOOL_1)
    jobs = h.app.services.jobs
    await h.app.repos.jobs.set_last_tick(datetime(2023, 10, 19, 20, 0, tzinfo=UTC))
    # the bot was down all morning; it starts at 09:00 UTC (14:00 local). The day's one reminder went at the form's
    # first time, 10:00 (05:00 UTC), with the 15:00 one and item 8's reminder (a week before the first school
    # quarter ends on 27 October) folded into it: 4 hours late, inside the 6-hour grace window, it runs once
    result = await jobs.tick(datetime(2023, 10, 20, 9, 0, tzinfo=UTC))
    await h.settle()
    assert (result.ran, result.skipped) == (3, 0)
    reminders = [m for m in h.emu.delivered(610) if m.text.startswith("Напоминание")]
    assert len(reminders) == 1
    again = await jobs.tick(datetime(2023, 10, 20, 9, 1, tzinfo=UTC))
    await h.settle()
    assert (again.ran, again.skipped, again.queued) == (0, 0, 0)
    assert len([m for m in h.emu.delivered(610) if m.text.startswith("Напоминание")]) == 1
    # down from the evening before until 12:00 UTC (17:00 local): the day's reminder is 7 hours old and skipped
    await h.app.repos.jobs.set_last_tick(datetime(2023, 10, 26, 20, 0, tzinfo=UTC))
    late = await jobs.tick(datetime(2023, 10, 27, 12, 0, tzinfo=UTC))
    assert late.ran == 0 and late.skipped >= 2 and late.queued == 0


async def test_summary_fires_to_the_bound_chat_with_exact_figures(harness: Harness):
    h = harness
    await register(h, 620, "organization", SCHOOL_1)
    await register(h, 621, "organization", SCHOOL_2)
    await register(h, 622, "municipality", await muni(h), "Ольга", "Смирнова")
    chat = h.emu.add_chat([622])
    await h.settle()  # the bot welcomes the chat it was added to
    await h.say(622, "[club1|@club1] /bind", peer_id=chat)
    for user, (total, active) in ((620, (204, 179)), (621, (40, 10))):
        for typed in ("/report", str(total), str(active), texts.BTN_SEND):
            await h.say(user, typed)
    before = len(h.emu.delivered(chat))
    await run(h, "summaries", datetime(2023, 10, 20, 13, 0, tzinfo=UTC))  # 18:00 local
    summary = h.emu.delivered(chat)[before:]
    assert len(summary) == 1
    text = summary[0].text
    assert text.startswith("Сводка «Еженедельный мониторинг Сферума» за период до 20.10.2023 — Нижнетуринский ГО")
    assert "Сдали: 2 из 20 организаций (10,0\u00a0%)" in text
    # (179 + 10) / (204 + 40) = 77.459 %
    assert "Педагоги, написавшие не менее 10 сообщений за неделю: 77,5\u00a0% (цель 100\u00a0%)" in text
    assert "Сотрудники УО и МКУ «ИМЦ», написавшие не менее 10 сообщений за неделю: данных нет" in text
    assert "Не сдали: МАУ ДО «ДЮСШ», МАУ ДО «Центр детского творчества», МКУ «Информационно-методический центр» " \
        "и ещё 15" in text
    assert summary[0].attachments and summary[0].labels()[:2] == ["Кто не сдал", "Пункты"]  # chart and buttons
    who = (await h.press(622, "Кто не сдал", peer_id=chat))[-1].text
    assert "не сдали 18 из 20" in who and "   – МАОУ СОШ № 3" in who and "   – МАОУ СОШ № 1\n" not in who
    before += 1
    # a report sent after the summary is late, and the summary is not posted twice
    await run(h, "summaries", datetime(2023, 10, 20, 13, 0, tzinfo=UTC))
    assert len(h.emu.delivered(chat)) == before + 1


async def test_item_reminders_confirmation_and_overdue(harness: Harness):
    h = harness
    await register(h, 630, "organization", SCHOOL_1)
    await register(h, 631, "organization", SCHOOL_2)
    await register(h, 632, "municipality", await muni(h), "Ольга", "Смирнова")
    # item 3 (municipality and organizations, due Tuesday 31 October 2023): 3 days before = Sat 28 -> Fri 27,
    # which is 4 days before the due day and says so. A Friday: it goes with the weekly form's reminder at 10:00
    h.clock.now = datetime(2023, 10, 27, 5, 0, tzinfo=UTC)
    await run(h, "item-reminders", datetime(2023, 10, 27, 5, 0, tzinfo=UTC))  # 10:00 local
    reminder = [m for m in h.emu.delivered(630) if "пункт 3 " in m.text]
    assert len(reminder) == 1 and "срок во вторник, 31.10." in reminder[0].text
    assert reminder[0].labels() == [texts.ITEM_DONE_BUTTON] and reminder[0].keyboard["inline"]
    # the municipality is responsible too; its coordinator's item 8 is due that day: one message for both
    told = h.emu.delivered(632)[-1]
    assert told.text.startswith("Напоминание на сегодня, 27.10:") and "\nп. 3 «" in told.text, told.text
    assert "\nп. 8 «" in told.text and told.labels() == ["✓ п. 8", "✓ п. 3"]
    # the school presses "Выполнено" (a callback button): asked first, marked on «Да, выполнено»
    await h.press(630, texts.ITEM_DONE_BUTTON)
    assert h.emu.event_answers[-1]["user_id"] == 630
    asked = h.emu.delivered(630)[-1]
    assert asked.text.startswith("Отметить пункт 3") and asked.labels() == [texts.BTN_ITEM_YES, texts.BTN_ITEM_NO]
    await h.press(630, texts.BTN_ITEM_YES)
    assert h.emu.delivered(630)[-1].text.startswith("Отмечено: пункт 3")
    # and it can be undone, then marked again
    await h.press(630, texts.BTN_ITEM_UNDO)
    assert h.emu.delivered(630)[-1].text.startswith("Отметка снята: пункт 3")
    assert await h.app.repos.items.confirmation("ntgo-sferum-2023", "3", "2023-10-31", "organization", SCHOOL_1) is None
    await h.press(630, texts.ITEM_DONE_BUTTON)
    await h.press(630, texts.BTN_ITEM_YES)
    assert h.emu.delivered(630)[-1].text.startswith("Отмечено: пункт 3")
    # a forged press for the other school is refused
    h.emu.callback(630, {"cmd": "item", "rm": "ntgo-sferum-2023", "item": "3", "occ": "2023-10-31",
                         "role": "organization", "scope": SCHOOL_2})
    await h.settle()
    assert h.emu.delivered(630)[-1].text == texts.ITEM_NOT_YOURS
    # the due-day reminder goes only to those who have not confirmed
    before = len([m for m in h.emu.delivered(630) if "пункт 3 " in m.text])
    await run(h, "item-reminders", datetime(2023, 10, 31, 4, 0, tzinfo=UTC))
    assert len([m for m in h.emu.delivered(630) if "пункт 3 " in m.text]) == before
    assert any("— срок сегодня, 31.10." in m.text for m in h.emu.delivered(631))
    # the next working day (Wednesday 1 November) the coordinator hears who has not confirmed
    await run(h, "overdue", datetime(2023, 11, 1, 4, 0, tzinfo=UTC))
    notice = [m.text for m in h.emu.delivered(632) if m.text.startswith("Просрочен пункт 3")]
    assert len(notice) == 1 and "МАОУ СОШ № 2" in notice[0] and "МАОУ СОШ № 1;" not in notice[0]


async def test_item_with_link_evidence_and_items_list(harness: Harness):
    h = harness
    await register(h, 640, "organization", SCHOOL_1)
    h.clock.now = datetime(2023, 9, 25, 6, 0, tzinfo=UTC)
    listing = (await h.say(640, "/items"))[-1]
    assert listing.text.startswith(texts.ITEMS_HEAD) and "п. 2 «Создание сетевых сообществ" in listing.text
    assert "срок 30.09.2023" in listing.text
    # the line and its button carry the roadmap's own number: «п. 2» under «✓ п. 2»
    listed = [line.split(" «", 1)[0] for line in listing.text.splitlines() if line.startswith("п. ")]
    assert [f"✓ {mark}" for mark in listed] == listing.labels()[:len(listed)]
    label = "✓ п. 2"
    assert (await h.press(640, label))[-1].text.startswith("Отметить пункт 2")
    assert (await h.press(640, texts.BTN_ITEM_NO))[-1].text == "Хорошо, пункт 2 не отмечен."
    await h.say(640, "/items")
    await h.press(640, label)
    ask = (await h.press(640, texts.BTN_ITEM_YES))[-1].text
    assert ask.startswith("Пункт 2 «Создание сетевых сообществ") and "ссылку" in ask
    assert await h.text(640, "не знаю") == texts.ITEM_BAD_LINK
    done = await h.text(640, "vk.com/club123")
    assert done.startswith("Отмечено: пункт 2")
    conf = await h.app.repos.items.confirmation("ntgo-sferum-2023", "2", "2023-09-30", "organization", SCHOOL_1)
    assert conf is not None and conf.evidence == "https://vk.com/club123" and conf.confirmed_by == 640
    assert "п. 2 «" not in (await h.say(640, "/items"))[-1].text


async def test_unreachable_people_are_recorded_and_cleared(harness: Harness):
    h = harness
    await register(h, 650, "organization", SCHOOL_1)
    h.emu.deny(650)
    await h.settle()
    assert await h.app.repos.outbox.unreachable([650]) == {650: 901}
    await run(h, "form-reminders", datetime(2023, 10, 20, 5, 0, tzinfo=UTC))
    failed = await h.app.db.fetchall("SELECT status, error_code FROM outbox WHERE peer_id = 650 "
                                     "AND dedup_key IS NOT NULL")
    assert [tuple(r) for r in failed] == [("failed", 901)]
    # the municipality's coordinator sees who does not receive the bot's messages
    await register(h, 651, "municipality", await muni(h), "Ольга", "Смирнова")
    status = await h.text(651, "/status")
    assert texts.SUMMARY_UNREACHABLE.format(n=1) in status
    who = (await h.press(651, "Кто не сдал"))[-1].text
    assert texts.STATUS_UNREACHABLE in who and "Анна Петрова (МАОУ СОШ № 1)" in who
    # ... but a group chat's members need not be registered: there nobody is named, asked or scheduled
    chat = h.emu.add_chat([651])
    await h.settle()  # the bot welcomes the chat it was added to
    await h.say(651, "[club1|@club1] /bind", peer_id=chat)
    in_chat = await h.text(651, "[club1|@club1] /status", peer_id=chat)
    assert "Сводка" in in_chat and "Анна Петрова" not in in_chat and texts.STATUS_UNREACHABLE not in in_chat
    await run(h, "summaries", datetime(2023, 10, 20, 13, 0, tzinfo=UTC))  # 18:00 in Yekaterinburg
    summary = h.emu.delivered(chat)[-1].text
    assert summary.startswith("Сводка") and "Анна Петрова" not in summary
    who = (await h.press(651, "Кто не сдал", peer_id=chat))[-1].text
    assert who.startswith("Кто не сдал") and "Анна Петрова" not in who and texts.STATUS_UNREACHABLE not in who
    h.emu.allow(650)
    await h.settle()
    assert await h.app.repos.outbox.unreachable([650]) == {}
    assert "Не получают сообщения бота" not in await h.text(651, "/status")
    h.clock.advance(days=7)
    await run(h, "form-reminders", datetime(2023, 10, 27, 5, 0, tzinfo=UTC))
    assert h.emu.delivered(650)[-1].text.startswith("Напоминание")


def test_a_deadline_is_said_from_the_readers_own_calendar() -> None:
    from datetime import date

    from bot.words.format import due_words

    assert due_words(date(2023, 12, 31), date(2023, 12, 31)) == "сегодня, 31.12"
    assert due_words(date(2023, 12, 31), date(2023, 12, 30)) == "завтра, 31.12"
    assert due_words(date(2023, 12, 31), date(2023, 12, 29)) == "в воскресенье, 31.12"
    assert due_words(date(2023, 10, 31), date(2023, 10, 27)) == "во вторник, 31.10"
    assert due_words(date(2023, 11, 10), date(2023, 10, 27)) == "до 10.11.2023"


async def test_a_reminder_moved_before_a_weekend_deadline_does_not_say_today(harness: Harness) -> None:
    """A period due on Sunday 31.12 is reminded on Friday 29.12 (the previous working day): «в воскресенье, 31.12»,
    not «сегодня»; and «сегодня» is the school's day, not UTC's (05:00 in Yekaterinburg is 00:00 UTC)."""
    from datetime import date

    from bot.domain.schedule import Event

    h = harness
    await register(h, 640, "organization", SCHOOL_1)
    m = int(await muni(h))
    friday = Event("form_reminder", datetime(2023, 12, 29, 5, 0, tzinfo=UTC), "ntgo-sferum-2023", "weekly",
                   date(2023, 12, 31), "municipality", m, "10:00")
    await h.app.services.jobs.run_events([friday])
    await h.settle()
    assert "нужно сдать в воскресенье, 31.12 — МАОУ СОШ № 1." in h.emu.delivered(640)[-1].text
    early = Event("form_reminder", datetime(2023, 12, 29, 19, 30, tzinfo=UTC), "ntgo-sferum-2023", "weekly",
                  date(2023, 12, 30), "municipality", m, "00:30")  # 00:30 on the 30th in Yekaterinburg
    await h.app.services.jobs.run_events([early])
    await h.settle()
    assert "нужно сдать сегодня, 30.12 — МАОУ СОШ № 1." in h.emu.delivered(640)[-1].text


async def test_holders_of_many_scopes_in_one_ask(harness: Harness) -> None:
    """A municipality's reminders ask who holds each school once (in chunks past SQLite's bound-parameter limit),
    and get what `holders` gives one by one."""
    people = harness.app.repos.people
    for person_id, org in ((650, SCHOOL_1), (651, SCHOOL_1), (652, SCHOOL_2)):
        await people.upsert_person(person_id, "Имя", "Фамилия")
        await people.grant(person_id, "organization", org)
    ids = [f"x{n}" for n in range(1200)] + [SCHOOL_2, SCHOOL_1]  # the schools past the first two chunks
    found = await people.holders_of("organization", ids)
    assert set(found) == {SCHOOL_1, SCHOOL_2}
    for org in (SCHOOL_1, SCHOOL_2):
        assert found[org] == await people.holders("organization", org)


async def test_a_days_reminders_are_one_message_with_a_button_for_each(harness: Harness) -> None:
    """An admin of two schools and an item due for one of them, all on Friday 27.10: one message at 10:00 — both
    reports, numbered, each school named, the item by its roadmap number — and each button does its own thing."""
    h = harness
    await register(h, 660, "organization", SCHOOL_1)
    await register(h, 660, "organization", SCHOOL_2)
    h.clock.now = datetime(2023, 10, 27, 5, 0, tzinfo=UTC)
    result = await h.app.services.jobs.tick(h.clock.now)
    await h.settle()
    assert result.queued >= 1
    got = [m for m in h.emu.delivered(660) if m.text.startswith("Напоминание")]
    assert len(got) == 1, [m.text for m in got]
    text = got[0].text
    assert text.startswith("Напоминание на сегодня, 27.10:\nОтчёты:\n"), text
    assert "1. «Еженедельный мониторинг Сферума» за период до 27.10.2023 — сдать сегодня, 27.10 — МАОУ СОШ № 1" in text
    assert "2. «Еженедельный мониторинг Сферума» за период до 27.10.2023 — сдать сегодня, 27.10 — МАОУ СОШ № 2" in text
    # item 3 (schools too, due Tuesday 31.10), once for each school: a letter tells them apart
    assert "\nп. 3а «" in text and "\nп. 3б «" in text and "срок во вторник, 31.10 — МАОУ СОШ № 1" in text
    assert got[0].labels() == ["Сдать отчёт 1", "Сдать отчёт 2", "✓ п. 3а", "✓ п. 3б"]
    # a second tick at the same moment sends nothing more
    assert (await h.app.services.jobs.tick(h.clock.now)).queued == 0
    # each button: the second school's report opens; the item asks before it marks
    opened = (await h.press(660, "Сдать отчёт 2"))[-1].text
    assert "МАОУ СОШ № 2" in opened and "Вопрос 1 из 2" in opened, opened
    await h.say(660, texts.BTN_CANCEL)
    asked = (await h.press(660, "✓ п. 3б"))[-1].text
    assert asked.startswith("Отметить пункт 3") and "МАОУ СОШ № 2" in asked, asked


async def test_the_tick_prunes_old_rows_every_six_hours_not_every_minute(harness: Harness) -> None:
    """Deleting what is past the retention period is a tick's job, but a few times a day: a minute's tick had run
    nine statements for it every time."""
    from datetime import timedelta

    jobs = harness.app.services.jobs
    calls = []
    real = jobs.retention_repo.prune

    async def counted(before):
        calls.append(before)
        return await real(before)

    jobs.retention_repo.prune = counted
    start = datetime(2023, 10, 2, 0, 0, tzinfo=UTC)
    for minute in range(0, 13 * 60, 10):  # thirteen hours of ticks
        await jobs.tick(start + timedelta(minutes=minute))
    assert len(calls) == 3  # at 00:00, 06:00 and 12:00
    assert calls[0] == start - jobs.retention
    await jobs.tick(start - timedelta(days=1))  # a clock set back prunes at once, rather than waiting
    assert len(calls) == 4


async def test_a_long_days_list_keeps_to_a_keyboard_and_offers_all_items(harness: Harness) -> None:
    """Twelve items due for one person on one day: the keyboard holds what VK allows under a message (ten buttons,
    six rows), the last one «Все пункты», which is pressed as a message (/items) and lists them."""
    from datetime import date

    from bot.services.jobs import _Due, reminder_list
    from bot.views.message import Button, Reply
    from bot.vk.keyboards import SCREEN as VK_SCREEN

    dues = [_Due(("item", "rm", str(n), date(2026, 10, 15), "organization", SCHOOL_1), f"k{n}", date(2026, 10, 15),
                 "МАОУ СОШ № 1", Reply(""), f"п. {n} «Пункт {n}» — срок сегодня, 15.10",
                 Button(f"✓ п. {n}", "item", {"item": str(n)})) for n in range(1, 13)]
    reply = reminder_list(dues, date(2026, 10, 15), VK_SCREEN)
    buttons = [b for row in reply.buttons for b in row]
    assert len(buttons) <= VK_SCREEN.buttons and len(reply.buttons) <= VK_SCREEN.rows
    assert buttons[-1].label == texts.BTN_ALL_ITEMS and buttons[-1].callback is False and reply.callback
    assert reply.text.count("\nп. ") == 12  # every item is listed, though not every one has its button
    # where only MAX is served, its keyboard holds all twelve (the adapter says what fits, not the service)
    from bot.max.keyboards import SCREEN as MAX_SCREEN
    from bot.messengers import screen_for

    wide = reminder_list(dues, date(2026, 10, 15), screen_for(vk=False, max_=True))
    assert sorted(b.label for row in wide.buttons for b in row) == sorted(f"✓ п. {n}" for n in range(1, 13))
    assert screen_for(vk=True, max_=True) == VK_SCREEN and screen_for(vk=False, max_=True) == MAX_SCREEN
    # pressed, it is /items itself
    await register(harness, 670, "organization", SCHOOL_1)
    harness.emu.say(670, texts.BTN_ALL_ITEMS, payload={"cmd": "items"})
    await harness.settle()
    assert harness.emu.delivered(670)[-1].text.startswith(("Открытые пункты", texts.ITEMS_NONE))
