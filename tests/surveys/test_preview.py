"""Issue 20: the team previews a survey as a resident will see it, before it opens."""

from __future__ import annotations

import re

import sqlalchemy as sa

from assessment.app.db import db as _db
from assessment.models import Unit
from assessment.models.audit import AuditEntry
from surveys.models.surveys import AccessCode, Response, Survey
from tests.surveys.conftest import build_survey


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            _db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in (Response, AccessCode, AuditEntry)
        )


def draft(make, *, one_per_screen: bool = False) -> int:
    return make(lambda s: build_survey(s, one_per_screen=one_per_screen, open_it=False))[
        "survey_id"
    ]


def test_team_previews_a_draft_survey_and_nothing_is_stored(app, client, auth, demo, make):
    survey_id = draft(make)
    auth.login("assessor1")
    show = client.get(f"/admin/surveys/{survey_id}").get_data(as_text=True)
    assert f'href="/admin/surveys/{survey_id}/preview"' in show
    before = counts(app)
    response = client.get(f"/admin/surveys/{survey_id}/preview")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # Clearly marked, with the questions as the resident sees them.
    assert 'class="preview-banner"' in page and "Preview" in page
    assert "Overall satisfaction" in page and "王建国 (Township Party secretary)" in page
    assert 'type="radio" name="q_overall__t1"' in page
    # Submitting is impossible: no form state, no post to the answer address, no live button.
    assert 'name="entry"' not in page and 'name="carried"' not in page
    assert "/answer" not in page and 'method="post"' not in page
    submit = re.search(r"<button[^>]*>Submit my answers</button>", page).group(0)
    assert "disabled" in submit
    assert client.post(f"/admin/surveys/{survey_id}/preview").status_code == 405
    assert counts(app) == before
    with app.app_context():
        assert _db.session.get(Survey, survey_id).status == "draft"


def test_preview_steps_through_one_question_per_screen_and_other_units(
    app, client, auth, demo, make
):
    survey_id = draft(make, one_per_screen=True)
    auth.login("assessor1")
    first = client.get(f"/admin/surveys/{survey_id}/preview").get_data(as_text=True)
    total = int(re.search(r"Question 1 of (\d+)", first).group(1))
    assert first.count("<fieldset") == 1
    assert f'href="/admin/surveys/{survey_id}/preview?unit=' in first
    second = client.get(
        re.search(r'href="([^"]*step=1)"', first).group(1).replace("&amp;", "&")
    ).get_data(as_text=True)
    assert f"Question 2 of {total}" in second and 'name="q_grade__t1"' in second
    with app.app_context():
        other = _db.session.scalars(sa.select(Unit.id).where(Unit.code == "QSZ-02")).one()
        township = _db.session.scalars(sa.select(Unit.id).where(Unit.code == "QSZ")).one()
    assert client.get(f"/admin/surveys/{survey_id}/preview?unit={other}").status_code == 200
    # Only units whose residents answer can be previewed; a bad step is clamped.
    assert client.get(f"/admin/surveys/{survey_id}/preview?unit={township}").status_code == 404
    assert client.get(f"/admin/surveys/{survey_id}/preview?unit=x").status_code == 404
    last = client.get(f"/admin/surveys/{survey_id}/preview?step=999").get_data(as_text=True)
    assert f"Question {total} of {total}" in last


def test_preview_is_for_staff_only(client, demo, make):
    survey_id = draft(make)
    response = client.get(f"/admin/surveys/{survey_id}/preview")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
