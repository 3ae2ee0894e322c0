"""Participation totals and small shares (issue 20): "0.0%" beside a village at 0.2%.

One paper ballot from 枫岭村 (QSZ-03, 563 households in the demo) is 1/563 = 0.18%,
shown as 0.2%; over the township's 9,460 households it is 0.011%, shown as "<0.1%",
never "0.0%". The results page cautions an index from so few households.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from assessment.app.db import utcnow
from assessment.models import Unit
from surveys.models.surveys import Survey
from surveys.services import paper
from surveys.services import surveys as services
from surveys.services.queries import UnitParticipation, list_items, total_participation


@pytest.fixture
def one_ballot(demo, survey_factory, make) -> dict[str, Any]:
    """An open survey with one paper ballot stored from QSZ-03 (single entry)."""
    built = survey_factory(codes=1, unit="QSZ-03")

    def enter(session: Any) -> None:
        survey = session.get(Survey, built["survey_id"])
        paper.set_double_entry(session, survey, enabled=False)
        village = session.scalars(sa.select(Unit).where(Unit.code == "QSZ-03")).one()
        answers = {
            item.key: "4" if item.kind == "likert" else ""
            for item in list_items(session, survey.id, village.id)
        }
        clerk = session.scalar(sa.text("SELECT id FROM account WHERE username = 'clerk'"))
        ballot = paper.clean_ballot(
            session,
            survey,
            serial="P001",
            batch="B1",
            receipt=built["receipts"][0],
            unit_id=village.id,
            answers=answers,
        )
        assert (
            paper.record_entry(session, survey, ballot, clerk_id=clerk, today=utcnow().date()).state
            == "stored"
        )

    make(enter)
    return built


def test_a_small_share_is_never_shown_as_zero(client, auth, one_ballot):
    auth.login("admin")
    page = client.get(f"/admin/surveys/{one_ballot['survey_id']}/dashboard").get_data(as_text=True)
    village = page.split("枫岭村")[1].split("</tr>")[0]
    assert "0.2%" in village
    total = page.split("<tfoot>")[1]
    assert '<th class="num">&lt;0.1%</th>' in total and "0.0%" not in total


def test_the_total_counts_responses_only_where_households_are_known():
    def row(households: int, online: int) -> UnitParticipation:
        return UnitParticipation(1, "V", "村", "V", households, 0, 0, online, 0)

    total = total_participation([row(100, 10), row(0, 50), row(300, 10)])
    assert (total.households, total.responses, total.counted) == (400, 70, 20)
    assert total.response_rate == pytest.approx(20 / 400)
    assert total_participation([row(0, 5)]).response_rate is None


def test_the_results_page_cautions_an_index_from_few_households(
    app, client, auth, one_ballot, make
):
    make(
        lambda s: (
            services.close_survey(s, s.get(Survey, one_ballot["survey_id"]), now=utcnow()).digest
        )
    )
    auth.login("admin")
    page = client.get(f"/admin/surveys/{one_ballot['survey_id']}/results").get_data(as_text=True)
    assert "low response rate" in page
    assert "fewer than 20% of the households asked have answered" in page
