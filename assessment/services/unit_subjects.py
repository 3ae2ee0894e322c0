"""Units and leadership teams as assessed subjects (issue 16).

A unit period (``Period.subjects == "units"``) assesses the units under its scope and
never a person. Each assessed unit is carried through the one engine as a *subject*: a
``cadre`` row of kind ``unit`` that stands for the unit and holds the unit post of the
unit's kind *in the unit itself*. Indicator sets (keyed by that post), quantitative
actuals, ratings, events, survey targets, results, notice, objections, scorecards and
PDF reports then work as for a person, and a stored result's ``unit`` of each subject is
the assessed unit's id (the quota groups read unit grades that way).

A township's leadership team (领导班子) is the township itself: the team's grade is the
township's grade, and the township's staff (appointed in the township) are the staff
whose share of 优秀 it may decide. Villages and communities share one post (村级组织),
township departments have theirs (乡镇部门).

The subjects exist once the rulebook of a unit period is published: publication creates
the subject of every unit under the scope whose kind's post has an indicator set, with
an appointment over the period's dates, in the publishing unit of work (audited).

Who speaks for a unit: an account whose cadre holds a current appointment (any post) in
the unit sees the unit's public result and may object to it during the notice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.errors import FieldError
from assessment.models import Account, Appointment, Cadre, Period, Post, Unit
from assessment.services.org import appoint

#: The unit post of each unit kind: (code, Chinese name, English name).
UNIT_POSTS: Mapping[str, tuple[str, str, str]] = {
    "township": ("UNIT-TEAM", "乡镇领导班子", "Township leadership team"),
    "street": ("UNIT-TEAM", "乡镇领导班子", "Township leadership team"),
    "village": ("UNIT-VILLAGE", "村级组织", "Village organisation"),
    "community": ("UNIT-VILLAGE", "村级组织", "Village organisation"),
    "department": ("UNIT-DEPT", "乡镇部门", "Township department"),
}
#: The level of every unit post (``Post.unit_level``).
UNIT_LEVEL = "unit"
#: Prefix of a unit subject's code (the unit's code follows).
SUBJECT_CODE_PREFIX = "U-"
_CODE_MAX = 32
_NAME_MAX = 50


def subject_kind(period: Period) -> str:
    """The ``Cadre.kind`` a period assesses: ``unit`` in a unit period, else ``person``."""
    return "unit" if period.subjects == "units" else "person"


def is_unit_period(period: Period) -> bool:
    """Whether the period assesses units (and so never a person)."""
    return period.subjects == "units"


def ensure_unit_posts(session: Session) -> dict[str, Post]:
    """The unit posts by code, created when missing (level ``unit``)."""
    posts: dict[str, Post] = {}
    for code, name_zh, name_en in dict.fromkeys(UNIT_POSTS.values()):
        post = session.scalars(sa.select(Post).where(Post.code == code)).one_or_none()
        if post is None:
            post = Post(code=code, name_zh=name_zh, name_en=name_en, unit_level=UNIT_LEVEL)
            session.add(post)
        elif post.unit_level != UNIT_LEVEL:
            # a person's post took the code first: the subjects would be mixed with persons
            raise FieldError("post", "unit_post_code_taken", code=code)
        posts[code] = post
    session.flush()
    return posts


def subject_code(unit: Unit) -> str:
    """The code of the subject standing for ``unit``: ``U-`` and the unit's code."""
    return f"{SUBJECT_CODE_PREFIX}{unit.code}"[:_CODE_MAX]


def find_subject(session: Session, unit_id: int) -> Cadre | None:
    """The subject standing for the unit, or None before the unit was first assessed."""
    return session.scalars(
        sa.select(Cadre).where(Cadre.kind == "unit", Cadre.unit_id == unit_id)
    ).one_or_none()


def _subject(session: Session, unit: Unit) -> Cadre:
    subject = find_subject(session, unit.id)
    if subject is not None:
        subject.name = unit.name_zh[:_NAME_MAX]  # the unit may have been renamed since
        return subject
    code = subject_code(unit)
    if session.scalars(sa.select(Cadre.id).where(Cadre.code == code)).first() is not None:
        raise FieldError("code", "unit_subject_code_taken", code=code, unit=unit.name_zh)
    subject = Cadre(code=code, name=unit.name_zh[:_NAME_MAX], kind="unit", unit=unit)
    session.add(subject)
    session.flush()
    return subject


def covered_posts(document: Mapping[str, Any]) -> set[str]:
    """The post codes a rulebook document has indicator sets for."""
    sets = document.get("posts")
    return {
        s["post"]
        for s in (sets if isinstance(sets, list) else [])
        if isinstance(s, Mapping) and isinstance(s.get("post"), str)
    }


