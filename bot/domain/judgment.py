"""One judgment of a target for a territory, a period and a moment: the value to show, its delta, what it is still
without, and its verdict — decided here once, and every view (/status, the scheduled summary, «По типам», the
Excel «Цели» sheet) shows this result rather than judging again.

The rules (README «Как бот судит о цели», docs/roadmap-format.md say the same):
- a period nobody reported in is no data — not 0 %, not a base for a delta, not a value for the verdict;
- before the form's first due date a target has no value: its first due date is shown instead;
- a period that closed with no report shows the last real value with that period's date;
- a share of everyone (the denominator counts organizations that have not reported: `@baseline.*`,
  `@organizations`) is a lower bound while any of them is missing: «пока без N организаций», no delta;
- figures only in a period not yet due give no verdict yet (not «нет данных»: they are there, just not due);
- a delta compares like with like: the previous period with reports, and, for a share of everyone, only one where
  nobody counted was missing; named by its date when it is not the period just before («↑ +3,1 п.п. к 20.03»).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.roadmap import Target
from bot.domain.verdicts import Verdict, judge


@dataclass(frozen=True)
class PeriodFigures:
    """What a period holds for one target: its value (None: not computable), how many organizations reported in
    it, and how many of those the target counts have not."""

    value: float | None
    reported: int
    missing: int
    no_norm: int = 0  # v3 `each`: organizations whose own norm is not known (left out of both sides)


@dataclass(frozen=True)
class Reading:
    value: float | None  # what to show; None: no data
    at: date | None  # the period the value is of (the asked one, or the last with data when it has none)
    stale: bool = False  # the asked period has no data: `value` is an earlier period's
    delta: float | None = None
    against: date | None = None  # the period the delta compares with
    named: bool = False  # `against` is not the period just before: the view names its date
    without: int = 0  # a share of everyone still missing this many organizations (no delta then)
    first_due: date | None = None  # asked before the form's first due date: that date, and no value
    verdict: Verdict | None = None
    no_norm: int = 0  # v3 `each`: organizations left out, their norm not known («норма не задана у 2»)


def of_everyone(target: Target) -> bool:
    """A share whose denominator counts those who have not reported: it only grows as reports come."""
    return target.denominator.startswith("@baseline.") or target.denominator == "@organizations"


def has_data(figures: PeriodFigures | None) -> bool:
    return figures is not None and figures.reported > 0 and figures.value is not None


def read(target: Target, dues: list[date], history: dict[date, PeriodFigures], due: date, today: date) -> Reading:
    """`dues`: every period of the target's form in order; `history`: the periods up to `due` (the asked one);
    `today`: the moment of judging (the verdict's)."""
    values = {d: f.value if has_data(f) else None for d, f in history.items()}
    verdict = judge(target, dues, values, today)
    if verdict is not None and verdict.kind == "no_data" and due > today and today < verdict.deadline \
            and has_data(history.get(due)):
        # the first figures are in a period not yet due: nothing to judge by yet, but «нет данных» under the very
        # figures just sent reads as a fault (a school that reported early saw it on its own card)
        verdict = None
    if dues and due < dues[0]:
        return Reading(None, None, first_due=dues[0], verdict=verdict)
    before = [d for d in dues if d < due]
    current = history.get(due)
    if not has_data(current):
        last = next((d for d in reversed(before) if has_data(history.get(d))), None)
        if last is None:
            return Reading(None, None, verdict=verdict, no_norm=current.no_norm if current is not None else 0)
        return Reading(history[last].value, last, stale=True, verdict=verdict)
    assert current is not None and current.value is not None
    everyone = of_everyone(target)
    if everyone and current.missing:
        return Reading(current.value, due, without=current.missing, verdict=verdict, no_norm=current.no_norm)
    base = next((d for d in reversed(before) if has_data(history.get(d))
                 and not (everyone and history[d].missing)), None)
    if base is None:
        return Reading(current.value, due, verdict=verdict, no_norm=current.no_norm)
    base_value = history[base].value
    assert base_value is not None
    return Reading(current.value, due, delta=current.value - base_value, against=base,
                   named=base != before[-1], verdict=verdict, no_norm=current.no_norm)
