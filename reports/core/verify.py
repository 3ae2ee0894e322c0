"""Field-by-field comparison for the verification of reports (DESIGN section 5).

Two comparisons, both on plain data:

* :func:`compare_fields`: the fields a report should print (rebuilt by
  ``reports.core.layout`` from the recomputed result) against the fields found (in the
  stored result, or printed in an uploaded PDF and read back by
  :func:`printed_fields`);
* :func:`compare_results`: a stored plain result against the result recomputed from
  its stored inputs, on every published number: each cadre's total, grade, rank,
  bonus, penalty, points per indicator and satisfaction index per survey indicator,
  plus the two digests.

Each check is a :class:`FieldCheck`: the field, the value expected, the value found,
and whether they agree. Values are compared as text: printed fields are text, and
result numbers are written as published, at the rulebook's declared precision
(:func:`reports.core.layout.format_score`): totals, ranks and grades are decided on
exactly those values (issue 13), so "agree" means the same published number, not
"close". A result stored before the precision was declared holds unrounded numbers;
compared as published, it agrees with its recomputation unless binary noise decided a
grade or a rank, and then the difference shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from assessment.core.precision import Precision
from reports.core.codes import parse_verification_code
from reports.core.layout import format_score, result_precision
from surveys.core.codes import ALPHABET

__all__ = [
    "CheckStatus",
    "FieldCheck",
    "compare_fields",
    "compare_results",
    "find_codes",
    "printed_fields",
]

Plain = Mapping[str, Any]

#: A field key as the reports print it: ``total``, ``points.W1``, ``grades.excellent``.
_KEY = re.compile(r"^([a-z][a-z_]*(?:\.[A-Za-z0-9_\-]+)?) (.+)$")
#: A verification code anywhere in extracted text.
_CODE_IN_TEXT = re.compile(rf"\b[1-9][0-9]*-(?:S|N|C[1-9][0-9]*)-[{ALPHABET}]{{8}}\b")


class CheckStatus(StrEnum):
    """Outcome of one field: ``matches``, ``differs``, ``missing`` or ``unexpected``."""

    MATCHES = "matches"
    DIFFERS = "differs"
    MISSING = "missing"
    UNEXPECTED = "unexpected"


@dataclass(frozen=True, slots=True)
class FieldCheck:
    """One field compared.

    Parameters
    ----------
    field : str
        The field's key (``total``, ``QS028.points.W1``).
    expected : str or None
        What it should be (``None``: not expected at all).
    found : str or None
        What was found (``None``: not found).
    """

    field: str
    expected: str | None
    found: str | None

    @property
    def status(self) -> CheckStatus:
        """See :class:`CheckStatus`."""
        if self.expected is None:
            return CheckStatus.UNEXPECTED
        if self.found is None:
            return CheckStatus.MISSING
        return CheckStatus.MATCHES if self.expected == self.found else CheckStatus.DIFFERS

    @property
    def ok(self) -> bool:
        """Whether the field matches."""
        return self.status is CheckStatus.MATCHES


def compare_fields(
    expected: Sequence[tuple[str, str]],
    found: Sequence[tuple[str, str]],
    *,
    report_unexpected: bool = True,
) -> tuple[FieldCheck, ...]:
    """Compare a report's expected fields with the fields found, key by key.

    Parameters
    ----------
    expected : sequence of (key, value)
        In printed order.
    found : sequence of (key, value)
        When a key appears more than once, the first value counts.
    report_unexpected : bool
        Also list keys found but not expected (default True).

    Returns
    -------
    tuple of FieldCheck
        One per expected key, in its order, then the unexpected ones.

    Examples
    --------
    >>> checks = compare_fields([("total", "88.12"), ("grade", "competent")],
    ...                         [("total", "98.12")])
    >>> [(c.field, c.expected, c.found, str(c.status)) for c in checks]
    [('total', '88.12', '98.12', 'differs'), ('grade', 'competent', None, 'missing')]
    """
    seen: dict[str, str] = {}
    for key, value in found:
        seen.setdefault(key, value)
    keys = [key for key, _ in expected]
    checks = [FieldCheck(key, value, seen.get(key)) for key, value in expected]
    if report_unexpected:
        checks += [FieldCheck(key, None, value) for key, value in seen.items() if key not in keys]
    return tuple(checks)


def _result_values(result: Plain, precision: Precision) -> dict[str, str]:
    values: dict[str, str] = {}
    for cadre in result.get("cadres", ()):
        prefix = str(cadre["code"])
        values[f"{prefix}.total"] = format_score(cadre["total"], precision)
        values[f"{prefix}.grade"] = str(cadre["grade"])
        values[f"{prefix}.rank"] = str(cadre["rank"])
        values[f"{prefix}.bonus"] = format_score(cadre["bonus"], precision)
        values[f"{prefix}.penalty"] = format_score(cadre["penalty"], precision)
        for item in cadre["indicators"]:
            values[f"{prefix}.points.{item['code']}"] = format_score(item["points"], precision)
            if item["kind"] == "survey":
                values[f"{prefix}.S.{item['code']}"] = format_score(item["input"], precision)
    return values


def compare_results(
    stored: Plain,
    recomputed: Plain,
    *,
    digests: Iterable[tuple[str, str, str]] = (),
) -> tuple[FieldCheck, ...]:
    """Compare a stored result with its recomputation on every published number.

    Parameters
    ----------
    stored : mapping
        ``payload["result"]`` of a result version.
    recomputed : mapping
        ``result_to_plain`` of the result recomputed from the stored inputs.
    digests : iterable of (name, expected, found)
        Digest checks made by the caller (e.g. the data digest of the stored inputs
        against the version's), put first.

    Returns
    -------
    tuple of FieldCheck
        ``expected`` is the recomputed value, ``found`` the stored one. Fields are
        ``<roster code>.total``, ``.grade``, ``.rank``, ``.bonus``, ``.penalty``,
        ``.points.<indicator>`` and ``.S.<survey indicator>``; numbers are written as
        published at the recomputed result's declared precision (both sides the same
        way), so any difference in a published number shows.

    Examples
    --------
    >>> cadre = {"code": "QS001", "total": 80.0, "grade": "competent", "rank": 1,
    ...          "bonus": 0.0, "penalty": 0.0, "indicators": []}
    >>> edited = {**cadre, "total": 90.0}
    >>> [(c.field, c.expected, c.found) for c in compare_results(
    ...     {"cadres": [edited]}, {"cadres": [cadre]}) if not c.ok]
    [('QS001.total', '80.00', '90.00')]
    """
    checks = [FieldCheck(name, expected, found) for name, expected, found in digests]
    precision = result_precision(recomputed)
    want = _result_values(recomputed, precision)
    have = _result_values(stored, precision)
    checks += [FieldCheck(key, value, have.get(key)) for key, value in want.items()]
    checks += [FieldCheck(key, None, value) for key, value in have.items() if key not in want]
    return tuple(checks)


def printed_fields(text: str) -> tuple[tuple[str, str], ...]:
    """The "Verification" table's ``(key, value)`` pairs in text extracted from a report.

    Parameters
    ----------
    text : str
        Text of the whole PDF (pages joined by new lines), as pypdf extracts it: one
        table row per line, key and value separated by a space.

    Returns
    -------
    tuple of (str, str)
        The pairs from the first ``period`` row that is followed by a ``version`` row
        down to the first ``data_digest`` row. Lines that are not ``key value``
        (running headers and footers of a page break inside the table) are skipped.

    Examples
    --------
    >>> text = "Total\\n88.12\\nField Value\\nperiod 2026 annual\\nversion 1\\n"
    >>> text += "Scorecard · 王\\ntotal 88.12\\ndata_digest ab12\\nfooter"
    >>> printed_fields(text)
    (('period', '2026 annual'), ('version', '1'), ('total', '88.12'), ('data_digest', 'ab12'))
    """
    lines = [line.strip() for line in text.splitlines()]
    pairs: list[tuple[str, str]] = []
    started = False
    for index, line in enumerate(lines):
        match = _KEY.match(line)
        if match is None:
            continue
        key, value = match.group(1), match.group(2).strip()
        if not started:
            following = next((_KEY.match(x) for x in lines[index + 1 :] if _KEY.match(x)), None)
            if key != "period" or following is None or following.group(1) != "version":
                continue
            started = True
        pairs.append((key, value))
        if key == "data_digest":
            break
    return tuple(pairs)


def find_codes(text: str) -> tuple[str, ...]:
    """Well-formed verification codes in a text, most frequent first (ties: first seen).

    Examples
    --------
    >>> find_codes("1-S-ABCDEFGH · 1-C28-S5VJE927\\ncode: 1-C28-S5VJE927, 1-S-ABCDEF0")
    ('1-C28-S5VJE927', '1-S-ABCDEFGH')
    """
    counts: dict[str, int] = {}
    for match in _CODE_IN_TEXT.finditer(text):
        parsed = parse_verification_code(match.group(0))
        if parsed is not None:
            counts[parsed.text] = counts.get(parsed.text, 0) + 1
    order = list(counts)
    return tuple(sorted(counts, key=lambda c: (-counts[c], order.index(c))))


_AUDIT_HEAD = re.compile(r"audit-head\s+(\d+)\s*:\s*((?:[0-9a-f]\s*){64})")


def find_audit_head(text: str) -> tuple[int, str] | None:
    """The ``audit-head SEQ:HASH`` a report prints, or None; line breaks inside are ignored.

    Examples
    --------
    >>> find_audit_head("log: audit-head 12:" + "ab" * 16 + "\\n" + "cd" * 16)[0]
    12
    >>> find_audit_head("no anchor here") is None
    True
    """
    match = _AUDIT_HEAD.search(text)
    if match is None:
        return None
    return int(match.group(1)), re.sub(r"\s", "", match.group(2))
