"""The records of a period's results, and their plain form both ways.

The inputs (:class:`PeriodInputs` and the records in it) and the outputs
(:class:`PeriodResult` and the records in it) of
:func:`assessment.core.results.compute_period_results`, kept apart from the engine so
that a module that only reads a stored result needs no engine.

:func:`result_to_plain` writes a result as plain JSON-ready data; that is what a
result version stores (``canonical_json(result_to_plain(r))``). :func:`result_from_plain`
is its inverse: the one reader of a stored result, returning the typed records, so
that ``result_to_plain(result_from_plain(x)) == x`` for every plain result ``x``
written by the current engine. Results stored before the declared precision and the
agreement intervals (issue 13) lack ``precision``, ``icc2_k_low``, ``icc2_k_high`` and
``spread``: the reader gives them the defaults of their fields (two decimals, half-up;
``None``), which is how those results were computed and printed.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from assessment.core.confidence import ConfidenceResult
from assessment.core.errors import InvalidParameterError
from assessment.core.precision import DEFAULT_PRECISION, Precision
from assessment.core.rollup import ChildOutcome, EligibilityCap
from assessment.core.scoring import GroupQuota

__all__ = [
    "ActualInput",
    "AssessorLeniency",
    "BallotBandsOutcome",
    "BallotGroupOutcome",
    "BallotInput",
    "BallotOutcome",
    "BallotRuleOutcome",
    "BandOutcome",
    "CadreInput",
    "CadreResult",
    "ChildPeriodInput",
    "ChildResultInput",
    "DecisionInput",
    "DecisionKind",
    "EventInput",
    "EventOutcome",
    "Flag",
    "GradeCap",
    "IndicatorOutcome",
    "MissingInput",
    "PanelAgreement",
    "PeriodInputs",
    "PeriodResult",
    "RatingInput",
    "ResultSettings",
    "SurveyIndexResult",
    "SurveyItemsInput",
    "SurveyReliability",
    "SurveyTargetInput",
    "UnitGradeInput",
    "UnitInput",
    "UnitNodeInput",
    "record_to_plain",
    "result_from_plain",
    "result_to_plain",
]

FloatArray = npt.NDArray[np.float64]


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CadreInput:
    """One assessed cadre (an appointment to a post in a unit for the period).

    Parameters
    ----------
    id : str
        Unique in the period.
    code, name : str
        Roster code and name (carried into the result for display).
    post : str
        Post code; selects the rulebook's indicator set.
    unit : str
        Unit id of the appointment (survey subject ``unit``, households).
    post_group : str or None
        Group within which the top-grade quota applies; default the post code.
    """

    id: str
    code: str
    name: str
    post: str
    unit: str
    post_group: str | None = None

    @property
    def group(self) -> str:
        """The post group: ``post_group`` or, when unset, the post code."""
        return self.post_group if self.post_group is not None else self.post


@dataclass(frozen=True, slots=True)
class UnitInput:
    """A unit's size: population (post-stratification) and households (response rate)."""

    id: str
    population: float | None = None
    households: int | None = None


@dataclass(frozen=True, slots=True)
class UnitNodeInput:
    """A unit of the period's scope or above it, as a quota group split by unit needs it.

    Parameters
    ----------
    id : str
        Unit id (as in ``CadreInput.unit``).
    kind : str
        Unit kind (``county``, ``township``, ``street``, ``village``, ``community``).
    parent : str or None
        The parent unit's id; ``None`` at the top.
    """

    id: str
    kind: str
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class UnitGradeInput:
    """A unit's grade from the final results of the period that grades the units.

    Parameters
    ----------
    unit : str
        Unit id.
    grade : str
        The grade code of the unit in that period (``grading.quota_groups[].
        by_unit_grade.shares`` maps it to a share).
    """

    unit: str
    grade: str


@dataclass(frozen=True, slots=True)
class ActualInput:
    """The actual value of one quantitative indicator for one cadre."""

    cadre: str
    indicator: str
    value: float


