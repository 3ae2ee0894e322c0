"""Quality and fraud signals of survey responses and paper entries (pure, vectorised).

Every signal is shown to the team and never applied: excluding a response is a recorded
decision (DESIGN section 4, "response flags"). Three per-response flags live in
:mod:`surveys.core.tally` and are re-exported here (straight-lining, too fast, duplicate
paper serials). This module adds the group signals:

* :func:`flag_identical_rows` — a ballot whose answers equal another ballot's in the
  same group (e.g. entered by the same clerk).
* :func:`clerk_uniformity` — per clerk, the share of suspect ballots (straight-lined or
  identical to another ballot of the same clerk), compared with the other clerks by a
  two-proportion z statistic.
* :func:`unit_uniformity` — per unit (village), the mean within-unit standard deviation
  of the answers, compared with the other units by a leave-one-out z-score.

Response times are stored only as coarse bands (:func:`duration_band`): the too-fast
flag compares a response with a third of the median, which a band of at most a factor
of two in width serves, while an exact number of seconds beside the access log's times
of code entry and submission would pick a resident's response out of a day's.

Bursts of responses from one code batch are **not** computed. Code redemptions carry no
time at all (``survey_access_codes`` has a ``used`` flag only) and responses keep the day
only (DESIGN section 5); a burst signal would need per-batch redemption times, which the
anonymity rules deliberately do not record. Recording minute buckets of redemptions per
batch would time residents' participation, so the signal is left out on purpose.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from assessment.core.errors import InvalidParameterError
from surveys.core.tally import flag_duplicate_serials, flag_straight_lining, flag_too_fast

__all__ = [
    "DURATION_BAND_EDGES",
    "GroupSignal",
    "clerk_uniformity",
    "duration_band",
    "flag_duplicate_serials",
    "flag_identical_rows",
    "flag_straight_lining",
    "flag_too_fast",
    "unit_uniformity",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Lower bounds, in seconds, of the bands response times are stored in. Each band is at
#: most twice as wide as its lower bound (half-minute steps under a minute, then steps of
#: 1.5 or 4/3), up to a day.
DURATION_BAND_EDGES: tuple[int, ...] = (
    0, 10, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 960, 1440, 1920, 2880,
    3600, 5400, 7200, 10800, 14400, 21600, 28800, 43200, 86400,
)  # fmt: skip

#: Flag a clerk whose suspect share exceeds the other clerks' by this many standard errors.
CLERK_Z = 3.0
#: Flag a unit whose answer spread is this many standard deviations below the others'.
UNIT_Z = -2.0


def _matrix(items: npt.ArrayLike) -> FloatArray:
    x = np.asarray(items, dtype=np.float64)
    if x.ndim != 2:
        raise InvalidParameterError("items", x.shape, "not_a_2d_matrix")
    return x


def _groups(groups: Sequence[Hashable] | npt.ArrayLike, n: int, name: str) -> pd.Series:
    series = pd.Series(np.asarray(groups, dtype=object))
    if len(series) != n:
        raise InvalidParameterError(name, len(series), "length_differs_from_items")
    return series


def duration_band(seconds: float) -> int:
    """The lower bound of the coarse band a response time falls in, in seconds.

    Parameters
    ----------
    seconds : float
        Time from entering the access code to submitting; 0 or more.

    Returns
    -------
    int
        The largest edge of :data:`DURATION_BAND_EDGES` not above ``seconds``.

    Raises
    ------
    InvalidParameterError
        When ``seconds`` is negative, infinite or NaN.

    Notes
    -----
    ``band(d) = max{e in EDGES : e <= d}``. Consecutive edges differ by a factor of at
    most 2, so ``d / 2 < band(d) <= d`` for ``d >= 10``. :func:`flag_too_fast` applied to
    bands keeps its rule (``band < median(bands) / 3``). With ``L = median(d) / 3`` the
    banded limit lies in ``(L/2, L]``, so a response is flagged as from its exact time
    whenever that time is below ``L/2`` or at least ``2L``; only times in ``[L/2, 2L)``
    may fall on the other side (one response in 408 of the demo's distribution).

    Examples
    --------
    >>> duration_band(0), duration_band(59), duration_band(60), duration_band(250)
    (0, 45, 60, 240)
    >>> duration_band(200_000)
    86400
    """
    if not np.isfinite(seconds):
        raise InvalidParameterError("seconds", seconds, "not_finite")
    if seconds < 0:
        raise InvalidParameterError("seconds", seconds, "negative")
    return DURATION_BAND_EDGES[bisect.bisect_right(DURATION_BAND_EDGES, seconds) - 1]


def flag_identical_rows(
    items: npt.ArrayLike,
    groups: Sequence[Hashable] | npt.ArrayLike | None = None,
    *,
    min_answered: int = 3,
) -> BoolArray:
    """Flag every ballot whose answers are identical to another ballot of the same group.

    Parameters
    ----------
    items : array_like, shape (n_ballots, n_items)
        Numeric answers; NaN is unanswered (and equal to NaN for this comparison).
    groups : sequence, optional
        Group of each ballot (e.g. the clerk); all ballots form one group when omitted.
    min_answered : int
        Ballots with fewer answered items are never flagged (default 3): two short
        ballots agree by chance too often to mean anything.

    Returns
    -------
    numpy.ndarray of bool
        True for every copy of a repeated answer pattern within a group.

    Raises
    ------
    InvalidParameterError
        When ``items`` is not 2-D or ``groups`` has another length.

    Notes
    -----
    ``flag_i = answered_i >= min_answered and ∃ j ≠ i: group_j = group_i and x_j ≡ x_i``
    (element-wise, NaN ≡ NaN).

    Examples
    --------
    >>> rows = [[1, 2, 3], [1, 2, 3], [1, 2, 3], [3, 2, 1]]
    >>> flag_identical_rows(rows, ["a", "a", "b", "a"]).tolist()
    [True, True, False, False]
    """
    x = _matrix(items)
    n = x.shape[0]
    frame = pd.DataFrame(x)
    keys = list(frame.columns)
    if groups is not None:
        frame["__group"] = _groups(groups, n, "groups").to_numpy()
        keys = ["__group", *keys]
    # duplicated() treats NaN as equal to NaN, which is what an unanswered item means here.
    duplicated = frame.duplicated(subset=keys, keep=False).to_numpy(dtype=bool)
    answered = (~np.isnan(x)).sum(axis=1) >= min_answered
    return np.asarray(duplicated & answered, dtype=np.bool_)


@dataclass(frozen=True, slots=True)
class GroupSignal:
    """A per-group uniformity signal.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per group (index: the group), columns documented by the function that
        built it; always has ``n``, ``z`` and ``flagged``.
    """

    table: pd.DataFrame

    @property
    def flagged(self) -> list[Hashable]:
        """The flagged groups, in the table's order."""
        return list(self.table.index[self.table["flagged"].to_numpy(dtype=bool)])


def clerk_uniformity(
    items: npt.ArrayLike,
    clerks: Sequence[Hashable] | npt.ArrayLike,
    *,
    min_answered: int = 3,
    min_entries: int = 5,
    z_threshold: float = CLERK_Z,
) -> GroupSignal:
    """Per clerk: the share of suspect ballots, against the other clerks' share.

    Parameters
    ----------
    items : array_like, shape (n_entries, n_items)
        Numeric answers of each paper entry; NaN is unanswered.
    clerks : sequence
        The clerk (account) of each entry.
    min_answered : int
        See :func:`flag_straight_lining` and :func:`flag_identical_rows`.
    min_entries : int
        Clerks with fewer entries are listed but never flagged (default 5).
    z_threshold : float
        Flag at ``z >= z_threshold`` (default 3).

    Returns
    -------
    GroupSignal
        Columns ``n`` (entries), ``suspect`` (straight-lined or identical to another
        entry of the same clerk), ``share`` = suspect / n, ``others_share``, ``z`` and
        ``flagged``.

    Raises
    ------
    InvalidParameterError
        When ``items`` is not 2-D or ``clerks`` has another length.

    Notes
    -----
    For clerk c with n_c entries of which s_c are suspect, and the other clerks together
    with n_o entries and s_o suspect: p_c = s_c/n_c, p_o = s_o/n_o, pooled
    p = (s_c+s_o)/(n_c+n_o), and the two-proportion statistic

        z = (p_c − p_o) / sqrt(p (1 − p) (1/n_c + 1/n_o)),

    set to 0 when the denominator is 0 (all or none suspect) and NaN without other
    clerks. A clerk is flagged when n_c >= min_entries and z >= z_threshold: one clerk
    types far more uniform ballots than the others, whether from lazy copying or from
    ballots filled in by one hand.

    Examples
    --------
    >>> varied = [[1, 2, 3], [2, 3, 1], [3, 1, 2], [1, 3, 2], [2, 1, 3], [3, 2, 1]]
    >>> sig = clerk_uniformity([[3, 3, 3]] * 6 + varied, ["a"] * 6 + ["b"] * 6)
    >>> sig.flagged
    ['a']
    """
    x = _matrix(items)
    clerk = _groups(clerks, x.shape[0], "clerks")
    suspect = flag_straight_lining(x, min_answered=min_answered) | flag_identical_rows(
        x, clerk.to_numpy(), min_answered=min_answered
    )
    frame = pd.DataFrame({"clerk": clerk.to_numpy(), "suspect": suspect.astype(np.int64)})
    table = frame.groupby("clerk", sort=True).agg(n=("suspect", "size"), suspect=("suspect", "sum"))
    n_c = table["n"].to_numpy(dtype=np.float64)
    s_c = table["suspect"].to_numpy(dtype=np.float64)
    n_o = n_c.sum() - n_c
    s_o = s_c.sum() - s_c
    with np.errstate(divide="ignore", invalid="ignore"):
        p_c = s_c / n_c
        p_o = np.where(n_o > 0, s_o / np.where(n_o > 0, n_o, 1.0), np.nan)
        pooled = (s_c + s_o) / (n_c + n_o)
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n_c + 1.0 / np.where(n_o > 0, n_o, np.nan)))
        z = np.where(se > 0, (p_c - p_o) / np.where(se > 0, se, 1.0), 0.0)
    z = np.where(n_o > 0, z, np.nan)
    table["share"] = p_c
    table["others_share"] = p_o
    table["z"] = z
    table["flagged"] = (n_c >= min_entries) & (np.nan_to_num(z, nan=-np.inf) >= z_threshold)
    return GroupSignal(table=table)


