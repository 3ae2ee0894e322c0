"""One resident-score path: the results, the staff survey page and the open data agree.

The expected numbers are computed here, independently of the product, from the raw
answers the test stores, with DESIGN section 4's formula: an answer x on a k-point
scale whose lowest level is l maps to (x − l) / (k − 1) × 100, a response's score about
a target is the mean of its answered Likert and 0–10 items about it, and the index is
the mean of the counted responses' scores. Excluded responses (the latest decision
about a response wins) count in none of the three.
"""

from __future__ import annotations

import uuid
from datetime import date
from statistics import fmean

import pytest
import sqlalchemy as sa

from assessment.app.db import utcnow
from assessment.models import Account, Cadre, Period, Unit
from reports.services.bundle import survey_records
from surveys.models.surveys import Survey, Target
from surveys.services import paper, queries
from surveys.services import surveys as services
from surveys.services.results_source import survey_results_data
from tests.surveys.conftest import build_survey

DAY = date(2026, 6, 2)

#: Per response: (5-point "overall", 7-point "service", 0–10 "scale"), None = unanswered.
ANSWERS = [(5, 7, 10), (4, None, 3), (2, 1, None), (1, 4, 0), (3, 6, 8), (None, None, 5)]
#: Decisions per response index, in order; the last one about a response wins.
DECISIONS = [(1, "exclude"), (3, "exclude"), (3, "include"), (4, "exclude")]
EXCLUDED = {1, 4}


def _expected_score(overall: int | None, service: int | None, scale: int | None) -> float:
    mapped = []
    if overall is not None:
        mapped.append((overall - 1) / (5 - 1) * 100)
    if service is not None:
        mapped.append((service - 1) / (7 - 1) * 100)
    if scale is not None:
        mapped.append((scale - 0) / (11 - 1) * 100)
    return fmean(mapped)


EXPECTED_SCORES = sorted(
    _expected_score(*answers) for i, answers in enumerate(ANSWERS) if i not in EXCLUDED
)


@pytest.fixture
def scored_survey(demo, make):
    """A closed survey of three scored questions, six responses, two of them excluded."""

    def build(session):
        built = build_survey(session, open_it=False)
        survey = session.get(Survey, built["survey_id"])
        services.add_question(
            session,
            survey,
            data=services.QuestionData(code="service", kind="likert", text_zh="服务态度", points=7),
        )
        services.add_question(
            session,
            survey,
            data=services.QuestionData(code="scale", kind="scale10", text_zh="打分"),
        )
        services.open_survey(session, survey, now=utcnow())
        # 石桥村, whose residents rate the village head QS009
        unit_id = session.scalars(sa.select(Unit.id).where(Unit.code == "QSZ-01")).one()
        items = queries.list_items(session, survey.id, unit_id)
        ids = []
        for answers in ANSWERS:
            given = dict(zip(("overall", "service", "scale"), answers, strict=True))
            ids.append(
                services.store_response(
                    session,
                    survey=survey,
                    unit_id=unit_id,
                    channel="online",
                    answers={
                        item.key: str(given[item.key.split("__")[0]])
                        for item in items
                        if given.get(item.key.split("__")[0]) is not None
                    },
                    receipt=uuid.uuid4().hex[:12].upper(),
                    submission_key=uuid.uuid4().hex,
                    today=DAY,
                    items=items,
                )
            )
        services.close_survey(session, survey, now=utcnow())
        admin = session.scalars(sa.select(Account.id).where(Account.username == "admin")).one()
        for index, action in DECISIONS:
            paper.decide_exclusion(
                session,
                survey,
                response_id=ids[index],
                action=action,
                reason="test decision",
                decided_by=admin,
            )
        qs009 = session.scalars(sa.select(Cadre.id).where(Cadre.code == "QS009")).one()
        target = session.scalars(
            sa.select(Target).where(Target.survey_id == survey.id, Target.cadre_id == qs009)
        ).one()
        return {"survey_id": survey.id, "cadre_id": qs009, "target_id": target.id}

    return make(build, actor_id=1)


def test_the_results_count_the_independently_computed_scores(make, scored_survey):
    def read(session):
        return survey_results_data(session, session.scalars(sa.select(Period)).first())

    target = make(read)["cadre"][scored_survey["cadre_id"]]
    assert sorted(target["scores"]) == pytest.approx(EXPECTED_SCORES)
    assert target["n_excluded"] == len(EXCLUDED)


def test_the_staff_page_shows_the_same_index_and_count(make, scored_survey):
    def read(session):
        survey = session.get(Survey, scored_survey["survey_id"])
        return {r.target_id: r.satisfaction for r in queries.list_results(session, survey)}

    summary = make(read)[scored_survey["target_id"]]
    assert summary is not None
    assert summary.n == len(EXPECTED_SCORES)
    assert summary.index == pytest.approx(fmean(EXPECTED_SCORES))


def test_the_open_data_publishes_the_counted_answers_only(make, scored_survey):
    def read(session):
        return survey_records(session, session.scalars(sa.select(Period)).first())

    responses, questions = make(read)
    points = {q.question: (q.points, 0 if q.kind == "scale10" else 1) for q in questions}
    published = [
        r
        for r in responses
        if r.target_kind == "cadre" and r.target == str(scored_survey["cadre_id"])
    ]
    # the scores a reader of the bundle computes from responses.csv and questions.csv
    scores = sorted(
        fmean(
            (value - points[code][1]) / (points[code][0] - 1) * 100
            for code, value in r.values.items()
            if value is not None
        )
        for r in published
    )
    assert scores == pytest.approx(EXPECTED_SCORES)
