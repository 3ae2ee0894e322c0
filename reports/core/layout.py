"""Report layouts: a stored result turned into sections, rows and printed fields.

Every function here takes the plain result of a result version
(``payload["result"]``, :func:`assessment.core.records.result_to_plain`) and plain
facts about the period, and returns frozen records of *codes and formatted numbers*:
no HTML, no labels, no translation (``reports.render.context`` adds those). Numbers are
formatted for print only here, by :func:`format_score` (a published number, at the
rulebook's declared precision), :func:`format_number` (a statistic),
:func:`format_share` and :func:`format_rank`, so the body of a report and its
"Verification" table cannot disagree.

The *fields* of a report (:func:`scorecard_fields`, :func:`summary_fields`,
:func:`notice_fields`) are the ``(ASCII key, text value)`` pairs its Verification
table prints, in order. ``reports.core.codes.make_verification_code`` binds them; the
public verification recomputes the result from the stored inputs, rebuilds the fields
with these same functions and compares them pair by pair. Long tables (the rankings of
the summary, the list of the notice) enter the fields as a short digest of their
formatted rows (:func:`rows_digest`), so the table stays one page.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assessment.core.digest import canonical_json, sha256_hex
from assessment.core.errors import InvalidParameterError
from assessment.core.precision import DEFAULT_PRECISION, Precision

__all__ = [
    "NOT_AVAILABLE",
    "AgreementRow",
    "CadreRow",
    "EventRow",
    "GradeChance",
    "GroupSection",
    "IndicatorRow",
    "LeniencyRow",
    "MissingRow",
    "NoticeLayout",
    "ReliabilityRow",
    "ResponseRateRow",
    "ScorecardLayout",
    "SummaryLayout",
    "format_interval",
    "format_number",
    "format_rank",
    "format_score",
    "format_share",
    "layout_notice",
    "layout_scorecard",
    "layout_summary",
    "notice_fields",
    "result_precision",
    "rows_digest",
    "scorecard_fields",
    "summary_fields",
]

#: Printed for a value that does not exist (an excluded indicator's input, no ICC).
NOT_AVAILABLE = "-"
#: Hex digits of a table digest in the fields (64 bits).
ROWS_DIGEST_LENGTH = 16

Plain = Mapping[str, Any]


# ---------------------------------------------------------------------------
# formatting: the one place where a number becomes printed text
# ---------------------------------------------------------------------------


def format_number(value: float | None, places: int = 2) -> str:
    """A number as printed on every report: fixed decimals, ``"-"`` for none.

    Parameters
    ----------
    value : float or None
        ``None``, NaN and infinities print as :data:`NOT_AVAILABLE`.
    places : int
        Decimals (default 2, the precision of every score on a report).

    Notes
    -----
    Python's ``format(value, ".2f")`` (correct rounding of the binary value, ties to
    even), with a negative zero printed as zero. Display only: scores are stored and
    compared unrounded.

    Examples
    --------
    >>> format_number(87.5), format_number(88.11666666666667), format_number(None)
    ('87.50', '88.12', '-')
    >>> format_number(-0.001), format_number(3, places=0)
    ('0.00', '3')
    """
    if value is None or isinstance(value, bool):
        return NOT_AVAILABLE
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return NOT_AVAILABLE
    text = format(number, f".{places}f")
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


def result_precision(result: Plain) -> Precision:
    """The declared precision a plain result was computed with.

    Results stored before the precision was declared (issue 13) carry none: they get
    the default, two decimals half up, which is also what their reports printed.

    Examples
    --------
    >>> result_precision({}).places, result_precision({"precision": {"places": 1,
    ...     "rounding": "half_even"}}).rounding
    (2, <Rounding.HALF_EVEN: 'half_even'>)
    """
    return Precision.from_plain(result.get("precision"))


def format_score(value: float | None, precision: Precision = DEFAULT_PRECISION) -> str:
    """A published number (points, total, index, panel value) as the rulebook declares it.

    Notes
    -----
    :meth:`~assessment.core.precision.Precision.format`: exactly ``places`` decimals, the
    declared rounding on the value's decimal (28.125 half up is 28.13; Python's
    ``format(28.125, ".2f")`` gives 28.12 from the binary value). A new result's numbers
    are already published values, so this only writes them out; a result stored before
    issue 13 is printed as its published numbers.

    Examples
    --------
    >>> format_score(94.0), format_score(28.125), format_score(None)
    ('94.00', '28.13', '-')
    """
    if value is None or isinstance(value, bool):
        return NOT_AVAILABLE
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return NOT_AVAILABLE
    return precision.format(number)


def format_interval(low: float | None, high: float | None, places: int = 2) -> str:
    """A confidence interval as ``low-high``; ``"-"`` for an end that does not exist.

    Examples
    --------
    >>> format_interval(0.0711, 0.9272), format_interval(None, 0.9)
    ('0.07-0.93', '-')
    """
    if low is None or high is None:
        return NOT_AVAILABLE
    return f"{format_number(low, places)}-{format_number(high, places)}"


def format_share(value: float | None, places: int = 1) -> str:
    """A fraction 0–1 printed as a percentage, e.g. ``0.975`` → ``"97.5%"``.

    Examples
    --------
    >>> format_share(0.975), format_share(0.0003171247), format_share(None)
    ('97.5%', '0.0%', '-')
    """
    if value is None:
        return NOT_AVAILABLE
    number = format_number(float(value) * 100.0, places)
    return number if number == NOT_AVAILABLE else f"{number}%"


def format_rank(rank: int, size: int) -> str:
    """Rank within the group over the group's size, e.g. ``"3/12"``.

    Examples
    --------
    >>> format_rank(3, 12)
    '3/12'
    """
    return f"{rank}/{size}"


def rows_digest(rows: Iterable[Sequence[str | int | None]]) -> str:
    """Short digest of a printed table: the first 16 hex digits of SHA-256 of its rows.

    Parameters
    ----------
    rows : iterable of sequences
        The table's formatted cells, row by row, in printed order.

    Notes
    -----
    ``sha256(canonical_json([[cell, ...], ...]))[:16]``; 64 bits are plenty to notice
    an edited table, and short enough to print and compare by eye.

    Examples
    --------
    >>> rows_digest([["1", "QS001", "88.12"]])
    'f8b927c4f5622cb8'
    """
    return sha256_hex(canonical_json([list(row) for row in rows]))[:ROWS_DIGEST_LENGTH]


# ---------------------------------------------------------------------------
# records
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """One weighted indicator of a scorecard (values formatted; codes, not labels).

    ``kind`` is ``quantitative``/``qualitative``/``survey``; ``status`` is ``scored``,
    ``score_zero`` or ``excluded``; ``method`` the engine's method code.
    """

    code: str
    kind: str
    category: str | None
    status: str
    weight: str
    effective_weight: str
    input: str
    method: str | None
    ratio: str
    points: str
    n: int | None
    trimmed: bool | None
    reason: str | None
    survey_target: str | None
    points_value: float


@dataclass(frozen=True, slots=True)
class EventRow:
    """Recorded bonus, penalty or veto events of one indicator."""

    code: str
    kind: str
    count: int
    points: str


@dataclass(frozen=True, slots=True)
class GradeChance:
    """Bootstrap probability of one grade (``share`` formatted, ``probability`` 0–1)."""

    grade: str
    share: str
    probability: float


@dataclass(frozen=True, slots=True)
class ScorecardLayout:
    """Everything a cadre's scorecard prints, and its fields.

    ``group_totals`` are the unrounded totals of the post group (for the histogram);
    ``total_value`` is the cadre's. ``confidence`` is empty when the version was
    computed without resamples.
    """

    cadre_id: str
    code: str
    name: str
    post: str
    unit: str
    post_group: str
    indicators: tuple[IndicatorRow, ...]
    events: tuple[EventRow, ...]
    points: str
    bonus: str
    penalty: str
    bonus_capped: bool
    penalty_capped: bool
    floored: bool
    total: str
    total_value: float
    earned: str
    grade: str
    rank: str
    rank_value: int
    group_size: int
    vetoes: tuple[str, ...]
    veto_cap: str | None
    veto_capped: bool
    dropped_by_quota: bool
    tie_dropped: bool
    confidence: tuple[GradeChance, ...]
    grade_probability: str
    rank_interval: str
    resamples: int
    group_totals: tuple[float, ...]
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class CadreRow:
    """One line of a ranking or of the notice."""

    cadre_id: str
    code: str
    name: str
    post: str
    unit: str
    post_group: str
    rank: str
    rank_value: int
    total: str
    earned: str
    grade: str
    dropped_by_quota: bool
    tie_dropped: bool
    veto_capped: bool

    def cells(self) -> tuple[str, ...]:
        """The cells the rankings and notice digests cover (unit by id, post by code)."""
        return (
            self.post_group,
            self.rank,
            self.code,
            self.name,
            self.post,
            self.unit,
            self.total,
            self.grade,
        )


@dataclass(frozen=True, slots=True)
class GroupSection:
    """Ranking and grade counts of one post group (``allowed``: top-grade quota)."""

    post_group: str
    size: int
    allowed: int
    rows: tuple[CadreRow, ...]
    grade_counts: tuple[tuple[str, int], ...]
    totals: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class ResponseRateRow:
    """Survey responses of one survey indicator in one unit.

    For a unit survey, the unit's own index; for a cadre survey, the sum over the
    unit's cadres of valid responses and the mean of their response rates.
    """

    indicator: str
    subject: str
    unit: str
    targets: int
    responses: int
    excluded: int
    invalid: int
    households: str
    rate: str
    low: bool


@dataclass(frozen=True, slots=True)
class AgreementRow:
    """Panel agreement of one post on one qualitative indicator."""

    post: str
    indicator: str
    n_cadres: int
    n_assessors: int
    icc: str
    icc_ci: str
    kendall_w: str
    kendall_p: str
    status: str
    low: bool


@dataclass(frozen=True, slots=True)
class LeniencyRow:
    """An assessor's leniency; ``label`` is ``A``, ``B``, ... (no names on the summary)."""

    assessor: str
    label: str
    mean_deviation: str
    standardized: str
    n_ratings: int
    flagged: bool


