"""A period's results: gather the stored inputs, compute, and keep every version.

:func:`gather_inputs` turns the stored inputs into the plain records of
``assessment.core.records``; :func:`compute_results` runs the pure engine and stores a
new numbered :class:`~assessment.models.ResultVersion` (never changed afterwards).

Survey data: this package may not import ``surveys``. The caller passes the registered
:class:`assessment.services.survey_source.SurveySource` as ``surveys`` (that module says where
the numbers come from). Without one, survey indicators are reported missing and need a
team decision.

Services flush and never commit; every flush inside ``unit_of_work`` is audited.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.confidence import DEFAULT_SEED
from assessment.core.digest import canonical_json
from assessment.core.errors import AssessmentError, FieldError, RulebookError
from assessment.core.records import (
    ActualInput,
    BallotInput,
    CadreInput,
    ChildPeriodInput,
    ChildResultInput,
    DecisionInput,
    DecisionKind,
    EventInput,
    MissingInput,
    PeriodInputs,
    PeriodResult,
    RatingInput,
    SurveyItemsInput,
    SurveyTargetInput,
    UnitGradeInput,
    UnitInput,
    UnitNodeInput,
    result_from_plain,
    result_to_plain,
)
from assessment.core.results import (
    canonical_inputs,
    compute_data_digest,
    compute_period_results,
    find_missing_inputs,
)
from assessment.core.rulebook import (
    IndicatorKind,
    Rulebook,
    SurveySources,
    find_source_problems,
    parse_rulebook,
    rules_digest,
    to_plain,
)
from assessment.core.voter_groups import group_target
from assessment.models import (
    Account,
    Event,
    MissingInputDecision,
    Period,
    QuantitativeResult,
    Rating,
    ResultVersion,
    Unit,
)
from assessment.services.inputs import check_text, find_rulebook, list_assessed
from assessment.services.periods import advance_period, list_children
from assessment.services.queries import NotFoundError
from assessment.services.survey_source import SurveySource

#: States from which results may be computed; "collecting" moves on to "computed".
COMPUTE_STATES = ("collecting", "computed", "notice")
#: Missing-input kinds a team decision can cover.
DECIDABLE_KINDS = ("actual", "ratings", "survey_responses", "child_result")
MAX_REASON = 2000


class NothingChangedError(AssessmentError):
    """The rules and the inputs are those of the latest version: a new one would repeat it.

    ``number`` is the latest version's number.
    """

    code = "nothing_changed"

    def __init__(self, number: int) -> None:
        self.number = number
        super().__init__(f"nothing changed since version {number}")


class ResultsRefusedError(AssessmentError):
    """Computing or deciding is not possible in the period's state.

    ``code`` is ``results_final`` (the period is final), ``results_not_collecting``
    (before "collecting") or ``no_rulebook``.
    """

    def __init__(self, code: str, status: str) -> None:
        self.code = code
        self.status = status
        super().__init__(f"{code} ({status})")


# ---------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------


def list_versions(session: Session, period_id: int) -> list[ResultVersion]:
    """Every result version of a period, newest first."""
    return list(
        session.scalars(
            sa.select(ResultVersion)
            .where(ResultVersion.period_id == period_id)
            .order_by(ResultVersion.number.desc())
        )
    )


def get_version(session: Session, period_id: int, number: int) -> ResultVersion:
    """One version by number (NotFoundError when absent)."""
    version = session.scalars(
        sa.select(ResultVersion).where(
            ResultVersion.period_id == period_id, ResultVersion.number == number
        )
    ).one_or_none()
    if version is None:
        raise NotFoundError(number)
    return version


def payload_of(version: ResultVersion) -> dict[str, Any]:
    """The stored payload: ``result``, ``inputs``, ``rulebook``, ``resamples``, ``seed``."""
    payload: dict[str, Any] = json.loads(version.payload)
    return payload


def list_decisions(session: Session, period: Period) -> list[MissingInputDecision]:
    """The team's decisions about missing inputs, by cadre and indicator."""
    return list(
        session.scalars(
            sa.select(MissingInputDecision)
            .where(MissingInputDecision.period_id == period.id)
            .order_by(MissingInputDecision.cadre_id, MissingInputDecision.indicator_code)
        )
    )


