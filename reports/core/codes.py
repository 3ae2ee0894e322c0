"""Verification codes printed on every report (DESIGN section 5, "Verification").

A report prints its facts twice: in the body, and as a "Verification" table of
``(key, value)`` text pairs (the *fields*, built by ``reports.core.layout``). The
verification code binds those fields to the result version they come from::

    17-C23-K7QF9MXA      version id 17, scorecard (C) of cadre 23, check K7QF9MXA
    17-S-PQ4RT8ZC        version id 17, township summary
    17-N-2WWD7HGE        version id 17, public notice
    42-T-9XKQ3WPE        closed ballot survey 42, its tally sheet (计票单)

A tally sheet belongs to a closed survey, not to a result version: its first number is
the survey's id, and its fields are re-counted from the survey's stored ballots.

The check is 8 symbols of the alphabet of resident access codes
(:data:`surveys.core.codes.ALPHABET`: no 0/O, 1/I/L), so it can be read aloud and typed
in any case. Whoever holds the code can recompute the result from the stored inputs,
rebuild the fields with the same functions, and compare; whoever also holds the PDF can
compare its printed fields one by one with :func:`fields_digest`.

The check carries no secret: it detects a changed report (a value edited in the PDF no
longer matches the code, and a re-made code no longer matches the recomputed fields), it
does not authenticate the issuer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from assessment.core.digest import canonical_json, sha256_hex
from assessment.core.errors import InvalidParameterError
from surveys.core.codes import ALPHABET

__all__ = [
    "CHECK_LENGTH",
    "ReportKind",
    "TypingMistake",
    "VerificationCode",
    "fields_digest",
    "find_typing_mistake",
    "format_verification_code",
    "make_verification_code",
    "parse_verification_code",
]

#: Symbols of the check (8 × log2(31) ≈ 39.6 bits of the digest).
CHECK_LENGTH = 8
_BASE = len(ALPHABET)
_CODE = re.compile(rf"^([1-9][0-9]*)-(S|N|T|C([1-9][0-9]*))-([{ALPHABET}]{{{CHECK_LENGTH}}})$")
# A code's shape with any check of letters and digits: what a person meant as a code.
_SHAPE = re.compile(r"^([1-9][0-9]*-(?:S|N|T|C[1-9][0-9]*)-)([0-9A-Z]{1,16})$")
# Characters people type for a dash, and spaces they add when copying from a PDF.
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})


class ReportKind(StrEnum):
    """The report kinds that carry a verification code."""

    SUMMARY = "S"
    SCORECARD = "C"
    NOTICE = "N"
    #: A closed ballot survey's tally sheet (the number before it is the survey id).
    TALLY = "T"


@dataclass(frozen=True, slots=True)
class VerificationCode:
    """A parsed verification code.

    Parameters
    ----------
    version_id : int
        Database id of the result version (not its number within the period).
    kind : ReportKind
    cadre_id : int or None
        The cadre of a scorecard; ``None`` for the summary and the notice.
    check : str
        The check symbols, upper case.
    """

    version_id: int
    kind: ReportKind
    cadre_id: int | None
    check: str

    @property
    def text(self) -> str:
        """The code as printed."""
        return format_verification_code(self.version_id, self.kind, self.cadre_id, self.check)


def fields_digest(fields: Sequence[tuple[str, str]]) -> str:
    """SHA-256 hex of the canonical JSON of a report's printed ``(key, value)`` pairs.

    Parameters
    ----------
    fields : sequence of (str, str)
        In printed order; order matters.

    Returns
    -------
    str
        64 lowercase hex digits of ``sha256(canonical_json([[key, value], ...]))``.

    Raises
    ------
    InvalidParameterError
        When a key or value is not a string.

    Examples
    --------
    >>> fields_digest([("total", "87.50")])[:16]
    '358f12f7adf4fe92'
    """
    pairs = []
    for key, value in fields:
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidParameterError("fields", (key, value), "key_and_value_must_be_text")
        pairs.append([key, value])
    return sha256_hex(canonical_json(pairs))


def _kind(kind: str, cadre_id: int | None) -> ReportKind:
    try:
        parsed = ReportKind(kind)
    except ValueError:
        raise InvalidParameterError("kind", kind, "unknown_report_kind") from None
    if (parsed is ReportKind.SCORECARD) != (cadre_id is not None):
        raise InvalidParameterError("cadre_id", cadre_id, "required_for_scorecards_only")
    if cadre_id is not None and (isinstance(cadre_id, bool) or cadre_id < 1):
        raise InvalidParameterError("cadre_id", cadre_id, "must_be_positive")
    return parsed


def format_verification_code(
    version_id: int, kind: ReportKind, cadre_id: int | None, check: str
) -> str:
    """``"<version id>-<kind>[<cadre id>]-<check>"``, e.g. ``"17-C23-K7QF9MXA"``.

    Examples
    --------
    >>> format_verification_code(17, ReportKind.SCORECARD, 23, "K7QF9MXA")
    '17-C23-K7QF9MXA'
    >>> format_verification_code(17, ReportKind.SUMMARY, None, "K7QF9MXA")
    '17-S-K7QF9MXA'
    """
    middle = f"C{cadre_id}" if kind is ReportKind.SCORECARD else str(kind)
    return f"{version_id}-{middle}-{check}"


def make_verification_code(
    *, version_id: int, kind: str, cadre_id: int | None, fields: Sequence[tuple[str, str]]
) -> str:
    """The verification code of one report.

    Parameters
    ----------
    version_id : int
        Database id of the result version (>= 1).
    kind : str
        ``"S"`` summary, ``"C"`` scorecard, ``"N"`` notice (:class:`ReportKind`).
    cadre_id : int or None
        The scorecard's cadre (database id); ``None`` for the other kinds.
    fields : sequence of (str, str)
        The printed fields (``reports.core.layout.*_fields``).

    Returns
    -------
    str
        ``"<version id>-<S|N|C<cadre id>>-<check>"``.

    Raises
    ------
    InvalidParameterError
        Unknown kind, a cadre id missing for a scorecard or given for another kind,
        a version id below 1, or a field that is not text.

    Notes
    -----
    ``check`` = the lowest :data:`CHECK_LENGTH` base-31 digits (least significant
    first, symbols of :data:`~surveys.core.codes.ALPHABET`) of the integer
    ``sha256(canonical_json([version_id, kind, cadre_id, fields_digest(fields)]))``, so a
    code copied onto another version, kind or cadre does not verify either.

    Examples
    --------
    >>> code = make_verification_code(version_id=17, kind="C", cadre_id=23,
    ...                               fields=[("total", "87.50")])
    >>> code.startswith("17-C23-"), len(code.split("-")[2])
    (True, 8)
    >>> parse_verification_code(code.lower()).text == code
    True
    """
    parsed = _kind(kind, cadre_id)
    if isinstance(version_id, bool) or not isinstance(version_id, int) or version_id < 1:
        raise InvalidParameterError("version_id", version_id, "must_be_positive")
    bound = canonical_json([version_id, str(parsed), cadre_id, fields_digest(fields)])
    number = int(sha256_hex(bound), 16)
    symbols = []
    for _ in range(CHECK_LENGTH):
        number, digit = divmod(number, _BASE)
        symbols.append(ALPHABET[digit])
    return format_verification_code(version_id, parsed, cadre_id, "".join(symbols))


def _clean(text: str) -> str:
    return "".join(text.translate(_DASHES).split()).upper()


def parse_verification_code(text: str) -> VerificationCode | None:
    """Read a typed or scanned code; ``None`` when it is not one.

    Case, surrounding and inner white space and typographic dashes are forgiven.

    Examples
    --------
    >>> parse_verification_code(" 17-c23-k7qf9mxa ")
    VerificationCode(version_id=17, kind=<ReportKind.SCORECARD: 'C'>, cadre_id=23, check='K7QF9MXA')
    >>> parse_verification_code("17-S-K7QF9MX") is None
    True
    """
    if not isinstance(text, str) or len(text) > 80:
        return None
    cleaned = _clean(text)
    match = _CODE.match(cleaned)
    if match is None:
        return None
    version, kind, cadre, check = match.groups()
    return VerificationCode(
        version_id=int(version),
        kind=ReportKind(kind[0]),
        cadre_id=int(cadre) if cadre is not None else None,
        check=check,
    )


@dataclass(frozen=True, slots=True)
class TypingMistake:
    """A verification code typed with one slip, and where.

    Parameters
    ----------
    text : str
        The code as typed, cleaned as :func:`parse_verification_code` cleans it (upper
        case, no spaces, plain dashes).
    position : int or None
        1-based place in ``text`` of the character that looks wrong (for a left-out
        character, the one typed in its place; at the end, the last one); ``None`` when
        the check has the wrong length and no issued code says where.
    """

    text: str
    position: int | None


def _one_edit_place(typed: str, issued: str) -> int | None:
    """0-based place where ``typed`` is one edit from ``issued``; None otherwise."""
    if typed == issued:
        return None
    first = next(
        (i for i, (a, b) in enumerate(zip(typed, issued, strict=False)) if a != b),
        min(len(typed), len(issued)),
    )
    if len(typed) == len(issued):
        rest_equal = typed[first + 1 :] == issued[first + 1 :]
        swapped = (
            first + 1 < len(typed)
            and typed[first] == issued[first + 1]
            and typed[first + 1] == issued[first]
            and typed[first + 2 :] == issued[first + 2 :]
        )
        return first if rest_equal or swapped else None
    if len(typed) == len(issued) + 1 and typed[first + 1 :] == issued[first:]:
        return first
    if len(typed) + 1 == len(issued) and typed[first:] == issued[first + 1 :]:
        return min(first, len(typed) - 1)
    return None


def find_typing_mistake(text: str, issued: str | None) -> TypingMistake | None:
    """Whether a typed code is a verification code with a typing mistake, and where.

    A mistyped code is told apart from a code that was not issued (a changed report)
    so that the reader checks the characters before suspecting the report.

    Parameters
    ----------
    text : str
        The code as typed.
    issued : str or None
        The code issued for the report that ``text`` names (same version, kind and
        cadre), when that report exists; ``None`` otherwise.

    Returns
    -------
    TypingMistake or None
        ``None`` when ``text`` is not shaped like a code at all, is the issued code, or
        is a well-formed code more than one slip away from it (that code was not
        issued: the report or its code was changed, see :func:`make_verification_code`).

    Notes
    -----
    The codes are made once and cannot be changed (printed reports must still
    verify), and their check is a digest of the report, not a check character: a
    typo cannot be caught from the code alone, only against the code issued for the
    same report. A typed check is a typing mistake when it is one edit from the
    issued check (Damerau 1964): one symbol replaced, two neighbours swapped, one
    left out or one added. Without an issued code, a check that holds a symbol
    codes never use (0, O, 1, I, L) or has the wrong length is one too.

    A changed report comes with an unrelated well-formed check of 8 symbols; it lands
    one edit from the issued check (8 × 30 symbols replaced, 7 neighbours swapped) with
    probability ``247 / 31⁸ ≈ 3 × 10⁻¹⁰``, so telling the two apart gives a forger
    nothing.

    References
    ----------
    F. J. Damerau, "A technique for computer detection and correction of spelling
    errors", Communications of the ACM 7(3), 1964, pp. 171-176.

    Examples
    --------
    >>> find_typing_mistake("17-C23-K7QF6MXA", "17-C23-K7QF9MXA")
    TypingMistake(text='17-C23-K7QF6MXA', position=12)
    >>> find_typing_mistake("17-C23-K7QF9MX0", None).position
    15
    >>> find_typing_mistake("17-C23-PQ4RT8ZC", "17-C23-K7QF9MXA") is None
    True
    """
    if not isinstance(text, str) or len(text) > 80:
        return None
    cleaned = _clean(text)
    shape = _SHAPE.match(cleaned)
    if shape is None:
        return None
    prefix, check = shape.groups()
    if issued is not None and issued.startswith(prefix):
        place = _one_edit_place(check, issued[len(prefix) :])
        if place is not None:
            return TypingMistake(cleaned, len(prefix) + place + 1)
    foreign = next((i for i, symbol in enumerate(check) if symbol not in ALPHABET), None)
    if foreign is not None:
        return TypingMistake(cleaned, len(prefix) + foreign + 1)
    if len(check) != CHECK_LENGTH:
        return TypingMistake(cleaned, None)
    return None