@dataclass(frozen=True, slots=True)
class RatingInput:
    """One assessor's value (0–100, the rubric level's value) for one cadre's indicator."""

    assessor: str
    cadre: str
    indicator: str
    value: float


@dataclass(frozen=True, slots=True)
class EventInput:
    """One recorded bonus, penalty or veto event (``id`` unique per event).

    ``points`` is what the team recorded for a bonus or penalty event (at most the
    rulebook's points per event); None means the rulebook's points per event.
    """

    id: str
    cadre: str
    indicator: str
    points: float | None = None


@dataclass(frozen=True, slots=True, eq=False)
class SurveyTargetInput:
    """The responses counted for one survey indicator about one target.

    Parameters
    ----------
    indicator : str
        Code of the survey indicator.
    target : str
        Cadre id (subject ``cadre``) or unit id (subject ``unit``).
    scores : numpy.ndarray of float64
        Response scores 0–100 (``surveys.core.tally.compute_response_scores``); NaN
        for a response with no answered item (invalid, counted apart).
    unit_ids : numpy.ndarray or None
        Unit of each response (needed for post-stratification).
    n_excluded : int
        Responses the team excluded by a recorded decision (not in ``scores``).
    """

    indicator: str
    target: str
    scores: FloatArray
    unit_ids: npt.NDArray[Any] | None = None
    n_excluded: int = 0


@dataclass(frozen=True, slots=True)
class BallotInput:
    """The grade ballots one voter group cast about one target of a ballot indicator.

    Parameters
    ----------
    indicator : str
        Code of the survey indicator whose ``sources.method`` is ``ballot``.
    target : str
        Cadre id (subject ``cadre``) or unit id (subject ``unit``).
    group : str
        Voter group code (one of the indicator's ``sources.groups``).
    votes : dict of str to int
        Valid ballots per grade code.
    abstentions : int
        Ballots that picked no grade.
    eligible : int or None
        Voters of the group entitled to vote (access codes issued), for a share quorum.
    invalid : int
        Ballot sheets the rulebook's ``validity`` voided (not in ``votes``).
    flagged : int
        Counted sheets (in ``votes`` or ``abstentions``) that broke a ``flag`` rule.
    """

    indicator: str
    target: str
    group: str
    votes: dict[str, int]
    abstentions: int = 0
    eligible: int | None = None
    invalid: int = 0
    flagged: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class SurveyItemsInput:
    """The Likert item matrix of one survey (rows responses, columns items; NaN unanswered)."""

    survey: str
    items: FloatArray


class DecisionKind(StrEnum):
    """What the team decided about a missing input.

    ``score_zero_with_reason``: the indicator scores 0 points (e.g. the cadre did not do
    the task). ``exclude_indicator_reweight``: the indicator is left out and the
    cadre's other weighted indicators are scaled up by ``W / (W - w)`` so that the
    total stays on the same 0–100 scale (e.g. the task did not exist in the unit).
    """

    SCORE_ZERO = "score_zero_with_reason"
    EXCLUDE_REWEIGHT = "exclude_indicator_reweight"


@dataclass(frozen=True, slots=True)
class DecisionInput:
    """A recorded team decision about one missing input, with its written reason."""

    cadre: str
    indicator: str
    kind: DecisionKind
    reason: str


@dataclass(frozen=True, slots=True)
class ChildPeriodInput:
    """A sub-period (平时考核) of the period, whose results ``rollup`` indicators read.

    ``id`` is the child period's key; ``order`` its place in time (by start date).
    """

    id: str
    order: int
    name: str


@dataclass(frozen=True, slots=True)
class ChildResultInput:
    """One cadre's published total and grade in one child period (its final version)."""

    period: str
    cadre: str
    total: float
    grade: str


