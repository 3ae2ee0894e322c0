"""The home page on a 360×640 phone screen: readable, in Chinese, no sideways scrolling."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 640}


@pytest.fixture
def viewport():
    return PHONE


@pytest.mark.parametrize("username", ["admin", "cadre"])
def test_home_page_fits_a_phone_screen(staff, tmp_path, username):
    staff.log_in_as(username)
    expect(staff.main_heading()).to_be_in_viewport()

    # People check the look by eye: set E2E_SCREENSHOT_DIR to keep the pictures.
    folder = Path(os.environ.get("E2E_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    staff.page.screenshot(path=folder / f"home-{username}-360x640.png", full_page=True)
    staff.switch_to_english()
    staff.page.screenshot(path=folder / f"home-{username}-360x640-en.png", full_page=True)

    overflow = staff.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a 360px screen"
