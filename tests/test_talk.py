"""A bot that talks like a person (issue 16): what real admins and coordinators write gets a helpful answer,
not «Не понял сообщение»."""

from __future__ import annotations

from bot.words import texts
from testkit.harness import Harness, register

SCHOOL_1 = "6624000001"
ADMIN, COORDINATOR = 790, 791

# (who, what they write, a piece of the helpful answer)
PHRASES = [
    (ADMIN, "привет", "Чтобы сдать отчёт"),
    (ADMIN, "Привет!", "Здравствуйте"),
    (ADMIN, "Здравствуйте", "Здравствуйте"),
    (ADMIN, "Добрый день!", "Сдать отчёт"),
    (ADMIN, "доброе утро", "Здравствуйте"),
    (ADMIN, "спасибо!", "Пожалуйста"),
    (ADMIN, "Спасибо большое", "Пожалуйста"),
    (ADMIN, "благодарю", "Пожалуйста"),
    (ADMIN, "Подскажите, как сдать отчёт?", "Нажмите «Сдать отчёт»"),
    (ADMIN, "где отчет", "Нажмите «Сдать отчёт»"),
    (ADMIN, "как заполнить форму", "Нажмите «Сдать отчёт»"),
    (ADMIN, "/stauts", "/status"),
    (ADMIN, "/repotr", "/report"),
    (ADMIN, "/помощь", "/report"),
    (ADMIN, "/сводка", "МАОУ СОШ № 1"),
    (ADMIN, "/отчёт", "Вопрос 1 из 2"),
    (ADMIN, "отмена", "Отменять нечего"),
    (ADMIN, "Отправить", "форма уже закрыта"),
    (ADMIN, "да", "форма уже закрыта"),
    (ADMIN, "сводк", "/status"),
    (ADMIN, "помощ", "/help"),
    (ADMIN, "кто я", "МАОУ СОШ № 1"),
    (ADMIN, "Сдать отчёт", "Вопрос 1 из 2"),
    (ADMIN, "/whatever", "Нет команды /whatever"),
    (COORDINATOR, "привет", "/status"),
    (COORDINATOR, "Добрый вечер", "Здравствуйте"),
    (COORDINATOR, "спасибо", "Пожалуйста"),
    (COORDINATOR, "как сдать отчёт за школу?", "заполнить за организацию"),
    (COORDINATOR, "/statsu", "/status"),
    (COORDINATOR, "/exprot", "/export"),
    (COORDINATOR, "/histroy", "/history"),
    (COORDINATOR, "/шаблн", "/template"),
    (COORDINATOR, "/выгрузка вчера", "Не понял период"),
    (COORDINATOR, "сводка", "Сводка"),
    (COORDINATOR, "Сводка.", "Сводка"),
    (COORDINATOR, "помощь", "/status"),
    (COORDINATOR, "меню", "Меню"),
    (COORDINATOR, "Коды приглашений", "Коды приглашений"),
    (COORDINATOR, "/график", "График"),
    (COORDINATOR, "Исправить", "форма уже закрыта"),
]


async def test_forty_phrasings_get_helpful_answers(harness: Harness) -> None:
    h = harness
    await register(h, ADMIN, "organization", SCHOOL_1)
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, COORDINATOR, "municipality", muni, "Ольга", "Смирнова")
    assert len(PHRASES) >= 40
    problems = []
    for who, said, expected in PHRASES:
        replies = await h.say(who, said)
        text = "\n".join(r.text for r in replies)
        if not replies or texts.UNKNOWN in text or expected.casefold() not in text.casefold():
            problems.append(f"{who} {said!r}: {text[:120]!r}, expected {expected!r}")
        await h.say(who, "/cancel")  # each phrase on its own: a form opened by one is closed for the next
    assert problems == []
    # the greeting of an admin carries the report button
    assert texts.MENU_REPORT in (await h.say(ADMIN, "привет"))[-1].labels()


async def test_chats_say_what_they_are_for(harness: Harness) -> None:
    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, COORDINATOR, "municipality", muni, "Ольга", "Смирнова")
    await register(h, ADMIN, "organization", SCHOOL_1)
    chat = h.emu.add_chat([COORDINATOR, ADMIN])
    await h.settle()
    mention = h.emu.mention()
    assert (await h.say(COORDINATOR, f"{mention} /status", peer_id=chat))[-1].text == texts.CHAT_NOT_BOUND
    assert "/bind" in (await h.say(COORDINATOR, f"{mention} /help", peer_id=chat))[-1].text
    await h.say(COORDINATOR, f"{mention} /bind", peer_id=chat)
    bound_help = (await h.say(COORDINATOR, f"{mention} /help", peer_id=chat))[-1].text
    assert bound_help.startswith("Это беседа координаторов — ") and "/bind" not in bound_help
    assert (await h.say(ADMIN, f"{mention} /status", peer_id=chat))[-1].text == texts.CHAT_STATUS_NOT_YOURS
    assert (await h.say(COORDINATOR, f"{mention} /status", peer_id=chat))[-1].text.startswith("Сводка")


