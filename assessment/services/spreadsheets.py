"""Read an uploaded spreadsheet (.xlsx, .xls, .ods, .csv) into text cells, keeping row numbers.

Every cell is read as text (no number or date guessing by pandas, no "NA" turned into a
missing value), trimmed, and fully blank rows are left out without renumbering the others,
so that an error can name "row 7" and mean the row Excel shows as 7. A file that cannot
be read raises :class:`~assessment.core.errors.FieldError` on the ``file`` field, and so
does a cell holding a control character (the text rule, :mod:`assessment.core.text`,
naming its row and column).

Workbooks are read by python-calamine (through pandas' ``engine="calamine"``), one
reader for the three formats. Before it runs, a workbook's structure is checked so that a
small upload cannot hold a worker for minutes: an .xlsx or .ods file is a zip archive,
and its members' sizes are checked before anything is unpacked (a "zip bomb"); an .xls
file may be at most :data:`MAX_XLS_BYTES`; and in every format the cells with a value
may reach at most :data:`MAX_SHEET_ROWS` rows and :data:`MAX_SHEET_CELLS` cells
(:mod:`assessment.services.spreadsheet_extent`), since the reader fills the whole rectangle.

The header row may use each column's code (``code``, ``parent_code``, ...) or its
Chinese header from :mod:`assessment.core.headers` (``单位代码``, ...): both are read as
the code.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Mapping
from typing import IO

import pandas as pd

from assessment.core.errors import FieldError
from assessment.core.headers import column_code
from assessment.core.roster import Sheet
from assessment.core.text import find_control_character
from assessment.services.spreadsheet_extent import UnreadableWorkbookError, workbook_extent

logger = logging.getLogger(__name__)

FIELD = "file"
EXTENSIONS = ("xlsx", "xls", "ods", "csv")
#: Formats read by python-calamine.
_WORKBOOK_EXTENSIONS = ("xlsx", "xls", "ods")
#: More rows than a county roster ever has; keeps one upload from running for minutes.
MAX_ROWS = 20_000
#: Most bytes an .xlsx may unpack to: four times a 20,000-row roster written by openpyxl
#: (8.5 MB); pandas reads that much in about 6 s on one core.
MAX_XLSX_UNPACKED_BYTES = 32 * 1024 * 1024
#: Most an .xlsx member over 1 MB may expand (unpacked / packed). Spreadsheets reach
#: about 15; a zip bomb's deflate streams reach 1,000.
MAX_XLSX_RATIO = 100
#: The same for .ods: its XML is far more repetitive, and a 20,000-row roster saved by
#: LibreOffice 7.4 packs 18.8 MB into 188 KB (100 to 1). Still well short of a bomb's.
MAX_ODS_RATIO = 400
_RATIO_CHECKED_FROM_BYTES = 1024 * 1024
#: Most members an .xlsx may have (a workbook has a dozen, one more per sheet).
MAX_XLSX_MEMBERS = 1_000
#: Largest .xls accepted. BIFF is not compressed: a 20,000-row roster saved as .xls by
#: LibreOffice 7.4 takes 3.2 MB, so this is plenty and bounds the records walked.
MAX_XLS_BYTES = 8 * 1024 * 1024
#: Furthest row a cell with a value may be in: the import limit, with room for blank
#: rows between the data (blank rows are skipped and not counted in MAX_ROWS).
MAX_SHEET_ROWS = 2 * MAX_ROWS
#: Most cells (rows x columns, from A1 to the furthest cell with a value) of a sheet:
#: 20,000 rows of 50 columns. The reader holds each one in memory, twice.
MAX_SHEET_CELLS = 1_000_000
# Tried in order. UTF-8 (with or without the BOM Excel writes for "CSV UTF-8"), then
# GB18030, a superset of the GBK that Chinese Excel uses for plain "CSV".
_ENCODINGS = ("utf-8-sig", "gb18030")
# The C parser's message for a row with more cells than the first one.
_EXTRA_CELLS_RE = re.compile(r"Expected \d+ fields in line (\d+), saw \d+")


def file_extension(filename: str) -> str:
    """The lower-case extension of a file name, without the dot ("" when there is none)."""
    _, dot, extension = filename.rpartition(".")
    return extension.lower() if dot else ""


def read_sheet(stream: IO[bytes], filename: str, headers: Mapping[str, str] | None = None) -> Sheet:
    """Read the first worksheet of an .xlsx, .xls or .ods file, or a .csv file, as text cells.

    The first non-blank row is the header; its names are trimmed and put in lower case,
    and a name found in ``headers`` (column code -> Chinese header) is read as its code.
    Raises ``FieldError("file", code)`` with code ``unsupported_file_type``,
    ``unreadable_file``, ``unreadable_encoding``, ``csv_extra_cells`` (with ``row``),
    ``empty_file``, ``too_many_rows`` (with ``max``), ``too_large_unpacked`` (with
    ``max_mb``) or ``too_many_cells`` (with ``max``).
    """
    extension = file_extension(filename)
    if extension not in EXTENSIONS:
        raise FieldError(FIELD, "unsupported_file_type", extension=extension or "-")
    data = stream.read()
    if not data.strip():
        raise FieldError(FIELD, "empty_file")
    frame = (
        _read_workbook(data, extension) if extension in _WORKBOOK_EXTENSIONS else _read_csv(data)
    )
    return _to_sheet(frame.to_numpy().tolist(), headers or {})


def check_workbook_bounds(data: bytes, extension: str) -> None:
    """Refuse a workbook too large to read, from its structure alone (nothing parsed yet).

    Raises ``FieldError("file", code)`` with ``unreadable_file``, ``too_large_file`` (an
    .xls; with ``max_mb``), ``too_large_unpacked`` (with ``max_mb``), ``too_many_rows``
    (with ``max``) or ``too_many_cells`` (with ``max``).
    """
    if extension == "xls":
        if len(data) > MAX_XLS_BYTES:
            logger.info("refused .xls upload of %d bytes", len(data))
            raise FieldError(FIELD, "too_large_file", max_mb=round(MAX_XLS_BYTES / 2**20, 1))
    else:
        check_zip_size(data, MAX_ODS_RATIO if extension == "ods" else MAX_XLSX_RATIO)
    try:
        extent = workbook_extent(data, extension)
    except UnreadableWorkbookError as error:
        logger.info("unreadable .%s upload: %s", extension, error)
        raise FieldError(FIELD, "unreadable_file") from error
    if extent.rows > MAX_SHEET_ROWS:
        logger.info("refused .%s upload reaching row %d", extension, extent.rows)
        raise FieldError(FIELD, "too_many_rows", max=MAX_ROWS)
    if extent.rows * extent.columns > MAX_SHEET_CELLS:
        logger.info("refused .%s upload of %d x %d cells", extension, extent.rows, extent.columns)
        raise FieldError(FIELD, "too_many_cells", max=MAX_SHEET_CELLS)


def check_zip_size(data: bytes, max_ratio: int = MAX_XLSX_RATIO) -> None:
    """Refuse an .xlsx or .ods that would unpack to too much, from its zip directory alone.

    The directory's sizes cannot lie about the amount unpacked: Python's ``zipfile``
    stops every member at its declared ``file_size``. Raises ``FieldError("file", code)``
    with ``unreadable_file`` (not a zip) or ``too_large_unpacked`` (with ``max_mb``).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        logger.info("unreadable zipped upload: %s", type(error).__name__)
        raise FieldError(FIELD, "unreadable_file") from error
    unpacked = sum(member.file_size for member in members)
    too_dense = any(
        member.file_size > _RATIO_CHECKED_FROM_BYTES
        and member.file_size > max_ratio * max(member.compress_size, 1)
        for member in members
    )
    if len(members) > MAX_XLSX_MEMBERS or unpacked > MAX_XLSX_UNPACKED_BYTES or too_dense:
        logger.info("refused zipped upload: %d members, %d bytes unpacked", len(members), unpacked)
        raise FieldError(
            FIELD, "too_large_unpacked", max_mb=MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)
        )


