"""Publication of a period's results: the public notice, objections and review, finalisation.

The lifecycle (DESIGN section 3): computed → notice → final.

- :func:`open_notice` puts the latest result version on public notice for a number of
  working days (:mod:`assessment.core.workdays`) and moves the period to "notice".
- :func:`file_objection` records an objection from a cadre (about their own result) or
  from a member of the public, only while the notice is open.
- :func:`assign_objection` and :func:`decide_objection` are the team's review. A decision
  may correct one input of the cadre (a quantitative actual, or a bonus/penalty/veto
  event added or withdrawn) through the objection-correction path below, which is the
  only way inputs change outside "collecting"; the results are then recomputed into a
  new version whose reason names the objection. Earlier versions stay readable.
- :func:`finalise_period` makes the period final once the notice has ended and every
  objection is decided; the final version is the latest.

Services flush and never commit; every flush inside ``unit_of_work`` is audited.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.errors import AssessmentError, FieldError, InvalidParameterError
from assessment.core.rulebook import IndicatorKind, Rulebook
from assessment.core.workdays import add_working_days, notice_end
from assessment.models import (
    Account,
    Event,
    Evidence,
    Notice,
    Objection,
    Period,
    ResultVersion,
)
from assessment.models.publication import OBJECTION_CHANNELS, OBJECTION_OUTCOMES
from assessment.services.evidence import StoredFile
from assessment.services.inputs import (
    PANEL_ROLES,
    AssessedCadre,
    check_text,
    find_rulebook,
    indicator_of,
    list_assessed,
    record_evidence,
    write_event,
    write_result,
)
from assessment.services.periods import (
    PENDING_OBJECTION_STATUSES,
    FinaliseRefusedError,
    NoticeNotOpenedError,
    advance_period,
    check_finalisable,
)
from assessment.services.results import (
    MAX_REASON as MAX_VERSION_REASON,
)
from assessment.services.results import compute_results, list_versions
from assessment.services.survey_source import SurveySource
from assessment.services.unit_subjects import speaks_for

__all__ = [
    "MAX_DECISION_REASON",
    "MAX_INSTRUCTIONS",
    "MAX_NOTICE_WORKING_DAYS",
    "MAX_OBJECTION_REASON",
    "PENDING_OBJECTION_STATUSES",
    "Correction",
    "FinaliseRefusedError",
    "NoticeNotOpenedError",
    "PublicationRefusedError",
    "add_attachment",
    "assign_objection",
    "check_finalisable",
    "decide_objection",
    "file_objection",
    "finalise_period",
    "find_notice",
    "get_objection",
    "is_notice_open",
    "is_overdue",
    "list_objections",
    "list_shown_versions",
    "open_notice",
    "shown_version_number",
]

MAX_INSTRUCTIONS = 2000
MAX_OBJECTION_REASON = 2000
#: The decision reason goes into the new version's reason after "objection #N: ".
MAX_DECISION_REASON = MAX_VERSION_REASON - 40
MAX_CONTACT_NAME = 100
MAX_CONTACT = 200
#: Longest notice or review time accepted, in working days.
MAX_NOTICE_WORKING_DAYS = 30


class PublicationRefusedError(AssessmentError):
    """A publication step is not possible now.

    ``code`` is one of ``notice_needs_computed`` (a notice opens only from "computed"),
    ``no_result_version``, ``no_notice`` (the period is not on notice),
    ``notice_closed`` (``params``: ``starts_on``, ``ends_on``),
    ``objection_decided`` or ``period_final``. ``status`` is the period's state.
    """

    def __init__(self, code: str, status: str, **params: object) -> None:
        self.code = code
        self.status = status
        self.params = params
        super().__init__(f"{code} ({status}) {params}" if params else f"{code} ({status})")


# ---------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------


def find_notice(session: Session, period: Period) -> Notice | None:
    """The period's latest notice, or None before one was opened."""
    return session.scalars(
        sa.select(Notice).where(Notice.period_id == period.id).order_by(Notice.id.desc())
    ).first()


def is_notice_open(notice: Notice, today: date) -> bool:
    """Whether objections are accepted on ``today`` (first and last day included)."""
    return notice.starts_on <= today <= notice.ends_on


def _latest_number(session: Session, period_id: int) -> int | None:
    number = session.scalar(
        sa.select(sa.func.max(ResultVersion.number)).where(ResultVersion.period_id == period_id)
    )
    return int(number) if number is not None else None


def shown_version_number(session: Session, period: Period) -> int | None:
    """The version the public and the cadres see.

    The final version once the period is final; the latest version while it is on
    notice (a decision may have replaced the one first put on notice); else None.
    """
    if period.status == "final":
        return period.final_version_number
    if period.status == "notice":
        return _latest_number(session, period.id)
    return None


