"""A coordinator reviews reports (issue 15): returns one for revision, fills or corrects one on behalf of an
organization; end to end through vkemu, with what the school, the summary, reminders and history show."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.words import texts
from storage.reports import SOURCE_BEHALF
from testkit.harness import MOSCOW_SCHOOL, Harness, add_moscow_municipality, register

RM, FORM, PERIOD = "ntgo-sferum-2023", "weekly", "2023-10-20"
SCHOOL_1, SCHOOL_2 = "6624000001", "6624000002"


async def ntgo(h: Harness) -> str:
    return str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)


async def last(h: Harness, user: int, text: str) -> str:
    replies = await h.say(user, text)
    assert replies, text
    return replies[-1].text


async def test_return_for_revision_journey(harness: Harness) -> None:
    h = harness
    await register(h, 740, "organization", SCHOOL_1)  # Анна Петрова
    for typed in ("/report", "204", "179"):
        await h.say(740, typed)
    await h.press(740, texts.BTN_SEND)
    await register(h, 741, "municipality", await ntgo(h), "Ольга", "Смирнова")
    view = (await h.say(741, "/status МАОУ СОШ № 1"))[-1]
    assert "отчёт сдан" in view.text
    assert view.labels() == [texts.BTN_BEHALF_FIX, texts.BTN_RETURN]
    h.clock.advance(minutes=30)
    ask = (await h.press(741, texts.BTN_RETURN))[-1].text
    assert ask.startswith("Возвращаем отчёт «Еженедельный мониторинг Сферума» (МАОУ СОШ № 1, период до 20.10.2023)")
    assert (await h.say(741, "   "))[-1].text == texts.RETURN_ASK_AGAIN
    done = await last(h, 741, "Проверьте число педагогов: по штатному расписанию 40")
    assert done.startswith("Отчёт «Еженедельный мониторинг Сферума» (МАОУ СОШ № 1, период до 20.10.2023) возвращён")
    assert done.endswith("Администраторы организации (1) получили ваш комментарий.")
    await h.settle()
    notice = h.emu.delivered(740)[-1]
    assert notice.text.startswith("Отчёт «Еженедельный мониторинг Сферума» (МАОУ СОШ № 1, период до 20.10.2023) "
                                  "возвращён на доработку — Ольга Смирнова")
    assert "«Проверьте число педагогов: по штатному расписанию 40»" in notice.text
    assert notice.labels() == [texts.REPORT_EDIT]
    # the returned report counts nowhere: coverage, /status, the organization's view, reminders
    summary = await last(h, 741, "/status")
    assert "Сдали: 0 из 20 организаций" in summary and "МАОУ СОШ № 1 (возвращён)" in summary
    who = (await h.press(741, "Кто не сдал"))[-1].text
    assert "   – МАОУ СОШ № 1 (возвращён на доработку)" in who
    view = await last(h, 741, "/status МАОУ СОШ № 1")
    assert "возвращён на доработку: «Проверьте число педагогов" in view
    assert "Педагоги, написавшие не менее 10 сообщений за неделю: 87,7\u00a0%" in view  # its figures, to be corrected
    assert h.emu.delivered(741)[-1].labels() == [texts.BTN_BEHALF_FIX]  # nothing left to return
    assert SCHOOL_1 not in await h.app.repos.reports.submitted(RM, FORM, PERIOD)
    before = len(h.emu.delivered(740))
    # the day's reminder (10:00 local, where the 15:00 one goes too) counts it as not sent
    await h.app.services.jobs.run_job("form-reminders", datetime(2023, 10, 20, 5, 0, tzinfo=UTC))
    await h.settle()
    assert any("МАОУ СОШ № 1" in m.text for m in h.emu.delivered(740)[before:])
    # a second return of the same report (an old button) is refused while it waits
    again = await h.say(741, "x", payload={"cmd": "return", "org": SCHOOL_1, "rm": RM, "form": FORM})
    assert again[-1].text == texts.RETURN_ALREADY.format(comment="Проверьте число педагогов: по штатному расписанию 40")
    # the admin corrects it from the notice's button: the report counts again
    h.clock.advance(minutes=30)
    opened = (await h.press(740, texts.REPORT_EDIT))[-1].text
    assert "Проверьте ответы" in opened
    for question, value in (("2", "38"), ("1", "40")):  # the active ones first: they may not exceed the total
        await h.press(740, texts.BTN_FIX)
        await h.press(740, question)
        await h.say(740, value)
    told_before = len(h.emu.delivered(741))
    sent = (await h.press(740, texts.BTN_SEND))[-1].text
    assert sent.startswith("Исправление принято")
    await h.settle()
    told = [m.text for m in h.emu.delivered(741)[told_before:]]  # the coordinator who returned it hears of it
    assert told == [texts.RETURN_CORRECTED_NOTICE.format(organization="МАОУ СОШ № 1",
                                                         title="Еженедельный мониторинг Сферума", period="20.10.2023")]
    sub = await h.app.repos.reports.submission(SCHOOL_1, RM, FORM, PERIOD)
    assert not sub.returned and await h.app.repos.reports.figures(sub.id) == {"staff_total": 40, "staff_active": 38}
    assert "Сдали: 1 из 20 организаций" in await last(h, 741, "/status")
    # history: who did what, newest first, on the school's clock
    history = (await last(h, 741, "/history 6624000001")).splitlines()
    # the newest line says the return was answered (it had ended at «возвращён на доработку»)
    assert history[1] == "20.10.2023 13:00 · Анна Петрова · Еженедельный мониторинг Сферума, период до 20.10.2023: " \
        "исправлен после возврата", history
    assert history[2].startswith("20.10.2023 13:00 · Анна Петрова · ") and "204 → 40" in history[2]
    assert "Анна Петрова · " in history[3] and "179 → 38" in history[3]
    returned = next(line for line in history if "возвращён на доработку" in line)
    assert returned.startswith("20.10.2023 12:30 · Ольга Смирнова · Еженедельный мониторинг Сферума")
    assert history.index(returned) > 3  # after the correction that answered it


async def test_cancel_and_walking_away_drop_the_return(harness: Harness) -> None:
    h = harness
    await h.app.repos.reports.save(SCHOOL_1, RM, FORM, PERIOD, {"staff_total": 40, "staff_active": 30}, 5,
                                   h.clock(), False)
    await register(h, 744, "municipality", await ntgo(h), "Ольга", "Смирнова")
    await h.say(744, "/status МАОУ СОШ № 1")
    await h.press(744, texts.BTN_RETURN)
    assert (await h.press(744, texts.BTN_CANCEL))[-1].text == texts.CANCELLED
    await h.say(744, "/status МАОУ СОШ № 1")
    await h.press(744, texts.BTN_RETURN)
    # the keyboard holds only «Отмена» now; a typed command instead of a comment is that command
    summary = (await h.say(744, "сводка"))[-1].text
    assert summary.startswith("Сводка")
    sub = await h.app.repos.reports.submission(SCHOOL_1, RM, FORM, PERIOD)
    assert not sub.returned and await h.app.repos.reports.returns(SCHOOL_1) == []


async def test_entry_on_behalf_journey(harness: Harness) -> None:
    h = harness
    await register(h, 750, "organization", SCHOOL_2, "Пётр", "Иванов")
    await register(h, 751, "municipality", await ntgo(h), "Ольга", "Смирнова")
    view = (await h.say(751, "/status МАОУ СОШ № 2"))[-1]
    assert "отчёт ещё не сдан" in view.text and view.labels() == [texts.BTN_BEHALF]
    opened = (await h.press(751, texts.BTN_BEHALF))[-1].text
    assert opened.startswith(texts.BEHALF_NOTE.format(organization="МАОУ СОШ № 2",
                                                      title="Еженедельный мониторинг Сферума", period="20.10.2023"))
    assert "Вы заполняете за организацию «МАОУ СОШ № 2» отчёт «Еженедельный мониторинг Сферума»" in opened
    assert "Вопрос 1 из 2" in opened
    await h.say(751, "35")
    await h.say(751, "20")
    sent = (await h.press(751, texts.BTN_SEND))[-1].text
    assert sent.startswith("Отчёт принят: «Еженедельный мониторинг Сферума», МАОУ СОШ № 2")
    assert "Организация по целям дорожной карты:" in sent and "Ваша организация" not in sent
    sub = await h.app.repos.reports.submission(SCHOOL_2, RM, FORM, PERIOD)
    assert sub.source == SOURCE_BEHALF and sub.submitted_by == 751
    await h.settle()
    told = h.emu.delivered(750)[-1].text
    assert told.startswith("Ольга Смирнова внёс(ла) за вашу организацию отчёт «Еженедельный мониторинг Сферума»")
    assert "— 35" in told and "— 20" in told
    # the school corrects what the coordinator entered: an ordinary change of its own
    already = await last(h, 750, "/report")
    assert "уже отправлен" in already and "Ольга Смирнова" in already
    await h.press(750, texts.REPORT_EDIT)
    await h.press(750, texts.BTN_FIX)
    await h.press(750, "2")
    await h.say(750, "21")
    await h.press(750, texts.BTN_SEND)
    history = (await last(h, 751, "/history МАОУ СОШ № 2")).splitlines()
    assert "Пётр Иванов · " in history[1] and "20 → 21" in history[1] and "(за организацию)" not in history[1]
    assert sum("Ольга Смирнова (за организацию) · " in line for line in history) == 2
    # the coordinator corrects it again on behalf
    await h.say(751, "/status МАОУ СОШ № 2")
    await h.press(751, texts.BTN_BEHALF_FIX)
    await h.press(751, texts.BTN_FIX)
    await h.press(751, "1")
    await h.say(751, "36")
    assert (await h.press(751, texts.BTN_SEND))[-1].text.startswith("Исправление принято")
    assert (await h.app.repos.reports.submission(SCHOOL_2, RM, FORM, PERIOD)).source == SOURCE_BEHALF


async def test_forged_buttons_outside_the_territory_change_nothing(harness: Harness) -> None:
    h = harness
    await add_moscow_municipality(h)
    await h.app.repos.reports.save(SCHOOL_1, RM, FORM, PERIOD, {"staff_total": 40, "staff_active": 30}, 5,
                                   h.clock(), False)
    other = str((await h.app.repos.directory.municipalities_by_name("Тестовый МО"))[0].id)
    await register(h, 760, "municipality", other)
    await register(h, 761, "organization", SCHOOL_2)
    ref = {"org": SCHOOL_1, "rm": RM, "form": FORM}
    for user in (760, 761):
        for command in ("behalf", "return"):
            replies = await h.say(user, "x", payload={"cmd": command, **ref})
            assert replies[-1].text == texts.NOT_ALLOWED, (user, command)
    assert not (await h.app.repos.reports.submission(SCHOOL_1, RM, FORM, PERIOD)).returned
    assert await h.app.repos.conversations.get(760) is None
    # its own organization: allowed
    view = (await h.say(760, f"/status {MOSCOW_SCHOOL}"))[-1]
    assert view.labels() == [texts.BTN_BEHALF]


async def test_an_organization_view_carries_its_own_verdicts(harness: Harness) -> None:
    """Hand-computed from the demo directory's baselines (school 1: 40 teachers, school 2: 35) and the target
    «от всех по статистике» (goal 100 % by 30.12.2023, ten Fridays after 20.10)."""
    h = harness
    reports = h.app.repos.reports
    for org, before, now in ((SCHOOL_1, 10, 20), (SCHOOL_2, 7, 7)):
        await reports.save(org, RM, FORM, "2023-10-13", {"staff_total": 50, "staff_active": before}, 5, h.clock(), False)
        await reports.save(org, RM, FORM, PERIOD, {"staff_total": 50, "staff_active": now}, 5, h.clock(), False)
    await register(h, 780, "municipality", await ntgo(h))
    title = "Педагоги ОО, написавшие не менее 10 сообщений, от всех по статистике"
    # 10/40 = 25 %, then 20/40 = 50 %: +25 points a week, 50 + 10 x 25 >= 100 -> on track
    first = await last(h, 780, "/status МАОУ СОШ № 1")
    # and its own trend, judged as the territory's are (bot/domain/judgment.py)
    assert f"• {title}: 50,0\u00a0% (цель 100\u00a0%), ↑\u00a0+25,0\u00a0п.п.; в графике к 30.12.2023" in first
    # 7/35 = 20 % twice: no pace, 20 % stays short of 100 % -> behind
    second = await last(h, 780, "/status МАОУ СОШ № 2")
    assert f"• {title}: 20,0\u00a0% (цель 100\u00a0%), =\u00a00\u00a0п.п.; отстаёт: в таком темпе к 30.12.2023 не успеть" in second


async def test_the_coordinators_card_shows_the_answers_and_who_sent_them(harness: Harness) -> None:
    """`/status <организация>` for its coordinator: every answer of the report and who sent it when (it had shown
    target percentages only); a group chat's card names nobody."""
    h = harness
    await register(h, 792, "organization", SCHOOL_1, "Анна", "Петрова")
    for typed in ("/report", "204", "179", texts.BTN_SEND):
        await h.say(792, typed)
    await register(h, 793, "municipality", await ntgo(h), "Ольга", "Смирнова")
    card = await last(h, 793, "/status МАОУ СОШ № 1")
    assert "Отправлено: Анна Петрова, 20.10 12:00" in card, card
    assert "• Педагогов (сотрудников): 204" in card and "• Написали ≥ 10 сообщений: 179" in card
    own = await last(h, 792, "/status")
    assert "Отправлено:" not in own  # the school's own view: its figures are its targets' lines
    chat = h.emu.add_chat([793], full_access=True)
    await h.settle()
    await h.say(793, f"{h.emu.mention()} /bind", peer_id=chat)
    in_chat = await h.text(793, f"{h.emu.mention()} /status СОШ № 1", peer_id=chat)
    assert in_chat.startswith("МАОУ СОШ № 1") and "Анна" not in in_chat