@dataclass(frozen=True, slots=True)
class ReliabilityRow:
    """Cronbach's alpha of one survey."""

    survey: str
    alpha: str
    ci: str
    n_respondents: int
    k_items: int
    low: bool


@dataclass(frozen=True, slots=True)
class MissingRow:
    """A missing input and the team's decision about it (``reason`` from the result)."""

    kind: str
    cadre: str
    cadre_code: str
    indicator: str | None
    subject: str
    decision: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class SummaryLayout:
    """Everything the township summary prints, and its fields."""

    groups: tuple[GroupSection, ...]
    grade_counts: tuple[tuple[str, int], ...]
    n_cadres: int
    response_rates: tuple[ResponseRateRow, ...]
    excluded_responses: int
    agreement: tuple[AgreementRow, ...]
    leniency: tuple[LeniencyRow, ...]
    reliability: tuple[ReliabilityRow, ...]
    missing: tuple[MissingRow, ...]
    settings: Mapping[str, Any]
    resamples: int
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class NoticeLayout:
    """The public notice: every cadre's result, by post group and rank."""

    rows: tuple[CadreRow, ...]
    grade_counts: tuple[tuple[str, int], ...]
    starts_on: str
    ends_on: str
    fields: tuple[tuple[str, str], ...]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _cadres(result: Plain) -> Sequence[Plain]:
    cadres = result.get("cadres")
    if not isinstance(cadres, list | tuple):
        raise InvalidParameterError("result", type(result).__name__, "not_a_plain_result")
    return cadres


