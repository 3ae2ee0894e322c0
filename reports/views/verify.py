"""Public verification of reports (no login), and the open-data bundle downloads.

``/p/verify`` takes a verification code (typed, or from the QR code on a report) or a
report PDF, and says field by field whether the report matches the result recomputed
from the stored inputs (``reports.services.verify``). The page shows a report's fields only
when its code was issued from the stored results: whoever holds such a code holds the
report, and an invented code learns nothing (no ratings, no answers, and for a code
that was not issued, nothing at all).

The open-data bundle (``reports.services.bundle``, format in docs/open-data.md) is downloaded by
the team and officials whose scope covers the period, for any version; and by anyone
once the period is final, for the final version only (before that, results may still
change after an objection, and the public notice is the public's view).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from assessment.app.db import db
from assessment.services.queries import NotFoundError, find_period, get_period
from assessment.views.access import current_scope, roles_required
from assessment.views.notice import local_today
from reports.core.codes import ReportKind
from reports.core.verify import CheckStatus
from reports.forms import UploadForm
from reports.render.context import verification_field_label
from reports.services.bundle import Bundle, NoResultsError, build_bundle
from reports.services.verify import MAX_PDF_BYTES, Problem, Verification, verify_code, verify_pdf

logger = logging.getLogger(__name__)

bp = Blueprint("verify", __name__)

#: Who may download any version's bundle (in their scope).
BUNDLE_ROLES = ("admin", "assessor", "official")

PROBLEMS: dict[str, Any] = {
    Problem.MALFORMED: _l(
        "This is not a verification code. A code looks like 12-C34-K7QF9MXA: the result "
        "version, the report (S summary, N notice, C and a number for a scorecard) and "
        "eight check characters."
    ),
    Problem.TYPO: _l(
        "This code has a typing mistake: check each character against the report. Codes "
        "never use 0, O, 1, I or L, and the last group has eight characters."
    ),
    Problem.UNKNOWN_VERSION: _l("No result version has this number: the code was not issued here."),
    Problem.UNKNOWN_CADRE: _l("The result version has no scorecard for this cadre."),
    Problem.NO_NOTICE: _l("No public notice was opened for this period."),
    Problem.NOT_A_PDF: _l("The file is not a PDF."),
    Problem.UNREADABLE_PDF: _l("The PDF cannot be read (damaged, encrypted or too many pages)."),
    Problem.TOO_LARGE: _l("The file is larger than %(size)s MB."),
    Problem.NO_CODE: _l("No verification code was found in the PDF's text."),
}
KIND_LABELS: dict[str, Any] = {
    ReportKind.SCORECARD: _l("Scorecard"),
    ReportKind.SUMMARY: _l("Township summary"),
    ReportKind.NOTICE: _l("Public notice"),
}
STATUS_LABELS: dict[str, Any] = {
    CheckStatus.MATCHES: _l("matches"),
    CheckStatus.DIFFERS: _l("differs"),
    CheckStatus.MISSING: _l("missing"),
    CheckStatus.UNEXPECTED: _l("not expected"),
}


def _upload_form() -> UploadForm:
    form = UploadForm()
    form.pdf.description = _(
        "The PDF file of a scorecard, summary or notice (at most %(size)s MB).",
        size=MAX_PDF_BYTES // (1024 * 1024),
    )
    return form


def problem_message(problem: Problem, *, typo_position: int | None = None) -> str:
    """The reader's message for a verification that could not compare anything."""
    message = str(PROBLEMS[problem]) % {"size": MAX_PDF_BYTES // (1024 * 1024)}
    if problem is Problem.TYPO and typo_position is not None:
        message += " " + _("Character %(position)s looks wrong.", position=typo_position)
    return message


def typo_parts(verification: Verification) -> tuple[str, str, str] | None:
    """The typed code split around the character that looks wrong, to mark it."""
    position, code = verification.typo_position, verification.code or ""
    if position is None or not 1 <= position <= len(code):
        return None
    return code[: position - 1], code[position - 1], code[position:]


def _render(verification: Verification, status: int = 200) -> tuple[str, int]:
    problem = None
    if verification.problem is not None:
        problem = problem_message(verification.problem, typo_position=verification.typo_position)
    return (
        render_template(
            "reports/verify_result.html",
            v=verification,
            problem=problem,
            typo=typo_parts(verification),
            kind_label=KIND_LABELS.get(str(verification.kind), ""),
            status_labels=STATUS_LABELS,
            field_label=verification_field_label,
        ),
        status,
    )


@bp.route("/p/verify")
def form() -> str | Response:
    """The verification page: enter a code or upload a report PDF."""
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for(".code", code=code[:80]))
    return render_template(
        "reports/verify.html", upload=_upload_form(), empty=request.args.get("code") is not None
    )


@bp.route("/p/verify/<code>")
def code(code: str) -> tuple[str, int]:
    """Field-by-field verification of the report a code names (the QR code's link)."""
    verification = verify_code(db.session, code)
    status = 404 if verification.problem is not None else 200
    return _render(verification, status)


@bp.route("/p/verify/pdf", methods=["POST"])
def upload() -> tuple[str, int]:
    """Check an uploaded report PDF against the recomputed result."""
    form = _upload_form()
    if not form.validate_on_submit():
        return render_template("reports/verify.html", upload=form, empty=False), 400
    data = form.pdf.data.read(MAX_PDF_BYTES + 1)
    verification = verify_pdf(db.session, data)
    return _render(verification, 400 if verification.problem is not None else 200)


# ---------------------------------------------------------------------------
# the open-data bundle
# ---------------------------------------------------------------------------


def _zip_response(bundle: Bundle) -> Response:
    return Response(
        bundle.data,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f"attachment; filename={bundle.filename}",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/admin/periods/<int:period_id>/open-data.zip")
@roles_required(*BUNDLE_ROLES)
def bundle(period_id: int) -> Response:
    """The open-data bundle of a version (``?version=N``; default final, else newest)."""
    try:
        period = get_period(db.session, period_id, current_scope())
    except NotFoundError:
        abort(404)
    number = request.args.get("version", type=int)
    try:
        built = build_bundle(db.session, period=period, version_number=number, today=local_today())
    except (NotFoundError, NoResultsError):
        abort(404)
    logger.info("open-data bundle of period %s version %s", period.id, built.manifest["version"])
    return _zip_response(built)


@bp.route("/p/periods/<int:period_id>/open-data.zip")
def public_bundle(period_id: int) -> Response:
    """The open-data bundle of a final period's final version, for anyone."""
    period = find_period(db.session, period_id)
    if period is None or period.status != "final" or period.final_version_number is None:
        abort(404)
    built = build_bundle(
        db.session,
        period=period,
        version_number=period.final_version_number,
        today=local_today(),
    )
    return _zip_response(built)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


__all__ = ["bp", "init_app", "problem_message"]
