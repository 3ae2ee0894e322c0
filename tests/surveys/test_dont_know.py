""" "I don't know this cadre" (不了解, issue 17): stored apart, left out of the index, counted.

Every expected number here is worked out by hand in the comments, from the answers the
test stores, with DESIGN section 4's formula (an answer x on a k-point scale whose lowest
level is l maps to (x − l) / (k − 1) × 100; a response's score about a target is the
mean of its answered items; the index is the mean of the scores) and issue 17's share
of residents who know a target: rated / (rated + don't know).
"""

from __future__ import annotations

import io
import math
import uuid
from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from assessment.app.db import utcnow
from assessment.core.errors import FieldError, InvalidParameterError
from assessment.models import Account, Cadre, Period, Unit
from reports.services.bundle import survey_records
from surveys.core import tally
from surveys.models.paper import PaperEntry
from surveys.models.surveys import Answer, Response, Survey, Target
from surveys.services import paper, queries
from surveys.services import surveys as services
from surveys.services.results_source import cadre_awareness, survey_results_data
from tests.surveys.conftest import build_survey, hidden_fields, resident_answers

DAY = date(2026, 6, 2)
DK = queries.DONT_KNOW
nan = math.nan

# ---------------------------------------------------------------------------
# the pure core
# ---------------------------------------------------------------------------


def test_dont_know_items_are_left_out_of_the_score_and_counted_apart():
    # columns: a 5-point Likert item and a 0-10 item
    items = [[5, 10], [2, nan], [nan, nan], [nan, 6], [nan, nan], [nan, nan]]
    unknown = [
        [False, False],
        [False, True],  # rated the first item, did not know for the second
        [True, True],  # knows nothing about the target
        [True, False],
        [True, False],
        [False, False],  # answered nothing at all: invalid, not "don't know"
    ]
    scores = tally.compute_response_scores(items, k=[5, 11], lowest=[1, 0], dont_know=unknown)
    # (5-1)/4*100 = 100 and 10/10*100 = 100 → 100; (2-1)/4*100 = 25; 6/10*100 = 60
    assert scores.scores[[0, 1, 3]].tolist() == [100.0, 25.0, 60.0]
    assert np.isnan(scores.scores[[2, 4, 5]]).all()
    assert scores.dont_know.tolist() == [False, False, True, False, True, False]
    assert (scores.n_valid, scores.n_dont_know, scores.n_invalid) == (3, 2, 1)


def test_awareness_is_rated_over_rated_and_dont_know():
    summary = tally.summarise_awareness(
        ["a", "a", "a", "b", "b", "a", "b"],
        [True, True, False, False, False, False, True],
        [False, False, True, True, True, False, False],
    )
    # a: 2 rated, 1 don't know (the 6th row is neither) → 2 / 3
    assert (summary["a"].n_rated, summary["a"].n_dont_know) == (2, 1)
    assert summary["a"].share_known == pytest.approx(2 / 3)
    # b: 1 rated, 2 don't know → 1 / 3
    assert summary["b"].share_known == pytest.approx(1 / 3)


def test_awareness_of_a_target_nobody_answered_about_is_nan():
    summary = tally.summarise_awareness(["a"], [False], [False])
    assert summary["a"].n_rated == summary["a"].n_dont_know == 0
    assert math.isnan(summary["a"].share_known)


@pytest.mark.parametrize(
    ("items", "unknown", "name", "code"),
    [
        ([[4.0, nan]], [[True, False]], "dont_know", "item_also_has_a_level"),
        ([[4.0, nan]], [[False, True, False]], "dont_know", "shape_differs_from_items"),
    ],
)
def test_bad_dont_know_matrices_are_refused(items, unknown, name, code):
    with pytest.raises(InvalidParameterError) as refused:
        tally.compute_response_scores(items, k=5, dont_know=unknown)
    assert (refused.value.name, refused.value.reason) == (name, code)


def test_bad_awareness_inputs_are_refused():
    with pytest.raises(InvalidParameterError) as refused:
        tally.summarise_awareness(["a"], [True], [True])
    assert refused.value.reason == "row_also_rated"
    with pytest.raises(InvalidParameterError) as refused:
        tally.summarise_awareness(["a", "b"], [True], [False])
    assert refused.value.reason == "length_differs_from_targets"


# ---------------------------------------------------------------------------
# a closed survey: the results, the staff page, the open data and the cadre
# ---------------------------------------------------------------------------

