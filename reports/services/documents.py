"""The reports of a result version: read what they need, render them, build them all.

The one pipeline of STYLE.md section 7: stored version → ``reports.core.layout`` →
``reports.render.context`` → ``templates/reports/<kind>.html`` → ``reports.render.pdf.html_to_pdf``.
Views (one report, or a zip) and ``flask reports build`` (every report, stored in
the database for every app server) call these functions; nothing here commits (a build
stores its files as blobs in the caller's transaction).
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import zipfile
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from flask import render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from assessment.core.rulebook import Rulebook
from assessment.models import Period, ResultVersion
from assessment.services import evidence
from assessment.services import results as results_service
from assessment.services.audit import find_chain_head
from assessment.services.publication import find_notice
from reports.render.context import (
    ExclusionCount,
    ReportFacts,
    ResultIndex,
    notice_context,
    scorecard_context,
    summary_context,
)
from reports.render.pdf import html_to_pdf
from surveys.services.queries import count_exclusions

logger = logging.getLogger(__name__)

#: Languages a report can be rendered in (``--lang`` and ``?lang=``).
REPORT_LANGUAGES = ("zh_CN", "en")


class ReportRenderError(RuntimeError):
    """Turning one report's HTML into a PDF failed; names the file and the cause."""

    def __init__(self, name: str, cause: BaseException) -> None:
        self.name = name
        self.cause_name = type(cause).__name__
        super().__init__(f"{name}: {self.cause_name}: {cause}")


class ReportNotFoundError(LookupError):
    """The version, cadre, notice or language asked for does not exist."""

    def __init__(self, what: str, value: object) -> None:
        self.what = what
        self.value = value
        super().__init__(f"no {what} {value!r}")


@dataclass(frozen=True)
class VersionData:
    """A stored version's payload, its rulebook, and the period facts the reports need.

    No ``slots``: :attr:`index` and :attr:`cadres_by_id` are computed once per version
    (``cached_property`` needs the instance dict).
    """

    period: Period
    version: ResultVersion
    payload: Mapping[str, Any]
    rulebook: Rulebook
    unit_names: Mapping[str, str]
    #: ``(seq, hash)`` of the newest audit entry when the data was loaded (printed).
    audit_head: tuple[int, str] | None = None

    @property
    def result(self) -> Mapping[str, Any]:
        """``payload["result"]``."""
        return self.payload["result"]  # type: ignore[no-any-return]

    @cached_property
    def index(self) -> ResultIndex:
        """The result read once for every scorecard of the version."""
        return ResultIndex.of(self.result)

    @cached_property
    def cadres_by_id(self) -> Mapping[str, Mapping[str, Any]]:
        """The result's plain cadre entries by id (as text)."""
        return {str(c["id"]): c for c in self.result["cadres"]}

    def cadre_ids(self) -> list[str]:
        """Cadre ids of the result in report order (post group, rank, code)."""
        cadres = sorted(
            self.result["cadres"], key=lambda c: (c["post_group"], c["rank"], c["code"])
        )
        return [str(c["id"]) for c in cadres]

    def has_cadre(self, cadre_id: str) -> bool:
        """Whether the cadre is in this result."""
        return str(cadre_id) in self.cadres_by_id

    def facts(self, *, now: datetime, base_url: str) -> ReportFacts:
        """The facts every report of this version prints."""
        return ReportFacts(
            period_id=self.period.id,
            period_name=self.period.name,
            version_id=self.version.id,
            version_number=self.version.number,
            rules_digest=self.version.rules_digest,
            data_digest=self.version.data_digest,
            generated_at=now,
            base_url=base_url,
            audit_head=self.audit_head,
            subjects=self.period.subjects,
        )


def check_language(lang: str | None) -> str:
    """The language code, or :class:`ReportNotFoundError` for an unknown one."""
    if lang not in REPORT_LANGUAGES:
        raise ReportNotFoundError("language", lang)
    return str(lang)


