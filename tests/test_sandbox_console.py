"""The sandbox's console as a person at it sees it: what comes while nobody types is shown as it arrives."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.sandbox import Console
from testkit.waiting import wait_for

CHAT = 2_000_000_001


@dataclass
class Shown:
    text: str
    attachments: list = field(default_factory=list)
    keyboard: dict | None = None

    def labels(self) -> list[str]:
        return []


class Room:
    """Only what the console reads of an emulator: who got which messages."""

    def __init__(self) -> None:
        self.users: dict = {}
        self.record: dict[int, list[Shown]] = {}

    def delivered(self, peer: int) -> list[Shown]:
        return self.record.setdefault(peer, [])


async def test_messages_arriving_while_nobody_types_are_shown() -> None:
    room = Room()
    room.record[201] = [Shown("Здравствуйте! старое")]  # before the console started: not announced again
    out: list[str] = []
    done = asyncio.Event()

    async def read_line() -> str | None:
        await done.wait()
        return None

    console = Console(None, room, read_line, out.append, CHAT)  # type: ignore[arg-type]
    task = asyncio.create_task(console.run())
    await wait_for(lambda: out)  # it has started and counted what each had before
    # the scheduler sends: a reminder to another person, a summary to the chat, a reminder to the one at the console
    room.record[201].append(Shown("Напоминание: отчёт «Еженедельный мониторинг» нужно сдать сегодня\nЭто займёт"))
    room.record.setdefault(CHAT, []).append(Shown("Сводка «Еженедельный мониторинг» за период до 20.10.2023"))
    room.record.setdefault(100, []).append(Shown("Напоминание на сегодня, 20.10:\nПункты дорожной карты:"))
    await wait_for(lambda: "\n".join(out).count("новое сообщение") == 2 and "бот: Напоминание" in "\n".join(out))
    # what one read as a person is not announced again once the console writes as another
    console.seen[202] = len(room.delivered(202)) + 1
    room.record.setdefault(202, []).append(Shown("Отчёт принят: уже прочитано"))
    # a later message to a third person: once it is announced, the watcher has looked at 202's too
    room.record.setdefault(203, []).append(Shown("Напоминание: отчёт позже"))
    await wait_for(lambda: "Марина Волкова (203)" in "\n".join(out))
    done.set()
    await task
    text = "\n".join(out)
    assert "Анна Петрова (201): новое сообщение «Напоминание: отчёт «Еженедельный мониторинг» нужно сдать…»" \
           " (посмотреть — :as 201)" in text, text
    assert "беседа координаторов: новое сообщение «Сводка «Еженедельный мониторинг»" in text and ":chat)" in text
    assert "бот: Напоминание на сегодня, 20.10:" in text  # the console's own person: printed whole, at once
    assert "старое" not in text and "уже прочитано" not in text
    assert text.count("новое сообщение") == 3  # each announced once


async def test_an_operators_roadmap_elsewhere_gets_people_of_its_own(tmp_path, schema) -> None:
    """`sandbox --roadmap` with a plan for another territory (Kalinin's, Тверская область): a municipality of its
    own with an organization of each type its forms ask, a coordinator and an admin there — the plan had been
    loaded for nobody to see. A plan the demo people already see gets nobody new."""
    from datetime import UTC, datetime

    from bot.sandbox import load_extra_roadmaps
    from testkit.harness import ROOT, start_harness, stop_harness

    h = await start_harness(tmp_path, schema)
    try:
        h.clock.now = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
        problems, people = await load_extra_roadmaps(h.app, h.emu, [ROOT / "roadmaps" / "kalinin-2024.toml",
                                                                    ROOT / "tests" / "fixtures" / "region-2025.toml"])
        assert problems == []
        assert [(p[0], p[3]) for p in people] == [(110, "municipality"), (210, "organization")]
        opened = await h.text(210, "/report")
        assert "«Ежемесячная проверка чатов в VK Мессенджере»" in opened and "МБОУ СОШ № 1" in opened, opened
        muni = (await h.app.repos.directory.municipalities_by_name("Калининский муниципальный округ"))[0]
        orgs = await h.app.repos.directory.organizations_of_municipality(muni.id)
        assert sorted(o.type for o in orgs) == ["additional", "preschool", "school"] and muni.timezone == "Europe/Moscow"
        assert "Калининский муниципальный округ" in await h.text(110, "/status")
    finally:
        await stop_harness(h)
