"""Assessment periods: list, create, and move along the lifecycle."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
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
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.core.errors import LifecycleError
from assessment.core.lifecycle import next_state
from assessment.forms.base import (
    NOT_UNDERSTOOD,
    PeriodEditForm,
    PeriodForm,
    RatingDeadlineForm,
    TransitionForm,
    UnitGradesPeriodForm,
    choices,
)
from assessment.models import AuditEntry, Period
from assessment.models.periods import PARENT_KINDS, PERIOD_KINDS
from assessment.services import site_settings
from assessment.services.audit import SYSTEM_ACTOR
from assessment.services.periods import (
    PeriodData,
    advance_period,
    create_period,
    edit_period,
    list_calendar,
)
from assessment.services.queries import (
    NotFoundError,
    get_period,
    get_unit,
    list_audit_entries,
    list_periods,
    list_units,
)
from assessment.services.reminders import set_rating_deadline
from assessment.services.unit_grades import list_unit_grade_periods, set_unit_grades_period
from assessment.views.access import STAFF_ROLES, TEAM_ROLES, current_scope, roles_required
from assessment.views.form_errors import field_errors
from assessment.views.messages import (
    PERIOD_KIND_LABELS,
    PERIOD_SUBJECT_LABELS,
    STATE_LABELS,
    lifecycle_message,
)

bp = Blueprint("periods", __name__, url_prefix="/admin/periods")


def _period_or_404(period_id: int):  # type: ignore[no-untyped-def]
    try:
        return get_period(db.session, period_id, current_scope())
    except NotFoundError:
        abort(404)


@bp.route("/")
@roles_required(*STAFF_ROLES)
def index() -> str:
    """Periods in the reader's scope."""
    return render_template(
        "assessment/periods/index.html", periods=list_periods(db.session, current_scope())
    )


def _period_choices(form: PeriodEditForm, period: Period | None = None) -> None:
    """The kinds, and the annual and term periods in scope a sub-period may be part of."""
    form.kind.choices = choices((k, str(PERIOD_KIND_LABELS[k])) for k in PERIOD_KINDS)
    form.parent_id.choices = choices(
        [(0, "—")]
        + [
            (p.id, f"{p.name} ({p.starts_on.isoformat()} – {p.ends_on.isoformat()})")
            for p in list_periods(db.session, current_scope())
            if p.kind in PARENT_KINDS and (period is None or p.id != period.id)
        ]
    )


def _period_data(form: PeriodEditForm) -> PeriodData:
    parent = None
    if form.parent_id.data:
        try:
            parent = get_period(db.session, form.parent_id.data, current_scope())
        except NotFoundError:
            abort(404)
    return PeriodData(
        name=form.name.data or "",
        year=form.year.data,
        kind=form.kind.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        parent=parent,
    )


@bp.route("/calendar")
@roles_required(*STAFF_ROLES)
def calendar() -> str:
    """The periods of one year: annual and term periods with their sub-periods, and status."""
    year = request.args.get("year", type=int) or utcnow().year
    if not 2000 <= year <= 2100:
        abort(404)
    return render_template(
        "assessment/periods/calendar.html",
        year=year,
        entries=list_calendar(db.session, current_scope(), year),
        kind_labels=PERIOD_KIND_LABELS,
    )


