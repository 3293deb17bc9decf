"""Where a territory stands on a form's period: coverage and each target against its goal.

Values exactly as the contract defines them: sum(numerator) / sum(denominator) over the
period's latest figures; `@organizations` counts the organizations of those types in the
directory. Pure functions over plain data, so they are tested without VK or SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.models import Organization

from . import texts
from .roadmap import Form, Roadmap, Target


@dataclass(frozen=True)
class TargetValue:
    target: Target
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return self.numerator / self.denominator * 100 if self.denominator > 0 else None


@dataclass(frozen=True)
class Summary:
    expected: list[Organization]
    reported: list[Organization]
    targets: list[TargetValue]

    @property
    def missing(self) -> list[Organization]:
        done = {o.id for o in self.reported}
        return [o for o in self.expected if o.id not in done]


def expected_organizations(form: Form, organizations: list[Organization]) -> list[Organization]:
    return [o for o in organizations if o.type in form.org_types and form.indicators_for(o.type)]


def target_value(target: Target, organizations: list[Organization], figures: dict[str, dict[str, int]]) -> TargetValue:
    counted = [o for o in organizations if target.org_types is None or o.type in target.org_types]
    num = sum(figures.get(o.id, {}).get(target.numerator, 0) for o in counted)
    if target.denominator == "@organizations":
        den = len(counted)
    else:
        den = sum(figures.get(o.id, {}).get(target.denominator, 0) for o in counted)
    return TargetValue(target, num, den)


def summarize(roadmap: Roadmap, form: Form, organizations: list[Organization],
              figures: dict[str, dict[str, int]]) -> Summary:
    """`organizations`: every organization of the territory; `figures`: the period's, by organization."""
    expected = expected_organizations(form, organizations)
    reported = [o for o in expected if o.id in figures]
    form_keys = {i.key for i in form.indicator}
    targets = [target_value(t, organizations, figures) for t in roadmap.target
               if t.numerator in form_keys and (t.denominator == "@organizations" or t.denominator in form_keys)]
    return Summary(expected, reported, targets)


def fmt_percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + " %"


def render(title: str, period: str, scope: str, summary: Summary, previous: Summary | None) -> str:
    lines = [texts.SUMMARY_HEAD.format(title=title, period=period, scope=scope)]
    share = len(summary.reported) / len(summary.expected) * 100 if summary.expected else None
    lines.append(texts.SUMMARY_COVERAGE.format(reported=len(summary.reported), expected=len(summary.expected),
                                               percent=fmt_percent(share)))
    before = {tv.target.key: tv.percent for tv in previous.targets} if previous else {}
    for tv in summary.targets:
        if tv.percent is None:
            lines.append(texts.SUMMARY_NO_DATA.format(title=tv.target.title))
            continue
        trend = ""
        old = before.get(tv.target.key)
        if old is not None:
            delta = tv.percent - old
            trend = f", {'↑' if delta > 0 else '↓' if delta < 0 else '='} {delta:+.1f} п.п.".replace(".", ",")
        lines.append(texts.SUMMARY_TARGET.format(title=tv.target.title, percent=fmt_percent(tv.percent),
                                                 goal=f"{tv.target.goal_percent:g}", trend=trend))
    if summary.missing:
        lines.append(texts.SUMMARY_MISSING.format(names="; ".join(o.name for o in summary.missing)))
    return "\n".join(lines)