def list_shown_versions(session: Session, period: Period) -> list[ResultVersion]:
    """Versions shown publicly, newest first: from the one first put on notice up to
    the shown one (each later one replaced the one before it)."""
    notice = find_notice(session, period)
    shown = shown_version_number(session, period)
    if notice is None or shown is None:
        return []
    return [
        v for v in list_versions(session, period.id) if notice.version_number <= v.number <= shown
    ]


def list_objections(
    session: Session, period_id: int, *, cadre_id: int | None = None
) -> list[Objection]:
    """The period's objections in the order filed (one cadre's when ``cadre_id`` is given)."""
    query = sa.select(Objection).where(Objection.period_id == period_id)
    if cadre_id is not None:
        query = query.where(Objection.cadre_id == cadre_id)
    return list(session.scalars(query.order_by(Objection.id)))


def get_objection(session: Session, period: Period, objection_id: int) -> Objection | None:
    """One objection of the period, or None."""
    objection = session.get(Objection, objection_id)
    if objection is None or objection.period_id != period.id:
        return None
    return objection


def is_overdue(objection: Objection, today: date) -> bool:
    """Undecided after its review due date."""
    return objection.status != "decided" and today > objection.review_due_on


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _working_days(value: int | None, field_name: str) -> int:
    if value is None:
        raise FieldError(field_name, "required")
    if not 1 <= value <= MAX_NOTICE_WORKING_DAYS:
        raise FieldError(field_name, "out_of_range", min=1, max=MAX_NOTICE_WORKING_DAYS)
    return value


def _rulebook(session: Session, period: Period) -> Rulebook:
    rulebook = find_rulebook(session, period)
    if rulebook is None:
        raise PublicationRefusedError("no_result_version", period.status)
    return rulebook


def _assessed(session: Session, period: Period, cadre_id: int | None) -> AssessedCadre | None:
    if cadre_id is None:
        return None
    for cadre in list_assessed(session, period):
        if cadre.cadre_id == cadre_id:
            return cadre
    return None


def _check_not_final(period: Period) -> None:
    if period.status == "final":
        raise PublicationRefusedError("period_final", period.status)


# ---------------------------------------------------------------------------
# the notice
# ---------------------------------------------------------------------------


def open_notice(
    session: Session,
    *,
    period: Period,
    starts_on: date | None,
    working_days: int | None,
    review_working_days: int | None,
    instructions: str,
    holidays: Collection[date],
    extra_workdays: Collection[date],
    actor_id: int | None,
    today: date | None = None,
) -> Notice:
    """Put the latest result version on public notice; the period moves to "notice".

    ``ends_on`` is the ``working_days``-th working day counted from ``starts_on``
    (:func:`assessment.core.workdays.notice_end`). With ``today``, a start in the
    past is refused (a notice nobody could read); without it (the demo builds past
    periods) any start is accepted.

    Raises
    ------
    PublicationRefusedError
        ``notice_needs_computed`` outside "computed", ``no_result_version``.
    FieldError
        ``starts_on`` (required, ``date_in_past``), ``working_days`` and
        ``review_working_days`` (required, 1 to 30), ``instructions`` (too long).
    """
    if period.status != "computed":
        raise PublicationRefusedError("notice_needs_computed", period.status)
    number = _latest_number(session, period.id)
    if number is None:
        raise PublicationRefusedError("no_result_version", period.status)
    if starts_on is None:
        raise FieldError("starts_on", "required")
    if today is not None and starts_on < today:
        raise FieldError("starts_on", "date_in_past")
    days = _working_days(working_days, "working_days")
    review_days = _working_days(review_working_days, "review_working_days")
    text = check_text(
        instructions, "instructions", required=False, limit=MAX_INSTRUCTIONS, multiline=True
    )
    try:
        ends_on = notice_end(
            starts_on, days, holidays=set(holidays), extra_workdays=set(extra_workdays)
        )
    except InvalidParameterError:  # pragma: no cover - the range is checked above
        raise FieldError(
            "working_days", "out_of_range", min=1, max=MAX_NOTICE_WORKING_DAYS
        ) from None
    notice = Notice(
        period_id=period.id,
        version_number=number,
        starts_on=starts_on,
        ends_on=ends_on,
        working_days=days,
        review_working_days=review_days,
        instructions=text,
        opened_by_id=actor_id,
    )
    session.add(notice)
    session.flush()
    advance_period(session, period, "notice")
    return notice


# ---------------------------------------------------------------------------
# objections
# ---------------------------------------------------------------------------


def add_attachment(
    session: Session, *, period: Period, stored: StoredFile, uploaded_by_id: int | None
) -> Evidence:
    """Record an objection's attachment, already checked and written by
    :func:`assessment.services.evidence.store_upload` (types, size, content)."""
    if period.status != "notice":
        raise PublicationRefusedError("no_notice", period.status)
    return record_evidence(
        session,
        period=period,
        stored_name=stored.stored_name,
        original_name=stored.original_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=uploaded_by_id,
    )


