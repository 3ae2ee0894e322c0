"""Results applied: consequence flags from a cadre's annual grades (issue 15).

The civil-service assessment rules (公务员考核规定, 2020, articles 20-23) tie personnel
decisions to the annual grade: three consecutive years 优秀 bring a reward (记三等功)
and weigh in promotion, two consecutive years 不称职 lead to dismissal proceedings, and
a 基本称职 year rules out promotion in that year. A county sets its own thresholds,
so the rules are data (:class:`ConsequenceRules`, defaults as above) and the function
here only applies them to plain records: grade codes by calendar year in, flags out.

Only annual results count; choosing which periods are annual is the caller's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from assessment.core.errors import FieldError, InvalidParameterError

__all__ = [
    "AnnualGrade",
    "ConsequenceFlag",
    "ConsequenceKind",
    "ConsequenceRules",
    "EligibilityLine",
    "Standing",
    "check_rules",
    "consequence_flags",
    "eligibility_lines",
]

#: Longest run of years a rule may ask for (a term of office is five years).
MAX_RULE_YEARS = 10


class ConsequenceKind(StrEnum):
    """What a flag says."""

    #: N consecutive years in the reward grade: consider for reward or promotion.
    REWARD_CONSIDERATION = "reward_consideration"
    #: M consecutive years in the lowest grade: flag for adjustment of the post.
    INCOMPETENT_CONSECUTIVE = "incompetent_consecutive"
    #: A year in the barring grade: not promoted in that year.
    PROMOTION_BARRED = "promotion_barred"


class Standing(StrEnum):
    """Where a flag puts the cadre on the eligibility list."""

    CONSIDERED = "considered"
    BARRED = "barred"


#: The standing each kind of flag gives.
STANDING_OF = {
    ConsequenceKind.REWARD_CONSIDERATION: Standing.CONSIDERED,
    ConsequenceKind.INCOMPETENT_CONSECUTIVE: Standing.BARRED,
    ConsequenceKind.PROMOTION_BARRED: Standing.BARRED,
}


@dataclass(frozen=True, slots=True)
class ConsequenceRules:
    """The rules a county configures; grade codes are the rulebook's.

    Parameters
    ----------
    reward_grade, reward_years : str, int
        ``reward_years`` consecutive years graded ``reward_grade`` raise a reward flag.
    incompetent_grade, incompetent_years : str, int
        ``incompetent_years`` consecutive years graded ``incompetent_grade`` raise a flag.
    bar_grade : str
        A year graded ``bar_grade`` bars promotion in that year.
    """

    reward_grade: str = "excellent"
    reward_years: int = 3
    incompetent_grade: str = "incompetent"
    incompetent_years: int = 2
    bar_grade: str = "basic"


@dataclass(frozen=True, slots=True)
class AnnualGrade:
    """A cadre's final grade in one annual period."""

    year: int
    period_id: int
    grade: str


@dataclass(frozen=True, slots=True)
class ConsequenceFlag:
    """One rule that fired in ``year``, with the annual results behind it (oldest first)."""

    kind: ConsequenceKind
    year: int
    periods: tuple[AnnualGrade, ...]

    @property
    def standing(self) -> Standing:
        """Considered (reward) or barred."""
        return STANDING_OF[self.kind]


@dataclass(frozen=True, slots=True)
class EligibilityLine:
    """One line of the eligibility list: a cadre, the standing, the flag behind it."""

    cadre: str
    flag: ConsequenceFlag

    @property
    def standing(self) -> Standing:
        """Considered (reward) or barred."""
        return self.flag.standing


def check_rules(rules: ConsequenceRules) -> ConsequenceRules:
    """Refuse rules that cannot be applied.

    Raises
    ------
    FieldError
        ``reward_years`` or ``incompetent_years`` outside 1-10 (``out_of_range``); an empty
        grade code (``required``); the reward grade also a barring grade
        (``reward_grade`` ``consequence_grade_clash``).
    """
    for name in ("reward_years", "incompetent_years"):
        value = getattr(rules, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_RULE_YEARS
        ):
            raise FieldError(name, "out_of_range", min=1, max=MAX_RULE_YEARS)
    for name in ("reward_grade", "incompetent_grade", "bar_grade"):
        if not str(getattr(rules, name)).strip():
            raise FieldError(name, "required")
    if rules.reward_grade in (rules.incompetent_grade, rules.bar_grade):
        raise FieldError("reward_grade", "consequence_grade_clash")
    return rules


