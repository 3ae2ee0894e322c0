"""Residents' free-text comments: the team's review, and the approved ones per cadre.

Embargo (DESIGN section 5): nothing here reads a comment before its survey closes.
Small groups: the review list names a comment's unit, and the targets its response
rated (which, for a village's own cadres, name the village too), only when at least
``min_group_size`` responses of the survey came from that unit. The cadre portal gets a
cadre's approved comments only when at least ``min_group_size`` valid responses rated
the cadre (:func:`approved_comments`, which the portal reads through the registered
survey source, ``assessment.services.survey_source``).

Services take the session first, flush and never commit; every review is audited by
the unit of work. Nothing here logs a comment.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.errors import FieldError
from assessment.models import Period
from surveys.models.comments import CommentReview
from surveys.models.surveys import Answer, Question, Response, Survey, Target
from surveys.services.queries import EmbargoError, list_excluded_ids
from surveys.services.surveys import SurveyStateError

#: The review actions and the status each records.
ACTIONS = {"approve": "approved", "hide": "hidden"}
#: Filter values of the review list.
STATUS_FILTERS = ("pending", "approved", "hidden")
MAX_REASON = 1000


@dataclass(frozen=True, slots=True)
class TargetSummary:
    """A rated target of the survey: how many responses rated it, comments about it."""

    id: int
    code: str
    kind: str
    label_zh: str
    label_en: str
    #: Valid (not excluded) responses that rated the target.
    responses: int
    #: Comments approved about the target (of valid responses).
    approved: int
    #: Whether the approved comments reach the cadre portal (responses >= minimum).
    shown: bool


@dataclass(frozen=True, slots=True)
class Comment:
    """One free-text answer with its review; ``unit_id`` and ``rated`` are ``None``
    when the respondent's unit sent fewer responses than the minimum group size."""

    response_id: str
    item: str
    question_zh: str
    question_en: str
    text: str
    unit_id: int | None
    rated: tuple[int, ...] | None
    excluded: bool
    status: str
    about_target_id: int | None
    reason: str
    reviewed_by: int | None
    reviewed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CommentList:
    comments: tuple[Comment, ...]
    targets: tuple[TargetSummary, ...]
    #: Comments of the survey before filtering, by status (``pending`` included).
    counts: dict[str, int]
    min_group_size: int


def _require_closed(survey: Survey) -> None:
    if survey.status != "closed":
        raise EmbargoError(survey.id)


def _text_answers(session: Session, survey_id: int) -> list[tuple[str, str, int, str]]:
    """(response id, item, question id, text) of every non-empty free-text answer."""
    rows = session.execute(
        sa.select(Answer.response_id, Answer.item, Answer.question_id, Answer.value_text)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .where(
            Response.survey_id == survey_id,
            Question.kind == "text",
            Answer.value_text.is_not(None),
            Answer.value_text != "",
        )
        .order_by(Answer.response_id, Answer.item)
    )
    return [(r, i, q, str(t)) for r, i, q, t in rows]


def _rated_targets(session: Session, survey_ids: Collection[int]) -> dict[str, set[int]]:
    """Targets each response answered about (its first rated answer makes it one)."""
    rated: dict[str, set[int]] = defaultdict(set)
    rows = session.execute(
        sa.select(Answer.response_id, Answer.target_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.survey_id.in_(list(survey_ids)), Answer.target_id.is_not(None))
        .distinct()
    )
    for response_id, target_id in rows:
        if target_id is not None:
            rated[response_id].add(target_id)
    return rated


def list_comments(
    session: Session,
    survey: Survey,
    *,
    min_group_size: int,
    status: str | None = None,
    about: int | None = None,
) -> CommentList:
    """The free-text comments of a closed survey with their reviews, for the team.

    ``status`` keeps ``pending``, ``approved`` or ``hidden`` ones; ``about`` keeps the
    comments approved about that target. Ordered by the responses' random keys, so the
    order says nothing about when or where they were given.

    Raises
    ------
    EmbargoError
        When the survey is not closed.
    """
    _require_closed(survey)
    answers = _text_answers(session, survey.id)
    questions = {q.id: q for q in survey.questions}
    units = dict(
        session.execute(
            sa.select(Response.id, Response.unit_id).where(Response.survey_id == survey.id)
        ).all()
    )
    unit_sizes = Counter(units.values())
    rated = _rated_targets(session, [survey.id])
    excluded = list_excluded_ids(session, survey.id)
    reviews = {
        (r.response_id, r.item): r
        for r in session.scalars(
            sa.select(CommentReview).where(CommentReview.survey_id == survey.id)
        )
    }
    comments = []
    for response_id, item, question_id, text in answers:
        review = reviews.get((response_id, item))
        question = questions[question_id]
        big_enough = unit_sizes[units[response_id]] >= min_group_size
        comments.append(
            Comment(
                response_id=response_id,
                item=item,
                question_zh=question.text_zh,
                question_en=question.text_en or question.text_zh,
                text=text,
                unit_id=units[response_id] if big_enough else None,
                rated=tuple(sorted(rated.get(response_id, ()))) if big_enough else None,
                excluded=response_id in excluded,
                status=review.review_status if review else "pending",
                about_target_id=review.about_target_id if review else None,
                reason=review.review_reason if review else "",
                reviewed_by=review.reviewed_by if review else None,
                reviewed_at=review.reviewed_at if review else None,
            )
        )
    counts = dict(Counter(c.status for c in comments))
    approved_about = Counter(
        c.about_target_id for c in comments if c.status == "approved" and not c.excluded
    )
    responses_about = Counter(
        t for response_id, targets in rated.items() if response_id not in excluded for t in targets
    )
    targets = tuple(
        TargetSummary(
            id=t.id,
            code=t.code,
            kind=t.kind,
            label_zh=t.label_zh,
            label_en=t.label_en or t.label_zh,
            responses=responses_about[t.id],
            approved=approved_about[t.id],
            shown=t.kind == "cadre" and responses_about[t.id] >= min_group_size,
        )
        for t in survey.targets
    )
    kept = [
        c
        for c in comments
        if (status is None or c.status == status)
        and (about is None or (c.status == "approved" and c.about_target_id == about))
    ]
    return CommentList(tuple(kept), targets, counts, min_group_size)


