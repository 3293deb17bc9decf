"""Drawing the summary's chart: CPU per picture for a municipality's line chart (three targets over 30 weekly
periods, the goal, the note) and a region's ranked bars (25 municipalities), each drawn anew (the kept pictures
bypassed), with the matplotlib version that drew them. A region's Friday is one such chart per municipality.

Usage: python bench/charts.py [--pictures 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST = date(2023, 9, 8)
WEEKS = [FIRST + timedelta(weeks=n) for n in range(31)]
SERIES = {
    "Доля педагогов, зарегистрированных в Сферуме, от всех педагогических работников":
        [(d, 40 + n * 1.7) for n, d in enumerate(WEEKS[:30])],
    "Доля обучающихся в чатах классов": [(d, 20 + n * 2.1) for n, d in enumerate(WEEKS[:30])],
    "Доля педагогов, написавших не менее 10 сообщений за неделю": [(d, 10 + n * 1.3) for n, d in enumerate(WEEKS[:30])],
}
NOTE = "Показаны периоды по 30.03.2024: текущий период (до 05.04.2024) ещё не закрыт."
BARS = [(f"Муниципальный округ № {n}", 30 + (n * 37) % 70) for n in range(25)]


def cpu_ms(draw: object, pictures: int) -> tuple[float, int]:
    """Median CPU milliseconds of one picture, and its size in bytes."""
    times, size = [], 0
    for _ in range(pictures):
        started = time.process_time()
        size = len(draw())  # type: ignore[operator]
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times), size


def main(pictures: int) -> None:
    import matplotlib

    from bot.views import charts

    def line() -> bytes:
        return charts._line_chart.__wrapped__("Еженедельный мониторинг — Городской округ Пример",
                                              tuple((k, tuple(v)) for k, v in SERIES.items()), 90, tuple(WEEKS),
                                              NOTE, False, None)

    def bars() -> bytes:
        return charts._ranked_bars.__wrapped__("Доля педагогов в Сферуме — Свердловская область", tuple(BARS), 90,
                                               False)

    line()  # fonts found and cached: the first picture of a process costs more, once
    line_ms, line_bytes = cpu_ms(line, pictures)
    bars_ms, bars_bytes = cpu_ms(bars, pictures)
    print(json.dumps({"bench": "charts: one picture drawn anew, CPU", "matplotlib": matplotlib.__version__,
                      "line_chart_ms": round(line_ms, 1), "line_chart_kb": round(line_bytes / 1024),
                      "ranked_bars_ms": round(bars_ms, 1), "ranked_bars_kb": round(bars_bytes / 1024),
                      "pictures": pictures}, ensure_ascii=False))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pictures", type=int, default=20)
    main(parser.parse_args().pictures)
