"""Live preview: the score one cadre would get now, from the inputs entered so far.

The preview calls the same scoring functions as the final computation
(:mod:`assessment.core.scoring`) on whatever inputs exist, and lists every input that is
still missing instead of scoring it as zero. Survey indicators stay "pending survey"
until a satisfaction index is given. The provisional total adds only the indicators that
could be scored; a grade is given only when nothing is missing.

Secrecy of ratings: the preview receives every assessor's rating values for a cadre, but
never returns one. Before the results are computed it must not return a panel value
either, nor points or a total that include one (``show_panels=False``): one more rating
moves a mean of ``n`` values by ``(x − v) / (n + 1)``, so a team member who reads the
preview before and after a colleague rates (or changes a rating) and knows ``n`` works
out the colleague's level ``x`` exactly, however many ratings there are, trimmed or
not. Rounding the value into bands would still give the level away whenever a band
edge is crossed. So qualitative indicators then show only how many ratings are in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from assessment.core.errors import (
    AssessmentError,
    EmptyPanelError,
    InvalidParameterError,
    MissingInputError,
)
from assessment.core.precision import Precision
from assessment.core.rulebook import (
    Indicator,
    IndicatorKind,
    IndicatorSet,
    Rulebook,
    max_points,
    quantitative_rule,
)
from assessment.core.scoring import (
    TotalResult,
    compute_grade,
    compute_qualitative_points,
    compute_quantitative_points,
    compute_survey_points,
    compute_total,
)

__all__ = [
    "IndicatorPreview",
    "IndicatorStatus",
    "MissingInput",
    "PreviewEvent",
    "PreviewResult",
    "compute_preview",
]


class IndicatorStatus(StrEnum):
    """How far one indicator of the preview has got."""

    #: Every input is there; the points are what the final computation will give.
    SCORED = "scored"
    #: Some ratings are in, others missing; points from the ratings so far.
    PARTIAL = "partial"
    #: Ratings are in, but no panel value may be shown before the results are computed.
    WITHHELD = "withheld"
    #: No usable input yet.
    MISSING = "missing"
    #: A survey indicator whose survey has not been tallied.
    PENDING_SURVEY = "pending_survey"
    #: An input is there but the rule cannot use it (e.g. 2 for "met or not met").
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class PreviewEvent:
    """A recorded bonus, penalty or veto event, as the preview needs it.

    Parameters
    ----------
    indicator : str
        Code of a bonus, penalty or veto indicator of the cadre's set.
    points : float or None
        Points of a bonus or penalty event (positive); ``None`` for a veto.
    """

    indicator: str
    points: float | None = None


@dataclass(frozen=True, slots=True)
class MissingInput:
    """One input the computation still lacks (or cannot use).

    Parameters
    ----------
    indicator : str
        Indicator code.
    kind : str
        Indicator kind.
    reason : str
        ``"actual_missing"``, ``"invalid_actual"`` (with ``detail``), ``"no_ratings"``,
        ``"ratings_missing"`` (``count`` ratings still to come), ``"unknown_level"``
        (``count`` ratings name a level the rubric does not have), ``"survey_pending"``
        or ``"unknown_indicator"`` (an event names an indicator the set does not have).
    count : int
        How many inputs are missing, where that is a number (ratings).
    detail : str
        Stable code of what is wrong with an invalid input (from the scoring error).
    """

    indicator: str
    kind: str
    reason: str
    count: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class IndicatorPreview:
    """Preview of one weighted indicator (quantitative, qualitative or survey).

    Parameters
    ----------
    code, kind : str
        Indicator code and kind.
    category : str or None
        Category code.
    weight : float
        Weight ``w``.
    max_points : float
        Most points the indicator can give.
    status : IndicatorStatus
    points : float or None
        Points so far; ``None`` when they cannot be computed or are withheld.
    actual : float or None
        Quantitative: the actual value entered.
    ratio : float or None
        Quantitative: the achievement ratio ``r``.
    panel_value : float or None
        Qualitative: the panel value (0-100), never an individual rating.
    n_ratings : int
        Qualitative: ratings counted.
    expected_ratings : int
        Qualitative: ratings the panel should give.
    trimmed : bool
        Qualitative: whether one highest and one lowest rating were dropped.
    """

    code: str
    kind: str
    category: str | None
    weight: float
    max_points: float
    status: IndicatorStatus
    points: float | None = None
    actual: float | None = None
    ratio: float | None = None
    panel_value: float | None = None
    n_ratings: int = 0
    expected_ratings: int = 0
    trimmed: bool = False


@dataclass(frozen=True, slots=True)
class PreviewResult:
    """Provisional score of one cadre.

    Parameters
    ----------
    post : str
        Post code of the indicator set used.
    indicators : tuple of IndicatorPreview
        Weighted indicators in rulebook order.
    missing : tuple of MissingInput
        Every input still missing or unusable, in rulebook order.
    total : TotalResult
        Provisional total: points scored so far plus capped bonus minus capped penalty.
    max_points_scored : float
        Sum of ``max_points`` over the indicators that have points, so the total can be
        read as "x of y possible so far".
    vetoes : tuple of str
        Codes of the veto indicators with a recorded event.
    veto_cap : str or None
        The worst grade code the triggered vetoes cap the grade at.
    grade : str or None
        Grade of the total after the veto cap, only when nothing is missing or withheld
        (the top-grade quota of the post group is applied only by the final computation).
    """

    post: str
    indicators: tuple[IndicatorPreview, ...]
    missing: tuple[MissingInput, ...]
    total: TotalResult
    max_points_scored: float
    vetoes: tuple[str, ...]
    veto_cap: str | None
    grade: str | None

    @property
    def is_complete(self) -> bool:
        """Whether every input is there and usable."""
        return not self.missing


def _blank(indicator: Indicator) -> IndicatorPreview:
    """The preview of an indicator with no usable input yet."""
    return IndicatorPreview(
        code=indicator.code,
        kind=indicator.kind.value,
        category=indicator.category,
        weight=indicator.weight or 0.0,
        max_points=max_points(indicator),
        status=IndicatorStatus.MISSING,
    )


def _quantitative(
    indicator: Indicator, actual: float | None, precision: Precision
) -> tuple[IndicatorPreview, MissingInput | None]:
    base = replace(_blank(indicator), actual=actual)
    try:
        scored = compute_quantitative_points(
            quantitative_rule(indicator), actual, precision=precision
        )
    except MissingInputError:
        return (
            replace(base, status=IndicatorStatus.MISSING),
            MissingInput(indicator.code, indicator.kind.value, "actual_missing"),
        )
    except InvalidParameterError as error:
        return (
            replace(base, status=IndicatorStatus.INVALID),
            MissingInput(
                indicator.code, indicator.kind.value, "invalid_actual", detail=error.reason
            ),
        )
    preview = replace(base, status=IndicatorStatus.SCORED, points=scored.points, ratio=scored.ratio)
    return preview, None


def _qualitative(
    indicator: Indicator,
    rulebook: Rulebook,
    levels: Sequence[str],
    expected: int,
    show_panel: bool,
) -> tuple[IndicatorPreview, list[MissingInput]]:
    weight = indicator.weight or 0.0
    kind = indicator.kind.value
    values_by_level = {}
    if indicator.rubric is not None:
        try:
            values_by_level = {lv.code: lv.value for lv in rulebook.rubric(indicator.rubric).levels}
        except KeyError:
            values_by_level = {}
    values = [values_by_level[level] for level in levels if level in values_by_level]
    unknown = len(levels) - len(values)
    missing: list[MissingInput] = []
    if unknown:
        missing.append(MissingInput(indicator.code, kind, "unknown_level", count=unknown))
    outstanding = max(expected - len(values), 0)
    base = replace(_blank(indicator), n_ratings=len(values), expected_ratings=expected)
    try:
        panel = compute_qualitative_points(
            weight,
            values,
            trim_threshold=rulebook.aggregation.trim_threshold,
            indicator=indicator.code,
            precision=rulebook.precision,
        )
    except EmptyPanelError:
        missing.insert(0, MissingInput(indicator.code, kind, "no_ratings", count=expected))
        return replace(base, status=IndicatorStatus.MISSING), missing
    if outstanding:
        missing.insert(0, MissingInput(indicator.code, kind, "ratings_missing", count=outstanding))
    if not show_panel:
        return replace(base, status=IndicatorStatus.WITHHELD), missing
    status = IndicatorStatus.PARTIAL if outstanding else IndicatorStatus.SCORED
    preview = replace(
        base,
        status=status,
        points=panel.points,
        panel_value=panel.value,
        trimmed=panel.trimmed,
    )
    return preview, missing


def _survey(
    indicator: Indicator, index: float | None, precision: Precision
) -> tuple[IndicatorPreview, MissingInput | None]:
    weight = indicator.weight or 0.0
    base = _blank(indicator)
    if index is None:
        return (
            replace(base, status=IndicatorStatus.PENDING_SURVEY),
            MissingInput(indicator.code, indicator.kind.value, "survey_pending"),
        )
    try:
        points = compute_survey_points(weight, index, indicator=indicator.code, precision=precision)
    except AssessmentError as error:
        detail = error.reason if isinstance(error, InvalidParameterError) else error.code
        return (
            replace(base, status=IndicatorStatus.INVALID),
            MissingInput(indicator.code, indicator.kind.value, "invalid_actual", detail=detail),
        )
    return replace(base, status=IndicatorStatus.SCORED, points=points), None


def _worst_grade(rulebook: Rulebook, codes: Sequence[str]) -> str | None:
    order = [grade.code for grade in rulebook.grading.grades]
    known = [code for code in codes if code in order]
    return max(known, key=order.index) if known else None


def compute_preview(
    rulebook: Rulebook,
    indicator_set: IndicatorSet,
    *,
    actuals: Mapping[str, float | None],
    rating_levels: Mapping[str, Sequence[str]],
    expected_ratings: int,
    events: Sequence[PreviewEvent] = (),
    survey_indices: Mapping[str, float | None] | None = None,
    show_panels: bool = True,
) -> PreviewResult:
    """Score one cadre provisionally from the inputs entered so far.

    Parameters
    ----------
    rulebook : Rulebook
        The published rulebook of the period (rubrics, aggregation, grades).
    indicator_set : IndicatorSet
        The indicator set of the cadre's post.
    actuals : mapping of str to float or None
        Quantitative indicator code to actual value; absent or ``None`` is missing.
    rating_levels : mapping of str to sequence of str
        Qualitative indicator code to the rubric level codes picked by the assessors so
        far (one per assessor, in any order).
    expected_ratings : int
        How many assessors should rate this cadre (the panel after self-rating and
        declared conflicts are excluded).
    events : sequence of PreviewEvent
        Recorded bonus, penalty and veto events.
    survey_indices : mapping of str to float, optional
        Survey indicator code to satisfaction index (0-100) once a survey is tallied.
    show_panels : bool
        Whether panel values may be shown (once the results are computed). When False,
        a qualitative indicator with ratings is "withheld": its number of ratings only,
        no value and no points, and no grade is given (module docstring).

    Returns
    -------
    PreviewResult
        Per-indicator status and points, every missing input, and the provisional total.

    Raises
    ------
    InvalidParameterError
        When ``expected_ratings`` is negative.

    Notes
    -----
    Each indicator is scored as the final computation scores it (DESIGN section 4):

    - quantitative: ``points = w × r`` by
      :func:`~assessment.core.scoring.compute_quantitative_points`; a missing actual is
      listed, never a zero;
    - qualitative: ``points = w × v / 100`` where ``v`` is the panel value of the ratings
      so far (trimmed mean from ``trim_threshold`` ratings), by
      :func:`~assessment.core.scoring.compute_qualitative_points`;
    - survey: ``points = w × S / 100`` once ``S`` is known, else "pending survey";
    - ``total = max(0, Σ points + min(Σ bonus, bonus_cap) − min(Σ penalty, penalty_cap))``
      by :func:`~assessment.core.scoring.compute_total`, over the indicators scored so
      far (with the caps of the indicator set);
    - grade: :func:`~assessment.core.scoring.compute_grade`, capped by the worst grade
      any recorded veto caps at; ``None`` while anything is missing or withheld.

    References
    ----------
    DESIGN.md section 4; issue "Assessment rulebooks", item 7 (live preview); issue 11,
    item 6 (a preview that reveals no single rating).

    Examples
    --------
    >>> from assessment.core.rulebook import (Category, DEFAULT_LEVELS, Aggregation,
    ...     DEFAULT_GRADES, GradingScheme, Label, Rubric)
    >>> name = Label("x", "x")
    >>> iset = IndicatorSet("GRID", name, (Category("ji", name, 100.0),), (
    ...     Indicator("Q1", name, IndicatorKind.QUANTITATIVE, "ji", 60.0, "ratio",
    ...               "higher", target=10.0),
    ...     Indicator("R1", name, IndicatorKind.QUALITATIVE, "ji", 40.0, rubric="std"),
    ... ))
    >>> book = Rulebook(name, GradingScheme(DEFAULT_GRADES), Aggregation(),
    ...     (Rubric("std", name, DEFAULT_LEVELS),), (iset,))
    >>> result = compute_preview(book, iset, actuals={"Q1": 5.0},
    ...     rating_levels={"R1": ["A", "B"]}, expected_ratings=3)
    >>> result.total.total, [(m.indicator, m.reason, m.count) for m in result.missing]
    (67.0, [('R1', 'ratings_missing', 1)])
    >>> hidden = compute_preview(book, iset, actuals={"Q1": 5.0},
    ...     rating_levels={"R1": ["A", "B"]}, expected_ratings=3, show_panels=False)
    >>> hidden.total.total, hidden.indicators[1].status.value, hidden.indicators[1].n_ratings
    (30.0, 'withheld', 2)
    """
    if isinstance(expected_ratings, bool) or expected_ratings < 0:
        raise InvalidParameterError("expected_ratings", expected_ratings, "negative")
    indices = survey_indices or {}
    previews: list[IndicatorPreview] = []
    missing: list[MissingInput] = []
    for indicator in indicator_set.indicators:
        if indicator.kind == IndicatorKind.QUANTITATIVE:
            preview, gap = _quantitative(indicator, actuals.get(indicator.code), rulebook.precision)
            gaps = [gap] if gap else []
        elif indicator.kind == IndicatorKind.QUALITATIVE:
            preview, gaps = _qualitative(
                indicator,
                rulebook,
                rating_levels.get(indicator.code, ()),
                expected_ratings,
                show_panels,
            )
        elif indicator.kind == IndicatorKind.SURVEY:
            preview, gap = _survey(indicator, indices.get(indicator.code), rulebook.precision)
            gaps = [gap] if gap else []
        else:
            continue
        previews.append(preview)
        missing.extend(gaps)

    kinds = {i.code: i.kind for i in indicator_set.indicators}
    bonus: list[float] = []
    penalty: list[float] = []
    vetoes: list[str] = []
    for event in events:
        kind = kinds.get(event.indicator)
        if kind == IndicatorKind.VETO:
            if event.indicator not in vetoes:
                vetoes.append(event.indicator)
        elif kind in (IndicatorKind.BONUS, IndicatorKind.PENALTY) and event.points is not None:
            (bonus if kind == IndicatorKind.BONUS else penalty).append(float(event.points))
        else:
            missing.append(MissingInput(event.indicator, str(kind or ""), "unknown_indicator"))

    scored = [p for p in previews if p.points is not None]
    total = compute_total(
        [p.points for p in scored if p.points is not None],
        bonus,
        penalty,
        bonus_cap=indicator_set.bonus_cap,
        penalty_cap=indicator_set.penalty_cap,
        precision=rulebook.precision,
    )
    caps = [indicator_set.indicator(code).caps_at or "" for code in vetoes]
    veto_cap = _worst_grade(rulebook, caps)
    grade = None
    if not missing and all(p.status != IndicatorStatus.WITHHELD for p in previews):
        earned = compute_grade(total.total, rulebook.grading.grades, precision=rulebook.precision)
        grade = _worst_grade(rulebook, [earned, veto_cap] if veto_cap else [earned])
    return PreviewResult(
        post=indicator_set.post,
        indicators=tuple(previews),
        missing=tuple(missing),
        total=total,
        max_points_scored=math.fsum(p.max_points for p in scored),
        vetoes=tuple(vetoes),
        veto_cap=veto_cap,
        grade=grade,
    )
