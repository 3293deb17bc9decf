"""Roadmap format v3, as far as it is built: `months` (of every year, with `day`) on forms, schedule segments and
items, and `every = "2y"/"3y"` on items. Dates written out by hand from the file below."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.domain.models import Municipality
from bot.domain.periods import periods
from bot.domain.roadmap import RoadmapError, parse_roadmap
from bot.domain.schedule import ItemSettings, item_occurrences, plan

V3 = """\
[roadmap]
id = "v3-months"
title = "Цифровая образовательная среда, 2026–2029"
starts = 2026-09-01
ends = 2029-08-31
region = "Свердловская область"

[[form]]
id = "halfyear"
title = "Итоги полугодия"
months = [1, 6]
  [[form.indicator]]
  key = "a"
  question = "?"
  kind = "count"

[[form]]
id = "season"
title = "Летняя кампания"
  [[form.schedule]]
  from = 2027-06-01
  until = 2027-08-31
  months = [6, 7, 8]
  day = 20
  [[form.indicator]]
  key = "b"
  question = "?"
  kind = "count"

[[item]]
id = "2.4"
title = "Родительские собрания по вопросам цифровой среды"
responsible = ["organization"]
from = "2026-09"
due = "2027-12"
months = [4, 10]
day = 15
confirm = true

[[item]]
id = "3.1"
title = "Обучение по охране труда"
responsible = ["organization"]
from = "2026-09"
due = "2029-08"
every = "3y"
confirm = true

[[item]]
id = "3.2"
title = "Аттестация ответственных"
responsible = ["municipality"]
from = "2026-09"
due = "2028-08"
every = "2y"
confirm = true
"""


def load_error(base: str, change: tuple[str, str], key: str, words: str, filename: str) -> None:
    """The file with one mistake is refused naming the file, the mistake's line and key, in Russian; the same file
    without it loads."""
    text = base.replace(*change)
    assert text != base
    with pytest.raises(RoadmapError) as err:
        parse_roadmap(text, filename)
    found = [p for p in err.value.problems if p.key == key]
    assert found and found[0].line and found[0].file == filename and words in found[0].message, err.value
    parse_roadmap(base, filename)


def test_months_of_every_year_and_longer_cycles() -> None:
    rm = parse_roadmap(V3, "v3.toml")
    halfyear, season = rm.form
    # January and June of each year of the plan, on their last days
    assert [p.due for p in periods(halfyear, rm)] == [
        date(2027, 1, 31), date(2027, 6, 30), date(2028, 1, 31), date(2028, 6, 30), date(2029, 1, 31),
        date(2029, 6, 30)]
    assert halfyear.cadence == "months"
    # a schedule segment with months: the 20th of June, July and August 2027 only
    assert [p.due for p in periods(season, rm)] == [date(2027, 6, 20), date(2027, 7, 20), date(2027, 8, 20)]
    meetings, safety, attestation = rm.item
    # every April and October on the 15th, from September 2026 to December 2027
    assert item_occurrences(meetings, rm) == [date(2026, 10, 15), date(2027, 4, 15), date(2027, 10, 15)]
    # once in three years from September 2026: due at the cycle's last day, 31.08.2029
    assert item_occurrences(safety, rm) == [date(2029, 8, 31)]
    assert item_occurrences(attestation, rm) == [date(2028, 8, 31)]
    # the planner reminds of a months item like any other occurrence: a week before 15.10.2026 (Thursday 08.10)
    sverdlovsk = Municipality(1, 1, "Нижнетуринский ГО", "Asia/Yekaterinburg")
    events = plan([rm], [sverdlovsk], {1: "Свердловская область"}, datetime(2026, 10, 1, tzinfo=UTC),
                  datetime(2026, 10, 20, tzinfo=UTC), ItemSettings((7, 3, 1), time(9, 0)), "Europe/Moscow")
    meeting_days = sorted({e.instant.date() for e in events if e.ref == "2.4" and e.kind == "item_reminder"})
    assert meeting_days == [date(2026, 10, 8), date(2026, 10, 12), date(2026, 10, 14), date(2026, 10, 15)]
    assert any(e.kind == "item_overdue" and e.ref == "2.4" and e.instant.date() == date(2026, 10, 16) for e in events)


def test_an_items_months_are_said_in_russian() -> None:
    from bot.services.figures import ItemState
    from bot.services.summary_views import item_line

    rm = parse_roadmap(V3, "v3.toml")
    state = ItemState(rm.item[0], [date(2026, 10, 15), date(2027, 4, 15)], [(date(2027, 4, 15), ["Школа"])])
    assert "ежегодно в апреле и октябре" in item_line(state, date(2027, 5, 1))
    three = parse_roadmap(V3.replace("months = [4, 10]", "months = [1, 4, 10]"), "v3.toml")
    state = ItemState(three.item[0], [date(2027, 1, 15), date(2027, 4, 15)], [(date(2027, 4, 15), ["Школа"])])
    assert "ежегодно в январе, апреле и октябре" in item_line(state, date(2027, 5, 1))


@pytest.mark.parametrize(("change", "key", "words"), [
    (("months = [4, 10]", "months = [4, 13]"), "item[0].months", "вне 1–12"),
    (("months = [1, 6]", "months = [1, 1]"), "form[0].months", "дважды"),
    (("months = [1, 6]", 'months = [1, 6]\nevery = "1m"'), "form[0].months", "что-то одно"),
    (("  months = [6, 7, 8]\n", '  months = [6, 7, 8]\n  every = "1m"\n'), "form[1].schedule[0].months",
     "что-то одно"),
    (("months = [4, 10]\nday = 15", 'months = [4, 10]\nday = 15\nevery = "1y"'), "item[0].months", "что-то одно"),
    (("months = [4, 10]\nday = 15", "day = 15"), "item[0].day", "только вместе с months"),
    (("months = [1, 6]", 'every = "2y"'), "form[0].every", ""),
    (("  months = [6, 7, 8]\n", '  months = [6, 7, 8]\n  on = "mon"\n'), "form[1].schedule[0].on", "ключом day"),
])
def test_each_v3_recurrence_error_names_file_line_and_key(change, key, words) -> None:
    load_error(V3, change, key, words, "v3.toml")
    text = V3.replace(*change)
    found = next(p for p in pytest.raises(RoadmapError, parse_roadmap, text, "v3.toml").value.problems if p.key == key)
    line = text.splitlines()[found.line - 1]
    assert key.rsplit(".", 1)[-1] in line or key.endswith("every"), (line, key)


CALENDARS = """\
[roadmap]
id = "v3-calendars"
title = "Цифровая среда, 2026/27 учебный год"
starts = 2026-09-01
ends = 2027-08-31

