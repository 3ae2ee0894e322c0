"""Survey use cases: build, open and close surveys, issue codes, take responses, seal.

Services take the session first and keyword-only data after it, flush but never
commit, and raise domain errors; secrets (the code hash key) and the clock come in as
arguments. Nothing here logs an access code, a receipt or an answer.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assessment.core.digest import canonical_json, sha256_hex
from assessment.core.errors import FieldError
from assessment.models import Appointment, Cadre, Period, Unit
from assessment.services.inputs import check_text
from surveys.models.surveys import (
    RATED_KINDS,
    VOTER_GROUPS,
    AccessCode,
    Answer,
    Assignment,
    CodeBatch,
    CodeFailureCount,
    PaperReceipt,
    Question,
    Response,
    Survey,
    SurveySeal,
    Target,
)
from surveys.services import tokens
from surveys.services.queries import DONT_KNOW, ResidentItem, list_items, respondent_units

logger = logging.getLogger(__name__)

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
MIN_POINTS, MAX_POINTS, DEFAULT_POINTS = 3, 11, 5
MAX_BATCH_SIZE = 5000
MAX_TEXT_LENGTH = 2000
#: Grade ballot (民主测评票) default values, DESIGN section 4 and surveys.core.tally.
DEFAULT_BALLOT_VALUES = {"excellent": 100, "competent": 80, "basic": 60, "incompetent": 0}
BALLOT_ABSTAIN = "abstain"
_SHORT_ID_ATTEMPTS = 20


class SurveyRef(Protocol):
    """What the resident path reads of a survey: a :class:`Survey` row or the plain
    record the resident pages load (``surveys.services.resident.PublicSurvey``)."""

    @property
    def id(self) -> int: ...

    @property
    def status(self) -> str: ...

    @property
    def voter_group(self) -> str: ...


class SurveyError(Exception):
    """Base of the survey domain errors; ``code`` is mapped to a message by the views."""

    code = "survey_error"

    def __init__(self, code: str | None = None, /, **params: object) -> None:
        if code is not None:
            self.code = code
        self.params = params
        super().__init__(self.code)


class SurveyStateError(SurveyError):
    """The survey's state does not allow this (e.g. editing an open survey)."""


class CodeRejectedError(SurveyError):
    """An access code is unknown, used, revoked, or the survey is not open."""


class NotStoredError(Exception):
    """An online response row was not inserted: a copy of the form is stored, the survey
    is no longer open, or the receipt drawn is taken (:func:`store_response`)."""


class SubmissionConflictError(SurveyError):
    """The same submission id came back with different answers."""

    code = "submission_conflict"


# ---------------------------------------------------------------------------
# building a survey
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SurveyData:
    title_zh: str
    title_en: str = ""
    intro_zh: str = ""
    intro_en: str = ""
    one_per_screen: bool = False
    #: Stable code a rulebook indicator names (empty: none, the survey is pooled).
    code: str = ""
    #: Voter group (测评主体): a code of ``VOTER_GROUPS`` or the township's own code.
    voter_group: str = "public"
    #: Name of the township's own group (required for a code not in ``VOTER_GROUPS``).
    voter_group_name: str = ""


def _require_draft(survey: Survey) -> None:
    if survey.status != "draft":
        raise SurveyStateError("not_draft", status=survey.status)


def _check_text(
    field: str, value: str, max_length: int, *, required: bool = False, multiline: bool = False
) -> str:
    return check_text(value, field, required=required, limit=max_length, multiline=multiline)


def _apply(survey: Survey, data: SurveyData) -> None:
    survey.title_zh = _check_text("title_zh", data.title_zh, 200, required=True)
    survey.title_en = _check_text("title_en", data.title_en, 200)
    survey.intro_zh = _check_text("intro_zh", data.intro_zh, 4000, multiline=True)
    survey.intro_en = _check_text("intro_en", data.intro_en, 4000, multiline=True)
    survey.one_per_screen = data.one_per_screen
    code = data.code.strip()
    if code and not CODE_PATTERN.match(code):
        raise FieldError("code", "bad_survey_code", code=code)
    survey.code = code or None
    group = data.voter_group.strip()
    if not CODE_PATTERN.match(group):
        raise FieldError("voter_group", "bad_survey_code", code=group)
    name = _check_text("voter_group_name", data.voter_group_name, 100)
    if group not in VOTER_GROUPS and not name:
        raise FieldError("voter_group_name", "voter_group_name_required", code=group)
    survey.voter_group = group
    survey.voter_group_name = "" if group in VOTER_GROUPS else name


