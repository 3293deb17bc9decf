"""/status with figures whose percentages are computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.words import texts
from testkit.harness import MOSCOW_SCHOOL, ROOT, Harness, add_moscow_municipality, register

RM = "ntgo-sferum-2023"
async def setup_region(h: Harness) -> tuple[str, str, str]:
    """Seed 000's municipality (Yekaterinburg time) and a second one in Moscow time, one region."""
    await add_moscow_municipality(h)
    at = datetime(2023, 10, 20, 6, 0, tzinfo=UTC)
    figures = {
        "6624000001": (204, 179), "6624000002": (40, 10), "6624000012": (30, 30), "6624000019": (13, 12),
        MOSCOW_SCHOOL: (100, 50),
    }
    for org, (total, active) in figures.items():
        await h.app.repos.reports.save(org, RM, "weekly", "2023-10-20",
                                         {"staff_total": total, "staff_active": active}, 1, at, False)
    await h.app.repos.reports.save("6624000001", RM, "weekly", "2023-10-13",
                                     {"staff_total": 204, "staff_active": 150}, 1, at, False)
    ntgo = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    moscow = str((await h.app.repos.directory.municipalities_by_name("Тестовый МО"))[0].id)
    region = str((await h.app.repos.directory.region_by_name("Свердловская область")).id)
    return ntgo, moscow, region


async def test_municipality_status_by_hand(harness: Harness):
    h = harness
    ntgo, _, _ = await setup_region(h)
    await register(h, 900, "municipality", ntgo, "Ольга", "Смирнова")
    text = await h.text(900, "/status")
    lines = text.splitlines()
    assert lines[0] == "Сводка «Еженедельный мониторинг Сферума» за период до 20.10.2023 — Нижнетуринский ГО"
    assert lines[1] == "Сдали: 4 из 20 организаций (20,0\u00a0%)."
    # teachers: (179 + 10 + 30) / (204 + 40 + 30) = 219 / 274 = 79.93 %; a week before 150 / 204 = 73.53 %
    assert lines[2] == ("• Педагоги, написавшие не менее 10 сообщений за неделю: 79,9\u00a0% (цель 100\u00a0%), "
                        "↑\u00a0+6,4\u00a0п.п.; в графике к 30.12.2023")  # no `by`: judged by the roadmap's end
    # the authority target: 12 / 13 = 92.31 %
    assert "• Сотрудники УО и МКУ «ИМЦ», написавшие не менее 10 сообщений за неделю: 92,3\u00a0% (цель 100\u00a0%); " \
        "темп к 30.12.2023 пока не ясен" in lines  # one week of figures: no pace yet
    # 16 have not reported: the first three by name, then a number
    assert "Не сдали: МАУ ДО «ДЮСШ», МАУ ДО «Центр детского творчества», МКУ «Информационно-методический центр» " \
        "и ещё 13" in lines
    # behind the goal, the lowest first: СОШ № 2 10 / 40, СОШ № 1 179 / 204 (the kindergarten is at 100 %)
    assert "Отстают от цели: МАОУ СОШ № 2 — 25,0\u00a0%, МАОУ СОШ № 1 — 87,7\u00a0%" in lines
    assert len(lines) <= 25
    # one tap away: by type — schools (179 + 10) / 244 = 77.46 %, preschools 30 / 30, extra education no figures
    types = (await h.press(900, "По типам"))[-1].text.splitlines()
    assert "   – общеобразовательные: 77,5\u00a0%" in types
    assert "   – дошкольные: 100,0\u00a0%" in types
    assert "   – дополнительного образования: —" in types
    await h.say(900, "/status")
    who = (await h.press(900, "Кто не сдал"))[-1].text.splitlines()
    start = who.index("«Еженедельный мониторинг Сферума», период до 20.10.2023: не сдали 16 из 20")
    missing = who[start + 1:start + 17]
    assert "   – МАОУ СОШ № 3" in missing and "   – МАОУ СОШ № 1" not in missing and len(missing) == 16
    # as a person counts: № 3 before № 24, № 2 before № 12 (found in the sandbox: «№ 24» came before «№ 3»)
    assert missing.index("   – МАОУ СОШ № 3") < missing.index("   – МАОУ СОШ № 24")
    assert missing.index("   – МАДОУ «Детский сад № 2»") < missing.index("   – МАДОУ «Детский сад № 12»")
    await h.say(900, "/status")
    ranked = (await h.press(900, "По организациям"))[-1].text.splitlines()
    start = ranked.index("«Еженедельный мониторинг Сферума», период до 20.10.2023, по цели «Педагоги, написавшие не "
                         "менее 10 сообщений за неделю», сначала отстающие:")
    assert ranked[start + 1:start + 4] == ["   1. МАОУ СОШ № 2 — 25,0\u00a0%", "   2. МАОУ СОШ № 1 — 87,7\u00a0%",
                                           "   3. МАДОУ «Детский сад № 1» — 100,0\u00a0%"]
    assert "Тестовый МО" not in text


async def test_region_status_ranks_municipalities_in_two_time_zones(harness: Harness):
    h = harness
    _, _, region = await setup_region(h)
    await register(h, 901, "region", region, "Иван", "Орлов")
    text = await h.text(901, "/status")
    lines = text.splitlines()
    assert lines[0].endswith("— Свердловская область")
    assert lines[1] == "Сдали: 5 из 21 организаций (23,8\u00a0%)."
    # (219 + 50) / (274 + 100) = 71.93 %
    assert lines[2].startswith("• Педагоги, написавшие не менее 10 сообщений за неделю: 71,9\u00a0% (цель 100\u00a0%)")
    assert "Отстают от цели: Тестовый МО — 50,0\u00a0%, Нижнетуринский ГО — 79,9\u00a0%" in lines
    ranking = (await h.press(901, "По муниципалитетам"))[-1].text.splitlines()
    start = ranking.index("«Еженедельный мониторинг Сферума», период до 20.10.2023, по цели «Педагоги, написавшие не "
                          "менее 10 сообщений за неделю», сначала отстающие:")
    assert ranking[start + 1:start + 3] == ["   1. Тестовый МО — 50,0\u00a0%, сдали 1/1",
                                            "   2. Нижнетуринский ГО — 79,9\u00a0%, сдали 4/20"]
    # drill-down inside the region
    assert (await h.text(901, "/status Тестовый МО")).splitlines()[1] == "Сдали: 1 из 1 организаций (100,0\u00a0%)."


async def test_drill_down_refused_outside_the_scope(harness: Harness):
    h = harness
    ntgo, _, _ = await setup_region(h)
    await register(h, 902, "municipality", ntgo, "Ольга", "Смирнова")
    assert (await h.text(902, "/status Тестовый МО")).startswith("Не нашёл «Тестовый МО»")
    assert (await h.text(902, f"/status {MOSCOW_SCHOOL}")).startswith("Не нашёл")
    org = await h.text(902, "/status МАОУ СОШ № 2")
    assert org.startswith("МАОУ СОШ № 2") and "25,0\u00a0%" in org
    # an admin sees only their own organization
    await register(h, 903, "organization", "6624000001")
    own = await h.text(903, "/status")
    assert own.startswith("МАОУ СОШ № 1") and "отчёт сдан" in own and "87,7\u00a0%" in own
    assert (await h.text(903, "/status Нижнетуринский ГО")).startswith("Не нашёл")


async def test_long_summary_is_split_at_line_boundaries(harness: Harness):
    h = harness
    rows = "\n".join(f"LONG{n:04d},Свердловская область,Нижнетуринский ГО,Asia/Yekaterinburg,"
                     f"Муниципальное автономное общеобразовательное учреждение «Школа с длинным названием № {n}»,school"
                     for n in range(60))
    await h.app.services.catalog.import_directory("id,region,municipality,timezone,organization,type\n" + rows + "\n", "l.csv")
    ntgo = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 904, "municipality", ntgo, "Ольга", "Смирнова")
    chat = h.emu.add_chat([904])
    await h.settle()  # the bot welcomes the chat it was added to
    await h.say(904, "[club1|@club1] /bind", peer_id=chat)
    before = len(h.emu.delivered(chat))
    await h.app.services.jobs.run_job("summaries", datetime(2023, 10, 20, 13, 0, tzinfo=UTC))
    await h.settle()
    summary = h.emu.delivered(chat)[before:]
    # 80 organizations have not reported: the summary still fits one screen, the list is one tap away
    assert len(summary) == 1 and len(summary[0].text.splitlines()) <= 25
    assert summary[0].text.startswith("Сводка «Еженедельный мониторинг Сферума»")
    assert "и ещё 77" in summary[0].text
    assert summary[0].labels()[:2] == ["Кто не сдал", "Пункты"] and "Организация…" not in summary[0].labels()
    parts = await h.press(904, "Кто не сдал", peer_id=chat)
    assert len(parts) == 2 and all(len(p.text) <= 4096 for p in parts)
    assert parts[0].text.startswith("Кто не сдал — Нижнетуринский ГО")
    # cut between lines, never inside one: the second part opens with a whole name line
    first_line = parts[1].text.splitlines()[0]
    assert first_line.startswith("   – ") and first_line.endswith("»")
    assert parts[0].text.splitlines()[-1].endswith("»")
    assert "«Школа с длинным названием № 59»" in parts[1].text


