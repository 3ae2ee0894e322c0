"""Team pages of the public notice and objection review; the cadre's objection form.

The team (admin, assessor) opens the notice of a computed period, reviews objections
(assign, decide with a written reason, correct an input, which recomputes the results
into a new version) and finalises the period. A cadre files an objection to their own
result at ``/me/periods/<id>/objections/new`` (endpoint ``new_objection``), optionally
with ``?indicator=CODE``. The helpers here (calendar, local date, messages, attachment)
serve the public notice pages too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

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
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.app.survey_source import find_survey_source
from assessment.core.confidence import DEFAULT_RESAMPLES
from assessment.core.errors import AssessmentError, FieldError, LifecycleError
from assessment.core.results import IncompleteInputsError
from assessment.core.rulebook import IndicatorKind, Rulebook
from assessment.forms.base import NOT_UNDERSTOOD, choices, show_field_error
from assessment.forms.notice import (
    OUTCOME_LABELS,
    AssignForm,
    DecideForm,
    FinaliseForm,
    ObjectionForm,
    OpenNoticeForm,
)
from assessment.models import Notice, Objection, Period, ResultVersion
from assessment.services import evidence as files
from assessment.services import objections, site_settings, unit_subjects
from assessment.services import publication as service
from assessment.services.inputs import (
    EVENT_KINDS,
    find_result,
    indicator_set_of,
    list_assessed,
    list_events,
    list_panel,
)
from assessment.services.queries import NotFoundError, find_period, get_period
from assessment.services.results import (
    ResultsRefusedError,
    get_version,
    payload_of,
    rulebook_of_version,
)
from assessment.views.access import TEAM_ROLES, current_scope, roles_required
from assessment.views.downloads import stored_file_download
from assessment.views.form_errors import field_errors, page_with_status
from assessment.views.messages import (
    KIND_LABELS,
    STATE_LABELS,
    lifecycle_message,
)
from assessment.views.messages import rulebook_label as label

logger = logging.getLogger(__name__)

bp = Blueprint("notice", __name__)


STATUS_LABELS: dict[str, Any] = {
    "open": _l("Awaiting review"),
    "under_review": _l("Under review"),
    "decided": _l("Decided"),
}
CHANNEL_LABELS: dict[str, Any] = {
    "cadre": _l("Cadre"),
    "public": _l("Public"),
}
REFUSALS: dict[str, Any] = {
    "notice_needs_computed": _l(
        "A notice opens once the results are computed; this period is “%(state)s”."
    ),
    "no_result_version": _l("No result version is stored for this period."),
    "no_notice": _l("This period's results are not on public notice."),
    "notice_closed": _l("Objections are accepted from %(starts_on)s to %(ends_on)s; not today."),
    "objection_decided": _l("This objection is decided already."),
    "period_final": _l("The period is final: nothing can change any more."),
}
FIELD_MESSAGES: dict[str, Any] = {
    "date_in_past": _l("The notice cannot start in the past."),
    "not_own_result": _l("You can object only to your own result."),
    "cadre_not_assessed": _l("This cadre is not assessed in this period."),
    "indicator_needs_cadre": _l("Name the cadre whose indicator you object to."),
    "unknown_outcome": _l("Choose an outcome."),
    "rejected_with_correction": _l(
        "A rejected objection changes no input: choose “No change to the inputs”."
    ),
    "unknown_correction": _l("Choose what the decision changes."),
    "correction_needs_cadre": _l(
        "This objection names no assessed cadre, so no input of a cadre can be corrected."
    ),
    "unknown_event": _l("Choose one of the cadre's recorded events."),
    "not_a_team_member": _l("Choose a member of the assessment team."),
}


# ---------------------------------------------------------------------------
# helpers shared with the public notice pages
# ---------------------------------------------------------------------------


def calendar(around: date) -> tuple[frozenset[date], frozenset[date]]:
    """Days off and make-up working days near ``around``: statutory, plus the township's."""
    return site_settings.notice_calendar(db.session, current_app.config, around=around)