def _group_sizes(result: Plain) -> dict[str, int]:
    sizes: Counter[str] = Counter(str(c["post_group"]) for c in _cadres(result))
    return dict(sizes)


def _grade_counts(cadres: Iterable[Plain]) -> tuple[tuple[str, int], ...]:
    """Counts per final grade code, in code order (the fields' order; labels sort later)."""
    counts = Counter(str(c["grade"]) for c in cadres)
    return tuple(sorted(counts.items()))


def _cadre_row(cadre: Plain, size: int, precision: Precision) -> CadreRow:
    return CadreRow(
        cadre_id=str(cadre["id"]),
        code=str(cadre["code"]),
        name=str(cadre["name"]),
        post=str(cadre["post"]),
        unit=str(cadre["unit"]),
        post_group=str(cadre["post_group"]),
        rank=format_rank(int(cadre["rank"]), size),
        rank_value=int(cadre["rank"]),
        total=format_score(cadre["total"], precision),
        earned=str(cadre["earned"]),
        grade=str(cadre["grade"]),
        dropped_by_quota=bool(cadre["dropped_by_quota"]),
        tie_dropped=bool(cadre["tie_dropped"]),
        veto_capped=bool(cadre["veto_capped"]),
    )


def _ranked_rows(result: Plain) -> tuple[CadreRow, ...]:
    sizes = _group_sizes(result)
    ordered = sorted(
        _cadres(result), key=lambda c: (str(c["post_group"]), int(c["rank"]), str(c["code"]))
    )
    precision = result_precision(result)
    return tuple(_cadre_row(c, sizes[str(c["post_group"])], precision) for c in ordered)


