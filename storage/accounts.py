"""MAX accounts and our ids for them (see migration 013): the MAX adapter turns MAX's ids into ours as updates
come in and back when it sends; nothing above it knows which messenger a person writes from."""

from __future__ import annotations

from dataclasses import dataclass

from .db import Database

CHAT_OFFSET = 2_000_000_000  # our id of a MAX group chat is -(CHAT_OFFSET + seq), of a person -seq


@dataclass(frozen=True)
class MaxAddress:
    kind: str  # 'user' | 'chat'
    max_id: int
    dialog_id: int | None


class MaxAccountRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def person(self, max_user_id: int, dialog_id: int | None = None) -> int:
        """Our id of a MAX user (made on first sight); the dialog's chat_id is kept when MAX tells it."""
        seq = await self._seq("user", max_user_id)
        if dialog_id is not None:
            await self.db.execute("UPDATE max_accounts SET dialog_id = ? WHERE seq = ? AND dialog_id IS DISTINCT FROM ?",
                                  (dialog_id, seq, dialog_id))
        return -seq

    async def known_person(self, max_user_id: int) -> int | None:
        """Our id of a MAX user already seen, without making one (a read: usable outside a transaction)."""
        seq = await self.db.scalar("SELECT seq FROM max_accounts WHERE kind = 'user' AND max_id = ?", (max_user_id,))
        return -int(seq) if seq is not None else None

    async def chat(self, max_chat_id: int) -> int:
        return -(CHAT_OFFSET + await self._seq("chat", max_chat_id))

    async def _seq(self, kind: str, max_id: int) -> int:
        await self.db.execute("INSERT OR IGNORE INTO max_accounts(kind, max_id) VALUES (?, ?)", (kind, max_id))
        return int(await self.db.scalar("SELECT seq FROM max_accounts WHERE kind = ? AND max_id = ?", (kind, max_id)))

    async def address(self, peer: int) -> MaxAddress | None:
        """Where to send a message for one of our negative ids; None for a VK id or an unknown one."""
        if peer >= 0:
            return None
        seq = -peer - CHAT_OFFSET if -peer > CHAT_OFFSET else -peer
        row = await self.db.fetchone("SELECT kind, max_id, dialog_id FROM max_accounts WHERE seq = ?", (seq,))
        return MaxAddress(row[0], int(row[1]), row[2]) if row else None

    async def saved_marker(self) -> int | None:
        """The long-polling marker before which every update has been handled."""
        value = await self.db.scalar("SELECT value FROM meta WHERE key = 'max_marker'")
        return int(value) if value is not None else None

    async def save_marker(self, marker: int) -> None:
        await self.db.execute("INSERT INTO meta(key, value) VALUES ('max_marker', ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(marker),))
