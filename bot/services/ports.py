"""What services need from a messenger, as a protocol: each adapter (bot/vk, bot/max) provides it."""

from __future__ import annotations

from typing import Protocol

from bot.views.message import Buttons, Document, Incoming, Outgoing, Reply


class Messenger(Protocol):
    async def send(self, peer: int, reply: Reply, menu: Buttons | None = None) -> None:
        """A reply: `menu` goes with it when the reply has no buttons of its own."""

    async def send_bulk(self, messages: list[Outgoing]) -> int:
        """Messages the bot starts; one already queued under its key is skipped. Returns how many were queued."""

    async def user_name(self, person_id: int) -> tuple[str, str]:
        """(first name, last name), or empty strings when the messenger cannot say."""


class Adapter(Messenger, Protocol):
    """What the composition root and the dispatcher's hooks need besides: a press answered, a file fetched, a
    notice sent while the database cannot write (the update not resolved to our ids then)."""

    def invite_link(self, code: str) -> tuple[str, str] | None:
        """(column, link) that opens the bot with an invite code, when the messenger has such links."""

    async def known_person(self, incoming: Incoming) -> int | None:
        """Our person_id of the update's sender when already known, read only (the update is not resolved yet)."""

    async def acknowledge(self, incoming: Incoming) -> None:
        """Tell the messenger a button press was received."""

    async def download(self, doc: Document) -> Document:
        """A file a person sent, fetched from the messenger's own file hosts only: `data`, or `problem` saying why
        not (too big, not the messenger's host, unreachable)."""

    async def notify_now(self, incoming: Incoming, text: str, key: str) -> None:
        """Straight to the messenger, not through the outbox."""

    async def close(self) -> None:
        """Its HTTP sessions."""
