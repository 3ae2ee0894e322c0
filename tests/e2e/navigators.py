"""Page objects for the browser tests: methods named for what a person does.

Each method acts like a person would (follows links, fills labelled fields, presses
buttons) and waits for the page to show the result before it returns, so tests read as
journeys and never sleep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from assessment.services.demo import DEMO_PASSWORD


@dataclass(frozen=True)
class ImportErrorRow:
    row: int
    column: str
    value: str
    problem: str


class StaffNavigator:
    """The staff side of the app: log in, switch language, find pages, import a roster."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")

    # -- reading the page ------------------------------------------------------------

    def page_language(self) -> Locator:
        return self.page.locator("html")

    def main_heading(self) -> Locator:
        return self.page.locator("main h1")

    def shows_english(self) -> None:
        expect(self.page_language()).to_have_attribute("lang", "en")

    def shows_chinese(self) -> None:
        expect(self.page_language()).to_have_attribute("lang", "zh-CN")

    # -- journeys ----------------------------------------------------------------------

    def open_the_site(self) -> None:
        self.page.goto(self.base_url + "/")
        expect(self.page.locator('input[name="username"]')).to_be_visible()

    def log_in_as(self, username: str, password: str = DEMO_PASSWORD) -> None:
        """Log in from the login page and wait for the role's home page."""
        self.open_the_site()
        self.page.locator('input[name="username"]').fill(username)
        self.page.locator('input[name="password"]').fill(password)
        self.page.locator('main form [type="submit"]').click()
        self.page.wait_for_url(re.compile(r"/(admin|me)/$"))
        expect(self.main_heading()).to_be_visible()

    def switch_to_english(self) -> None:
        """Click the header's "English" switch and wait for the page to come back in English."""
        self.page.get_by_role("link", name="English", exact=True).click()
        self.shows_english()

    def switch_to_chinese(self) -> None:
        self.page.get_by_role("link", name="中文", exact=True).click()
        self.shows_chinese()

    def open_cadre_list(self) -> None:
        self.page.locator('header nav a[href$="/admin/cadres/"]').click()
        self.page.wait_for_url(re.compile(r"/admin/cadres/$"))

    def open_roster_import(self) -> None:
        """From the cadre list, follow the link to the roster import page."""
        self.open_cadre_list()
        self.page.locator('main a[href$="/admin/import/cadres"]').click()
        self.page.wait_for_url(re.compile(r"/admin/import/cadres$"))
        expect(self.page.locator('input[type="file"][name="file"]')).to_be_visible()

    def upload_roster(self, path: Path) -> None:
        """Choose the file in the import form and submit it; wait for the answer page."""
        form = self.page.locator("main form", has=self.page.locator('input[name="file"]'))
        form.locator('input[name="file"]').set_input_files(path)
        with self.page.expect_navigation():
            form.locator('[type="submit"]').click()

    def import_error_table(self) -> Locator:
        return self.page.locator("section.import-errors table")

    def import_errors(self) -> list[ImportErrorRow]:
        """The rows of the error table shown after a refused import."""
        expect(self.import_error_table()).to_be_visible()
        rows = []
        for cells in self.import_error_table().locator("tbody tr").all():
            row, column, value, problem = (
                text.strip() for text in cells.locator("td").all_inner_texts()
            )
            rows.append(ImportErrorRow(int(row), column, value, problem))
        return rows

    def search_cadres(self, text: str) -> Locator:
        """Search the cadre list; returns the table body of the results."""
        self.open_cadre_list()
        self.page.locator('main form.filters input[name="q"]').fill(text)
        with self.page.expect_navigation():
            self.page.locator('main form.filters [type="submit"]').click()
        return self.page.locator("main table tbody")
