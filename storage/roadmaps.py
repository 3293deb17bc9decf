"""Roadmap definitions, stored by natural keys so a reload never touches reported figures."""

from __future__ import annotations

from .db import Database, utcnow


class RoadmapRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, roadmap_id: str, title: str, basis: str | None, starts: str, ends: str,
                   source: str, definition: str, forms: list[tuple[str, int, str, str]],
                   indicators: list[tuple[str, str, int, str, str]],
                   targets: list[tuple[str, str, float]], items: list[tuple[str, str, str | None]]) -> bool:
        """Insert or replace one roadmap's definition atomically; True if it was new."""
        async with self.db.transaction():
            existed = await self.db.scalar("SELECT 1 FROM roadmaps WHERE id = ?", (roadmap_id,)) is not None
            await self.db.execute(
                "INSERT INTO roadmaps(id, title, basis, starts, ends, source, definition, loaded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title, "
                "basis = excluded.basis, starts = excluded.starts, ends = excluded.ends, "
                "source = excluded.source, definition = excluded.definition, loaded_at = excluded.loaded_at",
                (roadmap_id, title, basis, starts, ends, source, definition, utcnow().isoformat()))
            for table in ("roadmap_forms", "roadmap_indicators", "roadmap_targets", "roadmap_items"):
                await self.db.execute(f"DELETE FROM {table} WHERE roadmap_id = ?", (roadmap_id,))
            await self.db.executemany(
                "INSERT INTO roadmap_forms(roadmap_id, form_id, position, title, every) VALUES (?, ?, ?, ?, ?)",
                [(roadmap_id, *f) for f in forms])
            await self.db.executemany(
                "INSERT INTO roadmap_indicators(roadmap_id, key, form_id, position, kind, question) "
                "VALUES (?, ?, ?, ?, ?, ?)", [(roadmap_id, *i) for i in indicators])
            await self.db.executemany(
                "INSERT INTO roadmap_targets(roadmap_id, key, title, goal_percent, direction) VALUES (?, ?, ?, ?, ?)",
                [(roadmap_id, *t) for t in targets])
            await self.db.executemany(
                "INSERT INTO roadmap_items(roadmap_id, item_id, title, due) VALUES (?, ?, ?, ?)",
                [(roadmap_id, *i) for i in items])
        return not existed

    async def definitions(self) -> list[str]:
        rows = await self.db.fetchall("SELECT definition FROM roadmaps ORDER BY id")
        return [r[0] for r in rows]

    async def ids(self) -> list[str]:
        return [r[0] for r in await self.db.fetchall("SELECT id FROM roadmaps ORDER BY id")]

    async def counts(self, roadmap_id: str) -> dict[str, int]:
        out = {}
        for table in ("roadmap_forms", "roadmap_indicators", "roadmap_targets", "roadmap_items"):
            out[table.removeprefix("roadmap_")] = await self.db.scalar(
                f"SELECT count(*) FROM {table} WHERE roadmap_id = ?", (roadmap_id,))
        return out

    async def versions(self) -> dict[str, str]:
        """id -> loaded_at: lets a running bot notice that the operator reloaded a roadmap."""
        return {r[0]: r[1] for r in await self.db.fetchall("SELECT id, loaded_at FROM roadmaps")}

    async def definition(self, roadmap_id: str) -> str | None:
        return await self.db.scalar("SELECT definition FROM roadmaps WHERE id = ?", (roadmap_id,))
