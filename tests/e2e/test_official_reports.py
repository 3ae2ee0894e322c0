"""An official of the county finds a period's results and downloads its PDF reports.

The demo (``flask demo seed``) has period 2 "2025年度考核" final and period 3
"2026年上半年考核" on notice. The official opens the final period from the period list,
downloads the township summary from the period page, then opens the latest results and
downloads one cadre's scorecard from the ranking. Each download is a real PDF whose text
carries the period, the digests shown on the version page and a verification code.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from tests.e2e.navigators import StaffNavigator

pytestmark = pytest.mark.e2e

FINAL_PERIOD = "2025年度考核"
CODE = re.compile(r"\b\d+-(?:S|N|C\d+)-[0-9A-Z]{8}\b")


class ReportsNavigator:
    """What an official does to get the reports of a period."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open_period(self, name: str, township: str = "青山镇") -> None:
        """Open a period from the list; the county's townships share period names."""
        self.page.locator("nav.main-nav").get_by_role("link", name="Periods").click()
        row = self.page.locator("main table tbody tr").filter(has_text=township)
        row.get_by_role("link", name=name, exact=True).click()
        self.page.wait_for_url(re.compile(r"/admin/periods/\d+$"))

    def download(self, link: Locator) -> tuple[str, str]:
        """Click a download link; returns (suggested file name, the PDF's text)."""
        # Rendering takes a second or two, more on a busy machine: wait up to a minute.
        with self.page.expect_download(timeout=60_000) as info:
            link.click()
        download = info.value
        path = download.path()
        assert path is not None, download.failure()
        data = Path(path).read_bytes()
        assert data.startswith(b"%PDF")
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
        return download.suggested_filename, text

    def open_latest_results(self) -> None:
        self.page.get_by_role("link", name="Results", exact=True).click()
        self.page.get_by_role("link", name=re.compile(r"Latest results \(version \d+\)")).click()
        self.page.wait_for_url(re.compile(r"/results/versions/\d+$"))

    def digests(self) -> tuple[str, str]:
        codes = self.page.locator("dl.digests code")
        return codes.nth(0).inner_text(), codes.nth(1).inner_text()


def test_official_downloads_the_summary_and_a_scorecard(page: Page, staff: StaffNavigator):
    staff.log_in_as("official")
    staff.switch_to_english()
    reports = ReportsNavigator(page)

    reports.open_period(FINAL_PERIOD)
    name, text = reports.download(page.get_by_role("link", name="township summary"))
    assert re.fullmatch(r"summary-p\d+-v\d+-en\.pdf", name)
    assert FINAL_PERIOD in text and "Township assessment summary" in text
    summary_code = CODE.search(text)
    assert summary_code and "-S-" in summary_code.group(0)

    reports.open_latest_results()
    rules_digest, data_digest = reports.digests()
    first_row = page.locator("table.results tbody tr").first
    cadre = first_row.locator("td").nth(1).inner_text().replace("PDF", "").strip()
    total = first_row.locator("td").nth(3).inner_text().strip()
    name, text = reports.download(first_row.get_by_role("link", name="PDF"))
    assert re.fullmatch(r"scorecard-p\d+-v\d+-[A-Z0-9]+-en\.pdf", name)
    code, cadre_name = cadre.split(" ", 1)
    assert code in text and cadre_name in text
    assert total in text  # the page and the PDF print the total to two decimals
    assert rules_digest in text and data_digest in text
    found = CODE.search(text)
    assert found and re.search(r"-C\d+-", found.group(0))
    expect(page.locator("h1")).to_contain_text("Results version")
