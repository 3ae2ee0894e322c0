"""The team's .xlsx of a closed survey's answers (issue 17): one row per response, nothing
that joins an answer to a resident, small units not named, embargo until closing."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from assessment.app.db import utcnow
from assessment.models import Unit
from surveys.models.surveys import Response, Survey
from surveys.services import surveys as services
from surveys.services.queries import list_items
from tests.surveys.conftest import answer_online

TODAY = date(2026, 6, 2)


@pytest.fixture
def answered(app, make, survey_factory, demo):
    """Five responses from QSZ-01 and two from QSZ-02 (under the minimum group size 5)."""
    built = survey_factory(codes=5, unit="QSZ-01")

    def answer(session):
        survey = session.get(Survey, built["survey_id"])
        second = session.scalars(sa.select(Unit).where(Unit.code == "QSZ-02")).one()
        _batch, slips = services.generate_batch(
            session,
            survey,
            unit=second,
            size=2,
            note="",
            key=app.config["ACCESS_CODE_HASH_KEY"],
            now=utcnow(),
        )
        keys = {}
        groups = ((built["unit_id"], built["codes"]), (second.id, [s.code for s in slips]))
        for unit_id, codes in groups:
            items = list_items(session, survey.id, unit_id)
            keys[unit_id] = items
            for number, code in enumerate(codes):
                answers = {i.key: str(1 + (number % 5)) for i in items if i.kind == "likert"}
                answers.update({i.key: "excellent" for i in items if i.kind == "ballot"})
                answers["age"] = "45-59"
                answers["comment"] = "路灯坏了，请修"
                answer_online(
                    session,
                    survey=survey,
                    key=app.config["ACCESS_CODE_HASH_KEY"],
                    code=code,
                    unit_id=unit_id,
                    answers=answers,
                    today=TODAY,
                )
        return {
            "first": built["unit_id"],
            "second": second.id,
            "first_items": [i.key for i in keys[built["unit_id"]]],
            "second_items": [i.key for i in keys[second.id]],
        }

    return {**built, **make(answer)}


def close(make, survey_id):
    make(lambda s: services.close_survey(s, s.get(Survey, survey_id), now=utcnow()))


def url(built):
    return f"/admin/surveys/{built['survey_id']}/answers.xlsx"


def test_answers_are_under_embargo_until_the_survey_closes(client, auth, answered):
    auth.login("admin")
    response = client.get(url(answered), follow_redirects=True)
    assert response.request.path == f"/admin/surveys/{answered['survey_id']}/results"
    assert "Answers are under embargo until the survey closes" in response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["clerk", "official", "cadre"])
def test_only_the_team_downloads_answers(client, auth, make, answered, username):
    close(make, answered["survey_id"])
    auth.login(username)
    assert client.get(url(answered)).status_code == 403


def test_one_row_per_response_and_nothing_that_joins_it_to_a_resident(
    app, client, auth, make, answered
):
    close(make, answered["survey_id"])
    with app.app_context():
        from assessment.app.db import db

        stored = db.session.execute(
            sa.select(Response.receipt, Response.id).where(
                Response.survey_id == answered["survey_id"]
            )
        ).all()
    auth.login("assessor1")
    response = client.get(url(answered))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Answers", "Notes"]
    rows = list(book["Answers"].values)
    header, data = rows[0], rows[1:]
    assert len(data) == 7
    assert header[:4] == ("Response", "Village or community", "Day", "Excluded by the team")
    assert "Your age band" in header and "Comments" not in header
    everything = {str(cell) for row in rows for cell in row if cell is not None}
    for receipt, response_id in stored:
        assert receipt not in everything and response_id not in everything
    assert "路灯坏了，请修" not in everything
    assert [row[0] for row in data] == [f"R{n:05d}" for n in range(1, 8)]
    assert {row[2] for row in data} == {"2026-06-02"}
    assert {row[header.index("Your age band")] for row in data} == {"45–59"}


def test_a_unit_under_the_minimum_group_size_is_not_named_nor_given_away(
    client, auth, make, answered
):
    close(make, answered["survey_id"])
    auth.login("admin")
    book = load_workbook(io.BytesIO(client.get(url(answered)).data))
    rows = list(book["Answers"].values)
    header, data = rows[0], rows[1:]
    units = [row[1] for row in data]
    hidden = "(fewer than 5 responses: not named)"
    assert units.count(hidden) == 2
    assert sum(1 for unit in units if unit != hidden) == 5
    # The hidden rows keep the answers about targets every unit rates, and leave out
    # those only the second village rates (its own cadres would name it).
    own = [key for key in answered["second_items"] if key not in answered["first_items"]]
    assert own, "the demo's second village has targets of its own"
    for row in data:
        if row[1] == hidden:
            filled = [h for h, cell in zip(header[4:], row[4:], strict=True) if cell is not None]
            assert filled, "the shared answers are kept"
            assert len(filled) < len([k for k in answered["second_items"] if k != "comment"])
    notes = [row[0] for row in book["Notes"].values]
    assert any("fewer than 5 responses are not named (1 units, 2 responses)" in n for n in notes)
