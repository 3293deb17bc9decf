"""Import of a national file of figures (issue 15): 40,000 organizations, one row each, as `import-figures`
reads, checks and applies it (the same service the chat import uses).

Measures, on a fresh database with the national directory and a quarter of the schools already reported:
- the .xlsx file: read + plan, then apply (one transaction), rows per second;
- the same as .csv;
- a file with one bad row at its end: refused whole, nothing written (checked by counting the rows).

Usage: python bench/import_figures.py [--rows 40000]"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NOW = datetime(2023, 10, 20, 7, 0, tzinfo=UTC)  # Friday 12:00 in Yekaterinburg: the seed's period is open
TYPES = ["school"] * 9 + ["additional"] * 2 + ["preschool"] * 7 + ["authority"] * 2


def directory(rows: int) -> str:
    lines = ["id,region,municipality,timezone,organization,type"]
    lines += [f"{7_000_000_000 + n},Регион {n % 89},МО {n % 2000},Asia/Yekaterinburg,Организация № {n},"
              f"{TYPES[n % len(TYPES)]}" for n in range(rows)]
    return "\n".join(lines) + "\n"


def table(rows: int, bad_last: bool = False) -> list[list]:
    out: list[list] = [["id", "Название", "staff_total", "staff_active"]]
    for n in range(rows):
        total = 10 + n % 90
        out.append([str(7_000_000_000 + n), f"Организация № {n}", total, total // 2 + n % 5])
    if bad_last:
        out[-1][3] = out[-1][2] + 1  # more active teachers than teachers
    return out


def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv(rows: list[list]) -> bytes:
    return "\n".join(";".join(str(c) for c in row) for row in rows).encode("utf-8")


async def main(rows: int) -> dict:
    from loguru import logger

    from bot.config import Config, StorageSection, VkSection
    from bot.core import bootstrap

    logger.remove()
    roadmap = (ROOT / "roadmaps" / "ntgo-2023.toml").read_text(encoding="utf-8")
    roadmap = re.sub(r"(?m)^(region|municipalities) = .*$", "", roadmap)  # the whole country
    out: dict = {"rows": rows}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, make in (("xlsx", xlsx), ("csv", csv)):
            config = Config(vk=VkSection(group_id=1), storage=StorageSection(path=f"{tmp}/{kind}.sqlite3"))
            core = await bootstrap(config, clock=lambda: NOW)
            try:
                await measure(core, kind, make, rows, roadmap, out)
            finally:
                await core.close()
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


async def measure(core, kind: str, make, rows: int, roadmap: str, out: dict) -> None:  # noqa: ANN001
    """One file kind on its own fresh database."""
    from storage.reports import OPERATOR

    await core.services.catalog.import_directory(directory(rows), "national.csv")
    await core.services.catalog.load_roadmap(roadmap, "national.toml")
    reports = core.repos.reports
    for n in range(0, rows, 4):  # a quarter reported by hand already
        await reports.save(str(7_000_000_000 + n), "ntgo-sferum-2023", "weekly", "2023-10-20",
                           {"staff_total": 10 + n % 90, "staff_active": 1}, 5, NOW, False)
    data = make(table(rows))
    started = time.perf_counter()
    plan = await core.services.imports.plan(None, f"national.{kind}", data, NOW)
    plan_s = time.perf_counter() - started
    assert plan.applicable and not plan.refused, core.services.imports.preview_text(plan, "")[:2000]
    started = time.perf_counter()
    done = await core.services.imports.apply(plan, OPERATOR, NOW)
    apply_s = time.perf_counter() - started
    assert done.new + done.changed == rows, done
    out[f"{kind}_mb"] = round(len(data) / 2**20, 2)
    out[f"{kind}_plan_s"] = round(plan_s, 1)
    out[f"{kind}_apply_s"] = round(apply_s, 1)
    out[f"{kind}_total_s"] = round(plan_s + apply_s, 1)
    out[f"{kind}_rows_per_s"] = round(rows / (plan_s + apply_s))
    if kind == "xlsx":
        before = await core.repos.db.scalar("SELECT count(*) FROM figure_changes")
        bad = xlsx(table(rows, bad_last=True))
        started = time.perf_counter()
        refused = await core.services.imports.plan(None, "bad.xlsx", bad, NOW)
        out["bad_file_plan_s"] = round(time.perf_counter() - started, 1)
        out["bad_file_refused_rows"] = len(refused.refused)
        out["bad_file_applicable"] = refused.applicable
        out["bad_file_changes_written"] = \
            await core.repos.db.scalar("SELECT count(*) FROM figure_changes") - before


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=40_000)
    result = asyncio.run(main(parser.parse_args().rows))
    print(f"import of {result['rows']} rows: xlsx {result['xlsx_total_s']} s "
          f"({result['xlsx_rows_per_s']} rows/s; plan {result['xlsx_plan_s']} s, apply {result['xlsx_apply_s']} s), "
          f"csv {result['csv_total_s']} s ({result['csv_rows_per_s']} rows/s); a bad last row: "
          f"{result['bad_file_refused_rows']} refused, {result['bad_file_changes_written']} changes written",
          file=sys.stderr)
    print(json.dumps(result))
