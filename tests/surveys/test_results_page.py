"""The staff survey results page says it shows raw answers and names the official version
(issue 14, "two numbers for one thing"); the share satisfied carries its Wilson interval."""

from __future__ import annotations

from datetime import UTC, datetime

from assessment.app.db import utcnow
from assessment.models import ResultVersion
from surveys.models.surveys import Survey
from surveys.services import surveys as services
from tests.surveys.test_views import answer, enter_code, hidden_fields


def _four_answers_then_close(client, open_survey, make):
    """Overall 5, 5, 4, 1 about t1 → scores 100, 100, 75, 0 (5-point: (v − 1) / 4 × 100)."""
    short = open_survey["short_id"]
    for code, value in zip(open_survey["codes"][:4], ("5", "5", "4", "1"), strict=True):
        page = enter_code(client, short, code).get_data(as_text=True)
        answer(client, short, hidden_fields(page), q_overall__t1=value, nav="confirm")
    make(lambda s: services.close_survey(s, s.get(Survey, open_survey["survey_id"]), now=utcnow()))


def test_share_satisfied_shows_its_wilson_interval(app, client, auth, open_survey, make):
    _four_answers_then_close(client, open_survey, make)
    auth.login("official")
    text = client.get(f"/admin/surveys/{open_survey['survey_id']}/results").get_data(as_text=True)
    # satisfied: score ≥ 75 → 3 of 4 = 75.0%. Wilson 95%, z = 1.959964, n = 4:
    # centre (0.75 + z²/8) / (1 + z²/4) = 1.230182 / 1.960365 = 0.627527
    # half z √(0.75 × 0.25 / 4 + z²/64) / (1 + z²/4) = 0.640816 / 1.960365 = 0.326888
    # → 0.300639 – 0.954415 (statsmodels proportion_confint(3, 4, method="wilson") agrees)
    assert "75.0%" in text
    assert '<td class="num share-interval">30.1%–95.4%</td>' in text
    assert "Wilson interval (95 per cent)" in text


def test_page_says_raw_answers_and_that_no_version_is_computed(
    app, client, auth, open_survey, make
):
    _four_answers_then_close(client, open_survey, make)
    auth.login("official")
    text = client.get(f"/admin/surveys/{open_survey['survey_id']}/results").get_data(as_text=True)
    assert "Raw answers, before the team's decisions." in text
    assert "leaving out the 0 responses the team excluded" in text
    assert "The period has no computed result version yet." in text


def test_page_names_the_latest_result_version(app, client, auth, open_survey, make):
    _four_answers_then_close(client, open_survey, make)

    def computed(session):
        period_id = session.get(Survey, open_survey["survey_id"]).period_id
        for number in (1, 2):
            session.add(
                ResultVersion(
                    period_id=period_id,
                    number=number,
                    rules_digest="0" * 64,
                    data_digest=str(number) * 64,
                    payload="{}",
                    reason="" if number == 1 else "corrected inputs",
                    created_at=datetime(2026, 7, number, 9, tzinfo=UTC),
                )
            )
        return period_id

    period_id = make(computed)
    auth.login("official")
    text = client.get(f"/admin/surveys/{open_survey['survey_id']}/results").get_data(as_text=True)
    assert "The official numbers are those of result version 2" in text
    assert f'href="/admin/periods/{period_id}/results/versions/2"' in text


def test_residents_and_cadres_cannot_open_the_results_page(client, auth, open_survey):
    url = f"/admin/surveys/{open_survey['survey_id']}/results"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    auth.login("cadre")
    assert client.get(url).status_code == 403