def _check_code_free(session: Session, survey: Survey) -> None:
    """Refuse a survey code another survey of the period already has."""
    if survey.code is None:
        return
    taken = session.scalar(
        sa.select(Survey.id).where(
            Survey.period_id == survey.period_id,
            Survey.code == survey.code,
            Survey.id != survey.id if survey.id is not None else sa.true(),
        )
    )
    if taken is not None:
        raise FieldError("code", "survey_code_taken", code=survey.code)


def create_survey(session: Session, *, period: Period, data: SurveyData) -> Survey:
    """A new draft survey in ``period`` with a fresh public short id."""
    if period.status == "final":
        raise FieldError("period_id", "period_final")
    survey = Survey(period_id=period.id, status="draft")
    _apply(survey, data)
    _check_code_free(session, survey)
    for _ in range(_SHORT_ID_ATTEMPTS):
        short_id = tokens.new_short_id()
        taken = session.scalar(sa.select(Survey.id).where(Survey.short_id == short_id))
        if taken is None:
            survey.short_id = short_id
            break
    else:  # pragma: no cover - 31**6 ids; only a full table gets here
        raise SurveyError("no_short_id")
    session.add(survey)
    session.flush()
    return survey


def update_survey(session: Session, survey: Survey, *, data: SurveyData) -> None:
    """Change the wording and the layout of a draft survey."""
    _require_draft(survey)
    with session.no_autoflush:
        _apply(survey, data)
        _check_code_free(session, survey)
    session.flush()


def _next_position(items: Sequence[Target] | Sequence[Question]) -> int:
    return max((item.position for item in items), default=0) + 1


def _next_target_code(survey: Survey) -> str:
    used = {target.code for target in survey.targets}
    number = len(used) + 1
    while f"t{number}" in used:
        number += 1
    return f"t{number}"


