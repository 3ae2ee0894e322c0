"""Reads for surveys: the session in, rows or plain records out.

Nothing here returns answers of a survey that is not closed: :func:`list_results`
refuses, so the embargo does not depend on every view remembering it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.models import Period, Unit
from surveys.core import tally
from surveys.models import (
    RATED_KINDS,
    AccessCode,
    Answer,
    Assignment,
    CodeBatch,
    Question,
    Response,
    Survey,
    SurveySeal,
    Target,
)

RESPONDENT_UNIT_KINDS = ("village", "community")


class NotFoundError(LookupError):
    """The survey does not exist or is outside the reader's scope."""


class EmbargoError(PermissionError):
    """Answers of a survey that is not closed were asked for."""


@dataclass(frozen=True, slots=True)
class ResidentItem:
    """One thing a resident answers: a question, about a target for rated kinds."""

    #: ``<question code>`` or ``<question code>__<target code>``.
    key: str
    question_id: int
    target_id: int | None
    kind: str
    text_zh: str
    text_en: str
    target_label_zh: str
    target_label_en: str
    #: Allowed answer values as strings, in display order (empty for free text).
    values: tuple[str, ...]
    #: Choice options as (value, Chinese label, English label).
    options: tuple[tuple[str, str, str], ...] = ()

    @property
    def field_name(self) -> str:
        return f"q_{self.key}"


def _values(kind: str, settings: dict[str, Any]) -> tuple[str, ...]:
    if kind == "likert":
        return tuple(str(v) for v in range(1, int(settings.get("points", 5)) + 1))
    if kind == "scale10":
        return tuple(str(v) for v in range(11))
    if kind == "ballot":
        grades = tuple(settings.get("values", {}))
        order = ("excellent", "competent", "basic", "incompetent")
        ordered = tuple(g for g in order if g in grades)
        return (*ordered, "abstain") if settings.get("abstain", True) else ordered
    if kind == "choice":
        return tuple(option["code"] for option in settings.get("options", []))
    return ()


def _item(question: Question, target: Target | None) -> ResidentItem:
    settings = json.loads(question.settings or "{}")
    options = tuple(
        (option["code"], option["zh"], option["en"]) for option in settings.get("options", [])
    )
    return ResidentItem(
        key=question.code if target is None else f"{question.code}__{target.code}",
        question_id=question.id,
        target_id=None if target is None else target.id,
        kind=question.kind,
        text_zh=question.text_zh,
        text_en=question.text_en or question.text_zh,
        target_label_zh="" if target is None else target.label_zh,
        target_label_en="" if target is None else (target.label_en or target.label_zh),
        values=_values(question.kind, settings),
        options=options,
    )


def list_items(session: Session, survey_id: int, unit_id: int) -> tuple[ResidentItem, ...]:
    """What a resident of ``unit_id`` answers: each assigned target × rated question, then
    the questions asked once (demographics, free text), in the builder's order."""
    questions = list(
        session.scalars(
            sa.select(Question).where(Question.survey_id == survey_id).order_by(Question.position)
        )
    )
    targets = list(
        session.scalars(
            sa.select(Target)
            .join(Assignment, Assignment.target_id == Target.id)
            .where(Assignment.survey_id == survey_id, Assignment.unit_id == unit_id)
            .order_by(Target.position)
        )
    )
    rated = [q for q in questions if q.kind in RATED_KINDS]
    once = [q for q in questions if q.kind not in RATED_KINDS]
    items = [_item(q, t) for t in targets for q in rated]
    items.extend(_item(q, None) for q in once)
    return tuple(items)


def list_surveys(session: Session, unit_ids: set[int]) -> list[Survey]:
    query = (
        sa.select(Survey)
        .join(Period, Period.id == Survey.period_id)
        .where(Period.scope_unit_id.in_(unit_ids))
        .order_by(Survey.id.desc())
    )
    return list(session.scalars(query))


def get_survey(session: Session, survey_id: int, unit_ids: set[int]) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None or survey.period.scope_unit_id not in unit_ids:
        raise NotFoundError(survey_id)
    return survey


