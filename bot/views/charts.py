"""PNG charts a coordinator would put on a slide (matplotlib, Agg backend): a territory's targets over the
periods against the goal, and a region's municipalities ranked on one target."""

from __future__ import annotations

import io
import textwrap
from datetime import date, timedelta
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from bot.words.format import fmt_measure, fmt_number, short  # noqa: E402

Series = dict[str, list[tuple[date, float]]]
GOAL_COLOR = "#c0392b"
MAX_TICKS = 12
PAD_INCHES = 0.2


def _wrapped(title: str) -> str:
    """A title on at most two lines, broken between words (a slide's title is not cut mid-word)."""
    lines = textwrap.wrap(title, 80)
    return "\n".join(lines[:1] + [short(" ".join(lines[1:]), 80)] if len(lines) > 1 else lines)


def _png(fig: plt.Figure) -> bytes:
    """The picture grows to hold the legend and the note under the plot, rather than cutting them: what
    `bbox_inches="tight"` does, but measured on the layout already made — savefig's own «tight» lays the whole
    figure out once more without drawing it (a fifth of a chart's CPU). Byte for byte the same PNG (checked on
    hundreds of random charts; tests/test_charts.py keeps one)."""
    bbox = fig.get_tightbbox(fig.canvas.get_renderer()).padded(PAD_INCHES)
    fig.set_layout_engine(None)  # laid out already (tight_layout): savefig would lay it out again
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches=bbox)
    return buf.getvalue()


# each line its own marker and dash, drawn widest first: two targets at equal values stay two lines, the thinner
# one inside the wider (they had hidden each other)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
DASHES = ("-", "--", "-.", ":")
LEGEND_WRAP = 70  # a legend entry longer than this goes on to the next line, whole (it had been cut: «от всех…»)


def line_figure(title: str, series: Series, goal: float | None, dues: list[date] | None = None,
                note: str = "", ratio: bool = False, unit: str | None = None) -> plt.Figure:
    """One line per series (a target) over the periods, ticks at the periods' due dates (with the year when the
    axis spans two), the last value of each line written beside it, the goal as a labelled dashed line, the legend
    under the plot whole, and `note` (which periods are drawn, and why) under it. The caller closes the figure."""
    fig, ax = plt.subplots(figsize=(9, 5), dpi=100)
    shown = [(label, sorted(points)) for label, points in list(series.items())[:8] if points]
    days = sorted({d for _, points in shown for d, _ in points} | set(dues or []))
    top = max([goal or 0] + [y for _, pts in shown for _, y in pts] + [0 if ratio else 100]) or 1
    ends = []
    for n, (label, points) in enumerate(shown):
        xs, ys = zip(*points, strict=True)
        line, = ax.plot(xs, ys, marker=MARKERS[n % len(MARKERS)], markersize=7 - 0.5 * n,
                        linestyle=DASHES[n % len(DASHES)], linewidth=3.0 - 0.3 * n, zorder=2 + n,
                        label="\n".join(textwrap.wrap(label, LEGEND_WRAP)))
        ends.append((ys[-1], xs[-1], line.get_color()))
    # the last values written beside the lines, moved apart where lines end close together
    placed = -top
    for y, x, color in sorted(ends):
        at = max(y, placed + top * 0.05)
        placed = at
        # over the lines and on white: a label moved up to the goal's dashed line had been struck through by it
        ax.annotate(fmt_measure(y, ratio), (x, at), xytext=(7, 0), textcoords="offset points", va="center",
                    fontsize=9, color=color, fontweight="bold", zorder=20,
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    if days:
        # one period is a point in a week, not a dot on a years-long axis
        span = (days[-1] - days[0]).days
        # room on the right for the last values' labels, whatever the span of the axis
        left, right = days[0] - timedelta(days=3), days[-1] + timedelta(days=max(10, span // 9))
        ax.set_xlim(left, right)
        step = max(1, (len(days) + MAX_TICKS - 1) // MAX_TICKS)
        ticks = days[::-1][::step][::-1]
        ax.set_xticks(ticks)
        two_years = days[0].year != days[-1].year  # «05.01» alone would not say which winter
        ax.set_xticklabels([d.strftime("%d.%m.%Y" if two_years else "%d.%m") for d in ticks], fontsize=8,
                           rotation=30 if two_years else 0, ha="right" if two_years else "center")
    if goal is not None:
        ax.axhline(goal, linestyle="--", color=GOAL_COLOR, linewidth=1.2)
        ax.annotate(_goal(goal, ratio), (0.0, goal), xycoords=("axes fraction", "data"),
                    xytext=(4, 4), textcoords="offset points", color=GOAL_COLOR, fontsize=9)
    ax.set_title(_wrapped(title), fontsize=11)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _tick(v, ratio)))
    if ratio and unit:
        ax.set_ylabel(unit, fontsize=9)
    ax.set_ylim(0, top * 1.1)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    # the legend goes under the date labels, however tall they are (slanted ones with the year had run into it)
    renderer = fig.canvas.get_renderer()
    bottom = min([t.get_window_extent(renderer).y0 for t in ax.get_xticklabels() if t.get_text()]
                 or [ax.get_window_extent(renderer).y0])
    below = ax.transAxes.inverted().transform((0, bottom))[1] - 0.02
    legend = ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, below), ncol=1,
                       frameon=False) if shown else None
    if note:
        anchor = legend if legend is not None else ax
        ax.annotate("\n".join(textwrap.wrap(note, 110)), xy=(0.5, 0), xycoords=anchor, xytext=(0, -6),
                    textcoords="offset points", ha="center", va="top", fontsize=8, color="#555555")
    fig.tight_layout()
    return fig


