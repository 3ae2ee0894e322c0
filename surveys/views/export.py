"""The team's download of a closed survey's answers (.xlsx, one row per response)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from assessment.app.db import db
from assessment.views.access import TEAM_ROLES, current_scope, roles_required
from assessment.views.downloads import Sheet, xlsx_download
from surveys.forms import BALLOT_LABELS, DONT_KNOW_LABEL
from surveys.models.surveys import Survey
from surveys.services import queries
from surveys.services.answers_export import AnswersTable, SurveyNotClosedError, answers_table
from surveys.services.queries import DONT_KNOW, ResidentItem

bp = Blueprint("survey_export", __name__, url_prefix="/admin/surveys/<int:survey_id>")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _chinese() -> bool:
    locale = get_locale()
    return locale is None or locale.language == "zh"


def _header(item: ResidentItem, chinese: bool) -> str:
    text = item.text_zh if chinese else (item.text_en or item.text_zh)
    target = item.target_label_zh if chinese else (item.target_label_en or item.target_label_zh)
    return f"{target} · {text}" if target else text


def _cell(item: ResidentItem, value: str | int | None, chinese: bool) -> str | int | None:
    if value == DONT_KNOW:
        return str(DONT_KNOW_LABEL)
    if value is None or item.kind in ("likert", "scale10"):
        return value
    if item.kind == "ballot":
        label = BALLOT_LABELS.get(str(value))
        return str(label) if label is not None else str(value)
    for code, zh, en in item.options:
        if code == value:
            return zh if chinese else (en or zh)
    return str(value)


def _sheets(survey: Survey, table: AnswersTable) -> list[Sheet]:
    chinese = _chinese()
    hidden = _("(fewer than %(num)s responses: not named)", num=table.min_group_size)
    answers = Sheet(
        _("Answers"),
        [_("Response"), _("Village or community"), _("Day"), _("Excluded by the team")]
        + [_header(item, chinese) for item in table.items],
    )
    for number, row in enumerate(table.rows, start=1):
        if row.unit_id is None:
            unit = hidden
        else:
            zh, en = table.unit_names.get(row.unit_id, (str(row.unit_id), ""))
            unit = zh if chinese else (en or zh)
        answers.rows.append(
            [
                f"R{number:05d}",
                unit,
                row.day,
                _("yes") if row.excluded else _("no"),
                *(_cell(item, row.values.get(item.key), chinese) for item in table.items),
            ]
        )
    notes = Sheet(
        _("Notes"),
        [_("About this file")],
        [
            [survey.title_zh if chinese else (survey.title_en or survey.title_zh)],
            [_("One row per response, numbered in no particular order.")],
            [
                _(
                    "No receipt, submission id, paper serial, channel or time of day is "
                    "included: nothing here joins an answer to a resident."
                )
            ],
            [
                _(
                    "Units with fewer than %(num)s responses are not named (%(units)s units, "
                    "%(responses)s responses), and their rows leave out the answers about "
                    "targets asked only in some units.",
                    num=table.min_group_size,
                    units=table.hidden_units,
                    responses=table.hidden_responses,
                )
            ],
            [_("Free-text answers are not included: read them on the comments page.")],
        ],
    )
    return [answers, notes]


@bp.route("/answers.xlsx")
@roles_required(*TEAM_ROLES)
def answers(survey_id: int) -> Response:
    """Download a closed survey's answers, one row per response (team only)."""
    try:
        survey = queries.get_survey(db.session, survey_id, current_scope())
    except queries.NotFoundError:
        abort(404)
    try:
        table = answers_table(db.session, survey)
    except SurveyNotClosedError:
        flash(
            _(
                "Answers are under embargo until the survey closes: nobody, administrators "
                "included, sees them before then."
            ),
            "error",
        )
        return redirect(url_for("surveys.results", survey_id=survey.id))
    return xlsx_download(_sheets(survey, table), f"survey-{survey.id}-answers")
