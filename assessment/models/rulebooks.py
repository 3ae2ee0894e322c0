"""Rulebook versions: each version of a period's rulebook is one canonical JSON document."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessment.app.db import UTCDateTime, db, utcnow
from assessment.models.periods import Period


class RulebookVersion(db.Model):  # type: ignore[name-defined,misc]
    """One version of a period's rulebook (考核细则); immutable once published."""

    __tablename__ = "rulebook_version"
    __table_args__ = (
        sa.UniqueConstraint("period_id", "number"),
        sa.CheckConstraint("status IN ('draft', 'published')", name="status_known"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL)", name="published_at_set"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"), index=True)
    #: 1, 2, ... within the period; a change after publication is the next number.
    number: Mapped[int]
    #: The canonical JSON document (assessment.core.rulebook.to_plain), UTF-8 text.
    document: Mapped[str] = mapped_column(sa.Text)
    #: SHA-256 hex of ``document``: the rules digest printed on public pages.
    digest: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    #: Why this version exists; required for every version after the first.
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    period: Mapped[Period] = relationship()

    @property
    def is_published(self) -> bool:
        return self.status == "published"
