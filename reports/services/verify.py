"""Verification of a report from its code or its PDF (DESIGN section 5, "Verification").

For a code (typed, or from the QR on the report) :func:`verify_code` loads the result
version it names, recomputes the result from the version's stored canonical inputs and
rulebook with the app's engine (same resamples and seed), and compares:

* the fields the report should print, rebuilt by ``reports.core.layout`` from the
  recomputed result, with the fields of the stored result (what the report was made
  from) — field by field;
* the stored result with the recomputed one on every published number
  (:func:`reports.core.verify.compare_results`), and the two digests with the stored
  rulebook and inputs.

The code's check is then compared with the one made from the stored result's fields:
a code that does not match was not issued from these results.

For a PDF :func:`verify_pdf` reads the text (pypdf), finds the code and the printed
"Verification" table, and compares the printed fields with the recomputed ones.

Cronbach's alpha cannot be recomputed: a version stores the survey item matrices only
as digests. The summary's ``reliability`` field is therefore rebuilt from the stored
alpha values; :data:`CARRIED_OVER` names what is carried over.

Reads only: nothing here writes to the database.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy.orm import Session

from assessment.core.digest import canonical_json, sha256_hex
from assessment.core.errors import InvalidParameterError
from assessment.core.records import ResultSettings, result_to_plain
from assessment.core.results import compute_period_results
from assessment.core.rulebook import rules_digest
from assessment.models import Period, ResultVersion
from assessment.services import results as results_service
from assessment.services.audit import find_entry_hash
from assessment.services.publication import find_notice
from reports.core.codes import (
    CHECK_LENGTH,
    ReportKind,
    VerificationCode,
    find_typing_mistake,
    make_verification_code,
    parse_verification_code,
)
from reports.core.layout import notice_fields, scorecard_fields, summary_fields
from reports.core.verify import (
    FieldCheck,
    compare_fields,
    compare_results,
    find_audit_head,
    find_codes,
    printed_fields,
)
from reports.services.tally import tally_fields_of
from surveys.core.codes import ALPHABET
from surveys.core.tally import summarise_targets

logger = logging.getLogger(__name__)

#: Parts of the recomputed result taken from the stored one (see the module docstring).
CARRIED_OVER = ("reliability",)
#: Largest PDF accepted, and most pages read.
MAX_PDF_BYTES = 5 * 1024 * 1024
MAX_PDF_PAGES = 40
#: Recomputed results kept in memory (versions never change; the key is the payload's hash).
CACHE_SIZE = 8

_cache: OrderedDict[str, dict[str, Any]] = OrderedDict()


class Problem(StrEnum):
    """Why a verification could not compare anything."""

    MALFORMED = "malformed"
    TYPO = "typo"
    UNKNOWN_VERSION = "unknown_version"
    UNKNOWN_CADRE = "unknown_cadre"
    NO_NOTICE = "no_notice"
    NOT_A_PDF = "not_a_pdf"
    UNREADABLE_PDF = "unreadable_pdf"
    TOO_LARGE = "too_large"
    NO_CODE = "no_code"


class VersionStatus(StrEnum):
    """Where the version stands in its period."""

    FINAL = "final"
    CURRENT = "current"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    """The audit-log entry a PDF printed as the head at its generation, checked now.

    ``stored`` is the hash the log holds for ``seq`` today (None: the entry is gone).
    """

    seq: int
    printed: str
    stored: str | None

    @property
    def ok(self) -> bool:
        """The log still holds that entry with that hash."""
        return self.stored == self.printed


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of one verification.

    Parameters
    ----------
    code : str or None
        The code as printed (normalised) or as typed when it could not be read.
    source : str
        ``"code"`` or ``"pdf"``.
    problem : Problem or None
        Set when nothing could be compared.
    issued : bool
        The code's check matches the stored result's fields of that report.
    kind : ReportKind or None
    cadre_id : int or None
    period_id, period_name, version_number, latest_number : optional
        Where the version stands.
    status : VersionStatus or None
    fields : tuple of FieldCheck
        The report's fields: ``expected`` = rebuilt from the recomputed result,
        ``found`` = from the stored result (code) or printed in the PDF.
    result_checks : tuple of FieldCheck
        The whole stored result against the recomputation (digests first).
    anchor : AnchorCheck or None
        A PDF's printed audit-log head, checked against the log (None for a code).
    typo_position : int or None
        With :attr:`Problem.TYPO`: the 1-based place in :attr:`code` of the character
        that looks wrong, when it can be found.
    """

    code: str | None
    source: str
    problem: Problem | None = None
    issued: bool = False
    kind: ReportKind | None = None
    cadre_id: int | None = None
    period_id: int | None = None
    period_name: str | None = None
    version_number: int | None = None
    latest_number: int | None = None
    status: VersionStatus | None = None
    fields: tuple[FieldCheck, ...] = ()
    result_checks: tuple[FieldCheck, ...] = field(default_factory=tuple)
    anchor: AnchorCheck | None = None
    typo_position: int | None = None

    @property
    def fields_ok(self) -> bool:
        """Every field of the report matches."""
        return bool(self.fields) and all(c.ok for c in self.fields)

    @property
    def result_ok(self) -> bool:
        """The stored result equals its recomputation, digests included."""
        return bool(self.result_checks) and all(c.ok for c in self.result_checks)

    @property
    def ok(self) -> bool:
        """Issued from these results, every field matches, the recompute agrees, and the
        audit log still holds the entry the report printed as its head."""
        anchor_ok = self.anchor is None or self.anchor.ok
        return (
            self.problem is None and self.issued and self.fields_ok and self.result_ok and anchor_ok
        )

    @property
    def differing_fields(self) -> tuple[FieldCheck, ...]:
        """The fields that do not match."""
        return tuple(c for c in self.fields if not c.ok)

    @property
    def differing_results(self) -> tuple[FieldCheck, ...]:
        """The result values that do not match."""
        return tuple(c for c in self.result_checks if not c.ok)


