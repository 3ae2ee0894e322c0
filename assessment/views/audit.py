"""Browse and filter the audit log."""

from __future__ import annotations

import json

from flask import Blueprint, render_template, request

from assessment.app.db import db
from assessment.models import AuditEntry
from assessment.services.audit import verify_audit_chain
from assessment.services.queries import find_period, list_audit_entries
from assessment.views.access import roles_required

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
PER_PAGE = 50


@bp.route("/")
@roles_required("admin")
def index() -> str:
    """The log, newest first, filtered by actor, action and object."""
    filters = {
        key: request.args.get(key, "").strip()[:64]
        for key in ("actor", "action", "object_type", "object_id")
    }
    page = request.args.get("page", 1, type=int) or 1
    page = max(page, 1)
    entries, total = list_audit_entries(db.session, **filters, page=page, per_page=PER_PAGE)
    sealed = {entry.seq for entry in entries if _is_secret_rating(entry)}
    return render_template(
        "assessment/audit/index.html",
        entries=entries,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        filters=filters,
        sealed=sealed,
        verification=verify_audit_chain(db.session) if request.args.get("verify") else None,
    )


# Ratings are secret from other assessors until results are computed (DESIGN section 2);
# an administrator may also be an assessor, so the log must not show them earlier.
SECRET_UNTIL_COMPUTED = frozenset({"rating"})
OPEN_STATES = frozenset({"computed", "notice", "final"})


def _is_secret_rating(entry: AuditEntry) -> bool:
    if entry.object_type not in SECRET_UNTIL_COMPUTED:
        return False
    values = json.loads(entry.after) or json.loads(entry.before)
    period = find_period(db.session, values.get("period_id") or 0)
    return period is None or period.status not in OPEN_STATES
