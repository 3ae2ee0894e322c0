"""The unit's page for the people who hold posts in it (issue 16).

An account of the ``cadre`` role whose cadre holds a current appointment (any post) in
a unit sees the unit's public result in every unit period that assesses it, explained
point by point on the cadre portal's page (:func:`assessment.views.portal.result_page`),
and may object to it during the notice on the one objection form
(``assessment.notice.new_objection`` with ``?subject=``). A unit the reader holds no
post in, a period that does not assess units or whose results are not public, is 404.
Nothing here writes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from assessment.app.db import db
from assessment.models import Period
from assessment.services import publication, unit_subjects
from assessment.services.queries import find_period
from assessment.services.results import get_version, result_of_version, rulebook_of_version
from assessment.views.access import roles_required
from assessment.views.messages import rulebook_label
from assessment.views.notice import local_today, shown_version
from assessment.views.portal import PUBLIC_STATES, PortalLinks, objection_page, result_page

bp = Blueprint("unit_portal", __name__, url_prefix="/me/units")

TITLE = _l("My unit's assessment")


def _links(subject_id: int) -> PortalLinks:
    return PortalLinks(
        endpoint="assessment.unit_portal",
        args={"subject_id": subject_id},
        unit=True,
        title=TITLE,
    )


def _unit_period(period_id: int, subject_id: int) -> Period:
    """A public unit period and a unit the reader holds a post in today (else 404)."""
    period = find_period(db.session, period_id)
    if (
        period is None
        or period.status not in PUBLIC_STATES
        or not unit_subjects.is_unit_period(period)
        or not unit_subjects.speaks_for(db.session, current_user, subject_id, local_today())
    ):
        abort(404)
    return period


@bp.route("/")
@roles_required("cadre")
def index() -> str:
    """The public results of the units the reader holds a post in, newest period first."""
    rows: list[dict[str, Any]] = []
    for entry in unit_subjects.list_unit_periods(
        db.session, current_user, local_today(), PUBLIC_STATES
    ):
        version = shown_version(entry.period)
        if version is None:
            continue
        try:
            own = result_of_version(version).cadre(str(entry.subject_id))
        except KeyError:
            continue
        rulebook = rulebook_of_version(version)
        grades = {g.code: rulebook_label(g.name) for g in rulebook.grading.grades}
        rows.append(
            {
                "period": entry.period,
                "unit": entry.unit,
                "subject_id": entry.subject_id,
                "total": own.total,
                "grade": grades.get(own.grade, own.grade),
                "rank": own.rank,
            }
        )
    return render_template("assessment/portal/units.html", rows=rows, title=TITLE)


@bp.route("/periods/<int:period_id>/subjects/<int:subject_id>")
@roles_required("cadre")
def period(period_id: int, subject_id: int) -> str:
    """The unit's result in the period, every point explained."""
    found = _unit_period(period_id, subject_id)
    version = shown_version(found)
    if version is None:
        abort(404)
    return result_page(found, version, latest=True, subject_id=subject_id, links=_links(subject_id))


@bp.route("/periods/<int:period_id>/subjects/<int:subject_id>/versions/<int:number>")
@roles_required("cadre")
def version(period_id: int, subject_id: int, number: int) -> str:
    """An earlier public version of the unit's result (replaced after an objection)."""
    found = _unit_period(period_id, subject_id)
    shown = {v.number for v in publication.list_shown_versions(db.session, found)}
    if number not in shown:
        abort(404)
    stored = get_version(db.session, found.id, number)
    current = publication.shown_version_number(db.session, found)
    return result_page(
        found, stored, latest=number == current, subject_id=subject_id, links=_links(subject_id)
    )


@bp.route("/periods/<int:period_id>/subjects/<int:subject_id>/objections/<int:objection_id>")
@roles_required("cadre")
def objection(period_id: int, subject_id: int, objection_id: int) -> str:
    """An objection about the unit's result and the team's written answer."""
    found = _unit_period(period_id, subject_id)
    return objection_page(found, objection_id, subject_id=subject_id, links=_links(subject_id))
