"""PNG charts of targets over the periods against their goal (matplotlib, Agg backend)."""

from __future__ import annotations

import io
from datetime import date

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.dates import DateFormatter  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

Series = dict[str, list[tuple[date, float]]]


def line_chart(title: str, series: Series, goal: float | None) -> bytes:
    """One line per series (a target, or a municipality), a dashed goal line; PNG bytes."""
    fig, ax = plt.subplots(figsize=(9, 5), dpi=100)
    try:
        for label, points in list(series.items())[:12]:
            if points:
                xs, ys = zip(*sorted(points), strict=True)
                ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.8, label=label[:60])
        if goal is not None:
            ax.axhline(goal, linestyle="--", color="#c0392b", linewidth=1.2, label=f"цель {goal:g}%")
        ax.set_title(title[:90], fontsize=11)
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.xaxis.set_major_formatter(DateFormatter("%d.%m"))
        top = max([goal or 0] + [y for pts in series.values() for _, y in pts] + [100])
        ax.set_ylim(0, top * 1.08)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
        fig.autofmt_xdate()
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)
