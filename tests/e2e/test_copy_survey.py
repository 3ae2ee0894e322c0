"""The team copies last year's survey into this year's period (issue 17, reuse).

The demo's 2025 period ran "2025年度群众满意度测评"; from the new-survey page of the
2026 period the team picks it, reads what differs, confirms, and gets a draft survey
with the same targets and questions, in Chinese as a township clerk sees it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.axe import serious_violations
from tests.e2e.navigators import StaffNavigator

pytestmark = pytest.mark.e2e

SOURCE = "2025年度群众满意度测评 · 2025年度考核"
PERIOD = "2026年度考核 (2026)"


class SurveyCopyNavigator:
    """The team's side of copying a survey: choose it, read the differences, confirm."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open_new_survey_page(self) -> None:
        self.page.goto("/admin/surveys/")
        self.page.locator('main a[href*="/admin/surveys/new"]').first.click()
        expect(self.page.locator("main h1")).to_have_text("新建满意度测评")

    def choose_survey_to_copy(self, survey: str, period: str) -> None:
        """Pick the survey and the period under "copy from an earlier period" and go on."""
        form = self.page.locator(
            "main form", has=self.page.locator('select[name="copy-source_id"]')
        )
        form.get_by_label("要复制的测评").select_option(label=survey)
        form.get_by_label("复制到考核周期").select_option(label=period)
        form.get_by_role("button", name="查看将复制的内容").click()
        self.page.wait_for_url(re.compile(r"/admin/surveys/\d+/copy-to/\d+$"))

    def differences(self) -> list[str]:
        return [text.strip() for text in self.page.locator("ul.copy-notes li").all_inner_texts()]

    def copied_targets(self) -> Locator:
        return self.page.locator("main table").first.locator("tbody tr")

    def confirm(self) -> None:
        self.page.get_by_role("button", name="复制为草稿测评").click()
        self.page.wait_for_url(re.compile(r"/admin/surveys/\d+$"))


def test_the_team_copies_last_years_survey(staff: StaffNavigator, page: Page, tmp_path: Path):
    staff.log_in_as("admin")
    team = SurveyCopyNavigator(page)
    team.open_new_survey_page()
    team.choose_survey_to_copy(SOURCE, PERIOD)
    expect(page.locator("main h1")).to_have_text("复制测评")
    assert team.differences()[0] == "标题“2025年度群众满意度测评”改为“2026年度群众满意度测评”。"
    targets = team.copied_targets().count()
    assert targets > 0
    violations = serious_violations(page)
    assert not violations, "\n".join(map(str, violations))
    page.screenshot(path=tmp_path / "copy-survey.png", full_page=True)

    team.confirm()
    expect(page.locator(".flash-success")).to_contain_text("已复制为草稿测评")
    expect(page.locator("main h1")).to_contain_text("2026年度群众满意度测评")
    expect(page.locator("ol.lifecycle li.current")).to_have_text("草稿")
    expect(page.locator("main table").first.locator("tbody tr")).to_have_count(targets)
