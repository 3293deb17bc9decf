"""Press every button the bot shows, as every kind of person, and check that each press is answered.

A button the bot offers must work for the person it was offered to: the answer is Russian text,
and it is not "не понял", "не нашёл", "недоступна" or an error. The crawl starts from what a
person sees first (the greeting or /help, and a reminder with its button), then presses every
button of every keyboard in the answers, to depth 3. A button is pressed once per person: after
that its label and arguments are known, and the same button elsewhere leads to the same place."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.words import texts
from testkit.harness import OWNER, Harness, register
from vkemu import Delivered

SCHOOL = "6624000001"
ADMIN, MUNI, REGION, NEWCOMER = 701, 702, 703, 704
DEPTH = 3
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# What must never answer a button the bot itself offered.
REFUSALS = (texts.UNKNOWN, texts.NOT_ALLOWED, texts.ERROR, "Не нашёл", texts.REPORT_NOT_ADMIN,
            texts.FORM_NOT_NUMBER, texts.FORM_NOT_WHOLE)  # (a form taking a menu button for its answer)


@dataclass
class Crawl:
    h: Harness
    user: int
    peer: int
    presses: int = 0

    async def press(self, message: Delivered, button: dict) -> list[Delivered]:
        before = len(self.h.emu.delivered(self.peer))
        payload = button.get("payload")
        if not isinstance(payload, str) and payload is not None:
            payload = json.dumps(payload, ensure_ascii=False)
        if button["type"] == "callback":
            answered = len(self.h.emu.event_answers)
            self.h.emu.callback(self.user, payload or "{}", peer_id=self.peer,
                                conversation_message_id=message.conversation_message_id)
            await self.h.settle()
            assert len(self.h.emu.event_answers) == answered + 1, "a callback press was not acknowledged"
        else:
            self.h.emu.say(self.user, button.get("label", ""), peer_id=self.peer, payload=payload)
            await self.h.settle()
        self.presses += 1
        return self.h.emu.delivered(self.peer)[before:]


def problems_of(replies: list[Delivered]) -> list[str]:
    if not replies:
        return ["no answer"]
    out = []
    for m in replies:
        if not CYRILLIC.search(m.text):
            out.append(f"not Russian: {m.text[:60]!r}")
        for refusal in REFUSALS:
            if refusal in m.text:
                out.append(f"refused: {m.text[:80]!r}")
    return out


async def crawl(h: Harness, user: int, peer: int, first: list[Delivered]) -> tuple[list[str], int]:
    """Depth-first over the keyboards in the answers; returns what went wrong and how many presses."""
    c = Crawl(h, user, peer)
    seen: set[tuple[str, str]] = set()
    found: list[str] = []

    async def visit(messages: list[Delivered], path: list[str], depth: int) -> None:
        if depth > DEPTH:
            return
        for message in messages:
            for button in message.buttons():
                key = (button.get("label", ""), str(button.get("payload")))
                if key in seen:
                    continue
                seen.add(key)
                replies = await c.press(message, button)
                where = " → ".join([*path, button.get("label", "?")])
                found.extend(f"{where}: {p}" for p in problems_of(replies))
                await visit(replies, [*path, button.get("label", "?")], depth + 1)

    await visit(first, [], 1)
    return found, c.presses


@pytest.fixture
async def people(harness: Harness) -> Harness:
    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    region = str((await h.app.repos.directory.region_by_name("Свердловская область")).id)
    await register(h, ADMIN, "organization", SCHOOL)
    await register(h, MUNI, "municipality", muni, "Ольга", "Смирнова")
    await register(h, REGION, "region", region, "Ирина", "Соколова")
    h.emu.add_user(OWNER, "Владелец", "Бота")
    h.emu.add_user(NEWCOMER, "Павел", "Новиков")
    # A reminder with its own button, as an admin meets it on a Friday (10:00 in Yekaterinburg).
    await h.app.services.jobs.run_job("form-reminders", datetime(2023, 10, 20, 5, 0, tzinfo=UTC))
    await h.settle()
    return h


@pytest.mark.parametrize("who", [ADMIN, MUNI, REGION, OWNER, NEWCOMER],
                         ids=["admin", "municipal", "regional", "owner", "newcomer"])
async def test_every_button_in_private_answers(people: Harness, who: int) -> None:
    h = people
    first = h.emu.delivered(who) + await h.say(who, "/start")
    problems, presses = await crawl(h, who, who, first)
    assert problems == []
    if who != NEWCOMER:  # a newcomer is shown no buttons until they have a code
        assert presses >= 4, presses


async def test_every_button_in_a_bound_chat_answers(people: Harness) -> None:
    h = people
    chat = h.emu.add_chat([ADMIN, MUNI, REGION, OWNER, NEWCOMER])
    await h.settle()  # the bot welcomes the chat it was added to
    assert "привязана" in await h.text(MUNI, "[club1|@club1] /bind", peer_id=chat)
    for who in (ADMIN, MUNI, REGION, OWNER, NEWCOMER):
        first = await h.say(who, "[club1|@club1] /help", peer_id=chat)
        assert problems_of(first) == []
        problems, _ = await crawl(h, who, chat, first)
        assert problems == []
    summary = await h.say(MUNI, "[club1|@club1] /status", peer_id=chat)
    assert summary and "Сводка" in summary[0].text and problems_of(summary) == []
