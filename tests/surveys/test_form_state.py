"""The questionnaire's hidden state: sealed so it opens only here, and matching nothing stored."""

from __future__ import annotations

import base64
import re

import pytest
import sqlalchemy as sa

from assessment.app.db import db as _db
from surveys.services import form_state
from tests.conftest import TEST_SECRET
from tests.surveys.conftest import hidden_fields, resident_answers

SECRET = "s" * 40
PAYLOAD = {"s": 1, "h": "ab" * 32, "u": 3, "sub": "Xyz", "t": 1_780_000_000}


def test_a_sealed_state_opens_with_its_secret_and_purpose_only():
    token = form_state.seal(SECRET, "survey-entry", PAYLOAD, now=100)
    assert form_state.open_sealed(SECRET, "survey-entry", token, now=100) == PAYLOAD
    for secret, purpose in ((SECRET + "x", "survey-entry"), (SECRET, "survey-carried")):
        with pytest.raises(form_state.FormStateError, match="forged"):
            form_state.open_sealed(secret, purpose, token, now=100)


def test_a_changed_short_or_garbled_token_is_refused():
    token = form_state.seal(SECRET, "survey-entry", PAYLOAD, now=100)
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    for bad, reason in ((flipped, "forged"), (token[:10], "too_short"), ("#$%", "not_base64")):
        with pytest.raises(form_state.FormStateError, match=reason):
            form_state.open_sealed(SECRET, "survey-entry", bad, now=100)


def test_an_old_token_expires():
    token = form_state.seal(SECRET, "survey-entry", PAYLOAD, now=100)
    assert form_state.open_sealed(SECRET, "survey-entry", token, now=160, max_age=60)
    with pytest.raises(form_state.FormStateError, match="expired"):
        form_state.open_sealed(SECRET, "survey-entry", token, now=161, max_age=60)


def test_the_token_shows_nothing_of_its_payload():
    token = form_state.seal(SECRET, "survey-entry", PAYLOAD, now=100)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for value in ("ab" * 32, "Xyz", "1780000000", '"sub"'):
        assert value.encode() not in raw and value not in token
    # Two seals of the same payload differ (random nonce): equal states cannot be matched.
    assert token != form_state.seal(SECRET, "survey-entry", PAYLOAD, now=100)


def _every_stored_value(app) -> str:
    """Every value of every row of every table, as text."""
    with app.app_context():
        parts = []
        for table in _db.metadata.sorted_tables:
            for row in _db.session.execute(sa.select(table)):
                parts.extend(str(value) for value in row)
        return "\n".join(parts)


def test_the_form_state_a_resident_carries_matches_nothing_stored(app, demo, survey_factory):
    built = survey_factory(one_per_screen=True, codes=2)
    short = built["short_id"]
    client = app.test_client()
    page = client.post(f"/s/{short}", data={"code": built["codes"][0]}).get_data(as_text=True)
    carried = [hidden_fields(page)]
    page = client.post(
        f"/s/{short}/answer", data={**carried[0], "q_overall__t1": "5", "nav": "next"}
    ).get_data(as_text=True)
    carried.append(hidden_fields(page))
    receipt, last = resident_answers(app.test_client(), short, built["codes"][1])
    carried.append(last)
    stored = _every_stored_value(app)
    assert receipt.replace("-", "") in stored  # the dump does hold the stored values
    for fields in carried:
        entry = form_state.open_sealed(TEST_SECRET, "survey-entry", fields["entry"], now=0)
        state = form_state.open_sealed(TEST_SECRET, "survey-carried", fields["carried"], now=0)
        assert entry["h"] in stored  # the code hash is stored, but the page does not show it
        for token in (fields["entry"], fields["carried"]):
            assert token not in stored
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            assert entry["h"].encode() not in raw and entry["sub"].encode() not in raw
        assert entry["sub"] not in stored and state["sub"] == entry["sub"]
    assert not re.search(r'value="[^"]*\.[^"]*\.[^"]*"', page), "an itsdangerous-style token"


def test_a_tampered_or_swapped_form_state_asks_for_the_code_again(client, open_survey):
    short = open_survey["short_id"]
    fields = hidden_fields(
        client.post(f"/s/{short}", data={"code": open_survey["codes"][0]}).get_data(as_text=True)
    )
    swapped = {**fields, "entry": fields["carried"], "carried": fields["entry"]}
    flipped = {
        **fields,
        "entry": fields["entry"][:-2] + ("AA" if fields["entry"][-2:] != "AA" else "BB"),
    }
    for data in (swapped, flipped):
        response = client.post(f"/s/{short}/answer", data={**data, "q_overall__t1": "4"})
        assert response.status_code == 400
        assert "Enter your access code again" in response.get_data(as_text=True)
