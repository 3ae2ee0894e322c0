"""Copying a survey of an earlier period into a period, from the "new survey" page.

The team picks a survey and a period, reads what will be copied and what differs, and
confirms; the copy is one audited unit of work giving a draft survey.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.forms.base import CopyConfirmForm
from assessment.models import Period
from assessment.services.queries import NotFoundError as BaseNotFoundError
from assessment.services.queries import get_period, list_periods
from assessment.views.access import TEAM_ROLES, current_scope, roles_required
from assessment.views.form_errors import field_errors
from assessment.views.messages import copy_note_message
from surveys.forms import (
    QUESTION_KIND_LABELS,
    TARGET_KIND_LABELS,
    SurveyCopyChoiceForm,
    choices,
    field_message,
    state_message,
)
from surveys.models.surveys import Survey
from surveys.services import queries, reuse
from surveys.services.surveys import SurveyStateError

bp = Blueprint("survey_reuse", __name__, url_prefix="/admin/surveys")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def copy_choice_form(period_id: int | None = None) -> SurveyCopyChoiceForm | None:
    """The "copy from an earlier period" choice of the new-survey page (None: nothing to copy).

    Every survey the reader may see is offered; a survey of the chosen period itself or
    of a later year is refused, with a message, when the choice is sent.
    """
    scope = current_scope()
    surveys = queries.list_surveys(db.session, scope)
    if not surveys:
        return None
    # The prefix keeps the fields' ids apart from the new-survey form's on the same page.
    chosen = "copy-source_id" in request.args
    form = SurveyCopyChoiceForm(request.args if chosen else None, prefix="copy")
    form.source_id.choices = choices([(s.id, f"{s.title_zh} · {s.period.name}") for s in surveys])
    form.period_id.choices = choices(
        [(p.id, f"{p.name} ({p.year})") for p in list_periods(db.session, scope)]
    )
    if period_id is not None and form.period_id.data is None:
        form.period_id.data = period_id
    return form


def _source_and_period(source_id: int, period_id: int) -> tuple[Survey, Period]:
    scope = current_scope()
    try:
        return queries.get_survey(db.session, source_id, scope), get_period(
            db.session, period_id, scope
        )
    except (queries.NotFoundError, BaseNotFoundError):
        abort(404)


def _back_to_new(period_id: int, message: str) -> Response:
    flash(message, "error")
    return redirect(url_for("surveys.new", period_id=period_id))


@bp.route("/copy")
@roles_required(*TEAM_ROLES)
def choose() -> Response:
    """Where the choice of the new-survey page goes: on to the list of differences."""
    form = copy_choice_form()
    if form is None or not form.validate():
        errors = [e for field in (form or ()) for e in getattr(field, "errors", ())]
        flash(" ".join(str(e) for e in errors) or _("Choose a survey and a period."), "error")
        return redirect(url_for("surveys.new"))
    return redirect(
        url_for(".preview", source_id=form.source_id.data, period_id=form.period_id.data)
    )


@bp.route("/<int:source_id>/copy-to/<int:period_id>", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def preview(source_id: int, period_id: int) -> str | Response:
    """What copying the survey into the period keeps and what differs; POST copies it."""
    source, period = _source_and_period(source_id, period_id)
    today = utcnow().date()
    try:
        plan = reuse.plan_survey_copy(db.session, source=source, period=period, today=today)
    except SurveyStateError as error:
        return _back_to_new(period.id, state_message(error))
    form = CopyConfirmForm()
    if form.validate_on_submit():
        reason = _(
            "survey copied from %(title)s (%(period)s)",
            title=source.title_zh,
            period=source.period.name,
        )
        refusals = field_errors(form, describe=field_message, flash_it=True)
        try:
            with refusals as attempt, unit_of_work(current_user.id, reason=reason):
                survey = reuse.copy_survey(
                    db.session,
                    source=source,
                    period=period,
                    today=today,
                    fingerprint=form.fingerprint.data or "",
                )
                survey_id = survey.id
        except SurveyStateError as error:
            flash(state_message(error), "error")
            return redirect(url_for(".preview", source_id=source.id, period_id=period.id))
        if not attempt.saved:
            return redirect(url_for("surveys.new", period_id=period.id))
        flash(
            _(
                "Copied as a draft survey. No access code, response or receipt was copied: "
                "print new code slips before opening it."
            ),
            "success",
        )
        return redirect(url_for("surveys.show", survey_id=survey_id))
    form.fingerprint.data = plan.fingerprint
    units = {u.id: u for u in queries.respondent_units(db.session, period)}
    rating: dict[int, int] = {}
    for unit_id, _target in plan.assignments:
        rating[unit_id] = rating.get(unit_id, 0) + 1
    return render_template(
        "surveys/copy.html",
        plan=plan,
        form=form,
        notes=[copy_note_message(note) for note in plan.notes],
        rating=[(unit, rating[unit.id]) for unit in units.values() if unit.id in rating],
        kind_labels=QUESTION_KIND_LABELS,
        target_kind_labels=TARGET_KIND_LABELS,
    )