async def test_chart_is_a_sensible_png(harness: Harness):
    import struct

    h = harness
    ntgo, _, region = await setup_region(h)
    await register(h, 905, "municipality", ntgo, "Ольга", "Смирнова")
    reply = (await h.say(905, "/chart"))[-1]
    assert reply.text.startswith("График целей по периодам — Нижнетуринский ГО")
    assert "На графике — " in reply.text  # which periods it draws, said beside it
    png = h.emu.file_bytes(reply.attachments[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    # 900 × 500 and what the legend and the note under the plot need (the picture holds them, not cuts them)
    assert 850 <= width <= 1000 and 500 <= height <= 900 and 10_000 < len(png) < 500_000
    await register(h, 906, "region", region, "Иван", "Орлов")
    regional = (await h.say(906, "/chart"))[-1]
    assert h.emu.file_bytes(regional.attachments[0])[:4] == b"\x89PNG"


def _book(h: Harness, reply):
    import io

    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(h.emu.file_bytes(reply.attachments[0])))


async def test_export_xlsx_holds_the_numbers(harness: Harness):
    h = harness
    ntgo, _, region = await setup_region(h)
    await register(h, 907, "municipality", ntgo, "Ольга", "Смирнова")
    wb = _book(h, (await h.say(907, "/export"))[-1])
    assert wb.sheetnames == ["Титульный лист", "Еженедельный мониторинг Сферума", "Цели", "Пункты"]
    cover = {r[0]: r[1] for r in wb["Титульный лист"].iter_rows(min_row=3, values_only=True)}
    assert cover["Территория"] == "Нижнетуринский ГО" and cover["Кем"] == "Ольга Смирнова"
    assert cover["Период"] == "«Еженедельный мониторинг Сферума»: до 20.10.2023"
    assert cover["Сформировано"] == "20.10.2023 12:00 (МСК+2)"  # 07:00 UTC on the coordinator's wall clock
    assert cover["Основание"].startswith("Приказ Управления образования")
    ws = wb["Еженедельный мониторинг Сферума"]
    assert ws.freeze_panes == "A2"
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Муниципалитет", "Код организации", "Организация", "Тип", "Педагогов (сотрудников)",
                       "Написали ≥ 10 сообщений", "Педагоги, написавшие не менее 10 сообщений за неделю, %",
                       "Сотрудники УО и МКУ «ИМЦ», написавшие не менее 10 сообщений за неделю, %",
                       "Педагоги ОО, написавшие не менее 10 сообщений, от всех по статистике, %",
                       "Сотрудники УО и МКУ «ИМЦ», написавшие не менее 10 сообщений, от всех 13, %",
                       "Сдано в последний раз (время местное)", "Отметки")
    by_id = {r[1]: r for r in rows[1:] if r[1]}
    assert len(by_id) == 20 and len(rows) == 22  # 20 organizations and the municipality's subtotal
    school = by_id["6624000001"]
    # 179 / 204 = 87.7 %; of its 40 teachers in the directory: 179 / 40 -> 447.5 %
    assert school[4:12] == (204, 179, 87.7, None, 447.5, None, datetime(2023, 10, 20, 11, 0), None)  # a date-time cell
    assert ws.cell(2 + list(by_id).index("6624000001"), 5).number_format == "#,##0"
    assert by_id["6624000003"][4:] == (None, None, None, None, None, None, "не сдан", None)
    subtotal = rows[-1]
    # sums over the four reports: 204 + 40 + 30 + 13 = 287, 179 + 10 + 30 + 12 = 231; teachers' target as in /status
    assert subtotal[:6] == ("Итого: Нижнетуринский ГО", None, "сдали 4 из 20", None, 287, 231)
    assert subtotal[6] == 79.9 and subtotal[7] == round(12 / 13 * 100, 1)
    assert ws.cell(22, 1).font.b
    # the targets sheet: value, goal, deadline and the verdict /status shows
    status = await h.text(907, "/status")
    targets = {r[0]: r for r in wb["Цели"].iter_rows(min_row=2, values_only=True)}
    judged = targets["Педагоги ОО, написавшие не менее 10 сообщений, от всех по статистике"]
    assert judged[1:5] == ("Нижнетуринский ГО", judged[2], 100, "30.12.2023") and judged[5]
    assert judged[5] in status
    weekly = targets["Педагоги, написавшие не менее 10 сообщений за неделю"]  # no `by`: the roadmap's end
    assert weekly[2:5] == (79.9, 100, "30.12.2023") and weekly[5] and weekly[5] in status

    # a report returned for revision stays in its row, marked, and leaves the subtotal
    sub = await h.app.repos.reports.submission("6624000002", RM, "weekly", "2023-10-20")
    await h.app.repos.reports.return_for_revision(sub.id, 907, h.clock(), "проверьте число педагогов")
    rows = list(_book(h, (await h.say(907, "/export"))[-1])["Еженедельный мониторинг Сферума"].iter_rows(
        values_only=True))
    returned = next(r for r in rows if r[1] == "6624000002")
    assert returned[4:6] == (40, 10) and returned[-1] == "возвращён на доработку: проверьте число педагогов"
    # (179 + 30) / (204 + 30) = 89.3 %
    assert rows[-1][2:7] == ("сдали 3 из 20", None, 247, 221, 89.3)
    first_sent = returned[10]
    assert isinstance(first_sent, datetime)

    # a region: each organization's own clock with its zone, subtotals per municipality, the region's total
    await register(h, 910, "region", region, "Иван", "Орлов")
    rows = list(_book(h, (await h.say(910, "/export"))[-1])["Еженедельный мониторинг Сферума"].iter_rows(
        values_only=True))
    assert rows[0][10] == "Сдано в последний раз (местное время организации)"
    assert next(r for r in rows if r[1] == MOSCOW_SCHOOL)[10] == datetime(2023, 10, 20, 9, 0)  # МСК
    assert next(r for r in rows if r[1] == "6624000001")[10] == datetime(2023, 10, 20, 11, 0)  # МСК+2
    labels = [r[0] for r in rows if r[0] and r[0].startswith(("Итого", "Всего"))]
    assert labels == ["Итого: Нижнетуринский ГО", "Итого: Тестовый МО", "Всего: Свердловская область"]
    assert rows[-1][2:6] == ("сдали 4 из 21", None, 347, 271)  # school 2 is still returned

    # a past period by its due date; an empty one and nonsense get a clear message
    week_before = _book(h, (await h.say(907, "/export 13.10.2023"))[-1])
    rows = {r[1]: r for r in week_before["Еженедельный мониторинг Сферума"].iter_rows(values_only=True)}
    assert rows["6624000001"][5] == 150
    assert (await h.text(907, "/export 27.10.2023")).startswith(
        "За период «Еженедельный мониторинг Сферума» до 27.10.2023 ещё никто не сдал отчёт")
    assert (await h.text(907, "/export 01.01.2031")).startswith("Нет периода со сроком 01.01.2031.")
    assert await h.text(907, "/export вчера") == "Не понял период. Укажите дату срока, например: /export 20.10.2023"
    await register(h, 908, "organization", "6624000001")
    assert await h.text(908, "/export") == "Эта команда вам недоступна. Список ваших команд — /help."


