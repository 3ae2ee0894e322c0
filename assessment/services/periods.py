"""Assessment periods and their lifecycle transitions."""

from __future__ import annotations

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


def create_period(
    session: Session, *, name: str, year: int, scope_unit: Unit, min_group_size: int = 5
) -> Period:
    """A new draft period; ``min_group_size`` is the settings page's default for new periods."""
    if scope_unit.kind not in {"county", "township", "street"}:
        raise FieldError("scope_unit_id", "period_scope_kind")
    if not 2000 <= year <= 2100:
        raise FieldError("year", "year_out_of_range")
    period = Period(
        name=name, year=year, scope_unit=scope_unit, status="draft", min_group_size=min_group_size
    )
    session.add(period)
    session.flush()
    return period


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