@bp.route("/<int:period_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit(period_id: int) -> str | Response:
    """Change a draft period's name, kind, dates or parent."""
    period = _period_or_404(period_id)
    form = PeriodEditForm(obj=period if request.method == "GET" else None)
    if request.method == "GET":
        form.parent_id.data = period.parent_id or 0
    _period_choices(form, period)
    if form.validate_on_submit():
        with field_errors(form, flash_it=True) as attempt, unit_of_work(current_user.id):
            edit_period(db.session, period, _period_data(form))
        if attempt.saved:
            flash(_("Period saved."), "success")
            return redirect(url_for(".show", period_id=period.id))
    return render_template("assessment/periods/edit.html", form=form, period=period)


@bp.route("/new", methods=["GET", "POST"])
@roles_required("admin")
def new() -> str | Response:
    """Create a period over a township (or county) in scope."""
    form = PeriodForm()
    _period_choices(form)
    form.subjects.choices = choices((k, str(label)) for k, label in PERIOD_SUBJECT_LABELS.items())
    form.scope_unit_id.choices = choices(
        [
            (u.id, f"{u.name_zh} ({u.code})")
            for u in list_units(db.session, current_scope(), include_retired=False)
            if u.kind in {"county", "township", "street"}
        ]
    )
    if form.validate_on_submit():
        with field_errors(form, flash_it=True) as attempt, unit_of_work(current_user.id):
            data = _period_data(form)
            period = create_period(
                db.session,
                name=data.name,
                year=data.year,
                scope_unit=get_unit(db.session, form.scope_unit_id.data, current_scope()),
                min_group_size=site_settings.get_site_settings(
                    db.session, current_app.config
                ).min_group_size,
                kind=data.kind,
                starts_on=data.starts_on,
                ends_on=data.ends_on,
                parent=data.parent,
                subjects=form.subjects.data,
            )
        if attempt.saved:
            flash(_("Period created."), "success")
            return redirect(url_for(".show", period_id=period.id))
    return render_template("assessment/periods/new.html", form=form)


#: The period's fields as the history shows them (the audit log keeps every column).
PERIOD_FIELD_LABELS: dict[str, Any] = {
    "name": _l("Name"),
    "year": _l("Year"),
    "kind": _l("Kind of period"),
    "starts_on": _l("First day"),
    "ends_on": _l("Last day"),
    "parent_id": _l("Part of"),
    "subjects": _l("What is assessed"),
    "scope_unit_id": _l("Scope"),
    "status": _l("State"),
    "min_group_size": _l("Minimum group size"),
    "final_version_number": _l("Final version"),
    "finalised_at": _l("Finalised on"),
}
OPERATION_LABELS: dict[str, Any] = {
    "insert": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
}


def _history_value(key: str, value: Any, unit_names: dict[int, str]) -> str:
    """One stored value of a period in the reader's words (a state's label, a unit's name)."""
    if value is None or value == "":
        return "—"
    if key == "status":
        return str(STATE_LABELS.get(value, value))
    if key == "scope_unit_id":
        return unit_names.get(int(value), str(value))
    if key == "kind":
        return str(PERIOD_KIND_LABELS.get(value, value))
    if key == "finalised_at":
        try:
            return format_datetime(datetime.fromisoformat(str(value)), "short")
        except ValueError:
            return str(value)
    return str(value)


def _unit_names_in(entries: Sequence[AuditEntry]) -> dict[int, str]:
    """Names of the scope units the entries mention, by id."""
    ids = {
        int(document["scope_unit_id"])
        for entry in entries
        for document in (json.loads(entry.before or "null"), json.loads(entry.after or "null"))
        if isinstance(document, dict) and document.get("scope_unit_id") not in (None, "")
    }
    return {unit.id: unit.name_zh for unit in list_units(db.session, ids)} if ids else {}


def _history_rows(
    entries: Sequence[AuditEntry], unit_names: dict[int, str]
) -> list[dict[str, Any]]:
    """The audit entries of a period as what changed, in words instead of JSON."""
    rows = []
    for entry in entries:
        before = json.loads(entry.before or "null") or {}
        after = json.loads(entry.after or "null") or {}
        operation = entry.action.rpartition(".")[2]
        changes = []
        for key, label in PERIOD_FIELD_LABELS.items():
            old, new = before.get(key), after.get(key)
            if old == new or (operation == "insert" and new in (None, "")):
                continue
            changes.append(
                {
                    "field": str(label),
                    "before": (
                        None if operation == "insert" else _history_value(key, old, unit_names)
                    ),
                    "after": _history_value(key, new, unit_names),
                }
            )
        rows.append(
            {
                "at": entry.at,
                "actor": _("System") if entry.actor_name == SYSTEM_ACTOR else entry.actor_name,
                "operation": str(OPERATION_LABELS.get(operation, operation)),
                "changes": changes,
                "reason": entry.reason,
            }
        )
    return rows


@bp.route("/<int:period_id>")
@roles_required(*STAFF_ROLES)
def show(period_id: int) -> str:
    """One period: its state, the next step, and its history from the audit log."""
    period = _period_or_404(period_id)
    history, _total = list_audit_entries(
        db.session, object_type="period", object_id=str(period.id), per_page=100
    )
    return render_template(
        "assessment/periods/show.html",
        period=period,
        next_state=next_state(period.status),
        history=_history_rows(history, _unit_names_in(history)),
        form=TransitionForm(),
        deadline_form=RatingDeadlineForm(rating_deadline=period.rating_deadline),
        unit_grades_form=_unit_grades_form(period),
        state_labels=STATE_LABELS,
    )


def _unit_grades_form(period: Period) -> UnitGradesPeriodForm:
    form = UnitGradesPeriodForm(unit_grades_period=period.unit_grades_period_id or 0)
    form.unit_grades_period.choices = choices(
        [(0, _("None"))]
        + [
            (p.id, f"{p.name} · {p.scope_unit.name_zh}")
            for p in list_unit_grade_periods(db.session, period)
        ]
    )
    return form


@bp.route("/<int:period_id>/unit-grades-period", methods=["POST"])
@roles_required(*TEAM_ROLES)
def unit_grades_period(period_id: int) -> Response:
    """Name the final period whose results grade the units (audited)."""
    period = _period_or_404(period_id)
    form = UnitGradesPeriodForm()
    # any period id is accepted here: the service refuses a wrong one with its reason
    form.unit_grades_period.choices = None
    form.unit_grades_period.validate_choice = False
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.unit_grades_period.errors) or _("Invalid."), "error")
        return redirect(url_for(".show", period_id=period.id))
    chosen = form.unit_grades_period.data or None
    with field_errors(form, flash_it=True) as attempt, unit_of_work(current_user.id):
        set_unit_grades_period(db.session, period, chosen)
    if attempt.saved:
        flash(_("The period that grades the units is saved."), "success")
    return redirect(url_for(".show", period_id=period.id))


