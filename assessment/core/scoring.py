"""Indicator scoring, totals and grades (DESIGN section 4).

Every function here takes plain values and returns plain values or frozen dataclasses.
The rules run in exact decimal arithmetic on the numbers as they were written
(:func:`~assessment.core.precision.exact`), and every published number (points, panel
value, satisfaction index, total) is rounded once to the rulebook's declared precision
(:class:`~assessment.core.precision.Precision`, two decimals half up unless the rulebook
says otherwise). The total is the exact sum of the published points, and grades, ranks
and quota ties compare published values exactly (issue 13; DESIGN section 4,
"Precision"). Bad input raises a subclass of
:class:`~assessment.core.errors.AssessmentError` that carries a stable ``code`` and the
offending name and value.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Protocol, SupportsFloat

from assessment.core.errors import (
    EmptyPanelError,
    InvalidParameterError,
    MissingInputError,
    QuotaError,
    WeightSumError,
)
from assessment.core.precision import DEFAULT_PRECISION, Precision, exact

__all__ = [
    "DEFAULT_GRADE_SCHEME",
    "QUOTA_ROUNDINGS",
    "CadreGrade",
    "Direction",
    "GradeBand",
    "GradeLike",
    "GradingCandidate",
    "GradingResult",
    "GroupQuota",
    "IndicatorPoints",
    "Method",
    "PanelResult",
    "QuantitativeRule",
    "QuotaArithmetic",
    "QuotaRule",
    "TotalResult",
    "assign_grades",
    "compute_grade",
    "compute_panel_value",
    "compute_qualitative_points",
    "compute_quantitative_points",
    "compute_survey_points",
    "compute_total",
    "exact_ratio",
    "quota_arithmetic",
    "quota_count",
    "score_quantitative",
    "validate_weights",
]

#: Efficacy coefficient method (功效系数法): the ratio at the unacceptable value, and
#: the ratio the span from the unacceptable to the satisfactory value adds.
EFFICACY_BASE = Fraction(60, 100)
EFFICACY_SPAN = Fraction(40, 100)


class Method(StrEnum):
    """How a quantitative indicator turns an actual value into a ratio."""

    LINEAR = "linear"
    RATIO = "ratio"
    STEPS = "steps"
    BINARY = "binary"
    EFFICACY = "efficacy"
    PIECEWISE = "piecewise"


class Direction(StrEnum):
    """Whether a higher or a lower actual value is better."""

    HIGHER = "higher"
    LOWER = "lower"


# ---------------------------------------------------------------------------
# validation helpers: they name the bad argument (never ``assert``)
# ---------------------------------------------------------------------------


def _finite(name: str, value: object, indicator: str | None = None) -> float:
    """Return ``value`` as a float; ``None``/NaN is missing, infinities are invalid."""
    if value is None:
        raise MissingInputError(name, indicator)
    if not isinstance(value, SupportsFloat):
        raise InvalidParameterError(name, value, "not_a_number")
    number = float(value)
    if math.isnan(number):
        raise MissingInputError(name, indicator)
    if math.isinf(number):
        raise InvalidParameterError(name, value, "not_finite")
    return number


def _non_negative(name: str, value: object) -> float:
    number = _finite(name, value)
    if number < 0:
        raise InvalidParameterError(name, value, "negative")
    return number


def _exact(name: str, value: object, indicator: str | None = None) -> Fraction:
    """The checked value (see :func:`_finite`) as the decimal it was written as."""
    _finite(name, value, indicator)
    return exact(value, name)


def _coerce_method(method: Method | str) -> Method:
    try:
        return Method(method)
    except ValueError:
        raise InvalidParameterError("method", method, "unknown_method") from None


def _coerce_direction(direction: Direction | str) -> Direction:
    try:
        return Direction(direction)
    except ValueError:
        raise InvalidParameterError("direction", direction, "unknown_direction") from None


def _check_ordered_pairs(
    name: str, pairs: Sequence[tuple[float, float]], direction: Direction, minimum: int
) -> None:
    """Pairs (actual, ratio) from the worst actual to the best, ratios never falling."""
    if len(pairs) < minimum:
        raise InvalidParameterError(name, pairs, "empty" if minimum == 1 else "fewer_than_2")
    previous: tuple[float, float] | None = None
    for actual, ratio in pairs:
        a_value = _finite(name, actual)
        r_value = _non_negative(name, ratio)
        if previous is not None:
            ordered = (
                a_value > previous[0] if direction is Direction.HIGHER else a_value < previous[0]
            )
            if not ordered:
                raise InvalidParameterError(name, pairs, "thresholds_not_strictly_ordered")
            # a better actual must never lower the ratio
            if r_value < previous[1]:
                raise InvalidParameterError(name, pairs, "ratios_decreasing")
        previous = (a_value, r_value)


def _check_rule(
    method: Method,
    direction: Direction,
    baseline: float | None,
    target: float | None,
    cap: float,
    steps: Sequence[tuple[float, float]],
    *,
    unacceptable: float | None = None,
    satisfactory: float | None = None,
    floor: float = 0.0,
    breakpoints: Sequence[tuple[float, float]] = (),
) -> None:
    """Validate the parameters of a quantitative rule (shared by both entry points)."""
    cap_value = _finite("cap", cap)
    if cap_value <= 0:
        raise InvalidParameterError("cap", cap, "not_positive")
    if method is Method.LINEAR:
        b = _finite("baseline", baseline)
        t = _finite("target", target)
        if t == b:
            raise InvalidParameterError("target", target, "target_equals_baseline")
        if direction is Direction.HIGHER and t < b:
            raise InvalidParameterError("target", target, "target_below_baseline")
        if direction is Direction.LOWER and t > b:
            raise InvalidParameterError("target", target, "target_above_baseline")
    elif method is Method.RATIO:
        if _finite("target", target) <= 0:
            raise InvalidParameterError("target", target, "not_positive")
    elif method is Method.STEPS:
        _check_ordered_pairs("steps", steps, direction, 1)
    elif method is Method.EFFICACY:
        u = _finite("unacceptable", unacceptable)
        s = _finite("satisfactory", satisfactory)
        if s == u:
            raise InvalidParameterError(
                "satisfactory", satisfactory, "satisfactory_equals_unacceptable"
            )
        if direction is Direction.HIGHER and s < u:
            raise InvalidParameterError(
                "satisfactory", satisfactory, "satisfactory_below_unacceptable"
            )
        if direction is Direction.LOWER and s > u:
            raise InvalidParameterError(
                "satisfactory", satisfactory, "satisfactory_above_unacceptable"
            )
        floor_value = _non_negative("floor", floor)
        if floor_value >= cap_value:
            raise InvalidParameterError("floor", floor, "floor_not_below_cap")
    elif method is Method.PIECEWISE:
        _check_ordered_pairs("breakpoints", breakpoints, direction, 2)
    elif method is Method.BINARY and target is not None:
        _finite("target", target)


@dataclass(frozen=True, slots=True)
class QuantitativeRule:
    """How one quantitative indicator is scored.

    Parameters
    ----------
    method : Method or str
        ``"linear"``, ``"ratio"``, ``"steps"``, ``"binary"``, ``"efficacy"`` or
        ``"piecewise"``.
    direction : Direction or str
        ``"higher"`` (higher actual is better) or ``"lower"``.
    weight : float or Fraction
        Weight ``w`` of the indicator in its set (points at ratio 1); a Fraction when
        a reweighting decision made it a non-terminating decimal.
    baseline : float or None
        Baseline ``b`` (linear only).
    target : float or None
        Target ``t`` (linear and ratio; optional for binary, see
        :func:`score_quantitative`).
    cap : float
        Upper bound ``c`` of the ratio, default 1.0.
    steps : tuple of (threshold, ratio)
        Steps method only, ordered from the easiest threshold to the hardest.
    code : str or None
        Indicator code, used only to name the indicator in errors.
    unacceptable, satisfactory : float or None
        Efficacy method only: the unacceptable value ``u`` (不允许值) and the
        satisfactory value ``s`` (满意值).
    floor : float
        Efficacy method only: lower bound ``f`` of the ratio (default 0, below ``c``).
    breakpoints : tuple of (actual, ratio)
        Piecewise method only: at least two, from the worst actual to the best.

    Raises
    ------
    InvalidParameterError
        At construction, when the parameters cannot define a score (see
        :func:`score_quantitative`).
    MissingInputError
        When a parameter the method needs is ``None``.
    """

    method: Method
    direction: Direction
    weight: float | Fraction
    baseline: float | None = None
    target: float | None = None
    cap: float = 1.0
    steps: tuple[tuple[float, float], ...] = ()
    code: str | None = None
    unacceptable: float | None = None
    satisfactory: float | None = None
    floor: float = 0.0
    breakpoints: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        """Coerce string codes to enums and validate the parameters once."""
        object.__setattr__(self, "method", _coerce_method(self.method))
        object.__setattr__(self, "direction", _coerce_direction(self.direction))
        object.__setattr__(self, "steps", tuple((s[0], s[1]) for s in self.steps))
        object.__setattr__(self, "breakpoints", tuple((p[0], p[1]) for p in self.breakpoints))
        _non_negative("weight", self.weight)
        _check_rule(
            self.method,
            self.direction,
            self.baseline,
            self.target,
            self.cap,
            self.steps,
            unacceptable=self.unacceptable,
            satisfactory=self.satisfactory,
            floor=self.floor,
            breakpoints=self.breakpoints,
        )


@dataclass(frozen=True, slots=True)
class IndicatorPoints:
    """Score of one quantitative indicator.

    Parameters
    ----------
    ratio : float
        Achievement ratio ``r`` in ``[0, cap]`` (the nearest float to the exact ratio).
    points : float
        ``weight × ratio``, rounded to the declared precision.
    """

    ratio: float
    points: float


def _interpolate(a: Fraction, pairs: Sequence[tuple[Fraction, Fraction]]) -> Fraction:
    """Piecewise-linear ratio between ordered breakpoints, flat beyond both ends."""
    first, last = pairs[0], pairs[-1]
    # breakpoints run from the worst actual to the best in either direction, so "at or
    # past the best" is measured along the direction of the list
    toward_best = 1 if last[0] > first[0] else -1
    if (a - first[0]) * toward_best <= 0:
        return first[1]
    if (a - last[0]) * toward_best >= 0:
        return last[1]
    for (x0, r0), (x1, r1) in itertools.pairwise(pairs):
        if (a - x1) * toward_best <= 0:
            return r0 + (r1 - r0) * (a - x0) / (x1 - x0)
    return last[1]  # pragma: no cover - the loop always returns inside the range


def exact_ratio(
    method: Method | str,
    actual: float | bool | None,
    *,
    direction: Direction | str = Direction.HIGHER,
    baseline: float | None = None,
    target: float | None = None,
    cap: float = 1.0,
    steps: Sequence[tuple[float, float]] = (),
    indicator: str | None = None,
    unacceptable: float | None = None,
    satisfactory: float | None = None,
    floor: float = 0.0,
    breakpoints: Sequence[tuple[float, float]] = (),
) -> Fraction:
    """The achievement ratio of :func:`score_quantitative`, exactly.

    Every number is read as the decimal it was written as
    (:func:`~assessment.core.precision.exact`) and the formula is evaluated in
    rational arithmetic, so ``(0.7 − 0.2) / (1.0 − 0.2)`` is exactly 0.625.

    Examples
    --------
    >>> exact_ratio("linear", 0.7, baseline=0.2, target=1.0)
    Fraction(5, 8)
    >>> exact_ratio("efficacy", 85, unacceptable=60, satisfactory=100)
    Fraction(17, 20)
    """
    method_ = _coerce_method(method)
    direction_ = _coerce_direction(direction)
    _check_rule(
        method_,
        direction_,
        baseline,
        target,
        cap,
        steps,
        unacceptable=unacceptable,
        satisfactory=satisfactory,
        floor=floor,
        breakpoints=breakpoints,
    )
    c = exact(cap, "cap")
    # "met or not met" may be entered as True/False
    a = _exact("actual", int(actual) if isinstance(actual, bool) else actual, indicator)
    higher = direction_ is Direction.HIGHER
    low = Fraction(0)
    if method_ is Method.LINEAR:
        b, t = exact(baseline, "baseline"), exact(target, "target")
        raw = (a - b) / (t - b) if higher else (b - a) / (b - t)
    elif method_ is Method.RATIO:
        t = exact(target, "target")
        if a < 0:
            raise InvalidParameterError("actual", actual, "negative")
        if higher:
            raw = a / t
        elif a == 0:
            # lower is better and nothing happened (a = 0): full marks up to the cap
            raw = c
        else:
            raw = t / a
    elif method_ is Method.STEPS:
        raw = Fraction(0)
        for threshold, ratio in steps:
            reached = a >= exact(threshold) if higher else a <= exact(threshold)
            if reached:
                raw = exact(ratio)
    elif method_ is Method.EFFICACY:
        u, s = exact(unacceptable, "unacceptable"), exact(satisfactory, "satisfactory")
        coefficient = (a - u) / (s - u) if higher else (u - a) / (u - s)
        raw = EFFICACY_BASE + EFFICACY_SPAN * coefficient
        low = exact(floor, "floor")
    elif method_ is Method.PIECEWISE:
        raw = _interpolate(a, [(exact(x), exact(r)) for x, r in breakpoints])
    else:
        if target is None:
            if a not in (0, 1):
                raise InvalidParameterError("actual", actual, "binary_not_0_or_1")
            met = a == 1
        else:
            t = exact(target, "target")
            met = a >= t if higher else a <= t
        raw = Fraction(1) if met else Fraction(0)
    return min(max(raw, low), c)


def score_quantitative(
    method: Method | str,
    actual: float | bool | None,
    *,
    direction: Direction | str = Direction.HIGHER,
    baseline: float | None = None,
    target: float | None = None,
    cap: float = 1.0,
    steps: Sequence[tuple[float, float]] = (),
    indicator: str | None = None,
    unacceptable: float | None = None,
    satisfactory: float | None = None,
    floor: float = 0.0,
    breakpoints: Sequence[tuple[float, float]] = (),
) -> float:
    """Turn the actual value of a quantitative indicator into a ratio ``r``.

    Parameters
    ----------
    method : {"linear", "ratio", "steps", "binary", "efficacy", "piecewise"}
        Scoring method.
    actual : float, bool or None
        The actual value ``a``. For ``binary`` without a ``target`` it is whether the
        indicator was met (``True``/``False`` or 1/0).
    direction : {"higher", "lower"}
        Whether a higher or a lower actual value is better.
    baseline : float, optional
        Baseline ``b`` (linear).
    target : float, optional
        Target ``t`` (linear, ratio; binary: met when ``a`` reaches ``t``).
    cap : float
        Upper bound ``c`` of the ratio, default 1.0; must be positive.
    steps : sequence of (threshold, ratio)
        Steps method: ordered from the easiest threshold to the hardest (increasing
        thresholds when higher is better, decreasing when lower is better), with ratios
        that never decrease along the list.
    indicator : str, optional
        Indicator code, only used to name the indicator in errors.
    unacceptable, satisfactory : float, optional
        Efficacy method: the unacceptable value ``u`` (不允许值) and the satisfactory
        value ``s`` (满意值); ``s > u`` when higher is better, ``s < u`` when lower is.
    floor : float
        Efficacy method: lower bound ``f`` of the ratio, ``0 <= f < c`` (default 0).
    breakpoints : sequence of (actual, ratio)
        Piecewise method: at least two points, from the worst actual to the best
        (strictly increasing actuals when higher is better, decreasing when lower is
        better), with ratios in ``[0, c]`` that never decrease along the list.

    Returns
    -------
    float
        The ratio ``r`` in ``[0, cap]`` (the nearest float to the exact ratio of
        :func:`exact_ratio`, which the points are computed from).

    Raises
    ------
    MissingInputError
        When ``actual`` (or a parameter the method needs) is ``None`` or NaN: a missing
        actual is shown to the team, never scored as zero.
    InvalidParameterError
        Unknown method or direction; ``cap <= 0``; linear with ``t == b`` or a target on
        the wrong side of the baseline for the direction; ratio with ``t <= 0`` or a
        negative actual; steps empty, not strictly ordered, or with decreasing ratios;
        binary without target and an actual other than 0/1; efficacy with ``s == u``
        (``satisfactory_equals_unacceptable``), ``s`` on the wrong side of ``u`` or a
        floor not below the cap; piecewise with fewer than two breakpoints
        (``fewer_than_2``), actuals not strictly ordered or ratios decreasing.

    Notes
    -----
    The ratio is kept between a lower bound (0, or the efficacy floor) and the cap
    ``c``: it is the formula's value when that lies in between, else the bound it passed.

    - linear, higher better: ``r = (a - b) / (t - b)``; lower better:
      ``r = (b - a) / (b - t)``; kept within ``[0, c]``.
    - ratio, higher better: ``r = a / t``; lower better: ``r = t / a``, and ``a = 0``
      scores ``c``; kept within ``[0, c]``.
    - steps: the ratio of the hardest threshold reached (``a >= threshold`` when higher
      is better, ``a <= threshold`` when lower is better), or 0 when none is reached;
      at most ``c``.
    - binary: ``r = min(1, c)`` when met, else 0. With a target, met means
      ``a >= t`` (higher) or ``a <= t`` (lower).
    - efficacy (功效系数法): with the efficacy coefficient ``e = (a - u) / (s - u)``
      (lower better: ``e = (u - a) / (u - s)``), ``r = (60 + 40 × e) / 100``, kept
      within ``[f, c]``: 0.6 at the unacceptable value, 1 at the satisfactory value,
      linear in between and beyond, up to the cap and down to the floor.
    - piecewise: with breakpoints ``(x1, r1), ..., (xn, rn)`` from the worst actual to
      the best, ``r = ri + (r(i+1) - ri) × (a - xi) / (x(i+1) - xi)`` for ``a`` between
      ``xi`` and ``x(i+1)``; ``r1`` at or before ``x1`` and ``rn`` at or past ``xn``.

    References
    ----------
    DESIGN.md section 4, "Quantitative indicator". 中共中央办公厅《党政领导干部考核工作条例》
    (2019) asks for indicators that differ by post and mix quantified and other
    indicators; the formulas are the rulebook's. The efficacy coefficient method
    (功效系数法) of Chinese performance evaluation, in the two-value form township
    rulebooks use: 单项得分 = 60 + 40 × (实际值 − 不允许值) / (满意值 − 不允许值)
    (issue 13).

    Examples
    --------
    >>> score_quantitative("linear", 75, baseline=50, target=100)
    0.5
    >>> score_quantitative("linear", 130, baseline=50, target=100, cap=1.2)
    1.2
    >>> score_quantitative("ratio", 0, direction="lower", target=3)
    1.0
    >>> score_quantitative("steps", 85, steps=[(60, 0.5), (80, 0.8), (95, 1.0)])
    0.8
    >>> score_quantitative("binary", True)
    1.0
    >>> score_quantitative("efficacy", 90, unacceptable=60, satisfactory=100)
    0.9
    >>> score_quantitative("piecewise", 70, breakpoints=[(60, 0.6), (80, 0.9), (100, 1.0)])
    0.75
    """
    return float(
        exact_ratio(
            method,
            actual,
            direction=direction,
            baseline=baseline,
            target=target,
            cap=cap,
            steps=steps,
            indicator=indicator,
            unacceptable=unacceptable,
            satisfactory=satisfactory,
            floor=floor,
            breakpoints=breakpoints,
        )
    )


def compute_quantitative_points(
    rule: QuantitativeRule,
    actual: float | bool | None,
    *,
    precision: Precision = DEFAULT_PRECISION,
) -> IndicatorPoints:
    """Score one quantitative indicator under its rule.

    Parameters
    ----------
    rule : QuantitativeRule
        Method, direction, weight and parameters of the indicator.
    actual : float, bool or None
        The actual value entered by the team.
    precision : Precision
        The rulebook's declared precision of points (default two decimals, half up).

    Returns
    -------
    IndicatorPoints
        ``ratio`` and ``points = weight × ratio`` rounded to the declared precision.

    Raises
    ------
    MissingInputError
        When ``actual`` is ``None`` or NaN (its ``indicator`` is ``rule.code``).
    InvalidParameterError
        As :func:`score_quantitative`.

    Notes
    -----
    ``points = round(w × r)`` with ``r`` the exact ratio of :func:`exact_ratio` and
    ``round`` the declared rounding: ``45 × (0.7 − 0.2) / (1.0 − 0.2) = 28.125`` is
    published as 28.13 (half up), never from the binary 28.124999999999996.

    References
    ----------
    DESIGN.md section 4, "Quantitative indicator" and "Precision".

    Examples
    --------
    >>> rule = QuantitativeRule("linear", "lower", weight=10, baseline=20, target=10)
    >>> compute_quantitative_points(rule, 15)
    IndicatorPoints(ratio=0.5, points=5.0)
    >>> rule = QuantitativeRule("linear", "higher", weight=45, baseline=0.2, target=1.0)
    >>> compute_quantitative_points(rule, 0.7)
    IndicatorPoints(ratio=0.625, points=28.13)
    """
    ratio = exact_ratio(
        rule.method,
        actual,
        direction=rule.direction,
        baseline=rule.baseline,
        target=rule.target,
        cap=rule.cap,
        steps=rule.steps,
        indicator=rule.code,
        unacceptable=rule.unacceptable,
        satisfactory=rule.satisfactory,
        floor=rule.floor,
        breakpoints=rule.breakpoints,
    )
    return IndicatorPoints(
        ratio=float(ratio), points=precision.publish(exact(rule.weight, "weight") * ratio)
    )


# ---------------------------------------------------------------------------
# qualitative and survey indicators
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PanelResult:
    """Panel value and points of one qualitative indicator.

    Parameters
    ----------
    value : float
        Panel value on 0–100 (trimmed or plain mean of the ratings).
    points : float
        ``weight × value / 100``.
    n_ratings : int
        Number of ratings used.
    trimmed : bool
        Whether one highest and one lowest rating were dropped.
    """

    value: float
    points: float
    n_ratings: int
    trimmed: bool


def _check_trim_threshold(trim_threshold: int) -> None:
    if isinstance(trim_threshold, bool) or not isinstance(trim_threshold, int):
        raise InvalidParameterError("trim_threshold", trim_threshold, "not_an_integer")
    if trim_threshold < 3:
        # dropping two ratings from fewer than three would leave nothing
        raise InvalidParameterError("trim_threshold", trim_threshold, "below_3")


def _panel(
    ratings: Sequence[float],
    trim_threshold: int,
    indicator: str | None,
    precision: Precision,
) -> tuple[Decimal, bool]:
    _check_trim_threshold(trim_threshold)
    if len(ratings) == 0:
        raise EmptyPanelError(indicator)
    values = sorted(_exact("ratings", r, indicator) for r in ratings)
    for r in values:
        if not 0 <= r <= 100:
            raise InvalidParameterError("ratings", float(r), "outside_0_100")
    trimmed = len(values) >= trim_threshold
    kept = values[1:-1] if trimmed else values
    # an exact mean: it does not depend on the order of the ratings
    return precision.round(sum(kept, Fraction(0)) / len(kept)), trimmed


def compute_panel_value(
    ratings: Sequence[float],
    *,
    trim_threshold: int = 5,
    precision: Precision = DEFAULT_PRECISION,
) -> float:
    """Combine the assessors' ratings of one qualitative indicator into a panel value.

    Parameters
    ----------
    ratings : sequence of float
        One value on 0–100 per assessor (the value of the rubric level picked; default
        levels 优 100, 良 85, 中 70, 差 50).
    trim_threshold : int
        Trim when there are at least this many ratings (default 5; at least 3).
    precision : Precision
        Declared precision of the published panel value (default two decimals, half up).

    Returns
    -------
    float
        The panel value on 0–100, rounded to the declared precision.

    Raises
    ------
    EmptyPanelError
        When there is no rating.
    MissingInputError
        When a rating is ``None`` or NaN.
    InvalidParameterError
        When a rating is outside 0–100 or ``trim_threshold`` is not an integer >= 3.

    Notes
    -----
    With ``m = len(ratings)`` and the ratings sorted ``x(1) <= ... <= x(m)``: when
    ``m >= trim_threshold`` the value is ``(x(2) + ... + x(m-1)) / (m - 2)`` (one highest
    and one lowest dropped), else ``(x(1) + ... + x(m)) / m``. The mean is exact and
    then rounded to the declared precision: ``(100 + 85 + 50) / 3 = 78.333...`` is
    published as 78.33.

    References
    ----------
    DESIGN.md section 4, "Qualitative indicator"; the trimmed mean is the
    "去掉一个最高分、去掉一个最低分" rule of Chinese panel scoring.

    Examples
    --------
    >>> compute_panel_value([100, 85, 70, 50])
    76.25
    >>> compute_panel_value([100, 85, 85, 70, 50])
    80.0
    >>> compute_panel_value([100, 85, 50])
    78.33
    """
    return float(_panel(ratings, trim_threshold, None, precision)[0])


def compute_qualitative_points(
    weight: float | Fraction,
    ratings: Sequence[float],
    *,
    trim_threshold: int = 5,
    indicator: str | None = None,
    precision: Precision = DEFAULT_PRECISION,
) -> PanelResult:
    """Score one qualitative indicator from its panel's ratings.

    Parameters
    ----------
    weight : float
        Weight ``w`` of the indicator.
    ratings : sequence of float
        One value on 0–100 per assessor.
    trim_threshold : int
        See :func:`compute_panel_value`.
    indicator : str, optional
        Indicator code, only used to name the indicator in errors.
    precision : Precision
        Declared precision of the panel value and the points.

    Returns
    -------
    PanelResult
        Published panel value and points, number of ratings, whether trimmed.

    Raises
    ------
    EmptyPanelError, MissingInputError, InvalidParameterError
        As :func:`compute_panel_value`; also for a negative or non-finite weight.

    Notes
    -----
    ``points = round(w × v / 100)`` with ``v`` the published (rounded) panel value, so
    that the points follow from the value printed beside them.

    References
    ----------
    DESIGN.md section 4, "Qualitative indicator" and "Precision".

    Examples
    --------
    >>> compute_qualitative_points(20, [100, 85, 85, 70, 50])
    PanelResult(value=80.0, points=16.0, n_ratings=5, trimmed=True)
    >>> compute_qualitative_points(15, [100, 85, 50])  # 15 × 78.33 / 100 = 11.7495
    PanelResult(value=78.33, points=11.75, n_ratings=3, trimmed=False)
    """
    _non_negative("weight", weight)
    value, trimmed = _panel(ratings, trim_threshold, indicator, precision)
    points = precision.publish(exact(weight, "weight") * Fraction(value) / 100)
    return PanelResult(value=float(value), points=points, n_ratings=len(ratings), trimmed=trimmed)


def compute_survey_points(
    weight: float | Fraction,
    satisfaction_index: float | None,
    *,
    indicator: str | None = None,
    precision: Precision = DEFAULT_PRECISION,
) -> float:
    """Points of a survey indicator from the target's satisfaction index.

    Parameters
    ----------
    weight : float
        Weight ``w`` of the indicator.
    satisfaction_index : float or None
        Satisfaction index ``S`` on 0–100 (see ``surveys.core.tally``).
    indicator : str, optional
        Indicator code, only used to name the indicator in errors.
    precision : Precision
        Declared precision of the index and the points.

    Returns
    -------
    float
        ``round(w × S / 100)`` with ``S`` as published (rounded).

    Raises
    ------
    MissingInputError
        When ``S`` is ``None`` or NaN (no valid response): never a silent zero.
    InvalidParameterError
        When ``S`` is outside 0–100 or the weight is negative.

    Notes
    -----
    ``points = round(w × S / 100)``, where ``S`` is the published index: the index as
    the survey tally computed it, rounded to the declared precision
    (:meth:`~assessment.core.precision.Precision.round`).

    References
    ----------
    DESIGN.md section 4, "Survey indicator" and "Precision".

    Examples
    --------
    >>> compute_survey_points(30, 85.0)
    25.5
    >>> compute_survey_points(10, 200 / 3)  # S = 66.67 published; 10 × 66.67 / 100
    6.67
    """
    _non_negative("weight", weight)
    s = _finite("satisfaction_index", satisfaction_index, indicator)
    if not 0.0 <= s <= 100.0:
        raise InvalidParameterError("satisfaction_index", satisfaction_index, "outside_0_100")
    published = Fraction(precision.round(s))
    return precision.publish(exact(weight, "weight") * published / 100)


# ---------------------------------------------------------------------------
# weights and totals
# ---------------------------------------------------------------------------


def validate_weights(
    set_name: str,
    weights: Mapping[str, float],
    *,
    expected: float = 100.0,
    tolerance: float = 1e-9,
) -> None:
    """Check that the weights of an indicator set sum to 100.

    Parameters
    ----------
    set_name : str
        Name or code of the indicator set, carried by the error.
    weights : mapping of str to float
        Indicator code to weight.
    expected : float
        Required sum, default 100.
    tolerance : float
        Absolute tolerance on the sum, default 1e-9.

    Returns
    -------
    None

    Raises
    ------
    WeightSumError
        When ``|Σ w - expected| > tolerance``; carries ``set_name`` and the ``actual`` sum.
    MissingInputError
        When a weight is ``None`` or NaN.
    InvalidParameterError
        When a weight is negative or infinite.

    Notes
    -----
    The sum is ``math.fsum`` (exactly rounded), so ``33.3 + 33.3 + 33.4`` passes.

    References
    ----------
    DESIGN.md section 3, "indicator set": weights summing to 100.

    Examples
    --------
    >>> validate_weights("village_director", {"results": 60, "survey": 30, "ability": 10})
    >>> try:
    ...     validate_weights("grid_worker", {"results": 60, "survey": 30})
    ... except WeightSumError as error:
    ...     print(error.code, error.set_name, error.actual)
    weight_sum grid_worker 90.0
    """
    values = [_non_negative(f"weights[{code!r}]", w) for code, w in weights.items()]
    total = math.fsum(values)
    if abs(total - expected) > tolerance:
        raise WeightSumError(set_name, total, float(expected))


@dataclass(frozen=True, slots=True)
class TotalResult:
    """Total score of one cadre, with its parts.

    Every field is a published value: a decimal at the declared precision, held in
    the float that reads back to it (``repr``).

    Parameters
    ----------
    total : float
        ``max(0, points + bonus - penalty)``.
    points : float
        Sum of the indicator points (each rounded to the declared precision first).
    bonus : float
        Bonus counted, ``min(Σ bonus events, bonus_cap)``.
    penalty : float
        Penalty counted, ``min(Σ penalty events, penalty_cap)``.
    bonus_raw, penalty_raw : float
        The uncapped sums of the events.
    bonus_capped, penalty_capped : bool
        Whether the cap bit.
    floored : bool
        Whether the total was raised to 0.
    """

    total: float
    points: float
    bonus: float
    penalty: float
    bonus_raw: float
    penalty_raw: float
    bonus_capped: bool
    penalty_capped: bool
    floored: bool


def compute_total(
    points: Sequence[float],
    bonus: Sequence[float] = (),
    penalty: Sequence[float] = (),
    *,
    bonus_cap: float | None = None,
    penalty_cap: float | None = None,
    precision: Precision = DEFAULT_PRECISION,
) -> TotalResult:
    """Add indicator points, capped bonus and capped penalty into a total.

    Parameters
    ----------
    points : sequence of float
        Points of every indicator (quantitative, qualitative, survey); each >= 0.
    bonus : sequence of float
        Points of each recorded bonus event; each >= 0.
    penalty : sequence of float
        Points of each recorded penalty event, as positive magnitudes; each >= 0.
    bonus_cap, penalty_cap : float or None
        Caps on the summed bonus and penalty from the rulebook; ``None`` means no cap.
        At most the declared number of decimals.
    precision : Precision
        Declared precision (default two decimals, half up).

    Returns
    -------
    TotalResult
        The total and its parts.

    Raises
    ------
    MissingInputError
        When any value is ``None`` or NaN.
    InvalidParameterError
        When any value or cap is negative or infinite, or a cap has more decimals than
        the declared precision (``more_decimals_than_precision``).

    Notes
    -----
    ``total = max(0, Σ points + min(Σ bonus, bonus_cap) - min(Σ penalty, penalty_cap))``
    where every point and event is first rounded to the declared precision
    (:meth:`~assessment.core.precision.Precision.round`: a float the engine computed is
    read to 9 decimals first, so 89.99999999999999 is 90) and the sums are exact
    decimal sums. So whoever re-adds the printed points gets the printed total, and the
    total does not depend on the order of the inputs.

    References
    ----------
    DESIGN.md section 4, "Bonus and penalty", "Total" and "Precision".

    Examples
    --------
    >>> r = compute_total([50, 30], bonus=[3, 4], penalty=[2], bonus_cap=5)
    >>> r.total, r.bonus, r.bonus_capped
    (83.0, 5.0, True)
    >>> compute_total([5], penalty=[8]).total
    0.0
    >>> compute_total([0.1, 0.2]).total  # 0.30000000000000004 in binary floating point
    0.3
    """

    def published_sum(name: str, values: Sequence[float]) -> Decimal:
        for value in values:
            _non_negative(name, value)
        return sum((precision.round(value) for value in values), Decimal(0))

    base = published_sum("points", points)
    bonus_raw = published_sum("bonus", bonus)
    penalty_raw = published_sum("penalty", penalty)
    b_cap = _cap("bonus_cap", bonus_cap, precision)
    p_cap = _cap("penalty_cap", penalty_cap, precision)
    bonus_counted = bonus_raw if b_cap is None else min(bonus_raw, b_cap)
    penalty_counted = penalty_raw if p_cap is None else min(penalty_raw, p_cap)
    raw_total = base + bonus_counted - penalty_counted
    return TotalResult(
        total=float(max(raw_total, Decimal(0))),
        points=float(base),
        bonus=float(bonus_counted),
        penalty=float(penalty_counted),
        bonus_raw=float(bonus_raw),
        penalty_raw=float(penalty_raw),
        bonus_capped=b_cap is not None and bonus_raw > b_cap,
        penalty_capped=p_cap is not None and penalty_raw > p_cap,
        floored=raw_total < 0,
    )


def _cap(name: str, value: float | None, precision: Precision) -> Decimal | None:
    """A rulebook cap as an exact decimal at the declared precision (None: no cap)."""
    if value is None:
        return None
    _non_negative(name, value)
    rounded = precision.round(exact(value, name))
    if Fraction(rounded) != exact(value, name):
        raise InvalidParameterError(name, value, "more_decimals_than_precision")
    return rounded


# ---------------------------------------------------------------------------
# grades
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GradeBand:
    """One grade of a grading scheme.

    Parameters
    ----------
    code : str
        Stable code, e.g. ``"excellent"``; labels are applied by the web layer.
    minimum : float
        Lowest total that earns the grade. The last (lowest) grade of a scheme is the
        fallback for every total below the others, whatever its minimum.
    """

    code: str
    minimum: float


class GradeLike(Protocol):
    """Anything with a grade ``code`` and a ``minimum`` (e.g. the rulebook's ``Grade``)."""

    @property
    def code(self) -> str:
        """Stable grade code."""
        ...

    @property
    def minimum(self) -> float:
        """Lowest total that earns the grade."""
        ...


#: Default scheme, best first: 优秀 ≥ 90, 称职 ≥ 70, 基本称职 ≥ 60, 不称职 below.
DEFAULT_GRADE_SCHEME: tuple[GradeBand, ...] = (
    GradeBand("excellent", 90.0),
    GradeBand("competent", 70.0),
    GradeBand("basic", 60.0),
    GradeBand("incompetent", 0.0),
)


def _check_scheme(scheme: Sequence[GradeLike]) -> None:
    if len(scheme) == 0:
        raise InvalidParameterError("scheme", scheme, "empty")
    codes = [band.code for band in scheme]
    if len(set(codes)) != len(codes):
        raise InvalidParameterError("scheme", codes, "duplicate_grade_codes")
    minimums = [_finite("scheme", band.minimum) for band in scheme]
    if any(lo >= hi for hi, lo in itertools.pairwise(minimums)):
        raise InvalidParameterError("scheme", minimums, "minimums_not_strictly_decreasing")


def _grade_index(total: Decimal, scheme: Sequence[GradeLike]) -> int:
    """Index of the first grade whose minimum the published total reaches, exactly."""
    for index, band in enumerate(scheme[:-1]):
        if Fraction(total) >= exact(band.minimum, "scheme"):
            return index
    return len(scheme) - 1


def compute_grade(
    total: float,
    scheme: Sequence[GradeLike] = DEFAULT_GRADE_SCHEME,
    *,
    precision: Precision = DEFAULT_PRECISION,
) -> str:
    """Return the code of the highest grade whose minimum the total reaches.

    Parameters
    ----------
    total : float
        Total score.
    scheme : sequence of GradeBand
        Grades from best to worst with strictly decreasing minimums.
    precision : Precision
        Declared precision: the published total is what is graded.

    Returns
    -------
    str
        Grade code.

    Raises
    ------
    MissingInputError
        When ``total`` is ``None`` or NaN.
    InvalidParameterError
        When the scheme is empty, has duplicate codes or unordered minimums.

    Notes
    -----
    ``grade = first g in scheme (best first) with T >= g.minimum``, else the last
    grade, where ``T`` is the published total (rounded to the declared precision) and
    the comparison is exact: 89.99999999999999 is published as 90.00 and is excellent;
    89.994 is published as 89.99 and is not.

    References
    ----------
    DESIGN.md section 4, "Grade"; 《党政领导干部考核工作条例》(2019) 第二十九条
    (优秀、称职、基本称职、不称职).

    Examples
    --------
    >>> compute_grade(90.0), compute_grade(89.99), compute_grade(59.0)
    ('excellent', 'competent', 'incompetent')
    >>> compute_grade(89.99999999999999), compute_grade(89.994)
    ('excellent', 'competent')
    """
    _check_scheme(scheme)
    _finite("total", total)
    return scheme[_grade_index(precision.round(total), scheme)].code


@dataclass(frozen=True, slots=True)
class GradingCandidate:
    """What grading needs to know about one cadre.

    Parameters
    ----------
    id : str
        Cadre (or appointment) identifier, unique in one grading run.
    post_group : str
        The group within which the top-grade quota applies.
    total : float
        Total score.
    survey_index : float or None
        Satisfaction index, second ranking key (``None`` sorts last).
    panel_value : float or None
        Qualitative panel value, third ranking key (``None`` sorts last).
    veto_cap : str or None
        When a veto was triggered, the best grade code the cadre may get.
    """

    id: str
    post_group: str
    total: float
    survey_index: float | None = None
    panel_value: float | None = None
    veto_cap: str | None = None


@dataclass(frozen=True, slots=True)
class CadreGrade:
    """Grade of one cadre.

    Parameters
    ----------
    id, post_group : str
        As in the candidate.
    total : float
        Total score as published.
    rank : int
        Competition rank within the post group (1 is best; cadres tied on total, survey
        index and panel value share a rank).
    earned : str
        Grade earned by the total alone.
    grade : str
        Final grade after the veto cap and the quota.
    veto_capped : bool
        Whether the veto lowered the grade.
    dropped_by_quota : bool
        Whether the top-grade quota lowered the grade by one.
    tie_dropped : bool
        Whether the cadre belongs to a block tied on every key that straddled the quota
        boundary (so the whole block dropped, including members within the count).
    """

    id: str
    post_group: str
    total: float
    rank: int
    earned: str
    grade: str
    veto_capped: bool
    dropped_by_quota: bool
    tie_dropped: bool


#: How ``share × size`` becomes a whole number of top grades: down (floor, the default),
#: half up (0.5 and more goes up), up (ceiling).
QUOTA_ROUNDINGS = ("down", "half_up", "up")


@dataclass(frozen=True, slots=True)
class QuotaRule:
    """The top-grade quota of one grading group and where it came from.

    Parameters
    ----------
    share : float, Fraction or None
        Largest share of the group that may keep the top grade, in (0, 1]; ``None``
        applies no quota.
    rounding : str
        One of :data:`QUOTA_ROUNDINGS`.
    quota_group : str or None
        The rulebook's quota group (``grading.quota_groups[].code``); ``None`` for a
        post graded on its own.
    unit, unit_grade : str or None
        For a group split by unit: the unit whose staff form this group and its grade,
        which chose ``share``.
    """

    share: float | Fraction | None
    rounding: str = "down"
    quota_group: str | None = None
    unit: str | None = None
    unit_grade: str | None = None


@dataclass(frozen=True, slots=True)
class GroupQuota:
    """How the top-grade quota worked out in one grading group.

    Parameters
    ----------
    post_group : str
        The group (a post code, a quota group code, or ``code@unit`` for a quota group
        split by unit).
    size : int
        Number of cadres in the group.
    allowed : int
        ``share × size`` rounded as ``rounding`` says (``size`` when there is no quota).
    eligible : int
        Cadres whose total (after the veto) earned the top grade.
    kept : int
        Cadres who keep the top grade; ``kept <= allowed``.
    tie_dropped : tuple of str
        Ids of the block tied on every key across the quota boundary (all dropped).
    share : float or None
        The share applied (``None``: no quota, or a result stored before issue 16,
        which did not record it).
    rounding : str
        How ``share × size`` was rounded (:data:`QUOTA_ROUNDINGS`).
    quota_group, unit, unit_grade : str or None
        As in :class:`QuotaRule`.
    """

    post_group: str
    size: int
    allowed: int
    eligible: int
    kept: int
    tie_dropped: tuple[str, ...]
    share: float | None = None
    rounding: str = "down"
    quota_group: str | None = None
    unit: str | None = None
    unit_grade: str | None = None


@dataclass(frozen=True, slots=True)
class GradingResult:
    """Grades of every cadre in a grading run.

    Parameters
    ----------
    grades : tuple of CadreGrade
        Sorted by post group, rank and id (independent of the input order).
    groups : tuple of GroupQuota
        One per post group, sorted by group.
    tie_dropped : tuple of str
        Sorted ids of every cadre in a block tied across a quota boundary (in any group);
        empty when it did not happen.
    """

    grades: tuple[CadreGrade, ...]
    groups: tuple[GroupQuota, ...]
    tie_dropped: tuple[str, ...] = field(default=())

    def grade_of(self, cadre_id: str) -> CadreGrade:
        """Return the grade of one cadre; raises ``KeyError`` when it is not there."""
        for grade in self.grades:
            if grade.id == cadre_id:
                return grade
        raise KeyError(cadre_id)


def quota_count(quota: float | Fraction | None, size: int, rounding: str = "down") -> int:
    """How many of ``size`` cadres may keep the top grade: ``share × size`` rounded.

    The share is read as the decimal it was written as (0.29 is 29/100, so
    ``0.29 × 100`` is exactly 29), and the product is rounded down (floor), half up
    (``floor(x + 1/2)``) or up (ceiling) in exact arithmetic.

    Examples
    --------
    >>> quota_count(0.15, 7), quota_count(0.15, 7, "half_up"), quota_count(0.15, 7, "up")
    (1, 1, 2)
    >>> quota_count(0.2, 1), quota_count(0.5, 1, "half_up"), quota_count(None, 3)
    (0, 1, 3)
    """
    if quota is None:
        return size
    # read the float as the decimal it was written as (0.29 -> 29/100) so that
    # floor(0.29 × 100) is 29, not 28 from the binary 0.28999...
    exact = quota if isinstance(quota, Fraction) else Fraction(str(quota))
    product = exact * size
    if rounding == "down":
        return math.floor(product)
    if rounding == "half_up":
        return math.floor(product + Fraction(1, 2))
    if rounding == "up":
        return math.ceil(product)
    raise InvalidParameterError("rounding", rounding, "unknown_rounding")


@dataclass(frozen=True, slots=True)
class QuotaArithmetic:
    """``size × share = product → allowed (rounding)``, as the pages print it.

    Parameters
    ----------
    size : int
        Cadres in the group.
    share : Decimal
        The share as written (``0.15``).
    product : Decimal
        ``size × share`` exactly, without trailing zeros (``1.05``).
    allowed : int
        The product rounded as ``rounding`` says.
    rounding : str
        One of :data:`QUOTA_ROUNDINGS`.
    """

    size: int
    share: Decimal
    product: Decimal
    allowed: int
    rounding: str


def quota_arithmetic(share: float, size: int, rounding: str = "down") -> QuotaArithmetic:
    """The worked quota of one group: ``7 × 15% = 1.05 → 1 (rounded down)``.

    Examples
    --------
    >>> q = quota_arithmetic(0.15, 7)
    >>> str(q.product), q.allowed
    ('1.05', 1)
    >>> str(quota_arithmetic(0.2, 5, "up").product)
    '1'
    """
    written = Decimal(str(share))
    product = written * size
    # 0.20 × 5 is 1.00: print 1, never an exponent (1E+1)
    product = (
        product.quantize(Decimal(1)) if product == product.to_integral() else product.normalize()
    )
    return QuotaArithmetic(size, written, product, quota_count(share, size, rounding), rounding)


def _check_quota(quota: float | Fraction | None) -> None:
    if quota is None:
        return
    if isinstance(quota, bool) or not isinstance(quota, int | float | Fraction):
        raise QuotaError(quota)
    if isinstance(quota, float) and not math.isfinite(quota):
        raise QuotaError(quota)
    if not 0 < quota <= 1:
        raise QuotaError(quota)


_SortKey = tuple[Decimal, int, Decimal, int, Decimal]


def _sort_key(c: GradingCandidate, precision: Precision) -> _SortKey:
    """Ascending key on the published values: best first; ``None`` after every number."""
    zero = Decimal(0)
    s_missing, s_value = (
        (1, zero) if c.survey_index is None else (0, -precision.round(c.survey_index))
    )
    p_missing, p_value = (
        (1, zero) if c.panel_value is None else (0, -precision.round(c.panel_value))
    )
    return (-precision.round(c.total), s_missing, s_value, p_missing, p_value)


def assign_grades(
    candidates: Sequence[GradingCandidate],
    *,
    scheme: Sequence[GradeLike] = DEFAULT_GRADE_SCHEME,
    top_quota: float | Fraction | None = 0.2,
    precision: Precision = DEFAULT_PRECISION,
    rounding: str = "down",
    quotas: Mapping[str, QuotaRule] | None = None,
) -> GradingResult:
    """Grade cadres: thresholds, veto caps, and the top-grade quota per post group.

    Parameters
    ----------
    candidates : sequence of GradingCandidate
        Every cadre to grade; ids must be unique.
    scheme : sequence of GradeBand or GradeLike
        Grades from best to worst (default :data:`DEFAULT_GRADE_SCHEME`); any objects
        with ``code`` and ``minimum``, such as ``Rulebook.grading.grades``.
    top_quota : float, Fraction or None
        Largest share of a post group that may keep the top grade, in (0, 1]; default
        0.2. ``None`` applies no quota.
    precision : Precision
        Declared precision: totals and ranking keys are compared as published.
    rounding : str
        How ``top_quota × size`` is rounded (:data:`QUOTA_ROUNDINGS`); default ``"down"``.
    quotas : mapping of str to QuotaRule, optional
        The rule of each group that has its own (a rulebook's quota groups); every
        other group gets ``QuotaRule(top_quota, rounding)``.

    Returns
    -------
    GradingResult
        Per-cadre grade, rank, flags, a per-group quota summary and the tie-dropped ids.
        It does not depend on the order of ``candidates``.

    Raises
    ------
    QuotaError
        When ``top_quota`` is not in (0, 1].
    InvalidParameterError
        Duplicate ids, an unknown ``veto_cap`` code, a bad scheme, or a non-finite
        survey index or panel value.
    MissingInputError
        When a total is ``None`` or NaN.

    Notes
    -----
    Totals, survey indices and panel values are compared exactly as published (rounded
    to the declared precision): 93.99999999999999 and 94.0 are both 94.00 and tie.

    1. ``earned`` = :func:`compute_grade` of the total; a veto caps it: the final grade is
       the worse of ``earned`` and ``veto_cap``.
    2. Within each post group, cadres are ranked by total (desc), then survey index (desc),
       then panel value (desc), ``None`` last; tied cadres share the competition rank.
    3. ``allowed = share × group size`` rounded down (floor), half up or up as the
       group's rule says (:func:`quota_count`), with the share read as the decimal it
       was written as. If more cadres hold the top grade, the first ``allowed`` in rank
       order keep it and the rest drop one grade. When the cadre at the boundary is tied
       on every key with the first cadre past it, the whole tied block drops, so fewer
       than ``allowed`` may keep it; the block is listed in ``tie_dropped``.

    References
    ----------
    DESIGN.md section 4, "Grade"; 《公务员考核规定》(2020) 第十八条 and
    《党政领导干部考核工作条例》(2019) on the share of 优秀 (generally at most 20%).

    Examples
    --------
    >>> cands = [GradingCandidate(str(i), "village", t) for i, t in
    ...          enumerate([95, 93, 93, 80, 75, 72, 71, 70, 65, 50])]
    >>> result = assign_grades(cands)
    >>> [g.grade for g in result.grades][:4]
    ['excellent', 'competent', 'competent', 'competent']
    >>> result.tie_dropped
    ('1', '2')
    """
    _check_scheme(scheme)
    _check_quota(top_quota)
    quotas = dict(quotas or {})
    for rule in quotas.values():
        _check_quota(rule.share)
    default_rule = QuotaRule(top_quota, rounding)
    codes = [band.code for band in scheme]
    position = {code: index for index, code in enumerate(codes)}
    ids = [c.id for c in candidates]
    if len(set(ids)) != len(ids):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        raise InvalidParameterError("id", duplicates, "duplicate_ids")

    groups: dict[str, list[GradingCandidate]] = defaultdict(list)
    for c in candidates:
        _finite("total", c.total, c.id)
        for name in ("survey_index", "panel_value"):
            value = getattr(c, name)
            if value is not None and not math.isfinite(value):
                raise InvalidParameterError(name, value, "not_finite")
        if c.veto_cap is not None and c.veto_cap not in position:
            raise InvalidParameterError("veto_cap", c.veto_cap, "unknown_grade_code")
        groups[c.post_group].append(c)

    grades: list[CadreGrade] = []
    summaries: list[GroupQuota] = []
    all_tie_dropped: list[str] = []
    for group_name in sorted(groups):
        # sorting by (key, id) makes everything below independent of input order
        members = sorted(groups[group_name], key=lambda c: (_sort_key(c, precision), c.id))
        keys = [_sort_key(c, precision) for c in members]
        ranks: list[int] = []
        for index, key in enumerate(keys):
            ranks.append(ranks[-1] if index and key == keys[index - 1] else index + 1)

        earned = [_grade_index(-key[0], scheme) for key in keys]
        capped = [
            max(e, position[c.veto_cap]) if c.veto_cap is not None else e
            for c, e in zip(members, earned, strict=True)
        ]
        top = [i for i, g in enumerate(capped) if g == 0]
        rule = quotas.get(group_name, default_rule)
        allowed = quota_count(rule.share, len(members), rule.rounding)
        drop: set[int] = set()
        tied: set[int] = set()
        if len(top) > allowed:
            drop = set(top[allowed:])
            if allowed > 0:
                boundary_key = keys[top[allowed]]
                if keys[top[allowed - 1]] == boundary_key:
                    # the whole block tied on every key straddles the boundary: all drop
                    tied = {i for i in top if keys[i] == boundary_key}
                    drop |= tied
        group_tied = tuple(sorted(members[i].id for i in tied))
        all_tie_dropped.extend(group_tied)
        summaries.append(
            GroupQuota(
                post_group=group_name,
                size=len(members),
                allowed=allowed,
                eligible=len(top),
                kept=len(top) - len(drop),
                tie_dropped=group_tied,
                share=None if rule.share is None else float(rule.share),
                rounding=rule.rounding,
                quota_group=rule.quota_group,
                unit=rule.unit,
                unit_grade=rule.unit_grade,
            )
        )
        for i, c in enumerate(members):
            final = capped[i] + 1 if i in drop else capped[i]
            grades.append(
                CadreGrade(
                    id=c.id,
                    post_group=group_name,
                    total=float(-keys[i][0]),
                    rank=ranks[i],
                    earned=codes[earned[i]],
                    grade=codes[min(final, len(codes) - 1)],
                    veto_capped=capped[i] != earned[i],
                    dropped_by_quota=i in drop,
                    tie_dropped=i in tied,
                )
            )
    return GradingResult(
        grades=tuple(grades),
        groups=tuple(summaries),
        tie_dropped=tuple(sorted(all_tie_dropped)),
    )
