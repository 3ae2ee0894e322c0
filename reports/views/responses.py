"""What the report views share: the language a report is asked in, and a download response.

Used by ``reports/views/reports.py`` (the result version's reports, the tally sheet) and
``reports/views/records.py`` (a cadre's record and the eligibility list), so neither imports
the other's private helpers (issue 19).
"""

from __future__ import annotations

from flask import abort, request
from flask_babel import get_locale
from werkzeug.wrappers import Response

from reports.services import documents


def report_language() -> str:
    """``?lang=`` (404 when unknown), else the language of the page the reader came from."""
    asked = request.args.get("lang")
    if asked is None:
        locale = get_locale()
        asked = "en" if locale is not None and locale.language == "en" else "zh_CN"
    try:
        return documents.check_language(asked)
    except documents.ReportNotFoundError:
        abort(404)


def download(body: bytes, filename: str, mimetype: str) -> Response:
    """A private, never cached attachment (reports name people and their results)."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def pdf_download(body: bytes, filename: str) -> Response:
    return download(body, filename, "application/pdf")
