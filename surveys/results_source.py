"""The survey data a period's results are computed from, as plain values.

The base package may not import ``surveys`` (``tests/test_architecture.py``), so the
app factory registers :func:`survey_results_data` as
``app.extensions["assessment.survey_source"]`` and the results pages pass it to
``assessment.services.results``. Only closed surveys count (nobody sees scores
before a survey closes, DESIGN section 5).

A response's score for a target is the mean of its answered Likert and 0-10 items
about that target on 0-100 (``surveys.core.tally.likert_to_100``; DESIGN section 4).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.models import Period
from surveys.core import tally
from surveys.models import Answer, Question, Response, Survey, Target
from surveys.paper import excluded_ids

#: Question kinds scored on 0-100 and counted in the satisfaction index.
SCORED_KINDS = ("likert", "scale10")


def _mapped(question: Question, value: int) -> float:
    """One answer on 0-100."""
    if question.kind == "scale10":
        return float(tally.likert_to_100([value + 1], k=11)[0])
    points = int(json.loads(question.settings or "{}").get("points", 5))
    return float(tally.likert_to_100([value], k=points)[0])


def survey_results_data(session: Session, period: Period) -> dict[str, Any]:
    """Response scores per rated cadre and unit of the period's closed surveys.

    Returns
    -------
    dict
        ``{"cadre": {cadre_id: target}, "unit": {unit_id: target}, "items":
        {survey_key: rows}}`` where a target is ``{"scores": [float, ...],
        "unit_ids": [int, ...], "n_excluded": int}`` (one entry per response that
        answered about the target; NaN when it answered none of the scored items),
        and ``rows`` is the item matrix of a survey (one row per response and
        target, one column per scored question, NaN unanswered) for Cronbach's alpha.
        Service targets are left out: no indicator is about them.
    """
    cadre_data: dict[int, dict[str, Any]] = {}
    unit_data: dict[int, dict[str, Any]] = {}
    items: dict[str, list[list[float]]] = {}
    surveys = session.scalars(
        sa.select(Survey)
        .where(Survey.period_id == period.id, Survey.status == "closed")
        .order_by(Survey.id)
    ).all()
    for survey in surveys:
        questions = {q.id: q for q in survey.questions if q.kind in SCORED_KINDS}
        if not questions:
            continue
        columns = {qid: i for i, qid in enumerate(sorted(questions))}
        targets: dict[int, Target] = {t.id: t for t in survey.targets if t.kind != "service"}
        rows = session.execute(
            sa.select(Answer.response_id, Answer.target_id, Answer.question_id, Answer.value_int)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.survey_id == survey.id, Answer.target_id.is_not(None))
        ).all()
        units = dict(
            session.execute(
                sa.select(Response.id, Response.unit_id).where(Response.survey_id == survey.id)
            ).all()
        )
        # excluded responses stay stored but are left out here, and counted (DESIGN section 4)
        excluded = excluded_ids(session, survey.id)
        answered: dict[tuple[str, int], list[float]] = {}
        for response_id, target_id, question_id, value_int in rows:
            if target_id not in targets:
                continue
            # the first answer about a target makes the response one about that target
            row = answered.setdefault((response_id, target_id), [math.nan] * len(columns))
            question = questions.get(question_id)
            if question is not None and value_int is not None:
                row[columns[question_id]] = _mapped(question, value_int)
        matrix: list[list[float]] = []
        # sorted keys: the same inputs give the same lists whatever the storage order
        for response_id, target_id in sorted(answered):
            row = answered[(response_id, target_id)]
            values = [v for v in row if not math.isnan(v)]
            score = float(np.mean(values)) if values else math.nan
            target = targets[target_id]
            if target.kind == "cadre" and target.cadre_id is not None:
                bucket = cadre_data.setdefault(
                    target.cadre_id, {"scores": [], "unit_ids": [], "n_excluded": 0}
                )
            elif target.unit_id is not None:
                bucket = unit_data.setdefault(
                    target.unit_id, {"scores": [], "unit_ids": [], "n_excluded": 0}
                )
            else:
                continue
            if response_id in excluded:
                bucket["n_excluded"] += 1
                continue
            bucket["scores"].append(score)
            bucket["unit_ids"].append(units[response_id])
            matrix.append(row)
        if matrix:
            items[f"survey-{survey.id}"] = matrix
    return {"cadre": cadre_data, "unit": unit_data, "items": items}
