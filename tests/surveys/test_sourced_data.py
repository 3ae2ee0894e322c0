"""What indicators that name their sources read (issue 14): per survey, per voter group,
per question; surveys an indicator names are never pooled."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa

from assessment.app.db import utcnow
from assessment.core.ballots import BallotValidity
from assessment.core.rulebook import SurveySources, VoterGroupWeight
from assessment.models import Cadre, Period, Unit
from surveys.models.surveys import Survey
from surveys.services import surveys as services
from surveys.services.queries import DONT_KNOW, list_items, list_scored_responses
from surveys.services.results_source import survey_results_data, survey_sourced_data

DAY = date(2026, 6, 2)
UNIT = "QSZ-01"  # 石桥村: its residents rate its own cadres


def _survey(session, *, code, group, kind, question, cadres, voters=0):
    period = session.scalars(sa.select(Period)).first()
    survey = services.create_survey(
        session,
        period=period,
        data=services.SurveyData(title_zh=code, code=code, voter_group=group),
    )
    for cadre in cadres:
        services.add_target(session, survey, kind="cadre", cadre=cadre, today=DAY)
    services.add_question(
        session, survey, data=services.QuestionData(code=question, kind=kind, text_zh="问")
    )
    if kind == "likert":
        services.add_question(
            session, survey, data=services.QuestionData(code="other", kind="likert", text_zh="问")
        )
    services.assign_by_default(session, survey)
    services.open_survey(session, survey, now=utcnow())
    unit = session.scalars(sa.select(Unit).where(Unit.code == UNIT)).one()
    if voters:
        services.generate_batch(
            session, survey, unit=unit, size=voters, note="", key="k" * 32, now=utcnow()
        )
    return survey, unit


def _answer(session, survey, unit, values):
    """One response: ``values`` maps a question code to the answer about every target."""
    items = list_items(session, survey.id, unit.id)
    answers = {i.key: values[i.key.split("__")[0]] for i in items if i.key.split("__")[0] in values}
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
    cadres = list(
        session.scalars(
            sa.select(Cadre).where(Cadre.code.in_(("QS009", "QS010"))).order_by(Cadre.code)
        )
    )
    leaders, unit = _survey(
        session,
        code="mzcp-a",
        group="leaders",
        kind="ballot",
        question="grade",
        cadres=cadres,
        voters=6,
    )
    staff, _ = _survey(
        session, code="mzcp-b", group="staff", kind="ballot", question="grade", cadres=cadres
    )
    residents, _ = _survey(
        session, code="cmmy", group="public", kind="likert", question="overall", cadres=cadres
    )
    for grade in ("excellent", "excellent", "competent", "abstain"):
        _answer(session, leaders, unit, {"grade": grade})
    for grade in ("competent", "basic", "incompetent"):
        _answer(session, staff, unit, {"grade": grade})
    # Likert: overall 5 and 3 -> 100 and 50; "other" 1 would pull them down if read
    for overall in ("5", "3"):
        _answer(session, residents, unit, {"overall": overall, "other": "1"})
    for survey in (leaders, staff, residents):
        services.close_survey(session, survey, now=utcnow())
    period = session.scalars(sa.select(Period)).first()
    return {
        "period_id": period.id,
        "cadre_ids": [c.id for c in cadres],
        "leaders_id": leaders.id,
    }


BALLOT = SurveySources(
    surveys=("mzcp-a", "mzcp-b"),
    questions=("grade",),
    method="ballot",
    groups=(VoterGroupWeight("leaders", 30), VoterGroupWeight("staff", 70)),
)
SATISFACTION = SurveySources(surveys=("cmmy",), questions=("overall",))


def test_a_ballot_only_survey_has_no_scored_rows(demo, make):
    """Regression: a survey with only grade-ballot questions used to crash the one
    resident-score path (k = [] is not a scale)."""
    built = make(_build)
    scored = make(lambda s: list_scored_responses(s, s.get(Survey, built["leaders_id"])))
    assert scored.target_ids == () and scored.answers.shape == (0, 0)


def test_ballots_per_group_and_scores_over_the_named_questions(demo, make):
    built = make(_build)
    data = make(
        lambda s: survey_sourced_data(
            s, s.get(Period, built["period_id"]), {"MZ": BALLOT, "S2": SATISFACTION}
        )
    )
    assert data["available"] == {
        "mzcp-a": {"grade": "ballot"},
        "mzcp-b": {"grade": "ballot"},
        "cmmy": {"overall": "likert", "other": "likert"},
    }
    first = built["cadre_ids"][0]
    mz = data["indicators"]["MZ"]
    assert mz["cadre"][first]["groups"] == {
        "leaders": {
            "votes": {"excellent": 2, "competent": 1},
            "abstentions": 1,
            "invalid": 0,
            "flagged": 0,
        },
        "staff": {
            "votes": {"competent": 1, "basic": 1, "incompetent": 1},
            "abstentions": 0,
            "invalid": 0,
            "flagged": 0,
        },
    }
    # six codes issued to the leaders' meeting, none to the staff's
    assert mz["eligible"] == {"leaders": 6, "staff": 0}
    # only "overall" is read: 5 -> 100, 3 -> 50 ("other" = 1 would give 50 and 25)
    assert sorted(data["indicators"]["S2"]["cadre"][first]["scores"]) == [50.0, 100.0]


def test_validity_rules_judge_each_response_as_one_sheet(demo, make):
    """Each response grades both cadres alike (see _answer). With at most one 优秀 per
    sheet (void) and the same grade for everyone flagged:
    leaders: [优秀, 优秀] twice -> 2 > 1, invalid for both cadres (the void rule wins over
    the flag); [称职, 称职] -> flagged, counted; [弃权, 弃权] -> abstentions are no grade,
    valid. Each cadre: 称职 1, abstentions 1, invalid 2, flagged 1.
    staff: [称职, 称职], [基本称职, 基本称职], [不称职, 不称职] -> all three flagged, counted."""
    built = make(_build)
    ruled = SurveySources(
        surveys=BALLOT.surveys,
        questions=BALLOT.questions,
        method="ballot",
        groups=BALLOT.groups,
        validity=BallotValidity(max_top=1, same_grade_for_all="flag"),
    )
    data = make(lambda s: survey_sourced_data(s, s.get(Period, built["period_id"]), {"MZ": ruled}))
    for cadre_id in built["cadre_ids"]:
        groups = data["indicators"]["MZ"]["cadre"][cadre_id]["groups"]
        assert groups["leaders"] == {
            "votes": {"competent": 1},
            "abstentions": 1,
            "invalid": 2,
            "flagged": 1,
        }
        assert groups["staff"] == {
            "votes": {"competent": 1, "basic": 1, "incompetent": 1},
            "abstentions": 0,
            "invalid": 0,
            "flagged": 3,
        }


def test_named_surveys_are_never_pooled(demo, make):
    built = make(_build)
    period_of = lambda s: s.get(Period, built["period_id"])  # noqa: E731
    pooled = make(lambda s: survey_results_data(s, period_of(s)))
    first = built["cadre_ids"][0]
    # unnamed: the Likert survey is pooled (both questions: (100 + 0) / 2, (50 + 0) / 2)
    assert sorted(pooled["cadre"][first]["scores"]) == [25.0, 50.0]
    named = make(lambda s: survey_results_data(s, period_of(s), named={"cmmy", "mzcp-a", "mzcp-b"}))
    assert first not in named["cadre"]


def test_dont_know_over_the_named_questions_is_no_score_and_no_invalid_response(demo, make):
    """Issue 17's 不了解 on a sourced indicator (found at the merge of the two branches):
    a resident who said "don't know" to the one named question is left out of the scores
    (not a NaN, which would count as an invalid response), even if another question of
    the survey has a level."""

    def build(session):
        cadres = list(session.scalars(sa.select(Cadre).where(Cadre.code == "QS009")))
        residents, unit = _survey(
            session, code="cmmy", group="public", kind="likert", question="overall", cadres=cadres
        )
        _answer(session, residents, unit, {"overall": "5", "other": "1"})  # overall -> 100
        _answer(session, residents, unit, {"overall": DONT_KNOW, "other": "1"})
        services.close_survey(session, residents, now=utcnow())
        return session.scalars(sa.select(Period)).first().id, cadres[0].id

    period_id, cadre_id = make(build)
    data = make(lambda s: survey_sourced_data(s, s.get(Period, period_id), {"S2": SATISFACTION}))
    assert data["indicators"]["S2"]["cadre"][cadre_id]["scores"] == [100.0]
