"""Four months (01.09–31.12.2026) of a v3 plan (tests/fixtures/region-2026-v3.toml) through the real bot: calendars'
extra due dates, months of every year, an item reported after its work, the order's sections and named people, a
form filled by import, a question asked only after an answer. Nobody reports or confirms, so every reminder falls
due. What each person should get on each day is written out here by hand from the file and the Russian production
calendar (31.10 and 05.12 are Saturdays, 31.12.2026 a day off), not taken from the bot's planner."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from testkit.harness import ROOT, Harness, register, start_harness, stop_harness
from testkit.season import asks, category

PLAN = ROOT / "tests" / "fixtures" / "region-2026-v3.toml"
TZ = ZoneInfo("Asia/Yekaterinburg")
START, END = date(2026, 9, 1), date(2027, 1, 1)
SCHOOL = "6624000001"
CLUBS, MEDIA = "Кружки в Сферуме", "Школьные медиацентры"

# A school admin's reminders by local day: one message a day, naming what it asks.
# - «Кружки»: the last day of each month plus the trimester's end 27.11 — 30.09, 31.10 (a Saturday: on 30.10),
#   27.11, 30.11, 31.12 (a day off: on 30.12); its 15:00 time folds into the 10:00 one.
# - «Медиацентры»: quarterly on the 25th — 25.09, 25.12.
# - item 1.1: done by Friday 09.10 (7, 3, 1 days and the day: 02.10, 06.10, 08.10, 09.10), reported by Wednesday
#   14.10 (1 day and the day: 13.10, 14.10; 3 days, Sunday 11.10, would be Friday 09.10 — not after the work's date).
# - item 2.4: every October on the 15th (Thursday): 08.10, 12.10, 14.10, 15.10.
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
    date(2026, 12, 25): [("form", MEDIA)],
    date(2026, 12, 30): [("form", CLUBS)],
}
# The import form, due on the 5th: its coordinators' reminder on 04.09 (the 5th a Saturday), 05.10, 05.11, 04.12,
# and 30.12 for 05.01.2027 (the New Year holidays run to 08.01, and 31.12.2026 is a day off).
COORDINATOR_DAYS = [date(2026, 9, 4), date(2026, 10, 5), date(2026, 11, 5), date(2026, 12, 4), date(2026, 12, 30)]


async def test_four_months_of_a_v3_plan(tmp_path, schema) -> None:
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
    await register(h, admin, "organization", SCHOOL)
    await register(h, coordinator, "municipality", str(muni.id))
    chat = h.emu.add_chat([coordinator])
    await h.settle()
    assert (await h.say(coordinator, f"{h.emu.mention()} /bind", peer_id=chat))[-1].text.startswith("Беседа привязана")
    # nothing of the import form is offered to the school
    assert "Статистика платформы" not in await h.text(admin, "/report")
    seen = {peer: len(msgs) for peer, msgs in h.emu.record.items()}
    got: dict[int, dict[date, list]] = defaultdict(lambda: defaultdict(list))
    chat_days: dict[date, list[str]] = defaultdict(list)
    day = START
    while day < END:
        for at in (time(9, 0), time(10, 0), time(15, 0), time(18, 0)):
            h.clock.now = datetime.combine(day, at, TZ).astimezone(UTC)
            await h.app.services.jobs.tick(h.clock.now)
            await h.app.services.jobs.tick(h.clock.now)  # twice: nothing more
            await h.settle(limit_s=60)
            for peer, msgs in h.emu.record.items():
                for m in msgs[seen.get(peer, 0):]:
                    if peer == chat:
                        chat_days[day].append(m.text)
                    elif category(m.text) in ("form_reminder", "item_reminder", "reminders") or \
                            m.text.startswith("Напоминание: цифры формы"):
                        got[peer][day].append(m.text)
                seen[peer] = len(msgs)
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
