"""Format v2 indicator kinds (number, percent, choice, text, link) and `required = false`: asked, checked,
stored, summed or not, shown and exported as docs/roadmap-format.md says; and the load errors around them."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from bot.domain.forms import Invalid, parse_choice, parse_link, parse_number, parse_percent, parse_text
from bot.domain.roadmap import RoadmapError, parse_roadmap
from bot.words import texts
from testkit.harness import DEMO_CSV, ROOT, Harness, register, start_harness, stop_harness

REGION_2025 = ROOT / "tests" / "fixtures" / "region-2025.toml"
SCHOOL_1, SCHOOL_2, SCHOOL_3 = "6624000001", "6624000002", "6624000003"
KINDERGARTEN = "6624000012"
INFRA_DUE = "2025-03-20"
# Thursday 20.03.2025, 12:00 in Yekaterinburg: the infrastructure form's first period is due today
INFRA_DAY = datetime(2025, 3, 20, 7, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------- typed answers


@pytest.mark.parametrize("typed, value", [
    ("12,5", 12.5), ("12.5", 12.5), (" 1 234,5 ", 1234.5), ("1,000,000", 1_000_000), ("0", 0), ("95", 95),
    ("0,25", 0.25), (",5", 0.5), ("100.", 100), ("+7", 7), ("-0", 0), ("95,5 Мбит/с", 95.5), ("100mbps", 100),
])
def test_a_decimal_is_read_the_russian_way_or_with_a_dot(typed: str, value: float) -> None:
    got = parse_number(typed)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("typed, message", [
    ("-3", texts.FORM_NEGATIVE), ("двенадцать", texts.FORM_NOT_DECIMAL), ("1e3", texts.FORM_NOT_DECIMAL),
    ("12,5,3", texts.FORM_NOT_DECIMAL), ("", texts.FORM_NOT_DECIMAL), ("10000000000", texts.FORM_TOO_BIG_NUMBER),
])
def test_what_is_not_a_decimal(typed: str, message: str) -> None:
    with pytest.raises(Invalid) as e:
        parse_number(typed)
    assert e.value.message == message


def test_a_percent_is_0_to_100_with_or_without_the_sign() -> None:
    assert parse_percent("87,5 %") == 87.5 and parse_percent("100%") == 100 and parse_percent("0") == 0
    for typed in ("101", "100,1 %"):
        with pytest.raises(Invalid) as e:
            parse_percent(typed)
        assert e.value.message == texts.FORM_PERCENT_RANGE


def test_a_choice_typed_instead_of_pressed() -> None:
    options = ["да", "частично", "нет"]
    assert parse_choice("Частично", options) == "частично"
    assert parse_choice("2", options) == "частично"
    assert parse_choice("д", options) == "да" and parse_choice("Нет.", options) == "нет"
    assert parse_choice("част", options) == "частично"
    # a tired admin's key held down: 10,000 digits are past what int() takes (found by the property test)
    for typed in ("может быть", "4", "", "1" * 10_000):
        with pytest.raises(Invalid) as e:
            parse_choice(typed, options)
        assert e.value.message == texts.FORM_CHOICE.format(options="«да», «частично», «нет»")


def test_a_link_is_an_http_address() -> None:
    assert parse_link("sferum.ru/news/1") == "https://sferum.ru/news/1"
    assert parse_link(" http://школа.рф/новости. ") == "http://школа.рф/новости"
    assert parse_link("HTTPS://Example.org?a=1") == "HTTPS://Example.org?a=1"
    for typed in ("пока нет", "javascript:alert(1)", "ftp://files.ru/a", "https://", "https://localhost/x",
                  "https://a b.ru", "https://sferum.ru/" + "x" * 2000):
        with pytest.raises(Invalid) as e:
            parse_link(typed)
        assert e.value.message == texts.FORM_NOT_LINK, typed


def test_a_text_is_kept_as_written_within_its_limit() -> None:
    assert parse_text("  Нет\x00 интернета\x07\n в кабинете 5 ", 500) == "Нет интернета\n в кабинете 5"
    with pytest.raises(Invalid) as e:
        parse_text("а" * 501, 500)
    assert e.value.message == texts.FORM_TEXT_TOO_LONG.format(length=501, limit=500)
    with pytest.raises(Invalid) as e:
        parse_text(" \x01 ", 500)
    assert e.value.message == texts.FORM_TEXT_EMPTY


# ---------------------------------------------------------------------------- load errors

KIND_ERRORS = [
    # (replace this, with that) in region-2025.toml -> (key, words of the Russian message)
    ('options = ["да", "частично", "нет"]', 'options = ["да"]', "form[2].indicator[3].options", "двух и более"),
    ('options = ["да", "частично", "нет"]', 'options = ["да", "Да"]', "form[2].indicator[3].options", "повторяются"),
    ('  kind = "choice"\n  options = ["да", "частично", "нет"]', '  kind = "choice"', "form[2].indicator[3].options",
     "двух и более"),
    ('  kind = "text"\n  max_length = 500', '  kind = "link"\n  max_length = 500', "form[2].indicator[4].max_length",
     'только к kind = "text"'),
    ('weight = "classrooms"', 'weight = "wifi"', "form[2].indicator[2].weight", "count"),
    ('weight = "classrooms"', 'weight = "teachers_active"', "form[2].indicator[2].weight", "этой же форме"),
    ('  kind = "percent"\n  weight', '  kind = "number"\n  weight', "form[2].indicator[2].weight",
     'только к kind = "percent"'),
    ('  kind = "number"\n  max = 10000', '  kind = "percent"\n  max = 10000', "form[2].indicator[0].max",
     "0–100"),
    ('  kind = "number"\n  max = 10000', '  kind = "count"\n  max = 10000.5', "form[2].indicator[0].max", "целое"),
    ('  kind = "choice"\n  options', '  kind = "choice"\n  carry_over = true\n  options',
     "form[2].indicator[3].carry_over", "count"),
    ('numerator = "internet_speed"', 'numerator = "classrooms_equipped_share"', "target[16].numerator",
     "не суммируется"),
    ('denominator = "classrooms"', 'denominator = "news_link"', "target[16].denominator", "не суммируется"),
    ('  kind = "text"\n  max_length = 500', '  kind = "text"\n  max_length = 5000', "form[2].indicator[4].max_length",
     "не больше 2000"),
    ('  kind = "count"\n  carry_over = true\n\n  [[form.indicator]]\n  key = "classrooms_equipped_share"',
     '  kind = "memo"\n\n  [[form.indicator]]\n  key = "classrooms_equipped_share"', "form[2].indicator[1].kind",
     "недопустимое значение 'memo'"),
]


@pytest.mark.parametrize("old, new, key, words", KIND_ERRORS, ids=[f"{e[2]}-{e[3]}" for e in KIND_ERRORS])
def test_kind_mistakes_are_refused_with_line_and_key_in_russian(old: str, new: str, key: str, words: str) -> None:
    text = REGION_2025.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    broken = text.replace(old, new, 1)
    with pytest.raises(RoadmapError) as e:
        parse_roadmap(broken, "region-2025.toml")
    problems = [p for p in e.value.problems if p.key == key]
    assert problems, str(e.value)
    assert words in problems[0].message, str(e.value)
    assert problems[0].line is not None and problems[0].file == "region-2025.toml"
    # the line named is the key's own line (or its table's, for a key that is missing)
    lines = broken.splitlines()
    assert key.rsplit(".", 1)[-1].split("[")[0] in lines[problems[0].line - 1] or "[[" in lines[problems[0].line - 1]


# ---------------------------------------------------------------------------- a report, end to end


def directory_with_baselines() -> str:
    """The demo directory with what a region knows per organization: teachers, students, classes."""
    rows = DEMO_CSV.read_text(encoding="utf-8").splitlines()
    head = rows[0].split(",")[:6]
    out = [",".join(head + ["teachers", "students", "classes"])]
    for row in rows[1:]:
        out.append(",".join(row.split(",")[:6] + ["40", "500", "20"]))
    return "\n".join(out) + "\n"


@pytest.fixture
async def region(tmp_path, schema):
    h = await start_harness(tmp_path, schema, demo=False)
    await h.app.services.catalog.import_directory(directory_with_baselines(), "region.csv")
    await h.app.services.catalog.load_roadmap(REGION_2025.read_text(encoding="utf-8"), "region-2025.toml")
    h.clock.now = INFRA_DAY
    try:
        yield h
    finally:
        await stop_harness(h)


async def open_infra(h: Harness, user: int) -> str:
    replies = await h.say(user, "/report")
    if replies[-1].text.startswith("«Инфраструктура»"):  # the only form open today: opened at once
        return replies[-1].text
    labels = replies[-1].labels()
    assert any(label.startswith("Инфраструктура") for label in labels), labels
    infra = next(label for label in labels if label.startswith("Инфраструктура"))
    return (await h.press(user, infra))[-1].text


async def infra_figures(h: Harness, org: str) -> dict:
    sub = await h.app.repos.reports.submission(org, "region-2025", "infra", INFRA_DUE)
    return await h.app.repos.reports.figures(sub.id) if sub else {}


async def test_every_kind_asked_checked_and_stored(region: Harness) -> None:
    h = region
    await register(h, 801, "organization", SCHOOL_1)
    first = await open_infra(h, 801)
    assert "Вопрос 1 из 6. Скорость подключения к интернету, Мбит/с?" in first
    assert texts.FORM_HINT_NUMBER in first
    assert (await h.text(801, "10 000,5")).startswith(texts.FORM_ABOVE_MAX.format(max="10000"))
    assert "Вопрос 2 из 6" in await h.text(801, "95,5")
    assert "Вопрос 3 из 6" in await h.text(801, "24")
    percent = await h.text(801, "120")
    assert percent.startswith(texts.FORM_PERCENT_RANGE) and texts.FORM_HINT_PERCENT in percent
    choice = await h.text(801, "87,5 %")
    assert "Вопрос 4 из 6. Есть ли Wi-Fi во всех учебных кабинетах?" in choice
    assert h.emu.delivered(801)[-1].labels() == ["да", "частично", "нет", texts.BTN_BACK, texts.BTN_CANCEL]
    assert (await h.text(801, "иногда")).startswith("Выберите один из вариантов: «да», «частично», «нет».")
    optional = (await h.press(801, "частично"))[-1]
    assert "Вопрос 5 из 6" in optional.text and texts.FORM_HINT_OPTIONAL in optional.text
    assert optional.labels() == [texts.BTN_SKIP, texts.BTN_BACK, texts.BTN_CANCEL]
    assert (await h.text(801, "х" * 501)).startswith(texts.FORM_TEXT_TOO_LONG.format(length=501, limit=500))
    link = await h.text(801, "Медленный интернет в корпусе 2")
    assert "Вопрос 6 из 6" in link and texts.FORM_HINT_LINK in link
    assert (await h.text(801, "ещё не опубликовали")).startswith(texts.FORM_NOT_LINK)
    summary = await h.text(801, "school1.ru/news/sferum")
    assert "Проверьте ответы" in summary
    for shown in ("1. Скорость подключения к интернету, Мбит/с? — 95,5", "— 24", "— 87,5\u00a0%", "— частично",
                  "— Медленный интернет в корпусе 2", "— https://school1.ru/news/sferum"):
        assert shown in summary, shown
    assert "Отчёт принят" in await h.text(801, texts.BTN_SEND)
    assert await infra_figures(h, SCHOOL_1) == {
        "internet_speed": 95.5, "classrooms": 24, "classrooms_equipped_share": 87.5, "wifi": "частично",
        "problems": "Медленный интернет в корпусе 2", "news_link": "https://school1.ru/news/sferum"}


async def test_an_optional_question_is_skipped_and_a_required_one_is_not(region: Harness) -> None:
    h = region
    await register(h, 802, "organization", SCHOOL_2)
    await open_infra(h, 802)
    for typed in ("100", "10", "50"):
        await h.say(802, typed)
    # a required question offers no skip, and a typed «Пропустить» is refused there
    assert texts.BTN_SKIP not in h.emu.delivered(802)[-1].labels()
    assert (await h.text(802, "Пропустить")).startswith(texts.FORM_REQUIRED)
    await h.press(802, "да")
    await h.press(802, texts.BTN_SKIP)  # the text question
    summary = await h.text(802, "пропустить")  # the link, typed
    assert "5. Что мешает работе в Сферуме? Опишите коротко. — пропущено" in summary
    assert "6. Ссылка на новость о Сферуме на сайте организации — пропущено" in summary
    assert "Отчёт принят" in await h.text(802, texts.BTN_SEND)
    stored = await infra_figures(h, SCHOOL_2)
    assert stored["problems"] is None and stored["news_link"] is None and stored["wifi"] == "да"
    # a correction answers the skipped question: history shows both, the skip as «пропущено»
    await h.say(802, "/report")
    labels = h.emu.delivered(802)[-1].labels()
    await h.press(802, next(label for label in labels if label.startswith("Инфраструктура")))
    await h.press(802, texts.REPORT_EDIT)
    await h.press(802, texts.BTN_FIX)
    await h.press(802, "5")
    await h.say(802, "Нет проектора")
    assert "Исправление принято" in await h.text(802, texts.BTN_SEND)
    assert (await infra_figures(h, SCHOOL_2))["problems"] == "Нет проектора"
    await register(h, 803, "municipality", str((await h.app.repos.directory.organization(SCHOOL_2)).municipality_id))
    history = await h.text(803, f"/history {SCHOOL_2}")
    assert "Что мешает работе в Сферуме? Опишите коротко. пропущено → Нет проектора" in history
    assert "Скорость подключения к интернету, Мбит/с? — → 100" in history


async def test_percent_is_a_weighted_average_and_choices_are_counted(region: Harness) -> None:
    h = region
    answers = {  # organization: (speed, classrooms, equipped %, wifi)
        SCHOOL_1: ("100", "30", "90", "да"),
        SCHOOL_2: ("50,5", "10", "50", "частично"),
        SCHOOL_3: ("20", "0", "0", "нет"),  # no classrooms: weighs nothing in the average
        KINDERGARTEN: ("30", "10", "70", "да"),
    }
    for n, (org, (speed, rooms, share, wifi)) in enumerate(answers.items()):
        user = 810 + n
        await register(h, user, "organization", org)
        await open_infra(h, user)
        for typed in (speed, rooms, share):
            await h.say(user, typed)
        await h.press(user, wifi)
        await h.press(user, texts.BTN_SKIP)
        await h.press(user, texts.BTN_SKIP)
        assert "Отчёт принят" in await h.text(user, texts.BTN_SEND), org
    muni = str((await h.app.repos.directory.organization(SCHOOL_1)).municipality_id)
    await register(h, 820, "municipality", muni)
    await h.text(820, "/status")
    status = (await h.press(820, "По типам"))[-1].text  # the averages and counted choices are one tap away
    # (90·30 + 50·10 + 0·0 + 70·10) / (30 + 10 + 10) = 3900 / 50 = 78 % over the four that answered
    assert "• Какая доля кабинетов оснащена для работы в Сферуме, %?: в среднем 78,0\u00a0% (ответили 4)" in status
    assert "• Есть ли Wi-Fi во всех учебных кабинетах?: да — 2, частично — 1, нет — 1" in status
    # a number is summed like a count: 200,5 Mbit/s over 40 classrooms (school 3 has none: not divided by)
    assert "Скорость на кабинет (наблюдение): 401,0\u00a0%" in status
    # the texts and links are not summed, but each organization's own view shows its answers
    await h.text(810, "/status")  # one phone screen: the answers are under «Все цели»
    own = (await h.press(810, texts.BTN_ALL_TARGETS))[-1].text
    assert "• Есть ли Wi-Fi во всех учебных кабинетах?: да" in own
    assert "• Что мешает работе в Сферуме? Опишите коротко.: пропущено" in own


async def test_the_export_carries_every_kind_as_its_type(region: Harness) -> None:
    h = region
    await register(h, 830, "organization", SCHOOL_1)
    await open_infra(h, 830)
    for typed in ("95,5", "24", "87,5"):
        await h.say(830, typed)
    await h.press(830, "нет")
    await h.say(830, "=HYPERLINK(\"http://evil\")")  # a formula typed as text stays text
    await h.say(830, "https://school1.ru/a")
    await h.press(830, texts.BTN_SEND)
    muni = str((await h.app.repos.directory.organization(SCHOOL_1)).municipality_id)
    await register(h, 831, "municipality", muni)
    await h.say(831, f"/export {INFRA_DUE[8:10]}.{INFRA_DUE[5:7]}.{INFRA_DUE[:4]}")
    doc = h.emu.delivered(831)[-1]
    data = h.emu.file_bytes(doc.attachments[0])
    book = load_workbook(io.BytesIO(data))
    sheet = book[next(n for n in book.sheetnames if n.startswith("Инфраструктура"))]
    form = next(f for rm in await h.app.services.reports.roadmaps.all() for f in rm.form if f.id == "infra")
    # the headers are what a person reads (the question, «, %» for a percent); keyed back for the checks
    keys = {i.header + (", %" if i.kind == "percent" else ""): i.key for i in form.indicator}
    header = [keys.get(c.value, c.value) for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == SCHOOL_1)
    values = dict(zip(header, row, strict=True))
    assert values["internet_speed"] == 95.5 and values["classrooms"] == 24
    assert values["classrooms_equipped_share"] == 87.5 and values["wifi"] == "нет"
    assert values["problems"] == "=HYPERLINK(\"http://evil\")" and values["news_link"] == "https://school1.ru/a"
    cell = next(c for c in sheet[next(i for i, r in enumerate(sheet.iter_rows(values_only=True), 1)
                                      if r[1] == SCHOOL_1)] if c.value == values["problems"])
    assert cell.data_type == "s"


async def test_old_figures_survive_the_kinds_migration(tmp_path) -> None:
    """A database of the v1 shape (INTEGER figures) keeps every figure and change through migration 010."""
    from storage.db import MIGRATIONS_DIR, Database

    db = await Database.open(tmp_path / "old.sqlite3", migrate=False)
    try:
        old = sorted(p for p in MIGRATIONS_DIR.glob("*.sql") if int(p.name[:3]) < 10)
        scratch = tmp_path / "mig"
        scratch.mkdir()
        for p in old:
            (scratch / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
        await db.migrate(scratch)
        await db.execute("INSERT INTO regions(id, name) VALUES (1, 'Р')")
        await db.execute("INSERT INTO municipalities(id, region_id, name, timezone) VALUES (1, 1, 'М', 'UTC')")
        await db.execute("INSERT INTO organizations(id, municipality_id, name, type) VALUES ('o', 1, 'О', 'school')")
        await db.execute("INSERT INTO roadmaps(id, title, starts, ends, source, definition, loaded_at) "
                         "VALUES ('r', 't', '2023-01-01', '2023-12-31', 's', '{}', '2023-01-01')")
        await db.execute("INSERT INTO submissions(organization_id, roadmap_id, form_id, period, submitted_by, "
                         "submitted_at, updated_by, updated_at) VALUES ('o', 'r', 'f', '2023-10-20', 1, "
                         "'2023-10-20T10:00:00+00:00', 1, '2023-10-20T10:00:00+00:00')")
        await db.execute("INSERT INTO figures VALUES (1, 'staff_total', 204)")
        await db.execute("INSERT INTO figure_changes(submission_id, indicator_key, old_value, new_value, changed_by, "
                         "changed_at, late) VALUES (1, 'staff_total', NULL, 204, 1, '2023-10-20T10:00:00+00:00', 0)")
        assert (await db.migrate())[0] == 10  # and every later one
        from storage.reports import ReportRepo

        repo = ReportRepo(db)
        assert await repo.figures(1) == {"staff_total": 204}
        [change] = await repo.history("o")
        assert change.old_value is None and change.new_value == 204
        # migration 011: an old report came from its admin and was never returned
        assert change.source is None
        sub = await repo.submission("o", "r", "f", "2023-10-20")
        assert sub.source is None and not sub.returned and await repo.submitted("r", "f", "2023-10-20") == {"o"}
    finally:
        await db.close()
