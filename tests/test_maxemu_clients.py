"""A third-party MAX client runs against maxemu unchanged: maxapi (max-messenger's own Python library), a bot with
a message handler and a callback handler, polling the emulator over HTTP. If maxemu drifted from what the real
service accepts and answers, this bot — written only against maxapi's documentation — would break here."""

from __future__ import annotations

import asyncio

from maxemu.emulator import Emulator
from maxemu.server import MaxEmulatorServer
from testkit.waiting import wait_for


async def test_maxapi_bot_runs_against_maxemu() -> None:
    from maxapi import Bot, Dispatcher
    from maxapi.types import CallbackButton, MessageCallback, MessageCreated
    from maxapi.utils.inline_keyboard import InlineKeyboardBuilder

    emu = Emulator(token="maxapi-token")
    server = await MaxEmulatorServer(emu).start()
    bot = Bot("maxapi-token")
    bot.set_api_url(server.api_url)
    dp = Dispatcher()
    pressed: list[str] = []

    @dp.message_created()
    async def echo(event: MessageCreated) -> None:
        keyboard = InlineKeyboardBuilder().row(CallbackButton(text="Выполнено", payload="done:3"))
        await event.message.answer(f"Вы написали: {event.message.body.text}", attachments=[keyboard.as_markup()])

    @dp.message_callback()
    async def done(event: MessageCallback) -> None:
        pressed.append(event.callback.payload)
        await event.answer(notification="Отмечено")

    polling = asyncio.create_task(dp.start_polling(bot))
    try:
        await wait_for(lambda: emu.waiters)  # the bot's first poll is parked (without a marker it would see only the latest update)
        emu.say(701, "привет")
        await wait_for(lambda: emu.delivered(user_id=701))
        reply = emu.delivered(user_id=701)[-1]
        assert reply.text == "Вы написали: привет" and reply.labels() == ["Выполнено"]
        emu.press(701, reply.mid, "done:3")
        await wait_for(lambda: emu.answers)
        assert pressed == ["done:3"] and emu.answers[-1]["notification"] == "Отмечено"
        assert not [r for r in emu.rejected if r[0] != 429], (emu.rejected, emu.calls)  # nothing it sent was refused
    finally:
        await dp.stop_polling()
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        await bot.close_session()
        await server.stop()
