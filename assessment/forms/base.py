"""WTForms for the staff pages. Shape checks only; business rules live in services."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from babel.support import NullTranslations, Translations
from flask import current_app
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from assessment.app.hygiene import unchecked
from assessment.core.errors import FieldError
from assessment.core.text import find_control_character
from assessment.services.spreadsheets import EXTENSIONS as SPREADSHEET_EXTENSIONS
from assessment.views.messages import field_error_message

CODE_PATTERN = Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Letters, digits, - and _ only."))


def control_character_message(field: Field, label: str) -> str:
    """The text rule's message for a field, naming it (shown beside it and in summaries)."""
    return str(
        gettext(
            "“%(field)s” contains an invisible control character (%(character)s) that cannot "
            "be saved; remove it (retype the text if need be).",
            field=field.label.text,
            character=label,
        )
    )


class _TextRule:
    """The text rule (:mod:`assessment.core.text`) on every field of a form.

    The form reads the request's parameters unchecked (the request-level backstop of
    :mod:`assessment.app.hygiene` would answer a bare 400) and puts the message beside
    the field instead. Text areas may hold tab and line breaks; other fields may not.
    """

    class Meta:
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            return unchecked(super().wrap_formdata(form, formdata))  # type: ignore[misc]

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)  # type: ignore[misc]
        for field in _own_fields(self):
            multiline = isinstance(field, TextAreaField)
            for value in field.raw_data or ():
                found = (
                    find_control_character(value, multiline=multiline)
                    if isinstance(value, str)
                    else None
                )
                if found is not None:
                    field.errors = [
                        *list(field.errors),
                        control_character_message(field, found.label),
                    ]
                    valid = False
                    break
        return valid


def _own_fields(form: Any) -> Iterator[Field]:
    """The fields of a form, list entries included; sub-forms check their own fields."""
    for field in form:
        if isinstance(field, FieldList):
            yield from _own_fields(field.entries)
        elif not isinstance(field, FormField):
            yield field


@functools.cache
def _wtforms_catalog(locale: str) -> NullTranslations:
    """WTForms' own messages in one language, read from disk once per process."""
    return Translations.load(messages_path(), [locale], domain="wtforms")


class BaseForm(_TextRule, FlaskForm):
    """The base of every form of the product: CSRF, and the text rule on every field."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            # Flask-WTF reads WTForms' catalog from disk on every request that builds a
            # form; the catalogs do not change while the process runs.
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return None
            return _wtforms_catalog(str(get_locale()))


class BaseSubform(_TextRule, Form):
    """The base of forms nested in another (``FormField``) or read from a query string."""


class LoginForm(BaseForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=200)]
    )
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least 10 characters."),
        validators=[DataRequired(), Length(max=200)],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two new passwords differ.")),
        ],
    )
    submit = SubmitField(_l("Change password"))


class UnitForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32), CODE_PATTERN])
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=100)])
    parent_id = SelectField(_l("Parent unit"), coerce=int)
    households = IntegerField(_l("Households"), validators=[InputRequired(), NumberRange(min=0)])
    population = IntegerField(_l("Population"), validators=[InputRequired(), NumberRange(min=0)])
    submit = SubmitField(_l("Save"))


class PostForm(BaseForm):
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


class CadreForm(BaseForm):
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


class AppointmentForm(BaseForm):
    post_id = SelectField(_l("Post"), coerce=int)
    unit_id = SelectField(_l("Unit"), coerce=int)
    start_date = DateField(_l("Start date"), validators=[InputRequired()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    submit = SubmitField(_l("Appoint"))


class RetireForm(BaseForm):
    on = DateField(_l("Date"), validators=[InputRequired()])
    submit = SubmitField(_l("Retire"))


class AccountForm(BaseForm):
    username = StringField(
        _l("User name"), validators=[DataRequired(), Length(max=64), CODE_PATTERN]
    )
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"))
    scope_unit_ids = SelectMultipleField(_l("Units this account works on"), coerce=int)
    cadre_id = SelectField(_l("Linked cadre"), coerce=int)
    email = StringField(
        _l("E-mail address"),
        description=_l("Optional: reminders are e-mailed here as well as shown in the app."),
        validators=[Optional(), Length(max=254)],
    )
    is_enabled = BooleanField(_l("Enabled"), default=True)
    password = PasswordField(
        _l("Password"),
        description=_l("At least 10 characters. Leave empty to keep the current password."),
        validators=[Optional(), Length(max=200)],
    )
    submit = SubmitField(_l("Save"))


class PeriodEditForm(BaseForm):
    """A period's name, kind, dates and parent (the edit page; the new page adds the scope)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    kind = SelectField(_l("Kind of period"), default="annual")
    starts_on = DateField(
        _l("First day"),
        description=_l("Leave empty for 1 January of the year."),
        validators=[Optional()],
    )
    ends_on = DateField(
        _l("Last day"),
        description=_l("Leave empty for 31 December of the year."),
        validators=[Optional()],
    )
    parent_id = SelectField(
        _l("Part of"),
        coerce=int,
        default=0,
        description=_l(
            "A month, quarter or half-year rolls up into an annual or term period "
            "of the same township, within its dates."
        ),
    )
    submit = SubmitField(_l("Save the period"))


