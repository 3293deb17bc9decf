"""A target's verdict against its deadline (format v2): met or not met on `by`, on track or behind before it.

Pure: the caller gives the target's value in each period of its form (None: no data) and today's date.

- On or after `by`: the value of the last period due on or before it decides — met when it is at least the goal (at most,
  for `direction = "at_most"`; equal at the precision shown, for v3's `"exactly"`). With v3's `report_by` the last
  period due on or before `report_by` decides, and from that day on.
- Before it: on track when the latest value already meets the goal, or when the pace of the last two periods
  with data (change per period), kept up over the periods still due up to `by`, would reach it; behind
  otherwise. With a single value short of the goal there is no pace yet.
- A target without a goal (`goal_percent`, a ratio's `goal`) is monitored only, and one without `by` has no deadline: no verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.domain.roadmap import Target

VerdictKind = Literal["met", "not_met", "on_track", "behind", "no_pace", "no_data"]


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    deadline: date
    value: float | None = None  # the value on the deadline (met / not met)


def meets(target: Target, value: float) -> bool:
    goal = target.goal_value
    assert goal is not None
    # compared at the precision people read (one decimal): 99,96 % shown as «100,0 %» is not "not met"
    shown = round(value, 1)
    if target.direction == "exactly":  # v3: equal at the precision shown
        return shown == round(goal, 1)
    return shown <= goal if target.direction == "at_most" else shown >= goal


def judge(target: Target, dues: list[date], values: dict[date, float | None], today: date) -> Verdict | None:
    """`dues`: every period of the target's form, in order (those ahead too: they are the time left);
    `values`: the target's value in the periods so far (None or absent: no data)."""
    if target.goal_value is None or target.by is None:
        return None
    deadline = target.by
    # v3 `report_by`: the state due `by` is measured by a check ending then — its value decides, from that day on
    decided = max(target.report_by or deadline, deadline)
    known = [(due, v) for due in dues if (v := values.get(due)) is not None and due <= min(today, decided)]
    if today >= decided:
        if not known:
            return Verdict("no_data", deadline)
        return Verdict("met" if meets(target, known[-1][1]) else "not_met", deadline, known[-1][1])
    if not known:
        return Verdict("no_data", deadline)
    (now_due, now), previous = known[-1], known[-2] if len(known) > 1 else None
    if meets(target, now):
        return Verdict("on_track", deadline)
    if target.direction == "exactly":
        return Verdict("behind", deadline)  # an exact goal has no pace: equal is on track, anything else behind
    if previous is None:
        return Verdict("no_pace", deadline)
    pace = (now - previous[1]) / (dues.index(now_due) - dues.index(previous[0]))
    left = sum(1 for due in dues if now_due < due <= deadline)
    return Verdict("on_track" if meets(target, now + pace * left) else "behind", deadline)
