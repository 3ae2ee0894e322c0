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

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import TypeVar

from assessment.core.errors import InvalidParameterError, MissingInputError
from assessment.core.precision import DEFAULT_PRECISION, Precision, exact

#: A target as the caller names it (a code, a database id).
Target = TypeVar("Target")

__all__ = [
    "ANY_BALLOT",
    "BOUNDARIES",
    "DEFAULT_COEFFICIENTS",
    "DEFAULT_SHARE_RULES",
    "EVERY_SHEET",
    "GRADE_CODES",
    "POOR_GRADES",
    "SHARE_COMPARISONS",
    "SHEET_ACTIONS",
    "BallotBands",
    "BallotResult",
    "BallotValidity",
    "Band",
    "GroupBallots",
    "GroupScore",
    "Quorum",
    "ShareRule",
    "SheetTally",
    "SheetVerdict",
    "TriggeredRule",
    "apply_share_rules",
    "compute_ballot_result",
    "compute_ballot_score",
    "compute_band_score",
    "is_quorum_met",
    "is_share_above",
    "judge_sheet",
    "share_text",
    "tally_sheets",
]

#: The grades of a ballot, best first (《党政领导干部考核工作条例》 2019, 民主测评).
GRADE_CODES: tuple[str, ...] = ("excellent", "competent", "basic", "incompetent")

