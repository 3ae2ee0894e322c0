"""Reminders to staff and cadres, computed from the data by ``flask reminders send``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessment.app.db import UTCDateTime, db, utcnow
from assessment.models.accounts import Account

#: What a reminder is about (the words are chosen by the reader's language when shown).
REMINDER_KINDS = (
    "ratings_due",
    "notice_opened",
    "objection_decided",
    "objection_due_soon",
    "objection_overdue",
)


class Reminder(db.Model):  # type: ignore[name-defined,misc]
    """One reminder to one account; ``key`` names the fact it is about, once per account.

    The pair (account, key) is unique, so computing the reminders again adds none twice.
    ``emailed_at`` stays empty until an e-mail was handed to the SMTP server; the in-app
    list shows the reminder either way.
    """

    __tablename__ = "reminder"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "key"),
        sa.CheckConstraint(
            "kind IN ('ratings_due', 'notice_opened', 'objection_decided', "
            "'objection_due_soon', 'objection_overdue')",
            name="kind_known",
        ),
    )
    # Derived from audited rows (ratings, notices, objections, the deadline) by a command,
    # and marked sent or read by it and by the reader: the audit log would only repeat them.
    __audit_exempt__ = "derived from audited data; delivery and reading state only"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: The fact, such as ``objection_overdue:12``; unique per account.
    key: Mapped[str] = mapped_column(sa.String(100))
    #: JSON of the values the message shows (period name, dates, counts, ids for links).
    params: Mapped[str] = mapped_column(sa.Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The last e-mail failure (kept until a later attempt succeeds).
    email_error: Mapped[str] = mapped_column(sa.String(300), default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    account: Mapped[Account] = relationship()
