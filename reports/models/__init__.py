"""The report builds that run outside a request, with their progress."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from assessment.app.db import UTCDateTime, db

BUILD_STATES = ("running", "done", "failed")


class ReportBuild(db.Model):  # type: ignore[name-defined,misc]
    """Every scorecard and the summary of one result version, rendered to files.

    One row per (period, version, language), reused by each new build of the same
    files. A build whose heartbeat stopped (its worker was restarted) may be started
    again; the finished files are what the zip download serves.
    """

    __tablename__ = "report_builds"
    __table_args__ = (
        sa.UniqueConstraint("period_id", "version_number", "lang"),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')", name="status_known"),
    )
    # Progress of a derived artefact, rewritten after every file: chaining each update
    # would flood the audit log. The reports themselves carry the audit log's head.
    __audit_exempt__ = "progress of a rendering of stored, audited results"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"))
    version_number: Mapped[int]
    lang: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(16))
    #: Files rendered so far, of ``total`` (every scorecard and the summary).
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Updated after every file; a running build silent for long has died with its worker.
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Why a build failed (the exception's class), for the page and the log.
    error: Mapped[str] = mapped_column(sa.String(200), default="")
    #: ``[[file name, SHA-256], ...]`` of a finished build, in report order; the bytes
    #: are ``stored_blobs`` rows, so every app server serves them.
    files: Mapped[list[list[str]]] = mapped_column(sa.JSON, default=list, server_default="[]")
