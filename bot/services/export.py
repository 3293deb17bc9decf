"""The workbook a coordinator sends up (/export, `python -m bot export`): one per territory and period.

A cover sheet says what it is (roadmap, basis, territory, period, when and by whom it was made); a sheet per
form has a row per organization under Russian headers, grouped by municipality with subtotals and the
territory's total; a sheet of targets has each value against its goal with the verdict. Subtotals and totals
are the numbers /status shows: reports returned for revision are listed but not counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.figures_file import ID_HEADER
from bot.domain.models import Organization
from bot.domain.periods import Period, current_period, local_today
from bot.domain.periods import periods as periods_of
from bot.domain.roadmap import ORG_TYPE_NAMES, Form, Indicator, Roadmap, Target, Value
from bot.services.access import Actor
from bot.services.figures import Territory, Totals, in_form, needs_baselines, organization_percent, own_norm
from bot.services.item_progress import items_sheet
from bot.services.names import person_label
from bot.services.summary import SummaryService
from bot.services.summary_views import own_norm_state
from bot.views.message import File, Reply
from bot.views.sheets import DATETIME, DECIMAL, INTEGER, PERCENT, Sheet, report_workbook
from bot.words import texts
from bot.words.format import file_name, fmt_date, fmt_time, zone_name
from storage.directory import DirectoryRepo
from storage.people import PeopleRepo
from storage.reports import SOURCE_BEHALF, SOURCE_IMPORT, ExportRow, ReportRepo

FIXED = ["Муниципалитет", ID_HEADER, "Организация", "Тип"]  # the code column an import reads back


@dataclass(frozen=True)
class Export:
    """A workbook, or why there is none (`message`)."""

    data: bytes | None
    name: str
    message: str = ""


class ExportService:
    def __init__(self, summary: SummaryService, directory_repo: DirectoryRepo, report_repo: ReportRepo,
                 people_repo: PeopleRepo) -> None:
        self.summary = summary
        self.directory_repo = directory_repo
        self.report_repo = report_repo
        self.people_repo = people_repo

    async def export_for(self, actor: Actor, now: datetime, period_text: str,
                         args: Mapping[str, object] | None = None, peer: int | None = None) -> Reply:
        """/export [дд.мм.гггг] or «Excel» under a summary: the territory by organization, as a spreadsheet."""
        territory = await self.summary.scope_for(actor, args or {}, peer)
        if territory is None:
            return Reply(texts.VIEW_SCOPE_GONE if args else texts.NOT_ALLOWED)
        person = await self.people_repo.person(actor.person_id)
        made = await self.export(territory, now, period_text, person_label(person.full_name if person else None, actor.person_id))
        if made.data is None:
            return Reply(made.message)
        return Reply(texts.EXPORT_CAPTION.format(scope=territory.name), files=(File(made.name, made.data),))

    async def export(self, scope: Territory, now: datetime, period_text: str = "", by: str = "") -> Export:
        today = local_today(now, scope.timezone)
        wanted = None
        if period_text.strip():
            wanted = _parse_day(period_text)
            if wanted is None:
                return Export(None, "", texts.EXPORT_BAD_PERIOD)
        # a named period: any that existed, of every form that had it, at any later date (a plan that has ended
        # still exports); none named: the forms open today, or final results just after their end
        forms = await self.summary.current_forms(scope, today) if wanted is None else \
            [(rm, form, None, sub) for rm, form, sub in await self.summary.all_forms(scope)]
        if not forms:
            return Export(None, "", texts.EXPORT_NONE)
        sheets: list[Sheet] = []
        target_rows: list[list] = []
        target_totals: set[int] = set()
        periods: list[tuple[Form, Period]] = []
        roadmaps: dict[str, Roadmap] = {}
        reported = 0
        for rm, form, period, sub in forms:
            if wanted is not None:
                period = next((p for p in periods_of(form, rm) if p.due == wanted), None) or \
                    current_period(form, rm, wanted)
                if period is None or wanted < period.starts:  # a day before the form began names no period
                    continue
            roadmaps[rm.id] = rm
            periods.append((form, period))
            totals = await self.summary.figures(rm, form, period.key, sub)  # the /status numbers, for both sheets
            sheet, count = await self._form_sheet(rm, form, period, sub, totals)
            sheets.append(sheet)
            reported += count
            # judged when /status judges it: today while the period is open (the same verdict the chat shows at the
            # same minute), its due day once it has closed (what the period's figures meant at its end)
            await self._targets(rm, form, period, sub, totals, target_rows, target_totals, min(today, period.due))
        if not periods:
            return Export(None, "", texts.EXPORT_NO_PERIOD.format(date=fmt_date(wanted) if wanted else "",
                                                                  spans=self._spans(forms)))
        if reported == 0:
            return Export(None, "", texts.EXPORT_EMPTY.format(
                periods=", ".join(f"«{f.title}» до {fmt_date(p.due)}" for f, p in periods), scope=scope.name))
        covered = list({rm.id: (rm, sub) for rm, _, _, sub in forms if rm.id in roadmaps}.values())
        items = await items_sheet(covered, self.directory_repo, self.summary.item_repo, wanted or today)
        if target_rows:
            sheets.append(Sheet(texts.EXPORT_TARGETS_SHEET, texts.EXPORT_TARGETS_HEADER, target_rows,
                                frozenset(target_totals), {2: PERCENT, 3: PERCENT}, frozenset({0, 5})))
        if items is not None:
            sheets.append(items)
        local = now.astimezone(ZoneInfo(scope.timezone))
        cover = [
            (texts.EXPORT_COVER_ROADMAP, "; ".join(rm.roadmap.title for rm in roadmaps.values())),
            (texts.EXPORT_COVER_BASIS, "; ".join(rm.roadmap.basis or "—" for rm in roadmaps.values())),
            (texts.EXPORT_COVER_TERRITORY, scope.name),
            (texts.EXPORT_COVER_PERIOD, "; ".join(f"«{f.title}»: до {fmt_date(p.due)}" for f, p in periods)),
            (texts.EXPORT_COVER_MADE, f"{fmt_time(now, scope.timezone)} ({zone_name(local)})"),
            (texts.EXPORT_COVER_BY, by or texts.OPERATOR),
            (texts.EXPORT_COVER_NOTES, texts.EXPORT_NOTES),
        ]
        first = periods[0][1]
        data = report_workbook(texts.EXPORT_COVER_TITLE, cover, sheets)
        # two territories' or two periods' files never overwrite each other in a Downloads folder
        return Export(data, file_name([texts.EXPORT_FILE, scope.name, fmt_date(first.due)], "xlsx"))

    @staticmethod
    def _spans(forms: list) -> str:
        return "; ".join(f"«{form.title}» — с {fmt_date(periods_of(form, rm)[0].due)} по "
                         f"{fmt_date(periods_of(form, rm)[-1].due)}" for rm, form, _, _ in forms if periods_of(form, rm))

    async def _form_sheet(self, rm: Roadmap, form: Form, period: Period, sub: Territory,
                          totals: Totals) -> tuple[Sheet, int]:
        """The form's sheet and how many organizations' reports count in it."""
        munis = sorted(sub.municipalities, key=lambda m: m.name)
        orgs_by_muni: dict[int, list[Organization]] = {}
        for m in munis:
            orgs_by_muni[m.id] = [o for o in await self.directory_repo.organizations_of_municipality(m.id)
                                  if o.type in form.org_types and form.indicators_for(o.type)]
        ids = [o.id for orgs in orgs_by_muni.values() for o in orgs]
        data = await self.report_repo.export_rows(rm.id, form.id, period.key, ids)
        targets = [t for t in rm.target if in_form(t, form)]
        baselines = await self.directory_repo.baselines_for(ids) if any(needs_baselines(t) for t in targets) else {}
        indicators = list(form.indicator)
        zones = {m.timezone for m in munis}
        header = [*FIXED, *[_header(i) for i in indicators], *[_target_header(t) for t in targets],
                  texts.EXPORT_SUBMITTED if len(zones) == 1 else texts.EXPORT_SUBMITTED_ZONES, texts.EXPORT_FLAGS]
        first_target = len(FIXED) + len(indicators)
        formats = {len(FIXED) + n: _format(i) for n, i in enumerate(indicators) if _format(i)}
        formats.update({first_target + n: PERCENT for n in range(len(targets))})
        formats[len(header) - 2] = DATETIME
        rows: list[list] = []
        bold: set[int] = set()
        counted_total = 0
        for m in munis:
            orgs = orgs_by_muni[m.id]
            counted: list[dict[str, Value | None]] = []
            for o in orgs:
                row = data.get(o.id)
                figures = row.figures if row else {}
                if row is not None and not row.returned:
                    counted.append(figures)
                percents = [_organization_cell(t, o, figures, baselines.get(o.id, {})) if row else None
                            for t in targets]
                rows.append([m.name, o.id, o.name, ORG_TYPE_NAMES.get(o.type, o.type),
                             *[_cell(i, figures.get(i.key)) if i.applies_to(o.type) else None for i in indicators],
                             *percents,
                             _local(row.submitted_at, m.timezone) if row else texts.EXPORT_NOT_SENT,
                             _flags(row)])
            counted_total += len(counted)
            bold.add(len(rows))
            rows.append([texts.EXPORT_SUBTOTAL.format(name=m.name), "",
                         texts.EXPORT_REPORTED.format(n=len(counted), of=len(orgs)), "",
                         *[_sum(i, counted) for i in indicators],
                         *[_round(totals.target(t, muni=m.id)) for t in targets], "", ""])
        if len(munis) > 1:
            bold.add(len(rows))
            rows.append([texts.EXPORT_TOTAL.format(name=sub.name), "",
                         texts.EXPORT_REPORTED.format(n=counted_total, of=len(ids)), "",
                         *[_sum(i, [r.figures for r in data.values() if not r.returned]) for i in indicators],
                         *[_round(totals.target(t)) for t in targets], "", ""])
        title = f"{form.title} до {fmt_date(period.due)}"
        return Sheet(title, header, rows, frozenset(bold), formats, frozenset({len(header) - 1})), counted_total

    async def _targets(self, rm: Roadmap, form: Form, period: Period, sub: Territory, totals: Totals,
                       rows: list[list], totals_at: set[int], judged_on: date) -> None:
        """Each of the form's targets on the territory and its municipalities, with the verdict judged on
        `judged_on` (the sheet shows that period's value beside it)."""
        targets = [t for t in rm.target if in_form(t, form)]
        if not targets:
            return
        verdicts = await self.summary.verdicts(rm, form, period, sub, targets, judged_on)
        munis = sorted(sub.municipalities, key=lambda m: m.name)
        for t in targets:
            verdict = verdicts.get(t.key)
            totals_at.add(len(rows))
            rows.append([t.title, sub.name, _round(totals.target(t)), t.goal_value, _by(t),
                         texts.VERDICTS[verdict.kind].format(deadline=fmt_date(verdict.deadline),
                                                             value=t.shown(verdict.value)) if verdict else "",
                         f"«{form.title}» до {fmt_date(period.due)}", _unit(t)])
            if len(munis) > 1:
                rows += [[t.title, m.name, _round(totals.target(t, muni=m.id)), t.goal_value, _by(t), "", "",
                          _unit(t)] for m in munis]


def _local(at: datetime, timezone: str) -> datetime:
    """A date-time cell as the wall clock where the organization is reads it (cells carry no zone)."""
    return at.astimezone(ZoneInfo(timezone)).replace(tzinfo=None, second=0, microsecond=0)


def _unit(t: Target) -> str:
    """The «Цели» sheet's unit column: «%», or a ratio's unit (a ratio is a plain number, v3)."""
    return (t.unit or "") if t.kind == "ratio" else "%"


def _target_header(t: Target) -> str:
    """A target's column: a percent says «%», a ratio its unit (v3: no «%» on a ratio)."""
    if t.kind == "ratio":
        return f"{t.title}, {t.unit}" if t.unit else t.title
    return t.title if t.each is not None else f"{t.title}, %"


def _organization_cell(t: Target, org: Organization, figures: Mapping[str, Value | None],
                       baselines: Mapping[str, int]) -> float | str | None:
    """One organization's value of a target; an `each` target's is its own norm, met or not (v3)."""
    own = own_norm(t, org, figures, baselines)
    if own is not None:
        return own_norm_state(own) if t.numerator in figures else None
    return _round(organization_percent(t, org, figures, baselines))


def _header(ind: Indicator) -> str:
    return ind.header + (", %" if ind.kind == "percent" else "")


def _format(ind: Indicator) -> str | None:
    return {"count": INTEGER, "number": DECIMAL, "percent": PERCENT}.get(ind.kind)


def _cell(ind: Indicator, value: Value | None) -> Value | None:
    """A figure as a spreadsheet keeps it: numbers as numbers, yes/no as words."""
    if value is None:
        return None
    if ind.kind == "yesno":
        return texts.BTN_YES if value else texts.BTN_NO
    return value


def _sum(ind: Indicator, figures: list[dict[str, Value | None]]) -> int | float | None:
    """Counts and decimals add up; yes/no counts the «да»; a percent or a text has no sum."""
    if ind.kind not in ("count", "number", "yesno"):
        return None
    values = [v for f in figures if isinstance(v := f.get(ind.key), int | float)]
    return sum(values) if values else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _by(target: Target) -> str:
    return fmt_date(target.by) if target.by else ""


def _flags(row: ExportRow | None) -> str:
    if row is None:
        return ""
    flags = []
    if row.returned:
        flags.append(texts.EXPORT_FLAG_RETURNED.format(comment=row.return_comment or ""))
    if row.late:
        flags.append(texts.EXPORT_FLAG_LATE)
    for source in row.sources:
        if source == SOURCE_BEHALF:
            flags.append(texts.EXPORT_FLAG_BEHALF)
        elif source.startswith(SOURCE_IMPORT):
            flags.append(texts.EXPORT_FLAG_IMPORT.format(file=source.removeprefix(SOURCE_IMPORT)))
    return "; ".join(flags)


def _parse_day(text: str) -> date | None:
    text = text.strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None

