"""Computed results of a period: numbered, immutable versions, and missing-input decisions.

A :class:`ResultVersion` stores one computation as canonical JSON (the plain result
and the canonical inputs it was computed from), with its rules digest and data digest.
Versions are never changed or deleted: a change after "computed" is the next number
with a written reason, and the old versions stay readable (DESIGN sections 3 and 5).

A :class:`MissingInputDecision` is the team's written decision about one input that is
missing (score it zero, or leave the indicator out and reweight the others); the
results engine refuses to compute while a missing input has none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessment.app.db import UTCDateTime, db, utcnow
from assessment.models.accounts import Account
from assessment.models.periods import Period

#: Decision kinds, as in ``assessment.core.records.DecisionKind``.
DECISION_KINDS = ("score_zero_with_reason", "exclude_indicator_reweight")


class ImmutableRowError(RuntimeError):
    """A stored result version was about to be changed or deleted."""


class ResultVersion(db.Model):  # type: ignore[name-defined,misc]
    """One computation of a period's results; immutable once inserted."""

    __tablename__ = "result_version"
    __table_args__ = (
        sa.UniqueConstraint("period_id", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )
    # The payload can be megabytes and holds every assessor's rating; the audit entry
    # keeps the two digests, which bind it (the result follows from rules and inputs).
    __audit_redact__ = frozenset({"payload"})

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"), index=True)
    #: 1, 2, ... within the period; each new computation is the next number.
    number: Mapped[int]
    #: SHA-256 hex of the rulebook's canonical JSON (the rules digest).
    rules_digest: Mapped[str] = mapped_column(sa.String(64))
    #: SHA-256 hex of the canonical inputs (the data digest).
    data_digest: Mapped[str] = mapped_column(sa.String(64))
    #: Canonical JSON text: {"result": result_to_plain(...), "inputs": canonical_inputs(...),
    #: "resamples": n, "seed": s}.
    payload: Mapped[str] = mapped_column(sa.Text)
    #: Why this version exists; required for every version after the first.
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))

    period: Mapped[Period] = relationship()
    created_by: Mapped[Account | None] = relationship()


@event.listens_for(ResultVersion, "before_update")
@event.listens_for(ResultVersion, "before_delete")
def _refuse_rewrite(mapper: Any, connection: Any, target: ResultVersion) -> None:
    raise ImmutableRowError("a result version is never changed; compute a new version")


class MissingInputDecision(db.Model):  # type: ignore[name-defined,misc]
    """The team's written decision about one missing input of one cadre."""

    __tablename__ = "missing_input_decision"
    __table_args__ = (
        sa.UniqueConstraint("period_id", "cadre_id", "indicator_code"),
        sa.CheckConstraint(
            "kind IN ('score_zero_with_reason', 'exclude_indicator_reweight')",
            name="kind_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(sa.ForeignKey("cadre.id"), index=True)
    indicator_code: Mapped[str] = mapped_column(sa.String(32))
    #: ``score_zero_with_reason`` or ``exclude_indicator_reweight``.
    kind: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))

    created_by: Mapped[Account | None] = relationship()
