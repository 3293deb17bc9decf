"""What a handler gets: the event, the sender as our database knows them, services, and a reply."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot import keyboards
from bot.access import AccessService, Actor
from bot.dispatcher import Incoming
from bot.items import ItemService
from bot.people import PeopleService
from bot.reporting import Reply, ReportService
from bot.status import StatusService
from bot.vk import VkGateway
from storage.chats import ConversationRepo

_MENTION = re.compile(r"^\s*\[(club|public)\d+\|[^\]]*\]\s*[,:]?\s*")


@dataclass
class Context:
    incoming: Incoming
    actor: Actor
    people: PeopleService
    access: AccessService
    conversations: ConversationRepo
    vk: VkGateway
    reports: ReportService
    items: ItemService
    status: StatusService
    now: datetime

    def menu(self) -> str:
        return keyboards.main_menu(self.actor.is_coordinator, bool(self.actor.scopes("organization")))

    async def show(self, reply: Reply) -> None:
        """A service's reply: its own buttons, or the person's main menu."""
        kb = reply.keyboard or (keyboards.keyboard(reply.buttons) if reply.buttons else self.menu())
        await self.reply(reply.text, keyboard=kb)

    async def reply(self, text: str, keyboard: str | None = None, attachment: str | None = None) -> None:
        await self.vk.send(self.incoming.peer_id, text, keyboard=keyboard, attachment=attachment)

    def command(self) -> tuple[str, str]:
        """(command, argument) from the text: '/invite МАОУ СОШ № 1' -> ('/invite', 'МАОУ СОШ № 1')."""
        text = _MENTION.sub("", self.incoming.text).strip()
        if not text.startswith("/"):
            return "", text
        head, _, rest = text.partition(" ")
        return head.lower().split("@", 1)[0], rest.strip()


HandlerFn = Callable[[Context], Awaitable[None]]
