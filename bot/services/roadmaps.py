"""The roadmaps the operator loaded, parsed once and kept until a file is loaded again."""

from __future__ import annotations

import time

from bot.domain.roadmap import Roadmap
from storage.roadmaps import RoadmapRepo


class RoadmapCache:
    """Parsed roadmaps, re-read only when the operator has loaded a file again.

    Whether they changed is asked of the database at most every `recheck_s` seconds: a reload
    by `load-roadmap` reaches the running bot within that time."""

    def __init__(self, repo: RoadmapRepo, recheck_s: float = 2.0) -> None:
        self.repo = repo
        self.recheck_s = recheck_s
        self._parsed: dict[str, tuple[str, Roadmap]] = {}
        self._checked_at = float("-inf")

    async def all(self) -> list[Roadmap]:
        now = time.monotonic()
        if now - self._checked_at >= self.recheck_s:
            versions = await self.repo.versions()
            for rid, loaded_at in versions.items():
                cached = self._parsed.get(rid)
                if cached is None or cached[0] != loaded_at:
                    raw = await self.repo.definition(rid)
                    if raw is not None:
                        self._parsed[rid] = (loaded_at, Roadmap.from_json(raw))
            for rid in set(self._parsed) - set(versions):
                del self._parsed[rid]
            # Only now: a concurrent caller must not take the cache as fresh while it is being filled.
            self._checked_at = now
        return [self._parsed[rid][1] for rid in sorted(self._parsed)]

    def invalidate(self) -> None:
        """A roadmap was loaded by this process: the next look asks the database (another process's load is seen
        within `recheck_s`)."""
        self._checked_at = float("-inf")

    async def get(self, roadmap_id: str) -> Roadmap | None:
        return next((rm for rm in await self.all() if rm.id == roadmap_id), None)