@dataclass(frozen=True, slots=True, eq=False)
class PeriodInputs:
    """Everything a period's results are computed from (besides the rulebook).

    Every field is a tuple; the order of entries does not matter.
    """

    cadres: tuple[CadreInput, ...]
    units: tuple[UnitInput, ...] = ()
    actuals: tuple[ActualInput, ...] = ()
    ratings: tuple[RatingInput, ...] = ()
    events: tuple[EventInput, ...] = ()
    surveys: tuple[SurveyTargetInput, ...] = ()
    survey_items: tuple[SurveyItemsInput, ...] = ()
    decisions: tuple[DecisionInput, ...] = ()
    ballots: tuple[BallotInput, ...] = ()
    child_periods: tuple[ChildPeriodInput, ...] = ()
    child_results: tuple[ChildResultInput, ...] = ()
    #: the unit tree above the cadres' units and the units' grades: only for a rulebook
    #: whose quota groups split by unit grade (issue 16)
    unit_tree: tuple[UnitNodeInput, ...] = ()
    unit_grades: tuple[UnitGradeInput, ...] = ()


@dataclass(frozen=True, slots=True)
class ResultSettings:
    """Thresholds of the quality flags and the levels of the intervals.

    Parameters
    ----------
    low_agreement : float
        Flag a panel whose ICC(2,k) is below this (default 0.5, "poor" in Koo and Li
        2016).
    leniency_threshold : float
        Flag an assessor beyond ± this many SDs (default 2, DESIGN section 4).
    low_response_rate : float
        Flag a survey target answered by fewer than this share of households
        (default 0.2).
    low_alpha : float
        Flag a survey whose Cronbach's alpha is below this (default 0.7, Nunnally 1978).
    confidence : float
        Level of the survey intervals and of the bootstrap rank interval (0.95).
    satisfied_threshold : float
        A response is satisfied from this score on (default 75, DESIGN section 4).
    """

    low_agreement: float = 0.5
    leniency_threshold: float = 2.0
    low_response_rate: float = 0.2
    low_alpha: float = 0.7
    confidence: float = 0.95
    satisfied_threshold: float = 75.0


# ---------------------------------------------------------------------------
# outputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MissingInput:
    """One input the computation needs and does not have.

    Parameters
    ----------
    kind : str
        ``"actual"`` (quantitative), ``"ratings"`` (qualitative, no rating at all),
        ``"survey_responses"`` (no valid response), ``"indicator_set"`` (the cadre's
        post has none in the rulebook), ``"unit_population"`` (post-stratification
        needs it), ``"child_result"`` (a sub-period a ``rollup`` indicator reads is
        not final, or the cadre has no result in it; ``subject`` is the child's key) or
        ``"unit_grade"`` (a quota group split by unit grade has no grade, or no share,
        for the unit ``subject``; ``indicator`` is the quota group's code).
    cadre : str
        The cadre (``""`` for a unit population or a unit grade).
    indicator : str or None
        The indicator code, when the item is about one.
    subject : str
        The survey target or unit concerned, else ``""``.
    decision : DecisionKind or None
        The recorded decision covering it (only for the first three kinds).
    """

    kind: str
    cadre: str
    indicator: str | None = None
    subject: str = ""
    decision: DecisionKind | None = None


@dataclass(frozen=True, slots=True)
class BallotGroupOutcome:
    """One voter group's ballots about a cadre, as scored.

    Parameters
    ----------
    group : str
        Voter group code.
    weight : float
        Its weight inside the indicator.
    votes : dict of str to int
        Valid ballots per grade (every grade, zeros included).
    abstentions, valid : int
        Abstentions, and valid ballots (``Σ votes``).
    eligible : int or None
        Voters entitled to vote, when known.
    score : float or None
        ``Σ votes × coefficient / valid × 100`` (or the band score) published; ``None``
        below the quorum.
    invalid, flagged : int
        Sheets voided and sheets flagged by the validity rules (0 in results stored
        before they existed).
    """

    group: str
    weight: float
    votes: dict[str, int]
    abstentions: int
    valid: int
    eligible: int | None
    score: float | None
    invalid: int = 0
    flagged: int = 0