def _head_fields(period_name: str, version_number: int) -> list[tuple[str, str]]:
    if not isinstance(period_name, str):
        raise InvalidParameterError("period_name", period_name, "must_be_text")
    if isinstance(version_number, bool) or not isinstance(version_number, int):
        raise InvalidParameterError("version_number", version_number, "must_be_an_integer")
    return [("period", period_name), ("version", str(version_number))]


def _digest_fields(rules_digest: str, data_digest: str) -> list[tuple[str, str]]:
    return [("rules_digest", str(rules_digest)), ("data_digest", str(data_digest))]


# ---------------------------------------------------------------------------
# scorecard
# ---------------------------------------------------------------------------


def _confidence_of(result: Plain, cadre_id: str) -> tuple[Plain | None, int]:
    confidence = result.get("confidence")
    if not confidence:
        return None, 0
    for item in confidence.get("cadres", ()):
        if str(item["cadre"]) == cadre_id:
            return item, int(confidence.get("resamples", 0))
    return None, int(confidence.get("resamples", 0))


def _indicator_row(item: Plain, precision: Precision) -> IndicatorRow:
    return IndicatorRow(
        code=str(item["code"]),
        kind=str(item["kind"]),
        category=item.get("category"),
        status=str(item["status"]),
        weight=format_number(item["weight"]),
        effective_weight=format_number(item["effective_weight"]),
        input=format_score(item.get("input"), precision),
        method=item.get("method"),
        ratio=format_number(item.get("ratio"), 4),
        points=format_score(item["points"], precision),
        n=item.get("n"),
        trimmed=item.get("trimmed"),
        reason=item.get("reason"),
        survey_target=item.get("survey_target"),
        points_value=float(item["points"]),
    )


