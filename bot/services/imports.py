"""Figures from a file: platform statistics a coordinator (or the operator) has as a spreadsheet.

A file is first planned (what would be new, changed, unchanged or refused, and why) and applied only on
request; a file with any refused row applies nothing. Applying is one transaction: a crash halfway leaves
the database as it was. Imported figures carry the file's name as their source (history, exports), and a
later answer by the school is a change like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot.domain.dialog import Dialog
from bot.domain.figures_file import (
    ID_HEADER,
    Cell,
    FigureRow,
    FigureTable,
    FileProblem,
    cell_text,
    match_columns,
    norm_header,
    read_figures,
)
from bot.domain.forms import Invalid, above_baseline, check_value, parse_answer
from bot.domain.models import Conversation, Municipality, Organization
from bot.domain.periods import Period, current_period, local_today, period_by_key, summary_instant
from bot.domain.periods import periods as periods_of
from bot.domain.roadmap import ORG_TYPE_NAMES, Form, Indicator, Roadmap, Value
from bot.services.access import AccessService, Actor
from bot.services.names import person_label
from bot.services.reading import FileReader
from bot.services.roadmaps import RoadmapCache
from bot.services.summary import SummaryService
from bot.views.message import Button, Document, File, Reply
from bot.views.sheets import Sheet, report_workbook
from bot.words import texts
from bot.words.commands import CommandId
from bot.words.format import file_name, fmt_answer, fmt_date, fmt_number, fmt_time, short
from storage.chats import ConversationRepo
from storage.directory import DirectoryRepo
from storage.reports import SOURCE_IMPORT, ReportRepo, Submission, same_value

NEW, CHANGED, UNCHANGED, REFUSED = "new", "changed", "unchanged", "refused"
APPLY = CommandId.APPLY_IMPORT


def confirm_buttons() -> list[list[Button]]:
    """The buttons under a checked file: «Применить» writes it, «Отмена» drops it (declared here only)."""
    return [[Button(texts.BTN_APPLY, APPLY), Button(texts.BTN_CANCEL, CommandId.CANCEL)]]
MAX_FILES = 5
SHOWN = 15  # refused rows and changes listed in a preview; the rest are counted


@dataclass(frozen=True)
class PlannedRow:
    number: int  # the spreadsheet's row number
    organization_id: str
    status: str
    answers: dict[str, Value] = field(default_factory=dict)
    changes: list[tuple[str, Value | None, Value]] = field(default_factory=list)  # indicator, old, new
    reasons: list[str] = field(default_factory=list)
    above: list[tuple[str, int]] = field(default_factory=list)  # (indicator, baseline): a share above 100 %


@dataclass
class ImportPlan:
    file: str
    problems: list[str]  # the file as a whole cannot be used
    roadmap: Roadmap | None = None
    form: Form | None = None
    period: Period | None = None
    rows: list[PlannedRow] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # organization id -> name, for the preview
    skipped: list[str] = field(default_factory=list)  # columns that name nothing in the form: read past, and said

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def refused(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.status == REFUSED]

    @property
    def applicable(self) -> bool:
        """Nothing wrong and something to write."""
        return not self.problems and not self.refused and any(r.status in (NEW, CHANGED) for r in self.rows)

    def to_rows(self) -> list[list]:
        """The parsed rows, to keep in a conversation until «Применить» (re-checked then)."""
        return [[r.number, r.organization_id, r.answers] for r in self.rows if r.status in (NEW, CHANGED)]


@dataclass(frozen=True)
class Applied:
    new: int
    changed: int


class ImportService:
    def __init__(self, roadmaps: RoadmapCache, directory_repo: DirectoryRepo, report_repo: ReportRepo,
                 access: AccessService, default_timezone: str, summary: SummaryService,
                 conversation_repo: ConversationRepo, reader: FileReader | None = None) -> None:
        self.roadmaps = roadmaps
        self.directory_repo = directory_repo
        self.report_repo = report_repo
        self.access = access
        self.default_timezone = default_timezone
        self.summary = summary
        self.conversation_repo = conversation_repo
        self.reader = reader or FileReader()

    # -- in a private message ------------------------------------------------------------------

    async def receive(self, actor: Actor, documents: tuple[Document, ...], now: datetime) -> Reply:
        """A coordinator sent a file: what it would change, and «Применить» when it may be applied."""
        if not actor.is_coordinator:
            return Reply(texts.IMPORT_NOT_COORDINATOR)
        doc = next((d for d in documents if d.name.lower().endswith((".xlsx", ".csv", ".txt"))), documents[0])
        if doc.data is None:
            said = {"too_big": texts.IMPORT_TOO_BIG, "not_allowed": texts.IMPORT_NOT_FROM_MESSENGER}
            return Reply(said.get(doc.problem, texts.IMPORT_NOT_DOWNLOADED).format(name=short(doc.name, 60)))
        if not isinstance(doc.table, FigureTable):
            doc = await self.read(doc)  # not read before the handler (a test calling the service directly)
        if doc.unreadable or not isinstance(doc.table, FigureTable):
            plan = ImportPlan(doc.name, [doc.unreadable or texts.IMPORT_UNREADABLE])
        else:
            plan = await self._plan(actor, doc.name, doc.table, now, None)
        if not plan.applicable:
            return Reply(self.preview_text(plan, ""))
        return await self._offer(actor, plan, "")

    async def _offer(self, actor: Actor, plan: ImportPlan, lead: str,
                     reports: dict[str, Submission] | None = None) -> Reply:
        """The preview with «Применить», the plan kept with what each row's organization had when it was made."""
        assert plan.roadmap and plan.form and plan.period
        stamps = _stamps(plan, reports if reports is not None else await self._reports(plan))
        await self.conversation_repo.set(actor.person_id, Dialog.IMPORT_CONFIRM, {
            "file": plan.file, "rm": plan.roadmap.id, "form": plan.form.id, "period": plan.period.key,
            "rows": plan.to_rows(), "seen": stamps})
        text = self.preview_text(plan, texts.IMPORT_APPLY_CHAT)
        return Reply(f"{lead}\n\n{text}" if lead else text, confirm_buttons())

    @staticmethod
    def waiting() -> Reply:
        """Something else written while a checked file waits: what it waits for, with the same buttons."""
        return Reply(texts.IMPORT_WAITING, confirm_buttons())

    async def _reports(self, plan: ImportPlan) -> dict[str, Submission]:
        """The period's reports of the organizations the plan writes, as they are now."""
        assert plan.roadmap and plan.form and plan.period
        return await self.report_repo.stamps(plan.roadmap.id, plan.form.id, plan.period.key, _written(plan))

    async def confirm(self, actor: Actor, now: datetime, conversation: Conversation | None) -> Reply:
        """«Применить»: the kept file checked again (roles, directory, figures may have moved) and applied."""
        conv = conversation or await self.conversation_repo.get(actor.person_id)
        if conv is None or conv.state != Dialog.IMPORT_CONFIRM:
            return Reply(texts.IMPORT_NOTHING_PENDING)
        await self.conversation_repo.clear(actor.person_id)
        data = conv.data
        fresh = await self.access.actor(actor.person_id)
        if not fresh.is_coordinator:
            return Reply(texts.NOT_ALLOWED)
        plan = await self.replan(fresh, str(data.get("file", "")), str(data.get("rm", "")), str(data.get("form", "")),
                                 str(data.get("period", "")), list(data.get("rows") or []), now)
        if not plan.applicable:
            return Reply(self.preview_text(plan, ""))
        seen = data.get("seen")
        reports = await self._reports(plan)
        moved = [org for org, stamp in _stamps(plan, reports).items()
                 if not isinstance(seen, dict) or seen.get(org) != stamp]
        if moved:  # someone sent, revised or returned a report since the preview: what was shown is not applied
            return await self._offer(fresh, plan, await self._moved_text(plan, moved, reports), reports)
        done = await self.apply(plan, actor.person_id, now)
        return Reply(texts.IMPORT_APPLIED.format(file=plan.file, new=done.new, changed=done.changed))

    async def read(self, doc: Document) -> Document:
        """The file's table, read off the event loop (bot/services/reading.py) and before the handler's transaction
        (the database is not held while it is read). The caps (bot/domain/figures_file.py, Caps) bound the time and
        memory of each file."""
        if doc.data is None:
            return doc
        try:
            return replace(doc, table=await self.reader.read(doc.name, doc.data))
        except FileProblem as e:
            return replace(doc, unreadable=e.message)

    async def _moved_text(self, plan: ImportPlan, moved: list[str], reports: dict[str, Submission]) -> str:
        lines = [texts.IMPORT_MOVED]
        for org in moved[:SHOWN]:
            sub = reports.get(org)
            name = plan.names.get(org, org)
            if sub is None:
                lines.append(texts.IMPORT_MOVED_GONE.format(organization=name))
                continue
            by, at = (sub.returned_by, sub.returned_at) if sub.returned_at else (sub.updated_by, sub.updated_at)
            person = await self.access.people_repo.person(by) if by else None
            who = person_label(person.full_name if person else None, by) if by else texts.SOMEONE
            what = texts.IMPORT_MOVED_RETURNED if sub.returned_at else texts.IMPORT_MOVED_SENT
            lines.append(what.format(organization=name, who=who,
                                     at=fmt_time(at, self.default_timezone, zone=True)))
        if len(moved) > SHOWN:
            lines.append(texts.IMPORT_MORE.format(n=len(moved) - SHOWN))
        return "\n".join(lines)

    async def template(self, actor: Actor, now: datetime) -> Reply:
        """/template: a workbook per open form, the territory's organizations listed, figures to fill."""
        territory = await self.summary.default_territory(actor) if actor.is_coordinator else None
        if territory is None:
            return Reply(texts.NOT_ALLOWED)
        forms = await self.summary.current_forms(territory, local_today(now, territory.timezone))
        files = []
        for rm, form, period, sub in forms:
            munis = sorted(sub.municipalities, key=lambda m: m.name)
            rows = [[o.id, o.name, m.name, *[None for _ in form.indicator]] for m in munis
                    for o in await self.directory_repo.organizations_of_municipality(m.id)
                    if o.type in form.org_types and form.indicators_for(o.type)]
            header = [ID_HEADER, "Название", "Муниципалитет", *[i.header for i in form.indicator]]
            sheet = Sheet(f"{form.title} до {fmt_date(period.due)}", header, rows, frozenset(), {}, frozenset())
            files.append(File(file_name([texts.TEMPLATE_FILE, form.title, territory.name, fmt_date(period.due)], "xlsx"),
                              report_workbook(texts.TEMPLATE_TITLE, [
                                  (texts.EXPORT_COVER_ROADMAP, rm.roadmap.title),
                                  (texts.EXPORT_COVER_PERIOD, f"«{form.title}»: до {fmt_date(period.due)}"),
                                  (texts.EXPORT_COVER_TERRITORY, territory.name),
                                  (texts.EXPORT_COVER_NOTES, texts.TEMPLATE_NOTES)], [sheet], data_first=True)))
        if not files:
            return Reply(texts.EXPORT_NONE)
        return Reply(texts.TEMPLATE_CAPTION.format(scope=territory.name), files=tuple(files[:MAX_FILES]))

    async def plan(self, actor: Actor | None, name: str, data: bytes, now: datetime,
                   due: date | None = None) -> ImportPlan:
        """What the file would do. `actor` None is the operator (every organization); a coordinator's
        organizations outside their territory are refused."""
        try:
            table = read_figures(name, data, self.reader.caps)
        except FileProblem as e:
            return ImportPlan(name, [e.message])
        return await self._plan(actor, name, table, now, due)

    async def _plan(self, actor: Actor | None, name: str, table: FigureTable, now: datetime, due: date | None,
                    form_of: tuple[Roadmap, Form, dict[int, Indicator]] | None = None) -> ImportPlan:
        chosen = form_of or await self._form_for(table.headers)
        if isinstance(chosen, str):
            return ImportPlan(name, [chosen])
        roadmap, form, columns = chosen
        # the export's own target percentages are read past without a word; anything else read past is named
        own = {norm_header(f"{t.title}, %") for t in roadmap.target}
        plan = ImportPlan(name, [], roadmap, form,
                          skipped=[h for h in match_columns(table.headers, form)[1] if norm_header(h) not in own])
        ids = list(dict.fromkeys(r.organization_id for r in table.rows if r.organization_id))
        orgs = await self.directory_repo.organizations(ids)
        munis = {m.id: m for m in await self.directory_repo.all_municipalities()}
        first = next(iter(orgs.values()), None)
        zone = munis[first.municipality_id].timezone if first and first.municipality_id in munis \
            else self.default_timezone
        period = period_by_key(form, roadmap, due.isoformat()) if due else \
            current_period(form, roadmap, local_today(now, zone))
        if period is None:
            if due:
                # the form's own range and the nearest due date: a date out of the plan or off by a day is said so
                dues = [p.due for p in periods_of(form, roadmap)]
                nearest = min(dues, key=lambda d: abs((d - due).days)) if dues else None
                plan.problems.append(texts.IMPORT_NO_PERIOD.format(form=form.title, date=fmt_date(due)) + (
                    texts.IMPORT_PERIODS_ARE.format(first=fmt_date(dues[0]), last=fmt_date(dues[-1]),
                                                    nearest=fmt_date(nearest)) if nearest else ""))
            else:
                plan.problems.append(texts.IMPORT_NO_CURRENT.format(form=form.title))
            return plan
        plan.period = period
        if not table.rows:
            plan.problems.append(texts.IMPORT_EMPTY)
            return plan
        overseen = await self.access.overseen_municipalities(actor) if actor is not None else None
        existing = await self.report_repo.period_figures(roadmap.id, form.id, period.key, ids, counted=False)
        plan.names = {o.id: o.name for o in orgs.values()}
        indicators = {i.key: i for i in form.indicator}
        with_baselines = any(t.denominator.startswith("@baseline.") for t in roadmap.target)
        baselines = await self.directory_repo.baselines_for(ids) if with_baselines else {}
        seen: dict[str, int] = {}
        for row in table.rows:
            org = orgs.get(row.organization_id)
            reasons: list[str] = []
            if not row.organization_id:
                reasons.append(texts.IMPORT_NO_ORG_ID)
            elif org is None:
                reasons.append(texts.IMPORT_UNKNOWN_ORG.format(id=short(row.organization_id, 40)))
            elif overseen is not None and org.municipality_id not in overseen:
                reasons.append(texts.IMPORT_OUT_OF_SCOPE)
            elif org.type not in form.org_types:
                reasons.append(texts.IMPORT_WRONG_TYPE_ORG.format(type=ORG_TYPE_NAMES.get(org.type, org.type)))
            if row.organization_id in seen:
                reasons.append(texts.IMPORT_DUPLICATE.format(row=seen[row.organization_id]))
            seen.setdefault(row.organization_id, row.number)
            answers = _answers(row.cells, columns, org, reasons)
            old = existing.get(row.organization_id)
            merged = {**(old or {}), **answers}
            # v3 `when`: a value for a question the row's own answers do not ask is refused, naming it
            reasons += [texts.IMPORT_NOT_ASKED_WHEN.format(column=indicators[key].header)
                        for key in answers if not indicators[key].asked(merged)]
            for key, value in answers.items():
                try:
                    check_value(indicators[key], value, {k: v for k, v in merged.items() if k != key}, indicators)
                except Invalid as e:
                    reasons.append(f"«{indicators[key].header}»: {e.message}")
            if reasons:
                plan.rows.append(PlannedRow(row.number, row.organization_id, REFUSED, answers, [], reasons))
                continue
            changes = [(k, (old or {}).get(k), v) for k, v in answers.items()
                       if old is None or k not in old or not same_value(old[k], v)]
            status = NEW if old is None and answers else CHANGED if changes else UNCHANGED
            known = baselines.get(row.organization_id, {})
            above = [(k, known[b]) for k, b in roadmap.baseline_ceilings(form, org.type).items()
                     if b in known and above_baseline(answers.get(k), known[b])] if org and known else []
            plan.rows.append(PlannedRow(row.number, row.organization_id, status, answers, changes, above=above))
        return plan

    async def replan(self, actor: Actor | None, name: str, roadmap_id: str, form_id: str, period_key: str,
                     rows: list[list], now: datetime) -> ImportPlan:
        """A kept plan checked again before it is applied: roles, the directory and the figures may have
        changed since the preview."""
        roadmap = await self.roadmaps.get(roadmap_id)
        form = next((f for f in roadmap.form if f.id == form_id), None) if roadmap else None
        period = period_by_key(form, roadmap, period_key) if roadmap and form else None
        if roadmap is None or form is None or period is None:
            return ImportPlan(name, [texts.IMPORT_GONE])
        keys = [i.key for i in form.indicator]  # the kept rows are a table with the keys as headers
        table = FigureTable(keys, [FigureRow(n, org, [answers.get(k) for k in keys]) for n, org, answers in rows])
        # the form is the one the preview found: keys shared by another roadmap's form must not make it ambiguous
        return await self._plan(actor, name, table, now, period.due, (roadmap, form, dict(enumerate(form.indicator))))

    async def apply(self, plan: ImportPlan, by: int, now: datetime) -> Applied:
        """Write every new and changed row in one transaction, or nothing."""
        if not plan.applicable:
            raise ValueError("a plan with problems or refused rows is never applied")
        assert plan.roadmap and plan.form and plan.period
        rows = [r for r in plan.rows if r.status in (NEW, CHANGED)]
        orgs = await self.directory_repo.organizations([r.organization_id for r in rows])
        munis = {m.id: m for m in await self.directory_repo.all_municipalities()}
        late_after: dict[str, datetime] = {}
        source = SOURCE_IMPORT + plan.file
        async with self.report_repo.transaction():
            for r in rows:
                zone = _zone(munis, orgs[r.organization_id], self.default_timezone)
                if zone not in late_after:
                    late_after[zone] = summary_instant(plan.form, plan.period, zone)
                await self.report_repo.save_in_transaction(
                    r.organization_id, plan.roadmap.id, plan.form.id, plan.period.key, dict(r.answers), by, now,
                    now > late_after[zone], source)
        return Applied(sum(1 for r in rows if r.status == NEW), sum(1 for r in rows if r.status == CHANGED))

    async def _form_for(self, headers: list[str]) -> tuple[Roadmap, Form, dict[int, Indicator]] | str:
        """The one form whose indicators the columns name, or why there is none."""
        best: list[tuple[int, Roadmap, Form, dict[int, Indicator], list[str]]] = []
        for rm in await self.roadmaps.all():
            for form in rm.form:
                found, unknown = match_columns(headers, form)
                if found:
                    best.append((len(found), rm, form, found, unknown))
        if not best:
            return texts.IMPORT_NO_COLUMNS
        best.sort(key=lambda b: (-b[0], len(b[4])))
        top = [b for b in best if b[0] == best[0][0] and len(b[4]) == len(best[0][4])]
        if len(top) > 1:
            return texts.IMPORT_MANY_FORMS.format(forms=", ".join(f"«{b[2].title}»" for b in top[:5]))
        # columns naming nothing in the form (the export's target percentages, a person's own notes) are read past;
        # the preview names them before anything is applied, so a misspelt indicator is seen, not lost
        _, rm, form, found, _ = best[0]
        return rm, form, found

    def preview_text(self, plan: ImportPlan, closing: str) -> str:
        """The plan as a coordinator reads it: counts, then why rows are refused, then what changes."""
        if plan.problems:
            return texts.IMPORT_REFUSED_FILE.format(file=plan.file, problems="\n".join(plan.problems))
        assert plan.form and plan.period
        lines = [texts.IMPORT_HEAD.format(file=plan.file, form=plan.form.title, period=fmt_date(plan.period.due)),
                 texts.IMPORT_COUNTS.format(rows=len(plan.rows), new=plan.count(NEW), changed=plan.count(CHANGED),
                                            unchanged=plan.count(UNCHANGED), refused=plan.count(REFUSED))]
        if plan.skipped:
            lines.append(texts.IMPORT_SKIPPED_COLUMNS.format(
                n=len(plan.skipped), columns=", ".join(f"«{short(u, 40)}»" for u in plan.skipped[:10])
                + (" …" if len(plan.skipped) > 10 else "")))
        indicators = {i.key: i for i in plan.form.indicator}
        refused = plan.refused
        if refused:
            lines += ["", texts.IMPORT_REFUSED_ROWS]
            for r in refused[:SHOWN]:
                lines.append(texts.IMPORT_ROW.format(row=r.number, organization=self._name(plan, r),
                                                     what="; ".join(r.reasons)))
            if len(refused) > SHOWN:
                lines.append(texts.IMPORT_MORE.format(n=len(refused) - SHOWN))
            return "\n".join(lines)
        changed = [r for r in plan.rows if r.status in (NEW, CHANGED)]
        if changed:
            lines += ["", texts.IMPORT_CHANGES]
            for r in changed[:SHOWN]:
                what = ", ".join(
                    f"{indicators[k].header}: " + (fmt_answer(indicators[k].kind, new, 40) if r.status == NEW else
                                                   f"{fmt_answer(indicators[k].kind, old, 40)} → "
                                                   f"{fmt_answer(indicators[k].kind, new, 40)}")
                    for k, old, new in r.changes)
                lines.append(texts.IMPORT_ROW.format(row=r.number, organization=self._name(plan, r), what=what))
            if len(changed) > SHOWN:
                lines.append(texts.IMPORT_MORE.format(n=len(changed) - SHOWN))
            above = [r for r in changed if r.above]
            if above:  # a remark, not a refusal: the region's statistics may be older than the file
                lines += ["", texts.IMPORT_ABOVE]
                for r in above[:SHOWN]:
                    what = ", ".join(texts.IMPORT_ABOVE_WHAT.format(
                        header=indicators[k].header, value=fmt_answer(indicators[k].kind, r.answers[k], 40),
                        baseline=fmt_number(b)) for k, b in r.above)
                    lines.append(texts.IMPORT_ROW.format(row=r.number, organization=self._name(plan, r), what=what))
                if len(above) > SHOWN:
                    lines.append(texts.IMPORT_MORE.format(n=len(above) - SHOWN))
            lines += ["", closing]
        else:
            lines += ["", texts.IMPORT_NOTHING]
        return "\n".join(lines)

    @staticmethod
    def _name(plan: ImportPlan, row: PlannedRow) -> str:
        return short(plan.names.get(row.organization_id) or row.organization_id or "—", 50)