#: Per response about the village head QS009 (target t2): (overall 1-5, scale 0-10).
VILLAGE_HEAD = [(5, 10), (2, DK), (DK, DK), (DK, 6), (DK, None), (4, None), (DK, DK)]
#: The team excludes the last response; it counts nowhere.
EXCLUDED = 6
#: Scores of the counted rated responses, by hand: (100+100)/2, 25, 60, 75.
EXPECTED_SCORES = [25.0, 60.0, 75.0, 100.0]
#: Index (25 + 60 + 75 + 100) / 4 = 65; known by 4 of 4 + 2 = 6 residents.
EXPECTED_INDEX = 65.0
EXPECTED_SHARE = 4 / 6


@pytest.fixture
def dont_know_survey(demo, make):
    def build(session):
        built = build_survey(session, open_it=False)
        survey = session.get(Survey, built["survey_id"])
        services.add_question(
            session,
            survey,
            data=services.QuestionData(code="scale", kind="scale10", text_zh="打分"),
        )
        services.open_survey(session, survey, now=utcnow())
        unit_id = session.scalars(sa.select(Unit.id).where(Unit.code == "QSZ-01")).one()
        items = queries.list_items(session, survey.id, unit_id)
        ids = []
        for overall, scale in VILLAGE_HEAD:
            answers = {"overall__t2": overall, "scale__t2": scale, "grade__t2": "abstain"}
            ids.append(
                services.store_response(
                    session,
                    survey=survey,
                    unit_id=unit_id,
                    channel="online",
                    answers={k: str(v) for k, v in answers.items() if v is not None},
                    receipt=uuid.uuid4().hex[:12].upper(),
                    submission_key=uuid.uuid4().hex,
                    today=DAY,
                    items=items,
                )
            )
        services.close_survey(session, survey, now=utcnow())
        admin = session.scalars(sa.select(Account.id).where(Account.username == "admin")).one()
        paper.decide_exclusion(
            session,
            survey,
            response_id=ids[EXCLUDED],
            action="exclude",
            reason="test decision",
            decided_by=admin,
        )
        qs009 = session.scalars(sa.select(Cadre.id).where(Cadre.code == "QS009")).one()
        target = session.scalars(
            sa.select(Target).where(Target.survey_id == survey.id, Target.cadre_id == qs009)
        ).one()
        return {"survey_id": survey.id, "cadre_id": qs009, "target_id": target.id}

    return make(build, actor_id=1)


def test_dont_know_is_stored_as_text_never_as_a_level(make, dont_know_survey):
    def read(session):
        return session.execute(
            sa.select(Answer.value_int, Answer.value_text).where(
                Answer.item.in_(["overall__t2", "scale__t2"])
            )
        ).all()

    rows = make(read)
    stored_dont_know = [row for row in rows if row.value_text == DK]
    # VILLAGE_HEAD holds 1 + 2 + 1 + 1 + 2 = 7 DK answers
    assert len(stored_dont_know) == 7
    assert all(row.value_int is None for row in stored_dont_know)


def test_the_staff_page_leaves_dont_know_out_of_the_index_and_counts_it(make, dont_know_survey):
    def read(session):
        survey = session.get(Survey, dont_know_survey["survey_id"])
        return {r.target_id: r for r in queries.list_results(session, survey)}

    result = make(read)[dont_know_survey["target_id"]]
    assert result.satisfaction.n == 4
    assert result.satisfaction.n_invalid == 0
    assert result.satisfaction.index == pytest.approx(EXPECTED_INDEX)
    assert (result.awareness.n_rated, result.awareness.n_dont_know) == (4, 2)
    assert result.awareness.share_known == pytest.approx(EXPECTED_SHARE)
    # the grade ballot keeps its own abstention: 6 counted ballots, all abstained
    assert (result.ballot.n_ballots, result.ballot.n_abstained) == (6, 6)


def test_the_results_and_the_open_data_count_only_the_ratings(make, dont_know_survey):
    def read(session):
        period = session.scalars(sa.select(Period)).first()
        return survey_results_data(session, period), survey_records(session, period)[0]

    data, records = make(read)
    target = data["cadre"][dont_know_survey["cadre_id"]]
    assert sorted(target["scores"]) == pytest.approx(EXPECTED_SCORES)
    assert target["n_excluded"] == 1
    published = [
        r
        for r in records
        if r.target_kind == "cadre" and r.target == str(dont_know_survey["cadre_id"])
    ]
    assert len(published) == 4


def test_the_cadre_sees_how_many_residents_know_them(make, dont_know_survey):
    def read(session):
        period = session.scalars(sa.select(Period)).first()
        return cadre_awareness(session, period, dont_know_survey["cadre_id"])

    (entry,) = make(read)
    assert (entry.n_rated, entry.n_dont_know) == (4, 2)
    assert entry.share_known == pytest.approx(EXPECTED_SHARE)


