"""Organisation data: the unit tree, posts, cadres and their appointments."""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessment.app.db import db


class UnitKind(enum.StrEnum):
    COUNTY = "county"
    TOWNSHIP = "township"
    STREET = "street"
    VILLAGE = "village"
    COMMUNITY = "community"
    #: A township department (乡镇部门, issue 16), assessed as a unit.
    DEPARTMENT = "department"


class Unit(db.Model):  # type: ignore[name-defined,misc]
    """A node of the tree county → township/street → village/community."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name_zh: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100), default="")
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    # Materialised path of ids ("/1/4/9/") so that a subtree is one prefix query.
    path: Mapped[str] = mapped_column(sa.String(255), index=True, default="")
    households: Mapped[int] = mapped_column(default=0)
    population: Mapped[int] = mapped_column(default=0)
    retired_on: Mapped[date | None]

    parent: Mapped[Unit | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Post(db.Model):  # type: ignore[name-defined,misc]
    """A kind of position, such as village committee director."""

    __tablename__ = "post"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100), default="")
    # The level of unit the post belongs to: township posts or village posts.
    unit_level: Mapped[str] = mapped_column(sa.String(16), default="township")
    retired_on: Mapped[date | None]


#: What a ``cadre`` row stands for: a person, or an assessed unit (issue 16).
SUBJECT_KINDS = ("person", "unit")


class Cadre(db.Model):  # type: ignore[name-defined,misc]
    """A person who holds posts, or an assessed unit carried through the same engine.

    A unit subject (``kind="unit"``) stands for ``unit`` (a village, a department, or a
    township's leadership team, which is the township itself) and holds the unit post of
    its kind in that unit, so indicator sets, inputs, results, notice and reports treat
    it as any assessed subject (``assessment.services.unit_subjects``).
    """

    __tablename__ = "cadre"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('person', 'unit')", name="kind_known"),
        sa.CheckConstraint("(kind = 'unit') = (unit_id IS NOT NULL)", name="unit_iff_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8), default="person", server_default="person")
    #: The assessed unit a unit subject stands for (one subject per unit).
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), unique=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    gender: Mapped[str] = mapped_column(sa.String(1), default="")
    birth_year: Mapped[int | None]
    retired_on: Mapped[date | None]

    appointments: Mapped[list[Appointment]] = relationship(
        back_populates="cadre", order_by="Appointment.start_date"
    )
    unit: Mapped[Unit | None] = relationship()


class Appointment(db.Model):  # type: ignore[name-defined,misc]
    """A cadre holds a post in a unit between two dates (history is kept, never overwritten)."""

    __tablename__ = "appointment"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadre.id"), index=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("post.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date | None]

    cadre: Mapped[Cadre] = relationship(back_populates="appointments")
    post: Mapped[Post] = relationship()
    unit: Mapped[Unit] = relationship()
