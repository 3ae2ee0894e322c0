"""A cadre's record, conversations, work reports and the eligibility list (issue 15).

- The record (干部考核档案) is read by the team (admin, assessor) and the organisation
  department (``official``) for cadres in their scope; the cadre reads their own in
  the portal, without the conversations and the consequence flags.
- Conversations (谈话) are written by the team and read by the team and the
  organisation department only: every route here is closed to the cadre role, and a
  cadre outside the reader's scope (another township) is 404.
- Work reports (述职) are submitted by the cadre in the portal before ratings open;
  the team reads them beside the rating form.
- The eligibility list and the consequence rules: the rules are an audited settings
  document the administrator changes.

PDFs of the record and the list are rendered by ``reports/views/records.py``.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.core.consequences import ConsequenceRules
from assessment.core.errors import FieldError
from assessment.forms.records import ConversationForm, RulesForm, WorkReportForm
from assessment.models import Cadre, Period
from assessment.services import consequences, records
from assessment.services import evidence as files
from assessment.services.queries import NotFoundError, get_cadre
from assessment.views.access import TEAM_ROLES, current_scope, roles_required
from assessment.views.downloads import stored_file_download, xlsx_download
from assessment.views.form_errors import field_errors
from assessment.views.messages import BALLOT_GRADE_LABELS, FIELD_MESSAGES, field_error_message
from assessment.views.notice import local_today
from assessment.views.record_rows import (
    eligibility_rows,
    eligibility_sheet,
    flag_rows,
    record_rows,
    record_sheets,
    trend,
)

bp = Blueprint("records", __name__)

#: Who reads records, conversations and the eligibility list: the team and the
#: organisation department. Never the cadre, the clerk or the public.
RECORD_ROLES = (*TEAM_ROLES, "official")

FIELD_MESSAGES.update(
    {
        "consequence_grade_clash": _l("The reward grade cannot also be a grade that bars."),
        "work_report_not_pdf": _l("The work report file must be a PDF."),
        "work_report_empty": _l("Write the work report or attach it as a PDF."),
        "work_report_closed": _l(
            "Work reports are taken only before the ratings open; this period no longer takes them."
        ),
    }
)
REFUSALS: dict[str, Any] = {
    "work_report_closed": _l(
        "Work reports are taken only before the ratings open; this period no longer takes them."
    ),
    "work_report_not_assessed": _l("You are not assessed in this period."),
}


# ---------------------------------------------------------------------------
# forms
# ---------------------------------------------------------------------------


def _grade_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in BALLOT_GRADE_LABELS.items()]


# ---------------------------------------------------------------------------
# the record (team and organisation department)
# ---------------------------------------------------------------------------


def _pdf_url(endpoint: str, **values: Any) -> str | None:
    """The PDF link when the reports package registered its endpoint."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def cadre_or_404(cadre_id: int) -> Cadre:
    """A cadre in the reader's scope, else 404 (also the record PDF's lookup)."""

    try:
        return get_cadre(db.session, cadre_id, current_scope())
    except NotFoundError:
        abort(404)


def record_context(cadre: Cadre) -> dict[str, Any]:
    """What the record page, its workbook and its PDF show (team and officials)."""
    record = records.cadre_record(db.session, cadre)
    rows = record_rows(record)
    rules = consequences.get_rules(db.session)
    names = {row["period_id"]: row["period"] for row in rows}
    flags = flag_rows(consequences.cadre_flags(db.session, cadre.id, rules), rules, names)
    return {
        "cadre": cadre,
        "record": record,
        "rows": rows,
        "flags": flags,
        "rules": rules,
        "trend": trend([r["total"] for r in rows]) if rows else None,
        "conversations": records.list_conversations(db.session, cadre.id),
    }


def _record_page(cadre: Cadre, form: ConversationForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "assessment/records/record.html",
        form=form,
        can_write=current_user.role in TEAM_ROLES,
        pdf_url=_pdf_url("record_reports.cadre_record", cadre_id=cadre.id),
        **record_context(cadre),
    ), status


@bp.route("/admin/cadres/<int:cadre_id>/record")
@roles_required(*RECORD_ROLES)
def record(cadre_id: int) -> tuple[str, int]:
    """The cadre's record across years, with the team's conversations."""
    return _record_page(cadre_or_404(cadre_id), ConversationForm(formdata=None))


