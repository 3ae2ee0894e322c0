"""Report downloads: one PDF or a zip of a result version for staff, a cadre's own scorecard.

GET only; nothing is stored. Officials and the team download the reports of any
computed version of a period in their scope; a cadre downloads their own scorecard of
the version shown publicly (on notice or final). Unknown versions, cadres, languages,
or a notice that was never opened are 404s; the PDF is rendered completely before the
response starts, so a failure never sends half a file.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale, format_datetime
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work
from assessment.core.ballots import GRADE_CODES
from assessment.services import site_settings
from assessment.services.publication import shown_version_number
from assessment.services.queries import NotFoundError, find_period, get_period
from assessment.views.access import STAFF_ROLES, current_scope, roles_required
from assessment.views.messages import BALLOT_GRADE_LABELS, VOTER_GROUP_LABELS, rulebook_label
from reports.forms import StartBuildForm
from reports.render.context import VERIFY_PATH, qr_svg, software_version
from reports.render.pdf import html_to_pdf
from reports.services import builds, documents, tally
from reports.views.responses import download, pdf_download, report_language
from surveys.services.queries import NotFoundError as SurveyNotFoundError
from surveys.services.queries import get_survey

logger = logging.getLogger(__name__)

#: Seconds between reloads of the build page while reports are being rendered.
BUILD_REFRESH_SECONDS = 3

bp = Blueprint("reports", __name__)

#: Who downloads a period's reports: the team and the county's officials (not clerks).
REPORT_ROLES = ("admin", "assessor", "official")
PREFIX = "/admin/periods/<int:period_id>/results/versions/<int:number>/reports"


def base_url() -> str:
    """Site root for the verification links: the settings page's, else this request's host."""
    configured = site_settings.get_site_settings(db.session, current_app.config).public_base_url
    return str(configured or request.url_root).rstrip("/")


def _now() -> datetime:
    return datetime.now(UTC)


def _data(period_id: int, number: int) -> documents.VersionData:
    try:
        period = get_period(db.session, period_id, current_scope())
        return documents.load_version(db.session, period, number)
    except (NotFoundError, documents.ReportNotFoundError):
        abort(404)


@bp.route(f"{PREFIX}/scorecards/<int:cadre_id>.pdf")
@roles_required(*REPORT_ROLES)
def scorecard(period_id: int, number: int, cadre_id: int) -> Response:
    """One cadre's scorecard of a result version."""
    lang = report_language()
    data = _data(period_id, number)
    facts = data.facts(now=_now(), base_url=base_url())
    try:
        html = documents.scorecard_html(data, str(cadre_id), facts, lang)
    except documents.ReportNotFoundError:
        abort(404)
    return pdf_download(html_to_pdf(html), documents.scorecard_filename(data, str(cadre_id), lang))


@bp.route("/admin/surveys/<int:survey_id>/tally.pdf")
@roles_required(*STAFF_ROLES)
def tally_sheet(survey_id: int) -> Response:
    """The tally sheet (计票单) of a closed ballot survey in the staff member's scope."""
    lang = report_language()
    try:
        survey = get_survey(db.session, survey_id, current_scope())
        counted = tally.read_tally(db.session, survey)
    except (SurveyNotFoundError, documents.ReportNotFoundError):
        abort(404)
    code = tally.tally_code(counted)
    url = base_url() + VERIFY_PATH + code
    with force_locale(documents.check_language(lang)):
        zh = lang.startswith("zh")
        report = {
            "lang": "zh-CN" if zh else "en",
            "code": code,
            "verify_url": url,
            "qr_svg": qr_svg(url),
            "survey": survey,
            "period_name": survey.period.name,
            "group": VOTER_GROUP_LABELS.get(survey.voter_group, survey.voter_group),
            "grades": [BALLOT_GRADE_LABELS[g] for g in GRADE_CODES],
            "rows": [
                {"row": row, "label": counted.labels[row.target][0 if zh else 1]}
                for row in counted.rows
            ],
            "sheets": counted.sheets,
            "indicator": rulebook_label(counted.indicator.name) if counted.indicator else None,
            "indicator_code": counted.indicator.code if counted.indicator else None,
            "by_bands": counted.bands is not None,
            "validity": counted.validity,
            "precision": counted.precision,
            "fields": [{"key": k, "value": v} for k, v in counted.fields],
            "generated": format_datetime(_now(), "yyyy-MM-dd HH:mm"),
            "generated_iso": _now().isoformat(timespec="seconds"),
            "software": software_version(),
        }
        html = render_template("reports/tally.html", report=report)
    return pdf_download(html_to_pdf(html), tally.tally_filename(survey, lang))


