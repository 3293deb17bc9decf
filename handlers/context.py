"""What a handler gets: the update, the sender as our database knows them, the services, and a way to answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain.models import Conversation
from bot.services.access import Actor
from bot.services.ports import Messenger
from bot.services.registry import Services
from bot.views.message import Buttons, Incoming, Reply
from bot.words import texts


@dataclass
class Context:
    incoming: Incoming
    actor: Actor
    services: Services
    messenger: Messenger
    menu_for: Callable[[Actor], Buttons | None]
    now: datetime
    argument: str = ""  # what follows a typed command: «/status Нижнетуринский ГО»
    conversation: Conversation | None = None  # the open dialog, if any

    async def show(self, reply: Reply | None) -> None:
        """Send a service's answer; its own buttons, or the person's main menu (none in group chats)."""
        if reply is None:
            return
        if self.incoming.messenger == "max" and any(vk in reply.text for vk in texts.FOR_MAX):
            text = reply.text
            for vk, max_words in texts.FOR_MAX.items():
                text = text.replace(vk, max_words)
            reply = replace(reply, text=text)
        menu = None if self.incoming.in_chat else self.menu_for(self.actor)
        await self.messenger.send(self.incoming.peer, reply, menu)
        if reply.notices:
            await self.messenger.send_bulk(list(reply.notices))
