"""A file of figures a coordinator or the operator imports (.xlsx or .csv): a header row with `id` and
one column per indicator (its key, its question or its short title), then one row per organization.

This module only reads cells; which form, which organization and which value is allowed is decided by
the import service against the roadmap and the directory.
"""

from __future__ import annotations

import csv
import io
import math
import time
import zipfile
from dataclasses import dataclass

from bot.domain.roadmap import Form, Indicator
from bot.words import texts
from bot.words.format import fmt_number

Cell = str | int | float | None

ID_HEADER = "Код организации"  # what the bot's template and export write
ID_HEADERS = frozenset({"код организации", "id"})  # how a file names it («id»: the bot's files before December 2026)
# Columns the bot's own template and export write for people to read; an import skips them without a word.
INFO_HEADERS = frozenset({"название", "организация", "муниципалитет", "тип", "отметки", "сдано в последний раз",
                          "сдано в последний раз (время местное)",
                          "сдано в последний раз (местное время организации)"})
# The export's subtotal and total rows («Итого: …», «Всего: …»): no organization's code, and skipped.
TOTAL_ROW_STARTS = ("итого:", "всего:")
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


@dataclass(frozen=True)
class Caps:
    """How much of a file is read at most. A region's file is a few thousand rows; a national one (about 100,000
    organizations) is about 1 MB as .xlsx and 40 MB unpacked. A file past a cap is refused, not cut: a figure
    silently left out would be signed as missing."""

    rows: int = 120_000
    columns: int = 300
    cells: int = 3_000_000
    unpacked_bytes: int = 80 * 2**20  # what the .xlsx's parts declare; zipfile stops at the declared size
    shared_strings_bytes: int = 16 * 2**20  # read whole at opening, unlike the sheet: its own cap
    seconds: float = 30.0


CAPS = Caps()


def read_figures(name: str, data: bytes, caps: Caps = CAPS) -> FigureTable:
    """The table in an .xlsx (its first sheet with an `id` column) or a .csv (`;` or `,`, UTF-8 or
    Windows-1251). Anything wrong with the file is a FileProblem with a Russian sentence, never another error:
    the file is a stranger's bytes (broken XML, entities, a zip bomb, NaN in a number cell)."""
    lower = name.lower()
    deadline = time.monotonic() + caps.seconds
    if lower.endswith(".xlsx") or data[:2] == b"PK":
        return _table(_xlsx_rows(data, caps, deadline))
    if lower.endswith((".csv", ".txt")):
        return _table(_csv_rows(data, caps, deadline))
    raise FileProblem(texts.IMPORT_WRONG_TYPE.format(name=name))


class _Counter:
    """The caps, checked as rows come (never after the whole file is in memory)."""

    def __init__(self, caps: Caps, deadline: float) -> None:
        self.caps, self.deadline, self.cells = caps, deadline, 0

    def row(self, number: int, cells: list[Cell]) -> list[Cell]:
        if number > self.caps.rows:
            raise FileProblem(texts.IMPORT_TOO_MANY_ROWS.format(rows=fmt_number(self.caps.rows)))
        while cells and cells[-1] is None:
            cells.pop()  # trailing empty cells (a row formatted to the sheet's edge) are not columns
        if len(cells) > self.caps.columns:
            raise FileProblem(texts.IMPORT_TOO_MANY_COLUMNS.format(row=number, columns=self.caps.columns))
        self.cells += len(cells)
        if self.cells > self.caps.cells:
            raise FileProblem(texts.IMPORT_TOO_MANY_CELLS.format(cells=fmt_number(self.caps.cells)))
        if number % 1000 == 0 and time.monotonic() > self.deadline:
            raise FileProblem(texts.IMPORT_TOO_SLOW)
        return cells


def _csv_rows(data: bytes, caps: Caps, deadline: float) -> list[tuple[int, list[Cell]]]:
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
    counter = _Counter(caps, deadline)
    rows: list[tuple[int, list[Cell]]] = []
    try:
        for n, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
            rows.append((n, counter.row(n, list(row))))
    except csv.Error as e:  # a field over csv's 128 KB, a NUL byte: not a table a person saved
        raise FileProblem(texts.IMPORT_CSV_BROKEN.format(row=len(rows) + 1)) from e
    return rows


