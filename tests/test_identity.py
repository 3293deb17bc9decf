"""Identities that cannot collide: a VK community writing in a VK chat (VK gives it a negative `from_id`) is not
the MAX person our database knows by the same number, nor anyone else; a MAX bot's message is nobody's either."""

from __future__ import annotations

import pytest

from testkit.harness import start_harness, stop_harness
from testkit.journey import MaxDriver, register

COMMANDS = ["/bind", "/status", "/export", "/invites", "/whoami", "/help", "/items", "/report", "/unbind",
            "/template", "Сводка", "привет"]


async def test_a_vk_community_with_a_max_persons_number_gets_nothing_and_changes_nothing(tmp_path, schema) -> None:
    h = await start_harness(tmp_path, schema, with_max=True)
    try:
        mx = MaxDriver(h)
        muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
        await register(mx, 501, "municipality", muni, "Ольга", "Смирнова")
        ours = await mx.person_id_of(501)
        assert ours < 0  # a MAX person's id of ours
        community = ours  # VK writes a community's messages in chats with from_id = -<its id>
        chat = h.emu.add_chat([870], full_access=True)  # the chat's admin let the bot read everything
        await h.settle()
        welcomed = len(h.emu.delivered(chat))
        before_outbox = await h.app.repos.outbox.pending_count()
        for text in COMMANDS:
            h.emu.say(community, f"{h.emu.mention()} {text}", peer_id=chat)
            h.emu.say(community, text, peer_id=chat)
        await h.settle()
        assert h.emu.delivered(chat)[welcomed:] == []
        assert await h.app.repos.chats.get(chat) is None  # not bound to the MAX person's municipality
        assert await h.app.repos.outbox.pending_count() == before_outbox
        # the MAX person is untouched: still a coordinator who gets their own summary
        assert "Нижнетуринский ГО" in "\n".join(s.text for s in await mx.say(501, "/status"))
    finally:
        await stop_harness(h)
    assert h.app.handler_errors == []


@pytest.mark.parametrize("from_id", [-1, 0, -(2**31)])
async def test_vk_updates_from_communities_are_dropped_before_routing(from_id: int) -> None:
    from bot.vk.updates import parse_update

    update = {"type": "message_new", "event_id": "e1", "object": {"message": {
        "peer_id": 2_000_000_001, "from_id": from_id, "text": "/status", "date": 1, "conversation_message_id": 3}}}
    assert parse_update(update) is None
    private = {"type": "message_new", "event_id": "e2", "object": {"message": {
        "peer_id": 5, "from_id": 5, "text": "/status", "date": 1, "conversation_message_id": 3}}}
    assert parse_update(private) is not None


async def test_a_max_bots_message_is_nobodys(tmp_path, schema) -> None:
    h = await start_harness(tmp_path, schema, with_max=True)
    try:
        emu = h.max_emu
        assert emu is not None
        person = emu.add_user(777, "Другой", "Бот")
        person.is_bot = True
        chat = emu.add_chat([777], bot_admin=True)
        await h.settle()
        seen = len(emu.delivered(chat_id=chat))
        emu.say(777, "/bind", chat_id=chat)
        emu.say(777, "/status", chat_id=chat)
        await h.settle()
        assert emu.delivered(chat_id=chat)[seen:] == []
        assert await h.app.db.scalar("SELECT COUNT(*) FROM max_accounts WHERE max_id = 777") == 0
    finally:
        await stop_harness(h)


@pytest.mark.parametrize("messenger", ["vk", "max"])
async def test_only_a_coordinators_files_are_fetched(tmp_path, schema, messenger: str) -> None:
    """An attachment is downloaded for a coordinator only: a newcomer's or a school admin's file is never fetched,
    wherever its url points (the host it names learns nothing of the bot)."""
    from testkit.journey import VkDriver

    h = await start_harness(tmp_path, schema, with_max=messenger == "max")
    try:
        driver = MaxDriver(h) if messenger == "max" else VkDriver(h)
        adapter = h.app.messengers.named(messenger)
        fetched: list[str] = []
        download = adapter.download

        async def counted(doc):
            fetched.append(doc.url)
            return await download(doc)

        adapter.download = counted  # type: ignore[method-assign]
        driver.add_user(610, "Пётр", "Новиков")
        await driver.say(610, "привет")
        await driver.send_file(610, "figures.xlsx", b"not really a workbook")
        assert fetched == []  # a newcomer
        await register(driver, 611, "organization", "6624000001")
        replies = await driver.send_file(611, "figures.xlsx", b"not really a workbook")
        assert fetched == [] and replies  # a school admin: told files are for coordinators, nothing fetched
        muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
        await register(driver, 612, "municipality", muni)
        await driver.send_file(612, "figures.xlsx", b"not really a workbook")
        assert len(fetched) == 1  # a coordinator's file is fetched and read
    finally:
        await stop_harness(h)
    assert h.app.handler_errors == []


def test_a_command_naming_another_bot_after_it_is_that_bots() -> None:
    from bot.addressing import addressed_to

    ours = {"sferum_bot"}
    assert addressed_to("/bind @other_bot", ours) is None
    assert addressed_to("/bind @Sferum_bot", ours) == "/bind"
    assert addressed_to("/status @sferum_bot Нижнетуринский ГО", ours) == "/status Нижнетуринский ГО"
    assert addressed_to("/invite Нижнетуринский ГО", ours) == "/invite Нижнетуринский ГО"
    assert addressed_to("напишите @other_bot /bind", ours) == "напишите @other_bot /bind"  # not a command to it
