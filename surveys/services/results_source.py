"""The survey data a period's results are computed from, as plain values.

Only closed surveys count (nobody sees scores before a survey closes, DESIGN section 5).
A response's score for a target is the mean of its answered Likert and 0-10 items about
that target on 0-100, computed on the one resident-score path
(:func:`surveys.services.queries.list_scored_responses`, which calls
:func:`surveys.core.tally.compute_response_scores`; DESIGN section 4), so the staff
survey page and the open data count exactly these scores.

:class:`ResidentSurveys` is what the assessment side sees of this package: the
implementation of :class:`assessment.services.survey_source.SurveySource`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.ballots import EVERY_SHEET, tally_sheets
from assessment.core.results import SurveySummariser
from assessment.core.rulebook import SurveySources
from assessment.models import Period
from assessment.services.demo import DemoBallotPlan, DemoSurveyPlan
from assessment.services.survey_source import SurveyAwareness
from surveys.core import tally
from surveys.models.surveys import CodeBatch, Survey
from surveys.services import comments, demo
from surveys.services.queries import (
    list_closed_surveys,
    list_group_ballot_sheets,
    list_scored_responses,
)


def _target_key(target: Any) -> tuple[str, int] | None:
    """``("cadre", cadre_id)`` or ``("unit", unit_id)``; ``None`` for a service target."""
    if target.kind == "cadre" and target.cadre_id is not None:
        return "cadre", target.cadre_id
    if target.kind == "unit" and target.unit_id is not None:
        return "unit", target.unit_id
    return None


def survey_results_data(
    session: Session, period: Period, *, named: Collection[str] = ()
) -> dict[str, Any]:
    """Response scores per rated cadre and unit of the period's closed surveys.

    Surveys whose code is in ``named`` (an indicator names them in its ``sources``) are
    left out: they feed their own indicators and are never pooled.

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
        if survey.code is not None and survey.code in named:
            continue
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


def _eligible_voters(session: Session, survey: Survey) -> dict[str, int]:
    """Access codes issued to a survey and not revoked, per voter group of their batch:
    the voters entitled to answer."""
    rows = session.execute(
        sa.select(CodeBatch.voter_group, sa.func.coalesce(sa.func.sum(CodeBatch.size), 0))
        .where(CodeBatch.survey_id == survey.id, CodeBatch.revoked_at.is_(None))
        .group_by(CodeBatch.voter_group)
    )
    eligible: dict[str, int] = {}
    for group, size in rows:
        code = group or survey.voter_group
        eligible[code] = eligible.get(code, 0) + int(size or 0)
    return eligible


def _satisfaction_targets(
    session: Session, surveys: list[Survey], questions: Collection[str]
) -> dict[str, dict[int, dict[str, Any]]]:
    """Response scores over the named questions (all scored ones when none is named)."""
    out: dict[str, dict[int, dict[str, Any]]] = {"cadre": {}, "unit": {}}
    for survey in surveys:
        scored = list_scored_responses(session, survey)
        columns = [
            i for i, q in enumerate(scored.questions) if not questions or q.code in questions
        ]
        if not columns or not scored.target_ids:
            continue
        picked = [scored.questions[i] for i in columns]
        picked_scores = tally.compute_response_scores(
            scored.answers[:, columns],
            k=[q.points for q in picked],
            lowest=[q.lowest for q in picked],
            dont_know=scored.dont_know_answers[:, columns],
        )
        scores = picked_scores.scores
        targets = {t.id: t for t in survey.targets}
        for row, target_id in enumerate(scored.target_ids):
            key = _target_key(targets[target_id]) if target_id in targets else None
            if key is None:
                continue
            bucket = out[key[0]].setdefault(key[1], {"scores": [], "unit_ids": [], "n_excluded": 0})
            if scored.excluded[row]:
                bucket["n_excluded"] += 1
                continue
            # "don't know" over the named questions is no score and no invalid response
            if picked_scores.dont_know[row]:
                continue
            bucket["scores"].append(float(scores[row]))
            bucket["unit_ids"].append(scored.unit_ids[row])
            bucket.setdefault("groups", []).append(scored.voter_groups[row])
    return out


