"""Which handler an update goes to: the open dialog first, then the command table.

In private messages: an open dialog (a form, a link for a roadmap item) takes the message unless
it is «Отмена» or an aside (help, who am I), which is answered and the dialog goes on; then
invite codes; a newcomer is greeted; then the command, if the person's roles allow it. In group
chats only the commands declared for chats are answered; ordinary chatter is left alone."""

from __future__ import annotations

from bot.services.access import Actor
from bot.views.message import Buttons, Reply
from bot.words import texts
from bot.words.commands import CommandId

from .commands import COMMANDS, STATES, receive_files
from .context import Context
from .table import Command, Lookup, State, allowed, menu

LOOKUP = Lookup.of(COMMANDS)
CANCEL = LOOKUP.by_name[CommandId.CANCEL]
REPORT = LOOKUP.by_name[CommandId.REPORT]
BEHALF = LOOKUP.by_name[CommandId.BEHALF]


def main_menu(actor: Actor) -> Buttons | None:
    return menu(COMMANDS, actor)


async def route(ctx: Context) -> None:
    incoming = ctx.incoming
    if incoming.kind == "callback":
        await _callback(ctx)
    elif incoming.kind == "joined":
        how = texts.CHAT_WELCOME_MAX if incoming.messenger == "max" else texts.CHAT_WELCOME_VK
        await ctx.show(Reply(texts.CHAT_WELCOME.format(mention=incoming.text) + " " + how))
    elif incoming.kind == "left":
        told = await ctx.services.people.chat_left(incoming.peer, incoming.messenger == "max", incoming.event_id)
        await ctx.messenger.send_bulk(told)
    elif incoming.kind == "message" and incoming.in_chat:
        command, ctx.argument = LOOKUP.resolve(incoming.text, incoming.command)
        if command is not None and command.chat is not None:
            await command.chat(ctx)
        elif incoming.addressed and (command is not None or incoming.text.strip()):
            # named but not understood here («@бот привет», «@бот как сдать отчёт?», a private-only command):
            # what this chat is for and what works in it, rather than silence
            await ctx.show(await ctx.services.summary.chat_help(incoming.peer, incoming.messenger))
    elif incoming.kind == "message":
        await _private(ctx)


async def _callback(ctx: Context) -> None:
    # The press was acknowledged to the messenger before this (the dispatcher's `before`), whatever it meant.
    command = LOOKUP.by_name.get(ctx.incoming.command or "")
    if command is None or not command.callback or ctx.incoming.in_chat or command.handler is None:
        return
    if allowed(command, ctx.actor):
        await command.handler(ctx)


async def _private(ctx: Context) -> None:
    incoming = ctx.incoming
    command, ctx.argument = LOOKUP.resolve(incoming.text, incoming.command)
    if command is not None and command.callback:
        command = None  # a callback button's command typed or forged into a message is not a press
    ctx.conversation = await ctx.services.dialogs.current(ctx.actor)
    state = STATES.get(ctx.conversation.state) if ctx.conversation else None  # (a state no longer declared: none)
    if incoming.documents and ctx.actor.registered and not (state and state.form):
        await receive_files(ctx)
        return
    if state is not None and state.form and command is not CANCEL:
        await _in_form(ctx, command, state)
        return
    if state is not None and command is not None and command.name in state.buttons:
        await _run(ctx, command)  # the dialog's own button («Применить»)
        return
    if state is not None and command is not None and command is not CANCEL and not command.aside:
        # a command pressed or typed («сводка») instead of the answer: the person moved on, the question is dropped
        await ctx.services.dialogs.drop(ctx.actor)
    elif state is not None and command is not CANCEL and not (command and command.aside):
        await state.handler(ctx)
        return
    if command is CANCEL:
        await _run(ctx, CANCEL)
        return
    if ctx.services.people.looks_like_code(incoming.text):
        reply, ctx.actor = await ctx.services.people.redeem(ctx.actor, incoming.text, ctx.now)
        await ctx.show(reply)
        return
    if not ctx.actor.registered and (command is None or command.name not in (CommandId.START, CommandId.HELP)):
        if not await ctx.services.dialogs.just_greeted(ctx.actor, incoming.text, ctx.now):
            await ctx.show(await ctx.services.dialogs.greet(ctx.actor, again=False, now=ctx.now))
        return
    await _run(ctx, command)


async def _run(ctx: Context, command: Command | None) -> None:
    if command is None or command.handler is None:
        typeable = {alias: c.slash[0] for c in COMMANDS if c.slash and allowed(c, ctx.actor)
                    for alias in (*c.slash, *c.words, *([c.label.casefold()] if c.label else []))}
        await ctx.show(ctx.services.dialogs.understand(ctx.actor, ctx.incoming.text, typeable))
    elif not allowed(command, ctx.actor):
        await ctx.show(Reply(command.refusal))
    else:
        await command.handler(ctx)


async def _in_form(ctx: Context, command: Command | None, form: State) -> None:
    """A message while a form is open: an answer, unless it opens another form or is an aside."""
    if command in (REPORT, BEHALF) and ctx.incoming.command == command.name:
        await _run(ctx, command)  # a reminder's, a picker's or an organization view's button opens that form instead
        return
    if command is not None and (command.aside or command is REPORT):
        if command is not REPORT:
            await _run(ctx, command)
        screen = await ctx.services.reports.current_screen(ctx.actor, ctx.now, texts.FORM_CONTINUE)
        if screen is not None:
            await ctx.show(screen)
        elif command is REPORT:
            await _run(ctx, REPORT)  # the open form is gone or its period is over: start the current one
        return
    talk = ctx.services.dialogs.small_talk(ctx.incoming.text) if command is None else None
    if talk is not None:
        # «спасибо» or «здравствуйте» mid-form is no wrong answer: it is answered, and the form goes on
        await ctx.show(talk)
        screen = await ctx.services.reports.current_screen(ctx.actor, ctx.now, texts.FORM_CONTINUE)
        if screen is not None:
            await ctx.show(screen)
        return
    await form.handler(ctx)
