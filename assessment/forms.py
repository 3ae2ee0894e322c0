"""WTForms for the staff pages. Shape checks only; business rules live in services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from assessment.core.errors import FieldError
from assessment.messages import field_error_message

CODE_PATTERN = Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Letters, digits, - and _ only."))


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32), CODE_PATTERN])
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=100)])
    parent_id = SelectField(_l("Parent unit"), coerce=int)
    households = IntegerField(_l("Households"), validators=[InputRequired(), NumberRange(min=0)])
    population = IntegerField(_l("Population"), validators=[InputRequired(), NumberRange(min=0)])
    submit = SubmitField(_l("Save"))


class PostForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32), CODE_PATTERN])
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=100)])
    unit_level = SelectField(
        _l("Level"),
        choices=[
            SelectChoice("township", _l("Township post")),
            SelectChoice("village", _l("Village post")),
        ],
    )
    submit = SubmitField(_l("Save"))


class CadreForm(FlaskForm):
    code = StringField(
        _l("Personnel number"), validators=[DataRequired(), Length(max=32), CODE_PATTERN]
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    gender = SelectField(
        _l("Gender"),
        choices=[
            SelectChoice("", _l("Not given")),
            SelectChoice("M", _l("Male")),
            SelectChoice("F", _l("Female")),
        ],
    )
    birth_year = IntegerField(
        _l("Year of birth"), validators=[Optional(), NumberRange(min=1930, max=2010)]
    )
    submit = SubmitField(_l("Save"))


class AppointmentForm(FlaskForm):
    post_id = SelectField(_l("Post"), coerce=int)
    unit_id = SelectField(_l("Unit"), coerce=int)
    start_date = DateField(_l("Start date"), validators=[InputRequired()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    submit = SubmitField(_l("Appoint"))


class RetireForm(FlaskForm):
    on = DateField(_l("Date"), validators=[InputRequired()])
    submit = SubmitField(_l("Retire"))


class AccountForm(FlaskForm):
    username = StringField(
        _l("User name"), validators=[DataRequired(), Length(max=64), CODE_PATTERN]
    )
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"))
    scope_unit_ids = SelectMultipleField(_l("Units this account works on"), coerce=int)
    cadre_id = SelectField(_l("Linked cadre"), coerce=int)
    is_enabled = BooleanField(_l("Enabled"), default=True)
    password = PasswordField(
        _l("Password"),
        description=_l("At least 10 characters. Leave empty to keep the current password."),
        validators=[Optional(), Length(max=200)],
    )
    submit = SubmitField(_l("Save"))


class PeriodForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    scope_unit_id = SelectField(_l("Scope unit"), coerce=int)
    submit = SubmitField(_l("Create period"))


class TransitionForm(FlaskForm):
    target = StringField(validators=[DataRequired()])
    submit = SubmitField(_l("Move to the next step"))


class ImportForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet (.xlsx or .csv)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["xlsx", "csv"], _l("Only .xlsx and .csv files can be imported.")),
        ],
    )
    submit = SubmitField(_l("Check and import"))


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs (WTForms 3.3 deprecates bare tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def show_field_error(form: FlaskForm, error: FieldError) -> str:
    """Attach a service error to its form field; return the message for a flash otherwise."""
    message = field_error_message(error)
    field = getattr(form, error.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors), message]
    return message
