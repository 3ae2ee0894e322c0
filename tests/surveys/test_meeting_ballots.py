"""Numbered paper ballots for a meeting (issue 14): a survey of grade ballots only prints
as 民主测评票, every cadre a row of one table, a box per grade, a serial per ballot; two
clerks type them in with the existing double entry, and the stored response carries the
serial and the voter group of the batch.

The label → stored value table is written out by hand, not taken from the product.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from pypdf import PdfReader

from assessment.app.db import db as _db
from assessment.app.db import utcnow
from assessment.models import Cadre, Period, Unit
from surveys.models.surveys import Answer, Response, Survey
from surveys.services import surveys as services
from surveys.services.queries import list_items
from surveys.views import questionnaire

GRADE_MEANS = {
    "优秀": "excellent",
    "称职": "competent",
    "基本称职": "basic",
    "不称职": "incompetent",
    "弃权": "abstain",
}
DAY = date(2026, 6, 2)
#: Every cadre of the demo township (40) on one ballot: the whole meeting rates them all.
CADRES = [f"QS{n:03d}" for n in range(1, 41)]


def _meeting(session):
    period = session.scalars(sa.select(Period)).first()
    survey = services.create_survey(
        session,
        period=period,
        data=services.SurveyData(
            title_zh="2026年度乡镇干部民主测评", code="mzcp", voter_group="staff"
        ),
    )
    for code in CADRES:
        cadre = session.scalars(sa.select(Cadre).where(Cadre.code == code)).one()
        services.add_target(session, survey, kind="cadre", cadre=cadre, today=DAY)
    services.add_question(
        session,
        survey,
        data=services.QuestionData(code="grade", kind="ballot", text_zh="请对以下干部评定等次"),
    )
    unit = session.scalars(sa.select(Unit).where(Unit.code == "QSZ-01")).one()
    services.set_unit_targets(session, survey, unit=unit, target_ids=[t.id for t in survey.targets])
    services.open_survey(session, survey, now=utcnow())
    batch, slips = services.generate_batch(
        session,
        survey,
        unit=unit,
        size=3,
        note="班子会议",
        key="k" * 32,
        now=utcnow(),
        voter_group="leaders",
    )
    return {
        "survey_id": survey.id,
        "unit_id": unit.id,
        "batch_id": batch.id,
        "receipts": [slip.receipt for slip in slips],
    }


@pytest.fixture
def meeting(demo, make):
    return make(_meeting)


@pytest.fixture
def ballots_pdf(client, auth, meeting):
    auth.login("clerk")
    response = client.get(
        f"/admin/surveys/{meeting['survey_id']}/batches/{meeting['batch_id']}/questionnaires.pdf"
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert "ballots-1.pdf" in response.headers["Content-Disposition"]
    auth.logout()
    return response.data


def _pages(data: bytes) -> list[str]:
    return [page.extract_text().replace(" ", "") for page in PdfReader(io.BytesIO(data)).pages]


def test_one_numbered_ballot_per_slip_each_on_one_sheet(ballots_pdf, meeting):
    pages = _pages(ballots_pdf)
    batch = meeting["batch_id"]
    # 3 slips → 3 ballots, one page each, serials <batch>-0001 .. <batch>-0003
    assert len(pages) == 3
    for number, page in enumerate(pages, start=1):
        assert f"{batch}-{number:04d}" in page
        assert "民主测评票" in page and "班子成员" in page  # the batch's group, not the survey's
        assert "请勿填写姓名" in page
        assert "不了解" not in page  # a ballot has no "don't know"


def test_what_the_ballot_prints_is_what_double_entry_stores(
    app, client, auth, make, meeting, ballots_pdf
):
    with app.test_request_context(), force_locale("zh_CN"):
        layout = questionnaire.build_questionnaire(
            list_items(_db.session, meeting["survey_id"], meeting["unit_id"])
        )
    assert layout.is_meeting_ballot and len(layout.ballots) == 1
    table = layout.ballots[0]
    assert [c.label for c in table.columns] == ["优秀", "称职", "基本称职", "不称职", "弃权"]
    printed = _pages(ballots_pdf)[0]
    assert len(table.rows) == len(CADRES)
    typed, meant = {}, {}
    # row n ticks column n mod 5: every grade and the abstention are typed
    for n, row in enumerate(table.rows):
        column = table.columns[n % len(table.columns)]
        assert row.label.replace(" ", "") in printed
        typed[row.field_name], meant[row.field_name] = column.digit, GRADE_MEANS[column.label]
    serial = questionnaire.batch_copies(meeting["batch_id"], 3)[1].serial
    form = {"serial": serial, "batch": str(meeting["batch_id"]), "receipt": meeting["receipts"][0]}
    url = f"/admin/surveys/{meeting['survey_id']}/paper/units/{meeting['unit_id']}"
    for clerk in ("clerk", "clerk2"):
        auth.login(clerk)
        done = client.post(url, data={**form, **typed})
        assert done.status_code == 302, done.get_data(as_text=True)
        auth.logout()

    def stored(session):
        response = session.scalars(sa.select(Response)).one()
        answers = {
            f"q_{a.item}": a.value_text
            for a in session.scalars(sa.select(Answer).where(Answer.response_id == response.id))
        }
        return response.paper_serial, response.voter_group, answers

    assert make(stored) == (serial, "leaders", meant)


def test_the_survey_page_links_numbered_ballots(client, auth, meeting):
    auth.login("assessor1")
    page = client.get(f"/admin/surveys/{meeting['survey_id']}").get_data(as_text=True)
    assert "Numbered ballots (PDF)" in page
    assert f"/batches/{meeting['batch_id']}/questionnaires.pdf?first=1" in page


def test_a_cadre_cannot_print_ballots(client, auth, meeting):
    auth.login("cadre")
    response = client.get(
        f"/admin/surveys/{meeting['survey_id']}/batches/{meeting['batch_id']}/questionnaires.pdf"
    )
    assert response.status_code == 403


def test_a_mixed_survey_still_prints_questionnaires(app, open_survey):
    with app.test_request_context(), force_locale("zh_CN"):
        survey = _db.session.get(Survey, open_survey["survey_id"])
        layout = questionnaire.build_questionnaire(
            list_items(_db.session, survey.id, open_survey["unit_id"])
        )
    assert layout.ballots and not layout.is_meeting_ballot
