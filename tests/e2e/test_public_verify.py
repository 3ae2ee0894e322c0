"""A member of the public checks a report: enters its verification code on /p/verify and
reads, field by field, that it matches the result recomputed from the stored inputs.

The code comes from a real report: an official downloads a scorecard PDF of the seeded
demo's final 2025 period (周文斌, the demo's cadre account), and the code is read from its
text (pypdf), as a reader would copy it from the paper. The reader then uses a fresh
browser context: no login, no cookies.
"""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from reports.core.verify import find_codes
from tests.e2e.conftest import DEFAULT_TIMEOUT_MS

pytestmark = pytest.mark.e2e

#: The seeded demo's final 2025 period and its result version (see assessment/services/demo.py).
FINAL_PERIOD = 2
FINAL_VERSION = 1
CADRE_ID = 9


class VerifyPage:
    """The public verification page, as a reader uses it."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> None:
        self.page.goto("/p/verify")
        expect(self.page.locator('input[name="code"]')).to_be_visible()

    def read_in_english(self) -> None:
        self.page.get_by_role("link", name="English", exact=True).click()
        expect(self.page.locator("html")).to_have_attribute("lang", "en")

    def check_code(self, code: str) -> None:
        """Type the code as printed and press the button; wait for the verdict."""
        self.page.locator('input[name="code"]').fill(code)
        self.page.locator("form.verify-code button[type=submit]").click()
        expect(self.page.locator("main h1")).to_contain_text(code.strip().upper())

    def verdict(self):
        return self.page.locator(".verdict")

    def field_row(self, field: str):
        return self.page.locator("table.verify-fields tr").filter(
            has=self.page.locator("td:first-child code", has_text=re.compile(rf"^{field}$"))
        )


def _scorecard_code(browser: Browser, live_server: str, staff) -> str:
    staff.log_in_as("official")
    url = (
        f"{live_server}/admin/periods/{FINAL_PERIOD}/results/versions/{FINAL_VERSION}"
        f"/reports/scorecards/{CADRE_ID}.pdf?lang=en"
    )
    response = staff.page.request.get(url)
    assert response.ok, response.status
    codes = find_codes(
        "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    )
    assert codes
    return codes[0]


def test_anonymous_reader_verifies_a_report_from_its_code(browser, live_server, staff):
    code = _scorecard_code(browser, live_server, staff)

    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        reader = VerifyPage(context.new_page())
        reader.open()
        reader.read_in_english()
        reader.check_code(code.lower())  # typed in lower case: still the same code

        expect(reader.verdict()).to_contain_text("The report matches")
        period = reader.field_row("period")
        expect(period.locator("td").nth(3)).to_have_text("matches")
        expect(reader.field_row("total").locator("td").nth(3)).to_have_text("matches")
        expect(reader.field_row("grade").locator("td").nth(3)).to_have_text("matches")
        expect(reader.page.locator("table.verify-fields tr.status-invalid")).to_have_count(0)
        expect(reader.page.get_by_text("the final version of the period")).to_be_visible()

        # one character of the check mistyped: a typing mistake, its place marked, and
        # nothing of the report shown
        wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
        reader.open()
        reader.check_code(wrong)
        expect(reader.verdict()).to_contain_text("This code has a typing mistake")
        expect(reader.verdict()).to_contain_text(f"Character {len(code)} looks wrong.")
        expect(reader.page.locator(".typed-code mark")).to_have_text(wrong[-1])
        expect(reader.page.locator("table.verify-fields")).to_have_count(0)

        # a check remade from scratch (a changed report): not issued, and no typo
        prefix, check = code.rsplit("-", 1)
        remade = prefix + "-" + "".join("2" if s != "2" else "3" for s in check)
        reader.open()
        reader.check_code(remade)
        expect(reader.verdict()).to_contain_text("Not issued from these results")
        expect(reader.page.locator(".typed-code")).to_have_count(0)
        expect(reader.page.locator("table.verify-fields")).to_have_count(0)
    finally:
        context.close()
