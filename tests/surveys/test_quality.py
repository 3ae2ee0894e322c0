"""The team's quality page: flags on constructed responses, the embargo, exclusions."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from assessment.app.db import utcnow
from assessment.core.errors import FieldError
from assessment.models import Account, AuditEntry
from surveys.core.quality import duration_band
from surveys.models.paper import PaperEntry, ResponseExclusion
from surveys.models.surveys import Response, Survey
from surveys.services import paper, queries
from surveys.services import surveys as services
from surveys.services.queries import list_items

DAY = date(2026, 6, 2)


def _store(session, survey, unit_id, *, likert: int, duration=None, serial=None, vary=False):
    items = list_items(session, survey.id, unit_id)
    answers = {}
    for n, item in enumerate(i for i in items if i.kind == "likert"):
        answers[item.key] = str(((likert + n) % 5) + 1 if vary else likert)
    return services.store_response(
        session,
        survey=survey,
        unit_id=unit_id,
        channel="paper" if serial else "online",
        answers=answers,
        receipt=uuid.uuid4().hex[:12].upper(),
        submission_key=None if serial else uuid.uuid4().hex,
        today=DAY,
        duration_band_s=None if duration is None else duration_band(duration),
        paper_serial=serial,
        items=items,
    )


@pytest.fixture
def flagged_survey(demo, survey_factory, make):
    """31 online responses (one fast and straight-lined), two paper ballots sharing a serial."""
    built = survey_factory(codes=2)

    def fill(session):
        survey = session.get(Survey, built["survey_id"])
        unit = built["unit_id"]
        for n in range(30):
            _store(session, survey, unit, likert=n % 5, duration=300 + n, vary=True)
        fast = _store(session, survey, unit, likert=4, duration=20)
        twins = [_store(session, survey, unit, likert=n, serial="P77", vary=True) for n in (1, 2)]
        clerk = session.scalars(sa.select(Account.id).where(Account.username == "clerk")).one()
        session.add(
            PaperEntry(
                survey_id=survey.id,
                serial="P90",
                ballot_batch="",
                ballot_unit_id=unit,
                slip_receipt=built["receipts"][0],
                answers_json="{}",
                clerk_id=clerk,
            )
        )
        session.flush()
        return {"fast": fast, "twins": twins}

    return {**built, **make(fill)}


def _report(make, survey_id):
    def read(session):
        survey = session.get(Survey, survey_id)
        return paper.quality_report(session, survey, min_group_size=5)

    return make(read)


def _close(make, survey_id):
    make(lambda s: services.close_survey(s, s.get(Survey, survey_id), now=utcnow()))


def test_before_closing_only_participation_signals(make, flagged_survey):
    report = _report(make, flagged_survey["survey_id"])
    assert not report.closed
    assert report.counts == {"duplicate_serial": 2}
    assert {r.response_id for r in report.flagged} == set(flagged_survey["twins"])
    assert all(r.answers == {} for r in report.flagged)
    assert [(c.entries, c.suspect_share) for c in report.clerks] == [(1, None)]
    assert all(u.spread is None for u in report.units)


def test_after_closing_every_flag_is_computed(make, flagged_survey):
    _close(make, flagged_survey["survey_id"])
    report = _report(make, flagged_survey["survey_id"])
    assert report.closed
    assert report.counts["too_fast"] == 1
    assert report.counts["straight_lining"] == 1
    assert report.counts["duplicate_serial"] == 2
    by_id = {r.response_id: r for r in report.flagged}
    assert by_id[flagged_survey["fast"]].flags == ("straight_lining", "too_fast")
    assert set(by_id[flagged_survey["fast"]].answers.values()) == {"4"}
    assert by_id[flagged_survey["twins"][0]].flags == ("duplicate_serial",)
    assert report.responses == 33


def test_quality_page_hides_answers_until_closing(client, auth, make, flagged_survey):
    survey_id = flagged_survey["survey_id"]
    auth.login("admin")
    before = client.get(f"/admin/surveys/{survey_id}/quality").get_data(as_text=True)
    assert "only participation signals are shown" in before
    assert "P77" in before
    assert flagged_survey["fast"][:8] not in before
    _close(make, survey_id)
    after = client.get(f"/admin/surveys/{survey_id}/quality").get_data(as_text=True)
    assert flagged_survey["fast"][:8] in after
    assert "Completed in under a third of the median time" in after
    assert "Answers" in after


def test_clerks_cannot_see_the_quality_page(client, auth, flagged_survey):
    auth.login("clerk")
    assert client.get(f"/admin/surveys/{flagged_survey['survey_id']}/quality").status_code == 403


def _decide(make, survey_id, response_id, action, reason="seen on the paper ballot"):
    def change(session):
        admin = session.scalars(sa.select(Account.id).where(Account.username == "admin")).one()
        paper.decide_exclusion(
            session,
            session.get(Survey, survey_id),
            response_id=response_id,
            action=action,
            reason=reason,
            decided_by=admin,
        )

    make(change, actor_id=1)


def _excluded(make, survey_id):
    return make(lambda s: queries.list_excluded_ids(s, survey_id))


def test_exclusion_is_recorded_audited_and_reversible(make, flagged_survey):
    survey_id, fast = flagged_survey["survey_id"], flagged_survey["fast"]
    _decide(make, survey_id, fast, "exclude")
    assert _excluded(make, survey_id) == {fast}
    # the response stays stored
    assert make(lambda s: s.get(Response, fast) is not None)
    with pytest.raises(FieldError) as refused:
        _decide(make, survey_id, fast, "exclude")
    assert refused.value.code == "already_excluded"
    _decide(make, survey_id, fast, "include", reason="the resident confirmed it")
    assert _excluded(make, survey_id) == set()
    decisions = make(
        lambda s: [
            (d.decision, d.decision_reason)
            for d in s.scalars(sa.select(ResponseExclusion).order_by(ResponseExclusion.id))
        ]
    )
    assert decisions == [
        ("exclude", "seen on the paper ballot"),
        ("include", "the resident confirmed it"),
    ]
    audited = make(
        lambda s: s.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.object_type == "survey_response_exclusions")
        )
    )
    assert audited == 2


@pytest.mark.parametrize(
    ("response_id", "action", "reason", "field", "code"),
    [
        (None, "exclude", "  ", "reason", "required"),
        (None, "delete", "why", "action", "unknown_action"),
        ("f" * 32, "exclude", "why", "response_id", "unknown_response"),
        (None, "include", "why", "action", "already_included"),
    ],
)
def test_bad_decisions_are_refused(make, flagged_survey, response_id, action, reason, field, code):
    with pytest.raises(FieldError) as refused:
        _decide(
            make,
            flagged_survey["survey_id"],
            response_id or flagged_survey["fast"],
            action,
            reason=reason,
        )
    assert (refused.value.field, refused.value.code) == (field, code)
    assert make(lambda s: s.scalar(sa.select(sa.func.count()).select_from(ResponseExclusion))) == 0


def test_exclude_and_include_through_the_page(client, auth, make, flagged_survey):
    survey_id, fast = flagged_survey["survey_id"], flagged_survey["fast"]
    _close(make, survey_id)
    auth.login("assessor1")
    url = f"/admin/surveys/{survey_id}/quality/responses/{fast}"
    missing = client.post(f"{url}/exclude", data={"reason": ""}, follow_redirects=True)
    assert "Give a reason" in missing.get_data(as_text=True)
    assert _excluded(make, survey_id) == set()
    done = client.post(f"{url}/exclude", data={"reason": "copied"}, follow_redirects=True)
    assert "Decision recorded." in done.get_data(as_text=True)
    assert "Include again" in done.get_data(as_text=True)
    assert _excluded(make, survey_id) == {fast}
    client.post(f"{url}/include", data={"reason": "checked"})
    assert _excluded(make, survey_id) == set()
