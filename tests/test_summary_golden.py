"""The one-screen summary, held whole: `/status` and the scheduled summary of a municipality and of a region on
the 2025-size roadmap (tests/fixtures/region-2025.toml: 4 forms, 18 targets, 22 items, a monthly one), in the
middle of a season (20.05.2025: four months of figures, the current periods partly sent, some items confirmed).

The expected texts are in tests/golden/; after a deliberate change of wording, `UPDATE_GOLDEN=1` rewrites them
(read the diff before committing). `UPDATE_README=1` also renders the README's example and chart from them."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time

from bot.domain.periods import periods
from bot.views.summary import LINE_BUDGET, phone_lines
from bot.words import texts
from bot.words.format import NBSP
from testkit.harness import DEMO_CSV, ROOT, Harness, register, start_harness, stop_harness

GOLDEN = ROOT / "tests" / "golden"
REGION_2025 = ROOT / "tests" / "fixtures" / "region-2025.toml"
TODAY = date(2025, 5, 20)
NOW = datetime(2025, 5, 20, 5, 0, tzinfo=UTC)  # 10:00 in Yekaterinburg
SILENT = {"6624000003", "6624000015", "6612000004"}  # never report
LATE = {"6624000001", "6624000012", "6624000019", "6612000002", "6606000001"}  # not yet this period
EXTRA = [  # two more municipalities of the region, so that a region ranks something
    ("6612000001", "Качканарский ГО", "МАОУ СОШ № 2", "school", 44, 620, 22),
    ("6612000002", "Качканарский ГО", "МАОУ СОШ № 7", "school", 38, 540, 20),
    ("6612000003", "Качканарский ГО", "МАДОУ «Детский сад № 10»", "preschool", 21, None, None),
    ("6612000004", "Качканарский ГО", "МБУ ДО «Дом детского творчества»", "additional", 12, None, None),
    ("6606000001", "Верхотурский ГО", "МАОУ «Верхотурская гимназия»", "school", 30, 380, 16),
    ("6606000002", "Верхотурский ГО", "МАДОУ «Детский сад № 3 „Солнышко“»", "preschool", 15, None, None),
]


def directory() -> str:
    rows = DEMO_CSV.read_text(encoding="utf-8").splitlines()[1:]
    out = ["id,region,municipality,timezone,organization,type,teachers,students,classes"]
    for n, row in enumerate(rows):
        cells = row.split(",")[:6]
        school = cells[5] == "school"
        out.append(",".join(cells + [str(20 + n), "400" if school else "", "16" if school else ""]))
    for oid, muni, name, kind, teachers, students, classes in EXTRA:
        out.append(",".join([oid, "Свердловская область", muni, "Asia/Yekaterinburg", name, kind, str(teachers),
                             str(students or ""), str(classes or "")]))
    return "\n".join(out) + "\n"


def answers(form, org, k: int, base: dict[str, int]) -> dict:
    """What an organization reports in its k-th period of a form: growing registration, steady activity."""
    h = int(org.id[-2:])
    teachers, students = base.get("teachers", 20), base.get("students", 200)
    rules = {
        "teachers_registered": min(teachers, teachers * (6 + k) // 12),
        "students_registered": min(students, students * (5 + k) // 14),
        "parents_registered": students // 3,
        "teachers_active": teachers * (3 + h % 4) // 8,
        "class_chats": max(0, base.get("classes", 10) - h % 5),
        "lessons_total": 200, "lessons_unmarked": 2 + h % 7,
        "internet_speed": 50.5, "classrooms": 10, "classrooms_equipped_share": 60 + h % 4 * 10,
        "wifi": ("да", "частично", "нет")[h % 3], "problems": None, "news_link": None,
        "events_held": 1 + h % 3, "parents_meeting": h % 3 != 0,
    }
    return {i.key: rules[i.key] for i in form.indicators_for(org.type)}


async def season(tmp_path, schema) -> tuple[Harness, dict[str, int]]:
    h = await start_harness(tmp_path, schema, demo=False)
    h.clock.now = datetime(2025, 1, 10, 6, 0, tzinfo=UTC)
    await h.app.services.catalog.import_directory(directory(), "region.csv")
    loaded = await h.app.services.catalog.load_roadmap(REGION_2025.read_text(encoding="utf-8"), "region-2025.toml")
    rm = loaded.roadmap
    h.clock.now = NOW
    munis = {m.name: m for m in await h.app.repos.directory.all_municipalities()}
    for m in munis.values():
        for org in await h.app.repos.directory.organizations_of_municipality(m.id):
            if org.id in SILENT:
                continue
            base = await h.app.repos.directory.baselines_of(org.id)
            for form in rm.form:
                if org.type not in form.org_types:
                    continue
                due = [p for p in periods(form, rm) if p.due < TODAY + (date(2025, 5, 27) - TODAY)]
                for k, period in enumerate(due):
                    if period.due >= TODAY and org.id in LATE:
                        continue
                    at = min(datetime.combine(period.due, time(5), UTC), NOW)
                    await h.app.repos.reports.save(org.id, rm.id, form.id, period.key, answers(form, org, k, base),
                                                   0, at, False)
    ntgo = munis["Нижнетуринский ГО"]
    # the municipality confirmed item 2, and item 4 for January and March; schools confirmed item 3 but one
    for occ, item in (("2025-02-14", "2"), ("2025-01-31", "4"), ("2025-03-31", "4")):
        await h.app.repos.items.confirm(rm.id, item, occ, "municipality", str(ntgo.id), 7100, NOW, None)
    for org in await h.app.repos.directory.organizations_of_municipality(ntgo.id):
        if org.id != "6624000005":
            await h.app.repos.items.confirm(rm.id, "3", "2025-02-14", "organization", org.id, 7100, NOW, None)
    await register(h, 7100, "municipality", str(ntgo.id), "Ольга", "Смирнова")
    await register(h, 7200, "region", str(ntgo.region_id), "Ирина", "Соколова")
    return h, {"municipality": ntgo.id, "region": ntgo.region_id}


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8"), f"{name} differs from {path}; UPDATE_GOLDEN=1 to accept"


def sources() -> list[str]:
    """Every title and name a summary may shorten."""
    toml = REGION_2025.read_text(encoding="utf-8")
    return re.findall(r'^(?:title|question) = "(.+)"$', toml, re.M) + \
        [line.split(",")[4] for line in directory().splitlines()[1:]]


def assert_readable(text: str) -> None:
    """One phone screen — lines counted as a phone wraps them at 38 characters, not as sent; nothing cut inside a
    word; no number split from its unit."""
    assert phone_lines(text) <= LINE_BUDGET, f"{phone_lines(text)} lines on a phone:\n{text}"
    assert len(text) <= 4096
    known = sources()
    for fragment in re.findall(r"«([^«»]*?)…", text):
        whole = [s for s in known if s.startswith(fragment) and len(s) > len(fragment)]
        assert whole, f"«{fragment}…» shortens nothing known"
        assert any(s[len(fragment)] in " ,;:" for s in whole), f"«{fragment}…» is cut inside a word of {whole[0]}"
    assert not re.search(r"\d %|\d п\.п\.|[↑↓] |\d \d{3}\b", text), "a number and its unit may be split"


async def test_golden_summaries_of_a_2025_size_roadmap(tmp_path, schema) -> None:
    h, scopes = await season(tmp_path, schema)
    try:
        summary_service = h.app.services.summary
        rm = (await h.app.services.reports.roadmaps.all())[0]
        shown = {
            "status-municipality": await h.text(7100, "/status"),
            "status-region": await h.text(7200, "/status"),
            "summary-municipality": (await summary_service.summary_for_event(rm, "enrolment", "2025-05-19", "municipality",
                                                                    scopes["municipality"])).text,
            "summary-region": (await summary_service.summary_for_event(rm, "activity", "2025-04-25", "region",
                                                              scopes["region"])).text,
        }
        for name, text in shown.items():
            assert text is not None, name
            assert_readable(text)
            check_golden(name, text)
        if os.environ.get("UPDATE_README"):
            territory = await summary_service.territory("municipality", scopes["municipality"])
            picture = await summary_service.chart(territory, h.clock())
            (ROOT / "docs" / "summary-chart.png").write_bytes(picture.png)
        # the region's /status drills into a municipality: the municipality's screen, from the region's coordinator
        assert await h.text(7200, "/status нижнетур") == shown["status-municipality"]
    finally:
        await stop_harness(h)


async def test_every_button_under_the_summary_answers(tmp_path, schema) -> None:
    """Press each button under a municipality's and a region's /status, as their coordinators would."""
    h, _ = await season(tmp_path, schema)
    try:
        for user, labels in ((7100, ["Кто не сдал", "Пункты", "По типам", "По организациям", "Excel", "График"]),
                             (7200, ["Кто не сдал", "Пункты", "По типам", "По муниципалитетам", "Excel", "График"])):
            replies = await h.say(user, "/status")
            buttons = replies[-1].labels()
            assert buttons == [*labels[:4], "Организация…", "Excel", "График"], buttons
            for label in labels:
                await h.say(user, "/status")  # a file's message brings the menu back: the summary again
                got = await h.press(user, label)
                assert got and got[-1].text.strip() or got[-1].attachments, (user, label)
                assert texts.NOT_ALLOWED not in got[-1].text and texts.VIEW_SCOPE_GONE not in got[-1].text
        missing = await h.text(7100, "/status")
        # three forms on one phone screen leave no room for names: they are one tap away, and it says so
        assert "Не сдали:" not in missing and missing.endswith(texts.SUMMARY_MORE)
        # enrolment: two silent organizations and two not yet this week
        who = (await h.press(7100, "Кто не сдал"))[-1].text
        enrolment = who.split("«Подключение к Сферуму», период до 26.05.2025: не сдали 4 из 18\n", 1)[1]
        assert enrolment.split("\n«")[0].splitlines() == [
            "   – МАДОУ «Детский сад № 1»", "   – МАДОУ «Детский сад № 5»", "   – МАОУ СОШ № 1", "   – МАОУ СОШ № 3"]
        await h.say(7200, "/status")
        by_munis = (await h.press(7200, "По муниципалитетам"))[-1].text
        # the lowest first: Верхотурский ГО's only school has not sent this period, a share of everyone is 0 there
        assert "   1. Верхотурский ГО — 33,3\u00a0%, сдали 1/2\n   2. Качканарский ГО" in by_munis, by_munis
        # «Организация…», then a name typed the tired way
        await h.say(7100, "/status")
        asked = await h.press(7100, "Организация…")
        assert asked[-1].text == texts.STATUS_ASK_ORG
        view = await h.text(7100, "дс 15")
        assert view.startswith("МАДОУ «Детский сад № 15»"), view
    finally:
        await stop_harness(h)


def test_the_readme_shows_the_rendered_summary() -> None:
    """The README's example is the golden municipal /status; `UPDATE_README=1` rewrites it (and the chart)."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    example = (GOLDEN / "status-municipality.txt").read_text(encoding="utf-8").replace(NBSP, " ")
    block = "<!-- summary -->\n```text\n" + example + "```\n<!-- /summary -->"
    if os.environ.get("UPDATE_README"):
        text = re.sub(r"<!-- summary -->.*?<!-- /summary -->", lambda _: block, text, flags=re.S)
        readme.write_text(text, encoding="utf-8")
    assert block in text, "README's summary example is stale: UPDATE_README=1 python -m pytest tests/test_summary_golden.py"
    assert (ROOT / "docs" / "summary-chart.png").exists()


