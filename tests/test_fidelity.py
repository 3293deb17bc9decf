"""Two third-party VK clients, unchanged, run against vkemu: if vkemu answered differently from VK, they would
fail here (they are built against the real service). vk_api and vkbottle are pinned in pyproject's dev extras."""

from __future__ import annotations

import asyncio
import io

import requests
from vk_api import VkApi, VkUpload
from vk_api.bot_longpoll import VkBotEventType, VkBotLongPoll
from vk_api.utils import get_random_id
from vkbottle import API, GroupEventType, PhotoMessageUploader
from vkbottle.bot import Bot, Message, MessageEvent

from vkemu import Emulator, EmulatorServer

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c63f8ffff3f0005fe02fea7d6a4eb0000000049454e44ae426082")


class ToEmulator(requests.Session):
    """vk_api has api.vk.com written in; its session is pointed at the emulator, as a proxy would."""

    def __init__(self, api_url: str) -> None:
        super().__init__()
        self.api_url = api_url

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        return super().request(method, url.replace("https://api.vk.com/method/", self.api_url), *args, **kwargs)


async def test_vk_api_long_poll_upload_and_send(schema) -> None:
    emu = Emulator(schema, check_responses=True)
    server = await EmulatorServer(emu).start()
    try:
        emu.add_user(101, "Анна", "Петрова", allowed=True)

        def client() -> tuple[str, str]:
            session = VkApi(token=emu.token, session=ToEmulator(server.api_url), api_version="5.199")
            longpoll = VkBotLongPoll(session, group_id=emu.group_id, wait=1)
            emu.say(101, "привет")
            events = [e for e in longpoll.check() if e.type == VkBotEventType.MESSAGE_NEW]
            photo = VkUpload(session).photo_messages(io.BytesIO(PNG), peer_id=101)[0]
            attachment = f"photo{photo['owner_id']}_{photo['id']}"
            session.get_api().messages.send(peer_id=101, message="ответ", random_id=get_random_id(),
                                            attachment=attachment)
            return events[0].object.message["text"], attachment

        text, attachment = await asyncio.to_thread(client)
        assert text == "привет"
        assert emu.file_bytes(attachment) == PNG  # the upload kept the file vk_api sent as file0
        assert [m.text for m in emu.delivered(101)] == ["ответ"]
        assert emu.response_problems == []
    finally:
        await server.stop()


async def test_vkbottle_bot_with_message_callback_and_upload_handlers(schema) -> None:
    emu = Emulator(schema, check_responses=True)
    server = await EmulatorServer(emu).start()
    api = API(emu.token)
    api.API_URL = server.api_url
    bot = Bot(api=api)
    snackbars: list[dict] = []

    @bot.on.message()
    async def echo(message: Message) -> None:
        photo = await PhotoMessageUploader(bot.api).upload(PNG, peer_id=message.peer_id)
        await message.answer(f"эхо: {message.text}", attachment=photo)

    @bot.on.raw_event(GroupEventType.MESSAGE_EVENT, dataclass=MessageEvent)
    async def pressed(event: MessageEvent) -> None:
        snackbars.append(event.payload)
        await event.show_snackbar("Отмечено")

    polling = asyncio.create_task(bot.run_polling())
    try:
        emu.add_user(101, "Анна", "Петрова", allowed=True)
        await emu.wait_for_poller()
        emu.say(101, "привет")
        got = await emu.wait_delivered(101, 1, limit_s=10)
        assert got and got[0].text == "эхо: привет" and emu.file_bytes(got[0].attachments[0]) == PNG
        emu.callback(101, {"cmd": "done"})
        for _ in range(100):
            if emu.event_answers:
                break
            await asyncio.sleep(0.05)
        assert snackbars == [{"cmd": "done"}] and emu.event_answers[0]["user_id"] == 101
        assert emu.response_problems == []
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        await api.http_client.close()
        await server.stop()