def unit_uniformity(
    items: npt.ArrayLike,
    units: Sequence[Hashable] | npt.ArrayLike,
    *,
    min_group_size: int = 5,
    min_other_units: int = 3,
    z_threshold: float = UNIT_Z,
) -> GroupSignal:
    """Per unit: how spread out its answers are, against the other units.

    Parameters
    ----------
    items : array_like, shape (n_responses, n_items)
        Numeric answers on the same scale per column; NaN is unanswered.
    units : sequence
        The unit (village) of each response.
    min_group_size : int
        Units with fewer responses are listed without a spread and never flagged, and
        are left out of the other units' reference (default 5, the breakdown minimum).
    min_other_units : int
        A unit is compared only when at least this many other units have a spread.
    z_threshold : float
        Flag at ``z <= z_threshold`` (default −2: far less spread than the others).

    Returns
    -------
    GroupSignal
        Columns ``n``, ``spread`` (mean over items of the within-unit standard deviation
        of the answers), ``others_mean``, ``others_sd``, ``z`` and ``flagged``.

    Raises
    ------
    InvalidParameterError
        When ``items`` is not 2-D or ``units`` has another length.

    Notes
    -----
    d_u = mean over items j of sd_j(u), the sample standard deviation (ddof = 1) of
    item j's answers in unit u (items with fewer than two answers in the unit skipped).
    Leave-one-out z-score: z_u = (d_u − mean(d_{−u})) / sd(d_{−u}), where d_{−u} are the
    spreads of the other units with at least ``min_group_size`` responses (ddof = 1);
    NaN when fewer than ``min_other_units`` of them or their sd is 0. Leaving the unit
    out keeps one very uniform village from widening the reference it is judged by.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> varied = rng.integers(1, 6, size=(40, 4)).tolist()
    >>> sig = unit_uniformity(varied + [[4, 4, 4, 4], [4, 4, 4, 5]] * 5,
    ...                       [u for u in "abcd" for _ in range(10)] + ["e"] * 10)
    >>> sig.flagged
    ['e']
    """
    x = _matrix(items)
    unit = _groups(units, x.shape[0], "units")
    frame = pd.DataFrame(x)
    frame["__unit"] = unit.to_numpy()
    grouped = frame.groupby("__unit", sort=True)
    n = grouped.size().astype(np.int64)
    spread_by_item = grouped.std(ddof=1)
    spread = spread_by_item.mean(axis=1, skipna=True).to_numpy(dtype=np.float64)
    eligible = (n.to_numpy() >= min_group_size) & ~np.isnan(spread)
    d = np.where(eligible, spread, 0.0)
    k = eligible.sum() - eligible.astype(np.int64)
    total = d.sum() - d
    total_sq = (d * d).sum() - d * d
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_o = np.where(k > 0, total / np.where(k > 0, k, 1), np.nan)
        var_o = np.where(
            k > 1, (total_sq - k * mean_o * mean_o) / np.where(k > 1, k - 1, 1), np.nan
        )
        sd_o = np.sqrt(np.clip(var_o, 0.0, None))
        z = np.where(
            (k >= min_other_units) & (sd_o > 0) & eligible,
            (spread - mean_o) / np.where(sd_o > 0, sd_o, 1.0),
            np.nan,
        )
    table = pd.DataFrame(
        {
            "n": n.to_numpy(),
            "spread": np.where(n.to_numpy() >= min_group_size, spread, np.nan),
            "others_mean": mean_o,
            "others_sd": sd_o,
            "z": z,
        },
        index=n.index,
    )
    table["flagged"] = np.nan_to_num(z, nan=np.inf) <= z_threshold
    return GroupSignal(table=table)