[[calendar]]
id = "trimester_ends"
title = "Окончание триместров"
dates = [2026-11-27, 2027-02-26, 2027-05-28]

[[calendar]]
id = "summer"
title = "Летняя оздоровительная кампания"
spans = [{ from = 2027-06-01, until = "2027-08" }]

[[form]]
id = "clubs"
title = "Кружки и секции"
every = "1m"
from = 2026-09-01
until = 2027-03-31
extra_dates = ["@trimester_ends"]
  [[form.indicator]]
  key = "clubs"
  question = "?"
  kind = "count"

[[form]]
id = "trimesters"
title = "Итоги триместра"
dates = ["@trimester_ends", 2027-06-30]
  [[form.indicator]]
  key = "t"
  question = "?"
  kind = "count"

[[form]]
id = "camp"
title = "Лагерь"
  [[form.schedule]]
  during = "@summer"
  every = "1w"
  on = "fri"
  [[form.indicator]]
  key = "camp"
  question = "?"
  kind = "count"

[[item]]
id = "4"
title = "Отчёт о работе по итогам триместра"
responsible = ["organization"]
dates = "@trimester_ends"
confirm = true
"""


def test_calendars_give_forms_and_items_their_dates() -> None:
    rm = parse_roadmap(CALENDARS, "cal.toml")
    clubs, trimesters, camp = rm.form
    # monthly on the last day from September to March, plus the trimester ends inside that span (not 28.05)
    assert [p.due for p in periods(clubs, rm)] == [
        date(2026, 9, 30), date(2026, 10, 31), date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 31),
        date(2027, 1, 31), date(2027, 2, 26), date(2027, 2, 28), date(2027, 3, 31)]
    # the calendar's dates and a date written out beside them
    assert [p.due for p in periods(trimesters, rm)] == [date(2026, 11, 27), date(2027, 2, 26), date(2027, 5, 28),
                                                         date(2027, 6, 30)]
    # weekly on Fridays within the summer span only
    camp_dues = [p.due for p in periods(camp, rm)]
    assert camp_dues[0] == date(2027, 6, 4) and camp_dues[-1] == date(2027, 8, 27) and len(camp_dues) == 13
    assert item_occurrences(rm.item[0], rm) == [date(2026, 11, 27), date(2027, 2, 26), date(2027, 5, 28)]
    # what is stored is plain dates: the roadmap reloads from its JSON as it was
    from bot.domain.roadmap import Roadmap

    again = Roadmap.from_json(rm.to_json())
    assert [p.due for p in periods(again.form[0], again)] == [p.due for p in periods(clubs, rm)]


@pytest.mark.parametrize(("change", "key", "words"), [
    (('extra_dates = ["@trimester_ends"]', 'extra_dates = ["@trimesters"]'), "form[0].extra_dates", "нет календаря"),
    (('dates = [2026-11-27, 2027-02-26, 2027-05-28]\n',
      'dates = [2026-11-27, 2027-02-26, 2027-05-28]\nspans = [{ from = 2027-06-01, until = 2027-06-30 }]\n'),
     "calendar[0].dates", "что-то одно"),
    (('until = "2027-08" }', 'until = "2027-05" }'), "calendar[1].spans[0].until", "раньше from"),
    (('during = "@summer"', 'during = "@trimester_ends"'), "form[2].schedule[0].during", "нет spans"),
    (('dates = "@trimester_ends"', 'dates = "@summer"'), "item[0].dates", "нет dates"),
    (('extra_dates = ["@trimester_ends"]', 'extra_dates = ["@trimester_ends"]\nfrom_x = 1'), "form[0].from_x",
     "неизвестный ключ"),
    (('title = "Итоги триместра"\ndates = ["@trimester_ends", 2027-06-30]',
      'title = "Итоги триместра"\ndates = ["@trimester_ends", 2027-06-30]\nextra_dates = ["@trimester_ends"]'),
     "form[1].extra_dates", "extra_dates дополняет"),
    (('from = 2026-09-01\nuntil = 2027-03-31\nextra_dates = ["@trimester_ends"]',
      'from = 2026-09-01\nuntil = 2026-10-31\nevery_x = 1\n'), "form[0].every_x", "неизвестный ключ"),
])
def test_each_calendar_error_names_file_line_and_key(change, key, words) -> None:
    load_error(CALENDARS, change, key, words, "cal.toml")


def test_a_reference_that_leaves_a_form_no_date_is_an_error() -> None:
    """The summer's trimester-less form: its calendar dates all fall outside its own span."""
    text = CALENDARS.replace('dates = ["@trimester_ends", 2027-06-30]', 'dates = ["@trimester_ends"]\nfrom = 2027-06-01')
    with pytest.raises(RoadmapError) as err:
        parse_roadmap(text, "cal.toml")
    assert any(p.key == "form[1].dates" and "не осталось" in p.message and p.line for p in err.value.problems), err.value


