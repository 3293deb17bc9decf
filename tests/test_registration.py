"""Registration, roles and coordinators' chats, end to end through vkemu."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from bot.services.invites import normalize_code
from bot.words import texts
from testkit.harness import OWNER, Harness, register, start_harness, stop_harness

SCHOOL_1 = "6624000001"
SCHOOL_2 = "6624000002"


async def muni_id(h: Harness) -> str:
    return str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)


async def make_code(h: Harness, role: str, scope: str) -> str:
    code, _ = await h.app.services.invites.create(role, scope, None, h.clock())
    return code


async def test_greeting_then_short_hint(harness: Harness) -> None:
    first = await harness.text(500, "Здравствуйте")
    assert first == texts.GREETING
    assert await harness.text(500, "а что дальше?") == texts.ASK_CODE
    assert await harness.text(500, "/whoami") == texts.ASK_CODE


async def test_valid_code_registers_with_name_from_vk_and_menu(harness: Harness) -> None:
    h = harness
    h.emu.add_user(501, "Анна", "Петрова")
    code = await make_code(h, "organization", SCHOOL_1)
    # typed on a phone: lower case, Cyrillic look-alikes, spaces instead of the dash
    typed = code.lower().replace("-", " ").replace("a", "а").replace("e", "е")
    replies = await h.say(501, typed)
    assert len(replies) == 1
    msg = replies[0]
    assert "Готово, Анна Петрова!" in msg.text and "администратор организации" in msg.text
    assert "МАОУ СОШ № 1" in msg.text
    assert msg.keyboard is not None and texts.MENU_HELP in msg.labels()
    assert texts.MENU_INVITES not in msg.labels()  # admins get the admin menu
    person = await h.app.repos.people.person(501)
    assert person is not None and (person.first_name, person.last_name) == ("Анна", "Петрова")
    who = await h.text(501, "/whoami")
    assert "администратор организации — организация: МАОУ СОШ № 1" in who and "501" in who


async def test_wrong_expired_and_reused_codes_are_refused(harness: Harness) -> None:
    h = harness
    assert await h.text(502, "ZZZZZ-ZZZZZ") == texts.CODE_WRONG
    assert await h.app.services.access.actor(502) == await h.app.services.access.actor(502)
    assert not (await h.app.services.access.actor(502)).registered

    old = await make_code(h, "organization", SCHOOL_1)
    h.clock.advance(days=14, seconds=1)
    assert await h.text(503, old) == texts.CODE_EXPIRED
    assert not (await h.app.services.access.actor(503)).registered

    code = await make_code(h, "organization", SCHOOL_2)
    assert (await h.text(504, code)).startswith("Готово")
    assert await h.text(505, code) == texts.CODE_USED
    assert not (await h.app.services.access.actor(505)).registered


async def test_codes_are_stored_hashed(harness: Harness) -> None:
    code = await make_code(harness, "organization", SCHOOL_1)
    rows = await harness.app.db.fetchall("SELECT code_hash FROM invites")
    canonical = normalize_code(code)
    assert canonical and all(canonical not in r[0] and code not in r[0] for r in rows)


async def test_brute_force_pause(harness: Harness) -> None:
    h = harness
    for i in range(5):
        assert await h.text(506, f"ZZZZZ-ZZZZ{'ABCDE'[i]}") == texts.CODE_WRONG
    good = await make_code(h, "organization", SCHOOL_1)
    locked = await h.text(506, good)
    assert locked.startswith("Слишком много неверных кодов") and "60 мин" in locked
    assert not (await h.app.services.access.actor(506)).registered
    h.clock.advance(minutes=30)
    assert (await h.text(506, good)).startswith("Слишком много")
    h.clock.advance(minutes=31)
    assert (await h.text(506, good)).startswith("Готово")


async def test_person_may_hold_several_roles(harness: Harness) -> None:
    h = harness
    await register(h, 507, "organization", SCHOOL_1)
    assert (await h.text(507, await make_code(h, "organization", SCHOOL_2))).startswith("Готово")
    again = await h.text(507, await make_code(h, "organization", SCHOOL_2))
    assert again.startswith("Эта роль у вас уже есть")
    roles = await h.app.repos.people.roles(507)
    assert {r.scope_id for r in roles} == {SCHOOL_1, SCHOOL_2}


async def test_several_admins_per_organization(harness: Harness) -> None:
    h = harness
    await register(h, 508, "organization", SCHOOL_1)
    await register(h, 509, "organization", SCHOOL_1, "Олег", "Сидоров")
    holders = await h.app.repos.people.holders("organization", SCHOOL_1)
    assert [p.person_id for p in holders] == [508, 509]


async def test_coordinator_commands_refused_for_admin_even_with_forged_payload(harness: Harness) -> None:
    h = harness
    await register(h, 510, "organization", SCHOOL_1)
    assert await h.text(510, "/invite 6624000002") == texts.NOT_ALLOWED
    assert await h.text(510, "/invites") == texts.NOT_ALLOWED
    assert await h.text(510, "что угодно", payload={"cmd": "invites", "org": SCHOOL_2,
                                                    "role": "municipality"}) == texts.NOT_ALLOWED
    assert await h.app.db.scalar("SELECT count(*) FROM invites WHERE created_by = 510") == 0


async def test_municipal_coordinator_invites_own_organizations_only(harness: Harness) -> None:
    h = harness
    await register(h, 520, "municipality", await muni_id(h), "Ольга", "Смирнова")
    # another municipality in another region with its own school
    await h.app.services.catalog.import_directory(
        "id,region,municipality,timezone,organization,type\n"
        "7700000001,Москва,ВАО,Europe/Moscow,ГБОУ Школа № 1,school\n", "other.csv")
    reply = await h.text(520, "/invite МАОУ СОШ № 3")
    assert "МАОУ СОШ № 3" in reply
    code = next(line.strip() for line in reply.splitlines() if normalize_code(line))
    assert (await h.text(521, code)).startswith("Готово")
    assert (await h.app.services.access.actor(521)).has("organization", "6624000003")
    refused = await h.text(520, "/invite 7700000001")
    # it exists, only not hers: said so, not «Не нашёл»
    assert refused.startswith("«ГБОУ Школа № 1» есть в справочнике, но код туда выдаёте не вы")
    assert (await h.text(520, "/invite ВАО")).startswith("«ВАО» есть в справочнике")
    assert (await h.text(520, "/invite Атлантида")).startswith("Не нашёл")
    assert await h.app.db.scalar("SELECT count(*) FROM invites WHERE scope_id = '7700000001'") == 0
    assert (await h.text(520, "/invite")).startswith("Укажите, для кого код")
    assert "подходит нескольким" in await h.text(520, "/invite Детский сад")


async def test_regional_coordinator_invites_municipal_coordinators(harness: Harness) -> None:
    h = harness
    region = await h.app.repos.directory.region_by_name("Свердловская область")
    assert region is not None
    await register(h, 530, "region", str(region.id))
    reply = await h.text(530, "/invite Нижнетуринский ГО")
    assert "муниципальный координатор" in reply
    assert (await h.text(530, "/invite МАОУ СОШ № 1")).startswith("Не нашёл")


async def test_owner_invites_anyone(harness: Harness) -> None:
    h = harness
    reply = await h.text(OWNER, "/invite Свердловская область")
    assert "региональный координатор" in reply


async def test_all_codes_as_xlsx_document(harness: Harness) -> None:
    h = harness
    await register(h, 540, "municipality", await muni_id(h), "Ольга", "Смирнова")
    replies = await h.press(540, texts.MENU_INVITES)
    assert len(replies) == 1 and replies[0].attachments
    assert replies[0].text.startswith("Коды приглашений: 20 шт.")
    wb = openpyxl.load_workbook(io.BytesIO(h.emu.file_bytes(replies[0].attachments[0])))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("Кому", "id", "Название", "Код") and len(rows) == 21
    by_id = {r[1]: r[3] for r in rows[1:]}
    assert (await h.text(541, by_id[SCHOOL_2])).startswith("Готово")
    assert (await h.app.services.access.actor(541)).has("organization", SCHOOL_2)
    # again: no fresh code where an admin registered or a code is still waiting; the sheet says why
    again = (await h.press(540, texts.MENU_INVITES))[0]
    assert again.text == texts.INVITES_NO_NEW  # found in the sandbox: it used to say the same reason twice
    notes = {r[1]: (r[3], r[5]) for r in list(openpyxl.load_workbook(io.BytesIO(
        h.emu.file_bytes(again.attachments[0]))).active.iter_rows(values_only=True))[1:]}
    assert notes[SCHOOL_2] == (None, "уже зарегистрирован(ы): 1")
    assert notes[SCHOOL_1][0] is None and notes[SCHOOL_1][1].startswith("код уже выдан, действует до ")
    # asked for everyone: fresh codes for all 20
    forced = await h.text(540, "/invites все")
    assert forced.startswith("Коды приглашений: 20 шт.")


async def test_bind_chat(harness: Harness) -> None:
    h = harness
    await register(h, 550, "organization", SCHOOL_1)
    await register(h, 551, "municipality", await muni_id(h), "Ольга", "Смирнова")
    chat = h.emu.add_chat([550, 551])
    await h.settle()  # the bot welcomes the chat it was added to
    assert await h.text(550, "[club1|@club1] /bind", peer_id=chat) == texts.BIND_REFUSED
    assert await h.text(552, "[club1|@club1] /bind", peer_id=chat) == texts.BIND_REFUSED  # unknown person
    assert await h.app.repos.chats.get(chat) is None
    # ordinary chatter in a chat gets no answer
    assert await h.say(550, "коллеги, добрый день", peer_id=chat) == []
    reply = await h.text(551, "[club1|@sferum] /bind", peer_id=chat)
    assert reply == texts.BIND_DONE.format(scope="муниципалитет: Нижнетуринский ГО")
    bound = await h.app.repos.chats.get(chat)
    assert bound is not None and (bound.role, bound.scope_id) == ("municipality", await muni_id(h))
    assert await h.text(551, "/bind") == texts.BIND_ONLY_IN_CHAT


async def test_unknown_text_gets_hint_and_cancel_works(harness: Harness) -> None:
    h = harness
    await register(h, 560, "organization", SCHOOL_1)
    assert await h.text(560, "абракадабра") == texts.UNKNOWN
    assert await h.text(560, "/cancel") == texts.NOTHING_TO_CANCEL
    assert await h.text(560, "/нет-такой") == "Нет команды /нет-такой. Список команд — /help."
    assert "/whoami" in await h.text(560, "/help")


async def test_duplicate_delivery_is_handled_once(harness: Harness) -> None:
    h = harness
    await register(h, 570, "organization", SCHOOL_1)
    before = len(h.emu.delivered(570))
    h.emu.say(570, "/whoami")
    h.emu.redeliver(1)
    await h.settle()
    assert len(h.emu.delivered(570)) == before + 1


async def test_one_users_messages_are_answered_in_order(harness: Harness) -> None:
    h = harness
    await register(h, 580, "organization", SCHOOL_1)
    before = len(h.emu.delivered(580))
    sequence = ["/whoami", "/help", "абв", "/whoami", "/help", "абв"]
    for text in sequence:
        h.emu.say(580, text)
    await h.settle()
    replies = [m.text for m in h.emu.delivered(580)[before:]]
    kinds = ["whoami" if r.startswith("Анна") else "help" if r.startswith(texts.HELP_HEADER) else "unknown"
             for r in replies]
    assert kinds == ["whoami", "help", "unknown"] * 2


async def test_payload_garbage_is_harmless(harness: Harness) -> None:
    h = harness
    await register(h, 590, "organization", SCHOOL_1)
    for payload in ['{"cmd": 5}', "not json", '["cmd"]', json.dumps({"cmd": "x" * 300}), '{"cmd": "bind"}']:
        replies = await h.say(590, "кнопка", payload=payload)
        assert len(replies) == 1


async def test_callback_events_are_acknowledged(harness: Harness) -> None:
    h = harness
    await register(h, 595, "organization", SCHOOL_1)
    h.emu.callback(595, {"cmd": "unknown"})
    await h.settle()
    assert h.emu.event_answers and h.emu.event_answers[-1]["user_id"] == 595


@pytest.mark.parametrize("raise_errors", [True, False])
async def test_handler_exceptions_are_collected(tmp_path, schema, monkeypatch, raise_errors) -> None:
    h = await start_harness(tmp_path, schema, raise_errors=raise_errors)
    try:
        async def boom(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(h.app.services.people, "whoami", boom)
        replies = await h.say(OWNER, "/whoami")
        assert len(h.app.handler_errors) == 1 and str(h.app.handler_errors[0]) == "boom"
        # in production the person hears about it; in tests the error fails the test instead
        assert [m.text for m in replies] == ([] if raise_errors else [texts.ERROR])
        # the bot keeps working after a failed handler
        assert (await h.text(OWNER, "/help")).startswith(texts.HELP_HEADER)
    finally:
        await stop_harness(h)


async def test_code_expiry_default_is_14_days(harness: Harness) -> None:
    _, expires = await harness.app.services.invites.create("organization", SCHOOL_1, None, harness.clock())
    assert expires - harness.clock() == timedelta(days=14)


async def test_a_copy_of_the_database_does_not_give_away_a_pending_code(sqlite_harness: Harness) -> None:
    """Codes are stored keyed with the installation's secret, which lives beside the database, not in it: hashing
    every possible code without it finds nothing; with the key file the bot redeems the code as before."""
    harness = sqlite_harness  # the database file itself is looked at
    import hashlib

    from bot.domain.invite_codes import normalize_code

    h = harness
    code, _ = await h.app.services.invites.create("organization", "6624000001", None, h.clock())
    stored = [row[0] for row in await h.app.db.fetchall("SELECT code_hash FROM invites")]
    canonical = normalize_code(code)
    assert canonical is not None
    # what an attacker with only the file would compute: the old unkeyed hash, or a plain sha256
    assert hashlib.sha256(f"sferum-invite:{canonical}".encode()).hexdigest() not in stored
    assert hashlib.sha256(canonical.encode()).hexdigest() not in stored
    key_file = Path(h.app.db.path + ".key")
    assert key_file.exists() and key_file.stat().st_mode & 0o077 == 0  # the owner's only
    assert key_file.read_text().strip() not in str(await h.app.db.fetchall("SELECT * FROM meta"))
    assert (await h.say(990, code))[-1].text.startswith("Готово")


async def test_a_code_issued_before_the_key_still_works_until_it_expires(harness: Harness) -> None:
    from bot.domain.invite_codes import legacy_hash, new_code, normalize_code

    h = harness
    code = new_code()
    await h.app.repos.invites.add(legacy_hash(normalize_code(code) or ""), "organization", "6624000001", None,
                                  h.clock() + timedelta(days=3))
    assert (await h.say(991, code))[-1].text.startswith("Готово")


async def test_a_newcomers_first_hello_in_max_gets_one_greeting(tmp_path, schema) -> None:
    """MAX starts a dialog with «Начать» (bot_started, greeted) and the person's own «Здравствуйте» comes right
    after: one greeting, not the greeting and «Пришлите код…» at once. Something else still gets the reminder."""
    from bot.words import texts
    from testkit.harness import start_harness, stop_harness
    from testkit.journey import MaxDriver

    h = await start_harness(tmp_path, schema, with_max=True)
    try:
        mx = MaxDriver(h)
        mx.emu.add_user(905, "Павел", "Новиков")
        got = await mx.say(905, "Здравствуйте")
        assert [m.text for m in got] == [texts.GREETING]
        assert [m.text for m in await mx.say(905, "а что делать?")] == [texts.ASK_CODE]
    finally:
        await stop_harness(h)
