"""Tallies of resident surveys: scores, satisfaction index, intervals, flags (DESIGN section 4).

Everything is vectorised over responses (numpy/pandas; no Python loop over responses),
so a million responses are summarised in about the time of a pandas group-by mean.
Unanswered items and invalid responses are NaN. Nothing is rounded.

Errors come from :mod:`assessment.core.errors` (one error hierarchy for all pure core).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from assessment.core.ballots import compute_ballot_score
from assessment.core.errors import InvalidParameterError, MissingInputError

__all__ = [
    "DEFAULT_BALLOT_VALUES",
    "MIN_INTERVAL_RESPONSES",
    "AwarenessSummary",
    "BallotSummary",
    "GroupBreakdown",
    "ResponseFlags",
    "ResponseScores",
    "SatisfactionSummary",
    "ShownInterval",
    "compute_kish_n_eff",
    "compute_poststrat_weights",
    "compute_response_flags",
    "compute_response_scores",
    "compute_satisfaction",
    "compute_shown_interval",
    "flag_duplicate_serials",
    "flag_straight_lining",
    "flag_too_fast",
    "is_suppressed",
    "likert_to_100",
    "score_ballots",
    "summarise_awareness",
    "summarise_ballots",
    "summarise_breakdown",
    "summarise_targets",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: Default values of a grade ballot (民主测评票): 优秀 100, 称职 80, 基本称职 60, 不称职 0.
DEFAULT_BALLOT_VALUES: Mapping[str, float] = MappingProxyType(
    {"excellent": 100.0, "competent": 80.0, "basic": 60.0, "incompetent": 0.0}
)

#: Ballot codes that count as an abstention (besides None, NaN and the empty string).
ABSTAIN_CODES: frozenset[str] = frozenset({"abstain"})


def _float_vector(values: npt.ArrayLike, name: str) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterError(name, "…", "not_numeric") from None
    if array.ndim != 1:
        raise InvalidParameterError(name, array.shape, "not_1d")
    if np.isinf(array).any():
        raise InvalidParameterError(name, "inf", "not_finite")
    return array


def _check_fraction(name: str, value: float) -> None:
    if not 0 < value < 1:
        raise InvalidParameterError(name, value, "outside_0_1")


def _check_positive_int(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InvalidParameterError(name, value, "not_a_positive_integer")


def _factorize(values: npt.ArrayLike, name: str) -> tuple[IntArray, list[Hashable]]:
    """Integer codes and unique labels (in order of first appearance); no missing label."""
    codes, uniques = pd.factorize(np.asarray(values))
    if (codes < 0).any():
        raise MissingInputError(name)
    return codes.astype(np.int64, copy=False), list(np.asarray(uniques).tolist())


# ---------------------------------------------------------------------------
# response scores
# ---------------------------------------------------------------------------


def likert_to_100(
    values: npt.ArrayLike, k: int | Sequence[int] = 5, lowest: int | Sequence[int] = 1
) -> FloatArray:
    """Map answers on a k-point scale to 0–100.

    Parameters
    ----------
    values : array_like
        Answers ``lowest .. lowest + k - 1``; NaN is unanswered. The last axis is the
        item axis when ``k`` or ``lowest`` is given per item.
    k : int or sequence of int
        Number of points of the scale (at least 2), one for all items or one per item.
    lowest : int or sequence of int
        The scale's lowest level: 1 for a Likert scale (1..k), 0 for a 0–10 scale
        (``k = 11``); one for all items or one per item.

    Returns
    -------
    numpy.ndarray of float64
        Same shape; NaN stays NaN.

    Raises
    ------
    InvalidParameterError
        When a ``k`` is below 2 or not an integer, a ``lowest`` is not an integer, or an
        answer is not an integer level of its scale.

    Notes
    -----
    ``score = (x - lowest) / (k - 1) × 100``.

    References
    ----------
    DESIGN.md section 4, "Survey indicator".

    Examples
    --------
    >>> likert_to_100([1, 3, 5, float("nan")], k=5).tolist()
    [0.0, 50.0, 100.0, nan]
    >>> likert_to_100([0, 7, 10], k=11, lowest=0).tolist()
    [0.0, 70.0, 100.0]
    """
    x = np.asarray(values, dtype=np.float64)
    # no item at all (a survey of grade ballots only): an empty list reads as floats
    k_array = np.asarray(k, dtype=np.int64) if np.size(k) == 0 else np.asarray(k)
    if k_array.ndim > 1 or not np.issubdtype(k_array.dtype, np.integer) or (k_array < 2).any():
        raise InvalidParameterError("k", k, "not_an_integer_of_at_least_2")
    lowest_array = (
        np.asarray(lowest, dtype=np.int64) if np.size(lowest) == 0 else np.asarray(lowest)
    )
    if lowest_array.ndim > 1 or not np.issubdtype(lowest_array.dtype, np.integer):
        raise InvalidParameterError("lowest", lowest, "not_an_integer")
    k_float = k_array.astype(np.float64)
    lowest_float = lowest_array.astype(np.float64)
    answered = ~np.isnan(x)
    with np.errstate(invalid="ignore"):
        bad = answered & (
            (x < lowest_float) | (x > lowest_float + k_float - 1.0) | (x != np.floor(x))
        )
    if bad.any():
        first = x[bad].flat[0]
        raise InvalidParameterError("values", float(first), "not_a_level_of_the_scale")
    return np.asarray((x - lowest_float) / (k_float - 1.0) * 100.0, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class ResponseScores:
    """Scores of a set of responses.

    Parameters
    ----------
    scores : numpy.ndarray of float64
        Score 0–100 of each response; NaN for an invalid response (no item answered).
    answered : numpy.ndarray of int64
        Number of answered items of each response.
    n_valid, n_invalid : int
        Responses with at least one answered item, and with none (a "don't know"
        response is neither).
    items : numpy.ndarray of float64, shape (n_responses, n_items)
        Each answer on 0–100 (NaN unanswered): the item matrix of Cronbach's alpha.
    dont_know : numpy.ndarray of bool
        Responses that rated no item and said "don't know" (不了解) to at least one:
        the resident does not know the target. Their score is NaN.
    n_dont_know : int
        How many responses are ``dont_know``.
    """

    scores: FloatArray
    answered: IntArray
    n_valid: int
    n_invalid: int
    items: FloatArray
    dont_know: BoolArray
    n_dont_know: int


def compute_response_scores(
    items: npt.ArrayLike,
    k: int | Sequence[int] = 5,
    lowest: int | Sequence[int] = 1,
    dont_know: npt.ArrayLike | None = None,
) -> ResponseScores:
    """Score each response as the mean of its answered items on 0–100.

    The one place a resident's score is computed: the official results
    (``surveys.services.results_source``), the staff survey page and the open data
    (``surveys.services.queries.list_scored_responses``) all come through here.

    Parameters
    ----------
    items : array_like, shape (n_responses, n_items)
        Answers ``lowest .. lowest + k - 1``; NaN is unanswered.
    k : int or sequence of int
        Points of the scale, one for all items or one per item.
    lowest : int or sequence of int
        Lowest level of the scale (1 for Likert, 0 for a 0–10 scale), one for all items
        or one per item.
    dont_know : array_like of bool, shape (n_responses, n_items), optional
        True where the resident answered "don't know" (不了解) instead of a level; such
        an item must be NaN in ``items``. Default: no "don't know" answers.

    Returns
    -------
    ResponseScores
        Per-response score (NaN when invalid or "don't know"), answered counts,
        valid/invalid/"don't know" counts, and the answers on 0–100.

    Raises
    ------
    InvalidParameterError
        When ``items`` is not 2-D, an answer is off the scale (see
        :func:`likert_to_100`), or ``dont_know`` has another shape or marks an item
        that also holds a level.

    Notes
    -----
    ``score = mean over answered items of (x - lowest) / (k - 1) × 100``. A "don't
    know" item is not an answered item: it is left out of the mean like a blank. A
    response with no answered item is NaN; it is a "don't know" response when it said
    "don't know" to some item (counted in ``n_dont_know``), else invalid (counted in
    ``n_invalid``). Either way it is excluded from the index.

    References
    ----------
    DESIGN.md section 4, "Survey indicator".

    Examples
    --------
    >>> nan = float("nan")
    >>> r = compute_response_scores([[5, 4, nan], [nan, nan, nan], [1, 1, 3]], k=5)
    >>> r.scores.tolist(), r.n_invalid
    ([87.5, nan, 16.666666666666668], 1)

    A 5-point Likert item beside a 0–10 item:

    >>> compute_response_scores([[4, 10], [2, nan]], k=[5, 11], lowest=[1, 0]).scores.tolist()
    [87.5, 25.0]

    "Don't know" on the second item of the first response, and on both of the second:

    >>> r = compute_response_scores(
    ...     [[4, nan], [nan, nan]], k=5, dont_know=[[False, True], [True, True]]
    ... )
    >>> r.scores.tolist(), r.dont_know.tolist(), r.n_invalid
    ([75.0, nan], [False, True], 0)
    """
    x = np.asarray(items, dtype=np.float64)
    if x.ndim != 2:
        raise InvalidParameterError("items", x.shape, "not_a_2d_matrix")
    if dont_know is None:
        unknown = np.zeros(x.shape, dtype=np.bool_)
    else:
        unknown = np.asarray(dont_know, dtype=np.bool_)
        if unknown.shape != x.shape:
            raise InvalidParameterError("dont_know", unknown.shape, "shape_differs_from_items")
        if (unknown & ~np.isnan(x)).any():
            raise InvalidParameterError("dont_know", True, "item_also_has_a_level")
    mapped = likert_to_100(x, k, lowest)
    answered_mask = ~np.isnan(mapped)
    answered = answered_mask.sum(axis=1).astype(np.int64)
    total = np.where(answered_mask, mapped, 0.0).sum(axis=1)
    scores = np.full(x.shape[0], np.nan, dtype=np.float64)
    np.divide(total, answered, out=scores, where=answered > 0)
    n_valid = int((answered > 0).sum())
    dont_know_rows = (answered == 0) & unknown.any(axis=1)
    n_dont_know = int(dont_know_rows.sum())
    return ResponseScores(
        scores=scores,
        answered=answered,
        n_valid=n_valid,
        n_invalid=int(x.shape[0] - n_valid - n_dont_know),
        items=mapped,
        dont_know=dont_know_rows,
        n_dont_know=n_dont_know,
    )


@dataclass(frozen=True, slots=True)
class AwarenessSummary:
    """How many residents know a target well enough to rate it (知晓率).

    Parameters
    ----------
    target : hashable
        The target.
    n_rated : int
        Responses that rated the target (at least one answered item).
    n_dont_know : int
        Responses that said "don't know" (不了解) instead of rating it.
    share_known : float
        ``n_rated / (n_rated + n_dont_know)``; NaN when both are zero.
    """

    target: Hashable
    n_rated: int
    n_dont_know: int
    share_known: float


def summarise_awareness(
    target_ids: npt.ArrayLike, rated: npt.ArrayLike, dont_know: npt.ArrayLike
) -> dict[Hashable, AwarenessSummary]:
    """The share of residents who know each target (知晓率).

    Parameters
    ----------
    target_ids : array_like, shape (n,)
        Target of each (response, target) row.
    rated : array_like of bool, shape (n,)
        The row rated the target (``ResponseScores.answered > 0``).
    dont_know : array_like of bool, shape (n,)
        The row said "don't know" instead (``ResponseScores.dont_know``).

    Returns
    -------
    dict
        :class:`AwarenessSummary` per target, in order of first appearance. Rows that
        are neither (an empty response) count in neither number.

    Raises
    ------
    InvalidParameterError
        When the lengths differ or a row is both rated and "don't know".

    Notes
    -----
    ``share_known = n_rated / (n_rated + n_dont_know)``: of the residents who were asked
    about the target and answered, the share who rated it. Issue 17 ("I don't know
    this cadre").

    Examples
    --------
    >>> out = summarise_awareness(["a", "a", "a", "b"], [True, True, False, False],
    ...                           [False, False, True, True])
    >>> out["a"].share_known, out["b"].n_dont_know, out["b"].share_known
    (0.6666666666666666, 1, 0.0)
    """
    targets = np.asarray(target_ids, dtype=object)
    rated_rows = np.asarray(rated, dtype=np.bool_)
    unknown_rows = np.asarray(dont_know, dtype=np.bool_)
    if not targets.shape == rated_rows.shape == unknown_rows.shape or targets.ndim != 1:
        raise InvalidParameterError("rated", rated_rows.shape, "length_differs_from_targets")
    if (rated_rows & unknown_rows).any():
        raise InvalidParameterError("dont_know", True, "row_also_rated")
    codes, uniques = _factorize(targets, "target_ids")
    n_rated = np.bincount(codes[rated_rows], minlength=len(uniques))
    n_unknown = np.bincount(codes[unknown_rows], minlength=len(uniques))
    out: dict[Hashable, AwarenessSummary] = {}
    for i, target in enumerate(uniques):
        asked = int(n_rated[i] + n_unknown[i])
        out[target] = AwarenessSummary(
            target=target,
            n_rated=int(n_rated[i]),
            n_dont_know=int(n_unknown[i]),
            share_known=float(n_rated[i] / asked) if asked else float("nan"),
        )
    return out


# ---------------------------------------------------------------------------
# grade ballots
# ---------------------------------------------------------------------------


def score_ballots(
    ballots: Sequence[str | None] | npt.ArrayLike,
    *,
    values: Mapping[str, float] = DEFAULT_BALLOT_VALUES,
) -> FloatArray:
    """Score each grade ballot; an abstention is NaN (out of the denominator).

    Parameters
    ----------
    ballots : sequence of str or None
        Grade code per ballot; ``None``, NaN, ``""`` or ``"abstain"`` is an abstention.
    values : mapping of str to float
        Value of each grade code on 0–100 (default 100/80/60/0).

    Returns
    -------
    numpy.ndarray of float64
        Value of each ballot, NaN for an abstention.

    Raises
    ------
    InvalidParameterError
        When a ballot holds a code not in ``values``, or a value is outside 0–100.

    Notes
    -----
    ``value(ballot) = values[code]``; abstentions are NaN so that a mean over ballots
    leaves them out of the denominator.

    References
    ----------
    DESIGN.md section 4; 《党政领导干部考核工作条例》(2019) 民主测评 with the grades
    优秀、称职、基本称职、不称职.

    Examples
    --------
    >>> score_ballots(["excellent", "basic", None, "abstain"]).tolist()
    [100.0, 60.0, nan, nan]
    """
    for code, value in values.items():
        if not 0.0 <= float(value) <= 100.0:
            raise InvalidParameterError(f"values[{code!r}]", value, "outside_0_100")
    codes, uniques = pd.factorize(np.asarray(ballots, dtype=object))
    table = np.empty(len(uniques) + 1, dtype=np.float64)
    table[-1] = np.nan  # code -1 (None/NaN) indexes the last slot
    for index, label in enumerate(uniques.tolist()):
        if label == "" or label in ABSTAIN_CODES:
            table[index] = np.nan
        elif label in values:
            table[index] = float(values[label])
        else:
            raise InvalidParameterError("ballots", label, "unknown_grade_code")
    return np.asarray(table[codes], dtype=np.float64)


@dataclass(frozen=True, slots=True)
class BallotSummary:
    """Tally of the grade ballots about one target.

    Parameters
    ----------
    score : float
        Mean value of the counted ballots; NaN when every ballot abstained.
    n_ballots : int
        All ballots, abstentions included.
    n_abstained : int
        Abstentions.
    n_counted : int
        Ballots that picked a grade.
    counts : mapping of str to int
        Ballots per grade code (every code of ``values``, zeros included).
    """

    score: float
    n_ballots: int
    n_abstained: int
    n_counted: int
    counts: Mapping[str, int]


def summarise_ballots(
    ballots: Sequence[str | None] | npt.ArrayLike,
    *,
    values: Mapping[str, float] = DEFAULT_BALLOT_VALUES,
) -> BallotSummary:
    """Tally grade ballots into a 0–100 score with abstentions left out.

    Parameters
    ----------
    ballots : sequence of str or None
        As :func:`score_ballots`.
    values : mapping of str to float
        As :func:`score_ballots`.

    Returns
    -------
    BallotSummary
        Score, counts and per-grade counts.

    Raises
    ------
    InvalidParameterError
        As :func:`score_ballots`.

    Notes
    -----
    ``score = Σ values[code] / n_counted`` over ballots that picked a grade, computed by
    the one ballot formula :func:`assessment.core.ballots.compute_ballot_score` (with
    coefficients ``values / 100``, unrounded). When every ballot abstained the score
    is NaN; :func:`~assessment.core.scoring.compute_survey_points` refuses it rather
    than scoring zero.

    References
    ----------
    DESIGN.md section 4.

    Examples
    --------
    >>> s = summarise_ballots(["excellent", "competent", "competent", None])
    >>> s.score, s.n_counted, s.counts["competent"]
    (86.66666666666667, 3, 2)
    """
    scored = score_ballots(ballots, values=values)
    counted = ~np.isnan(scored)
    n_counted = int(counted.sum())
    labels = pd.Series(np.asarray(ballots, dtype=object)[counted])
    tallied = labels.value_counts()
    counts = {code: int(tallied.get(code, 0)) for code in values}
    coefficients = {code: float(value) / 100 for code, value in values.items()}
    score = (
        compute_ballot_score(counts, coefficients=coefficients, precision=None)
        if n_counted
        else float("nan")
    )
    return BallotSummary(
        score=score,
        n_ballots=int(scored.size),
        n_abstained=int(scored.size - n_counted),
        n_counted=n_counted,
        counts=counts,
    )


# ---------------------------------------------------------------------------
# weights
# ---------------------------------------------------------------------------


def compute_kish_n_eff(weights: npt.ArrayLike) -> float:
    """Kish's effective sample size of a set of weights.

    Parameters
    ----------
    weights : array_like of float
        Non-negative weights, not all zero.

    Returns
    -------
    float
        ``(Σ w)² / Σ w²``; equals ``n`` when all weights are equal.

    Raises
    ------
    InvalidParameterError
        When a weight is negative, NaN or infinite, or all are zero.

    Notes
    -----
    ``n_eff = (Σ w)² / Σ w²``.

    References
    ----------
    Kish, L. (1965). *Survey Sampling*. Wiley, section 11.7.

    Examples
    --------
    >>> compute_kish_n_eff([1, 1, 1, 1])
    4.0
    >>> compute_kish_n_eff([2, 1, 1])
    2.6666666666666665
    """
    w = _float_vector(weights, "weights")
    if np.isnan(w).any() or (w < 0).any():
        raise InvalidParameterError("weights", "…", "negative_or_nan")
    total = float(w.sum())
    if total <= 0:
        raise InvalidParameterError("weights", total, "all_zero")
    return total**2 / float((w**2).sum())


def _unit_population_array(
    uniques: list[Hashable], unit_populations: Mapping[Hashable, float]
) -> FloatArray:
    """Look up the population of each unit label (a loop over units, not responses)."""
    pops = np.empty(len(uniques), dtype=np.float64)
    for index, unit in enumerate(uniques):
        if unit not in unit_populations:
            raise MissingInputError(f"unit_populations[{unit!r}]")
        value = float(unit_populations[unit])
        if not np.isfinite(value) or value <= 0:
            raise InvalidParameterError(f"unit_populations[{unit!r}]", value, "not_positive")
        pops[index] = value
    return pops


def _poststrat(
    target_codes: IntArray,
    n_targets: int,
    unit_ids: npt.ArrayLike,
    unit_populations: Mapping[Hashable, float],
) -> FloatArray:
    """Post-stratification weight of each response, strata = units within each target."""
    unit_codes, unit_labels = _factorize(unit_ids, "unit_ids")
    pops = _unit_population_array(unit_labels, unit_populations)
    n_units = len(unit_labels)
    pair = target_codes * n_units + unit_codes
    pair_codes, pair_values = pd.factorize(pair)
    pair_values = np.asarray(pair_values, dtype=np.int64)
    pair_target = pair_values // n_units
    pair_pop = pops[pair_values % n_units]
    n_pair = np.bincount(pair_codes, minlength=pair_values.size).astype(np.float64)
    n_target = np.bincount(target_codes, minlength=n_targets).astype(np.float64)
    pop_target = np.bincount(pair_target, weights=pair_pop, minlength=n_targets)
    # w = population share of the unit / response share of the unit, within the target
    weight_pair = (pair_pop / pop_target[pair_target]) / (n_pair / n_target[pair_target])
    return np.asarray(weight_pair[pair_codes], dtype=np.float64)


def compute_poststrat_weights(
    unit_ids: npt.ArrayLike, unit_populations: Mapping[Hashable, float]
) -> FloatArray:
    """Post-stratification weights of the responses about one target.

    Parameters
    ----------
    unit_ids : array_like
        Unit (village/community) of each response; none missing.
    unit_populations : mapping
        Population of each unit; every unit in ``unit_ids`` must be present and positive.

    Returns
    -------
    numpy.ndarray of float64
        One weight per response; the weights sum to the number of responses.

    Raises
    ------
    MissingInputError
        When a response has no unit, or a unit has no population.
    InvalidParameterError
        When a population is not positive.

    Notes
    -----
    For a response from unit ``u``: ``w = (P_u / P) / (n_u / n)``, where ``P`` is the
    total population of the units that have at least one response (a unit with no
    response cannot be represented and is left out of ``P``), ``n_u`` the responses
    from ``u`` and ``n`` all responses. Pass only valid responses.

    References
    ----------
    Holt, D. and Smith, T. M. F. (1979). Post stratification. *Journal of the Royal
    Statistical Society A*, 142(1), 33–46. Kish (1965), section 12.

    Examples
    --------
    >>> compute_poststrat_weights(["a", "a", "a", "b"], {"a": 500, "b": 500}).tolist()
    [0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 2.0]
    """
    n = np.asarray(unit_ids).shape[0]
    return _poststrat(np.zeros(n, dtype=np.int64), 1, unit_ids, unit_populations)


# ---------------------------------------------------------------------------
# satisfaction index
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SatisfactionSummary:
    """Satisfaction index of one target with its uncertainty.

    Parameters
    ----------
    target : hashable
        The target id.
    index : float
        Satisfaction index ``S`` on 0–100; NaN when there is no valid response.
    ci_low, ci_high : float
        t-interval of ``S``; NaN when ``n_effective <= 1``.
    se : float
        Standard error of ``S``.
    df : float
        Degrees of freedom of the t quantile, ``n_effective - 1`` (not an integer when
        weighted).
    n : int
        Valid responses.
    n_invalid : int
        Responses with no answered item (excluded).
    n_effective : float
        Kish effective sample size (``n`` when unweighted).
    weighted : bool
        Whether post-stratification weights were applied.
    households : int or None
        Households in the target's scope, when given.
    response_rate : float or None
        ``n / households`` as a fraction 0–1, when households are given.
    share_satisfied : float
        (Weighted) share of valid responses with score ``>= satisfied_threshold``.
    share_ci_low, share_ci_high : float
        Wilson score interval of the share, with ``n_effective`` as the sample size.
    """

    target: Hashable
    index: float
    ci_low: float
    ci_high: float
    se: float
    df: float
    n: int
    n_invalid: int
    n_effective: float
    weighted: bool
    households: int | None
    response_rate: float | None
    share_satisfied: float
    share_ci_low: float
    share_ci_high: float


def _wilson(p: FloatArray, n: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    z = float(stats.norm.isf((1.0 - confidence) / 2.0))
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1.0 + z2 / n
        center = (p + z2 / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    return center - half, center + half


def summarise_targets(
    target_ids: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    unit_ids: npt.ArrayLike | None = None,
    unit_populations: Mapping[Hashable, float] | None = None,
    households: Mapping[Hashable, int] | None = None,
    confidence: float = 0.95,
    satisfied_threshold: float = 75.0,
) -> dict[Hashable, SatisfactionSummary]:
    """Satisfaction index, intervals and satisfied share of many targets at once.

    Parameters
    ----------
    target_ids : array_like, shape (n_responses,)
        Target (cadre, unit or service) of each response; none missing.
    scores : array_like of float, shape (n_responses,)
        Response scores 0–100 (:func:`compute_response_scores`); NaN = invalid response.
    unit_ids : array_like, optional
        Unit of each response; with ``unit_populations`` turns post-stratification on.
    unit_populations : mapping, optional
        Population of each unit.
    households : mapping of target id to int, optional
        Households in each target's scope, for the response rate; a target missing from
        the mapping gets ``None``.
    confidence : float
        Level of both intervals, in (0, 1); default 0.95.
    satisfied_threshold : float
        A response is satisfied when its score reaches this value; default 75.

    Returns
    -------
    dict
        Target id to :class:`SatisfactionSummary`, in order of first appearance. A
        target whose responses are all invalid has ``n = 0`` and NaN statistics.

    Raises
    ------
    InvalidParameterError
        Mismatched lengths, a score outside 0–100, ``confidence`` outside (0, 1),
        non-positive households or populations, or only one of ``unit_ids`` and
        ``unit_populations``.
    MissingInputError
        A missing target id, a missing unit id on a valid response, or a unit without a
        population.

    Notes
    -----
    Per target, over its ``n`` valid responses with scores ``x`` and weights ``w``
    (all 1 unless post-stratified; see :func:`compute_poststrat_weights`, strata are
    the units within the target):

    - ``S = Σ w x / Σ w``
    - ``n_eff = (Σ w)² / Σ w²`` (Kish), which is ``n`` when unweighted
    - ``v = Σ w (x - S)² / Σ w``, ``se = sqrt(v / (n_eff - 1))``, ``df = n_eff - 1``
    - interval ``S ± t(1 - a/2; df) × se`` with ``a = 1 - confidence``
    - ``p = Σ w [x >= threshold] / Σ w``; Wilson interval with ``n = n_eff``:
      ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``

    Unweighted, ``se`` is the textbook ``s / sqrt(n)`` with the ``n - 1`` sample SD.
    Weighted, it is the same formula with ``n`` replaced by ``n_eff``; it equals
    statsmodels ``DescrStatsW(x, weights=w × n_eff / Σ w).tconfint_mean()`` (weights
    rescaled to sum to ``n_eff``, a design-effect approximation that ignores the
    variance reduction from post-stratification, so it errs wide).

    References
    ----------
    Kish, L. (1965). *Survey Sampling*, Wiley, section 11.7 (effective sample size).
    Potthoff, R. F., Woodbury, M. A. and Manton, K. G. (1992). "Equivalent sample size"
    and "equivalent degrees of freedom" refinements for inference using survey weights
    under superpopulation models. *JASA*, 87(418), 383–396.
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *JASA*, 22(158), 209–212.
    DESIGN.md section 4, "Survey indicator".

    Examples
    --------
    >>> out = summarise_targets(["a", "a", "b", "b", "b"], [100, 50, 75, 80, float("nan")])
    >>> out["a"].index, out["b"].n, out["b"].n_invalid, out["b"].share_satisfied
    (75.0, 2, 1, 1.0)
    """
    _check_fraction("confidence", confidence)
    x_all = _float_vector(scores, "scores")
    with np.errstate(invalid="ignore"):
        if ((x_all < 0) | (x_all > 100)).any():
            raise InvalidParameterError("scores", "…", "outside_0_100")
    codes_all, slot_labels = _target_slots(target_ids)
    if codes_all.shape[0] != x_all.shape[0]:
        raise InvalidParameterError("target_ids", codes_all.shape[0], "length_differs_from_scores")
    if (unit_ids is None) != (unit_populations is None):
        raise InvalidParameterError("unit_ids", None, "needs_both_unit_ids_and_populations")
    n_targets = len(slot_labels)

    valid = ~np.isnan(x_all)
    if valid.all():  # the usual case: no copies of a million rows
        codes, x = codes_all, x_all
        n_invalid = np.zeros(n_targets, dtype=np.int64)
    else:
        codes, x = codes_all[valid], x_all[valid]
        n_invalid = np.bincount(codes_all[~valid], minlength=n_targets)
    n = np.bincount(codes, minlength=n_targets)

    weighted = unit_ids is not None and unit_populations is not None
    w: FloatArray | None = None
    if unit_ids is not None and unit_populations is not None:
        units = np.asarray(unit_ids)
        if units.shape[0] != x_all.shape[0]:
            raise InvalidParameterError("unit_ids", units.shape[0], "length_differs_from_scores")
        w = _poststrat(codes, n_targets, units[valid], unit_populations)

    # Unweighted, every weight is 1: the sums below skip the multiplications (the index
    # step runs over every response of a county, so each pass over the data counts).
    sum_w = (
        n.astype(np.float64) if w is None else np.bincount(codes, weights=w, minlength=n_targets)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        wx = x if w is None else w * x
        mean = np.bincount(codes, weights=wx, minlength=n_targets) / sum_w
        # second pass around the group mean: no cancellation as in Σwx² − (Σwx)²/Σw
        dev = (x - mean[codes]) ** 2
        dev2 = np.bincount(codes, weights=dev if w is None else w * dev, minlength=n_targets)
        if w is not None:
            n_eff = sum_w**2 / np.bincount(codes, weights=w * w, minlength=n_targets)
        else:
            n_eff = n.astype(np.float64)
        df = n_eff - 1.0
        se = np.sqrt(dev2 / sum_w / df)
        se[df <= 0] = np.nan
        t_crit = np.full(n_targets, np.nan)
        ok = df > 0
        t_crit[ok] = stats.t.isf((1.0 - confidence) / 2.0, df[ok])
        half = t_crit * se
        is_satisfied = x >= satisfied_threshold
        satisfied = (
            np.bincount(codes[is_satisfied], minlength=n_targets).astype(np.float64)
            if w is None
            else np.bincount(codes, weights=w * is_satisfied, minlength=n_targets)
        )
        share = satisfied / sum_w
    share_low, share_high = _wilson(share, n_eff, confidence)

    # Integer ids are used as slots directly; slots no response names are dropped here.
    present = [
        i for i, label in enumerate(slot_labels) if label is not None and n[i] + n_invalid[i]
    ]
    labels = [slot_labels[i] for i in present]
    rates: list[float | None] = []
    house_counts: list[int | None] = []
    for index, label in zip(present, labels, strict=True):
        count = None if households is None else households.get(label)
        if count is not None and (isinstance(count, bool) or int(count) != count or count <= 0):
            raise InvalidParameterError(f"households[{label!r}]", count, "not_a_positive_integer")
        house_counts.append(None if count is None else int(count))
        rates.append(None if count is None else float(n[index]) / float(count))

    return {
        label: SatisfactionSummary(
            target=label,
            index=float(mean[i]),
            ci_low=float(mean[i] - half[i]),
            ci_high=float(mean[i] + half[i]),
            se=float(se[i]),
            df=float(df[i]),
            n=int(n[i]),
            n_invalid=int(n_invalid[i]),
            n_effective=float(n_eff[i]),
            weighted=weighted,
            households=house_counts[j],
            response_rate=rates[j],
            share_satisfied=float(share[i]),
            share_ci_low=float(share_low[i]),
            share_ci_high=float(share_high[i]),
        )
        for j, (i, label) in enumerate(zip(present, labels, strict=True))
    }


def _target_slots(values: npt.ArrayLike) -> tuple[IntArray, list[Hashable | None]]:
    """Slot per response and the label of each slot.

    Non-negative integer ids (cadre ids) are their own slots, which saves factorizing a
    million ids; slots that no response uses have the label None. Other ids are
    factorized (labels in order of first appearance).
    """
    array = np.asarray(values)
    if array.dtype.kind in "iu" and array.size:
        low, high = int(array.min()), int(array.max())
        if low >= 0 and high < 4 * array.size + 1024:
            used = np.bincount(array, minlength=high + 1) > 0
            labels: list[Hashable | None] = [
                i if is_used else None for i, is_used in enumerate(used.tolist())
            ]
            return array.astype(np.int64, copy=False), labels
    codes, uniques = _factorize(values, "target_ids")
    return codes, list(uniques)


def compute_satisfaction(
    scores: npt.ArrayLike,
    *,
    unit_ids: npt.ArrayLike | None = None,
    unit_populations: Mapping[Hashable, float] | None = None,
    households: int | None = None,
    confidence: float = 0.95,
    satisfied_threshold: float = 75.0,
    target: Hashable = "",
) -> SatisfactionSummary:
    """Satisfaction index of one target, with its t-interval and satisfied share.

    Parameters
    ----------
    scores : array_like of float
        Response scores 0–100 of the target; NaN = invalid response.
    unit_ids, unit_populations : optional
        Post-stratification, as :func:`summarise_targets`.
    households : int, optional
        Households in the target's scope, for the response rate.
    confidence : float
        Level of both intervals; default 0.95.
    satisfied_threshold : float
        Score from which a response counts as satisfied; default 75.
    target : hashable
        Label copied into the result.

    Returns
    -------
    SatisfactionSummary
        As one entry of :func:`summarise_targets`; with no valid response, ``n = 0``
        and NaN statistics.

    Raises
    ------
    InvalidParameterError, MissingInputError
        As :func:`summarise_targets`.

    Notes
    -----
    The same computation as :func:`summarise_targets` with a single target, so the two
    agree to the last bit. Formulas: see there.

    References
    ----------
    See :func:`summarise_targets`.

    Examples
    --------
    >>> s = compute_satisfaction([80, 90, 70, 100], households=10)
    >>> s.index, s.response_rate, round(s.ci_low, 4), round(s.ci_high, 4)
    (85.0, 0.4, 64.4574, 105.5426)
    """
    x = _float_vector(scores, "scores")
    summaries = summarise_targets(
        np.zeros(x.shape[0], dtype=np.int64),
        x,
        unit_ids=unit_ids,
        unit_populations=unit_populations,
        households=None if households is None else {0: households},
        confidence=confidence,
        satisfied_threshold=satisfied_threshold,
    )
    if not summaries:
        nan = float("nan")
        if households is not None and households <= 0:
            raise InvalidParameterError("households", households, "not_a_positive_integer")
        return SatisfactionSummary(
            target=target, index=nan, ci_low=nan, ci_high=nan, se=nan, df=nan, n=0,
            n_invalid=0, n_effective=0.0, weighted=unit_ids is not None,
            households=households, response_rate=None if households is None else 0.0,
            share_satisfied=nan, share_ci_low=nan, share_ci_high=nan,
        )  # fmt: skip
    summary = summaries[0]
    return SatisfactionSummary(
        target=target,
        index=summary.index,
        ci_low=summary.ci_low,
        ci_high=summary.ci_high,
        se=summary.se,
        df=summary.df,
        n=summary.n,
        n_invalid=summary.n_invalid,
        n_effective=summary.n_effective,
        weighted=summary.weighted,
        households=summary.households,
        response_rate=summary.response_rate,
        share_satisfied=summary.share_satisfied,
        share_ci_low=summary.share_ci_low,
        share_ci_high=summary.share_ci_high,
    )


# ---------------------------------------------------------------------------
# small groups
# ---------------------------------------------------------------------------


def is_suppressed(n: int, min_group_size: int = 5) -> bool:
    """Whether a breakdown over ``n`` responses must be suppressed.

    Parameters
    ----------
    n : int
        Responses in the group.
    min_group_size : int
        Smallest group that may be shown; default 5.

    Returns
    -------
    bool
        ``n < min_group_size``.

    Raises
    ------
    InvalidParameterError
        When ``min_group_size`` is not a positive integer.

    Notes
    -----
    DESIGN section 5, "Small groups": no breakdown of resident answers is shown or
    exported for a group smaller than the minimum size.

    References
    ----------
    DESIGN.md section 5.

    Examples
    --------
    >>> is_suppressed(4), is_suppressed(5)
    (True, False)
    """
    _check_positive_int("min_group_size", min_group_size)
    return n < min_group_size


@dataclass(frozen=True, slots=True)
class GroupBreakdown:
    """One row of a breakdown of response scores by group.

    Parameters
    ----------
    group : hashable
        The group label (e.g. village, age band).
    n : int
        Valid responses in the group.
    mean : float or None
        Mean score; ``None`` when suppressed.
    share_satisfied : float or None
        Share with score ``>= satisfied_threshold``; ``None`` when suppressed.
    suppressed : bool
        Whether the figures are withheld.
    reason : str or None
        ``"small_group"`` (``n < min_group_size``) or ``"complementary"`` (withheld so
        that a lone small group cannot be recovered from the overall figure).
    """

    group: Hashable
    n: int
    mean: float | None
    share_satisfied: float | None
    suppressed: bool
    reason: str | None


def summarise_breakdown(
    group_ids: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    min_group_size: int = 5,
    satisfied_threshold: float = 75.0,
) -> tuple[GroupBreakdown, ...]:
    """Break response scores down by group, suppressing groups that are too small.

    Parameters
    ----------
    group_ids : array_like
        Group of each response; none missing.
    scores : array_like of float
        Response scores; NaN (invalid) responses are left out.
    min_group_size : int
        Groups with fewer valid responses are suppressed; default 5.
    satisfied_threshold : float
        Score from which a response counts as satisfied; default 75.

    Returns
    -------
    tuple of GroupBreakdown
        One row per group, sorted by group label (as strings).

    Raises
    ------
    InvalidParameterError
        Mismatched lengths or a bad ``min_group_size``.
    MissingInputError
        A missing group id.

    Notes
    -----
    A group is suppressed when ``n < min_group_size`` (``reason="small_group"``). When
    exactly one group with responses is suppressed, the overall mean and the other
    groups would reveal it, so the smallest shown group is suppressed too
    (``reason="complementary"``). Counts ``n`` stay visible.

    References
    ----------
    DESIGN.md section 5, "Small groups"; Hundepool, A. et al. (2012). *Statistical
    Disclosure Control*, Wiley, section 4.2 (threshold rule, secondary suppression).

    Examples
    --------
    >>> rows = summarise_breakdown(["x"] * 6 + ["y"] * 5 + ["z"] * 2, [80.0] * 13)
    >>> [(r.group, r.mean, r.reason) for r in rows]
    [('x', 80.0, None), ('y', None, 'complementary'), ('z', None, 'small_group')]
    """
    _check_positive_int("min_group_size", min_group_size)
    x_all = _float_vector(scores, "scores")
    codes_all, labels = _factorize(group_ids, "group_ids")
    if codes_all.shape[0] != x_all.shape[0]:
        raise InvalidParameterError("group_ids", codes_all.shape[0], "length_differs_from_scores")
    valid = ~np.isnan(x_all)
    codes, x = codes_all[valid], x_all[valid]
    size = len(labels)
    n = np.bincount(codes, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(codes, weights=x, minlength=size) / n
        share = np.bincount(codes, weights=x >= satisfied_threshold, minlength=size) / n
    reasons: list[str | None] = ["small_group" if c < min_group_size else None for c in n]
    small_with_data = [i for i, c in enumerate(n) if 0 < c < min_group_size]
    shown = [i for i, r in enumerate(reasons) if r is None]
    if len(small_with_data) == 1 and shown:
        smallest = min(shown, key=lambda i: (n[i], str(labels[i])))
        reasons[smallest] = "complementary"
    rows = [
        GroupBreakdown(
            group=labels[i],
            n=int(n[i]),
            mean=None if reasons[i] else float(mean[i]),
            share_satisfied=None if reasons[i] else float(share[i]),
            suppressed=reasons[i] is not None,
            reason=reasons[i],
        )
        for i in range(size)
    ]
    return tuple(sorted(rows, key=lambda r: str(r.group)))


# ---------------------------------------------------------------------------
# response quality flags
# ---------------------------------------------------------------------------


def flag_straight_lining(items: npt.ArrayLike, *, min_answered: int = 3) -> BoolArray:
    """Flag responses that gave the same answer to every answered item.

    Parameters
    ----------
    items : array_like, shape (n_responses, n_items)
        Likert answers; NaN is unanswered.
    min_answered : int
        Only responses with at least this many answered items can be flagged (default 3).

    Returns
    -------
    numpy.ndarray of bool
        One flag per response.

    Raises
    ------
    InvalidParameterError
        When ``items`` is not 2-D or ``min_answered`` is not a positive integer.

    Notes
    -----
    ``flag = answered >= min_answered and max(answered) == min(answered)``. A flag is
    shown to the team, never applied: excluding a response is a recorded decision.

    References
    ----------
    DESIGN.md section 4, "response flags". Kim, Y. et al. (2019). Straightlining:
    overview of measurement, comparison of indicators, and effects in mail–web
    mixed-mode surveys. *Social Science Computer Review*, 37(2), 214–233.

    Examples
    --------
    >>> nan = float("nan")
    >>> flag_straight_lining([[4, 4, 4, nan], [4, 4, nan, nan], [4, 5, 4, 4]]).tolist()
    [True, False, False]
    """
    _check_positive_int("min_answered", min_answered)
    x = np.asarray(items, dtype=np.float64)
    if x.ndim != 2:
        raise InvalidParameterError("items", x.shape, "not_a_2d_matrix")
    answered = (~np.isnan(x)).sum(axis=1)
    if x.shape[1] == 0:
        return np.zeros(x.shape[0], dtype=np.bool_)
    # fmax/fmin skip NaN without the all-NaN warning of nanmax
    high = np.fmax.reduce(x, axis=1)
    low = np.fmin.reduce(x, axis=1)
    return np.asarray((answered >= min_answered) & (high == low), dtype=np.bool_)


def flag_too_fast(
    durations: npt.ArrayLike, *, min_responses: int = 30, divisor: float = 3.0
) -> BoolArray:
    """Flag responses completed in less than a third of the median time.

    Parameters
    ----------
    durations : array_like of float
        Completion time of each response (any unit); NaN when unknown (paper).
    min_responses : int
        Flag nothing until at least this many responses have a duration (default 30).
    divisor : float
        Flag durations below ``median / divisor`` (default 3).

    Returns
    -------
    numpy.ndarray of bool
        One flag per response; False where the duration is unknown.

    Raises
    ------
    InvalidParameterError
        A negative duration, a bad ``min_responses`` or a non-positive ``divisor``.

    Notes
    -----
    ``flag = d < median(d) / divisor`` over the known durations, once there are at least
    ``min_responses`` of them.

    References
    ----------
    DESIGN.md section 4, "response flags". Greszki, R., Meyer, M. and Schoen, H. (2015).
    Exploring the effects of removing "too fast" responses and respondents from web
    surveys. *Public Opinion Quarterly*, 79(2), 471–503.

    Examples
    --------
    >>> d = [300.0] * 29 + [60.0]
    >>> flag_too_fast(d)[-1], flag_too_fast(d[1:])[-1]
    (np.True_, np.False_)
    """
    _check_positive_int("min_responses", min_responses)
    if not np.isfinite(divisor) or divisor <= 0:
        raise InvalidParameterError("divisor", divisor, "not_positive")
    d = _float_vector(durations, "durations")
    known = ~np.isnan(d)
    if (d[known] < 0).any():
        raise InvalidParameterError("durations", float(d[known].min()), "negative")
    if int(known.sum()) < min_responses:
        return np.zeros(d.shape[0], dtype=np.bool_)
    limit = float(np.median(d[known])) / divisor
    return np.asarray(known & (np.where(known, d, np.inf) < limit), dtype=np.bool_)


def flag_duplicate_serials(serials: Sequence[str | None] | npt.ArrayLike) -> BoolArray:
    """Flag every paper ballot whose serial number appears more than once.

    Parameters
    ----------
    serials : sequence of str or None
        Paper serial of each response; ``None``/NaN/blank for online responses.

    Returns
    -------
    numpy.ndarray of bool
        True for every copy of a repeated serial (which copy is genuine is for the team
        to decide); False for responses without a serial.

    Raises
    ------
    None

    Notes
    -----
    Serials are compared as strings with surrounding whitespace removed.

    References
    ----------
    DESIGN.md section 4, "response flags".

    Examples
    --------
    >>> flag_duplicate_serials(["A01", "A02", " A01", None, None]).tolist()
    [True, False, True, False, False]
    """
    series = pd.Series(np.asarray(serials, dtype=object)).astype("string").str.strip()
    present = series.notna() & (series != "")
    duplicated = series.duplicated(keep=False)
    return np.asarray((present & duplicated).fillna(False).to_numpy(dtype=bool), dtype=np.bool_)


@dataclass(frozen=True, slots=True)
class ResponseFlags:
    """Quality flags of a set of responses (shown, never applied).

    Parameters
    ----------
    straight_lining, too_fast, duplicate_serial : numpy.ndarray of bool
        One flag per response each.
    """

    straight_lining: BoolArray
    too_fast: BoolArray
    duplicate_serial: BoolArray

    @property
    def any(self) -> BoolArray:
        """Whether each response has at least one flag."""
        return np.asarray(self.straight_lining | self.too_fast | self.duplicate_serial)


def compute_response_flags(
    items: npt.ArrayLike,
    *,
    durations: npt.ArrayLike | None = None,
    serials: Sequence[str | None] | npt.ArrayLike | None = None,
    min_answered: int = 3,
    min_responses: int = 30,
    divisor: float = 3.0,
) -> ResponseFlags:
    """Compute all three response quality flags.

    Parameters
    ----------
    items : array_like, shape (n_responses, n_items)
        Likert answers; NaN is unanswered.
    durations : array_like of float, optional
        Completion times; NaN or omitted when unknown.
    serials : sequence of str or None, optional
        Paper serials; omitted when there is none.
    min_answered, min_responses, divisor
        See :func:`flag_straight_lining` and :func:`flag_too_fast`.

    Returns
    -------
    ResponseFlags
        The three flag arrays.

    Raises
    ------
    InvalidParameterError
        As the three flag functions, or when the lengths differ.

    Notes
    -----
    See :func:`flag_straight_lining`, :func:`flag_too_fast` and
    :func:`flag_duplicate_serials`.

    References
    ----------
    DESIGN.md section 4, "response flags".

    Examples
    --------
    >>> f = compute_response_flags([[3, 3, 3], [1, 2, 3]], serials=["P1", "P1"])
    >>> f.straight_lining.tolist(), f.duplicate_serial.tolist(), f.any.tolist()
    ([True, False], [True, True], [True, True])
    """
    straight = flag_straight_lining(items, min_answered=min_answered)
    n = straight.shape[0]
    none = np.zeros(n, dtype=np.bool_)
    fast = (
        none
        if durations is None
        else flag_too_fast(durations, min_responses=min_responses, divisor=divisor)
    )
    duplicate = none if serials is None else flag_duplicate_serials(serials)
    for name, flags in (("durations", fast), ("serials", duplicate)):
        if flags.shape[0] != n:
            raise InvalidParameterError(name, flags.shape[0], "length_differs_from_items")
    return ResponseFlags(straight_lining=straight, too_fast=fast, duplicate_serial=duplicate)


#: Fewest responses whose index gets an interval on screen and on paper (issue 20).
MIN_INTERVAL_RESPONSES = 3


@dataclass(frozen=True, slots=True)
class ShownInterval:
    """A confidence interval of a satisfaction index as it may be shown to a reader.

    Parameters
    ----------
    low, high : float or None
        The ends, within the scale; ``None`` when ``too_few``.
    clipped : bool
        An end of the computed interval lay outside the scale and was cut at it.
    too_few : bool
        Too few responses for an interval: none is shown.
    """

    low: float | None
    high: float | None
    clipped: bool
    too_few: bool


def compute_shown_interval(
    low: float | None,
    high: float | None,
    n: int | None,
    *,
    lower: float = 0.0,
    upper: float = 100.0,
    min_responses: int = MIN_INTERVAL_RESPONSES,
) -> ShownInterval:
    """The interval of a satisfaction index as a reader may see it: on the scale, or none.

    The stored interval is the t-interval of :func:`compute_satisfaction` and stays as
    computed (it is part of the published result); this is what pages and reports show.

    Parameters
    ----------
    low, high : float or None
        The computed ends (``NaN`` or ``None`` when there is no interval).
    n : int or None
        Valid responses behind the index.
    lower, upper : float
        The scale of the index (0-100).
    min_responses : int
        Fewest responses for an interval (:data:`MIN_INTERVAL_RESPONSES`).

    Returns
    -------
    ShownInterval
        ``too_few`` when ``n < min_responses`` or an end is missing; otherwise the ends
        clamped to ``[lower, upper]``, ``clipped`` when one was outside.

    Notes
    -----
    An index can be no lower than 0 and no higher than 100, so an interval end beyond
    the scale says nothing about it: the end is cut at the scale, and the reader is
    told (the usual display of a truncated interval, e.g. a proportion's Wald interval
    cut at 0 and 1). From 2 responses the t-interval has one degree of freedom: it is
    either 2 × t(0.975, 1) = 25.4 standard errors wide, past the scale, or, when the two
    answers agree, of zero width ("87.5-87.5"); neither speaks about the residents, so
    below ``min_responses`` (3, the fewest with two degrees of freedom) no interval is
    shown at all.

    References
    ----------
    L. D. Brown, T. T. Cai and A. DasGupta, "Interval estimation for a binomial
    proportion", Statistical Science 16(2), 2001, pp. 101-133 (truncation at the
    bounds of the parameter space).

    Examples
    --------
    >>> compute_shown_interval(42.5, 122.8, 6)
    ShownInterval(low=42.5, high=100.0, clipped=True, too_few=False)
    >>> compute_shown_interval(87.5, 87.5, 2).too_few
    True
    >>> compute_shown_interval(73.35, 77.15, 200)
    ShownInterval(low=73.35, high=77.15, clipped=False, too_few=False)
    """
    if lower >= upper:
        raise InvalidParameterError("upper", upper, "must_exceed_lower")
    if low is None or high is None or n is None or n < min_responses:
        return ShownInterval(low=None, high=None, clipped=False, too_few=True)
    low_f, high_f = float(low), float(high)
    if not (np.isfinite(low_f) and np.isfinite(high_f)):
        return ShownInterval(low=None, high=None, clipped=False, too_few=True)
    clipped = low_f < lower or high_f > upper
    return ShownInterval(
        low=min(max(low_f, lower), upper),
        high=max(min(high_f, upper), lower),
        clipped=clipped,
        too_few=False,
    )
