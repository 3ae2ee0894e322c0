"""The forms of a cadre's record: conversations, work reports and the consequence rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from assessment.forms.base import BaseForm


class ConversationForm(BaseForm):
    """A conversation with the cadre (谈话记录)."""

    held_on = DateField(_l("Date"), validators=[Optional()])
    participants = StringField(_l("Who took part"))
    topics = TextAreaField(_l("Topics"))
    summary = TextAreaField(_l("Summary"))
    submit = SubmitField(_l("Save the conversation"))


class WorkReportForm(BaseForm):
    """The cadre's work report (述职): text, a PDF, or both."""

    text = TextAreaField(_l("Work report"))
    report_file = FileField(_l("Or attach it as a PDF"))
    submit = SubmitField(_l("Submit the work report"))


class RulesForm(BaseForm):
    """The county's consequence rules."""

    reward_grade = SelectField(_l("Reward grade"), validate_choice=False)
    reward_years = IntegerField(_l("Consecutive years for a reward flag"), validators=[Optional()])
    incompetent_grade = SelectField(_l("Lowest grade"), validate_choice=False)
    incompetent_years = IntegerField(
        _l("Consecutive years in the lowest grade for a flag"), validators=[Optional()]
    )
    bar_grade = SelectField(_l("Grade that bars promotion in its year"), validate_choice=False)
    submit = SubmitField(_l("Save the rules"))
