"""Where a person is in a conversation with the bot, the way in for a newcomer and the way out of anything."""

from __future__ import annotations

from datetime import datetime

from bot.domain.dialog import Dialog
from bot.domain.forms import Answer
from bot.domain.models import Conversation
from bot.services.access import Actor
from bot.services.reports import ReportService
from bot.views import texts
from bot.views.message import Reply
from storage.chats import ConversationRepo


class DialogService:
    def __init__(self, conversation_repo: ConversationRepo, reports: ReportService) -> None:
        self.conversation_repo = conversation_repo
        self.reports = reports

    async def current(self, actor: Actor) -> Conversation | None:
        """The open conversation of a registered person (a newcomer's greeting does not count)."""
        if not actor.registered:
            return None
        conversation = await self.conversation_repo.get(actor.vk_id)
        return conversation if conversation is not None and conversation.state != Dialog.AWAITING_CODE else None

    async def cancel(self, actor: Actor, now: datetime) -> Reply:
        """«Отмена» from any step: a form is closed as the form closes it (what was sent stays)."""
        conversation = await self.conversation_repo.get(actor.vk_id)
        if actor.registered and conversation is not None and conversation.state == Dialog.FORM:
            return await self.reports.answer(actor, Answer("", "cancel"), now, conversation)
        had_state = await self.conversation_repo.clear(actor.vk_id)
        text = texts.CANCELLED if had_state else texts.NOTHING_TO_CANCEL
        return Reply(text if actor.registered else f"{text} {texts.ASK_CODE}")

    async def drop(self, actor: Actor) -> None:
        """Forget an open question (a link, a comment) the person walked away from."""
        await self.conversation_repo.clear(actor.vk_id)

    async def greet(self, actor: Actor, again: bool) -> Reply:
        """A newcomer: the full greeting the first time (or when they ask to start again), a short reminder after."""
        seen = await self.conversation_repo.get(actor.vk_id)
        if seen is None or again:
            await self.conversation_repo.set(actor.vk_id, Dialog.AWAITING_CODE)
            return Reply(texts.GREETING)
        return Reply(texts.ASK_CODE)
