"""Organization and municipality search as people type (issue 16)."""

from __future__ import annotations

import csv

import pytest

from bot.domain.search import find
from testkit.harness import DEMO_CSV

NAMES = [row["organization"] for row in csv.DictReader(DEMO_CSV.open(encoding="utf-8"))]


def names(query: str) -> list[str]:
    return find(NAMES, query, name=lambda n: n)


@pytest.mark.parametrize("query, expected", [
    ("МАОУ СОШ № 2", ["МАОУ СОШ № 2"]),
    ("сош 2", ["МАОУ СОШ № 2"]),             # not «ИСОШ № 2», not «СОШ № 24»
    ("СОШ №2", ["МАОУ СОШ № 2"]),
    ("сош 24", ["МАОУ СОШ № 24"]),
    ("Детский сад 5", ["МАДОУ «Детский сад № 5»"]),
    ("детский сад №12", ["МАДОУ «Детский сад № 12»"]),
    ("д/с 9", ["МАДОУ «Детский сад № 9»"]),
    ("дет сад 15", ["МАДОУ «Детский сад № 15»"]),
    ("детскй сад 3", ["МАДОУ «Детский сад № 3»"]),    # a typo
    ("дестский сад 3", ["МАДОУ «Детский сад № 3»"]),  # two letters swapped
    ("«ИСОШ № 1»", ["МАОУ «ИСОШ № 1»"]),
    ("исош 1", ["МАОУ «ИСОШ № 1»"]),
    ("ИМЦ", ["МКУ «Информационно-методический центр»"]),
    ("дюсш", ["МАУ ДО «ДЮСШ»"]),
    ("платина", ["МАОУ ООШ п. Платина"]),
    ("исовская", ["МАОУ «Исовская СОШ»"]),
    ("управление образования", ["Управление образования администрации Нижнетуринского ГО"]),
])
def test_what_people_type_finds_one(query: str, expected: list[str]) -> None:
    assert names(query) == expected


def test_several_or_none() -> None:
    assert set(names("сош")) >= {"МАОУ СОШ № 1", "МАОУ СОШ № 2", "МАОУ «Исовская СОШ»"}
    assert len(names("детский сад")) == 7
    assert names("гимназия") == [] and names("   ") == [] and names("сош 99") == []
    # another word form is not a typo: the municipality is not the authority named after it
    assert names("Нижнетуринский ГО") == []


def test_an_id_is_exact() -> None:
    items = [("6624000001", "МАОУ СОШ № 1"), ("6624000002", "МАОУ СОШ № 2")]
    assert find(items, "6624000002", name=lambda i: i[1], key=lambda i: i[0]) == [items[1]]


def test_glued_numbers_and_short_typos() -> None:
    from bot.domain.search import suggest

    names = ["МАОУ СОШ № 3", "МАДОУ «Детский сад № 9»", "МАОУ СОШ № 1", "МАДОУ «Детский сад № 19»"]
    assert find(names, "дс9", name=lambda n: n) == ["МАДОУ «Детский сад № 9»"]  # the number glued to «дс»
    assert find(names, "сщш 3", name=lambda n: n) == []  # a short word's typo is not acted on…
    assert suggest(names, "сщш 3", name=lambda n: n) == ["МАОУ СОШ № 3"]  # …but offered


async def test_a_near_miss_is_offered_as_a_button(harness) -> None:
    from testkit.harness import register

    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 880, "municipality", muni)
    reply = (await h.say(880, "/status сщш 3"))[-1]
    assert reply.text.startswith("Не нашёл «сщш 3» в вашей территории. Может быть") and reply.labels() == ["МАОУ СОШ № 3"]
    card = (await h.press(880, "МАОУ СОШ № 3"))[-1].text
    assert card.startswith("МАОУ СОШ № 3")