def _read_workbook(data: bytes, extension: str) -> pd.DataFrame:
    check_workbook_bounds(data, extension)
    try:
        # header=None keeps every row, blank ones included, so the frame's index + 1 is
        # the spreadsheet row number.
        return pd.read_excel(
            io.BytesIO(data),
            sheet_name=0,
            header=None,
            dtype=str,
            keep_default_na=False,
            engine="calamine",
        )
    except Exception as error:
        # A damaged workbook, or one of another type than its name says: calamine and
        # pandas raise many unrelated types for these, and all mean the same to a person.
        logger.info("unreadable .%s upload: %s", extension, type(error).__name__)
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


def _column_letter(position: int) -> str:
    """Excel's name of a 0-based column: A, B, ..., Z, AA, ..."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _check_cells(cells: list[list[str]], header: list[str] | None, first_row: int) -> None:
    """The text rule on every cell; a line break inside a cell is allowed (Alt+Enter)."""
    for index, row in enumerate(cells, start=first_row):
        for position, text in enumerate(row):
            found = find_control_character(text, multiline=True)
            if found is not None:
                name = header[position] if header and position < len(header) else ""
                raise FieldError(
                    FIELD,
                    "control_character_in_cell",
                    row=index + 1,
                    column=name or _column_letter(position),
                    character=found.label,
                )


def _to_sheet(table: list[list[object]], headers: Mapping[str, str]) -> Sheet:
    cells = [[_cell(value) for value in row] for row in table]
    header_index = next((i for i, row in enumerate(cells) if any(row)), None)
    if header_index is None:
        raise FieldError(FIELD, "empty_file")
    _check_cells(cells[: header_index + 1], None, 0)
    header = [column_code(name, headers) for name in cells[header_index]]
    _check_cells(cells[header_index + 1 :], header, header_index + 1)
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