REPORT_BY = """\
[roadmap]
id = "v3-report"
title = "Цифровая безопасность, 2026/27"
starts = 2026-09-01
ends = 2027-08-31
region = "Свердловская область"

[[item]]
id = "3.5"
title = "Провести классные часы по цифровой безопасности"
responsible = ["organization"]
due = 2026-10-16
report_by = 2026-10-21
confirm = true

[[item]]
id = "3.6"
title = "Ежеквартальный отчёт о работе школьных медиацентров"
responsible = ["organization"]
from = "2026-09"
due = "2027-08"
every = "3m"
report_by = "+5wd"
confirm = true
"""


def test_work_done_by_one_date_is_reported_by_another() -> None:
    from bot.domain.schedule import item_state, report_date

    rm = parse_roadmap(REPORT_BY, "rb.toml")
    talks, media = rm.item
    assert report_date(talks, date(2026, 10, 16)) == date(2026, 10, 21)
    # five working days after Monday 30.11.2026: 01, 02, 03, 04 and 07.12
    assert item_occurrences(media, rm)[0] == date(2026, 11, 30)
    assert report_date(media, date(2026, 11, 30)) == date(2026, 12, 7)
    # between the work's date and the report's the item awaits its report; after it, it is overdue
    assert [item_state(talks, date(2026, 10, 16), day) for day in
            (date(2026, 10, 16), date(2026, 10, 18), date(2026, 10, 21), date(2026, 10, 22))] == \
        ["open", "awaiting", "awaiting", "overdue"]
    sverdlovsk = Municipality(1, 1, "Нижнетуринский ГО", "Asia/Yekaterinburg")
    events = [e for e in plan([rm], [sverdlovsk], {1: "Свердловская область"}, datetime(2026, 10, 1, tzinfo=UTC),
                              datetime(2026, 10, 31, tzinfo=UTC), ItemSettings((7, 3, 1), time(9, 0)),
                              "Europe/Moscow") if e.ref == "3.5"]
    # before the work's date: 7, 3, 1 days and the day (09, 13, 15, 16.10); before the report's (21.10, a
    # Wednesday) the days after the work's date: 1 day (20.10) and the day itself; 3 days (18.10, a Sunday, so
    # Friday 16.10) is not after the work's date. The overdue notice the working day after the report's date.
    reminders = sorted((e.instant.date(), e.detail) for e in events if e.kind == "item_reminder")
    assert reminders == [(date(2026, 10, 9), "7"), (date(2026, 10, 13), "3"), (date(2026, 10, 15), "1"),
                         (date(2026, 10, 16), "0"), (date(2026, 10, 20), "r1"), (date(2026, 10, 21), "r0")]
    assert [e.instant.date() for e in events if e.kind == "item_overdue"] == [date(2026, 10, 22)]


