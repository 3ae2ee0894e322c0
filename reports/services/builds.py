"""Report builds outside the request: start one, follow its progress, serve its files.

Rendering every scorecard of a township takes longer than a web request may take (35 s
for the 40-cadre demo, against gunicorn's timeout), so the zip download serves the files
of a finished build, and a build runs in a thread of the worker that was asked for it.
Its row in ``report_builds`` holds the progress every worker can show and, once done,
the list of its files, whose bytes are blobs in the database (:mod:`assessment.services.evidence`):
any app server of the deployment serves a build that another made. If the worker dies
(a restart, a crash), the build's heartbeat stops and anyone may start it again; the
files appear only when all are rendered, in the transaction that marks the build done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from assessment.app.db import db, unit_of_work, utcnow
from assessment.models import Period
from assessment.services import evidence
from reports.models import ReportBuild
from reports.services import documents

logger = logging.getLogger(__name__)

#: A running build that has not rendered a file for this long died with its worker.
STALE_AFTER = timedelta(minutes=3)


@dataclass(frozen=True, slots=True)
class BuildProgress:
    """What the build page shows."""

    #: ``none``, ``running``, ``done``, ``failed`` or ``interrupted``.
    state: str
    done: int = 0
    total: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str = ""


def find_build(session: Session, period_id: int, number: int, lang: str) -> ReportBuild | None:
    return session.scalars(
        sa.select(ReportBuild).where(
            ReportBuild.period_id == period_id,
            ReportBuild.version_number == number,
            ReportBuild.lang == lang,
        )
    ).first()


def find_built(
    session: Session, data: documents.VersionData, lang: str
) -> list[tuple[str, str]] | None:
    """``(file name, SHA-256)`` of this version's finished build in ``lang``, if complete.

    A version never changes, so its built reports stay valid; only their generation
    time differs from a fresh rendering. None when no build finished, when it lacks a
    report of the version, or when a file's bytes are not stored.
    """
    build = find_build(session, data.period.id, data.version.number, lang)
    if build is None or build.status != "done":
        return None
    files = [(str(name), str(sha)) for name, sha in build.files or []]
    if [name for name, _ in files] != documents.report_names(data, lang):
        return None
    return files if evidence.has_blobs(session, (sha for _, sha in files)) else None


def progress_of(build: ReportBuild | None, now: datetime) -> BuildProgress:
    if build is None:
        return BuildProgress("none")
    state = build.status
    if state == "running" and now - build.heartbeat_at > STALE_AFTER:
        state = "interrupted"
    return BuildProgress(
        state, build.done, build.total, build.started_at, build.finished_at, build.error
    )


def claim_build(
    session: Session,
    *,
    period_id: int,
    number: int,
    lang: str,
    total: int,
    requested_by_id: int | None,
    now: datetime,
) -> int | None:
    """Mark a build of these files as running; its id, or None when one already runs.

    One conditional UPDATE (or the unique INSERT), so two workers asked at once never
    both start it: the database decides.
    """
    fresh = {
        "status": "running",
        "done": 0,
        "total": total,
        "requested_by_id": requested_by_id,
        "started_at": now,
        "heartbeat_at": now,
        "finished_at": None,
        "error": "",
    }
    build = find_build(session, period_id, number, lang)
    if build is None:
        build = ReportBuild(period_id=period_id, version_number=number, lang=lang, **fresh)
        session.add(build)
        session.flush()  # the unique constraint refuses a second one started at once
        return int(build.id)
    claimed = session.execute(
        sa.update(ReportBuild)
        .where(
            ReportBuild.id == build.id,
            sa.or_(ReportBuild.status != "running", ReportBuild.heartbeat_at < now - STALE_AFTER),
        )
        .values(**fresh)
        .execution_options(synchronize_session=False)
    )
    return int(build.id) if claimed.rowcount == 1 else None  # type: ignore[attr-defined]


def _plain(built: documents.BuildResult) -> list[list[str]]:
    return [[name, sha256] for name, sha256 in built.files]


def build_in_session(
    session: Session,
    data: documents.VersionData,
    *,
    lang: str,
    now: datetime,
    base_url: str,
    requested_by_id: int | None,
    progress: Callable[[str], None] = lambda name: None,
    out_dir: Path | None = None,
    workers: int = 1,
) -> documents.BuildResult:
    """Render and store every report of a version and record the build as done, in the
    caller's unit of work (``flask reports build``: no thread, no progress rows).

    ``out_dir`` also gets a copy of every file, written only once all are rendered.
    ``workers``: processes making the PDFs (:func:`reports.services.documents.iter_pdfs`).
    """
    built = documents.build_reports(
        session, data, lang=lang, now=now, base_url=base_url, progress=progress, workers=workers
    )
    build = find_build(session, data.period.id, data.version.number, lang)
    if build is None:
        build = ReportBuild(period_id=data.period.id, version_number=data.version.number, lang=lang)
        session.add(build)
    build.status = "done"
    build.done = build.total = len(built.files)
    build.requested_by_id = requested_by_id
    build.started_at = build.heartbeat_at = now
    build.finished_at = utcnow()
    build.error = ""
    build.files = _plain(built)
    session.flush()
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, sha256 in built.files:
            (out_dir / name).write_bytes(evidence.read_blob(session, sha256))
    return built


def _record(build_id: int, **values: object) -> None:
    with unit_of_work(None) as session:
        session.execute(sa.update(ReportBuild).where(ReportBuild.id == build_id).values(**values))


def run_build(app: Flask, build_id: int, base_url: str) -> None:
    """Render the build's files (in its own app context and session), recording progress."""
    with app.app_context():
        build = db.session.get(ReportBuild, build_id)
        if build is None:  # pragma: no cover - the row was just committed
            return
        period_id, number, lang = build.period_id, build.version_number, build.lang
        try:
            period = db.session.get_one(Period, period_id)  # the build row references it
            data = documents.load_version(db.session, period, number)
            done = 0

            def advance(_name: str) -> None:
                nonlocal done
                done += 1
                _record(build_id, done=done, heartbeat_at=utcnow())

            # One process: forking worker processes from a web worker's thread is unsafe
            # (a fork copies the locks other threads hold), and the web server's cores
            # serve requests meanwhile. ``flask reports build`` uses a pool.
            built = documents.build_reports(
                db.session, data, lang=lang, now=utcnow(), base_url=base_url, progress=advance
            )
            # The blobs were stored (and committed with the progress) as they came; the
            # list that makes them a finished build is written in one go here.
            _record(build_id, status="done", finished_at=utcnow(), files=_plain(built))
        except Exception as error:
            db.session.rollback()
            logger.exception("report build %s failed", build_id)
            reason = type(error).__name__
            if isinstance(error, documents.ReportRenderError):
                reason = f"{error.cause_name}, {error.name}"[:200]
            _record(build_id, status="failed", error=reason, finished_at=utcnow())
            return
        logger.info("report build %s done: period=%s version=%s", build_id, period_id, number)


def start_in_thread(app: Flask, build_id: int, base_url: str) -> None:
    """Run the build beside the worker's requests (daemon: it dies with its worker)."""
    threading.Thread(
        target=run_build,
        args=(app, build_id, base_url),
        name=f"report-build-{build_id}",
        daemon=True,
    ).start()
