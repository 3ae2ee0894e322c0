"""PDFs of a cadre's record and of the eligibility list (issue 15), for the team and officials.

The rows are those of the pages and workbooks (:mod:`assessment.views.record_rows`, built by
``assessment.views.records``); this module only renders them in the language asked for
(``?lang=``) and hands the HTML to the one PDF function. GET only; nothing is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Flask, render_template
from flask_babel import force_locale
from werkzeug.wrappers import Response

from assessment.views.access import roles_required
from assessment.views.records import RECORD_ROLES, cadre_or_404, eligibility_context, record_context
from reports.render.context import software_version
from reports.render.pdf import html_to_pdf
from reports.views.responses import pdf_download, report_language

bp = Blueprint("record_reports", __name__)


def _generated() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


@bp.route("/admin/cadres/<int:cadre_id>/record.pdf")
@roles_required(*RECORD_ROLES)
def cadre_record(cadre_id: int) -> Response:
    """The cadre's record as a PDF (periods, trend, flags, conversations)."""
    lang = report_language()
    cadre = cadre_or_404(cadre_id)
    with force_locale(lang):
        html = render_template(
            "reports/cadre_record.html",
            lang=lang,
            generated=_generated(),
            software=software_version(),
            **record_context(cadre),
        )
    return pdf_download(html_to_pdf(html), f"record-{cadre.id}-{lang}.pdf")


@bp.route("/admin/eligibility.pdf")
@roles_required(*RECORD_ROLES)
def eligibility() -> Response:
    """The eligibility list of a year (``?year=``, else the latest) as a PDF."""
    lang = report_language()
    with force_locale(lang):
        context = eligibility_context()
        html = render_template(
            "reports/eligibility.html",
            lang=lang,
            generated=_generated(),
            software=software_version(),
            **context,
        )
    return pdf_download(
        html_to_pdf(html), f"eligibility-{context['found'].year or 'none'}-{lang}.pdf"
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
