"""The survey data handed to the results engine, read from real stored responses."""

from __future__ import annotations

import math
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from assessment.app.db import utcnow
from assessment.models import Account, Cadre, Period
from surveys.models.surveys import Survey
from surveys.services import paper
from surveys.services import surveys as services
from surveys.services.queries import list_items
from surveys.services.results_source import survey_results_data

DAY = date(2026, 6, 2)


def _store(session, survey, unit_id, likert):
    items = list_items(session, survey.id, unit_id)
    answers = {item.key: str(likert) for item in items if item.kind == "likert"}
    return services.store_response(
        session,
        survey=survey,
        unit_id=unit_id,
        channel="online",
        answers=answers,
        receipt=uuid.uuid4().hex[:12].upper(),
        submission_key=uuid.uuid4().hex,
        today=DAY,
        items=items,
    )


@pytest.fixture
def closed_survey(demo, survey_factory, make):
    """Three online responses from 石桥村 (Likert 5, 4 and 2 on every item), then closed."""
    built = survey_factory(codes=2)

    def fill(session):
        survey = session.get(Survey, built["survey_id"])
        ids = [_store(session, survey, built["unit_id"], likert) for likert in (5, 4, 2)]
        services.close_survey(session, survey, now=utcnow())
        return ids

    return {**built, "response_ids": make(fill)}


def _read(make):
    return make(
        lambda session: survey_results_data(session, session.scalars(sa.select(Period)).first())
    )


def test_scores_per_rated_cadre_on_0_to_100(make, closed_survey):
    data = _read(make)
    qs009 = make(lambda s: s.scalars(sa.select(Cadre.id).where(Cadre.code == "QS009")).one())
    target = data["cadre"][qs009]
    # Likert 5, 4, 2 on a 5-point scale map to (x − 1) / 4 × 100 (DESIGN section 4).
    assert sorted(target["scores"]) == [25.0, 75.0, 100.0]
    assert target["unit_ids"] == [closed_survey["unit_id"]] * 3
    assert target["n_excluded"] == 0
    assert all(not math.isnan(v) for row in data["items"].values() for r in row for v in r)


def test_excluded_responses_are_left_out_and_counted(make, closed_survey):
    def exclude(session):
        survey = session.get(Survey, closed_survey["survey_id"])
        admin = session.scalars(sa.select(Account.id).where(Account.username == "admin")).one()
        paper.decide_exclusion(
            session,
            survey,
            response_id=closed_survey["response_ids"][2],
            action="exclude",
            reason="filled in by the village clerk",
            decided_by=admin,
        )

    make(exclude, actor_id=1)
    data = _read(make)
    qs009 = make(lambda s: s.scalars(sa.select(Cadre.id).where(Cadre.code == "QS009")).one())
    assert sorted(data["cadre"][qs009]["scores"]) == [75.0, 100.0]
    assert data["cadre"][qs009]["n_excluded"] == 1


def test_open_surveys_are_not_read(demo, survey_factory, make):
    survey_factory(codes=2)
    data = _read(make)
    assert data == {"cadre": {}, "unit": {}, "items": {}}