def account_names(session: Session, ids: Collection[str]) -> dict[str, str]:
    """Display names of accounts by id as text (assessors in a result)."""
    numbers = [int(i) for i in ids if str(i).isdigit()]
    rows = session.execute(
        sa.select(Account.id, Account.display_name).where(Account.id.in_(numbers))
    )
    return {str(account_id): name for account_id, name in rows}


def unit_names(session: Session, period: Period) -> dict[str, str]:
    """Chinese names of the units in the period's scope by id as text."""
    rows = session.execute(
        sa.select(Unit.id, Unit.name_zh).where(Unit.path.startswith(period.scope_unit.path))
    )
    return {str(unit_id): name for unit_id, name in rows}


# ---------------------------------------------------------------------------
# stored inputs -> core inputs
# ---------------------------------------------------------------------------


def _target_input(code: str, target: str, entry: Mapping[str, Any]) -> SurveyTargetInput:
    return SurveyTargetInput(
        indicator=code,
        target=target,
        scores=np.asarray(entry["scores"], dtype=np.float64),
        unit_ids=np.asarray([str(u) for u in entry["unit_ids"]], dtype=object),
        n_excluded=int(entry.get("n_excluded", 0)),
    )


def _survey_targets(
    rulebook: Rulebook, cadres: list[CadreInput], data: Mapping[str, Any]
) -> tuple[SurveyTargetInput, ...]:
    """One entry per survey indicator and target that has responses."""
    by_kind = {
        "cadre": {str(k): v for k, v in data.get("cadre", {}).items()},
        "unit": {str(k): v for k, v in data.get("unit", {}).items()},
    }
    out: dict[tuple[str, str], SurveyTargetInput] = {}
    for cadre in cadres:
        try:
            indicator_set = rulebook.indicator_set(cadre.post)
        except KeyError:
            continue
        for indicator in indicator_set.of_kind(IndicatorKind.SURVEY):
            if indicator.sources is not None:
                continue  # read from its own sources (_sourced_inputs)
            subject = indicator.subject or "cadre"
            target = cadre.unit if subject == "unit" else cadre.id
            entry = by_kind[subject].get(target)
            if entry is None or (indicator.code, target) in out:
                continue
            if len(entry["scores"]) == 0:
                continue
            out[(indicator.code, target)] = _target_input(indicator.code, target, entry)
    return tuple(out[k] for k in sorted(out))


