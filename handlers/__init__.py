"""Handlers translate events into service calls and replies; they hold no SQL and no decisions."""

from .chat import handle_chat
from .context import Context
from .private import handle_private

__all__ = ["Context", "handle_chat", "handle_private", "route"]


async def route(ctx: Context) -> None:
    kind = ctx.incoming.kind
    if kind == "message":
        await (handle_chat(ctx) if ctx.incoming.in_chat else handle_private(ctx))
    elif kind == "callback" and ctx.incoming.callback_event_id:
        # Acknowledge first so the client stops its spinner, whatever the press meant.
        await ctx.vk.answer_event(ctx.incoming.callback_event_id, ctx.incoming.from_id, ctx.incoming.peer_id)
        if ctx.incoming.command == "item" and ctx.incoming.payload is not None and not ctx.incoming.in_chat:
            await ctx.show(await ctx.items.confirm(ctx.actor, ctx.incoming.payload, ctx.now))
