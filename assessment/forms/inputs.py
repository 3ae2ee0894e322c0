"""The forms of the input pages (assessment/views/inputs.py).

Shape only; the rules live in the services and core.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from assessment.core.rulebook import Rulebook
from assessment.forms.base import BaseForm, choices
from assessment.services.inputs import MAX_SOURCE, MAX_TEXT
from assessment.views.messages import rulebook_label as _label


class ResultForm(BaseForm):
    actual = FloatField(_l("Actual value"), validators=[InputRequired()])
    source = StringField(
        _l("Source"),
        description=_l("Where the number comes from, e.g. the 2026 statistics report."),
        validators=[DataRequired(), Length(max=MAX_SOURCE)],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=MAX_TEXT)])
    evidence = FileField(_l("Evidence file"))
    confirm = BooleanField(_l("I confirm these values"))
    submit = SubmitField(_l("Save"))


class EventForm(BaseForm):
    indicator_code = SelectField(_l("Item"), validators=[DataRequired()])
    points = FloatField(
        _l("Points"),
        description=_l("Bonus and penalty items only: at most the points the rulebook sets."),
        validators=[Optional()],
    )
    occurred_on = DateField(_l("Date"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=MAX_TEXT)])
    evidence = FileField(_l("Evidence file"))
    submit = SubmitField(_l("Record"))


class ConflictForm(BaseForm):
    cadre_id = SelectField(_l("Cadre"), coerce=int)
    reason = TextAreaField(
        _l("Reason"),
        description=_l("For example: a relative, or a direct business relationship."),
        validators=[DataRequired(), Length(max=MAX_TEXT)],
    )
    submit = SubmitField(_l("Declare and stop rating this cadre"))


class ConfirmForm(BaseForm):
    submit = SubmitField(_l("Confirm"))


class GridForm(BaseForm):
    source = StringField(
        _l("Source"),
        description=_l("Where the values come from; given to every value changed on this page."),
        validators=[Optional(), Length(max=MAX_SOURCE)],
    )
    confirm = BooleanField(_l("I confirm these values"))
    submit = SubmitField(_l("Save the values"))


def rating_form(rulebook: Rulebook, indicators: Sequence[Any], mine: dict[str, str]) -> FlaskForm:
    """A form with one radio group per qualitative indicator (``level_<code>``)."""

    class RatingForm(BaseForm):
        submit = SubmitField(_l("Save my ratings"))

    for indicator in indicators:
        levels = rulebook.rubric(indicator.rubric or "").levels
        field = RadioField(
            f"{indicator.code} · {_label(indicator.name)}",
            choices=choices([(lv.code, f"{_label(lv.name)} ({lv.value:g})") for lv in levels]),
            validators=[Optional()],
            default=mine.get(indicator.code),
        )
        setattr(RatingForm, f"level_{indicator.code}", field)
    return RatingForm()