async def test_organizations_are_found_as_people_type_them(harness: Harness) -> None:
    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, COORDINATOR, "municipality", muni, "Ольга", "Смирнова")
    assert (await h.text(COORDINATOR, "/status сош 2")).startswith("МАОУ СОШ № 2\n")
    assert (await h.text(COORDINATOR, "/status Детский сад 5")).startswith("МАДОУ «Детский сад № 5»\n")
    assert (await h.text(COORDINATOR, "/status нижнетуринский")).startswith("Сводка")
    # several: a choice as buttons, and a tap opens the one meant
    choice = (await h.say(COORDINATOR, "/status исош"))[-1]
    assert choice.text == "«исош» подходит нескольким — выберите:"
    assert choice.labels() == ["МАОУ «ИСОШ № 1»", "МАОУ «ИСОШ № 2»"]
    opened = (await h.press(COORDINATOR, "МАОУ «ИСОШ № 2»"))[-1].text
    assert opened.startswith("МАОУ «ИСОШ № 2»\n")
    many = (await h.say(COORDINATOR, "/status детский сад"))[-1]
    assert "ещё 1 — уточните запрос" in many.text and len(many.labels()) == 6
    assert (await h.text(COORDINATOR, "/history сош 1")).startswith("Изменений отчётов пока нет")


async def test_every_open_item_is_reachable_with_a_unique_button(harness: Harness) -> None:
    import re
    from datetime import UTC, datetime

    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, COORDINATOR, "municipality", muni, "Ольга", "Смирнова")
    for school in ("6624000001", "6624000002", "6624000003"):  # the coordinator also runs three schools
        code, _ = await h.app.services.invites.create("organization", school, None, h.clock())
        await h.say(COORDINATOR, code)
    h.clock.now = datetime(2023, 12, 20, 6, 0, tzinfo=UTC)  # late in the roadmap: most items are open
    page = (await h.say(COORDINATOR, "/items"))[-1]
    total = int(re.search(r"\((\d+)\), страница 1 из", page.text)[1])
    assert total > 8  # more than one page
    seen = 0
    while True:
        # each line and its button carry the roadmap's item number, a letter where an item shows twice
        marks = re.findall(r"(?m)^п\. (\S+) «", page.text)
        done_labels = [label for label in page.labels() if label.startswith("✓")]
        assert done_labels == [f"✓ п. {m}" for m in marks] and len(set(marks)) == len(marks), page.text
        seen += len(marks)
        if "Дальше →" not in page.labels():
            break
        page = (await h.press(COORDINATOR, "Дальше →"))[-1]
    assert seen == total
    # a button on the last page confirms the item on its line
    item_id = marks[-1].rstrip("абвгдежзийклмнопрстуфхцчшщъыьэюя")
    reply = (await h.press(COORDINATOR, f"✓ п. {marks[-1]}"))[-1].text
    assert f"пункт {item_id}" in reply.casefold() or f"Пункт {item_id}" in reply


async def test_a_monthly_item_is_one_line_in_the_summary(tmp_path, schema) -> None:
    """Seed-2025 fixture: item 4 «Ежемесячный отчёт муниципалитета» is due at each month's end; by 10.07.2025 six
    due dates have passed (31.01 … 30.06), none confirmed: one line, not six."""
    from datetime import UTC, datetime

    from testkit.harness import DEMO_CSV, ROOT, start_harness, stop_harness

    h = await start_harness(tmp_path, schema, demo=False)
    try:
        await h.app.services.catalog.import_directory_file(DEMO_CSV)
        await h.app.services.catalog.load_roadmap(
            (ROOT / "tests" / "fixtures" / "region-2025.toml").read_text(encoding="utf-8"), "region-2025.toml")
        h.clock.now = datetime(2025, 7, 10, 6, 0, tzinfo=UTC)
        muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
        await register(h, COORDINATOR, "municipality", muni)
        summary = await h.text(COORDINATOR, "/status")
        lines = [line for line in summary.splitlines() if "п. 4 «Ежемесячный отчёт" in line]
        # one line for the item, not one per month, and once in /status, not under each of the four forms
        assert len(lines) <= 1 and "срок 31.01.2025" not in summary
        assert summary.count("Пункты дорожной карты:") == 1
        if lines:
            assert lines[0] == "• п. 4 «Ежемесячный отчёт муниципалитета о ходе внедрения»: ежемесячно, пропущено 6 " \
                               "из 6 сроков"
        items = (await h.press(COORDINATOR, "Пункты"))[-1].text
        lines = [line for line in items.splitlines() if "п. 4 «Ежемесячный отчёт" in line]
        assert len(lines) == 1 and "срок 31.01.2025" not in items
        assert lines[0].startswith("• п. 4 «Ежемесячный отчёт муниципалитета о ходе внедрения»: не отмечены 6 из 6 "
                                   "сроков; последний 30.06.2025 — просрочен")
    finally:
        await stop_harness(h)