# ---------------------------------------------------------------------------
# recomputing a version
# ---------------------------------------------------------------------------


def recompute_plain(version: ResultVersion) -> dict[str, Any]:
    """The version's result recomputed from its stored inputs, as plain data.

    Same engine, survey statistics, settings, resamples and seed as when it was
    stored; :data:`CARRIED_OVER` parts come from the stored result. Kept in a small
    in-memory cache keyed by the SHA-256 of the stored payload.
    """
    key = hashlib.sha256(version.payload.encode("utf-8")).hexdigest()
    cached = _cache.get(key)
    if cached is not None:
        _cache.move_to_end(key)
        return cached
    payload = results_service.payload_of(version)
    stored = payload["result"]
    result = compute_period_results(
        results_service.rulebook_of_version(version),
        results_service.inputs_from_canonical(payload["inputs"]),
        summarise_survey=summarise_targets,
        settings=ResultSettings(**stored["settings"]) if stored.get("settings") else None,
        resamples=int(payload["resamples"]),
        seed=int(payload["seed"]),
    )
    plain = result_to_plain(result)
    for name in CARRIED_OVER:
        plain[name] = stored.get(name, [])
    _cache[key] = plain
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return plain


def digest_checks(version: ResultVersion) -> list[tuple[str, str, str]]:
    """``(name, expected, found)``: the digests of the stored rulebook and inputs
    against the version's, then the result's own against the version's."""
    payload = results_service.payload_of(version)
    stored = payload["result"]
    return [
        (
            "rules_digest",
            rules_digest(results_service.rulebook_of_version(version)),
            version.rules_digest,
        ),
        ("data_digest", sha256_hex(canonical_json(payload["inputs"])), version.data_digest),
        ("result.rules_digest", version.rules_digest, str(stored.get("rules_digest"))),
        ("result.data_digest", version.data_digest, str(stored.get("data_digest"))),
    ]


