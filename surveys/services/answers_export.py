"""The team's spreadsheet of a closed survey's answers: one row per response.

What a row holds is what the open-data bundle already publishes about a response (its
unit and day, and its rated answers) plus whether the team excluded it; never the
receipt, the submission id, the paper serial or batch, the channel or the duration,
which could join an answer to a slip, a clerk or a moment (DESIGN section 5).

Small groups (DESIGN section 5): a unit with fewer responses than the period's minimum
group size is not named, and its rows also leave out the answers about targets that
only some units are asked about (a village's own cadres), since those would name the
village just as well. Free-text answers are not exported: they are read, and
redacted where need be, on the comments page.

Embargo: only a closed survey is exported (:class:`SurveyNotClosedError` otherwise).
Services read only; the view renders the workbook.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.models.surveys import Answer, Response, Survey
from surveys.services.queries import ResidentItem, list_excluded_ids, list_items, respondent_units

logger = logging.getLogger(__name__)

#: Kinds of answer the export carries (free text stays on the comments page).
EXPORTED_KINDS = ("likert", "scale10", "ballot", "choice")


class SurveyNotClosedError(Exception):
    """Answers are under embargo until the survey closes."""


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One response: its unit (None when not named), day, exclusion and answers by item."""

    unit_id: int | None
    day: str
    excluded: bool
    values: Mapping[str, str | int]


@dataclass(frozen=True, slots=True)
class AnswersTable:
    """Columns (items) and rows of the export, and what the small-group rule left out."""

    items: tuple[ResidentItem, ...]
    rows: tuple[AnswerRow, ...]
    #: Unit id -> (Chinese name, English name).
    unit_names: Mapping[int, tuple[str, str]]
    min_group_size: int
    #: Units not named, and the responses they hold.
    hidden_units: int
    hidden_responses: int


def answers_table(session: Session, survey: Survey) -> AnswersTable:
    """Every stored response of a closed survey as a row (raises SurveyNotClosedError)."""
    if survey.status != "closed":
        raise SurveyNotClosedError(survey.id)
    min_group_size = int(survey.period.min_group_size)
    units = respondent_units(session, survey.period)
    items_by_unit = {unit.id: list_items(session, survey.id, unit.id) for unit in units}
    columns: dict[str, ResidentItem] = {}
    for unit_items in items_by_unit.values():
        for item in unit_items:
            if item.kind in EXPORTED_KINDS:
                columns.setdefault(item.key, item)
    asked_everywhere = set(columns)
    for unit_items in items_by_unit.values():
        asked_everywhere &= {item.key for item in unit_items}

    # Rows in the order of the random response keys: the order tells nothing of time.
    responses = session.execute(
        sa.select(Response.id, Response.unit_id, Response.submitted_on)
        .where(Response.survey_id == survey.id)
        .order_by(Response.id)
    ).all()
    sizes = Counter(unit_id for _id, unit_id, _day in responses)
    small = {unit_id for unit_id, size in sizes.items() if size < min_group_size}
    values: dict[str, dict[str, str | int]] = {response_id: {} for response_id, *_ in responses}
    for response_id, key, number, text in session.execute(
        sa.select(Answer.response_id, Answer.item, Answer.value_int, Answer.value_text)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.survey_id == survey.id)
    ):
        if key in columns:
            values[response_id][key] = number if number is not None else (text or "")
    excluded = list_excluded_ids(session, survey.id)
    rows = []
    for response_id, unit_id, day in responses:
        answers = values[response_id]
        if unit_id in small:
            answers = {key: value for key, value in answers.items() if key in asked_everywhere}
        rows.append(
            AnswerRow(
                unit_id=None if unit_id in small else unit_id,
                day=day.isoformat(),
                excluded=response_id in excluded,
                values=answers,
            )
        )
    logger.info("survey %s: answers exported, %d rows", survey.id, len(rows))
    return AnswersTable(
        items=tuple(columns.values()),
        rows=tuple(rows),
        unit_names={unit.id: (unit.name_zh, unit.name_en) for unit in units},
        min_group_size=min_group_size,
        hidden_units=len(small),
        hidden_responses=sum(sizes[unit_id] for unit_id in small),
    )
