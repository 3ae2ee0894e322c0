"""A cadre's record beyond the results: conversations (谈话) and work reports (述职).

A :class:`Conversation` is the team's note of a talk with a cadre; it is read by the
team and the organisation department only, never by the cadre or the public. A
:class:`WorkReport` is what a cadre submits about their work for a period before the
ratings open: typed text, a PDF (stored as evidence), or both.
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


class Conversation(db.Model):  # type: ignore[name-defined,misc]
    """One conversation of the assessment team with a cadre (谈话记录)."""

    __tablename__ = "conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadre.id"), index=True)
    #: The day the conversation took place (local date).
    held_on: Mapped[date]
    #: Who took part, as the team wrote it (names and posts).
    participants: Mapped[str] = mapped_column(sa.Text)
    topics: Mapped[str] = mapped_column(sa.Text)
    summary: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))

    cadre: Mapped[Cadre] = relationship()
    created_by: Mapped[Account | None] = relationship()


class WorkReport(db.Model):  # type: ignore[name-defined,misc]
    """A cadre's work report (述职报告) for one period; resubmitting replaces it."""

    __tablename__ = "work_report"
    __table_args__ = (
        sa.UniqueConstraint("period_id", "cadre_id"),
        sa.CheckConstraint("text <> '' OR evidence_id IS NOT NULL", name="text_or_file"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadre.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    #: The uploaded PDF, stored like evidence (random name, SHA-256); NULL for text only.
    evidence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))

    period: Mapped[Period] = relationship()
    cadre: Mapped[Cadre] = relationship()
    evidence: Mapped[Evidence | None] = relationship()
