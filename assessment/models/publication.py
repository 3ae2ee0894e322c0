"""Publication of a period's results: the public notice (公示) and objections (异议).

A :class:`Notice` puts a computed result version up for public notice between two
dates (working days, DESIGN section 3). During it, a cadre (from the portal) or a
member of the public (from the notice page) files an :class:`Objection`; the team
reviews it and decides with a written reason. A decision that changes an input
produces a new result version, whose number the objection keeps. The period becomes
final only after the notice has ended and every objection is decided.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessment.app.db import UTCDateTime, db, utcnow
from assessment.models.accounts import Account
from assessment.models.inputs import Evidence
from assessment.models.org import Cadre
from assessment.models.periods import Period

#: Where an objection came from.
OBJECTION_CHANNELS = ("cadre", "public")
#: open → under_review (assigned) → decided.
OBJECTION_STATUSES = ("open", "under_review", "decided")
#: A decision's outcome.
OBJECTION_OUTCOMES = ("upheld", "partly_upheld", "rejected")


class Notice(db.Model):  # type: ignore[name-defined,misc]
    """The public notice of a period's computed results."""

    __tablename__ = "notice"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        sa.CheckConstraint("working_days >= 1", name="working_days_positive"),
        sa.CheckConstraint("review_working_days >= 1", name="review_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"), index=True)
    #: The result version put on notice when it opened (later versions are shown with it).
    version_number: Mapped[int]
    #: First and last day (inclusive) on which objections are accepted.
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    #: Length of the notice in working days (weekends and configured holidays skipped).
    working_days: Mapped[int] = mapped_column(default=5)
    #: Working days the team has to decide an objection, counted from the day it is filed.
    review_working_days: Mapped[int] = mapped_column(default=5)
    #: How to object: contact, address; shown on the public page.
    instructions: Mapped[str] = mapped_column(sa.Text, default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))

    period: Mapped[Period] = relationship()
    opened_by: Mapped[Account | None] = relationship()
    objections: Mapped[list[Objection]] = relationship(
        back_populates="notice", order_by="Objection.id"
    )


class Objection(db.Model):  # type: ignore[name-defined,misc]
    """One objection to a published result, and the team's review of it."""

    __tablename__ = "objection"
    __table_args__ = (
        sa.CheckConstraint("filed_via IN ('cadre', 'public')", name="channel_known"),
        sa.CheckConstraint("status IN ('open', 'under_review', 'decided')", name="status_known"),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('upheld', 'partly_upheld', 'rejected')",
            name="outcome_known",
        ),
        sa.CheckConstraint(
            "(status = 'decided') = (outcome IS NOT NULL)", name="decided_has_outcome"
        ),
        sa.CheckConstraint(
            "filed_via = 'public' OR filed_by_id IS NOT NULL", name="cadre_objection_has_account"
        ),
    )
    # A resident's name and contact stay in this row (readable by the team) but are not
    # copied into the permanent audit log.
    __audit_redact__ = frozenset({"contact_name", "contact"})

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"), index=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notice.id"), index=True)
    #: ``cadre`` (from the portal) or ``public`` (from the notice page).
    # The database names of this and the two decision columns differ from the attribute
    # names: survey responses have a ``channel`` and response exclusions a
    # ``decision_reason`` and ``decided_at``, and tests/surveys/test_anonymity.py treats a
    # shared column name as a possible join path between residents' codes and answers.
    channel: Mapped[str] = mapped_column("filed_via", sa.String(8))
    #: The cadre whose result is contested (for a public objection, if one is named).
    cadre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cadre.id"), index=True)
    #: The account that filed it (cadre channel); NULL for the public.
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    #: Public objector's name and contact (phone or address); empty for cadres.
    contact_name: Mapped[str] = mapped_column(sa.String(100), default="")
    contact: Mapped[str] = mapped_column(sa.String(200), default="")
    #: The indicator contested, by its code in the rulebook; NULL for the result as a whole.
    indicator_code: Mapped[str | None] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.Text)
    #: Optional attachment, stored like evidence (random name, SHA-256).
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence.id"))
    #: The result version on notice when it was filed.
    version_number: Mapped[int]
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Last day for the team's decision (working days after filing).
    review_due_on: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    decision_reason: Mapped[str] = mapped_column("ruling", sa.Text, default="")
    #: The result version the decision produced, when it changed an input.
    new_version_number: Mapped[int | None]
    decided_at: Mapped[datetime | None] = mapped_column("ruled_at", UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))

    period: Mapped[Period] = relationship()
    notice: Mapped[Notice] = relationship(back_populates="objections")
    cadre: Mapped[Cadre | None] = relationship()
    attachment: Mapped[Evidence | None] = relationship()
    filed_by: Mapped[Account | None] = relationship(foreign_keys=[filed_by_id])
    assigned_to: Mapped[Account | None] = relationship(foreign_keys=[assigned_to_id])
    decided_by: Mapped[Account | None] = relationship(foreign_keys=[decided_by_id])