@dataclass(frozen=True, slots=True)
class BandOutcome:
    """One band as applied: its threshold (``"0.6"`` or ``"1/3"``) and points."""

    share: str
    points: float


@dataclass(frozen=True, slots=True)
class BallotBandsOutcome:
    """The vote-share bands a ballot indicator was scored by (``boundary`` ≥ or >)."""

    boundary: str
    excellent: tuple[BandOutcome, ...]
    poor: tuple[BandOutcome, ...] = ()


@dataclass(frozen=True, slots=True)
class BallotRuleOutcome:
    """A vote-share rule the valid ballots met.

    Parameters
    ----------
    grades : tuple of str
        The grades whose votes were added up.
    compare : str
        ``above``, ``at_least``, ``below`` or ``at_most``.
    share : str
        The threshold as the rulebook writes it (``"1/3"``, ``"0.3"``).
    then : str
        ``flag`` or ``cap``.
    cap_at : str or None
        The grade it caps at.
    votes, valid : int
        The votes of ``grades`` and all valid ballots, pooled over the groups.
    """

    grades: tuple[str, ...]
    compare: str
    share: str
    then: str
    cap_at: str | None
    votes: int
    valid: int


@dataclass(frozen=True, slots=True)
class BallotOutcome:
    """How a ballot indicator's input was computed (``assessment.core.ballots``).

    Parameters
    ----------
    groups : tuple of BallotGroupOutcome
        In the rulebook's order.
    coefficients : dict of str to float
        Coefficient per grade.
    score : float
        ``Σ w_g × score_g / Σ w_g`` published (the indicator's input).
    incompetent_over_third : bool
        不称职 votes strictly more than one third of all valid ballots.
    rules : tuple of BallotRuleOutcome
        The vote-share rules met (flags and grade caps).
    bands : BallotBandsOutcome or None
        The bands the groups were scored by (``None``: by the coefficients).
    """

    groups: tuple[BallotGroupOutcome, ...]
    coefficients: dict[str, float]
    score: float
    incompetent_over_third: bool
    rules: tuple[BallotRuleOutcome, ...] = ()
    bands: BallotBandsOutcome | None = None


@dataclass(frozen=True, slots=True)
class IndicatorOutcome:
    """How one weighted indicator of one cadre was scored.

    Parameters
    ----------
    code, kind, category : str
        From the rulebook.
    weight : float
        Weight in the rulebook.
    effective_weight : float
        ``weight × W / (W - excluded)`` when indicators were excluded, else ``weight``.
    status : str
        ``"scored"``, ``"score_zero"`` or ``"excluded"`` (the last two by decision).
    input : float or None
        Actual value (quantitative), panel value (qualitative) or satisfaction index.
    method : str or None
        Quantitative method, ``"trimmed_mean"``/``"mean"``, or ``"mean"``/
        ``"poststratified_mean"`` for surveys.
    ratio : float or None
        Achievement ratio ``r``; ``value / 100`` for panels and surveys.
    points : float
        ``effective_weight × ratio`` (0 when scored zero or excluded).
    n : int or None
        Ratings or valid responses used.
    trimmed : bool or None
        Panels: whether the highest and lowest were dropped.
    survey_target : str or None
        Surveys: the target the index is about.
    reason : str or None
        The decision's reason, when a decision applied.
    ballot : BallotOutcome or None
        Ballot indicators: votes, abstentions and scores per voter group.
    children : tuple of ChildOutcome
        Roll-up indicators: each child period's total and grade read (``None`` when
        missing), in time order.
    """

    code: str
    kind: str
    category: str | None
    weight: float
    effective_weight: float
    status: str
    input: float | None
    method: str | None
    ratio: float | None
    points: float
    n: int | None = None
    trimmed: bool | None = None
    survey_target: str | None = None
    reason: str | None = None
    ballot: BallotOutcome | None = None
    children: tuple[ChildOutcome, ...] = ()


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """Recorded events of one bonus, penalty or veto indicator for one cadre."""

    code: str
    kind: str
    count: int
    points: float


