"""How much the bot says unasked: the 2025-size regional plan (tests/fixtures/region-2025.toml) run for half a year,
13.01.2025–12.07.2025, through the real bot and vkemu, counting every message it starts.

People: every organization's admin reports on the day of each reminder by its «Сдать отчёт» buttons and never
confirms an item; one school never reports; the municipal coordinator never confirms an item and has the
municipality's chat bound. The clock ticks at 09:00, 10:00, 15:00 and 18:00 local (every time the file and the
install name), twice each: a second tick must send nothing.

Prints per school per week, per chat per week, the most reminder messages one person got in a day, the most
messages one chat got at one moment, and the longest summary as a phone shows it (lines wrapped at 38 characters).
The before figures in the README were taken with this file's loop on the commit before the change.

Usage: python bench/nagging.py
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
import textwrap
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from loguru import logger  # noqa: E402

from testkit.harness import start_harness, stop_harness  # noqa: E402
from tests.test_region_season import END, SILENT, START, TZ, answer, set_up_region  # noqa: E402
from vkemu import Schema  # noqa: E402

TICKS = (time(9, 0), time(10, 0), time(15, 0), time(18, 0))
PHONE = 38  # characters a line on a phone holds


def phone_lines(text: str) -> int:
    return sum(max(1, len(textwrap.wrap(line, PHONE))) for line in text.splitlines())


async def report(h, admin: int, org: str, button: dict) -> None:
    payload = button["payload"] if isinstance(button["payload"], str) else json.dumps(button["payload"])
    replies = await h.say(admin, button["label"], payload=payload)
    found = re.search(r"период до (\d\d\.\d\d\.\d{4})", "\n".join(r.text for r in replies))
    due = datetime.strptime(found[1], "%d.%m.%Y").date() if found else START
    for _ in range(14):
        text = replies[-1].text if replies else ""
        if "Проверьте ответы" in text:
            await h.say(admin, "Отправить")
            return
        asked = re.search(r"Вопрос \d+ из \d+\. (.+)", text)
        if not asked:
            return
        replies = await h.say(admin, answer(org, asked[1], due))


async def main() -> None:
    logger.remove()
    logger.add(sys.stderr, level="ERROR")
    with tempfile.TemporaryDirectory() as tmp:
        h = await start_harness(Path(tmp), Schema(), demo=False)
        try:
            figures = await run(h)
        finally:
            await stop_harness(h)
    print(json.dumps(figures, ensure_ascii=False, indent=1))


async def run(h) -> dict:
    orgs, admins, coordinator, chat = await set_up_region(h)
    seen = {peer: len(msgs) for peer, msgs in h.emu.record.items()}
    total: Counter = Counter()
    reminders_a_day: Counter = Counter()
    at_once: Counter = Counter()
    longest = 0
    day = START
    while day < END:
        for at in TICKS:
            instant = datetime.combine(day, at, TZ).astimezone(UTC)
            h.clock.now = instant
            await h.app.services.jobs.tick(instant)
            await h.app.services.jobs.tick(instant)
            await h.settle(limit_s=60)
            presses = []
            for peer, msgs in h.emu.record.items():
                for m in msgs[seen.get(peer, 0):]:
                    total[peer] += 1
                    if m.text.startswith("Напоминание"):
                        reminders_a_day[(peer, day)] += 1
                    if peer == chat:
                        at_once[instant] += 1
                        if m.text.startswith("Сводка"):
                            longest = max(longest, phone_lines(m.text))
                    if admins.get(peer) not in (None, SILENT):
                        presses += [(peer, b) for b in m.buttons() if b.get("label", "").startswith("Сдать отчёт")]
                seen[peer] = len(msgs)
            h.clock.now = datetime.combine(day, time(12, 0), TZ).astimezone(UTC)
            for peer, button in presses:
                await report(h, peer, admins[peer], button)
            seen = {peer: len(msgs) for peer, msgs in h.emu.record.items()}
        day += timedelta(days=1)
    weeks = (END - START).days / 7
    schools = [a for a, o in admins.items() if orgs[o].type == "school" and o != SILENT]
    silent = next(a for a, o in admins.items() if o == SILENT)
    return {
        "bench": "nagging: region-2025.toml, 13.01.2025-12.07.2025",
        "weeks": round(weeks, 1),
        "school_messages_per_week": round(sum(total[a] for a in schools) / len(schools) / weeks, 2),
        "silent_school_messages_per_week": round(total[silent] / weeks, 2),
        "coordinator_private_messages_per_week": round(total[coordinator] / weeks, 2),
        "chat_messages_per_week": round(total[chat] / weeks, 2),
        "max_reminders_one_person_one_day": max(reminders_a_day.values(), default=0),
        "max_chat_messages_one_moment": max(at_once.values(), default=0),
        "longest_summary_phone_lines": longest,
    }


if __name__ == "__main__":
    asyncio.run(main())
