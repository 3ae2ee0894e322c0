"""A cadre objects to an indicator from their portal; the team upholds it with a
corrected value; the public notice page then shows the new result version.

The demo (``flask demo seed``) puts period 3 "2026年上半年考核" on notice from today,
with result version 2 already (a resident's objection was upheld). The cadre account
``cadre`` is 周文斌, a village Party branch secretary whose set has the quantitative
indicator W1 (village collective operating income).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from assessment.services.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

PERIOD_NAME = "2026年上半年考核"
REASON = "W1 少算了村里的光伏收入"
DECISION = "核实光伏收入台账，实际值更正"


class ObjectionNavigator:
    """What a cadre, a team member and a resident do around an objection."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def log_in_as(self, username: str) -> None:
        self.page.goto("/login")
        self.page.locator('input[name="username"]').fill(username)
        self.page.locator('input[name="password"]').fill(DEMO_PASSWORD)
        self.page.locator('main form [type="submit"]').click()
        self.page.wait_for_load_state()
        expect(self.page.locator("header .who")).to_be_visible()

    def log_out(self) -> None:
        self.page.locator("header form.inline button").click()
        expect(self.page.locator('input[name="username"]')).to_be_visible()

    # -- the cadre ---------------------------------------------------------------------

    def open_my_period(self) -> None:
        """From the portal's front page, open the period on notice."""
        self.page.goto("/me/")
        self.page.get_by_role("link", name=PERIOD_NAME).first.click()
        self.page.wait_for_url(re.compile(r"/me/periods/\d+"))

    def object_to_indicator(self, code: str, reason: str) -> int:
        """Follow the indicator's "object" link, give the reason, file; returns the number."""
        self.page.locator(f'main a[href*="/objections/new?indicator={code}"]').first.click()
        self.page.wait_for_url(re.compile(r"/objections/new"))
        expect(self.page.locator('select[name="indicator"]')).to_have_value(code)
        self.page.locator('textarea[name="reason"]').fill(reason)
        self.page.locator('main form [type="submit"]').click()
        flash = self.page.locator(".flash-success")
        expect(flash).to_be_visible()
        match = re.search(r"#(\d+)", flash.inner_text())
        assert match, flash.inner_text()
        return int(match.group(1))

    # -- the team ----------------------------------------------------------------------

    def open_notice_of(self, period_id: int) -> None:
        """From the period page, follow the link to the notice and objections."""
        self.page.goto(f"/admin/periods/{period_id}")
        self.page.locator(f'main a[href$="/admin/periods/{period_id}/notice"]').first.click()
        self.page.wait_for_url(re.compile(rf"/admin/periods/{period_id}/notice$"))

    def uphold_with_corrected_actual(
        self, number: int, code: str, actual: str, source: str, reason: str
    ) -> str:
        self.page.get_by_role("link", name=f"#{number}", exact=True).click()
        self.page.wait_for_url(re.compile(rf"/objections/{number}$"))
        form = self.page.locator(f'form[action$="/objections/{number}/decide"]')
        form.locator('select[name="outcome"]').select_option("upheld")
        form.locator('textarea[name="reason"]').fill(reason)
        form.locator('select[name="correction"]').select_option("actual")
        form.locator('select[name="indicator_code"]').select_option(code)
        form.locator('input[name="actual"]').fill(actual)
        form.locator('input[name="source"]').fill(source)
        form.locator('[type="submit"]').click()
        flash = self.page.locator(".flash-success")
        expect(flash).to_be_visible()
        return flash.inner_text()


def _period_id(page: Page) -> int:
    match = re.search(r"/me/periods/(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))


def test_a_cadre_objects_the_team_corrects_and_the_public_page_updates(page: Page) -> None:
    you = ObjectionNavigator(page)
    you.log_in_as("cadre")
    you.open_my_period()
    period_id = _period_id(page)
    number = you.object_to_indicator("W1", REASON)
    # the portal lists it, open
    you.open_my_period()
    expect(page.locator("main .portal-objections")).to_contain_text(f"第 {number} 号异议")
    you.log_out()

    page.goto(f"/p/periods/{period_id}/notice")
    shown_before = int(page.locator("dl.digests dd").first.inner_text())

    you.log_in_as("assessor1")
    you.open_notice_of(period_id)
    row = page.locator("table.objections tr", has=page.get_by_role("link", name=f"#{number}"))
    expect(row).to_contain_text("W1")
    message = you.uphold_with_corrected_actual(
        number, "W1", "88", "2026年上半年村集体经济台账", DECISION
    )
    assert str(shown_before + 1) in message
    you.log_out()

    # a resident, not logged in, reads the notice: the new version, with its reason
    page.goto(f"/p/periods/{period_id}/notice")
    expect(page.locator("dl.digests dd").first).to_have_text(str(shown_before + 1))
    expect(page.locator(".flash.replaced")).to_contain_text(DECISION)
    expect(page.locator("main")).to_contain_text("周文斌")
    # the earlier versions stay listed and readable
    page.locator(f'main a[href$="/notice/v/{shown_before}"]').click()
    expect(page.locator("dl.digests dd").first).to_have_text(str(shown_before))