@pytest.mark.parametrize(("change", "key", "words"), [
    (("due = 2026-10-16\nreport_by = 2026-10-21\nconfirm = true", "due = 2026-10-16\nreport_by = 2026-10-21"),
     "item[0].report_by", "confirm = true"),
    (("report_by = 2026-10-21", "report_by = 2026-10-15"), "item[0].report_by", "раньше срока"),
    (('report_by = "+5wd"', "report_by = 2027-09-01"), "item[1].report_by", "несколько сроков"),
    (('report_by = "+5wd"', 'report_by = "+91wd"'), "item[1].report_by", "от 1 до 90"),
    (("due = 2026-10-16\nreport_by", "report_by"), "item[0].report_by", "нет срока"),
])
def test_each_report_by_error_names_file_line_and_key(change, key, words) -> None:
    load_error(REPORT_BY, change, key, words, "rb.toml")


async def test_the_reports_reminder_and_the_items_awaiting_its_report(harness) -> None:
    """Through the bot: a school admin is reminded of the report on the day before it, the item is listed as
    awaiting its report (not overdue) in /items and in the coordinator's summary."""
    from testkit.harness import register

    h = harness
    h.clock.now = datetime(2026, 9, 20, 6, 0, tzinfo=UTC)
    await h.app.services.catalog.load_roadmap(REPORT_BY, "rb.toml")
    await register(h, 880, "organization", "6624000001")
    muni = (await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0]
    await register(h, 881, "municipality", str(muni.id))
    h.clock.now = datetime(2026, 10, 20, 4, 0, tzinfo=UTC)  # Tuesday 20.10, 09:00 in Yekaterinburg
    await h.app.services.jobs.tick(h.clock.now)
    await h.settle()
    told = h.emu.delivered(880)[-1].text
    assert told.startswith("Напоминание по дорожной карте: пункт 3.5 «Провести классные часы") and \
        "срок отчёта о выполнении завтра, 21.10" in told, told
    listed = await h.text(880, "/items")  # (the demo's 2023 plan rests: its old items are not listed in 2026)
    assert "п. 3.5 «Провести классные часы по цифровой безопасности» — МАОУ СОШ № 1, срок 16.10.2026 (отчёт до " \
           "21.10.2026)" in listed, listed
    summary = await h.text(881, "/status")
    assert "• п. 3.5 «Провести классные часы по цифровой безопасности» — отчёт до 21.10.2026" in summary, summary


