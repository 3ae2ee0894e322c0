"""The spreadsheets the staff pages hand out: .xlsx workbooks, import templates among them.

Every cell goes through the formula guard of :mod:`assessment.core.cells` (the open-data
bundle's CSV files use the same :func:`~assessment.core.cells.write_csv`): text that starts
like a formula stays text, numbers stay numbers. Times are written in the deployment's
time zone (``BABEL_DEFAULT_TIMEZONE``, Beijing time by default), which the header names,
because a spreadsheet cell holds no time zone.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import abort, request, send_file
from flask_babel import get_locale, get_timezone, to_user_timezone
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from assessment.app.db import utcnow
from assessment.core.cells import is_formula_text
from assessment.core.headers import header_of
from assessment.models import Evidence
from assessment.services import evidence as files

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Excel's number format for a date and time cell.
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Zone names that are Beijing time (the names the tz database keeps for China).
_BEIJING_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"})


@dataclass
class Sheet:
    """One worksheet: a header row and rows of plain values, with number formats."""

    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    #: Column index (0-based) -> Excel number format.
    formats: dict[int, str] = field(default_factory=dict)


def local_time(moment: datetime | None) -> datetime | None:
    """A stored UTC time as the deployment's wall-clock time, without a zone (for a cell)."""
    if moment is None:
        return None
    local: datetime = to_user_timezone(moment)
    return local.replace(tzinfo=None)


def time_zone_label() -> str:
    """The zone of :func:`local_time` as a header says it: "Beijing time" or its tz name."""
    zone = str(get_timezone())
    return _("Beijing time") if zone in _BEIJING_ZONES else zone


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
    """The workbook as an attachment named ``<name>-<local time>.xlsx``."""
    stamp = local_time(utcnow())
    assert stamp is not None  # noqa: S101  (utcnow never returns None)
    return send_file(
        io.BytesIO(build_workbook(sheets)),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"{name}-{stamp:%Y%m%d-%H%M}.xlsx",
    )


def wants_chinese_headers() -> bool:
    """Whether a template asks for Chinese headers: ``?headers=zh``, else the page's language."""
    chosen = request.args.get("headers", "")
    if chosen in ("zh", "en"):
        return chosen == "zh"
    locale = get_locale()
    return locale is not None and locale.language == "zh"


def template_download(
    columns: Sequence[str],
    headers: Mapping[str, str],
    rows: Sequence[Sequence[object]],
    name: str,
) -> Response:
    """An import template: the header row (Chinese or codes, :func:`wants_chinese_headers`)
    and example or pre-filled rows, as ``<name>-<time>.xlsx``."""
    chinese = wants_chinese_headers()
    sheet = Sheet(
        _("Template"),
        [header_of(column, headers, chinese=chinese) for column in columns],
        [list(row) for row in rows],
    )
    return xlsx_download([sheet], f"{name}-{'zh' if chinese else 'en'}")


def stored_file_download(session: Session, record: Evidence) -> Response:
    """An evidence file or attachment from the shared store, as an attachment (404 when
    its bytes are missing or damaged, which the log reports)."""
    try:
        data = files.read_evidence(session, record)
    except files.MissingFileError as error:
        logger.error("stored file of evidence %s is %s", record.id, error.problem)
        abort(404)
    response = send_file(
        io.BytesIO(data),
        mimetype=record.content_type,
        as_attachment=True,
        download_name=record.original_name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