async def test_scheduled_summary_carries_the_chart(harness: Harness):
    h = harness
    ntgo, _, _ = await setup_region(h)
    await register(h, 909, "municipality", ntgo, "Ольга", "Смирнова")
    chat = h.emu.add_chat([909])
    await h.settle()  # the bot welcomes the chat it was added to
    await h.say(909, "[club1|@club1] /bind", peer_id=chat)
    before = len(h.emu.delivered(chat))
    at = datetime(2023, 10, 20, 13, 0, tzinfo=UTC)
    await h.app.services.jobs.run_job("summaries", at)
    await h.settle()
    await h.app.services.jobs.run_job("summaries", at)  # again: no second message, no second upload
    await h.settle()
    posted = h.emu.delivered(chat)[before:]
    assert len(posted) == 1 and posted[0].attachments[0].startswith("photo")
    assert "79,9\u00a0%" in posted[0].text


async def with_one_report(h: Harness, roadmap: str, coordinator: int, admin: int, staff: int, active: int) -> str:
    """Load `roadmap`, let school 1 report (staff, active), and return the municipal coordinator's /status."""
    await h.app.services.catalog.load_roadmap(roadmap, "ntgo.toml")
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, coordinator, "municipality", muni)
    await register(h, admin, "organization", "6624000001")
    for answer in ("/report", str(staff), str(active)):
        await h.text(admin, answer)
    assert "Отчёт принят" in await h.text(admin, "Отправить")
    return await all_targets(h, coordinator)


