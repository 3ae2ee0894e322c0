"""Voter groups (测评主体) and survey codes: stored on the survey, set on the staff form."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from assessment.app.db import db as _db
from assessment.app.db import unit_of_work
from assessment.core.errors import FieldError
from assessment.models import Period
from surveys.models.surveys import Survey
from surveys.services import surveys as services


def _create(app, **fields):
    with app.app_context(), unit_of_work(None):
        period = _db.session.scalars(sa.select(Period)).first()
        survey = services.create_survey(
            _db.session, period=period, data=services.SurveyData("民主测评", **fields)
        )
        return survey.id


def test_survey_defaults_to_the_public_and_no_code(app, demo):
    survey_id = _create(app)
    with app.app_context():
        survey = _db.session.get(Survey, survey_id)
        assert (survey.code, survey.voter_group, survey.voter_group_name) == (None, "public", "")


def test_township_group_keeps_its_name_and_builtin_drops_it(app, demo):
    own = _create(app, code="mzcp-xz", voter_group="elders", voter_group_name="老干部")
    builtin = _create(app, code="mzcp-bz", voter_group="leaders", voter_group_name="ignored")
    with app.app_context():
        assert _db.session.get(Survey, own).voter_group_name == "老干部"
        assert _db.session.get(Survey, builtin).voter_group_name == ""


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"code": "Bad Code"}, "code", "bad_survey_code"),
        ({"voter_group": "Leaders!"}, "voter_group", "bad_survey_code"),
        ({"voter_group": "elders"}, "voter_group_name", "voter_group_name_required"),
    ],
)
def test_bad_code_or_group_names_the_field(app, demo, fields, field, code):
    with pytest.raises(FieldError) as caught:
        _create(app, **fields)
    assert (caught.value.field, caught.value.code) == (field, code)


def test_survey_code_is_unique_in_the_period(app, demo):
    _create(app, code="mzcp")
    with pytest.raises(FieldError) as caught:
        _create(app, code="mzcp")
    assert (caught.value.field, caught.value.code) == ("code", "survey_code_taken")
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count()).where(Survey.code == "mzcp")) == 1


def test_staff_form_sets_the_group_and_the_page_shows_it(app, client, auth, demo):
    auth.login("assessor1")
    created = client.post(
        "/admin/surveys/new",
        data={
            "period_id": 1,
            "title_zh": "干部职工民主测评",
            "code": "mzcp-zg",
            "voter_group": "staff",
        },
    )
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert (
        "Cadres and staff" in page
        and "<code>mzcp-zg</code>" in page
        and "<code>staff</code>" in page
    )
    own = client.post(
        "/admin/surveys/new",
        data={
            "period_id": 1,
            "title_zh": "老干部测评",
            "voter_group": "",
            "own_group_code": "elders",
        },
    )
    assert own.status_code == 200 and "needs a name" in own.get_data(as_text=True)
    own = client.post(
        "/admin/surveys/new",
        data={
            "period_id": 1,
            "title_zh": "老干部测评",
            "voter_group": "",
            "own_group_code": "elders",
            "voter_group_name": "老干部",
        },
    )
    assert own.status_code == 302
    page = client.get(own.headers["Location"]).get_data(as_text=True)
    assert "老干部" in page and "<code>elders</code>" in page
    # the edit form shows the township's own group in its own fields
    assert 'name="survey-own_group_code"' in page and 'value="elders"' in page
