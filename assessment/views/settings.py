"""The administrators' settings page: holidays, notice lengths, site address, group size."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work
from assessment.forms.base import SiteSettingsForm
from assessment.services import site_settings
from assessment.services.holiday_calendar import statutory_days
from assessment.views.access import roles_required
from assessment.views.form_errors import field_errors
from assessment.views.notice import local_today

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")


def _lines(days: tuple[date, ...]) -> str:
    return "\n".join(day.isoformat() for day in days)


def _form_data(settings: site_settings.SiteSettings) -> dict[str, object]:
    return {
        "notice_working_days": settings.notice_working_days,
        "review_working_days": settings.review_working_days,
        "holidays_added": _lines(settings.holidays_added),
        "holidays_removed": _lines(settings.holidays_removed),
        "workdays_added": _lines(settings.workdays_added),
        "workdays_removed": _lines(settings.workdays_removed),
        "public_base_url": settings.public_base_url,
        "min_group_size": settings.min_group_size,
    }


def _from_form(form: SiteSettingsForm) -> site_settings.SiteSettings:
    dates = {
        name: site_settings.parse_date_lines(name, getattr(form, name).data or "")
        for name in site_settings.DATE_LISTS
    }
    return site_settings.SiteSettings(
        notice_working_days=form.notice_working_days.data,
        review_working_days=form.review_working_days.data,
        public_base_url=form.public_base_url.data or "",
        min_group_size=form.min_group_size.data,
        **dates,
    )


@bp.route("/", methods=["GET", "POST"])
@roles_required("admin")
def edit() -> str | Response | tuple[str, int]:
    """Show and change the township's settings (every change is in the audit log)."""
    config = current_app.config
    current = site_settings.get_site_settings(db.session, config)
    form = SiteSettingsForm(data=_form_data(current))
    status = 200
    if form.validate_on_submit():
        with (
            field_errors(form, flash_it=True) as attempt,
            unit_of_work(current_user.id, reason=_("settings changed")),
        ):
            site_settings.update_site_settings(db.session, settings=_from_form(form), config=config)
        if attempt.saved:
            flash(_("Settings saved."), "success")
            return redirect(url_for(".edit"))
        status = 400
    elif form.is_submitted():
        status = 400
    year = local_today().year
    statutory_holidays, statutory_workdays = statutory_days(
        str(config["HOLIDAY_CALENDAR"]), (year, year + 1)
    )
    page = render_template(
        "assessment/settings/edit.html",
        form=form,
        statutory_holidays=sorted(statutory_holidays),
        statutory_workdays=sorted(statutory_workdays),
        years=(year, year + 1),
        calendar_on=bool(config["HOLIDAY_CALENDAR"]),
    )
    return page, status
