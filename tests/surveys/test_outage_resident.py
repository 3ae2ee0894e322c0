"""A resident who submits while the database is down loses nothing (issue 12).

The answers travel in the page; the 503 asks them to send it again, and the same form
sent once the database is back is stored once, with its receipt.
"""

from __future__ import annotations

from tests.surveys.test_views import (
    answer,
    count_responses,
    enter_code,
    hidden_fields,
    receipt_in,
)
from tests.test_outage import database_down


def test_a_submission_during_an_outage_succeeds_when_sent_again(app, client, open_survey):
    short = open_survey["short_id"]
    fields = hidden_fields(
        enter_code(client, short, open_survey["codes"][0]).get_data(as_text=True)
    )
    with database_down(app):
        refused = answer(client, short, fields, q_overall__t1="4", nav="confirm")
    assert refused.status_code == 503
    assert count_responses(app) == 0
    stored = answer(client, short, fields, q_overall__t1="4", nav="confirm")
    assert stored.status_code == 200
    assert receipt_in(stored.get_data(as_text=True))
    assert count_responses(app) == 1
