"""Filling the roadmap's forms in private messages, end to end through vkemu."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.words import texts
from testkit.harness import Harness, register, start_harness, stop_harness

SCHOOL_1 = "6624000001"
SCHOOL_2 = "6624000002"
AUTHORITY = "6624000019"
PERIOD = "2023-10-20"  # harness clock: Friday 2023-10-20, 12:00 in Yekaterinburg


async def submission(h: Harness, org: str = SCHOOL_1, period: str = PERIOD):
    return await h.app.repos.reports.submission(org, "ntgo-sferum-2023", "weekly", period)


async def figures(h: Harness, org: str = SCHOOL_1, period: str = PERIOD) -> dict[str, int]:
    sub = await submission(h, org, period)
    return await h.app.repos.reports.figures(sub.id) if sub else {}


async def last(h: Harness, user: int, text: str, **kw) -> str:
    replies = await h.say(user, text, **kw)
    assert replies, f"no reply to {text!r}"
    return replies[-1].text


async def test_happy_path_weekly_form(harness: Harness) -> None:
    h = harness
    await register(h, 700, "organization", SCHOOL_1)
    replies = await h.press(700, texts.MENU_REPORT)
    first = replies[-1]
    assert "Еженедельный мониторинг Сферума" in first.text and "МАОУ СОШ № 1" in first.text
    assert "период до 20.10.2023" in first.text and "Вопрос 1 из 2" in first.text
    assert first.labels() == [texts.BTN_CANCEL]  # no carry-over yet, no "back" on the first question
    second = await last(h, 700, "204")
    assert "Вопрос 2 из 2" in second
    assert texts.BTN_BACK in h.emu.delivered(700)[-1].labels()
    summary = await last(h, 700, "179")
    assert "Проверьте ответы" in summary and "— 204" in summary and "— 179" in summary
    # each answer under the roadmap's short name, not the question cut mid-sentence
    assert "1. Педагогов (сотрудников) — 204" in summary and "2. Написали ≥ 10 сообщений — 179" in summary
    assert h.emu.delivered(700)[-1].labels() == [texts.BTN_SEND, texts.BTN_FIX, texts.BTN_CANCEL]
    done = (await h.press(700, texts.BTN_SEND))[-1]
    assert done.text.startswith("Отчёт принят: «Еженедельный мониторинг Сферума», МАОУ СОШ № 1")
    # the school counts for the teachers' target (not the authority one): 179 / 204 = 87.7 %
    assert "Педагоги, написавшие не менее 10 сообщений за неделю: 179 из 204 — 87,7\u00a0% (цель 100\u00a0%)" in done.text
    assert "Сотрудники УО" not in done.text
    assert texts.MENU_REPORT in done.labels()  # back to the main menu
    assert await figures(h) == {"staff_total": 204, "staff_active": 179}
    sub = await submission(h)
    assert sub is not None and not sub.late and sub.submitted_by == 700


async def test_an_answer_above_the_regions_statistics_is_pointed_out_before_sending(harness: Harness) -> None:
    """Found in the sandbox: 100 active teachers where the region's statistics know 40 showed «100 из 40 — 250 %»
    only after sending. The review screen says so first; the school may still send (statistics get old)."""
    h = harness
    await register(h, 730, "organization", SCHOOL_1)  # the directory: 40 staff (the `staff` baseline)
    await h.say(730, "/report")
    await h.say(730, "120")
    review = await last(h, 730, "100")
    assert "⚠ Ответ 2 (100) больше, чем всего по статистике региона у вашей организации (40)" in review
    assert "Ответ 1" not in review  # the total is not counted against everyone: no remark
    await h.press(730, texts.BTN_FIX)
    await h.press(730, "2")
    review = await last(h, 730, "38")
    assert "⚠" not in review and "— 38" in review
    await h.press(730, texts.BTN_FIX)
    await h.press(730, "2")
    await h.say(730, "41")
    done = (await h.press(730, texts.BTN_SEND))[-1].text  # sent as it is, when the school says so
    assert done.startswith("Отчёт принят") and await figures(h) == {"staff_total": 120, "staff_active": 41}


async def test_authority_counts_for_its_own_target(harness: Harness) -> None:
    h = harness
    await register(h, 701, "organization", AUTHORITY)
    await h.say(701, "/report")
    await h.say(701, "13")
    await h.say(701, "13")
    done = await last(h, 701, texts.BTN_SEND)
    assert "Сотрудники УО и МКУ «ИМЦ»" in done and "13 из 13 — 100,0\u00a0%" in done


async def test_every_validation_message_and_the_same_question_again(harness: Harness) -> None:
    h = harness
    await register(h, 702, "organization", SCHOOL_1)
    await h.say(702, "/report")
    cases = [
        ("двести", texts.FORM_NOT_NUMBER),
        ("12.5", texts.FORM_NOT_WHOLE),
        ("-3", texts.FORM_NEGATIVE),
        ("99999999999", texts.FORM_TOO_BIG_NUMBER),
        ("5001", texts.FORM_ABOVE_MAX.format(max=5000)),
        ("", texts.FORM_NOT_NUMBER),
    ]
    for typed, message in cases:
        reply = await last(h, 702, typed or " ")
        assert reply.startswith(message), (typed, reply)
        assert "Вопрос 1 из 2" in reply
    # people type numbers their own way
    assert "Вопрос 2 из 2" in await last(h, 702, " 1 204. ")
    above = await last(h, 702, "1205")
    assert above.startswith("Не может быть больше, чем ответ на вопрос") and "(1204)" in above
    assert "Проверьте ответы" in await last(h, 702, "1 204")
    assert await submission(h) is None  # nothing is stored before "Отправить"


async def test_back_cancel_and_fix(harness: Harness) -> None:
    h = harness
    await register(h, 703, "organization", SCHOOL_1)
    await h.say(703, "/report")
    await h.say(703, "204")
    back = (await h.press(703, texts.BTN_BACK))[-1].text
    assert "Вопрос 1 из 2" in back
    await h.say(703, "200")
    await h.say(703, "150")
    # Исправить -> pick answer 1 -> new value -> back to the summary with the new value
    await h.press(703, texts.BTN_FIX)
    assert h.emu.delivered(703)[-1].labels()[:2] == ["1", "2"]
    assert "Вопрос 1 из 2" in (await h.press(703, "1"))[-1].text
    summary = await last(h, 703, "210")
    assert "— 210" in summary and "— 150" in summary
    # Отмена from the summary: nothing is stored, the menu is back
    cancelled = (await h.press(703, texts.BTN_CANCEL))[-1]
    assert cancelled.text == texts.FORM_CANCELLED and texts.MENU_REPORT in cancelled.labels()
    assert await submission(h) is None
    # Отмена (typed) from the first question and /cancel from the second
    await h.say(703, "/report")
    assert await last(h, 703, "отмена") == texts.FORM_CANCELLED
    await h.say(703, "/report")
    await h.say(703, "204")
    assert await last(h, 703, "/cancel") == texts.FORM_CANCELLED
    assert await h.app.repos.conversations.get(703) is None


async def test_carry_over_and_implausible_change(harness: Harness) -> None:
    h = harness
    await register(h, 704, "organization", SCHOOL_1)
    for typed in ("/report", "204", "179", texts.BTN_SEND):
        await h.say(704, typed)
    h.clock.advance(days=7)  # next Friday
    await h.say(704, "/report")
    assert h.emu.delivered(704)[-1].labels()[0] == "Как раньше: 204"
    assert "Вопрос 2 из 2" in (await h.press(704, "Как раньше: 204"))[-1].text
    # 50 fell from 179: more than 50 % down asks for confirmation
    confirm = await last(h, 704, "50")
    assert "заметно отличается от прошлого периода (179)" in confirm
    assert h.emu.delivered(704)[-1].labels()[:2] == [texts.BTN_CONFIRM, texts.BTN_FIX]
    again = (await h.press(704, texts.BTN_FIX))[-1].text
    assert again.startswith(texts.FORM_REDO) and "Вопрос 2 из 2" in again
    await h.say(704, "600")  # above staff_total: refused outright
    await h.say(704, "60")
    summary = (await h.press(704, texts.BTN_CONFIRM))[-1].text
    assert "— 60" in summary
    await h.press(704, texts.BTN_SEND)
    assert await figures(h, period="2023-10-27") == {"staff_total": 204, "staff_active": 60}


async def test_restart_mid_form_continues_where_stopped(tmp_path, schema) -> None:
    h = await start_harness(tmp_path, schema)
    try:
        await register(h, 705, "organization", SCHOOL_1)
        await h.say(705, "/report")
        await h.say(705, "204")
    finally:
        await stop_harness(h)
    assert h.app.handler_errors == []
    # a new process on the same database and the same VK community
    h2 = await start_harness(tmp_path, schema, demo=False)
    try:
        h2.emu.add_user(705, "Анна", "Петрова", allowed=True)
        reply = await last(h2, 705, "179")
        assert "Проверьте ответы" in reply and "— 204" in reply and "— 179" in reply
        await h2.press(705, texts.BTN_SEND)
        assert await figures(h2) == {"staff_total": 204, "staff_active": 179}
    finally:
        await stop_harness(h2)
    assert h2.app.handler_errors == []


async def test_interruption_shows_where_you_are(harness: Harness) -> None:
    h = harness
    await register(h, 706, "organization", SCHOOL_1)
    await h.say(706, "/report")
    await h.say(706, "204")
    replies = await h.say(706, "/help")
    assert replies[0].text.startswith(texts.HELP_HEADER)
    assert replies[1].text.startswith(texts.FORM_CONTINUE) and "Вопрос 2 из 2" in replies[1].text
    assert "Вопрос 2 из 2" in await last(h, 706, "/report")


async def test_duplicate_delivery_counts_an_answer_once(harness: Harness) -> None:
    h = harness
    await register(h, 707, "organization", SCHOOL_1)
    await h.say(707, "/report")
    h.emu.say(707, "204")
    h.emu.redeliver(1)
    await h.settle()
    assert "Вопрос 2 из 2" in h.emu.delivered(707)[-1].text
    h.emu.say(707, "100")
    h.emu.redeliver(1)
    await h.settle()
    assert "Проверьте ответы" in h.emu.delivered(707)[-1].text


async def test_quick_messages_are_handled_in_order(harness: Harness) -> None:
    h = harness
    await register(h, 708, "organization", SCHOOL_1)
    for typed in ("/report", "204", "179", texts.BTN_SEND):
        h.emu.say(708, typed)  # all at once: one long-poll batch, one task each
    await h.settle()
    assert await figures(h) == {"staff_total": 204, "staff_active": 179}


async def test_two_admins_at_once_never_interleave(harness: Harness) -> None:
    h = harness
    await register(h, 710, "organization", SCHOOL_1)
    await register(h, 711, "organization", SCHOOL_1, "Олег", "Сидоров")
    h.emu.say(710, "/report")
    h.emu.say(711, "/report")
    await h.settle()
    for a, b in (("204", "300"), ("179", "10")):
        h.emu.say(710, a)
        h.emu.say(711, b)
        await h.settle()
    await h.press(710, texts.BTN_SEND)
    first = await figures(h)
    assert first == {"staff_total": 204, "staff_active": 179}
    over = (await h.press(711, texts.BTN_SEND))[-1].text
    assert "отправил Анна Петрова" in over
    assert await figures(h) == {"staff_total": 300, "staff_active": 10}  # one admin's set, whole
    changes = await h.app.repos.reports.history(SCHOOL_1)
    assert {(c.changed_by, c.indicator_key, c.old_value, c.new_value) for c in changes} >= {
        (711, "staff_total", 204, 300), (711, "staff_active", 179, 10)}


async def test_correction_before_and_after_summary_with_history(harness: Harness) -> None:
    h = harness
    await register(h, 712, "organization", SCHOOL_1)
    await register(h, 713, "organization", SCHOOL_1, "Олег", "Сидоров")
    for typed in ("/report", "204", "179", texts.BTN_SEND):
        await h.say(712, typed)
    # another admin corrects before the summary (18:00 local = 13:00 UTC)
    already = await last(h, 713, "/report")
    assert already.startswith("Отчёт «Еженедельный мониторинг Сферума» (МАОУ СОШ № 1) за период до 20.10.2023 "
                              "уже отправлен"
                              " (20.10 12:00,")  # the school's wall clock, not UTC (07:00)
    assert h.emu.delivered(713)[-1].labels() == [texts.REPORT_EDIT, texts.BTN_KEEP]
    # «Оставить как есть» is answered as what it is (the «Отмена» there had said «Отменять нечего.»)
    assert (await h.press(713, texts.BTN_KEEP))[-1].text == texts.REPORT_KEPT
    await last(h, 713, "/report")
    summary = (await h.press(713, texts.REPORT_EDIT))[-1].text
    assert "Проверьте ответы" in summary and "— 179" in summary
    await h.press(713, texts.BTN_FIX)
    await h.press(713, "2")
    await h.say(713, "180")
    done = (await h.press(713, texts.BTN_SEND))[-1].text
    assert done.startswith("Исправление принято") and texts.FORM_SENT_LATE not in done
    # after the summary the correction is accepted and marked late
    h.clock.now = datetime(2023, 10, 20, 14, 0, tzinfo=UTC)
    await h.say(712, "/report")
    await h.press(712, texts.REPORT_EDIT)
    await h.press(712, texts.BTN_FIX)
    await h.press(712, "1")
    await h.say(712, "205")
    late = (await h.press(712, texts.BTN_SEND))[-1].text
    assert texts.FORM_SENT_LATE in late
    assert await figures(h) == {"staff_total": 205, "staff_active": 180}
    # the municipality's coordinator lists the history; an admin may not
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 714, "municipality", muni, "Ольга", "Смирнова")
    history = await last(h, 714, "/history 6624000001")
    lines = history.splitlines()
    # local time of Нижняя Тура (Asia/Yekaterinburg): 14:00 UTC is 19:00, and the zone is named
    assert lines[0] == "Изменения отчётов — МАОУ СОШ № 1 (время местное, МСК+2):"
    assert lines[1].startswith("20.10.2023 19:00 · Анна Петрова") and "204 → 205 (поздно)" in lines[1]
    assert any("Олег Сидоров" in line and "179 → 180" in line and "поздно" not in line for line in lines)
    assert any("— → 204" in line for line in lines)
    assert await last(h, 712, "/history 6624000001") == texts.NOT_ALLOWED


async def test_several_forms_due_means_a_choice(harness: Harness) -> None:
    h = harness
    await register(h, 715, "organization", SCHOOL_1)
    assert (await h.text(715, "/report")).startswith("«Еженедельный")
    await h.say(715, "/cancel")
    # a second school for the same admin: two forms due, the admin picks one
    code, _ = await h.app.services.invites.create("organization", SCHOOL_2, None, h.clock())
    await h.say(715, code)
    pick = await last(h, 715, "/report")
    assert pick.startswith(texts.REPORT_PICK) and "МАОУ СОШ № 2" in pick
    labels = h.emu.delivered(715)[-1].labels()
    # one form, two schools: each button is its school, whole — not two «Еженедельный монито…» alike on a phone
    assert labels == ["МАОУ СОШ № 1", "МАОУ СОШ № 2", texts.BTN_CANCEL]
    # «Отмена» under the choice says what it did (it had answered «Отменять нечего.»)
    assert (await h.press(715, texts.BTN_CANCEL))[-1].text == texts.PICK_CLOSED
    await last(h, 715, "/report")
    opened = (await h.press(715, 1))[-1].text  # the second option
    assert "МАОУ СОШ № 2" in opened and "Вопрос 1 из 2" in opened
    await h.say(715, "/cancel")
    # the list is numbered: a number typed back picks from it (it had been «Не понял сообщение»), anything else asks
    # again with the list
    await last(h, 715, "/report")
    again = await last(h, 715, "сорок")
    assert again.startswith(texts.REPORT_PICK_NUMBER.format(n=2)) and texts.REPORT_PICK in again, again
    assert await last(h, 715, "5") == again  # not in the list
    assert await last(h, 715, "²") == again  # a digit int() does not take
    opened = await last(h, 715, "2.")
    assert "МАОУ СОШ № 2" in opened and "Вопрос 1 из 2" in opened, opened
    assert "Нужно целое число" in await last(h, 715, "двадцать")  # the form is open: answers go to it now
    await h.say(715, "/cancel")
    await last(h, 715, "/report")
    assert (await last(h, 715, "/status")).startswith("МАОУ СОШ № 1")  # an aside: the choice still stands
    assert "МАОУ СОШ № 1, период" in await last(h, 715, "1")
    await h.say(715, "/cancel")
    # the admin's own /status covers both schools (it had shown the first only)
    own = await last(h, 715, "/status")
    assert own.startswith("МАОУ СОШ № 1") and "\n\nМАОУ СОШ № 2\n" in own, own


async def test_forged_report_payload_for_another_organization_is_ignored(harness: Harness) -> None:
    h = harness
    await register(h, 716, "organization", SCHOOL_1)
    reply = await last(h, 716, "x", payload={"cmd": "report", "org": SCHOOL_2, "rm": "ntgo-sferum-2023",
                                               "form": "weekly"})
    assert reply == texts.REPORT_NONE
    assert await h.app.repos.conversations.get(716) is None


async def test_report_for_non_admin_and_after_the_roadmap_ends(harness: Harness) -> None:
    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 717, "municipality", muni)
    assert await last(h, 717, "/report") == texts.REPORT_NOT_ADMIN
    await register(h, 718, "organization", SCHOOL_1)
    h.clock.now = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    assert await last(h, 718, "/report") == texts.REPORT_NONE


async def test_reloading_the_roadmap_keeps_figures(harness: Harness) -> None:
    h = harness
    await register(h, 719, "organization", SCHOOL_1)
    for typed in ("/report", "204", "179", texts.BTN_SEND):
        await h.say(719, typed)
    from testkit.harness import NTGO_ROADMAP

    text = NTGO_ROADMAP.read_text(encoding="utf-8").replace("Еженедельный мониторинг Сферума", "Мониторинг")
    await h.app.services.catalog.load_roadmap(text, "ntgo.toml")
    assert await figures(h) == {"staff_total": 204, "staff_active": 179}
    # the running bot sees the new definition
    assert (await last(h, 719, "/report")).startswith("Отчёт «Мониторинг»")


async def test_many_admins_at_once(harness: Harness) -> None:
    h = harness
    orgs = [f"66240000{n:02d}" for n in range(1, 19)]
    for i, org in enumerate(orgs):
        await register(h, 800 + i, "organization", org)
    for step in ("/report", "100", "50", texts.BTN_SEND):
        for i in range(len(orgs)):
            h.emu.say(800 + i, step)
        await h.settle()
    stored = await asyncio.gather(*(figures(h, org) for org in orgs))
    assert all(f == {"staff_total": 100, "staff_active": 50} for f in stored)


async def test_asides_inside_a_form_are_answered_and_the_form_goes_on(harness: Harness) -> None:
    """Mid-form, «спасибо», «Здравствуйте», /items and the menu's «Сводка» are not wrong answers («Нужно целое
    число, например 25.» they had drawn): each is answered, the question comes again, and the answer still counts."""
    h = harness
    await register(h, 716, "organization", SCHOOL_1)
    await h.say(716, "/report")
    for typed, answer in (("спасибо", texts.TALK_THANKS_IN_FORM), ("Здравствуйте", texts.TALK_HELLO),
                          ("/items", "Открытые пункты"), (texts.MENU_STATUS, "МАОУ СОШ № 1")):
        got = await h.say(716, typed)
        assert all("Нужно целое число" not in m.text for m in got), (typed, [m.text for m in got])
        assert answer in got[0].text, (typed, got[0].text)
        assert got[-1].text.startswith(texts.FORM_CONTINUE) and "Вопрос 1 из 2" in got[-1].text, typed
    await h.say(716, "204")
    assert "Вопрос 2 из 2" in h.emu.delivered(716)[-1].text
