"""A 2025-size regional roadmap (tests/fixtures/region-2025.toml: 4 forms, 18 targets, 22 items, a seasonal
schedule, a monthly item) run through the real bot for half a year, 13.01.2025–12.07.2025.

Every admin answers each form reminder the same day at 12:00 (one school never does); the municipal
coordinator never confirms an item. What the bot should have sent is written out here by hand from the
file — the due dates of each form, whom each form asks, the monthly item's dates — not taken from the
bot's planner, so a schedule, from/until or org-type mistake shows up as a wrong count."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.words import texts
from testkit.harness import DEMO_CSV, ROOT, Harness, register, start_harness, stop_harness
from testkit.season import asks, category, next_working, prev_working

REGION_2025 = ROOT / "tests" / "fixtures" / "region-2025.toml"
TZ = ZoneInfo("Asia/Yekaterinburg")
START, END = date(2025, 1, 13), date(2025, 7, 13)  # END exclusive
SILENT = "6624000003"  # a school that never reports

# Due dates written out from the file. enrolment: every three weeks on Monday from 13.01 to 31.03, then
# weekly on Monday from 01.04 (the first Monday on or after it is 07.04); activity: the 25th of each month
# from February; infra: the 20th of the last month of each quarter from March; quarters: its dates.
ENROLMENT = [date(2025, 1, 13), date(2025, 2, 3), date(2025, 2, 24), date(2025, 3, 17)] + \
    [date(2025, 4, 7) + timedelta(weeks=w) for w in range(14)]
ACTIVITY = [date(2025, m, 25) for m in range(2, 7)]
INFRA = [date(2025, 3, 20), date(2025, 6, 20)]
QUARTERS = [date(2025, 3, 21), date(2025, 5, 30)]
assert ENROLMENT[-1] == date(2025, 7, 7)
FORMS = {  # title: (due dates in the half-year, organization types asked)
    "Подключение к Сферуму": (ENROLMENT, {"school", "preschool", "additional"}),
    "Активность за месяц": (ACTIVITY, {"school"}),
    "Инфраструктура": (INFRA, {"school", "preschool", "additional"}),
    "Итоги четверти": (QUARTERS, {"school"}),
}
# The municipality's items (responsible "municipality") due within reach of the half-year: item 2, the monthly
# item 4 (the last day of each month from January), 7, and 9 on the school quarters' ends.
MONTH_ENDS = [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31),
              date(2025, 6, 30)]
MUNICIPAL_ITEMS = {"2": [date(2025, 2, 14)], "4": MONTH_ENDS, "7": [date(2025, 2, 28)], "9": QUARTERS,
                   "14": [date(2025, 9, 15)], "18": [date(2025, 11, 14)], "19": [date(2025, 12, 19)]}
ITEM_DAYS_BEFORE = (7, 3, 1, 0)


def directory() -> str:
    """The demo directory with the baselines the roadmap divides by (teachers, students, classes)."""
    rows = DEMO_CSV.read_text(encoding="utf-8").splitlines()
    out = ["id,region,municipality,timezone,organization,type,teachers,students,classes"]
    for n, row in enumerate(rows[1:]):
        cells = row.split(",")[:6]
        pupils = "400" if cells[5] == "school" else ""
        out.append(",".join(cells + [str(20 + n), pupils, "16" if cells[5] == "school" else ""]))
    return "\n".join(out) + "\n"


TEACHERS = {row.split(",")[0]: int(row.split(",")[6]) for row in directory().splitlines()[1:]}


def answer(org: str, question: str, due: date) -> str:
    """What the admin of `org` answers to a question of the period due on `due`."""
    k = ENROLMENT.index(due) + 1 if due in ENROLMENT else 0
    rules = [
        ("Сколько педагогов зарегистрировано", str(min(TEACHERS[org], TEACHERS[org] * k // 10))),
        ("Сколько обучающихся", "300"),
        ("Сколько родителей", texts.BTN_SKIP if org.endswith(("12", "13")) else "150"),
        ("Сколько педагогов написали", str(TEACHERS[org] // 2)),
        ("Сколько классов", "12"),
        ("Сколько уроков проведено", "200"),
        ("Сколько из них без отметок", "4"),
        ("Скорость подключения", "50,5"),
        ("Сколько учебных кабинетов", "10"),
        ("Какая доля кабинетов", "80 %"),
        ("Есть ли Wi-Fi", "частично"),
        ("Что мешает", texts.BTN_SKIP),
        ("Ссылка на новость", "school.ru/news"),
        ("Сколько мероприятий", "2"),
        ("Проведено ли родительское", "да"),
    ]
    return next(value for start, value in rules if start in question)


async def report(h: Harness, admin: int, org: str, button: dict) -> None:
    """Press a reminder's «Сдать отчёт» button and answer every question until «Отчёт принят»."""
    payload = button["payload"] if isinstance(button["payload"], str) else json.dumps(button["payload"])
    replies = await h.say(admin, button["label"], payload=payload)
    due = datetime.strptime(re.search(r"период до (\d\d\.\d\d\.\d{4})", replies[-1].text)[1], "%d.%m.%Y").date()
    for _ in range(12):
        text = replies[-1].text
        if "Проверьте ответы" in text:
            replies = await h.say(admin, texts.BTN_SEND)
            assert replies[-1].text.startswith("Отчёт принят"), replies[-1].text
            return
        asked = re.search(r"Вопрос \d+ из \d+\. (.+)", text)
        assert asked, text
        replies = await h.say(admin, answer(org, asked[1], due))
    raise AssertionError(f"{org}: the form did not end")


