"""/status on a national directory: 89 regions, 2,000 municipalities, 40,000 organizations,
52 weekly periods of figures. Times /status for one municipality, one region and the whole
country, and the bot's peak RSS with that database.

Usage: python bench/status.py [--rebuild]
The database is built once (about 2 million submissions, 4 million figures) and kept in
/tmp for later runs; the timing runs in a fresh process so its RSS is the bot's own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

DB = Path("/tmp/sferum-bench-status.sqlite3")
REGIONS, MUNICIPALITIES, ORGANIZATIONS, PERIODS = 89, 2000, 40_000, 52
TYPES = ["school"] * 9 + ["additional"] * 2 + ["preschool"] * 7 + ["authority"] * 2
STARTS, ENDS = date(2025, 1, 1), date(2025, 12, 31)
NOW = datetime(2025, 12, 26, 9, 0, tzinfo=UTC)  # the 52nd Friday


def roadmap_text() -> str:
    from bot.sandbox import move_years

    # the order's dates moved to 2025, items included, then the roadmap's span set to that year
    text = move_years((ROOT / "roadmaps" / "ntgo-2023.toml").read_text(encoding="utf-8"), 2)
    text = re.sub(r"(?m)^(region|municipalities) = .*$", "", text)  # the whole country
    text = re.sub(r"(?m)^starts = .*$", f"starts = {STARTS}", text)
    return re.sub(r"(?m)^ends = .*$", f"ends = {ENDS}", text)


async def build() -> None:
    from bot.services.catalog import CatalogService
    from storage.db import Database
    from storage.directory import DirectoryRepo
    from storage.roadmaps import RoadmapRepo

    DB.unlink(missing_ok=True)
    rng = random.Random(7)
    rows = ["id,region,municipality,timezone,organization,type"]
    zones = ["Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk",
             "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok", "Asia/Magadan"]
    per_muni = ORGANIZATIONS // MUNICIPALITIES
    for m in range(MUNICIPALITIES):
        region = m % REGIONS
        tz = zones[region % len(zones)]
        for k in range(per_muni):
            rows.append(f"N{m:04d}{k:02d},Регион {region:02d},Муниципалитет {m:04d},{tz},Организация {m:04d}-{k:02d},"
                        f"{TYPES[k % len(TYPES)]}")
    db = await Database.open(DB)
    catalog = CatalogService(DirectoryRepo(db), RoadmapRepo(db))
    await catalog.import_directory("\n".join(rows) + "\n", "national.csv")
    await catalog.load_roadmap(roadmap_text(), "national.toml")
    await db.close()
    conn = sqlite3.connect(DB)
    conn.execute("PRAGMA journal_mode=WAL")
    orgs = [r[0] for r in conn.execute("SELECT id FROM organizations ORDER BY id")]
    fridays = [STARTS + timedelta(days=(4 - STARTS.weekday()) % 7 + 7 * i) for i in range(PERIODS)]
    staff = {o: rng.randint(10, 120) for o in orgs}
    sid = 0
    for n, day in enumerate(fridays):
        subs, figs = [], []
        share = min(1.0, 0.3 + n * 0.013)
        for o in orgs:
            if rng.random() < 0.08:
                continue  # some never report that week
            sid += 1
            at = f"{day}T05:00:00+00:00"
            subs.append((sid, o, "ntgo-sferum-2023", "weekly", day.isoformat(), 1, at, 1, at, 0))
            total = staff[o]
            figs += [(sid, "staff_total", total), (sid, "staff_active", int(total * share * rng.uniform(0.8, 1.0)))]
        conn.executemany("INSERT INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", subs)
        conn.executemany("INSERT INTO figures VALUES (?, ?, ?)", figs)
        conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


async def measure() -> dict[str, float]:
    from bot.app import build_app
    from bot.config import Config, StorageSection, VkSection

    config = Config(vk=VkSection(group_id=1), storage=StorageSection(path=str(DB)))
    app = await build_app(config, "", clock=lambda: NOW, schedule=False)
    status = app.services.summary
    muni = (await app.repos.directory.municipalities_by_name("Муниципалитет 0042"))[0]
    region = await app.repos.directory.region_by_name("Регион 07")
    cases = {"municipality": await status.territory("municipality", muni.id),
             "region": await status.territory("region", region.id),
             "country": await status.territory("country", 0)}
    out: dict[str, float] = {}
    for name, scope in cases.items():
        await status.territory_text(scope, NOW, private=True)  # warm the roadmap cache and SQLite's pages
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            text = await status.territory_text(scope, NOW, private=True)
            times.append(time.perf_counter() - t0)
        assert text.startswith("Сводка"), text[:200]
        out[f"{name}_ms"] = statistics.median(times) * 1000
    await app.close()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        from loguru import logger

        logger.remove()
        print(json.dumps(asyncio.run(measure())))
        return
    if args.rebuild or not DB.exists():
        t0 = time.perf_counter()
        asyncio.run(build())
        print(f"built {DB} in {time.perf_counter() - t0:.0f} s ({DB.stat().st_size / 2**20:.0f} MiB)")
    out = subprocess.run([sys.executable, __file__, "--measure-only"], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"status: municipality {r['municipality_ms']:.1f} ms, region {r['region_ms']:.1f} ms, "
          f"country {r['country_ms']:.0f} ms; peak RSS {r['peak_rss_mb']:.0f} MB "
          f"({REGIONS} regions, {MUNICIPALITIES} municipalities, {ORGANIZATIONS} organizations, {PERIODS} periods)")
    print(json.dumps({"bench": "status", **{k: round(v, 1) for k, v in r.items()}}))


if __name__ == "__main__":
    main()
