"""One person's journey, told once and run on each messenger: a driver speaks VK (vkemu, in-process) or MAX
(maxemu over HTTP, the bot's MAX adapter), and the journey only says who writes what and presses which button.
People are named by their messenger's own ids; the bot knows them by ours (storage/accounts.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from testkit.harness import Harness


@dataclass
class Seen:
    """A message the bot delivered, whatever the messenger."""

    text: str
    labels: list[str] = field(default_factory=list)
    files: int = 0
    raw: Any = None


class VkDriver:
    name = "vk"

    def __init__(self, h: Harness) -> None:
        self.h = h

    def seen(self, peer: int) -> list[Seen]:
        return [Seen(m.text, m.labels(), len(m.attachments), m) for m in self.h.emu.delivered(peer)]

    async def say(self, user: int, text: str, chat: int | None = None) -> list[Seen]:
        if chat is not None:
            text = f"{self.h.emu.mention()} {text}"
        peer = chat if chat is not None else user
        before = len(self.h.emu.delivered(peer))
        await self.h.say(user, text, peer_id=chat)
        return self.seen(peer)[before:]

    async def press(self, user: int, label: str, chat: int | None = None) -> list[Seen]:
        peer = chat if chat is not None else user
        before = len(self.h.emu.delivered(peer))
        await self.h.press(user, label, peer_id=chat)
        return self.seen(peer)[before:]

    def add_user(self, user: int, first: str, last: str) -> None:
        self.h.emu.add_user(user, first, last)

    async def send_file(self, user: int, name: str, data: bytes) -> list[Seen]:
        before = len(self.h.emu.delivered(user))
        await self.h.say(user, "", documents=((name, data),))
        return self.seen(user)[before:]

    def file_bytes(self, seen: Seen) -> bytes:
        return self.h.emu.file_bytes(seen.raw.attachments[0])

    async def add_chat(self, members: list[int]) -> int:
        chat = self.h.emu.add_chat(members)
        await self.h.settle()
        return chat

    def ours(self, user: int) -> int:
        return user

    async def open_link(self, user: int, url: str) -> list[Seen]:
        """The person opens a link to the community's dialog and presses «Начать»."""
        before = len(self.h.emu.delivered(user))
        self.h.emu.open_link(user, url)
        await self.h.settle()
        return self.seen(user)[before:]

    async def person_id_of(self, user: int) -> int:
        return user


class MaxDriver:
    name = "max"

    def __init__(self, h: Harness) -> None:
        assert h.max_emu is not None and h.app.max is not None
        self.h = h
        self.emu = h.max_emu
        self._ours: dict[int, int] = {}

    def _of(self, user: int | None, chat: int | None) -> list[Any]:
        return self.emu.delivered(chat_id=chat) if chat is not None else self.emu.delivered(user_id=user)

    def seen_of(self, user: int | None = None, chat: int | None = None) -> list[Seen]:
        return [Seen(d.text, d.labels(), len(d.files()), d) for d in self._of(user, chat)]

    async def say(self, user: int, text: str, chat: int | None = None) -> list[Seen]:
        before = len(self._of(user, chat))
        self.emu.say(user, text, chat_id=chat)
        await self.h.settle()
        return self.seen_of(None if chat else user, chat)[before:]

    async def press(self, user: int, label: str, chat: int | None = None) -> list[Seen]:
        """Press the button `label` of the newest message that has one (MAX keeps every message's buttons)."""
        before = len(self._of(user, chat))
        for d in reversed(self._of(user, chat)):
            button = next((b for b in d.buttons() if b["text"] == label), None)
            if button is not None:
                self.emu.press(user, d.mid, button["payload"])
                break
        else:
            raise KeyError(f"no button {label!r} for {user}")
        await self.h.settle()
        return self.seen_of(None if chat else user, chat)[before:]

    def add_user(self, user: int, first: str, last: str) -> None:
        self.emu.add_user(user, first, last)

    async def send_file(self, user: int, name: str, data: bytes) -> list[Seen]:
        """A person attaches a file in the dialog (uploaded through MAX's client, then sent)."""
        token = self.emu._upload_endpoint("file")["token"]
        self.emu.receive_upload(token, name, data)
        file = {"type": "file", "payload": {"url": f"{self.emu.base_url}/files/{token}", "token": token},
                "filename": name, "size": len(data)}
        before = len(self._of(user, None))
        self.emu.say(user, "", attachments=[file])
        await self.h.settle()
        return self.seen_of(user)[before:]

    def file_bytes(self, seen: Seen) -> bytes:
        return self.emu.file_bytes(seen.raw.files()[0])

    async def add_chat(self, members: list[int]) -> int:
        chat = self.emu.add_chat(members, bot_admin=True)
        await self.h.settle()
        return chat

    async def person_id_of(self, user: int) -> int:
        return await self.h.app.repos.max_accounts.person(user)

    async def open_link(self, user: int, url: str) -> list[Seen]:
        """The person opens a deep link to the bot (MAX starts the dialog with its payload)."""
        before = len(self._of(user, None))
        self.emu.open_link(user, url)
        await self.h.settle()
        return self.seen_of(user)[before:]


async def register(driver: VkDriver | MaxDriver, user: int, role: str, scope: str, first: str = "Анна",
                   last: str = "Петрова") -> list[Seen]:
    """A person types the invite code a coordinator gave them, in their messenger."""
    driver.add_user(user, first, last)
    code, _ = await driver.h.app.services.invites.create(role, scope, None, driver.h.clock())
    replies = await driver.say(user, code)
    assert replies and replies[-1].text.startswith("Готово"), [r.text for r in replies]
    return replies


def payload_of(seen: Seen, label: str) -> dict[str, Any]:
    """The command a button carries (VK: the payload; MAX: the callback payload)."""
    raw = seen.raw
    if hasattr(raw, "buttons") and callable(raw.buttons):
        for b in raw.buttons():
            if (b.get("label") or b.get("text")) == label:
                p = b["payload"]
                return json.loads(p) if isinstance(p, str) else p
    raise KeyError(label)