def _xlsx_rows(data: bytes, caps: Caps, deadline: float) -> list[tuple[int, list[Cell]]]:
    from openpyxl import load_workbook  # a second or two to import: only when a spreadsheet comes
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    # openpyxl's read-only sheet first scans the whole sheet for a <dimension> (its loop ends only at </sheetData>):
    # a million-row sheet took 26 s and all its rows' elements before a single cap could apply. Rows are read as
    # written here (reset_dimensions below), so the sizes it looks for are not needed. tests/test_hostile_files.py
    # tells when an openpyxl release changes this.
    ReadOnlyWorksheet._get_size = _no_size_scan  # type: ignore[method-assign]
    _check_parts(data, caps)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - a stranger's bytes: whatever openpyxl trips on, the person hears why
        raise FileProblem(_why(e, 0)) from e
    counter = _Counter(caps, deadline)
    n = 0
    try:
        for ws in wb.worksheets:
            ws.reset_dimensions()  # the sheet's own <dimension> may claim XFD1048576: rows come as written
            rows: list[tuple[int, list[Cell]]] = []
            for n, row in enumerate(ws.iter_rows(), 1):
                rows.append((n, counter.row(n, [_xlsx_cell(c) for c in row])))
                if n == HEADER_SEARCH and _header_at(rows) is None:
                    break
            if _header_at(rows) is not None:
                return rows
        return []
    except FileProblem:
        raise
    except Exception as e:  # noqa: BLE001 - as above: text in a number cell, XML broken halfway
        raise FileProblem(_why(e, n + 1)) from e
    finally:
        wb.close()


def _no_size_scan(sheet: object) -> None:
    return None


def _check_parts(data: bytes, caps: Caps) -> None:
    """A zip bomb is refused by what its parts declare, before a byte is unpacked (zipfile never unpacks past a
    part's declared size: a lie ends in a CRC error)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise FileProblem(texts.IMPORT_UNREADABLE) from e
    if len(parts) > 10_000 or sum(p.file_size for p in parts) > caps.unpacked_bytes:
        raise FileProblem(texts.IMPORT_TOO_LARGE_UNPACKED.format(mb=caps.unpacked_bytes // 2**20))
    if any(p.filename.lower().endswith("sharedstrings.xml") and p.file_size > caps.shared_strings_bytes
           for p in parts):
        raise FileProblem(texts.IMPORT_TOO_LARGE_UNPACKED.format(mb=caps.unpacked_bytes // 2**20))


def _why(error: Exception, row: int) -> str:
    """A Russian sentence for what openpyxl tripped on (it wraps the cause: the whole chain is looked at)."""
    chain: list[BaseException] = []
    at: BaseException | None = error
    while at is not None and len(chain) < 10:
        chain.append(at)
        at = at.__cause__ or at.__context__
    names = {type(e).__name__ for e in chain}
    if names & {"EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden", "NotSupportedError"}:
        return texts.IMPORT_XML_ENTITIES
    if any(isinstance(e, SyntaxError | zipfile.BadZipFile) for e in chain) or "XMLSyntaxError" in names:
        return texts.IMPORT_XML_BROKEN  # ElementTree's ParseError is a SyntaxError; a bad CRC, a part cut short
    if row:
        return texts.IMPORT_CELL_BROKEN.format(row=row)
    return texts.IMPORT_UNREADABLE


def _xlsx_cell(cell: object) -> Cell:
    value = getattr(cell, "value", None)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # «nan», «inf»: refused as not a number, with its row, like any text in a number cell
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
        if any(c is not None and norm_header(c) in ID_HEADERS for c in cells):
            return i
    return None


def _table(rows: list[tuple[int, list[Cell]]]) -> FigureTable:
    at = _header_at(rows)
    if at is None:
        raise FileProblem(texts.IMPORT_NO_ID)
    header = ["" if c is None else str(c).strip() for c in rows[at][1]]
    id_col = next(i for i, h in enumerate(header) if norm_header(h) in ID_HEADERS)
    columns = [i for i, h in enumerate(header) if i != id_col and h]
    out: list[FigureRow] = []
    for number, cells in rows[at + 1:]:
        cells = cells + [None] * (len(header) - len(cells))
        org = _organization_id(cells[id_col])
        values = [_blank(cells[i]) for i in columns]
        if org is None and all(v is None for v in values):
            continue  # an empty line between blocks
        if org is None and any(isinstance(c, str) and c.strip().casefold().startswith(TOTAL_ROW_STARTS)
                               for c in cells):
            continue  # the bot's own export read back: its subtotals are sums, not an organization's figures
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
                # the same header saved by Excel as a Windows-1251 CSV: «Написали ≥ 10» comes back «Написали ? 10»
                names.setdefault(norm_header(label.encode("cp1251", "replace").decode("cp1251")), ind)
    found: dict[int, Indicator] = {}
    unknown: list[str] = []
    for i, h in enumerate(headers):
        n = norm_header(h)
        n = n.removesuffix(", %") if n.removesuffix(", %") in names else n  # the export's «…, %» of a percent
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