@bp.route(f"{PREFIX}/summary.pdf")
@roles_required(*REPORT_ROLES)
def summary(period_id: int, number: int) -> Response:
    """The township summary of a result version."""
    lang = report_language()
    data = _data(period_id, number)
    facts = data.facts(now=_now(), base_url=base_url())
    exclusions = documents.exclusion_counts(db.session, data.period)
    html = documents.summary_html(data, facts, lang, exclusions)
    return pdf_download(
        html_to_pdf(html), documents.report_filename(data, "summary", lang) + ".pdf"
    )


@bp.route(f"{PREFIX}/notice.pdf")
@roles_required(*REPORT_ROLES)
def notice(period_id: int, number: int) -> Response:
    """The public notice of a result version (once a notice was opened)."""
    lang = report_language()
    data = _data(period_id, number)
    facts = data.facts(now=_now(), base_url=base_url())
    try:
        html = documents.notice_html(db.session, data, facts, lang)
    except documents.ReportNotFoundError:
        abort(404)
    return pdf_download(html_to_pdf(html), documents.report_filename(data, "notice", lang) + ".pdf")


@bp.route(f"{PREFIX}/all.zip")
@roles_required(*REPORT_ROLES)
def archive(period_id: int, number: int) -> Response:
    """Every scorecard and the summary of a result version, in one zip.

    Served from the files of a finished build (``flask reports build`` or the build
    page); without them, the build page, which starts one and shows its progress.
    """
    lang = report_language()
    data = _data(period_id, number)
    files = builds.find_built(db.session, data, lang)
    if files is None:
        return redirect(url_for(".build", period_id=period_id, number=number, lang=lang), 303)
    logger.info("reports zip period=%s version=%s", period_id, number)
    return download(
        documents.zip_files(db.session, files),
        documents.report_filename(data, "reports", lang) + ".zip",
        "application/zip",
    )


@bp.route(f"{PREFIX}/build", methods=["GET", "POST"])
@roles_required(*REPORT_ROLES)
def build(period_id: int, number: int) -> Response | str:
    """Prepare every report of a version outside the request, and show how far it got."""
    lang = report_language()
    data = _data(period_id, number)
    ready = builds.find_built(db.session, data, lang) is not None
    form = StartBuildForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if not ready:
            _start_build(period_id, number, lang, total=len(documents.report_names(data, lang)))
        return redirect(url_for(".build", period_id=period_id, number=number, lang=lang), 303)
    progress = builds.progress_of(builds.find_build(db.session, period_id, number, lang), _now())
    html = render_template(
        "reports/build.html",
        data=data,
        lang=lang,
        ready=ready,
        progress=progress,
        form=form,
        refresh_seconds=BUILD_REFRESH_SECONDS,
    )
    response = Response(html, mimetype="text/html")
    if progress.state == "running" and not ready:
        response.headers["Refresh"] = str(BUILD_REFRESH_SECONDS)
    return response


def _start_build(period_id: int, number: int, lang: str, *, total: int) -> None:
    try:
        with unit_of_work(current_user.id) as session:
            build_id = builds.claim_build(
                session,
                period_id=period_id,
                number=number,
                lang=lang,
                total=total,
                requested_by_id=current_user.id,
                now=_now(),
            )
    except IntegrityError:  # another worker inserted the same build a moment ago
        return
    if build_id is not None:
        current_app.extensions["reports.start_build"](
            current_app._get_current_object(),  # type: ignore[attr-defined]
            build_id,
            base_url(),
        )


@bp.route("/me/periods/<int:period_id>/scorecard.pdf")
@roles_required("cadre")
def my_scorecard(period_id: int) -> Response:
    """The signed-in cadre's own scorecard, once the results are public (notice or final)."""
    lang = report_language()
    cadre_id = current_user.cadre_id
    period = find_period(db.session, period_id)
    if cadre_id is None or period is None:
        abort(404)
    number = shown_version_number(db.session, period)
    if number is None:
        abort(404)
    try:
        data = documents.load_version(db.session, period, number)
        facts = data.facts(now=_now(), base_url=base_url())
        html = documents.scorecard_html(data, str(cadre_id), facts, lang)
    except documents.ReportNotFoundError:
        abort(404)
    return pdf_download(html_to_pdf(html), documents.scorecard_filename(data, str(cadre_id), lang))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # Tests may run builds in the request's thread instead (same function, no thread).
    app.extensions.setdefault("reports.start_build", builds.start_in_thread)