class PeriodForm(PeriodEditForm):
    scope_unit_id = SelectField(_l("Scope unit"), coerce=int)
    subjects = SelectField(
        _l("What is assessed"),
        default="cadres",
        description=_l(
            "A unit period assesses the villages, communities, departments and the "
            "leadership team under the scope, never a person; fixed once created."
        ),
    )
    submit = SubmitField(_l("Create period"))


class RatingDeadlineForm(BaseForm):
    rating_deadline = DateField(
        _l("Rating deadline"),
        description=_l(
            "Last day for the assessors' ratings. From two working days before it, assessors "
            "with ratings missing are reminded. Leave empty for no deadline."
        ),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Save the deadline"))


class UnitGradesPeriodForm(BaseForm):
    """The final period whose results grade the units (0: none); choices set by the view."""

    unit_grades_period = SelectField(
        _l("Period that grades the units"),
        coerce=int,
        description=_l(
            "The rulebook's quota groups that depend on the unit's grade read each unit's "
            "grade from this period's final results. Only final periods of this scope or "
            "one enclosing it can be chosen."
        ),
    )
    submit = SubmitField(_l("Save the period that grades the units"))


#: Shown when the box before a step that cannot be undone was not ticked.
NOT_UNDERSTOOD = _l(
    "Tick “I understand that this cannot be undone” to go ahead: nothing was changed."
)


def understood_field() -> BooleanField:
    """The box ticked before a step that cannot be undone (the ``irreversible`` macro)."""
    return BooleanField(
        _l("I understand that this cannot be undone"),
        validators=[DataRequired(message=NOT_UNDERSTOOD)],
    )


class TransitionForm(BaseForm):
    target = StringField(validators=[DataRequired()])
    understood = understood_field()
    submit = SubmitField(_l("Move to the next step"))


class IrreversibleForm(BaseForm):
    """A step that cannot be undone (publish, open, close, finalise): the box confirms it."""

    understood = understood_field()


class ImportForm(BaseForm):
    file = FileField(
        _l("Spreadsheet (.xlsx, .xls, .ods or .csv)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(
                list(SPREADSHEET_EXTENSIONS),
                _l("Only .xlsx, .xls, .ods and .csv files can be imported."),
            ),
        ],
    )
    submit = SubmitField(_l("Check and import"))


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs (WTForms 3.3 deprecates bare tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def show_field_error(
    form: FlaskForm, error: FieldError, messages: Mapping[str, Any] | None = None
) -> str:
    """Attach a service error to its form field; return the message for a flash otherwise.

    ``messages`` are a page's own wordings of some codes (with ``%(param)s`` placeholders
    for the error's parameters); any other code reads as :func:`field_error_message`.
    """
    template = (messages or {}).get(error.code)
    if template is None:
        message = field_error_message(error)
    else:
        message = str(template) % {k: str(v) for k, v in error.params.items()}
    field = getattr(form, error.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*list(field.errors), message]
    return message


class SiteSettingsForm(BaseForm):
    """The settings page: what a township changes without touching the server's files."""

    notice_working_days = IntegerField(
        _l("Length of a public notice (working days)"), validators=[InputRequired()]
    )
    review_working_days = IntegerField(
        _l("Time to decide an objection (working days)"), validators=[InputRequired()]
    )
    holidays_added = TextAreaField(
        _l("Extra days off"),
        description=_l("One date per line, written as YYYY-MM-DD (for example a local holiday)."),
    )
    holidays_removed = TextAreaField(
        _l("Statutory days off that are worked here"),
        description=_l("One date per line, written as YYYY-MM-DD."),
    )
    workdays_added = TextAreaField(
        _l("Extra make-up working days"),
        description=_l("Weekend days that are worked; one date per line, written as YYYY-MM-DD."),
    )
    workdays_removed = TextAreaField(
        _l("Statutory make-up working days that are not worked here"),
        description=_l("One date per line, written as YYYY-MM-DD."),
    )
    public_base_url = StringField(
        _l("Site address printed in reports"),
        description=_l(
            "Used in the verification links and QR codes of the PDF reports, for example "
            "https://kaohe.example.gov.cn. Empty: the address the report was downloaded from."
        ),
        validators=[Length(max=200)],
    )
    min_group_size = IntegerField(
        _l("Smallest group of survey answers shown (new periods)"),
        validators=[InputRequired()],
    )
    submit = SubmitField(_l("Save settings"))


class RulebookCopyChoiceForm(BaseSubform):
    """Which earlier period's rulebook to copy (read from the query string)."""

    source_period_id = SelectField(
        _l("Copy the rulebook of an earlier period"), coerce=int, validators=[InputRequired()]
    )
    submit = SubmitField(_l("Show what will be copied"))


class CopyConfirmForm(BaseForm):
    """Confirms a copy from an earlier period as it was shown (rulebook or survey)."""

    #: Identifies the plan the page showed; the copy is refused if it changed since.
    fingerprint = HiddenField(validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Copy"))
