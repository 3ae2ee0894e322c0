"""Voter groups on code batches (issue 14): one survey collects from several groups.

A batch may name a group overriding its survey's; each response keeps the group of its
unit's batches, and the engine's per-group data read the group per response.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from assessment.app.db import utcnow
from assessment.core.errors import FieldError
from assessment.core.rulebook import SurveySources, VoterGroupWeight
from assessment.models import Cadre, Period, Unit
from surveys.models.surveys import CodeBatch, PaperReceipt, Response, Survey
from surveys.services import surveys as services
from surveys.services.queries import list_items, list_scored_responses
from surveys.services.results_source import survey_sourced_data

DAY = date(2026, 6, 2)
KEY = "k" * 32


def _unit(session, code):
    return session.scalars(sa.select(Unit).where(Unit.code == code)).one()


def _meeting(session):
    """One ballot-and-Likert survey of the leaders about the township's secretary; the
    village QSZ-01 answers as leaders (the survey's group), QSZ-02 as village
    representatives (its batch names the group)."""
    period = session.scalars(sa.select(Period)).first()
    survey = services.create_survey(
        session,
        period=period,
        data=services.SurveyData(title_zh="民主测评", code="mzcp", voter_group="leaders"),
    )
    cadre = session.scalars(sa.select(Cadre).where(Cadre.code == "QS001")).one()
    services.add_target(session, survey, kind="cadre", cadre=cadre, today=DAY)
    for code, kind in (("grade", "ballot"), ("overall", "likert")):
        services.add_question(
            session, survey, data=services.QuestionData(code=code, kind=kind, text_zh="问")
        )
    services.assign_by_default(session, survey)
    services.open_survey(session, survey, now=utcnow())
    township, village = _unit(session, "QSZ-01"), _unit(session, "QSZ-02")
    services.generate_batch(session, survey, unit=township, size=4, note="", key=KEY, now=utcnow())
    services.generate_batch(
        session,
        survey,
        unit=village,
        size=10,
        note="",
        key=KEY,
        now=utcnow(),
        voter_group="village-reps",
    )
    return survey, township, village, cadre


def _answer(session, survey, unit, grade, overall):
    items = list_items(session, survey.id, unit.id)
    answers = {
        item.key: (grade if item.key.startswith("grade") else overall)
        for item in items
        if item.target_id is not None
    }
    services.store_response(
        session,
        survey=survey,
        unit_id=unit.id,
        channel="online",
        answers=answers,
        receipt=uuid.uuid4().hex[:12].upper(),
        submission_key=uuid.uuid4().hex,
        today=DAY,
        items=items,
    )


def _build(session):
    survey, township, village, cadre = _meeting(session)
    # leaders (QSZ-01): excellent/5, competent/4; village reps: basic/3, abstain/2, basic/1
    for grade, overall in (("excellent", "5"), ("competent", "4")):
        _answer(session, survey, township, grade, overall)
    for grade, overall in (("basic", "3"), ("abstain", "2"), ("basic", "1")):
        _answer(session, survey, village, grade, overall)
    services.close_survey(session, survey, now=utcnow())
    return {"survey_id": survey.id, "cadre_id": cadre.id, "period_id": survey.period_id}


def test_each_response_keeps_the_group_of_its_units_batch(demo, make):
    built = make(_build)
    groups = make(
        lambda s: sorted(
            s.scalars(
                sa.select(Response.voter_group).where(Response.survey_id == built["survey_id"])
            )
        )
    )
    assert groups == ["leaders", "leaders", "village-reps", "village-reps", "village-reps"]
    batches = make(
        lambda s: sorted(
            (b.size, b.voter_group)
            for b in s.scalars(
                sa.select(CodeBatch).where(CodeBatch.survey_id == built["survey_id"])
            )
        )
    )
    # the batch of the survey's own group stores no override
    assert batches == [(4, None), (10, "village-reps")]


def test_engine_reads_ballots_scores_and_eligible_voters_per_response_group(demo, make):
    built = make(_build)
    sources = {
        "MZ": SurveySources(
            surveys=("mzcp",),
            questions=("grade",),
            method="ballot",
            groups=(VoterGroupWeight("leaders", 50), VoterGroupWeight("village-reps", 50)),
        ),
        "MY": SurveySources(surveys=("mzcp",), questions=("overall",)),
    }
    data = make(lambda s: survey_sourced_data(s, s.get(Period, built["period_id"]), sources))
    mz = data["indicators"]["MZ"]
    assert mz["cadre"][built["cadre_id"]]["groups"] == {
        # no validity rule named: every sheet counts, none invalid or flagged
        "leaders": {
            "votes": {"excellent": 1, "competent": 1},
            "abstentions": 0,
            "invalid": 0,
            "flagged": 0,
        },
        "village-reps": {"votes": {"basic": 2}, "abstentions": 1, "invalid": 0, "flagged": 0},
    }
    # 4 codes printed for QSZ-01's leaders, 10 for QSZ-02's village representatives
    assert mz["eligible"] == {"leaders": 4, "village-reps": 10}
    my = data["indicators"]["MY"]["cadre"][built["cadre_id"]]
    # 5-point Likert on 0-100: (v - 1) / 4 × 100 → 5:100, 4:75, 3:50, 2:25, 1:0
    assert sorted(zip(my["groups"], my["scores"], strict=True)) == [
        ("leaders", 75.0),
        ("leaders", 100.0),
        ("village-reps", 0.0),
        ("village-reps", 25.0),
        ("village-reps", 50.0),
    ]
    scored = make(lambda s: list_scored_responses(s, s.get(Survey, built["survey_id"])))
    assert sorted(scored.voter_groups) == ["leaders"] * 2 + ["village-reps"] * 3


def _survey_and_units(session):
    survey, township, village, _cadre = _meeting(session)
    return survey, township, village


@pytest.mark.parametrize(
    ("unit_code", "group", "error"),
    [
        # not a built-in group and not the survey's own
        ("QSZ-03", "elders", "unknown_voter_group"),
        # QSZ-01's earlier batch is for the leaders: an online answer shows only its unit
        ("QSZ-01", "staff", "unit_has_other_group"),
        ("QSZ-02", "leaders", "unit_has_other_group"),
    ],
)
def test_a_bad_batch_group_names_the_field_and_saves_nothing(demo, make, unit_code, group, error):
    ids = make(lambda s: _meeting(s)[0].id)

    def generate(session):
        survey = session.get(Survey, ids)
        services.generate_batch(
            session,
            survey,
            unit=_unit(session, unit_code),
            size=3,
            note="",
            key=KEY,
            now=utcnow(),
            voter_group=group,
        )

    with pytest.raises(FieldError) as caught:
        make(generate)
    assert (caught.value.field, caught.value.code) == ("voter_group", error)
    counts = make(
        lambda s: (
            s.scalar(sa.select(sa.func.count()).where(CodeBatch.survey_id == ids)),
            s.scalar(sa.select(sa.func.count()).where(PaperReceipt.survey_id == ids)),
        )
    )
    assert counts == (2, 14)  # the two batches of _meeting: 4 + 10 receipts


def test_staff_form_names_the_batch_group_and_refuses_an_unknown_one(app, client, auth, demo, make):
    ids = make(lambda s: _meeting(s)[0].id)
    auth.login("assessor1")
    village3 = make(lambda s: _unit(s, "QSZ-03").id)
    refused = client.post(
        f"/admin/surveys/{ids}/batches",
        data={"batch-unit_id": village3, "batch-size": 3, "batch-voter_group": "elders"},
    )
    assert refused.status_code == 400
    assert "Unknown voter group “elders”" in refused.get_data(as_text=True)
    made = client.post(
        f"/admin/surveys/{ids}/batches",
        data={"batch-unit_id": village3, "batch-size": 3, "batch-voter_group": "party-reps"},
    )
    assert made.status_code == 200 and made.mimetype == "application/pdf"
    page = client.get(f"/admin/surveys/{ids}").get_data(as_text=True)
    assert "Party member representatives" in page and "Village representatives" in page


def test_a_clerk_cannot_generate_a_batch(client, auth, demo, make):
    ids = make(lambda s: _meeting(s)[0].id)
    auth.login("clerk")
    village3 = make(lambda s: _unit(s, "QSZ-03").id)
    refused = client.post(
        f"/admin/surveys/{ids}/batches",
        data={"batch-unit_id": village3, "batch-size": 3, "batch-voter_group": "party-reps"},
    )
    assert refused.status_code == 403
