"""What a territory's figures are, apart from how any screen shows them: one form's period summed over a set of
municipalities (`Totals`), the territory a summary covers, which targets a form leads with, how municipalities
rank, whether a value meets its goal, an item's open due dates. Every view — /status, the scheduled summary, the
organization's card, the Excel — reads these; nothing here makes text.

Sums are computed in SQL per (municipality, organization type, indicator), so a region or the whole country costs
one grouped query per period, not a row per organization."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.domain.models import Municipality, Organization
from bot.domain.roadmap import Form, Item, Roadmap, Target, Value
from bot.domain.schedule import item_state
from bot.domain.verdicts import meets as verdict_meets


class Totals:
    """One form's period over a set of municipalities, summed in SQL and indexed by municipality,
    so totals and per-municipality values are dictionary look-ups (2,000 municipalities x 8,000
    entries would otherwise be a scan each)."""

    def __init__(self, sums: dict[tuple[int, str, str], int], reported: dict[tuple[int, str], int],
                 in_directory: dict[tuple[int, str], int],
                 baselines: dict[tuple[int, str, str], int] | None = None, form: Form | None = None) -> None:
        self.form = form
        # v2: sums of the directory's baselines over every organization counted, reported or not
        self.baselines: dict[int | None, dict[tuple[str, str], int]] = {None: {}}
        for (m, t, k), v in (baselines or {}).items():
            self.baselines.setdefault(m, {})[(t, k)] = v
            self.baselines[None][(t, k)] = self.baselines[None].get((t, k), 0) + v
        self.sums: dict[int | None, dict[tuple[str, str], int]] = {None: {}}
        for (m, t, k), v in sums.items():
            self.sums.setdefault(m, {})[(t, k)] = v
            self.sums[None][(t, k)] = self.sums[None].get((t, k), 0) + v
        self.reported: dict[int | None, dict[str, int]] = {None: {}}
        for (m, t), n in reported.items():
            self.reported.setdefault(m, {})[t] = n
            self.reported[None][t] = self.reported[None].get(t, 0) + n
        self.in_directory: dict[int | None, dict[str, int]] = {None: {}}
        for (m, t), n in in_directory.items():
            self.in_directory.setdefault(m, {})[t] = n
            self.in_directory[None][t] = self.in_directory[None].get(t, 0) + n

    def expected(self, form: Form, muni: int | None = None, org_type: str | None = None) -> int:
        return sum(n for t, n in self.in_directory.get(muni, {}).items()
                   if t in form.org_types and form.indicators_for(t) and (org_type is None or t == org_type))

    def reported_count(self, muni: int | None = None, org_type: str | None = None) -> int:
        return sum(n for t, n in self.reported.get(muni, {}).items() if org_type is None or t == org_type)

    def not_reported(self, target: Target, muni: int | None = None) -> int:
        """How many organizations the target counts have not reported (a returned report counts as not sent)."""
        counted = counted_types(target, self.form) if self.form is not None else None
        types = [t for t in self.in_directory.get(muni, {})
                 if (target.org_types is None or t in target.org_types) and (counted is None or t in counted)]
        return sum(max(0, self.in_directory[muni][t] - self.reported.get(muni, {}).get(t, 0)) for t in types)

    def target(self, target: Target, muni: int | None = None, org_type: str | None = None) -> float | None:
        counted = counted_types(target, self.form) if self.form is not None else None

        def ok(t: str) -> bool:
            return (org_type is None or t == org_type) and (target.org_types is None or t in target.org_types) \
                and (counted is None or t in counted)

        sums = self.sums.get(muni, {})
        num = sum(v for (t, k), v in sums.items() if k == target.numerator and ok(t))
        if target.denominator == "@organizations":
            den = sum(n for t, n in self.in_directory.get(muni, {}).items() if ok(t))
        elif target.denominator.startswith("@baseline."):
            # a share of everyone: those who have not reported add nothing above and their baseline below;
            # an organization the directory has no baseline for is left out of both (nothing to compare with)
            key = target.denominator.removeprefix("@baseline.")
            num = sum(v for (t, k), v in sums.items() if k == f"{target.numerator}@{key}" and ok(t))
            den = sum(v for (t, k), v in self.baselines.get(muni, {}).items() if k == key and ok(t))
        else:
            den = sum(v for (t, k), v in sums.items() if k == target.denominator and ok(t))
        return num / den * 100 if den > 0 else None

    def add(self, muni: int, org_type: str, key: str, value: int) -> None:
        self.sums.setdefault(muni, {})[(org_type, key)] = value
        self.sums[None][(org_type, key)] = self.sums[None].get((org_type, key), 0) + value

    def add_reported(self, muni: int, org_type: str, count: int) -> None:
        self.reported.setdefault(muni, {})[org_type] = count
        self.reported[None][org_type] = self.reported[None].get(org_type, 0) + count


@dataclass(frozen=True)
class Territory:
    """What a summary covers: a municipality, a region or the country, with its municipalities."""

    level: str  # 'municipality' | 'region' | 'country'
    id: int
    name: str
    municipalities: list[Municipality]
    timezone: str


def counted_types(target: Target, form: Form) -> set[str]:
    """The organization types a target counts in a form: those the form asks its numerator (an organization
    never asked can add nothing above, so its count or baseline is not put below either)."""
    return {t for t in form.org_types if any(i.key == target.numerator for i in form.indicators_for(t))}


def baseline_keys(roadmap: Roadmap, form: Form) -> list[str]:
    return sorted({t.denominator.removeprefix("@baseline.") for t in roadmap.target
                   if t.denominator.startswith("@baseline.") and in_form(t, form)})


def in_form(target: Target, form: Form) -> bool:
    keys = {i.key for i in form.indicator}
    return target.numerator in keys and (target.denominator == "@organizations" or target.denominator in keys
                                         or target.denominator.startswith("@baseline."))


def organization_percent(target: Target, org: Organization, figures: Mapping[str, Value | None],
                 baselines: Mapping[str, int] | None = None) -> float | None:
    fraction = target.fraction(org.type, figures, baselines or {})
    return fraction[0] / fraction[1] * 100 if fraction else None


def headline(targets: list[Target], form: Form) -> list[Target]:
    """The targets a summary leads with, in the roadmap's order: those with a goal, but not a per-type variant of
    another one with a goal (the same fraction over fewer organization types: one tap away, «По типам»); a form
    whose targets are all monitored shows its first."""
    def variant(t: Target, of: Target) -> bool:
        wider = of.org_types is None or (t.org_types is not None and set(t.org_types) < set(of.org_types))
        return of is not t and of.goal_percent is not None and wider and t.org_types is not None \
            and (of.numerator, of.denominator) == (t.numerator, t.denominator)

    judged = [t for t in targets if t.goal_percent is not None and not any(variant(t, u) for u in targets)]
    return judged or targets[:1]


def ranking(form: Form, scope: Territory, figs: Totals, main: Target) -> list[tuple[float | None, str, int, int]]:
    """(value, name, reported, expected) of each municipality the form asks, the lowest first (no data lowest)."""
    rows = []
    for m in scope.municipalities:
        expected = figs.expected(form, muni=m.id)
        if expected:
            rows.append((figs.target(main, muni=m.id), m.name, figs.reported_count(muni=m.id), expected))
    rows.sort(key=lambda r: (float("-inf") if r[0] is None else badness(main, r[0]), r[1]))
    return rows


def badness(target: Target, value: float) -> float:
    """A sort key, the worst first: the lowest value (the highest for «at most»; the farthest from an exact goal)."""
    if target.direction == "exactly" and target.goal_percent is not None:
        return -abs(value - target.goal_percent)
    return -value if target.direction == "at_most" else value


def meets(target: Target, value: float | None) -> bool:
    """The value is at its goal already (a monitored target has none: nobody is behind it)."""
    if target.goal_percent is None:
        return True
    if value is None:
        return False
    return verdict_meets(target, value)  # one rule for every view: bot/domain/verdicts.py


@dataclass(frozen=True)
class ItemState:
    """An item not confirmed by everyone responsible: its due dates passed, and each open one with who has not."""

    item: Item
    passed: list[date]
    pending: list[tuple[date, list[str]]]

    def overdue(self, today: date) -> bool:
        return item_state(self.item, self.pending[0][0], today) == "overdue"

    def missed(self, today: date) -> int:
        return sum(1 for occ, _ in self.pending if item_state(self.item, occ, today) == "overdue")
