"""A township leader reads their democratic evaluation (民主测评) on a 360 px phone (issue 14).

The demo's period 3 "2026年上半年考核" is on notice and grades the township leaders' ballot
indicator MZ by three weighted voter groups (班子成员 30, 干部职工 40, 村民代表 30). The
admin gives 王建国 (QS001, party secretary) a cadre account; on a phone he opens the
period and reads, per voter group, the votes for each grade with their shares, the group
score's formula in numbers, and the weighted score's. The numbers are checked against
each other (a share is votes / valid ballots; a formula ends in the score printed), not
against fixed values, since other browser tests may add result versions.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from assessment.services.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 740}
NOTICE_PERIOD = "2026年上半年考核"
USERNAME = "wangjianguo"
GROUPS = ("班子成员", "干部职工", "村民代表")


def _give_the_secretary_an_account(browser: Browser, live_server: str) -> None:
    desk = browser.new_context(base_url=live_server)
    page = desk.new_page()
    page.goto("/login")
    page.locator('input[name="username"]').fill("admin")
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.locator('main form [type="submit"]').click()
    page.goto("/admin/accounts/new")
    page.locator('input[name="username"]').fill(USERNAME)
    page.locator('input[name="display_name"]').fill("王建国")
    page.locator('select[name="role"]').select_option("cadre")
    page.locator('select[name="scope_unit_ids"]').select_option(index=0)  # the township
    page.locator('select[name="cadre_id"]').select_option(label="王建国 (QS001)")
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.locator('main form [type="submit"]').click()
    expect(page.locator("main")).to_contain_text(USERNAME)
    desk.close()


def _percent(votes: int, valid: int) -> str:
    """A share as printed: published at 4 decimals half up, shown with 2 (×100)."""
    share = (Decimal(votes) / Decimal(valid)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return f"{share * 100:.2f}%"


def test_a_leader_reads_their_vote_shares_on_a_phone(
    browser: Browser, live_server: str, tmp_path: Path
) -> None:
    _give_the_secretary_an_account(browser, live_server)
    phone = browser.new_context(
        base_url=live_server, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.goto("/login")
    page.locator('input[name="username"]').fill(USERNAME)
    page.locator('input[name="password"]').fill(DEMO_PASSWORD)
    page.locator('main form [type="submit"]').click()
    page.wait_for_url(re.compile(r"/me/$"))
    page.locator("main a.portal-period", has_text=NOTICE_PERIOD).click()
    page.wait_for_url(re.compile(r"/me/periods/\d+$"))

    article = page.locator("article#indicator-MZ")
    expect(article).to_be_visible()
    tally = article.locator("table.ballot-tally")
    expect(tally).to_be_visible()
    rows = tally.locator("tbody tr:not(.ballot-formula)")
    expect(rows).to_have_count(3)
    scores = []
    for index, group in enumerate(GROUPS):
        cells = rows.nth(index).locator("td").all_inner_texts()
        assert cells[0] == group
        # weight, 4 grades "n (share)", abstentions, [invalid sheets: shown when the
        # validity rules voided or flagged any], valid ballots, group score
        votes = [re.fullmatch(r"(\d+) \(([\d.]+%)\)", cell) for cell in cells[2:6]]
        assert all(votes), cells
        assert len(cells) in (9, 10), cells
        cells = cells[:7] + cells[-2:]
        valid = int(cells[7])
        assert sum(int(v.group(1)) for v in votes) == valid
        for v in votes:
            assert v.group(2) == _percent(int(v.group(1)), valid), cells
        score = Decimal(cells[8])
        scores.append((Decimal(cells[1]), score))
        formula = tally.locator("tr.ballot-formula").nth(index).inner_text()
        # the group formula in numbers: (n × 1 + m × 0.8 …) / valid × 100 = score
        assert re.fullmatch(rf"\(.+\) / {valid} × 100 = {cells[8]}", formula.strip()), formula
    weighted = article.locator("p.hint code.expression").inner_text()
    expected = sum(w * s for w, s in scores) / sum(w for w, _ in scores)
    assert weighted.endswith(f"= {expected.quantize(Decimal('0.01'), ROUND_HALF_UP)}")
    # the formula in words, in Chinese
    expect(article).to_contain_text("测评主体得分 = Σ 票数 × 系数 / 有效票数 × 100")

    # every number on one line (a squeezed table broke "96.67" digit by digit)
    heights = tally.locator("tbody tr:not(.ballot-formula) td").evaluate_all(
        "cells => cells.map(c => c.getBoundingClientRect().height)"
    )
    assert max(heights) < 2 * min(heights), heights
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a 360px screen"
    page.screenshot(path=tmp_path / "vote-shares-360.png", full_page=True)
    article.screenshot(path=tmp_path / "vote-shares-360-mz.png")
    phone.close()
