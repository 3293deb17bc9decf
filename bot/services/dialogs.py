"""Where a person is in a conversation with the bot, the way in for a newcomer and the way out of anything."""

from __future__ import annotations

import difflib
import re
from datetime import datetime

from bot.domain.dialog import Dialog
from bot.domain.forms import Answer
from bot.domain.models import Conversation
from bot.services.access import Actor
from bot.services.reports import REPORT, ReportService
from bot.views.message import Button, Reply
from bot.words import texts
from bot.words.commands import CommandId
from storage.chats import ConversationRepo


class DialogService:
    def __init__(self, conversation_repo: ConversationRepo, reports: ReportService) -> None:
        self.conversation_repo = conversation_repo
        self.reports = reports

    async def current(self, actor: Actor) -> Conversation | None:
        """The open conversation of a registered person (a newcomer's greeting does not count)."""
        if not actor.registered:
            return None
        conversation = await self.conversation_repo.get(actor.person_id)
        return conversation if conversation is not None and conversation.state != Dialog.AWAITING_CODE else None

    async def cancel(self, actor: Actor, now: datetime, keep: bool = False, picker: bool = False) -> Reply:
        """«Отмена» from any step: a form is closed as the form closes it (what was sent stays). `keep`: the button
        under «…уже отправлен. Исправить его?» — the answer is that the report stays as sent (it had been «Отменять
        нечего.»); `picker`: «Отмена» under the choice of a report to fill — no report is opened."""
        conversation = await self.conversation_repo.get(actor.person_id)
        if actor.registered and conversation is not None and conversation.state == Dialog.FORM:
            return await self.reports.answer(actor, Answer("", CommandId.CANCEL), now, conversation)
        # the choice of a report, open or (its old «Отмена» pressed) gone: no report is opened
        picking = conversation.state == Dialog.REPORT_PICK if conversation is not None else picker
        had_state = await self.conversation_repo.clear(actor.person_id)
        text = texts.PICK_CLOSED if picking else texts.CANCELLED if had_state else texts.REPORT_KEPT if keep else \
            texts.NOTHING_TO_CANCEL
        return Reply(text if actor.registered else f"{text} {texts.ASK_CODE}")

    async def drop(self, actor: Actor) -> None:
        """Forget an open question (a link, a comment) the person walked away from."""
        await self.conversation_repo.clear(actor.person_id)

    async def greet(self, actor: Actor, again: bool, now: datetime | None = None) -> Reply:
        """A newcomer: the full greeting the first time (or when they ask to start again), a short reminder after."""
        seen = await self.conversation_repo.get(actor.person_id)
        if seen is None or again:
            await self.conversation_repo.set(actor.person_id, Dialog.AWAITING_CODE,
                                             {"greeted": now.isoformat()} if now else None)
            return Reply(texts.GREETING)
        return Reply(texts.ASK_CODE)

    async def just_greeted(self, actor: Actor, said: str, now: datetime) -> bool:
        """A newcomer's hello just after their greeting, which needs nothing more: MAX greets on «Начать», and the
        person's own «Здравствуйте» that follows had drawn a second answer at once."""
        seen = await self.conversation_repo.get(actor.person_id)
        greeted = seen.data.get("greeted") if seen is not None and isinstance(seen.data, dict) else None
        if not isinstance(greeted, str) or not is_greeting(said):
            return False
        try:
            return (now - datetime.fromisoformat(greeted)).total_seconds() < GREETED_QUIET_S
        except (ValueError, TypeError):
            return False

    @staticmethod
    def small_talk(text: str) -> Reply | None:
        """A message that is only thanks or a hello (at most three words): its answer, else None."""
        said = " ".join(re.sub(r"[^\w ]", " ", text.casefold().replace("ё", "е")).split())
        words = said.split()
        if not words or len(words) > 3:
            return None
        if set(words) <= THANKS | {"большое", "вам", "огромное"} and set(words) & THANKS or said.startswith("благодар"):
            return Reply(texts.TALK_THANKS_IN_FORM)
        if is_greeting(said) and set(words) <= GREETINGS | {"добрый", "доброе", "день", "утро", "вечер", "всем"}:
            return Reply(texts.TALK_HELLO)
        return None

    def understand(self, actor: Actor, text: str, commands: dict[str, str]) -> Reply:
        """A message that is no command, answered as a person would: a greeting, thanks, a question about
        reporting, a command with a typo (`commands`: what the person may type -> its canonical form), a
        form's button typed or pressed after the form closed. The fallback names /help."""
        said = " ".join(re.sub(r"[^\w/ -]", " ", text.casefold().replace("ё", "е")).split())
        admin = bool(actor.scopes("organization"))
        report_button = [[Button(texts.MENU_REPORT, REPORT)]] if admin else None
        if said.startswith("/"):
            head = said.split(" ", 1)[0]
            near = difflib.get_close_matches(head, list(commands), n=1, cutoff=0.6)
            if near:
                return Reply(texts.TALK_DID_YOU_MEAN.format(typed=head, command=commands[near[0]]))
            return Reply(texts.TALK_NO_COMMAND.format(typed=head[:40]))
        words = set(said.split())
        if is_greeting(said):
            return Reply(texts.TALK_HELLO + " " + (texts.TALK_HINT_ADMIN if admin else texts.TALK_HINT_COORDINATOR
                                                 if actor.is_coordinator else ""), report_button)
        if words & THANKS or said.startswith("благодар"):
            return Reply(texts.TALK_THANKS)
        if any(w.startswith(("отчет", "отчит", "сдат", "сдач", "заполн", "форм")) for w in words):
            if admin:
                return Reply(texts.TALK_HOW_TO_REPORT, report_button)
            if actor.is_coordinator:
                return Reply(texts.TALK_REPORT_COORDINATOR)
        if said in FORM_BUTTONS:
            return Reply(texts.TALK_FORM_CLOSED, report_button)
        near = difflib.get_close_matches(said, [w for w in commands if not w.startswith("/")], n=1, cutoff=0.75)
        if near and said:
            return Reply(texts.TALK_DID_YOU_MEAN.format(typed=said[:40], command=commands[near[0]]))
        return Reply(texts.UNKNOWN)


GREETED_QUIET_S = 600  # a hello within this of the greeting is the same hello


def is_greeting(text: str) -> bool:
    said = " ".join(re.sub(r"[^\w ]", " ", text.casefold().replace("ё", "е")).split())
    return bool(set(said.split()) & GREETINGS) or said.startswith(("добрый", "доброе", "доброго"))


GREETINGS = {"привет", "здравствуйте", "здравствуй", "здрасьте", "приветствую", "hello", "hi", "салют", "добрый"}
THANKS = {"спасибо", "спс", "благодарю", "спасибочки", "thanks"}
# A form's buttons, typed or pressed after the form was sent or closed.
FORM_BUTTONS = {b.casefold() for b in (texts.BTN_SEND, texts.BTN_FIX, texts.BTN_BACK, texts.BTN_SKIP, "да", "нет")}
