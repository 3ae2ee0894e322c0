"""The survey data a period's results are computed from, as plain values.

Only closed surveys count (nobody sees scores before a survey closes, DESIGN section 5).
A response's score for a target is the mean of its answered Likert and 0-10 items about
that target on 0-100, computed on the one resident-score path
(:func:`surveys.queries.list_scored_responses`, which calls
:func:`surveys.core.tally.compute_response_scores`; DESIGN section 4), so the staff
survey page and the open data count exactly these scores.

:class:`ResidentSurveys` is what the assessment side sees of this package: the
implementation of :class:`assessment.survey_source.SurveySource`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from assessment.core.results import SurveySummariser
from assessment.demo import DemoSurveyPlan
from assessment.models import Period
from assessment.survey_source import SurveyAwareness
from surveys import comments, demo
from surveys.core import tally
from surveys.queries import list_closed_surveys, list_scored_responses


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
    for survey in list_closed_surveys(session, period):
        scored = list_scored_responses(session, survey)
        targets = {t.id: t for t in survey.targets if t.kind != "service"}
        matrix: list[list[float]] = []
        for row, target_id in enumerate(scored.target_ids):
            target = targets.get(target_id)
            if target is None:
                continue
            if target.kind == "cadre" and target.cadre_id is not None:
                data, key = cadre_data, target.cadre_id
            elif target.unit_id is not None:
                data, key = unit_data, target.unit_id
            else:
                continue
            bucket = data.setdefault(key, {"scores": [], "unit_ids": [], "n_excluded": 0})
            # excluded responses stay stored but are left out here, and counted (DESIGN 4)
            if scored.excluded[row]:
                bucket["n_excluded"] += 1
                continue
            # "don't know" is no score and no invalid response: only awareness counts it
            if scored.scores.dont_know[row]:
                continue
            bucket["scores"].append(float(scored.scores.scores[row]))
            bucket["unit_ids"].append(scored.unit_ids[row])
            matrix.append(scored.scores.items[row].tolist())
        if matrix:
            items[f"survey-{survey.id}"] = matrix
    return {"cadre": cadre_data, "unit": unit_data, "items": items}


def cadre_awareness(session: Session, period: Period, cadre_id: int) -> list[SurveyAwareness]:
    """How many residents rated the cadre and how many did not know them (知晓率), per
    closed survey of the period that asked about the cadre; excluded responses left out."""
    out = []
    for survey in list_closed_surveys(session, period):
        target_ids = {t.id for t in survey.targets if t.kind == "cadre" and t.cadre_id == cadre_id}
        if not target_ids:
            continue
        scored = list_scored_responses(session, survey)
        rows = [
            i
            for i, target_id in enumerate(scored.target_ids)
            if target_id in target_ids and not scored.excluded[i]
        ]
        if not rows:
            continue
        summary = tally.summarise_awareness(
            [cadre_id] * len(rows),
            scored.scores.answered[rows] > 0,
            scored.scores.dont_know[rows],
        )[cadre_id]
        out.append(
            SurveyAwareness(
                survey_title_zh=survey.title_zh,
                survey_title_en=survey.title_en or survey.title_zh,
                n_rated=summary.n_rated,
                n_dont_know=summary.n_dont_know,
                share_known=summary.share_known,
            )
        )
    return out


class ResidentSurveys:
    """The surveys package as the assessment side sees it.

    Implements :class:`assessment.survey_source.SurveySource`; the composition root
    registers one instance (``assessment/app/__init__.py``).
    """

    def results_data(self, session: Session, period: Period) -> dict[str, Any]:
        """See :func:`survey_results_data`."""
        return survey_results_data(session, period)

    @property
    def summarise_targets(self) -> SurveySummariser:
        """:func:`surveys.core.tally.summarise_targets`."""
        return tally.summarise_targets

    def approved_comments(
        self, session: Session, period: Period, cadre_id: int | str
    ) -> list[str] | None:
        """See :func:`surveys.comments.approved_comments`."""
        return comments.approved_comments(session, period, cadre_id)

    def cadre_awareness(
        self, session: Session, period: Period, cadre_id: int
    ) -> list[SurveyAwareness]:
        """See :func:`cadre_awareness`."""
        return cadre_awareness(session, period, cadre_id)

    def seed_demo_survey(self, session: Session, plan: DemoSurveyPlan) -> dict[str, int]:
        """See :func:`surveys.demo.seed_demo_survey`."""
        return demo.seed_demo_survey(session, plan)