#: The grades whose votes the ``poor`` bands count: 基本称职 + 不称职.
POOR_GRADES: tuple[str, ...] = ("basic", "incompetent")
#: How a share is compared with a band's threshold: ``at_least`` (≥) or ``above`` (>).
BOUNDARIES: tuple[str, ...] = ("at_least", "above")
#: How a share rule compares: > (above), ≥ (at_least), < (below), ≤ (at_most).
SHARE_COMPARISONS: tuple[str, ...] = ("above", "at_least", "below", "at_most")
#: What a validity rule does with a ballot sheet that breaks it.
SHEET_ACTIONS: tuple[str, ...] = ("invalid", "flag")

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
    invalid : int
        Ballot sheets a validity rule voided (out of the valid ballots, shown apart).
    flagged : int
        Counted ballot sheets a validity rule flagged (inside ``votes``).
    """

    group: str
    votes: Mapping[str, int]
    abstentions: int = 0
    eligible: int | None = None
    invalid: int = 0
    flagged: int = 0

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
    invalid, flagged : int
        Sheets voided and sheets flagged by the validity rules (see :func:`judge_sheet`).
    """

    group: str
    weight: float
    votes: tuple[tuple[str, int], ...]
    abstentions: int
    valid: int
    score: float | None
    quorum_met: bool
    invalid: int = 0
    flagged: int = 0


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
    triggered : tuple of TriggeredRule
        The vote-share rules the pooled valid ballots meet (:func:`apply_share_rules`).
    """

    groups: tuple[GroupScore, ...]
    score: float | None
    missing_groups: tuple[str, ...]
    incompetent_over_third: bool
    triggered: tuple[TriggeredRule, ...] = ()


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


def share_text(share: Fraction) -> str:
    """A share as a rulebook writes it: ``0.3`` when a finite decimal, else ``1/3``.

    Examples
    --------
    >>> share_text(Fraction(3, 10)), share_text(Fraction(1, 3)), share_text(Fraction(1))
    ('0.3', '1/3', '1')
    """
    denominator = share.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator != 1:
        return f"{share.numerator}/{share.denominator}"
    text = format(share.numerator / share.denominator, "f").rstrip("0").rstrip(".")
    return text if Fraction(text) == share else f"{share.numerator}/{share.denominator}"


# ---------------------------------------------------------------------------
# per-sheet validity
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BallotValidity:
    """The rulebook's rules for one ballot sheet (one response: a grade per target).

    Parameters
    ----------
    max_top : int or None
        Most targets one sheet may give the top grade (优秀).
    max_top_share : Fraction or None
        Or: most top grades as a share of the targets on the sheet, ``⌊share × n⌋``.
    over_top_limit : str
        ``invalid`` (default: the sheet counts for no target) or ``flag`` (counted,
        and counted apart as flagged).
    same_grade_for_all : str or None
        ``invalid`` or ``flag`` for a sheet giving one grade to every target (two
        targets or more, no abstention); ``None``: not checked.
    """

    max_top: int | None = None
    max_top_share: Fraction | None = None
    over_top_limit: str = "invalid"
    same_grade_for_all: str | None = None


#: No validity rule: every sheet counts.
EVERY_SHEET = BallotValidity()


@dataclass(frozen=True, slots=True)
class SheetVerdict:
    """What the validity rules make of one sheet.

    ``status`` is ``valid``, ``invalid`` or ``flagged``; ``reasons`` the rules broken
    (``over_top_limit``, ``same_grade_for_all``).
    """

    status: str
    reasons: tuple[str, ...] = ()


def _top_limit(rule: BallotValidity, targets: int) -> int | None:
    limits = []
    if rule.max_top is not None:
        limits.append(rule.max_top)
    if rule.max_top_share is not None:
        limits.append(math.floor(rule.max_top_share * targets))
    return min(limits) if limits else None


def judge_sheet(
    grades: Sequence[str | None], rule: BallotValidity, *, top: str = GRADE_CODES[0]
) -> SheetVerdict:
    """Judge one ballot sheet (all the targets one voter graded) by the validity rules.

    Parameters
    ----------
    grades : sequence of str or None
        The grade given to each target on the sheet; ``None`` an abstention.
    rule : BallotValidity
        The rulebook's ``validity``.
    top : str
        The top grade code (优秀).

    Returns
    -------
    SheetVerdict
        ``invalid`` when a rule whose action is ``invalid`` is broken, else ``flagged``
        when a rule whose action is ``flag`` is broken, else ``valid``.

    Notes
    -----
    Top-grade limit: the sheet breaks it when ``#top > limit`` with ``limit =
    max_top`` or ``⌊max_top_share × n⌋`` (``n`` the targets on the sheet, abstentions
    included; both given: the smaller). Exactly at the limit is allowed.
    Same grade for all: ``n ≥ 2``, no abstention, and one grade for every target.

    References
    ----------
    County 民主测评 rules commonly void a sheet that gives 优秀 to more than the
    allotted number of cadres (e.g. "优秀票超过规定名额的为废票").

    Examples
    --------
    >>> rule = BallotValidity(max_top=2, same_grade_for_all="flag")
    >>> judge_sheet(["excellent", "excellent", "competent"], rule).status  # 2 = limit
    'valid'
    >>> judge_sheet(["excellent"] * 3, rule)
    SheetVerdict(status='invalid', reasons=('over_top_limit', 'same_grade_for_all'))
    >>> judge_sheet(["competent", "competent"], rule).status
    'flagged'
    """
    broken: list[tuple[str, str]] = []
    limit = _top_limit(rule, len(grades))
    if limit is not None and sum(1 for g in grades if g == top) > limit:
        broken.append(("over_top_limit", rule.over_top_limit))
    if (
        rule.same_grade_for_all is not None
        and len(grades) >= 2
        and all(g is not None for g in grades)
        and len(set(grades)) == 1
    ):
        broken.append(("same_grade_for_all", rule.same_grade_for_all))
    if not broken:
        return SheetVerdict("valid")
    reasons = tuple(reason for reason, _ in broken)
    status = "invalid" if any(action == "invalid" for _, action in broken) else "flagged"
    return SheetVerdict(status, reasons)


@dataclass(slots=True)
class SheetTally:
    """One target's ballots from the sheets of one voter group.

    ``votes`` per grade and ``abstentions`` count the sheets that are valid or flagged;
    ``invalid`` the sheets voided (each voids its grade for every target on it);
    ``flagged`` the counted sheets that broke a ``flag`` rule.
    """

    votes: dict[str, int] = field(default_factory=dict)
    abstentions: int = 0
    invalid: int = 0
    flagged: int = 0


def tally_sheets(
    sheets: Sequence[Mapping[Target, str | None]], rule: BallotValidity = EVERY_SHEET
) -> dict[Target, SheetTally]:
    """Count the ballot sheets of one voter group per target, applying the validity rules.

    Parameters
    ----------
    sheets : sequence of mapping of str to str or None
        One mapping per sheet: target to grade code (``None`` an abstention).
    rule : BallotValidity
        The rulebook's ``validity``.

    Returns
    -------
    dict of str to SheetTally
        Per target named on any sheet. An invalid sheet is left out of every target's
        valid ballots and counted in each one's ``invalid``.

    Examples
    --------
    Limit 1 优秀: the second sheet gives two and is void for both targets.

    >>> tallies = tally_sheets(
    ...     [{"a": "excellent", "b": "competent"}, {"a": "excellent", "b": "excellent"}],
    ...     BallotValidity(max_top=1),
    ... )
    >>> tallies["a"].votes, tallies["a"].invalid, tallies["b"].votes
    ({'excellent': 1}, 1, {'competent': 1})
    """
    out: dict[Target, SheetTally] = {}
    for sheet in sheets:
        verdict = judge_sheet(list(sheet.values()), rule)
        for target, grade in sheet.items():
            tally = out.setdefault(target, SheetTally())
            if verdict.status == "invalid":
                tally.invalid += 1
                continue
            tally.flagged += verdict.status == "flagged"
            if grade is None:
                tally.abstentions += 1
            else:
                tally.votes[grade] = tally.votes.get(grade, 0) + 1
    return out


# ---------------------------------------------------------------------------
# vote-share bands
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Band:
    """A share threshold and the points it gives (or takes, for the ``poor`` bands)."""

    share: Fraction
    points: float


@dataclass(frozen=True, slots=True)
class BallotBands:
    """Points by bands of vote shares among a group's valid ballots.

    Parameters
    ----------
    excellent : tuple of Band
        Bands of the 优秀 share, thresholds descending, points non-increasing.
    poor : tuple of Band
        Bands of the 基本称职 + 不称职 share, thresholds descending, deductions
        non-increasing.
    boundary : str
        ``at_least``: a share exactly on a threshold is in its band (≥); ``above``: it
        is not (>).
    """

    excellent: tuple[Band, ...]
    poor: tuple[Band, ...] = ()
    boundary: str = "at_least"


def _reaches(part: int, whole: int, threshold: Fraction, boundary: str) -> bool:
    share = Fraction(part, whole)
    return share >= threshold if boundary == "at_least" else share > threshold


def _band_points(part: int, whole: int, bands: Sequence[Band], boundary: str) -> Fraction:
    for band in bands:
        if _reaches(part, whole, band.share, boundary):
            return exact(band.points)
    return Fraction(0)


def compute_band_score(votes: Mapping[str, int], bands: BallotBands) -> Fraction:
    """Score of one group's valid ballots by vote-share bands, exactly.

    Parameters
    ----------
    votes : mapping of str to int
        Valid ballots per grade code.
    bands : BallotBands

    Returns
    -------
    Fraction
        ``max(0, E − P)`` with ``E`` the points of the first ``excellent`` band the
        优秀 share reaches and ``P`` the deduction of the first ``poor`` band the
        基本称职 + 不称职 share reaches (0 when none is reached).

    Raises
    ------
    MissingInputError
        No valid ballot.

    Notes
    -----
    Shares are ``votes / valid`` compared exactly with each threshold by the
    ``boundary`` rule (≥ or >). Thresholds descend and points do not rise, so a further
    优秀 vote (raising the 优秀 share and lowering the other) never lowers the score.

    Examples
    --------
    优秀 ≥ 60 % gives 100, ≥ 40 % gives 80, else 60; 基本称职 + 不称职 ≥ 20 % takes 10.
    6 优秀, 2 称职, 2 不称职 of 10: 6/10 ≥ 0.6 → 100; 2/10 ≥ 0.2 → −10; 90.

    >>> bands = BallotBands(
    ...     (Band(Fraction(3, 5), 100), Band(Fraction(2, 5), 80), Band(Fraction(0), 60)),
    ...     (Band(Fraction(1, 5), 10),),
    ... )
    >>> compute_band_score({"excellent": 6, "competent": 2, "incompetent": 2}, bands)
    Fraction(90, 1)
    >>> compute_band_score({"excellent": 6, "competent": 2, "incompetent": 2},
    ...     BallotBands(bands.excellent, bands.poor, "above"))  # 0.6 is not > 0.6
    Fraction(80, 1)
    """
    valid = sum(int(n) for n in votes.values())
    if valid == 0:
        raise MissingInputError("valid_ballots")
    top = int(votes.get(GRADE_CODES[0], 0))
    poor = sum(int(votes.get(g, 0)) for g in POOR_GRADES)
    earned = _band_points(top, valid, bands.excellent, bands.boundary)
    taken = _band_points(poor, valid, bands.poor, bands.boundary)
    return max(Fraction(0), earned - taken)


# ---------------------------------------------------------------------------
# vote-share consequences
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShareRule:
    """A consequence of the share of some grades among all valid ballots of an indicator.

    Parameters
    ----------
    grades : tuple of str
        The grades whose votes are added up.
    compare : str
        ``above`` (>), ``at_least`` (≥), ``below`` (<) or ``at_most`` (≤).
    share : Fraction
        The threshold.
    then : str
        ``flag`` (a quality note) or ``cap`` (the grade is at most ``cap_at``).
    cap_at : str or None
        The grading scheme's grade code, for ``then: cap``.
    """

    grades: tuple[str, ...]
    compare: str
    share: Fraction
    then: str = "flag"
    cap_at: str | None = None


#: Without ``consequences`` in the rulebook: 不称职 above one third raises a flag.
DEFAULT_SHARE_RULES: tuple[ShareRule, ...] = (
    ShareRule(("incompetent",), "above", Fraction(1, 3), "flag"),
)


@dataclass(frozen=True, slots=True)
class TriggeredRule:
    """A share rule met: the rule, and the votes and valid ballots that met it."""

    rule: ShareRule
    votes: int
    valid: int


def _compare(part: int, whole: int, compare: str, share: Fraction) -> bool:
    value = Fraction(part, whole)
    if compare == "above":
        return value > share
    if compare == "at_least":
        return value >= share
    if compare == "below":
        return value < share
    if compare == "at_most":
        return value <= share
    raise InvalidParameterError("compare", compare, "unknown_comparison")


def apply_share_rules(
    votes: Mapping[str, int], rules: Sequence[ShareRule]
) -> tuple[TriggeredRule, ...]:
    """The vote-share rules met by an indicator's valid ballots (all groups pooled).

    Parameters
    ----------
    votes : mapping of str to int
        Valid ballots per grade, summed over the voter groups.
    rules : sequence of ShareRule

    Returns
    -------
    tuple of TriggeredRule
        In the rules' order; none when there is no valid ballot.

    Notes
    -----
    ``share = Σ_{grade ∈ rule.grades} votes / Σ votes``, compared exactly.

    Examples
    --------
    4 不称职 of 12: 4/12 = 1/3 is not above one third; 5 of 12 is.

    >>> rule = ShareRule(("incompetent",), "above", Fraction(1, 3), "cap", "basic")
    >>> apply_share_rules({"competent": 8, "incompetent": 4}, [rule])
    ()
    >>> [t.votes for t in apply_share_rules({"competent": 7, "incompetent": 5}, [rule])]
    [5]
    """
    valid = sum(int(n) for n in votes.values())
    if valid == 0:
        return ()
    out = []
    for rule in rules:
        part = sum(int(votes.get(g, 0)) for g in rule.grades)
        if _compare(part, valid, rule.compare, rule.share):
            out.append(TriggeredRule(rule, part, valid))
    return tuple(out)


def compute_ballot_result(
    groups: Sequence[GroupBallots],
    weights: Sequence[tuple[str, float]],
    *,
    coefficients: Mapping[str, float] = DEFAULT_COEFFICIENTS,
    quorum: Quorum = ANY_BALLOT,
    precision: Precision = DEFAULT_PRECISION,
    bands: BallotBands | None = None,
    rules: Sequence[ShareRule] = DEFAULT_SHARE_RULES,
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
    bands : BallotBands or None
        Score each group by vote-share bands (:func:`compute_band_score`) instead of
        the coefficients.
    rules : sequence of ShareRule
        Vote-share consequences checked on all groups' valid ballots pooled
        (:func:`apply_share_rules`; default: 不称职 above one third raises a flag).

    Returns
    -------
    BallotResult
        Group tallies and scores, the weighted score, the groups below quorum,
        whether 不称职 votes exceed one third of all valid ballots, and the share
        rules met.

    Raises
    ------
    InvalidParameterError
        A group given twice or not named by ``weights``, a weight not positive, or
        bad votes (see :func:`compute_ballot_score`).

    Notes
    -----
    ``score_g = Σ votes × coefficient / valid_g × 100`` (or the band score) published
    per group, then
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
        for name in ("abstentions", "invalid", "flagged"):
            count = getattr(entry, name)
            if isinstance(count, bool) or int(count) != count or count < 0:
                raise InvalidParameterError(name, count, "not_a_count")
        _check_votes(entry.votes, coefficients)
        by_group[entry.group] = entry
    scored: list[GroupScore] = []
    missing: list[str] = []
    weighted = Fraction(0)
    total_weight = Fraction(0)
    pooled: dict[str, int] = {}
    for code, weight in weights:
        if not float(weight) > 0:
            raise InvalidParameterError(f"weights[{code!r}]", weight, "not_positive")
        entry = by_group.get(code, GroupBallots(code, {}))
        valid = entry.valid
        votes = tuple((grade, int(entry.votes.get(grade, 0))) for grade in coefficients)
        met = is_quorum_met(valid, quorum, entry.eligible)
        score = None
        if met:
            exact_score = (
                compute_band_score(entry.votes, bands)
                if bands is not None
                else _exact_score(entry.votes, coefficients)
            )
            score = precision.publish(exact_score)
        scored.append(
            GroupScore(
                code,
                float(weight),
                votes,
                entry.abstentions,
                valid,
                score,
                met,
                entry.invalid,
                entry.flagged,
            )
        )
        for grade, n in votes:
            pooled[grade] = pooled.get(grade, 0) + n
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
        incompetent_over_third=is_share_above(
            pooled.get("incompetent", 0), sum(pooled.values()), Fraction(1, 3)
        ),
        triggered=apply_share_rules(pooled, rules),
    )
