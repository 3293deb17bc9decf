"""Coordinators' chats as VK runs them: the bot sees a chat message only if it is mentioned, replied to or
its button pressed, unless the chat's admin gives it access to all messages."""

from __future__ import annotations

from testkit.harness import Harness, register


async def test_a_coordinator_binds_and_asks_in_a_chat_where_the_bot_sees_only_mentions(harness: Harness) -> None:
    h = harness
    h.emu.screen_name = "sferum_roadmap"
    h.app.vk.updates.screen_names.add("sferum_roadmap")  # what the bot learns from groups.getById at start
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 870, "municipality", muni, "Ольга", "Смирнова")
    chat = h.emu.add_chat([870])
    await h.settle()
    welcome = h.emu.delivered(chat)
    assert len(welcome) == 1 and "«@sferum_roadmap /bind»" in welcome[0].text  # how to address it, on arrival
    assert await h.say(870, "/bind", peer_id=chat) == []  # VK never hands it over
    assert await h.app.repos.chats.get(chat) is None
    bound = await h.say(870, "@sferum_roadmap /bind", peer_id=chat)  # typed by hand
    assert len(bound) == 1 and bound[0].text.startswith("Беседа привязана")
    assert "с упоминанием сообщества" in bound[0].text  # and how to ask for a summary next time
    picked = await h.text(870, f"{h.emu.mention()} /status", peer_id=chat)  # picked from VK's hint list
    assert "Нижнетуринский ГО" in picked
    replied = await h.say(870, "/status", peer_id=chat, reply_to=bound[0].id)  # a reply to the bot
    assert len(replied) == 1 and "Нижнетуринский ГО" in replied[0].text
    assert await h.say(870, "@ivan_petrov /status", peer_id=chat) == []  # a person is addressed
    h.emu.grant_full_access(chat)
    assert "Нижнетуринский ГО" in await h.text(870, "/status", peer_id=chat)
    assert await h.say(870, "коллеги, добрый день", peer_id=chat) == []  # chatter is still left alone


async def test_a_chat_gets_answers_when_it_names_the_bot(harness: Harness) -> None:
    """In the coordinators' chat, `@бот /status <организация>` shows that organization (it had shown the whole
    territory), `@бот /items` the items, and `@бот привет` or a question what the chat is for — no silence; talk
    among people, even where the bot reads everything, is still left alone."""
    h = harness
    muni = str((await h.app.repos.directory.municipalities_by_name("Нижнетуринский ГО"))[0].id)
    await register(h, 871, "municipality", muni, "Ольга", "Смирнова")
    chat = h.emu.add_chat([871], full_access=True)
    await h.settle()
    bound = await h.text(871, f"{h.emu.mention()} /bind", peer_id=chat)
    assert bound.startswith("Беседа привязана")
    org = await h.text(871, f"{h.emu.mention()} /status СОШ № 1", peer_id=chat)
    assert org.startswith("МАОУ СОШ № 1") and "Сдали:" not in org, org
    assert h.emu.delivered(chat)[-1].labels() == []  # no fill or return buttons in a chat
    items = await h.text(871, f"{h.emu.mention()} /items", peer_id=chat)
    assert items.startswith("Пункты дорожной карты") or "пункт" in items.lower(), items
    for said in ("привет", "как сдать отчёт?", "/whoami"):
        answer = await h.text(871, f"{h.emu.mention()} {said}", peer_id=chat)
        assert answer.startswith("Это беседа координаторов"), (said, answer)
    assert await h.say(871, "коллеги, как сдать отчёт?", peer_id=chat) == []  # not named: left alone


async def test_a_max_chat_is_never_told_about_vk(tmp_path, schema) -> None:
    """MAX's chat help speaks of MAX (the bot an administrator), not of ВКонтакте's mentions and communities."""
    from testkit.harness import start_harness, stop_harness
    from testkit.journey import MaxDriver

    h = await start_harness(tmp_path, schema, with_max=True)
    try:
        mx = MaxDriver(h)
        chat = await mx.add_chat([880])
        for said in ("/help", "привет"):
            got = await mx.say(880, f"@{mx.emu.bot_username} {said}", chat=chat)
            assert got and all("ВКонтакте" not in m.text and "сообществ" not in m.text for m in got), said
            assert "администратор" in got[-1].text
    finally:
        await stop_harness(h)
