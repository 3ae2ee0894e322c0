"""Assessment periods and their lifecycle transitions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from assessment.core.errors import FieldError
from assessment.core.lifecycle import check_transition
from assessment.models import Period, Unit


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
    period.status = target
    session.flush()
    return period
