"""axe-core on the main page of every kind of user (issue 17): no serious or critical
violation, in Chinese; the resident's pages at 360 px, with no sideways scrolling.

Set E2E_SCREENSHOT_DIR to keep a picture of each page checked.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from assessment.services.demo import DEMO_PASSWORD
from tests.e2e.axe import serious_violations
from tests.e2e.test_resident_journey import (  # noqa: F401  (a fixture)
    ResidentNavigator,
    _download_slips,
    open_survey_id,
)

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}


def _screenshot(page: Page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("E2E_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"a11y-{name}.png", full_page=True)


def _check(page: Page, tmp_path: Path, name: str) -> None:
    _screenshot(page, tmp_path, name)
    violations = serious_violations(page)
    assert not violations, f"{name} ({page.url}):\n" + "\n".join(map(str, violations))


def _sideways(page: Page) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def _log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.locator('main form [type="submit"]').click()
    page.wait_for_url(re.compile(r"/(admin|me)/$"))  # a cadre lands on /me/


def test_login_page(page: Page, tmp_path: Path) -> None:
    page.goto("/login")
    _check(page, tmp_path, "login")


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("admin", "/admin/"),
        ("admin", "/admin/periods/1/rulebook/"),
        ("official", "/admin/overview/"),
        ("assessor1", "/admin/reminders/"),
        ("clerk", "/admin/surveys/"),
    ],
    ids=["admin-home", "rulebook-editor", "official-overview", "my-reminders", "clerk-surveys"],
)
def test_staff_main_pages(page: Page, tmp_path: Path, username: str, path: str) -> None:
    _log_in(page, username)
    page.goto(path)
    expect(page.locator("main h1")).to_be_visible()
    _check(page, tmp_path, path.strip("/").replace("/", "-") or "home")


def test_the_rulebook_editors_indicator_form(page: Page, tmp_path: Path) -> None:
    _log_in(page, "admin")
    page.goto("/admin/periods/1/rulebook/")
    editor_link = page.locator('main a[href*="/indicators/"]').first
    if editor_link.count():
        editor_link.click()
        expect(page.locator("main form")).to_be_visible()
    _check(page, tmp_path, "rulebook-indicator")


def test_cadre_portal(page: Page, tmp_path: Path) -> None:
    _log_in(page, "cadre")
    page.goto("/me/")
    _check(page, tmp_path, "cadre-portal")
    page.locator('main a[href^="/me/periods/"]').first.click()
    expect(page.locator("main h1")).to_be_visible()
    _check(page, tmp_path, "cadre-period")


def _public_notice_url(page: Page) -> str:
    page.goto("/p/")
    link = page.locator('main a[href$="/notice"]').first
    expect(link).to_be_attached()
    return str(link.get_attribute("href"))


def test_public_notice(page: Page, tmp_path: Path) -> None:
    page.goto(_public_notice_url(page))
    _check(page, tmp_path, "public-notice")


@pytest.mark.parametrize("viewport", [PHONE])
def test_public_notice_on_a_phone_does_not_scroll_sideways(
    page: Page, tmp_path: Path, viewport: dict[str, int]
) -> None:
    page.goto(_public_notice_url(page))
    _check(page, tmp_path, "public-notice-360")
    assert _sideways(page) <= 0, f"the notice scrolls sideways by {_sideways(page)}px"
    # Each wide table scrolls in its own region, which the keyboard reaches.
    regions = page.locator("main .scroll").all()
    assert regions
    for region in regions:
        assert region.get_attribute("tabindex") == "0"
        assert region.get_attribute("aria-label") or region.get_attribute("aria-labelledby")


def test_verify_page(page: Page, tmp_path: Path) -> None:
    page.goto("/p/verify")
    _check(page, tmp_path, "verify")


def test_resident_pages_on_a_phone(
    browser: Browser,
    live_server: str,
    open_survey_id: int,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    staff = browser.new_context(base_url=live_server, accept_downloads=True)
    url, code = _download_slips(staff.new_page(), live_server, open_survey_id)
    staff.close()
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    resident = ResidentNavigator(page)
    try:
        page.goto(url)
        _check(page, tmp_path, "resident-start-360")
        resident.open_slip_address(f"{url}/{code.replace('-', '')}")
        resident.start()
        expect(page.locator("h1")).to_have_count(1)
        _check(page, tmp_path, "resident-answer-360")
        assert _sideways(page) <= 0
        resident.choose("q_overall__t1", "4")
        resident.submit()
        _check(page, tmp_path, "resident-receipt-360")
        assert _sideways(page) <= 0
    finally:
        phone.close()
