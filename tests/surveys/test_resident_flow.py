"""The resident flow's per-process cache and the statements a submission makes (issue 18).

No timing here: speed is measured by scripts/bench_submit.py. These tests pin what the
fast path must keep: a closed survey refuses at once, a language gets its own
questionnaire, nothing cached outlives the open survey it was built from, and a
submission is a fixed, small set of statements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from assessment.app.db import db as _db
from assessment.app.db import utcnow
from assessment.models import Unit
from surveys.models.surveys import AccessCode, Answer, Response, Survey
from surveys.services import surveys as services
from surveys.services.resident import PublicSurvey, ResidentCache


def hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(entry|carried|step)"[^>]*value="([^"]*)"', page))


def every_question_answered(page: str) -> dict[str, str]:
    """The first choice of every rated or choice question on the page."""
    answers: dict[str, str] = {}
    for name, value in re.findall(r'type="radio" name="(q_[^"]+)" value="([^"]*)"', page):
        answers.setdefault(name, value)
    return answers


def enter_code(client, short_id: str, code: str) -> str:
    response = client.post(f"/s/{short_id}", data={"code": code})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


@contextmanager
def statements_of(app) -> Iterator[list[str]]:
    """Every SQL statement sent to the database while the block runs (DBAPI cursor
    executions, so BEGIN/COMMIT and PostgreSQL's connection check are not among them)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _verbs(statements: list[str]) -> list[str]:
    return [statement.split()[0] for statement in statements]


# -- statements ---------------------------------------------------------------------------


def test_a_submission_is_four_statements_with_the_answers_in_one_insert(app, client, open_survey):
    short = open_survey["short_id"]
    page = enter_code(client, short, open_survey["codes"][0])
    answers = every_question_answered(page)
    # A household of QSZ-01 rates 4 of the 5 targets (not the other village's head,
    # assign_by_default) on 2 rated questions (overall, grade), plus the age question.
    assert len(answers) == 4 * 2 + 1
    with statements_of(app) as seen:
        done = client.post(
            f"/s/{short}/answer", data={**hidden_fields(page), **answers, "nav": "submit"}
        )
    assert done.status_code == 200 and 'class="receipt"' in done.get_data(as_text=True)
    # Read the survey's row; claim the code (commit); insert the response (only if the
    # survey is open and the receipt new) and all its answers (commit). Nothing is read
    # again after a commit, and no answer has a statement of its own.
    assert _verbs(seen) == ["SELECT", "UPDATE", "INSERT", "INSERT"], seen
    assert "survey_access_codes" in seen[1]
    assert seen[2].startswith("INSERT INTO survey_responses")
    assert seen[3].startswith("INSERT INTO survey_answers")
    with app.app_context():
        stored = _db.session.scalar(sa.select(sa.func.count()).select_from(Answer))
    assert stored == len(answers)


def test_a_second_resident_of_the_unit_reads_no_question_or_target(app, client, open_survey):
    short = open_survey["short_id"]
    enter_code(client, short, open_survey["codes"][0])
    with statements_of(app) as seen:
        page = enter_code(app.test_client(), short, open_survey["codes"][1])
    assert "Overall satisfaction" in page
    read = " ".join(seen)
    assert "survey_questions" not in read and "survey_targets" not in read, seen
    # The survey's row, the client's lock-out, the code and its batch.
    assert len(seen) == 3, seen


# -- what is cached, and when it is not used ------------------------------------------------


def test_a_language_gets_its_own_questionnaire(app, client, open_survey):
    short = open_survey["short_id"]
    english = enter_code(client, short, open_survey["codes"][0])
    assert "Overall satisfaction" in english and "Very satisfied" in english
    chinese_client = app.test_client()
    chinese_client.get("/lang/zh_CN")
    chinese = enter_code(chinese_client, short, open_survey["codes"][1])
    assert '<html lang="zh-CN">' in chinese
    assert "总体满意度" in chinese and "Overall satisfaction" not in chinese
    assert "Very satisfied" not in chinese and "很满意" in chinese
    # And the English page is still English after the Chinese one was cached.
    again = enter_code(app.test_client(), short, open_survey["codes"][2])
    assert "Overall satisfaction" in again and "总体满意度" not in again


def test_a_closed_survey_refuses_though_its_questionnaire_is_cached(app, client, open_survey, make):
    short = open_survey["short_id"]
    page = enter_code(client, short, open_survey["codes"][0])
    make(lambda s: services.close_survey(s, s.get(Survey, open_survey["survey_id"]), now=utcnow()))
    sent = client.post(
        f"/s/{short}/answer",
        data={**hidden_fields(page), **every_question_answered(page), "nav": "submit"},
    )
    assert sent.status_code == 409
    assert "This survey is closed" in sent.get_data(as_text=True)
    refused = app.test_client().post(f"/s/{short}", data={"code": open_survey["codes"][1]})
    assert refused.status_code == 400 and "This survey is closed" in refused.get_data(as_text=True)
    landing = client.get(f"/s/{short}").get_data(as_text=True)
    assert "closed" in landing and 'name="code"' not in landing
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
        # The code was claimed before the close (step 1 checks the state read at the
        # start of the request); the response was refused by the insert itself.
        used = _db.session.scalar(
            sa.select(sa.func.count()).select_from(AccessCode).where(AccessCode.used)
        )
    assert used <= 1


def test_the_response_insert_refuses_a_survey_closed_after_the_page_read_it(app, open_survey, make):
    """The insert checks the state itself: a close between the read and the insert wins."""
    with app.app_context():
        survey = _db.session.get(Survey, open_survey["survey_id"])
        stale = PublicSurvey(
            id=survey.id,
            short_id=survey.short_id,
            status="open",
            title_zh=survey.title_zh,
            title_en=survey.title_en,
            intro_zh="",
            intro_en="",
            one_per_screen=False,
            opened_at=survey.opened_at,
            voter_group=survey.voter_group,
        )
    make(lambda s: services.close_survey(s, s.get(Survey, open_survey["survey_id"]), now=utcnow()))
    with app.app_context(), pytest.raises(services.CodeRejectedError) as refused:
        services.store_online_response(
            _db.session,
            survey=stale,
            unit_id=open_survey["unit_id"],
            submission_key="k" * 64,
            answers={"overall__t1": "4"},
            today=date(2026, 6, 1),
        )
    assert refused.value.code == "survey_closed"
    with app.app_context():
        _db.session.rollback()
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_an_edited_draft_is_shown_as_edited_once_open(app, client, demo, survey_factory, make):
    built = survey_factory(open_it=False)
    short = built["short_id"]
    draft = client.get(f"/s/{short}").get_data(as_text=True)
    assert "has not opened yet" in draft

    def edit_and_open(session):
        survey = session.get(Survey, built["survey_id"])
        services.add_question(
            session,
            survey,
            data=services.QuestionData(
                code="roads", kind="likert", text_zh="道路", text_en="Roads and paths"
            ),
        )
        services.open_survey(session, survey, now=utcnow())

    make(edit_and_open)
    page = enter_code(client, short, built["codes"][0])
    assert "Roads and paths" in page


def test_the_cache_relies_on_an_open_survey_refusing_every_edit(app, open_survey, make):
    """The cache keeps an open survey's questionnaire until it closes: this holds only
    while every edit of questions, targets and raters refuses an open survey."""

    def try_each_edit(session):
        survey = session.get(Survey, open_survey["survey_id"])
        unit = session.get(Unit, open_survey["unit_id"])
        edits = [
            lambda: services.update_survey(
                session,
                survey,
                data=services.SurveyData(title_zh="改过的标题", title_en="Edited"),
            ),
            lambda: services.add_question(
                session,
                survey,
                data=services.QuestionData(code="new", kind="likert", text_zh="新", text_en="New"),
            ),
            lambda: services.remove_question(session, survey, survey.questions[0]),
            lambda: services.add_target(
                session, survey, kind="service", label_zh="卫生室", today=date(2026, 6, 1)
            ),
            lambda: services.remove_target(session, survey, survey.targets[0]),
            lambda: services.assign_by_default(session, survey),
            lambda: services.set_unit_targets(session, survey, unit=unit, target_ids=[]),
        ]
        refused = 0
        for edit in edits:
            with pytest.raises(services.SurveyStateError):
                edit()
            refused += 1
        return refused

    assert make(try_each_edit) == 7


OPENED = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _record(status: str, opened_at: datetime = OPENED) -> PublicSurvey:
    return PublicSurvey(
        id=1,
        short_id="ABCDEF",
        status=status,
        title_zh="",
        title_en="",
        intro_zh="",
        intro_en="",
        one_per_screen=False,
        opened_at=opened_at,
        voter_group="public",
    )


def test_cache_keeps_only_open_surveys_and_forgets_the_oldest():
    cache = ResidentCache(max_entries=2)
    builds: list[str] = []

    def build(name: str):
        return lambda: builds.append(name) or name

    open_survey = _record("open")
    assert cache.get(open_survey, "a", build("a")) == "a"
    assert cache.get(open_survey, "a", build("a again")) == "a"
    # The same survey closed (or a draft) is built afresh every time and never stored.
    for status in ("closed", "draft"):
        assert cache.get(_record(status), "a", build(status)) == status
    assert builds == ["a", "closed", "draft"] and len(cache) == 1
    # Opened at another moment (a restored database, another survey with the id): new key.
    reopened = _record("open", opened_at=OPENED.replace(year=2020))
    assert cache.get(reopened, "a", build("other")) == "other"
    cache.get(open_survey, "b", build("b"))
    assert len(cache) == 2
    assert cache.get(open_survey, "a", build("a rebuilt")) == "a rebuilt"  # the oldest went
