"""Spreadsheets a coordinator downloads (openpyxl): rows in, .xlsx bytes out."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

Row = Sequence[Any]


FORMULA_START = ("=", "+", "-", "@")  # what a spreadsheet would run as a formula (formula injection)


def _append(ws: Any, row: Row) -> None:
    ws.append(list(row))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            cell.data_type = "s"  # an organization called «=HYPERLINK(…)» stays a name, not a live formula


def workbook(sheets: list[tuple[str, Row, list[Row], Sequence[int]]]) -> bytes:
    """One sheet per (title, header, rows, column widths); empty widths: openpyxl's default."""
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
