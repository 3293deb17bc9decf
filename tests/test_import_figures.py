"""Figures from a file (issue 15): a plan first, applied whole or not at all, marked with its source."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook

from bot.services.imports import CHANGED, NEW, REFUSED, UNCHANGED
from storage.reports import OPERATOR
from testkit.harness import MOSCOW_SCHOOL, Harness, add_moscow_municipality, register

RM, FORM, PERIOD = "ntgo-sferum-2023", "weekly", "2023-10-20"
SCHOOL_1, SCHOOL_2, SCHOOL_3 = "6624000001", "6624000002", "6624000003"
QUESTION_TOTAL = "Сколько педагогических работников (для УО и ИМЦ — сотрудников) в организации сейчас?"


async def stored(h: Harness, org: str, period: str = PERIOD) -> dict:
    sub = await h.app.repos.reports.submission(org, RM, FORM, period)
    return await h.app.repos.reports.figures(sub.id) if sub else {}


def csv(text: str) -> bytes:
    return text.encode("utf-8")


async def test_csv_plan_then_apply_marks_the_source(harness: Harness) -> None:
    h = harness
    imports = h.app.services.imports
    # the school already reported by hand: 40 teachers, 30 active
    await h.app.repos.reports.save(SCHOOL_1, RM, FORM, PERIOD, {"staff_total": 40, "staff_active": 30}, 5,
                                   h.clock(), False)
    data = csv("id;staff_total;staff_active\n"
               f"{SCHOOL_1};40;32\n"       # changed: one figure
               f"{SCHOOL_2};35;20\n"       # new report
               f"\n"                        # a blank line is skipped, not refused
               f"{SCHOOL_3};;\n")           # nothing to import for it
    plan = await imports.plan(None, "stats.csv", data, h.clock())
    assert [(r.number, r.status) for r in plan.rows] == [(2, CHANGED), (3, NEW), (5, UNCHANGED)]
    assert plan.rows[0].changes == [("staff_active", 30, 32)]
    text = imports.preview_text(plan, "ПРИМЕНИТЬ?")
    assert text.splitlines()[:2] == [
        "Файл «stats.csv»: форма «Еженедельный мониторинг Сферума», период до 20.10.2023.",
        "Строк: 3 — новых отчётов 1, изменённых 1, без изменений 1, отклонено 0."]
    assert "строка 2, МАОУ СОШ № 1: " in text and "30 → 32" in text and text.endswith("ПРИМЕНИТЬ?")
    # a plan changes nothing
    assert await stored(h, SCHOOL_2) == {}
    done = await imports.apply(plan, 700, h.clock())
    assert (done.new, done.changed) == (1, 1)
    assert await stored(h, SCHOOL_1) == {"staff_total": 40, "staff_active": 32}
    assert await stored(h, SCHOOL_2) == {"staff_total": 35, "staff_active": 20}
    sub = await h.app.repos.reports.submission(SCHOOL_2, RM, FORM, PERIOD)
    assert sub.source == "import:stats.csv" and sub.submitted_by == 700 and not sub.late
    changes = await h.app.repos.reports.history(SCHOOL_1)
    assert [(c.indicator_key, c.old_value, c.new_value, c.source) for c in changes][0] == \
        ("staff_active", 30, 32, "import:stats.csv")
    assert "⚠" not in text  # 32 of 40, 20 of 35 (the `staff` baselines): no share above 100 %
    # the same file again: nothing left to change
    again = await imports.plan(None, "stats.csv", data, h.clock())
    assert not again.applicable and again.count(UNCHANGED) == 3


async def test_one_bad_row_refuses_the_file_and_names_the_rows(harness: Harness) -> None:
    h = harness
    imports = h.app.services.imports
    await h.app.repos.reports.save(SCHOOL_3, RM, FORM, PERIOD, {"staff_total": 30, "staff_active": 10}, 5,
                                   h.clock(), False)
    data = csv("id,staff_total,staff_active\n"
               f"{SCHOOL_1},40,32\n"
               f"{SCHOOL_2},35,много\n"      # not a number
               "9999999999,10,5\n"            # not in the directory
               f"{SCHOOL_1},41,33\n"         # the same school twice
               f"{SCHOOL_3},,45\n"           # above the 30 teachers it reported before
               "6624000005,-3,1\n")
    plan = await imports.plan(None, "bad.csv", data, h.clock())
    refused = {r.number: r.reasons for r in plan.refused}
    assert sorted(refused) == [3, 4, 5, 6, 7]
    assert refused[3] == ["«Написали ≥ 10 сообщений»: Нужно целое число, например 25."]
    assert refused[7] == ["«Педагогов (сотрудников)»: Число не может быть отрицательным."]
    assert refused[4] == ["организации с id 9999999999 нет в справочнике"]
    assert refused[5] == ["эта организация уже есть в строке 2"]
    assert refused[6][0].startswith("«Написали ≥ 10 сообщений»: Не может быть больше")
    assert refused[6][0].endswith("(30).")  # the at_most partner stored before, with its value
    assert not plan.applicable
    text = imports.preview_text(plan, "ПРИМЕНИТЬ?")
    assert "Файл не применён, ничего не изменено" in text and "строка 4, 9999999999: " in text
    assert "ПРИМЕНИТЬ?" not in text
    with pytest.raises(ValueError):
        await imports.apply(plan, 700, h.clock())
    assert await stored(h, SCHOOL_1) == {}


async def test_coordinator_outside_scope_is_refused(harness: Harness) -> None:
    h = harness
    await add_moscow_municipality(h)
    muni = str((await h.app.repos.directory.municipalities_by_name("Тестовый МО"))[0].id)
    await register(h, 720, "municipality", muni)
    actor = await h.app.services.access.actor(720)
    data = csv(f"id;staff_total;staff_active\n{MOSCOW_SCHOOL};10;5\n{SCHOOL_1};40;32\n")
    plan = await h.app.services.imports.plan(actor, "mixed.csv", data, h.clock())
    assert [(r.number, r.status, r.reasons) for r in plan.rows] == [
        (2, NEW, []), (3, REFUSED, ["организация не из вашей территории"])]
    assert not plan.applicable
    assert await stored(h, MOSCOW_SCHOOL) == {} and await stored(h, SCHOOL_1) == {}


def xlsx(rows: list[list], percent_cells: tuple[tuple[int, int], ...] = ()) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for r, c in percent_cells:
        ws.cell(r, c).number_format = "0%"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def test_xlsx_with_title_row_numeric_ids_and_question_headers(harness: Harness) -> None:
    h = harness
    data = xlsx([["Статистика Сферума на 20.10.2023"], [],
                 ["ID", "Название", QUESTION_TOTAL, "staff_active"],
                 [int(SCHOOL_1), "МАОУ СОШ № 1", 40.0, 31],
                 [float(SCHOOL_2), "МАОУ СОШ № 2", 35, None]])
    plan = await h.app.services.imports.plan(None, "ЦО.xlsx", data, h.clock())
    assert not plan.problems, plan.problems
    assert [(r.number, r.organization_id, r.status, r.answers) for r in plan.rows] == [
        (4, SCHOOL_1, NEW, {"staff_total": 40, "staff_active": 31}),
        (5, SCHOOL_2, NEW, {"staff_total": 35})]
    await h.app.services.imports.apply(plan, OPERATOR, h.clock())
    assert await stored(h, SCHOOL_2) == {"staff_total": 35}  # a partial report: the school fills the rest


async def test_file_level_problems_change_nothing(harness: Harness) -> None:
    h = harness
    imports = h.app.services.imports
    cases = {
        "a.csv": (csv("школа;staff_total\n1;2\n"), "нет столбца «Код организации»"),
        "b.csv": (csv("id;staff_totl\n6624000001;2\n"), "Ни один столбец"),
        "d.pdf": (b"%PDF-1.4", "не таблица"),
        "e.xlsx": (b"PK\x03\x04 broken", "Не получилось прочитать"),
    }
    for name, (data, expected) in cases.items():
        plan = await imports.plan(None, name, data, h.clock())
        assert plan.problems and not plan.applicable, name
        text = imports.preview_text(plan, "")
        assert expected in text and "ничего не изменено" in text, (name, text)
    # a column that names nothing in the form is read past, and the preview says so before anything is applied
    plan = await imports.plan(None, "c.csv", csv("id;staff_total;учителей\n6624000001;2;3\n"), h.clock())
    assert plan.applicable and plan.skipped == ["учителей"]
    assert "Не из формы, не читаются (1): «учителей»." in imports.preview_text(plan, "")
    plan = await imports.plan(None, "p.csv", csv(f"id;staff_total\n{SCHOOL_1};2\n"), h.clock(), date(2023, 10, 19))
    assert plan.problems == ["У формы «Еженедельный мониторинг Сферума» нет периода со сроком 19.10.2023. Её сроки — "
                             "с 04.08.2023 по 29.12.2023; ближайший к этой дате — 20.10.2023."]
    # a named past period is imported into that period (late: its summary has passed)
    plan = await imports.plan(None, "p.csv", csv(f"id;staff_total\n{SCHOOL_1};2\n"), h.clock(), date(2023, 10, 13))
    await imports.apply(plan, OPERATOR, h.clock())
    sub = await h.app.repos.reports.submission(SCHOOL_1, RM, FORM, "2023-10-13")
    assert sub.late and await stored(h, SCHOOL_1, "2023-10-13") == {"staff_total": 2}


async def test_apply_is_atomic_when_a_write_fails_midway(harness: Harness, monkeypatch) -> None:
    h = harness
    repo = h.app.repos.reports
    data = csv("id;staff_total;staff_active\n" + "".join(
        f"66240000{n:02d};10;5\n" for n in range(1, 11)))
    plan = await h.app.services.imports.plan(None, "ten.csv", data, h.clock())
    assert plan.count(NEW) == 10
    original = repo.save_in_transaction
    calls = 0

    async def failing(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 6:
            raise OSError("disk I/O error")
        return await original(*args, **kwargs)

    monkeypatch.setattr(repo, "save_in_transaction", failing)
    with pytest.raises(OSError):
        await h.app.services.imports.apply(plan, OPERATOR, h.clock())
    assert await h.app.repos.reports.count_for(SCHOOL_1) == 0  # the first five were rolled back
    assert await h.app.db.scalar("SELECT count(*) FROM figure_changes") == 0


async def test_xlsx_longer_than_the_header_search_reads_every_row(harness: Harness) -> None:
    """The header is looked for in the first 10 rows only; the rows under it are all read."""
    h = harness
    ids = [f"66240000{n:02d}" for n in range(1, 21)]
    data = xlsx([["id", "staff_total"], *[[org, 10 + n] for n, org in enumerate(ids)]])
    plan = await h.app.services.imports.plan(None, "all.xlsx", data, h.clock())
    assert [r.organization_id for r in plan.rows] == ids and plan.count(NEW) == 20


async def test_coordinator_sends_a_file_in_chat_and_applies_it(harness: Harness) -> None:
    """The chat journey through vkemu: /template, the filled file sent back as a document, the preview,
    «Применить»; an admin's file is not taken; a refused file offers nothing to apply."""
    from openpyxl import load_workbook

    from bot.words import texts

    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 770, "municipality", muni, "Ольга", "Смирнова")
    reply = (await h.say(770, "/шаблон"))[-1]
    assert reply.text.startswith("Шаблон для загрузки цифр — Нижнетуринский ГО")
    book = load_workbook(io.BytesIO(h.emu.file_bytes(reply.attachments[0])))
    assert book.sheetnames[0].startswith("Еженедельный мониторинг Сферума") and book.sheetnames[-1] == "Титульный лист"
    ws = book.worksheets[0]
    assert [c.value for c in ws[1]] == ["Код организации", "Название", "Муниципалитет", "Педагогов (сотрудников)",
                                        "Написали ≥ 10 сообщений"]
    assert ws.max_row == 21 and ws.cell(2, 3).value == "Нижнетуринский ГО"
    row = next(r for r in range(2, 22) if ws.cell(r, 1).value == SCHOOL_1)
    ws.cell(row, 4).value, ws.cell(row, 5).value = 40, 31
    buf = io.BytesIO()
    book.save(buf)
    preview = (await h.say(770, "", documents=(("шаблон.xlsx", buf.getvalue()),)))[-1]
    assert preview.text.startswith("Файл «шаблон.xlsx»: форма «Еженедельный мониторинг Сферума», период до 20.10.2023.")
    assert "новых отчётов 1" in preview.text and "без изменений 19" in preview.text
    assert preview.labels() == [texts.BTN_APPLY, texts.BTN_CANCEL]
    assert await stored(h, SCHOOL_1) == {}  # nothing before «Применить»
    assert (await h.say(770, "а что дальше?"))[-1].text == texts.IMPORT_WAITING
    done = (await h.press(770, texts.BTN_APPLY))[-1].text
    assert done == "Записано из файла «шаблон.xlsx»: новых отчётов 1, изменённых 0."
    assert await stored(h, SCHOOL_1) == {"staff_total": 40, "staff_active": 31}
    history = await h.text(770, f"/history {SCHOOL_1}")
    assert "Ольга Смирнова (из файла шаблон.xlsx)" in history
    # «Применить» pressed again (an old button) writes nothing twice
    assert (await h.say(770, "x", payload={"cmd": "apply_import"}))[-1].text == texts.IMPORT_NOTHING_PENDING
    # a file with a bad row: named, nothing to apply
    bad = (await h.say(770, "", documents=(("bad.csv", f"id;staff_total\n{SCHOOL_2};много\n".encode()),)))[-1]
    assert "строка 2, МАОУ СОШ № 2" in bad.text and bad.labels() == [] or texts.BTN_APPLY not in bad.labels()
    # typed answers at the prompt: «нет» cancels, «да» applies
    fixed = f"id;staff_total\n{SCHOOL_2};35\n".encode()
    await h.say(770, "", documents=(("fix.csv", fixed),))
    assert (await h.say(770, "нет"))[-1].text == texts.CANCELLED and await stored(h, SCHOOL_2) == {}
    await h.say(770, "", documents=(("fix.csv", fixed),))
    assert (await h.say(770, "Да"))[-1].text.startswith("Записано из файла «fix.csv»")
    assert await stored(h, SCHOOL_2) == {"staff_total": 35}
    # an admin's file is not an import
    await register(h, 771, "organization", SCHOOL_2)
    admin = (await h.say(771, "", documents=(("x.csv", b"id;staff_total\n"),)))[-1]
    assert admin.text == texts.IMPORT_NOT_COORDINATOR
    assert await stored(h, SCHOOL_2) == {"staff_total": 35}