def layout_scorecard(
    result: Plain,
    cadre_id: str,
    *,
    period_name: str,
    version_number: int,
    rules_digest: str,
    data_digest: str,
) -> ScorecardLayout:
    """The scorecard of one cadre, with its printed fields.

    Parameters
    ----------
    result : mapping
        ``payload["result"]`` of a result version.
    cadre_id : str
        The cadre's id in the result (the database id as text).
    period_name : str
        The period's name as printed.
    version_number : int
        The result version's number within the period.
    rules_digest, data_digest : str
        The version's digests.

    Returns
    -------
    ScorecardLayout

    Raises
    ------
    InvalidParameterError
        When the cadre is not in the result, or the result is not a plain result.

    Notes
    -----
    Fields, in order: ``period``, ``version``, ``cadre`` (roster code), ``name``,
    ``post``; for each weighted indicator ``input.<code>`` and ``points.<code>``; for
    each event indicator ``events.<code>`` (count) and ``event_points.<code>``;
    ``bonus``, ``penalty``, ``total``, ``grade`` (code), ``rank`` (``r/size``); when the
    version has a bootstrap, ``grade_probability`` (of the final grade) and
    ``rank_interval`` (``best-worst``, e.g. ``"1-3"``); ``rules_digest``,
    ``data_digest``.

    Examples
    --------
    >>> cadre = {"id": "7", "code": "QS007", "name": "王", "post": "P", "unit": "2",
    ...     "post_group": "P", "indicators": [{"code": "Q", "kind": "quantitative",
    ...     "category": "c", "status": "scored", "weight": 100.0,
    ...     "effective_weight": 100.0, "input": 95.0, "method": "ratio", "ratio": 0.95,
    ...     "points": 95.0}], "events": [], "points": 95.0, "bonus": 0.0,
    ...     "penalty": 0.0, "bonus_capped": False, "penalty_capped": False,
    ...     "floored": False, "total": 95.0, "vetoes": [], "veto_cap": None, "rank": 1,
    ...     "earned": "excellent", "grade": "excellent", "veto_capped": False,
    ...     "dropped_by_quota": False, "tie_dropped": False}
    >>> card = layout_scorecard({"cadres": [cadre], "confidence": None}, "7",
    ...     period_name="2026", version_number=1, rules_digest="r", data_digest="d")
    >>> card.total, card.rank, card.fields[5:7]
    ('95.00', '1/1', (('input.Q', '95.00'), ('points.Q', '95.00')))
    """
    cadre_id = str(cadre_id)
    cadres = _cadres(result)
    cadre = next((c for c in cadres if str(c["id"]) == cadre_id), None)
    if cadre is None:
        raise InvalidParameterError("cadre_id", cadre_id, "not_in_result")
    group = str(cadre["post_group"])
    group_totals = tuple(float(c["total"]) for c in cadres if str(c["post_group"]) == group)
    size = len(group_totals)
    precision = result_precision(result)
    rows = tuple(_indicator_row(item, precision) for item in cadre["indicators"])
    events = tuple(
        EventRow(
            str(e["code"]), str(e["kind"]), int(e["count"]), format_score(e["points"], precision)
        )
        for e in cadre.get("events", ())
    )
    chance, resamples = _confidence_of(result, cadre_id)
    confidence: tuple[GradeChance, ...] = ()
    grade_probability = rank_interval = NOT_AVAILABLE
    if chance is not None:
        probabilities = chance["probabilities"]
        confidence = tuple(
            GradeChance(str(g), format_share(p), float(p))
            for g, p in sorted(probabilities.items(), key=lambda gp: (-float(gp[1]), gp[0]))
        )
        grade_probability = format_share(probabilities.get(cadre["grade"], 0.0))
        rank_interval = f"{chance['rank_low']}-{chance['rank_high']}"
    card_fields = [
        *_head_fields(period_name, version_number),
        ("cadre", str(cadre["code"])),
        ("name", str(cadre["name"])),
        ("post", str(cadre["post"])),
    ]
    for row in rows:
        card_fields += [(f"input.{row.code}", row.input), (f"points.{row.code}", row.points)]
    for event in events:
        card_fields += [
            (f"events.{event.code}", str(event.count)),
            (f"event_points.{event.code}", event.points),
        ]
    total = format_score(cadre["total"], precision)
    rank = format_rank(int(cadre["rank"]), size)
    card_fields += [
        ("bonus", format_score(cadre["bonus"], precision)),
        ("penalty", format_score(cadre["penalty"], precision)),
        ("total", total),
        ("grade", str(cadre["grade"])),
        ("rank", rank),
    ]
    if chance is not None:
        card_fields += [("grade_probability", grade_probability), ("rank_interval", rank_interval)]
    card_fields += _digest_fields(rules_digest, data_digest)
    return ScorecardLayout(
        cadre_id=cadre_id,
        code=str(cadre["code"]),
        name=str(cadre["name"]),
        post=str(cadre["post"]),
        unit=str(cadre["unit"]),
        post_group=group,
        indicators=rows,
        events=events,
        points=format_score(cadre["points"], precision),
        bonus=format_score(cadre["bonus"], precision),
        penalty=format_score(cadre["penalty"], precision),
        bonus_capped=bool(cadre["bonus_capped"]),
        penalty_capped=bool(cadre["penalty_capped"]),
        floored=bool(cadre["floored"]),
        total=total,
        total_value=float(cadre["total"]),
        earned=str(cadre["earned"]),
        grade=str(cadre["grade"]),
        rank=rank,
        rank_value=int(cadre["rank"]),
        group_size=size,
        vetoes=tuple(str(v) for v in cadre.get("vetoes", ())),
        veto_cap=cadre.get("veto_cap"),
        veto_capped=bool(cadre["veto_capped"]),
        dropped_by_quota=bool(cadre["dropped_by_quota"]),
        tie_dropped=bool(cadre["tie_dropped"]),
        confidence=confidence,
        grade_probability=grade_probability,
        rank_interval=rank_interval,
        resamples=resamples,
        group_totals=group_totals,
        fields=tuple(card_fields),
    )