async def test_a_forged_or_foreign_summary_button_shows_nothing(tmp_path, schema) -> None:
    """The territory in a button is the presser's claim: checked against our roles, not trusted."""
    import json

    h, scopes = await season(tmp_path, schema)
    try:
        region = {"cmd": "status_view", "v": "missing", "l": "region", "id": scopes["region"]}
        # the municipal coordinator presses a view of the whole region
        got = await h.say(7100, "Кто не сдал", payload=json.dumps(region))
        assert got[-1].text == texts.VIEW_SCOPE_GONE
        # a school's admin presses a municipality's view, Excel and chart
        await register(h, 7300, "organization", "6624000002")
        for cmd in ("status_view", "export", "chart"):
            forged = {"cmd": cmd, "v": "missing", "l": "municipality", "id": scopes["municipality"]}
            text = (await h.say(7300, "Кто не сдал", payload=json.dumps(forged)))[-1].text
            assert "Не сдали" not in text and "МАОУ" not in text and not (await h.say(7300, "x"))[-1].attachments
        # a view of an organization-level scope or of nothing at all is refused too
        for args in ({"l": "organization", "id": 6624000002}, {"l": "municipality", "id": "1; DROP"}, {"v": "x"}):
            got = await h.say(7100, "Кто не сдал", payload=json.dumps({"cmd": "status_view", **args}))
            assert got[-1].text == texts.VIEW_SCOPE_GONE, args
        # the coordinator's own municipality answers
        own = {"cmd": "status_view", "v": "missing", "l": "municipality", "id": scopes["municipality"]}
        assert (await h.say(7100, "Кто не сдал", payload=json.dumps(own)))[-1].text.startswith("Кто не сдал")
    finally:
        await stop_harness(h)