async def test_admin_is_told_the_operator_sent_the_report_not_id0(harness: Harness) -> None:
    """Found in the sandbox: a report the operator imported was announced to the school as «…, id0»."""
    h = harness
    plan = await h.app.services.imports.plan(None, "stats.csv", csv(f"id;staff_total;staff_active\n{SCHOOL_1};40;32\n"),
                                             h.clock())
    await h.app.services.imports.apply(plan, OPERATOR, h.clock())
    await register(h, 720, "organization", SCHOOL_1)
    already = (await h.say(720, "/report"))[-1].text
    assert "уже отправлен" in already and ", оператор)" in already and "id0" not in already


def test_a_nameless_person_is_never_shown_as_our_internal_max_id() -> None:
    from bot.services.names import person_label
    assert person_label("  Анна Петрова ", 5) == "Анна Петрова"
    assert person_label("", OPERATOR) == "оператор"
    assert person_label(None, 123) == "id123"  # a VK id a coordinator can open
    assert person_label(" ", -7) == "пользователь MAX"  # −7 is ours, not MAX's


async def test_the_preview_points_out_figures_above_the_regions_statistics(harness: Harness) -> None:
    """The form's review says it to a school; a file's preview says it to the coordinator, without refusing."""
    h = harness
    data = csv(f"id;staff_total;staff_active\n{SCHOOL_1};120;100\n{SCHOOL_2};35;35\n")  # staff baselines: 40, 35
    plan = await h.app.services.imports.plan(None, "stats.csv", data, h.clock())
    assert plan.applicable and [r.above for r in plan.rows] == [[("staff_active", 40)], []]
    text = h.app.services.imports.preview_text(plan, "ПРИМЕНИТЬ?")
    remark = text.split("⚠ Больше, чем всего по статистике региона у организации")[1]
    assert "строка 2, МАОУ СОШ № 1: " in remark and " 100 при 40 по статистике" in remark
    assert "МАОУ СОШ № 2" not in remark and text.endswith("ПРИМЕНИТЬ?")


