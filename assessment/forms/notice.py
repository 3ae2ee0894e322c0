"""The forms of the public notice and the objections (assessment/views/notice.py and
assessment/views/public_notice.py), and the labels of their choices.

Shape only; the rules live in assessment.services.publication.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from assessment.forms.base import BaseForm, choices, understood_field
from assessment.services import publication as service

OUTCOME_LABELS: dict[str, Any] = {
    "upheld": _l("Upheld"),
    "partly_upheld": _l("Partly upheld"),
    "rejected": _l("Rejected"),
}
CORRECTION_LABELS: dict[str, Any] = {
    "": _l("No change to the inputs"),
    "actual": _l("Correct a quantitative actual value"),
    "add_event": _l("Record a bonus, penalty or veto event"),
    "remove_event": _l("Withdraw a recorded event"),
}


# forms (shape only)
# ---------------------------------------------------------------------------


class OpenNoticeForm(BaseForm):
    starts_on = DateField(_l("First day of the notice"), validators=[InputRequired()])
    working_days = IntegerField(
        _l("Length in working days"),
        validators=[InputRequired(), NumberRange(min=1, max=service.MAX_NOTICE_WORKING_DAYS)],
    )
    review_working_days = IntegerField(
        _l("Working days to decide each objection"),
        validators=[InputRequired(), NumberRange(min=1, max=service.MAX_NOTICE_WORKING_DAYS)],
    )
    instructions = TextAreaField(
        _l("How to object"),
        description=_l(
            "Shown on the public page: whom to contact, where to send objections in writing."
        ),
        validators=[Optional(), Length(max=service.MAX_INSTRUCTIONS)],
    )
    understood = understood_field()
    submit = SubmitField(_l("Open the public notice"))


class AssignForm(BaseForm):
    assignee_id = SelectField(_l("Reviewer"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Assign"))


class DecideForm(BaseForm):
    outcome = SelectField(
        _l("Outcome"), choices=choices(OUTCOME_LABELS.items()), validate_choice=False
    )
    reason = TextAreaField(
        _l("Written reason"),
        description=_l("Shown to the person who objected."),
        validators=[InputRequired(), Length(max=service.MAX_DECISION_REASON)],
    )
    correction = SelectField(
        _l("Change to the inputs"),
        choices=choices(CORRECTION_LABELS.items()),
        validate_choice=False,
    )
    indicator_code = SelectField(_l("Indicator"), validate_choice=False)
    actual = FloatField(_l("Corrected actual value"), validators=[Optional()])
    source = StringField(_l("Source of the corrected value"), validators=[Optional()])
    points = FloatField(_l("Points"), validators=[Optional()])
    occurred_on = DateField(_l("Date of the event"), validators=[Optional()])
    event_id = SelectField(_l("Event to withdraw"), validate_choice=False)
    submit = SubmitField(_l("Record the decision"))


class FinaliseForm(BaseForm):
    understood = understood_field()
    submit = SubmitField(_l("Finalise the results"))


class ObjectionForm(BaseForm):
    """A cadre's objection to their own result."""

    indicator = SelectField(_l("What you object to"), validate_choice=False)
    reason = TextAreaField(
        _l("Reason"),
        description=_l("What is wrong and why; the team answers in writing."),
        validators=[InputRequired(), Length(max=service.MAX_OBJECTION_REASON)],
    )
    attachment = FileField(_l("Attachment"))
    submit = SubmitField(_l("File the objection"))


class PublicObjectionForm(BaseForm):
    contact_name = StringField(
        _l("Your name"), validators=[InputRequired(), Length(max=service.MAX_CONTACT_NAME)]
    )
    contact = StringField(
        _l("Phone or address"),
        description=_l("So that the team can send you its answer; it is not published."),
        validators=[InputRequired(), Length(max=service.MAX_CONTACT)],
    )
    cadre_id = SelectField(_l("Cadre concerned"), validate_choice=False)
    reason = TextAreaField(
        _l("Your objection"), validators=[InputRequired(), Length(max=service.MAX_OBJECTION_REASON)]
    )
    attachment = FileField(_l("Attachment"))
    submit = SubmitField(_l("Send the objection"))
