"""Private messages: registration by invite code, help, whoami, cancel, invites."""

from __future__ import annotations

from bot import texts
from bot.forms import answer_from
from bot.invites import Outcome
from bot.items import EVIDENCE_STATE
from bot.people import IssueError, IssueFailure
from bot.reporting import FORM_STATE
from storage.models import Conversation

from .context import Context

# Menu buttons name a command in their payload; the command is still checked against roles.
PAYLOAD_COMMANDS = {"help": "/help", "whoami": "/whoami", "cancel": "/cancel", "invites": "/invites",
                    "start": "/start", "report": "/report", "items": "/items", "status": "/status"}
TEXT_ALIASES = {"начать": "/start", "старт": "/start", "помощь": "/help", "кто я": "/whoami",
                texts.MENU_ITEMS.lower(): "/items", texts.MENU_STATUS.lower(): "/status",
                "отмена": "/cancel", texts.MENU_INVITES.lower(): "/invites", texts.MENU_REPORT.lower(): "/report"}
# Commands answered in the middle of a form, after which the current question is shown again.
ASIDES = ("/help", "/whoami", "/start")


def _menu(ctx: Context) -> str:
    return ctx.menu()


async def handle_private(ctx: Context) -> None:
    command, argument = ctx.command()
    if not command:
        command = PAYLOAD_COMMANDS.get(ctx.incoming.command or "", "") or TEXT_ALIASES.get(
            ctx.incoming.text.strip().lower(), "")
    if ctx.actor.registered:
        conversation = await ctx.conversations.get(ctx.actor.vk_id)
        state = conversation.state if conversation else None
        if state == FORM_STATE:
            await in_form(ctx, command, conversation)
            return
        if state == EVIDENCE_STATE and command not in ASIDES:
            if command == "/cancel" or ctx.incoming.command == "cancel":
                await ctx.conversations.clear(ctx.actor.vk_id)
                await ctx.reply(texts.CANCELLED, keyboard=_menu(ctx))
            else:
                await ctx.show(await ctx.items.evidence(ctx.actor, ctx.incoming.text, ctx.now))
            return
    if command == "/cancel":
        await cancel(ctx)
        return
    if ctx.people.looks_like_code(ctx.incoming.text):
        await redeem(ctx)
        return
    if not ctx.actor.registered:
        await greet(ctx, command)
        return
    match command:
        case "/start" | "/help":
            await show_help(ctx)
        case "/whoami":
            await whoami(ctx)
        case "/invite":
            await invite(ctx, argument)
        case "/invites":
            await invites_file(ctx)
        case "/report":
            await report(ctx)
        case "/status":
            await ctx.show(await ctx.status.for_actor(ctx.actor, argument, ctx.now))
        case "/chart":
            await chart(ctx)
        case "/export":
            await export(ctx, argument)
        case "/items":
            await ctx.show(await ctx.items.list_open(ctx.actor, ctx.now))
        case "/history":
            await ctx.reply(await ctx.reports.history(ctx.actor, argument), keyboard=_menu(ctx))
        case "/bind":
            await ctx.reply(texts.BIND_ONLY_IN_CHAT, keyboard=_menu(ctx))
        case _:
            await ctx.reply(texts.UNKNOWN, keyboard=_menu(ctx))


async def report(ctx: Context) -> None:
    payload = ctx.incoming.payload if ctx.incoming.command == "report" else None
    correct = bool(payload and payload.get("fix") == 1)
    ref = payload if payload and "org" in payload else None
    await ctx.show(await ctx.reports.start(ctx.actor, ctx.now, ref, correct))


async def in_form(ctx: Context, command: str, conversation: Conversation | None) -> None:
    """A message while a form is open: an answer, unless it is a way out or an aside."""
    if command == "/report" and ctx.incoming.command == "report":
        await report(ctx)  # a reminder's or a picker's button opens that form instead
        return
    if command in ASIDES:
        await (show_help(ctx) if command != "/whoami" else whoami(ctx))
        reply = await ctx.reports.current_screen(ctx.actor, texts.FORM_CONTINUE)
        if reply is not None:
            await ctx.show(reply)
        return
    if command == "/report":
        reply = await ctx.reports.current_screen(ctx.actor, texts.FORM_CONTINUE)
        if reply is not None:
            await ctx.show(reply)
            return
    answer = answer_from(ctx.incoming.text, ctx.incoming.payload)
    if command == "/cancel":
        answer = answer_from("", {"cmd": "form", "act": "cancel"})
    await ctx.show(await ctx.reports.answer(ctx.actor, answer, ctx.now, conversation))


async def chart(ctx: Context) -> None:
    scope = await ctx.status.default_scope(ctx.actor)
    if scope is None:
        await ctx.reply(texts.NOT_ALLOWED, keyboard=_menu(ctx))
        return
    png = await ctx.status.chart(scope, ctx.now)
    if png is None:
        await ctx.reply(texts.STATUS_NOTHING, keyboard=_menu(ctx))
        return
    photo = await ctx.vk.upload_photo(ctx.incoming.peer_id, png)
    await ctx.reply(texts.CHART_CAPTION.format(scope=scope.name), keyboard=_menu(ctx), attachment=photo)


async def export(ctx: Context, argument: str) -> None:
    scope = await ctx.status.default_scope(ctx.actor)
    if scope is None:
        await ctx.reply(texts.NOT_ALLOWED, keyboard=_menu(ctx))
        return
    made = await ctx.status.export(scope, ctx.now, argument)
    if made is None:
        await ctx.reply(texts.EXPORT_NONE if not argument else texts.EXPORT_BAD_PERIOD, keyboard=_menu(ctx))
        return
    data, name = made
    doc = await ctx.vk.upload_document(ctx.incoming.peer_id, data, name)
    await ctx.reply(texts.EXPORT_CAPTION.format(scope=scope.name), keyboard=_menu(ctx), attachment=doc)