def _ballot_targets(
    session: Session, surveys: list[Survey], sources: SurveySources
) -> dict[str, dict[int, dict[str, Any]]]:
    """Votes per grade, abstentions, and sheets voided or flagged by the rulebook's
    ``validity`` (:func:`assessment.core.ballots.tally_sheets`), per target and voter group."""
    out: dict[str, dict[int, dict[str, Any]]] = {"cadre": {}, "unit": {}}
    rule = sources.validity or EVERY_SHEET
    for survey in surveys:
        ids = [
            q.id
            for q in survey.questions
            if q.kind == "ballot" and (not sources.questions or q.code in sources.questions)
        ]
        targets = {t.id: t for t in survey.targets}
        for group, sheets in list_group_ballot_sheets(session, survey, ids).items():
            for target_id, counted in tally_sheets(sheets, rule).items():
                key = _target_key(targets[target_id]) if target_id in targets else None
                if key is None:
                    continue
                groups = out[key[0]].setdefault(key[1], {"groups": {}})["groups"]
                tally_ = groups.setdefault(
                    group, {"votes": {}, "abstentions": 0, "invalid": 0, "flagged": 0}
                )
                for grade, n in counted.votes.items():
                    tally_["votes"][grade] = tally_["votes"].get(grade, 0) + n
                tally_["abstentions"] += counted.abstentions
                tally_["invalid"] += counted.invalid
                tally_["flagged"] += counted.flagged
    return out


def survey_sourced_data(
    session: Session, period: Period, sources: Mapping[str, SurveySources]
) -> dict[str, Any]:
    """What each indicator that names its sources reads, as plain values.

    Parameters
    ----------
    sources : mapping of str to SurveySources
        Indicator code to the sources it names.

    Returns
    -------
    dict
        ``{"available": {survey_code: {question_code: kind}}, "indicators": {code:
        {"cadre": {cadre_id: target}, "unit": {unit_id: target}, "eligible": {group:
        int}}}}``. ``available`` lists every coded survey of the period, open or not (a
        rulebook naming a code that is not there is refused by the caller). A
        ``satisfaction`` target is as in :func:`survey_results_data`, scored over the
        named questions only, with ``"groups"``: the voter group of each score; a
        ``ballot`` target is ``{"groups": {group: {"votes": {grade: int}, "abstentions":
        int, "invalid": int, "flagged": int}}}``, the group being each response's voter
        group, each sheet judged by ``sources.validity``.
        Only closed surveys give data; ``eligible`` counts the access codes issued to
        the closed surveys of each group.
    """
    coded = list(
        session.scalars(
            sa.select(Survey)
            .where(Survey.period_id == period.id, Survey.code.is_not(None))
            .order_by(Survey.id)
        )
    )
    available = {
        str(s.code): {q.code: q.kind for q in sorted(s.questions, key=lambda q: q.position)}
        for s in coded
    }
    indicators: dict[str, Any] = {}
    for code, source in sources.items():
        closed = [s for s in coded if s.code in source.surveys and s.status == "closed"]
        if source.method == "ballot":
            data = _ballot_targets(session, closed, source)
        else:
            data = _satisfaction_targets(session, closed, source.questions)
        eligible: dict[str, int] = {}
        for survey in closed:
            eligible.setdefault(survey.voter_group, 0)
            for group, voters in _eligible_voters(session, survey).items():
                eligible[group] = eligible.get(group, 0) + voters
        indicators[code] = {**data, "eligible": eligible}
    return {"available": available, "indicators": indicators}


class ResidentSurveys:
    """The surveys package as the assessment side sees it.

    Implements :class:`assessment.services.survey_source.SurveySource`; the composition root
    registers one instance (``assessment/app/__init__.py``).
    """

    def results_data(
        self, session: Session, period: Period, *, named: Collection[str] = ()
    ) -> dict[str, Any]:
        """See :func:`survey_results_data`."""
        return survey_results_data(session, period, named=named)

    def sourced_data(
        self, session: Session, period: Period, sources: Mapping[str, SurveySources]
    ) -> dict[str, Any]:
        """See :func:`survey_sourced_data`."""
        return survey_sourced_data(session, period, sources)

    @property
    def summarise_targets(self) -> SurveySummariser:
        """:func:`surveys.core.tally.summarise_targets`."""
        return tally.summarise_targets

    def approved_comments(
        self, session: Session, period: Period, cadre_id: int | str
    ) -> list[str] | None:
        """See :func:`surveys.services.comments.approved_comments`."""
        return comments.approved_comments(session, period, cadre_id)

    def cadre_awareness(
        self, session: Session, period: Period, cadre_id: int
    ) -> list[SurveyAwareness]:
        """See :func:`cadre_awareness`."""
        return cadre_awareness(session, period, cadre_id)

    def seed_demo_survey(self, session: Session, plan: DemoSurveyPlan) -> dict[str, int]:
        """See :func:`surveys.services.demo.seed_demo_survey`."""
        return demo.seed_demo_survey(session, plan)

    def seed_demo_ballots(self, session: Session, plan: DemoBallotPlan) -> int:
        """See :func:`surveys.services.demo.seed_demo_ballots`."""
        return demo.seed_demo_ballots(session, plan)