def review_comment(
    session: Session,
    survey: Survey,
    *,
    response_id: str,
    item: str,
    action: str,
    about_target_id: int | None,
    reason: str,
    reviewer_id: int,
    now: datetime,
) -> CommentReview:
    """Approve a comment (about one of the survey's targets) or hide it; replaces an
    earlier review of the same comment.

    Raises
    ------
    SurveyStateError
        ``comments_before_closing`` when the survey is not closed.
    FieldError
        ``action`` (unknown), ``comment`` (no such free-text answer in this survey),
        ``about_target_id`` (missing or not a target of this survey, when approving),
        ``reason`` (too long), or ``action`` ``response_excluded`` (approving a comment
        of an excluded response).
    """
    if survey.status != "closed":
        raise SurveyStateError("comments_before_closing")
    status = ACTIONS.get(action)
    if status is None:
        raise FieldError("action", "unknown_action")
    found = session.execute(
        sa.select(Answer.response_id)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .where(
            Response.survey_id == survey.id,
            Answer.response_id == response_id,
            Answer.item == item,
            Question.kind == "text",
            Answer.value_text.is_not(None),
            Answer.value_text != "",
        )
    ).first()
    if found is None:
        raise FieldError("comment", "unknown_comment")
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise FieldError("reason", "too_long", max=MAX_REASON)
    if status == "approved":
        if about_target_id is None:
            raise FieldError("about_target_id", "required")
        if about_target_id not in {t.id for t in survey.targets}:
            raise FieldError("about_target_id", "unknown_target")
        if response_id in list_excluded_ids(session, survey.id):
            raise FieldError("action", "response_excluded")
    else:
        about_target_id = None
    review = session.get(CommentReview, (response_id, item))
    if review is None:
        review = CommentReview(response_id=response_id, item=item, survey_id=survey.id)
        session.add(review)
    review.review_status = status
    review.about_target_id = about_target_id
    review.review_reason = reason
    review.reviewed_by = reviewer_id
    review.reviewed_at = now
    session.flush()
    return review


def count_responses_about(session: Session, period: Period, cadre_id: int) -> int:
    """Valid responses of the period's closed surveys that rated the cadre."""
    targets = list(
        session.execute(
            sa.select(Target.id, Target.survey_id)
            .join(Survey, Survey.id == Target.survey_id)
            .where(
                Survey.period_id == period.id,
                Survey.status == "closed",
                Target.kind == "cadre",
                Target.cadre_id == cadre_id,
            )
        )
    )
    count = 0
    for survey_id in {s for _t, s in targets}:
        ids = {t for t, s in targets if s == survey_id}
        responses = set(
            session.scalars(
                sa.select(Answer.response_id)
                .join(Response, Response.id == Answer.response_id)
                .where(Response.survey_id == survey_id, Answer.target_id.in_(ids))
                .distinct()
            )
        )
        count += len(responses - list_excluded_ids(session, survey_id))
    return count


def approved_comments(session: Session, period: Period, cadre_id: int | str) -> list[str] | None:
    """The comments the team approved about a cadre, across the period's closed surveys.

    Returns ``None`` (suppressed) when fewer than ``period.min_group_size`` valid
    responses rated the cadre (DESIGN section 5, small groups), else the texts sorted
    (an order that says nothing about who wrote them), possibly empty. Comments of
    excluded responses are left out.
    """
    cadre = int(cadre_id)
    if count_responses_about(session, period, cadre) < period.min_group_size:
        return None
    rows = session.execute(
        sa.select(Answer.value_text, Response.survey_id, Response.id)
        .join(
            CommentReview,
            sa.and_(
                CommentReview.response_id == Answer.response_id,
                CommentReview.item == Answer.item,
            ),
        )
        .join(Response, Response.id == Answer.response_id)
        .join(Target, Target.id == CommentReview.about_target_id)
        .join(Survey, Survey.id == Response.survey_id)
        .where(
            Survey.period_id == period.id,
            Survey.status == "closed",
            CommentReview.review_status == "approved",
            Target.kind == "cadre",
            Target.cadre_id == cadre,
        )
    ).all()
    excluded: dict[int, set[str]] = {}
    texts = []
    for text, survey_id, response_id in rows:
        if survey_id not in excluded:
            excluded[survey_id] = list_excluded_ids(session, survey_id)
        if response_id not in excluded[survey_id] and text:
            texts.append(str(text))
    return sorted(texts)