def _by_year(history: Iterable[AnnualGrade]) -> dict[int, AnnualGrade]:
    years: dict[int, AnnualGrade] = {}
    for entry in history:
        if entry.year in years:
            raise InvalidParameterError("history", entry.year, "two_annual_results_in_a_year")
        years[entry.year] = entry
    return years


def _run_ending(
    years: Mapping[int, AnnualGrade], year: int, grade: str, length: int
) -> tuple[AnnualGrade, ...] | None:
    """The ``length`` results of ``year - length + 1 .. year`` if every one is ``grade``."""
    run = [years.get(y) for y in range(year - length + 1, year + 1)]
    if all(entry is not None and entry.grade == grade for entry in run):
        return tuple(entry for entry in run if entry is not None)
    return None


def consequence_flags(
    history: Sequence[AnnualGrade], rules: ConsequenceRules = ConsequenceRules()
) -> tuple[ConsequenceFlag, ...]:
    """Every flag the rules raise over a cadre's annual grades, by year.

    Parameters
    ----------
    history : sequence of AnnualGrade
        The cadre's final annual grades, at most one per calendar year, in any order.
    rules : ConsequenceRules
        The county's rules (checked with :func:`check_rules`).

    Returns
    -------
    tuple of ConsequenceFlag
        Sorted by year, then kind. For each year ``y`` that has a result:

        - ``reward_consideration`` when the years ``y - N + 1 .. y`` (N = ``reward_years``)
          all have a result graded ``reward_grade``;
        - ``incompetent_consecutive`` likewise with ``incompetent_years`` and
          ``incompetent_grade``;
        - ``promotion_barred`` when ``y`` is graded ``bar_grade``.

        Consecutive means calendar years: a year without an annual result (not
        assessed, or its period not final) breaks a run as a different grade does. A
        longer run flags again each year (four years 优秀 flag the third and the fourth).

    Raises
    ------
    InvalidParameterError
        Two results in one year.
    FieldError
        Rules that :func:`check_rules` refuses.

    Examples
    --------
    >>> years = [AnnualGrade(y, y - 2000, "excellent") for y in (2023, 2024, 2025)]
    >>> [(f.kind.value, f.year) for f in consequence_flags(years)]
    [('reward_consideration', 2025)]
    >>> consequence_flags(years[:1] + years[2:])
    ()
    """
    check_rules(rules)
    years = _by_year(history)
    flags = []
    for year in sorted(years):
        for kind, grade, length in (
            (ConsequenceKind.REWARD_CONSIDERATION, rules.reward_grade, rules.reward_years),
            (
                ConsequenceKind.INCOMPETENT_CONSECUTIVE,
                rules.incompetent_grade,
                rules.incompetent_years,
            ),
            (ConsequenceKind.PROMOTION_BARRED, rules.bar_grade, 1),
        ):
            run = _run_ending(years, year, grade, length)
            if run is not None:
                flags.append(ConsequenceFlag(kind=kind, year=year, periods=run))
    return tuple(flags)


def eligibility_lines(
    histories: Mapping[str, Sequence[AnnualGrade]],
    year: int,
    rules: ConsequenceRules = ConsequenceRules(),
) -> tuple[EligibilityLine, ...]:
    """The eligibility list of ``year``: every flag raised in that year, per cadre.

    Parameters
    ----------
    histories : mapping of str to sequence of AnnualGrade
        Each cadre's annual grades, keyed by cadre id.
    year : int
        The year the list is for.
    rules : ConsequenceRules
        The county's rules.

    Returns
    -------
    tuple of EligibilityLine
        Those considered first, then those barred; within each, by cadre id as given
        (the caller sorts by name or unit). A cadre without a flag in ``year`` has no line.
    """
    lines = [
        EligibilityLine(cadre=cadre, flag=flag)
        for cadre, history in histories.items()
        for flag in consequence_flags(history, rules)
        if flag.year == year
    ]
    order = {Standing.CONSIDERED: 0, Standing.BARRED: 1}
    return tuple(sorted(lines, key=lambda line: order[line.standing]))
