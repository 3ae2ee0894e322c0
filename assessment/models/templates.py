"""County rulebook templates (issue 16): a county's template and its versions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessment.app.db import UTCDateTime, db, utcnow
from assessment.models.org import Unit


class RulebookTemplate(db.Model):  # type: ignore[name-defined,misc]
    """A rulebook template a county publishes for its townships to adopt."""

    __tablename__ = "rulebook_template"
    __table_args__ = (sa.UniqueConstraint("unit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The owning county unit.
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: Named in an adopted rulebook's ``template.code``; unique within the county.
    code: Mapped[str] = mapped_column(sa.String(32))
    year: Mapped[int]
    title_zh: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit: Mapped[Unit] = relationship()
    versions: Mapped[list[RulebookTemplateVersion]] = relationship(
        back_populates="template", order_by="RulebookTemplateVersion.number"
    )


class RulebookTemplateVersion(db.Model):  # type: ignore[name-defined,misc]
    """One version of a template: a canonical template document; immutable once published."""

    __tablename__ = "rulebook_template_version"
    __table_args__ = (
        sa.UniqueConstraint("template_id", "number"),
        sa.CheckConstraint("status IN ('draft', 'published')", name="status_known"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL)", name="published_at_set"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(sa.ForeignKey("rulebook_template.id"), index=True)
    #: 1, 2, ... within the template; a change after publication is the next number.
    number: Mapped[int]
    #: Canonical JSON of the template document (assessment.core.templates.template_to_plain).
    document: Mapped[str] = mapped_column(sa.Text)
    #: SHA-256 hex of ``document``; an adopted rulebook records it.
    digest: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    template: Mapped[RulebookTemplate] = relationship(back_populates="versions")

    @property
    def is_published(self) -> bool:
        return self.status == "published"
