"""The "assessment" blueprint, composed of one nested blueprint per area."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from assessment.app.extensions import login_manager
from assessment.views.messages import (
    PERIOD_KIND_LABELS,
    PERIOD_SUBJECT_LABELS,
    STATE_LABELS,
    version_reason,
)


def create_blueprint() -> Blueprint:
    from assessment.views import (
        accounts,
        audit,
        auth,
        county,
        imports,
        inputs,
        notice,
        org,
        overview,
        periods,
        portal,
        public,
        public_notice,
        records,
        reminders,
        results,
        rulebooks,
        settings,
        templates,
        unit_portal,
        unit_subjects,
    )

    login_manager.login_view = "assessment.auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"

    blueprint = Blueprint("assessment", __name__)

    @blueprint.app_context_processor
    def labels() -> dict[str, object]:
        return {
            "state_label": lambda code: STATE_LABELS.get(code, code),
            "period_kind_label": lambda code: PERIOD_KIND_LABELS.get(code, code),
            "period_subjects_label": lambda code: PERIOD_SUBJECT_LABELS.get(code, code),
            "version_reason": version_reason,
        }

    for area in (
        auth,
        org,
        imports,
        accounts,
        periods,
        audit,
        rulebooks,
        public,
        inputs,
        results,
        notice,
        public_notice,
        portal,
        overview,
        county,
        settings,
        reminders,
        records,
        unit_portal,
        unit_subjects,
        templates,
    ):
        blueprint.register_blueprint(area.bp)
    return blueprint
