"""Regions, municipalities and organizations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.models import Municipality, Organization, Region
from bot.domain.search import name_order

from .db import Database, in_municipalities, iso


@dataclass(frozen=True)
class ImportCounts:
    added: int
    updated: int
    unchanged: int


class DirectoryRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def import_rows(self, rows: Iterable[tuple[str, str, str, str, str, str]],
                          baselines: dict[str, dict[str, int]] | None = None) -> ImportCounts:
        """Upsert (id, region, municipality, timezone, organization, type) rows in one transaction; `baselines`
        (organization id -> key -> value) replace those the listed organizations had."""
        unchanged = 0
        async with self.db.transaction():
            regions: dict[str, int] = {}
            munis: dict[tuple[int, str], int] = {}
            staged: list[tuple[str, int, str, str]] = []
            for org_id, region, muni, tz, name, org_type in rows:
                if region not in regions:
                    await self.db.execute("INSERT OR IGNORE INTO regions(name) VALUES (?)", (region,))
                    regions[region] = await self.db.scalar("SELECT id FROM regions WHERE name = ?", (region,))
                rid = regions[region]
                if (rid, muni) not in munis:
                    await self.db.execute(
                        "INSERT INTO municipalities(region_id, name, timezone) VALUES (?, ?, ?) "
                        "ON CONFLICT(region_id, name) DO UPDATE SET timezone = excluded.timezone "
                        "WHERE municipalities.timezone != excluded.timezone", (rid, muni, tz))
                    munis[(rid, muni)] = await self.db.scalar(
                        "SELECT id FROM municipalities WHERE region_id = ? AND name = ?", (rid, muni))
                mid = munis[(rid, muni)]
                staged.append((org_id, mid, name, org_type))
            # The organizations already known, read once: a row-by-row look-up made 100,000 rows take minutes.
            known = {r[0]: (r[1], r[2], r[3]) for r in await self.db.fetchall(
                "SELECT id, municipality_id, name, type FROM organizations WHERE removed_at IS NULL")}
            removed = {r[0] for r in await self.db.fetchall(
                "SELECT id FROM organizations WHERE removed_at IS NOT NULL")}
            inserts, changes = [], []
            for org_id, mid, name, org_type in staged:
                old = known.get(org_id)
                if org_id in removed:  # listed again: it is back in the directory
                    changes.append((mid, name, org_type, org_id))
                    removed.discard(org_id)
                    known[org_id] = (mid, name, org_type)
                elif old is None:
                    inserts.append((org_id, mid, name, org_type))
                    known[org_id] = (mid, name, org_type)
                elif old == (mid, name, org_type):
                    unchanged += 1
                else:
                    changes.append((mid, name, org_type, org_id))
                    known[org_id] = (mid, name, org_type)
            if inserts:
                await self.db.executemany(
                    "INSERT INTO organizations(id, municipality_id, name, type) VALUES (?, ?, ?, ?)", inserts)
            if changes:
                await self.db.executemany(
                    "UPDATE organizations SET municipality_id = ?, name = ?, type = ?, removed_at = NULL "
                    "WHERE id = ?", changes)
            if baselines is not None:
                ids = [r[0] for r in staged]
                for i in range(0, len(ids), 500):
                    chunk = ids[i:i + 500]
                    await self.db.execute(f"DELETE FROM baselines WHERE organization_id IN ({','.join('?' * len(chunk))})",
                                          chunk)
                await self.db.executemany("INSERT INTO baselines(organization_id, key, value) VALUES (?, ?, ?)",
                                          [(o, k, v) for o, values in baselines.items() for k, v in values.items()])
            added, updated = len(inserts), len(changes)
        return ImportCounts(added, updated, unchanged)

    async def remove_organization(self, org_id: str, at: datetime) -> int | None:
        """Take it out of the directory and its admins' roles with it; its figures stay. Returns how many
        roles were revoked, or None if it is not in the directory."""
        async with self.db.transaction():
            if not await self.db.execute(
                    "UPDATE organizations SET removed_at = ? WHERE id = ? AND removed_at IS NULL", (iso(at), org_id)):
                return None
            return await self.db.execute("DELETE FROM roles WHERE role = 'organization' AND scope_id = ?", (org_id,))

    async def region(self, region_id: int) -> Region | None:
        row = await self.db.fetchone("SELECT id, name FROM regions WHERE id = ?", (region_id,))
        return Region(*row) if row else None

    async def region_by_name(self, name: str) -> Region | None:
        row = await self.db.fetchone("SELECT id, name FROM regions WHERE name = ?", (name,))
        return Region(*row) if row else None

    async def municipality(self, municipality_id: int) -> Municipality | None:
        row = await self.db.fetchone(
            "SELECT id, region_id, name, timezone FROM municipalities WHERE id = ?", (municipality_id,))
        return Municipality(*row) if row else None

    async def municipalities_by_name(self, name: str) -> list[Municipality]:
        rows = await self.db.fetchall(
            "SELECT id, region_id, name, timezone FROM municipalities WHERE name = ? ORDER BY id", (name,))
        return [Municipality(*r) for r in rows]

    async def municipalities_of_region(self, region_id: int) -> list[Municipality]:
        rows = await self.db.fetchall(
            "SELECT id, region_id, name, timezone FROM municipalities WHERE region_id = ? ORDER BY name",
            (region_id,))
        return [Municipality(*r) for r in rows]

    async def organization(self, org_id: str) -> Organization | None:
        row = await self.db.fetchone(
            "SELECT id, municipality_id, name, type FROM organizations WHERE id = ? AND removed_at IS NULL", (org_id,))
        return Organization(*row) if row else None

    async def organizations(self, org_ids: list[str]) -> dict[str, Organization]:
        """The directory's organizations among these ids."""
        rows = await self.db.fetchall_in(
            "SELECT id, municipality_id, name, type FROM organizations WHERE removed_at IS NULL AND id {in}", (), org_ids)
        return {r[0]: Organization(*r) for r in rows}

    async def organizations_of_municipality(self, municipality_id: int) -> list[Organization]:
        rows = await self.db.fetchall(
            "SELECT id, municipality_id, name, type FROM organizations WHERE municipality_id = ? "
            "AND removed_at IS NULL", (municipality_id,))
        return sorted((Organization(*r) for r in rows), key=lambda o: (o.type, name_order(o.name)))

    async def all_regions(self) -> list[Region]:
        rows = await self.db.fetchall("SELECT id, name FROM regions ORDER BY name")
        return [Region(*r) for r in rows]

    async def type_counts(self, municipality_ids: list[int] | None) -> list[tuple[int, str, int]]:
        """(municipality id, organization type, organizations in the directory)."""
        where, params = in_municipalities(municipality_ids)
        rows = await self.db.fetchall(
            f"SELECT o.municipality_id, o.type, count(*) FROM organizations o WHERE o.removed_at IS NULL {where} "
            "GROUP BY o.municipality_id, o.type", params)
        return [(r[0], r[1], r[2]) for r in rows]

    async def baseline_sums(self, municipality_ids: list[int] | None) -> list[tuple[int, str, str, int]]:
        """(municipality id, organization type, baseline key, sum over the organizations in the directory)."""
        where, params = in_municipalities(municipality_ids)
        rows = await self.db.fetchall(
            "SELECT o.municipality_id, o.type, b.key, sum(b.value) FROM baselines b JOIN organizations o "
            f"ON o.id = b.organization_id WHERE o.removed_at IS NULL {where} GROUP BY o.municipality_id, o.type, b.key",
            params)
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def baseline_counts(self, municipality_ids: list[int] | None, keys: Sequence[str]
                              ) -> list[tuple[int, str, str, int]]:
        """(municipality id, organization type, baseline key, how many organizations have it in the directory)."""
        if not keys:
            return []
        where, params = in_municipalities(municipality_ids)
        rows = await self.db.fetchall(
            "SELECT o.municipality_id, o.type, b.key, count(*) FROM baselines b JOIN organizations o "
            f"ON o.id = b.organization_id WHERE o.removed_at IS NULL AND b.key IN ({','.join('?' * len(keys))}) "
            f"{where} GROUP BY o.municipality_id, o.type, b.key", (*keys, *params))
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def baselines_for(self, org_ids: list[str]) -> dict[str, dict[str, int]]:
        """organization id -> its baselines, for many organizations at once."""
        out: dict[str, dict[str, int]] = {}
        for org, key, value in await self.db.fetchall_in(
                "SELECT organization_id, key, value FROM baselines WHERE organization_id {in}", (), org_ids):
            out.setdefault(org, {})[key] = value
        return out

    async def baselines_of(self, org_id: str) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT key, value FROM baselines WHERE organization_id = ?", (org_id,))
        return {r[0]: r[1] for r in rows}

    async def all_municipalities(self) -> list[Municipality]:
        rows = await self.db.fetchall("SELECT id, region_id, name, timezone FROM municipalities ORDER BY name")
        return [Municipality(*r) for r in rows]

    async def municipalities_with_region_names(self) -> tuple[list[Municipality], dict[int, str]]:
        """Every municipality, and the name of each one's region: what the scheduler plans by, read every minute in
        one statement (it had been two)."""
        rows = await self.db.fetchall(
            "SELECT m.id, m.region_id, m.name, m.timezone, r.name FROM municipalities m "
            "LEFT JOIN regions r ON r.id = m.region_id ORDER BY m.name")
        return [Municipality(*r[:4]) for r in rows], {r[1]: r[4] for r in rows if r[4] is not None}

    async def counts(self) -> tuple[int, int, int]:
        row = await self.db.fetchone(
            "SELECT (SELECT count(*) FROM regions), (SELECT count(*) FROM municipalities), "
            "(SELECT count(*) FROM organizations WHERE removed_at IS NULL)")
        assert row is not None
        return row[0], row[1], row[2]

