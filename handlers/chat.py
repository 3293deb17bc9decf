"""Group chats: only commands addressed to the bot; ordinary chatter is left alone."""

from __future__ import annotations

from bot import texts
from bot.people import BindOutcome

from .context import Context


async def handle_chat(ctx: Context) -> None:
    command, argument = ctx.command()
    if command == "/bind":
        result = await ctx.people.bind_chat(ctx.actor, ctx.incoming.peer_id, argument)
        if result.outcome is BindOutcome.BOUND:
            await ctx.reply(texts.BIND_DONE.format(scope=result.label))
        elif result.outcome is BindOutcome.CHOOSE:
            await ctx.reply(texts.BIND_CHOOSE.format(options="; ".join(result.options)))
        else:
            await ctx.reply(texts.BIND_REFUSED)
    elif command == "/status":
        bound = await ctx.people.chats.get(ctx.incoming.peer_id)
        if bound is not None and await ctx.access.can_see(ctx.actor, bound.role, bound.scope_id):
            scope = await ctx.status.scope(bound.role, int(bound.scope_id))
            if scope is not None:
                await ctx.reply(await ctx.status.scope_text(scope, ctx.now))
    elif command in ("/help", "/start"):
        await ctx.reply(texts.CHAT_HELP)
