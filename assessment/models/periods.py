"""Assessment periods and their lifecycle state."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessment.app.db import UTCDateTime, db, utcnow
from assessment.models.org import Unit

#: Kinds of period (issue 15): sub-periods (month, quarter, half-year) roll up into an
#: annual or term period; a special period stands alone.
PERIOD_KINDS = ("month", "quarter", "half_year", "annual", "special", "term")
#: Kinds a sub-period may have, and the kinds its parent may have.
SUB_PERIOD_KINDS = ("month", "quarter", "half_year")
#: What a period assesses (issue 16): cadres (persons) or units, never both.
PERIOD_SUBJECTS = ("cadres", "units")
PARENT_KINDS = ("annual", "term")


def _year_day(context: Any, month: int, day: int) -> date:
    # SQLAlchemy's DefaultExecutionContext, whose get_current_parameters the stubs lack
    return date(context.get_current_parameters()["year"], month, day)


class Period(db.Model):  # type: ignore[name-defined,misc]
    """An assessment period over a scope unit, e.g. "2026 annual" or "2026 Q1"."""

    __tablename__ = "period"
    __table_args__ = (sa.CheckConstraint("subjects IN ('cadres', 'units')", name="subjects_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    scope_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16), default="annual", server_default="annual")
    #: An annual period's dates unless given: 1 January to 31 December of its year.
    starts_on: Mapped[date] = mapped_column(default=lambda ctx: _year_day(ctx, 1, 1))
    ends_on: Mapped[date] = mapped_column(default=lambda ctx: _year_day(ctx, 12, 31))
    #: The annual or term period this sub-period's results roll up into.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("period.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(24), default="draft")
    #: "cadres" (persons) or "units" (the villages, departments and leadership teams
    #: under the scope): a unit period never assesses a person, nor a cadre period a unit.
    subjects: Mapped[str] = mapped_column(sa.String(8), default="cadres", server_default="cadres")
    #: The final period whose results grade the units, for quota groups whose share
    #: depends on the unit's grade (issue 16); set by the team on the period's page.
    unit_grades_period_id: Mapped[int | None] = mapped_column(sa.ForeignKey("period.id"))
    min_group_size: Mapped[int] = mapped_column(default=5)
    #: Last day for the assessors' ratings (local date), set by the team; reminders
    #: go to assessors with ratings missing as it comes near.
    rating_deadline: Mapped[date | None]
    #: The result version published as final (set when the period becomes "final").
    final_version_number: Mapped[int | None]
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    scope_unit: Mapped[Unit] = relationship()
    parent: Mapped[Period | None] = relationship(
        remote_side=[id], foreign_keys=lambda: [Period.parent_id]
    )
    unit_grades_period: Mapped[Period | None] = relationship(
        remote_side=[id], foreign_keys=lambda: [Period.unit_grades_period_id]
    )