async def test_apply_writes_only_what_the_preview_showed(harness: Harness) -> None:
    """A school reports 40/30 after the coordinator's preview called its row «новых 1»: «Применить» writes
    nothing, says who sent what since, and shows a fresh preview (30 → 20); only a second press applies it."""
    from bot.words import texts

    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 780, "municipality", muni, "Ольга", "Смирнова")
    file = f"id;staff_total;staff_active\n{SCHOOL_1};50;20\n".encode()
    preview = (await h.say(780, "", documents=(("stats.csv", file),)))[-1]
    assert "новых отчётов 1" in preview.text
    # meanwhile the school's admin sends the form: 40 teachers, 30 active
    await h.app.repos.reports.save(SCHOOL_1, RM, FORM, PERIOD, {"staff_total": 40, "staff_active": 30}, 781,
                                   h.clock(), False)
    await h.app.repos.people.upsert_person(781, "Иван", "Кузнецов")
    fresh = (await h.press(780, texts.BTN_APPLY))[-1]
    assert fresh.text.startswith("⚠️ Не записано"), fresh.text
    assert "МАОУ СОШ № 1: отчёт прислан — Иван Кузнецов" in fresh.text
    assert "изменённых 1" in fresh.text and "40 → 50" in fresh.text and "30 → 20" in fresh.text
    assert fresh.labels() == [texts.BTN_APPLY, texts.BTN_CANCEL]
    assert await stored(h, SCHOOL_1) == {"staff_total": 40, "staff_active": 30}  # the school's report stands
    done = (await h.press(780, texts.BTN_APPLY))[-1].text
    assert done == "Записано из файла «stats.csv»: новых отчётов 0, изменённых 1."
    assert await stored(h, SCHOOL_1) == {"staff_total": 50, "staff_active": 20}


