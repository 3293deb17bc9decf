"""Spreadsheets a coordinator downloads (openpyxl): rows in, .xlsx bytes out."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

Row = Sequence[Any]


def workbook(sheets: list[tuple[str, Row, list[Row], Sequence[int]]]) -> bytes:
    """One sheet per (title, header, rows, column widths); empty widths: openpyxl's default."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, header, rows, widths in sheets:
        ws = wb.create_sheet(title[:31])  # Excel's limit for a sheet name
        ws.append(list(header))
        for row in rows:
            ws.append(list(row))
        for n, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + n)].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
