"""Issue 17 in the browser: a clerk prints the paper questionnaire and two clerks type one
in; a resident answers "don't know" (不了解) about a cadre on a 360 px phone.

The open survey, a code batch and the second clerk's account are made with the services
against the live server's database (the team's set-up is not the journey under test).
The questionnaire and the slips come from the real pages as PDFs; what the clerks type
is read off the downloaded questionnaire.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from assessment.app import create_app
from assessment.app.db import db, unit_of_work, utcnow
from assessment.models import Account, Unit
from assessment.services.accounts import AccountData, save_account
from assessment.services.demo import DEMO_PASSWORD
from surveys.models.surveys import Answer, Response, Survey
from surveys.services import surveys as services
from surveys.services.queries import list_items
from tests.e2e.test_clerk_journey import ClerkNavigator
from tests.e2e.test_resident_journey import ResidentNavigator, _download_slips
from tests.surveys.conftest import build_survey

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}
SECOND_CLERK = "clerk-e2e-paper-2"


def _setup_app(tmp_path_factory: pytest.TempPathFactory):
    basetemp = Path(tmp_path_factory.getbasetemp())
    (database,) = {p.resolve() for p in basetemp.glob("e2e-server*/assessment.sqlite3")}
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "e2e-setup-" + "x" * 32,
            "ACCESS_CODE_HASH_KEY": "e2e-setup-" + "y" * 32,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        }
    )


@pytest.fixture(scope="module")
def paper_setup(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """An open survey, a one-household batch for village QSZ-01, a second clerk."""
    app = _setup_app(tmp_path_factory)
    with app.app_context():
        with unit_of_work(None, reason="e2e setup") as session:
            survey_id = session.scalars(sa.select(Survey.id).where(Survey.status == "open")).first()
            if survey_id is None:
                survey_id = build_survey(session)["survey_id"]
            survey = session.get(Survey, survey_id)
            village = session.scalars(sa.select(Unit).where(Unit.code == "QSZ-01")).one()
            batch, slips = services.generate_batch(
                session,
                survey,
                unit=village,
                size=1,
                note="e2e questionnaire",
                key=app.config["ACCESS_CODE_HASH_KEY"],
                now=utcnow(),
            )
            if not session.scalar(sa.select(Account.id).where(Account.username == SECOND_CLERK)):
                township = session.scalars(sa.select(Unit).where(Unit.code == "QSZ")).one()
                save_account(
                    session,
                    AccountData(SECOND_CLERK, "录入员三", "clerk", (township.id,)),
                    password=DEMO_PASSWORD,
                )
            items = list_items(session, survey_id, village.id)
            setup = {
                "survey_id": survey_id,
                "unit_id": village.id,
                "batch_id": batch.id,
                "receipt": slips[0].receipt,
                "items": [(item.field_name, item.kind) for item in items],
            }
        db.session.remove()
        db.engine.dispose()
    setup["app"] = app
    yield setup


def _stored(app, query):
    with app.app_context():
        try:
            return db.session.execute(query).all()
        finally:
            db.session.remove()


def test_a_clerk_prints_the_questionnaire_and_two_clerks_type_it_in(
    browser: Browser, live_server: str, paper_setup: dict
) -> None:
    setup = paper_setup
    context = browser.new_context(base_url=live_server, accept_downloads=True)
    context.set_default_timeout(30_000)
    clerk = ClerkNavigator(context.new_page())
    clerk.log_in_as("clerk")
    clerk.page.goto(f"/admin/surveys/{setup['survey_id']}/paper/")
    link = clerk.page.locator(f'a[href*="/batches/{setup["batch_id"]}/questionnaires.pdf"]')
    with clerk.page.expect_download() as download:
        link.click()
    text = "\n".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages
    )
    serial = re.search(r"选票编号\s*(\d+-\d{4})", text).group(1)
    assert serial == f"{setup['batch_id']}-0001"
    assert re.search(r"99\s*不了解", text) and re.search(r"1\s*优秀", text)
    # the resident circled 99 不了解 for the first cadre, 5 elsewhere, ticked 优秀 (column 1)
    # and 45–59岁 (option 2); the clerk types what the questionnaire prints beside them
    answers, first_likert = [], None
    for field, kind in setup["items"]:
        if kind == "likert":
            answers.append("99" if first_likert is None else "5")
            first_likert = first_likert or field
        elif kind == "ballot":
            answers.append("1")
        elif kind == "choice":
            answers.append("2")
        else:
            answers.append("")
    receipt = setup["receipt"]
    clerk.open_entry_screen(setup["survey_id"], setup["unit_id"])
    clerk.type_ballot(serial, str(setup["batch_id"]), receipt, answers)
    context.close()

    second_context = browser.new_context(base_url=live_server)
    second_context.set_default_timeout(30_000)
    second = ClerkNavigator(second_context.new_page())
    second.log_in_as(SECOND_CLERK)
    second.open_entry_screen(setup["survey_id"], setup["unit_id"])
    second.type_ballot(serial, str(setup["batch_id"]), receipt, answers)
    second_context.close()

    stored = dict(
        _stored(
            setup["app"],
            sa.select(Answer.item, Answer.value_text)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.paper_serial == serial),
        )
    )
    assert stored[first_likert.removeprefix("q_")] == "dont_know"
    assert "excellent" in stored.values()


def test_a_resident_says_dont_know_about_a_cadre_on_a_phone(
    browser: Browser, live_server: str, paper_setup: dict, tmp_path: Path
) -> None:
    staff = browser.new_context(base_url=live_server, accept_downloads=True)
    url, code = _download_slips(staff.new_page(), live_server, paper_setup["survey_id"])
    staff.close()

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    resident = ResidentNavigator(page)
    resident.open_slip_address(f"{url}/{code.replace('-', '')}")
    resident.start()
    dont_know = page.locator('input[name="q_overall__t1"][value="dont_know"]')
    expect(dont_know).to_be_visible()
    expect(
        page.locator('label:has(input[name="q_overall__t1"][value="dont_know"])')
    ).to_contain_text("不了解")
    expect(page.locator('input[name="q_grade__t1"][value="dont_know"]')).to_have_count(0)
    dont_know.check()
    resident.choose("q_grade__t1", "abstain")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the form scrolls sideways by {overflow}px on a 360px screen"
    page.screenshot(path=tmp_path / "dont-know-360.png", full_page=True)
    resident.submit()
    if page.locator("ul.unanswered").count():
        resident.submit_without_the_rest()
    receipt = resident.receipt()
    assert receipt
    phone.close()
    rows = _stored(
        paper_setup["app"],
        sa.select(sa.func.count())
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Response.receipt == receipt.replace("-", "").replace(" ", ""),
            Answer.item == "overall__t1",
            Answer.value_text == "dont_know",
            Answer.value_int.is_(None),
        ),
    )
    assert rows[0][0] == 1
