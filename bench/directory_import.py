"""Directory import rate: a CSV of 100,000 organizations (89 regions, 2,000 municipalities) read, checked
and stored by `import-orgs`'s own code path, then the same file again (nothing changes).

Usage: python bench/directory_import.py [--rows 100000]"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root
from bot.services.catalog import CatalogService  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.directory import DirectoryRepo  # noqa: E402
from storage.roadmaps import RoadmapRepo  # noqa: E402


def csv_text(rows: int) -> str:
    lines = ["id,region,municipality,timezone,organization,type"]
    lines += [f"{7_000_000_000 + n},Регион {n % 89},МО {n % 2000},Europe/Moscow,Школа № {n},school" for n in range(rows)]
    return "\n".join(lines) + "\n"


async def main(rows: int) -> None:
    text = csv_text(rows)
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "d.sqlite3")
        catalog = CatalogService(DirectoryRepo(db), RoadmapRepo(db))
        started = time.perf_counter()
        first = await catalog.import_directory(text, "big.csv")
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        again = await catalog.import_directory(text, "big.csv")
        again_s = time.perf_counter() - started
        await db.close()
    print(f"directory import: {rows} rows in {first_s:.1f} s ({rows / first_s:,.0f} rows/s), added {first.added}; "
          f"the same file again {again_s:.1f} s, unchanged {again.unchanged}")
    print(json.dumps({"bench": "directory_import", "rows": rows, "first_s": round(first_s, 2),
                      "rows_per_s": round(rows / first_s), "again_s": round(again_s, 2),
                      "added": first.added, "unchanged": again.unchanged}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().rows))