async def press_under(h: Harness, user: int, chat: int, message, label: str) -> str:
    """Press a button of an earlier message in the chat (VK keeps an inline keyboard's buttons pressable)."""
    button = next(b for b in message.buttons() if b.get("label") == label)
    payload = button["payload"] if isinstance(button["payload"], str) else json.dumps(button["payload"])
    return (await h.say(user, label, peer_id=chat, payload=payload))[-1].text


async def test_half_a_year_of_a_regional_roadmap(tmp_path, schema) -> None:
    h = await start_harness(tmp_path, schema, demo=False)
    try:
        await run_half_year(h)
    finally:
        await stop_harness(h)


async def set_up_region(h: Harness) -> tuple[dict, dict[int, str], int, int]:
    """The directory and the plan loaded, an admin for every organization, the silent school's municipal
    coordinator with the bound chat: (organizations, admins, coordinator, chat). bench/nagging.py starts so too."""
    h.clock.now = datetime(2025, 1, 10, 6, 0, tzinfo=UTC)
    await h.app.services.catalog.import_directory(directory(), "region.csv")
    await h.app.services.catalog.load_roadmap(REGION_2025.read_text(encoding="utf-8"), "region-2025.toml")
    orgs = {o.id: o for m in await h.app.repos.directory.all_municipalities()
            for o in await h.app.repos.directory.organizations_of_municipality(m.id)}
    admins = {7000 + n: org for n, org in enumerate(sorted(orgs))}
    for admin, org in admins.items():
        await register(h, admin, "organization", org)
    muni = str(orgs[SILENT].municipality_id)
    coordinator = 7100
    await register(h, coordinator, "municipality", muni)
    chat = h.emu.add_chat([coordinator])
    await h.settle()
    assert (await h.say(coordinator, f"{h.emu.mention()} /bind", peer_id=chat))[-1].text.startswith("Беседа привязана")
    return orgs, admins, coordinator, chat