def load_version(session: Session, period: Period, number: int) -> VersionData:
    """Read a version of the period with its rulebook and unit names.

    Raises
    ------
    ReportNotFoundError
        When the period has no such version.
    """
    try:
        version = results_service.get_version(session, period.id, number)
    except LookupError:
        raise ReportNotFoundError("version", number) from None
    payload = results_service.payload_of(version)
    return VersionData(
        period=period,
        version=version,
        payload=payload,
        rulebook=results_service.rulebook_of_version(version),
        unit_names=results_service.unit_names(session, period),
        audit_head=find_chain_head(session),
    )


def exclusion_counts(session: Session, period: Period) -> list[ExclusionCount]:
    """Responses excluded by the team, counted per survey and written reason.

    Only the latest decision about a response counts
    (:func:`surveys.services.queries.count_exclusions`). Reasons are the team's words; no
    response id or answer leaves this function.
    """
    return [
        ExclusionCount(survey=tally.survey_title_zh, reason=tally.reason, count=tally.count)
        for tally in count_exclusions(session, period.id)
    ]


# ---------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------


def scorecard_html(data: VersionData, cadre_id: str, facts: ReportFacts, lang: str) -> str:
    """The HTML of one cadre's scorecard (inside an app context)."""
    if not data.has_cadre(cadre_id):
        raise ReportNotFoundError("cadre", cadre_id)
    with force_locale(check_language(lang)):
        report = scorecard_context(
            data.result,
            data.rulebook,
            facts,
            str(cadre_id),
            unit_names=data.unit_names,
            index=data.index,
        )
        return render_template("reports/scorecard.html", report=report)


def summary_html(
    data: VersionData, facts: ReportFacts, lang: str, exclusions: list[ExclusionCount]
) -> str:
    """The HTML of the township summary."""
    with force_locale(check_language(lang)):
        report = summary_context(
            data.result,
            data.rulebook,
            facts,
            unit_names=data.unit_names,
            exclusions=exclusions,
        )
        return render_template("reports/summary.html", report=report)


def notice_html(session: Session, data: VersionData, facts: ReportFacts, lang: str) -> str:
    """The HTML of the public notice; :class:`ReportNotFoundError` before a notice opened."""
    notice = find_notice(session, data.period)
    if notice is None:
        raise ReportNotFoundError("notice", data.period.id)
    with force_locale(check_language(lang)):
        report = notice_context(
            data.result,
            data.rulebook,
            facts,
            unit_names=data.unit_names,
            starts_on=notice.starts_on,
            ends_on=notice.ends_on,
            instructions=notice.instructions,
        )
        return render_template("reports/notice.html", report=report)


def scorecard_filename(data: VersionData, cadre_id: str, lang: str) -> str:
    """``scorecard-p1-v2-QS028-zh_CN.pdf``: ASCII only (the code, never the name)."""
    code = str(data.cadres_by_id[str(cadre_id)]["code"])
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in code)
    return f"scorecard-p{data.period.id}-v{data.version.number}-{safe}-{lang}.pdf"


def report_filename(data: VersionData, kind: str, lang: str) -> str:
    """``summary-p1-v2-en.pdf``, ``notice-p1-v2-zh_CN.pdf``, ``reports-p1-v2-en.zip``."""
    return f"{kind}-p{data.period.id}-v{data.version.number}-{lang}"


# ---------------------------------------------------------------------------
# every report of a version
# ---------------------------------------------------------------------------


def iter_report_html(
    data: VersionData, facts: ReportFacts, lang: str, exclusions: Callable[[], list[ExclusionCount]]
) -> Iterator[tuple[str, str]]:
    """``(file name, HTML)`` of every scorecard, then the summary (``exclusions`` read last)."""
    for cadre_id in data.cadre_ids():
        yield scorecard_filename(data, cadre_id, lang), scorecard_html(data, cadre_id, facts, lang)
    summary = summary_html(data, facts, lang, exclusions())
    yield report_filename(data, "summary", lang) + ".pdf", summary


def _pdf(html: str) -> bytes:
    # Looked up when called, in the worker too: a forked worker runs the parent's function.
    return html_to_pdf(html)


