"""Loading the operator's files: the directory CSV and roadmap TOML files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.domain.directory_csv import decode_directory, parse_directory
from bot.domain.roadmap import Roadmap, RoadmapError, parse_roadmap, territory_problems
from bot.services.roadmaps import RoadmapCache
from storage.directory import DirectoryRepo, ImportCounts
from storage.roadmaps import RoadmapRepo


@dataclass(frozen=True)
class LoadedRoadmap:
    roadmap: Roadmap
    created: bool


class CatalogService:
    def __init__(self, directory_repo: DirectoryRepo, roadmap_repo: RoadmapRepo,
                 default_timezone: str = "Europe/Moscow", roadmaps: RoadmapCache | None = None) -> None:
        self.directory_repo = directory_repo
        self.roadmap_repo = roadmap_repo
        self.default_timezone = default_timezone
        self.roadmaps = roadmaps  # the running bot's parsed roadmaps, told of a load at once

    async def import_directory(self, text: str, filename: str) -> ImportCounts:
        """Validate the whole CSV (DirectoryError lists bad lines), then store it in one transaction."""
        rows = parse_directory(text, filename, self.default_timezone)
        # the file is the whole truth for the organizations it lists: their baselines are replaced
        return await self.directory_repo.import_rows(
            [(r.id, r.region, r.municipality, r.timezone, r.organization, r.type) for r in rows],
            {r.id: r.baselines for r in rows})

    async def import_directory_file(self, path: Path) -> ImportCounts:
        return await self.import_directory(decode_directory(path.read_bytes(), str(path)), str(path))

    async def load_roadmap(self, text: str, filename: str, allow_unknown: bool = False) -> LoadedRoadmap:
        """Validate the whole roadmap (RoadmapError lists problems), then replace its definition. Territory
        names the directory does not know are an error unless `allow_unknown` (the directory comes later).

        Figures reference roadmaps by id and indicators by key, so a reload keeps them."""
        rm = parse_roadmap(text, filename)
        if not allow_unknown and (rm.roadmap.region is not None or rm.roadmap.municipalities):
            regions = {r.id: r.name for r in await self.directory_repo.all_regions()}
            munis: dict[str, set[str]] = {}
            for m in await self.directory_repo.all_municipalities():
                munis.setdefault(regions.get(m.region_id, ""), set()).add(m.name)
            problems = territory_problems(rm, text, filename, set(regions.values()), munis)
            if problems:
                raise RoadmapError(problems)
        created = await self.roadmap_repo.save(
            rm.id, rm.roadmap.title, rm.roadmap.basis, rm.roadmap.starts.isoformat(),
            rm.roadmap.ends.isoformat(), filename, rm.to_json(),
            forms=[(f.id, pos, f.title, f.cadence) for pos, f in enumerate(rm.form)],
            indicators=[(i.key, f.id, pos, i.kind, i.question)
                        for f in rm.form for pos, i in enumerate(f.indicator)],
            targets=[(t.key, t.title, t.goal_percent, t.direction) for t in rm.target],
            items=[(i.id, i.title, i.due.isoformat() if i.due else None) for i in rm.item],
        )
        if self.roadmaps is not None:
            self.roadmaps.invalidate()
        return LoadedRoadmap(rm, created)

    async def load_roadmap_file(self, path: Path, allow_unknown: bool = False) -> LoadedRoadmap:
        return await self.load_roadmap(path.read_text(encoding="utf-8"), str(path), allow_unknown)

    async def roadmaps_loaded(self) -> list[Roadmap]:
        return [Roadmap.from_json(raw) for raw in await self.roadmap_repo.definitions()]