async def greet(ctx: Context, command: str) -> None:
    """A newcomer: the full greeting the first time (or on /start), a short reminder after."""
    seen = await ctx.conversations.get(ctx.actor.vk_id)
    if seen is None or command == "/start":
        await ctx.conversations.set(ctx.actor.vk_id, "awaiting_code")
        await ctx.reply(texts.GREETING)
    else:
        await ctx.reply(texts.ASK_CODE)


async def cancel(ctx: Context) -> None:
    had_state = await ctx.conversations.clear(ctx.actor.vk_id)
    text = texts.CANCELLED if had_state else texts.NOTHING_TO_CANCEL
    if not ctx.actor.registered:
        await ctx.reply(f"{text} {texts.ASK_CODE}")
        return
    await ctx.reply(text, keyboard=_menu(ctx))


async def redeem(ctx: Context) -> None:
    result, label = await ctx.people.redeem(ctx.actor.vk_id, ctx.incoming.text, ctx.now)
    messages = {Outcome.WRONG: texts.CODE_WRONG, Outcome.EXPIRED: texts.CODE_EXPIRED,
                Outcome.USED: texts.CODE_USED}
    if result.outcome is Outcome.LOCKED:
        await ctx.reply(texts.TOO_MANY_ATTEMPTS.format(minutes=result.wait_minutes))
    elif result.outcome in messages:
        await ctx.reply(messages[result.outcome])
    elif result.outcome is Outcome.ALREADY:
        await ctx.reply(texts.ALREADY_HAS_ROLE.format(role=f"{texts.ROLE_TITLES[result.role or '']}, {label}"))
    else:
        actor = await ctx.access.actor(ctx.actor.vk_id)
        ctx.actor = actor
        name = await ctx.people.display_name(actor.vk_id)
        await ctx.reply(texts.REGISTERED.format(name=name, role=texts.ROLE_TITLES[result.role or ""],
                                                scope=label[:1].upper() + label[1:] if label else texts.CODE_SCOPE_GONE),
                        keyboard=_menu(ctx))


async def show_help(ctx: Context) -> None:
    actor = ctx.actor
    lines = [texts.HELP_HEADER]
    if actor.is_owner:
        lines += texts.HELP_OWNER
    if actor.scopes("municipality"):
        lines += texts.HELP_INVITE_ORGS
    if actor.scopes("region"):
        lines += texts.HELP_INVITE_MUNIS
    if actor.is_coordinator:
        lines.append(texts.HELP_BIND)
    if actor.scopes("organization"):
        lines += texts.HELP_REPORT
    if actor.is_coordinator:
        lines += [texts.HELP_STATUS, texts.HELP_CHART, texts.HELP_EXPORT]
    elif actor.scopes("organization"):
        lines.append(texts.HELP_STATUS_ADMIN)
    if actor.roles:
        lines.append(texts.HELP_ITEMS)
    if actor.is_coordinator:
        lines.append(texts.HELP_HISTORY)
    lines += texts.HELP_COMMON
    lines.append(texts.HELP_CODE)
    await ctx.reply("\n".join(lines), keyboard=_menu(ctx))


async def whoami(ctx: Context) -> None:
    views = await ctx.people.role_views(ctx.actor)
    roles = "\n".join(f"• {texts.ROLE_TITLES[v.role]} — {v.label}" for v in views)
    name = await ctx.people.display_name(ctx.actor.vk_id)
    await ctx.reply(texts.WHOAMI.format(name=name, vk_id=ctx.actor.vk_id, roles=roles), keyboard=_menu(ctx))


async def invite(ctx: Context, argument: str) -> None:
    result = await ctx.people.issue_invite(ctx.actor, argument, ctx.now)
    if isinstance(result, IssueFailure):
        if result.error is IssueError.NO_RIGHT:
            text = texts.NOT_ALLOWED
        elif result.error is IssueError.NO_QUERY:
            text = texts.INVITE_USAGE.format(what=result.what)
        elif result.error is IssueError.NOT_FOUND:
            text = texts.INVITE_NOT_FOUND.format(query=argument[:100], what=result.what)
        else:
            text = texts.INVITE_AMBIGUOUS.format(query=argument[:100], names="; ".join(result.candidates))
        await ctx.reply(text, keyboard=_menu(ctx))
        return
    await ctx.reply(texts.INVITE_CREATED.format(role=texts.ROLE_TITLES[result.role], scope=result.label,
                                                code=result.code, expires=result.expires.strftime("%d.%m.%Y")),
                    keyboard=_menu(ctx))


async def invites_file(ctx: Context) -> None:
    if not (ctx.actor.scopes("municipality") or ctx.actor.scopes("region")):
        await ctx.reply(texts.NOT_ALLOWED, keyboard=_menu(ctx))
        return
    made = await ctx.people.issue_all(ctx.actor, ctx.now)
    if made is None:
        await ctx.reply(texts.INVITES_NONE, keyboard=_menu(ctx))
        return
    data, count, expires = made
    attachment = await ctx.vk.upload_document(ctx.incoming.peer_id, data,
                                              f"invites-{ctx.now:%Y-%m-%d}.xlsx")
    await ctx.reply(texts.INVITES_FILE.format(count=count, expires=expires.strftime("%d.%m.%Y")),
                    keyboard=_menu(ctx), attachment=attachment)
