"""`python -m vkemu --port N` serves, and a plain vkbottle Bot (no project code) talks to it."""

from __future__ import annotations

import asyncio

import aiohttp
from vkbottle import Bot
from vkbottle.bot import Message

from testkit.processes import vkemu_process  # noqa: E402


async def test_vkemu_process_with_plain_vkbottle_bot() -> None:
    with vkemu_process(rate_limit=20) as base:
        bot = Bot(token="vkemu-token")
        bot.api.API_URL = base + "/method/"

        @bot.on.message()
        async def answer(message: Message) -> None:
            await message.answer("Получено: " + message.text)

        task = asyncio.create_task(bot.run_polling())
        try:
            async with aiohttp.ClientSession() as s:
                async with s.post(base + "/control/wait_poller", json={"limit_s": 20}) as r:
                    assert r.status == 200  # the bot is polling: what is said now reaches it
                await s.post(base + "/control/say", json={"user_id": 7, "text": "тест"})
                record: list[dict] = []
                for _ in range(100):
                    async with s.post(base + "/control/record", json={"peer_id": 7}) as r:
                        record = await r.json()
                    if record:
                        break
                    await asyncio.sleep(0.05)
            assert [m["text"] for m in record] == ["Получено: тест"]
        finally:
            task.cancel()
            await bot.api.http_client.close()
