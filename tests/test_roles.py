"""Who may do what: every command for every role and scope, none included, in one table.

Roles come from our database keyed by from_id; the cells below are what each person must see.
"ok:<prefix>" means the command works and its answer starts so; "no:<prefix>" means it is refused
(with that clear Russian answer) and nothing of another scope leaks.
"""

from __future__ import annotations

import pytest

from bot.words import texts
from testkit.harness import MOSCOW_SCHOOL, OWNER, Harness, add_moscow_municipality, register

ADMIN, MUNI, REGION, OTHER_MUNI, NOBODY = 50, 51, 52, 53, 54
ROLES = {"admin": ADMIN, "muni": MUNI, "region": REGION, "other_muni": OTHER_MUNI, "none": NOBODY, "owner": OWNER}

NO = "no:" + texts.NOT_ALLOWED
NOT_ADMIN = "no:" + texts.REPORT_NOT_ADMIN
ASK = "no:" + texts.ASK_CODE
NOT_FOUND = "no:Не нашёл"
NOT_YOURS = "no:«Нижнетуринский ГО» есть в справочнике, но код туда выдаёте не вы"
SUMMARY = "ok:Сводка «Еженедельный мониторинг Сферума»"
PRIVATE_BIND = "no:" + texts.BIND_ONLY_IN_CHAT

#            command                       admin         muni            region          other_muni      none   owner
TABLE = {
    "/help":                      ("ok:" + texts.HELP_HEADER,) * 4 + ("ok:Здравствуйте",) + ("ok:" + texts.HELP_HEADER,),
    "/whoami":                    ("ok:Анна Петрова",) * 4 + (ASK, "ok:id1"),
    "/invite":                    (NO, "ok:Укажите, для кого код", "ok:Укажите, для кого код",
                                   "ok:Укажите, для кого код", ASK, "ok:Укажите, для кого код"),
    "/invite МАОУ СОШ № 2":       (NO, "ok:Код приглашения", NOT_FOUND, NOT_FOUND, ASK, NOT_FOUND),
    "/invite Нижнетуринский ГО":  (NO, NOT_YOURS, "ok:Код приглашения", NOT_YOURS, ASK, "ok:Код приглашения"),
    # the region's two municipalities have coordinators already: no new codes, the sheet says so
    "/invites":                   (NO, "ok:Коды приглашений", "ok:Новых кодов не понадобилось", "ok:Коды приглашений",
                                   ASK, NO),
    "/report":                    ("ok:«Еженедельный мониторинг Сферума»", NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, ASK,
                                   NOT_ADMIN),
    "/status":                    ("ok:МАОУ СОШ № 1", SUMMARY, SUMMARY, SUMMARY, "ok:Здравствуйте", SUMMARY),
    "/status МАОУ СОШ № 2":       (NOT_FOUND, "ok:МАОУ СОШ № 2", "ok:МАОУ СОШ № 2", NOT_FOUND, ASK, NOT_FOUND),
    "/status Нижнетуринский ГО":  (NOT_FOUND, SUMMARY, SUMMARY, NOT_FOUND, ASK, SUMMARY),
    "/chart":                     (NO, "ok:График целей", "ok:График целей", "ok:График целей", ASK,
                                   "ok:График целей"),
    "/export":                    (NO, "ok:Таблица по организациям", "ok:Таблица по организациям",
                                   "ok:Таблица по организациям", ASK, "ok:Таблица по организациям"),
    "/items":                     ("ok:" + texts.ITEMS_HEAD, "ok:" + texts.ITEMS_HEAD, "ok:Открытых пунктов",
                                   "ok:" + texts.ITEMS_HEAD, ASK, "ok:Открытых пунктов"),
    "/history МАОУ СОШ № 2":      (NO, "ok:Изменений отчётов пока нет", "ok:Изменений отчётов пока нет",
                                   NOT_FOUND, ASK, NOT_FOUND),
    "/bind":                      (PRIVATE_BIND,) * 4 + (ASK, PRIVATE_BIND),
}
# Attachments that must come with an allowed answer (and never with a refused one).
WITH_FILE = {"/invites", "/chart", "/export"}


@pytest.fixture
async def people(harness: Harness) -> Harness:
    h = harness
    await add_moscow_municipality(h)
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    other = str((await h.app.repos.directory.municipalities_by_name("Тестовый МО"))[0].id)
    region = str((await h.app.repos.directory.region_by_name("Свердловская область")).id)
    await register(h, ADMIN, "organization", "6624000001")
    await register(h, MUNI, "municipality", muni)
    await register(h, REGION, "region", region)
    await register(h, OTHER_MUNI, "municipality", other)
    h.emu.add_user(NOBODY)
    h.emu.add_user(OWNER)
    # one report in each municipality: /export has something to put in a table
    for org in ("6624000003", MOSCOW_SCHOOL):  # neither the admin's school nor the one /history asks about
        await h.app.repos.reports.save(org, "ntgo-sferum-2023", "weekly", "2023-10-20",
                                       {"staff_total": 10, "staff_active": 5}, 1, h.clock(), False)
    return h


async def test_every_command_for_every_role(people: Harness):
    h = people
    mismatches = []
    for command, row in TABLE.items():
        assert len(row) == len(ROLES), command
        for (role, uid), expected in zip(ROLES.items(), row, strict=True):
            replies = await h.say(uid, command)
            if command == "/report":
                await h.say(uid, "/cancel")
            first = replies[0].text if replies else ""
            verdict, prefix = expected.split(":", 1)
            files = any(m.attachments for m in replies)
            if not first.startswith(prefix):
                mismatches.append(f"{role} {command}: {first[:80]!r}, expected {prefix!r}")
            elif command in WITH_FILE and files != (verdict == "ok"):
                mismatches.append(f"{role} {command}: attachment {files}")
    assert mismatches == []


async def test_chat_commands_for_every_role(people: Harness):
    """/bind binds only a coordinator's own scope; /status in a bound chat answers only those who may
    see that scope; everyone else is told who sees it, never another scope's figures."""
    h = people
    binds = {"admin": texts.BIND_REFUSED, "muni": "Беседа привязана", "region": "Беседа привязана",
             "other_muni": "Беседа привязана", "none": texts.BIND_REFUSED}
    for role, expected in binds.items():
        uid = ROLES[role]
        chat = h.emu.add_chat([uid])
        await h.settle()  # the bot welcomes the chat it was added to
        replies = await h.say(uid, "[club1|@club1] /bind", peer_id=chat)
        assert replies and replies[0].text.startswith(expected), (role, replies)
    # a chat bound to Nizhnyaya Tura by its coordinator; everyone writes /status there
    chat = h.emu.add_chat(list(ROLES.values()))
    await h.settle()  # the bot welcomes the chat it was added to
    await h.say(MUNI, "[club1|@club1] /bind", peer_id=chat)
    may_see = {"muni", "region", "owner"}
    for role, uid in ROLES.items():
        replies = await h.say(uid, "[club1|@club1] /status", peer_id=chat)
        if role in may_see:
            assert replies and replies[0].text.startswith("Сводка") and "Нижнетуринский ГО" in replies[0].text, role
        else:
            assert [r.text for r in replies] == [texts.CHAT_STATUS_NOT_YOURS], (role, replies)
    # a chat not bound to anything: no figures for anyone
    stranger = h.emu.add_chat(list(ROLES.values()))
    await h.settle()  # the bot welcomes the chat it was added to
    for uid in ROLES.values():
        assert not any("Сводка" in m.text for m in await h.say(uid, "[club1|@club1] /status", peer_id=stranger))