def _written(plan: ImportPlan) -> list[str]:
    return [r.organization_id for r in plan.rows if r.status in (NEW, CHANGED)]


def _stamps(plan: ImportPlan, reports: dict[str, Submission]) -> dict[str, str]:
    """organization id -> what its report was when looked at ("" none): a later send, revision or return changes it."""
    return {org: _stamp(reports.get(org)) for org in _written(plan)}


def _stamp(submission: Submission | None) -> str:
    if submission is None:
        return ""
    returned = submission.returned_at.isoformat() if submission.returned_at else ""
    return f"{submission.updated_at.isoformat()}|{submission.updated_by}|{returned}"


def _zone(munis: dict[int, Municipality], org: Organization, default: str) -> str:
    muni = munis.get(org.municipality_id)
    return muni.timezone if muni else default


def _answers(cells: list[Cell], columns: dict[int, Indicator], org: Organization | None,
             reasons: list[str]) -> dict[str, Value]:
    """The row's filled cells as answers; what cannot be read goes to `reasons`. An empty cell is no
    answer: what the organization reported before stays."""
    out: dict[str, Value] = {}
    for i, ind in columns.items():
        cell = cells[i] if i < len(cells) else None
        if cell is None:
            continue
        if org is not None and not ind.applies_to(org.type):
            reasons.append(texts.IMPORT_NOT_ASKED.format(
                column=ind.header, type=ORG_TYPE_NAMES.get(org.type, org.type)))
            continue
        try:
            out[ind.key] = _value(ind, cell)
        except Invalid as e:
            reasons.append(f"«{ind.header}»: {e.message}")
    return out


def _value(ind: Indicator, cell: Cell) -> Value:
    """A cell as the form would take it typed: numbers straight from a spreadsheet, text parsed."""
    if isinstance(cell, int | float) and ind.kind in ("count", "number", "percent", "yesno"):
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
        if ind.kind == "count" and isinstance(cell, float):
            raise Invalid(texts.FORM_NOT_WHOLE)
        return cell
    return parse_answer(ind, cell_text(cell))