def _split_by_group(entry: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A target's responses per voter group (``entry["groups"]``: each response's group).

    Exclusions are counted per target, not per group, so they stay with no group.
    """
    parts: dict[str, dict[str, Any]] = {}
    for score, unit, group in zip(
        entry["scores"], entry["unit_ids"], entry.get("groups", []), strict=True
    ):
        part = parts.setdefault(str(group), {"scores": [], "unit_ids": []})
        part["scores"].append(score)
        part["unit_ids"].append(unit)
    return parts


def _sourced_inputs(
    rulebook: Rulebook, cadres: list[CadreInput], sourced: Mapping[str, Any]
) -> tuple[list[SurveyTargetInput], list[BallotInput]]:
    """The inputs of the indicators that name their sources, from what each one read."""
    targets: dict[tuple[str, str], SurveyTargetInput] = {}
    ballots: dict[tuple[str, str, str], BallotInput] = {}
    for cadre in cadres:
        try:
            indicator_set = rulebook.indicator_set(cadre.post)
        except KeyError:
            continue
        for indicator in indicator_set.of_kind(IndicatorKind.SURVEY):
            data = sourced.get(indicator.code)
            if indicator.sources is None or data is None:
                continue
            subject = indicator.subject or "cadre"
            target = cadre.unit if subject == "unit" else cadre.id
            entry = {str(k): v for k, v in data.get(subject, {}).items()}.get(target)
            if entry is None:
                continue
            if indicator.sources.method != "ballot" and indicator.sources.groups:
                named = {g.group for g in indicator.sources.groups}
                for group, part in _split_by_group(entry).items():
                    if group not in named:
                        continue  # a group the indicator does not weight is not read
                    key = (indicator.code, group_target(target, group))
                    targets[key] = _target_input(indicator.code, key[1], part)
                continue
            if indicator.sources.method != "ballot":
                if entry["scores"]:
                    targets[(indicator.code, target)] = _target_input(indicator.code, target, entry)
                continue
            for group, tallied in entry["groups"].items():
                ballots[(indicator.code, target, group)] = BallotInput(
                    indicator=indicator.code,
                    target=target,
                    group=group,
                    votes={str(g): int(n) for g, n in tallied["votes"].items()},
                    abstentions=int(tallied["abstentions"]),
                    eligible=data.get("eligible", {}).get(group),
                    invalid=int(tallied.get("invalid", 0)),
                    flagged=int(tallied.get("flagged", 0)),
                )
    return [targets[k] for k in sorted(targets)], [ballots[k] for k in sorted(ballots)]


def list_sourced_indicators(rulebook: Rulebook) -> dict[str, SurveySources]:
    """The survey indicators that name their sources, by code (first set's sources)."""
    out: dict[str, SurveySources] = {}
    for indicator_set in rulebook.indicator_sets:
        for indicator in indicator_set.of_kind(IndicatorKind.SURVEY):
            if indicator.sources is not None:
                out.setdefault(indicator.code, indicator.sources)
    return out


def gather_inputs(
    session: Session,
    period: Period,
    rulebook: Rulebook,
    survey_data: Mapping[str, Any] | None,
) -> PeriodInputs:
    """The period's stored inputs as core records.

    Inputs for an indicator the cadre's indicator set does not have (of that kind) are
    left out, as are ratings naming a level the rubric does not have; the engine then
    reports the indicator missing if nothing else remains.
    """
    assessed = list_assessed(session, period)
    cadres = [CadreInput(str(c.cadre_id), c.code, c.name, c.post, str(c.unit_id)) for c in assessed]
    sets = {}
    for c in assessed:
        try:
            sets[c.cadre_id] = rulebook.indicator_set(c.post)
        except KeyError:
            continue

    def kind_of(cadre_id: int, code: str) -> str | None:
        indicator_set = sets.get(cadre_id)
        if indicator_set is None:
            return None
        try:
            return str(indicator_set.indicator(code).kind)
        except KeyError:
            return None

    units = tuple(
        UnitInput(
            str(unit.id),
            float(unit.population) if unit.population > 0 else None,
            int(unit.households) if unit.households > 0 else None,
        )
        for unit in session.scalars(
            sa.select(Unit).where(Unit.path.startswith(period.scope_unit.path))
        )
    )
    actuals = tuple(
        ActualInput(str(r.cadre_id), r.indicator_code, float(r.actual))
        for r in session.scalars(
            sa.select(QuantitativeResult).where(QuantitativeResult.period_id == period.id)
        )
        if kind_of(r.cadre_id, r.indicator_code) == "quantitative"
    )
    ratings = []
    for r in session.scalars(sa.select(Rating).where(Rating.period_id == period.id)):
        if kind_of(r.cadre_id, r.indicator_code) != "qualitative":
            continue
        indicator = sets[r.cadre_id].indicator(r.indicator_code)
        try:
            levels = {lv.code: lv.value for lv in rulebook.rubric(indicator.rubric or "").levels}
        except KeyError:
            continue
        if r.level in levels:
            ratings.append(
                RatingInput(str(r.assessor_id), str(r.cadre_id), r.indicator_code, levels[r.level])
            )
    events = tuple(
        EventInput(str(e.id), str(e.cadre_id), e.indicator_code, e.points)
        for e in session.scalars(sa.select(Event).where(Event.period_id == period.id))
        if kind_of(e.cadre_id, e.indicator_code) in ("bonus", "penalty", "veto")
    )
    decisions = tuple(
        DecisionInput(str(d.cadre_id), d.indicator_code, DecisionKind(d.kind), d.reason)
        for d in list_decisions(session, period)
        if kind_of(d.cadre_id, d.indicator_code)
        in ("quantitative", "qualitative", "survey", "rollup")
    )
    surveys: tuple[SurveyTargetInput, ...] = ()
    survey_items: tuple[SurveyItemsInput, ...] = ()
    ballots: tuple[BallotInput, ...] = ()
    if survey_data is not None:
        surveys = _survey_targets(rulebook, cadres, survey_data)
        sourced, sourced_ballots = _sourced_inputs(rulebook, cadres, survey_data.get("sourced", {}))
        surveys = tuple(sorted((*surveys, *sourced), key=lambda t: (t.indicator, t.target)))
        ballots = tuple(sourced_ballots)
        survey_items = tuple(
            SurveyItemsInput(str(key), np.asarray(rows, dtype=np.float64))
            for key, rows in sorted(survey_data.get("items", {}).items())
            if len(rows)
        )
    return PeriodInputs(
        cadres=tuple(cadres),
        units=units,
        actuals=actuals,
        ratings=tuple(ratings),
        events=events,
        surveys=surveys,
        survey_items=survey_items,
        decisions=decisions,
        ballots=ballots,
        **_child_inputs(session, period, rulebook),
        **_unit_grade_inputs(session, period, rulebook, {c.unit for c in cadres}),
    )


def _unit_grade_inputs(
    session: Session, period: Period, rulebook: Rulebook, cadre_units: Collection[str]
) -> dict[str, Any]:
    """The unit tree above the cadres' units and the units' grades (issue 16).

    Read only when a quota group's share depends on the unit's grade, so other periods'
    inputs and digests stay as they were. The grades are the final results of the
    period the team linked (``Period.unit_grades_period_id``): each assessed subject's
    unit and grade. With no link, or a link to a period that is no longer final, there
    are no grades and the engine names each unit as a missing input.
    """
    if not any(g.by_unit_grade for g in rulebook.grading.quota_groups):
        return {}
    paths = session.scalars(
        sa.select(Unit.path).where(Unit.id.in_([int(u) for u in cadre_units]))
    ).all()
    ids = {int(part) for path in paths for part in path.strip("/").split("/") if part}
    units = session.scalars(sa.select(Unit).where(Unit.id.in_(ids)).order_by(Unit.id)).all()
    tree = tuple(
        UnitNodeInput(str(u.id), u.kind, None if u.parent_id is None else str(u.parent_id))
        for u in units
    )
    source = period.unit_grades_period
    grades: dict[str, str] = {}
    if source is not None and source.status == "final" and source.final_version_number:
        graded = result_of_version(get_version(session, source.id, source.final_version_number))
        # the contract with unit periods: a subject's ``unit`` is the assessed unit's id
        grades = {subject.unit: subject.grade for subject in graded.cadres}
    return {
        "unit_tree": tree,
        "unit_grades": tuple(
            UnitGradeInput(node.id, grades[node.id]) for node in tree if node.id in grades
        ),
    }


def _child_inputs(session: Session, period: Period, rulebook: Rulebook) -> dict[str, Any]:
    """The sub-periods and each cadre's published total and grade in the final ones.

    Read only when the rulebook reads them (a ``rollup`` indicator or eligibility
    rules), so other periods' inputs and digests stay as they were. A child that is not
    final gives no results: the engine reports it missing, for a decision.
    """
    reads_children = rulebook.eligibility or any(
        s.of_kind(IndicatorKind.ROLLUP) for s in rulebook.indicator_sets
    )
    if not reads_children:
        return {}
    children = list_children(session, period)
    child_results: list[ChildResultInput] = []
    for child in children:
        if child.status != "final" or child.final_version_number is None:
            continue
        published = result_of_version(get_version(session, child.id, child.final_version_number))
        child_results.extend(
            ChildResultInput(str(child.id), c.id, c.total, c.grade) for c in published.cadres
        )
    return {
        "child_periods": tuple(
            ChildPeriodInput(str(child.id), order, child.name)
            for order, child in enumerate(children, start=1)
        ),
        "child_results": tuple(child_results),
    }


def inputs_from_canonical(plain: Mapping[str, Any]) -> PeriodInputs:
    """Core inputs back from :func:`canonical_inputs` (as stored in a version).

    Everything that decides scores, ranks and grades comes back; survey item matrices
    are stored only as digests, so Cronbach's alpha is not recomputed from them.
    """
    surveys = []
    for s in plain["surveys"]:
        scores: list[float] = []
        unit_ids: list[str] = []
        for unit, score, count in s["responses"]:
            scores.extend([float(score)] * int(count))
            unit_ids.extend([str(unit)] * int(count))
        scores.extend([float("nan")] * int(s["n_invalid"]))
        unit_ids.extend([""] * int(s["n_invalid"]))
        has_units = any(unit_ids)
        surveys.append(
            SurveyTargetInput(
                indicator=s["indicator"],
                target=s["target"],
                scores=np.asarray(scores, dtype=np.float64),
                unit_ids=np.asarray(unit_ids, dtype=object) if has_units else None,
                n_excluded=int(s["n_excluded"]),
            )
        )
    return PeriodInputs(
        cadres=tuple(
            CadreInput(c["id"], c["code"], c["name"], c["post"], c["unit"], c["post_group"])
            for c in plain["cadres"]
        ),
        units=tuple(UnitInput(u["id"], u["population"], u["households"]) for u in plain["units"]),
        actuals=tuple(
            ActualInput(a["cadre"], a["indicator"], float(a["value"])) for a in plain["actuals"]
        ),
        ratings=tuple(
            RatingInput(r["assessor"], r["cadre"], r["indicator"], float(r["value"]))
            for r in plain["ratings"]
        ),
        events=tuple(
            EventInput(e["id"], e["cadre"], e["indicator"], e.get("points"))
            for e in plain["events"]
        ),
        ballots=tuple(
            BallotInput(
                b["indicator"],
                b["target"],
                b["group"],
                {str(g): int(n) for g, n in b["votes"].items()},
                int(b["abstentions"]),
                b["eligible"],
                int(b.get("invalid", 0)),
                int(b.get("flagged", 0)),
            )
            for b in plain.get("ballots", [])
        ),
        surveys=tuple(surveys),
        decisions=tuple(
            DecisionInput(d["cadre"], d["indicator"], DecisionKind(d["kind"]), d["reason"])
            for d in plain["decisions"]
        ),
        child_periods=tuple(
            ChildPeriodInput(c["id"], int(c["order"]), c["name"])
            for c in plain.get("child_periods", [])
        ),
        child_results=tuple(
            ChildResultInput(r["period"], r["cadre"], float(r["total"]), r["grade"])
            for r in plain.get("child_results", [])
        ),
        unit_tree=tuple(
            UnitNodeInput(u["id"], u["kind"], u["parent"]) for u in plain.get("unit_tree", [])
        ),
        unit_grades=tuple(
            UnitGradeInput(u["unit"], u["grade"]) for u in plain.get("unit_grades", [])
        ),
    )


# ---------------------------------------------------------------------------
# missing inputs and decisions
# ---------------------------------------------------------------------------


def _rulebook_or_refuse(session: Session, period: Period) -> Rulebook:
    rulebook = find_rulebook(session, period)
    if rulebook is None:
        raise ResultsRefusedError("no_rulebook", period.status)
    return rulebook


def _survey_data(
    session: Session, period: Period, rulebook: Rulebook, surveys: SurveySource | None
) -> Mapping[str, Any] | None:
    """The pooled survey data, and under ``"sourced"`` what each indicator naming its
    sources reads; surveys an indicator names are never pooled.

    Raises
    ------
    RulebookError
        A ``sources`` naming a survey code or question the period does not have (the
        problems name the path in the rulebook).
    """
    if surveys is None:
        return None
    sources = list_sourced_indicators(rulebook)
    named = {code for source in sources.values() for code in source.surveys}
    data = dict(surveys.results_data(session, period, named=named))
    if sources:
        sourced = surveys.sourced_data(session, period, sources)
        problems = find_source_problems(rulebook, sourced["available"])
        if problems:
            raise RulebookError(problems)
        data["sourced"] = sourced["indicators"]
    return data


def find_missing(
    session: Session, period: Period, *, surveys: SurveySource | None
) -> tuple[MissingInput, ...]:
    """Every missing input of the period, each with the decision covering it (or None)."""
    rulebook = _rulebook_or_refuse(session, period)
    inputs = gather_inputs(
        session, period, rulebook, _survey_data(session, period, rulebook, surveys)
    )
    return find_missing_inputs(rulebook, inputs)


def _check_open(period: Period) -> None:
    if period.status == "final":
        raise ResultsRefusedError("results_final", period.status)
    if period.status not in COMPUTE_STATES:
        raise ResultsRefusedError("results_not_collecting", period.status)


@dataclass(frozen=True, slots=True)
class DecisionItem:
    """One missing input a decision covers: an indicator of one cadre."""

    cadre_id: int
    indicator_code: str


def record_decisions(
    session: Session,
    *,
    period: Period,
    items: Collection[DecisionItem],
    kind: str,
    reason: str,
    actor_id: int | None,
) -> list[MissingInputDecision]:
    """Record (or replace) one decision, with one written reason, for many missing inputs.

    Each item gets its own row (and so its own audit entry). Every item is checked
    before anything is written: one bad item refuses them all.

    Raises
    ------
    ResultsRefusedError
        In a state that does not allow it, or without a published rulebook.
    FieldError
        ``reason`` empty or too long, ``kind`` unknown, ``items`` empty, or an item
        naming a cadre not assessed in the period or an indicator that is not a
        weighted indicator of the cadre's set (the params name the cadre and code).
    """
    _check_open(period)
    rulebook = _rulebook_or_refuse(session, period)
    try:
        decision_kind = DecisionKind(kind)
    except ValueError:
        raise FieldError("kind", "unknown_decision_kind") from None
    reason = check_text(reason, "reason", required=True, limit=MAX_REASON, multiline=True)
    chosen = sorted(set(items), key=lambda i: (i.cadre_id, i.indicator_code))
    if not chosen:
        raise FieldError("items", "no_decision_items")
    assessed = {c.cadre_id: c for c in list_assessed(session, period)}
    for item in chosen:
        cadre = assessed.get(item.cadre_id)
        if cadre is None:
            raise FieldError("items", "decision_cadre_not_assessed", cadre=str(item.cadre_id))
        try:
            indicator = rulebook.indicator_set(cadre.post).indicator(item.indicator_code)
        except KeyError:
            raise FieldError(
                "items",
                "decision_unknown_indicator",
                cadre=f"{cadre.code} {cadre.name}",
                code=item.indicator_code,
            ) from None
        if not indicator.is_weighted:
            raise FieldError(
                "items",
                "decision_wrong_kind",
                cadre=f"{cadre.code} {cadre.name}",
                code=item.indicator_code,
            )
    existing = {(d.cadre_id, d.indicator_code): d for d in list_decisions(session, period)}
    decisions = []
    for item in chosen:
        decision = existing.get((item.cadre_id, item.indicator_code))
        if decision is None:
            decision = MissingInputDecision(
                period_id=period.id, cadre_id=item.cadre_id, indicator_code=item.indicator_code
            )
            session.add(decision)
        decision.kind = str(decision_kind)
        decision.reason = reason
        decision.created_by_id = actor_id
        decisions.append(decision)
    session.flush()
    return decisions


# ---------------------------------------------------------------------------
# computing and storing
# ---------------------------------------------------------------------------


def _next_number(session: Session, period_id: int) -> int:
    current = session.scalar(
        sa.select(sa.func.max(ResultVersion.number)).where(ResultVersion.period_id == period_id)
    )
    return int(current or 0) + 1


def _refuse_a_repeat(
    session: Session,
    period: Period,
    rulebook: Rulebook,
    inputs: PeriodInputs,
    *,
    resamples: int,
    seed: int,
) -> None:
    """Raise NothingChangedError when the latest version has these rules and inputs.

    The engine is deterministic (the bootstrap has a fixed seed), so equal rules and
    data digests, resamples and seed give the same numbers again.
    """
    versions = list_versions(session, period.id)
    if not versions:
        return
    latest = versions[0]
    if latest.rules_digest != rules_digest(rulebook):
        return
    if latest.data_digest != compute_data_digest(inputs):
        return
    stored = payload_of(latest)
    if stored.get("resamples") == resamples and stored.get("seed") == seed:
        raise NothingChangedError(latest.number)


def compute_results(
    session: Session,
    *,
    period: Period,
    reason: str,
    actor_id: int | None,
    surveys: SurveySource | None,
    resamples: int = 1000,
    seed: int = DEFAULT_SEED,
) -> ResultVersion:
    """Compute the period's results from its stored inputs and store the next version.

    From "collecting" the period then moves to "computed"; from "computed" or
    "notice" a written reason is required (a new version; the old ones stay). Refused
    in "final" and before "collecting".

    Raises
    ------
    ResultsRefusedError
        In a state that does not allow it, or without a published rulebook.
    FieldError
        ``reason`` missing after the first computation.
    IncompleteInputsError
        Inputs are missing without a decision (``error.missing`` lists them all).
    NothingChangedError
        The rules and the inputs are those of the latest version (no version is made).
    """
    _check_open(period)
    reason = (reason or "").strip()
    if period.status != "collecting" and not reason:
        raise FieldError("reason", "reason_required_after_computed")
    if len(reason) > MAX_REASON:
        raise FieldError("reason", "too_long", max=MAX_REASON)
    rulebook = _rulebook_or_refuse(session, period)
    inputs = gather_inputs(
        session, period, rulebook, _survey_data(session, period, rulebook, surveys)
    )
    _refuse_a_repeat(session, period, rulebook, inputs, resamples=resamples, seed=seed)
    result = compute_period_results(
        rulebook,
        inputs,
        summarise_survey=surveys.summarise_targets if surveys is not None else None,
        resamples=resamples,
        seed=seed,
    )
    payload = {
        "result": result_to_plain(result),
        "inputs": canonical_inputs(inputs),
        "rulebook": to_plain(rulebook),
        "resamples": resamples,
        "seed": seed,
    }
    version = ResultVersion(
        period_id=period.id,
        number=_next_number(session, period.id),
        rules_digest=result.rules_digest,
        data_digest=result.data_digest,
        payload=canonical_json(payload),
        reason=reason,
        created_by_id=actor_id,
    )
    session.add(version)
    session.flush()
    if period.status == "collecting":
        advance_period(session, period, "computed")
    return version


# ---------------------------------------------------------------------------
# what-if (in memory, nothing stored)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WhatIfChange:
    """One change to try: an indicator's weight in a post's set, or a grade's minimum."""

    post: str | None = None
    indicator: str | None = None
    weight: float | None = None
    grade: str | None = None
    minimum: float | None = None


def changed_rulebook(rulebook: Rulebook, change: WhatIfChange) -> Rulebook:
    """The rulebook with the one change applied (KeyError for an unknown code)."""
    if change.post and change.indicator and change.weight is not None:
        indicator_set = rulebook.indicator_set(change.post)
        old = indicator_set.indicator(change.indicator)
        if not old.is_weighted:
            raise KeyError(change.indicator)
        indicators = tuple(
            replace(i, weight=change.weight) if i.code == old.code else i
            for i in indicator_set.indicators
        )
        sets = tuple(
            replace(s, indicators=indicators) if s.post == change.post else s
            for s in rulebook.indicator_sets
        )
        rulebook = replace(rulebook, indicator_sets=sets)
    if change.grade and change.minimum is not None:
        rulebook.grading.grade(change.grade)
        grades = tuple(
            replace(g, minimum=change.minimum) if g.code == change.grade else g
            for g in rulebook.grading.grades
        )
        rulebook = replace(rulebook, grading=replace(rulebook.grading, grades=grades))
    return rulebook


def rulebook_of_version(version: ResultVersion) -> Rulebook:
    """The rulebook a version was computed with (stored in its payload).

    The one way to get it: the stored rulebook, not the period's rulebook version (which
    a later version may have been computed under). Read once per stored payload.
    """
    return _rulebook_of_payload(version.payload)


def result_of_version(version: ResultVersion) -> PeriodResult:
    """The version's stored result as typed records (:func:`result_from_plain`).

    Results stored before issue 13 read with the precision and fields they were computed
    under. Read once per stored payload; the records are frozen, so sharing them is safe.
    """
    return _result_of_payload(version.payload)


# A version's payload never changes (ResultVersion refuses updates), so its text is a
# sound cache key; a page often needs the rulebook and the result of the same version.
@functools.lru_cache(maxsize=16)
def _rulebook_of_payload(payload: str) -> Rulebook:
    return parse_rulebook(json.loads(payload)["rulebook"])


@functools.lru_cache(maxsize=16)
def _result_of_payload(payload: str) -> PeriodResult:
    return result_from_plain(json.loads(payload)["result"])


def what_if(
    version: ResultVersion,
    change: WhatIfChange,
    *,
    surveys: SurveySource | None,
    resamples: int = 0,
) -> PeriodResult:
    """Recompute a stored version's inputs under a changed rulebook, in memory only.

    The stored inputs already hold the survey scores; ``surveys`` only lends its
    satisfaction index function (``None``: a survey indicator cannot be recomputed).
    """
    payload = payload_of(version)
    rulebook = changed_rulebook(rulebook_of_version(version), change)
    inputs = inputs_from_canonical(payload["inputs"])
    return compute_period_results(
        rulebook,
        inputs,
        summarise_survey=surveys.summarise_targets if surveys is not None else None,
        resamples=resamples,
        seed=int(payload["seed"]),
    )