def file_objection(
    session: Session,
    *,
    period: Period,
    channel: str,
    cadre_id: int | None,
    filed_by_id: int | None,
    contact_name: str,
    contact: str,
    indicator_code: str | None,
    reason: str,
    attachment: Evidence | None,
    today: date,
    holidays: Collection[date],
    extra_workdays: Collection[date],
) -> Objection:
    """Record an objection to the result on notice.

    A cadre (``channel="cadre"``) objects to their own result: ``filed_by_id`` is their
    account, which must be linked to ``cadre_id``. The public (``channel="public"``)
    gives a name and a contact, and may name a cadre. ``indicator_code`` is an
    indicator of the cadre's set, or None/"" for the result as a whole. The review is
    due ``review_working_days`` working days after ``today``.

    Raises
    ------
    PublicationRefusedError
        ``no_notice`` (not on notice), ``notice_closed`` (before or after the window).
    FieldError
        ``reason``, ``contact_name``, ``contact`` (required, too long), ``cadre_id``
        (``required``, ``not_own_result``, ``cadre_not_assessed``), ``indicator_code``
        (``unknown_indicator_code``, ``indicator_needs_cadre``), ``channel``.
    """
    notice = find_notice(session, period)
    if notice is None or period.status != "notice":
        raise PublicationRefusedError("no_notice", period.status)
    if not is_notice_open(notice, today):
        raise PublicationRefusedError(
            "notice_closed", period.status, starts_on=notice.starts_on, ends_on=notice.ends_on
        )
    if channel not in OBJECTION_CHANNELS:
        raise FieldError("channel", "unknown_channel")
    if channel == "cadre":
        account = session.get(Account, filed_by_id) if filed_by_id is not None else None
        if account is None:
            raise FieldError("filed_by_id", "required")
        if cadre_id is None:
            raise FieldError("cadre_id", "required")
        if account.cadre_id != cadre_id and not (
            cadre_id is not None and speaks_for(session, account, cadre_id, today)
        ):
            # one's own result, or the result of a unit one holds a post in (issue 16)
            raise FieldError("cadre_id", "not_own_result")
        contact_name = contact = ""
    else:
        filed_by_id = None
        contact_name = check_text(
            contact_name, "contact_name", required=True, limit=MAX_CONTACT_NAME, multiline=False
        )
        contact = check_text(contact, "contact", required=True, limit=MAX_CONTACT, multiline=False)
    cadre = _assessed(session, period, cadre_id)
    if cadre_id is not None and cadre is None:
        raise FieldError("cadre_id", "cadre_not_assessed")
    code = (indicator_code or "").strip() or None
    if code is not None:
        if cadre is None:
            raise FieldError("indicator_code", "indicator_needs_cadre")
        indicator_of(
            _rulebook(session, period),
            cadre,
            code,
            [str(kind) for kind in IndicatorKind],
            "indicator_code",
        )
    text = check_text(reason, "reason", required=True, limit=MAX_OBJECTION_REASON, multiline=True)
    number = _latest_number(session, period.id)
    if number is None:  # pragma: no cover - a notice opens only with a version
        raise PublicationRefusedError("no_result_version", period.status)
    objection = Objection(
        period_id=period.id,
        notice_id=notice.id,
        channel=channel,
        cadre_id=cadre_id,
        filed_by_id=filed_by_id,
        contact_name=contact_name,
        contact=contact,
        indicator_code=code,
        reason=text,
        attachment_id=attachment.id if attachment is not None else None,
        version_number=number,
        review_due_on=add_working_days(
            today,
            notice.review_working_days,
            holidays=set(holidays),
            extra_workdays=set(extra_workdays),
        ),
        status="open",
    )
    session.add(objection)
    session.flush()
    return objection


def assign_objection(session: Session, *, objection: Objection, assignee_id: int) -> Objection:
    """Give an undecided objection to a team member to review (status "under_review")."""
    _check_not_final(objection.period)
    if objection.status == "decided":
        raise PublicationRefusedError("objection_decided", objection.period.status)
    assignee = session.get(Account, assignee_id)
    if assignee is None or not assignee.is_enabled or assignee.role not in PANEL_ROLES:
        raise FieldError("assignee_id", "not_a_team_member")
    objection.assigned_to_id = assignee.id
    objection.status = "under_review"
    session.flush()
    return objection


# ---------------------------------------------------------------------------
# decisions, with the objection-correction path
# ---------------------------------------------------------------------------

#: What a decision may change: a quantitative actual, or an event added or withdrawn.
CORRECTION_KINDS = ("actual", "add_event", "remove_event")


