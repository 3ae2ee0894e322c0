"""The county official compares the demo's computed periods and downloads the workbook.

The demo (``flask demo seed``) has two computed periods of 青山镇: 2025年度考核 (final)
and 2026年上半年考核 (on notice, so not final), and the record's earlier years 2023年度考核
and 2024年度考核 (final); the county's two other townships each have a final 2025年度考核
(issue 16), so a period is found by its name and its township. Locators use the pages' structure and
addresses, not wording, so the test holds in either language.
"""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from tests.e2e.navigators import StaffNavigator

pytestmark = pytest.mark.e2e

FINAL_PERIOD = "2025年度考核"
NOTICE_PERIOD = "2026年上半年考核"
TOWNSHIP = "青山镇"


class OverviewNavigator:
    """The officials' overview: the period table, the comparison, the downloads."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open_from_the_menu(self) -> None:
        self.page.locator('nav.main-nav a[href="/admin/overview/"]').click()
        self.page.wait_for_url(re.compile(r"/admin/overview/$"))

    def period_row(self, name: str, township: str = TOWNSHIP) -> Locator:
        rows = self.page.locator("table.results tbody tr")
        return rows.filter(has_text=name).filter(has_text=township)

    def compare_one_post_group(self) -> str:
        """Open the comparison, choose the first post group, show; return its name."""
        self.page.locator('a[href$="/admin/overview/compare"]').click()
        select = self.page.locator('select[name="group"]')
        option = select.locator("option").nth(1)
        value, name = option.get_attribute("value"), option.inner_text()
        select.select_option(value)
        self.page.locator('main form button[type="submit"]').click()
        self.page.wait_for_url(re.compile(r"group="))
        return name

    def download(self, selector: str) -> bytes:
        with self.page.expect_download() as info:
            self.page.locator(selector).click()
        path = info.value.path()
        with open(path, "rb") as handle:
            return handle.read()


def test_official_compares_periods_and_downloads_the_workbooks(staff: StaffNavigator, page):
    overview = OverviewNavigator(page)
    staff.log_in_as("official")
    overview.open_from_the_menu()

    final, notice = overview.period_row(FINAL_PERIOD), overview.period_row(NOTICE_PERIOD)
    expect(final).to_have_count(1)
    expect(notice).to_have_count(1)
    # only the period still on notice is marked "not final"
    expect(notice.locator(".missing")).to_have_count(1)
    expect(final.locator(".missing")).to_have_count(0)
    # the version links go to the team's version pages
    href = final.locator('a[href*="/results/versions/"]').first.get_attribute("href")
    assert href and re.search(r"/admin/periods/\d+/results/versions/\d+$", href)

    book = load_workbook(io.BytesIO(overview.download('a[href$="/admin/overview/overview.xlsx"]')))
    overview_sheet, facts = book.worksheets[0], book.worksheets[-1]
    assert overview_sheet.freeze_panes == "A2" and facts.freeze_panes == "A2"
    rows = list(overview_sheet.iter_rows(min_row=2, values_only=True))
    # with the earlier years (issue 15): the 2022 year and its four quarters, and the
    # record's 2023 and 2024, all final
    quarters = [f"2022年第{n}季度平时考核" for n in "一二三四"]
    # and the 2025 of the county's other two townships and of its leadership teams
    # (issue 16)
    assert sorted(r[1] for r in rows) == sorted(
        [FINAL_PERIOD, NOTICE_PERIOD, "2022年度考核", *quarters, "2023年度考核", "2024年度考核"]
        + [FINAL_PERIOD] * 2
        + ["2025年度乡镇领导班子考核"]
    )
    for row in rows:
        assert isinstance(row[6], int) and row[6] > 0  # cadres assessed
        # a mean total (a whole number reads back as an int: the teams' mean is 91)
        assert isinstance(row[7], int | float) and 0 <= row[7] <= 100
    digests = [r[6] for r in facts.iter_rows(min_row=2, values_only=True)]
    assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in digests)

    group = overview.compare_one_post_group()
    cadre_rows = page.locator("section.card").nth(1).locator("tbody tr")
    expect(cadre_rows.first).to_be_visible()
    # every cadre row is in the chosen post group, with a total in both periods
    for text in cadre_rows.all_inner_texts():
        assert group in text
    compared = load_workbook(
        io.BytesIO(overview.download('a[href*="/admin/overview/compare.xlsx"]'))
    )
    cadres = list(compared.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert cadres and {r[1] for r in cadres} == {group}
    # one row per cadre and period: 9 for a cadre of 青山镇 (the 2022 year and its
    # quarters, 2023, 2024, 2025, 2026 first half), 1 for the other townships' (2025)
    periods_of = Counter(row[2] for row in cadres)
    assert len(periods_of) == cadre_rows.count()
    assert {code: n for code, n in periods_of.items() if n != 1} == {
        code: 9 for code in periods_of if code.startswith("QS")
    }
