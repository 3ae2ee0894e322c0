"""A cadre's record (干部考核档案): results across years, conversations and work reports.

The record reads every period's result only from its stored version, through
:func:`assessment.services.results.result_of_version`: the version shown publicly
(on notice, or final), so the team, the organisation department and the cadre read the
same numbers that were published. Conversations are the team's; work reports the
cadre's. Nothing here commits; every write is flushed inside the caller's unit of work
and so reaches the audit log.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.consequences import AnnualGrade
from assessment.core.errors import FieldError
from assessment.core.records import CadreResult, PeriodResult
from assessment.core.rulebook import Rulebook
from assessment.models import (
    Appointment,
    Cadre,
    Conversation,
    Evidence,
    Objection,
    Period,
    ResultVersion,
    Unit,
    WorkReport,
)
from assessment.services.evidence import StoredFile
from assessment.services.inputs import check_text, list_assessed, record_evidence
from assessment.services.publication import list_objections, shown_version_number
from assessment.services.results import get_version, result_of_version, rulebook_of_version

#: Longest conversation field and work report text, in characters.
MAX_PARTICIPANTS = 500
MAX_TOPICS = 2000
MAX_SUMMARY = 20_000
MAX_REPORT_TEXT = 50_000
#: Period states in which a cadre may (re)submit a work report: before ratings open.
WORK_REPORT_STATES = ("rules_published",)


class RecordRefusedError(Exception):
    """A record action the period's state does not allow (``code`` names it)."""

    def __init__(self, code: str, status: str) -> None:
        self.code = code
        self.status = status
        super().__init__(f"{code} ({status})")


# ---------------------------------------------------------------------------
# which periods
# ---------------------------------------------------------------------------


def ancestor_unit_ids(session: Session, cadre_id: int) -> set[int]:
    """Ids of every unit holding one of the cadre's appointments, and every unit above."""
    paths = session.scalars(
        sa.select(Unit.path)
        .join(Appointment, Appointment.unit_id == Unit.id)
        .where(Appointment.cadre_id == cadre_id)
    )
    return {int(part) for path in paths for part in path.strip("/").split("/") if part}


def annual_periods(session: Session, scope_unit_ids: Collection[int]) -> list[Period]:
    """The final annual periods of cadres over the given units, oldest first: what year
    rules read (a unit period's grades are a unit's, never a person's).

    The one place that decides which periods are annual (``Period.kind``).
    """
    query = (
        sa.select(Period)
        .where(
            Period.scope_unit_id.in_(list(scope_unit_ids)),
            Period.status == "final",
            Period.kind == "annual",
            Period.subjects == "cadres",
        )
        .order_by(Period.year, Period.id)
    )
    return list(session.scalars(query))


def _public_periods(session: Session, scope_unit_ids: Collection[int]) -> list[Period]:
    """Periods over the units whose results are public (on notice or final), oldest first."""
    query = (
        sa.select(Period)
        .where(
            Period.scope_unit_id.in_(list(scope_unit_ids)),
            Period.status.in_(("notice", "final")),
        )
        .order_by(Period.year, Period.id)
    )
    return list(session.scalars(query))


# ---------------------------------------------------------------------------
# the record
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordEntry:
    """One period of a cadre's record: the stored result and the objections about it."""

    period_id: int
    period_name: str
    year: int
    is_final: bool
    version_number: int
    rules_digest: str
    data_digest: str
    cadre: CadreResult
    #: Cadres in the cadre's post group (the rank is out of this many).
    group_size: int
    #: Grade code -> name (zh, en) of the rulebook the version was computed under.
    grade_names: dict[str, tuple[str, str]]
    #: Indicator code -> name (zh, en) of the cadre's set (for vetoes and events).
    indicator_names: dict[str, tuple[str, str]]
    objections: tuple[Objection, ...]


@dataclass(frozen=True, slots=True)
class CadreRecord:
    """A cadre's record: every public period, oldest first."""

    cadre_id: int
    code: str
    name: str
    entries: tuple[RecordEntry, ...]


