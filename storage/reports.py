"""Submissions, their figures and every change to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .db import Database, in_municipalities, iso

# One answer: a number (count, yes/no as 1/0, decimal, percent) or a string (a choice, a text, a link);
# None is a question the person skipped.
Value = int | float | str


def _value(number: int | float | None, text: str | None) -> Value | None:
    return text if text is not None else number


def _columns(value: Value | None) -> tuple[int | float | None, str | None]:
    """(value, text) columns for an answer."""
    return (None, value) if isinstance(value, str) else (value, None)


@dataclass(frozen=True)
class NormQuery:
    """A v3 `each` target as a query: its numerator against a number, another answer or a directory column."""

    target: str
    numerator: str
    op: str  # at_least | at_most | equals
    source: str  # number | indicator | baseline
    operand: float | str


@dataclass(frozen=True)
class Submission:
    id: int
    organization_id: str
    roadmap_id: str
    form_id: str
    period: str
    submitted_by: int
    submitted_at: datetime
    updated_by: int
    updated_at: datetime
    late: bool
    source: str | None = None  # how its last change came (see migration 011)
    returned_at: datetime | None = None  # returned for revision and not saved since
    returned_by: int | None = None
    return_comment: str | None = None

    @property
    def returned(self) -> bool:
        return self.returned_at is not None


@dataclass(frozen=True)
class SaveResult:
    submission_id: int
    created: bool
    previous: Submission | None


@dataclass(frozen=True)
class Change:
    changed_at: datetime
    changed_by: int
    first_name: str
    last_name: str
    form_id: str
    period: str
    indicator_key: str
    old_value: Value | None  # None: the first answer (see `first`), or a question skipped before
    new_value: Value | None  # None: skipped
    late: bool
    first: bool = False  # the question's first answer in that report
    source: str | None = None  # None: the admin; "behalf": the coordinator `changed_by`; "import:<file>"


# submissions.source / figure_changes.source: NULL is the organization's admin through the form.
SOURCE_BEHALF = "behalf"  # a coordinator through the same form, for the organization
SOURCE_IMPORT = "import:"  # followed by the file's name
OPERATOR = 0  # who changed a figure from the operator's command line (no person_id)

@dataclass(frozen=True)
class Return:
    returned_at: datetime
    returned_by: int
    first_name: str
    last_name: str
    form_id: str
    period: str
    comment: str
    resubmitted_at: datetime | None = None  # sent again after the return (its correction)
    resubmitted_by: int | None = None
    resubmitter_name: str = ""


_SUBMISSION = ("SELECT id, organization_id, roadmap_id, form_id, period, submitted_by, submitted_at, "
               "updated_by, updated_at, late, source, returned_at, returned_by, return_comment FROM submissions ")
# A report counts (sums, coverage, who has sent) unless it was returned for revision.
COUNTED = "AND s.returned_at IS NULL "


def _submission(row) -> Submission:  # noqa: ANN001
    return Submission(row[0], row[1], row[2], row[3], row[4], row[5], datetime.fromisoformat(row[6]),
                      row[7], datetime.fromisoformat(row[8]), bool(row[9]), row[10],
                      datetime.fromisoformat(row[11]) if row[11] else None, row[12], row[13])


class ReportRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def submission(self, organization_id: str, roadmap_id: str, form_id: str, period: str) -> Submission | None:
        row = await self.db.fetchone(
            _SUBMISSION + "WHERE organization_id = ? AND roadmap_id = ? AND form_id = ? AND period = ?",
            (organization_id, roadmap_id, form_id, period))
        return _submission(row) if row else None

    async def figures(self, submission_id: int) -> dict[str, Value | None]:
        rows = await self.db.fetchall(
            # in the key's order on either engine (SQLite read them by its primary key; PostgreSQL, unordered,
            # gave the last changed first, and a correction's history lines came out in another order)
            "SELECT indicator_key, value, text FROM figures WHERE submission_id = ? ORDER BY indicator_key",
            (submission_id,))
        return {r[0]: _value(r[1], r[2]) for r in rows}

    async def latest_before(self, organization_id: str, roadmap_id: str, form_id: str,
                            period: str) -> dict[str, Value | None]:
        """The figures of the organization's most recent submission of an earlier period."""
        row = await self.db.fetchone(
            "SELECT id FROM submissions WHERE organization_id = ? AND roadmap_id = ? AND form_id = ? "
            "AND period < ? ORDER BY period DESC LIMIT 1", (organization_id, roadmap_id, form_id, period))
        return await self.figures(row[0]) if row else {}

    async def save(self, organization_id: str, roadmap_id: str, form_id: str, period: str,
                   answers: dict[str, Value | None], by: int, at: datetime, late: bool,
                   source: str | None = None) -> SaveResult:
        """Store a whole set of answers atomically: one submission per organization and period. Saving a
        returned report is its revision: it counts again."""
        async with self.db.transaction():
            return await self.save_in_transaction(organization_id, roadmap_id, form_id, period, answers, by, at,
                                                  late, source)

    def transaction(self):  # noqa: ANN201 - the database's async context manager
        """Several saves that land together or not at all (an import)."""
        return self.db.transaction()

    async def save_in_transaction(self, organization_id: str, roadmap_id: str, form_id: str, period: str,
                                  answers: dict[str, Value | None], by: int, at: datetime, late: bool,
                                  source: str | None = None) -> SaveResult:
        """`save` inside the caller's transaction (an import applies many or none)."""
        previous = await self.submission(organization_id, roadmap_id, form_id, period)
        if previous is None:
            sid = int(await self.db.scalar(
                "INSERT INTO submissions(organization_id, roadmap_id, form_id, period, submitted_by, "
                "submitted_at, updated_by, updated_at, late, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (organization_id, roadmap_id, form_id, period, by, iso(at), by, iso(at), int(late), source)))
            old: dict[str, Value | None] = {}
        else:
            sid = previous.id
            old = await self.figures(sid)
            await self.db.execute(
                "UPDATE submissions SET updated_by = ?, updated_at = ?, source = ?, returned_at = NULL, "
                "returned_by = NULL, return_comment = NULL WHERE id = ?", (by, iso(at), source, sid))
            if previous.returned_at is not None:  # the correction the return asked for
                await self.db.execute("UPDATE report_returns SET resubmitted_at = ?, resubmitted_by = ? "
                                      "WHERE submission_id = ? AND resubmitted_at IS NULL", (iso(at), by, sid))
        changes = [(sid, key, *_columns(old.get(key)), *_columns(value), by, iso(at), int(late), source)
                   for key, value in answers.items() if key not in old or not same_value(old[key], value)]
        await self.db.executemany(
            "INSERT INTO figure_changes(submission_id, indicator_key, old_value, old_text, new_value, new_text, "
            "changed_by, changed_at, late, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", changes)
        await self.db.executemany(
            "INSERT INTO figures(submission_id, indicator_key, value, text) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(submission_id, indicator_key) DO UPDATE SET value = excluded.value, text = excluded.text",
            [(sid, key, *_columns(value)) for key, value in answers.items()])
        return SaveResult(sid, previous is None, previous)

    async def return_for_revision(self, submission_id: int, by: int, at: datetime, comment: str) -> None:
        async with self.db.transaction():
            await self.db.execute(
                "UPDATE submissions SET returned_at = ?, returned_by = ?, return_comment = ? WHERE id = ?",
                (iso(at), by, comment, submission_id))
            await self.db.execute(
                "INSERT INTO report_returns(submission_id, returned_by, returned_at, comment) VALUES (?, ?, ?, ?)",
                (submission_id, by, iso(at), comment))

    async def returns(self, organization_id: str, limit: int = 50) -> list[Return]:
        """The organization's reports returned for revision, newest first."""
        rows = await self.db.fetchall(
            "SELECT r.returned_at, r.returned_by, coalesce(p.first_name, ''), coalesce(p.last_name, ''), s.form_id, "
            "s.period, r.comment, r.resubmitted_at, r.resubmitted_by, "
            "trim(coalesce(q.first_name, '') || ' ' || coalesce(q.last_name, '')) "
            "FROM report_returns r JOIN submissions s ON s.id = r.submission_id "
            "LEFT JOIN persons p ON p.person_id = r.returned_by LEFT JOIN persons q ON q.person_id = r.resubmitted_by "
            "WHERE s.organization_id = ? ORDER BY r.id DESC LIMIT ?", (organization_id, limit))
        return [Return(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4], r[5], r[6],
                       datetime.fromisoformat(r[7]) if r[7] else None, r[8], r[9] or "") for r in rows]

    async def returned(self, roadmap_id: str, form_id: str, period: str,
                       organization_ids: list[str]) -> dict[str, Submission]:
        """The period's reports of these organizations that wait for revision."""
        rows = await self.db.fetchall_in(
            _SUBMISSION + "WHERE roadmap_id = ? AND form_id = ? AND period = ? AND returned_at IS NOT NULL "
            "AND organization_id {in}", (roadmap_id, form_id, period), organization_ids)
        return {r[1]: _submission(r) for r in rows}

    async def count_for(self, organization_id: str) -> int:
        """How many reports (organization, form, period) the organization has sent."""
        return int(await self.db.scalar("SELECT count(*) FROM submissions WHERE organization_id = ?",
                                        (organization_id,)))

    async def history(self, organization_id: str, limit: int = 50) -> list[Change]:
        rows = await self.db.fetchall(
            "SELECT c.changed_at, c.changed_by, coalesce(p.first_name, ''), coalesce(p.last_name, ''), "
            "s.form_id, s.period, c.indicator_key, c.old_value, c.old_text, c.new_value, c.new_text, c.late, "
            "c.source, c.id = (SELECT min(e.id) FROM figure_changes e WHERE e.submission_id = c.submission_id "
            "AND e.indicator_key = c.indicator_key) "
            "FROM figure_changes c JOIN submissions s ON s.id = c.submission_id "
            "LEFT JOIN persons p ON p.person_id = c.changed_by "
            "WHERE s.organization_id = ? ORDER BY c.id DESC LIMIT ?", (organization_id, limit))
        return [Change(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], _value(r[7], r[8]),
                       _value(r[9], r[10]), bool(r[11]), bool(r[13]), r[12]) for r in rows]

    async def _period_rows(self, columns: str, roadmap_id: str, form_id: str, period: str,
                           organization_ids: list[str], counted: bool = True) -> list[tuple]:
        """`columns` of the period's submissions joined with their figures, for these organizations;
        `counted`: without returned reports."""
        rows = await self.db.fetchall_in(
            f"SELECT {columns} FROM submissions s JOIN figures f ON f.submission_id = s.id "
            f"WHERE s.roadmap_id = ? AND s.form_id = ? AND s.period = ? {COUNTED if counted else ''}"
            "AND s.organization_id {in}", (roadmap_id, form_id, period), organization_ids)
        return [tuple(r) for r in rows]

    async def period_figures(self, roadmap_id: str, form_id: str, period: str, organization_ids: list[str],
                             counted: bool = True) -> dict[str, dict[str, Value | None]]:
        """organization id -> its latest figures for the period (organizations that reported; `counted`:
        not those returned for revision)."""
        out: dict[str, dict[str, Value | None]] = {}
        for org, key, value, text in await self._period_rows("s.organization_id, f.indicator_key, f.value, f.text",
                                                             roadmap_id, form_id, period, organization_ids, counted):
            out.setdefault(org, {})[key] = _value(value, text)
        return out

    async def stamps(self, roadmap_id: str, form_id: str, period: str,
                     organization_ids: list[str]) -> dict[str, Submission]:
        """organization id -> its submission for the period (returned ones too): what a preview was made against,
        told apart by `updated_at`, `updated_by` and `returned_at`."""
        out: dict[str, Submission] = {}
        for start in range(0, len(organization_ids), 500):  # SQLite's bound-parameter limit
            chunk = organization_ids[start:start + 500]
            rows = await self.db.fetchall(
                _SUBMISSION + "WHERE roadmap_id = ? AND form_id = ? AND period = ? "
                f"AND organization_id IN ({','.join('?' * len(chunk))})", (roadmap_id, form_id, period, *chunk))
            out.update({r[1]: _submission(r) for r in rows})
        return out

    async def submitted(self, roadmap_id: str, form_id: str, period: str) -> set[str]:
        rows = await self.db.fetchall(
            "SELECT organization_id FROM submissions s WHERE roadmap_id = ? AND form_id = ? AND period = ? " + COUNTED,
            (roadmap_id, form_id, period))
        return {r[0] for r in rows}

    async def aggregate(self, roadmap_id: str, form_id: str, period: str, municipality_ids: list[int] | None,
                        baseline_keys: Sequence[str] = (), norms: Sequence[NormQuery] = ()
                        ) -> list[tuple[int, str, str, int | float | None]]:
        """(municipality id, organization type, indicator, sum of values) over one period's figures, and the
        "<indicator>@<baseline>" and norm counts as `aggregate_periods` explains."""
        rows = await self._sums(roadmap_id, form_id, period, municipality_ids, baseline_keys, norms)
        return [(m, t, k, v) for _, m, t, k, v in rows]

    async def reported(self, roadmap_id: str, form_id: str, period: str,
                       municipality_ids: list[int] | None) -> list[tuple[int, str, int]]:
        """(municipality id, organization type, organizations that reported)."""
        where, params = in_municipalities(municipality_ids)
        rows = await self.db.fetchall(
            "SELECT o.municipality_id, o.type, count(*) FROM submissions s "
            "JOIN organizations o ON o.id = s.organization_id AND o.removed_at IS NULL "
            f"WHERE s.roadmap_id = ? AND s.form_id = ? AND s.period = ? {COUNTED}{where} "
            "GROUP BY o.municipality_id, o.type", (roadmap_id, form_id, period, *params))
        return [(r[0], r[1], r[2]) for r in rows]


    async def reported_periods(self, roadmap_id: str, form_id: str, municipality_ids: list[int] | None
                               ) -> list[tuple[str, int, str, int]]:
        """(period, municipality id, organization type, organizations that reported) for every period at once."""
        where, params = in_municipalities(municipality_ids)
        rows = await self.db.fetchall(
            "SELECT s.period, o.municipality_id, o.type, count(*) FROM submissions s "
            "JOIN organizations o ON o.id = s.organization_id AND o.removed_at IS NULL "
            f"WHERE s.roadmap_id = ? AND s.form_id = ? {COUNTED}{where} "
            "GROUP BY s.period, o.municipality_id, o.type", (roadmap_id, form_id, *params))
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def average(self, roadmap_id: str, form_id: str, period: str, municipality_ids: list[int] | None,
                      key: str, weight: str | None) -> tuple[float, float, int]:
        """(sum of value x weight, sum of weights, organizations that answered) of a percent indicator; without
        a weight every answer weighs 1. An answer whose weight is missing or 0 weighs nothing."""
        where, params = in_municipalities(municipality_ids)
        weighted = "coalesce(w.value, 0)" if weight else "1"
        join = "LEFT JOIN figures w ON w.submission_id = s.id AND w.indicator_key = ? AND w.value > 0 " if weight else ""
        row = await self.db.fetchone(
            f"SELECT total(f.value * {weighted}), total({weighted}), count(*) FROM submissions s "
            "JOIN organizations o ON o.id = s.organization_id AND o.removed_at IS NULL "
            f"JOIN figures f ON f.submission_id = s.id AND f.indicator_key = ? AND f.value IS NOT NULL {join}"
            f"WHERE s.roadmap_id = ? AND s.form_id = ? AND s.period = ? {COUNTED}{where}",
            (key, *([weight] if weight else []), roadmap_id, form_id, period, *params))
        return (float(row[0]), float(row[1]), int(row[2])) if row else (0.0, 0.0, 0)

    async def choices(self, roadmap_id: str, form_id: str, period: str, municipality_ids: list[int] | None,
                      key: str) -> dict[str, int]:
        """How many organizations gave each answer to a choice indicator."""
        where, params = in_municipalities(municipality_ids)
        rows = await self.db.fetchall(
            "SELECT f.text, count(*) FROM submissions s "
            "JOIN organizations o ON o.id = s.organization_id AND o.removed_at IS NULL "
            "JOIN figures f ON f.submission_id = s.id AND f.indicator_key = ? AND f.text IS NOT NULL "
            f"WHERE s.roadmap_id = ? AND s.form_id = ? AND s.period = ? {COUNTED}{where} GROUP BY f.text",
            (key, roadmap_id, form_id, period, *params))
        return {r[0]: r[1] for r in rows}

    async def aggregate_periods(self, roadmap_id: str, form_id: str, municipality_ids: list[int] | None,
                                baseline_keys: Sequence[str] = (), norms: Sequence[NormQuery] = ()
                                ) -> list[tuple[str, int, str, str, int | float | None]]:
        """(period, municipality id, organization type, indicator, sum) for every period at once; for each of
        `baseline_keys` also "<indicator>@<baseline>": the sum over the organizations that have that baseline
        in the directory (a share of everyone divides only what it can compare); for each norm (v3 `each`)
        "each:<target>" (organizations meeting it), "each?:<target>" (reported, their norm unknown) and
        "each-:<target>" (reported with a norm, not asked the numerator)."""
        return await self._sums(roadmap_id, form_id, None, municipality_ids, baseline_keys, norms)

    async def _sums(self, roadmap_id: str, form_id: str, period: str | None, municipality_ids: list[int] | None,
                    baseline_keys: Sequence[str], norms: Sequence[NormQuery] = ()
                    ) -> list[tuple[str, int, str, str, int | float | None]]:
        where, params = in_municipalities(municipality_ids)
        where = COUNTED + where
        if period is not None:
            where, params = f"AND s.period = ? {where}", [period, *params]
        base = ("FROM submissions s JOIN organizations o ON o.id = s.organization_id AND o.removed_at IS NULL "
                "JOIN figures f ON f.submission_id = s.id ")
        rows = await self.db.fetchall(
            f"SELECT s.period, o.municipality_id, o.type, f.indicator_key, sum(f.value) {base}"
            f"WHERE s.roadmap_id = ? AND s.form_id = ? {where} "
            "GROUP BY s.period, o.municipality_id, o.type, f.indicator_key", (roadmap_id, form_id, *params))
        out = [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
        if baseline_keys:
            rows = await self.db.fetchall(
                f"SELECT s.period, o.municipality_id, o.type, f.indicator_key || '@' || b.key, sum(f.value) {base}"
                f"JOIN baselines b ON b.organization_id = o.id AND b.key IN ({','.join('?' * len(baseline_keys))}) "
                f"WHERE s.roadmap_id = ? AND s.form_id = ? {where} "
                "GROUP BY s.period, o.municipality_id, o.type, f.indicator_key, b.key",
                (*baseline_keys, roadmap_id, form_id, *params))
            out += [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
        for norm in norms:
            out += await self._norm_counts(norm, base, where, (roadmap_id, form_id, *params))
        return out

    async def _norm_counts(self, norm: NormQuery, base: str, where: str, params: Sequence[Any]
                           ) -> list[tuple[str, int, str, str, int | float | None]]:
        """Each organization's answer against its own norm, counted per (period, municipality, type)."""
        op = {"at_least": ">=", "at_most": "<=", "equals": "="}[norm.op]  # from a fixed set, never from input
        source, source_params = {
            "number": ("(SELECT ? AS value) n ON 1 = 1 ", [norm.operand]),
            "indicator": ("figures n ON n.submission_id = s.id AND n.indicator_key = ? ", [norm.operand]),
            "baseline": ("baselines n ON n.organization_id = o.id AND n.key = ? ", [norm.operand]),
        }[norm.source]
        rows = await self.db.fetchall(
            "SELECT s.period, o.municipality_id, o.type, "
            f"sum(CASE WHEN n.value IS NOT NULL AND a.value {op} n.value THEN 1 ELSE 0 END), "
            "sum(CASE WHEN n.value IS NULL THEN 1 ELSE 0 END), "
            "sum(CASE WHEN n.value IS NOT NULL AND a.submission_id IS NULL THEN 1 ELSE 0 END) "
            "FROM submissions s JOIN organizations o ON o.id = s.organization_id AND o.removed_at IS NULL "
            "LEFT JOIN figures a ON a.submission_id = s.id AND a.indicator_key = ? "
            f"LEFT JOIN {source}"
            f"WHERE s.roadmap_id = ? AND s.form_id = ? {where} GROUP BY s.period, o.municipality_id, o.type",
            (norm.numerator, *source_params, *params))
        out: list[tuple[str, int, str, str, int | float | None]] = []
        for p, m, t, met, unknown, not_asked in rows:
            out += [(p, m, t, f"each:{norm.target}", met), (p, m, t, f"each?:{norm.target}", unknown),
                    (p, m, t, f"each-:{norm.target}", not_asked)]
        return out

    async def export_rows(self, roadmap_id: str, form_id: str, period: str,
                          organization_ids: list[str]) -> dict[str, ExportRow]:
        """organization id -> its report for the period with how it came, returned ones included."""
        out: dict[str, ExportRow] = {}
        rows = await self._period_rows(
            "s.organization_id, s.updated_at, s.late = 1 OR EXISTS (SELECT 1 FROM figure_changes c "
            "WHERE c.submission_id = s.id AND c.late = 1), s.returned_at IS NOT NULL, s.return_comment, "
            "(SELECT group_concat(DISTINCT c.source) FROM figure_changes c WHERE c.submission_id = s.id "
            "AND c.source IS NOT NULL), f.indicator_key, f.value, f.text",
            roadmap_id, form_id, period, organization_ids, counted=False)
        for org, at, late, returned, comment, sources, key, value, text in rows:  # at: the last time it was sent
            if org not in out:
                out[org] = ExportRow(datetime.fromisoformat(at), bool(late), bool(returned), comment,
                                     tuple(sorted(sources.split(","))) if sources else (), {})
            out[org].figures[key] = _value(value, text)
        return out

    async def organization_periods(self, organization_id: str, roadmap_id: str,
                                   form_id: str) -> dict[str, dict[str, Value | None]]:
        """period -> the organization's counted figures, for every period it reported (its own verdicts)."""
        rows = await self.db.fetchall(
            "SELECT s.period, f.indicator_key, f.value, f.text FROM submissions s "
            "JOIN figures f ON f.submission_id = s.id "
            f"WHERE s.organization_id = ? AND s.roadmap_id = ? AND s.form_id = ? {COUNTED}",
            (organization_id, roadmap_id, form_id))
        out: dict[str, dict[str, Value | None]] = {}
        for period, key, value, text in rows:
            out.setdefault(period, {})[key] = _value(value, text)
        return out


@dataclass(frozen=True)
class ExportRow:
    submitted_at: datetime  # the last time it was sent (a corrected report: its correction)
    late: bool
    returned: bool
    return_comment: str | None
    sources: tuple[str, ...]  # how its figures came besides the admin's form ("behalf", "import:<file>")
    figures: dict[str, Value | None]


def same_value(old: Value | None, new: Value | None) -> bool:
    """Equal answers: 12 stored and 12.0 typed are the same; "12" (a text) and 12 are not."""
    return old == new and isinstance(old, str) == isinstance(new, str)
