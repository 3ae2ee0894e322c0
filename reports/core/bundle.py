"""The open-data bundle: its files from plain data, and the engine's inputs back from them.

A bundle is a zip of CSV files (UTF-8, comma, ``\\n`` line ends, a header row), the
rulebook as YAML, a ``manifest.json`` and a ``SHA256SUMS`` file. ``docs/open-data.md``
describes every column for an outside auditor; this module is the one place that
writes (and reads back) those files, so the builder in ``reports.services.bundle`` and the
database-free ``python -m reports.recompute`` cannot disagree about the format.

What the recompute reproduces: ``results.csv`` (per cadre: points of every weighted
indicator, satisfaction index ``S`` of every survey indicator, bonus, penalty, total,
rank and grade) from the other files, through
:func:`assessment.core.results.compute_period_results`. Two facts shape the files:

* Individual ratings are not published, only each panel's value (``panel_values.csv``).
  The panel value ``v`` enters the engine as one rating of ``v``: the mean of one value
  is that value exactly, so the points ``w × v / 100`` and the ranking keys are the
  app's own. Panel agreement, leniency and the bootstrap grade confidence need the
  individual ratings and are not reproduced.
* Survey scores are published per target without the unit (``survey_scores.csv``)
  unless post-stratification needs it; the app adds a target's scores ordered by
  unit, the recompute by score, and floating-point sums in another order can differ
  in the 16th significant digit. That noise never reaches a published number: the
  satisfaction index is read to 9 decimals and rounded to the rulebook's declared
  precision (:mod:`assessment.core.precision`), and points, totals, ranks and grades
  follow from the published values in decimal arithmetic. ``results.csv`` writes every
  number exactly as published, with the declared number of decimals.

Small groups (DESIGN section 5): :func:`suppressed_groups` decides which unit groups
are left out of ``responses.csv`` (and have their unit blanked in ``survey_scores.csv``
under post-stratification), with secondary suppression so that no suppressed group can
be recovered by subtraction from the target's total.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import zipfile
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from assessment.core.cells import read_csv_cell, write_csv
from assessment.core.errors import AssessmentError, InvalidParameterError
from assessment.core.precision import DEFAULT_PRECISION, Precision
from assessment.core.records import (
    ActualInput,
    BallotInput,
    CadreInput,
    ChildPeriodInput,
    ChildResultInput,
    DecisionInput,
    DecisionKind,
    EventInput,
    PeriodInputs,
    RatingInput,
    SurveyTargetInput,
    UnitGradeInput,
    UnitInput,
    UnitNodeInput,
)
from assessment.core.rulebook import BALLOT_GRADES

__all__ = [
    "CHECKSUMS",
    "FORMAT",
    "HEADERS",
    "INPUT_FILES",
    "MANIFEST",
    "OPTIONAL_INPUT_FILES",
    "PANEL_ASSESSOR",
    "BundleError",
    "QuestionRecord",
    "ResponseRecord",
    "SurveyTables",
    "check_checksums",
    "checksums_text",
    "exact_number",
    "fixed_number",
    "input_tables",
    "inputs_from_tables",
    "manifest_json",
    "read_csv",
    "read_zip",
    "responses_tables",
    "results_csv",
    "suppressed_groups",
    "survey_tables",
    "write_csv",
    "write_zip",
]

#: Format name written in the manifest.
FORMAT = "township-assessment open data 2"
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
#: The assessor id under which a published panel value enters the engine.
PANEL_ASSESSOR = "panel"
#: Largest bundle file read back (a county's responses.csv is a few tens of MB).
MAX_FILE_BYTES = 512 * 1024 * 1024

#: Header of each fixed-format CSV file (``responses.csv`` adds one column per item).
HEADERS: dict[str, tuple[str, ...]] = {
    "cadres.csv": ("id", "code", "name", "post", "unit", "post_group"),
    "units.csv": ("id", "name", "population", "households"),
    "quantitative.csv": ("cadre", "indicator", "value"),
    "panel_values.csv": ("cadre", "indicator", "value", "n_ratings", "trimmed"),
    "events.csv": ("id", "cadre", "indicator", "points"),
    "decisions.csv": ("cadre", "indicator", "kind", "reason"),
    "survey_targets.csv": ("indicator", "target", "n_valid", "n_invalid", "n_excluded"),
    "survey_scores.csv": ("indicator", "target", "unit", "score", "count"),
    "questions.csv": ("survey", "question", "kind", "points", "text_zh", "text_en"),
    "ballots.csv": (
        "indicator",
        "target",
        "group",
        *BALLOT_GRADES,
        "abstentions",
        "eligible",
        "invalid",
        "flagged",
    ),
    "sub_period_results.csv": ("period", "order", "name", "cadre", "total", "grade"),
    "unit_grades.csv": ("unit", "kind", "parent", "grade"),
}
#: Headers written before a file gained columns, still read (the new columns' cells
#: read as their value then: no ballot sheet was voided or flagged before validity rules).
EARLIER_HEADERS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "ballots.csv": (HEADERS["ballots.csv"][:-2], {"invalid": "0", "flagged": "0"}),
}
#: Files the recompute reads (besides ``rulebook.yaml``).
INPUT_FILES = (
    "cadres.csv",
    "units.csv",
    "quantitative.csv",
    "panel_values.csv",
    "events.csv",
    "decisions.csv",
    "survey_targets.csv",
    "survey_scores.csv",
)
#: Input files a bundle has only when the period has them: grade ballots per voter group
#: (issue 14), so that every bundle written before keeps its files.
OPTIONAL_INPUT_FILES = ("ballots.csv", "sub_period_results.csv", "unit_grades.csv")
RESULT_HEAD = (
    "cadre",
    "code",
    "name",
    "post",
    "post_group",
    "rank",
    "grade",
    "earned",
    "total",
    "points",
    "bonus",
    "penalty",
    "vetoes",
)

Plain = Mapping[str, Any]
K = TypeVar("K", bound=Hashable)
G = TypeVar("G", bound=Hashable)


class BundleError(AssessmentError):
    """A bundle file is missing or malformed.

    Attributes
    ----------
    file : str
        The file name inside the bundle.
    row : int or None
        1-based line number in the file (the header is line 1).
    column : str or None
        The column concerned.
    reason : str
        A stable snake_case code.
    """

    code = "bundle_error"

    def __init__(
        self, file: str, reason: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.reason = reason
        where = file + (f" line {row}" if row is not None else "")
        where += f" column {column!r}" if column is not None else ""
        super().__init__(f"{where}: {reason.replace('_', ' ')}")


# ---------------------------------------------------------------------------
# numbers and CSV
# ---------------------------------------------------------------------------


def exact_number(value: float | int | None) -> str:
    """A number written so that reading it back gives the same double.

    Parameters
    ----------
    value : float, int or None

    Returns
    -------
    str
        ``""`` for None or NaN; an integral value as an integer; any other float as
        Python's shortest round-tripping decimal (``repr``), e.g. ``"66.66666666666667"``.

    Examples
    --------
    >>> exact_number(85.0), exact_number(200 / 3), exact_number(None), exact_number(-0.0)
    ('85', '66.66666666666667', '', '0')
    >>> float(exact_number(0.1 + 0.2)) == 0.1 + 0.2
    True
    """
    if value is None:
        return ""
    number = float(value)
    if math.isnan(number):
        return ""
    if number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    return repr(number)


def fixed_number(value: float | int | None, precision: Precision = DEFAULT_PRECISION) -> str:
    """A published result number, with the declared decimals (``""`` for None or NaN).

    Examples
    --------
    >>> fixed_number(87.5), fixed_number(200 / 3), fixed_number(None)
    ('87.50', '66.67', '')
    >>> fixed_number(94.0, Precision(1, "half_even"))
    '94.0'
    """
    if value is None:
        return ""
    number = float(value)
    if math.isnan(number):
        return ""
    return precision.format(number)


def read_csv(name: str, text: str) -> list[dict[str, str]]:
    """Rows of a bundle CSV file as dicts, after checking its header.

    A cell :func:`~assessment.core.cells.write_csv` wrote with a protective single quote
    (text starting like a formula) is read back without it.

    Raises
    ------
    BundleError
        When the header is not the one in :data:`HEADERS` or a row has another number
        of cells.

    Examples
    --------
    >>> read_csv("quantitative.csv", "cadre,indicator,value\\n7,Q1,95\\n")
    [{'cadre': '7', 'indicator': 'Q1', 'value': '95'}]
    >>> read_csv("units.csv", "id,name,population,households\\n3,'=1+1,-1,2\\n")[0]["name"]
    '=1+1'
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    expected = HEADERS.get(name)
    earlier, filled = EARLIER_HEADERS.get(name, ((), {}))
    if header is not None and earlier and tuple(header) == earlier:
        expected = earlier
    else:
        filled = {}
    if header is None or (expected is not None and tuple(header) != expected):
        raise BundleError(name, "unexpected_header", row=1)
    rows = []
    for line, cells in enumerate(reader, start=2):
        if len(cells) != len(header):
            raise BundleError(name, "wrong_number_of_cells", row=line)
        rows.append({**dict(zip(header, map(read_csv_cell, cells), strict=True)), **filled})
    return rows


