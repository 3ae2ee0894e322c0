"""The printable paper questionnaire (issue 17): what it prints is what the entry screen stores.

The round trip: a questionnaire is downloaded for a code batch, a resident's choices are
read off it (the digit printed beside each label), two clerks type those digits through
the double-entry screen, and the stored answers must mean what the printed labels say.
The label → stored value table below is written out by hand from the survey the
fixture builds (tests/surveys/conftest.py), not taken from the product.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from pypdf import PdfReader

from assessment.app.db import db as _db
from assessment.app.db import utcnow
from assessment.models import Unit
from surveys.models.surveys import Answer, Response, Survey
from surveys.services import surveys as services
from surveys.services.queries import list_items
from surveys.views import questionnaire

#: What each printed Chinese label means once stored (value_int for a level, else text).
LABEL_MEANS = {
    "优秀": "excellent",
    "称职": "competent",
    "基本称职": "basic",
    "不称职": "incompetent",
    "弃权": "abstain",
    "18–44岁": "18-44",
    "45–59岁": "45-59",
    "60岁以上": "60",
    "不了解": "dont_know",
}


def _layout(app, ps) -> questionnaire.Questionnaire:
    """The questionnaire as laid out for print, in Chinese like the PDF."""
    with app.test_request_context(), force_locale("zh_CN"):
        items = list_items(_db.session, ps["survey_id"], ps["unit_id"])
        return questionnaire.build_questionnaire(items)


@pytest.fixture
def pdf(client, auth, open_survey):
    auth.login("clerk")
    response = client.get(
        f"/admin/surveys/{open_survey['survey_id']}/batches/{open_survey['batch_id']}"
        "/questionnaires.pdf"
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    auth.logout()
    return response.data


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_one_numbered_questionnaire_per_slip_of_the_batch(pdf, open_survey):
    text = _text(pdf)
    batch = open_survey["batch_id"]
    # the fixture's batch has 5 codes: serials <batch>-0001 .. <batch>-0005
    for number in range(1, 6):
        assert f"{batch}-{number:04d}" in text
    assert f"{batch}-0006" not in text
    for words in ("填写说明", "回执码", "存根", "民主测评", "99", "不了解", "请勿填写姓名"):
        assert words.replace(" ", "") in text.replace(" ", ""), words


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_the_questionnaire_embeds_its_cjk_font(pdf, tmp_path):
    path = tmp_path / "q.pdf"
    path.write_bytes(pdf)
    pdffonts = shutil.which("pdffonts") or "pdffonts"
    # poppler's font lister on a file this test wrote
    listing = subprocess.run(  # noqa: S603
        [pdffonts, str(path)], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in listing.splitlines() if "WenQuanYi" in line]
    assert cjk, listing
    # columns: name type encoding emb sub uni object-id; "emb" is the 4th from the end
    assert all(line.split()[-5] == "yes" for line in cjk), listing


def test_what_the_questionnaire_prints_is_what_double_entry_stores(
    app, client, auth, make, open_survey, pdf
):
    layout = _layout(app, open_survey)
    printed = _text(pdf).replace(" ", "")
    typed: dict[str, str] = {}
    meant: dict[str, object] = {}
    # a resident's choices: the n-th question takes its (last + 2n)-th printed option,
    # cyclically, so the first is "don't know" and the others spread over the scale
    for n, item in enumerate(layout.items):
        if not item.options:
            typed[item.field_name], meant[item.field_name] = "路灯不亮", "路灯不亮"
            continue
        option = item.options[(len(item.options) - 1 + 2 * n) % len(item.options)]
        assert f"{item.text}".replace(" ", "") in printed
        typed[item.field_name] = option.digit
        meant[item.field_name] = LABEL_MEANS.get(option.label) or int(option.digit)
    for table in layout.ballots:
        for n, row in enumerate(table.rows):
            column = table.columns[n % len(table.columns)]
            assert column.label in printed and row.label.replace(" ", "") in printed
            typed[row.field_name], meant[row.field_name] = column.digit, LABEL_MEANS[column.label]
    assert "dont_know" in meant.values()  # the round trip covers 不了解
    serial = questionnaire.batch_copies(open_survey["batch_id"], 5)[0].serial
    form = {"serial": serial, "batch": str(open_survey["batch_id"])}
    form["receipt"] = open_survey["receipts"][0]
    url = f"/admin/surveys/{open_survey['survey_id']}/paper/units/{open_survey['unit_id']}"
    for clerk in ("clerk", "clerk2"):
        auth.login(clerk)
        done = client.post(url, data={**form, **typed})
        assert done.status_code == 302, done.get_data(as_text=True)
        auth.logout()

    def stored(session):
        response = session.scalars(sa.select(Response)).one()
        assert response.paper_serial == serial
        return {
            f"q_{a.item}": a.value_int if a.value_int is not None else a.value_text
            for a in session.scalars(sa.select(Answer).where(Answer.response_id == response.id))
        }

    assert make(stored) == meant


def test_a_clerk_finds_the_questionnaires_on_the_paper_page(client, auth, open_survey):
    auth.login("clerk")
    page = client.get(f"/admin/surveys/{open_survey['survey_id']}/paper/").get_data(as_text=True)
    link = (
        f"/admin/surveys/{open_survey['survey_id']}/batches/{open_survey['batch_id']}"
        "/questionnaires.pdf?first=1"
    )
    assert link in page


def test_the_survey_page_links_each_batch_in_parts(client, auth, make, open_survey):
    def grow(session):
        survey = session.get(Survey, open_survey["survey_id"])
        unit = session.get(Unit, open_survey["unit_id"])
        batch, _slips = services.generate_batch(
            session, survey, unit=unit, size=450, note="", key="k" * 40, now=utcnow()
        )
        return batch.id

    big = make(grow)
    auth.login("admin")
    page = client.get(f"/admin/surveys/{open_survey['survey_id']}").get_data(as_text=True)
    # 450 copies in parts of 200: 1-200, 201-400, 401-450
    for first in (1, 201, 401):
        assert f"/batches/{big}/questionnaires.pdf?first={first}" in page
    assert f"/batches/{big}/questionnaires.pdf?first=601" not in page
    assert "401–450" in page


@pytest.mark.parametrize("first", ["0", "6", "-1"])
def test_a_part_outside_the_batch_is_not_found(client, auth, open_survey, first):
    auth.login("clerk")
    response = client.get(
        f"/admin/surveys/{open_survey['survey_id']}/batches/{open_survey['batch_id']}"
        f"/questionnaires.pdf?first={first}"
    )
    assert response.status_code == 404


def test_a_batch_of_another_survey_is_not_found(client, auth, open_survey):
    auth.login("clerk")
    response = client.get(
        f"/admin/surveys/{open_survey['survey_id'] + 1}/batches/{open_survey['batch_id']}"
        "/questionnaires.pdf"
    )
    assert response.status_code == 404
