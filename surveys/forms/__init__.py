"""Survey forms: staff builder forms, resident code entry, and the response form
built from a survey's items (one field per item, named ``q_<question code>`` or
``q_<question code>__<target code>``). Shape checks only; rules live in services.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from assessment.core.errors import FieldError
from assessment.forms.base import BaseForm, BaseSubform
from assessment.views.messages import BALLOT_GRADE_LABELS, VOTER_GROUP_LABELS
from surveys.services import paper
from surveys.services.queries import DONT_KNOW, ResidentItem
from surveys.services.surveys import MAX_TEXT_LENGTH, SurveyError

# ---------------------------------------------------------------------------
# labels and messages
# ---------------------------------------------------------------------------

QUESTION_KIND_LABELS: dict[str, Any] = {
    "likert": _l("Likert scale (satisfaction)"),
    "scale10": _l("0–10 scale"),
    "ballot": _l("Grade ballot (excellent / competent / basically competent / incompetent)"),
    "choice": _l("Single choice (e.g. village, age band)"),
    "text": _l("Free text"),
}

TARGET_KIND_LABELS: dict[str, Any] = {
    "cadre": _l("Cadre"),
    "unit": _l("Unit"),
    "service": _l("Public service"),
}

SURVEY_STATUS_LABELS: dict[str, Any] = {
    "draft": _l("Draft"),
    "open": _l("Open"),
    "closed": _l("Closed"),
}

LIKERT5_LABELS: tuple[Any, ...] = (
    _l("Very dissatisfied"),
    _l("Dissatisfied"),
    _l("Neither satisfied nor dissatisfied"),
    _l("Satisfied"),
    _l("Very satisfied"),
)

BALLOT_LABELS: dict[str, Any] = {**BALLOT_GRADE_LABELS, "abstain": _l("Abstain")}


SURVEY_FIELD_MESSAGES: dict[str, Any] = {
    "required": _l("This field is required."),
    "too_long": _l("At most %(max)s characters."),
    "period_final": _l("This period is final; no new survey can be added to it."),
    "unknown_target_kind": _l("Unknown kind of target %(kind)s."),
    "target_exists": _l("This is already a target of the survey."),
    "no_current_post": _l("%(name)s holds no post today, so there is no post to name."),
    "points_out_of_range": _l("A Likert scale has between %(min)s and %(max)s points."),
    "ballot_grades": _l(
        "A grade ballot has exactly the grades excellent, competent, basic and incompetent."
    ),
    "ballot_value_range": _l("The value of grade %(grade)s must be between 0 and 100."),
    "too_few_options": _l("Give at least %(min)s options, one per line."),
    "bad_option_code": _l(
        "Line %(line)s: the option code “%(code)s” must be 1–32 small letters, digits or “-”."
    ),
    "duplicate_option": _l("Line %(line)s: the option code %(code)s is used twice."),
    "option_without_label": _l("Line %(line)s: the option has no Chinese wording."),
    "option_line": _l("Line %(line)s: write “code | Chinese | English”."),
    "unknown_question_kind": _l("Unknown kind of question %(kind)s."),
    "bad_question_code": _l("The code “%(code)s” must be 1–32 small letters, digits or “-”."),
    "duplicate_question_code": _l("The code %(code)s is already used by another question."),
    "unknown_target": _l("Unknown target."),
    "not_a_respondent_unit": _l("Codes are issued to the villages and communities of the period."),
    "batch_size": _l("Between %(min)s and %(max)s codes per batch."),
    "unknown_item": _l("The form has an unknown question; reload the page."),
    "not_a_choice": _l("Choose one of the answers shown."),
    "nothing_answered": _l("Answer at least one question before submitting."),
    "bad_survey_code": _l("The code “%(code)s” must be 1–32 small letters, digits or “-”."),
    "survey_code_taken": _l("Another survey of this period already has the code %(code)s."),
    "voter_group_name_required": _l("The township's own voter group %(code)s needs a name."),
    "unknown_voter_group": _l(
        "Unknown voter group “%(code)s”: choose a listed group or the survey's own."
    ),
    "unit_has_other_group": _l(
        "This unit's earlier batches are for the voter group %(code)s; one unit's batches "
        "in a survey share one group (an online answer shows only its unit)."
    ),
}

SURVEY_STATE_MESSAGES: dict[str, Any] = {
    "not_draft": _l("Only a draft survey can be changed; this one is open or closed."),
    "not_open": _l("Only an open survey can be closed."),
    "no_targets": _l("Add at least one target (a cadre, a unit or a service) first."),
    "no_rated_questions": _l(
        "Add at least one rated question (Likert, 0–10 or grade ballot) first."
    ),
    "no_assignments": _l("Choose which units' residents rate which targets first."),
    "period_final": _l("The period is final."),
    "closed": _l("The survey is closed."),
    "already_revoked": _l("This batch is already revoked."),
    "no_short_id": _l("Could not draw a free short id; try again."),
    "copy_same_period": _l(
        "This survey already belongs to the chosen period: choose a survey of an earlier period."
    ),
    "copy_from_later": _l(
        "That survey belongs to a later year (%(year)s): choose a survey of an earlier period."
    ),
    "copy_stale": _l(
        "The survey or the roster changed since the list of differences was shown; "
        "nothing was copied. Read the new list and confirm again."
    ),
}

CODE_MESSAGES: dict[str, Any] = {
    "malformed_code": _l(
        "This is not a valid access code: check each character against your slip "
        "(codes have 11 characters and never contain 0, O, 1, I or L)."
    ),
    "unknown_code": _l("This access code is not known. Check it against your slip."),
    "used_code": _l(
        "This access code has already been used. If you did not use it, tell the survey "
        "team: someone else may have answered with your code."
    ),
    "revoked_code": _l("This access code was withdrawn. Ask the survey team for a new slip."),
    "survey_draft": _l("This survey has not opened yet."),
    "survey_closed": _l("This survey is closed; no more answers are taken."),
    "submission_conflict": _l(
        "These answers were already submitted with different content from this form. "
        "Your first submission counts; nothing was changed."
    ),
    "expired": _l("The form expired. Enter your access code again."),
}


def field_message(error: FieldError) -> str:
    template = SURVEY_FIELD_MESSAGES.get(error.code)
    if template is None:
        return str(gettext("Invalid value (%(code)s).", code=error.code))
    return str(template) % error.params


def state_message(error: SurveyError) -> str:
    template = SURVEY_STATE_MESSAGES.get(error.code) or CODE_MESSAGES.get(error.code)
    if template is None:
        return str(gettext("Invalid value (%(code)s).", code=error.code))
    return str(template) % error.params


def code_message(code: str) -> str:
    return str(CODE_MESSAGES.get(code, CODE_MESSAGES["unknown_code"]))


def choices(pairs: Sequence[tuple[Any, Any]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


# ---------------------------------------------------------------------------
# staff forms
# ---------------------------------------------------------------------------


class SurveyForm(BaseForm):
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    intro_zh = TextAreaField(
        _l("Introduction for residents (Chinese)"), validators=[Optional(), Length(max=4000)]
    )
    intro_en = TextAreaField(
        _l("Introduction for residents (English)"), validators=[Optional(), Length(max=4000)]
    )
    one_per_screen = BooleanField(_l("One question per screen"))
    code = StringField(
        _l("Survey code (named by the rulebook's indicators; optional)"),
        validators=[Optional(), Length(max=32)],
    )
    voter_group = SelectField(
        _l("Voter group"),
        choices=[
            *(SelectChoice(code, label) for code, label in VOTER_GROUP_LABELS.items()),
            SelectChoice("", _l("The township's own group (code and name below)")),
        ],
        default="public",
        validate_choice=False,
    )
    own_group_code = StringField(
        _l("Code of the township's own voter group"), validators=[Optional(), Length(max=32)]
    )
    voter_group_name = StringField(
        _l("Name of the township's own voter group"), validators=[Optional(), Length(max=100)]
    )
    submit = SubmitField(_l("Save"))


def survey_form_of(survey: Any) -> SurveyForm:
    """The wording form of a draft survey, a township's own voter group in its own fields."""
    form = SurveyForm(prefix="survey", obj=survey)
    if survey.voter_group not in VOTER_GROUP_LABELS and not form.is_submitted():
        form.voter_group.data = ""
        form.own_group_code.data = survey.voter_group
    return form


