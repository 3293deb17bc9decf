"""What services need from a messenger, as a protocol: the VK adapter (and later MAX) provides it."""

from __future__ import annotations

from typing import Protocol

from bot.views.message import Buttons, Incoming, Outgoing, Reply


class Messenger(Protocol):
    async def send(self, peer: int, reply: Reply, menu: Buttons | None = None) -> None:
        """A reply: `menu` goes with it when the reply has no buttons of its own."""

    async def send_bulk(self, messages: list[Outgoing]) -> int:
        """Messages the bot starts; one already queued under its key is skipped. Returns how many were queued."""

    async def acknowledge(self, incoming: Incoming) -> None:
        """Tell the messenger a button press was received."""

    async def download(self, url: str, limit: int) -> bytes | None:
        """A file a person sent, at most `limit` bytes; None when it cannot be had."""

    async def user_name(self, user_id: int) -> tuple[str, str]:
        """(first name, last name), or empty strings when the messenger cannot say."""