async def test_every_view_judges_a_target_alike_across_the_season(tmp_path, schema) -> None:
    """Day by day over the 2025 season, the municipality's /status, its scheduled summary for a period due that
    day and the Excel «Цели» sheet give each target the same verdict, and /status and the summary the same line
    (value, delta, «пока без N», verdict): one judgment, shown by each view (bot/domain/judgment.py)."""
    import io
    from datetime import timedelta

    from openpyxl import load_workbook

    from bot.domain.periods import periods as periods_of

    h, scopes = await season(tmp_path, schema)
    try:
        summary_service = h.app.services.summary
        rm = (await h.app.services.reports.roadmaps.all())[0]
        territory = await summary_service.territory("municipality", scopes["municipality"])
        assert territory is not None
        dues = {p.due: form for form in rm.form for p in periods_of(form, rm)}
        checked = compared = 0
        day = date(2025, 3, 3)
        while day <= date(2025, 5, 26):
            h.clock.now = datetime.combine(day, time(13, 0), UTC)  # 18:00 in Yekaterinburg: summaries' hour
            shown = await h.text(7100, "/status")
            made = await h.app.services.exports.export(territory, h.clock())
            if made.data is not None:
                book = load_workbook(io.BytesIO(made.data))
                for row in book["Цели"].iter_rows(min_row=2, values_only=True):
                    title, scope, verdict = row[0], row[1], row[5]
                    line = next((x for x in shown.splitlines() if x.startswith(f"• {title}:")), None)
                    if scope == territory.name and verdict and line is not None:
                        assert line.endswith("; " + verdict), (day, line, verdict)
                        checked += 1
            form = dues.get(day)
            if form is not None:
                summary = await summary_service.summary_for_event(rm, form.id, day.isoformat(), "municipality", territory.id)
                for line in (summary.text if summary else "").splitlines():
                    if line.startswith("• ") and line in shown:
                        compared += 1
                    elif line.startswith("• ") and any(x.startswith(line.split(":")[0] + ":")
                                                       for x in shown.splitlines()):
                        raise AssertionError((day, line, shown))
            day += timedelta(days=3)
        assert checked > 20 and compared > 3, (checked, compared)
    finally:
        await stop_harness(h)


