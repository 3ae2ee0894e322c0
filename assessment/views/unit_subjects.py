"""Which units a unit period assesses (issue 16): the team's list.

Before the rulebook is published the page previews, from the draft, which units of
the scope its indicator sets would make assessed subjects; once published it lists
the units the published rules assess (publication created their subjects).
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from assessment.app.db import db
from assessment.services import rulebooks, unit_subjects
from assessment.services.queries import NotFoundError, get_period
from assessment.views.access import STAFF_ROLES, current_scope, roles_required
from assessment.views.messages import UNIT_KIND_LABELS

bp = Blueprint("unit_subjects", __name__, url_prefix="/admin/periods")


@bp.route("/<int:period_id>/units")
@roles_required(*STAFF_ROLES)
def assessed(period_id: int) -> str:
    """The scope's units, the unit post of each kind, and whether the rules assess it."""
    try:
        period = get_period(db.session, period_id, current_scope())
    except NotFoundError:
        abort(404)
    if not unit_subjects.is_unit_period(period):
        abort(404)
    published = rulebooks.find_published(db.session, period.id)
    version = published or rulebooks.find_draft(db.session, period.id)
    document = rulebooks.document_of(version) if version is not None else None
    scope = current_scope()
    planned = [
        p for p in unit_subjects.plan_subjects(db.session, period, document) if p.unit.id in scope
    ]
    return render_template(
        "assessment/periods/units.html",
        period=period,
        planned=planned,
        published=published is not None,
        has_rules=version is not None,
        kind_labels=UNIT_KIND_LABELS,
    )