SECTIONS = """\
[roadmap]
id = "v3-sections"
title = "Цифровая среда, 2026/27"
starts = 2026-09-01
ends = 2027-08-31
region = "Свердловская область"

[[section]]
id = "1"
title = "Раздел 1. Организационные меры"

[[section]]
id = "2"
title = "Раздел 2. Цифровая среда школы"

[[item]]
id = "2.3"
section = "2"
title = "Обновление раздела «Цифровая школа» на сайте"
responsible = ["organization"]
responsible_person = "Заместитель директора по УВР"
history_from = "2018-09"
due = 2026-10-09
confirm = true

[[item]]
id = "1.1"
section = 1
title = "Назначить ответственных за цифровую среду"
responsible = ["organization"]
due = 2026-10-30
confirm = true

[[item]]
id = "9"
title = "Итоговое совещание"
responsible = ["organization"]
due = 2026-10-02
confirm = true
"""


async def test_items_under_the_orders_sections_with_the_people_it_names(harness) -> None:
    """/items and «Пункты» list items under the order's headings in the file's order (then the rest), with the
    people the order names and since when the work runs; a reminder names the people too."""
    from testkit.harness import register

    h = harness
    h.clock.now = datetime(2026, 9, 20, 6, 0, tzinfo=UTC)
    await h.app.services.catalog.load_roadmap(SECTIONS, "sections.toml")
    await register(h, 890, "organization", "6624000001")
    h.clock.now = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
    listed = await h.text(890, "/items")
    assert "2023" not in listed  # the demo's plan of 2023 rests: its old open items are not listed in 2026
    mine = listed[listed.index("Раздел 1."):]
    assert mine.splitlines()[:6] == [
        "Раздел 1. Организационные меры",
        "п. 1.1 «Назначить ответственных за цифровую среду» — МАОУ СОШ № 1, срок 30.10.2026",
        "Раздел 2. Цифровая среда школы",
        "п. 2.3 «Обновление раздела „Цифровая школа“ на сайте» — МАОУ СОШ № 1, срок 09.10.2026",
        "   Ответственные: Заместитель директора по УВР; работа ведётся с 09.2018",
        "Другие пункты:"], listed
    h.clock.now = datetime(2026, 10, 2, 4, 0, tzinfo=UTC)  # Friday 02.10, 09:00: a week before item 2.3
    await h.app.services.jobs.tick(h.clock.now)
    await h.settle()
    said = h.emu.delivered(890)[-1].text
    assert "Ответственные: Заместитель директора по УВР" in said, said


@pytest.mark.parametrize(("change", "key", "words"), [
    (('section = "2"', 'section = "3"'), "item[0].section", "нет раздела"),
    (('id = "2"\ntitle = "Раздел 2.', 'id = "1"\ntitle = "Раздел 2.'), "section[1].id", "уже есть"),
    (('responsible_person = "Заместитель директора по УВР"', f'responsible_person = "{"я" * 301}"'),
     "item[0].responsible_person", "300"),
    (('history_from = "2018-09"', 'history_from = "2026-10"'), "item[0].history_from", "укажите from"),
])
def test_each_section_error_names_file_line_and_key(change, key, words) -> None:
    load_error(SECTIONS, change, key, words, "sections.toml")
    rm = parse_roadmap(SECTIONS, "sections.toml")
    assert rm.item[0].history_from == date(2018, 9, 1)
    assert parse_roadmap(SECTIONS.replace('"2018-09"', "2018"), "s.toml").item[0].history_from == date(2018, 1, 1)


