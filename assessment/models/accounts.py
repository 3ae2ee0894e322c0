"""Staff accounts, their unit scopes, and login throttling counters."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessment.app.db import UTCDateTime, db, utcnow
from assessment.models.org import Cadre, Unit


class Role(enum.StrEnum):
    ADMIN = "admin"
    ASSESSOR = "assessor"
    CLERK = "clerk"
    CADRE = "cadre"
    OFFICIAL = "official"


class Account(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A staff, cadre or official login."""

    __tablename__ = "account"
    __audit_redact__ = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16))
    cadre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cadre.id"), unique=True)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    #: Where reminders are e-mailed (optional; empty: in the app only).
    email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Raised by a logout, a password change or a password reset; a session that holds
    #: an older value (see :meth:`get_id`) no longer logs anyone in.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    cadre: Mapped[Cadre | None] = relationship()
    scopes: Mapped[list[AccountScope]] = relationship(
        back_populates="account", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts through this
        return self.is_enabled

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: ``"<id>:<session_version>"``."""
        return f"{self.id}:{self.session_version}"


class AccountScope(db.Model):  # type: ignore[name-defined,misc]
    """An account may act on this unit and every unit below it."""

    __tablename__ = "account_scope"
    __table_args__ = (sa.UniqueConstraint("account_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))

    account: Mapped[Account] = relationship(back_populates="scopes")
    unit: Mapped[Unit] = relationship()


class ThrottleCounter(db.Model):  # type: ignore[name-defined,misc]
    """Failed attempts for one keyed-hashed subject (a client, an account from a client).

    ``owner_hash`` and ``linked_key`` let an administrator unlock one account: every
    counter of that account goes, with the counters it is linked to (its clients').
    """

    __tablename__ = "throttle_counter"
    # Counters change on every failed login; auditing them would flood the log and
    # record client identities in it.
    __audit_exempt__ = "login throttling counters"

    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Keyed hash of the account name a counter belongs to (None: belongs to none).
    owner_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    #: ``key_hash`` of a counter cleared together with this one (the client's).
    linked_key: Mapped[str | None] = mapped_column(sa.String(64))