async def all_targets(h: Harness, coordinator: int) -> str:
    """The coordinator's /status and, one tap away, every target («По типам»)."""
    summary = await h.text(coordinator, "/status")
    return summary + "\n" + (await h.press(coordinator, "По типам"))[-1].text


async def test_v2_targets_with_a_zero_goal_at_most_and_without_a_goal(harness: Harness) -> None:
    from testkit.harness import NTGO_ROADMAP

    h = harness
    text = NTGO_ROADMAP.read_text(encoding="utf-8").replace("[[item]]", """[[target]]
key = "inactive_share"
title = "Педагоги без сообщений"
numerator = "staff_active"
denominator = "staff_total"
goal_percent = 0
direction = "at_most"

[[target]]
key = "watched"
title = "Наблюдаемая доля"
numerator = "staff_active"
denominator = "staff_total"

[[item]]""", 1)
    summary = await with_one_report(h, text, 960, 961, 30, 20)
    assert "Педагоги без сообщений: " in summary and "(цель не больше 0\u00a0%)" in summary
    assert "Наблюдаемая доля: " in summary and "(без цели)" in summary
    assert "(цель 100\u00a0%)" in summary  # the v1 targets read as before


def test_v2_target_errors() -> None:
    import pytest

    from bot.domain.roadmap import RoadmapError, parse_roadmap
    from testkit.harness import NTGO_ROADMAP

    text = NTGO_ROADMAP.read_text(encoding="utf-8")
    zero = text.replace("goal_percent = 100", "goal_percent = 0", 1)
    with pytest.raises(RoadmapError) as e:
        parse_roadmap(zero, "x.toml")
    assert "target[0].goal_percent" in str(e.value) and 'direction = "at_most"' in str(e.value)
    lonely = text.replace("goal_percent = 100", 'direction = "at_most"', 1)
    with pytest.raises(RoadmapError) as e:
        parse_roadmap(lonely, "x.toml")
    assert "target[0].direction: direction без goal_percent" in str(e.value)


async def test_a_baseline_denominator_is_a_share_of_everyone(harness: Harness) -> None:
    from testkit.harness import NTGO_ROADMAP

    h = harness
    demo = (ROOT / "directory" / "ntgo-demo.csv").read_text(encoding="utf-8").splitlines()
    teachers = {"6624000001": 40, "6624000002": 50, "6624000003": 60}
    rows = [demo[0] + ",teachers"] + [row + "," + str(teachers.get(row.split(",")[0], "")) for row in demo[1:]]
    await h.app.services.catalog.import_directory("\n".join(rows) + "\n", "baselines.csv")
    text = NTGO_ROADMAP.read_text(encoding="utf-8").replace("[[item]]", """[[target]]
key = "teachers_everyone_share"
title = "Активные от всех педагогов"
numerator = "staff_active"
denominator = "@baseline.teachers"
goal_percent = 100
org_types = ["school"]

[[item]]""", 1)
    summary = await with_one_report(h, text, 970, 971, 45, 30)
    # 30 active of the 150 teachers the directory knows in all three schools, not 30 of the 45 who answered
    assert "Активные от всех педагогов: 20,0\u00a0% (цель 100\u00a0%)" in summary, summary
    # importing the file again without the column replaces the baselines: nothing to divide by
    await h.app.services.catalog.import_directory("\n".join(demo) + "\n", "plain.csv")
    assert "Активные от всех педагогов: данных нет" in await all_targets(h, 970)


