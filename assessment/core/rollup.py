"""Roll-up of sub-period results into the parent period, and the eligibility rules.

A year's regular (平时) assessments, usually four quarters, roll up into the annual
assessment (公务员考核规定 2020, art. 6: the annual assessment rests on the regular
ones). Two things read the published (final) results of a period's children:

- a ``rollup`` indicator (:func:`compute_rollup`) turns them into an input on 0-100
  that scores ``points = w × V / 100`` like a panel value or a satisfaction index;
- eligibility rules (:func:`compute_eligibility_caps`) cap the parent grade when the
  children's grades do not allow a better one ("优秀 only with at least three
  quarters graded 好", "a 较差 quarter bars 优秀"), each cap with its rule and reason.

Plain data in, plain data out: the service reads the children's final result
versions and passes each cadre's totals and grades in as :class:`ChildOutcome`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from assessment.core.errors import InvalidParameterError
from assessment.core.precision import DEFAULT_PRECISION, Precision, exact

__all__ = [
    "MISSING_RULES",
    "ROLLUP_OF",
    "ChildOutcome",
    "EligibilityCap",
    "EligibilityRule",
    "RollupResult",
    "compute_eligibility_caps",
    "compute_rollup",
]

#: What a ``rollup`` indicator reads from the children.
ROLLUP_OF = ("mean_total", "grade_count", "latest_grade")
#: How a missing child (not final, or the cadre not assessed in it) is counted, by the
#: team's decision: ``leave_out`` (exclude_indicator_reweight) drops it from the roll-up;
#: ``zero`` (score_zero_with_reason) counts it as a total of 0 with no grade.
MISSING_RULES = ("leave_out", "zero")


@dataclass(frozen=True, slots=True)
class ChildOutcome:
    """One child period's published result for one cadre.

    Parameters
    ----------
    period : str
        The child period's key (its id), unique among the children.
    order : int
        Position in time (by start date): the latest child has the highest order.
    total : float or None
        The published total; ``None`` when missing (the child is not final yet, or
        the cadre was not assessed in it).
    grade : str or None
        The published grade code of the child's rulebook; ``None`` when missing.
    """

    period: str
    order: int
    total: float | None
    grade: str | None

    @property
    def is_missing(self) -> bool:
        """Whether the child gives no result for the cadre."""
        return self.total is None or self.grade is None


@dataclass(frozen=True, slots=True)
class RollupResult:
    """A ``rollup`` indicator's input.

    Parameters
    ----------
    value : float
        ``V`` on 0-100, published at the rulebook's precision.
    counted : int
        Children counted (``n``): present ones, plus the missing ones under ``zero``.
    matched : int or None
        ``grade_count``: the children counted with the grade.
    latest : str or None
        ``latest_grade``: the grade read (``None``: the latest counted child is missing).
    """

    value: float
    counted: int
    matched: int | None = None
    latest: str | None = None


@dataclass(frozen=True, slots=True)
class EligibilityRule:
    """A rule on the children's grades that caps the parent grade.

    Parameters
    ----------
    code : str
        Unique in the rulebook.
    grade : str
        The child grade counted (e.g. ``good`` 好, ``poor`` 较差).
    caps_at : str
        The parent grade the cadre is capped at when the rule is not met.
    at_least, at_most : int or None
        Exactly one: the count ``k`` of children graded ``grade`` must be ``k ≥
        at_least`` (or ``k ≤ at_most``) for the cadre to keep a grade above ``caps_at``.
    """

    code: str
    grade: str
    caps_at: str
    at_least: int | None = None
    at_most: int | None = None


@dataclass(frozen=True, slots=True)
class EligibilityCap:
    """One eligibility rule that capped a cadre's grade, and why.

    Parameters
    ----------
    caps_at : str
        The parent grade code the cadre is capped at.
    rule : str
        The rule's code.
    reason : str
        ``too_few`` (``count < limit``, an ``at_least`` rule) or ``too_many``
        (``count > limit``, an ``at_most`` rule).
    grade : str
        The child grade counted.
    count : int
        Children graded ``grade``.
    limit : int
        The rule's ``at_least`` or ``at_most``.
    """

    caps_at: str
    rule: str
    reason: str
    grade: str
    count: int
    limit: int


def _counted(children: Sequence[ChildOutcome], missing: str) -> list[ChildOutcome]:
    if missing not in MISSING_RULES:
        raise InvalidParameterError("missing", missing, "unknown_missing_rule")
    keys = [c.period for c in children]
    if len(set(keys)) != len(keys):
        raise InvalidParameterError("children", keys, "duplicate_period")
    ordered = sorted(children, key=lambda c: (c.order, c.period))
    return [c for c in ordered if missing == "zero" or not c.is_missing]


def compute_rollup(
    of: str,
    children: Sequence[ChildOutcome],
    *,
    grade: str | None = None,
    values: Mapping[str, float] | None = None,
    missing: str = "leave_out",
    precision: Precision = DEFAULT_PRECISION,
) -> RollupResult:
    """The input ``V`` (0-100) of a ``rollup`` indicator from the children's results.

    Parameters
    ----------
    of : {"mean_total", "grade_count", "latest_grade"}
        What is read (see Notes).
    children : sequence of ChildOutcome
        Every child period of the parent, present or missing.
    grade : str, optional
        ``grade_count``: the child grade counted.
    values : mapping of str to float, optional
        ``latest_grade``: the value (0-100) of each child grade.
    missing : {"leave_out", "zero"}
        How missing children count (:data:`MISSING_RULES`); with no decision the
        caller must not get here (a missing child is a missing input).
    precision : Precision
        The parent rulebook's declared precision; ``V`` is published at it.

    Returns
    -------
    RollupResult

    Raises
    ------
    InvalidParameterError
        Unknown ``of`` or missing rule, duplicate child keys, no child counted,
        ``grade_count`` without ``grade``, ``latest_grade`` without a value for the
        grade read.

    Notes
    -----
    Over the ``n`` children counted (in time order; a missing child counts as total 0
    and no grade under ``zero`` and is left out under ``leave_out``):

    - ``mean_total``: ``V = (T_1 + ... + T_n) / n``, the mean of the children's
      published totals;
    - ``grade_count``: ``V = 100 × k / n`` with ``k`` the children graded ``grade``;
    - ``latest_grade``: ``V = values[g_n]``, the value of the latest child's grade
      (0 when that child is missing and counted as zero).

    ``V`` is computed exactly from the published values and published once, so that
    whoever re-adds the printed totals gets the printed input. The indicator then
    scores ``points = w × V / 100``.

    References
    ----------
    公务员考核规定 (2020) art. 6 and 8: regular assessment results are the basis of
    the annual assessment.

    Examples
    --------
    >>> kids = [ChildOutcome("q1", 1, 92.0, "good"), ChildOutcome("q2", 2, 81.5, "fair"),
    ...         ChildOutcome("q3", 3, 88.0, "fair"), ChildOutcome("q4", 4, None, None)]
    >>> compute_rollup("mean_total", kids).value     # (92 + 81.5 + 88) / 3
    87.17
    >>> compute_rollup("mean_total", kids, missing="zero").value   # 261.5 / 4
    65.38
    >>> compute_rollup("grade_count", kids, grade="fair").value   # 100 × 2 / 3
    66.67
    >>> compute_rollup("latest_grade", kids, values={"good": 100, "fair": 85}).value
    85.0
    """
    if of not in ROLLUP_OF:
        raise InvalidParameterError("of", of, "unknown_rollup")
    counted = _counted(children, missing)
    if not counted:
        raise InvalidParameterError("children", len(children), "no_child_counted")
    n = len(counted)
    if of == "mean_total":
        total = sum((exact(c.total or 0.0) for c in counted), Fraction(0))
        return RollupResult(precision.publish(total / n), n)
    if of == "grade_count":
        if not grade:
            raise InvalidParameterError("grade", grade, "grade_required")
        k = sum(1 for c in counted if c.grade == grade)
        return RollupResult(precision.publish(Fraction(100 * k, n)), n, matched=k)
    latest = counted[-1].grade
    if latest is None:
        return RollupResult(precision.publish(0), n)
    if values is None or latest not in values:
        raise InvalidParameterError("values", latest, "no_value_for_grade")
    return RollupResult(precision.publish(exact(values[latest])), n, latest=latest)


def compute_eligibility_caps(
    rules: Sequence[EligibilityRule], child_grades: Sequence[str | None]
) -> tuple[EligibilityCap, ...]:
    """The grade caps the eligibility rules set for one cadre.

    Parameters
    ----------
    rules : sequence of EligibilityRule
        The rulebook's eligibility rules, in document order.
    child_grades : sequence of str or None
        The cadre's grade in each child period; ``None`` for a missing child (one the
        team decided about: it counts as graded nothing).

    Returns
    -------
    tuple of EligibilityCap
        One per rule not met, in rule order (empty: no cap). The cadre's grade is the
        worse of the grade earned and every ``caps_at``.

    Raises
    ------
    InvalidParameterError
        A rule with neither or both of ``at_least`` and ``at_most``, or a negative limit.

    Notes
    -----
    With ``k`` the number of children graded ``rule.grade``, a rule is not met when
    ``k < at_least`` (reason ``too_few``) or ``k > at_most`` (``too_many``). So "优秀
    only with at least three quarters graded 好" is ``grade: good, at_least: 3,
    caps_at: competent`` (exactly three quarters pass), and "a 较差 quarter bars 优秀"
    is ``grade: poor, at_most: 0, caps_at: competent``. A missing quarter counts
    toward no grade: it can fail an ``at_least`` rule, never an ``at_most`` one.

    References
    ----------
    公务员考核规定 (2020) art. 8 ("平时考核结果…作为年度考核确定等次的重要依据").

    Examples
    --------
    >>> rules = [EligibilityRule("three_good", "good", "competent", at_least=3),
    ...          EligibilityRule("no_poor", "poor", "competent", at_most=0)]
    >>> compute_eligibility_caps(rules, ["good", "good", "good", "fair"])
    ()
    >>> [(c.rule, c.reason, c.count) for c in
    ...  compute_eligibility_caps(rules, ["good", "good", None, "poor"])]
    [('three_good', 'too_few', 2), ('no_poor', 'too_many', 1)]
    """
    caps = []
    for rule in rules:
        if (rule.at_least is None) == (rule.at_most is None):
            raise InvalidParameterError("rules", rule.code, "one_of_at_least_at_most")
        limit = rule.at_least if rule.at_least is not None else rule.at_most
        if limit is None or limit < 0:
            raise InvalidParameterError("rules", rule.code, "negative_limit")
        count = sum(1 for g in child_grades if g == rule.grade)
        if rule.at_least is not None and count < rule.at_least:
            caps.append(
                EligibilityCap(rule.caps_at, rule.code, "too_few", rule.grade, count, limit)
            )
        elif rule.at_most is not None and count > rule.at_most:
            caps.append(
                EligibilityCap(rule.caps_at, rule.code, "too_many", rule.grade, count, limit)
            )
    return tuple(caps)