@dataclass(frozen=True, slots=True)
class GradeCap:
    """A best grade a cadre may get, and why (the lowest of a cadre's caps wins).

    Parameters
    ----------
    cap : str
        Grade code of the grading scheme: the grade is at most this.
    kind : str
        What set it: ``veto`` (a veto event) or ``ballot_share`` (a ballot
        indicator's vote-share rule). A new source of caps adds a kind here and a
        wording in ``assessment.views.messages.GRADE_CAP_KINDS``.
    source : str
        The indicator (or rule) code that set it.
    detail : str
        Plain numbers behind it, e.g. ``incompetent 5/12 > 1/3``; empty for a veto.
    """

    cap: str
    kind: str
    source: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CadreResult:
    """Everything computed for one cadre.

    Parameters
    ----------
    id, code, name, post, unit, post_group : str
        From the inputs.
    indicators : tuple of IndicatorOutcome
        Weighted indicators, in rulebook order.
    events : tuple of EventOutcome
        Bonus, penalty and veto indicators with at least one event.
    points : float
        ``Σ`` indicator points.
    bonus, penalty : float
        Counted (capped) bonus and penalty.
    bonus_raw, penalty_raw : float
        Uncapped sums of the events.
    bonus_capped, penalty_capped, floored : bool
        Whether a cap bit, and whether the total was raised to 0.
    total : float
        ``max(0, points + bonus - penalty)``.
    survey_key, panel_key : float or None
        Second and third ranking keys: weight-averaged satisfaction index and panel
        value over the scored survey / qualitative indicators.
    vetoes : tuple of str
        Triggered veto indicator codes.
    veto_cap : str or None
        Worst grade any triggered veto caps at.
    rank : int
        Competition rank in the post group.
    earned, grade : str
        Grade by the total alone, and final grade.
    veto_capped, dropped_by_quota, tie_dropped : bool
        What lowered the grade; ``veto_capped``: a grade cap (any of ``caps``, the name
        kept from when a veto was the only cap) lowered it.
    caps : tuple of GradeCap
        Every grade cap that applies, vetoes first (empty in results stored before
        caps were listed: read :attr:`grade_caps`).
    grade_cap : str or None
        The lowest of the caps (the one applied); ``None`` without caps.
    eligibility : tuple of EligibilityCap
        The eligibility rules on the sub-periods' grades that capped the grade, each
        with its reason (:func:`assessment.core.rollup.compute_eligibility_caps`); each
        is also one of ``caps`` (kind ``eligibility``).
    """

    id: str
    code: str
    name: str
    post: str
    unit: str
    post_group: str
    indicators: tuple[IndicatorOutcome, ...]
    events: tuple[EventOutcome, ...]
    points: float
    bonus: float
    penalty: float
    bonus_raw: float
    penalty_raw: float
    bonus_capped: bool
    penalty_capped: bool
    floored: bool
    total: float
    survey_key: float | None
    panel_key: float | None
    vetoes: tuple[str, ...]
    veto_cap: str | None
    rank: int
    earned: str
    grade: str
    veto_capped: bool
    dropped_by_quota: bool
    tie_dropped: bool
    eligibility: tuple[EligibilityCap, ...] = ()
    caps: tuple[GradeCap, ...] = ()
    grade_cap: str | None = None

    @property
    def grade_caps(self) -> tuple[GradeCap, ...]:
        """The caps, also for a result stored when only ``veto_cap`` was kept."""
        if self.caps or self.veto_cap is None:
            return self.caps
        return tuple(GradeCap(self.veto_cap, "veto", code) for code in self.vetoes)

    @property
    def applied_cap(self) -> str | None:
        """The cap applied to the grade (``veto_cap`` in a result stored before caps)."""
        return self.grade_cap if self.caps else self.veto_cap


