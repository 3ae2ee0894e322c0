"""Units, posts, cadres and appointments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.errors import FieldError
from assessment.core.roster import ALLOWED_PARENT_KINDS, POST_LEVEL_UNIT_KINDS
from assessment.models import Appointment, Cadre, Post, Unit, UnitKind
from assessment.services.queries import find_cadre_by_code, find_post_by_code, find_unit_by_code


@dataclass(frozen=True, slots=True)
class UnitData:
    code: str
    kind: str
    name_zh: str
    name_en: str
    parent_id: int | None
    households: int
    population: int


def _check_unit(session: Session, data: UnitData, unit: Unit | None) -> Unit | None:
    existing = find_unit_by_code(session, data.code)
    if existing is not None and existing is not unit:
        raise FieldError("code", "duplicate_code", code=data.code)
    if data.kind not in {k.value for k in UnitKind}:
        raise FieldError("kind", "unknown_kind", kind=data.kind)
    parent = session.get(Unit, data.parent_id) if data.parent_id else None
    allowed = ALLOWED_PARENT_KINDS[data.kind]
    if allowed and parent is None:
        raise FieldError("parent_id", "parent_required")
    if parent is not None and parent.kind not in allowed:
        raise FieldError("parent_id", "parent_kind_not_allowed", kind=data.kind, parent=parent.kind)
    if parent is not None and unit is not None and parent.path.startswith(unit.path):
        raise FieldError("parent_id", "parent_cycle")
    if data.households < 0:
        raise FieldError("households", "negative")
    if data.population < 0:
        raise FieldError("population", "negative")
    return parent


def _apply_path(session: Session, unit: Unit, parent: Unit | None) -> None:
    old_path = unit.path
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    if old_path and old_path != unit.path:
        for child in session.scalars(sa.select(Unit).where(Unit.path.startswith(old_path))):
            if child is not unit:
                child.path = unit.path + child.path[len(old_path) :]


def create_unit(session: Session, data: UnitData) -> Unit:
    parent = _check_unit(session, data, None)
    unit = Unit(
        code=data.code,
        kind=data.kind,
        name_zh=data.name_zh,
        name_en=data.name_en,
        parent=parent,
        households=data.households,
        population=data.population,
    )
    session.add(unit)
    session.flush()  # the id is part of the path
    _apply_path(session, unit, parent)
    session.flush()
    return unit


def update_unit(session: Session, unit: Unit, data: UnitData) -> Unit:
    parent = _check_unit(session, data, unit)
    unit.code = data.code
    unit.kind = data.kind
    unit.name_zh = data.name_zh
    unit.name_en = data.name_en
    unit.parent = parent
    unit.households = data.households
    unit.population = data.population
    _apply_path(session, unit, parent)
    session.flush()
    return unit


def retire_unit(session: Session, unit: Unit, on: date) -> None:
    active_children = session.scalar(
        sa.select(sa.func.count())
        .select_from(Unit)
        .where(Unit.parent_id == unit.id, Unit.retired_on.is_(None))
    )
    if active_children:
        raise FieldError("unit", "has_active_children", count=active_children)
    unit.retired_on = on
    session.flush()


@dataclass(frozen=True, slots=True)
class PostData:
    code: str
    name_zh: str
    name_en: str
    unit_level: str


def save_post(session: Session, data: PostData, post: Post | None = None) -> Post:
    existing = find_post_by_code(session, data.code)
    if existing is not None and existing is not post:
        raise FieldError("code", "duplicate_code", code=data.code)
    if post is not None and post.unit_level == "unit":
        # made and named by assessment.services.unit_subjects for the assessed units
        raise FieldError("code", "unit_post_fixed", code=post.code)
    if data.unit_level not in {"township", "village"}:
        raise FieldError("unit_level", "unknown_level", level=data.unit_level)
    if post is None:
        post = Post()
        session.add(post)
    post.code = data.code
    post.name_zh = data.name_zh
    post.name_en = data.name_en
    post.unit_level = data.unit_level
    session.flush()
    return post


def retire_post(session: Session, post: Post, on: date) -> None:
    post.retired_on = on
    session.flush()


@dataclass(frozen=True, slots=True)
class CadreData:
    code: str
    name: str
    gender: str
    birth_year: int | None


def save_cadre(session: Session, data: CadreData, cadre: Cadre | None = None) -> Cadre:
    existing = find_cadre_by_code(session, data.code)
    if existing is not None and existing is not cadre:
        raise FieldError("code", "duplicate_code", code=data.code)
    if data.gender not in {"", "M", "F"}:
        raise FieldError("gender", "unknown_gender")
    if cadre is None:
        cadre = Cadre()
        session.add(cadre)
    cadre.code = data.code
    cadre.name = data.name
    cadre.gender = data.gender
    cadre.birth_year = data.birth_year
    session.flush()
    return cadre


def retire_cadre(session: Session, cadre: Cadre, on: date) -> None:
    cadre.retired_on = on
    for appointment in cadre.appointments:
        if appointment.end_date is None or appointment.end_date > on:
            appointment.end_date = max(on, appointment.start_date)
    session.flush()


def appoint(
    session: Session, cadre: Cadre, post: Post, unit: Unit, start: date, end: date | None = None
) -> Appointment:
    """Add an appointment; the same post in the same unit may not overlap in time."""
    if end is not None and end < start:
        raise FieldError("end_date", "end_before_start")
    if post.retired_on is not None:
        raise FieldError("post_id", "post_retired")
    if unit.retired_on is not None:
        raise FieldError("unit_id", "unit_retired")
    if unit.kind not in POST_LEVEL_UNIT_KINDS.get(post.unit_level, ()):
        raise FieldError("unit_id", "post_level_mismatch")
    if (post.unit_level == "unit") != (cadre.kind == "unit"):
        # a unit post is held by an assessed unit in itself, and only there (issue 16)
        raise FieldError("post_id", "unit_post_for_units_only")
    if cadre.kind == "unit" and unit.id != cadre.unit_id:
        raise FieldError("unit_id", "unit_post_for_units_only")
    for other in cadre.appointments:
        if other.post_id == post.id and other.unit_id == unit.id:
            other_end = other.end_date or date.max
            if start <= other_end and (end or date.max) >= other.start_date:
                raise FieldError("start_date", "overlapping_appointment")
    appointment = Appointment(cadre=cadre, post=post, unit=unit, start_date=start, end_date=end)
    session.add(appointment)
    session.flush()
    return appointment


def end_appointment(session: Session, appointment: Appointment, on: date) -> None:
    if on < appointment.start_date:
        raise FieldError("end_date", "end_before_start")
    appointment.end_date = on
    session.flush()
