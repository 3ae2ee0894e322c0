"""The organisation department downloads the eligibility list (issue 15).

The demo (``flask demo seed``) holds final annual results for 2023, 2024 and 2025:
QS023 and QS025 were graded 优秀 in all three years, the 2025 基本称职 cadres are barred
in 2025, and QS028 was graded 不称职 in 2023 and 2024. The official of the county opens
the list from the menu, downloads it as a workbook and as a PDF, and reads the same
lines in both; the 2024 list names QS028.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from tests.e2e.navigators import StaffNavigator

pytestmark = pytest.mark.e2e


def _download(page: Page, link: Locator) -> tuple[str, bytes]:
    with page.expect_download(timeout=60_000) as info:
        link.click()
    download = info.value
    path = download.path()
    assert path is not None, download.failure()
    return download.suggested_filename, Path(path).read_bytes()


def test_the_official_downloads_the_eligibility_list(page: Page, staff: StaffNavigator):
    staff.log_in_as("official")
    staff.switch_to_english()
    page.locator("nav.main-nav").get_by_role("link", name="Eligibility list").click()
    page.wait_for_url(re.compile(r"/admin/eligibility$"))
    expect(page.locator("main h1")).to_contain_text("Eligibility list 2025")

    name, data = _download(page, page.get_by_role("link", name="Download (.xlsx)"))
    assert re.fullmatch(r"eligibility-2025-\d{8}-\d{4}\.xlsx", name)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Standing", "Consequence", "Cadre code"]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(2)]
    considered = {r["Cadre code"] for r in rows if r["Standing"] == "May be considered"}
    barred = {r["Cadre code"] for r in rows if r["Standing"] == "Barred"}
    assert considered == {"QS023", "QS025"}
    assert {"QS002", "QS028"} <= barred and not considered & barred
    qs023 = next(r for r in rows if r["Cadre code"] == "QS023")
    assert qs023["Rule"].startswith("3 consecutive years graded Excellent")
    assert qs023["Periods behind it"] == (
        "2023年度考核 (Excellent); 2024年度考核 (Excellent); 2025年度考核 (Excellent)"
    )

    name, data = _download(page, page.get_by_role("link", name="Download (PDF)"))
    assert name == "eligibility-2025-en.pdf" and data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Eligibility list 2025" in text
    for code in considered | barred:
        assert code in text

    page.get_by_role("link", name="2024", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/eligibility\?year=2024$"))
    row = page.locator("table.eligibility tr", has_text="QS028")
    expect(row).to_contain_text("2 consecutive years graded Incompetent")
