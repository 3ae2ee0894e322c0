"""The forms of the county template pages (assessment/views/templates.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from assessment.forms.base import CODE_PATTERN, BaseForm


class TemplateForm(BaseForm):
    """A new county template (its first draft starts from the default settings)."""

    unit_id = SelectField(_l("County"), coerce=int)
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32), CODE_PATTERN])
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Create the template"))


class TemplateImportForm(BaseForm):
    """A template document (a rulebook plus its ``adoption`` section) as YAML."""

    file = FileField(
        _l("Template file (.yaml)"),
        validators=[FileAllowed(["yaml", "yml"], _l("Only .yaml files can be imported."))],
    )
    text = TextAreaField(_l("…or paste the YAML here"), validators=[Length(max=1024 * 1024)])
    submit = SubmitField(_l("Check and import"))


class AdoptForm(BaseForm):
    """Adopt a published county template as the period's rulebook draft."""

    version_id = SelectField(_l("County template"), coerce=int)
    reason = TextAreaField(
        _l("Reason for the new version"),
        description=_l("Required once the rules are published."),
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField(_l("Adopt this template"))
