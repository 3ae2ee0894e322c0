"""Survey fixtures: a built survey over the demo township, open, with printed codes."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from assessment.app.db import utcnow
from assessment.models import Cadre, Period, Unit
from surveys.services import surveys as services
from surveys.services import tokens


@pytest.fixture
def app_config(app_config):
    """English pages: the tests read the English wording (Chinese is the product default)."""
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _unit(session, code: str) -> Unit:
    return session.scalars(sa.select(Unit).where(Unit.code == code)).one()


def build_survey(session, *, one_per_screen: bool = False, open_it: bool = True) -> dict[str, Any]:
    period = session.scalars(sa.select(Period)).first()
    survey = services.create_survey(
        session,
        period=period,
        data=services.SurveyData(
            title_zh="2026年群众满意度测评",
            title_en="2026 resident satisfaction survey",
            one_per_screen=one_per_screen,
        ),
    )
    today = date(2026, 6, 1)
    secretary = session.scalars(sa.select(Cadre).where(Cadre.code == "QS001")).one()
    village_head = session.scalars(sa.select(Cadre).where(Cadre.code == "QS009")).one()
    other_village = session.scalars(sa.select(Cadre).where(Cadre.code == "QS013")).one()
    for cadre in (secretary, village_head, other_village):
        services.add_target(session, survey, kind="cadre", cadre=cadre, today=today)
    services.add_target(session, survey, kind="unit", unit=_unit(session, "QSZ"), today=today)
    services.add_target(
        session,
        survey,
        kind="service",
        label_zh="便民服务中心",
        label_en="Service centre",
        today=today,
    )
    services.add_question(
        session,
        survey,
        data=services.QuestionData(
            code="overall", kind="likert", text_zh="总体满意度", text_en="Overall satisfaction"
        ),
    )
    services.add_question(
        session,
        survey,
        data=services.QuestionData(
            code="grade", kind="ballot", text_zh="民主测评", text_en="Grade"
        ),
    )
    services.add_question(
        session,
        survey,
        data=services.QuestionData(
            code="age",
            kind="choice",
            text_zh="您的年龄段",
            text_en="Your age band",
            options=(
                ("18-44", "18–44岁", "18–44"),
                ("45-59", "45–59岁", "45–59"),
                ("60", "60岁以上", "60+"),
            ),
        ),
    )
    services.add_question(
        session,
        survey,
        data=services.QuestionData(
            code="comment", kind="text", text_zh="意见建议", text_en="Comments"
        ),
    )
    services.assign_by_default(session, survey)
    if open_it:
        services.open_survey(session, survey, now=utcnow())
    return {"survey_id": survey.id, "short_id": survey.short_id}


def hidden_fields(page: str) -> dict[str, str]:
    """The questionnaire's hidden state, as a browser sends it back."""
    return dict(re.findall(r'name="(entry|carried|step)"[^>]*value="([^"]*)"', page))


def receipt_in(page: str) -> str:
    found = re.search(r'<p class="receipt">([^<]+)</p>', page)
    assert found, page
    return found.group(1)


def resident_answers(client, short_id: str, code: str, **answers: str) -> tuple[str, dict]:
    """A resident's whole journey through the web: scan, start, answer, submit, and
    submit without the unanswered questions when the review page names them.

    Returns the receipt shown and the hidden fields of the questionnaire.
    """
    client.get(f"/s/{short_id}/{code}")
    page = client.post(f"/s/{short_id}", data={"code": code}).get_data(as_text=True)
    fields = hidden_fields(page)
    done = client.post(
        f"/s/{short_id}/answer",
        data={**fields, **(answers or {"q_overall__t1": "4"}), "nav": "submit"},
    )
    if 'class="unanswered"' in done.get_data(as_text=True):
        review = hidden_fields(done.get_data(as_text=True))
        done = client.post(f"/s/{short_id}/answer", data={**review, "nav": "confirm"})
    assert done.status_code == 200, done.get_data(as_text=True)
    return receipt_in(done.get_data(as_text=True)), fields


def answer_online(
    session,
    *,
    survey,
    key: str,
    code: str,
    unit_id: int,
    answers: dict[str, str],
    today: date,
    submission_id: str | None = None,
    duration_band_s: int | None = None,
) -> services.SubmitResult:
    """Both steps of an online response in the caller's transaction, for test set-up.

    The web path (surveys.views.surveys._submit) commits between the two; tests that look at
    transactions go through the web.
    """
    submission_id = submission_id or tokens.new_submission_id()
    services.claim_code(
        session,
        survey=survey,
        code_hash=tokens.hash_access_code(key, survey.id, code),
        claim_key=tokens.claim_key(key, survey.id, submission_id),
    )
    return services.store_online_response(
        session,
        survey=survey,
        unit_id=unit_id,
        submission_key=tokens.submission_key(key, survey.id, submission_id),
        answers=answers,
        today=today,
        duration_band_s=duration_band_s,
    )


@pytest.fixture
def survey_factory(app, make):
    """``survey_factory(codes=5, unit="QSZ-01", ...)`` → ids, short id, plain codes."""

    def create(
        *, codes: int = 5, unit: str = "QSZ-01", one_per_screen: bool = False, open_it: bool = True
    ) -> dict[str, Any]:
        def change(session):
            built = build_survey(session, one_per_screen=one_per_screen, open_it=open_it)
            from surveys.models.surveys import Survey

            survey = session.get(Survey, built["survey_id"])
            batch, slips = services.generate_batch(
                session,
                survey,
                unit=_unit(session, unit),
                size=codes,
                note="",
                key=app.config["ACCESS_CODE_HASH_KEY"],
                now=utcnow(),
            )
            return {
                **built,
                "batch_id": batch.id,
                "unit_id": batch.unit_id,
                "codes": [slip.code for slip in slips],
                "receipts": [slip.receipt for slip in slips],
            }

        return make(change)

    return create


@pytest.fixture
def open_survey(demo, survey_factory):
    return survey_factory()
