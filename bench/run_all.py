"""Run the bench/ scripts and put their figures in a table: bench/RESULTS.md and the README.

Usage: python bench/run_all.py [--only forms,soak] [--table-only]

Each script prints one JSON line with its figures; it is kept in bench/results/<script>.json with
the machine it ran on and when, so a single script can be re-run and the table rebuilt from the
latest result of each. The table replaces the block between the bench markers in README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
SCRIPTS = ["vkemu_throughput.py", "forms.py", "broadcast.py", "status.py", "season.py", "soak.py",
           "directory_import.py", "import_figures.py", "flood.py", "charts.py"]


def machine() -> str:
    """This machine in one line: CPU model and count, memory, OS, Python."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
        memory = f"{mem_kb / 1024 / 1024:.0f} ГиБ"
    except (OSError, StopIteration, ValueError):
        memory = "?"
    return (f"{model or platform.machine()}, {os.cpu_count()} ядра, {memory}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def run(script: str) -> dict:
    started = time.monotonic()
    out = subprocess.run([sys.executable, str(HERE / script)], capture_output=True, text=True, cwd=ROOT)
    print(out.stdout, end="")
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    row = rows[-1] if rows else {"bench": script}
    if out.returncode != 0:
        row["exit_status"] = out.returncode
        print(out.stderr[-3000:], file=sys.stderr)
    return {"script": script, "figures": row, "machine": machine(),
            "at": datetime.now().strftime("%Y-%m-%d %H:%M"), "wall_s": round(time.monotonic() - started)}


def table() -> str:
    lines = ["| замер | показатели | когда, сколько шло | команда |", "|---|---|---|---|"]
    machines = set()
    for script in SCRIPTS:
        path = RESULTS / script.replace(".py", ".json")
        if not path.exists():
            lines.append(f"| {script} | ещё не запускался | | `python bench/{script}` |")
            continue
        result = json.loads(path.read_text(encoding="utf-8"))
        figures = dict(result["figures"])
        name = figures.pop("bench", script)
        machines.add(result["machine"])
        shown = ", ".join(f"{k} = {v}" for k, v in figures.items())
        lines.append(f"| {name} | {shown} | {result['at']}, {result['wall_s']} с | `python bench/{script}` |")
    head = "Машина: " + "; ".join(sorted(machines)) if machines else "Машина: —"
    return "\n".join([head, "", *lines])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated script names without .py")
    parser.add_argument("--table-only", action="store_true", help="rebuild the table from the saved results")
    parser.add_argument("--record", nargs=2, metavar=("SCRIPT", "OUTPUT"),
                        help="record the printed output of a run made separately (e.g. a soak left overnight)")
    args = parser.parse_args()
    if args.record:
        script, output = args.record
        lines = [json.loads(x) for x in Path(output).read_text(encoding="utf-8").splitlines() if x.startswith("{")]
        RESULTS.mkdir(exist_ok=True)
        result = {"script": script, "figures": lines[-1], "machine": machine(),
                  "at": datetime.fromtimestamp(Path(output).stat().st_mtime).strftime("%Y-%m-%d %H:%M"),
                  "wall_s": lines[-1].get("elapsed_s", "?")}
        (RESULTS / script.replace(".py", ".json")).write_text(
            json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        args.table_only = True
    chosen = SCRIPTS if not args.only else [f"{n.strip()}.py" for n in args.only.split(",")]
    RESULTS.mkdir(exist_ok=True)
    if not args.table_only:
        for script in chosen:
            result = run(script)
            (RESULTS / script.replace(".py", ".json")).write_text(
                json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    text = table()
    (HERE / "RESULTS.md").write_text(text + "\n", encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    if BEGIN in readme and END in readme:
        before, rest = readme.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        README.write_text(f"{before}{BEGIN}\n{text}\n{END}{after}", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
