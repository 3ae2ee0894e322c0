"""Read an uploaded .xlsx or .csv file into text cells, keeping the row numbers people see.

Every cell is read as text (no number or date guessing by pandas, no "NA" turned into a
missing value), trimmed, and fully blank rows are left out without renumbering the others,
so that an error can name "row 7" and mean the row Excel shows as 7. A file that cannot
be read raises :class:`~assessment.core.errors.FieldError` on the ``file`` field.
"""

from __future__ import annotations

import io
import logging
import re
from typing import IO

import pandas as pd

from assessment.core.errors import FieldError
from assessment.core.roster import Sheet

logger = logging.getLogger(__name__)

FIELD = "file"
EXTENSIONS = ("xlsx", "csv")
#: More rows than a county roster ever has; keeps one upload from running for minutes.
MAX_ROWS = 20_000
# Tried in order. UTF-8 (with or without the BOM Excel writes for "CSV UTF-8"), then
# GB18030, a superset of the GBK that Chinese Excel uses for plain "CSV".
_ENCODINGS = ("utf-8-sig", "gb18030")
# The C parser's message for a row with more cells than the first one.
_EXTRA_CELLS_RE = re.compile(r"Expected \d+ fields in line (\d+), saw \d+")


def file_extension(filename: str) -> str:
    """The lower-case extension of a file name, without the dot ("" when there is none)."""
    _, dot, extension = filename.rpartition(".")
    return extension.lower() if dot else ""


def read_sheet(stream: IO[bytes], filename: str) -> Sheet:
    """Read the first worksheet of an .xlsx file, or a .csv file, as text cells.

    The first non-blank row is the header; its names are trimmed and put in lower case.
    Raises ``FieldError("file", code)`` with code ``unsupported_file_type``,
    ``unreadable_file``, ``unreadable_encoding``, ``csv_extra_cells`` (with ``row``),
    ``empty_file`` or ``too_many_rows`` (with ``max``).
    """
    extension = file_extension(filename)
    if extension not in EXTENSIONS:
        raise FieldError(FIELD, "unsupported_file_type", extension=extension or "-")
    data = stream.read()
    if not data.strip():
        raise FieldError(FIELD, "empty_file")
    frame = _read_xlsx(data) if extension == "xlsx" else _read_csv(data)
    return _to_sheet(frame.to_numpy().tolist())


def _read_xlsx(data: bytes) -> pd.DataFrame:
    try:
        # header=None keeps every row, blank ones included, so the frame's index + 1 is
        # the spreadsheet row number.
        return pd.read_excel(
            io.BytesIO(data),
            sheet_name=0,
            header=None,
            dtype=str,
            keep_default_na=False,
            engine="openpyxl",
        )
    except Exception as error:
        # Not a zip, a zip that is not a workbook, or a damaged workbook: openpyxl and
        # zipfile raise many unrelated types for these, and all mean the same to a person.
        logger.info("unreadable .xlsx upload: %s", type(error).__name__)
        raise FieldError(FIELD, "unreadable_file") from error


def _read_csv(data: bytes) -> pd.DataFrame:
    text = None
    for encoding in _ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise FieldError(FIELD, "unreadable_encoding")
    try:
        return pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError as error:
        raise FieldError(FIELD, "empty_file") from error
    except pd.errors.ParserError as error:
        match = _EXTRA_CELLS_RE.search(str(error))
        if match:
            raise FieldError(FIELD, "csv_extra_cells", row=int(match[1])) from error
        raise FieldError(FIELD, "unreadable_file") from error


def _cell(value: object) -> str:
    return "" if value is None else str(value).strip()


def _to_sheet(table: list[list[object]]) -> Sheet:
    cells = [[_cell(value) for value in row] for row in table]
    header_index = next((i for i, row in enumerate(cells) if any(row)), None)
    if header_index is None:
        raise FieldError(FIELD, "empty_file")
    header = [name.lower() for name in cells[header_index]]
    # Cells under an unnamed header column, or under a repeated name, are not read.
    named = {name: position for position, name in reversed(list(enumerate(header))) if name}
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    for index in range(header_index + 1, len(cells)):
        values = {name: cells[index][position] for name, position in named.items()}
        if not any(values.values()):
            continue
        rows.append(values)
        numbers.append(index + 1)
    if not rows:
        raise FieldError(FIELD, "empty_file")
    if len(rows) > MAX_ROWS:
        raise FieldError(FIELD, "too_many_rows", max=MAX_ROWS)
    columns = tuple(name for name in dict.fromkeys(header) if name)
    return Sheet(columns=columns, rows=tuple(rows), row_numbers=tuple(numbers))