def find_survey_by_short_id(session: Session, short_id: str) -> Survey | None:
    return session.scalars(sa.select(Survey).where(Survey.short_id == short_id)).one_or_none()


def respondent_units(session: Session, period: Period) -> list[Unit]:
    """Villages and communities under the period's scope unit, in tree order."""
    scope = period.scope_unit
    query = (
        sa.select(Unit)
        .where(Unit.path.startswith(scope.path), Unit.kind.in_(RESPONDENT_UNIT_KINDS))
        .where(Unit.retired_on.is_(None))
        .order_by(Unit.path)
    )
    return list(session.scalars(query))


def list_batches(session: Session, survey_id: int) -> list[CodeBatch]:
    return list(
        session.scalars(
            sa.select(CodeBatch).where(CodeBatch.survey_id == survey_id).order_by(CodeBatch.id)
        )
    )


def get_batch(session: Session, survey_id: int, batch_id: int) -> CodeBatch:
    batch = session.get(CodeBatch, batch_id)
    if batch is None or batch.survey_id != survey_id:
        raise NotFoundError(batch_id)
    return batch


def find_seal(session: Session, survey_id: int) -> SurveySeal | None:
    return session.scalars(sa.select(SurveySeal).where(SurveySeal.survey_id == survey_id)).first()


@dataclass(frozen=True, slots=True)
class UnitParticipation:
    """Participation in one respondent unit: counts only, never answers."""

    unit_id: int
    code: str
    name_zh: str
    name_en: str
    households: int
    codes_issued: int
    codes_used: int
    online: int
    paper: int

    @property
    def responses(self) -> int:
        return self.online + self.paper

    @property
    def response_rate(self) -> float | None:
        """Responses per household, 0-1 (None when the unit records no households)."""
        return self.responses / self.households if self.households else None


@dataclass(frozen=True, slots=True)
class ParticipationTotal:
    """Participation over all respondent units of a survey."""

    households: int
    codes_issued: int
    codes_used: int
    online: int
    paper: int
    #: Responses from units that record their households: the rate's numerator.
    counted: int

    @property
    def responses(self) -> int:
        return self.online + self.paper

    @property
    def response_rate(self) -> float | None:
        """Responses per household over the units that record households (0-1).

        A unit without a household count adds nothing to the denominator, so its
        responses are left out of the numerator too (else the rate is inflated).
        """
        return self.counted / self.households if self.households else None


def total_participation(rows: Sequence[UnitParticipation]) -> ParticipationTotal:
    """The totals of :func:`list_participation`'s rows, each household counted once."""
    return ParticipationTotal(
        households=sum(r.households for r in rows),
        codes_issued=sum(r.codes_issued for r in rows),
        codes_used=sum(r.codes_used for r in rows),
        online=sum(r.online for r in rows),
        paper=sum(r.paper for r in rows),
        counted=sum(r.responses for r in rows if r.households),
    )


def list_participation(session: Session, survey: Survey) -> list[UnitParticipation]:
    """Codes issued and used, and responses by channel, per respondent unit."""
    issued = dict(
        session.execute(
            sa.select(CodeBatch.unit_id, sa.func.count(AccessCode.id))
            .join(AccessCode, AccessCode.batch_id == CodeBatch.id)
            .where(CodeBatch.survey_id == survey.id, CodeBatch.revoked_at.is_(None))
            .group_by(CodeBatch.unit_id)
        ).all()
    )
    used = dict(
        session.execute(
            sa.select(CodeBatch.unit_id, sa.func.count(AccessCode.id))
            .join(AccessCode, AccessCode.batch_id == CodeBatch.id)
            .where(CodeBatch.survey_id == survey.id, AccessCode.used.is_(True))
            .group_by(CodeBatch.unit_id)
        ).all()
    )
    by_channel: dict[tuple[int, str], int] = {
        (unit_id, channel): count
        for unit_id, channel, count in session.execute(
            sa.select(Response.unit_id, Response.channel, sa.func.count())
            .where(Response.survey_id == survey.id)
            .group_by(Response.unit_id, Response.channel)
        ).all()
    }
    return [
        UnitParticipation(
            unit_id=unit.id,
            code=unit.code,
            name_zh=unit.name_zh,
            name_en=unit.name_en or unit.name_zh,
            households=unit.households,
            codes_issued=int(issued.get(unit.id, 0)),
            codes_used=int(used.get(unit.id, 0)),
            online=by_channel.get((unit.id, "online"), 0),
            paper=by_channel.get((unit.id, "paper"), 0),
        )
        for unit in respondent_units(session, survey.period)
    ]