async def test_a_return_for_revision_after_the_preview_is_a_change_too(harness: Harness) -> None:
    h = harness
    from bot.words import texts

    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 782, "municipality", muni)
    saved = await h.app.repos.reports.save(SCHOOL_1, RM, FORM, PERIOD, {"staff_total": 40, "staff_active": 30}, 5,
                                           h.clock(), False)
    await h.say(782, "", documents=(("stats.csv", f"id;staff_active\n{SCHOOL_1};31\n".encode()),))
    await h.app.repos.reports.return_for_revision(saved.submission_id, 782, h.clock(), "проверьте")
    fresh = (await h.press(782, texts.BTN_APPLY))[-1]
    assert fresh.text.startswith("⚠️ Не записано") and "возвращён на доработку — " in fresh.text, fresh.text
    assert await stored(h, SCHOOL_1) == {"staff_total": 40, "staff_active": 30}


async def test_the_bots_own_export_reads_back_after_the_plan_ended_and_imports_again(harness: Harness) -> None:
    """A coordinator opens the export in January, after the plan ended: Russian headers, print setup and a filter
    on every sheet, a file name with the territory and the period; and the same file sent back to the bot (or to
    `import-figures`) is taken — its code column read, its subtotal skipped, its target percentages named as read
    past — rather than refused («Столбцы не из формы…», «нет столбца id»)."""
    from datetime import datetime

    from openpyxl import load_workbook

    h = harness
    for n, org in enumerate((SCHOOL_1, SCHOOL_2)):
        await h.app.repos.reports.save(org, RM, FORM, PERIOD, {"staff_total": 40 + n, "staff_active": 30 + n}, 5,
                                       h.clock(), False)
    h.clock.now = datetime(2024, 1, 15, 9, 0, tzinfo=h.clock().tzinfo)  # the plan ended on 30.12.2023
    muni = (await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0]
    scope = await h.app.services.summary.territory("municipality", muni.id)
    assert scope is not None
    made = await h.app.services.exports.export(scope, h.clock(), "20.10.2023")
    assert made.name == "Дорожная карта — Нижнетуринский ГО — 20.10.2023.xlsx"
    book = load_workbook(io.BytesIO(made.data))
    ws = book["Еженедельный мониторинг Сферума"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("Муниципалитет", "Код организации", "Организация", "Тип")
    by_code = {r[1]: r for r in rows[1:] if r[1]}
    assert by_code[SCHOOL_1][4:6] == (40, 30) and by_code[SCHOOL_2][4:6] == (41, 31)
    assert rows[-1][0] == "Итого: Нижнетуринский ГО" and rows[-1][4:6] == (81, 61)
    for sheet in book.worksheets[1:]:
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
        assert sheet.print_title_rows == "$1:$1" and sheet.auto_filter.ref == sheet.dimensions
    # sent back with one figure corrected: only that one changes, the rest is as it was
    ws.cell(2 + [r[1] for r in rows[1:]].index(SCHOOL_1), 6).value = 33
    buf = io.BytesIO()
    book.save(buf)
    plan = await h.app.services.imports.plan(None, made.name, buf.getvalue(), h.clock(), due=date(2023, 10, 20))
    assert plan.problems == [] and plan.form is not None and plan.form.id == FORM
    assert plan.count(CHANGED) == 1 and plan.count(REFUSED) == 0 and plan.count(NEW) == 0  # the rest as it was
    assert len(plan.rows) == 20  # the organizations, not the subtotal
    assert plan.skipped == []  # its own columns (target percentages, «Сдано…», «Отметки») are known
    await h.app.services.imports.apply(plan, 700, h.clock())
    assert await stored(h, SCHOOL_1) == {"staff_total": 40, "staff_active": 33}
    assert await stored(h, SCHOOL_2) == {"staff_total": 41, "staff_active": 31}


async def test_a_template_saved_as_a_windows_1251_csv_is_read(harness: Harness) -> None:
    """Excel saves «Написали ≥ 10 сообщений» in a Windows-1251 CSV as «Написали ? 10 сообщений»: still the column."""
    h = harness
    data = f"Код организации;Педагогов (сотрудников);Написали ≥ 10 сообщений\n{SCHOOL_1};40;31\n".encode(
        "cp1251", "replace")
    assert b"?" in data
    plan = await h.app.services.imports.plan(None, "шаблон.csv", data, h.clock())
    assert plan.problems == [] and plan.skipped == [] and plan.count(NEW) == 1
    await h.app.services.imports.apply(plan, OPERATOR, h.clock())
    assert await stored(h, SCHOOL_1) == {"staff_total": 40, "staff_active": 31}


async def test_a_period_outside_the_plan_is_refused_with_the_plans_range(harness: Harness) -> None:
    """`import-figures --period 01.01.2020` (or a file sent with that date): refused, and told the form's range."""
    plan = await harness.app.services.imports.plan(None, "p.csv", f"id;staff_total\n{SCHOOL_1};2\n".encode(),
                                                   harness.clock(), date(2020, 1, 1))
    assert not plan.applicable
    assert plan.problems == ["У формы «Еженедельный мониторинг Сферума» нет периода со сроком 01.01.2020. Её сроки — "
                             "с 04.08.2023 по 29.12.2023; ближайший к этой дате — 04.08.2023."]
