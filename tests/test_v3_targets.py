"""Format v3's ratio targets, per-organization norms (`each`) and items in stages: every load error they name, with
file, line and key (the same file without the mistake loads), and their values for one organization."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.roadmap import RoadmapError, parse_roadmap
from bot.domain.schedule import item_occurrences
from tests.test_roadmap_v3 import load_error

BASE = """\
[roadmap]
id = "v3-targets"
title = "Цифровая образовательная среда, 2026/27"
starts = 2026-09-01
ends = 2027-08-31

[[form]]
id = "library"
title = "Школьная библиотека"
every = "1m"
  [[form.indicator]]
  key = "books_issued"
  question = "Сколько книг выдано за месяц?"
  kind = "count"
  [[form.indicator]]
  key = "readers"
  question = "Сколько читателей?"
  kind = "count"
  [[form.indicator]]
  key = "programs_loaded"
  question = "Сколько рабочих программ загружено?"
  kind = "count"
  [[form.indicator]]
  key = "classes"
  question = "Сколько классов?"
  kind = "count"
  [[form.indicator]]
  key = "site_comment"
  question = "Что на сайте?"
  kind = "text"

[[form]]
id = "other"
title = "Другая форма"
every = "1m"
  [[form.indicator]]
  key = "speed"
  question = "Скорость подключения, Мбит/с?"
  kind = "number"

[[target]]
key = "books_per_reader"
title = "Книг выдано на одного читателя"
kind = "ratio"
numerator = "books_issued"
denominator = "readers"
goal = 4
unit = "книги на читателя"

[[target]]
key = "plans_match_classes"
title = "Школы, где рабочих программ столько же, сколько классов"
numerator = "programs_loaded"
each = { equals = "classes" }
goal_percent = 100

[[target]]
key = "programs_norm"
title = "Школы, где программ не меньше норматива"
numerator = "programs_loaded"
each = { at_least = "@baseline.programs_norm" }
denominator = "@organizations"
goal_percent = 90

[[item]]
id = "7"
title = "Программа наставничества для молодых педагогов"
responsible = ["organization"]
  [[item.stage]]
  title = "Разработка"
  from = "2026-09"
  due = "2026-10"
  confirm = true
  [[item.stage]]
  title = "Реализация"
  from = "2026-11"
  due = "2027-05"
  every = "3m"
  confirm = true