def report_fields(
    session: Session,
    version: ResultVersion,
    result: Mapping[str, Any],
    code: VerificationCode,
) -> tuple[tuple[str, str], ...]:
    """The fields the report named by ``code`` prints, built from ``result``.

    Raises
    ------
    LookupError
        The cadre is not in the result, or (notice) no notice was opened.
    """
    period = version.period
    name, number = period.name, version.number
    rules, data = version.rules_digest, version.data_digest
    if code.kind is ReportKind.SCORECARD:
        try:
            return scorecard_fields(
                result,
                str(code.cadre_id),
                period_name=name,
                version_number=number,
                rules_digest=rules,
                data_digest=data,
            )
        except InvalidParameterError:
            raise LookupError(Problem.UNKNOWN_CADRE) from None
    if code.kind is ReportKind.SUMMARY:
        return summary_fields(
            result, period_name=name, version_number=number, rules_digest=rules, data_digest=data
        )
    notice = find_notice(session, period)
    if notice is None:
        raise LookupError(Problem.NO_NOTICE)
    return notice_fields(
        result,
        period_name=name,
        version_number=number,
        rules_digest=rules,
        data_digest=data,
        starts_on=notice.starts_on.isoformat(),
        ends_on=notice.ends_on.isoformat(),
    )


def version_status(session: Session, version: ResultVersion) -> tuple[VersionStatus, int]:
    """Final, current (the newest) or superseded, and the newest number."""
    latest = results_service.list_versions(session, version.period_id)[0].number
    if version.period.final_version_number == version.number:
        return VersionStatus.FINAL, latest
    if version.number == latest:
        return VersionStatus.CURRENT, latest
    return VersionStatus.SUPERSEDED, latest


# ---------------------------------------------------------------------------
# the two entry points
# ---------------------------------------------------------------------------


def _verify(
    session: Session,
    code: VerificationCode,
    *,
    source: str,
    printed: Sequence[tuple[str, str]] | None,
    audit_head: tuple[int, str] | None = None,
) -> Verification:
    base: dict[str, Any] = {
        "code": code.text,
        "source": source,
        "kind": code.kind,
        "cadre_id": code.cadre_id,
    }
    if code.kind is ReportKind.TALLY:
        return _verify_tally(session, code, base, source=source, printed=printed)
    version = session.get(ResultVersion, code.version_id)
    if version is None:
        return Verification(**base, problem=Problem.UNKNOWN_VERSION)
    period: Period = version.period
    status, latest = version_status(session, version)
    base.update(
        period_id=period.id,
        period_name=period.name,
        version_number=version.number,
        latest_number=latest,
        status=status,
    )
    stored = results_service.payload_of(version)["result"]
    try:
        stored_fields = report_fields(session, version, stored, code)
    except LookupError as error:
        return Verification(**base, problem=Problem(str(error.args[0])))
    issued_code = make_verification_code(
        version_id=version.id, kind=str(code.kind), cadre_id=code.cadre_id, fields=stored_fields
    )
    issued = issued_code == code.text
    mistake = find_typing_mistake(code.text, issued_code) if source == "code" else None
    if mistake is not None:
        return Verification(
            code=mistake.text, source=source, problem=Problem.TYPO, typo_position=mistake.position
        )
    if not issued:
        # nothing else is worked out: a code that was not issued proves nothing
        return Verification(**base, issued=False)
    recomputed = recompute_plain(version)
    expected = report_fields(session, version, recomputed, code)
    found = stored_fields if printed is None else printed
    return Verification(
        **base,
        issued=True,
        fields=compare_fields(expected, found),
        result_checks=compare_results(stored, recomputed, digests=digest_checks(version)),
        anchor=None
        if audit_head is None
        else AnchorCheck(audit_head[0], audit_head[1], find_entry_hash(session, audit_head[0])),
    )