@dataclass(frozen=True, slots=True)
class Correction:
    """One input of the objection's cadre that a decision changes.

    ``kind`` is ``actual`` (``indicator_code``, ``actual``, ``source``), ``add_event``
    (``indicator_code`` of a bonus, penalty or veto item, ``points`` except for a veto,
    ``occurred_on``; the decision's reason is the event's reason) or ``remove_event``
    (``event_id``).
    """

    kind: str
    indicator_code: str = ""
    actual: float | None = None
    source: str = ""
    points: float | None = None
    occurred_on: date | None = None
    event_id: int | None = None


def _remove_event(
    session: Session, *, period: Period, cadre: AssessedCadre, correction: Correction
) -> None:
    event = session.get(Event, correction.event_id) if correction.event_id is not None else None
    if event is None or event.period_id != period.id or event.cadre_id != cadre.cadre_id:
        raise FieldError("event_id", "unknown_event")
    session.delete(event)


def decide_objection(
    session: Session,
    *,
    objection: Objection,
    outcome: str,
    reason: str,
    correction: Correction | None,
    actor_id: int | None,
    now: datetime,
    surveys: SurveySource | None,
    resamples: int,
    today: date | None = None,
) -> Objection:
    """Decide an objection with a written reason, correcting one input if needed.

    With a ``correction`` (outcome upheld or partly upheld, and the objection names a
    cadre), the input is changed and the results recomputed into a new version with
    the reason ``"objection #N: <reason>"``; its number is stored on the objection.
    All of it happens in the caller's one unit of work: any error leaves nothing.
    ``today`` (the local date; default ``now.date()``) bounds an added event's date.

    Raises
    ------
    PublicationRefusedError
        ``objection_decided``, ``no_notice`` (the period is not on notice).
    FieldError
        ``outcome`` (``unknown_outcome``, ``rejected_with_correction``), ``reason``
        (required, too long), ``correction`` (``unknown_correction``,
        ``correction_needs_cadre``), and the correction's own fields.
    IncompleteInputsError, ResultsRefusedError
        From the recomputation.
    """
    period = objection.period
    if objection.status == "decided":
        raise PublicationRefusedError("objection_decided", period.status)
    if period.status != "notice":
        raise PublicationRefusedError("no_notice", period.status)
    if outcome not in OBJECTION_OUTCOMES:
        raise FieldError("outcome", "unknown_outcome")
    text = check_text(reason, "reason", required=True, limit=MAX_DECISION_REASON, multiline=True)
    if correction is not None:
        if outcome == "rejected":
            raise FieldError("outcome", "rejected_with_correction")
        if correction.kind not in CORRECTION_KINDS:
            raise FieldError("correction", "unknown_correction")
        cadre = _assessed(session, period, objection.cadre_id)
        if cadre is None:
            raise FieldError("correction", "correction_needs_cadre")
        rulebook = _rulebook(session, period)
        # The input services' own checks, without their "collecting only" rule: this
        # audited decision is the one way to change an input during the notice.
        if correction.kind == "actual":
            write_result(
                session,
                period=period,
                rulebook=rulebook,
                cadre=cadre,
                indicator_code=correction.indicator_code,
                actual=correction.actual,
                source=correction.source,
                note=f"objection #{objection.id}",
                entered_by_id=actor_id,
                now=now,
            )
        elif correction.kind == "add_event":
            write_event(
                session,
                period=period,
                rulebook=rulebook,
                cadre=cadre,
                indicator_code=correction.indicator_code,
                points=correction.points,
                occurred_on=correction.occurred_on,
                reason=f"objection #{objection.id}: {text}",
                recorded_by_id=actor_id,
                today=today or now.date(),
            )
        else:
            _remove_event(session, period=period, cadre=cadre, correction=correction)
        session.flush()
        version = compute_results(
            session,
            period=period,
            reason=f"objection #{objection.id}: {text}",
            actor_id=actor_id,
            surveys=surveys,
            resamples=resamples,
        )
        objection.new_version_number = version.number
    objection.status = "decided"
    objection.outcome = outcome
    objection.decision_reason = text
    objection.decided_at = now
    objection.decided_by_id = actor_id
    session.flush()
    return objection


# ---------------------------------------------------------------------------
# final publication
# ---------------------------------------------------------------------------


def finalise_period(
    session: Session, *, period: Period, today: date, actor_id: int | None, now: datetime
) -> Period:
    """Make the period final: its latest version becomes the final, read-only result.

    Raises
    ------
    LifecycleError
        Not on notice.
    FinaliseRefusedError
        ``notice_not_ended`` (``params["ends_on"]``) or ``objections_pending``
        (``params["ids"]``).
    """
    advance_period(session, period, "final", today=today)
    period.final_version_number = _latest_number(session, period.id)
    period.finalised_at = now
    session.flush()
    return period
