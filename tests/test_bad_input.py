"""A corpus of bad input through the whole bot: wrong arguments, payloads that are not ours, forged
payloads for other organizations, 10,000-character messages, unknown users, unbound group chats.

Every input must end with a clear Russian answer (private) or a refusal/silence (chats), no handler
error, nothing of another scope shown, and nothing already saved changed. The tally of inputs and
outcomes is printed (`pytest -s tests/test_bad_input.py`) for the report.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from bot.words import texts
from testkit.harness import OWNER, Harness, register

ADMIN, OTHER_ADMIN, COORD, NOBODY, REGION_COORD = 60, 61, 62, 63, 64
SCHOOL_1, SCHOOL_2 = "6624000001", "6624000002"
LONG = "Я" * 10_000
CYRILLIC = re.compile("[а-яА-ЯёЁ]")

ARGUMENTS = [
    "/invite", "/invite ;DROP TABLE persons;--", "/invite " + "x" * 5000, "/invite 0", "/invite -1",
    "/status ' OR 1=1 --", "/status %", "/status _", "/status " + LONG, "/status 6624000002",
    "/export 99.99.9999", "/export вчера", "/export 2023-13-45", "/export 01.01.1900", "/export " + LONG,
    "/history", "/history несуществующая", "/history 6624000002", "/history %",
    "/report 6624000002", "/report ' OR 1=1", "/whoami всё", "/items 7", "/chart 2", "/bind 5", "/cancel сейчас",
    "/", "//", "/неизвестная", "/help " + LONG, "/start\x00\x01\x02", "\u202e/status", "/STATUS", "  /status  ",
]
TEXTS = [LONG, "", " ", "\n\n\n", "😀" * 2000, "\x00", "null", "{}", "[]", "<script>alert(1)</script>",
         "ABCDE-23456", "abcde 23456", "ЖЖЖЖЖ-ЖЖЖЖЖ", "1" * 400, "-5", "1e9", "NaN", "Отмена", "Да", "Нет"]
FOREIGN_PAYLOADS = [
    "not json", "[1, 2]", "42", '"cmd"', "{", json.dumps({"cmd": "drop_tables"}), json.dumps({"command": "start"}),
    json.dumps({"cmd": "form", "act": "explode"}), json.dumps({"cmd": "form", "act": "pick", "n": 10**12}),
    json.dumps({"cmd": "form", "act": "pick", "n": "2; DROP"}), json.dumps({"cmd": ["report"]}),
    json.dumps({"cmd": "report", "org": None}), json.dumps({"a": {"b": {"c": {"d": [[[[1]]]]}}}}),
    json.dumps({"cmd": "status", "x": "y" * 3000}),
]
FORGED_PAYLOADS = [  # an admin of school 1 claims school 2, other roadmaps, fixes of others' reports
    {"cmd": "report", "org": SCHOOL_2, "rm": "ntgo-sferum-2023", "form": "weekly"},
    {"cmd": "report", "org": SCHOOL_2, "rm": "ntgo-sferum-2023", "form": "weekly", "fix": 1},
    {"cmd": "report", "org": SCHOOL_1, "rm": "no-such-roadmap", "form": "weekly"},
    {"cmd": "report", "org": SCHOOL_1, "rm": "ntgo-sferum-2023", "form": "no-such-form"},
    {"cmd": "invites"}, {"cmd": "status", "org": SCHOOL_2},
]
FORGED_CALLBACKS = [  # item confirmations for units that are not the presser's
    {"cmd": "item", "rm": "ntgo-sferum-2023", "item": "3", "occ": "2023-10-31", "role": "organization",
     "scope": SCHOOL_2},
    {"cmd": "item", "rm": "ntgo-sferum-2023", "item": "3", "occ": "2023-10-31", "role": "municipality",
     "scope": "99999"},
    {"cmd": "item", "rm": "ntgo-sferum-2023", "item": "99", "occ": "2023-10-31", "role": "organization",
     "scope": SCHOOL_1},
    {"cmd": "item", "rm": "ntgo-sferum-2023", "item": "3", "occ": "not-a-date", "role": "organization",
     "scope": SCHOOL_1},
    {"cmd": "item", "rm": "ntgo-sferum-2023", "item": "3", "occ": "2023-10-31", "role": "region", "scope": "1"},
    {"cmd": "item"}, {"cmd": "form", "act": "send"},
]


async def snapshot(h: Harness) -> dict[str, object]:
    """What is saved: submissions with figures, confirmations, roles, bound chats."""
    db = h.app.db
    return {table: await db.fetchall(f"SELECT * FROM {table} ORDER BY 1, 2")  # noqa: S608 (fixed names)
            for table in ("submissions", "figures", "item_confirmations", "roles", "coordinator_chats")}


async def test_the_bad_input_corpus(harness: Harness, capsys):
    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, ADMIN, "organization", SCHOOL_1)
    await register(h, OTHER_ADMIN, "organization", SCHOOL_2, "Иван", "Сидоров")
    await register(h, COORD, "municipality", muni, "Ольга", "Смирнова")
    for typed in ("/report", "40", "30", texts.BTN_SEND):  # school 2 has a saved report
        await h.say(OTHER_ADMIN, typed)
    bound = h.emu.add_chat([COORD], full_access=True)  # every line reaches the bot: the parser is what is tested
    await h.settle()  # the bot welcomes the chat it was added to
    await h.say(COORD, "[club1|@club1] /bind", peer_id=bound)
    stranger_chat = h.emu.add_chat([ADMIN, COORD, NOBODY], full_access=True)
    await h.settle()  # the bot welcomes the chat it was added to
    h.emu.add_user(NOBODY)
    saved = await snapshot(h)
    tally: Counter = Counter()
    problems: list[str] = []

    async def private(uid: int, text: str, payload: object = None, where: str = "") -> None:
        replies = await h.say(uid, text, payload=payload)
        tally["private"] += 1
        if not replies:
            problems.append(f"{where} {uid} {text[:40]!r} {str(payload)[:40]}: no answer")
        elif not all(CYRILLIC.search(m.text) for m in replies):
            problems.append(f"{where} {uid} {text[:40]!r}: an answer without Russian text")
        elif any("Иван" in m.text or "40" in m.text.split() for m in replies) and uid != COORD:
            problems.append(f"{where} {uid} {text[:40]!r}: shows school 2's report")
        else:
            tally["answered clearly"] += 1

    # 1. every command with wrong arguments, plain bad texts, foreign and forged payloads: three roles
    for uid in (ADMIN, COORD, NOBODY):
        for text in ARGUMENTS + TEXTS:
            await private(uid, text, where="idle")
        for raw in FOREIGN_PAYLOADS:
            await private(uid, "Кнопка", payload=raw, where="payload")
        for forged in FORGED_PAYLOADS:
            await private(uid, "Сдать отчёт", payload=forged, where="forged")
        await h.say(uid, "/cancel")
    # 2. the same inside a form: nothing breaks it, and it still completes with the right figures
    await h.say(ADMIN, "/report")
    for text in TEXTS + ARGUMENTS[:8]:
        await private(ADMIN, text, where="in form")
    for raw in FOREIGN_PAYLOADS:
        await private(ADMIN, "Кнопка", payload=raw, where="in form")
    await h.say(ADMIN, "/cancel")
    # 3. forged callbacks (item confirmations for others, broken ones), by each role, private and in chats
    for uid in (ADMIN, COORD, NOBODY):
        for forged in FORGED_CALLBACKS:
            before = len(h.emu.event_answers)
            h.emu.callback(uid, forged)
            await h.settle()
            tally["callbacks"] += 1
            if len(h.emu.event_answers) != before + 1:
                problems.append(f"callback {forged} by {uid}: the spinner was not stopped")
        h.emu.callback(uid, "definitely not json", peer_id=stranger_chat)
        await h.settle()
        tally["callbacks"] += 1
    # 4. group chats: a chat never bound, and the bound one, get commands, chatter and forged payloads
    for chat in (stranger_chat, bound):
        for uid in (ADMIN, NOBODY):
            for text in ["/status", "/status Нижнетуринский ГО", "/bind", "/export", "/report", LONG, "привет",
                         "/invite МАОУ СОШ № 2"]:
                replies = await h.say(uid, text, peer_id=chat)
                tally["chat"] += 1
                if any("Сводка" in m.text or m.attachments or "Код приглашения" in m.text for m in replies):
                    problems.append(f"chat {chat} {uid} {text[:30]!r}: shows what it must not")
                else:
                    tally["chat refused or silent"] += 1
            for forged in FORGED_PAYLOADS:
                replies = await h.say(uid, "x", peer_id=chat, payload=forged)
                tally["chat"] += 1
                if any("Еженедельный" in m.text for m in replies):
                    problems.append(f"chat {chat}: a forged payload opened a form")
                else:
                    tally["chat refused or silent"] += 1

    # nothing saved changed, and the admin can still report normally
    assert problems == []
    after = await snapshot(h)
    assert {k: [tuple(r) for r in v] for k, v in after.items()} == {k: [tuple(r) for r in v] for k, v in saved.items()}
    for typed in ("/report", "204", "179"):
        await h.say(ADMIN, typed)
    assert "Отчёт принят" in await h.text(ADMIN, texts.BTN_SEND)
    sub = await h.app.repos.reports.submission(SCHOOL_1, "ntgo-sferum-2023", "weekly", "2023-10-20")
    assert sub is not None and await h.app.repos.reports.figures(sub.id) == {"staff_total": 204,
                                                                              "staff_active": 179}
    other = await h.app.repos.reports.submission(SCHOOL_2, "ntgo-sferum-2023", "weekly", "2023-10-20")
    assert await h.app.repos.reports.figures(other.id) == {"staff_total": 40, "staff_active": 30}
    total = tally["private"] + tally["callbacks"] + tally["chat"]
    assert total > 300
    with capsys.disabled():
        print(f"\nbad-input corpus: {total} inputs — {tally['private']} private ({tally['answered clearly']} "
              f"answered in Russian), {tally['callbacks']} callbacks (all acknowledged, none confirmed anything), "
              f"{tally['chat']} in group chats ({tally['chat refused or silent']} refused or silent); "
              "0 handler errors, saved data unchanged")


OUT_OF_RANGE = (2**64, -(2**70), 10**30, 1e308, -1e308)  # past SQLite's 64-bit integers, NaN's neighbours
BUTTON_KEYS = ("p", "n", "q", "fix", "org", "rm", "form", "item", "occ", "v", "act", "role", "scope", "l", "id", "r", "f")


def test_numbers_out_of_range_are_dropped_from_any_payload_before_routing() -> None:
    """Whatever the key, a number no button carries is dropped from the arguments (the decoder looks at the value,
    never at the key), and what is left is as the button had it."""
    from bot.payloads import decode_payload

    for key in BUTTON_KEYS:
        for value in OUT_OF_RANGE:
            assert decode_payload(json.dumps({"cmd": "form", key: value, "keep": 3})) == ("form", {"keep": 3})
            assert decode_payload({"cmd": "form", key: value}) == ("form", {})


async def test_numbers_out_of_range_in_any_payload_never_reach_a_handler(harness: Harness) -> None:
    """Each command's button pressed, by every role, with every argument our buttons use set to numbers no button
    carries — all at once, the keys an argument needs in the shapes our buttons give them: an answer every time, no
    handler error, nothing saved. (That the key does not matter is the test above: one press per shape here, where
    one press per key had taken 1 564.)"""
    from bot.words.commands import CommandId

    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, ADMIN, "organization", SCHOOL_1)
    await register(h, COORD, "municipality", muni, "Ольга", "Смирнова")
    region = str((await h.app.repos.directory.region_by_name("Свердловская область")).id)
    await register(h, REGION_COORD, "region", region, "Пётр", "Иванов")
    saved = await snapshot(h)
    shapes = ({"act": "pick"}, {}, {"l": "municipality"}, {"l": "region"})
    silent = []
    for uid in (ADMIN, COORD, REGION_COORD, OWNER):
        for i, cmd in enumerate(CommandId):
            for shape in shapes:
                garbage = {key: OUT_OF_RANGE[(i + j) % len(OUT_OF_RANGE)] for j, key in enumerate(BUTTON_KEYS)}
                replies = await h.say(uid, "Кнопка", payload=json.dumps({**garbage, **shape, "cmd": str(cmd)}))
                if not replies:
                    silent.append((uid, str(cmd), shape))
            await h.say(uid, "Отмена")
    assert h.app.handler_errors == []
    assert silent == [], silent[:10]
    assert await snapshot(h) == saved