def _float(name: str, line: int, column: str, text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise BundleError(name, "not_a_number", row=line, column=column) from None
    if not math.isfinite(number):
        raise BundleError(name, "not_a_number", row=line, column=column)
    return number


def _optional_float(name: str, line: int, column: str, text: str) -> float | None:
    return None if text == "" else _float(name, line, column, text)


def _count(name: str, line: int, column: str, text: str) -> int:
    if not text.isdigit():
        raise BundleError(name, "not_a_count", row=line, column=column)
    return int(text)


# ---------------------------------------------------------------------------
# suppression of small groups
# ---------------------------------------------------------------------------


def suppressed_groups(counts: Mapping[tuple[K, G], int], min_group_size: int) -> set[tuple[K, G]]:
    """Groups to leave out so that no group under the minimum size can be read or derived.

    Parameters
    ----------
    counts : mapping of (parent, group) to int
        Responses per group within a parent (e.g. per unit within a rated target).
    min_group_size : int
        Smallest group that may be shown (DESIGN section 5, default 5).

    Returns
    -------
    set of (parent, group)
        The suppressed groups.

    Notes
    -----
    Primary suppression: every group with ``0 < n < min_group_size``. Secondary
    suppression: when the suppressed groups of a parent add up to fewer than
    ``min_group_size`` responses while others are shown, the smallest shown groups
    (ties by key) are suppressed too, until the suppressed total reaches the minimum or
    nothing is shown. Otherwise a suppressed group could be recovered as the parent's
    total (published) minus the shown groups.

    Examples
    --------
    >>> sorted(suppressed_groups({("t", "a"): 2, ("t", "b"): 9, ("t", "c"): 6}, 5))
    [('t', 'a'), ('t', 'c')]
    >>> sorted(suppressed_groups({("t", "a"): 5, ("u", "a"): 4}, 5))
    [('u', 'a')]
    """
    if isinstance(min_group_size, bool) or not isinstance(min_group_size, int):
        raise InvalidParameterError("min_group_size", min_group_size, "must_be_an_integer")
    by_parent: dict[K, list[tuple[int, str, G]]] = defaultdict(list)
    for (parent, group), n in counts.items():
        by_parent[parent].append((int(n), str(group), group))
    out: set[tuple[K, G]] = set()
    for parent, groups in by_parent.items():
        small = [g for g in groups if 0 < g[0] < min_group_size]
        shown = sorted(g for g in groups if g[0] >= min_group_size)
        hidden = sum(g[0] for g in small)
        while small and 0 < hidden < min_group_size and shown:
            extra = shown.pop(0)
            small.append(extra)
            hidden += extra[0]
        out.update((parent, g[2]) for g in small)
    return out


# ---------------------------------------------------------------------------
# the input files, from a result version's payload
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SurveyTables:
    """``survey_targets.csv`` and ``survey_scores.csv`` with what suppression did.

    Parameters
    ----------
    targets, scores : str
        The two files' text.
    blanked_groups : int
        Unit groups whose unit was blanked (post-stratification only).
    unreproducible : tuple of (str, str)
        ``(indicator, target)`` whose post-stratified index cannot be recomputed
        because a unit had to be blanked.
    """

    targets: str
    scores: str
    blanked_groups: int = 0
    unreproducible: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def survey_tables(
    surveys: Sequence[Plain], *, post_stratification: bool, min_group_size: int
) -> SurveyTables:
    """The survey files from the canonical survey inputs of a result version.

    Parameters
    ----------
    surveys : sequence of mapping
        ``canonical_inputs(...)["surveys"]``: ``indicator``, ``target``, ``n_invalid``,
        ``n_excluded`` and ``responses`` = sorted ``[unit, score, count]``.
    post_stratification : bool
        The rulebook's setting: only then does a score keep its unit.
    min_group_size : int
        See :func:`suppressed_groups`.

    Returns
    -------
    SurveyTables

    Examples
    --------
    >>> s = [{"indicator": "S1", "target": "7", "n_invalid": 1, "n_excluded": 0,
    ...       "responses": [["3", 75, 2], ["4", 75, 1], ["4", 100, 1]]}]
    >>> t = survey_tables(s, post_stratification=False, min_group_size=5)
    >>> print(t.scores, end="")
    indicator,target,unit,score,count
    S1,7,,75,3
    S1,7,,100,1
    """
    target_rows = []
    counts: dict[tuple[tuple[str, str], str], int] = defaultdict(int)
    for s in surveys:
        key = (str(s["indicator"]), str(s["target"]))
        n_valid = sum(int(count) for _unit, _score, count in s["responses"])
        target_rows.append((*key, n_valid, int(s["n_invalid"]), int(s["n_excluded"])))
        for unit, _score, count in s["responses"]:
            counts[(key, str(unit))] += int(count)
    hidden = suppressed_groups(counts, min_group_size) if post_stratification else set()
    histogram: dict[tuple[str, str, str, float], int] = defaultdict(int)
    for s in surveys:
        key = (str(s["indicator"]), str(s["target"]))
        for unit, score, count in s["responses"]:
            shown = post_stratification and (key, str(unit)) not in hidden
            histogram[(*key, str(unit) if shown else "", float(score))] += int(count)
    score_rows = [
        (indicator, target, unit, exact_number(score), count)
        for (indicator, target, unit, score), count in sorted(histogram.items())
    ]
    return SurveyTables(
        targets=write_csv(HEADERS["survey_targets.csv"], sorted(target_rows)),
        scores=write_csv(HEADERS["survey_scores.csv"], score_rows),
        blanked_groups=len(hidden),
        unreproducible=tuple(sorted({key for key, _unit in hidden})),
    )


def input_tables(
    inputs: Plain,
    result: Plain,
    *,
    unit_names: Mapping[str, str],
    post_stratification: bool,
    min_group_size: int,
) -> tuple[dict[str, str], SurveyTables]:
    """Every input file of the bundle from a version's canonical inputs and result.

    Parameters
    ----------
    inputs : mapping
        ``payload["inputs"]`` (:func:`assessment.core.results.canonical_inputs`).
    result : mapping
        ``payload["result"]``: the panel values come from its qualitative outcomes
        (value, number of ratings, trimmed), so that no individual rating is written.
    unit_names : mapping of str to str
        Names of units by id, for ``units.csv`` (a missing one is written empty).
    post_stratification, min_group_size
        See :func:`survey_tables`.

    Returns
    -------
    (dict of file name to text, SurveyTables)

    Examples
    --------
    >>> inputs = {"cadres": [{"id": "7", "code": "QS007", "name": "王", "post": "P",
    ...     "unit": "3", "post_group": "P"}], "units": [], "actuals": [], "ratings": [],
    ...     "events": [], "surveys": [], "decisions": []}
    >>> result = {"cadres": [{"id": "7", "indicators": [{"code": "Q2",
    ...     "kind": "qualitative", "status": "scored", "input": 85.0, "n": 5,
    ...     "trimmed": True}]}]}
    >>> files, _ = input_tables(inputs, result, unit_names={}, post_stratification=False,
    ...                         min_group_size=5)
    >>> print(files["panel_values.csv"], end="")
    cadre,indicator,value,n_ratings,trimmed
    7,Q2,85,5,true
    """
    files = {
        "cadres.csv": write_csv(
            HEADERS["cadres.csv"],
            (
                (c["id"], c["code"], c["name"], c["post"], c["unit"], c["post_group"])
                for c in inputs["cadres"]
            ),
        ),
        "units.csv": write_csv(
            HEADERS["units.csv"],
            (
                (
                    u["id"],
                    unit_names.get(str(u["id"]), ""),
                    exact_number(u["population"]),
                    exact_number(u["households"]),
                )
                for u in inputs["units"]
            ),
        ),
        "quantitative.csv": write_csv(
            HEADERS["quantitative.csv"],
            ((a["cadre"], a["indicator"], exact_number(a["value"])) for a in inputs["actuals"]),
        ),
        "panel_values.csv": write_csv(
            HEADERS["panel_values.csv"],
            sorted(
                (
                    str(c["id"]),
                    str(i["code"]),
                    exact_number(i["input"]),
                    int(i["n"]),
                    "true" if i["trimmed"] else "false",
                )
                for c in result["cadres"]
                for i in c["indicators"]
                if i["kind"] == "qualitative" and i["status"] == "scored"
            ),
        ),
        "events.csv": write_csv(
            HEADERS["events.csv"],
            (
                (e["id"], e["cadre"], e["indicator"], exact_number(e.get("points")))
                for e in inputs["events"]
            ),
        ),
        "decisions.csv": write_csv(
            HEADERS["decisions.csv"],
            ((d["cadre"], d["indicator"], d["kind"], d["reason"]) for d in inputs["decisions"]),
        ),
    }
    surveys = survey_tables(
        inputs["surveys"],
        post_stratification=post_stratification,
        min_group_size=min_group_size,
    )
    files["survey_targets.csv"] = surveys.targets
    files["survey_scores.csv"] = surveys.scores
    if inputs.get("ballots"):
        files["ballots.csv"] = write_csv(
            HEADERS["ballots.csv"],
            (
                (
                    b["indicator"],
                    b["target"],
                    b["group"],
                    *(int(b["votes"].get(grade, 0)) for grade in BALLOT_GRADES),
                    int(b["abstentions"]),
                    "" if b["eligible"] is None else int(b["eligible"]),
                    int(b.get("invalid", 0)),
                    int(b.get("flagged", 0)),
                )
                for b in inputs["ballots"]
            ),
        )
    if inputs.get("child_periods") or inputs.get("child_results"):
        files["sub_period_results.csv"] = _sub_period_rows(inputs)
    if inputs.get("unit_tree") or inputs.get("unit_grades"):
        files["unit_grades.csv"] = _unit_grade_rows(inputs)
    return files, surveys


def _unit_grade_rows(inputs: Plain) -> str:
    """The unit tree a quota group split by unit grade reads, each unit with its grade in
    the period that grades the units ("" when it has none; issue 16). A grade of a unit
    outside the tree is written with no kind."""
    grades = {g["unit"]: g["grade"] for g in inputs.get("unit_grades", [])}
    rows = [
        (u["id"], u["kind"], u["parent"] or "", grades.pop(u["id"], ""))
        for u in inputs.get("unit_tree", [])
    ]
    rows.extend((unit, "", "", grade) for unit, grade in sorted(grades.items()))
    return write_csv(HEADERS["unit_grades.csv"], rows)


def _sub_period_rows(inputs: Plain) -> str:
    """The sub-periods a roll-up reads (issue 15): each cadre's published total and grade
    in each final one, and one row with no cadre for a sub-period without results."""
    by_period: dict[str, list[Plain]] = {}
    for r in inputs.get("child_results", []):
        by_period.setdefault(r["period"], []).append(r)
    rows = []
    for child in inputs.get("child_periods", []):
        found = by_period.get(child["id"], [])
        if not found:
            rows.append((child["id"], child["order"], child["name"], "", "", ""))
        rows.extend(
            (
                child["id"],
                child["order"],
                child["name"],
                r["cadre"],
                exact_number(r["total"]),
                r["grade"],
            )
            for r in found
        )
    return write_csv(HEADERS["sub_period_results.csv"], rows)


# ---------------------------------------------------------------------------
# results.csv
# ---------------------------------------------------------------------------


def results_csv(result: Plain) -> str:
    """``results.csv`` from a plain result (:func:`~assessment.core.records.result_to_plain`).

    Parameters
    ----------
    result : mapping
        A stored ``payload["result"]``, or a recomputed result made plain.

    Returns
    -------
    str
        One row per cadre, ordered by post group, rank and roster code: the columns of
        ``RESULT_HEAD`` then ``points.<code>`` for every weighted indicator code of
        any cadre and ``S.<code>`` for every survey indicator code, codes sorted.
        Numbers by :func:`fixed_number` at the result's declared precision (two
        decimals when the result declares none); an indicator the cadre's post does not
        have, or an index that was not computed (left out by decision), is empty.

    Examples
    --------
    >>> cadre = {"id": "7", "code": "QS007", "name": "王", "post": "P",
    ...     "post_group": "P", "rank": 1, "grade": "competent", "earned": "competent",
    ...     "total": 80.0, "points": 80.0, "bonus": 0.0, "penalty": 0.0, "vetoes": [],
    ...     "indicators": [{"code": "S1", "kind": "survey", "status": "scored",
    ...                     "input": 200 / 3, "points": 80.0}]}
    >>> print(results_csv({"cadres": [cadre]}).splitlines()[1])
    7,QS007,王,P,P,1,competent,competent,80.00,80.00,0.00,0.00,,80.00,66.67
    """
    precision = Precision.from_plain(result.get("precision"))
    cadres = sorted(
        result["cadres"], key=lambda c: (str(c["post_group"]), int(c["rank"]), str(c["code"]))
    )
    weighted = sorted({str(i["code"]) for c in cadres for i in c["indicators"]})
    surveyed = sorted(
        {str(i["code"]) for c in cadres for i in c["indicators"] if i["kind"] == "survey"}
    )
    header = (*RESULT_HEAD, *(f"points.{c}" for c in weighted), *(f"S.{c}" for c in surveyed))
    rows = []
    for c in cadres:
        by_code = {str(i["code"]): i for i in c["indicators"]}
        row: list[object] = [
            c["id"],
            c["code"],
            c["name"],
            c["post"],
            c["post_group"],
            int(c["rank"]),
            c["grade"],
            c["earned"],
            fixed_number(c["total"], precision),
            fixed_number(c["points"], precision),
            fixed_number(c["bonus"], precision),
            fixed_number(c["penalty"], precision),
            ";".join(str(v) for v in c.get("vetoes", ())),
        ]
        row += [
            fixed_number(by_code[k]["points"], precision) if k in by_code else "" for k in weighted
        ]
        row += [
            fixed_number(by_code[k]["input"], precision)
            if k in by_code and by_code[k]["status"] == "scored"
            else ""
            for k in surveyed
        ]
        rows.append(row)
    return write_csv(header, rows)


# ---------------------------------------------------------------------------
# responses.csv and questions.csv
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    """One counted response about one target, as read from the survey tables.

    ``response`` is the stored random key; it never reaches the bundle (rows are
    renumbered). ``day`` is an ISO date. ``values`` maps a question code to the
    answer (Likert 1..k, 0-10 scale 0..10) or None when unanswered.
    """

    survey: str
    response: str
    target_kind: str
    target: str
    unit: str
    day: str
    values: Mapping[str, int | None]


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    """One scored question of a survey (``points``: k of a Likert scale, 11 for 0-10)."""

    survey: str
    question: str
    kind: str
    points: int
    text_zh: str
    text_en: str


def responses_tables(
    responses: Sequence[ResponseRecord],
    questions: Sequence[QuestionRecord],
    *,
    min_group_size: int,
) -> tuple[str, str, int]:
    """``responses.csv`` and ``questions.csv``, small groups left out.

    Parameters
    ----------
    responses : sequence of ResponseRecord
        Counted (not excluded) responses of the period's closed surveys.
    questions : sequence of QuestionRecord
        The scored questions whose answers are published.
    min_group_size : int
        Groups are (survey, target, unit); see :func:`suppressed_groups`.

    Returns
    -------
    (str, str, int)
        The two files and the number of rows left out.

    Notes
    -----
    Columns of ``responses.csv``: ``response`` (``R000001``..., numbered in the order
    of the stored random keys, so the number tells nothing about time or
    participation), ``survey``, ``target_kind``, ``target``, ``unit``, ``date`` (the
    day only), then ``q_<code>`` for each question code, sorted.

    Examples
    --------
    >>> rows = [ResponseRecord("1", f"k{i}", "cadre", "7", "3", "2026-06-02", {"q": 4})
    ...         for i in range(5)]
    >>> rows.append(ResponseRecord("1", "k9", "cadre", "7", "4", "2026-06-02", {"q": 1}))
    >>> text, _, left_out = responses_tables(rows, [], min_group_size=5)
    >>> left_out, text.splitlines()[:2]
    (6, ['response,survey,target_kind,target,unit,date,q_q'])
    """
    counts: dict[tuple[tuple[str, str, str], str], int] = defaultdict(int)
    for r in responses:
        counts[((r.survey, r.target_kind, r.target), r.unit)] += 1
    hidden = suppressed_groups(counts, min_group_size)
    kept = sorted(
        (r for r in responses if ((r.survey, r.target_kind, r.target), r.unit) not in hidden),
        key=lambda r: (r.survey, r.response, r.target_kind, r.target),
    )
    codes = sorted({code for r in responses for code in r.values} | {q.question for q in questions})
    numbers: dict[tuple[str, str], str] = {}
    rows = []
    for r in kept:
        pseudonym = numbers.setdefault((r.survey, r.response), f"R{len(numbers) + 1:06d}")
        values = [exact_number(r.values.get(code)) for code in codes]
        rows.append((pseudonym, r.survey, r.target_kind, r.target, r.unit, r.day, *values))
    header = ("response", "survey", "target_kind", "target", "unit", "date")
    text = write_csv((*header, *(f"q_{c}" for c in codes)), rows)
    question_text = write_csv(
        HEADERS["questions.csv"],
        sorted((q.survey, q.question, q.kind, q.points, q.text_zh, q.text_en) for q in questions),
    )
    return text, question_text, len(responses) - len(kept)


# ---------------------------------------------------------------------------
# the engine's inputs back from the files
# ---------------------------------------------------------------------------


def inputs_from_tables(files: Mapping[str, str]) -> PeriodInputs:
    """The engine's inputs from a bundle's input files (:data:`INPUT_FILES`).

    Parameters
    ----------
    files : mapping of file name to text

    Returns
    -------
    PeriodInputs
        Each panel value as one rating by :data:`PANEL_ASSESSOR`; each survey target's
        scores expanded from their counts, with ``n_invalid`` NaN scores; unit ids
        only when ``survey_scores.csv`` names units.

    Raises
    ------
    BundleError
        A file missing, a header changed, a number that is not one, or a target whose
        counts in the two survey files disagree.

    Examples
    --------
    >>> files = {name: ",".join(HEADERS[name]) + "\\n" for name in INPUT_FILES}
    >>> files["cadres.csv"] += "7,QS007,王,P,3,P\\n"
    >>> files["panel_values.csv"] += "7,Q2,85,5,true\\n"
    >>> inputs = inputs_from_tables(files)
    >>> inputs.ratings
    (RatingInput(assessor='panel', cadre='7', indicator='Q2', value=85.0),)
    """
    tables = {}
    for name in INPUT_FILES:
        if name not in files:
            raise BundleError(name, "missing_file")
        tables[name] = read_csv(name, files[name])

    def rows(name: str) -> Iterable[tuple[int, dict[str, str]]]:
        return enumerate(tables[name], start=2)

    cadres = tuple(
        CadreInput(r["id"], r["code"], r["name"], r["post"], r["unit"], r["post_group"])
        for _, r in rows("cadres.csv")
    )
    name = "units.csv"
    units = tuple(
        UnitInput(
            r["id"],
            _optional_float(name, line, "population", r["population"]),
            None if r["households"] == "" else _count(name, line, "households", r["households"]),
        )
        for line, r in rows(name)
    )
    name = "quantitative.csv"
    actuals = tuple(
        ActualInput(r["cadre"], r["indicator"], _float(name, line, "value", r["value"]))
        for line, r in rows(name)
    )
    name = "panel_values.csv"
    ratings = tuple(
        RatingInput(
            PANEL_ASSESSOR, r["cadre"], r["indicator"], _float(name, line, "value", r["value"])
        )
        for line, r in rows(name)
    )
    name = "events.csv"
    events = tuple(
        EventInput(
            r["id"], r["cadre"], r["indicator"], _optional_float(name, line, "points", r["points"])
        )
        for line, r in rows(name)
    )
    ballots = []
    if "ballots.csv" in files:
        name = "ballots.csv"
        for line, r in enumerate(read_csv(name, files[name]), start=2):
            votes = {grade: _count(name, line, grade, r[grade]) for grade in BALLOT_GRADES}
            ballots.append(
                BallotInput(
                    r["indicator"],
                    r["target"],
                    r["group"],
                    {grade: n for grade, n in votes.items() if n},
                    _count(name, line, "abstentions", r["abstentions"]),
                    None if r["eligible"] == "" else _count(name, line, "eligible", r["eligible"]),
                    _count(name, line, "invalid", r["invalid"]),
                    _count(name, line, "flagged", r["flagged"]),
                )
            )
    child_periods: dict[str, ChildPeriodInput] = {}
    child_results = []
    if "sub_period_results.csv" in files:
        name = "sub_period_results.csv"
        for line, r in enumerate(read_csv(name, files[name]), start=2):
            order = _count(name, line, "order", r["order"])
            child_periods.setdefault(r["period"], ChildPeriodInput(r["period"], order, r["name"]))
            if r["cadre"]:
                child_results.append(
                    ChildResultInput(
                        r["period"], r["cadre"], _float(name, line, "total", r["total"]), r["grade"]
                    )
                )
    unit_tree, unit_grades = [], []
    if "unit_grades.csv" in files:
        for r in read_csv("unit_grades.csv", files["unit_grades.csv"]):
            if r["kind"]:
                unit_tree.append(UnitNodeInput(r["unit"], r["kind"], r["parent"] or None))
            if r["grade"]:
                unit_grades.append(UnitGradeInput(r["unit"], r["grade"]))
    decisions = []
    for line, r in rows("decisions.csv"):
        try:
            kind = DecisionKind(r["kind"])
        except ValueError:
            raise BundleError("decisions.csv", "unknown_decision_kind", row=line) from None
        decisions.append(DecisionInput(r["cadre"], r["indicator"], kind, r["reason"]))
    return PeriodInputs(
        cadres=cadres,
        units=units,
        actuals=actuals,
        ratings=ratings,
        events=events,
        surveys=_survey_inputs(tables["survey_targets.csv"], tables["survey_scores.csv"]),
        decisions=tuple(decisions),
        ballots=tuple(ballots),
        child_periods=tuple(child_periods.values()),
        child_results=tuple(child_results),
        unit_tree=tuple(unit_tree),
        unit_grades=tuple(unit_grades),
    )


def _survey_inputs(
    targets: Sequence[dict[str, str]], scores: Sequence[dict[str, str]]
) -> tuple[SurveyTargetInput, ...]:
    name = "survey_scores.csv"
    scores_of: dict[tuple[str, str], list[tuple[str, float, int]]] = defaultdict(list)
    for line, r in enumerate(scores, start=2):
        scores_of[(r["indicator"], r["target"])].append(
            (
                r["unit"],
                _float(name, line, "score", r["score"]),
                _count(name, line, "count", r["count"]),
            )
        )
    out = []
    name = "survey_targets.csv"
    seen = set()
    for line, r in enumerate(targets, start=2):
        key = (r["indicator"], r["target"])
        seen.add(key)
        entries = scores_of.get(key, [])
        if sum(count for _u, _s, count in entries) != _count(name, line, "n_valid", r["n_valid"]):
            raise BundleError(name, "n_valid_differs_from_survey_scores", row=line)
        n_invalid = _count(name, line, "n_invalid", r["n_invalid"])
        values = [score for _u, score, count in entries for _ in range(count)]
        units = [unit for unit, _s, count in entries for _ in range(count)]
        has_units = any(units)
        out.append(
            SurveyTargetInput(
                indicator=key[0],
                target=key[1],
                scores=np.asarray(values + [math.nan] * n_invalid, dtype=np.float64),
                unit_ids=np.asarray(units + [""] * n_invalid, dtype=object) if has_units else None,
                n_excluded=_count(name, line, "n_excluded", r["n_excluded"]),
            )
        )
    if set(scores_of) - seen:
        raise BundleError("survey_scores.csv", "target_not_in_survey_targets")
    return tuple(out)


# ---------------------------------------------------------------------------
# manifest, checksums, zip
# ---------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_json(files: Mapping[str, bytes], meta: Plain) -> bytes:
    """``manifest.json``: ``meta`` plus the SHA-256 and size of every file, sorted keys.

    Examples
    --------
    >>> text = manifest_json({"a.csv": b""}, {"format": FORMAT}).decode()
    >>> json.loads(text)["files"]["a.csv"]["sha256"][:12]
    'e3b0c44298fc'
    """
    listing = {
        name: {"sha256": _sha256(data), "bytes": len(data)} for name, data in sorted(files.items())
    }
    document = {**meta, "files": listing}
    return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def checksums_text(files: Mapping[str, bytes]) -> bytes:
    """``SHA256SUMS`` in the format ``sha256sum -c`` reads (two spaces, sorted names).

    Examples
    --------
    >>> checksums_text({"a.csv": b""}).decode()[:16], checksums_text({"a.csv": b""})[-8:]
    ('e3b0c44298fc1c14', b'  a.csv\\n')
    """
    return "".join(f"{_sha256(data)}  {name}\n" for name, data in sorted(files.items())).encode()


def check_checksums(files: Mapping[str, bytes]) -> list[tuple[str, str]]:
    """Problems with a bundle's hashes: ``(file, reason)``, empty when all agree.

    Every file except ``SHA256SUMS`` must be listed there with its hash, and every data
    file (all but the two hash files) listed in ``manifest.json`` with its hash.

    Examples
    --------
    >>> files = {"a.csv": b"x"}
    >>> files[MANIFEST] = manifest_json(files, {})
    >>> files[CHECKSUMS] = checksums_text(files)
    >>> check_checksums(files)
    []
    >>> check_checksums({**files, "a.csv": b"y"})
    [('a.csv', 'sha256_differs_from_manifest'), ('a.csv', 'sha256_differs_from_SHA256SUMS')]
    """
    problems: list[tuple[str, str]] = []
    try:
        manifest = json.loads(files[MANIFEST])
        listed = {str(k): str(v["sha256"]) for k, v in manifest["files"].items()}
    except (KeyError, TypeError, ValueError):
        return [(MANIFEST, "missing_or_unreadable")]
    sums: dict[str, str] = {}
    for line in files.get(CHECKSUMS, b"").decode("utf-8", "replace").splitlines():
        digest, _, name = line.partition("  ")
        sums[name] = digest
    if not sums:
        problems.append((CHECKSUMS, "missing_or_unreadable"))
    for name in sorted(set(files) | set(listed)):
        if name in (MANIFEST, CHECKSUMS):
            continue
        if name not in files:
            problems.append((name, "listed_but_missing"))
            continue
        if listed.get(name) != _sha256(files[name]):
            problems.append((name, "sha256_differs_from_manifest"))
    for name in sorted(set(files) | set(sums)):
        if name == CHECKSUMS or not sums:
            continue
        if name not in files:
            problems.append((name, "listed_but_missing"))
        elif sums.get(name) != _sha256(files[name]):
            problems.append((name, "sha256_differs_from_SHA256SUMS"))
    return problems


def write_zip(files: Mapping[str, bytes], *, folder: str, day: tuple[int, int, int]) -> bytes:
    """The bundle as zip bytes: files under ``folder/``, in name order, dated ``day``.

    Every entry carries the same date at midnight (no time of generation), so the same
    files give the same zip.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(*day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return out.getvalue()


def read_zip(data: bytes) -> dict[str, bytes]:
    """The files of a bundle zip by base name (one folder level at most).

    Raises
    ------
    BundleError
        When the data is not a zip, a name is repeated, a file is nested deeper or is
        larger than :data:`MAX_FILE_BYTES`.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise BundleError("bundle", "not_a_zip_file") from None
    files: dict[str, bytes] = {}
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            parts = info.filename.split("/")
            if len(parts) > 2 or ".." in parts or not parts[-1]:
                raise BundleError(info.filename, "unexpected_path")
            if info.file_size > MAX_FILE_BYTES:
                raise BundleError(parts[-1], "file_too_large")
            if parts[-1] in files:
                raise BundleError(parts[-1], "duplicate_file")
            files[parts[-1]] = archive.read(info)
    return files
