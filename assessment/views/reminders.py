"""My reminders (我的提醒): every logged-in account's list, and its count in the header."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.forms.base import BaseForm
from assessment.services import reminders as service
from assessment.views.reminder_texts import describe

bp = Blueprint("reminders", __name__, url_prefix="/admin/reminders")


@bp.app_context_processor
def unread_reminders() -> dict[str, Any]:
    """``unread_reminders()`` for the header: one count query, only when a page asks."""

    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        return service.count_unread(db.session, current_user.id)

    return {"unread_reminders": count}


@bp.route("/")
@login_required
def index() -> str:
    """The logged-in account's reminders, newest first."""
    reminders = service.list_reminders(db.session, current_user.id)
    return render_template(
        "assessment/reminders/index.html",
        items=[(reminder, describe(reminder)) for reminder in reminders],
        form=BaseForm(),
    )


@bp.route("/read", methods=["POST"])
@login_required
def mark_read() -> Response:
    """Mark every reminder of the logged-in account read."""
    if not BaseForm().validate_on_submit():
        abort(400)
    with unit_of_work(current_user.id):
        count = service.mark_all_read(db.session, current_user.id, now=utcnow())
    flash(_("Reminders marked read: %(num)s.", num=count), "success")
    return redirect(url_for(".index"))