def local_today() -> date:
    """Today in the deployment's time zone (notice dates are local dates)."""
    zone = ZoneInfo(str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai"))
    return datetime.now(zone).date()


def refusal_message(error: service.PublicationRefusedError) -> str:
    params = {
        "state": str(STATE_LABELS.get(error.status, error.status)),
        **{k: format_date(v) if isinstance(v, date) else v for k, v in error.params.items()},
    }
    return str(REFUSALS[error.code]) % params


def attach_error(form: FlaskForm, error: FieldError) -> str:
    """Show a service error beside its field; return the message (for a flash)."""
    return show_field_error(form, error, FIELD_MESSAGES)


def finalise_message(error: LifecycleError) -> str:
    """Why a period cannot become final, naming the objections or the last notice day."""
    if isinstance(error, service.FinaliseRefusedError):
        if error.code == "notice_not_ended":
            return _(
                "The notice runs until %(date)s: the period can be finalised from the next day.",
                date=format_date(error.params["ends_on"]),
            )
        if error.code == "objections_pending":
            pending = cast(tuple[int, ...], error.params["ids"])
            ids = ", ".join(f"#{i}" for i in pending)
            return _("Objections still open or under review: %(ids)s. Decide them first.", ids=ids)
    return lifecycle_message(error)


def closed_message(period: Period, notice: Notice | None) -> str | None:
    """Why objections cannot be filed today, or None while the notice is open."""
    if period.status != "notice" or notice is None:
        return refusal_message(service.PublicationRefusedError("no_notice", period.status))
    if not service.is_notice_open(notice, local_today()):
        return refusal_message(
            service.PublicationRefusedError(
                "notice_closed", period.status, starts_on=notice.starts_on, ends_on=notice.ends_on
            )
        )
    return None


def store_attachment(session: Session, form: FlaskForm) -> files.StoredFile | None:
    """Store the form's attachment, if one was chosen (FieldError ``attachment`` if refused)."""
    upload = form.attachment.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return files.store_upload(
        session,
        upload.stream,
        upload.filename or "",
        max_bytes=int(current_app.config["EVIDENCE_MAX_BYTES"]),
        field="attachment",
    )


def attachment_hint() -> str:
    mb = round(int(current_app.config["EVIDENCE_MAX_BYTES"]) / 1024 / 1024, 1)
    return _("Optional. PDF, JPG, PNG, XLSX or DOCX, at most %(mb)s MB.", mb=mb)


def shown_version(period: Period) -> ResultVersion | None:
    number = service.shown_version_number(db.session, period)
    if number is None:
        return None
    try:
        return get_version(db.session, period.id, number)
    except NotFoundError:  # pragma: no cover - the number comes from a stored version
        return None


# ---------------------------------------------------------------------------
# team pages
# ---------------------------------------------------------------------------


def _period(period_id: int) -> Period:
    try:
        return get_period(db.session, period_id, current_scope())
    except NotFoundError:
        abort(404)


def _objection(period: Period, objection_id: int) -> Objection:
    objection = service.get_objection(db.session, period, objection_id)
    if objection is None:
        abort(404)
    return objection


def _render(template: str, **context: Any) -> str:
    if "period" in context:
        context.setdefault("contested", _contested(context["period"]))
    return render_template(
        f"assessment/notice/{template}",
        outcome_label=lambda code: OUTCOME_LABELS.get(code, code),
        status_label=lambda code: STATUS_LABELS.get(code, code),
        channel_label=lambda code: CHANNEL_LABELS.get(code, code),
        today=local_today(),
        is_overdue=service.is_overdue,
        **context,
    )


def _cadre_names(period: Period) -> dict[int, str]:
    return {c.cadre_id: f"{c.code} {c.name}" for c in list_assessed(db.session, period)}


def _contested(period: Period) -> Any:
    """``contested(objection)``: what an objection is about, by indicator code and name."""
    version = shown_version(period)
    rulebook = rulebook_of_version(version) if version is not None else None
    posts = {c.cadre_id: c for c in list_assessed(db.session, period)}

    def contested(objection: Objection) -> str:
        code = objection.indicator_code
        if not code:
            return _("the result as a whole")
        cadre = posts.get(objection.cadre_id or 0)
        indicator_set = indicator_set_of(rulebook, cadre) if rulebook and cadre else None
        try:
            name = label(indicator_set.indicator(code).name) if indicator_set else ""
        except KeyError:
            name = ""
        return f"{code} {name}".strip()

    return contested


@bp.route("/admin/periods/<int:period_id>/notice")
@roles_required(*TEAM_ROLES)
def show(period_id: int) -> str:
    """The notice of a period: open it, the review queue, and finalising."""
    period = _period(period_id)
    notice = service.find_notice(db.session, period)
    settings = site_settings.get_site_settings(db.session, current_app.config)
    form = OpenNoticeForm(
        data={
            "starts_on": local_today(),
            "working_days": settings.notice_working_days,
            "review_working_days": settings.review_working_days,
        }
    )
    blockers: list[str] = []
    if period.status == "notice":
        try:
            service.check_finalisable(db.session, period, local_today())
        except LifecycleError as error:
            blockers.append(finalise_message(error))
    return _render(
        "show.html",
        period=period,
        notice=notice,
        form=form,
        objections=service.list_objections(db.session, period.id),
        cadre_names=_cadre_names(period),
        shown_number=service.shown_version_number(db.session, period),
        versions=service.list_shown_versions(db.session, period),
        finalise_form=FinaliseForm(),
        blockers=blockers,
    )


@bp.route("/admin/periods/<int:period_id>/notice/open", methods=["POST"])
@roles_required(*TEAM_ROLES)
def open_notice(period_id: int) -> str | Response | tuple[str, int]:
    """Put the latest result version on public notice."""
    period = _period(period_id)
    form = OpenNoticeForm()
    if form.validate_on_submit():
        holidays, extra = calendar(form.starts_on.data)
        try:
            with (
                field_errors(form, messages=FIELD_MESSAGES) as attempt,
                unit_of_work(current_user.id, reason=_("public notice opened")) as session,
            ):
                notice = service.open_notice(
                    session,
                    period=period,
                    starts_on=form.starts_on.data,
                    working_days=form.working_days.data,
                    review_working_days=form.review_working_days.data,
                    instructions=form.instructions.data or "",
                    holidays=holidays,
                    extra_workdays=extra,
                    actor_id=current_user.id,
                    today=local_today(),
                )
                ends_on = notice.ends_on
        except service.PublicationRefusedError as error:
            flash(refusal_message(error), "error")
            return redirect(url_for(".show", period_id=period.id))
        else:
            if attempt.saved:
                flash(
                    _(
                        "The results are on public notice until %(date)s.",
                        date=format_date(ends_on),
                    ),
                    "success",
                )
                return redirect(url_for(".show", period_id=period.id))
    page = _render(
        "show.html",
        period=period,
        notice=None,
        form=form,
        objections=[],
        cadre_names={},
        shown_number=None,
        versions=[],
        finalise_form=FinaliseForm(),
        blockers=[],
    )
    return page, 400


@bp.route("/admin/periods/<int:period_id>/notice/finalise", methods=["POST"])
@roles_required(*TEAM_ROLES)
def finalise(period_id: int) -> Response:
    """Make the results final (refused while the notice runs or objections are undecided)."""
    period = _period(period_id)
    if not FinaliseForm().validate_on_submit():
        flash(str(NOT_UNDERSTOOD), "error")
        return redirect(url_for(".show", period_id=period.id))
    try:
        with unit_of_work(current_user.id, reason=_("results finalised")) as session:
            service.finalise_period(
                session, period=period, today=local_today(), actor_id=current_user.id, now=utcnow()
            )
            number = period.final_version_number
    except LifecycleError as error:
        flash(finalise_message(error), "error")
    else:
        flash(_("The results are final (version %(number)s).", number=number), "success")
    return redirect(url_for(".show", period_id=period.id))


def _correction_choices(
    period: Period, objection: Objection
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[str, Any]]:
    """Indicators and events of the objection's cadre for the decision form."""
    indicators: list[tuple[str, str]] = [("", _("(choose)"))]
    events: list[tuple[str, str]] = [("", _("(choose)"))]
    actuals: dict[str, Any] = {}
    if objection.cadre_id is None:
        return indicators, events, actuals
    cadre = next(
        (c for c in list_assessed(db.session, period) if c.cadre_id == objection.cadre_id), None
    )
    version = shown_version(period)
    if cadre is None or version is None:
        return indicators, events, actuals
    rulebook: Rulebook = rulebook_of_version(version)
    indicator_set = indicator_set_of(rulebook, cadre)
    if indicator_set is not None:
        kinds = {IndicatorKind.QUANTITATIVE, *EVENT_KINDS}
        for indicator in indicator_set.indicators:
            if indicator.kind in kinds:
                kind = KIND_LABELS.get(indicator.kind.value, indicator.kind.value)
                indicators.append(
                    (indicator.code, f"{indicator.code} {label(indicator.name)} ({kind})")
                )
            if indicator.kind == IndicatorKind.QUANTITATIVE:
                result = find_result(db.session, period, cadre.cadre_id, indicator.code)
                if result is not None:
                    actuals[indicator.code] = result
    names = {i.code: label(i.name) for i in indicator_set.indicators} if indicator_set else {}
    for event in list_events(db.session, period, [cadre.cadre_id]):
        points = "" if event.points is None else f" {event.points:g}"
        item = f"{event.indicator_code} {names.get(event.indicator_code, '')}".strip()
        events.append(
            (
                str(event.id),
                f"{item}{points} · {format_date(event.occurred_on)} · {event.reason[:40]}",
            )
        )
    return indicators, events, actuals


def _objection_page(
    period: Period,
    objection: Objection,
    decide_form: DecideForm | None = None,
    assign_form: AssignForm | None = None,
) -> str:
    indicators, events, actuals = _correction_choices(period, objection)
    decide_form = decide_form or DecideForm()
    decide_form.indicator_code.choices = choices(indicators)
    decide_form.event_id.choices = choices(events)
    assign_form = assign_form or AssignForm(
        data={"assignee_id": objection.assigned_to_id or current_user.id}
    )
    assign_form.assignee_id.choices = choices(
        (a.id, f"{a.display_name} ({a.username})") for a in list_panel(db.session, period)
    )
    return _render(
        "objection.html",
        period=period,
        objection=objection,
        cadre_names=_cadre_names(period),
        decide_form=decide_form,
        assign_form=assign_form,
        actuals=actuals,
        can_change=period.status == "notice" and objection.status != "decided",
    )


@bp.route("/admin/periods/<int:period_id>/notice/objections/<int:objection_id>")
@roles_required(*TEAM_ROLES)
def objection(period_id: int, objection_id: int) -> str:
    """One objection: what was contested, the attachment, assignment and the decision."""
    period = _period(period_id)
    return _objection_page(period, _objection(period, objection_id))


@bp.route(
    "/admin/periods/<int:period_id>/notice/objections/<int:objection_id>/assign",
    methods=["POST"],
)
@roles_required(*TEAM_ROLES)
def assign(period_id: int, objection_id: int) -> str | Response | tuple[str, int]:
    """Give the objection to a team member to review."""
    period = _period(period_id)
    objection = _objection(period, objection_id)
    form = AssignForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with (
            field_errors(form, messages=FIELD_MESSAGES) as attempt,
            unit_of_work(current_user.id) as session,
        ):
            service.assign_objection(
                session, objection=objection, assignee_id=form.assignee_id.data
            )
    except service.PublicationRefusedError as error:
        flash(refusal_message(error), "error")
    else:
        if not attempt.saved:
            return _objection_page(period, objection, assign_form=form), 400
        flash(_("Objection #%(id)s assigned.", id=objection.id), "success")
    return redirect(url_for(".objection", period_id=period.id, objection_id=objection.id))


def _correction(form: DecideForm) -> service.Correction | None:
    kind = form.correction.data or ""
    if not kind:
        return None
    event_id = form.event_id.data
    return service.Correction(
        kind=kind,
        indicator_code=form.indicator_code.data or "",
        actual=form.actual.data,
        source=form.source.data or "",
        points=form.points.data,
        occurred_on=form.occurred_on.data,
        event_id=int(event_id) if event_id and str(event_id).isdigit() else None,
    )


@bp.route(
    "/admin/periods/<int:period_id>/notice/objections/<int:objection_id>/decide",
    methods=["POST"],
)
@roles_required(*TEAM_ROLES)
def decide(period_id: int, objection_id: int) -> str | Response | tuple[str, int]:
    """Decide with a written reason; a correction recomputes the results (one transaction)."""
    period = _period(period_id)
    objection = _objection(period, objection_id)
    form = DecideForm()
    if form.validate_on_submit():
        reason = (form.reason.data or "").strip()
        try:
            with (
                field_errors(form, messages=FIELD_MESSAGES) as attempt,
                unit_of_work(
                    current_user.id, reason=f"objection #{objection.id}: {reason}"
                ) as session,
            ):
                service.decide_objection(
                    session,
                    objection=objection,
                    outcome=form.outcome.data,
                    reason=reason,
                    correction=_correction(form),
                    actor_id=current_user.id,
                    now=utcnow(),
                    surveys=find_survey_source(),
                    resamples=int(current_app.config.get("RESULTS_RESAMPLES", DEFAULT_RESAMPLES)),
                    today=local_today(),
                )
                new_version = objection.new_version_number
        except service.PublicationRefusedError as error:
            flash(refusal_message(error), "error")
            return redirect(url_for(".objection", period_id=period.id, objection_id=objection.id))
        except IncompleteInputsError as error:
            form.correction.errors = [
                _(
                    "The results cannot be recomputed: %(num)s inputs are missing without a "
                    "decision. Record the decisions on the results page first.",
                    num=len(error.missing),
                )
            ]
        except (ResultsRefusedError, AssessmentError) as error:
            logger.warning("objection %s not decided: %s", objection.id, error)
            form.correction.errors = [
                _("The results could not be recomputed: %(error)s", error=str(error))
            ]
        else:
            if attempt.saved:
                if new_version is not None:
                    flash(
                        _(
                            "Objection #%(id)s decided; the results were recomputed as version "
                            "%(number)s.",
                            id=objection.id,
                            number=new_version,
                        ),
                        "success",
                    )
                else:
                    flash(_("Objection #%(id)s decided.", id=objection.id), "success")
                return redirect(url_for(".show", period_id=period.id))
        # The failed unit of work rolled back: read the objection afresh.
        objection = _objection(period, objection_id)
    return _objection_page(period, objection, decide_form=form), 400


@bp.route("/admin/periods/<int:period_id>/notice/objections/<int:objection_id>/attachment")
@roles_required(*TEAM_ROLES)
def attachment(period_id: int, objection_id: int) -> Response:
    """Download the objection's attachment."""
    period = _period(period_id)
    objection = _objection(period, objection_id)
    record = objection.attachment
    if record is None:
        abort(404)
    return stored_file_download(db.session, record)


# ---------------------------------------------------------------------------
# the cadre's objection form
# ---------------------------------------------------------------------------


def _objecting_subject() -> int:
    """Whose result the logged-in cadre objects to: their own, or (``?subject=``) the
    result of a unit they hold a post in (issue 16); 404 for anyone else's."""
    subject = request.args.get("subject", type=int)
    if subject is None or subject == current_user.cadre_id:
        return int(current_user.cadre_id)
    if not unit_subjects.speaks_for(db.session, current_user, subject, local_today()):
        abort(404)
    return subject


def _own_result(period: Period, version: ResultVersion, subject_id: int) -> Mapping[str, Any]:
    """The subject's entry in the shown version (404 when not assessed)."""
    mine = str(subject_id)
    for cadre in payload_of(version)["result"]["cadres"]:
        if cadre["id"] == mine:
            return dict(cadre)
    abort(404)


def indicator_choices(version: ResultVersion, post: str) -> list[tuple[str, str]]:
    """The result as a whole, then every indicator of the post's set."""
    pairs = [("", _("The result as a whole"))]
    rulebook = rulebook_of_version(version)
    try:
        indicators: Sequence[Any] = rulebook.indicator_set(post).indicators
    except KeyError:
        indicators = ()
    pairs.extend((i.code, f"{i.code} {label(i.name)}") for i in indicators)
    return pairs


@bp.route("/me/periods/<int:period_id>/objections/new", methods=["GET", "POST"])
@roles_required("cadre")
def new_objection(period_id: int) -> str | Response | tuple[str, int]:
    """A cadre objects to their own result on notice (``?indicator=CODE`` preselects)."""
    period = find_period(db.session, period_id)
    if period is None or current_user.cadre_id is None:
        abort(404)
    version = shown_version(period)
    if version is None:
        abort(404)
    subject_id = _objecting_subject()
    own = _own_result(period, version, subject_id)
    notice = service.find_notice(db.session, period)
    form = ObjectionForm()
    form.indicator.choices = choices(indicator_choices(version, own["post"]))
    form.attachment.description = attachment_hint()
    if request.method == "GET" and request.args.get("indicator"):
        form.indicator.data = request.args["indicator"]
    closed = closed_message(period, notice)
    unit_args: dict[str, Any] = (
        {"subject": subject_id} if subject_id != current_user.cadre_id else {}
    )
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                with unit_of_work(current_user.id, reason=_("objection filed")) as session:
                    filed = objections.file_with_attachment(
                        session,
                        period=period,
                        stored=store_attachment(session, form),
                        uploader_id=current_user.id,
                        config=current_app.config,
                        today=local_today(),
                        channel="cadre",
                        cadre_id=subject_id,
                        filed_by_id=current_user.id,
                        contact_name="",
                        contact="",
                        indicator_code=form.indicator.data or None,
                        reason=form.reason.data or "",
                    )
            except service.PublicationRefusedError as error:
                closed = refusal_message(error)
            except FieldError as error:
                field = "indicator" if error.field == "indicator_code" else error.field
                attach_error(form, FieldError(field, error.code, **error.params))
            else:
                flash(
                    _(
                        "Objection #%(id)s filed. The team decides it by %(date)s.",
                        id=filed.id,
                        date=format_date(filed.review_due_on),
                    ),
                    "success",
                )
                return redirect(url_for(".new_objection", period_id=period.id, **unit_args))
    page = _render(
        "new_objection.html",
        period=period,
        notice=notice,
        version=version,
        own=own,
        form=form,
        closed=closed,
        mine=service.list_objections(db.session, period.id, cadre_id=subject_id),
        unit_args=unit_args,
    )
    return page_with_status(page, status)
