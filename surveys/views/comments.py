"""Team review of residents' free-text comments: approve or hide each, after closing.

Pages under ``/admin/surveys/<id>/comments`` for the assessment team. Before the
survey closes they show nothing but the embargo (DESIGN section 5). A comment's unit,
and the targets its response rated, are named only when the unit sent at least the
period's minimum group size of responses (``surveys.services.comments``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.core.errors import FieldError
from assessment.services.results import account_names
from assessment.views.access import TEAM_ROLES, current_scope, roles_required
from surveys.forms import ReviewForm, field_message
from surveys.models.surveys import Survey
from surveys.services import comments as service
from surveys.services import queries
from surveys.services.surveys import SurveyError

bp = Blueprint("survey_comments", __name__, url_prefix="/admin/surveys/<int:survey_id>/comments")

COMMENT_MESSAGES: dict[str, Any] = {
    "unknown_action": _l("Choose “Approve” or “Hide”."),
    "unknown_comment": _l("This comment is not one of this survey's free-text answers."),
    "required": _l("Choose the target the comment is about before approving it."),
    "unknown_target": _l("The target the comment is about must be one of this survey's targets."),
    "too_long": _l("Reason: at most %(max)s characters."),
    "response_excluded": _l(
        "This response is excluded from the results; its comments cannot be approved."
    ),
    "comments_before_closing": _l("Comments are reviewed once the survey is closed."),
}
STATUS_LABELS: dict[str, Any] = {
    "pending": _l("Not reviewed"),
    "approved": _l("Approved"),
    "hidden": _l("Hidden"),
}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _message(error: FieldError | SurveyError) -> str:
    template = COMMENT_MESSAGES.get(error.code)
    if template is None:
        return field_message(error) if isinstance(error, FieldError) else str(error.code)
    return str(template) % error.params


def _survey_or_404(survey_id: int) -> Survey:
    try:
        return queries.get_survey(db.session, survey_id, current_scope())
    except queries.NotFoundError:
        abort(404)


def _filters(survey: Survey) -> tuple[str | None, int | None, list[str]]:
    """``status`` and ``about`` from the query string, with a message for a bad value."""
    problems = []
    status = request.args.get("status", "").strip() or None
    if status is not None and status not in service.STATUS_FILTERS:
        problems.append(_("Status: “%(value)s” is not a review status.", value=status))
        status = None
    raw = request.args.get("about", "").strip()
    about = None
    if raw:
        if raw.isdigit() and int(raw) in {t.id for t in survey.targets}:
            about = int(raw)
        else:
            problems.append(_("About: “%(value)s” is not a target of this survey.", value=raw))
    return status, about, problems


@bp.route("/")
@roles_required(*TEAM_ROLES)
def index(survey_id: int) -> tuple[str, int]:
    """The free-text comments of a closed survey, each with its review and a form."""
    survey = _survey_or_404(survey_id)
    min_group_size = survey.period.min_group_size
    if survey.status != "closed":
        return render_template("surveys/comments/embargo.html", survey=survey), 200
    status, about, problems = _filters(survey)
    listing = service.list_comments(
        db.session, survey, min_group_size=min_group_size, status=status, about=about
    )
    targets = {t.id: t for t in listing.targets}
    units = {u.id: u for u in queries.respondent_units(db.session, survey.period)}
    return render_template(
        "surveys/comments/index.html",
        survey=survey,
        listing=listing,
        targets=targets,
        units=units,
        status=status,
        about=about,
        problems=problems,
        status_labels=STATUS_LABELS,
        form=ReviewForm(),
        reviewers=_reviewer_names({c.reviewed_by for c in listing.comments}),
    ), (400 if problems else 200)


def _reviewer_names(ids: set[int | None]) -> dict[int, str]:
    names = account_names(db.session, [str(i) for i in ids if i is not None])
    return {int(k): v for k, v in names.items()}


@bp.route("/review", methods=["POST"])
@roles_required(*TEAM_ROLES)
def review(survey_id: int) -> Response:
    """Approve a comment about a target, or hide it, with an optional reason."""
    survey = _survey_or_404(survey_id)
    form = ReviewForm()
    back = url_for(
        ".index",
        survey_id=survey.id,
        status=request.args.get("status") or None,
        about=request.args.get("about") or None,
    )
    if not form.validate_on_submit():
        # only the hidden fields can fail here: a tampered or outdated form
        flash(_("The form could not be read; try again."), "error")
        return redirect(back)
    action = "approve" if form.approve.data else "hide" if form.hide.data else ""
    raw_target = (form.about_target_id.data or "").strip()
    if raw_target and not raw_target.isdigit():
        flash(str(COMMENT_MESSAGES["unknown_target"]), "error")
        return redirect(back)
    reason = (form.reason.data or "").strip()
    try:
        with unit_of_work(current_user.id, reason=reason or None):
            service.review_comment(
                db.session,
                survey,
                response_id=form.response_id.data,
                item=form.item.data,
                action=action,
                about_target_id=int(raw_target) if raw_target else None,
                reason=reason,
                reviewer_id=current_user.id,
                now=utcnow(),
            )
    except (FieldError, SurveyError) as error:
        flash(_message(error), "error")
    else:
        flash(_("Comment approved.") if action == "approve" else _("Comment hidden."), "success")
    return redirect(back)
