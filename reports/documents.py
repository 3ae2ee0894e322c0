"""The reports of a result version: read what they need, render them, build them all.

The one pipeline of STYLE.md section 7: stored version → ``reports.core.layout`` →
``reports.context`` → ``templates/reports/<kind>.html`` → ``reports.pdf.html_to_pdf``.
Views (one report, or a zip) and ``flask reports build`` (every report, stored in
the database for every app server) call these functions; nothing here commits (a build
stores its files as blobs in the caller's transaction).
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session

from assessment import evidence
from assessment.audit import find_chain_head
from assessment.core.rulebook import Rulebook
from assessment.models import Period, ResultVersion
from assessment.services import results as results_service
from assessment.services.publication import find_notice
from reports.context import (
    ExclusionCount,
    ReportFacts,
    notice_context,
    scorecard_context,
    summary_context,
)
from reports.pdf import html_to_pdf
from surveys.queries import count_exclusions

logger = logging.getLogger(__name__)

#: Languages a report can be rendered in (``--lang`` and ``?lang=``).
REPORT_LANGUAGES = ("zh_CN", "en")


class ReportNotFoundError(LookupError):
    """The version, cadre, notice or language asked for does not exist."""

    def __init__(self, what: str, value: object) -> None:
        self.what = what
        self.value = value
        super().__init__(f"no {what} {value!r}")


@dataclass(frozen=True, slots=True)
class VersionData:
    """A stored version's payload, its rulebook, and the period facts the reports need."""

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

    def cadre_ids(self) -> list[str]:
        """Cadre ids of the result in report order (post group, rank, code)."""
        cadres = sorted(
            self.result["cadres"], key=lambda c: (c["post_group"], c["rank"], c["code"])
        )
        return [str(c["id"]) for c in cadres]

    def has_cadre(self, cadre_id: str) -> bool:
        """Whether the cadre is in this result."""
        return any(str(c["id"]) == str(cadre_id) for c in self.result["cadres"])

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
    (:func:`surveys.queries.count_exclusions`). Reasons are the team's words; no
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
            data.result, data.rulebook, facts, str(cadre_id), unit_names=data.unit_names
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
    code = next(str(c["code"]) for c in data.result["cadres"] if str(c["id"]) == str(cadre_id))
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in code)
    return f"scorecard-p{data.period.id}-v{data.version.number}-{safe}-{lang}.pdf"


def report_filename(data: VersionData, kind: str, lang: str) -> str:
    """``summary-p1-v2-en.pdf``, ``notice-p1-v2-zh_CN.pdf``, ``reports-p1-v2-en.zip``."""
    return f"{kind}-p{data.period.id}-v{data.version.number}-{lang}"


# ---------------------------------------------------------------------------
# every report of a version
# ---------------------------------------------------------------------------


def iter_reports(
    session: Session, data: VersionData, *, lang: str, now: datetime, base_url: str
) -> Iterator[tuple[str, bytes]]:
    """``(file name, PDF)`` of every scorecard, then the summary."""
    facts = data.facts(now=now, base_url=base_url)
    for cadre_id in data.cadre_ids():
        html = scorecard_html(data, cadre_id, facts, lang)
        yield scorecard_filename(data, cadre_id, lang), html_to_pdf(html)
    html = summary_html(data, facts, lang, exclusion_counts(session, data.period))
    yield report_filename(data, "summary", lang) + ".pdf", html_to_pdf(html)


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
) -> BuildResult:
    """Render every scorecard and the summary, storing each as a blob in the session.

    The blobs are shared by every app server once the caller commits and records the
    returned list on the build (:func:`reports.builds.run_build`); a failure records
    nothing, so no half-built set is ever served. ``progress`` is called after each file.
    """
    check_language(lang)
    written: list[tuple[str, str]] = []
    total = 0
    for name, pdf in iter_reports(session, data, lang=lang, now=now, base_url=base_url):
        written.append((name, evidence.put_blob(session, pdf)))
        total += len(pdf)
        progress(name)
    return BuildResult(files=tuple(written), bytes_written=total)