@bp.route("/admin/cadres/<int:cadre_id>/record.xlsx")
@roles_required(*RECORD_ROLES)
def record_xlsx(cadre_id: int) -> Response:
    """The record as a workbook (periods, flags, conversations)."""
    context = record_context(cadre_or_404(cadre_id))
    sheets = record_sheets(
        context["record"], context["rows"], context["flags"], context["conversations"]
    )
    return xlsx_download(sheets, f"record-{context['cadre'].code}")


@bp.route("/admin/cadres/<int:cadre_id>/conversations", methods=["POST"])
@roles_required(*TEAM_ROLES)
def add_conversation(cadre_id: int) -> Response | tuple[str, int]:
    """Record a conversation with the cadre (audited)."""
    cadre = cadre_or_404(cadre_id)
    form = ConversationForm()
    if not form.validate_on_submit():
        if form.held_on.errors:
            form.held_on.errors = [field_error_message(FieldError("held_on", "required"))]
        return _record_page(cadre, form, 400)
    with (
        field_errors(form, flash_it=True) as attempt,
        unit_of_work(current_user.id, reason=_("conversation recorded")) as session,
    ):
        records.add_conversation(
            session,
            cadre=cadre,
            held_on=form.held_on.data,
            participants=form.participants.data,
            topics=form.topics.data,
            summary=form.summary.data,
            today=local_today(),
            actor_id=current_user.id,
        )
    if not attempt.saved:
        return _record_page(cadre_or_404(cadre_id), form, 400)
    flash(_("Conversation saved."), "success")
    return redirect(url_for(".record", cadre_id=cadre_id) + "#conversations")


# ---------------------------------------------------------------------------
# the eligibility list and the rules
# ---------------------------------------------------------------------------


def eligibility_context() -> dict[str, Any]:
    """The list of the year asked for (``?year=``), else of the latest year."""
    year = request.args.get("year", type=int)
    found = consequences.eligibility_list(db.session, current_scope(), year=year)
    if year is not None and year not in found.years:
        abort(404)
    return {"found": found, "rows": eligibility_rows(found)}


@bp.route("/admin/eligibility")
@roles_required(*RECORD_ROLES)
def eligibility() -> str:
    """Who may be considered for promotion or reward, who is barred and why."""
    context = eligibility_context()
    year = context["found"].year
    return render_template(
        "assessment/records/eligibility.html",
        pdf_url=_pdf_url("record_reports.eligibility", year=year) if year else None,
        **context,
    )


@bp.route("/admin/eligibility.xlsx")
@roles_required(*RECORD_ROLES)
def eligibility_xlsx() -> Response:
    """The eligibility list as a workbook."""
    context = eligibility_context()
    found = context["found"]
    return xlsx_download(
        [eligibility_sheet(found, context["rows"])], f"eligibility-{found.year or 'none'}"
    )


@bp.route("/admin/settings/consequences", methods=["GET", "POST"])
@roles_required("admin")
def rules() -> Response | tuple[str, int]:
    """The consequence rules (an audited settings document)."""
    current = consequences.get_rules(db.session)
    form = RulesForm(data=_rules_data(current))
    for field in (form.reward_grade, form.incompetent_grade, form.bar_grade):
        field.choices = _grade_choices()
    status = 200
    if form.validate_on_submit():
        chosen = ConsequenceRules(
            reward_grade=form.reward_grade.data or "",
            reward_years=form.reward_years.data if form.reward_years.data is not None else 0,
            incompetent_grade=form.incompetent_grade.data or "",
            incompetent_years=(
                form.incompetent_years.data if form.incompetent_years.data is not None else 0
            ),
            bar_grade=form.bar_grade.data or "",
        )
        with (
            field_errors(form, flash_it=True) as attempt,
            unit_of_work(current_user.id, reason=_("consequence rules changed")) as session,
        ):
            consequences.save_rules(session, chosen)
        if not attempt.saved:
            status = 400
        else:
            flash(_("Rules saved."), "success")
            return redirect(url_for(".rules"))
    elif form.is_submitted():
        status = 400
    return render_template("assessment/records/rules.html", form=form), status


