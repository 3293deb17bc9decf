"""What a territory's figures are, apart from how any screen shows them: one form's period summed over a set of
municipalities (`Totals`), the territory a summary covers, which targets a form leads with, how municipalities
rank, whether a value meets its goal, an item's open due dates. Every view — /status, the scheduled summary, the
organization's card, the Excel — reads these; nothing here makes text.

Sums are computed in SQL per (municipality, organization type, indicator), so a region or the whole country costs
one grouped query per period, not a row per organization."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from bot.domain.models import Municipality, Organization
from bot.domain.roadmap import Form, Item, Roadmap, Target, Value
from bot.domain.schedule import item_state
from bot.domain.verdicts import meets as verdict_meets
from storage.reports import NormQuery


class Totals:
    """One form's period over a set of municipalities, summed in SQL and indexed by municipality,
    so totals and per-municipality values are dictionary look-ups (2,000 municipalities x 8,000
    entries would otherwise be a scan each)."""

    def __init__(self, sums: dict[tuple[int, str, str], int], reported: dict[tuple[int, str], int],
                 in_directory: dict[tuple[int, str], int],
                 baselines: dict[tuple[int, str, str], int] | None = None, form: Form | None = None,
                 baseline_counts: dict[tuple[int, str, str], int] | None = None) -> None:
        self.form = form
        # v3 `each` over a directory column: how many organizations have a norm there
        self.baseline_counts: dict[int | None, dict[tuple[str, str], int]] = {None: {}}
        for (m, t, k), v in (baseline_counts or {}).items():
            self.baseline_counts.setdefault(m, {})[(t, k)] = v
            self.baseline_counts[None][(t, k)] = self.baseline_counts[None].get((t, k), 0) + v
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
        if target.each is not None:
            # v3: the share of organizations meeting their own norm, of everyone whose norm is known
            num = sum(v for (t, k), v in sums.items() if k == f"each:{target.key}" and ok(t))
            den = self._with_norm(target, muni, ok)
        elif target.denominator == "@organizations":
            den = sum(n for t, n in self.in_directory.get(muni, {}).items() if ok(t))
        elif target.denominator.startswith("@baseline."):
            # a share of everyone: those who have not reported add nothing above and their baseline below;
            # an organization the directory has no baseline for is left out of both (nothing to compare with)
            key = target.denominator.removeprefix("@baseline.")
            num = sum(v for (t, k), v in sums.items() if k == f"{target.numerator}@{key}" and ok(t))
            den = sum(v for (t, k), v in self.baselines.get(muni, {}).items() if k == key and ok(t))
        else:
            den = sum(v for (t, k), v in sums.items() if k == target.denominator and ok(t))
        return target.value(num, den)

    def _with_norm(self, target: Target, muni: int | None, ok: Callable[[str], bool]) -> int:
        """Organizations an `each` target judges: those with a known norm, less those not asked its numerator."""
        sums = self.sums.get(muni, {})
        reported = lambda prefix: sum(v for (t, k), v in sums.items() if k == f"{prefix}:{target.key}" and ok(t))  # noqa: E731
        column = norm_column(target)
        if column is not None:
            return sum(n for (t, k), n in self.baseline_counts.get(muni, {}).items() if k == column and ok(t)) \
                - reported("each-")
        return sum(n for t, n in self.in_directory.get(muni, {}).items() if ok(t)) - reported("each?") \
            - reported("each-")

    def no_norm(self, target: Target, muni: int | None = None) -> int:
        """How many organizations an `each` target cannot judge: no norm in the directory, or (a norm from an
        answer) reported without it. 0 for any other target."""
        if target.each is None:
            return 0
        counted = counted_types(target, self.form) if self.form is not None else None

        def ok(t: str) -> bool:
            return (target.org_types is None or t in target.org_types) and (counted is None or t in counted)

        column = norm_column(target)
        if column is not None:
            everyone = sum(n for t, n in self.in_directory.get(muni, {}).items() if ok(t))
            return everyone - sum(n for (t, k), n in self.baseline_counts.get(muni, {}).items()
                                  if k == column and ok(t))
        return sum(v for (t, k), v in self.sums.get(muni, {}).items() if k == f"each?:{target.key}" and ok(t))

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


def norm_column(target: Target) -> str | None:
    """The directory column an `each` target's norm is read from, if it is one."""
    if target.each is None:
        return None
    operand = target.each.comparison[1]
    return operand.removeprefix("@baseline.") if isinstance(operand, str) and operand.startswith("@baseline.") \
        else None