def current_appointment(session: Session, cadre: Cadre, on: date) -> Appointment | None:
    """The cadre's appointment in force on ``on`` (the latest started), if any."""
    query = (
        sa.select(Appointment)
        .where(Appointment.cadre_id == cadre.id, Appointment.start_date <= on)
        .where(sa.or_(Appointment.end_date.is_(None), Appointment.end_date >= on))
        .order_by(Appointment.start_date.desc(), Appointment.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def add_target(
    session: Session,
    survey: Survey,
    *,
    kind: str,
    today: date,
    cadre: Cadre | None = None,
    unit: Unit | None = None,
    label_zh: str = "",
    label_en: str = "",
) -> Target:
    """Add a cadre, unit or service to rate; labels default from the roster."""
    _require_draft(survey)
    if kind not in ("cadre", "unit", "service"):
        raise FieldError("kind", "unknown_target_kind", kind=kind)
    target = Target(kind=kind, code=_next_target_code(survey))
    if kind == "cadre":
        if cadre is None:
            raise FieldError("cadre_id", "required")
        if any(t.cadre_id == cadre.id for t in survey.targets):
            raise FieldError("cadre_id", "target_exists")
        appointment = current_appointment(session, cadre, today)
        if appointment is None:
            raise FieldError("cadre_id", "no_current_post", name=cadre.name)
        target.cadre = cadre
        target.unit = appointment.unit
        default_zh = f"{cadre.name}（{appointment.post.name_zh}）"
        default_en = f"{cadre.name} ({appointment.post.name_en or appointment.post.name_zh})"
    elif kind == "unit":
        if unit is None:
            raise FieldError("unit_id", "required")
        if any(t.kind == "unit" and t.unit_id == unit.id for t in survey.targets):
            raise FieldError("unit_id", "target_exists")
        target.unit = unit
        default_zh, default_en = unit.name_zh, unit.name_en or unit.name_zh
    else:
        target.unit = unit
        if not label_zh.strip():
            raise FieldError("label_zh", "required")
        default_zh, default_en = "", ""
    target.label_zh = _check_text("label_zh", label_zh, 200) or default_zh
    target.label_en = _check_text("label_en", label_en, 200) or default_en
    target.position = _next_position(survey.targets)
    survey.targets.append(target)
    session.flush()
    return target


def remove_target(session: Session, survey: Survey, target: Target) -> None:
    """Remove a target (and who rates it) from a draft survey."""
    _require_draft(survey)
    for assignment in [a for a in survey.assignments if a.target_id == target.id]:
        survey.assignments.remove(assignment)
    survey.targets.remove(target)
    session.flush()


@dataclass(frozen=True, slots=True)
class QuestionData:
    code: str
    kind: str
    text_zh: str
    text_en: str = ""
    #: Likert scale points (3..11).
    points: int | None = None
    #: Choice options as (code, Chinese label, English label).
    options: tuple[tuple[str, str, str], ...] = ()
    #: Grade ballot values on 0-100, by grade code.
    ballot_values: Mapping[str, int] | None = None
    allow_abstain: bool = True


def _question_settings(data: QuestionData) -> dict[str, Any]:
    if data.kind == "likert":
        points = DEFAULT_POINTS if data.points is None else data.points
        if not MIN_POINTS <= points <= MAX_POINTS:
            raise FieldError("points", "points_out_of_range", min=MIN_POINTS, max=MAX_POINTS)
        return {"points": points}
    if data.kind == "ballot":
        values = dict(DEFAULT_BALLOT_VALUES if data.ballot_values is None else data.ballot_values)
        if set(values) != set(DEFAULT_BALLOT_VALUES):
            raise FieldError("ballot_values", "ballot_grades")
        for grade, value in values.items():
            if not 0 <= value <= 100:
                raise FieldError("ballot_values", "ballot_value_range", grade=grade)
        return {"values": values, "abstain": data.allow_abstain}
    if data.kind == "choice":
        if len(data.options) < 2:
            raise FieldError("options", "too_few_options", min=2)
        seen: set[str] = set()
        options = []
        for line, (code, zh, en) in enumerate(data.options, start=1):
            if not CODE_PATTERN.match(code):
                raise FieldError("options", "bad_option_code", line=line, code=code)
            if code in seen:
                raise FieldError("options", "duplicate_option", line=line, code=code)
            if not zh.strip():
                raise FieldError("options", "option_without_label", line=line)
            seen.add(code)
            options.append({"code": code, "zh": zh.strip(), "en": en.strip() or zh.strip()})
        return {"options": options}
    return {}


def add_question(session: Session, survey: Survey, *, data: QuestionData) -> Question:
    """Add a question to a draft survey; rated kinds are asked about every target."""
    _require_draft(survey)
    if data.kind not in ("likert", "scale10", "ballot", "choice", "text"):
        raise FieldError("kind", "unknown_question_kind", kind=data.kind)
    code = data.code.strip()
    if not CODE_PATTERN.match(code):
        raise FieldError("code", "bad_question_code", code=code)
    if any(q.code == code for q in survey.questions):
        raise FieldError("code", "duplicate_question_code", code=code)
    question = Question(
        code=code,
        kind=data.kind,
        text_zh=_check_text("text_zh", data.text_zh, 1000, required=True),
        text_en=_check_text("text_en", data.text_en, 1000),
        settings=canonical_json(_question_settings(data)),
        position=_next_position(survey.questions),
    )
    survey.questions.append(question)
    session.flush()
    return question


def remove_question(session: Session, survey: Survey, question: Question) -> None:
    """Remove a question from a draft survey."""
    _require_draft(survey)
    survey.questions.remove(question)
    session.flush()


def _ancestor_ids(unit: Unit) -> set[int]:
    return {int(part) for part in unit.path.strip("/").split("/") if part}


def assign_by_default(session: Session, survey: Survey) -> int:
    """Each village or community rates the targets of its own unit and of the units above.

    A service without a unit is rated by every unit. Replaces earlier choices; returns
    the number of (unit, target) pairs.
    """
    _require_draft(survey)
    survey.assignments.clear()
    session.flush()
    count = 0
    for unit in respondent_units(session, survey.period):
        above = _ancestor_ids(unit) | {unit.id}
        for target in survey.targets:
            if target.unit_id is None or target.unit_id in above:
                survey.assignments.append(Assignment(unit_id=unit.id, target_id=target.id))
                count += 1
    session.flush()
    return count


def set_unit_targets(
    session: Session, survey: Survey, *, unit: Unit, target_ids: Iterable[int]
) -> None:
    """Choose which targets the residents of ``unit`` rate."""
    _require_draft(survey)
    wanted = set(target_ids)
    known = {t.id for t in survey.targets}
    if not wanted <= known:
        raise FieldError("target_ids", "unknown_target")
    for assignment in [a for a in survey.assignments if a.unit_id == unit.id]:
        if assignment.target_id not in wanted:
            survey.assignments.remove(assignment)
    have = {a.target_id for a in survey.assignments if a.unit_id == unit.id}
    for target_id in sorted(wanted - have):
        survey.assignments.append(Assignment(unit_id=unit.id, target_id=target_id))
    session.flush()


def open_survey(session: Session, survey: Survey, *, now: datetime) -> None:
    """Draft → open: residents may answer from now on."""
    _require_draft(survey)
    if not survey.targets:
        raise SurveyStateError("no_targets")
    if not any(q.kind in RATED_KINDS for q in survey.questions):
        raise SurveyStateError("no_rated_questions")
    if not survey.assignments:
        raise SurveyStateError("no_assignments")
    if survey.period.status == "final":
        raise SurveyStateError("period_final")
    survey.status = "open"
    survey.opened_at = now
    session.flush()


# ---------------------------------------------------------------------------
# access codes and receipts
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slip:
    """One printed slip: shown in clear text once, in the PDF, then forgotten."""

    code: str
    receipt: str


def generate_batch(
    session: Session,
    survey: Survey,
    *,
    unit: Unit,
    size: int,
    note: str,
    key: str,
    now: datetime,
    voter_group: str = "",
) -> tuple[CodeBatch, list[Slip]]:
    """Draw ``size`` access codes and paper receipts for the households of ``unit``.

    Only keyed hashes of the codes are stored. The slips pair a code with a receipt on
    paper only: the database keeps no trace of which receipt sat beside which code.
    ``voter_group`` (empty: the survey's) names the group of the batch's holders
    (:func:`check_batch_group`).
    """
    if survey.status == "closed":
        raise SurveyStateError("closed")
    if unit.id not in {u.id for u in respondent_units(session, survey.period)}:
        raise FieldError("unit_id", "not_a_respondent_unit")
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise FieldError("size", "batch_size", min=1, max=MAX_BATCH_SIZE)
    group = check_batch_group(session, survey, unit.id, voter_group)
    batch = CodeBatch(
        survey_id=survey.id,
        unit_id=unit.id,
        size=size,
        note=_check_text("note", note, 200),
        voter_group=None if group == survey.voter_group else group,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    existing_receipts = set(
        session.scalars(sa.select(PaperReceipt.receipt).where(PaperReceipt.survey_id == survey.id))
    )
    codes: set[str] = set()
    receipts: set[str] = set()
    while len(codes) < size:
        codes.add(tokens.new_access_code())
    while len(receipts) < size:
        receipt = tokens.new_receipt()
        if receipt not in existing_receipts:
            receipts.add(receipt)
    session.execute(
        sa.insert(AccessCode),
        [
            {
                "survey_id": survey.id,
                "batch_id": batch.id,
                "code_hash": tokens.hash_access_code(key, survey.id, code),
                "used": False,
            }
            for code in codes
        ],
    )
    session.execute(
        sa.insert(PaperReceipt),
        [
            {"survey_id": survey.id, "unit_id": unit.id, "receipt": receipt, "used": False}
            for receipt in sorted(receipts)
        ],
    )
    logger.info("survey %s: batch %s of %d codes generated", survey.id, batch.id, size)
    slips = [Slip(code, receipt) for code, receipt in zip(sorted(codes), receipts, strict=True)]
    return batch, slips


def batch_groups(survey: Survey) -> tuple[str, ...]:
    """The voter groups a batch of the survey may name: the built-in ones and the survey's."""
    return tuple(dict.fromkeys((*VOTER_GROUPS, survey.voter_group)))


def _unit_groups(session: Session, survey: SurveyRef, unit_id: int) -> set[str]:
    named = session.scalars(
        sa.select(CodeBatch.voter_group)
        .where(CodeBatch.survey_id == survey.id, CodeBatch.unit_id == unit_id)
        .distinct()
    )
    return {group or survey.voter_group for group in named}


def check_batch_group(session: Session, survey: Survey, unit_id: int, voter_group: str) -> str:
    """The voter group a new batch of ``unit_id`` names (empty: the survey's), checked.

    Raises
    ------
    FieldError
        ``voter_group``: a group that is neither built in nor the survey's own
        (``unknown_voter_group``), or one other than the group of the unit's earlier
        batches (``unit_has_other_group``): an online answer carries its unit, not its
        batch, so the unit is what tells its group.
    """
    group = voter_group.strip() or survey.voter_group
    if group not in batch_groups(survey):
        raise FieldError("voter_group", "unknown_voter_group", code=group)
    others = _unit_groups(session, survey, unit_id) - {group}
    if others:
        raise FieldError("voter_group", "unit_has_other_group", code=sorted(others)[0])
    return group


def respondent_group(session: Session, survey: SurveyRef, unit_id: int) -> str:
    """The voter group of a response from ``unit_id``: its unit's batches', else the survey's."""
    groups = _unit_groups(session, survey, unit_id)
    return groups.pop() if len(groups) == 1 else survey.voter_group


def revoke_batch(session: Session, batch: CodeBatch, *, reason: str, now: datetime) -> None:
    """Make a batch's unused codes unusable (lost or stolen slips)."""
    if batch.revoked_at is not None:
        raise SurveyStateError("already_revoked")
    batch.revoke_reason = _check_text("reason", reason, 1000, required=True, multiline=True)
    batch.revoked_at = now
    session.flush()


def find_code(
    session: Session, *, survey: SurveyRef, code_hash: str
) -> tuple[AccessCode, CodeBatch] | None:
    row = session.execute(
        sa.select(AccessCode, CodeBatch)
        .join(CodeBatch, CodeBatch.id == AccessCode.batch_id)
        .where(AccessCode.survey_id == survey.id, AccessCode.code_hash == code_hash)
    ).first()
    return (row[0], row[1]) if row else None


def check_code(session: Session, *, survey: SurveyRef, code_hash: str) -> int:
    """The unit whose residents the code belongs to, if it may answer now. Reads only."""
    if survey.status != "open":
        raise CodeRejectedError("survey_" + survey.status)
    found = find_code(session, survey=survey, code_hash=code_hash)
    if found is None:
        raise CodeRejectedError("unknown_code")
    code, batch = found
    if batch.revoked_at is not None:
        raise CodeRejectedError("revoked_code")
    if code.used:
        raise CodeRejectedError("used_code")
    return batch.unit_id


#: Wrong codes are counted per survey in buckets this long (the guessing alarm).
ALARM_BUCKET = timedelta(minutes=5)
#: The alarm shows the wrong codes of this last stretch of time.
ALARM_WINDOW = timedelta(hours=1)


def _bucket_of(moment: datetime) -> datetime:
    seconds = int(ALARM_BUCKET.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, tz=UTC)


def record_wrong_code(session: Session, *, survey_id: int, now: datetime) -> None:
    """Count one wrong code tried on the survey (no address, no code), for the alarm.

    One upsert, so concurrent workers never lose a count; buckets older than twice the
    window are deleted on the way.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(CodeFailureCount).values(
        survey_id=survey_id, bucket_start=_bucket_of(now), wrong_codes=1
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["survey_id", "bucket_start"],
            set_={"wrong_codes": CodeFailureCount.wrong_codes + 1},
        )
    )
    session.execute(
        sa.delete(CodeFailureCount).where(
            CodeFailureCount.survey_id == survey_id,
            CodeFailureCount.bucket_start < _bucket_of(now - 2 * ALARM_WINDOW),
        )
    )


def count_wrong_codes(session: Session, *, survey_id: int, now: datetime) -> int:
    """Wrong codes tried on the survey in the last hour (to the 5-minute bucket). Reads only."""
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(CodeFailureCount.wrong_codes), 0)).where(
            CodeFailureCount.survey_id == survey_id,
            CodeFailureCount.bucket_start >= _bucket_of(now - ALARM_WINDOW),
        )
    )
    return int(total or 0)


def code_status(session: Session, *, survey: SurveyRef, code_hash: str) -> str:
    """``unknown``, ``revoked``, ``used`` or ``unused``: the "was my code used?" answer."""
    found = find_code(session, survey=survey, code_hash=code_hash)
    if found is None:
        return "unknown"
    code, batch = found
    if code.used:
        return "used"
    return "revoked" if batch.revoked_at is not None else "unused"


# ---------------------------------------------------------------------------
# responses
# ---------------------------------------------------------------------------


def clean_answers(items: Sequence[ResidentItem], raw: Mapping[str, str]) -> dict[str, str]:
    """Answers by item key, checked against each item's kind; blanks left out.

    Raises
    ------
    FieldError
        Naming the form field (``q_<code>`` or ``q_<code>__<target>``) of a bad value,
        or ``answers`` when nothing at all was answered.
    """
    known = {item.key: item for item in items}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise FieldError("answers", "unknown_item", item=unknown[0])
    cleaned: dict[str, str] = {}
    for key, value in raw.items():
        item = known[key]
        value = value.strip() if item.kind != "text" else value.strip()[: MAX_TEXT_LENGTH + 1]
        if value == "":
            continue
        if item.kind == "text":
            if len(value) > MAX_TEXT_LENGTH:
                raise FieldError(item.field_name, "too_long", max=MAX_TEXT_LENGTH)
        elif value not in item.values and not (item.dont_know and value == DONT_KNOW):
            raise FieldError(item.field_name, "not_a_choice")
        cleaned[key] = value
    if not any(known[key].kind in RATED_KINDS for key in cleaned):
        raise FieldError("answers", "nothing_answered")
    return cleaned


def list_unanswered(
    items: Sequence[ResidentItem], answers: Mapping[str, str]
) -> tuple[ResidentItem, ...]:
    """The items a resident left blank, named before the final submission (issue 20).

    Free text is an invitation to comment, not a question, and is never listed.
    """
    return tuple(
        item for item in items if item.kind != "text" and not answers.get(item.key, "").strip()
    )


def content_digest(unit_id: int, answers: Mapping[str, str]) -> str:
    """SHA-256 of what a response says: tells a resend (same) from a change (different)."""
    return sha256_hex(canonical_json({"unit": unit_id, "answers": dict(answers)}))


def find_resubmission(
    session: Session, *, survey_id: int, submission_key: str, digest: str
) -> str | None:
    """The receipt of an earlier response with this submission key, if it says the same.

    Raises
    ------
    SubmissionConflictError
        When the earlier response with this submission key says something else.
    """
    earlier = session.execute(
        sa.select(Response.receipt, Response.content_digest).where(
            Response.survey_id == survey_id, Response.submission_key == submission_key
        )
    ).first()
    if earlier is None:
        return None
    if earlier.content_digest != digest:
        raise SubmissionConflictError()
    return str(earlier.receipt)


def _answer_rows(
    items: Sequence[ResidentItem], response_id: str, answers: Mapping[str, str]
) -> list[dict[str, Any]]:
    by_key = {item.key: item for item in items}
    rows = []
    for key, value in sorted(answers.items()):
        item = by_key[key]
        # "don't know" is kept as text beside the levels: never a score, never a blank
        numeric = item.kind in ("likert", "scale10") and value != DONT_KNOW
        rows.append(
            {
                "response_id": response_id,
                "item": key,
                "question_id": item.question_id,
                "target_id": item.target_id,
                "value_int": int(value) if numeric else None,
                "value_text": None if numeric else value,
            }
        )
    return rows


def store_response(
    session: Session,
    *,
    survey: SurveyRef,
    unit_id: int,
    channel: str,
    answers: Mapping[str, str],
    receipt: str,
    today: date,
    submission_key: str | None = None,
    duration_band_s: int | None = None,
    paper_serial: str | None = None,
    paper_batch: str | None = None,
    items: Sequence[ResidentItem] | None = None,
    voter_group: str | None = None,
) -> str:
    """Insert one response and its clean answers (both channels end here); return its id.

    ``voter_group`` is the response's group when the caller knows it already (the
    resident pages cache it per unit while the survey is open, since a unit's batches
    share one group); otherwise it is read (:func:`respondent_group`).

    The database's unique constraint on (survey, submission key) is the last guard
    against a double submission that slipped past every check above it.
    """
    if items is None:
        items = list_items(session, survey.id, unit_id)
    response_id = uuid.uuid4().hex
    row = {
        "id": response_id,
        "survey_id": survey.id,
        "unit_id": unit_id,
        "voter_group": voter_group or respondent_group(session, survey, unit_id),
        "channel": channel,
        "submitted_on": today,
        "receipt": receipt,
        "submission_key": submission_key,
        "content_digest": content_digest(unit_id, answers),
        "duration_band_s": duration_band_s,
        "paper_serial": paper_serial,
        "paper_batch": paper_batch,
    }
    if submission_key is None:
        session.execute(sa.insert(Response).values(row))
    elif not _insert_online_response(session, row):
        raise NotStoredError()
    rows = _answer_rows(items, response_id, answers)
    if rows:
        # One statement with a row per answer, not one statement per answer.
        session.execute(sa.insert(Answer).values(rows))
    return response_id


def _insert_online_response(session: Session, row: Mapping[str, Any]) -> bool:
    """Insert an online response row in one statement, only if nothing speaks against it.

    Nothing is inserted (False) when a copy of the form is stored (the unique submission
    key: a resend or a double click), when the survey is not open at this moment, or when
    the receipt drawn is already a receipt of the survey (online or in the paper pool).
    The open check locks the survey row for share on PostgreSQL: a close in progress
    makes this insert wait and then find the survey closed, and a close that comes later
    waits for this transaction, so no response lands after the seal. SQLite serialises
    writers, and this statement reads after taking the write lock.
    """
    columns = Response.__table__.c
    survey_id, receipt = row["survey_id"], row["receipt"]
    is_open = (
        sa.select(Survey.id)
        .where(Survey.id == survey_id, Survey.status == "open")
        .with_for_update(read=True)
    )
    values = sa.select(
        *(sa.literal(value, columns[name].type).label(name) for name, value in row.items())
    ).where(
        sa.exists(is_open),
        ~sa.exists().where(Response.survey_id == survey_id, Response.receipt == receipt),
        ~sa.exists().where(PaperReceipt.survey_id == survey_id, PaperReceipt.receipt == receipt),
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Response)
        .from_select(list(row), values)
        .on_conflict_do_nothing(index_elements=["survey_id", "submission_key"])
        # psycopg reports no row count for INSERT ... SELECT: the returned id says it.
        .returning(Response.id)
    )
    return session.execute(statement).first() is not None


#: Receipts drawn before giving up (a clash is about one in 10^12 per draw).
_RECEIPT_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class SubmitResult:
    receipt: str
    #: True when this was a resend of a response already stored.
    repeated: bool


def claim_code(session: Session, *, survey: SurveyRef, code_hash: str, claim_key: str) -> None:
    """Step 1 of an online response: use up the code for one form, in its own transaction.

    The code row is marked used and keeps ``claim_key`` (a keyed hash of the form's
    submission id, :func:`surveys.services.tokens.claim_key`). The same form may claim it again,
    so a resend after a failure between the two steps can finish; any other form is
    refused. One conditional UPDATE: two concurrent requests cannot both claim a code.
    The caller commits before :func:`store_online_response`, so that the response never
    shares a transaction (PostgreSQL's ``xmin``) with its code.

    Raises
    ------
    CodeRejectedError
        ``survey_<status>`` when the survey is not open; ``used_code`` when the code is
        unknown, revoked, or used by another form.
    """
    if survey.status != "open":
        raise CodeRejectedError("survey_" + survey.status)
    revoked = sa.select(CodeBatch.id).where(CodeBatch.revoked_at.is_not(None))
    claimed = session.execute(
        sa.update(AccessCode)
        .where(
            AccessCode.survey_id == survey.id,
            AccessCode.code_hash == code_hash,
            sa.or_(AccessCode.used.is_(False), AccessCode.claim_key == claim_key),
            AccessCode.batch_id.not_in(revoked),
        )
        .values(used=True, claim_key=claim_key)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise CodeRejectedError("used_code")


def store_online_response(
    session: Session,
    *,
    survey: SurveyRef,
    unit_id: int,
    submission_key: str,
    answers: Mapping[str, str],
    today: date,
    duration_band_s: int | None = None,
    items: Sequence[ResidentItem] | None = None,
    voter_group: str | None = None,
) -> SubmitResult:
    """Step 2 of an online response: store the answers of a form whose code is claimed.

    A resend with the same submission key and the same answers returns the first
    receipt and stores nothing; with different answers it raises
    :class:`SubmissionConflictError`. The usual case is two statements, the response
    row (inserted only if the survey is still open, its receipt new and no copy of the
    form stored: :func:`_insert_online_response`) and its answers in one multi-row
    INSERT; only when nothing was inserted does it read why. A copy that still meets
    the unique constraint raises IntegrityError, which the caller maps
    (:func:`is_duplicate_submission`) to the receipt of the copy that won.
    """
    if survey.status != "open":
        raise CodeRejectedError("survey_" + survey.status)
    if items is None:
        items = list_items(session, survey.id, unit_id)
    cleaned = clean_answers(items, answers)
    for _attempt in range(_RECEIPT_ATTEMPTS):
        receipt = tokens.new_receipt()
        try:
            store_response(
                session,
                survey=survey,
                unit_id=unit_id,
                channel="online",
                answers=cleaned,
                receipt=receipt,
                submission_key=submission_key,
                today=today,
                duration_band_s=duration_band_s,
                items=items,
                voter_group=voter_group,
            )
        except NotStoredError:
            # Rare: find out why nothing was inserted.
            earlier = find_resubmission(
                session,
                survey_id=survey.id,
                submission_key=submission_key,
                digest=content_digest(unit_id, cleaned),
            )
            if earlier is not None:
                return SubmitResult(earlier, repeated=True)
            status = session.scalar(sa.select(Survey.status).where(Survey.id == survey.id))
            if status != "open":
                raise CodeRejectedError(f"survey_{status}") from None
            continue  # the receipt drawn was taken: draw another
        return SubmitResult(receipt, repeated=False)
    raise RuntimeError("no free receipt found")


def is_duplicate_submission(error: IntegrityError) -> bool:
    """Whether an IntegrityError is the (survey, submission key) unique constraint."""
    text = str(error.orig)
    return "submission_key" in text or "uq_survey_responses_survey_id_submission_key" in text


# ---------------------------------------------------------------------------
# closing and sealing
# ---------------------------------------------------------------------------


def _canonical_response_set(session: Session, survey_id: int) -> tuple[str, int]:
    group = session.scalar(sa.select(Survey.voter_group).where(Survey.id == survey_id))
    responses = session.execute(
        sa.select(Response).where(Response.survey_id == survey_id).order_by(Response.id)
    ).scalars()
    answers: dict[str, list[dict[str, Any]]] = {}
    for row in session.execute(
        sa.select(Answer)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.survey_id == survey_id)
        .order_by(Answer.response_id, Answer.item)
    ).scalars():
        answers.setdefault(row.response_id, []).append(
            {
                "item": row.item,
                "question": row.question_id,
                "target": row.target_id,
                "int": row.value_int,
                "text": row.value_text,
            }
        )
    records = [
        {
            "id": r.id,
            "unit": r.unit_id,
            "channel": r.channel,
            "on": r.submitted_on.isoformat(),
            "receipt": r.receipt,
            "digest": r.content_digest,
            "duration_band": r.duration_band_s,
            "serial": r.paper_serial,
            "paper_batch": r.paper_batch,
            "answers": answers.get(r.id, []),
            # only where a batch named another group, so seals made before groups hold
            **({"group": r.voter_group} if r.voter_group != group else {}),
        }
        for r in responses
    ]
    receipts = sorted(str(record["receipt"]) for record in records)
    document = {"survey": survey_id, "responses": records, "receipts": receipts}
    return sha256_hex(canonical_json(document)), len(records)


def _own_transaction_id(session: Session) -> AbstractContextManager[object]:
    """A savepoint on PostgreSQL, whose writes carry a transaction id of their own.

    SQLite has no transaction ids in its rows (and pysqlite's savepoints are fragile), so
    there the writes simply join the surrounding transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        return session.begin_nested()
    return nullcontext()


def _rewrite_rows_of(session: Session, survey_id: int) -> None:
    """Give every code, response and answer row of the survey a new row version.

    While the survey was open each code row was written when it was used and each
    response when it arrived, so PostgreSQL's ``xmin`` (and its order) dated them and
    paired a code with the response that followed it. Rewriting all of them here, the
    codes in one savepoint and the responses and answers in another (each savepoint
    writes under a transaction id of its own), leaves one ``xmin`` for all the codes
    and one other for all the content. Claims and submission keys are dropped: nothing
    needs them once no answer can come in. The old row versions stay in the table files
    until :func:`surveys.services.storage.compact_survey_tables` runs after the commit.
    """
    with _own_transaction_id(session):
        session.execute(
            sa.update(AccessCode)
            .where(AccessCode.survey_id == survey_id)
            .values(claim_key=None, used=AccessCode.used)
            .execution_options(synchronize_session=False)
        )
    with _own_transaction_id(session):
        session.execute(
            sa.update(Response)
            .where(Response.survey_id == survey_id)
            .values(submission_key=None, receipt=Response.receipt)
            .execution_options(synchronize_session=False)
        )
        of_survey = sa.select(Response.id).where(Response.survey_id == survey_id)
        session.execute(
            sa.update(Answer)
            .where(Answer.response_id.in_(of_survey))
            .values(value_text=Answer.value_text)
            .execution_options(synchronize_session=False)
        )


def close_survey(session: Session, survey: Survey, *, now: datetime) -> SurveySeal:
    """Open → closed: no more answers; rows rewritten; the final set sealed in one audited row.

    The caller compacts the survey tables after the commit
    (:func:`surveys.services.storage.compact_survey_tables`), so that no old row version remains.
    """
    if survey.status != "open":
        raise SurveyStateError("not_open", status=survey.status)
    survey.status = "closed"
    survey.closed_at = now
    session.flush()
    _rewrite_rows_of(session, survey.id)
    digest, count = _canonical_response_set(session, survey.id)
    seal = SurveySeal(survey_id=survey.id, sealed_at=now, response_count=count, digest=digest)
    session.add(seal)
    session.flush()
    return seal


@dataclass(frozen=True, slots=True)
class SealCheck:
    """Outcome of :func:`verify_seal`."""

    ok: bool
    sealed_digest: str
    current_digest: str
    sealed_count: int
    current_count: int


def verify_seal(session: Session, survey: Survey) -> SealCheck | None:
    """Recompute the closed survey's digest and compare it with its seal (None if unsealed)."""
    seal = session.scalar(sa.select(SurveySeal).where(SurveySeal.survey_id == survey.id))
    if seal is None:
        return None
    digest, count = _canonical_response_set(session, survey.id)
    return SealCheck(
        ok=digest == seal.digest and count == seal.response_count,
        sealed_digest=seal.digest,
        current_digest=digest,
        sealed_count=seal.response_count,
        current_count=count,
    )


def settings_of(question: Question) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(question.settings or "{}")
    return loaded
