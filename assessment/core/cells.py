"""Cells of the spreadsheets the product writes: text stays text, never a formula.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
read by Excel, WPS and LibreOffice as a formula (or the start of one) when the file is
opened, so a unit named ``=HYPERLINK(...)`` would become a live link in an official's
download ("CSV injection", OWASP). Every writer of a ``.csv`` goes through
:func:`write_csv`, which prefixes such text with a single quote; the ``.xlsx`` writer
stores every text as a string cell (never a formula) and marks these cells with Excel's
quote prefix. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

__all__ = [
    "BOM",
    "FORMULA_STARTS",
    "QUOTE",
    "csv_cell",
    "decode_csv",
    "encode_csv",
    "is_formula_text",
    "read_csv_cell",
    "write_csv",
]

#: First characters that make a spreadsheet program read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The prefix that keeps such a cell text (shown by the spreadsheet program).
QUOTE = "'"
#: The byte-order mark every CSV file the product writes starts with.
BOM = "\ufeff"
# Numbers as the product's own number writers spell them (``repr``, fixed decimals):
# an optional minus, digits, an optional fraction and exponent. Never a leading plus.
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def is_formula_text(value: object) -> bool:
    """Whether ``value`` is text a spreadsheet program would read as a formula.

    Parameters
    ----------
    value : object
        A cell value. Numbers (``int``, ``float``), and text that is a plain decimal
        number such as ``"-1.5"`` (how the product writes numbers into CSV), are not.

    Returns
    -------
    bool

    Examples
    --------
    >>> [is_formula_text(v) for v in ("=1+1", "+1", "@SUM(A1)", "-x", "-1.5", -1.5, "王")]
    [True, True, True, True, False, False, False]
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return False
    return _NUMBER.fullmatch(value) is None


def csv_cell(value: object) -> object:
    """A cell value as :func:`write_csv` writes it.

    Parameters
    ----------
    value : object
        Text, a number or None.

    Returns
    -------
    object
        Formula-like text with a single quote in front; text already starting with a
        single quote gets one more, so that :func:`read_csv_cell` gives back exactly
        what was written; anything else unchanged.

    Notes
    -----
    The rule of OWASP's "CSV Injection" page: prefix a cell beginning with ``=``,
    ``+``, ``-``, ``@``, tab or carriage return with ``'``. Finite numbers, and text
    that is a plain decimal number, are left alone: they cannot start a formula.

    Examples
    --------
    >>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell("'quoted"), csv_cell("-2.5"), csv_cell(3)
    ('\\'=HYPERLINK("http://x")', "''quoted", '-2.5', 3)
    """
    if is_formula_text(value) or (isinstance(value, str) and value.startswith(QUOTE)):
        return QUOTE + str(value)
    return value


def read_csv_cell(text: str) -> str:
    """Undo :func:`csv_cell` on a cell read back from a file the product wrote.

    Examples
    --------
    >>> [read_csv_cell(csv_cell(v)) for v in ("=1+1", "'quoted", "''", "-2", "plain")]
    ['=1+1', "'quoted", "''", '-2', 'plain']
    """
    return text[1:] if text.startswith(QUOTE) else text


def write_csv(
    header: Sequence[object], rows: Iterable[Sequence[object]], *, line_end: str = "\n"
) -> str:
    """CSV text, header first, every cell through :func:`csv_cell`.

    Parameters
    ----------
    header : sequence
        The header row.
    rows : iterable of sequences
        The data rows.
    line_end : str
        ``"\\n"`` (the open-data bundle) or ``"\\r\\n"`` (downloads for Excel).

    Returns
    -------
    str
        Comma-separated, fields quoted only where needed (RFC 4180).

    Examples
    --------
    >>> print(write_csv(("name", "score"), [("=1+1", -2.5), ("a,b", 3)]), end="")
    name,score
    '=1+1,-2.5
    "a,b",3
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow([csv_cell(value) for value in header])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return out.getvalue()


def encode_csv(text: str) -> bytes:
    """A CSV file's bytes: UTF-8 with a byte-order mark.

    Notes
    -----
    Excel (and WPS) open a CSV file in the computer's code page, GBK on a Chinese
    Windows, unless it starts with the UTF-8 byte-order mark ``EF BB BF``; without it
    every Chinese name shows as mojibake. :func:`decode_csv` reads it back, with or
    without the mark.

    Examples
    --------
    >>> encode_csv("名称\\n")
    b'\\xef\\xbb\\xbf\\xe5\\x90\\x8d\\xe7\\xa7\\xb0\\n'
    """
    return (BOM + text).encode("utf-8")


def decode_csv(data: bytes) -> str:
    """The text of a CSV file :func:`encode_csv` wrote (a file without the mark reads too).

    Raises
    ------
    UnicodeDecodeError
        When the bytes are not UTF-8.

    Examples
    --------
    >>> decode_csv(encode_csv("a,b\\n")), decode_csv(b"a,b\\n")
    ('a,b\\n', 'a,b\\n')
    """
    return data.decode("utf-8-sig")
