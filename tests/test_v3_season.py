"""Half a year (01.09.2026–28.02.2027) of a v3 plan (tests/fixtures/region-2026-v3.toml) through the real bot:
calendars' extra due dates, months of every year, an item reported after its work, an item in stages, the order's
sections and named people, a form filled by import, a question asked only after an answer, a ratio target and
per-organization norms. The school admin followed never reports or confirms, so every reminder falls due; eight
other schools send September's clubs figures, written out below with the values they make. What each person should
get on each day is written out here by hand from the file and the Russian production calendar (31.10 and 05.12 are
Saturdays, 31.12.2026 a day off, 01–08.01.2027 the New Year holidays), not taken from the bot's planner."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from testkit.harness import ROOT, Harness, register, start_harness, stop_harness
from testkit.season import asks, category

PLAN = ROOT / "tests" / "fixtures" / "region-2026-v3.toml"
TZ = ZoneInfo("Asia/Yekaterinburg")
START, END = date(2026, 9, 1), date(2027, 3, 1)
SCHOOL = "6624000001"
CLUBS, MEDIA = "Кружки в Сферуме", "Школьные медиацентры"

# A school admin's reminders by local day: one message a day, naming what it asks.
# - «Кружки»: the last day of each month plus the trimester's end 27.11 — 30.09, 31.10 (a Saturday: on 30.10),
#   27.11, 30.11, 31.12 (a day off: on 30.12); its 15:00 time folds into the 10:00 one.
# - «Медиацентры»: quarterly on the 25th — 25.09, 25.12.
# - item 1.1: done by Friday 09.10 (7, 3, 1 days and the day: 02.10, 06.10, 08.10, 09.10), reported by Wednesday
#   14.10 (1 day and the day: 13.10, 14.10; 3 days, Sunday 11.10, would be Friday 09.10 — not after the work's date).
# - item 2.4: every October on the 15th (Thursday): 08.10, 12.10, 14.10, 15.10.
# - item 3 in stages: «Разработка» due Friday 13.11 (06.11, 10.11, 12.11, 13.11); «Реализация» in December and
#   February on the 18th — Friday 18.12 (11.12, 15.12, 17.12, 18.12) and Thursday 18.02 (11.02, 15.02, 17.02, 18.02).
# - «Кружки» in 2027: 31.01 a Sunday (on Friday 29.01); the trimester's end 26.02 and 28.02 (a Sunday) both on
#   Friday 26.02 — one message.
ADMIN_DAYS: dict[date, list[tuple[str, str]]] = {
    date(2026, 9, 25): [("form", MEDIA)],
    date(2026, 9, 30): [("form", CLUBS)],
    date(2026, 10, 2): [("item", "1.1")],
    date(2026, 10, 6): [("item", "1.1")],
    date(2026, 10, 8): [("item", "1.1"), ("item", "2.4")],
    date(2026, 10, 9): [("item", "1.1")],
    date(2026, 10, 12): [("item", "2.4")],
    date(2026, 10, 13): [("item", "1.1")],
    date(2026, 10, 14): [("item", "1.1"), ("item", "2.4")],
    date(2026, 10, 15): [("item", "2.4")],
    date(2026, 10, 30): [("form", CLUBS)],
    date(2026, 11, 27): [("form", CLUBS)],
    date(2026, 11, 30): [("form", CLUBS)],
    date(2026, 11, 6): [("item", "3")],
    date(2026, 11, 10): [("item", "3")],
    date(2026, 11, 12): [("item", "3")],
    date(2026, 11, 13): [("item", "3")],
    date(2026, 12, 11): [("item", "3")],
    date(2026, 12, 15): [("item", "3")],
    date(2026, 12, 17): [("item", "3")],
    date(2026, 12, 18): [("item", "3")],
    date(2026, 12, 25): [("form", MEDIA)],
    date(2026, 12, 30): [("form", CLUBS)],
    date(2027, 1, 29): [("form", CLUBS)],
    date(2027, 2, 11): [("item", "3")],
    date(2027, 2, 15): [("item", "3")],
    date(2027, 2, 17): [("item", "3")],
    date(2027, 2, 18): [("item", "3")],
    date(2027, 2, 26): [("form", CLUBS), ("form", CLUBS)],
}
# The import form, due on the 5th: its coordinators' reminder on 04.09 (the 5th a Saturday), 05.10, 05.11, 04.12,
# 30.12 for 05.01.2027 (the New Year holidays run to 08.01, and 31.12.2026 is a day off), and Friday 05.02.2027.
COORDINATOR_DAYS = [date(2026, 9, 4), date(2026, 10, 5), date(2026, 11, 5), date(2026, 12, 4), date(2026, 12, 30),
                    date(2027, 2, 5)]

# The directory's own norm of clubs for each school (`@baseline.clubs_norm`); МАОУ «ИСОШ № 2» has none.
NORMS = {"6624000001": 8, "6624000002": 10, "6624000003": 8, "6624000004": 5, "6624000005": 6, "6624000006": 4,
         "6624000007": None, "6624000008": 3, "6624000009": 2}
# September's clubs figures (clubs, with a chat in Sferum, members) of eight schools; МАОУ СОШ № 1 never reports.
SEPTEMBER = {"6624000002": (10, 10, 148), "6624000003": (8, 6, 100), "6624000004": (6, 6, 60),
             "6624000005": (5, 4, 50), "6624000006": (4, 4, 40), "6624000007": (3, 3, 30),
             "6624000008": (2, 1, 20), "6624000009": (2, 2, 20)}
# The media form of 25.09: № 2 has a media centre and three issues; № 3 has none, so it was not asked of issues.
MEDIA_ANSWERS = {"6624000002": {"has_media_centre": 1, "newspaper_issues": 3}, "6624000003": {"has_media_centre": 0}}
# What they make, by hand:
# - clubs with a chat: 36 of 40 = 90,0 % (goal 80 %);
# - members per club (a ratio): 468 / 40 = 11,7 (goal 12; due 31.10, October unreported: not met with 11,7);
# - schools at their own norm: № 2 (10 ≥ 10), № 3 (8 ≥ 8), № 7 (6 ≥ 5), ИСОШ № 1 (4 ≥ 4), Исовская (2 ≥ 2) meet
#   it; № 24 (5 < 6) and Платина (2 < 3) do not; № 1 has not reported (not met); ИСОШ № 2 has no norm and is left
#   out: 5 of 8 = 62,5 %, «норма не задана у 1 организации»;
# - schools where every club has a chat (equals, a norm from the same report): № 2, № 7, ИСОШ № 1, ИСОШ № 2,
#   Исовская — 5 of 9 = 55,6 %.


async def test_half_a_year_of_a_v3_plan(tmp_path, schema) -> None:
    h = await start_harness(tmp_path, schema)
    try:
        await run(h)
    finally:
        await stop_harness(h)


async def run(h: Harness) -> None:
    h.clock.now = datetime(2026, 8, 20, 6, 0, tzinfo=UTC)
    await h.app.services.catalog.load_roadmap(PLAN.read_text(encoding="utf-8"), "region-2026-v3.toml")
    muni = (await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0]
    schools = [o for o in await h.app.repos.directory.organizations_of_municipality(muni.id) if o.type == "school"]
    admin, coordinator = 7000, 7100
    demo = (ROOT / "bot" / "demo" / "ntgo-demo.csv").read_text(encoding="utf-8").splitlines()
    rows = [demo[0] + ",clubs_norm"] + [line + "," + ("" if NORMS[line[:10]] is None else str(NORMS[line[:10]]))
                                        for line in demo[1:] if line[:10] in NORMS]
    await h.app.services.catalog.import_directory("\n".join(rows) + "\n", "norms.csv")
    await register(h, admin, "organization", SCHOOL)
    lagging = 7005
    await register(h, lagging, "organization", "6624000005")
    await register(h, coordinator, "municipality", str(muni.id))
    chat = h.emu.add_chat([coordinator])
    await h.settle()
    assert (await h.say(coordinator, f"{h.emu.mention()} /bind", peer_id=chat))[-1].text.startswith("Беседа привязана")
    # nothing of the import form is offered to the school
    assert "Статистика платформы" not in await h.text(admin, "/report")
    seen = {peer: len(msgs) for peer, msgs in h.emu.record.items()}
    views: dict[str, str] = {}
    got: dict[int, dict[date, list]] = defaultdict(lambda: defaultdict(list))
    chat_days: dict[date, list[str]] = defaultdict(list)
    day = START
    while day < END:
        for at in (time(9, 0), time(10, 0), time(15, 0), time(18, 0)):
            h.clock.now = datetime.combine(day, at, TZ).astimezone(UTC)
            if (await h.app.services.jobs.tick(h.clock.now)).ran:
                await h.app.services.jobs.tick(h.clock.now)  # twice where jobs ran: nothing more
            await h.settle(limit_s=60)
            for peer, msgs in h.emu.record.items():
                for m in msgs[seen.get(peer, 0):]:
                    if peer == chat:
                        chat_days[day].append(m.text)
                    elif category(m.text) in ("form_reminder", "item_reminder", "reminders") or \
                            m.text.startswith("Напоминание: цифры формы"):
                        got[peer][day].append(m.text)
                seen[peer] = len(msgs)
        if day == date(2026, 9, 24):  # two schools send the media form: one has no media centre, so no newspaper
            h.clock.now = datetime.combine(day, time(19, 0), TZ).astimezone(UTC)
            for org, answers in MEDIA_ANSWERS.items():
                await h.app.repos.reports.save(org, "v3-season", "media", "2026-09-25", answers, 0, h.clock(), False)
        if day == date(2026, 9, 29):  # eight schools send September's clubs figures the day before it is due
            h.clock.now = datetime.combine(day, time(19, 0), TZ).astimezone(UTC)
            for org, (total, in_sferum, members) in SEPTEMBER.items():
                await h.app.repos.reports.save(org, "v3-season", "clubs", "2026-09-30", {
                    "clubs_total": total, "clubs_in_sferum": in_sferum, "club_members": members}, 0, h.clock(), False)
        if day == date(2026, 9, 30):
            views["status"] = await h.text(coordinator, "/status")
            views["types"] = "\n".join(m.text for m in await h.press(coordinator, "По типам"))
            views["lagging"] = await h.text(lagging, "/status")
            made = await h.app.services.exports.export(
                await h.app.services.summary.territory("municipality", muni.id), h.clock())
            views["export"] = made.data
            media = await h.app.services.exports.export(
                await h.app.services.summary.territory("municipality", muni.id), h.clock(), "25.09.2026")
            views["media"] = media.data
            seen = {peer: len(msgs) for peer, msgs in h.emu.record.items()}
        if day == date(2026, 11, 2):
            await h.text(coordinator, "/status")
            views["verdict"] = "\n".join(m.text for m in await h.press(coordinator, "По типам"))
            seen = {peer: len(msgs) for peer, msgs in h.emu.record.items()}
        if day == date(2026, 10, 12):  # between the work's date and the report's: «отчёт до 14.10»
            listed = await h.text(admin, "/items")
            assert "Раздел 1. Организационные меры\nп. 1.1 «Назначить ответственных за цифровую среду» — МАОУ СОШ № " \
                   "1, срок 09.10.2026 (отчёт до 14.10.2026)\n   Ответственные: Заместитель директора по УВР" in listed, \
                listed
            seen[admin] = len(h.emu.record[admin])
        day += timedelta(days=1)

    # the school admin: one message a day, on exactly the days written above, asking exactly that
    assert all(len(texts) == 1 for texts in got[admin].values()), {d: len(t) for d, t in got[admin].items()}
    found = {d: [(kind, ref) for kind, ref, _ in asks(texts[0])] for d, texts in got[admin].items()}
    assert found == ADMIN_DAYS, sorted(set(found.items()) ^ set(ADMIN_DAYS.items()))
    # a due date from the calendar names it: two periods of one form two days apart say why
    assert "за период до 27.11.2026 (окончание триместров)" in got[admin][date(2026, 11, 27)][0]
    assert "1. «Кружки в Сферуме» за период до 26.02.2027 (окончание триместров) — сдать сегодня, 26.02\n" \
           "2. «Кружки в Сферуме» за период до 28.02.2027 — сдать в воскресенье, 28.02" in got[admin][date(2027, 2, 26)][0]
    # the report's reminder speaks of the report
    assert "срок отчёта о выполнении завтра, 14.10" in got[admin][date(2026, 10, 13)][0]
    assert "Ответственные: Заместитель директора по УВР" in got[admin][date(2026, 10, 2)][0]
    # the coordinator: the import form's reminder on its days, with how many schools are missing
    assert sorted(got[coordinator]) == COORDINATOR_DAYS, sorted(got[coordinator])
    for texts in got[coordinator].values():
        assert len(texts) == 1 and f"Не хватает {len(schools)}\u00a0организаций" in texts[0], texts
    # the chat: one message a moment; the import form's summary says «загружено»; the overdue notices come the
    # working day after the report's date (15.10 for 1.1) and after the due date (16.10 for 2.4)
    stats = [t for texts in chat_days.values() for t in texts if "Статистика платформы" in t]
    assert stats and all(re.search(r"[Зз]агружено:? 0 из " + str(len(schools)), t) for t in stats), stats[:1]
    assert any(t.startswith("Просрочен пункт 1.1") for t in chat_days[date(2026, 10, 15)]), chat_days[date(2026, 10, 15)]
    assert not any("пункт 1.1" in t for t in chat_days[date(2026, 10, 12)])
    assert any(t.startswith("Просрочен пункт 2.4") for t in chat_days[date(2026, 10, 16)]), chat_days[date(2026, 10, 16)]
    summaries = {d for d, texts in chat_days.items() for t in texts if t.startswith("Сводка")}
    assert {date(2026, 9, 25), date(2026, 9, 30), date(2026, 11, 27), date(2026, 12, 31)} <= summaries, sorted(summaries)

    # September's figures, judged as written out above, the same in /status, «По типам» and the Excel
    status, types = views["status"], views["types"]
    chat_summary = next(t for t in chat_days[date(2026, 9, 30)] if t.startswith("Сводка «Кружки в Сферуме»"))
    assert "• Учеников на один кружок: 11,7\u00a0ученика на кружок (цель 12)" in chat_summary, chat_summary
    assert "• Кружки с чатом в Сферуме: 90,0\u00a0% (цель 80\u00a0%)" in status, status
    assert "• Учеников на один кружок: 11,7\u00a0ученика на кружок (цель 12)" in status, status
    assert "• Школы, где кружков не меньше норматива: 62,5\u00a0% (цель 90\u00a0%), пока без 1\u00a0организации, " \
           "норма не задана у 1\u00a0организации" in types, types
    assert "• Школы, где чат в Сферуме есть у каждого кружка: 55,6\u00a0% (цель 100\u00a0%)" in types, types
    # the school below its own norm sees it against its norm, not as a share
    assert "• Школы, где кружков не меньше норматива: не выполнено (норма 6)" in views["lagging"], views["lagging"]
    assert "• Школы, где чат в Сферуме есть у каждого кружка: не выполнено (норма 5)" in views["lagging"]
    book = load_workbook(io.BytesIO(views["export"]))
    assert book.sheetnames[1:] == ["Кружки в Сферуме до 30.09.2026", "Школьные медиацентры 25.12.2026",
                                   "Статистика платформы за месяц", "Цели", "Пункты"], book.sheetnames  # never cut mid-word
    sheet = [r for r in book["Кружки в Сферуме до 30.09.2026"].iter_rows(values_only=True)]
    head = sheet[0]
    assert "Учеников на один кружок, ученика на кружок" in head and "Кружки с чатом в Сферуме, %" in head, head
    assert not any("%" in str(h) for h in head if str(h).startswith("Учеников")), head
    col = {name: n for n, name in enumerate(head)}
    by_org = {r[1]: r for r in sheet[1:] if r[1]}
    assert by_org["6624000005"][col["Школы, где кружков не меньше норматива"]] == "не выполнено (норма 6)"
    assert by_org["6624000002"][col["Школы, где кружков не меньше норматива"]] == "выполнено (норма 10)"
    assert by_org["6624000007"][col["Школы, где кружков не меньше норматива"]] == "норма не задана"
    assert by_org["6624000002"][col["Учеников на один кружок, ученика на кружок"]] == 14.8
    # the items under the order's sections, the stages as their own rows, each named by its item's number
    items = [r for r in book["Пункты"].iter_rows(min_row=2, values_only=True)]
    assert items == [
        ("Раздел 1. Организационные меры", None, None, None, None, None, None),
        ("1.1", "Назначить ответственных за цифровую среду", "Заместитель директора по УВР", "09.10.2026",
         "0 из 9", "в работе", "; ".join(o.name for o in schools)),
        ("Раздел 2. Цифровая среда школы", None, None, None, None, None, None),
        ("2.4", "Родительские собрания по вопросам цифровой среды", None, "15.10.2026", None, None, None),
        ("3", "Программа наставничества для молодых педагогов, этап «Разработка»", None, "13.11.2026", None, None,
         None),
        ("3", "Программа наставничества для молодых педагогов, этап «Реализация»", None, "18.12.2026", None, None,
         None),
    ], items
    targets = {r[0]: r for r in book["Цели"].iter_rows(min_row=2, values_only=True)}
    assert targets["Учеников на один кружок"][2:4] == (11.7, 12) and targets["Учеников на один кружок"][7] == \
        "ученика на кружок"
    assert targets["Школы, где кружков не меньше норматива"][2] == 62.5
    # the ratio's deadline passed with October unreported: judged on September's value, in its unit
    assert "• Учеников на один кружок: 11,7\u00a0ученика на кружок (цель 12) — на 30.09.2026; за период до " \
           "27.11.2026 данных нет; не достигнута на 31.10.2026 (11,7\u00a0ученика на кружок)" in views["verdict"], \
        views["verdict"]
    assert "«Статистика платформы за месяц», период до 05.11.2026: загружено 0 из 9" in views["verdict"]
    # `when`: a question not asked is an empty cell, not 0 and not «пропущено», and adds nothing to the sum
    media = load_workbook(io.BytesIO(views["media"]))["Школьные медиацентры 25.09.2026"]
    rows = list(media.iter_rows(values_only=True))
    col = {name: n for n, name in enumerate(rows[0])}
    by_org = {r[1]: r for r in rows[1:] if r[1]}
    issues = col["Сколько выпусков школьной газеты вышло за четверть?"]
    assert by_org["6624000002"][issues] == 3 and by_org["6624000003"][issues] is None
    assert by_org["6624000003"][col["Есть ли в школе медиацентр?"]] == "Нет"
    assert rows[-1][issues] == 3 and "сдали 2 из 9" in rows[-1], rows[-1]