def scorecard_fields(
    result: Plain,
    cadre_id: str,
    *,
    period_name: str,
    version_number: int,
    rules_digest: str,
    data_digest: str,
) -> tuple[tuple[str, str], ...]:
    """The printed fields of a cadre's scorecard (see :func:`layout_scorecard`)."""
    return layout_scorecard(
        result,
        cadre_id,
        period_name=period_name,
        version_number=version_number,
        rules_digest=rules_digest,
        data_digest=data_digest,
    ).fields


# ---------------------------------------------------------------------------
# township summary
# ---------------------------------------------------------------------------


def _response_rates(result: Plain, low_rate: float) -> tuple[ResponseRateRow, ...]:
    unit_of = {str(c["id"]): str(c["unit"]) for c in _cadres(result)}
    buckets: dict[tuple[str, str, str], list[Plain]] = defaultdict(list)
    for item in result.get("surveys", ()):
        subject = str(item["subject"])
        target = str(item["target"])
        unit = target if subject == "unit" else unit_of.get(target, "")
        buckets[(str(item["indicator"]), subject, unit)].append(item)
    rows = []
    for (indicator, subject, unit), items in sorted(
        buckets.items(), key=lambda kv: (kv[0][0], kv[0][1], len(kv[0][2]), kv[0][2])
    ):
        rates = [float(i["response_rate"]) for i in items if i.get("response_rate") is not None]
        households = {i["households"] for i in items if i.get("households") is not None}
        rate = sum(rates) / len(rates) if rates else None
        rows.append(
            ResponseRateRow(
                indicator=indicator,
                subject=subject,
                unit=unit,
                targets=len(items),
                responses=sum(int(i["n"]) for i in items),
                excluded=sum(int(i.get("n_excluded") or 0) for i in items),
                invalid=sum(int(i.get("n_invalid") or 0) for i in items),
                households=format_number(households.pop(), 0) if len(households) == 1 else "-",
                rate=format_share(rate),
                low=rate is not None and rate < low_rate,
            )
        )
    return tuple(rows)


def _agreement(result: Plain, low: float) -> tuple[AgreementRow, ...]:
    rows = []
    for item in result.get("agreement", ()):
        icc = item.get("icc2_k")
        rows.append(
            AgreementRow(
                post=str(item["post"]),
                indicator=str(item["indicator"]),
                n_cadres=int(item["n_cadres"]),
                n_assessors=int(item["n_assessors"]),
                icc=format_number(icc),
                icc_ci=format_interval(item.get("icc2_k_low"), item.get("icc2_k_high")),
                kendall_w=format_number(item.get("kendall_w")),
                kendall_p=format_number(item.get("kendall_p"), 3),
                status=str(item["status"]),
                low=icc is not None and float(icc) < low,
            )
        )
    return tuple(rows)


def _label(index: int) -> str:
    """``A``, ``B``, ..., ``Z``, ``AA``, ... for the index-th assessor."""
    text = ""
    index += 1
    while index:
        index, digit = divmod(index - 1, 26)
        text = chr(ord("A") + digit) + text
    return text


def _leniency(result: Plain) -> tuple[LeniencyRow, ...]:
    items = sorted(result.get("leniency", ()), key=lambda a: (len(a["assessor"]), a["assessor"]))
    return tuple(
        LeniencyRow(
            assessor=str(item["assessor"]),
            label=_label(index),
            mean_deviation=format_number(item["mean_deviation"]),
            standardized=format_number(item["standardized"]),
            n_ratings=int(item["n_ratings"]),
            flagged=bool(item["flagged"]),
        )
        for index, item in enumerate(items)
    )