async def run_half_year(h: Harness) -> None:
    orgs, admins, coordinator, chat = await set_up_region(h)
    seen = {peer: len(msgs) for peer, msgs in h.emu.record.items()}
    pushed: Counter = Counter()
    daily: Counter = Counter()  # (peer, day) -> reminder messages
    at_once: Counter = Counter()  # moment -> messages to the chat
    summaries: dict[tuple[str, date], str] = {}
    under: dict = {}  # the summaries' messages, with their buttons
    day = START
    while day < END:
        for at in (time(9, 0), time(10, 0), time(18, 0)):
            instant = datetime.combine(day, at, TZ).astimezone(UTC)
            h.clock.now = instant
            if (await h.app.services.jobs.tick(instant)).ran:
                await h.app.services.jobs.tick(instant)  # twice where jobs ran: a job is safe to run again
            await h.settle(limit_s=60)
            reminders = []
            for peer, msgs in h.emu.record.items():
                for m in msgs[seen.get(peer, 0):]:
                    kind = category(m.text)
                    asked = asks(m.text)
                    if asked:  # a reminder: one message a day, counted by what it asks
                        daily[(peer, day)] += 1
                        for what, _ref, _due in asked:
                            pushed[(peer, f"{what}_reminder")] += 1
                        if admins.get(peer) not in (None, SILENT):
                            reminders += [(peer, b) for b in m.buttons()
                                          if b.get("label", "").startswith(texts.REMIND_FORM_BUTTON)]
                        continue
                    pushed[(peer, kind)] += 1
                    if peer == chat:
                        at_once[instant] += 1
                    if kind == "summary":
                        title = re.match(r"Сводка «(.+?)» за период до (\S+)", m.text)
                        summaries[(title[1], datetime.strptime(title[2], "%d.%m.%Y").date())] = m.text
                        under[(title[1], datetime.strptime(title[2], "%d.%m.%Y").date())] = m
                seen[peer] = len(msgs)
            # the admins answer at 12:00 local, after the 10:00 reminders
            h.clock.now = datetime.combine(day, time(12, 0), TZ).astimezone(UTC)
            for peer, button in reminders:
                await report(h, peer, admins[peer], button)
            seen = {peer: len(msgs) for peer, msgs in h.emu.record.items()}
        day += timedelta(days=1)

    problems = [f"{peer}: {n} reminders on {d}" for (peer, d), n in daily.items() if n > 1]
    problems += [f"the chat got {n} messages at {moment}" for moment, n in at_once.items() if n > 1]
    assert daily and at_once  # (not vacuous)
    # form reminders: one per period of each form that asks the organization's type, nothing outside from/until
    for admin, org in admins.items():
        expected = sum(len(dues) for dues, types in FORMS.values() if orgs[org].type in types)
        if pushed[(admin, "form_reminder")] != expected:
            problems.append(f"{org} ({orgs[org].type}): {pushed[(admin, 'form_reminder')]} reminders, expected {expected}")
    assert sum(len(d) for d, _ in FORMS.values()) == 27
    # one summary per period of every form in the bound chat, and none elsewhere
    expected_summaries = {(title, due) for title, (dues, _) in FORMS.items() for due in dues}
    if set(summaries) != expected_summaries:
        problems.append(f"summaries: extra {sorted(set(summaries) - expected_summaries)}, "
                        f"missing {sorted(expected_summaries - set(summaries))}")
    if pushed[(chat, "summary")] != len(expected_summaries):
        problems.append(f"{pushed[(chat, 'summary')]} summaries in the chat, expected {len(expected_summaries)}")
    # the municipal coordinator never confirms: a reminder on each distinct working day 7, 3, 1 and 0 days
    # before each occurrence (the monthly item included), up to the end of the half-year
    expected_items = 0
    for occurrences in MUNICIPAL_ITEMS.values():
        for occ in occurrences:
            days = {prev_working(occ - timedelta(days=n)) for n in ITEM_DAYS_BEFORE}
            expected_items += sum(1 for d in days if START <= d < END)
    if pushed[(coordinator, "item_reminder")] != expected_items:
        problems.append(f"coordinator: {pushed[(coordinator, 'item_reminder')]} item reminders, expected {expected_items}")
    # overdue notices of the municipality's own items go to the region's coordinators (none registered), those
    # of the organizations' items to the bound chat: one per occurrence passed, with its next working day inside
    item_reminders = [m.text[:100] for m in h.emu.record[coordinator] if asks(m.text)]
    assert not problems, "\n".join(problems + item_reminders)

    # the last enrolment summary: shares of everyone over the directory's baselines (the silent school adds its
    # teachers below and nothing above); on 07.07 every other organization reports k = 18 -> all its teachers
    last = summaries[("Подключение к Сферуму", date(2025, 7, 7))]
    reporting = [o for o in orgs.values() if o.type in {"school", "preschool", "additional"}]
    registered = sum(TEACHERS[o.id] for o in reporting if o.id != SILENT)
    everyone = sum(TEACHERS[o.id] for o in reporting)
    share = f"{registered / everyone * 100:.1f}".replace(".", ",")
    assert f"• Педагоги, зарегистрированные в Сферуме: {share}\u00a0% (цель 100\u00a0%)" in last, last
    # its deadline 31.05.2025 has passed: judged on the last period due by then (26.05, k = 12: already everyone
    # but the silent school), not met
    # the silent school never reports: the share of everyone is «пока без 1 организации», no delta against a week
    # just as incomplete
    assert f"(цель 100 %), пока без 1 организации; не достигнута на 31.05.2025 ({share} %)" in \
        last.replace("\u00a0", " "), last
    assert f"Сдали: {len(reporting) - 1} из {len(reporting)} организаций" in last
    # every target of that period is one tap away, under the summary's own «По типам»
    last = await press_under(h, coordinator, chat, under[("Подключение к Сферуму", date(2025, 7, 7))], "По типам")
    assert last.startswith("Цели по типам организаций — ") and "период до 07.07.2025" in last, last
    # students: 300 of 400 in each reporting school and additional organization (no baseline there)
    schools = [o for o in reporting if o.type == "school"]
    students = f"{300 * (len(schools) - 1) / (400 * len(schools)) * 100:.1f}".replace(".", ",")
    assert f"• Обучающиеся школ в Сферуме: {students}\u00a0% (цель 85\u00a0%)" in last, last
    # the additional-education organizations answer the question but have no `students` baseline: they are
    # left out of both sides, so the all-types share is the schools' one, not inflated by their 300s
    assert f"• Обучающиеся в Сферуме: {students}\u00a0% (цель 80\u00a0%)" in last, last
    # a kindergarten is never asked about students: no «дошкольные: —» line under that target
    block = last.split("• Обучающиеся в Сферуме", 1)[1].split("\n•", 1)[0]
    assert "общеобразовательные" in block and "дошкольные" not in block, block
    # the activity form: an at_most goal of zero — 4 of 200 lessons without marks in every reporting school
    june = summaries[("Активность за месяц", date(2025, 6, 25))]
    assert "• Уроки без отметок: 2,0\u00a0% (цель не больше 0\u00a0%)" in june, june
    # 2,0 % month after month: no pace towards 0 % by 31.12.2025
    assert "(цель не больше 0\u00a0%), =\u00a00\u00a0п.п.; отстаёт: в таком темпе к 31.12.2025 не успеть" in june, june
    # a monitored target has no verdict
    june = await press_under(h, coordinator, chat, under[("Активность за месяц", date(2025, 6, 25))], "По типам")
    assert "• Уроки без отметок (наблюдение): 2,0\u00a0% (без цели), =\u00a00\u00a0п.п.\n" in june + "\n", june
    # the infrastructure form: a weighted average and the choices counted
    infra = await press_under(h, coordinator, chat, under[("Инфраструктура", date(2025, 6, 20))], "По типам")
    assert f"в среднем 80,0\u00a0% (ответили {len(reporting) - 1})" in infra, infra
    assert f"Есть ли Wi-Fi во всех учебных кабинетах?: частично — {len(reporting) - 1}" in infra
    # what is stored: one submission per reporting organization and period, none for the silent one
    repo = h.app.repos.reports
    for form_id, dues, types in (("enrolment", ENROLMENT, {"school", "preschool", "additional"}),
                                 ("activity", ACTIVITY, {"school"}), ("infra", INFRA, {"school", "preschool", "additional"}),
                                 ("quarters", QUARTERS, {"school"})):
        for due in dues:
            sent = await repo.submitted("region-2025", form_id, due.isoformat())
            assert sent == {o.id for o in orgs.values() if o.type in types and o.id != SILENT}, (form_id, due)
    # nothing outside the forms' from/until: no activity period before February, no infra one before March
    assert await repo.submitted("region-2025", "activity", "2025-01-25") == set()
    assert next_working(date(2025, 7, 12)) >= date(2025, 7, 14)
