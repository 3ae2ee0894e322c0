"""Inputs collected during a period: quantitative results, events, ratings, evidence.

Every row names the period it belongs to and the indicator by its code in the period's
published rulebook (the rulebook is a document, not rows, so there is no foreign key to
an indicator). Inputs change only while the period is "collecting"; the services check
that, and every change reaches the audit log through ``unit_of_work``.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessment.app.db import UTCDateTime, db, utcnow
from assessment.models.accounts import Account
from assessment.models.org import Cadre
from assessment.models.periods import Period


class Evidence(db.Model):  # type: ignore[name-defined,misc]
    """An uploaded file backing a quantitative result or an event.

    The file lives under the upload folder with a random name; the name the uploader gave
    is kept only for the download, and the SHA-256 shows that the file was not swapped.
    """

    __tablename__ = "evidence"
    __table_args__ = (sa.CheckConstraint("size >= 0", name="size_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"), index=True)
    #: Random file name under the upload folder (hex, no extension, never from the user).
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The file name as uploaded, shown and used for the download only.
    original_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    #: Bytes.
    size: Mapped[int]
    #: SHA-256 of the content, 64 lowercase hex digits.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QuantitativeResult(db.Model):  # type: ignore[name-defined,misc]
    """The actual value of one quantitative indicator for one cadre in one period."""

    __tablename__ = "quantitative_result"
    __table_args__ = (sa.UniqueConstraint("period_id", "cadre_id", "indicator_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadre.id"), index=True)
    indicator_code: Mapped[str] = mapped_column(sa.String(32))
    #: The actual value ``a`` in the indicator's unit; for "met or not met" 1 or 0.
    actual: Mapped[float] = mapped_column(sa.Float)
    #: Where the number comes from (a statistics report, a register, ...).
    source: Mapped[str] = mapped_column(sa.String(200))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    evidence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence.id"))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    period: Mapped[Period] = relationship()
    cadre: Mapped[Cadre] = relationship()
    evidence: Mapped[Evidence | None] = relationship()
    entered_by: Mapped[Account | None] = relationship()


class Event(db.Model):  # type: ignore[name-defined,misc]
    """A recorded bonus, penalty or veto event for one cadre."""

    __tablename__ = "input_event"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('bonus', 'penalty', 'veto')", name="kind_known"),
        sa.CheckConstraint(
            "(kind = 'veto' AND points IS NULL) OR (kind != 'veto' AND points > 0)",
            name="points_by_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadre.id"), index=True)
    indicator_code: Mapped[str] = mapped_column(sa.String(32))
    #: The indicator's kind when the event was recorded: bonus, penalty or veto.
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: Points of this event (positive; a penalty is subtracted); NULL for a veto.
    points: Mapped[float | None] = mapped_column(sa.Float)
    occurred_on: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.Text)
    evidence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cadre: Mapped[Cadre] = relationship()
    evidence: Mapped[Evidence | None] = relationship()
    recorded_by: Mapped[Account | None] = relationship()


class Rating(db.Model):  # type: ignore[name-defined,misc]
    """One assessor's rubric level for one cadre on one qualitative indicator."""

    __tablename__ = "rating"
    __table_args__ = (
        sa.UniqueConstraint("period_id", "assessor_id", "cadre_id", "indicator_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadre.id"), index=True)
    indicator_code: Mapped[str] = mapped_column(sa.String(32))
    #: Code of the rubric level picked; its value (0-100) is read from the rulebook.
    level: Mapped[str] = mapped_column(sa.String(32))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConflictDeclaration(db.Model):  # type: ignore[name-defined,misc]
    """An assessor declares a conflict of interest with a cadre and stops rating them."""

    __tablename__ = "conflict_declaration"
    __table_args__ = (sa.UniqueConstraint("period_id", "assessor_id", "cadre_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadre.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cadre: Mapped[Cadre] = relationship()