def _reliability(result: Plain, low: float) -> tuple[ReliabilityRow, ...]:
    rows = []
    for item in result.get("reliability", ()):
        alpha = item.get("alpha")
        lo, hi = item.get("ci_low"), item.get("ci_high")
        ci = (
            NOT_AVAILABLE
            if lo is None or hi is None
            else f"{format_number(lo)}-{format_number(hi)}"
        )
        rows.append(
            ReliabilityRow(
                survey=str(item["survey"]),
                alpha=format_number(alpha),
                ci=ci,
                n_respondents=int(item["n_respondents"]),
                k_items=int(item["k_items"]),
                low=alpha is not None and float(alpha) < low,
            )
        )
    return tuple(rows)


def _missing(result: Plain) -> tuple[MissingRow, ...]:
    cadres = {str(c["id"]): c for c in _cadres(result)}
    rows = []
    for item in result.get("missing", ()):
        cadre = cadres.get(str(item["cadre"]))
        reason = None
        if cadre is not None and item.get("indicator"):
            reason = next(
                (i.get("reason") for i in cadre["indicators"] if i["code"] == item["indicator"]),
                None,
            )
        rows.append(
            MissingRow(
                kind=str(item["kind"]),
                cadre=str(item["cadre"]),
                cadre_code=str(cadre["code"]) if cadre is not None else "",
                indicator=item.get("indicator"),
                subject=str(item.get("subject") or ""),
                decision=item.get("decision"),
                reason=reason,
            )
        )
    return tuple(rows)


def layout_summary(
    result: Plain,
    *,
    period_name: str,
    version_number: int,
    rules_digest: str,
    data_digest: str,
) -> SummaryLayout:
    """The township summary of a result version, with its printed fields.

    Parameters
    ----------
    result : mapping
        ``payload["result"]``.
    period_name, version_number, rules_digest, data_digest
        As for :func:`layout_scorecard`.

    Returns
    -------
    SummaryLayout

    Notes
    -----
    Fields, in order: ``period``, ``version``, ``cadres`` (count); per post group
    (code order) ``group.<code>`` = its size; per final grade (code order)
    ``grades.<code>`` = its count; ``rankings`` = :func:`rows_digest` of the ranking
    rows (:meth:`CadreRow.cells`); ``response_rates``, ``agreement``, ``leniency``,
    ``reliability``, ``missing`` = digests of those tables' printed cells;
    ``rules_digest``, ``data_digest``.

    Examples
    --------
    >>> summary = layout_summary({"cadres": []}, period_name="2026",
    ...     version_number=2, rules_digest="r", data_digest="d")
    >>> [key for key, _ in summary.fields][:3], summary.n_cadres
    (['period', 'version', 'cadres'], 0)
    """
    settings = dict(result.get("settings") or {})
    ranked = _ranked_rows(result)
    sizes = _group_sizes(result)
    quota = {str(g["post_group"]): int(g["allowed"]) for g in result.get("groups", ())}
    groups = []
    for group in sorted(sizes):
        rows = tuple(r for r in ranked if r.post_group == group)
        members = [c for c in _cadres(result) if str(c["post_group"]) == group]
        groups.append(
            GroupSection(
                post_group=group,
                size=sizes[group],
                allowed=quota.get(group, 0),
                rows=rows,
                grade_counts=_grade_counts(members),
                totals=tuple(float(c["total"]) for c in members),
            )
        )
    response_rates = _response_rates(result, float(settings.get("low_response_rate", 0.2)))
    agreement = _agreement(result, float(settings.get("low_agreement", 0.5)))
    leniency = _leniency(result)
    reliability = _reliability(result, float(settings.get("low_alpha", 0.7)))
    missing = _missing(result)
    grade_counts = _grade_counts(_cadres(result))
    summary_fields_ = [
        *_head_fields(period_name, version_number),
        ("cadres", str(len(ranked))),
        *((f"group.{g.post_group}", str(g.size)) for g in groups),
        *((f"grades.{grade}", str(count)) for grade, count in grade_counts),
        ("rankings", rows_digest(r.cells() for r in ranked)),
        (
            "response_rates",
            rows_digest(
                (r.indicator, r.unit, str(r.responses), str(r.excluded), r.rate)
                for r in response_rates
            ),
        ),
        (
            "agreement",
            rows_digest(
                (r.post, r.indicator, r.icc, r.icc_ci, r.kendall_w, r.kendall_p) for r in agreement
            ),
        ),
        (
            "leniency",
            rows_digest(
                (r.label, r.mean_deviation, r.standardized, str(r.flagged)) for r in leniency
            ),
        ),
        ("reliability", rows_digest((r.survey, r.alpha, r.ci) for r in reliability)),
        (
            "missing",
            rows_digest(
                (r.cadre_code, r.indicator or "", r.kind, r.decision or "") for r in missing
            ),
        ),
        *_digest_fields(rules_digest, data_digest),
    ]
    confidence = result.get("confidence") or {}
    return SummaryLayout(
        groups=tuple(groups),
        grade_counts=grade_counts,
        n_cadres=len(ranked),
        response_rates=response_rates,
        excluded_responses=sum(r.excluded for r in response_rates),
        agreement=agreement,
        leniency=leniency,
        reliability=reliability,
        missing=missing,
        settings=settings,
        resamples=int(confidence.get("resamples", 0)),
        fields=tuple(summary_fields_),
    )