def _pdf_of(name: str, job: Future[bytes]) -> tuple[str, bytes]:
    try:
        return name, job.result()
    except Exception as error:  # a worker's exception, or BrokenProcessPool when it died
        raise ReportRenderError(name, error) from error


def iter_pdfs(
    reports: Iterable[tuple[str, str]], *, workers: int = 1
) -> Generator[tuple[str, bytes], None, None]:
    """``(file name, PDF)`` of each ``(file name, HTML)``, in the order given.

    With ``workers`` > 1 the PDFs are made in that many worker processes while the
    caller renders the next HTML (it needs the Flask app; :func:`reports.render.pdf.html_to_pdf`
    does not). The bytes are those of rendering one after another. At most two reports
    per worker wait, so memory stays flat for a county. The workers are forked: call
    this only from a process with one thread (``flask reports build``), never from a
    web worker's thread, whose other threads may hold locks a fork copies held. Close
    the iterator (``contextlib.closing``) so that the pool is shut down on every path.

    Raises
    ------
    ReportRenderError
        When a report's PDF fails (in a worker or here), naming its file. When a worker
        process dies (killed, out of memory) the pool cannot tell which report it was
        making: the first report not yet made is named, with ``BrokenProcessPool``.
    """
    if workers <= 1:
        for name, html in reports:
            try:
                pdf = _pdf(html)
            except Exception as error:
                raise ReportRenderError(name, error) from error
            yield name, pdf
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    try:
        waiting: deque[tuple[str, Future[bytes]]] = deque()
        for name, html in reports:
            waiting.append((name, pool.submit(_pdf, html)))
            if len(waiting) > 2 * workers:
                yield _pdf_of(*waiting.popleft())
        while waiting:
            yield _pdf_of(*waiting.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def iter_reports(
    session: Session,
    data: VersionData,
    *,
    lang: str,
    now: datetime,
    base_url: str,
    workers: int = 1,
) -> Generator[tuple[str, bytes], None, None]:
    """``(file name, PDF)`` of every scorecard, then the summary (see :func:`iter_pdfs`)."""
    facts = data.facts(now=now, base_url=base_url)
    reports = iter_report_html(data, facts, lang, lambda: exclusion_counts(session, data.period))
    with closing(iter_pdfs(reports, workers=workers)) as pdfs:
        yield from pdfs


def report_names(data: VersionData, lang: str) -> list[str]:
    """File names of every scorecard and the summary, in :func:`iter_reports` order."""
    names = [scorecard_filename(data, cadre_id, lang) for cadre_id in data.cadre_ids()]
    return [*names, report_filename(data, "summary", lang) + ".pdf"]


def zip_files(session: Session, files: list[tuple[str, str]]) -> bytes:
    """A zip of stored report files (stored, not compressed: PDFs already are)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, sha256 in files:
            archive.writestr(name, evidence.read_blob(session, sha256))
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build stored: ``(file name, SHA-256)`` in report order, and the bytes."""

    files: tuple[tuple[str, str], ...]
    bytes_written: int


def build_reports(
    session: Session,
    data: VersionData,
    *,
    lang: str,
    now: datetime,
    base_url: str,
    progress: Callable[[str], None] = lambda name: None,
    workers: int = 1,
) -> BuildResult:
    """Render every scorecard and the summary, storing each as a blob in the session.

    The blobs are shared by every app server once the caller commits and records the
    returned list on the build (:func:`reports.services.builds.run_build`); a failure records
    nothing, so no half-built set is ever served. ``progress`` is called after each file,
    in report order. ``workers`` > 1 makes the PDFs in worker processes
    (:func:`iter_pdfs`: only from a process with one thread); the blobs are stored here.
    """
    check_language(lang)
    written: list[tuple[str, str]] = []
    total = 0
    reports = iter_reports(session, data, lang=lang, now=now, base_url=base_url, workers=workers)
    with closing(reports):
        for name, pdf in reports:
            written.append((name, evidence.put_blob(session, pdf)))
            total += len(pdf)
            progress(name)
    return BuildResult(files=tuple(written), bytes_written=total)