def test_a_month_naming_the_plans_first_or_last_month_means_its_start_or_end() -> None:
    """Settled in v3: `from = "2026-09"` in a plan that starts 03.09.2026 is its start, not an error; a form's
    `until = "2027-08"` in a plan that ends 27.08.2027 is cut there; an earlier month stays an error."""
    text = V3.replace("starts = 2026-09-01", "starts = 2026-09-03").replace("ends = 2029-08-31", "ends = 2027-08-27")
    text = text.replace('due = "2029-08"\nevery = "3y"', 'due = "2027-08"\nevery = "1m"').replace(
        'due = "2028-08"\nevery = "2y"', 'due = "2027-08"\nevery = "1m"')
    text = text.replace('title = "Итоги полугодия"\nmonths = [1, 6]',
                        'title = "Итоги полугодия"\nmonths = [1, 6]\nfrom = "2026-09"\nuntil = "2027-08"')
    rm = parse_roadmap(text, "v3.toml")
    assert rm.form[0].from_ == date(2026, 9, 3) and rm.form[0].until == date(2027, 8, 27)
    assert rm.item[0].from_ == date(2026, 9, 3)
    load_error(text, ('months = [1, 6]\nfrom = "2026-09"', 'months = [1, 6]\nfrom = "2026-08"'), "form[0].from",
               "вне дорожной карты", "v3.toml")


def test_a_targets_check_may_not_end_before_its_deadline() -> None:
    base = V3 + """
[[target]]
key = "half"
title = "Сдали итоги полугодия"
numerator = "a"
denominator = "@organizations"
goal_percent = 100
direction = "exactly"
by = 2027-06-30
report_by = 2027-07-05
"""
    rm = parse_roadmap(base, "v3.toml")
    assert rm.target[0].report_by == date(2027, 7, 5) and rm.target[0].direction == "exactly"
    load_error(base, ("report_by = 2027-07-05", "report_by = 2027-06-25"), "target[0].report_by",
               "раньше срока цели", "v3.toml")


IMPORT_FORM = """\
[roadmap]
id = "v3-import"
title = "Статистика платформы, 2026/27"
starts = 2026-09-01
ends = 2027-08-31
region = "Свердловская область"

[[form]]
id = "platform_stats"
title = "Статистика платформы за месяц"
filled_by = "import"
every = "1m"
remind_at = ["10:00"]
summary_at = "18:00"
org_types = ["school"]
  [[form.indicator]]
  key = "active_teachers"
  question = "Сколько педагогов было активно за месяц?"
  kind = "count"
"""


async def test_a_form_filled_by_import_asks_no_school_and_reminds_the_coordinator(harness) -> None:
    """The platform's monthly statistics come from an export: no admin is offered the form or reminded of it; the
    municipality's coordinator is reminded once to import what is missing; the summary says «загружено»."""
    from bot.words import texts
    from testkit.harness import register

    h = harness
    h.clock.now = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    await h.app.services.catalog.load_roadmap(IMPORT_FORM, "import.toml")
    await register(h, 895, "organization", "6624000001")
    muni = (await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0]
    await register(h, 896, "municipality", str(muni.id))
    schools = [o for o in await h.app.repos.directory.organizations_of_municipality(muni.id) if o.type == "school"]
    h.clock.now = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # Monday 30.11, 10:00 in Yekaterinburg: the due day
    assert "Статистика платформы" not in await h.text(895, "/report")
    before = len(h.emu.delivered(895))
    await h.app.services.jobs.tick(h.clock.now)
    await h.settle()
    assert not [m for m in h.emu.delivered(895)[before:] if "Статистика платформы" in m.text]
    told = h.emu.delivered(896)[-1]
    assert told.text.startswith("Напоминание: цифры формы «Статистика платформы за месяц» за период до 30.11.2026 "
                                "загружаются файлом — срок сегодня, 30.11.") and \
        f"Не хватает {len(schools)}\u00a0организаций (Нижнетуринский ГО)" in told.text, told.text
    assert told.labels() == [texts.BTN_IMPORT_TEMPLATE]
    assert (await h.app.services.jobs.tick(h.clock.now)).queued == 0  # once
    # one school's figures imported: the summary counts it as loaded
    await h.app.repos.reports.save(schools[0].id, "v3-import", "platform_stats", "2026-11-30",
                                   {"active_teachers": 12}, 896, h.clock(), False)
    summary = await h.text(896, "/status")
    assert f"загружено 1 из {len(schools)}" in summary or f"Загружено: 1 из {len(schools)}" in summary, summary


