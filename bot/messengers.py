"""The messenger port over every configured messenger: services send to a `person_id` (or a chat's id) and never
ask which messenger it belongs to; the dispatcher's hooks reach the adapter an update came from by its name.

Whose id is which is decided in one place, storage/accounts.py: VK's people and chats keep VK's own (positive)
ids, MAX's get ours (negative) from the `max_accounts` table. VK's communities (negative `from_id`) and MAX's bots
never become persons: their adapters drop them before anything is routed (bot/vk/updates.py, bot/max/updates.py).
"""

from __future__ import annotations

import functools

from loguru import logger

from bot.max.keyboards import SCREEN as MAX_SCREEN
from bot.services.ports import Adapter
from bot.views.message import Buttons, Incoming, Outgoing, Reply, Screen
from bot.vk.keyboards import SCREEN as VK_SCREEN

VK, MAX = "vk", "max"


class NoMessenger(Exception):
    """A message to a person of a messenger that is not configured (its section was removed after they registered)."""


def messenger_of(peer: int) -> str:
    """Which messenger a person or chat of ours is in (storage/accounts.py gives MAX's ids, all negative)."""
    return MAX if peer < 0 else VK


class Messengers:
    def __init__(self, adapters: dict[str, Adapter] | None = None) -> None:
        self.adapters: dict[str, Adapter] = dict(adapters or {})

    def named(self, name: str) -> Adapter:
        adapter = self.adapters.get(name)
        if adapter is None:
            raise NoMessenger(name)
        return adapter

    def of(self, peer: int) -> Adapter:
        return self.named(messenger_of(peer))

    def invite_links(self, code: str) -> list[tuple[str, str]]:
        """(column, link) for each messenger that can open the bot with an invite code."""
        return [link for m in self.adapters.values() if (link := m.invite_link(code)) is not None]

    async def send(self, peer: int, reply: Reply, menu: Buttons | None = None) -> None:
        await self.of(peer).send(peer, reply, menu)

    async def send_bulk(self, messages: list[Outgoing]) -> int:
        by_messenger: dict[str, list[Outgoing]] = {}
        for m in messages:
            by_messenger.setdefault(messenger_of(m.peer), []).append(m)
        queued = 0
        for name, batch in by_messenger.items():
            adapter = self.adapters.get(name)
            if adapter is None:
                logger.warning("{} messages dropped: [{}] is not in config.toml", len(batch), name)
                continue
            queued += await adapter.send_bulk(batch)
        return queued

    async def acknowledge(self, incoming: Incoming) -> None:
        await self.named(incoming.messenger).acknowledge(incoming)

    async def user_name(self, person_id: int) -> tuple[str, str]:
        return await self.of(person_id).user_name(person_id)


def screen_for(vk: bool, max_: bool) -> Screen:
    """What fits under one message on every messenger the installation serves (a reply composed once may go to
    either; with neither — an operator's command — both)."""
    screens = ([VK_SCREEN] if vk else []) + ([MAX_SCREEN] if max_ else []) or [VK_SCREEN, MAX_SCREEN]
    return functools.reduce(Screen.narrowest, screens)