@bp.route("/<int:period_id>/transition", methods=["POST"])
@roles_required(*TEAM_ROLES)
def transition(period_id: int) -> Response:
    """Move the period to the state named in the form."""
    period = _period_or_404(period_id)
    form = TransitionForm()
    if not form.validate_on_submit():
        if form.understood.errors:
            flash(str(NOT_UNDERSTOOD), "error")
            return redirect(url_for(".show", period_id=period.id))
        abort(400)
    try:
        with unit_of_work(current_user.id):
            advance_period(db.session, period, form.target.data)
    except LifecycleError as error:
        flash(lifecycle_message(error), "error")
    else:
        flash(_("The period is now “%(state)s”.", state=STATE_LABELS[period.status]), "success")
    return redirect(url_for(".show", period_id=period.id))


@bp.route("/<int:period_id>/rating-deadline", methods=["POST"])
@roles_required(*TEAM_ROLES)
def rating_deadline(period_id: int) -> Response:
    """Set or clear the assessors' rating deadline (audited)."""
    period = _period_or_404(period_id)
    form = RatingDeadlineForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.rating_deadline.errors) or _("Invalid date."), "error")
        return redirect(url_for(".show", period_id=period.id))
    with field_errors(form, flash_it=True) as attempt, unit_of_work(current_user.id):
        set_rating_deadline(db.session, period, form.rating_deadline.data)
    if attempt.saved:
        flash(_("Rating deadline saved."), "success")
    return redirect(url_for(".show", period_id=period.id))