def summary_fields(
    result: Plain,
    *,
    period_name: str,
    version_number: int,
    rules_digest: str,
    data_digest: str,
) -> tuple[tuple[str, str], ...]:
    """The printed fields of the township summary (see :func:`layout_summary`)."""
    return layout_summary(
        result,
        period_name=period_name,
        version_number=version_number,
        rules_digest=rules_digest,
        data_digest=data_digest,
    ).fields


# ---------------------------------------------------------------------------
# public notice
# ---------------------------------------------------------------------------


def layout_notice(
    result: Plain,
    *,
    period_name: str,
    version_number: int,
    rules_digest: str,
    data_digest: str,
    starts_on: str,
    ends_on: str,
) -> NoticeLayout:
    """The public notice of a result version, with its printed fields.

    Parameters
    ----------
    result : mapping
        ``payload["result"]``.
    period_name, version_number, rules_digest, data_digest
        As for :func:`layout_scorecard`.
    starts_on, ends_on : str
        First and last day of the notice, ISO dates (``"2026-12-07"``).

    Notes
    -----
    Fields, in order: ``period``, ``version``, ``cadres``, ``grades.<code>`` counts,
    ``list`` = :func:`rows_digest` of the printed rows (:meth:`CadreRow.cells`),
    ``starts_on``, ``ends_on``, ``rules_digest``, ``data_digest``.

    Examples
    --------
    >>> notice = layout_notice({"cadres": []}, period_name="2026", version_number=1,
    ...     rules_digest="r", data_digest="d", starts_on="2026-12-07",
    ...     ends_on="2026-12-11")
    >>> dict(notice.fields)["ends_on"]
    '2026-12-11'
    """
    for name, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not isinstance(value, str) or len(value) != 10:
            raise InvalidParameterError(name, value, "must_be_an_iso_date")
    rows = _ranked_rows(result)
    grade_counts = _grade_counts(_cadres(result))
    notice_fields_ = (
        *_head_fields(period_name, version_number),
        ("cadres", str(len(rows))),
        *((f"grades.{grade}", str(count)) for grade, count in grade_counts),
        ("list", rows_digest(r.cells() for r in rows)),
        ("starts_on", starts_on),
        ("ends_on", ends_on),
        *_digest_fields(rules_digest, data_digest),
    )
    return NoticeLayout(
        rows=rows,
        grade_counts=grade_counts,
        starts_on=starts_on,
        ends_on=ends_on,
        fields=tuple(notice_fields_),
    )


def notice_fields(
    result: Plain,
    *,
    period_name: str,
    version_number: int,
    rules_digest: str,
    data_digest: str,
    starts_on: str,
    ends_on: str,
) -> tuple[tuple[str, str], ...]:
    """The printed fields of the public notice (see :func:`layout_notice`)."""
    return layout_notice(
        result,
        period_name=period_name,
        version_number=version_number,
        rules_digest=rules_digest,
        data_digest=data_digest,
        starts_on=starts_on,
        ends_on=ends_on,
    ).fields
