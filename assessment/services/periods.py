"""Assessment periods and their lifecycle transitions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.errors import (
    FieldError,
    LifecycleError,
    ResultsNotComputedError,
    RulebookNotPublishedError,
)
from assessment.core.lifecycle import check_transition
from assessment.models import Notice, Objection, Period, ResultVersion, RulebookVersion, Unit
from assessment.models.periods import (
    PARENT_KINDS,
    PERIOD_KINDS,
    PERIOD_SUBJECTS,
    SUB_PERIOD_KINDS,
)
from assessment.services.unit_subjects import ensure_unit_posts

#: Objection states that keep a period from becoming final.
PENDING_OBJECTION_STATUSES = ("open", "under_review")


class NoticeNotOpenedError(LifecycleError):
    """A period becomes "notice" only by opening a notice (a :class:`Notice` row)."""

    code = "notice_not_opened"


class FinaliseRefusedError(LifecycleError):
    """A period cannot become final (yet).

    ``code`` is ``finalise_on_notice_page`` (no date given: the generic transition),
    ``notice_not_ended`` (``params["ends_on"]``: the notice's last day) or
    ``objections_pending`` (``params["ids"]``: the objections still open or under review).
    """

    def __init__(self, code: str, current: str, **params: object) -> None:
        super().__init__(current, "final", ())
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class PeriodData:
    """What the create and edit forms give: a period's name, kind, dates and parent.

    ``starts_on``/``ends_on`` default to the year's first and last day; ``parent`` is
    the annual or term period a sub-period rolls up into.
    """

    name: str
    year: int
    kind: str = "annual"
    starts_on: date | None = None
    ends_on: date | None = None
    parent: Period | None = None


def _check_period(
    session: Session, data: PeriodData, scope_unit: Unit, period: Period | None
) -> tuple[date, date]:
    """Every rule on a period's fields, each refused naming its field (nothing is written)."""
    if not data.name.strip():
        raise FieldError("name", "required")
    if scope_unit.kind not in {"county", "township", "street"}:
        raise FieldError("scope_unit_id", "period_scope_kind")
    if not 2000 <= data.year <= 2100:
        raise FieldError("year", "year_out_of_range")
    if data.kind not in PERIOD_KINDS:
        raise FieldError("kind", "unknown_period_kind", value=data.kind)
    starts_on = data.starts_on or date(data.year, 1, 1)
    ends_on = data.ends_on or date(data.year, 12, 31)
    if ends_on < starts_on:
        raise FieldError("ends_on", "period_ends_before_start", starts_on=starts_on.isoformat())
    parent = data.parent
    if parent is None:
        return starts_on, ends_on
    if data.kind not in SUB_PERIOD_KINDS:
        raise FieldError("parent_id", "parent_only_for_sub_periods")
    if parent.kind not in PARENT_KINDS:
        raise FieldError("parent_id", "parent_not_annual_or_term", name=parent.name)
    if period is not None and parent.id == period.id:
        raise FieldError("parent_id", "parent_not_annual_or_term", name=parent.name)
    if parent.scope_unit_id != scope_unit.id:
        raise FieldError("parent_id", "parent_other_scope", name=parent.name)
    window = {"start": parent.starts_on.isoformat(), "end": parent.ends_on.isoformat()}
    if starts_on < parent.starts_on or starts_on > parent.ends_on:
        raise FieldError("starts_on", "outside_parent", name=parent.name, **window)
    if ends_on > parent.ends_on:
        raise FieldError("ends_on", "outside_parent", name=parent.name, **window)
    siblings = [
        p
        for p in session.scalars(
            sa.select(Period).where(Period.parent_id == parent.id).order_by(Period.starts_on)
        )
        if period is None or p.id != period.id
    ]
    same_kind = [p for p in siblings if p.kind == data.kind]
    if data.kind == "quarter" and len(same_kind) >= 4:
        raise FieldError("parent_id", "parent_has_four_quarters", name=parent.name)
    for sibling in same_kind:
        if starts_on <= sibling.ends_on and sibling.starts_on <= ends_on:
            raise FieldError("starts_on", "overlaps_sibling", name=sibling.name)
    return starts_on, ends_on


def create_period(
    session: Session,
    *,
    name: str,
    year: int,
    scope_unit: Unit,
    min_group_size: int = 5,
    kind: str = "annual",
    starts_on: date | None = None,
    ends_on: date | None = None,
    parent: Period | None = None,
    subjects: str = "cadres",
) -> Period:
    """A new draft period; ``min_group_size`` is the settings page's default for new periods.

    ``subjects`` is ``cadres`` (persons) or ``units`` (the villages, departments and
    leadership teams under the scope, issue 16); a unit period's unit posts are made
    ready for its rulebook (:func:`assessment.services.unit_subjects.ensure_unit_posts`).

    Raises
    ------
    FieldError
        Naming the field: the scope, the year, the kind, the end before the start, a
        parent that is not an annual or term period of the same scope, dates outside the
        parent's, a fifth quarter, or a sub-period overlapping a sibling of its kind;
        ``subjects`` unknown, or not the parent's.
    """
    data = PeriodData(name, year, kind, starts_on, ends_on, parent)
    if subjects not in PERIOD_SUBJECTS:
        raise FieldError("subjects", "unknown_period_subjects", value=subjects)
    first, last = _check_period(session, data, scope_unit, None)
    if parent is not None and parent.subjects != subjects:
        raise FieldError("subjects", "subjects_not_parents", name=parent.name)
    period = Period(
        name=name.strip(),
        year=year,
        scope_unit=scope_unit,
        status="draft",
        min_group_size=min_group_size,
        kind=kind,
        starts_on=first,
        ends_on=last,
        parent=parent,
        subjects=subjects,
    )
    session.add(period)
    session.flush()
    if subjects == "units":
        ensure_unit_posts(session)
    return period


def edit_period(session: Session, period: Period, data: PeriodData) -> Period:
    """Change a period's name, kind, dates or parent (the rules of :func:`create_period`).

    The kind, the dates and the parent decide what the results roll up, so they are
    fixed once the rules are published; the name may change while the period is a draft.

    Raises
    ------
    FieldError
        As :func:`create_period`; ``kind`` (``period_not_draft``) after the draft.
    """
    if period.status != "draft":
        raise FieldError("kind", "period_not_draft")
    first, last = _check_period(session, data, period.scope_unit, period)
    if (
        period.kind in PARENT_KINDS
        and data.kind not in PARENT_KINDS
        and list_children(session, period)
    ):
        raise FieldError("kind", "period_has_children")
    period.name = data.name.strip()
    period.year = data.year
    period.kind = data.kind
    period.starts_on = first
    period.ends_on = last
    period.parent = data.parent
    session.flush()
    return period


def list_children(session: Session, period: Period) -> list[Period]:
    """The period's sub-periods in time order (start date, then id)."""
    return list(
        session.scalars(
            sa.select(Period)
            .where(Period.parent_id == period.id)
            .order_by(Period.starts_on, Period.id)
        )
    )


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """One period of the calendar and its sub-periods."""

    period: Period
    children: tuple[Period, ...]


def list_calendar(
    session: Session, scope_unit_ids: Collection[int], year: int
) -> list[CalendarEntry]:
    """The periods of a year in the scope: parents (and stand-alone periods) with their children.

    A period belongs to the year when its dates touch it; a sub-period is listed under
    its parent (and on its own only when its parent is outside the year).
    """
    first, last = date(year, 1, 1), date(year, 12, 31)
    periods = list(
        session.scalars(
            sa.select(Period)
            .where(
                Period.scope_unit_id.in_(scope_unit_ids),
                Period.starts_on <= last,
                Period.ends_on >= first,
            )
            .order_by(Period.starts_on, Period.id)
        )
    )
    ids = {p.id for p in periods}
    entries = []
    for period in periods:
        if period.parent_id is not None and period.parent_id in ids:
            continue
        children = tuple(p for p in periods if p.parent_id == period.id)
        entries.append(CalendarEntry(period, children))
    return entries


def check_finalisable(session: Session, period: Period, today: date | None) -> None:
    """Refuse "final" before the notice has ended or while an objection is undecided.

    Raises
    ------
    FinaliseRefusedError
        With the reason and what to wait for (see the class).
    """
    if today is None:
        raise FinaliseRefusedError("finalise_on_notice_page", period.status)
    notice = session.scalars(
        sa.select(Notice).where(Notice.period_id == period.id).order_by(Notice.id.desc())
    ).first()
    if notice is None:
        raise NoticeNotOpenedError(period.status, "final", ())
    if today <= notice.ends_on:
        raise FinaliseRefusedError("notice_not_ended", period.status, ends_on=notice.ends_on)
    pending = list(
        session.scalars(
            sa.select(Objection.id)
            .where(
                Objection.period_id == period.id,
                Objection.status.in_(PENDING_OBJECTION_STATUSES),
            )
            .order_by(Objection.id)
        )
    )
    if pending:
        raise FinaliseRefusedError("objections_pending", period.status, ids=tuple(pending))


def advance_period(
    session: Session, period: Period, target: str, *, today: date | None = None
) -> Period:
    """Move the period one step along its lifecycle (raises LifecycleError otherwise).

    "notice" needs an opened notice and "final" the checks of :func:`check_finalisable`
    on ``today``: use ``assessment.services.publication`` (``open_notice``,
    ``finalise_period``) for these two steps. The actor and time are recorded by the
    audit log of the surrounding unit of work.
    """
    check_transition(period.status, target)
    if target == "rules_published" and not session.scalar(
        sa.select(sa.func.count())
        .select_from(RulebookVersion)
        .where(RulebookVersion.period_id == period.id, RulebookVersion.status == "published")
    ):
        # the public rules page goes live with this step, so there must be rules to show
        raise RulebookNotPublishedError(period.status, target, ())
    if target == "computed" and not session.scalar(
        sa.select(sa.func.count())
        .select_from(ResultVersion)
        .where(ResultVersion.period_id == period.id)
    ):
        # "computed" means a stored result version exists, not just a button pressed
        raise ResultsNotComputedError(period.status, target, ())
    if target == "notice" and not session.scalar(
        sa.select(sa.func.count()).select_from(Notice).where(Notice.period_id == period.id)
    ):
        # the public notice page needs its dates and instructions
        raise NoticeNotOpenedError(period.status, target, ())
    if target == "final":
        check_finalisable(session, period, today)
    period.status = target
    session.flush()
    return period
