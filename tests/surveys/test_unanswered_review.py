"""Issue 20: a resident never loses a half-filled form by mistake.

Answering 1 of the questions and tapping 提交答卷 used to store the response at once and
use up the code. Now the unanswered questions are named on a review step (which claims
nothing), and the resident goes back to answer them or confirms. Skipping stays possible.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from assessment.app.db import db as _db
from surveys.core.codes import format_code
from surveys.models.surveys import AccessCode, Response, Survey
from surveys.services import surveys as services
from surveys.services import tokens
from tests.surveys.conftest import hidden_fields, receipt_in


def enter_code(client, short_id, code) -> str:
    response = client.post(f"/s/{short_id}", data={"code": format_code(code)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def answer(client, short_id, fields, **answers):
    return client.post(f"/s/{short_id}/answer", data={**fields, **answers})


def count_responses(app) -> int:
    with app.app_context():
        return _db.session.scalar(sa.select(sa.func.count()).select_from(Response))


def code_status(app, survey_id: int, code: str) -> str:
    with app.app_context():
        survey = _db.session.get(Survey, survey_id)
        code_hash = tokens.hash_access_code(app.config["ACCESS_CODE_HASH_KEY"], survey_id, code)
        return services.code_status(_db.session, survey=survey, code_hash=code_hash)


def claims(app) -> int:
    with app.app_context():
        return _db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AccessCode)
            .where(sa.or_(AccessCode.used.is_(True), AccessCode.claim_key.is_not(None)))
        )


def rated_fields(page: str) -> list[str]:
    """Names of the radio groups on a questionnaire page, in page order."""
    return list(dict.fromkeys(re.findall(r'type="radio" name="(q_[^"]+)"', page)))


def first_values(page: str) -> dict[str, str]:
    """The first choice of every radio group: a resident who answers everything."""
    return dict(re.findall(r'type="radio" name="(q_[^"]+)" value="([^"]+)"', page)[::-1])


def test_half_filled_form_is_not_stored_and_the_review_names_what_is_missing(
    app, client, open_survey
):
    short, code = open_survey["short_id"], open_survey["codes"][0]
    page = enter_code(client, short, code)
    review = answer(client, short, hidden_fields(page), q_overall__t1="4", nav="submit")
    text = review.get_data(as_text=True)
    assert review.status_code == 200
    assert count_responses(app) == 0
    assert claims(app) == 0
    assert code_status(app, open_survey["survey_id"], code) == "unused"
    assert "not answered yet" in text
    # Each unanswered question named by its text, with the target's name.
    missing = re.search(r'<ul class="unanswered">(.*?)</ul>', text, re.S).group(1)
    assert "Grade" in missing and "王建国 (Township Party secretary)" in missing
    assert "Your age band" in missing
    assert missing.count("<li") == len(rated_fields(page)) - 1
    # The answered one and the free-text comment (always optional) are not listed.
    assert "Comments" not in missing
    assert not re.search(r"王建国 \(Township Party secretary\)</b>\s*Overall satisfaction", missing)
    # The review carries the answers encrypted: no question field and no answer in clear.
    assert 'type="radio"' not in text and "<textarea" not in text
    assert hidden_fields(text)["step"] == "review"


def test_going_back_from_the_review_keeps_the_answers_given(app, client, open_survey):
    short = open_survey["short_id"]
    page = enter_code(client, short, open_survey["codes"][0])
    review = answer(
        client, short, hidden_fields(page), q_overall__t1="4", q_comment="路灯", nav="submit"
    ).get_data(as_text=True)
    back = answer(client, short, hidden_fields(review), nav="back")
    text = back.get_data(as_text=True)
    assert back.status_code == 200
    assert re.search(r'name="q_overall__t1" value="4" checked', text)
    assert ">路灯</textarea>" in text
    # The unanswered questions are marked on the form the resident returns to.
    assert 'id="q_grade__t1"' in text and "not answered" in text
    # Answering the rest on the way back and submitting is one step: no second review.
    done = answer(
        client, short, hidden_fields(text), **first_values(text), q_comment="路灯", nav="submit"
    )
    assert done.status_code == 200 and receipt_in(done.get_data(as_text=True))
    with app.app_context():
        stored = {a.item: a.value_text for a in _db.session.scalars(sa.select(services.Answer))}
    assert stored["comment"] == "路灯" and len(stored) == len(first_values(text)) + 1


def test_confirming_the_review_stores_the_half_filled_form(app, client, open_survey):
    short, code = open_survey["short_id"], open_survey["codes"][0]
    page = enter_code(client, short, code)
    review = answer(client, short, hidden_fields(page), q_overall__t1="4", nav="submit")
    done = answer(client, short, hidden_fields(review.get_data(as_text=True)), nav="confirm")
    assert done.status_code == 200 and receipt_in(done.get_data(as_text=True))
    assert count_responses(app) == 1
    assert code_status(app, open_survey["survey_id"], code) == "used"
    with app.app_context():
        stored = {a.item: a.value_int for a in _db.session.scalars(sa.select(services.Answer))}
    assert stored == {"overall__t1": 4}


def test_every_question_answered_submits_in_one_step(app, client, open_survey):
    short = open_survey["short_id"]
    page = enter_code(client, short, open_survey["codes"][0])
    done = answer(client, short, hidden_fields(page), **first_values(page), nav="submit")
    assert done.status_code == 200 and receipt_in(done.get_data(as_text=True))
    assert count_responses(app) == 1


def test_a_bad_value_is_shown_on_the_form_not_on_the_review(app, client, open_survey):
    short = open_survey["short_id"]
    page = enter_code(client, short, open_survey["codes"][0])
    response = answer(client, short, hidden_fields(page), q_overall__t1="9", nav="submit")
    assert response.status_code == 400
    assert "Choose one of the answers shown." in response.get_data(as_text=True)
    assert "not answered yet" not in response.get_data(as_text=True)
    assert count_responses(app) == 0


def test_one_question_per_screen_review_leads_to_the_screen_of_a_missing_question(
    app, client, demo, survey_factory
):
    built = survey_factory(one_per_screen=True)
    short = built["short_id"]
    page = enter_code(client, short, built["codes"][0])
    total = int(re.search(r"Question 1 of (\d+)", page).group(1))
    page = answer(client, short, hidden_fields(page), q_overall__t1="5", nav="next").get_data(
        as_text=True
    )
    for _ in range(total - 2):
        page = answer(client, short, hidden_fields(page), nav="next").get_data(as_text=True)
    assert f"Question {total} of {total}" in page
    review = answer(client, short, hidden_fields(page), nav="submit").get_data(as_text=True)
    assert count_responses(app) == 0
    assert review.count('name="to"') == total - 2  # all but the answer and the comment
    # The grade of the first target is question 2: its button opens that screen.
    assert re.search(r'name="to" value="1"', review)
    screen = answer(client, short, hidden_fields(review), to="1").get_data(as_text=True)
    assert "Question 2 of" in screen and 'name="q_grade__t1"' in screen
    screen = answer(
        client, short, hidden_fields(screen), q_grade__t1="competent", nav="next"
    ).get_data(as_text=True)
    assert "Question 3 of" in screen
    for _ in range(total - 3):
        screen = answer(client, short, hidden_fields(screen), nav="next").get_data(as_text=True)
    review = answer(client, short, hidden_fields(screen), nav="submit").get_data(as_text=True)
    assert review.count('name="to"') == total - 3
    done = answer(client, short, hidden_fields(review), nav="confirm")
    assert receipt_in(done.get_data(as_text=True))
    with app.app_context():
        stored = {a.item for a in _db.session.scalars(sa.select(services.Answer))}
    assert stored == {"overall__t1", "grade__t1"}


def test_progress_is_shown_on_both_kinds_of_form(client, demo, survey_factory):
    long_form = survey_factory()
    page = enter_code(client, long_form["short_id"], long_form["codes"][0])
    total = len(re.findall(r'class="q[ "]', page))
    assert f"{total} questions" in page
    assert f"Question 1 of {total}" in page and f"Question {total} of {total}" in page
    one_per_screen = survey_factory(one_per_screen=True)
    page = enter_code(client, one_per_screen["short_id"], one_per_screen["codes"][0])
    assert re.search(rf'<progress[^>]*value="1"[^>]*max="{total}"', page)
    assert re.search(r'<progress[^>]*aria-labelledby="progress-text"', page)
    assert f'id="progress-text">Question 1 of {total}' in page


def test_the_review_changes_language_and_keeps_the_answers(app, client, open_survey):
    short = open_survey["short_id"]
    page = enter_code(client, short, open_survey["codes"][0])
    review = answer(client, short, hidden_fields(page), q_overall__t1="4", nav="submit")
    listed = review.get_data(as_text=True).count("<li")
    switched = answer(client, short, hidden_fields(review.get_data(as_text=True)), lang="zh_CN")
    text = switched.get_data(as_text=True)
    assert '<html lang="zh-CN">' in text and "总体满意度" in text and "民主测评" in text
    assert text.count("<li") == listed and count_responses(app) == 0
    back = answer(client, short, hidden_fields(text), nav="back").get_data(as_text=True)
    assert re.search(r'name="q_overall__t1" value="4" checked', back)