class NewSurveyForm(SurveyForm):
    period_id = SelectField(_l("Period"), coerce=int)


class TargetForm(BaseForm):
    kind = SelectField(
        _l("Kind of target"),
        choices=[SelectChoice(k, v) for k, v in TARGET_KIND_LABELS.items()],
    )
    cadre_id = SelectField(_l("Cadre"), coerce=int, validators=[Optional()])
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[Optional()])
    label_zh = StringField(
        _l("Wording (Chinese)"),
        description=_l("Leave empty for cadres and units: the name and post are used."),
        validators=[Optional(), Length(max=200)],
    )
    label_en = StringField(_l("Wording (English)"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Add target"))


class QuestionForm(BaseForm):
    code = StringField(
        _l("Code"),
        description=_l("Small letters, digits and “-”, e.g. overall or age-band."),
        validators=[DataRequired(), Length(max=32)],
    )
    kind = SelectField(
        _l("Kind of question"),
        choices=[SelectChoice(k, v) for k, v in QUESTION_KIND_LABELS.items()],
    )
    text_zh = TextAreaField(_l("Question (Chinese)"), validators=[DataRequired(), Length(max=1000)])
    text_en = TextAreaField(_l("Question (English)"), validators=[Optional(), Length(max=1000)])
    points = IntegerField(
        _l("Points of the Likert scale"),
        default=5,
        validators=[Optional(), NumberRange(min=3, max=11)],
    )
    options = TextAreaField(
        _l("Options of a single choice"),
        description=_l("One per line: code | Chinese | English, e.g. 18-29 | 18–29岁 | 18–29"),
        validators=[Optional(), Length(max=8000)],
    )
    allow_abstain = BooleanField(_l("Grade ballot: allow abstaining"), default=True)
    submit = SubmitField(_l("Add question"))


class UnitTargetsForm(BaseForm):
    target_ids = SelectMultipleField(
        _l("Targets the residents of this unit rate"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    submit = SubmitField(_l("Save"))


class BatchForm(BaseForm):
    unit_id = SelectField(_l("Unit"), coerce=int)
    size = IntegerField(
        _l("Number of codes"),
        description=_l("Usually one per household."),
        validators=[InputRequired(), NumberRange(min=1, max=5000)],
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])
    voter_group = SelectField(
        _l("Voter group (测评主体) of the holders"),
        description=_l("Empty: the survey's own group."),
        validate_choice=False,
    )
    submit = SubmitField(_l("Generate and download the slips (PDF)"))


class RevokeForm(BaseForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Revoke the batch"))


class ActionForm(BaseForm):
    """A button that posts (CSRF token only)."""

    submit = SubmitField()


# ---------------------------------------------------------------------------
# resident forms
# ---------------------------------------------------------------------------


class CodeEntryForm(BaseForm):
    code = StringField(
        _l("Access code"),
        description=_l("11 characters, printed on your slip, e.g. ABCD-EFGH-JKS."),
        validators=[DataRequired(), Length(max=40)],
    )
    submit = SubmitField(_l("Start"))


class CodeCheckForm(BaseForm):
    code = StringField(_l("Access code"), validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Check"))


class ReceiptLookupForm(BaseForm):
    """ "Is my receipt counted?": posted, never in a URL (a receipt leads to a response)."""

    receipt = StringField(_l("Receipt"), validators=[DataRequired(), Length(max=20)])


#: The resident's "I don't know this one" (不了解), offered after the levels of a scored item.
DONT_KNOW_LABEL = _l("Don't know (I do not know them well enough to rate)")


def _option_labels(item: ResidentItem, language: str) -> list[SelectChoice]:
    levels = _level_labels(item, language)
    if item.dont_know:
        levels.append(SelectChoice(DONT_KNOW, DONT_KNOW_LABEL))
    return levels


def _level_labels(item: ResidentItem, language: str) -> list[SelectChoice]:
    if item.kind == "likert":
        if len(item.values) == 5:
            return [
                SelectChoice(v, f"{v} {label}")
                for v, label in zip(item.values, LIKERT5_LABELS, strict=True)
            ]
        last = item.values[-1]
        labels = {
            "1": gettext("1 (very dissatisfied)"),
            last: gettext("%(n)s (very satisfied)", n=last),
        }
        return [SelectChoice(v, labels.get(v, v)) for v in item.values]
    if item.kind == "scale10":
        labels = {"0": gettext("0 (very dissatisfied)"), "10": gettext("10 (very satisfied)")}
        return [SelectChoice(v, labels.get(v, v)) for v in item.values]
    if item.kind == "ballot":
        return [SelectChoice(v, BALLOT_LABELS[v]) for v in item.values]
    return [SelectChoice(code, zh if language == "zh" else en) for code, zh, en in item.options]


class ResponseFormBase(BaseForm):
    #: Encrypted (surveys.services.form_state): survey, code hash, unit, submission id, start time.
    entry = HiddenField()
    #: Encrypted answers of earlier screens (one question per screen) or of the review page.
    carried = HiddenField()
    step = HiddenField(default="0")


def build_response_form(items: Sequence[ResidentItem], language: str) -> type[ResponseFormBase]:
    """A form class with one field per item (all optional: a resident may skip), its
    labels in the current request's language."""

    class ResponseForm(ResponseFormBase):
        pass

    for item in items:
        if item.kind == "text":
            field: Any = TextAreaField(validators=[Optional(), Length(max=MAX_TEXT_LENGTH)])
        else:
            # Labels translated now: the class is kept per language (surveys.services.resident), and
            # a page of 20 rated items would otherwise look up a hundred labels each time.
            labels = [SelectChoice(c.value, str(c.label)) for c in _option_labels(item, language)]
            field = RadioField(choices=labels, validators=[Optional()])
        setattr(ResponseForm, item.field_name, field)
    return ResponseForm


class SurveyCopyChoiceForm(BaseSubform):
    """Which survey of an earlier period to copy, into which period (query string)."""

    source_id = SelectField(_l("Survey to copy"), coerce=int, validators=[InputRequired()])
    period_id = SelectField(_l("Into the period"), coerce=int, validators=[InputRequired()])
    submit = SubmitField(_l("Show what will be copied"))


# ---------------------------------------------------------------------------
# paper ballots
# ---------------------------------------------------------------------------


class BallotFormBase(BaseForm):
    serial = StringField(_l("Ballot serial"), validators=[Length(max=64)])
    batch = StringField(_l("Batch"), validators=[Length(max=64)])
    receipt = StringField(_l("Receipt code (from the slip)"), validators=[Length(max=32)])


def _ballot_hint(item: ResidentItem, language: str) -> str:
    bounds = paper.digit_range(item)
    if bounds is None:
        return str(gettext("Free text; leave blank if none."))
    if item.dont_know:
        return str(
            gettext(
                "%(low)s–%(high)s; %(dont_know)s: don't know; blank: no answer",
                low=bounds[0],
                high=bounds[1],
                dont_know=paper.DONT_KNOW_DIGITS,
            )
        )
    if item.kind in ("likert", "scale10"):
        return str(gettext("%(low)s–%(high)s; blank: no answer", low=bounds[0], high=bounds[1]))
    if item.kind == "ballot":
        names = [str(BALLOT_LABELS.get(v, v)) for v in item.values]
    else:
        names = [zh if language == "zh" else en for _code, zh, en in item.options]
    listed = ", ".join(f"{n} {name}" for n, name in enumerate(names, start=1))
    return str(gettext("%(options)s; blank: no answer", options=listed))


def build_ballot_form(items: tuple[ResidentItem, ...], language: str) -> type[BallotFormBase]:
    """A paper ballot's entry form: one text field per item, typed as the digits printed."""

    class BallotForm(BallotFormBase):
        pass

    for item in items:
        text = item.text_zh if language == "zh" else item.text_en
        target = item.target_label_zh if language == "zh" else item.target_label_en
        label = f"{target} · {text}" if target else text
        render_kw: dict[str, Any] = {"autocomplete": "off"}
        if item.kind != "text":
            render_kw.update(inputmode="numeric", pattern="[0-9]*", size="3")
        setattr(
            BallotForm,
            item.field_name,
            StringField(label, description=_ballot_hint(item, language), render_kw=render_kw),
        )
    return BallotForm


class DoubleEntryForm(BaseForm):
    double_entry = BooleanField(_l("Double entry: two different accounts type each ballot"))
    submit = SubmitField(_l("Save setting"))


class ExclusionForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Record decision"))


def build_adjudication_form(
    differing: Sequence[str],
    first: Mapping[str, str | None],
    second: Mapping[str, str | None],
    *,
    choose_message: str,
) -> type[BaseForm]:
    """A form with one choice per differing field: the first entry's value or the second's."""

    class AdjudicationForm(BaseForm):
        submit = SubmitField(_l("Store the ballot with these values"))

    blank = str(gettext("(blank)"))
    for name in differing:
        setattr(
            AdjudicationForm,
            f"pick_{name}",
            RadioField(
                name,
                choices=choices(
                    [("first", first.get(name) or blank), ("second", second.get(name) or blank)]
                ),
                validators=[DataRequired(message=choose_message)],
            ),
        )
    return AdjudicationForm


# ---------------------------------------------------------------------------
# comments
# ---------------------------------------------------------------------------


class ReviewForm(BaseForm):
    """The team approves or hides one free-text answer of a closed survey."""

    response_id = HiddenField(validators=[DataRequired(), Length(max=32)])
    item = HiddenField(validators=[DataRequired(), Length(max=80)])
    about_target_id = StringField(_l("About"), validators=[Optional()])
    # its length is checked by the service, whose message names the field
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional()])
    approve = SubmitField(_l("Approve"))
    hide = SubmitField(_l("Hide"))