async def test_summaries_due_together_reach_a_chat_as_one_message(tmp_path, schema) -> None:
    """On the 2025-size plan several forms' summaries fall due at one moment: the coordinators' chat gets one
    message — a section per form, the items block once, the buttons once — and a re-run queues nothing again."""
    from bot.services.jobs import together

    h, scopes = await season(tmp_path, schema)
    try:
        jobs = h.app.services.jobs
        chat = h.emu.add_chat([7100])
        await h.say(7100, f"{h.emu.mention()} /bind", peer_id=chat)
        start = datetime(2025, 1, 1, tzinfo=UTC)
        events = [e for e in await jobs.events(start, start.replace(year=2026))
                  if e.kind == "form_summary" and e.scope_role == "municipality" and e.scope_id == scopes["municipality"]]
        group = next(g for g in together(events) if len(g) > 1)
        before = len(h.emu.delivered(chat))
        assert await jobs.run_job("summaries", group[0].instant) == 1
        await h.settle()
        got = h.emu.delivered(chat)[before:]
        assert len(got) == 1, [m.text[:60] for m in got]
        text = got[0].text
        titles = {f.id: f.title for rm in await h.app.services.reports.roadmaps.all() for f in rm.form}
        for event in group:
            assert f"«{titles[event.ref]}», период до {event.occurrence:%d.%m.%Y}" in text, text
        assert text.count("Пункты дорожной карты") == 1 and got[0].keyboard
        assert await jobs.run_job("summaries", group[0].instant) == 0  # the same moment again: nothing new
    finally:
        await stop_harness(h)