def test_an_import_form_takes_no_carry_over() -> None:
    load_error(IMPORT_FORM, ('  kind = "count"\n', '  kind = "count"\n  carry_over = true\n'),
               "form[0].indicator[0].carry_over", "filled_by", "import.toml")
    load_error(IMPORT_FORM, ('filled_by = "import"', 'filled_by = "platform"'), "form[0].filled_by", "",
               "import.toml")


WHEN = """\
[roadmap]
id = "v3-when"
title = "Медиацентры школ"
starts = 2026-09-01
ends = 2027-08-31
region = "Свердловская область"

[[form]]
id = "media"
title = "Школьные медиацентры"
every = "3m"
day = 25
org_types = ["school"]
  [[form.indicator]]
  key = "has_media_centre"
  question = "Есть ли в школе медиацентр?"
  kind = "yesno"
  [[form.indicator]]
  key = "newspaper_issues"
  question = "Сколько выпусков школьной газеты вышло за четверть?"
  kind = "count"
  when = { has_media_centre = true }
  [[form.indicator]]
  key = "newspaper_format"
  question = "В каком виде выходит газета?"
  kind = "choice"
  options = ["печатная", "электронная", "обе"]
  when = { has_media_centre = true }
  [[form.indicator]]
  key = "online_copies"
  question = "Сколько электронных выпусков размещено в Сферуме?"
  kind = "count"
  when = { newspaper_format = ["электронная", "обе"] }
  [[form.indicator]]
  key = "students_involved"
  question = "Сколько обучающихся участвует в медиацентре или кружках?"
  kind = "count"
"""


def test_a_question_asked_only_after_an_answer_and_dropped_when_it_changes() -> None:
    from bot.domain.forms import Answer, Draft, FormContext, advance, validate_figures

    rm = parse_roadmap(WHEN, "when.toml")
    (form,) = rm.form
    inds = {i.key: i for i in form.indicator}
    ctx = FormContext(form.title, "Школа", "25.12.2026", inds, {})
    draft = Draft(rm.id, form.id, "6624000001", "2026-12-25", list(inds), "2026-12-01T00:00:00+00:00")

    def say(text: str) -> None:
        nonlocal draft
        step = advance(ctx, draft, Answer(text))
        assert step.draft is not None, text
        draft = step.draft

    say("да")
    assert draft.keys[draft.step] == "newspaper_issues"
    say("4")
    say("электронная")
    assert draft.keys[draft.step] == "online_copies"
    say("3")
    say("120")
    assert draft.mode == "summary" and draft.figures == {"has_media_centre": 1, "newspaper_issues": 4,
                                                         "newspaper_format": "электронная", "online_copies": 3,
                                                         "students_involved": 120}
    # back to the first question, «нет»: the answers it made moot are dropped, not kept unseen; the form goes on to
    # the summary (every question still asked is answered)
    step = advance(ctx, draft, Answer("", "fix"))
    step = advance(ctx, step.draft, Answer("", "pick", 1))
    draft = step.draft
    say("нет")
    assert draft.mode == "summary" and draft.figures == {"has_media_centre": 0, "students_involved": 120}
    assert validate_figures(draft.keys, draft.figures, inds) == []
    # a question not asked answered anyway is refused at the submission's last check
    assert validate_figures(draft.keys, {**draft.figures, "newspaper_issues": 2}, inds) != []
    # asked in order: «нет» first skips the three that depend on it
    fresh = Draft(rm.id, form.id, "6624000001", "2026-12-25", list(inds), "2026-12-01T00:00:00+00:00")
    step = advance(ctx, fresh, Answer("нет"))
    assert step.draft.keys[step.draft.step] == "students_involved"
    # «печатная» skips the online copies; going back from the last question goes to the choice, not to it
    fresh = Draft(rm.id, form.id, "6624000001", "2026-12-25", list(inds), "2026-12-01T00:00:00+00:00")
    draft = fresh
    for text in ("да", "2", "печатная"):
        say(text)
    assert draft.keys[draft.step] == "students_involved"
    say("Назад")
    assert draft.keys[draft.step] == "newspaper_format"


