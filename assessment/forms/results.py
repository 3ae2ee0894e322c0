"""The forms of the results pages (assessment/views/results.py). Shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from assessment.forms.base import BaseForm, BaseSubform, choices, understood_field
from assessment.services.results import MAX_REASON
from assessment.views.messages import DECISION_LABELS


class ComputeForm(BaseForm):
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Required once the results have been computed: why a new version?"),
        validators=[Optional(), Length(max=MAX_REASON)],
    )
    understood = understood_field()
    submit = SubmitField(_l("Compute the results"))


class DecisionForm(BaseForm):
    """One decision and one reason for every missing input ticked (``cadre_id/code``)."""

    items = SelectMultipleField(_l("Missing inputs"), validate_choice=False)
    kind = SelectField(
        _l("Decision"), choices=choices(DECISION_LABELS.items()), validate_choice=True
    )
    # Required, but refused by the service with the page's own message (nothing saved).
    reason = TextAreaField(
        _l("Reason"),
        description=_l("One reason for every input ticked, e.g. “no survey in this village”."),
        validators=[Optional(), Length(max=MAX_REASON)],
    )
    submit = SubmitField(_l("Record this decision for the inputs ticked"))


class MissingFilterForm(BaseSubform):
    """GET form narrowing the list of missing inputs (no CSRF: it changes nothing)."""

    missing = SelectField(_l("What is missing"), validate_choice=False)
    indicator = SelectField(_l("Indicator"), validate_choice=False)
    unit = SelectField(_l("Unit"), validate_choice=False)
    post = SelectField(_l("Post"), validate_choice=False)
    cadre = SelectField(_l("Cadre"), validate_choice=False)


class WhatIfForm(BaseSubform):
    """GET form: one indicator weight or one grade minimum (no CSRF: it changes nothing)."""

    indicator = SelectField(_l("Indicator"), validate_choice=False)
    weight = StringField(_l("New weight"))
    grade = SelectField(_l("Grade"), validate_choice=False)
    minimum = StringField(_l("New minimum score"))