def test_baseline_columns_are_checked() -> None:
    import pytest

    from bot.domain.directory_csv import DirectoryError, parse_directory

    head = "id,region,municipality,timezone,organization,type"
    row = "1,Свердловская область,Нижнетуринский ГО,Asia/Yekaterinburg,Школа,school"
    rows = parse_directory(f"{head},teachers,students\n{row},45,\n", "d.csv")
    assert rows[0].baselines == {"teachers": 45}  # an empty cell is unknown
    with pytest.raises(DirectoryError) as e:
        parse_directory(f"{head},Педагоги\n{row},45\n", "d.csv")
    assert "d.csv:1:" in e.value.problems[0] and "Педагоги" in e.value.problems[0]
    with pytest.raises(DirectoryError) as e:
        parse_directory(f"{head},teachers\n{row},сорок\n", "d.csv")
    assert e.value.problems == ["d.csv:2: teachers: ожидается целое число ≥ 0 или пусто, а не 'сорок'"]


def test_the_demo_directory_carries_order_274_statistics() -> None:
    """Seed 000 (приказ № 274), «Статистические данные»: 9 общеобразовательных (204 педагога, 2880 обучающихся),
    2 дополнительного образования (15), 7 дошкольных (191), УО и МКУ «ИМЦ» — 13 сотрудников."""
    import csv

    rows = list(csv.DictReader((ROOT / "directory" / "ntgo-demo.csv").open(encoding="utf-8")))
    by_type: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_type.setdefault(row["type"], []).append(row)
    totals = {t: (len(orgs), sum(int(o["staff"]) for o in orgs)) for t, orgs in by_type.items()}
    assert totals == {"school": (9, 204), "additional": (2, 15), "preschool": (7, 191), "authority": (2, 13)}
    assert sum(int(o["students"]) for o in by_type["school"]) == 2880


async def test_ntgo_targets_count_everyone_the_order_counts(harness: Harness) -> None:
    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 980, "municipality", muni)
    await register(h, 981, "organization", "6624000001")  # 40 staff in the directory
    for answer in ("/report", "38", "30"):
        await h.text(981, answer)
    done = await h.text(981, "Отправить")
    # the admin sees both: 30 of the 38 they counted, and 30 of the 40 the order's statistics count
    assert "Педагоги, написавшие не менее 10 сообщений за неделю: 30 из 38 — 78,9\u00a0% (цель 100\u00a0%)" in done
    assert "Педагоги ОО, написавшие не менее 10 сообщений, от всех по статистике: 30 из 40 — 75,0\u00a0%" in done
    status = await all_targets(h, 980)
    # the territory: 30 of the 410 teachers of all 18 ОО, whether they reported or not
    assert "• Педагоги ОО, написавшие не менее 10 сообщений, от всех по статистике: 7,3\u00a0% (цель 100\u00a0%)" in status
    assert "от всех 13: 0,0\u00a0% (цель 100\u00a0%)" in status  # nobody of УО/ИМЦ reported: 0 of 13


async def test_an_organizations_card_lists_only_roadmaps_that_cover_it(harness: Harness) -> None:
    """A school of a municipality no roadmap covers: its card shows no form to fill (another territory's weekly
    form with a fill button had been shown for it), and a covered school's card still shows its form."""
    h = harness
    await h.app.services.catalog.import_directory(
        "id,region,municipality,timezone,organization,type\n"
        "7700000009,Свердловская область,Непокрытый МО,Europe/Moscow,Школа вне карты,school\n", "x.csv")
    muni = str((await h.app.repos.directory.municipalities_by_name("Непокрытый МО"))[0].id)
    await register(h, 905, "municipality", muni, "Ольга", "Смирнова")
    card = (await h.say(905, "/status 7700000009"))[-1]
    assert card.text.startswith("Школа вне карты") and "Еженедельный мониторинг" not in card.text, card.text
    assert "нет открытых форм" in card.text
    assert not {texts.BTN_BEHALF, texts.BTN_BEHALF_FIX} & set(card.labels())
    h.emu.add_user(1, "Владелец", "Бота")
    covered = (await h.say(1, "/status 6624000001"))[-1]
    assert "Еженедельный мониторинг" in covered.text


