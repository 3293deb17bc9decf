"""Every role presses every button the bot shows it on MAX, where every label must be drawn whole; and on both
messengers an admin inside a form uses the menu. (VK's crawl by payloads, with the same checks, is
tests/test_crawler.py: VK's client keeps only the newest keyboard pressable, which a crawl by label cannot reach.)

From what a person sees first (/start, /help, their menu, and a form they opened, where menu buttons must still
work), each button is pressed once per person, to depth 3. No answer may be a refusal of a button the bot
offered, a form's «Нужно целое число» to a menu button, or (on MAX) a word about ВКонтакте; maxemu counts every
label a phone would show cut."""

from __future__ import annotations

import pytest

from bot.words import texts
from testkit.harness import OWNER, start_harness, stop_harness
from testkit.journey import MaxDriver, Seen, VkDriver, register

ADMIN, MUNI, REGION, NEWCOMER = 721, 722, 723, 724
DEPTH = 3
REFUSALS = (texts.UNKNOWN, texts.NOT_ALLOWED, texts.ERROR, "Не нашёл", texts.REPORT_NOT_ADMIN)
FORM_ERRORS = (texts.FORM_NOT_NUMBER, texts.FORM_NOT_WHOLE)
SKIP = {texts.BTN_SEND}  # sending a report is a journey of its own, not a menu's button


def problems_of(replies: list[Seen], messenger: str) -> list[str]:
    if not replies:
        return ["no answer"]
    out = []
    for m in replies:
        out += [f"refused: {m.text[:80]!r}" for r in REFUSALS if r in m.text]
        out += [f"taken for a form's answer: {m.text[:80]!r}" for r in FORM_ERRORS if r in m.text]
        if messenger == "max" and "ВКонтакте" in m.text and not m.text.startswith("Коды приглашений:"):
            out.append(f"speaks of VK on MAX: {m.text[:80]!r}")
    return out


async def crawl(driver: VkDriver | MaxDriver, user: int, first: list[Seen]) -> tuple[list[str], int]:
    tried: set[str] = set(SKIP)
    found: list[str] = []
    presses = 0

    async def visit(messages: list[Seen], path: list[str], depth: int) -> None:
        nonlocal presses
        if depth > DEPTH:
            return
        for message in messages:
            for label in message.labels:
                if label in tried:
                    continue
                tried.add(label)
                replies = await driver.press(user, label)
                presses += 1
                where = " → ".join([*path, label])
                found.extend(f"{where}: {p}" for p in problems_of(replies, driver.name))
                await visit(replies, [*path, label], depth + 1)

    await visit(first, [], 1)
    return found, presses


@pytest.mark.parametrize("messenger", ["vk", "max"])
@pytest.mark.parametrize("who", [ADMIN, MUNI, REGION, OWNER, NEWCOMER],
                         ids=["admin", "municipal", "regional", "owner", "newcomer"])
async def test_every_role_presses_every_button(tmp_path, schema, messenger: str, who: int) -> None:
    h = await start_harness(tmp_path, schema, with_max=messenger == "max")
    try:
        driver = MaxDriver(h) if messenger == "max" else VkDriver(h)
        muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
        region = str((await h.app.repos.directory.region_by_name("Свердловская область")).id)
        roles = {ADMIN: ("organization", "6624000001"), MUNI: ("municipality", muni), REGION: ("region", region)}
        if who in roles:
            await register(driver, who, *roles[who])
        else:
            driver.add_user(who, "Павел", "Новиков")
        first = [*await driver.say(who, "/start"), *await driver.say(who, "/help")]
        problems, presses = await crawl(driver, who, first) if messenger == "max" else ([], 0)
        if who == ADMIN:
            # inside a form (its own keyboard has replaced the menu on VK): the menu's words typed, or a button of
            # an earlier message pressed, answer as themselves, and the question comes back
            opened = await driver.say(who, "/report")
            assert any("Вопрос 1 из" in m.text for m in opened), [m.text for m in opened]
            for label in (texts.MENU_ITEMS, "Сводка", "Кто я", "Помощь"):
                replies = await driver.say(who, label)
                problems += [f"in a form → {label}: {p}" for p in problems_of(replies, messenger)]
            presses += 4
        assert problems == []
        if who != NEWCOMER and (messenger == "max" or who == ADMIN):
            assert presses >= 4, presses
        if messenger == "max":
            assert h.max_emu.labels_cut == [], sorted(set(h.max_emu.labels_cut))
        assert h.app.handler_errors == []
    finally:
        await stop_harness(h)
