"""Township figures of the county dashboard: pooled satisfaction and small-group suppression.

Plain numbers in, plain numbers out. The inputs are what a stored result version
already publishes for each survey target (its index, interval, number of responses and
households); nothing here reads a response.

- :func:`pool_satisfaction`: one township's satisfaction index over its rated targets,
  with an interval and the small-group rule for resident answers.
- :func:`suppress_counts`: the grade distribution of a township with every group under
  the minimum size hidden, and one more cell hidden when a lone hidden cell could be
  recovered by subtraction from the township's total.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from scipy import stats

from assessment.core.errors import InvalidParameterError

__all__ = [
    "PooledSatisfaction",
    "TargetFigures",
    "grade_shares",
    "pool_satisfaction",
    "pooled_response_rate",
    "suppress_counts",
]


@dataclass(frozen=True, slots=True)
class TargetFigures:
    """What a stored result says about one survey indicator's target.

    Parameters
    ----------
    index : float
        Published satisfaction index, 0-100.
    ci_low, ci_high : float
        Its t-interval at the result's confidence level (NaN when undefined).
    n : int
        Valid responses counted.
    n_effective : float
        Kish effective sample size (``n`` when unweighted); the interval's ``df + 1``.
    households : int or None
        Households in the target's scope, when the result has them.
    """

    index: float
    ci_low: float
    ci_high: float
    n: int
    n_effective: float
    households: int | None = None


@dataclass(frozen=True, slots=True)
class PooledSatisfaction:
    """A township's satisfaction index pooled over its rated targets.

    Parameters
    ----------
    n : int
        Responses counted over the targets (a household that rated three cadres
        counts three times).
    targets : int
        Targets with at least one valid response.
    suppressed : bool
        True when ``0 < n`` and ``n`` is under the minimum group size: no index, no
        interval. Without responses (``n = 0``) nothing is hidden and the index is None.
    index : float or None
        Response-weighted mean of the targets' published indices.
    ci_low, ci_high : float or None
        Interval of ``index`` (None when suppressed or when a target has no interval).
    """

    n: int
    targets: int
    suppressed: bool
    index: float | None
    ci_low: float | None
    ci_high: float | None


def _level(confidence: float) -> float:
    value = float(confidence)
    if not 0.0 < value < 1.0:
        raise InvalidParameterError("confidence", confidence, "not_between_0_and_1")
    return value


def _min_size(min_group_size: int) -> int:
    if isinstance(min_group_size, bool) or int(min_group_size) != min_group_size:
        raise InvalidParameterError("min_group_size", min_group_size, "not_an_integer")
    if min_group_size < 1:
        raise InvalidParameterError("min_group_size", min_group_size, "not_positive")
    return int(min_group_size)


def pool_satisfaction(
    targets: Iterable[TargetFigures],
    *,
    confidence: float,
    min_group_size: int,
    hidden_responses: int = 0,
) -> PooledSatisfaction:
    """Pool the targets' indices of one township into one index with an interval.

    Parameters
    ----------
    targets : iterable of TargetFigures
        The township's survey targets as the stored result publishes them.
    confidence : float
        Level of the targets' intervals (the result's settings), also the pooled one's.
    min_group_size : int
        The period's minimum group size: fewer responses than this and the township
        shows no index (DESIGN section 5, "small groups").

    Returns
    -------
    PooledSatisfaction

    Raises
    ------
    InvalidParameterError
        ``confidence`` outside (0, 1), ``min_group_size`` not a positive integer, or a
        target with a negative ``n``.

    Notes
    -----
    With target ``i`` having ``n_i`` responses, published index ``S_i`` and interval
    ``[l_i, h_i]`` at level ``c`` from a t quantile with ``d_i = n_eff,i - 1`` degrees of
    freedom (``surveys.core.tally.summarise_targets``), and ``N = Σ n_i``:

    - index: ``S = Σ (n_i / N) S_i``, the mean of every counted (response, target) score;
    - standard error of each target, read back from its interval:
      ``se_i = (h_i - l_i) / (2 t_{(1+c)/2, d_i})``;
    - ``se(S)² = Σ (n_i / N)² se_i²``, treating the targets' samples as independent;
    - interval ``S ± t_{(1+c)/2, ν} se(S)`` with the Welch-Satterthwaite degrees of
      freedom ``ν = (Σ a_i)² / Σ (a_i² / d_i)``, ``a_i = (n_i / N)² se_i²``.

    Targets rated by the same households are not independent samples (one household
    often rates several cadres), so the interval is narrower than a household-level
    one would be; the dashboard says so.

    References
    ----------
    Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
    components. Biometrics Bulletin 2(6), 110-114.

    Examples
    --------
    >>> a = TargetFigures(index=70.0, ci_low=math.nan, ci_high=math.nan, n=3, n_effective=3)
    >>> b = TargetFigures(index=90.0, ci_low=math.nan, ci_high=math.nan, n=1, n_effective=1)
    >>> pooled = pool_satisfaction([a, b], confidence=0.95, min_group_size=4)
    >>> pooled.index, pooled.ci_low, pooled.suppressed
    (75.0, None, False)
    >>> pool_satisfaction([a], confidence=0.95, min_group_size=4).suppressed
    True
    """
    level = _level(confidence)
    minimum = _min_size(min_group_size)
    counted = []
    for target in targets:
        if target.n < 0:
            raise InvalidParameterError("n", target.n, "negative")
        if target.n > 0:
            counted.append(target)
    total = sum(t.n for t in counted)
    if total == 0:
        # no survey at all: nothing to hide, nothing to show
        return PooledSatisfaction(0, 0, False, None, None, None)
    if total < minimum or 0 < hidden_responses < minimum:
        return PooledSatisfaction(total, len(counted), True, None, None, None)
    weights = [t.n / total for t in counted]
    index = math.fsum(w * t.index for w, t in zip(weights, counted, strict=True))
    parts: list[tuple[float, float]] = []
    for w, t in zip(weights, counted, strict=True):
        df = t.n_effective - 1.0
        if not (df > 0 and math.isfinite(t.ci_low) and math.isfinite(t.ci_high)):
            return PooledSatisfaction(total, len(counted), False, index, None, None)
        se = (t.ci_high - t.ci_low) / (2.0 * float(stats.t.isf((1.0 - level) / 2.0, df)))
        parts.append((w * w * se * se, df))
    variance = math.fsum(a for a, _df in parts)
    if variance == 0.0:
        return PooledSatisfaction(total, len(counted), False, index, index, index)
    dof = variance**2 / math.fsum(a * a / df for a, df in parts)
    half = float(stats.t.isf((1.0 - level) / 2.0, dof)) * math.sqrt(variance)
    return PooledSatisfaction(total, len(counted), False, index, index - half, index + half)


def pooled_response_rate(targets: Iterable[TargetFigures]) -> float | None:
    """Responses per household over the targets that have a household count.

    Parameters
    ----------
    targets : iterable of TargetFigures

    Returns
    -------
    float or None
        ``Σ n_i / Σ households_i`` over the targets with ``households_i > 0`` (a
        fraction; above 1 when households rate several targets), None without any.

    Examples
    --------
    >>> pooled_response_rate([TargetFigures(80, 70, 90, 30, 30, 100),
    ...                       TargetFigures(60, 50, 70, 10, 10, 100),
    ...                       TargetFigures(60, 50, 70, 10, 10, None)])
    0.2
    """
    answered = households = 0
    for target in targets:
        if target.households:
            answered += target.n
            households += target.households
    return answered / households if households else None


def suppress_counts(
    counts: Sequence[tuple[str, int]], *, min_group_size: int
) -> tuple[dict[str, int | None], bool]:
    """Hide the grade counts of a township that fall under the minimum group size.

    Parameters
    ----------
    counts : sequence of (code, count)
        Cadres per grade of one township in one period, every grade of the rulebook
        (zeros included), best grade first. Their sum is the township's number of
        cadres, which the dashboard shows.
    min_group_size : int
        The period's minimum group size ``m``.

    Returns
    -------
    counts : dict of str to int or None
        ``None`` where the count is hidden.
    total_suppressed : bool
        True when the total must be hidden too (one grade only, and it is hidden).

    Raises
    ------
    InvalidParameterError
        ``min_group_size`` not a positive integer, a negative count, or a grade twice.

    Notes
    -----
    The rule, applied in order:

    1. *Primary*: a count ``c`` with ``0 < c < m`` is hidden (a group of fewer cadres
       than the minimum size). Zero is shown: it describes nobody.
    2. *Secondary*: the total is shown, so when exactly one count is hidden it would
       equal the total minus the shown counts. Then the smallest other count is hidden
       as well (zeros included; on a tie the worse grade, i.e. the later one). Two
       hidden counts give only their sum.
    3. When there is no other count to hide (a single grade), the total is hidden.

    No county total per grade is published beside the townships' rows (it would let a
    lone hidden cell of a grade column be recovered the same way).

    Examples
    --------
    >>> suppress_counts([("a", 6), ("b", 3), ("c", 0)], min_group_size=5)
    ({'a': 6, 'b': None, 'c': None}, False)
    >>> suppress_counts([("a", 6), ("b", 2), ("c", 1)], min_group_size=5)
    ({'a': 6, 'b': None, 'c': None}, False)
    >>> suppress_counts([("a", 9), ("b", 5)], min_group_size=5)
    ({'a': 9, 'b': 5}, False)
    """
    minimum = _min_size(min_group_size)
    shown: dict[str, int | None] = {}
    for code, count in counts:
        if code in shown:
            raise InvalidParameterError("counts", code, "grade_twice")
        if count < 0:
            raise InvalidParameterError("counts", count, "negative")
        shown[code] = None if 0 < count < minimum else count
    hidden = [code for code, value in shown.items() if value is None]
    if len(hidden) != 1:
        return shown, False
    others = [(count, -position, code) for position, (code, count) in enumerate(counts)]
    candidates = [entry for entry in others if entry[2] != hidden[0]]
    if not candidates:
        return shown, True
    shown[min(candidates)[2]] = None
    return shown, False


def grade_shares(counts: Mapping[str, int | None], total: int) -> dict[str, float]:
    """Each shown count's share of the township's cadres; the hidden ones as one share.

    Parameters
    ----------
    counts : mapping of str to int or None
        From :func:`suppress_counts` (``None`` where hidden).
    total : int
        The township's number of cadres (the true sum of the counts).

    Returns
    -------
    dict of str to float
        Shown grades by code, and ``"suppressed"`` for ``total - Σ shown`` (only the
        sum of the hidden counts, which the shown total already gives away); empty
        when ``total`` is 0.

    Examples
    --------
    >>> grade_shares({"a": 6, "b": None, "c": None}, 8)
    {'a': 0.75, 'suppressed': 0.25}
    """
    if total <= 0:
        return {}
    shares = {code: value / total for code, value in counts.items() if value}
    hidden = total - sum(value for value in counts.values() if value)
    if hidden < 0:
        raise InvalidParameterError("total", total, "less_than_the_shown_counts")
    if hidden:
        shares["suppressed"] = hidden / total
    return shares