def test_the_staff_results_page_shows_the_share(client, auth, dont_know_survey):
    auth.login("official")
    page = client.get(f"/admin/surveys/{dont_know_survey['survey_id']}/results").get_data(
        as_text=True
    )
    assert "Share who know the target" in page
    assert "66.7%" in page and "65.00" in page


# ---------------------------------------------------------------------------
# the phone form and the paper entry
# ---------------------------------------------------------------------------


def test_a_resident_says_dont_know_on_the_phone(app, client, make, open_survey):
    short = open_survey["short_id"]
    client.get(f"/s/{short}/{open_survey['codes'][0]}")
    page = client.post(f"/s/{short}", data={"code": open_survey["codes"][0]}).get_data(as_text=True)
    assert 'name="q_overall__t2" value="dont_know"' in page
    assert 'name="q_grade__t2" value="dont_know"' not in page  # a ballot keeps abstain
    resident_answers(
        client, short, open_survey["codes"][1], q_overall__t1="4", q_overall__t2="dont_know"
    )

    def read(session):
        return dict(
            session.execute(
                sa.select(Answer.item, Answer.value_text).where(Answer.item.like("overall__%"))
            ).all()
        )

    assert make(read) == {"overall__t1": None, "overall__t2": DK}


def test_dont_know_on_a_grade_ballot_is_refused_on_the_phone(client, make, open_survey):
    short = open_survey["short_id"]
    client.get(f"/s/{short}/{open_survey['codes'][0]}")
    page = client.post(f"/s/{short}", data={"code": open_survey["codes"][0]}).get_data(as_text=True)
    answered = client.post(
        f"/s/{short}/answer",
        data={**hidden_fields(page), "q_overall__t1": "4", "q_grade__t2": DK, "nav": "confirm"},
    )
    assert 'class="receipt"' not in answered.get_data(as_text=True)
    assert make(lambda s: s.scalar(sa.select(sa.func.count()).select_from(Response))) == 0


def _type(make, survey_id, unit_id, receipt, clerk, answers, serial="P001"):
    def change(session):
        survey = session.get(Survey, survey_id)
        clerk_id = session.scalars(sa.select(Account.id).where(Account.username == clerk)).one()
        ballot = paper.clean_ballot(
            session,
            survey,
            serial=serial,
            batch="B1",
            receipt=receipt,
            unit_id=unit_id,
            answers=answers,
        )
        return paper.record_entry(session, survey, ballot, clerk_id=clerk_id, today=DAY).state

    return make(change)


def test_the_clerk_types_99_for_dont_know(make, open_survey):
    s = open_survey
    answers = {"overall__t1": "3", "overall__t2": paper.DONT_KNOW_DIGITS, "grade__t2": "5"}
    assert _type(make, s["survey_id"], s["unit_id"], s["receipts"][0], "clerk", answers) == (
        "pending"
    )
    assert _type(make, s["survey_id"], s["unit_id"], s["receipts"][0], "clerk2", answers) == (
        "stored"
    )

    def read(session):
        return {
            a.item: (a.value_int, a.value_text)
            for a in session.scalars(sa.select(Answer).where(Answer.target_id.is_not(None)))
        }

    # 5 on the grade ballot is its fifth option, abstain
    assert make(read) == {
        "overall__t1": (3, None),
        "overall__t2": (None, DK),
        "grade__t2": (None, "abstain"),
    }


def test_the_dont_know_code_on_a_grade_ballot_names_the_field(make, open_survey):
    s = open_survey
    answers = {"overall__t1": "3", "grade__t2": paper.DONT_KNOW_DIGITS}
    with pytest.raises(FieldError) as refused:
        _type(make, s["survey_id"], s["unit_id"], s["receipts"][0], "clerk", answers)
    assert (refused.value.field, refused.value.code) == ("q_grade__t2", "bad_digit")
    assert make(lambda x: x.scalar(sa.select(sa.func.count()).select_from(PaperEntry))) == 0


def test_the_entry_screen_names_the_dont_know_code(client, auth, open_survey):
    auth.login("clerk")
    page = client.get(
        f"/admin/surveys/{open_survey['survey_id']}/paper/units/{open_survey['unit_id']}"
    ).get_data(as_text=True)
    assert "1–5; 99: don&#39;t know; blank: no answer" in page


def test_the_answers_export_says_dont_know_in_words(client, auth, dont_know_survey):
    auth.login("admin")
    response = client.get(f"/admin/surveys/{dont_know_survey['survey_id']}/answers.xlsx")
    assert response.status_code == 200
    cells = [
        cell for row in load_workbook(io.BytesIO(response.data))["Answers"].values for cell in row
    ]
    # the 7 stored "don't know" answers (the excluded response is listed, marked excluded)
    assert cells.count("Don't know (I do not know them well enough to rate)") == 7
    assert DK not in cells