@dataclass(frozen=True, slots=True)
class SurveyIndexResult:
    """Satisfaction index of one survey indicator's target (see ``surveys.core.tally``)."""

    indicator: str
    subject: str
    target: str
    index: float
    ci_low: float
    ci_high: float
    n: int
    n_invalid: int
    n_excluded: int
    n_effective: float
    weighted: bool
    households: int | None
    response_rate: float | None
    share_satisfied: float
    share_ci_low: float
    share_ci_high: float


@dataclass(frozen=True, slots=True)
class PanelAgreement:
    """Agreement of the panel on one qualitative indicator of one post.

    ``icc2_k`` and ``kendall_w`` are ``None`` with ``status = "insufficient_data"``
    when fewer than two complete cadres or two assessors remain. ``icc2_k_low`` and
    ``icc2_k_high`` are the ends of ICC(2,k)'s confidence interval at the settings'
    level (McGraw and Wong 1996), ``None`` when undefined; results stored before issue 13
    have neither.
    """

    post: str
    indicator: str
    n_cadres: int
    n_assessors: int
    n_dropped: int
    icc2_k: float | None
    kendall_w: float | None
    kendall_p: float | None
    status: str
    icc2_k_low: float | None = None
    icc2_k_high: float | None = None


@dataclass(frozen=True, slots=True)
class AssessorLeniency:
    """An assessor against the rest of the panel over every qualitative rating.

    ``mean_deviation`` is the mean of (own rating − the other assessors' mean) and
    ``standardized`` divides it by ``spread``, the SD of the other assessors'
    leave-one-out differences (:func:`~assessment.core.reliability.compute_leniency`);
    ``None`` in plain form when undefined.
    """

    assessor: str
    mean_deviation: float
    standardized: float
    n_ratings: int
    flagged: bool
    spread: float | None = None


@dataclass(frozen=True, slots=True)
class SurveyReliability:
    """Cronbach's alpha of one survey's Likert items (``None`` when it cannot be computed)."""

    survey: str
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    n_respondents: int
    k_items: int
    n_dropped: int


@dataclass(frozen=True, slots=True)
class Flag:
    """A quality note shown beside the scores (never applied to them).

    Parameters
    ----------
    code : str
        ``low_agreement``, ``lenient_assessor``, ``severe_assessor``,
        ``low_response_rate``, ``low_alpha``, ``excluded_responses``,
        ``decision_applied``, ``ballot_share`` (a ballot indicator's vote-share rule
        met, flag or cap; value the share, threshold the rule's; subject the cadre),
        ``invalid_ballots`` (a ballot indicator's sheets voided by the validity rules;
        value their count), ``incompetent_over_third`` (results stored before
        ``ballot_share``).
    subject_kind : str
        ``panel`` (subject = post code), ``assessor``, ``survey_target``, ``survey``
        or ``cadre``.
    subject : str
        The id it is about.
    indicator : str or None
        The indicator concerned.
    value, threshold : float or None
        The value that raised the flag and the threshold it crossed.
    """

    code: str
    subject_kind: str
    subject: str
    indicator: str | None = None
    value: float | None = None
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class PeriodResult:
    """The results of one period, with every intermediate value.

    Parameters
    ----------
    rules_digest, data_digest : str
        SHA-256 of the canonical rulebook and of
        :func:`~assessment.core.results.canonical_inputs`.
    cadres : tuple of CadreResult
        Sorted by post group, rank and id.
    groups : tuple of GroupQuota
        Quota outcome per post group.
    tie_dropped : tuple of str
        Ids dropped by the tie rule (empty when it did not happen).
    surveys : tuple of SurveyIndexResult
        Per survey indicator and target, sorted.
    agreement : tuple of PanelAgreement
        Per post and qualitative indicator.
    leniency : tuple of AssessorLeniency
        Per assessor (empty with fewer than two assessors).
    reliability : tuple of SurveyReliability
        Per survey with an item matrix.
    flags : tuple of Flag
        Sorted.
    missing : tuple of MissingInput
        The missing inputs, each with the decision that covered it.
    unused_decisions : tuple of DecisionInput
        Decisions recorded for inputs that were in fact present (ignored).
    confidence : ConfidenceResult or None
        Bootstrap grade confidence (``None`` when ``resamples = 0``).
    settings : ResultSettings
    precision : Precision
        The rulebook's declared precision: every published number of the result
        (points, totals, indices, panel values, shares) is rounded to it.
    """

    rules_digest: str
    data_digest: str
    cadres: tuple[CadreResult, ...]
    groups: tuple[GroupQuota, ...]
    tie_dropped: tuple[str, ...]
    surveys: tuple[SurveyIndexResult, ...]
    agreement: tuple[PanelAgreement, ...]
    leniency: tuple[AssessorLeniency, ...]
    reliability: tuple[SurveyReliability, ...]
    flags: tuple[Flag, ...]
    missing: tuple[MissingInput, ...]
    unused_decisions: tuple[DecisionInput, ...]
    confidence: ConfidenceResult | None
    settings: ResultSettings = field(default_factory=ResultSettings)
    precision: Precision = DEFAULT_PRECISION

    def cadre(self, cadre_id: str) -> CadreResult:
        """Return one cadre's result; raises ``KeyError`` when absent."""
        for item in self.cadres:
            if item.id == cadre_id:
                return item
        raise KeyError(cadre_id)


