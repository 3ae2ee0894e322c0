"""The year round in a browser (issue 15): the team reads the 2022 calendar, the cadre
reads why their 2022 grade is 称职 although the total reached 优秀.

The demo holds the 2022 annual period and its four final quarters; the ``cadre``
account's QS009 had a 较差 third quarter, which bars 优秀 (eligibility rule ``no_poor``).
Screenshots go to ``SCREENSHOTS`` when that variable names a folder (for looking).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.navigators import StaffNavigator

pytestmark = pytest.mark.e2e


def _look(page: Page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_the_team_reads_the_2022_calendar_with_four_quarters(staff: StaffNavigator, page: Page):
    staff.log_in_as("assessor1")
    page.goto(f"{staff.base_url}/admin/periods/")
    page.get_by_role("link", name="考核日历").click()
    page.wait_for_url(re.compile(r"/admin/periods/calendar"))
    page.goto(f"{staff.base_url}/admin/periods/calendar?year=2022")
    expect(staff.main_heading()).to_have_text("2022年考核日历")
    rows = page.locator("table.calendar tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_contain_text("2022年度考核")
    expect(page.locator("tr.child")).to_have_count(4)
    expect(page.locator("tr.child").nth(2)).to_contain_text("2022年第三季度平时考核")
    expect(page.locator("tr.child").nth(2)).to_contain_text("已定稿")
    _look(page, "calendar-2022")


def test_the_cadre_reads_the_rule_that_kept_the_grade_at_competent(
    staff: StaffNavigator, page: Page
):
    staff.log_in_as("cadre")
    page.goto(f"{staff.base_url}/me/periods/4")
    summary = page.locator("section.portal-summary")
    expect(summary).to_contain_text("称职")
    expect(summary).to_contain_text("有季度平时考核为“较差”的，不得评为优秀")
    expect(summary).to_contain_text("1 个平时考核周期为“较差”，多于 0 个：等次最高为“称职”。")
    rolled = page.locator("#indicator-PS")
    expect(rolled).to_contain_text("平时考核")
    expect(rolled).to_contain_text("较差")
    _look(page, "portal-2022")
