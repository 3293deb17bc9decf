"""maxemu refuses what MAX refuses and answers what MAX documents: the schema, the limits, the rules of chats,
uploads, callbacks and long polling, over real HTTP."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from maxemu.emulator import Emulator
from maxemu.server import MaxEmulatorServer

TOKEN = "t0ken"


@pytest.fixture
async def max_api():
    emu = Emulator(token=TOKEN)
    server = await MaxEmulatorServer(emu).start()
    session = aiohttp.ClientSession(headers={"Authorization": TOKEN})

    async def call(method: str, path: str, *, params: dict | None = None, json: object = None,
                   token: str | None = TOKEN) -> tuple[int, dict]:
        headers = {"Authorization": token} if token else {"Authorization": ""}
        async with session.request(method, server.api_url + path, params=params, json=json,
                                   headers=headers) as resp:
            return resp.status, await resp.json()

    yield emu, server, call, session
    await session.close()
    await server.stop()


async def test_the_document_is_the_rule_book(max_api) -> None:
    emu, _, call, _ = max_api
    emu.start(501)
    # tokens as MAX takes them: the whole Authorization header; a wrong one, `Bearer …` and the query's access_token
    # are refused with 403 (a refusal of the bot, not of a person: the sender tells them apart)
    assert (await call("GET", "/me", token="wrong")) == (403, {"code": "verify.token", "message": "Invalid access_token"})
    assert (await call("GET", "/me", token=f"Bearer {TOKEN}"))[0] == 403
    assert (await call("GET", "/me", token=None))[0] == 401
    assert (await call("GET", "/me", token=None, params={"access_token": TOKEN})) == (
        403, {"code": "deprecated.token", "message": "Access token in query parameters is no longer supported"})
    status, me = await call("GET", "/me")
    assert status == 200 and me["is_bot"] and me["user_id"] == emu.bot_id
    assert (await call("GET", "/nowhere"))[0] == 404
    assert (await call("DELETE", "/me"))[1]["code"] == "method.not.allowed"
    # a body against NewMessageBody: a text over 4,000 characters, an unknown attachment, a button's text too long
    status, err = await call("POST", "/messages", params={"user_id": 501}, json={"text": "я" * 4001})
    assert status == 400 and err["code"] == "proto.payload" and "longer than 4000" in err["message"]
    status, err = await call("POST", "/messages", params={"user_id": 501},
                             json={"text": "x", "attachments": [{"type": "hologram", "payload": {}}]})
    assert status == 400 and "unknown value 'hologram'" in err["message"]
    keyboard = {"type": "inline_keyboard", "payload": {"buttons": [[{"type": "callback", "text": "",
                                                                     "payload": "p"}]]}}
    status, err = await call("POST", "/messages", params={"user_id": 501}, json={"text": "x", "attachments": [keyboard]})
    assert status == 400 and "shorter than 1" in err["message"]
    # a required query parameter, and a wrongly typed one
    assert (await call("POST", "/answers", json={"notification": "ok"}))[1]["message"] == "callback_id: required"
    assert "expected an integer" in (await call("GET", "/updates", params={"marker": "abc"}))[1]["message"]
    # and a good one, answered in the document's shape (the emulator checks its own answers too)
    status, sent = await call("POST", "/messages", params={"user_id": 501}, json={"text": "Здравствуйте"})
    assert status == 200 and sent["message"]["body"]["text"] == "Здравствуйте"
    assert sent["message"]["recipient"] == {"chat_id": emu.people[501].dialog_id, "chat_type": "dialog", "user_id": 501}


async def test_a_person_must_start_the_dialog_first(max_api) -> None:
    emu, _, call, _ = max_api
    emu.add_user(502)
    status, err = await call("POST", "/messages", params={"user_id": 502}, json={"text": "Напоминание"})
    assert (status, err["code"]) == (403, "chat.denied")
    emu.start(502)
    assert (await call("POST", "/messages", params={"user_id": 502}, json={"text": "Напоминание"}))[0] == 200
    emu.stop(502)
    assert (await call("POST", "/messages", params={"user_id": 502}, json={"text": "Напоминание"}))[0] == 403


async def test_thirty_requests_a_second(max_api) -> None:
    emu, _, call, _ = max_api
    started = time.monotonic()
    answers = [await call("GET", "/me") for _ in range(31)]
    if time.monotonic() - started < 1.0:  # (a very slow machine would spread them over two seconds)
        assert [s for s, _ in answers].count(200) == 30
        assert answers[-1] == (429, {"code": "too.many.requests", "message": "Too many requests"})
    await asyncio.sleep(1.05)
    assert (await call("GET", "/me"))[0] == 200


async def test_long_polling_and_its_marker(max_api) -> None:
    emu, _, call, _ = max_api
    emu.say(503, "первое")  # starts the dialog: bot_started, then message_created
    emu.say(503, "второе")
    # without a marker: only the latest update
    status, got = await call("GET", "/updates", params={"timeout": 0})
    assert [u["message"]["body"]["text"] for u in got["updates"]] == ["второе"]
    # from the start, filtered by type; the marker acknowledges what came before it
    status, got = await call("GET", "/updates", params={"marker": 0, "types": "message_created", "timeout": 0})
    assert [u["message"]["body"]["text"] for u in got["updates"]] == ["первое", "второе"]
    marker = got["marker"]
    await asyncio.sleep(1.0)  # two polls a second
    # a long poll waits for the next update and returns as soon as it comes
    asyncio.get_running_loop().call_later(0.2, emu.say, 503, "третье")
    started = time.monotonic()
    status, got = await call("GET", "/updates", params={"marker": marker, "timeout": 5})
    assert [u["message"]["body"]["text"] for u in got["updates"]] == ["третье"] and time.monotonic() - started < 3


async def test_two_polls_a_second_and_a_day_of_updates(max_api) -> None:
    emu, _, call, _ = max_api
    emu.say(504, "сейчас")
    first = await call("GET", "/updates", params={"marker": 0, "timeout": 0})
    second = await call("GET", "/updates", params={"marker": 0, "timeout": 0})
    third = await call("GET", "/updates", params={"marker": 0, "timeout": 0})
    assert first[0] == second[0] == 200
    assert third == (429, {"code": "too.many.requests", "message": "Too many GET /updates requests"})
    await asyncio.sleep(1.0)
    # an update older than 24 hours is gone; a newer one is still there
    day_ago = int(time.time() * 1000) - 24 * 3600 * 1000
    emu._push({"update_type": "bot_stopped", "chat_id": 1, "user": emu.people[504].user(),
               "timestamp": day_ago - 1000})
    emu._push({"update_type": "bot_started", "chat_id": 1, "user": emu.people[504].user(),
               "timestamp": day_ago + 60_000})
    status, got = await call("GET", "/updates", params={"marker": 0, "timeout": 0})
    assert status == 200
    assert [u["update_type"] for u in got["updates"]] == ["bot_started", "message_created", "bot_started"]


async def test_group_chats_reach_a_bot_only_as_an_admin(max_api) -> None:
    emu, _, call, _ = max_api
    chat = emu.add_chat([601, 602], bot_admin=False)
    before = len(emu.updates)
    assert emu.say(601, "@бот /status", chat_id=chat) is None and len(emu.updates) == before
    emu.set_admin(chat, True)
    assert emu.say(601, "@бот /status", chat_id=chat)["message"]["recipient"]["chat_type"] == "chat"
    status, member = await call("GET", f"/chats/{chat}/members/me")
    assert status == 200 and member["is_admin"] is True
    assert (await call("POST", "/messages", params={"chat_id": chat}, json={"text": "Сводка"}))[0] == 200
    assert (await call("POST", "/messages", params={"chat_id": -1}, json={"text": "Сводка"}))[0] == 403


async def test_callbacks_are_answered_once(max_api) -> None:
    emu, _, call, _ = max_api
    emu.start(504)
    keyboard = {"type": "inline_keyboard", "payload": {"buttons": [[{"type": "callback", "text": "Выполнено",
                                                                     "payload": '{"cmd":"item"}'}]]}}
    _, sent = await call("POST", "/messages", params={"user_id": 504}, json={"text": "п. 3", "attachments": [keyboard]})
    mid = sent["message"]["body"]["mid"]
    with pytest.raises(KeyError):
        emu.press(504, mid, "forged")  # a client presses only what the message has
    update = emu.press(504, mid, '{"cmd":"item"}')
    callback_id = update["callback"]["callback_id"]
    assert (await call("POST", "/answers", params={"callback_id": callback_id}, json={"notification": "Отмечено"}))[0] == 200
    status, err = await call("POST", "/answers", params={"callback_id": callback_id}, json={"notification": "ещё"})
    assert status == 400 and "already" in err["message"]


async def test_uploads_and_a_file_not_ready_at_once(max_api) -> None:
    emu, server, call, session = max_api
    emu.start(505)
    status, endpoint = await call("POST", "/uploads", params={"type": "file"})
    assert status == 200 and endpoint["url"].startswith(server.api_url)
    form = aiohttp.FormData()
    form.add_field("data", b"PK\x03\x04 xlsx", filename="svodka.xlsx")
    async with session.post(endpoint["url"], data=form) as resp:
        uploaded = await resp.json()
    file = {"type": "file", "payload": {"token": uploaded["token"]}}
    status, err = await call("POST", "/messages", params={"user_id": 505}, json={"text": "", "attachments": [file]})
    assert (status, err["code"]) == (400, "attachment.not.ready")  # MAX is still processing it: try again
    status, sent = await call("POST", "/messages", params={"user_id": 505}, json={"attachments": [file]})
    assert status == 200
    attachment = sent["message"]["body"]["attachments"][0]
    assert attachment["filename"] == "svodka.xlsx" and emu.file_bytes(attachment) == b"PK\x03\x04 xlsx"
    async with session.get(attachment["payload"]["url"]) as resp:
        assert await resp.read() == b"PK\x03\x04 xlsx"


async def test_labels_are_drawn_on_one_line_and_cut_past_the_recommended_width(max_api) -> None:
    """MAX accepts any label up to 128 characters but draws it on one line: past 20 characters for one button in
    a row, 10 for two, 5 for three, 3 for four it is cut (max-bot-api-client-ts issue #300). Counted, not refused."""
    emu, server, call, session = max_api
    emu.start(505)

    def row(*labels: str) -> list[dict]:
        return [{"type": "callback", "text": label, "payload": label} for label in labels]

    keyboard = {"type": "inline_keyboard", "payload": {"buttons": [
        row("Сдать отчёт"), row("Сводка", "Кто я"), row("1", "2", "3", "4", "5"),     # drawn whole
        row("Пункты карты", "Помощь"), row("Кто не сдал", "Пункты", "По типам", "Excel")]}}  # cut: 1, then 4
    status, sent = await call("POST", "/messages", params={"user_id": 505},
                              json={"text": "меню", "attachments": [keyboard]})
    assert status == 200
    assert emu.labels_cut == ["Пункты карты", "Кто не сдал", "Пункты", "По типам", "Excel"]
    shown = emu.delivered(user_id=505)[-1].shown_rows()
    assert shown[0] == ["Сдать отчёт"] and shown[3] == ["Пункты ка…", "Помощь"] and shown[4][0] == "Кт…"
    async with session.get(server.api_url + "/_control/stats") as resp:
        assert (await resp.json())["labels_cut"] == 5


def test_the_max_adapter_lays_rows_out_so_that_every_label_is_whole() -> None:
    from bot.max.keyboards import max_rows
    from bot.views.message import Button
    from maxemu.emulator import shown_label
    menus = [[["Кто не сдал", "Пункты", "По типам", "По организациям", "Организация…", "Excel", "График"]],
             [["Сдать отчёт", "Сводка"], ["Пункты карты", "Кто я", "Помощь"]],
             [[str(n) for n in range(1, 6)], ["Назад", "Отмена"]]]
    for labels in menus:
        rows = max_rows([[Button(label, "x") for label in row] for row in labels])
        assert [b.label for row in rows for b in row] == [label for row in labels for label in row]  # order kept
        assert all(shown_label(b.label, len(row)) == b.label for row in rows for b in row), rows
    assert len(max_rows([[Button(str(n), "x") for n in range(1, 6)]])) == 1  # numbers stay five in a row


async def test_two_messages_a_second_into_one_chat(max_api) -> None:
    """MAX's document (POST /messages, POST /answers): at most two a second into one dialog or chat; others are not
    held back by it."""
    emu, _, call, _ = max_api
    for uid in (511, 512):
        emu.start(uid)
    statuses = [(await call("POST", "/messages", params={"user_id": 511}, json={"text": f"{n}"}))[0] for n in range(3)]
    assert statuses == [200, 200, 429]
    assert (await call("POST", "/messages", params={"user_id": 512}, json={"text": "другой"}))[0] == 200


async def test_the_list_of_chats_is_gone(max_api) -> None:
    emu, _, call, _ = max_api
    emu.add_chat([610], bot_admin=True)
    assert (await call("GET", "/chats"))[0] == 404  # since June 2026: chats are learnt from bot_added