def _names(rulebook: Rulebook, post: str) -> tuple[dict[str, tuple[str, str]], ...]:
    grades = {g.code: (g.name.zh, g.name.en or g.name.zh) for g in rulebook.grading.grades}
    try:
        indicators = rulebook.indicator_set(post).indicators
    except KeyError:
        indicators = ()
    names = {i.code: (i.name.zh, i.name.en or i.name.zh) for i in indicators}
    return grades, names


def _entry(
    session: Session, period: Period, version: ResultVersion, cadre_id: int
) -> RecordEntry | None:
    result: PeriodResult = result_of_version(version)
    try:
        own = result.cadre(str(cadre_id))
    except KeyError:
        return None
    grades, indicators = _names(rulebook_of_version(version), own.post)
    return RecordEntry(
        period_id=period.id,
        period_name=period.name,
        year=period.year,
        is_final=period.status == "final",
        version_number=version.number,
        rules_digest=version.rules_digest,
        data_digest=version.data_digest,
        cadre=own,
        group_size=sum(1 for c in result.cadres if c.post_group == own.post_group),
        grade_names=grades,
        indicator_names=indicators,
        objections=tuple(list_objections(session, period.id, cadre_id=cadre_id)),
    )


def cadre_record(session: Session, cadre: Cadre) -> CadreRecord:
    """The cadre's record from the stored versions shown publicly (notice or final)."""
    entries = []
    for period in _public_periods(session, ancestor_unit_ids(session, cadre.id)):
        number = shown_version_number(session, period)
        if number is None:
            continue
        entry = _entry(session, period, get_version(session, period.id, number), cadre.id)
        if entry is not None:
            entries.append(entry)
    return CadreRecord(cadre_id=cadre.id, code=cadre.code, name=cadre.name, entries=tuple(entries))


def annual_grades(session: Session, periods: Collection[Period]) -> dict[str, list[AnnualGrade]]:
    """Each cadre's grade in each of the (final, annual) periods, keyed by cadre id.

    Read from each period's final version. Two periods of one year covering the same
    cadre keep the later period (the list is sorted by :func:`annual_periods`).
    """
    grades: dict[str, dict[int, AnnualGrade]] = {}
    for period in sorted(periods, key=lambda p: (p.year, p.id)):
        if period.final_version_number is None:
            continue
        result = result_of_version(get_version(session, period.id, period.final_version_number))
        for cadre in result.cadres:
            grades.setdefault(cadre.id, {})[period.year] = AnnualGrade(
                year=period.year, period_id=period.id, grade=cadre.grade
            )
    return {cadre: list(years.values()) for cadre, years in grades.items()}


# ---------------------------------------------------------------------------
# conversations
# ---------------------------------------------------------------------------


def list_conversations(session: Session, cadre_id: int) -> list[Conversation]:
    """The cadre's conversations, newest first. Callers check who may read them."""
    return list(
        session.scalars(
            sa.select(Conversation)
            .where(Conversation.cadre_id == cadre_id)
            .order_by(Conversation.held_on.desc(), Conversation.id.desc())
        )
    )


def add_conversation(
    session: Session,
    *,
    cadre: Cadre,
    held_on: date | None,
    participants: str | None,
    topics: str | None,
    summary: str | None,
    today: date,
    actor_id: int | None,
) -> Conversation:
    """Record a conversation with the cadre.

    Raises
    ------
    FieldError
        ``held_on`` missing (``required``) or after ``today`` (``date_in_future``);
        ``participants``, ``topics`` or ``summary`` empty, too long or holding a control
        character. Nothing is added then.
    """
    if held_on is None:
        raise FieldError("held_on", "required")
    if held_on > today:
        raise FieldError("held_on", "date_in_future")
    conversation = Conversation(
        cadre_id=cadre.id,
        held_on=held_on,
        participants=check_text(
            participants, "participants", required=True, limit=MAX_PARTICIPANTS, multiline=False
        ),
        topics=check_text(topics, "topics", required=True, limit=MAX_TOPICS, multiline=True),
        summary=check_text(summary, "summary", required=True, limit=MAX_SUMMARY, multiline=True),
        created_by_id=actor_id,
    )
    session.add(conversation)
    session.flush()
    return conversation


# ---------------------------------------------------------------------------
# work reports
# ---------------------------------------------------------------------------


