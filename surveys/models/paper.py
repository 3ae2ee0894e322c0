"""Staff tables of paper ballots and response quality: settings, entries, exclusions.

These are staff data and every write is audited like any other staff write.

* :class:`PaperSettings` holds a survey's paper-entry settings (double entry on or off).
* :class:`PaperEntry` is one clerk's typing (or one imported row) of one paper ballot,
  keyed by survey and ballot serial, or the adjudication that settles two entries that
  differ. It names the clerk. Once a ballot's response is stored through
  :func:`surveys.services.surveys.store_response`, the entries keep the serial (which the paper
  ballot and the response carry anyway) but never the response id: nothing in the
  response table leads back to an entry or to a clerk.
* :class:`ResponseExclusion` records the team's decisions to exclude a response from the
  results, or to include it again; the latest decision for a response is in force and
  the response rows are never deleted.

Column names are chosen not to repeat those of the participation tables (access codes,
code batches): ``tests/surveys/test_anonymity.py`` joins tables by shared column names.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from assessment.app.db import UTCDateTime, db, utcnow

ENTRY_KINDS = ("entry", "adjudication")
#: ``pending``: first entry waiting for the second; ``conflict``: two entries differ
#: and wait for adjudication; ``stored``: the ballot's response is stored.
ENTRY_STATES = ("pending", "conflict", "stored")
ENTRY_SOURCES = ("form", "import")
EXCLUSION_ACTIONS = ("exclude", "include")


class PaperSettings(db.Model):  # type: ignore[name-defined,misc]
    """Paper-entry settings of one survey (a missing row means the defaults)."""

    __tablename__ = "survey_paper_settings"

    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), primary_key=True)
    #: Two different clerks type each ballot; a response is stored only when they agree.
    double_entry: Mapped[bool] = mapped_column(default=True)


class PaperEntry(db.Model):  # type: ignore[name-defined,misc]
    """One clerk's entry of one paper ballot, or the adjudication of two entries."""

    __tablename__ = "survey_paper_entries"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "serial", "clerk_id", "kind"),
        sa.CheckConstraint("kind IN ('entry', 'adjudication')", name="kind_known"),
        sa.CheckConstraint("state IN ('pending', 'conflict', 'stored')", name="state_known"),
        sa.CheckConstraint("source IN ('form', 'import')", name="source_known"),
    )
    # The audit log is readable before the survey closes; the typed answers must not be
    # (embargo, DESIGN section 5). They are kept here and, once counted, in the sealed
    # response set; the log records who entered which serial and receipt, and when.
    __audit_redact__ = frozenset({"answers_json"})

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    #: Serial number printed on the ballot; the key of a ballot within its survey.
    serial: Mapped[str] = mapped_column(sa.String(64))
    #: Ballot batch (the bundle the ballot was collected or entered in), as typed.
    ballot_batch: Mapped[str] = mapped_column(sa.String(64), default="")
    #: The unit whose residents the ballot came from (the receipt's unit).
    ballot_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    #: The receipt code from the slip's tear-off, as typed.
    slip_receipt: Mapped[str] = mapped_column(sa.String(16))
    #: Answers as typed digits (or text), canonical JSON by item key.
    answers_json: Mapped[str] = mapped_column(sa.Text, default="{}")
    clerk_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default="entry")
    source: Mapped[str] = mapped_column(sa.String(8), default="form")
    state: Mapped[str] = mapped_column(sa.String(16), default="pending")
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ResponseExclusion(db.Model):  # type: ignore[name-defined,misc]
    """A recorded team decision to exclude a response from the results, or include it again.

    Decisions are appended, never edited: the latest one for a response is in force.
    """

    __tablename__ = "survey_response_exclusions"
    __table_args__ = (
        sa.CheckConstraint("decision IN ('exclude', 'include')", name="decision_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    response_id: Mapped[str] = mapped_column(
        sa.ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[str] = mapped_column(sa.String(8))
    decision_reason: Mapped[str] = mapped_column(sa.Text)
    #: Account id of the team member who decided. Deliberately not a foreign key: the
    #: anonymity walk treats the account table as reachable from the code batches (both
    #: have ``created_at``), and this table must reach the responses. The audit entry of
    #: the decision names the actor as well.
    decided_by: Mapped[int]
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