async def test_the_excel_judges_a_target_as_the_chat_does_at_the_same_minute(harness: Harness) -> None:
    """Mid-period, /status judges «Педагоги ОО … от всех» on the periods closed so far (30 %, then 40 %: on track to
    100 % by 30.12); the Excel «Цели» sheet, made at the same minute, had judged it as of the period's due day,
    counting the open period's 41 % (pace +1: behind) — the same figure, two verdicts. Now both say the same."""
    import io

    from openpyxl import load_workbook

    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 910, "municipality", muni, "Ольга", "Смирнова")
    for period, active in (("2023-10-06", 123), ("2023-10-13", 164), ("2023-10-20", 168)):
        await h.app.repos.reports.save("6624000001", "ntgo-sferum-2023", "weekly", period,
                                       {"staff_total": 200, "staff_active": active}, 5, h.clock(), False)
    h.clock.now = datetime(2023, 10, 18, 6, 0, tzinfo=UTC)
    chat = await h.text(910, "/status")
    export = (await h.say(910, "/export"))[-1]
    book = load_workbook(io.BytesIO(h.emu.file_bytes(export.attachments[0])))
    sheet = book[texts.EXPORT_TARGETS_SHEET]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=False)) for row in sheet.iter_rows(min_row=2)]
    judged = {r["Цель"]: r["Вердикт"] for r in rows if r["Территория"] == "Нижнетуринский ГО" and r["Вердикт"]}
    assert judged, rows
    title = "Педагоги ОО, написавшие не менее 10 сообщений, от всех по статистике"
    assert judged[title] == "в графике к 30.12.2023", judged
    assert any(x.startswith(f"• {title}:") and "в графике к 30.12.2023" in x for x in chat.splitlines()), chat
    for target, verdict in judged.items():
        line = next((x for x in chat.splitlines() if x.startswith(f"• {target}:")), None)
        if line is not None and line.endswith(": данных нет"):  # the chat says it in its own words
            assert verdict.startswith("нет данных к"), (target, verdict, line)
        elif line is not None:  # shown in the chat: the same verdict
            assert verdict in line, (target, verdict, line)


async def test_no_trend_against_a_week_nobody_reported_in(harness: Harness) -> None:
    """Everyone reports for the first time: a share of everyone has no delta against the empty week before (it had
    read «↑ +47,8 п.п.» measured from 0)."""
    h = harness
    muni = (await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0]
    await register(h, 911, "municipality", str(muni.id), "Ольга", "Смирнова")
    for org in await h.app.repos.directory.organizations_of_municipality(muni.id):
        await h.app.repos.reports.save(org.id, "ntgo-sferum-2023", "weekly", "2023-10-20",
                                       {"staff_total": 40, "staff_active": 10}, 5, h.clock(), False)
    text = (await h.text(911, "/status")).replace("\u00a0", " ")
    line = next(x for x in text.splitlines() if x.startswith("• Педагоги ОО, написавшие не менее 10 сообщений, от всех"))
    assert "п.п." not in line and "пока без" not in line, line