def list_receipts(session: Session, survey: Survey) -> list[str]:
    """Every counted receipt (online and paper), sorted; only once the survey is closed."""
    if survey.status != "closed":
        raise EmbargoError(survey.id)
    return list(
        session.scalars(
            sa.select(Response.receipt)
            .where(Response.survey_id == survey.id)
            .order_by(Response.receipt)
        )
    )


@dataclass(frozen=True, slots=True)
class TargetResult:
    """Result for one target of a closed survey (plain values for the template)."""

    target_id: int
    label_zh: str
    label_en: str
    satisfaction: tally.SatisfactionSummary | None
    ballot: tally.BallotSummary | None


def list_results(session: Session, survey: Survey) -> list[TargetResult]:
    """Satisfaction index per target (Likert and 0-10 items) and grade ballot tallies.

    Raises
    ------
    EmbargoError
        Unless the survey is closed: nobody sees answers or scores before that.
    """
    if survey.status != "closed":
        raise EmbargoError(survey.id)
    questions = {q.id: q for q in survey.questions}
    rows = session.execute(
        sa.select(
            Answer.response_id,
            Answer.target_id,
            Answer.question_id,
            Answer.value_int,
            Answer.value_text,
        )
        .join(Response, Response.id == Answer.response_id)
        .where(Response.survey_id == survey.id, Answer.target_id.is_not(None))
    ).all()
    # Per (response, target): the mean of its answered Likert/0-10 items on 0-100.
    sums: dict[tuple[str, int], list[float]] = {}
    ballots: dict[int, list[str]] = {}
    for response_id, target_id, question_id, value_int, value_text in rows:
        if target_id is None:  # excluded by the query; narrows the type
            continue
        question = questions[question_id]
        if question.kind == "ballot":
            ballots.setdefault(target_id, []).append(value_text or "abstain")
            continue
        if value_int is None:
            continue
        if question.kind == "scale10":
            mapped = float(tally.likert_to_100([value_int + 1], k=11)[0])
        else:
            points = int(json.loads(question.settings).get("points", 5))
            mapped = float(tally.likert_to_100([value_int], k=points)[0])
        sums.setdefault((response_id, target_id), []).append(mapped)
    summaries: dict[Any, tally.SatisfactionSummary] = {}
    if sums:
        keys = list(sums)
        # the response rate's denominator: households of the units asked to rate it
        households: dict[int, int] = {}
        for assignment in survey.assignments:
            households[assignment.target_id] = (
                households.get(assignment.target_id, 0) + assignment.unit.households
            )
        summaries = tally.summarise_targets(
            [target_id for _, target_id in keys],
            np.array([sum(sums[k]) / len(sums[k]) for k in keys]),
            households={target: count for target, count in households.items() if count > 0},
        )
    results = []
    for target in survey.targets:
        ballot_question = next((q for q in survey.questions if q.kind == "ballot"), None)
        ballot = None
        if target.id in ballots and ballot_question is not None:
            values = json.loads(ballot_question.settings)["values"]
            ballot = tally.summarise_ballots(
                ballots[target.id], values={k: float(v) for k, v in values.items()}
            )
        results.append(
            TargetResult(
                target_id=target.id,
                label_zh=target.label_zh,
                label_en=target.label_en or target.label_zh,
                satisfaction=summaries.get(target.id),
                ballot=ballot,
            )
        )
    return results