def needs_baselines(target: Target) -> bool:
    """The target reads the organization's own directory values (a known total, or a norm)."""
    return target.denominator.startswith("@baseline.") or norm_column(target) is not None


def norm_queries(roadmap: Roadmap, form: Form) -> list[NormQuery]:
    """The form's `each` targets as the counts storage makes of them."""
    out = []
    for t in roadmap.target:
        if t.each is None or not in_form(t, form):
            continue
        op, operand = t.each.comparison
        column = norm_column(t)
        source = "baseline" if column is not None else "indicator" if isinstance(operand, str) else "number"
        out.append(NormQuery(t.key, t.numerator, op, source, column if column is not None else operand))
    return out


def norm_columns(roadmap: Roadmap, form: Form) -> list[str]:
    return sorted({c for t in roadmap.target if in_form(t, form) and (c := norm_column(t)) is not None})


def baseline_keys(roadmap: Roadmap, form: Form) -> list[str]:
    return sorted({t.denominator.removeprefix("@baseline.") for t in roadmap.target
                   if t.denominator.startswith("@baseline.") and in_form(t, form)})


def in_form(target: Target, form: Form) -> bool:
    keys = {i.key for i in form.indicator}
    return target.numerator in keys and (target.denominator == "@organizations" or target.denominator in keys
                                         or target.denominator.startswith("@baseline."))


def organization_percent(target: Target, org: Organization, figures: Mapping[str, Value | None],
                 baselines: Mapping[str, int] | None = None) -> float | None:
    """The organization's own value of a target (a percent, or a ratio's number)."""
    fraction = target.fraction(org.type, figures, baselines or {})
    return target.value(*fraction) if fraction else None


@dataclass(frozen=True)
class OwnNorm:
    """An `each` target for one organization: its own norm (None: not known) and whether it meets it."""

    norm: float | None
    met: bool


def own_norm(target: Target, org: Organization, figures: Mapping[str, Value | None],
             baselines: Mapping[str, int] | None = None) -> OwnNorm | None:
    """None when the target is not an `each` one or does not count this organization's type."""
    if target.each is None or (target.org_types is not None and org.type not in target.org_types):
        return None
    fraction = target.fraction(org.type, figures, baselines or {})
    return OwnNorm(target.each.norm_of(figures, baselines or {}), bool(fraction and fraction[0]))


def headline(targets: list[Target], form: Form) -> list[Target]:
    """The targets a summary leads with, in the roadmap's order: those with a goal, but not a per-type variant of
    another one with a goal (the same fraction over fewer organization types: one tap away, «По типам»); a form
    whose targets are all monitored shows its first."""
    def variant(t: Target, of: Target) -> bool:
        wider = of.org_types is None or (t.org_types is not None and set(t.org_types) < set(of.org_types))
        return of is not t and of.goal_value is not None and wider and t.org_types is not None \
            and (of.numerator, of.denominator) == (t.numerator, t.denominator)

    judged = [t for t in targets if t.goal_value is not None and not any(variant(t, u) for u in targets)]
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
    if target.direction == "exactly" and target.goal_value is not None:
        return -abs(value - target.goal_value)
    return -value if target.direction == "at_most" else value


def meets(target: Target, value: float | None) -> bool:
    """The value is at its goal already (a monitored target has none: nobody is behind it)."""
    if target.goal_value is None:
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
