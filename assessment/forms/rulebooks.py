"""The forms of the rulebook editor (assessment/views/rulebooks.py).

Shape only; the rules live in assessment.core.rulebook.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from assessment.forms.base import CODE_PATTERN, BaseForm, BaseSubform, choices

_CODE = [DataRequired(), Length(max=32), CODE_PATTERN]
_NAME = [DataRequired(), Length(max=200)]
#: English is optional wherever Chinese is given: left empty, the Chinese is shown.
_NAME_EN = [Optional(), Length(max=200)]
_EN_HINT = _l("Optional: when empty, the Chinese is shown to English readers too.")


class ReasonForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for the new version"),
        description=_l("Required once the rules are published; shown on the public page."),
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField(_l("Start a draft"))


class ConfirmForm(BaseForm):
    submit = SubmitField(_l("Confirm"))


class GradeForm(BaseSubform):
    code = StringField(_l("Code"), validators=_CODE)
    name_zh = StringField(_l("Chinese name"), validators=_NAME)
    name_en = StringField(_l("English name"), description=_EN_HINT, validators=_NAME_EN)
    minimum = FloatField(_l("Minimum total"), validators=[InputRequired()])


class SettingsForm(BaseForm):
    title_zh = StringField(_l("Title (Chinese)"), validators=_NAME)
    title_en = StringField(_l("Title (English)"), description=_EN_HINT, validators=_NAME_EN)
    grades = FieldList(FormField(GradeForm), label=_l("Grades, best first"), min_entries=2)
    top_quota = FloatField(
        _l("Top-grade quota"),
        description=_l("Largest share of a post group that may get the top grade, e.g. 0.2."),
        validators=[InputRequired()],
    )
    trim_threshold = IntegerField(
        _l("Trimmed mean from this many ratings"),
        description=_l("From this many ratings on, the highest and the lowest are dropped."),
        validators=[InputRequired()],
    )
    post_stratification = BooleanField(_l("Weight survey responses by unit population"))
    places = IntegerField(
        _l("Decimals of published scores"),
        description=_l(
            "Points, panel values, satisfaction indices and totals are published with this "
            "many decimals (0-4, usually 2), and grades and ranks are decided on them."
        ),
        default=2,
        validators=[Optional()],
    )
    rounding = SelectField(
        _l("Rounding"),
        choices=choices(
            [
                ("half_up", _l("half up (四舍五入)")),
                ("half_even", _l("half to even (四舍六入五成双, GB/T 8170)")),
            ]
        ),
        default="half_up",
    )
    submit = SubmitField(_l("Save"))


class IndicatorSetForm(BaseForm):
    post = SelectField(_l("Post"), validators=[DataRequired()])
    bonus_cap = FloatField(
        _l("Bonus cap"),
        description=_l("Most bonus points counted in total; needed when there are bonus items."),
        validators=[Optional()],
    )
    penalty_cap = FloatField(
        _l("Penalty cap"),
        description=_l("Most penalty points deducted in total; needed when there are penalties."),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Save"))


class CategoryForm(BaseForm):
    code = StringField(_l("Code"), validators=_CODE)
    name_zh = StringField(_l("Chinese name"), validators=_NAME)
    name_en = StringField(_l("English name"), description=_EN_HINT, validators=_NAME_EN)
    weight = FloatField(
        _l("Weight"),
        description=_l("The category weights of a post add up to 100."),
        validators=[InputRequired()],
    )
    submit = SubmitField(_l("Save"))


_STEP = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*:\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_steps(text: str, key: str = "threshold") -> list[dict[str, float]]:
    """Read ``value:ratio; value:ratio`` (shape only; order is checked in core).

    ``key`` names the first number: ``threshold`` for steps, ``actual`` for breakpoints.
    """
    steps = []
    for part in re.split(r"[;；\n]", text):
        if not part.strip():
            continue
        match = _STEP.match(part.replace("：", ":"))
        if match is None:
            raise ValueError(part)
        steps.append({key: as_number(match[1]), "ratio": as_number(match[2])})
    return steps


def as_number(text: str) -> float:
    """A number typed in a form: an integer when it is whole (``"80.0"`` -> ``80``)."""
    value = float(text)
    return int(value) if value.is_integer() else value


class IndicatorForm(BaseForm):
    code = StringField(_l("Code"), validators=_CODE)
    name_zh = StringField(_l("Chinese name"), validators=_NAME)
    name_en = StringField(_l("English name"), description=_EN_HINT, validators=_NAME_EN)
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    category = SelectField(
        _l("Category"), validate_choice=False, description=_l("Weighted kinds only.")
    )
    weight = FloatField(
        _l("Weight"),
        description=_l("Points at full achievement; a category's indicators add up to its weight."),
        validators=[Optional()],
    )
    method = SelectField(_l("Method"), validate_choice=False, description=_l("Quantitative only."))
    direction = SelectField(
        _l("Direction"), validate_choice=False, description=_l("Quantitative only.")
    )
    baseline = FloatField(_l("Baseline"), validators=[Optional()])
    target = FloatField(_l("Target value"), validators=[Optional()])
    cap = FloatField(
        _l("Cap"),
        description=_l("Highest achievement ratio; 1 means no extra credit."),
        default=1.0,
        validators=[Optional()],
    )
    steps = StringField(
        _l("Steps"),
        description=_l("Threshold:ratio pairs from the easiest to the hardest, e.g. 60:0.6; 80:1"),
        validators=[Optional(), Length(max=1000)],
    )
    unacceptable = FloatField(
        _l("Unacceptable value"),
        description=_l("Efficacy coefficient only: at this value the score is 0.6 × the weight."),
        validators=[Optional()],
    )
    satisfactory = FloatField(
        _l("Satisfactory value"),
        description=_l("Efficacy coefficient only: at this value the score is the full weight."),
        validators=[Optional()],
    )
    floor = FloatField(
        _l("Lowest ratio"),
        description=_l(
            "Efficacy coefficient only: the ratio never falls below this; 0 by default."
        ),
        validators=[Optional()],
    )
    breakpoints = StringField(
        _l("Breakpoints"),
        description=_l(
            "Piecewise linear only: actual:ratio pairs from the worst value to the best, "
            "at least two, e.g. 60:0.6; 80:0.9; 100:1"
        ),
        validators=[Optional(), Length(max=1000)],
    )
    unit_zh = StringField(_l("Unit of the value (Chinese)"), validators=[Length(max=40)])
    unit_en = StringField(_l("Unit of the value (English)"), validators=[Length(max=40)])
    rubric = SelectField(_l("Rubric"), validate_choice=False, description=_l("Qualitative only."))
    subject = SelectField(
        _l("Residents rate"), validate_choice=False, description=_l("Survey only.")
    )
    caps_at = SelectField(
        _l("A triggered veto caps the grade at"),
        validate_choice=False,
        description=_l("Veto only."),
    )
    points = FloatField(
        _l("Points per event"), description=_l("Bonus and penalty only."), validators=[Optional()]
    )
    description_zh = TextAreaField(_l("Description (Chinese)"), validators=[Length(max=2000)])
    description_en = TextAreaField(
        _l("Description (English)"), description=_EN_HINT, validators=[Length(max=2000)]
    )
    submit = SubmitField(_l("Save"))

    def validate_steps(self, field: StringField) -> None:
        try:
            parse_steps(field.data or "")
        except ValueError:
            raise ValidationError(
                _("Write steps as threshold:ratio pairs separated by “;”, e.g. 60:0.6; 80:1")
            ) from None

    def validate_breakpoints(self, field: StringField) -> None:
        try:
            parse_steps(field.data or "", "actual")
        except ValueError:
            raise ValidationError(
                _(
                    "Write breakpoints as actual:ratio pairs separated by “;”, "
                    "e.g. 60:0.6; 80:0.9; 100:1"
                )
            ) from None


#: The indicator form's fields by the kinds that use them: a heading each without
#: JavaScript; with static/js/indicator_form.js only the chosen kind's groups show.
INDICATOR_FIELD_GROUPS: tuple[tuple[Any, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        _l("Weighted indicators (quantitative, qualitative, survey)"),
        ("quantitative", "qualitative", "survey"),
        ("category", "weight"),
    ),
    (
        _l("Quantitative indicators"),
        ("quantitative",),
        ("method", "direction", "baseline", "target", "cap", "steps", "unit_zh", "unit_en"),
    ),
    (_l("Qualitative indicators"), ("qualitative",), ("rubric",)),
    (_l("Resident satisfaction survey indicators"), ("survey",), ("subject",)),
    (_l("Veto items"), ("veto",), ("caps_at",)),
    (_l("Bonus and penalty items"), ("bonus", "penalty"), ("points",)),
)
#: Quantitative fields that only some methods use (the others ignore them).
METHOD_FIELDS: dict[str, tuple[str, ...]] = {
    "baseline": ("linear",),
    "target": ("linear", "ratio", "binary"),
    "cap": ("linear", "ratio", "steps"),
    "steps": ("steps",),
}


class LevelForm(BaseSubform):
    code = StringField(_l("Code"), validators=[Optional(), Length(max=32), CODE_PATTERN])
    name_zh = StringField(_l("Chinese name"), validators=[Length(max=200)])
    name_en = StringField(_l("English name"), validators=[Length(max=200)])
    value = FloatField(_l("Value (0-100)"), validators=[Optional()])
    description_zh = StringField(_l("Description (Chinese)"), validators=[Length(max=2000)])
    description_en = StringField(_l("Description (English)"), validators=[Length(max=2000)])


class RubricForm(BaseForm):
    code = StringField(_l("Code"), validators=_CODE)
    name_zh = StringField(_l("Chinese name"), validators=_NAME)
    name_en = StringField(_l("English name"), description=_EN_HINT, validators=_NAME_EN)
    levels = FieldList(
        FormField(LevelForm), label=_l("Levels, best first (empty rows are ignored)")
    )
    submit = SubmitField(_l("Save"))


class ImportForm(BaseForm):
    file = FileField(
        _l("Rulebook file (.yaml)"),
        validators=[FileAllowed(["yaml", "yml"], _l("Only .yaml files can be imported."))],
    )
    text = TextAreaField(_l("…or paste the YAML here"), validators=[Length(max=1024 * 1024)])
    reason = TextAreaField(
        _l("Reason for the new version"),
        description=_l("Required once the rules are published."),
        validators=[Optional(), Length(max=2000)],
    )
    submit = SubmitField(_l("Check and import"))
