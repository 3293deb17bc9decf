"""Findings of the attack on the bot (issue 12) that are about data staying true: each reproduced, each refused."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.domain.forms import Invalid, parse_count
from bot.domain.roadmap import RoadmapError, parse_roadmap
from bot.views.sheets import workbook
from bot.words import texts
from testkit.harness import Harness, add_moscow_municipality, register

ROOT = Path(__file__).resolve().parents[1]
NTGO = (ROOT / "roadmaps" / "ntgo-2023.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("typed", "small", "big"), [("1,000", "1", "1\u00a0000"), ("1.000", "1", "1\u00a0000"),
                                                     ("12,000", "12", "12\u00a0000"), ("1,500", "1,5", "1\u00a0500")])
def test_one_thousands_group_is_asked_about_never_guessed(typed: str, small: str, big: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse_count(typed)
    assert refused.value.message == texts.FORM_AMBIGUOUS.format(typed=typed, small=small, big=big)


@pytest.mark.parametrize(("typed", "value"), [("1,000,000", 1_000_000), ("2.500.000", 2_500_000), ("1 000", 1000),
                                              ("25,0", 25), ("0,000", 0), ("204", 204)])
def test_unambiguous_numbers_still_pass(typed: str, value: int) -> None:
    assert parse_count(typed) == value


async def test_an_ambiguous_figure_is_not_stored(harness: Harness) -> None:
    h = harness
    await register(h, 850, "organization", "6624000001")
    await h.say(850, "/report")
    reply = await h.text(850, "1,000")
    assert "можно понять и как 1, и как 1\u00a0000" in reply and "Вопрос 1 из 2" in reply  # the same question again
    assert "Вопрос 2 из 2" in await h.text(850, "1000")


@pytest.mark.parametrize("ends", ["9999-12-31", "2199-01-01"])
def test_roadmap_dates_far_in_the_future_do_not_load(ends: str) -> None:
    text = re.sub(r"(?m)^ends = .*$", f"ends = {ends}", NTGO)
    with pytest.raises(RoadmapError) as refused:
        parse_roadmap(text, "x.toml")
    assert any(p.key == "roadmap.ends" and "2000–2100" in p.message for p in refused.value.problems)


def test_a_roadmap_longer_than_fifteen_years_does_not_load() -> None:
    text = re.sub(r"(?m)^ends = .*$", "ends = 2045-12-31", NTGO)
    with pytest.raises(RoadmapError) as refused:
        parse_roadmap(text, "x.toml")
    assert [p.message for p in refused.value.problems] == ["дорожная карта длиннее 15 лет: проверьте дату окончания"]


def test_spreadsheet_cells_that_look_like_formulas_stay_text() -> None:
    name = '=HYPERLINK("http://evil.example","МАОУ СОШ № 1")'
    data = workbook([("Лист", ["Организация", "Число"], [[name, 5], ["+7 999", 6], ["@SUM(A1)", 7]], ())])
    ws = load_workbook(io.BytesIO(data)).active
    assert [(c.value, c.data_type) for c in ws["A"]][1:] == [(name, "s"), ("+7 999", "s"), ("@SUM(A1)", "s")]
    assert ws["B2"].value == 5 and ws["B2"].data_type == "n"


async def test_a_code_is_spent_even_when_its_holder_already_had_the_role(harness: Harness) -> None:
    h = harness
    await register(h, 860, "organization", "6624000001")
    code, _ = await h.app.services.invites.create("organization", "6624000001", None, h.clock())
    assert "уже есть" in await h.text(860, code)
    h.emu.add_user(861, "Чужой", "Человек")
    assert await h.text(861, code) == texts.CODE_USED  # a stranger who saw it cannot use it
    assert not (await h.app.services.access.actor(861)).registered


async def test_a_draft_left_open_past_its_period_is_not_filed_into_it(harness: Harness) -> None:
    h = harness
    await register(h, 870, "organization", "6624000001")
    await register(h, 871, "organization", "6624000002", "Сергей", "Кузнецов")
    for uid in (870, 871):
        assert "период до 20.10.2023" in await h.text(uid, "/report")
        await h.say(uid, "204")  # question 1 answered on Friday, then the admins went away
    h.clock.advance(days=7)
    # one comes back with /report: the current period's form, not last week's draft
    reply = await h.text(870, "/report")
    assert "период до 27.10.2023" in reply and "Вопрос 1 из 2" in reply
    # the other just types the second answer: told the draft is closed, nothing stored
    assert await h.text(871, "179") == texts.FORM_STALE.format(period="20.10.2023")
    assert await h.app.repos.reports.submission("6624000002", "ntgo-sferum-2023", "weekly", "2023-10-20") is None
    assert "период до 27.10.2023" in await h.text(871, "/report")


async def test_chat_commands_for_another_community_are_left_to_it(harness: Harness) -> None:
    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 880, "municipality", muni, "Ольга", "Смирнова")
    chat = h.emu.add_chat([880], full_access=True)  # the bot sees them all: it is the one to leave them
    await h.settle()  # the bot welcomes the chat it was added to
    for meant_elsewhere in ("[club999|@other_bot] /bind", "/bind@other_bot", "[public42|Другой бот], /status",
                            "/bind @other_bot", "/bind [club999|@other_bot]", "/status  @other_bot сейчас"):
        assert await h.say(880, meant_elsewhere, peer_id=chat) == [], meant_elsewhere
    assert await h.app.repos.chats.get(chat) is None
    assert "Беседа привязана" in await h.text(880, "/bind [club1|@sferum]", peer_id=chat)  # our name after it: ours
    assert "Сводка" in await h.text(880, "[club1|@club1] /status@club1", peer_id=chat)


async def test_a_chat_bound_to_one_territory_is_not_taken_over_by_another(harness: Harness) -> None:
    h = harness
    await add_moscow_municipality(h)
    ntgo = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    moscow = str((await h.app.repos.directory.municipalities_by_name("Тестовый МО"))[0].id)
    await register(h, 890, "municipality", ntgo, "Ольга", "Смирнова")
    await register(h, 891, "municipality", moscow, "Иван", "Иванов")
    chat = h.emu.add_chat([890, 891])
    await h.settle()  # the bot welcomes the chat it was added to
    assert "Нижнетуринский ГО" in await h.text(890, "[club1|@club1] /bind", peer_id=chat)
    assert await h.text(891, "[club1|@club1] /bind", peer_id=chat) == texts.BIND_TAKEN.format(
        scope="муниципалитет: Нижнетуринский ГО")
    assert (await h.app.repos.chats.get(chat)).scope_id == ntgo
    h.emu.add_user(1, "Владелец", "Бота")
    assert "Тестовый МО" in await h.text(1, "[club1|@club1] /bind Тестовый МО", peer_id=chat)  # an owner may move it
    assert (await h.app.repos.chats.get(chat)).scope_id == moscow


def test_control_characters_in_the_directory_are_refused() -> None:
    from bot.domain.directory_csv import DirectoryError, parse_directory

    text = ("id,region,municipality,timezone,organization,type\n"
            "1,Свердловская область,Нижнетуринский ГО,Asia/Yekaterinburg,Школа\x00 № 1,school\n"
            "2,Свердловская область,Нижнетуринский ГО,Asia/Yekaterinburg,Школа № 2,school\n")
    with pytest.raises(DirectoryError) as refused:
        parse_directory(text, "d.csv")
    assert refused.value.problems == ["d.csv:2: управляющий символ в столбце organization"]


async def test_a_name_from_vk_is_stored_without_control_characters(harness: Harness) -> None:
    h = harness
    h.emu.add_user(895, "Ан\x00на", "Пет\x1bрова")
    code, _ = await h.app.services.invites.create("organization", "6624000001", None, h.clock())
    assert "Готово, Анна Петрова!" in await h.text(895, code)
    assert (await h.app.repos.people.person(895)).full_name == "Анна Петрова"


async def test_a_removed_organization_keeps_its_figures_and_leaves_coverage_and_its_admins_access(
        harness: Harness) -> None:
    from bot.services.removal import RemovalService

    h = harness
    await register(h, 720, "organization", "6624000001")
    await h.text(720, "/report")
    await h.text(720, "30")
    await h.text(720, "20")
    assert "Отчёт принят" in await h.text(720, "Отправить")
    municipality = (await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id
    schools = sum(n for _, kind, n in await h.app.repos.directory.type_counts([municipality]) if kind == "school")
    removal = RemovalService(h.app.repos.directory, h.app.repos.people, h.app.repos.reports)
    preview = await removal.remove("6624000001", False, h.clock())
    assert not preview.done and "администраторов: 1" in preview.text and "отчётов: 1" in preview.text
    assert (await removal.remove("6624000001", True, h.clock())).done
    assert await h.app.db.scalar("SELECT count(*) FROM submissions") == 1  # the figures are kept
    after = sum(n for _, kind, n in await h.app.repos.directory.type_counts([municipality]) if kind == "school")
    assert after == schools - 1
    period = await h.app.db.scalar("SELECT period FROM submissions")
    assert await h.app.repos.reports.reported("ntgo-sferum-2023", "weekly", period, [municipality]) == []
    assert "МАОУ СОШ № 1" not in await h.text(720, "/report")  # no longer this school's admin