def check_pdf_name(filename: str) -> None:
    """Refuse a work report file whose name does not end in ``.pdf`` (before it is stored).

    Raises
    ------
    FieldError
        ``report_file`` ``work_report_not_pdf``.
    """
    if not filename.lower().endswith(".pdf"):
        raise FieldError("report_file", "work_report_not_pdf")


def get_period_for_cadre(session: Session, period_id: int, cadre_id: int) -> Period | None:
    """The period if its scope holds one of the cadre's units, else None."""
    period = session.get(Period, period_id)
    if period is None or period.scope_unit_id not in ancestor_unit_ids(session, cadre_id):
        return None
    return period


def find_team_work_report(
    session: Session, period_id: int, cadre_id: int, unit_ids: Collection[int]
) -> WorkReport | None:
    """A cadre's work report for a period in the reader's scope (None otherwise)."""
    period = session.get(Period, period_id)
    if period is None or period.scope_unit_id not in unit_ids:
        return None
    return find_work_report(session, period_id, cadre_id)


def find_work_report(session: Session, period_id: int, cadre_id: int) -> WorkReport | None:
    """The cadre's work report for the period, if one was submitted."""
    return session.scalars(
        sa.select(WorkReport).where(
            WorkReport.period_id == period_id, WorkReport.cadre_id == cadre_id
        )
    ).one_or_none()


def check_work_report_open(session: Session, period: Period, cadre_id: int) -> None:
    """Refuse unless the period takes work reports now and assesses the cadre.

    Raises
    ------
    RecordRefusedError
        ``work_report_closed`` once ratings have opened (the period is collecting or
        later) or before the rules are published; ``work_report_not_assessed`` when the
        published rules do not assess the cadre.
    """
    if period.status not in WORK_REPORT_STATES:
        raise RecordRefusedError("work_report_closed", period.status)
    if not any(c.cadre_id == cadre_id for c in list_assessed(session, period)):
        raise RecordRefusedError("work_report_not_assessed", period.status)


def work_report_periods(session: Session, cadre_id: int) -> list[Period]:
    """Periods in which the cadre may submit a work report now, oldest first."""
    periods = session.scalars(
        sa.select(Period)
        .where(
            Period.scope_unit_id.in_(ancestor_unit_ids(session, cadre_id)),
            Period.status.in_(WORK_REPORT_STATES),
        )
        .order_by(Period.year, Period.id)
    )
    return [p for p in periods if any(c.cadre_id == cadre_id for c in list_assessed(session, p))]


def submit_work_report(
    session: Session,
    *,
    period: Period,
    cadre_id: int,
    text: str | None,
    stored: StoredFile | None,
    actor_id: int | None,
    now: datetime,
) -> WorkReport:
    """Submit (or replace) the cadre's work report: text, a stored PDF, or both.

    ``stored`` is a file already checked and written by
    :func:`assessment.services.evidence.store_upload` (the caller removes it if this raises).

    Raises
    ------
    RecordRefusedError
        See :func:`check_work_report_open`.
    FieldError
        ``text`` too long or holding a control character; ``text`` empty without a file
        (``work_report_empty``); a file that is not a PDF (``report_file``,
        ``work_report_not_pdf``).
    """
    check_work_report_open(session, period, cadre_id)
    body = check_text(text, "text", required=False, limit=MAX_REPORT_TEXT, multiline=True)
    if stored is not None and stored.content_type != "application/pdf":
        raise FieldError("report_file", "work_report_not_pdf")
    if not body and stored is None:
        raise FieldError("text", "work_report_empty")
    evidence: Evidence | None = None
    if stored is not None:
        evidence = record_evidence(
            session,
            period=period,
            stored_name=stored.stored_name,
            original_name=stored.original_name,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_by_id=actor_id,
        )
    report = find_work_report(session, period.id, cadre_id)
    if report is None:
        report = WorkReport(period_id=period.id, cadre_id=cadre_id)
        session.add(report)
    report.text = body
    if evidence is not None:
        report.evidence_id = evidence.id
    report.submitted_by_id = actor_id
    report.submitted_at = now
    session.flush()
    return report