async def test_the_items_view_lists_a_name_a_line(tmp_path, schema) -> None:
    """«Пункты» under a summary: each item, how many have not confirmed it, and their names one a line (at most five,
    the rest counted) — ten names joined by «;» in one line had made it a wall."""
    h, _ = await season(tmp_path, schema)
    try:
        await h.say(7100, "/status")
        items = (await h.press(7100, "Пункты"))[-1].text
        heads = [line for line in items.splitlines() if line.startswith("• п. ")]
        assert heads and all("не отметили (" in line for line in heads), items
        names = [line for line in items.splitlines() if line.startswith("   – ")]
        assert names and all(";" not in line for line in names), items
        big = next(line for line in heads if "п. 2 " in line or "(18)" in line or "(17)" in line)
        block = items.split(big, 1)[1].split("\n• ", 1)[0].splitlines()[1:]
        assert len(block) <= 6 and block[-1].startswith("   – и ещё "), block
    finally:
        await stop_harness(h)


async def test_a_schools_own_status_fits_one_phone_screen(tmp_path, schema) -> None:
    """A school's own /status on the 2025-size plan: forms near, the first target with a goal of each, the later
    form in one line — within 25 lines as a phone wraps them (it had been 78 there); «Все цели» shows the rest."""
    h, _ = await season(tmp_path, schema)
    try:
        await register(h, 7300, "organization", "6624000001")
        shown = (await h.say(7300, "/status"))[-1]
        assert phone_lines(shown.text) <= LINE_BUDGET, shown.text
        assert shown.text.startswith("МАОУ СОШ № 1\n") and "Позже: ещё 1\u00a0форма" in shown.text, shown.text
        assert "Педагоги школ в Сферуме" not in shown.text and shown.text.endswith(texts.STATUS_ORG_MORE)
        assert shown.labels() == [texts.BTN_ALL_TARGETS]
        whole = (await h.press(7300, texts.BTN_ALL_TARGETS))[-1].text
        assert "• Педагоги школ в Сферуме: 100,0" in whole and "Позже" in whole and texts.STATUS_ORG_MORE not in whole
        # an admin of two organizations: both on one screen together, one «Все цели»
        await register(h, 7300, "organization", "6624000011")
        both = (await h.say(7300, "/status"))[-1]
        assert "МАОУ СОШ № 1" in both.text and "МАУ ДО «ДЮСШ»" in both.text
        assert phone_lines(both.text) <= LINE_BUDGET + 1, both.text  # (the blank line between the two)
        assert both.labels() == [texts.BTN_ALL_TARGETS]
        # a coordinator's card of it: the same budget, «Все цели» beside the buttons to fill or return
        card = (await h.say(7100, "/status МАОУ СОШ № 1"))[-1]
        assert phone_lines(card.text) <= LINE_BUDGET and card.labels()[0] == texts.BTN_ALL_TARGETS, card.text
        assert "Педагоги школ в Сферуме" in (await h.press(7100, texts.BTN_ALL_TARGETS))[-1].text
    finally:
        await stop_harness(h)
