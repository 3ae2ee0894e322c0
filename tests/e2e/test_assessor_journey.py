"""An assessor rates a cadre on every qualitative indicator and sees the progress page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from assessment.app import create_app
from assessment.app.db import db, unit_of_work, utcnow
from assessment.models import Period
from assessment.services.demo import publish_demo_rulebook
from assessment.services.periods import advance_period, create_period
from assessment.services.queries import find_unit_by_code

pytestmark = pytest.mark.e2e

PERIOD_NAME = "E2E 评分演示"


@pytest.fixture(scope="module")
def collecting_period(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A period of its own (so other journeys keep the demo period) that is collecting.

    Set up with the services against the live server's database file, as a team would
    after publishing the rules; the journey under test is the assessor's.
    """
    # The live server's work folder (pytest also links it as "e2e-servercurrent").
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
        period = db.session.scalars(sa.select(Period).where(Period.name == PERIOD_NAME)).first()
        if period is None:
            with unit_of_work(None, reason="e2e setup") as session:
                township = find_unit_by_code(session, "QSZ")
                period = create_period(session, name=PERIOD_NAME, year=2026, scope_unit=township)
                publish_demo_rulebook(session, period, utcnow())
                advance_period(session, period, "collecting")
        period_id = period.id
        db.session.remove()
        db.engine.dispose()
    yield period_id


class AssessorNavigator:
    """The assessor's side of the inputs pages: find my ratings, rate, read progress."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open_my_ratings(self, period_id: int) -> None:
        self.page.locator('header nav a[href$="/admin/periods/inputs"]').click()
        self.page.wait_for_url(re.compile(r"/admin/periods/inputs$"))
        self.page.locator(f'main a[href$="/admin/periods/{period_id}/ratings"]').click()
        self.page.wait_for_url(re.compile(rf"/admin/periods/{period_id}/ratings$"))

    def open_rating_of(self, cadre_code: str) -> None:
        self.page.locator(f'main tr[data-cadre="{cadre_code}"] a').click()
        self.page.wait_for_url(re.compile(r"/ratings/\d+$"))

    def rate_every_indicator(self, level_index: int = 0) -> int:
        """Pick one level in each indicator's group and save; returns how many groups."""
        groups = self.page.locator("main form.rating-form fieldset").all()
        for group in groups:
            group.locator('input[type="radio"]').nth(level_index).check()
        with self.page.expect_navigation():
            self.page.locator('main form.rating-form [type="submit"]').click()
        return len(groups)

    def open_progress(self) -> None:
        self.page.locator('main nav.inputs-nav a[href$="/progress"]').click()
        self.page.wait_for_url(re.compile(r"/progress$"))

    def my_progress_row(self, display_name: str):
        return self.page.locator("main table.progress-assessors tbody tr", has_text=display_name)

    def progress_row_of_cadre(self, cadre_code: str):
        return self.page.locator("main table.progress-cadres tbody tr", has_text=cadre_code)


def test_assessor_rates_a_cadre_and_sees_the_progress(staff, collecting_period):
    assessor = AssessorNavigator(staff.page)
    staff.log_in_as("assessor1")
    staff.switch_to_english()

    assessor.open_my_ratings(collecting_period)
    row = staff.page.locator('main tr[data-cadre="QS009"]')
    expect(row).to_contain_text("0 of 3")
    assessor.open_rating_of("QS009")
    rated = assessor.rate_every_indicator(level_index=1)
    assert rated == 3
    expect(staff.page.locator("main .flash-success")).to_contain_text("3 ratings saved")

    assessor.open_progress()
    expect(assessor.progress_row_of_cadre("QS009")).to_contain_text("1 of 4")
    expect(assessor.progress_row_of_cadre("QS009")).not_to_contain_text("考核组成员一")
    expect(assessor.my_progress_row("考核组成员一")).not_to_contain_text("QS009")
    expect(assessor.my_progress_row("考核组成员一")).to_contain_text("QS010")

    # my own levels are shown back to me on the cadre's page
    assessor.open_my_ratings(collecting_period)
    expect(row).to_contain_text("3 of 3")
    assessor.open_rating_of("QS009")
    checked = staff.page.locator('main form.rating-form input[type="radio"]:checked')
    expect(checked).to_have_count(3)