def _verify_tally(
    session: Session,
    code: VerificationCode,
    base: dict[str, Any],
    *,
    source: str,
    printed: Sequence[tuple[str, str]] | None,
) -> Verification:
    """A tally sheet: the survey's stored ballots counted again, field by field.

    A closed survey's ballots do not change, so the re-count is both what was issued
    and the recomputation (``result_checks`` are the same field checks).
    """
    try:
        survey, fields = tally_fields_of(session, code.version_id)
    except LookupError:
        return Verification(**base, problem=Problem.UNKNOWN_VERSION)
    base.update(period_id=survey.period_id, period_name=survey.period.name)
    issued_code = make_verification_code(
        version_id=survey.id, kind=str(code.kind), cadre_id=None, fields=fields
    )
    mistake = find_typing_mistake(code.text, issued_code) if source == "code" else None
    if mistake is not None:
        return Verification(
            code=mistake.text, source=source, problem=Problem.TYPO, typo_position=mistake.position
        )
    if issued_code != code.text:
        return Verification(**base, issued=False)
    checks = compare_fields(fields, fields if printed is None else printed)
    return Verification(**base, issued=True, fields=checks, result_checks=checks)


def verify_code(session: Session, text: str) -> Verification:
    """Verify a report from its code (typed or scanned)."""
    code = parse_verification_code(text)
    if code is None:
        return _mistyped(session, text)
    return _verify(session, code, source="code", printed=None)


def _mistyped(session: Session, text: str) -> Verification:
    """A text that is not a well-formed code: a typing mistake, or not a code at all."""
    mistake = find_typing_mistake(text, None)
    if mistake is None:
        return Verification(
            code=(text or "").strip()[:80], source="code", problem=Problem.MALFORMED
        )
    # the report the text names, with a placeholder check, gives the issued code
    placeholder = ALPHABET[0] * CHECK_LENGTH
    named = parse_verification_code(mistake.text.rsplit("-", 1)[0] + "-" + placeholder)
    version = (
        session.get(ResultVersion, named.version_id)
        if named is not None and named.kind is not ReportKind.TALLY
        else None
    )
    if named is not None and version is not None:
        stored = results_service.payload_of(version)["result"]
        try:
            fields = report_fields(session, version, stored, named)
        except LookupError:
            fields = None
        if fields is not None:
            issued = make_verification_code(
                version_id=version.id, kind=str(named.kind), cadre_id=named.cadre_id, fields=fields
            )
            mistake = find_typing_mistake(text, issued) or mistake
    return Verification(
        code=mistake.text, source="code", problem=Problem.TYPO, typo_position=mistake.position
    )


def pdf_text(data: bytes) -> str:
    """The text of a PDF, pages joined by new lines.

    Raises
    ------
    LookupError
        With a :class:`Problem`: not a PDF, unreadable or too large.
    """
    if len(data) > MAX_PDF_BYTES:
        raise LookupError(Problem.TOO_LARGE)
    if not data.startswith(b"%PDF-"):
        raise LookupError(Problem.NOT_A_PDF)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted or len(reader.pages) > MAX_PDF_PAGES:
            raise LookupError(Problem.UNREADABLE_PDF)
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        logger.info("unreadable PDF uploaded for verification: %s", type(error).__name__)
        raise LookupError(Problem.UNREADABLE_PDF) from None


def verify_pdf(session: Session, data: bytes) -> Verification:
    """Verify a report PDF: its code, and each printed field against the recomputation."""
    try:
        text = pdf_text(data)
    except LookupError as error:
        return Verification(code=None, source="pdf", problem=Problem(str(error.args[0])))
    codes = find_codes(text)
    code = parse_verification_code(codes[0]) if codes else None
    if code is None:
        return Verification(code=None, source="pdf", problem=Problem.NO_CODE)
    return _verify(
        session, code, source="pdf", printed=printed_fields(text), audit_head=find_audit_head(text)
    )


__all__ = [
    "CARRIED_OVER",
    "MAX_PDF_BYTES",
    "AnchorCheck",
    "Problem",
    "Verification",
    "VersionStatus",
    "digest_checks",
    "pdf_text",
    "recompute_plain",
    "report_fields",
    "verify_code",
    "verify_pdf",
    "version_status",
]