@dataclass(frozen=True, slots=True)
class PlannedSubject:
    """A unit of a unit period's scope, the unit post of its kind, and whether it is assessed.

    ``assessed`` is whether the rulebook document has an indicator set for ``post``;
    ``subject_id`` is the unit's subject once it exists.
    """

    unit: Unit
    post: str
    post_name: str
    assessed: bool
    subject_id: int | None


def plan_subjects(
    session: Session, period: Period, document: Mapping[str, Any] | None
) -> list[PlannedSubject]:
    """Every unit of the scope subtree (the scope unit included: a township is its
    leadership team), not retired, of a kind with a unit post, in code order."""
    wanted = covered_posts(document) if document is not None else set()
    units = session.scalars(
        sa.select(Unit)
        .where(Unit.path.startswith(period.scope_unit.path), Unit.retired_on.is_(None))
        .order_by(Unit.code)
    )
    planned = []
    for unit in units:
        entry = UNIT_POSTS.get(unit.kind)
        if entry is None:
            continue
        subject = find_subject(session, unit.id)
        planned.append(
            PlannedSubject(
                unit=unit,
                post=entry[0],
                post_name=entry[1],
                assessed=entry[0] in wanted,
                subject_id=subject.id if subject is not None else None,
            )
        )
    return planned


def sync_subjects(session: Session, period: Period, document: Mapping[str, Any]) -> list[Cadre]:
    """Make every unit of the scope whose kind's post the rulebook covers an assessed subject.

    Each planned unit (:func:`plan_subjects`) that is assessed gets its subject
    (created once, kept for later periods) and an appointment to its kind's unit post
    over the period's dates unless one overlaps them. A cadre period is left alone.
    Returns the subjects in unit code order.

    Raises
    ------
    FieldError
        ``post`` (``unit_post_code_taken``) or ``code`` (``unit_subject_code_taken``)
        when a person's post or cadre already has the code a unit needs.
    """
    if not is_unit_period(period):
        return []
    posts = ensure_unit_posts(session)
    subjects = []
    for planned in plan_subjects(session, period, document):
        if not planned.assessed:
            continue
        unit, post = planned.unit, posts[planned.post]
        subject = _subject(session, unit)
        overlapping = [
            a
            for a in subject.appointments
            if a.post_id == post.id
            and a.unit_id == unit.id
            and a.start_date <= period.ends_on
            and (a.end_date is None or a.end_date >= period.starts_on)
        ]
        if not overlapping:
            appoint(session, subject, post, unit, period.starts_on, period.ends_on)
        subjects.append(subject)
    return subjects


def units_held(session: Session, cadre_id: int, on: date) -> list[Unit]:
    """Units in which the cadre holds an appointment (any post) on ``on``, by code."""
    return list(
        session.scalars(
            sa.select(Unit)
            .join(Appointment, Appointment.unit_id == Unit.id)
            .join(Cadre, Appointment.cadre_id == Cadre.id)
            .where(
                Cadre.id == cadre_id,
                Cadre.kind == "person",
                Appointment.start_date <= on,
                sa.or_(Appointment.end_date.is_(None), Appointment.end_date >= on),
            )
            .distinct()
            .order_by(Unit.code)
        )
    )


def speaks_for(session: Session, account: Account, subject_id: int, on: date) -> bool:
    """Whether the account's cadre holds a post, on ``on``, in the unit a subject stands for."""
    subject = session.get(Cadre, subject_id)
    if subject is None or subject.kind != "unit" or account.cadre_id is None:
        return False
    return any(u.id == subject.unit_id for u in units_held(session, account.cadre_id, on))


@dataclass(frozen=True, slots=True)
class UnitPeriod:
    """A unit period in which a unit the reader holds a post in is assessed."""

    period: Period
    unit: Unit
    subject_id: int


def list_unit_periods(
    session: Session, account: Account, on: date, states: Collection[str]
) -> list[UnitPeriod]:
    """Unit periods in ``states`` assessing a unit the account's cadre holds a post in.

    A period is listed for a unit when the unit has a subject with an appointment
    during the period's dates in the period's scope; newest period first.
    """
    if account.cadre_id is None:
        return []
    out = []
    for unit in units_held(session, account.cadre_id, on):
        subject = find_subject(session, unit.id)
        if subject is None:
            continue
        ancestors = [int(part) for part in unit.path.strip("/").split("/") if part]
        periods: Iterable[Period] = session.scalars(
            sa.select(Period)
            .where(
                Period.subjects == "units",
                Period.scope_unit_id.in_(ancestors),
                Period.status.in_(list(states)),
            )
            .order_by(Period.starts_on.desc(), Period.id.desc())
        )
        for period in periods:
            if any(
                a.unit_id == unit.id
                and a.start_date <= period.ends_on
                and (a.end_date is None or a.end_date >= period.starts_on)
                for a in subject.appointments
            ):
                out.append(UnitPeriod(period, unit, subject.id))
    return sorted(out, key=lambda e: (-e.period.starts_on.toordinal(), e.unit.code))
