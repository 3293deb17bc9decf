"""Run every bench/ script and write the results table to bench/RESULTS.md."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["vkemu_throughput.py", "forms.py", "broadcast.py", "status.py"]


def main() -> None:
    rows = []
    for script in SCRIPTS:
        out = subprocess.run([sys.executable, str(HERE / script)], capture_output=True, text=True, check=True)
        print(out.stdout, end="")
        for line in out.stdout.splitlines():
            if line.startswith("{"):
                rows.append(json.loads(line))
    machine = f"{platform.node()} · {platform.processor() or platform.machine()} · Python {platform.python_version()}"
    lines = [f"Снято {datetime.now():%Y-%m-%d %H:%M}, {machine}", "", "| бенчмарк | показатели |", "|---|---|"]
    for row in rows:
        name = row.pop("bench")
        lines.append(f"| {name} | " + ", ".join(f"{k} = {v}" for k, v in row.items()) + " |")
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