def _rules_data(rules: ConsequenceRules) -> dict[str, Any]:
    return {
        "reward_grade": rules.reward_grade,
        "reward_years": rules.reward_years,
        "incompetent_grade": rules.incompetent_grade,
        "incompetent_years": rules.incompetent_years,
        "bar_grade": rules.bar_grade,
    }


# ---------------------------------------------------------------------------
# the cadre's own record and work reports (portal)
# ---------------------------------------------------------------------------


def _own_cadre() -> Cadre:
    cadre: Cadre | None = current_user.cadre
    if cadre is None:
        abort(404)
    return cadre


@bp.route("/me/record")
@roles_required("cadre")
def my_record() -> str:
    """The cadre's own record: what was published about them, period by period."""
    own = _own_cadre()
    rows = record_rows(records.cadre_record(db.session, own))
    return render_template(
        "assessment/records/my_record.html",
        cadre=own,
        rows=rows,
        trend=trend([r["total"] for r in rows]) if rows else None,
        periods=records.work_report_periods(db.session, own.id),
    )


def _report_period(period_id: int) -> Period:
    period = records.get_period_for_cadre(db.session, period_id, _own_cadre().id)
    if period is None:
        abort(404)
    return period


def _work_report_page(period: Period, form: WorkReportForm, status: int = 200) -> tuple[str, int]:
    cadre = _own_cadre()
    refusal = None
    try:
        records.check_work_report_open(db.session, period, cadre.id)
    except records.RecordRefusedError as error:
        refusal = str(REFUSALS.get(error.code, error.code))
    mb = round(int(current_app.config["EVIDENCE_MAX_BYTES"]) / 1024 / 1024, 1)
    return render_template(
        "assessment/records/work_report.html",
        period=period,
        form=form,
        report=records.find_work_report(db.session, period.id, cadre.id),
        refusal=refusal,
        file_hint=_("A PDF of at most %(mb)s MB.", mb=mb),
    ), status


@bp.route("/me/periods/<int:period_id>/work-report", methods=["GET", "POST"])
@roles_required("cadre")
def work_report(period_id: int) -> Response | tuple[str, int]:
    """Submit the work report (述职) for a period before the ratings open."""
    period = _report_period(period_id)
    cadre = _own_cadre()
    form = WorkReportForm()
    if not form.validate_on_submit():
        return _work_report_page(period, form, 400 if form.is_submitted() else 200)
    upload = form.report_file.data
    try:
        with field_errors(form, flash_it=True) as attempt:
            records.check_work_report_open(db.session, period, cadre.id)
            if upload is not None and upload.filename:
                records.check_pdf_name(upload.filename or "")
            # the file is stored in the same unit of work: a refusal stores nothing
            with unit_of_work(current_user.id, reason=_("work report submitted")) as session:
                stored = None
                if upload is not None and upload.filename:
                    stored = files.store_upload(
                        session,
                        upload.stream,
                        upload.filename or "",
                        max_bytes=int(current_app.config["EVIDENCE_MAX_BYTES"]),
                        field="report_file",
                    )
                records.submit_work_report(
                    session,
                    period=period,
                    cadre_id=cadre.id,
                    text=form.text.data,
                    stored=stored,
                    actor_id=current_user.id,
                    now=utcnow(),
                )
    except records.RecordRefusedError as error:
        flash(str(REFUSALS.get(error.code, error.code)), "error")
        return _work_report_page(_report_period(period_id), form, 409)
    if not attempt.saved:
        return _work_report_page(_report_period(period_id), form, 400)
    flash(_("Work report submitted."), "success")
    return redirect(url_for(".work_report", period_id=period_id))


# ---------------------------------------------------------------------------
# the team reads a work report
# ---------------------------------------------------------------------------


@bp.route("/admin/periods/<int:period_id>/work-reports/<int:cadre_id>/file")
@roles_required(*TEAM_ROLES)
def work_report_file(period_id: int, cadre_id: int) -> Response:
    """Download the PDF of a cadre's work report."""
    report = records.find_team_work_report(db.session, period_id, cadre_id, current_scope())
    if report is None or report.evidence is None:
        abort(404)
    return stored_file_download(db.session, report.evidence)