# ---------------------------------------------------------------------------
# plain form
# ---------------------------------------------------------------------------


def record_to_plain(value: Any) -> Any:
    """A record (or tuple, mapping, number) as plain data, as :func:`result_to_plain` writes it."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: record_to_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): record_to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [record_to_plain(v) for v in value]
    if isinstance(value, bool | str | int) or value is None:
        return value
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number + 0.0
    if isinstance(value, np.integer):
        return int(value)
    raise TypeError(f"cannot make {type(value).__name__} plain")


def result_to_plain(result: PeriodResult) -> dict[str, Any]:
    """The result as plain JSON-ready data (dicts, lists, str, int, float, None).

    Parameters
    ----------
    result : PeriodResult

    Returns
    -------
    dict
        Field names as keys; NaN and infinities become ``None``; ``-0.0`` becomes
        ``0.0``. ``canonical_json(result_to_plain(r))`` is what a result version stores.

    Examples
    --------
    >>> from assessment.core.rulebook import (DEFAULT_GRADES, Aggregation, Category,
    ...     GradingScheme, Indicator, IndicatorKind, IndicatorSet, Label, Rulebook)
    >>> L = Label("例", "e.g.")
    >>> q = Indicator("Q", L, IndicatorKind.QUANTITATIVE, "c", 100.0, method="binary")
    >>> rb = Rulebook(L, GradingScheme(DEFAULT_GRADES), Aggregation(), (),
    ...               (IndicatorSet("P", L, (Category("c", L, 100.0),), (q,)),))
    >>> from assessment.core.results import compute_period_results
    >>> inputs = PeriodInputs(cadres=(CadreInput("a", "1", "A", "P", "u"),),
    ...                       actuals=(ActualInput("a", "Q", 1),))
    >>> plain = result_to_plain(compute_period_results(rb, inputs, resamples=0))
    >>> plain["cadres"][0]["indicators"][0]["points"], plain["confidence"]
    (100.0, None)
    """
    plain = record_to_plain(result)
    if not isinstance(plain, dict):
        raise TypeError("result is not a dataclass")
    return plain


T = TypeVar("T")


@cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _read(hint: Any, value: Any, path: str) -> Any:
    """``value`` read as ``hint`` (the inverse of :func:`_plain` for one field)."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        inner = [a for a in options if a is not type(None)]
        if len(inner) != 1:
            raise InvalidParameterError(path, value, "ambiguous_type")
        return _read(inner[0], value, path)
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, list):
            raise InvalidParameterError(path, value, "not_a_list")
        if len(args) != 2 or args[1] is not Ellipsis:
            raise InvalidParameterError(path, hint, "unreadable_type")
        return tuple(_read(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        key_type, value_type = typing.get_args(hint)
        if not isinstance(value, dict):
            raise InvalidParameterError(path, value, "not_a_mapping")
        return {
            _read(key_type, k, f"{path}.{k}"): _read(value_type, v, f"{path}.{k}")
            for k, v in value.items()
        }
    if isinstance(hint, type) and is_dataclass(hint):
        return _record(hint, value, path)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        try:
            return hint(value)
        except ValueError:
            raise InvalidParameterError(path, value, "unknown_code") from None
    if hint is float:
        # NaN and infinities were written as None (result_to_plain)
        if value is None:
            return math.nan
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidParameterError(path, value, "not_a_number")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidParameterError(path, value, "not_an_integer")
        return value
    if hint is bool or hint is str:
        if not isinstance(value, hint):
            raise InvalidParameterError(path, value, f"not_a_{hint.__name__}")
        return value
    raise InvalidParameterError(path, hint, "unreadable_type")


def _record(cls: type[T], value: Any, path: str) -> T:
    if not isinstance(value, Mapping):
        raise InvalidParameterError(path or cls.__name__, value, "not_a_mapping")
    hints = _field_types(typing.cast(type, cls))
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(value) - known)
    if unknown:
        raise InvalidParameterError(
            f"{path}.{unknown[0]}".lstrip("."), value[unknown[0]], "unknown_field"
        )
    arguments: dict[str, Any] = {}
    for item in fields(cls):  # type: ignore[arg-type]
        where = f"{path}.{item.name}".lstrip(".")
        if item.name in value:
            arguments[item.name] = _read(hints[item.name], value[item.name], where)
        elif item.default is MISSING and item.default_factory is MISSING:
            raise InvalidParameterError(where, None, "missing_field")
    return cls(**arguments)


def result_from_plain(plain: Mapping[str, Any]) -> PeriodResult:
    """Read a stored result back into its typed records: the inverse of :func:`result_to_plain`.

    Parameters
    ----------
    plain : mapping
        ``result_to_plain(result)``, or the same read back from its JSON (a result
        version's ``payload["result"]``).

    Returns
    -------
    PeriodResult
        The records, with ``result_to_plain(result_from_plain(plain)) == plain`` for a
        result written by the current engine. A field the plain form lacks takes its
        default (results stored before issue 13: precision two decimals half-up, no
        agreement interval, no leniency spread); a number written as ``None`` because
        it was NaN reads as NaN.

    Raises
    ------
    InvalidParameterError
        Naming the path of the first field that is missing, unknown, or of the wrong
        type (``cadres[2].total``).

    Examples
    --------
    >>> from assessment.core.rulebook import (DEFAULT_GRADES, Aggregation, Category,
    ...     GradingScheme, Indicator, IndicatorKind, IndicatorSet, Label, Rulebook)
    >>> from assessment.core.results import compute_period_results
    >>> L = Label("例", "e.g.")
    >>> q = Indicator("Q", L, IndicatorKind.QUANTITATIVE, "c", 100.0, method="binary")
    >>> rb = Rulebook(L, GradingScheme(DEFAULT_GRADES), Aggregation(), (),
    ...               (IndicatorSet("P", L, (Category("c", L, 100.0),), (q,)),))
    >>> inputs = PeriodInputs(cadres=(CadreInput("a", "1", "A", "P", "u"),),
    ...                       actuals=(ActualInput("a", "Q", 1),))
    >>> plain = result_to_plain(compute_period_results(rb, inputs, resamples=0))
    >>> result = result_from_plain(plain)
    >>> result.cadre("a").indicators[0].points, result.precision.places
    (100.0, 2)
    >>> result_to_plain(result) == plain
    True
    """
    return _record(PeriodResult, plain, "")