def _goal(goal: float, ratio: bool) -> str:
    return f"цель {fmt_number(goal)}" + ("" if ratio else " %")


def _tick(value: float, ratio: bool) -> str:
    """An axis label: whole percents, or a ratio's number with what decimals it has."""
    return fmt_number(round(value, 2)) if ratio else f"{fmt_number(round(value))} %"


# The same figures draw the same picture, and drawing one costs ~0.2 s of CPU: the last few are kept, so «График»
# pressed again, or by the chat's other coordinators after the summary that drew it, draws nothing again.
DRAWN_KEPT = 16


def line_chart(title: str, series: Series, goal: float | None, dues: list[date] | None = None,
               note: str = "", ratio: bool = False, unit: str | None = None) -> bytes:
    return _line_chart(title, tuple((label, tuple(points)) for label, points in series.items()), goal,
                       tuple(dues or ()), note, ratio, unit)


@lru_cache(maxsize=DRAWN_KEPT)
def _line_chart(title: str, series: tuple[tuple[str, tuple[tuple[date, float], ...]], ...], goal: float | None,
                dues: tuple[date, ...], note: str, ratio: bool, unit: str | None) -> bytes:
    fig = line_figure(title, {label: list(points) for label, points in series}, goal, list(dues), note, ratio, unit)
    try:
        return _png(fig)
    finally:
        plt.close(fig)


def ranked_bars(title: str, values: list[tuple[str, float]], goal: float | None, ratio: bool = False) -> bytes:
    """A region's municipalities on one target, best at the top, each bar's value written at its end."""
    return _ranked_bars(title, tuple(values), goal, ratio)


@lru_cache(maxsize=DRAWN_KEPT)
def _ranked_bars(title: str, values: tuple[tuple[str, float], ...], goal: float | None, ratio: bool) -> bytes:
    fig = bars_figure(title, list(values), goal, ratio)
    try:
        return _png(fig)
    finally:
        plt.close(fig)


def bars_figure(title: str, values: list[tuple[str, float]], goal: float | None, ratio: bool = False) -> plt.Figure:
    """The figure of `ranked_bars`; the caller closes it."""
    rows = sorted(values, key=lambda v: v[1])[-25:]  # barh draws bottom-up: the best ends on top
    fig, ax = plt.subplots(figsize=(9, max(3.0, 0.35 * len(rows) + 1.5)), dpi=100)
    names = [short(name, 40) for name, _ in rows]
    bars = ax.barh(names, [v for _, v in rows], color="#2e86c1")
    for bar, (_, value) in zip(bars, rows, strict=True):
        ax.annotate(fmt_measure(value, ratio), (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=8)
    if goal is not None:
        ax.axvline(goal, linestyle="--", color=GOAL_COLOR, linewidth=1.2)
        ax.annotate(_goal(goal, ratio), (goal, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(4, -12), textcoords="offset points", color=GOAL_COLOR, fontsize=9)
    right = max([goal or 0] + [v for _, v in rows] + [0 if ratio else 100]) or 1
    ax.set_xlim(0, right * 1.15)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _tick(v, ratio)))
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(_wrapped(title), fontsize=11)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
