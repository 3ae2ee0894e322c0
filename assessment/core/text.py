"""The one rule for text that people type or upload: no control characters.

PostgreSQL cannot store NUL in text (SQLite stores it as typed), and the other C0/C1
control characters are invisible in pages, spreadsheets and PDFs, so a value holding
one is refused with a message naming the field, on every database alike. Tab, line
feed and carriage return are allowed where a value may span lines (a comment, a reason,
a spreadsheet cell, a YAML document), nowhere else.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

__all__ = [
    "LINE_BREAKS_AND_TAB",
    "ControlCharacter",
    "find_control_character",
    "find_control_character_in_tree",
]

#: Control characters a multi-line value may hold.
LINE_BREAKS_AND_TAB = frozenset("\t\n\r")


@dataclass(frozen=True, slots=True)
class ControlCharacter:
    """A control character found in a text.

    Parameters
    ----------
    position : int
        0-based index of the character in the text.
    codepoint : int
        Its code point, e.g. 0 for NUL.
    """

    position: int
    codepoint: int

    @property
    def label(self) -> str:
        """The character as people look it up, e.g. ``"U+0000"``."""
        return f"U+{self.codepoint:04X}"


def find_control_character(text: str, *, multiline: bool) -> ControlCharacter | None:
    """The first character of ``text`` that the text rule refuses, or None.

    Parameters
    ----------
    text : str
        The value as typed or read.
    multiline : bool
        Whether the value may span lines: then tab, LF and CR are allowed.

    Returns
    -------
    ControlCharacter or None

    Notes
    -----
    Refused: every character of Unicode general category ``Cc`` (U+0000-U+001F and
    U+007F-U+009F), except tab (U+0009), line feed (U+000A) and carriage return
    (U+000D) when ``multiline``. Other invisible characters (format characters such as
    U+200B, category ``Cf``) are allowed: Chinese and English text uses some of them.

    References
    ----------
    The Unicode Standard, section 4.5 "General Category" (``Cc``: control);
    PostgreSQL documentation, section 8.3 "Character Types" (NUL cannot be stored).

    Examples
    --------
    >>> find_control_character("张三\\x00", multiline=False)
    ControlCharacter(position=2, codepoint=0)
    >>> find_control_character("line one\\nline two", multiline=True) is None
    True
    >>> find_control_character("line one\\nline two", multiline=False).label
    'U+000A'
    """
    for position, character in enumerate(text):
        if unicodedata.category(character) != "Cc":
            continue
        if multiline and character in LINE_BREAKS_AND_TAB:
            continue
        return ControlCharacter(position, ord(character))
    return None


def _walk(data: object, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a tree of mappings and lists with its path (``a.b[2]``), keys too,
    in document order (iteratively: a deep tree must not exhaust Python's stack)."""
    stack: list[tuple[str, object]] = [(path, data)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, Mapping):
            children: list[tuple[str, object]] = []
            for key, value in item.items():
                child = f"{where}.{key}" if where else str(key)
                children += [(child, str(key)), (child, value)]
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend((f"{where}[{i}]", value) for i, value in reversed(list(enumerate(item))))


def find_control_character_in_tree(
    data: object, *, multiline: bool = True
) -> tuple[str, ControlCharacter] | None:
    """The first refused character in any string (key or value) of nested plain data.

    Parameters
    ----------
    data : object
        Mappings, lists and scalars, as a YAML or JSON document loads.
    multiline : bool
        As for :func:`find_control_character` (default True: documents span lines).

    Returns
    -------
    (str, ControlCharacter) or None
        The path of the string (``indicator_sets[0].name.zh``, the rulebook's notation)
        and the character, in document order.

    Examples
    --------
    >>> find_control_character_in_tree({"title": {"zh": "考核", "en": "A\\x07"}})
    ('title.en', ControlCharacter(position=1, codepoint=7))
    """
    for path, text in _walk(data, ""):
        found = find_control_character(text, multiline=multiline)
        if found is not None:
            return path, found
    return None
