"""A resident scans a slip's QR address on a 360×640 phone, answers, and gets a receipt.

Submitting a half-filled form first shows the review of the unanswered questions (issue
20): the resident goes back to answer one, then submits without the rest.

The survey is built with the services against the live server's database (the team's
work is not the journey under test); the slips come from the real page as a PDF, since
access codes exist in clear text nowhere else.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from assessment.app import create_app
from assessment.app.db import db, unit_of_work
from surveys.models.surveys import Survey
from tests.surveys.conftest import build_survey

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}


@pytest.fixture(scope="module")
def open_survey_id(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    basetemp = Path(tmp_path_factory.getbasetemp())
    (database,) = {p.resolve() for p in basetemp.glob("e2e-server*/assessment.sqlite3")}
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "e2e-setup-" + "x" * 32,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        }
    )
    with app.app_context():
        existing = db.session.scalars(sa.select(Survey.id).where(Survey.status == "open")).first()
        if existing is None:
            with unit_of_work(None, reason="e2e setup") as session:
                existing = build_survey(session)["survey_id"]
        db.session.remove()
        db.engine.dispose()
    yield existing


class ResidentNavigator:
    """What a resident does on the phone: open the slip's address, answer, read the receipt."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open_slip_address(self, url: str) -> None:
        self.page.goto(url)
        expect(self.page.locator('input[name="code"]')).not_to_be_empty()

    def start(self) -> None:
        with self.page.expect_navigation():
            self.page.locator('main form button[type="submit"]').click()
        expect(self.page.locator("fieldset").first).to_be_visible()

    def choose(self, field: str, value: str) -> None:
        self.page.locator(f'input[name="{field}"][value="{value}"]').check()

    def submit(self) -> None:
        with self.page.expect_navigation():
            self.page.locator('button[name="nav"][value="submit"]').click()

    def unanswered_questions(self) -> list[str]:
        """The questions the review page names, each with its target."""
        return [item.strip() for item in self.page.locator("ul.unanswered li").all_inner_texts()]

    def go_back_and_answer(self) -> None:
        with self.page.expect_navigation():
            self.page.locator('button[name="nav"][value="back"]').click()
        expect(self.page.locator("fieldset").first).to_be_visible()

    def submit_without_the_rest(self) -> None:
        with self.page.expect_navigation():
            self.page.locator('button[name="nav"][value="confirm"]').click()

    def receipt(self) -> str:
        return self.page.locator("p.receipt").inner_text()


def _download_slips(staff_page: Page, base_url: str, survey_id: int) -> tuple[str, str]:
    """Log in as the team, print a batch of slips; return the first slip's URL and code."""
    staff_page.goto(base_url + "/login")
    staff_page.locator('input[name="username"]').fill("admin")
    from assessment.services.demo import DEMO_PASSWORD

    staff_page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    staff_page.locator('main form [type="submit"]').click()
    staff_page.wait_for_url(re.compile(r"/admin/$"))
    staff_page.goto(f"{base_url}/admin/surveys/{survey_id}")
    staff_page.locator('select[name="batch-unit_id"]').select_option(index=0)
    staff_page.locator('input[name="batch-size"]').fill("2")
    with staff_page.expect_download() as download:
        staff_page.locator('input[name="batch-submit"]').click()
    pdf = Path(download.value.path()).read_bytes()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    url = re.search(r"http://127\.0\.0\.1:\d+/s/[A-Z0-9]+", text).group(0)
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{3})\b", text).group(1)
    return url, code


def test_resident_answers_on_a_phone_and_gets_a_receipt(
    browser: Browser, live_server: str, open_survey_id: int, tmp_path: Path
) -> None:
    staff = browser.new_context(base_url=live_server, accept_downloads=True)
    url, code = _download_slips(staff.new_page(), live_server, open_survey_id)
    staff.close()

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    resident = ResidentNavigator(page)
    resident.open_slip_address(f"{url}/{code.replace('-', '')}")
    expect(page.locator('input[name="code"]')).to_have_value(code)
    resident.start()
    resident.choose("q_overall__t1", "4")
    resident.choose("q_grade__t1", "competent")
    resident.choose("q_age", "60")
    folder = Path(os.environ.get("E2E_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / "resident-form-360x640.png")
    expect(page.locator("p.progress")).to_be_visible()
    resident.submit()

    # Half-filled: nothing is stored yet; the review names what is missing.
    expect(page.locator("p.receipt")).to_have_count(0)
    missing = resident.unanswered_questions()
    assert missing and all(len(question) > 2 for question in missing), missing
    expect(page.locator("ul.unanswered")).to_be_in_viewport()
    page.screenshot(path=folder / "resident-review-360x640.png", full_page=True)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the review page scrolls sideways by {overflow}px"

    # Back on the form: the answers given are kept, and the page opens at the first
    # question still missing, marked as such.
    resident.go_back_and_answer()
    expect(page.locator('input[name="q_overall__t1"][value="4"]')).to_be_checked()
    expect(page.locator('input[name="q_age"][value="60"]')).to_be_checked()
    first_missing = page.locator("fieldset.missing").first
    expect(first_missing).to_be_in_viewport()
    first_missing.locator('input[type="radio"]').first.check()
    resident.submit()
    assert len(resident.unanswered_questions()) == len(missing) - 1
    resident.submit_without_the_rest()
    receipt = resident.receipt()
    assert re.fullmatch(r"[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}", receipt), receipt
    expect(page.locator("p.receipt")).to_be_in_viewport()

    page.screenshot(path=folder / "resident-receipt-360x640.png", full_page=True)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the receipt page scrolls sideways by {overflow}px"

    # The same code cannot answer twice.
    resident.open_slip_address(f"{url}/{code.replace('-', '')}")
    with page.expect_navigation():
        page.locator('main form button[type="submit"]').click()
    expect(page.locator("p.error")).to_be_visible()
    phone.close()
