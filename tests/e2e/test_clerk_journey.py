"""Two clerks type the same paper ballot with the keyboard only; they disagree on one
answer, and a third account settles it against the paper.

The open survey, its printed receipts and the second clerk's account are made with the
services against the live server's database (the team's work is not the journey under
test); everything the clerks do goes through the browser, typing and pressing Tab and
Enter, never clicking a field.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, expect

from assessment.app import create_app
from assessment.app.db import db, unit_of_work, utcnow
from assessment.models import Account, Unit
from assessment.services.accounts import AccountData, save_account
from assessment.services.demo import DEMO_PASSWORD
from surveys.models.surveys import Survey
from surveys.services import surveys as services
from surveys.services.queries import list_items
from tests.surveys.conftest import build_survey

pytestmark = pytest.mark.e2e

SECOND_CLERK = "clerk-e2e-2"


@pytest.fixture(scope="module")
def ballot_setup(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """An open survey, a fresh receipt for village QSZ-01, and a second clerk account."""
    basetemp = Path(tmp_path_factory.getbasetemp())
    (database,) = {p.resolve() for p in basetemp.glob("e2e-server*/assessment.sqlite3")}
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "e2e-setup-" + "x" * 32,
            "ACCESS_CODE_HASH_KEY": "e2e-setup-" + "y" * 32,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        }
    )
    with app.app_context():
        with unit_of_work(None, reason="e2e setup") as session:
            survey_id = session.scalars(sa.select(Survey.id).where(Survey.status == "open")).first()
            if survey_id is None:
                survey_id = build_survey(session)["survey_id"]
            survey = session.get(Survey, survey_id)
            village = session.scalars(sa.select(Unit).where(Unit.code == "QSZ-01")).one()
            _batch, slips = services.generate_batch(
                session,
                survey,
                unit=village,
                size=1,
                note="e2e paper",
                key=app.config["ACCESS_CODE_HASH_KEY"],
                now=utcnow(),
            )
            if not session.scalar(sa.select(Account.id).where(Account.username == SECOND_CLERK)):
                township = session.scalars(sa.select(Unit).where(Unit.code == "QSZ")).one()
                save_account(
                    session,
                    AccountData(SECOND_CLERK, "录入员二", "clerk", (township.id,)),
                    password=DEMO_PASSWORD,
                )
            items = list_items(session, survey_id, village.id)
            setup = {
                "survey_id": survey_id,
                "unit_id": village.id,
                "receipt": slips[0].receipt,
                "kinds": [item.kind for item in items],
                "fields": [item.field_name for item in items],
            }
        db.session.remove()
        db.engine.dispose()
    yield setup


class ClerkNavigator:
    """What a clerk does: log in, open the entry screen, type a ballot, settle a conflict."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def log_in_as(self, username: str) -> None:
        self.page.goto("/login")
        self.page.locator('input[name="username"]').fill(username)
        self.page.locator('input[name="password"]').fill(DEMO_PASSWORD)
        self.page.locator('main form [type="submit"]').click()
        self.page.wait_for_url(re.compile(r"/admin/$"))

    def open_entry_screen(self, survey_id: int, unit_id: int) -> None:
        self.page.goto(f"/admin/surveys/{survey_id}/paper/")
        with self.page.expect_navigation():
            self.page.locator(f'a[href$="/paper/units/{unit_id}"]').click()
        expect(self.page.locator('input[name="serial"]')).to_be_focused()

    def type_ballot(self, serial: str, batch: str, receipt: str, answers: list[str]) -> None:
        """Keyboard only: the serial has the focus; Tab between fields, Enter to save."""
        keyboard = self.page.keyboard
        keyboard.type(serial)
        for value in (batch, receipt, *answers):
            keyboard.press("Tab")
            if value:
                keyboard.type(value)
        with self.page.expect_navigation():
            keyboard.press("Enter")
        # back on an empty screen, the batch kept and the serial focused again
        expect(self.page.locator('input[name="serial"]')).to_be_focused()
        expect(self.page.locator('input[name="serial"]')).to_have_value("")
        expect(self.page.locator('input[name="batch"]')).to_have_value(batch)

    def flash(self) -> str:
        return self.page.locator(".flash").first.inner_text()

    def open_conflict(self, survey_id: int, serial: str) -> None:
        self.page.goto(f"/admin/surveys/{survey_id}/paper/conflicts")
        with self.page.expect_navigation():
            self.page.locator(f'a[href$="/paper/conflicts/{serial}"]').click()

    def choose_and_store(self, field: str, which: str) -> None:
        self.page.locator(f'input[name="pick_{field}"][value="{which}"]').check()
        with self.page.expect_navigation():
            self.page.locator('input[type="submit"]').press("Enter")


def _answers(kinds: list[str], first_likert: str) -> list[str]:
    answers = []
    seen_likert = False
    for kind in kinds:
        if kind == "likert":
            answers.append("4" if seen_likert else first_likert)
            seen_likert = True
        elif kind == "ballot":
            answers.append("2")
        elif kind == "choice":
            answers.append("3")
        else:
            answers.append("")
    return answers


def _as(browser: Browser, live_server: str, username: str) -> tuple[ClerkNavigator, BrowserContext]:
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(15_000)
    clerk = ClerkNavigator(context.new_page())
    clerk.log_in_as(username)
    return clerk, context


def test_two_clerks_disagree_and_a_third_account_settles_it(
    browser: Browser, live_server: str, ballot_setup: dict
) -> None:
    setup = ballot_setup
    serial = "E2E-" + secrets.token_hex(3).upper()
    receipt = setup["receipt"]
    dashed = f"{receipt[:3]}-{receipt[3:6]}-{receipt[6:]}"  # as printed on the slip

    first, first_context = _as(browser, live_server, "clerk")
    first.open_entry_screen(setup["survey_id"], setup["unit_id"])
    first.type_ballot(serial, "B1", dashed, _answers(setup["kinds"], "5"))
    assert serial in first.flash()
    first_context.close()

    second, second_context = _as(browser, live_server, SECOND_CLERK)
    second.open_entry_screen(setup["survey_id"], setup["unit_id"])
    second.type_ballot(serial, "B1", receipt.lower(), _answers(setup["kinds"], "3"))
    first_likert = setup["fields"][setup["kinds"].index("likert")]
    assert first_likert in second.flash()  # the differing field is named
    # the second clerk typed it, so may not settle it
    second.open_conflict(setup["survey_id"], serial)
    second.choose_and_store(first_likert, "first")
    expect(second.page.locator(".flash")).to_have_count(1)
    assert "/paper/conflicts/" in second.page.url
    second_context.close()

    judge, judge_context = _as(browser, live_server, "assessor1")
    judge.open_conflict(setup["survey_id"], serial)
    expect(judge.page.locator(f'input[name="pick_{first_likert}"]')).to_have_count(2)
    judge.choose_and_store(first_likert, "first")
    assert judge.page.url.endswith(f"/admin/surveys/{setup['survey_id']}/paper/conflicts")
    assert serial in judge.flash()
    expect(judge.page.locator(f'a[href$="/paper/conflicts/{serial}"]')).to_have_count(0)
    judge_context.close()
