"""Democratic evaluation (民主测评): grade ballots scored per voter group, then weighted.

A grade ballot gives a cadre one of the grades 优秀 / 称职 / 基本称职 / 不称职, or
abstains. Each voter group (测评主体: 班子成员, 干部职工, 群众代表 ...) is scored on its
own valid ballots; the indicator's score weights the groups as the rulebook says. A
group with too few valid ballots (the quorum) gives no score: it is a missing input
that needs a recorded team decision, never a score from one or two ballots.

Everything is exact (:class:`fractions.Fraction`) up to the published value, so the
score does not depend on the order of the ballots or of the groups, and whoever re-adds
the printed group scores gets the printed indicator score (DESIGN section 4,
"Precision").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from assessment.core.errors import InvalidParameterError, MissingInputError
from assessment.core.precision import DEFAULT_PRECISION, Precision, exact

__all__ = [
    "ANY_BALLOT",
    "DEFAULT_COEFFICIENTS",
    "GRADE_CODES",
    "BallotResult",
    "GroupBallots",
    "GroupScore",
    "Quorum",
    "compute_ballot_result",
    "compute_ballot_score",
    "is_quorum_met",
    "is_share_above",
]

#: The grades of a ballot, best first (《党政领导干部考核工作条例》 2019, 民主测评).
GRADE_CODES: tuple[str, ...] = ("excellent", "competent", "basic", "incompetent")

#: Default coefficient per grade: 优秀 1, 称职 0.8, 基本称职 0.6, 不称职 0.
DEFAULT_COEFFICIENTS: Mapping[str, float] = MappingProxyType(
    {"excellent": 1.0, "competent": 0.8, "basic": 0.6, "incompetent": 0.0}
)


@dataclass(frozen=True, slots=True)
class GroupBallots:
    """The ballots one voter group cast about one cadre.

    Parameters
    ----------
    group : str
        Voter group code.
    votes : mapping of str to int
        Ballots per grade code (grades with no vote may be left out).
    abstentions : int
        Ballots that picked no grade (out of the valid ballots).
    eligible : int or None
        Voters of the group entitled to vote (for a quorum given as a share).
    """

    group: str
    votes: Mapping[str, int]
    abstentions: int = 0
    eligible: int | None = None

    @property
    def valid(self) -> int:
        """Valid ballots: those that picked a grade (abstentions left out)."""
        return sum(int(n) for n in self.votes.values())


@dataclass(frozen=True, slots=True)
class Quorum:
    """The least valid ballots a group needs to be scored.

    Parameters
    ----------
    min_valid : int
        At least this many valid ballots (default 1: an empty group is never scored).
    min_share : float or None
        And at least this share of the eligible voters (needs ``eligible``).
    """

    min_valid: int = 1
    min_share: float | None = None


#: The default quorum: one valid ballot (an empty group is never scored).
ANY_BALLOT = Quorum()


@dataclass(frozen=True, slots=True)
class GroupScore:
    """One voter group's tally and score.

    Parameters
    ----------
    group : str
        Voter group code.
    weight : float
        The group's weight inside the indicator.
    votes : tuple of (str, int)
        Ballots per grade, in :data:`GRADE_CODES` order (zeros included).
    abstentions, valid : int
        Abstentions and valid ballots.
    score : float or None
        Published score on 0–100; ``None`` when the quorum is not met.
    quorum_met : bool
        Whether the group had enough valid ballots.
    """

    group: str
    weight: float
    votes: tuple[tuple[str, int], ...]
    abstentions: int
    valid: int
    score: float | None
    quorum_met: bool


@dataclass(frozen=True, slots=True)
class BallotResult:
    """The ballot indicator's score for one cadre.

    Parameters
    ----------
    groups : tuple of GroupScore
        Every group the indicator names, in the rulebook's order.
    score : float or None
        ``Σ w_g × score_g / Σ w_g`` published; ``None`` when a group misses its quorum.
    missing_groups : tuple of str
        Groups below their quorum (each a missing input).
    incompetent_over_third : bool
        Whether 不称职 votes are more than one third of all valid ballots (strictly).
    """

    groups: tuple[GroupScore, ...]
    score: float | None
    missing_groups: tuple[str, ...]
    incompetent_over_third: bool


def _check_votes(votes: Mapping[str, int], coefficients: Mapping[str, float]) -> None:
    for code, count in votes.items():
        if code not in coefficients:
            raise InvalidParameterError("votes", code, "unknown_grade_code")
        if isinstance(count, bool) or int(count) != count or count < 0:
            raise InvalidParameterError(f"votes[{code!r}]", count, "not_a_count")
    for code, value in coefficients.items():
        if not 0.0 <= float(value) <= 1.0:
            raise InvalidParameterError(f"coefficients[{code!r}]", value, "outside_0_1")


def _exact_score(votes: Mapping[str, int], coefficients: Mapping[str, float]) -> Fraction:
    valid = sum(int(n) for n in votes.values())
    total = sum((int(n) * exact(coefficients[code]) for code, n in votes.items()), Fraction(0))
    return total / valid * 100


def compute_ballot_score(
    votes: Mapping[str, int],
    *,
    coefficients: Mapping[str, float] = DEFAULT_COEFFICIENTS,
    precision: Precision | None = DEFAULT_PRECISION,
) -> float:
    """Score of one group's grade ballots on 0–100.

    Parameters
    ----------
    votes : mapping of str to int
        Valid ballots per grade code (abstentions are not given here).
    coefficients : mapping of str to float
        Coefficient of each grade on 0–1 (default 优秀 1, 称职 0.8, 基本称职 0.6,
        不称职 0).
    precision : Precision or None
        Declared precision of the published score; ``None``: unrounded (a staff tally).

    Returns
    -------
    float
        The published score.

    Raises
    ------
    MissingInputError
        When there is no valid ballot (never a silent zero).
    InvalidParameterError
        A grade the coefficients do not have, a count that is not a non-negative
        integer, or a coefficient outside 0–1.

    Notes
    -----
    ``score = Σ_grade votes_grade × coefficient_grade / valid × 100`` with ``valid =
    Σ votes_grade``: abstentions are out of the valid ballots. Computed exactly, then
    rounded once to the declared precision.

    References
    ----------
    《党政领导干部考核工作条例》(2019) 第十六条 民主测评; the coefficient method used by
    county assessment rules (e.g. 优秀 1, 称职 0.8, 基本称职 0.6, 不称职 0).

    Examples
    --------
    Ten valid ballots: 6 优秀, 3 称职, 1 基本称职, (6 × 1 + 3 × 0.8 + 1 × 0.6) / 10 × 100:

    >>> compute_ballot_score({"excellent": 6, "competent": 3, "basic": 1})
    90.0
    >>> compute_ballot_score({"excellent": 1, "competent": 2})  # 2.6 / 3 × 100
    86.67
    """
    _check_votes(votes, coefficients)
    if sum(int(n) for n in votes.values()) == 0:
        raise MissingInputError("valid_ballots")
    score = _exact_score(votes, coefficients)
    return float(score) if precision is None else precision.publish(score)


def is_quorum_met(valid: int, quorum: Quorum, eligible: int | None = None) -> bool:
    """Whether a group's valid ballots reach the quorum.

    Parameters
    ----------
    valid : int
        Valid ballots of the group.
    quorum : Quorum
        Least valid ballots, and least share of the eligible voters.
    eligible : int or None
        Voters entitled to vote; required when ``quorum.min_share`` is set.

    Returns
    -------
    bool
        ``valid ≥ min_valid`` and, with a share, ``valid ≥ min_share × eligible``
        (both boundaries included; ``valid = 0`` never meets a quorum, nor does a
        share quorum with ``eligible = 0``).

    Raises
    ------
    InvalidParameterError
        A share quorum without the number of eligible voters.

    Notes
    -----
    The share is compared exactly: ``valid × denominator ≥ numerator × eligible``.

    References
    ----------
    Meeting rules of 民主测评: a vote counts when enough of those entitled took part
    (commonly two thirds of the eligible voters).

    Examples
    --------
    >>> is_quorum_met(5, Quorum(min_valid=5)), is_quorum_met(4, Quorum(min_valid=5))
    (True, False)
    >>> is_quorum_met(20, Quorum(min_share=2 / 3), eligible=30)  # 20 = 2/3 × 30 exactly
    True
    """
    if valid <= 0 or valid < quorum.min_valid:
        return False
    if quorum.min_share is None:
        return True
    if eligible is None:
        raise InvalidParameterError("eligible", eligible, "required_for_share_quorum")
    # no known electorate (no access codes issued): no share of it can be shown
    return eligible > 0 and Fraction(valid) >= _share(quorum.min_share) * eligible


def _share(value: float) -> Fraction:
    """A share as written in a rulebook: 0.6667 or 2/3 given as a float, read exactly."""
    return Fraction(value).limit_denominator(10_000)


def is_share_above(part: int, whole: int, share: Fraction) -> bool:
    """Whether ``part / whole`` is strictly above ``share`` (exact; ``False`` when empty).

    Examples
    --------
    >>> is_share_above(4, 12, Fraction(1, 3)), is_share_above(5, 12, Fraction(1, 3))
    (False, True)
    """
    return whole > 0 and Fraction(part, whole) > share


def compute_ballot_result(
    groups: Sequence[GroupBallots],
    weights: Sequence[tuple[str, float]],
    *,
    coefficients: Mapping[str, float] = DEFAULT_COEFFICIENTS,
    quorum: Quorum = ANY_BALLOT,
    precision: Precision = DEFAULT_PRECISION,
) -> BallotResult:
    """Score of a ballot indicator: each voter group scored, then weighted.

    Parameters
    ----------
    groups : sequence of GroupBallots
        The ballots per group (a group absent here cast no ballot).
    weights : sequence of (str, float)
        Group code and positive weight, in the rulebook's order.
    coefficients : mapping of str to float
        Coefficient of each grade (see :func:`compute_ballot_score`).
    quorum : Quorum
        Least valid ballots per group (see :func:`is_quorum_met`).
    precision : Precision
        Declared precision of the published scores.

    Returns
    -------
    BallotResult
        Group tallies and scores, the weighted score, the groups below quorum, and
        whether 不称职 votes exceed one third of all valid ballots.

    Raises
    ------
    InvalidParameterError
        A group given twice or not named by ``weights``, a weight not positive, or
        bad votes (see :func:`compute_ballot_score`).

    Notes
    -----
    ``score_g = Σ votes × coefficient / valid_g × 100`` published per group, then
    ``score = Σ_g w_g × score_g / Σ_g w_g`` over the published group scores, published.
    When any group misses its quorum the indicator has no score: a missing input the
    team decides on (score zero, or leave the indicator out and reweight).
    ``incompetent_over_third``: 不称职 votes × 3 > Σ valid ballots of all groups (exactly
    one third is not over).

    References
    ----------
    DESIGN.md section 3 (democratic evaluation, voter groups) and section 4
    (precision); 《党政领导干部考核工作条例》(2019) 第十六条.

    Examples
    --------
    班子成员 30, 干部职工 40, 群众代表 30; scores 90, 80, 70:
    (30 × 90 + 40 × 80 + 30 × 70) / 100 = 80.

    >>> r = compute_ballot_result(
    ...     [
    ...         GroupBallots("leaders", {"excellent": 5, "competent": 5}),
    ...         GroupBallots("staff", {"competent": 10}),
    ...         GroupBallots("public", {"competent": 5, "basic": 5}, abstentions=2),
    ...     ],
    ...     [("leaders", 30), ("staff", 40), ("public", 30)],
    ... )
    >>> [g.score for g in r.groups], r.score
    ([90.0, 80.0, 70.0], 80.0)
    """
    by_group: dict[str, GroupBallots] = {}
    named = [code for code, _ in weights]
    for entry in groups:
        if entry.group in by_group:
            raise InvalidParameterError("groups", entry.group, "duplicate_group")
        if entry.group not in named:
            raise InvalidParameterError("groups", entry.group, "group_not_weighted")
        if entry.abstentions < 0:
            raise InvalidParameterError("abstentions", entry.abstentions, "not_a_count")
        _check_votes(entry.votes, coefficients)
        by_group[entry.group] = entry
    scored: list[GroupScore] = []
    missing: list[str] = []
    weighted = Fraction(0)
    total_weight = Fraction(0)
    incompetent = valid_all = 0
    for code, weight in weights:
        if not float(weight) > 0:
            raise InvalidParameterError(f"weights[{code!r}]", weight, "not_positive")
        entry = by_group.get(code, GroupBallots(code, {}))
        valid = entry.valid
        votes = tuple((grade, int(entry.votes.get(grade, 0))) for grade in coefficients)
        met = is_quorum_met(valid, quorum, entry.eligible)
        score = precision.publish(_exact_score(entry.votes, coefficients)) if met else None
        scored.append(GroupScore(code, float(weight), votes, entry.abstentions, valid, score, met))
        incompetent += int(entry.votes.get("incompetent", 0))
        valid_all += valid
        if score is None:
            missing.append(code)
            continue
        weighted += exact(weight) * exact(score)
        total_weight += exact(weight)
    result = precision.publish(weighted / total_weight) if not missing else None
    return BallotResult(
        groups=tuple(scored),
        score=result,
        missing_groups=tuple(missing),
        incompetent_over_third=is_share_above(incompetent, valid_all, Fraction(1, 3)),
    )