"""


def test_the_v3_targets_and_stages_load() -> None:
    rm = parse_roadmap(BASE, "t.toml")
    ratio, equals, norm = rm.target
    assert (ratio.kind, ratio.goal_value, ratio.scale) == ("ratio", 4, 1)
    assert ratio.shown(3.74) == "3,7\u00a0книги на читателя" and ratio.goal_label == "цель 4"
    assert ratio.shown_change(0.3) == "↑\u00a0+0,3" and equals.shown_change(0.3) == "↑\u00a0+0,3\u00a0п.п."
    assert equals.denominator == "@organizations"  # may be left out with `each`
    assert norm.each is not None and norm.each.comparison == ("at_least", "@baseline.programs_norm")
    # one organization: its own ratio; a norm met or not (1 or 0 of 1); no norm: not counted at all
    assert ratio.fraction("school", {"books_issued": 30, "readers": 8}, {}) == (30, 8)
    assert equals.fraction("school", {"programs_loaded": 11, "classes": 11}, {}) == (1, 1)
    assert equals.fraction("school", {"programs_loaded": 10, "classes": 11}, {}) == (0, 1)
    assert equals.fraction("school", {"programs_loaded": 10, "classes": None}, {}) is None  # skipped: no norm
    assert norm.fraction("school", {"programs_loaded": 10}, {"programs_norm": 9}) == (1, 1)
    assert norm.fraction("school", {"programs_loaded": None}, {"programs_norm": 9}) == (0, 1)  # skipped: not met
    assert norm.fraction("school", {"programs_loaded": 10}, {}) is None  # an empty directory cell
    # stages become items of their own, named by their item's number
    first, second = rm.item
    assert (first.id, first.number, first.stage_of) == ("7#1", "7", "7")
    assert first.title == "Программа наставничества для молодых педагогов, этап «Разработка»"
    assert item_occurrences(first, rm) == [date(2026, 10, 31)]
    assert item_occurrences(second, rm)[-1] == date(2027, 5, 31) and second.confirm
    # the stored roadmap reads back the same
    assert type(rm).from_json(rm.to_json()).item == rm.item


@pytest.mark.parametrize(("change", "key", "words"), [
    (("goal = 4\n", "goal = 4\ngoal_percent = 80\n"), "target[0].goal_percent", "ключом goal"),
    (('goal_percent = 100\n', 'goal_percent = 100\ngoal = 1\n'), "target[1].goal", "goal_percent"),
    (('goal_percent = 90\n', 'goal_percent = 90\nunit = "школ"\n'), "target[2].unit", "только для"),
    (('unit = "книги на читателя"', 'unit = "' + "к" * 41 + '"'), "target[0].unit", "от 1 до 40"),
    (('each = { at_least = "@baseline.programs_norm" }\ndenominator = "@organizations"',
      'each = { at_least = "@baseline.programs_norm" }\ndenominator = "classes"'), "target[2].denominator",
     "@organizations"),
    (('each = { equals = "classes" }', 'each = { equals = "classes", at_most = 3 }'), "target[1].each",
     "ровно одно"),
    (('each = { equals = "classes" }', "each = { }"), "target[1].each", "ровно одно"),
    (('each = { equals = "classes" }', 'each = { equals = "speed" }'), "target[1].each.equals",
     "в форме показателя"),
    (('each = { equals = "classes" }', 'each = { equals = "site_comment" }'), "target[1].each.equals", "не число"),
    (('each = { equals = "classes" }', 'each = { equals = "@baseline" }'), "target[1].each.equals", "@baseline."),
    (('numerator = "programs_loaded"\neach = { equals', 'numerator = "site_comment"\neach = { equals'),
     "target[1].numerator", "нельзя сравнить с нормой"),
    (('numerator = "books_issued"\ndenominator = "readers"\n',
      'numerator = "books_issued"\ndenominator = "readers"\neach = { at_least = 3 }\n'), "target[0].each",
     'kind = "ratio"'),
    (('id = "7"\ntitle = "Программа наставничества для молодых педагогов"\n',
      'id = "7"\ntitle = "Программа наставничества для молодых педагогов"\ndue = 2027-05-31\n'), "item[0].due",
     "в этапах"),
    (('  title = "Реализация"\n', ""), "item[0].stage[1].title", "обязательный ключ"),
    (('  due = "2027-05"\n  every = "3m"\n', '  every = "3m"\n'), "item[0].stage[1].every", "срок due"),
    (('  from = "2026-09"\n  due = "2026-10"\n  confirm = true\n', '  from = "2026-09"\n  confirm = true\n'),
     "item[0].stage[0].confirm", "нет срока"),
    (('  from = "2026-09"\n  due = "2026-10"\n', '  from = "2026-08"\n  due = "2026-10"\n'),
     "item[0].stage[0].from", "раньше начала"),
    (('id = "7"', 'id = "7#1"'), "item[0].id", "«#»"),
])
def test_each_ratio_norm_and_stage_error_names_file_line_and_key(change, key, words) -> None:
    load_error(BASE, change, key, words, "t.toml")
    text = BASE.replace(*change)
    found = next(p for p in pytest.raises(RoadmapError, parse_roadmap, text, "t.toml").value.problems if p.key == key)
    line = text.splitlines()[found.line - 1]
    # the line named is the key's own, or its table's (a stage's problem at the stage, not at its item)
    leaf = key.rsplit(".", 1)[-1]
    assert leaf in line or line.strip().startswith("[[") or leaf in ("equals", "title", "goal_percent"), (line, key)


async def test_a_school_sends_a_ratio_and_its_norms_and_nobodys_norm_is_known(harness) -> None:
    """Through the bot, on the v3 season's plan with a directory that has no `clubs_norm` column: the school sees
    its ratio as a value (not «150 из 12») and its norms met or not; the coordinator sees that no norm is known
    rather than «данных нет»."""
    from datetime import UTC, datetime

    from testkit.harness import ROOT, register

    h = harness
    h.clock.now = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    plan = (ROOT / "tests" / "fixtures" / "region-2026-v3.toml").read_text(encoding="utf-8")
    await h.app.services.catalog.load_roadmap(plan, "region-2026-v3.toml")
    muni = (await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0]
    await register(h, 880, "organization", "6624000001")
    await register(h, 881, "municipality", str(muni.id))
    await h.say(880, "/report")
    await h.press(880, "Кружки в Сферуме")
    for answer in ("12", "10", "150"):
        await h.say(880, answer)
    sent = "\n".join(m.text for m in await h.press(880, "Отправить"))
    assert "• Учеников на один кружок: 12,5\u00a0ученика на кружок (цель 12)" in sent, sent
    assert "• Школы, где кружков не меньше норматива: норма не задана" in sent
    assert "• Школы, где чат в Сферуме есть у каждого кружка: не выполнено (норма 12)" in sent
    await h.say(881, "/status")
    types = "\n".join(m.text for m in await h.press(881, "По типам"))
    assert "• Школы, где кружков не меньше норматива: нет данных — норма не задана у 9\u00a0организаций" in types, \
        types
    # the equals norm comes from the same report: the school's 10 of 12 does not meet it; eight have not reported
    assert "• Школы, где чат в Сферуме есть у каждого кружка: 0,0\u00a0% (цель 100\u00a0%), пока без 8\u00a0организаций" \
        in types, types


PAGED = """\
[roadmap]
id = "second-plan"
title = "Второй план школы"
starts = 2023-09-01
ends = 2024-05-31
region = "Свердловская область"
""" + "".join(f"""
[[item]]
id = "{n}"
title = "Дело второго плана № {n}"
responsible = ["organization"]
org_types = ["school"]
due = 2023-10-{20 + n}
confirm = true
""" for n in range(1, 8))


async def test_each_page_of_items_names_its_roadmap_when_there_are_several(harness) -> None:
    """Open items of two roadmaps over two pages: the second page, all of one roadmap, still says whose they are
    (found in the sandbox: it had listed them under no name)."""
    from datetime import UTC, datetime

    from testkit.harness import register

    h = harness
    h.clock.now = datetime(2023, 10, 18, 6, 0, tzinfo=UTC)
    await h.app.services.catalog.load_roadmap(PAGED, "second.toml")
    await register(h, 881, "organization", "6624000001")
    first = await h.text(881, "/items")
    assert "страница 1 из 2" in first and "Карта «Дорожная карта по внедрению" in first, first
    second = "\n".join(m.text for m in await h.press(881, "Дальше →"))
    assert "страница 2 из 2" in second, second
    assert "Карта «Второй план школы»:" in second and second.index("Карта «Второй план") < second.index("п. "), second
