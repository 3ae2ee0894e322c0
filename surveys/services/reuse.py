"""Copying a survey from an earlier period: its targets, questions, settings and who
rates whom, never its codes, responses, receipts or seal.

:func:`plan_survey_copy` says, before anything is saved, what the copy keeps and what
differs from the source today: a cadre who holds no post any more, a unit that was
retired or lies outside the new period's area, a village that no longer rates or a new
one that rates nothing yet. :func:`copy_survey` stores exactly that plan as a draft
survey; the caller's unit of work commits it, audited, or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from assessment.core.digest import canonical_json, sha256_hex
from assessment.core.reuse import CopyNote, retitle
from assessment.models import Period, Unit
from surveys.models.surveys import Assignment, Question, Survey, Target
from surveys.services import paper
from surveys.services.queries import respondent_units
from surveys.services.surveys import (
    SurveyData,
    SurveyStateError,
    create_survey,
    current_appointment,
)

#: Survey columns a copy does not take from its source: who it is and where it stands.
#: Every other column (wording, layout, any setting added later) is copied.
_SURVEY_IDENTITY = frozenset(
    {"id", "period_id", "short_id", "status", "created_at", "opened_at", "closed_at"}
)


@dataclass(frozen=True, slots=True)
class TargetCopy:
    """A target the copy keeps, with the unit it belongs to today and any flag on it."""

    source: Target
    unit: Unit | None
    notes: tuple[CopyNote, ...] = ()


@dataclass(frozen=True, slots=True)
class SurveyCopyPlan:
    """What copying ``source`` into ``period`` will store, shown before it is saved.

    ``notes`` names every difference from the source (dropped targets with the reason,
    the new title, villages that no longer rate or rate nothing yet); ``assignments``
    are the kept (respondent unit id, source target id) pairs; ``fingerprint``
    identifies the plan so that a confirmation from a stale page is refused.
    """

    source: Survey
    period: Period
    title_zh: str
    title_en: str
    targets: tuple[TargetCopy, ...]
    questions: tuple[Question, ...]
    assignments: tuple[tuple[int, int], ...]
    notes: tuple[CopyNote, ...]
    fingerprint: str


def copy_sources(period: Period, surveys: Sequence[Survey]) -> list[Survey]:
    """The surveys among ``surveys`` (those the reader may see) that may be copied into
    ``period``: those of another period of the same or an earlier year."""
    return [s for s in surveys if s.period_id != period.id and s.period.year <= period.year]


def _in_scope(unit: Unit, period: Period) -> bool:
    return unit.path.startswith(period.scope_unit.path)


def _plan_target(session: Session, target: Target, period: Period, today: date) -> Any:
    """A :class:`TargetCopy`, or the :class:`CopyNote` that says why it is dropped."""
    label = target.label_zh
    cadre = target.cadre  # set exactly when the kind is "cadre" (the table's check)
    if cadre is not None:
        appointment = current_appointment(session, cadre, today)
        if appointment is None or cadre.retired_on is not None:
            return CopyNote("target_dropped", {"target": label, "why": "cadre_left"})
        if not _in_scope(appointment.unit, period):
            return CopyNote("target_dropped", {"target": label, "why": "outside_scope"})
        notes = []
        if appointment.unit_id != target.unit_id:
            old = target.unit.name_zh if target.unit is not None else ""
            notes.append(
                CopyNote(
                    "target_moved",
                    {"target": label, "old": old, "new": appointment.unit.name_zh},
                )
            )
        return TargetCopy(target, appointment.unit, tuple(notes))
    unit = target.unit
    if unit is not None and unit.retired_on is not None:
        return CopyNote("target_dropped", {"target": label, "why": "unit_retired"})
    if unit is not None and not _in_scope(unit, period):
        return CopyNote("target_dropped", {"target": label, "why": "outside_scope"})
    return TargetCopy(target, unit)


def plan_survey_copy(
    session: Session, *, source: Survey, period: Period, today: date
) -> SurveyCopyPlan:
    """Plan a copy of ``source`` as a new draft survey of ``period``, as of ``today``.

    Refused (SurveyStateError) when the source belongs to ``period`` itself or to a
    later year, or when ``period`` is final.
    """
    if source.period_id == period.id:
        raise SurveyStateError("copy_same_period")
    if source.period.year > period.year:
        raise SurveyStateError("copy_from_later", year=source.period.year)
    if period.status == "final":
        raise SurveyStateError("period_final")
    notes: list[CopyNote] = []
    old_year, new_year = source.period.year, period.year
    title_zh = retitle(source.title_zh, old_year, new_year)
    title_en = retitle(source.title_en, old_year, new_year)
    if title_zh != source.title_zh:
        notes.append(CopyNote("title_changed", {"old": source.title_zh, "new": title_zh}))
    kept: list[TargetCopy] = []
    for target in source.targets:
        planned = _plan_target(session, target, period, today)
        if isinstance(planned, CopyNote):
            notes.append(planned)
        else:
            kept.append(planned)
            notes.extend(planned.notes)
    kept_ids = {t.source.id for t in kept}
    respondents = {u.id: u for u in respondent_units(session, period)}
    assignments = sorted(
        (a.unit_id, a.target_id)
        for a in source.assignments
        if a.unit_id in respondents and a.target_id in kept_ids
    )
    rating_before = {a.unit_id: a.unit for a in source.assignments}
    for unit_id, unit in sorted(rating_before.items(), key=lambda item: item[1].path):
        if unit_id not in respondents:
            notes.append(CopyNote("unit_stops_rating", {"unit": unit.name_zh}))
    rating_now = {unit_id for unit_id, _ in assignments}
    for unit_id, unit in respondents.items():
        if unit_id not in rating_now:
            notes.append(CopyNote("unit_rates_nothing", {"unit": unit.name_zh}))
    plain = {
        "source": source.id,
        "period": period.id,
        "title": [title_zh, title_en],
        "targets": [[t.source.id, t.unit.id if t.unit else None] for t in kept],
        "questions": [[q.id, q.settings] for q in source.questions],
        "assignments": assignments,
    }
    return SurveyCopyPlan(
        source=source,
        period=period,
        title_zh=title_zh,
        title_en=title_en,
        targets=tuple(kept),
        questions=tuple(source.questions),
        assignments=tuple(assignments),
        notes=tuple(notes),
        fingerprint=sha256_hex(canonical_json(plain)),
    )


def copy_survey(
    session: Session, *, source: Survey, period: Period, today: date, fingerprint: str
) -> Survey:
    """Store the planned copy of ``source`` as a new draft survey of ``period``.

    ``fingerprint`` is the one of the plan the team read; a different plan now (a
    cadre left, the source was edited) is refused with ``copy_stale``. Targets and
    questions keep their codes, order and wording; nothing of the source's codes,
    responses, receipts or seal is copied.
    """
    plan = plan_survey_copy(session, source=source, period=period, today=today)
    if plan.fingerprint != fingerprint:
        raise SurveyStateError("copy_stale")
    survey = create_survey(
        session,
        period=period,
        data=SurveyData(
            title_zh=plan.title_zh,
            title_en=plan.title_en,
            intro_zh=source.intro_zh,
            intro_en=source.intro_en,
            one_per_screen=source.one_per_screen,
        ),
    )
    taken = _SURVEY_IDENTITY | {"title_zh", "title_en"}
    for column in Survey.__table__.columns:
        if column.key not in taken:
            setattr(survey, column.key, getattr(source, column.key))
    copies: dict[int, Target] = {}
    for planned in plan.targets:
        target = _copied(planned.source, Target, skip={"unit_id"})
        target.unit = planned.unit
        survey.targets.append(target)
        copies[planned.source.id] = target
    for question in plan.questions:
        survey.questions.append(_copied(question, Question))
    session.flush()
    for unit_id, target_id in plan.assignments:
        survey.assignments.append(Assignment(unit_id=unit_id, target_id=copies[target_id].id))
    if paper.double_entry(session, source.id) != paper.double_entry(session, survey.id):
        paper.set_double_entry(session, survey, enabled=paper.double_entry(session, source.id))
    session.flush()
    return survey


def _copied(row: Any, model: type, *, skip: frozenset[str] | set[str] = frozenset()) -> Any:
    """A new ``model`` row with ``row``'s columns, all but its id, survey and ``skip``."""
    left_out = {"id", "survey_id", *skip}
    return model(
        **{
            column.key: getattr(row, column.key)
            for column in model.__table__.columns  # type: ignore[attr-defined]
            if column.key not in left_out
        }
    )