async def test_a_plan_that_has_ended_still_gives_its_final_results_and_exports(harness: Harness) -> None:
    """The demo plan ends on 30.12.2023: in January /status shows its last period's results (it had said «нет
    действующих форм» the moment a coordinator had to send the final figures up), and half a year later
    `/export 20.10.2023` still makes the workbook of that period."""
    import io

    from openpyxl import load_workbook

    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 912, "municipality", muni, "Ольга", "Смирнова")
    await h.app.repos.reports.save("6624000001", "ntgo-sferum-2023", "weekly", "2023-10-20",
                                   {"staff_total": 40, "staff_active": 30}, 5, h.clock(), False)
    await h.app.repos.reports.save("6624000001", "ntgo-sferum-2023", "weekly", "2023-12-29",
                                   {"staff_total": 40, "staff_active": 36}, 5, h.clock(), False)
    h.clock.now = datetime(2024, 1, 10, 6, 0, tzinfo=UTC)
    status = await h.text(912, "/status")
    assert status.startswith("Сводка «Еженедельный мониторинг Сферума» за период до 29.12.2023 — Нижнетуринский ГО"
                             " — последний период формы, итоги"), status
    assert "90,0" in status  # 36 of 40: the final week's figure
    h.clock.now = datetime(2024, 6, 1, 6, 0, tzinfo=UTC)
    assert await h.text(912, "/status") == texts.STATUS_NOTHING  # long after the end the summary rests
    export = (await h.say(912, "/export 20.10.2023"))[-1]
    assert export.attachments, export.text
    book = load_workbook(io.BytesIO(h.emu.file_bytes(export.attachments[0])))
    assert "Еженедельный мониторинг Сферума" in book.sheetnames, book.sheetnames
    rows = list(book["Еженедельный мониторинг Сферума"].iter_rows(values_only=True))
    assert any(r and r[1] == "6624000001" and 30 in r for r in rows), rows[:3]  # that period's figures


async def test_the_excel_shows_when_a_report_was_last_sent(harness: Harness) -> None:
    """A report corrected after being returned: «Сдано» is the correction's time (it had kept the first)."""
    import io

    from openpyxl import load_workbook

    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 913, "municipality", muni, "Ольга", "Смирнова")
    h.clock.now = datetime(2023, 10, 18, 6, 0, tzinfo=UTC)
    saved = await h.app.repos.reports.save("6624000001", "ntgo-sferum-2023", "weekly", "2023-10-20",
                                           {"staff_total": 40, "staff_active": 10}, 5, h.clock(), False)
    await h.app.repos.reports.return_for_revision(saved.submission_id, 913, h.clock(), "проверьте")
    h.clock.now = datetime(2023, 10, 19, 9, 30, tzinfo=UTC)
    await h.app.repos.reports.save("6624000001", "ntgo-sferum-2023", "weekly", "2023-10-20",
                                   {"staff_total": 40, "staff_active": 12}, 5, h.clock(), False)
    export = (await h.say(913, "/export"))[-1]
    sheet = load_workbook(io.BytesIO(h.emu.file_bytes(export.attachments[0])))["Еженедельный мониторинг Сферума"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "6624000001")
    assert row[10].value == datetime(2023, 10, 19, 14, 30)  # 09:30 UTC on Yekaterinburg's wall clock
    assert row[10].number_format == "DD.MM.YYYY HH:MM"


async def test_an_export_for_a_day_before_the_plan_names_no_period(harness: Harness) -> None:
    """`/export 01.01.2020` is long before the demo plan: it is told which periods exist (it had silently become the
    plan's first period)."""
    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 914, "municipality", muni, "Ольга", "Смирнова")
    reply = (await h.say(914, "/export 01.01.2020"))[-1]
    assert not reply.attachments and "01.01.2020" in reply.text, reply.text
    assert "«Еженедельный мониторинг Сферума» — с" in reply.text, reply.text


async def test_two_roadmaps_item_blocks_say_whose_they_are(harness: Harness) -> None:
    from bot.views.message import typeset
    from bot.words.format import short
    from testkit.harness import NTGO_ROADMAP

    h = harness
    text = NTGO_ROADMAP.read_text(encoding="utf-8").replace('id = "ntgo-sferum-2023"', 'id = "ntgo-second"', 1)
    text = text.replace("title = ", "title = \"Вторая карта\"\n# was: ", 1)
    await h.app.services.catalog.load_roadmap(text, "second.toml")
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 960, "municipality", muni)
    shown = await h.text(960, "/status")
    titles = [rm.roadmap.title for rm in await h.app.services.reports.roadmaps.all()]
    assert len(titles) == 2 and "Вторая карта" in titles
    for title in titles:
        assert typeset(f"Пункты карты «{short(title, 60)}»:") in shown, shown  # its own quotes as „…“
    assert "Пункты дорожной карты:" not in shown
