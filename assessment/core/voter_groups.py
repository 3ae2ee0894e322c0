"""A satisfaction indicator over weighted voter groups (测评主体), as ballots are weighted.

A sourced satisfaction indicator may read several voter groups and weight them, as a
county weights its groups in a democratic evaluation (for example 班子成员 30%,
干部职工 40%, 群众代表 30%). Each group's satisfaction index comes from its own valid
responses (DESIGN section 4); the indicator's index is their weighted mean. A group
with fewer valid responses than the indicator's ``min_responses`` gives no index: a
missing input the team decides on, never an index from one answer.

Exact arithmetic (:class:`fractions.Fraction`) up to the published value, as in
:mod:`assessment.core.ballots`: the index does not depend on the order of the groups,
and whoever re-adds the printed group indices with the printed weights gets the
printed indicator index.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from assessment.core.errors import InvalidParameterError
from assessment.core.precision import DEFAULT_PRECISION, Precision, exact

__all__ = [
    "GroupIndex",
    "GroupWeightedIndex",
    "WeightedGroup",
    "compute_group_weighted_index",
    "group_target",
]


def group_target(target: str, group: str) -> str:
    """The survey target of one voter group's responses about ``target``: ``target/group``.

    A grouped satisfaction indicator's responses enter the computation (and the stored
    inputs, and the open-data bundle) as one survey target per group, so that each group
    is summarised by the one satisfaction index function. Group codes have no ``/``
    (rulebook codes), so the name is unambiguous, as in a ballot group's missing input.

    >>> group_target("7", "staff")
    '7/staff'
    """
    return f"{target}/{group}"


@dataclass(frozen=True, slots=True)
class GroupIndex:
    """One voter group's satisfaction about one target.

    Parameters
    ----------
    group : str
        Voter group code.
    index : float or None
        Satisfaction index 0-100 of the group's valid responses (None: it has none).
    n : int
        Valid responses of the group.
    """

    group: str
    index: float | None
    n: int


@dataclass(frozen=True, slots=True)
class WeightedGroup:
    """A group as it enters the indicator: its weight, published index and count.

    ``index`` is None when the group has fewer than ``min_responses`` valid responses.
    """

    group: str
    weight: float
    index: float | None
    n: int


@dataclass(frozen=True, slots=True)
class GroupWeightedIndex:
    """Result of :func:`compute_group_weighted_index`.

    Parameters
    ----------
    groups : tuple of WeightedGroup
        Every weighted group, in the rulebook's order.
    index : float or None
        ``Σ w_g × index_g / Σ w_g``, published; None when a group is missing.
    missing_groups : tuple of str
        Groups below ``min_responses``: each a missing input needing a decision.
    """

    groups: tuple[WeightedGroup, ...]
    index: float | None
    missing_groups: tuple[str, ...]


def _check_index(group: GroupIndex) -> None:
    if isinstance(group.n, bool) or not isinstance(group.n, int) or group.n < 0:
        raise InvalidParameterError(f"groups[{group.group!r}].n", group.n, "not_a_count")
    if group.index is None:
        if group.n:
            raise InvalidParameterError(f"groups[{group.group!r}].index", None, "missing_index")
        return
    if not (math.isfinite(group.index) and 0 <= group.index <= 100):
        raise InvalidParameterError(f"groups[{group.group!r}].index", group.index, "not_0_100")


def compute_group_weighted_index(
    groups: Sequence[GroupIndex],
    weights: Sequence[tuple[str, float]],
    *,
    min_responses: int = 1,
    precision: Precision = DEFAULT_PRECISION,
) -> GroupWeightedIndex:
    """Satisfaction index of an indicator that weights voter groups.

    Parameters
    ----------
    groups : sequence of GroupIndex
        Each group's index and valid responses (a group absent here had none).
    weights : sequence of (str, float)
        Group code and positive weight, in the rulebook's order (``sources.groups``).
    min_responses : int
        Least valid responses a group needs (at least 1).
    precision : Precision
        Declared precision of the published indices.

    Returns
    -------
    GroupWeightedIndex
        The groups with their published indices, the weighted index, the missing groups.

    Raises
    ------
    InvalidParameterError
        No weights, a weight not positive or given twice, a group given twice or not
        weighted, a count not a whole number ≥ 0, an index outside 0-100, or
        ``min_responses`` below 1. The name says which.

    Notes
    -----
    ``index_g`` published per group, then ``index = Σ_g w_g × index_g / Σ_g w_g`` over
    the published group indices, published. A group with ``n_g < min_responses`` has
    no index, and then the indicator has none either (a missing input), as a ballot
    group below its quorum (:func:`assessment.core.ballots.compute_ballot_result`).

    References
    ----------
    DESIGN.md section 3 (voter groups) and section 4 (satisfaction index, precision).

    Examples
    --------
    班子成员 30 with index 90, 干部职工 40 with 80, 群众代表 30 with 70:
    (30 × 90 + 40 × 80 + 30 × 70) / 100 = 80.

    >>> compute_group_weighted_index(
    ...     [GroupIndex("leaders", 90, 5), GroupIndex("staff", 80, 12),
    ...      GroupIndex("public", 70, 40)],
    ...     [("leaders", 30), ("staff", 40), ("public", 30)],
    ... ).index
    80.0
    """
    if not weights:
        raise InvalidParameterError("weights", (), "empty")
    if isinstance(min_responses, bool) or not isinstance(min_responses, int) or min_responses < 1:
        raise InvalidParameterError("min_responses", min_responses, "below_one")
    named: dict[str, Fraction] = {}
    for code, weight in weights:
        if code in named:
            raise InvalidParameterError("weights", code, "duplicate_group")
        if isinstance(weight, bool) or not (
            isinstance(weight, int | float) and math.isfinite(weight) and weight > 0
        ):
            raise InvalidParameterError(f"weights[{code!r}]", weight, "not_positive")
        named[code] = exact(weight)
    by_group: dict[str, GroupIndex] = {}
    for entry in groups:
        if entry.group in by_group:
            raise InvalidParameterError("groups", entry.group, "duplicate_group")
        if entry.group not in named:
            raise InvalidParameterError("groups", entry.group, "group_not_weighted")
        _check_index(entry)
        by_group[entry.group] = entry
    out: list[WeightedGroup] = []
    missing: list[str] = []
    weighted = Fraction(0)
    total = Fraction(0)
    for code, weight in weights:
        entry = by_group.get(code, GroupIndex(code, None, 0))
        counted = entry.index is not None and entry.n >= min_responses
        index = precision.publish(exact(entry.index)) if counted else None
        out.append(WeightedGroup(code, float(weight), index, entry.n))
        if index is None:
            missing.append(code)
            continue
        weighted += named[code] * exact(index)
        total += named[code]
    result = precision.publish(weighted / total) if not missing else None
    return GroupWeightedIndex(tuple(out), result, tuple(missing))
