"""Assessment periods and their lifecycle transitions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.errors import FieldError, ResultsNotComputedError, RulebookNotPublishedError
from assessment.core.lifecycle import check_transition
from assessment.models import Period, ResultVersion, RulebookVersion, Unit


def create_period(session: Session, *, name: str, year: int, scope_unit: Unit) -> Period:
    if scope_unit.kind not in {"county", "township", "street"}:
        raise FieldError("scope_unit_id", "period_scope_kind")
    if not 2000 <= year <= 2100:
        raise FieldError("year", "year_out_of_range")
    period = Period(name=name, year=year, scope_unit=scope_unit, status="draft")
    session.add(period)
    session.flush()
    return period


def advance_period(session: Session, period: Period, target: str) -> Period:
    """Move the period one step along its lifecycle (raises LifecycleError otherwise).

    The actor and time are recorded by the audit log of the surrounding unit of work.
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
    period.status = target
    session.flush()
    return period
