"""Which database an installation runs on: the embedded SQLite file (the default) or PostgreSQL (a URL)."""

from __future__ import annotations

from pathlib import Path

from .db import Database


async def open_database(where: str | Path, *, migrate: bool = True) -> Database:
    """A path opens the SQLite file; "postgresql://…" connects to PostgreSQL (storage/pg.py). Both have the same
    methods, so every repository runs on either."""
    if str(where).startswith(("postgresql://", "postgres://")):
        from .pg import PgDatabase  # asyncpg loads only where PostgreSQL is used

        return await PgDatabase.open(str(where), migrate=migrate)  # type: ignore[return-value]
    return await Database.open(where, migrate=migrate)
