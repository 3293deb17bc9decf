"""Spreadsheets a coordinator downloads (openpyxl): rows in, .xlsx bytes out."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.words.format import short

Row = Sequence[Any]


FORMULA_START = ("=", "+", "-", "@")  # what a spreadsheet would run as a formula (formula injection)


def _append(ws: Any, row: Row) -> None:
    ws.append(list(row))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            cell.data_type = "s"  # an organization called «=HYPERLINK(…)» stays a name, not a live formula


def workbook(sheets: list[tuple[str, Row, list[Row], Sequence[int]]]) -> bytes:
    """One sheet per (title, header, rows, column widths); empty widths: openpyxl's default."""
    # a fifth of a second to import: only when a workbook is made, not at every start of the bot
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, header, rows, widths in sheets:
        ws = wb.create_sheet(title[:31])  # Excel's limit for a sheet name
        _append(ws, header)
        for row in rows:
            _append(ws, row)
        for n, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + n)].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass(frozen=True)
class Sheet:
    """A table fit to send up: a bold frozen header, totals in bold, number formats per column."""

    title: str
    header: Row
    rows: list[Row]
    totals: frozenset[int] = frozenset()  # indexes into `rows` of subtotal and total rows
    formats: dict[int, str] = field(default_factory=dict)  # column index -> Excel number format
    wrap: frozenset[int] = frozenset()  # columns of long text: wrapped, not widened without end


DATETIME = "DD.MM.YYYY HH:MM"  # a date-time cell a spreadsheet sorts and filters as one
PERCENT = "0.0"  # a percent kept as a number of percents (87.7), as Russian reports write it
INTEGER = "#,##0"
DECIMAL = "#,##0.###"
MAX_WIDTH = 60


def report_workbook(cover_title: str, cover: list[tuple[str, str]], sheets: list[Sheet],
                    data_first: bool = False) -> bytes:
    """A cover sheet (label: value lines under a title), then each sheet; `data_first`: the cover goes
    last (a template is filled on its first sheet, and an import reads the first sheet with an `id`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Титульный лист"
    ws.append([cover_title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    for label, value in cover:
        _append(ws, [label, value])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        ws.cell(ws.max_row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 100
    used: set[str] = {ws.title}
    for sheet in sheets:
        title = _sheet_title(sheet.title, used)
        ws = wb.create_sheet(title)
        _append(ws, sheet.header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for n, row in enumerate(sheet.rows):
            _append(ws, row)
            if n in sheet.totals:
                for cell in ws[ws.max_row]:
                    cell.font = Font(bold=True)
        for col, fmt in sheet.formats.items():
            for (cell,) in ws.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
                if isinstance(cell.value, int | float | datetime):
                    cell.number_format = fmt
        for col in sheet.wrap:
            for (cell,) in ws.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
        for n, width in enumerate(_widths(sheet)):
            ws.column_dimensions[get_column_letter(n + 1)].width = width
        _fit_to_print(ws)
    if data_first:
        wb.move_sheet("Титульный лист", offset=len(sheets))
        wb.active = 0
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _fit_to_print(ws: Any) -> None:
    """As a ministry official prints it: landscape A4, every column on the page's width (as many pages down as it
    takes), the header row on every page; and a filter on the header, to pick a municipality or the missing."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    if ws.max_row > 1:
        ws.auto_filter.ref = ws.dimensions


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel's rules for a sheet name: at most 31 characters, none of []:*?/\\, unique in the book."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip() or "Лист"
    name = _fit(clean, 31)
    n = 2
    while name in used:
        suffix = f" ({n})"
        name = _fit(clean, 31 - len(suffix)) + suffix
        n += 1
    used.add(name)
    return name


def _fit(name: str, limit: int) -> str:
    """A sheet name within `limit`, never cut mid-word: the form's name and its period's date, or the name alone
    when both do not fit (the cover lists the periods). Cut at 31 it had read «…за месяц д»."""
    if len(name) <= limit:
        return name
    dated = re.fullmatch(r"(.*?)(?: до)? (\d\d\.\d\d\.\d{4})", name)
    if dated is None:
        return short(name, limit)
    head, day = dated.groups()
    if len(head) + 1 + len(day) <= limit:
        return head + " " + day
    return head if len(head) <= limit else short(head, limit)  # the form's name whole before its date


def _widths(sheet: Sheet) -> list[float]:
    """Each column as wide as its longest value (a header wraps at 30), within MAX_WIDTH."""
    out = []
    for n, head in enumerate(sheet.header):
        longest = max((len(_shown(row[n])) for row in sheet.rows if n < len(row)), default=0)
        head_width = min(len(str(head or "")), 30)
        limit = 40 if n in sheet.wrap else MAX_WIDTH
        out.append(min(max(longest, head_width, 6) + 2, limit))
    return out


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)
