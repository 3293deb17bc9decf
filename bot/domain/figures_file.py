"""A file of figures a coordinator or the operator imports (.xlsx or .csv): a header row with `id` and
one column per indicator (its key, its question or its short title), then one row per organization.

This module only reads cells; which form, which organization and which value is allowed is decided by
the import service against the roadmap and the directory.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from bot.domain.roadmap import Form, Indicator
from bot.views import texts

Cell = str | int | float | None

ID_HEADER = "id"
# Columns the bot's own template writes for people to read; an import skips them.
INFO_HEADERS = frozenset({"название", "организация", "муниципалитет", "тип"})
HEADER_SEARCH = 10  # the header row may sit under a title a person added


@dataclass(frozen=True)
class FigureRow:
    number: int  # the row number a spreadsheet shows (1-based, header included)
    organization_id: str
    cells: list[Cell]  # one per table column, after the id


@dataclass(frozen=True)
class FigureTable:
    headers: list[str]  # the columns after `id`, as written
    rows: list[FigureRow]


class FileProblem(Exception):
    """The file cannot be read as a table of figures; the message says why, in Russian."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def norm_header(text: object) -> str:
    """A header as written by a person: any case, spaces, a trailing «?» or «:», «ё» as «е»."""
    return " ".join(str(text).casefold().replace("ё", "е").split()).rstrip("?:. ")


def read_figures(name: str, data: bytes) -> FigureTable:
    """The table in an .xlsx (its first sheet with an `id` column) or a .csv (`;` or `,`, UTF-8 or
    Windows-1251)."""
    lower = name.lower()
    if lower.endswith(".xlsx") or data[:2] == b"PK":
        return _table(_xlsx_rows(data))
    if lower.endswith((".csv", ".txt")):
        return _table(_csv_rows(data))
    raise FileProblem(texts.IMPORT_WRONG_TYPE.format(name=name))


def _csv_rows(data: bytes) -> list[tuple[int, list[Cell]]]:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1251 decodes almost any byte string
        raise FileProblem(texts.IMPORT_UNREADABLE)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    return [(n, list(row)) for n, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1)]


def _xlsx_rows(data: bytes) -> list[tuple[int, list[Cell]]]:
    from openpyxl import load_workbook  # a second or two to import: only when a spreadsheet comes

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise FileProblem(texts.IMPORT_UNREADABLE) from e
    try:
        for ws in wb.worksheets:
            rows: list[tuple[int, list[Cell]]] = []
            for n, row in enumerate(ws.iter_rows(), 1):
                rows.append((n, [_xlsx_cell(c) for c in row]))
                if n == HEADER_SEARCH and _header_at(rows) is None:
                    break
            if _header_at(rows) is not None:
                return rows
        return []
    finally:
        wb.close()


def _xlsx_cell(cell: object) -> Cell:
    value = getattr(cell, "value", None)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        # a percent cell holds 0.95 and shows «95%»: the person meant 95
        if "%" in (getattr(cell, "number_format", "") or ""):
            return round(value * 100, 6)
        return value
    if value is None:
        return None
    return str(value)


def _header_at(rows: list[tuple[int, list[Cell]]]) -> int | None:
    for i, (_, cells) in enumerate(rows[:HEADER_SEARCH]):
        if any(c is not None and norm_header(c) == ID_HEADER for c in cells):
            return i
    return None


def _table(rows: list[tuple[int, list[Cell]]]) -> FigureTable:
    at = _header_at(rows)
    if at is None:
        raise FileProblem(texts.IMPORT_NO_ID)
    header = ["" if c is None else str(c).strip() for c in rows[at][1]]
    id_col = next(i for i, h in enumerate(header) if norm_header(h) == ID_HEADER)
    columns = [i for i, h in enumerate(header) if i != id_col and h]
    out: list[FigureRow] = []
    for number, cells in rows[at + 1:]:
        cells = cells + [None] * (len(header) - len(cells))
        org = _organization_id(cells[id_col])
        values = [_blank(cells[i]) for i in columns]
        if org is None and all(v is None for v in values):
            continue  # an empty line between blocks
        out.append(FigureRow(number, org or "", values))
    return FigureTable([header[i] for i in columns], out)


def _organization_id(cell: Cell) -> str | None:
    """«6624000001» whether typed as text or kept by Excel as a number (6624000001.0)."""
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    return text or None


def _blank(cell: Cell) -> Cell:
    if isinstance(cell, str):
        cell = cell.strip()
        return cell or None
    return cell


def match_columns(headers: list[str], form: Form) -> tuple[dict[int, Indicator], list[str]]:
    """(column index -> indicator) and the headers that name nothing in the form (the template's own
    reading columns are skipped, not unknown)."""
    names: dict[str, Indicator] = {}
    for ind in form.indicator:
        for label in (ind.key, ind.question, ind.short):
            if label:
                names.setdefault(norm_header(label), ind)
    found: dict[int, Indicator] = {}
    unknown: list[str] = []
    for i, h in enumerate(headers):
        n = norm_header(h)
        if n in names:
            found[i] = names[n]
        elif n not in INFO_HEADERS:
            unknown.append(h)
    return found, unknown




def cell_text(cell: Cell) -> str:
    """A cell as the form's parsers read typed text: 12.0 from Excel is «12», 12.5 is «12,5»."""
    if isinstance(cell, float):
        if cell.is_integer():
            return str(int(cell))
        return repr(cell).replace(".", ",")
    return str(cell)
