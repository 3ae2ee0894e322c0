"""Access-code limits fall on the guesser, behind a reverse proxy too; guessing spread
over many addresses raises an alarm for the team instead of locking everyone out."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from assessment.app.db import db as _db
from assessment.app.db import utcnow
from surveys.models.surveys import CodeFailureCount
from surveys.services import surveys as services
from surveys.services import tokens
from tests.surveys.conftest import resident_answers

PROXY = {"REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture
def proxies() -> int:
    return 1


@pytest.fixture
def app_config(app_config, proxies):
    return {**app_config, "TRUSTED_PROXY_COUNT": proxies, "SURVEY_CODE_MAX_FAILURES_PER_CLIENT": 3}


def _behind_the_proxy(app, address: str):
    """A browser whose requests reach the app through one nginx that forwards its address."""
    client = app.test_client()
    client.environ_base.update(PROXY, HTTP_X_FORWARDED_FOR=address)
    return client


def _guess(client, short: str):
    return client.post(f"/s/{short}", data={"code": tokens.new_access_code()})


def test_behind_the_proxy_the_guesser_alone_is_locked_out(app, open_survey):
    short = open_survey["short_id"]
    guesser = _behind_the_proxy(app, "203.0.113.5")
    for _ in range(3):
        assert _guess(guesser, short).status_code == 400
    assert guesser.post(f"/s/{short}", data={"code": open_survey["codes"][0]}).status_code == 429
    resident = _behind_the_proxy(app, "203.0.113.6")
    receipt, _ = resident_answers(resident, short, open_survey["codes"][0])
    assert receipt


@pytest.mark.parametrize("proxies", [0])
def test_without_the_proxy_setting_everyone_behind_it_is_one_client(app, open_survey):
    short = open_survey["short_id"]
    guesser = _behind_the_proxy(app, "203.0.113.5")
    for _ in range(3):
        _guess(guesser, short)
    resident = _behind_the_proxy(app, "203.0.113.6")
    assert resident.post(f"/s/{short}", data={"code": open_survey["codes"][0]}).status_code == 429


def test_guessing_from_many_addresses_raises_the_alarm_and_locks_nobody(
    app, open_survey, client, auth
):
    app.config["SURVEY_CODE_ALARM_PER_HOUR"] = 4
    short, survey_id = open_survey["short_id"], open_survey["survey_id"]
    auth.login("assessor1")
    for number in range(3):
        _guess(_behind_the_proxy(app, f"198.51.100.{number}"), short)
    quiet = client.get(f"/admin/surveys/{survey_id}").get_data(as_text=True)
    assert "Wrong access codes tried in the last hour: 3 (alarm at 4)." in quiet
    assert "Someone may be guessing" not in quiet
    for number in range(3, 5):
        _guess(_behind_the_proxy(app, f"198.51.100.{number}"), short)
    for page in (f"/admin/surveys/{survey_id}", f"/admin/surveys/{survey_id}/dashboard"):
        text = client.get(page).get_data(as_text=True)
        assert "Someone may be guessing access codes: 5 wrong codes" in text, page
    # Nobody is locked out by it: a resident from yet another address gets in.
    receipt, _ = resident_answers(
        _behind_the_proxy(app, "198.51.100.99"), short, open_survey["codes"][0]
    )
    assert receipt
    with app.app_context():
        counted = _db.session.scalars(sa.select(CodeFailureCount)).all()
    assert sum(row.wrong_codes for row in counted) == 5
    assert all(row.bucket_start.minute % 5 == 0 and row.bucket_start.second == 0 for row in counted)


def test_the_alarm_counts_the_last_hour_and_forgets_older_buckets(app, open_survey, make):
    survey_id = open_survey["survey_id"]
    now = utcnow()

    def record(session, at, times):
        for _ in range(times):
            services.record_wrong_code(session, survey_id=survey_id, now=at)

    make(lambda s: record(s, now - timedelta(hours=3), 40))
    make(lambda s: record(s, now - timedelta(minutes=90), 7))
    make(lambda s: record(s, now - timedelta(minutes=30), 2))
    make(lambda s: record(s, now, 1))
    with app.app_context():
        assert services.count_wrong_codes(_db.session, survey_id=survey_id, now=now) == 3
        kept = _db.session.scalars(sa.select(CodeFailureCount.wrong_codes)).all()
    assert sorted(kept) == [1, 2, 7]  # the bucket three hours old was deleted
