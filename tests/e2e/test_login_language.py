"""Each demo role logs in and sees its home page in Chinese, then in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

# Home page heading per demo account: (Chinese, English). See templates/assessment/home.html.
HOME_HEADINGS = {
    "admin": ("系统管理", "Administration"),
    "assessor1": ("考核组", "Assessment team"),
    "assessor2": ("考核组", "Assessment team"),
    "assessor3": ("考核组", "Assessment team"),
    "clerk": ("数据录入", "Data entry"),
    "cadre": ("我的考核", "My assessment"),
    "official": ("结果总览", "Results overview"),
}


@pytest.mark.parametrize("username", list(HOME_HEADINGS))
def test_each_role_sees_its_home_page_in_chinese_then_english(staff, username):
    chinese, english = HOME_HEADINGS[username]

    staff.log_in_as(username)
    staff.shows_chinese()
    expect(staff.main_heading()).to_have_text(chinese)

    staff.switch_to_english()
    expect(staff.main_heading()).to_have_text(english)

    staff.switch_to_chinese()
    expect(staff.main_heading()).to_have_text(chinese)
