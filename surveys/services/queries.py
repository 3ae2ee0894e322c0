"""Reads for surveys: the session in, rows or plain records out.

Nothing here returns answers of a survey that is not closed: :func:`list_results` and
:func:`list_scored_responses` refuse, so the embargo does not depend on every view
remembering it.

The one resident-score path: :func:`list_scored_responses` reads a closed survey's
answers, marks the responses the team excluded (:func:`list_excluded_ids`, the one
place "the latest decision wins" is written) and scores them with
:func:`surveys.core.tally.compute_response_scores`. The official results
(``surveys.services.results_source``), the staff survey page (:func:`list_results`) and the open
data (``reports.services.bundle``) all read it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.models import Account, Cadre, Period, Unit
from surveys.core import tally
from surveys.models.paper import ResponseExclusion
from surveys.models.surveys import (
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


#: Question kinds scored on 0-100 and counted in the satisfaction index.
SCORED_KINDS = ("likert", "scale10")
#: The stored answer (``Answer.value_text``, ``value_int`` NULL) of a resident who does
#: not know the target well enough to rate it (不了解): neither a level nor a blank.
#: Offered on scored items about a target; a grade ballot keeps its own abstention.
DONT_KNOW = "dont_know"


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
    #: Whether "don't know" (:data:`DONT_KNOW`) may be answered instead of a level.
    dont_know: bool = False

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
        dont_know=target is not None and question.kind in SCORED_KINDS,
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


def list_closed_surveys(session: Session, period: Period) -> list[Survey]:
    """The period's closed surveys, oldest first: the only ones whose answers count."""
    query = (
        sa.select(Survey)
        .where(Survey.period_id == period.id, Survey.status == "closed")
        .order_by(Survey.id)
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


def find_cadre(session: Session, cadre_id: int) -> Cadre | None:
    """A cadre by id, without a scope check (the target form offers the scope's cadres only)."""
    return session.get(Cadre, cadre_id)


def account_usernames(session: Session, account_ids: set[int]) -> dict[int, str]:
    """The user names of the given accounts, by id (the clerks named on the paper pages)."""
    if not account_ids:
        return {}
    query = sa.select(Account.id, Account.username).where(Account.id.in_(account_ids))
    return dict(session.execute(query).all())


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


# ---------------------------------------------------------------------------
# exclusions and scores: the one path from answers to a resident's score
# ---------------------------------------------------------------------------


def _excluded_decisions(which: sa.ColumnElement[bool]) -> sa.Select[ResponseExclusion]:
    """Decisions among ``which`` that are the latest about their response and exclude it."""
    latest = (
        sa.select(sa.func.max(ResponseExclusion.id).label("last"))
        .where(which)
        .group_by(ResponseExclusion.response_id)
        .subquery()
    )
    return (
        sa.select(ResponseExclusion)
        .join(latest, latest.c.last == ResponseExclusion.id)
        .where(ResponseExclusion.decision == "exclude")
    )


def list_excluded_ids(session: Session, survey_id: int) -> set[str]:
    """Responses of the survey whose latest decision is to exclude them.

    Decisions are appended (exclude, include again, ...); only the latest counts.
    Excluded responses stay stored and are left out of every tally.
    """
    decisions = _excluded_decisions(ResponseExclusion.survey_id == survey_id)
    return {decision.response_id for decision in session.scalars(decisions)}


@dataclass(frozen=True, slots=True)
class ExclusionTally:
    """How many responses of a survey are excluded for one written reason."""

    survey_title_zh: str
    survey_title_en: str
    reason: str
    count: int


def count_exclusions(session: Session, period_id: int) -> list[ExclusionTally]:
    """Excluded responses of the period's surveys, counted per survey and reason.

    Reasons are the team's words; no response id or answer leaves this function.
    """
    surveys = sa.select(Survey.id).where(Survey.period_id == period_id)
    decisions = _excluded_decisions(ResponseExclusion.survey_id.in_(surveys)).subquery()
    rows = session.execute(
        sa.select(Survey.title_zh, Survey.title_en, decisions.c.decision_reason, sa.func.count())
        .join(Survey, Survey.id == decisions.c.survey_id)
        .join(Response, Response.id == decisions.c.response_id)
        .group_by(Survey.id, Survey.title_zh, Survey.title_en, decisions.c.decision_reason)
        .order_by(Survey.id, decisions.c.decision_reason)
    )
    return [
        ExclusionTally(title_zh, title_en or "", reason, int(count))
        for title_zh, title_en, reason, count in rows
    ]


@dataclass(frozen=True, slots=True)
class ScoredQuestion:
    """A question counted in the satisfaction index, and its scale."""

    id: int
    code: str
    kind: str
    #: Points of the scale (11 for a 0-10 scale).
    points: int
    #: Lowest level of the scale (1 for Likert, 0 for a 0-10 scale).
    lowest: int
    text_zh: str
    text_en: str


def _scored_question(question: Question) -> ScoredQuestion:
    if question.kind == "scale10":
        points, lowest = 11, 0
    else:
        points, lowest = int(json.loads(question.settings or "{}").get("points", 5)), 1
    return ScoredQuestion(
        question.id,
        question.code,
        question.kind,
        points,
        lowest,
        question.text_zh,
        question.text_en,
    )


@dataclass(frozen=True, slots=True)
class ScoredResponses:
    """Every response of a closed survey about each target it answered about, scored.

    Row ``i`` is the pair ``(response_ids[i], target_ids[i])`` (sorted, so the same
    stored answers always give the same rows); a response answers about a target when
    it gave any answer about it, so a pair with no scored answer has a NaN score (an
    invalid response). ``answers`` are the stored levels (NaN unanswered), one column
    per question of ``questions``; ``scores`` comes from
    :func:`surveys.core.tally.compute_response_scores`. Excluded rows are kept and
    marked: the results count them apart, the open data leaves them out. A pair whose
    scored answers are all "don't know" (:data:`DONT_KNOW`) is marked in
    ``scores.dont_know``: it counts in the target's awareness, not in its index;
    ``dont_know_answers`` marks each such answer, one column per question like ``answers``
    (so a score over some of the questions can be worked out again).
    """

    questions: tuple[ScoredQuestion, ...]
    response_ids: tuple[str, ...]
    target_ids: tuple[int, ...]
    unit_ids: tuple[int, ...]
    days: tuple[date, ...]
    #: The voter group of each row's response (the only thing known of who answered).
    voter_groups: tuple[str, ...]
    excluded: tuple[bool, ...]
    answers: tally.FloatArray
    dont_know_answers: tally.BoolArray
    scores: tally.ResponseScores


def list_scored_responses(session: Session, survey: Survey) -> ScoredResponses:
    """The scored (response, target) pairs of a closed survey (see :class:`ScoredResponses`).

    A survey with no Likert or 0-10 question has no rows.

    Raises
    ------
    EmbargoError
        Unless the survey is closed: nobody sees answers or scores before that.
    """
    if survey.status != "closed":
        raise EmbargoError(survey.id)
    questions = tuple(
        _scored_question(q)
        for q in sorted(survey.questions, key=lambda q: q.id)
        if q.kind in SCORED_KINDS
    )
    columns = {q.id: i for i, q in enumerate(questions)}
    answered: dict[tuple[str, int], list[float]] = {}
    unknown: dict[tuple[str, int], list[bool]] = {}
    if questions:
        for response_id, target_id, question_id, value_int, value_text in session.execute(
            sa.select(
                Answer.response_id,
                Answer.target_id,
                Answer.question_id,
                Answer.value_int,
                Answer.value_text,
            )
            .join(Response, Response.id == Answer.response_id)
            .where(Response.survey_id == survey.id, Answer.target_id.is_not(None))
        ):
            if target_id is None:  # excluded by the query; narrows the type
                continue
            # the first answer about a target makes the response one about that target
            pair = (response_id, target_id)
            row = answered.setdefault(pair, [np.nan] * len(questions))
            flags = unknown.setdefault(pair, [False] * len(questions))
            if question_id in columns and value_int is not None:
                row[columns[question_id]] = float(value_int)
            elif question_id in columns and value_text == DONT_KNOW:
                flags[columns[question_id]] = True
    meta = {
        response_id: (unit_id, day, group)
        for response_id, unit_id, day, group in session.execute(
            sa.select(
                Response.id, Response.unit_id, Response.submitted_on, Response.voter_group
            ).where(Response.survey_id == survey.id)
        )
    }
    excluded = list_excluded_ids(session, survey.id)
    pairs = sorted(answered)
    matrix = np.array([answered[pair] for pair in pairs], dtype=np.float64).reshape(
        len(pairs), len(questions)
    )
    dont_know = np.array([unknown[pair] for pair in pairs], dtype=np.bool_).reshape(
        len(pairs), len(questions)
    )
    return ScoredResponses(
        questions=questions,
        response_ids=tuple(response_id for response_id, _ in pairs),
        target_ids=tuple(target_id for _, target_id in pairs),
        unit_ids=tuple(meta[response_id][0] for response_id, _ in pairs),
        days=tuple(meta[response_id][1] for response_id, _ in pairs),
        voter_groups=tuple(meta[response_id][2] for response_id, _ in pairs),
        excluded=tuple(response_id in excluded for response_id, _ in pairs),
        answers=matrix,
        dont_know_answers=dont_know,
        scores=tally.compute_response_scores(
            matrix,
            k=[q.points for q in questions],
            lowest=[q.lowest for q in questions],
            dont_know=dont_know,
        ),
    )


def list_ballot_sheets(
    session: Session, survey: Survey, question_ids: Sequence[int]
) -> list[dict[int, str | None]]:
    """The counted ballot sheets of a closed survey, every voter group together.

    :func:`list_group_ballot_sheets` keeps the groups apart.

    Raises
    ------
    EmbargoError
        Unless the survey is closed.
    """
    by_group = list_group_ballot_sheets(session, survey, question_ids)
    return [sheet for group in sorted(by_group) for sheet in by_group[group]]


def list_group_ballot_sheets(
    session: Session, survey: Survey, question_ids: Sequence[int]
) -> dict[str, list[dict[int, str | None]]]:
    """The counted ballot sheets of a closed survey per voter group (the response's):
    one sheet per response and ballot question.

    A sheet maps each target the voter marked to a grade code, ``None`` for an
    abstention; the rulebook's validity rules judge whole sheets
    (:func:`assessment.core.ballots.tally_sheets`). Responses the team excluded are left
    out (they stay stored). The one reader of ballots: the staff results page, the
    tally sheet and the results engine count the same ones.

    Raises
    ------
    EmbargoError
        Unless the survey is closed.
    """
    if survey.status != "closed":
        raise EmbargoError(survey.id)
    sheets: dict[tuple[str, str, int], dict[int, str | None]] = {}
    if not question_ids:
        return {}
    excluded = list_excluded_ids(session, survey.id)
    for response_id, group, question_id, target_id, value_text in session.execute(
        sa.select(
            Answer.response_id,
            Response.voter_group,
            Answer.question_id,
            Answer.target_id,
            Answer.value_text,
        )
        .join(Response, Response.id == Answer.response_id)
        .where(
            Response.survey_id == survey.id,
            Answer.question_id.in_(question_ids),
            Answer.target_id.is_not(None),
        )
        .order_by(Answer.response_id, Answer.question_id, Answer.target_id)
    ):
        if target_id is None or response_id in excluded:
            continue
        grade = None if not value_text or value_text in tally.ABSTAIN_CODES else value_text
        sheets.setdefault((group, response_id, question_id), {})[target_id] = grade
    out: dict[str, list[dict[int, str | None]]] = {}
    for (group, _response, _question), sheet in sheets.items():
        out.setdefault(group, []).append(sheet)
    return out


def list_ballots(
    session: Session, survey: Survey, question_ids: Sequence[int]
) -> dict[int, list[str]]:
    """The counted grade ballots of a closed survey per target: a grade code or ``abstain``.

    Every counted sheet (:func:`list_ballot_sheets`), before any validity rule.

    Raises
    ------
    EmbargoError
        Unless the survey is closed.
    """
    ballots: dict[int, list[str]] = {}
    for sheet in list_ballot_sheets(session, survey, question_ids):
        for target_id, grade in sheet.items():
            ballots.setdefault(target_id, []).append(grade or "abstain")
    return ballots


@dataclass(frozen=True, slots=True)
class TargetResult:
    """Result for one target of a closed survey (plain values for the template)."""

    target_id: int
    label_zh: str
    label_en: str
    satisfaction: tally.SatisfactionSummary | None
    ballot: tally.BallotSummary | None
    #: Residents who rated the target and who said "don't know" (知晓率).
    awareness: tally.AwarenessSummary | None = None


def list_results(session: Session, survey: Survey) -> list[TargetResult]:
    """Satisfaction index per target (Likert and 0-10 items) and grade ballot tallies.

    Counts exactly the responses the official results count (:func:`list_scored_responses`).

    Raises
    ------
    EmbargoError
        Unless the survey is closed: nobody sees answers or scores before that.
    """
    scored = list_scored_responses(session, survey)
    kept = [i for i, excluded in enumerate(scored.excluded) if not excluded]
    # a "don't know" pair is in the awareness, not in the index (nor its invalid count)
    counted = [i for i in kept if not scored.scores.dont_know[i]]
    awareness = tally.summarise_awareness(
        [scored.target_ids[i] for i in kept],
        scored.scores.answered[kept] > 0,
        scored.scores.dont_know[kept],
    )
    summaries: dict[Any, tally.SatisfactionSummary] = {}
    if counted:
        # the response rate's denominator: households of the units asked to rate it
        households: dict[int, int] = {}
        for assignment in survey.assignments:
            households[assignment.target_id] = (
                households.get(assignment.target_id, 0) + assignment.unit.households
            )
        summaries = tally.summarise_targets(
            [scored.target_ids[i] for i in counted],
            scored.scores.scores[counted],
            households={target: count for target, count in households.items() if count > 0},
        )
    ballot_ids = [q.id for q in survey.questions if q.kind == "ballot"]
    ballot_question = next((q for q in survey.questions if q.kind == "ballot"), None)
    ballots = list_ballots(session, survey, ballot_ids)
    results = []
    for target in survey.targets:
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
                awareness=awareness.get(target.id),
            )
        )
    return results
