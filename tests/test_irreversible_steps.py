"""Every step that cannot be undone asks for a ticked box that says what it freezes.

Publishing the rules, opening and closing a survey, moving a period on, computing,
opening the notice and finalising (issue 20). Each page shows the consequence and a
required box (the browser asks for it with no script); each POST without the box is
refused with a message and changes nothing. The compute step is tested with the
results pages (tests/assessment/test_results_views.py).
"""

from __future__ import annotations

import html
from typing import Any

import pytest
import sqlalchemy as sa

from assessment.models import Notice, Period, RulebookVersion

REFUSED = "Tick “I understand that this cannot be undone” to go ahead: nothing was changed."
BOX = 'name="understood" required'


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _scalar(app: Any, query: Any) -> Any:
    with app.app_context():
        from assessment.app.db import db

        return db.session.scalar(query)


def test_publishing_the_rules(app, client, auth, demo, make):
    from assessment.services import rulebooks
    from assessment.services.demo import demo_rulebook_document

    make(
        lambda s: (
            rulebooks.import_document(
                s, period=s.get(Period, 1), document=demo_rulebook_document()
            ).id
        )
    )
    auth.login("admin")
    url = "/admin/periods/1/rulebook"
    page = _text(client.get(f"{url}/"))
    assert "This cannot be undone." in page and BOX in page
    assert "Publishing freezes version 1" in page
    response = client.post(f"{url}/publish", follow_redirects=True)
    assert REFUSED in _text(response)
    assert _scalar(app, sa.select(RulebookVersion.status)) == "draft"
    response = client.post(f"{url}/publish", data={"understood": "y"}, follow_redirects=True)
    assert "is published and frozen" in _text(response)


def test_a_rulebook_with_problems_shows_a_disabled_button_that_says_why(
    app, client, auth, demo, make
):
    from assessment.services import rulebooks

    make(lambda s: rulebooks.start_rulebook(s, period=s.get(Period, 1), reason="").id)
    auth.login("admin")
    page = _text(client.get("/admin/periods/1/rulebook/"))
    assert "It cannot be published yet: fix the problems listed below first." in page
    assert '<button type="submit" class="primary" disabled' in page
    assert BOX not in page


def test_opening_and_closing_a_survey_with_ballots_waiting(app, client, auth, demo, make):
    from assessment.app.db import utcnow
    from surveys.models.surveys import Survey, Unit
    from surveys.services import paper
    from surveys.services import surveys as services
    from surveys.services.queries import list_items
    from tests.surveys.conftest import build_survey

    survey_id = make(lambda s: build_survey(s, open_it=False)["survey_id"])
    auth.login("admin")
    url = f"/admin/surveys/{survey_id}"
    page = _text(client.get(url))
    assert "Opening freezes the survey's wording, questions and targets" in page and BOX in page
    assert REFUSED in _text(client.post(f"{url}/open", follow_redirects=True))
    assert _scalar(app, sa.select(Survey.status)) == "draft"
    assert "The survey is open" in _text(
        client.post(f"{url}/open", data={"understood": "y"}, follow_redirects=True)
    )

    def type_once(session: Any) -> None:
        """Two ballots typed once by the clerk: both wait for their second entry."""
        survey = session.get(Survey, survey_id)
        village = session.scalars(sa.select(Unit).where(Unit.code == "QSZ-01")).one()
        _batch, slips = services.generate_batch(
            session, survey, unit=village, size=2, note="", key="k" * 40, now=utcnow()
        )
        clerk = session.scalars(sa.text("SELECT id FROM account WHERE username = 'clerk'")).one()
        for number, slip in enumerate(slips, start=1):
            answers = {
                item.key: "4" if item.kind == "likert" else ""
                for item in list_items(session, survey_id, village.id)
            }
            ballot = paper.clean_ballot(
                session,
                survey,
                serial=f"P00{number}",
                batch="B1",
                receipt=slip.receipt,
                unit_id=village.id,
                answers=answers,
            )
            paper.record_entry(session, survey, ballot, clerk_id=clerk, today=utcnow().date())

    make(type_once)
    page = _text(client.get(url))
    assert "2 paper ballots have been typed once and still wait for their second entry." in page
    assert "2 paper ballots waiting for their entry are left out" in page
    assert REFUSED in _text(client.post(f"{url}/close", follow_redirects=True))
    assert _scalar(app, sa.select(Survey.status)) == "open"
    response = client.post(f"{url}/close", data={"understood": "y"}, follow_redirects=True)
    assert "The survey is closed. Seal:" in _text(response)


def test_moving_a_period_on(app, client, auth, published_rulebook):
    auth.login("admin")
    url = f"/admin/periods/{published_rulebook}"
    page = _text(client.get(url))
    assert "the period cannot go back to “Rules published”" in page and BOX in page
    response = client.post(
        f"{url}/transition", data={"target": "collecting"}, follow_redirects=True
    )
    assert REFUSED in _text(response)
    assert _scalar(app, sa.select(Period.status)) == "rules_published"


def test_opening_the_notice_and_finalising(app, client, auth, computed_period, make):
    from tests.assessment.test_publication import end_notice, today

    auth.login("admin")
    url = f"/admin/periods/{computed_period}/notice"
    page = _text(client.get(url))
    assert "A notice cannot be withdrawn" in page and BOX in page
    data = {"starts_on": today().isoformat(), "working_days": "5", "review_working_days": "5"}
    response = client.post(f"{url}/open", data=data)
    assert response.status_code == 400 and REFUSED in _text(response)
    assert _scalar(app, sa.select(sa.func.count()).select_from(Notice)) == 0
    assert client.post(f"{url}/open", data={**data, "understood": "y"}).status_code == 302
    # while the notice runs, the button is disabled and says why
    page = _text(client.get(url))
    assert "It cannot be finalised yet, for the reason given above." in page
    end_notice(make)
    page = _text(client.get(url))
    assert "no more objections, corrections or new versions" in page and BOX in page
    assert REFUSED in _text(client.post(f"{url}/finalise", follow_redirects=True))
    assert _scalar(app, sa.select(Period.status)) == "notice"
    response = client.post(f"{url}/finalise", data={"understood": "y"}, follow_redirects=True)
    assert "The results are final" in _text(response)