async def test_a_conditional_form_through_the_bot(harness) -> None:
    """An admin says «нет» to the first question: the next asked is the last; the review lists what was asked; what
    is stored holds no answer for the questions not asked (neither 0 nor «пропущено»)."""
    from testkit.harness import register

    h = harness
    h.clock.now = datetime(2026, 12, 20, 6, 0, tzinfo=UTC)
    await h.app.services.catalog.load_roadmap(WHEN, "when.toml")
    await register(h, 897, "organization", "6624000001")
    opened = await h.text(897, "/report")
    if "Какой отчёт заполнить" in opened:
        opened = (await h.press(897, "Школьные медиацентры"))[-1].text
    assert "Есть ли в школе медиацентр?" in opened, opened
    asked = await h.text(897, "нет")
    assert "Вопрос 5 из 5. Сколько обучающихся" in asked, asked
    review = await h.text(897, "45")
    assert "1. " in review and "5. " in review and "2. " not in review and "Сколько выпусков" not in review, review
    assert "Отчёт принят" in await h.text(897, "Отправить")
    sub = await h.app.repos.reports.submission("6624000001", "v3-when", "media", "2026-12-25")
    assert await h.app.repos.reports.figures(sub.id) == {"has_media_centre": 0, "students_involved": 45}


@pytest.mark.parametrize(("change", "key", "words"), [
    (('when = { has_media_centre = true }\n  [[form.indicator]]\n  key = "newspaper_format"',
      'when = { has_media_centr = true }\n  [[form.indicator]]\n  key = "newspaper_format"'),
     "form[0].indicator[1].when", "такого вопроса нет"),
    (('when = { newspaper_format = ["электронная", "обе"] }', 'when = { newspaper_format = ["видео"] }'),
     "form[0].indicator[3].when", "нет такого варианта"),
    (('when = { newspaper_format = ["электронная", "обе"] }', "when = { newspaper_issues = 4 }"),
     "form[0].indicator[3].when", "yesno"),
    (('when = { newspaper_format = ["электронная", "обе"] }', "when = { students_involved = 4 }"),
     "form[0].indicator[3].when", "заданный раньше"),
    (('when = { newspaper_format = ["электронная", "обе"] }', 'when = { has_media_centre = "да" }'),
     "form[0].indicator[3].when", "true или false"),
])
def test_each_when_error_names_file_line_and_key(change, key, words) -> None:
    load_error(WHEN, change, key, words, "when.toml")


async def test_an_import_row_answering_a_question_not_asked_is_refused(harness) -> None:
    h = harness
    h.clock.now = datetime(2026, 12, 20, 6, 0, tzinfo=UTC)
    await h.app.services.catalog.load_roadmap(WHEN, "when.toml")
    data = ("id;has_media_centre;newspaper_issues;students_involved\n"
            "6624000001;нет;3;40\n6624000002;да;2;30\n").encode()
    plan = await h.app.services.imports.plan(None, "media.csv", data, h.clock(), date(2026, 12, 25))
    refused = [r for r in plan.rows if r.organization_id == "6624000001"]
    assert refused and any("при таких ответах строки не спрашивают" in reason and "выпусков" in reason
                           for reason in refused[0].reasons), refused
    accepted = [r for r in plan.rows if r.organization_id == "6624000002"]
    assert accepted and not accepted[0].reasons, accepted


async def test_a_schools_card_does_not_count_an_import_form_as_its_own(harness) -> None:
    """The school's own /status: an import form with nothing loaded is no form the school is to send («Позже: ещё
    N форм» had counted it); once its figures are loaded, they show."""
    from testkit.harness import register

    h = harness
    h.clock.now = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    await h.app.services.catalog.load_roadmap(IMPORT_FORM, "import.toml")
    await register(h, 898, "organization", "6624000001")
    assert "Статистика платформы" not in await h.text(898, "/status")
    await h.app.repos.reports.save("6624000001", "v3-import", "platform_stats", "2026-11-30", {"active_teachers": 12},
                                   898, h.clock(), False)
    assert "«Статистика платформы за месяц», период до 30.11.2026: отчёт сдан" in await h.text(898, "/status")
