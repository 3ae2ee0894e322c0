"""How far the cells of an uploaded workbook reach, read from its structure before parsing.

A spreadsheet reader builds a dense grid from the first cell to the last one. One cell
at row 1,048,576 and column 200 of an otherwise empty 5 KB .xlsx made it allocate 6 GB
(python-calamine, 43 s) or 5 GB (openpyxl through pandas, 213 s); one cell at IV65536 of
a 6 KB .xls took 1 GB. The zip directory check of :mod:`assessment.services.spreadsheets` cannot
see this, because nothing here is compressed much. So before a workbook is handed to the
reader, this module walks its worksheets' structure (XML elements of .xlsx and .ods, the
BIFF records of .xls) and returns the largest extent of cells holding a value: rows and
columns from A1 to the furthest such cell, counting ODS's repeated rows and columns.

Every worksheet is walked, not only the first one that is imported, so that no sheet
order rule (workbook order, relationship targets, stream order) has to be trusted.
Cells without a value (formatting only) are not counted: the reader skips them too.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

import olefile
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

_XLSX_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_XLSX_SHEET_MEMBER = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
_CELL_REFERENCE = re.compile(r"([A-Za-z]{1,3})(\d+)")

# BIFF record types (Microsoft's [MS-XLS] section 2.3): beginning and end of a
# substream, and every record that holds a cell value with its row and column first.
_BOF = 0x0809
_EOF = 0x000A
_BOF_WORKSHEET = 0x0010
_CELL_RECORDS = frozenset(
    {
        0x0006,  # FORMULA
        0x00FD,  # LABELSST
        0x0203,  # NUMBER
        0x027E,  # RK
        0x0205,  # BOOLERR
        0x0204,  # LABEL
        0x00D6,  # RSTRING
    }
)
_MULRK = 0x00BD  # several RK cells of one row: first column ... last column


class UnreadableWorkbookError(ValueError):
    """The file is not a workbook of the type its name says."""


@dataclass(frozen=True, slots=True)
class Extent:
    """Rows and columns from A1 to the furthest cell with a value, over all worksheets."""

    rows: int = 0
    columns: int = 0

    def reach(self, row: int, column: int) -> Extent:
        """This extent grown to include a 1-based (row, column)."""
        return Extent(max(self.rows, row), max(self.columns, column))

    def __or__(self, other: Extent) -> Extent:
        return Extent(max(self.rows, other.rows), max(self.columns, other.columns))


def workbook_extent(data: bytes, extension: str) -> Extent:
    """The extent of an .xlsx, .ods or .xls file; raises UnreadableWorkbookError.

    For .xlsx and .ods the caller has already bounded the unpacked size.
    """
    try:
        if extension == "xls":
            return _xls_extent(data)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if extension == "ods":
                return _ods_extent(archive.read("content.xml"))
            extent = Extent()
            for name in archive.namelist():
                if _XLSX_SHEET_MEMBER.fullmatch(name):
                    extent |= _xlsx_sheet_extent(archive.read(name))
            return extent
    except (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ParseError,
        struct.error,
        ValueError,
        DefusedXmlException,
    ) as error:
        raise UnreadableWorkbookError(type(error).__name__) from error


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _events(xml: bytes) -> Iterator[tuple[str, Any]]:
    # An element is complete (children included) at its "end" event. defusedxml refuses
    # entity declarations (expansion bombs); the caller has bounded the size.
    yield from iterparse(io.BytesIO(xml), events=("start", "end"))


def _xlsx_sheet_extent(xml: bytes) -> Extent:
    """Rows and cells of one worksheet part; ``r`` attributes are optional (ECMA-376)."""
    extent = Extent()
    row_number = 0
    for event, element in _events(xml):
        if event != "end" or element.tag != f"{_XLSX_MAIN}row":
            continue
        row_number = int(element.get("r") or row_number + 1)
        column = 0
        for cell in element:
            if cell.tag != f"{_XLSX_MAIN}c":
                continue
            match = _CELL_REFERENCE.fullmatch(cell.get("r") or "")
            column = _column_number(match[1]) if match else column + 1
            if len(cell):  # a value, an inline string or a formula
                extent = extent.reach(row_number, column)
        element.clear()
    return extent


def _ods_extent(xml: bytes) -> Extent:
    """Rows and cells of every table, repetitions counted (OpenDocument 1.3, 9.1)."""
    extent = Extent()
    row_number = 0
    repeated_rows = f"{_ODS_TABLE}number-rows-repeated"
    repeated_columns = f"{_ODS_TABLE}number-columns-repeated"
    cells = (f"{_ODS_TABLE}table-cell", f"{_ODS_TABLE}covered-table-cell")
    for event, element in _events(xml):
        if event == "start":
            if element.tag == f"{_ODS_TABLE}table":
                row_number = 0
            continue
        if element.tag != f"{_ODS_TABLE}table-row":
            continue
        repeat = int(element.get(repeated_rows) or 1)
        column = 0
        last_valued = 0
        for cell in element:
            if cell.tag not in cells:
                continue
            column += int(cell.get(repeated_columns) or 1)
            if cell.get(f"{_ODS_OFFICE}value-type") or len(cell):
                last_valued = column
        row_number += repeat
        if last_valued:
            extent = extent.reach(row_number, last_valued)
        element.clear()
    return extent


def _xls_extent(data: bytes) -> Extent:
    """Cells of every worksheet substream of the BIFF workbook stream ([MS-XLS] 2.1.7)."""
    if not olefile.isOleFile(data=data):
        raise UnreadableWorkbookError("not an OLE2 compound file")
    with olefile.OleFileIO(data) as ole:
        name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
        if name is None:
            raise UnreadableWorkbookError("no workbook stream")
        stream = ole.openstream(name).read()
    extent = Extent()
    in_worksheet = False
    position = 0
    while position + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, position)
        body = stream[position + 4 : position + 4 + size]
        position += 4 + size
        if kind == _BOF and len(body) >= 4:
            in_worksheet = struct.unpack_from("<H", body, 2)[0] == _BOF_WORKSHEET
        elif kind == _EOF:
            in_worksheet = False
        elif in_worksheet and kind in _CELL_RECORDS and len(body) >= 4:
            row, column = struct.unpack_from("<HH", body)
            extent = extent.reach(row + 1, column + 1)
        elif in_worksheet and kind == _MULRK and len(body) >= 6:
            row = struct.unpack_from("<H", body)[0]
            last_column = struct.unpack_from("<H", body, len(body) - 2)[0]
            extent = extent.reach(row + 1, last_column + 1)
    return extent
