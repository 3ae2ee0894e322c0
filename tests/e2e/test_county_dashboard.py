"""The county official opens the county dashboard, switches period and downloads it.

The demo county (``flask demo seed``) has three townships, 青山镇, 白水镇 and 红岭乡,
each with a final 2025 period, so the newest final period shows three townships side by
side. 青山镇's earlier final years (2022-2024) have it alone.
Locators use the page's structure, not wording, so the test holds in either language.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.e2e.navigators import StaffNavigator

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"


class DashboardNavigator:
    """The county dashboard: the period selector, the township table, the download."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open_from_the_overview(self) -> None:
        self.page.locator('nav.main-nav a[href="/admin/overview/"]').click()
        self.page.locator('a[href="/admin/county/dashboard"]').click()
        self.page.wait_for_url(re.compile(r"/admin/county/dashboard$"))

    def township_rows(self) -> list[str]:
        return self.page.locator("#townships tbody tr[data-township] th").all_inner_texts()

    def choose_period(self, year: int) -> None:
        select = self.page.locator('select[name="period"]')
        value = next(
            v
            for v in select.locator("option").evaluate_all("os => os.map(o => o.value)")
            if v.startswith(f"{year}-01-01_{year}-12-31_annual")
        )
        select.select_option(value)
        self.page.locator('main form button[type="submit"]').click()
        self.page.wait_for_url(re.compile(r"period="))

    def download(self) -> bytes:
        with self.page.expect_download() as info:
            self.page.locator('a[href^="/admin/county/dashboard.xlsx"]').click()
        with open(info.value.path(), "rb") as handle:
            return handle.read()


def test_county_official_compares_townships_and_downloads(staff: StaffNavigator, page: Page):
    dashboard = DashboardNavigator(page)
    staff.log_in_as("official")
    dashboard.open_from_the_overview()
    # newest final period: 2025, three townships, each drawn in the index chart
    assert sorted(dashboard.township_rows()) == sorted(["青山镇", "白水镇", "红岭乡"])
    expect(page.locator("svg.chart circle")).to_have_count(3)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / "county-dashboard.png"), full_page=True)

    dashboard.choose_period(2024)
    assert dashboard.township_rows() == ["青山镇"]
    expect(page.locator('select[name="period"] option[selected]')).to_have_attribute(
        "value", re.compile(r"^2024-01-01_2024-12-31_annual$")
    )

    book = load_workbook(io.BytesIO(dashboard.download()))
    figures, sources = book.worksheets
    rows = list(figures.iter_rows(min_row=2, values_only=True))
    townships_2025 = {r[1] for r in rows if str(r[0]).startswith("2025 ")}
    assert {"青山镇", "白水镇", "红岭乡"} <= townships_2025
    # one source row per township and final period, each with its version and digest
    source_rows = list(sources.iter_rows(min_row=2, values_only=True))
    assert len(source_rows) == sum(1 for r in rows if r[1] in {"青山镇", "白水镇", "红岭乡"})
    assert all(len(r[5]) == 64 for r in source_rows)


def test_township_official_sees_only_their_township(staff: StaffNavigator, page: Page):
    staff.log_in_as("bsz-official")
    page.goto("/admin/county/dashboard")
    assert DashboardNavigator(page).township_rows() == ["白水镇"]
