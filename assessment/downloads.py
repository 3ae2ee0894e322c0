"""The spreadsheets the staff pages hand out: .xlsx workbooks and .csv templates.

Every cell goes through the formula guard of :mod:`assessment.core.cells` (the open-data
bundle uses the same :func:`~assessment.core.cells.write_csv`): text that starts like a
formula stays text, numbers stay numbers.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import send_file
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from werkzeug.wrappers import Response

from assessment.core.cells import is_formula_text, write_csv

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Sheet:
    """One worksheet: a header row and rows of plain values, with number formats."""

    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    #: Column index (0-based) -> Excel number format.
    formats: dict[int, str] = field(default_factory=dict)


def _sheet_title(text: str) -> str:
    """Excel sheet names: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in text)
    return cleaned[:31] or "Sheet"


def build_workbook(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx file: bold, frozen header row, numbers as numbers, text never a formula."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for sheet in sheets:
        title = _sheet_title(sheet.title)
        base, n = title, 2
        while title in used:
            title = _sheet_title(f"{base[:27]} ({n})")
            n += 1
        used.add(title)
        ws = book.create_sheet(title)
        ws.append(sheet.headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append(row)
        for cells in ws.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    # openpyxl makes any text starting with "=" a formula; a stored
                    # name must never run as one.
                    cell.data_type = "s"
                    if is_formula_text(cell.value):
                        cell.quotePrefix = True  # Excel keeps it text when edited too
        for column, number_format in sheet.formats.items():
            for (cell,) in ws.iter_rows(
                min_row=2, min_col=column + 1, max_col=column + 1, max_row=ws.max_row
            ):
                cell.number_format = number_format
        for index, header in enumerate(sheet.headers, start=1):
            width = max([len(str(header))] + [len(str(r[index - 1] or "")) for r in sheet.rows])
            ws.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_download(sheets: Sequence[Sheet], name: str) -> Response:
    """The workbook as an attachment named ``<name>-<UTC time>.xlsx``."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return send_file(
        io.BytesIO(build_workbook(sheets)),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"{name}-{stamp}.xlsx",
    )


def csv_download(
    header: Sequence[object], rows: Iterable[Sequence[object]], filename: str
) -> Response:
    """A CSV attachment for Excel: UTF-8 with a byte-order mark, CRLF line ends."""
    # The byte-order mark makes Excel open the file as UTF-8 instead of the local code page.
    body = "\ufeff" + write_csv(header, rows, line_end="\r\n")
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )
