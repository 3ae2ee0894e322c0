"""The results engine: from a rulebook and a period's inputs to every published number.

:func:`compute_period_results` takes a :class:`~assessment.core.rulebook.Rulebook` and a
:class:`PeriodInputs` (plain frozen records and numpy arrays, no database) and returns a
:class:`PeriodResult` that keeps every intermediate value: each indicator's input,
method, ratio and points; panel values; satisfaction indices with their intervals;
totals, ranks and grades per post group with the quota and tie records; panel agreement,
assessor leniency, Cronbach's alpha; flags; and the bootstrap grade confidence
(:mod:`assessment.core.confidence`).

Missing inputs are never silent zeros. :func:`find_missing_inputs` lists what is
missing; each item needs a recorded team decision (:class:`DecisionKind`) or
:func:`compute_period_results` raises :class:`IncompleteInputsError` with the list.

The survey statistics (index, t-interval, Wilson interval, post-stratification) live in
``surveys.core.tally``, which builds on this package; this package may not import it
(the layering rule checked by ``tests/test_architecture.py``). So the caller passes
the one implementation in as ``summarise_survey`` (any function with the signature of
``surveys.core.tally.summarise_targets``): one formula, one place, injected.

:func:`canonical_inputs` and :func:`compute_data_digest` give the data digest of
DESIGN section 5. The records the engine reads and writes, and their plain form both
ways (``result_to_plain``, ``result_from_plain``), are in :mod:`assessment.core.records`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from assessment.core.ballots import (
    BallotBands,
    BallotResult,
    GroupBallots,
    Quorum,
    TriggeredRule,
    compute_ballot_result,
    share_text,
)
from assessment.core.canonical_arrays import distinct_response_counts, sorted_rows_sha256
from assessment.core.confidence import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    BootstrapModel,
    PanelSample,
    SurveyLink,
    SurveySample,
    compute_grade_confidence,
    start_survey_draws,
)
from assessment.core.digest import canonical_json, sha256_hex
from assessment.core.errors import AssessmentError, InsufficientDataError, InvalidParameterError
from assessment.core.precision import Precision, exact
from assessment.core.records import (
    AssessorLeniency,
    BallotBandsOutcome,
    BallotGroupOutcome,
    BallotInput,
    BallotOutcome,
    BallotRuleOutcome,
    BandOutcome,
    CadreInput,
    CadreResult,
    ChildPeriodInput,
    DecisionInput,
    DecisionKind,
    EventOutcome,
    Flag,
    GradeCap,
    IndicatorOutcome,
    MissingInput,
    PanelAgreement,
    PeriodInputs,
    PeriodResult,
    ResultSettings,
    SurveyIndexResult,
    SurveyReliability,
    SurveyTargetInput,
    UnitInput,
    UnitNodeInput,
)
from assessment.core.reliability import (
    compute_cronbach_alpha,
    compute_icc,
    compute_kendall_w,
    compute_leniency,
)
from assessment.core.rollup import (
    ChildOutcome,
    EligibilityCap,
    compute_eligibility_caps,
    compute_rollup,
)
from assessment.core.rulebook import (
    Indicator,
    IndicatorKind,
    IndicatorSet,
    Rulebook,
    VoterGroupWeight,
    quantitative_rule,
    rules_digest,
)
from assessment.core.scoring import (
    CadreGrade,
    GradingCandidate,
    GradingResult,
    QuotaRule,
    TotalResult,
    assign_grades,
    compute_qualitative_points,
    compute_quantitative_points,
    compute_survey_points,
    compute_total,
)
from assessment.core.voter_groups import GroupIndex, compute_group_weighted_index, group_target

__all__ = [
    "IncompleteInputsError",
    "SurveySummariser",
    "SurveySummaryLike",
    "canonical_inputs",
    "compute_data_digest",
    "compute_period_results",
    "find_missing_inputs",
]

FloatArray = npt.NDArray[np.float64]


# ---------------------------------------------------------------------------
# the injected survey statistics
# ---------------------------------------------------------------------------


class SurveySummaryLike(Protocol):
    """What the results need from one target's satisfaction summary."""

    @property
    def index(self) -> float: ...
    @property
    def ci_low(self) -> float: ...
    @property
    def ci_high(self) -> float: ...
    @property
    def n(self) -> int: ...
    @property
    def n_invalid(self) -> int: ...
    @property
    def n_effective(self) -> float: ...
    @property
    def weighted(self) -> bool: ...
    @property
    def households(self) -> int | None: ...
    @property
    def response_rate(self) -> float | None: ...
    @property
    def share_satisfied(self) -> float: ...
    @property
    def share_ci_low(self) -> float: ...
    @property
    def share_ci_high(self) -> float: ...


class SurveySummariser(Protocol):
    """The signature of ``surveys.core.tally.summarise_targets``."""

    def __call__(
        self,
        target_ids: npt.ArrayLike,
        scores: npt.ArrayLike,
        *,
        unit_ids: npt.ArrayLike | None = None,
        unit_populations: Mapping[Hashable, float] | None = None,
        households: Mapping[Hashable, int] | None = None,
        confidence: float = 0.95,
        satisfied_threshold: float = 75.0,
    ) -> Mapping[Hashable, SurveySummaryLike]: ...


class IncompleteInputsError(AssessmentError):
    """Inputs are missing and no decision was recorded for them.

    Attributes
    ----------
    missing : tuple of MissingInput
        Every undecided missing input, sorted.
    """

    code = "incomplete_inputs"

    def __init__(self, missing: tuple[MissingInput, ...]) -> None:
        self.missing = missing
        shown = ", ".join(f"{m.kind}:{m.cadre}/{m.indicator or m.subject}" for m in missing[:5])
        more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
        super().__init__(f"{len(missing)} missing inputs without a decision: {shown}{more}")


# ---------------------------------------------------------------------------
# checking and indexing the inputs
# ---------------------------------------------------------------------------


def _subject(indicator: Indicator) -> str:
    return indicator.subject or "cadre"


def _survey_target(indicator: Indicator, cadre: CadreInput) -> str:
    return cadre.unit if _subject(indicator) == "unit" else cadre.id


@dataclass(slots=True)
class _Index:
    """The inputs checked, deduplicated and keyed (internal)."""

    cadres: dict[str, CadreInput]
    sets: dict[str, IndicatorSet]
    units: dict[str, UnitInput]
    actuals: dict[tuple[str, str], float]
    ratings: dict[tuple[str, str], dict[str, float]]
    events: dict[tuple[str, str], list[float]]
    surveys: dict[tuple[str, str], SurveyTargetInput]
    decisions: dict[tuple[str, str], DecisionInput]
    #: (indicator, target) -> voter group -> its ballots
    ballots: dict[tuple[str, str], dict[str, BallotInput]] = field(default_factory=dict)
    #: the sub-periods in time order, and (child, cadre) -> (published total, grade)
    children: tuple[ChildPeriodInput, ...] = ()
    child_results: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    #: unit id -> its node (kind, parent) and its grade, for quota groups split by unit
    unit_tree: dict[str, UnitNodeInput] = field(default_factory=dict)
    unit_grades: dict[str, str] = field(default_factory=dict)

    def child_outcomes(self, cadre_id: str) -> tuple[ChildOutcome, ...]:
        """The cadre's result in each sub-period (total and grade ``None`` when missing)."""
        outcomes = []
        for child in self.children:
            found = self.child_results.get((child.id, cadre_id))
            total, grade = found if found is not None else (None, None)
            outcomes.append(ChildOutcome(child.id, child.order, total, grade))
        return tuple(outcomes)


def _fail(name: str, value: object, reason: str) -> InvalidParameterError:
    return InvalidParameterError(name, value, reason)


def _index(rulebook: Rulebook, inputs: PeriodInputs) -> _Index:
    cadres: dict[str, CadreInput] = {}
    for cadre in inputs.cadres:
        if cadre.id in cadres:
            raise _fail("cadres", cadre.id, "duplicate")
        cadres[cadre.id] = cadre
    sets = {s.post: s for s in rulebook.indicator_sets}
    units: dict[str, UnitInput] = {}
    for unit in inputs.units:
        if unit.id in units:
            raise _fail("units", unit.id, "duplicate")
        units[unit.id] = unit

    def indicator_of(name: str, cadre_id: str, code: str, kinds: set[str]) -> Indicator:
        cadre = cadres.get(cadre_id)
        if cadre is None:
            raise _fail(name, (cadre_id, code), "unknown_cadre")
        indicator_set = sets.get(cadre.post)
        if indicator_set is None:
            raise _fail(name, (cadre_id, code), "no_indicator_set")
        try:
            indicator = indicator_set.indicator(code)
        except KeyError:
            raise _fail(name, (cadre_id, code), "unknown_indicator") from None
        if indicator.kind not in kinds:
            raise _fail(name, (cadre_id, code), f"not_{'_or_'.join(sorted(kinds))}")
        return indicator

    actuals: dict[tuple[str, str], float] = {}
    for actual in inputs.actuals:
        indicator_of("actuals", actual.cadre, actual.indicator, {"quantitative"})
        key = (actual.cadre, actual.indicator)
        if key in actuals:
            raise _fail("actuals", key, "duplicate")
        actuals[key] = actual.value
    ratings: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for rating in inputs.ratings:
        indicator_of("ratings", rating.cadre, rating.indicator, {"qualitative"})
        panel = ratings[(rating.cadre, rating.indicator)]
        if rating.assessor in panel:
            raise _fail("ratings", (rating.assessor, rating.cadre, rating.indicator), "duplicate")
        value = float(rating.value)
        if not 0.0 <= value <= 100.0:
            raise _fail(
                "ratings", (rating.assessor, rating.cadre, rating.indicator), "outside_0_100"
            )
        panel[rating.assessor] = value
    events: dict[tuple[str, str], list[float]] = defaultdict(list)
    seen_events: set[str] = set()
    for event in inputs.events:
        indicator = indicator_of(
            "events", event.cadre, event.indicator, {"bonus", "penalty", "veto"}
        )
        if event.id in seen_events:
            raise _fail("events", event.id, "duplicate")
        seen_events.add(event.id)
        per_event = float(indicator.points or 0.0)
        if event.points is not None and not 0 <= event.points <= per_event:
            raise _fail("events", event.id, "points_outside_rulebook")
        events[(event.cadre, event.indicator)].append(
            per_event if event.points is None else float(event.points)
        )
    survey_codes = {
        i.code for s in rulebook.indicator_sets for i in s.indicators if i.kind == "survey"
    }
    surveys: dict[tuple[str, str], SurveyTargetInput] = {}
    for data in inputs.surveys:
        key = (data.indicator, data.target)
        if data.indicator not in survey_codes:
            raise _fail("surveys", key, "not_a_survey_indicator")
        if key in surveys:
            raise _fail("surveys", key, "duplicate")
        if data.scores.ndim != 1:
            raise _fail("surveys", key, "scores_not_1d")
        if data.unit_ids is not None and data.unit_ids.shape != data.scores.shape:
            raise _fail("surveys", key, "unit_ids_length_differs")
        if isinstance(data.n_excluded, bool) or data.n_excluded < 0:
            raise _fail("surveys", key, "n_excluded_negative")
        surveys[key] = data
    decisions: dict[tuple[str, str], DecisionInput] = {}
    for decision in inputs.decisions:
        key = (decision.cadre, decision.indicator)
        indicator_of("decisions", *key, {"quantitative", "qualitative", "survey", "rollup"})
        try:
            DecisionKind(decision.kind)
        except ValueError:
            raise _fail("decisions", decision.kind, "unknown_decision_kind") from None
        if not decision.reason.strip():
            raise _fail("decisions", key, "reason_required")
        if key in decisions:
            raise _fail("decisions", key, "duplicate")
        decisions[key] = decision
    ballots = _index_ballots(rulebook, inputs)
    children, child_results = _index_children(inputs, cadres)
    unit_tree: dict[str, UnitNodeInput] = {}
    for node in inputs.unit_tree:
        if node.id in unit_tree:
            raise _fail("unit_tree", node.id, "duplicate")
        unit_tree[node.id] = node
    unit_grades: dict[str, str] = {}
    for unit_grade in inputs.unit_grades:
        if unit_grade.unit in unit_grades:
            raise _fail("unit_grades", unit_grade.unit, "duplicate")
        unit_grades[unit_grade.unit] = unit_grade.grade
    return _Index(
        cadres,
        sets,
        units,
        actuals,
        dict(ratings),
        dict(events),
        surveys,
        decisions,
        ballots,
        children,
        child_results,
        unit_tree,
        unit_grades,
    )


@dataclass(frozen=True, slots=True)
class _QuotaPlan:
    """Each cadre's grading group and the groups' own quota rules (internal)."""

    group_of: dict[str, str]
    rules: dict[str, QuotaRule]
    missing: tuple[MissingInput, ...]


def _graded_unit(index: _Index, unit: str, kind: str) -> str | None:
    """The nearest unit of ``kind`` at or above ``unit`` in the unit tree, or ``None``."""
    seen: set[str] = set()
    current: str | None = unit
    while current is not None and current not in seen:
        seen.add(current)
        node = index.unit_tree.get(current)
        if node is None:
            return None
        if node.kind == kind:
            return current
        current = node.parent
    return None


def _quota_plan(rulebook: Rulebook, index: _Index) -> _QuotaPlan:
    """Where each cadre is graded, from the rulebook's quota groups (issue 16).

    A post in no quota group is graded in its own post group with ``top_quota``. A
    post in a group with ``top_quota`` is graded in the group (code as ``post_group``)
    over every unit of the scope. A group ``by_unit_grade`` is split per unit of its
    ``unit_kind`` (``post_group`` ``code@unit``), and each part's share is the share of
    that unit's grade; a unit with no grade, or a grade with no share, is a missing
    input (kind ``unit_grade``) that no decision covers.
    """
    grading = rulebook.grading
    group_of: dict[str, str] = {}
    rules: dict[str, QuotaRule] = {}
    missing: set[MissingInput] = set()
    for cadre_id in sorted(index.cadres):
        cadre = index.cadres[cadre_id]
        group = grading.quota_group_of(cadre.post)
        if group is None:
            group_of[cadre_id] = cadre.group
            continue
        if not group.by_unit_grade:
            group_of[cadre_id] = group.code
            rules[group.code] = QuotaRule(group.top_quota, group.rounding, group.code)
            continue
        unit = _graded_unit(index, cadre.unit, group.unit_kind or "")
        if unit is None:
            missing.add(MissingInput("unit_grade", cadre_id, group.code, cadre.unit))
            continue
        grade = index.unit_grades.get(unit)
        share = None if grade is None else group.share_of(grade)
        if share is None:
            missing.add(MissingInput("unit_grade", "", group.code, unit))
            continue
        key = f"{group.code}@{unit}"
        group_of[cadre_id] = key
        rules[key] = QuotaRule(share, group.rounding, group.code, unit, grade)
    return _QuotaPlan(group_of, rules, tuple(sorted(missing, key=_missing_order)))


def _missing_order(m: MissingInput) -> tuple[str, str, str, str]:
    return (m.kind, m.cadre, m.indicator or "", m.subject)


def _index_children(
    inputs: PeriodInputs, cadres: Mapping[str, CadreInput]
) -> tuple[tuple[ChildPeriodInput, ...], dict[tuple[str, str], tuple[float, str]]]:
    """The sub-periods in time order, and each cadre's published total and grade in them."""
    ids = [c.id for c in inputs.child_periods]
    if len(set(ids)) != len(ids):
        raise _fail("child_periods", ids, "duplicate")
    results: dict[tuple[str, str], tuple[float, str]] = {}
    for entry in inputs.child_results:
        key = (entry.period, entry.cadre)
        if entry.period not in ids:
            raise _fail("child_results", key, "unknown_child_period")
        if key in results:
            raise _fail("child_results", key, "duplicate")
        if not math.isfinite(entry.total) or entry.total < 0:
            raise _fail("child_results", key, "total_not_finite")
        # a child result for a cadre not assessed here is simply not read
        if entry.cadre in cadres:
            results[key] = (float(entry.total), entry.grade)
    order = tuple(sorted(inputs.child_periods, key=lambda c: (c.order, c.id)))
    return order, results


def _is_ballot(indicator: Indicator) -> bool:
    return indicator.sources is not None and indicator.sources.method == "ballot"


def _satisfaction_groups(indicator: Indicator) -> tuple[VoterGroupWeight, ...]:
    """The weighted voter groups of a satisfaction indicator (none: it reads one pool)."""
    if indicator.sources is None or indicator.sources.method != "satisfaction":
        return ()
    return indicator.sources.groups


def _group_keys(indicator: Indicator, target: str) -> list[tuple[str, str]]:
    """The survey keys of a grouped satisfaction indicator's groups about ``target``."""
    groups = _satisfaction_groups(indicator)
    return [(indicator.code, group_target(target, g.group)) for g in groups]


def _index_ballots(
    rulebook: Rulebook, inputs: PeriodInputs
) -> dict[tuple[str, str], dict[str, BallotInput]]:
    """Ballots keyed by indicator and target, then group; each checked against the rules."""
    groups_of = {
        i.code: {g.group for g in i.sources.groups}
        for s in rulebook.indicator_sets
        for i in s.indicators
        if _is_ballot(i) and i.sources is not None
    }
    ballots: dict[tuple[str, str], dict[str, BallotInput]] = defaultdict(dict)
    for entry in inputs.ballots:
        key = (entry.indicator, entry.target)
        if entry.indicator not in groups_of:
            raise _fail("ballots", key, "not_a_ballot_indicator")
        if entry.group not in groups_of[entry.indicator]:
            raise _fail("ballots", (*key, entry.group), "group_not_in_sources")
        if entry.group in ballots[key]:
            raise _fail("ballots", (*key, entry.group), "duplicate")
        counts = [entry.abstentions, entry.invalid, entry.flagged, *entry.votes.values()]
        if entry.eligible is not None:
            counts.append(entry.eligible)
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in counts):
            raise _fail("ballots", (*key, entry.group), "not_a_count")
        ballots[key][entry.group] = entry
    return dict(ballots)


def _ballot_result(
    indicator: Indicator, target: str, index: _Index, precision: Precision
) -> BallotResult:
    """The ballot indicator's groups scored and weighted (:mod:`assessment.core.ballots`).

    A share quorum needs the number of eligible voters: a group whose number is not
    known (no access codes issued) does not meet it.
    """
    sources = indicator.sources
    if sources is None:
        raise _fail("sources", indicator.code, "not_a_ballot_indicator")
    entries = index.ballots.get((indicator.code, target), {})
    groups = []
    for g in sources.groups:
        entry = entries.get(g.group)
        if entry is None:
            continue
        eligible = entry.eligible
        if sources.quorum_share is not None and not eligible:
            # unknown electorate: no share can be met, so the group is missing
            eligible = 0
        groups.append(
            GroupBallots(
                entry.group,
                entry.votes,
                entry.abstentions,
                eligible,
                entry.invalid,
                entry.flagged,
            )
        )
    return compute_ballot_result(
        groups,
        [(g.group, g.weight) for g in sources.groups],
        coefficients=sources.coefficient_of,
        quorum=Quorum(sources.min_responses, sources.quorum_share),
        precision=precision,
        bands=sources.bands,
        rules=sources.share_rules,
    )


def _valid_count(data: SurveyTargetInput | None) -> int:
    if data is None:
        return 0
    return int(np.count_nonzero(~np.isnan(np.asarray(data.scores, dtype=np.float64))))


def _find_missing(rulebook: Rulebook, index: _Index) -> list[MissingInput]:
    missing: list[MissingInput] = []
    needed_units: set[str] = set()
    for cadre_id in sorted(index.cadres):
        cadre = index.cadres[cadre_id]
        indicator_set = index.sets.get(cadre.post)
        if indicator_set is None:
            missing.append(MissingInput("indicator_set", cadre_id, None, cadre.post))
            continue
        for indicator in indicator_set.indicators:
            key = (cadre_id, indicator.code)
            decision = index.decisions.get(key)
            kind = decision.kind if decision is not None else None
            if indicator.kind == "quantitative":
                value = index.actuals.get(key)
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    missing.append(MissingInput("actual", cadre_id, indicator.code, "", kind))
            elif indicator.kind == "qualitative" and not index.ratings.get(key):
                missing.append(MissingInput("ratings", cadre_id, indicator.code, "", kind))
            elif indicator.kind == "rollup":
                missing.extend(
                    MissingInput("child_result", cadre_id, indicator.code, child.period, kind)
                    for child in index.child_outcomes(cadre_id) or _NO_CHILD
                    if child.is_missing
                )
            elif indicator.kind == "survey" and _is_ballot(indicator):
                target = _survey_target(indicator, cadre)
                result = _ballot_result(indicator, target, index, rulebook.precision)
                missing.extend(
                    MissingInput(
                        "survey_responses", cadre_id, indicator.code, f"{target}/{g}", kind
                    )
                    for g in result.missing_groups
                )
            elif indicator.kind == "survey":
                target = _survey_target(indicator, cadre)
                least = indicator.sources.min_responses if indicator.sources is not None else 1
                # a grouped indicator needs each group's responses, as a ballot each group's
                for key in _group_keys(indicator, target) or [(indicator.code, target)]:
                    data = index.surveys.get(key)
                    if _valid_count(data) < least:
                        missing.append(
                            MissingInput("survey_responses", cadre_id, indicator.code, key[1], kind)
                        )
                    elif rulebook.aggregation.post_stratification and data is not None:
                        if data.unit_ids is None:
                            missing.append(
                                MissingInput("unit_population", "", indicator.code, key[1])
                            )
                        else:
                            valid = ~np.isnan(data.scores)
                            needed_units.update(str(u) for u in pd.unique(data.unit_ids[valid]))
    for unit_id in sorted(needed_units):
        unit = index.units.get(unit_id)
        if unit is None or unit.population is None or not unit.population > 0:
            missing.append(MissingInput("unit_population", "", None, unit_id))
    missing.extend(_quota_plan(rulebook, index).missing)
    return missing


#: A roll-up with no sub-period at all: one missing child, named "" (it needs a decision).
_NO_CHILD = (ChildOutcome("", 0, None, None),)


def find_missing_inputs(rulebook: Rulebook, inputs: PeriodInputs) -> tuple[MissingInput, ...]:
    """List every input the computation needs and does not have.

    Parameters
    ----------
    rulebook : Rulebook
        The period's published rulebook.
    inputs : PeriodInputs
        The period's inputs.

    Returns
    -------
    tuple of MissingInput
        Sorted by kind, cadre, indicator and subject; each carries the recorded
        decision that covers it, or ``None``. Only items with ``decision is None`` stop
        :func:`compute_period_results`.

    Raises
    ------
    InvalidParameterError
        When an input refers to an unknown cadre or indicator, or is duplicated.

    Notes
    -----
    Missing means: a quantitative indicator without an actual value (``None`` or NaN);
    a qualitative indicator without any rating; a survey indicator whose target has
    no valid response; a roll-up indicator's sub-period without a result for the cadre
    (not final yet, or the cadre not assessed in it); a cadre whose post has no indicator set; with
    post-stratification on, a responding unit without a population (or responses
    without unit ids). Vetoes, bonuses and penalties are events: none recorded means
    none happened, so they are never missing.

    References
    ----------
    DESIGN.md section 4: "A missing actual is an error shown to the team, never a
    silent zero."

    Examples
    --------
    >>> from assessment.core.rulebook import (DEFAULT_GRADES, Aggregation, Category,
    ...     GradingScheme, Indicator, IndicatorKind, IndicatorSet, Label, Rulebook)
    >>> L = Label("例", "e.g.")
    >>> q = Indicator("Q", L, IndicatorKind.QUANTITATIVE, "c", 100.0, method="binary")
    >>> rb = Rulebook(L, GradingScheme(DEFAULT_GRADES), Aggregation(), (),
    ...               (IndicatorSet("P", L, (Category("c", L, 100.0),), (q,)),))
    >>> inputs = PeriodInputs(cadres=(CadreInput("c1", "001", "Li", "P", "u1"),))
    >>> [(m.kind, m.cadre, m.indicator) for m in find_missing_inputs(rb, inputs)]
    [('actual', 'c1', 'Q')]
    """
    found = _find_missing(rulebook, _index(rulebook, inputs))
    return tuple(sorted(found, key=lambda m: (m.kind, m.cadre, m.indicator or "", m.subject)))


# ---------------------------------------------------------------------------
# canonical inputs and the data digest
# ---------------------------------------------------------------------------


def _num(value: float | int | None) -> int | float | None:
    """A number written the one reproducible way: integral values as integers.

    ``85`` and ``85.0`` give the same digest; other floats are written by ``json``
    as the shortest decimal that reads back to the same double (``repr``), which is
    the same on every IEEE 754 platform; ``-0.0`` is ``0``; NaN is ``None``.
    """
    if value is None:
        return None
    number = float(value)
    if math.isnan(number):
        return None
    if number.is_integer() and abs(number) < 2**53:
        return int(number)
    return number


def _response_histogram(data: SurveyTargetInput) -> list[list[Any]]:
    """Distinct (unit, score) pairs of the valid responses with their counts, sorted."""
    pairs = distinct_response_counts(np.asarray(data.scores, dtype=np.float64), data.unit_ids)
    return [[unit, _num(score), count] for unit, score, count in pairs]


def _items_digest(items: FloatArray) -> dict[str, Any]:
    """Size and SHA-256 of an item matrix with its rows in sorted order."""
    x = np.asarray(items, dtype=np.float64)
    if x.ndim != 2:
        raise _fail("survey_items", x.shape, "not_a_2d_matrix")
    return sorted_rows_sha256(x)


def canonical_inputs(inputs: PeriodInputs) -> dict[str, Any]:
    """The inputs of a result as plain data, written one way whatever their order.

    Parameters
    ----------
    inputs : PeriodInputs

    Returns
    -------
    dict
        Lists sorted by their natural keys; numbers through the reproducible writing
        of integral floats as integers; survey responses as the sorted counts of
        distinct ``[unit, score, count]`` (every statistic computed from them depends
        on nothing else); item matrices as their size and the SHA-256 of the rows
        sorted, as little-endian float64 with unanswered written as -1.

    Notes
    -----
    Two inputs that differ only in the order of entries, or in ``85`` against ``85.0``,
    give the same dictionary; anything that can change a published number changes it.

    Examples
    --------
    >>> from assessment.core.records import ActualInput
    >>> a = PeriodInputs(cadres=(CadreInput("c2", "2", "B", "P", "u"),
    ...                          CadreInput("c1", "1", "A", "P", "u")),
    ...                  actuals=(ActualInput("c1", "Q", 85.0),))
    >>> canonical_inputs(a)["actuals"]
    [{'cadre': 'c1', 'indicator': 'Q', 'value': 85}]
    >>> [c["id"] for c in canonical_inputs(a)["cadres"]]
    ['c1', 'c2']
    """
    return {
        "cadres": sorted(
            (
                {
                    "id": c.id,
                    "code": c.code,
                    "name": c.name,
                    "post": c.post,
                    "unit": c.unit,
                    "post_group": c.group,
                }
                for c in inputs.cadres
            ),
            key=lambda d: d["id"],
        ),
        "units": sorted(
            (
                {
                    "id": u.id,
                    "population": _num(u.population),
                    "households": _num(u.households),
                }
                for u in inputs.units
            ),
            key=lambda d: d["id"],
        ),
        "actuals": sorted(
            (
                {"cadre": a.cadre, "indicator": a.indicator, "value": _num(a.value)}
                for a in inputs.actuals
            ),
            key=lambda d: (d["cadre"], d["indicator"]),
        ),
        "ratings": sorted(
            (
                {
                    "assessor": r.assessor,
                    "cadre": r.cadre,
                    "indicator": r.indicator,
                    "value": _num(r.value),
                }
                for r in inputs.ratings
            ),
            key=lambda d: (d["cadre"], d["indicator"], d["assessor"]),
        ),
        "events": sorted(
            (
                {
                    "id": e.id,
                    "cadre": e.cadre,
                    "indicator": e.indicator,
                    "points": None if e.points is None else _num(e.points),
                }
                for e in inputs.events
            ),
            key=lambda d: (d["cadre"], d["indicator"], d["id"]),
        ),
        "surveys": sorted(
            (
                {
                    "indicator": s.indicator,
                    "target": s.target,
                    "n_invalid": int(np.isnan(np.asarray(s.scores, dtype=np.float64)).sum()),
                    "n_excluded": int(s.n_excluded),
                    "responses": _response_histogram(s),
                }
                for s in inputs.surveys
            ),
            key=lambda d: (d["indicator"], d["target"]),
        ),
        "survey_items": sorted(
            ({"survey": i.survey, **_items_digest(i.items)} for i in inputs.survey_items),
            key=lambda d: d["survey"],
        ),
        **_canonical_ballots(inputs),
        **_canonical_children(inputs),
        **_canonical_unit_grades(inputs),
        "decisions": sorted(
            (
                {
                    "cadre": d.cadre,
                    "indicator": d.indicator,
                    "kind": str(d.kind),
                    "reason": d.reason,
                }
                for d in inputs.decisions
            ),
            key=lambda d: (d["cadre"], d["indicator"]),
        ),
    }


def _canonical_unit_grades(inputs: PeriodInputs) -> dict[str, Any]:
    """``unit_tree`` and ``unit_grades``, each only when there is one (so the digest of
    every period whose rulebook does not split a quota group by unit grade is what it
    was before issue 16)."""
    plain: dict[str, Any] = {}
    if inputs.unit_tree:
        plain["unit_tree"] = sorted(
            ({"id": u.id, "kind": u.kind, "parent": u.parent} for u in inputs.unit_tree),
            key=lambda d: d["id"],
        )
    if inputs.unit_grades:
        plain["unit_grades"] = sorted(
            ({"unit": u.unit, "grade": u.grade} for u in inputs.unit_grades),
            key=lambda d: d["unit"],
        )
    return plain


def _canonical_ballots(inputs: PeriodInputs) -> dict[str, Any]:
    """``{"ballots": [...]}``, or nothing when there are no ballots (so the digest of
    every period without a ballot indicator is what it was before ballots existed)."""
    if not inputs.ballots:
        return {}
    return {
        "ballots": sorted(
            (
                {
                    "indicator": b.indicator,
                    "target": b.target,
                    "group": b.group,
                    "votes": {code: int(n) for code, n in sorted(b.votes.items()) if n},
                    "abstentions": int(b.abstentions),
                    "eligible": b.eligible,
                    # only when a validity rule bit: digests of earlier ballots stay
                    **({"invalid": int(b.invalid)} if b.invalid else {}),
                    **({"flagged": int(b.flagged)} if b.flagged else {}),
                }
                for b in inputs.ballots
            ),
            key=lambda d: (d["indicator"], d["target"], d["group"]),
        )
    }


def _canonical_children(inputs: PeriodInputs) -> dict[str, Any]:
    """The sub-periods and their published totals and grades, or nothing without any
    (so the digest of every period without a roll-up is what it was before them)."""
    if not inputs.child_periods and not inputs.child_results:
        return {}
    return {
        "child_periods": sorted(
            ({"id": c.id, "order": c.order, "name": c.name} for c in inputs.child_periods),
            key=lambda d: (d["order"], d["id"]),
        ),
        "child_results": sorted(
            (
                {"period": r.period, "cadre": r.cadre, "total": _num(r.total), "grade": r.grade}
                for r in inputs.child_results
            ),
            key=lambda d: (d["period"], d["cadre"]),
        ),
    }


def compute_data_digest(inputs: PeriodInputs) -> str:
    """The data digest: SHA-256 of the canonical JSON of :func:`canonical_inputs`.

    Parameters
    ----------
    inputs : PeriodInputs

    Returns
    -------
    str
        64 lowercase hex digits.

    Notes
    -----
    ``digest = SHA256(UTF-8(canonical_json(canonical_inputs(inputs))))``, keys sorted
    and no white space (DESIGN section 5, "Data digest").

    Examples
    --------
    >>> from assessment.core.records import ActualInput
    >>> a = PeriodInputs(cadres=(CadreInput("c1", "1", "A", "P", "u"),),
    ...                  actuals=(ActualInput("c1", "Q", 85),))
    >>> b = PeriodInputs(cadres=(CadreInput("c1", "1", "A", "P", "u"),),
    ...                  actuals=(ActualInput("c1", "Q", 85.0),))
    >>> compute_data_digest(a) == compute_data_digest(b)
    True
    """
    return sha256_hex(canonical_json(canonical_inputs(inputs)))


# ---------------------------------------------------------------------------
# the computation
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class _SurveyTable:
    """Every survey target's responses, concatenated in canonical order (internal)."""

    keys: list[tuple[str, str]]
    summaries: dict[tuple[str, str], SurveyIndexResult]
    samples: dict[tuple[str, str], SurveySample]


def _survey_table(
    rulebook: Rulebook,
    index: _Index,
    needed: dict[tuple[str, str], tuple[str, str]],
    summarise: SurveySummariser | None,
    settings: ResultSettings,
) -> _SurveyTable:
    """Summarise every needed survey target with the injected tally, in one call."""
    keys = sorted(k for k in needed if _valid_count(index.surveys.get(k)) > 0)
    if not keys:
        return _SurveyTable([], {}, {})
    if summarise is None:
        raise _fail("summarise_survey", None, "required_for_survey_indicators")
    weighted = rulebook.aggregation.post_stratification
    unit_ids = sorted(index.units)
    unit_position = pd.Index(unit_ids, dtype=object)
    scores_parts: list[FloatArray] = []
    unit_parts: list[npt.NDArray[np.int64]] = []
    for key in keys:
        data = index.surveys[key]
        scores = np.asarray(data.scores, dtype=np.float64)
        if data.unit_ids is None:
            units = np.full(scores.shape, -1, dtype=np.int64)
        else:
            units = unit_position.get_indexer(np.asarray(data.unit_ids).astype(str)).astype(
                np.int64
            )
        # canonical order within the target (unit, score): sums are then the same
        # floats whatever the order the responses came in
        order = np.lexsort((scores, units))
        scores_parts.append(scores[order])
        unit_parts.append(units[order])
    lengths = np.array([p.size for p in scores_parts], dtype=np.int64)
    target_codes = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
    all_scores = np.concatenate(scores_parts)
    all_units = np.concatenate(unit_parts)
    populations: dict[Hashable, float] = {
        i: float(index.units[u].population or 0.0)
        for i, u in enumerate(unit_ids)
        if index.units[u].population
    }
    households: dict[Hashable, int] = {}
    for code, key in enumerate(keys):
        unit = index.units.get(needed[key][1])
        if unit is not None and unit.households:
            households[code] = int(unit.households)
    summaries = summarise(
        target_codes,
        all_scores,
        unit_ids=all_units if weighted else None,
        unit_populations=populations if weighted else None,
        households=households,
        confidence=settings.confidence,
        satisfied_threshold=settings.satisfied_threshold,
    )
    pop_array = np.array(
        [float(index.units[u].population or 0.0) for u in unit_ids], dtype=np.float64
    )
    out: dict[tuple[str, str], SurveyIndexResult] = {}
    samples: dict[tuple[str, str], SurveySample] = {}
    for code, key in enumerate(keys):
        s = summaries[code]
        out[key] = SurveyIndexResult(
            indicator=key[0],
            subject=needed[key][0],
            target=key[1],
            index=rulebook.precision.publish(float(s.index)),
            ci_low=float(s.ci_low),
            ci_high=float(s.ci_high),
            n=int(s.n),
            n_invalid=int(s.n_invalid),
            n_excluded=int(index.surveys[key].n_excluded),
            n_effective=float(s.n_effective),
            weighted=bool(s.weighted),
            households=s.households,
            response_rate=s.response_rate,
            share_satisfied=rulebook.precision.publish_share(float(s.share_satisfied)),
            share_ci_low=float(s.share_ci_low),
            share_ci_high=float(s.share_ci_high),
        )
        valid = ~np.isnan(scores_parts[code])
        samples[key] = SurveySample(
            scores=scores_parts[code][valid],
            strata=unit_parts[code][valid] if weighted else None,
            stratum_population=pop_array if weighted else None,
        )
    return _SurveyTable(keys, out, samples)


@dataclass(slots=True)
class _CadreWork:
    """Per-cadre pieces gathered before grading (internal).

    Weights are exact (:class:`~fractions.Fraction`): an effective weight after a
    reweighting decision is ``w × W / (W − w_excluded)``, often not a finite decimal.
    ``quantitative`` holds the published points of the quantitative indicators;
    ``survey_pairs`` and ``panel_pairs`` the (rulebook weight, published value) pairs of
    the ranking keys.
    """

    outcomes: list[IndicatorOutcome] = field(default_factory=list)
    events: list[EventOutcome] = field(default_factory=list)
    quantitative_points: float = 0.0
    panels: list[tuple[Fraction, Fraction, FloatArray]] = field(default_factory=list)
    links: list[tuple[tuple[str, str], Fraction, Fraction]] = field(default_factory=list)
    survey_key: float | None = None
    panel_key: float | None = None
    vetoes: list[str] = field(default_factory=list)
    veto_cap: str | None = None
    eligibility: tuple[EligibilityCap, ...] = ()
    caps: list[GradeCap] = field(default_factory=list)
    bonus: list[float] = field(default_factory=list)
    penalty: list[float] = field(default_factory=list)
    quantitative: list[Decimal] = field(default_factory=list)
    survey_pairs: list[tuple[Fraction, Fraction]] = field(default_factory=list)
    panel_pairs: list[tuple[Fraction, Fraction]] = field(default_factory=list)


def _weighted_mean(
    pairs: Sequence[tuple[Fraction, Fraction]], precision: Precision
) -> float | None:
    """``Σ w v / Σ w`` over published values, exactly, then published (None: no weight)."""
    den = sum((w for w, _ in pairs), Fraction(0))
    if not pairs or den <= 0:
        return None
    return precision.publish(sum((w * v for w, v in pairs), Fraction(0)) / den)


@dataclass(frozen=True, slots=True)
class _Reweighting:
    """The team's decisions about one cadre's missing inputs, and the weight scale (internal).

    ``scale = W / (W - w_excluded)`` over the weighted indicators of the cadre's set, 1
    when nothing is excluded.
    """

    decisions: Mapping[str, DecisionInput]
    missing: frozenset[str]
    excluded: frozenset[str]
    scale: Fraction


def _reweighting(
    cadre: CadreInput, weighted: Sequence[Indicator], index: _Index, missing_codes: set[str]
) -> _Reweighting:
    """Which indicators the decisions leave out, and how the others are scaled up.

    ``exclude_indicator_reweight`` drops an indicator; every other weighted indicator's
    weight is multiplied by ``W / (W - w_excluded)`` (``W`` the sum of the set's
    weights), exactly, so the total stays on 0–100. Excluding every weighted indicator
    is refused (``every_weighted_indicator_excluded``).
    """
    decisions = {code: d for (cid, code), d in index.decisions.items() if cid == cadre.id}
    excluded = frozenset(
        code
        for code in missing_codes
        if code in decisions and decisions[code].kind == DecisionKind.EXCLUDE_REWEIGHT
    )
    total_weight = sum((exact(i.weight or 0.0) for i in weighted), Fraction(0))
    excluded_weight = sum(
        (exact(i.weight or 0.0) for i in weighted if i.code in excluded), Fraction(0)
    )
    if excluded and total_weight - excluded_weight <= 0:
        raise _fail("decisions", cadre.id, "every_weighted_indicator_excluded")
    scale = total_weight / (total_weight - excluded_weight) if excluded else Fraction(1)
    return _Reweighting(decisions, frozenset(missing_codes), excluded, scale)


@dataclass(frozen=True, slots=True)
class _Scoring:
    """What scoring one weighted indicator of one cadre needs (internal)."""

    cadre: CadreInput
    rulebook: Rulebook
    index: _Index
    surveys: _SurveyTable


#: ``scorer(indicator, weight, effective_weight, scoring, work)``: scores one weighted
#: indicator and appends its outcome (and ranking and bootstrap pieces) to ``work``.
_IndicatorScorer = Callable[[Indicator, Fraction, Fraction, _Scoring, "_CadreWork"], None]


def _decided_outcome(
    indicator: Indicator, weight: Fraction, effective: Fraction, reweighting: _Reweighting
) -> IndicatorOutcome:
    """The outcome of an indicator whose missing input a decision covers: 0 points."""
    excluded = indicator.code in reweighting.excluded
    return IndicatorOutcome(
        code=indicator.code,
        kind=str(indicator.kind),
        category=indicator.category,
        weight=float(weight),
        effective_weight=float(effective),
        status="excluded" if excluded else "score_zero",
        input=None,
        method=None,
        ratio=None if excluded else 0.0,
        points=0.0,
        reason=reweighting.decisions[indicator.code].reason,
    )


def _score_quantitative(
    ind: Indicator, weight: Fraction, effective: Fraction, scoring: _Scoring, work: _CadreWork
) -> None:
    """``points = w × r`` with ``r`` the achievement ratio of the indicator's method."""
    precision = scoring.rulebook.precision
    actual = scoring.index.actuals[(scoring.cadre.id, ind.code)]
    scored = compute_quantitative_points(
        quantitative_rule(ind, effective), actual, precision=precision
    )
    work.quantitative.append(precision.round(scored.points))
    work.outcomes.append(
        IndicatorOutcome(
            ind.code,
            "quantitative",
            ind.category,
            float(weight),
            float(effective),
            "scored",
            float(actual),
            ind.method,
            scored.ratio,
            scored.points,
        )
    )


def _score_qualitative(
    ind: Indicator, weight: Fraction, effective: Fraction, scoring: _Scoring, work: _CadreWork
) -> None:
    """``points = w × v / 100`` with ``v`` the panel value (trimmed mean from the threshold)."""
    panel = scoring.index.ratings[(scoring.cadre.id, ind.code)]
    values = [panel[a] for a in sorted(panel)]
    result = compute_qualitative_points(
        effective,
        values,
        trim_threshold=scoring.rulebook.aggregation.trim_threshold,
        indicator=ind.code,
        precision=scoring.rulebook.precision,
    )
    work.panels.append((effective, weight, np.asarray(values, dtype=np.float64)))
    work.panel_pairs.append((weight, exact(result.value)))
    work.outcomes.append(
        IndicatorOutcome(
            ind.code,
            "qualitative",
            ind.category,
            float(weight),
            float(effective),
            "scored",
            result.value,
            "trimmed_mean" if result.trimmed else "mean",
            float(exact(result.value) / 100),
            result.points,
            result.n_ratings,
            result.trimmed,
        )
    )


def _score_ballot(
    ind: Indicator, weight: Fraction, effective: Fraction, scoring: _Scoring, work: _CadreWork
) -> None:
    """``points = w × B / 100`` with ``B`` the weighted ballot score of the voter groups.

    The points are fixed in the bootstrap (ballots are counted, not sampled), so they
    join the quantitative points there; the ranking's survey key stays the residents'
    satisfaction index.
    """
    precision = scoring.rulebook.precision
    target = _survey_target(ind, scoring.cadre)
    result = _ballot_result(ind, target, scoring.index, precision)
    if result.score is None:  # pragma: no cover - a missing group is decided before scoring
        raise _fail("ballots", (ind.code, target), "quorum_not_met")
    points = compute_survey_points(effective, result.score, indicator=ind.code, precision=precision)
    work.quantitative.append(precision.round(points))
    entries = scoring.index.ballots.get((ind.code, target), {})
    work.outcomes.append(
        IndicatorOutcome(
            ind.code,
            "survey",
            ind.category,
            float(weight),
            float(effective),
            "scored",
            result.score,
            "ballot",
            float(exact(result.score) / 100),
            points,
            sum(g.valid for g in result.groups),
            None,
            target,
            ballot=BallotOutcome(
                groups=tuple(
                    BallotGroupOutcome(
                        g.group,
                        g.weight,
                        dict(g.votes),
                        g.abstentions,
                        g.valid,
                        entries[g.group].eligible if g.group in entries else None,
                        g.score,
                        g.invalid,
                        g.flagged,
                    )
                    for g in result.groups
                ),
                coefficients=dict(ind.sources.coefficient_of) if ind.sources else {},
                score=result.score,
                incompetent_over_third=result.incompetent_over_third,
                rules=tuple(_rule_outcome(t) for t in result.triggered),
                bands=_bands_outcome(ind.sources.bands) if ind.sources else None,
            ),
        )
    )
    work.caps.extend(
        GradeCap(t.rule.cap_at, "ballot_share", ind.code, _rule_detail(t))
        for t in result.triggered
        if t.rule.then == "cap" and t.rule.cap_at is not None
    )


_COMPARE_SIGNS: Mapping[str, str] = {"above": ">", "at_least": "≥", "below": "<", "at_most": "≤"}


def _rule_detail(triggered: TriggeredRule) -> str:
    """``incompetent 5/12 > 1/3``: the grades, their votes over the valid ballots, the rule."""
    rule = triggered.rule
    return (
        f"{'+'.join(rule.grades)} {triggered.votes}/{triggered.valid} "
        f"{_COMPARE_SIGNS[rule.compare]} {share_text(rule.share)}"
    )


def _rule_outcome(triggered: TriggeredRule) -> BallotRuleOutcome:
    rule = triggered.rule
    return BallotRuleOutcome(
        rule.grades,
        rule.compare,
        share_text(rule.share),
        rule.then,
        rule.cap_at,
        triggered.votes,
        triggered.valid,
    )


def _bands_outcome(bands: BallotBands | None) -> BallotBandsOutcome | None:
    if bands is None:
        return None
    return BallotBandsOutcome(
        bands.boundary,
        tuple(BandOutcome(share_text(b.share), b.points) for b in bands.excellent),
        tuple(BandOutcome(share_text(b.share), b.points) for b in bands.poor),
    )


def _score_grouped_satisfaction(
    ind: Indicator, weight: Fraction, effective: Fraction, scoring: _Scoring, work: _CadreWork
) -> None:
    """``points = w × S / 100`` with ``S = Σ w_g × S_g / Σ w_g`` over the voter groups.

    Each group's ``S_g`` is the satisfaction index of its own responses (the same
    summary as an ungrouped indicator, :func:`_survey_table`; in the result's
    ``surveys`` under the target ``target/group``), weighted by
    :func:`assessment.core.voter_groups.compute_group_weighted_index`. In the bootstrap
    each group is its own sample, linked with its share ``w_g / Σ w_g`` of the weight.
    """
    precision = scoring.rulebook.precision
    target = _survey_target(ind, scoring.cadre)
    keys = _group_keys(ind, target)
    summaries = scoring.surveys.summaries
    weights = [(g.group, g.weight) for g in _satisfaction_groups(ind)]
    result = compute_group_weighted_index(
        [
            GroupIndex(group, summaries[key].index, summaries[key].n)
            for (group, _w), key in zip(weights, keys, strict=True)
            if key in summaries
        ],
        weights,
        min_responses=ind.sources.min_responses if ind.sources is not None else 1,
        precision=precision,
    )
    if result.index is None:  # pragma: no cover - a missing group is decided before scoring
        raise _fail("surveys", (ind.code, target), "group_below_min_responses")
    points = compute_survey_points(effective, result.index, indicator=ind.code, precision=precision)
    total_weight = sum((exact(w) for _g, w in weights), Fraction(0))
    for (_group, group_weight), key in zip(weights, keys, strict=True):
        share = exact(group_weight) / total_weight
        work.links.append((key, effective * share, weight * share))
    work.survey_pairs.append((weight, exact(result.index)))
    work.outcomes.append(
        IndicatorOutcome(
            ind.code,
            "survey",
            ind.category,
            float(weight),
            float(effective),
            "scored",
            result.index,
            "group_weighted_mean",
            float(exact(result.index) / 100),
            points,
            sum(g.n for g in result.groups),
            None,
            target,
        )
    )


def _score_survey(
    ind: Indicator, weight: Fraction, effective: Fraction, scoring: _Scoring, work: _CadreWork
) -> None:
    """``points = w × S / 100`` with ``S`` the satisfaction index of the indicator's target."""
    if _is_ballot(ind):
        _score_ballot(ind, weight, effective, scoring, work)
        return
    if _satisfaction_groups(ind):
        _score_grouped_satisfaction(ind, weight, effective, scoring, work)
        return
    target = _survey_target(ind, scoring.cadre)
    summary = scoring.surveys.summaries[(ind.code, target)]
    points = compute_survey_points(
        effective, summary.index, indicator=ind.code, precision=scoring.rulebook.precision
    )
    work.links.append(((ind.code, target), effective, weight))
    work.survey_pairs.append((weight, exact(summary.index)))
    work.outcomes.append(
        IndicatorOutcome(
            ind.code,
            "survey",
            ind.category,
            float(weight),
            float(effective),
            "scored",
            summary.index,
            "poststratified_mean" if summary.weighted else "mean",
            float(exact(summary.index) / 100),
            points,
            summary.n,
            None,
            target,
        )
    )


def _score_rollup(
    ind: Indicator, weight: Fraction, effective: Fraction, scoring: _Scoring, work: _CadreWork
) -> None:
    """``points = w × V / 100`` with ``V`` the roll-up of the sub-periods' published results.

    A missing sub-period reaches here only under a decision (:func:`_find_missing`):
    ``exclude_indicator_reweight`` leaves it out of the roll-up, ``score_zero_with_reason``
    counts it as a total of 0 with no grade (:func:`assessment.core.rollup.compute_rollup`).
    """
    precision = scoring.rulebook.precision
    children = scoring.index.child_outcomes(scoring.cadre.id)
    decision = scoring.index.decisions.get((scoring.cadre.id, ind.code))
    missing = (
        "zero" if decision is not None and decision.kind == DecisionKind.SCORE_ZERO else "leave_out"
    )
    rolled = compute_rollup(
        ind.rollup_of or "",
        children,
        grade=ind.rollup_grade,
        values=dict(ind.grade_values),
        missing=missing,
        precision=precision,
    )
    points = compute_survey_points(effective, rolled.value, indicator=ind.code, precision=precision)
    # fixed in the bootstrap: the children's results are published, not sampled
    work.quantitative.append(precision.round(points))
    work.outcomes.append(
        IndicatorOutcome(
            ind.code,
            "rollup",
            ind.category,
            float(weight),
            float(effective),
            "scored",
            rolled.value,
            ind.rollup_of,
            float(exact(rolled.value) / 100),
            points,
            rolled.counted,
            reason=decision.reason if decision is not None else None,
            children=children,
        )
    )


#: The scorer of each weighted kind; a new source of points adds an entry here.
_SCORERS: Mapping[str, _IndicatorScorer] = {
    IndicatorKind.QUANTITATIVE: _score_quantitative,
    IndicatorKind.QUALITATIVE: _score_qualitative,
    IndicatorKind.SURVEY: _score_survey,
    IndicatorKind.ROLLUP: _score_rollup,
}


def _score_events(
    cadre: CadreInput,
    indicator_set: IndicatorSet,
    rulebook: Rulebook,
    index: _Index,
    work: _CadreWork,
) -> None:
    """Bonus and penalty events at their recorded points; a veto's worst grade cap."""
    precision = rulebook.precision
    scheme_codes = [g.code for g in rulebook.grading.grades]
    for ind in indicator_set.indicators:
        recorded = index.events.get((cadre.id, ind.code), [])
        if ind.is_weighted or not recorded:
            continue
        published = [precision.publish(exact(points)) for points in recorded]
        work.events.append(
            EventOutcome(
                ind.code,
                str(ind.kind),
                len(recorded),
                float(sum((precision.round(exact(p)) for p in recorded), Decimal(0))),
            )
        )
        if ind.kind == "bonus":
            work.bonus.extend(published)
        elif ind.kind == "penalty":
            work.penalty.extend(published)
        else:
            work.vetoes.append(ind.code)
            cap = ind.caps_at or scheme_codes[-1]
            work.caps.append(GradeCap(cap, "veto", ind.code))
            if work.veto_cap is None or scheme_codes.index(cap) > scheme_codes.index(work.veto_cap):
                work.veto_cap = cap


def _lowest_cap(caps: Sequence[GradeCap], scheme_codes: Sequence[str]) -> str | None:
    """The worst grade any cap allows (the lowest cap wins); ``None`` without caps."""
    if not caps:
        return None
    return max((c.cap for c in caps), key=scheme_codes.index)


def _score_cadre(
    cadre: CadreInput,
    indicator_set: IndicatorSet,
    rulebook: Rulebook,
    index: _Index,
    surveys: _SurveyTable,
    missing_codes: set[str],
) -> _CadreWork:
    """Score one cadre's indicators and events, before the totals and grades.

    Each weighted indicator is scored by the scorer of its kind (:data:`_SCORERS`) at
    its effective weight (:func:`_reweighting`), or given 0 points by a decision
    (:func:`_decided_outcome`); the ranking keys are then ``Σ w S / Σ w`` over the survey
    and ``Σ w v / Σ w`` over the qualitative indicators, at the rulebook weights.
    """
    precision = rulebook.precision
    weighted = [i for i in indicator_set.indicators if i.is_weighted]
    reweighting = _reweighting(cadre, weighted, index, missing_codes)
    scoring = _Scoring(cadre, rulebook, index, surveys)
    work = _CadreWork()
    for ind in weighted:
        weight = exact(ind.weight or 0.0)
        effective = (
            weight * reweighting.scale if ind.code not in reweighting.excluded else Fraction(0)
        )
        if ind.code in reweighting.missing:
            work.outcomes.append(_decided_outcome(ind, weight, effective, reweighting))
        else:
            _SCORERS[ind.kind](ind, weight, effective, scoring, work)
    work.quantitative_points = float(sum(work.quantitative, Decimal(0)))
    work.survey_key = _weighted_mean(work.survey_pairs, precision)
    work.panel_key = _weighted_mean(work.panel_pairs, precision)
    _score_events(cadre, indicator_set, rulebook, index, work)
    if rulebook.eligibility:
        work.eligibility = compute_eligibility_caps(
            [e.rule for e in rulebook.eligibility],
            [c.grade for c in index.child_outcomes(cadre.id)],
        )
        work.caps.extend(
            GradeCap(
                e.caps_at,
                "eligibility",
                e.rule,
                f"{e.grade} {e.count} {'<' if e.reason == 'too_few' else '>'} {e.limit}",
            )
            for e in work.eligibility
        )
    # vetoes first, then the ballot indicators' and eligibility rules' caps in rulebook order
    work.caps.sort(key=lambda c: c.kind != "veto")
    return work


def _agreement(
    index: _Index, settings: ResultSettings
) -> tuple[list[PanelAgreement], list[AssessorLeniency], list[Flag]]:
    """ICC(2,k) and Kendall's W per post and indicator; leniency over every panel."""
    by_panel: dict[tuple[str, str], dict[str, dict[str, float]]] = defaultdict(dict)
    for (cadre_id, code), panel in index.ratings.items():
        by_panel[(index.cadres[cadre_id].post, code)][cadre_id] = panel
    agreement: list[PanelAgreement] = []
    flags: list[Flag] = []
    for post, code in sorted(by_panel):
        rows = by_panel[(post, code)]
        cadre_ids = sorted(rows)
        assessors = sorted({a for panel in rows.values() for a in panel})
        matrix = np.array(
            [[rows[c].get(a, np.nan) for a in assessors] for c in cadre_ids], dtype=np.float64
        )
        try:
            icc = compute_icc(matrix, confidence=settings.confidence)
            kendall = compute_kendall_w(matrix)
        except InsufficientDataError:
            agreement.append(
                PanelAgreement(
                    post,
                    code,
                    len(cadre_ids),
                    len(assessors),
                    0,
                    None,
                    None,
                    None,
                    "insufficient_data",
                )
            )
            continue
        icc2k = None if math.isnan(icc.icc2_k) else icc.icc2_k
        agreement.append(
            PanelAgreement(
                post,
                code,
                icc.n_targets,
                icc.k_raters,
                icc.n_dropped,
                icc2k,
                None if math.isnan(kendall.w) else kendall.w,
                None if math.isnan(kendall.p_value) else kendall.p_value,
                "ok",
                None if icc2k is None or math.isnan(icc.icc2_k_ci.low) else icc.icc2_k_ci.low,
                None if icc2k is None or math.isnan(icc.icc2_k_ci.high) else icc.icc2_k_ci.high,
            )
        )
        if icc2k is not None and icc2k < settings.low_agreement:
            flags.append(Flag("low_agreement", "panel", post, code, icc2k, settings.low_agreement))

    leniency: list[AssessorLeniency] = []
    keys = sorted(index.ratings)
    assessors = sorted({a for panel in index.ratings.values() for a in panel})
    if len(assessors) >= 2 and keys:
        matrix = np.array(
            [[index.ratings[k].get(a, np.nan) for a in assessors] for k in keys],
            dtype=np.float64,
        )
        try:
            result = compute_leniency(matrix, assessors, threshold=settings.leniency_threshold)
        except InsufficientDataError:
            return agreement, leniency, flags
        for r in result.raters:
            leniency.append(
                AssessorLeniency(
                    r.rater,
                    r.mean_deviation,
                    r.standardized,
                    r.n_targets,
                    r.flagged,
                    None if math.isnan(r.spread) else r.spread,
                )
            )
            if r.flagged:
                code = "lenient_assessor" if r.standardized > 0 else "severe_assessor"
                flags.append(
                    Flag(
                        code, "assessor", r.rater, None, r.standardized, settings.leniency_threshold
                    )
                )
    return agreement, leniency, flags


def _reliability(
    inputs: PeriodInputs, settings: ResultSettings
) -> tuple[list[SurveyReliability], list[Flag]]:
    out: list[SurveyReliability] = []
    flags: list[Flag] = []
    seen: set[str] = set()
    for entry in sorted(inputs.survey_items, key=lambda s: s.survey):
        if entry.survey in seen:
            raise _fail("survey_items", entry.survey, "duplicate")
        seen.add(entry.survey)
        items = np.asarray(entry.items, dtype=np.float64)
        try:
            r = compute_cronbach_alpha(items, confidence=settings.confidence)
        except InsufficientDataError:
            shape = items.shape if items.ndim == 2 else (0, 0)
            out.append(SurveyReliability(entry.survey, None, None, None, 0, shape[1], shape[0]))
            continue
        alpha = None if math.isnan(r.alpha) else r.alpha
        out.append(
            SurveyReliability(
                entry.survey,
                alpha,
                None if alpha is None else r.ci_low,
                None if alpha is None else r.ci_high,
                r.n_respondents,
                r.k_items,
                r.n_dropped,
            )
        )
        if alpha is not None and alpha < settings.low_alpha:
            flags.append(Flag("low_alpha", "survey", entry.survey, None, alpha, settings.low_alpha))
    return out, flags


def compute_period_results(
    rulebook: Rulebook,
    inputs: PeriodInputs,
    *,
    summarise_survey: SurveySummariser | None = None,
    settings: ResultSettings | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> PeriodResult:
    """Compute every score, total, rank, grade and quality note of a period.

    Parameters
    ----------
    rulebook : Rulebook
        The period's published rulebook.
    inputs : PeriodInputs
        Cadres, units, actuals, ratings, events, survey responses, item matrices and
        the team's decisions about missing inputs. Their order does not matter.
    summarise_survey : SurveySummariser, optional
        ``surveys.core.tally.summarise_targets`` (required when a survey indicator is
        scored; see the module docstring for why it is passed in).
    settings : ResultSettings, optional
        Flag thresholds and interval levels; defaults as documented there.
    resamples : int
        Bootstrap resamples for the grade confidence (default 1,000; 0 skips it).
    seed : int
        Seed of the bootstrap generator (default :data:`DEFAULT_SEED`).

    Returns
    -------
    PeriodResult
        Every intermediate value, the totals, ranks and grades, the quality notes, the
        digests and the grade confidence. Computing twice from the same inputs, in any
        order, gives the same result.

    Raises
    ------
    IncompleteInputsError
        When an input is missing and no decision covers it (see
        :func:`find_missing_inputs`).
    InvalidParameterError
        When an input refers to an unknown cadre or indicator, is duplicated or out of
        range; when a decision has no reason; when survey indicators are scored and
        ``summarise_survey`` is missing.

    Notes
    -----
    Per cadre, with the indicator set of its post (DESIGN section 4):

    - quantitative ``points = w × r`` (:func:`~assessment.core.scoring.score_quantitative`);
    - qualitative ``points = w × v / 100`` with ``v`` the panel value (trimmed mean of
      the assessors' values from ``trim_threshold`` ratings on);
    - survey ``points = w × S / 100`` with ``S`` the target's satisfaction index
      (post-stratified when the rulebook says so);
    - ``total = max(0, Σ points + min(Σ bonus, bonus_cap) - min(Σ penalty, penalty_cap))``;
    - grades per post group with the top-grade quota and the tie rule
      (:func:`~assessment.core.scoring.assign_grades`), ranking keys total, then
      ``Σ w S / Σ w`` over the survey indicators, then ``Σ w v / Σ w`` over the
      qualitative ones; a triggered veto caps the grade at its ``caps_at``.

    Missing inputs with a decision: ``score_zero_with_reason`` scores 0 points;
    ``exclude_indicator_reweight`` drops the indicator and multiplies the weight of
    every other weighted indicator of the cadre by ``W / (W - w_excluded)``
    (``W = 100``), so totals stay comparable on 0–100.

    Quality notes, never applied to scores: ICC(2,k) and Kendall's W per post and
    qualitative indicator; each assessor's leniency over every panel; Cronbach's alpha
    per item matrix; response rates and excluded responses; grade confidence by
    bootstrap (:func:`~assessment.core.confidence.compute_grade_confidence`).

    References
    ----------
    DESIGN.md sections 4 and 5. Shrout and Fleiss (1979); Kendall and Babington Smith
    (1939); Cronbach (1951); Koo, T. K. and Li, M. Y. (2016), A guideline of selecting
    and reporting intraclass correlation coefficients, *J. Chiropractic Medicine*
    15(2), 155–163; Nunnally, J. C. (1978), *Psychometric Theory*, 2nd ed.; Efron and
    Tibshirani (1993).

    Examples
    --------
    >>> from assessment.core.rulebook import (DEFAULT_GRADES, Aggregation, Category,
    ...     GradingScheme, Indicator, IndicatorKind, IndicatorSet, Label, Rulebook)
    >>> L = Label("例", "e.g.")
    >>> q = Indicator("Q", L, IndicatorKind.QUANTITATIVE, "c", 100.0, method="linear",
    ...               baseline=50.0, target=100.0)
    >>> rb = Rulebook(L, GradingScheme(DEFAULT_GRADES), Aggregation(), (),
    ...               (IndicatorSet("P", L, (Category("c", L, 100.0),), (q,)),))
    >>> from assessment.core.records import ActualInput
    >>> inputs = PeriodInputs(
    ...     cadres=(CadreInput("a", "1", "A", "P", "u"), CadreInput("b", "2", "B", "P", "u")),
    ...     actuals=(ActualInput("a", "Q", 100), ActualInput("b", "Q", 75)))
    >>> r = compute_period_results(rb, inputs, resamples=0)
    >>> [(c.id, c.total, c.rank, c.grade) for c in r.cadres]
    [('a', 100.0, 1, 'competent'), ('b', 50.0, 2, 'incompetent')]
    >>> r.groups[0].allowed, r.groups[0].eligible
    (0, 1)
    """
    settings = settings or ResultSettings()
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 0:
        raise _fail("resamples", resamples, "negative")
    index = _index(rulebook, inputs)
    all_missing, unused = _decided_missing(rulebook, index)
    survey_table = _survey_table(
        rulebook, index, _needed_survey_targets(index), summarise_survey, settings
    )
    cadre_ids = sorted(index.cadres)
    # The bootstrap's survey draws (most of its time) start now, on another core, while
    # the cadres are scored and the digest taken: the same numbers, drawn sooner.
    survey_draws = (
        start_survey_draws(
            tuple(survey_table.samples[k] for k in survey_table.keys),
            resamples=resamples,
            seed=seed,
        )
        if resamples > 0 and cadre_ids
        else None
    )
    try:
        works, totals = _score_cadres(rulebook, index, survey_table, all_missing)
        grading = _grade(rulebook, index, cadre_ids, works, totals)
        agreement, leniency, reliability, flags = _quality_notes(
            index, inputs, settings, survey_table, all_missing
        )
        flags.extend(_ballot_flags(works))
        data_digest = compute_data_digest(inputs)
        confidence = None
        if survey_draws is not None:
            confidence = compute_grade_confidence(
                _bootstrap_model(rulebook, index, cadre_ids, works, totals, survey_table),
                scheme=rulebook.grading.grades,
                top_quota=rulebook.grading.top_quota,
                rounding=rulebook.grading.rounding,
                quotas=_quota_plan(rulebook, index).rules,
                resamples=resamples,
                seed=seed,
                level=settings.confidence,
                survey_draws=survey_draws,
            )
    finally:
        if survey_draws is not None:
            survey_draws.cancel()  # an error above: stop drawing what nobody will use
    return PeriodResult(
        rules_digest=rules_digest(rulebook),
        data_digest=data_digest,
        cadres=tuple(
            _cadre_result(rulebook, index, works, totals, graded) for graded in grading.grades
        ),
        groups=grading.groups,
        tie_dropped=grading.tie_dropped,
        surveys=tuple(survey_table.summaries[k] for k in survey_table.keys),
        agreement=tuple(agreement),
        leniency=tuple(leniency),
        reliability=tuple(reliability),
        flags=tuple(
            sorted(flags, key=lambda f: (f.code, f.subject_kind, f.subject, f.indicator or ""))
        ),
        missing=tuple(all_missing),
        unused_decisions=unused,
        confidence=confidence,
        settings=settings,
        precision=rulebook.precision,
    )


def _ballot_flags(works: Mapping[str, _CadreWork]) -> list[Flag]:
    """A ballot indicator's vote-share rules met (``ballot_share``: value the share,
    threshold the rule's) and its sheets voided by the validity rules (``invalid_ballots``)."""
    flags = []
    for cadre_id in sorted(works):
        for outcome in works[cadre_id].outcomes:
            ballot = outcome.ballot
            if ballot is None:
                continue
            for rule in ballot.rules:
                flags.append(
                    Flag(
                        "ballot_share",
                        "cadre",
                        cadre_id,
                        outcome.code,
                        float(Fraction(rule.votes, rule.valid)),
                        float(Fraction(rule.share)),
                    )
                )
            invalid = sum(g.invalid for g in ballot.groups)
            if invalid:
                flags.append(
                    Flag("invalid_ballots", "cadre", cadre_id, outcome.code, float(invalid), None)
                )
    return flags


def _decided_missing(
    rulebook: Rulebook, index: _Index
) -> tuple[list[MissingInput], tuple[DecisionInput, ...]]:
    """Every missing input with its decision, and the decisions about present inputs.

    Raises :class:`IncompleteInputsError` when a missing input has no decision.
    """
    all_missing = sorted(_find_missing(rulebook, index), key=_missing_order)
    undecided = tuple(m for m in all_missing if m.decision is None)
    if undecided:
        raise IncompleteInputsError(undecided)
    decided_keys = {(m.cadre, m.indicator) for m in all_missing}
    unused = tuple(
        sorted(
            (d for k, d in index.decisions.items() if k not in decided_keys),
            key=lambda d: (d.cadre, d.indicator),
        )
    )
    return all_missing, unused


def _needed_survey_targets(index: _Index) -> dict[tuple[str, str], tuple[str, str]]:
    """``(indicator, target) -> (subject, unit whose households count)`` of every cadre.

    Ballot indicators are scored apart (:func:`_ballot_result`), and a target with fewer
    valid responses than the indicator's ``min_responses`` gets no index at all.
    """
    needed: dict[tuple[str, str], tuple[str, str]] = {}
    for cadre in index.cadres.values():
        for ind in index.sets[cadre.post].of_kind(IndicatorKind.SURVEY):
            if _is_ballot(ind):
                continue
            target = _survey_target(ind, cadre)
            for key in _group_keys(ind, target) or [(ind.code, target)]:
                if ind.sources is not None and _valid_count(index.surveys.get(key)) < (
                    ind.sources.min_responses
                ):
                    continue
                needed[key] = (_subject(ind), cadre.unit)
    return needed


def _score_cadres(
    rulebook: Rulebook,
    index: _Index,
    survey_table: _SurveyTable,
    all_missing: Sequence[MissingInput],
) -> tuple[dict[str, _CadreWork], dict[str, TotalResult]]:
    """Each cadre's indicators (:func:`_score_cadre`) and total (``compute_total``)."""
    missing_codes: dict[str, set[str]] = defaultdict(set)
    for m in all_missing:
        if m.indicator is None or not m.cadre:
            continue
        if m.kind == "child_result" and any(
            not c.is_missing for c in index.child_outcomes(m.cadre)
        ):
            continue  # the roll-up reads the children present (_score_rollup)
        missing_codes[m.cadre].add(m.indicator)
    works: dict[str, _CadreWork] = {}
    totals: dict[str, TotalResult] = {}
    for cadre_id in sorted(index.cadres):
        cadre = index.cadres[cadre_id]
        indicator_set = index.sets[cadre.post]
        work = _score_cadre(
            cadre, indicator_set, rulebook, index, survey_table, missing_codes[cadre_id]
        )
        works[cadre_id] = work
        totals[cadre_id] = compute_total(
            [o.points for o in work.outcomes],
            work.bonus,
            work.penalty,
            bonus_cap=indicator_set.bonus_cap,
            penalty_cap=indicator_set.penalty_cap,
            precision=rulebook.precision,
        )
    return works, totals


def _grade(
    rulebook: Rulebook,
    index: _Index,
    cadre_ids: Sequence[str],
    works: Mapping[str, _CadreWork],
    totals: Mapping[str, TotalResult],
) -> GradingResult:
    """Ranks and grades per post group: keys total, survey key, panel key; quota; caps."""
    codes = [g.code for g in rulebook.grading.grades]
    plan = _quota_plan(rulebook, index)
    return assign_grades(
        [
            GradingCandidate(
                id=cadre_id,
                post_group=plan.group_of[cadre_id],
                total=totals[cadre_id].total,
                survey_index=works[cadre_id].survey_key,
                panel_value=works[cadre_id].panel_key,
                veto_cap=_lowest_cap(works[cadre_id].caps, codes),
            )
            for cadre_id in cadre_ids
        ],
        scheme=rulebook.grading.grades,
        top_quota=rulebook.grading.top_quota,
        precision=rulebook.precision,
        rounding=rulebook.grading.rounding,
        quotas=plan.rules,
    )


def _cadre_result(
    rulebook: Rulebook,
    index: _Index,
    works: Mapping[str, _CadreWork],
    totals: Mapping[str, TotalResult],
    graded: CadreGrade,
) -> CadreResult:
    """One cadre's record: its inputs, scored pieces, total and grade.

    ``veto_capped`` says a grade cap (a veto, a vote-share rule, an eligibility rule:
    ``caps``) lowered the grade; ``eligibility`` keeps the eligibility rules' reasons.
    """
    cadre = index.cadres[graded.id]
    work = works[graded.id]
    total = totals[graded.id]
    return CadreResult(
        id=cadre.id,
        code=cadre.code,
        name=cadre.name,
        post=cadre.post,
        unit=cadre.unit,
        post_group=graded.post_group,
        indicators=tuple(work.outcomes),
        events=tuple(work.events),
        points=total.points,
        bonus=total.bonus,
        penalty=total.penalty,
        bonus_raw=total.bonus_raw,
        penalty_raw=total.penalty_raw,
        bonus_capped=total.bonus_capped,
        penalty_capped=total.penalty_capped,
        floored=total.floored,
        total=total.total,
        survey_key=work.survey_key,
        panel_key=work.panel_key,
        vetoes=tuple(work.vetoes),
        veto_cap=work.veto_cap,
        rank=graded.rank,
        earned=graded.earned,
        grade=graded.grade,
        veto_capped=graded.veto_capped,
        dropped_by_quota=graded.dropped_by_quota,
        tie_dropped=graded.tie_dropped,
        eligibility=work.eligibility,
        caps=tuple(work.caps),
        grade_cap=_lowest_cap(work.caps, [g.code for g in rulebook.grading.grades]),
    )


def _quality_notes(
    index: _Index,
    inputs: PeriodInputs,
    settings: ResultSettings,
    survey_table: _SurveyTable,
    all_missing: Sequence[MissingInput],
) -> tuple[list[PanelAgreement], list[AssessorLeniency], list[SurveyReliability], list[Flag]]:
    """Agreement, leniency, alpha and the flags beside the scores (never applied to them)."""
    agreement, leniency, flags = _agreement(index, settings)
    reliability, alpha_flags = _reliability(inputs, settings)
    flags.extend(alpha_flags)
    for key in survey_table.keys:
        summary = survey_table.summaries[key]
        if summary.response_rate is not None and summary.response_rate < settings.low_response_rate:
            flags.append(
                Flag(
                    "low_response_rate",
                    "survey_target",
                    key[1],
                    key[0],
                    summary.response_rate,
                    settings.low_response_rate,
                )
            )
        if summary.n_excluded > 0:
            flags.append(
                Flag(
                    "excluded_responses",
                    "survey_target",
                    key[1],
                    key[0],
                    float(summary.n_excluded),
                    None,
                )
            )
    for m in all_missing:
        if m.decision is not None:
            flags.append(Flag("decision_applied", "cadre", m.cadre, m.indicator, None, None))
    return agreement, leniency, reliability, flags


def _bootstrap_model(
    rulebook: Rulebook,
    index: _Index,
    cadre_ids: list[str],
    works: Mapping[str, _CadreWork],
    totals: Mapping[str, TotalResult],
    survey_table: _SurveyTable,
) -> BootstrapModel:
    codes = [g.code for g in rulebook.grading.grades]
    position = {cadre_id: i for i, cadre_id in enumerate(cadre_ids)}
    sample_position = {key: i for i, key in enumerate(survey_table.keys)}
    panels: list[PanelSample] = []
    links: list[SurveyLink] = []
    for cadre_id in cadre_ids:
        work = works[cadre_id]
        for weight, key_weight, values in work.panels:
            panels.append(PanelSample(position[cadre_id], weight, key_weight, values))
        for key, weight, key_weight in work.links:
            links.append(SurveyLink(sample_position[key], position[cadre_id], weight, key_weight))
    return BootstrapModel(
        cadre_ids=tuple(cadre_ids),
        post_groups=tuple(_quota_plan(rulebook, index).group_of[c] for c in cadre_ids),
        fixed_points=np.array([works[c].quantitative_points for c in cadre_ids]),
        adjustment=np.array(
            [float(exact(totals[c].bonus) - exact(totals[c].penalty)) for c in cadre_ids]
        ),
        veto_caps=np.array(
            [codes.index(_lowest_cap(works[c].caps, codes) or codes[0]) for c in cadre_ids],
            dtype=np.int64,
        ),
        panels=tuple(panels),
        surveys=tuple(survey_table.samples[k] for k in survey_table.keys),
        links=tuple(links),
        trim_threshold=rulebook.aggregation.trim_threshold,
        precision=rulebook.precision,
    )
