"""`flask surveys verify-seal`."""

from __future__ import annotations

import sqlalchemy as sa

from assessment.app.db import db as _db
from assessment.app.db import unit_of_work, utcnow
from surveys.models.surveys import Answer, Survey
from surveys.services import surveys as services
from tests.surveys.conftest import answer_online


def test_verify_seal_passes_then_names_a_changed_survey(app, runner, open_survey, make):
    def respond_and_close(session):
        survey = session.get(Survey, open_survey["survey_id"])
        answer_online(
            session,
            survey=survey,
            key=app.config["ACCESS_CODE_HASH_KEY"],
            code=open_survey["codes"][0],
            unit_id=open_survey["unit_id"],
            answers={"overall__t1": "5"},
            today=utcnow().date(),
        )
        services.close_survey(session, survey, now=utcnow())

    make(respond_and_close)
    ok = runner.invoke(args=["surveys", "verify-seal"])
    assert ok.exit_code == 0 and f"{open_survey['short_id']}: OK (1 responses" in ok.output
    with app.app_context(), unit_of_work(None):
        _db.session.execute(sa.update(Answer).values(value_int=1))
    broken = runner.invoke(args=["surveys", "verify-seal", open_survey["short_id"].lower()])
    assert broken.exit_code == 1 and "CHANGED since sealing" in broken.output


def test_verify_seal_with_nothing_sealed(runner, demo):
    result = runner.invoke(args=["surveys", "verify-seal"])
    assert result.exit_code == 0 and "No sealed survey" in result.output
