"""A cadre reads their own breakdown on a phone: every point explained, nothing else.

The demo (``flask demo seed``) has period 2 "2025年度考核" final and period 3
"2026年上半年考核" on public notice from today, with the cadre account ``cadre``
(周文斌) assessed in both and one objection of theirs open. Other browser tests may
add result versions to period 3 (the objection journey), so the checks here compare
the page with itself (each formula ends in the points shown, the points add up to the
total, the digest is the public rulebook's) rather than with fixed numbers.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from assessment.services.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

FINAL_PERIOD = "2025年度考核"
NOTICE_PERIOD = "2026年上半年考核"
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def viewport() -> dict[str, int]:
    return PHONE


class PortalNavigator:
    """What a cadre does in the portal."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def log_in(self) -> None:
        self.page.goto("/login")
        self.page.locator('input[name="username"]').fill("cadre")
        self.page.locator('input[name="password"]').fill(DEMO_PASSWORD)
        self.page.locator('main form [type="submit"]').click()
        self.page.wait_for_url(re.compile(r"/me/$"))  # a cadre lands on their own page

    def read_in_english(self) -> None:
        self.page.get_by_role("link", name="English", exact=True).click()
        expect(self.page.locator("html")).to_have_attribute("lang", "en")

    def open_my_assessment(self) -> None:
        """Follow the header's link to the portal."""
        self.page.locator('header nav a[href$="/me/"]').click()
        self.page.wait_for_url(re.compile(r"/me/$"))

    def open_period(self, name: str) -> None:
        self.page.locator("main a.portal-period", has_text=name).click()
        self.page.wait_for_url(re.compile(r"/me/periods/\d+$"))

    # -- reading -----------------------------------------------------------------------

    def big_numbers(self) -> list[str]:
        return self.page.locator(".portal-summary .big-number").all_inner_texts()

    def indicators(self) -> list[tuple[str, float, str]]:
        """(heading, points in the heading, formula) of every indicator shown."""
        rows = []
        for article in self.page.locator("article.indicator").all():
            heading = article.locator("h4").inner_text()
            points = re.search(r"([\d.]+) points", heading)
            assert points, heading
            formula = article.locator("code.expression")
            rows.append(
                (heading, float(points.group(1)), formula.inner_text() if formula.count() else "")
            )
        return rows

    def fits_the_screen(self) -> bool:
        width = self.page.evaluate("document.scrollingElement.scrollWidth")
        return int(width) <= PHONE["width"]


@pytest.fixture
def cadre(page: Page) -> PortalNavigator:
    return PortalNavigator(page)


def test_cadre_reads_every_point_of_the_final_period_on_a_phone(cadre, page):
    cadre.log_in()
    cadre.read_in_english()
    # the home page shows both public periods and sends the cadre to the portal
    for name in (FINAL_PERIOD, NOTICE_PERIOD):
        expect(page.locator("main a.portal-period", has_text=name)).to_be_visible()
    cadre.open_my_assessment()
    expect(page.locator("main h1")).to_have_text("My assessment")
    cadre.open_period(FINAL_PERIOD)
    expect(page.locator("main .lead").first).to_contain_text("Final results.")

    total_text, grade, rank = cadre.big_numbers()
    total = float(total_text)
    assert grade
    assert re.fullmatch(r"\d+ of \d+", rank)

    indicators = cadre.indicators()
    assert len(indicators) >= 8
    for heading, points, formula in indicators:
        # each formula ends in the points its heading shows
        assert formula.endswith(f"= {points:.2f}"), (heading, formula)
    # the printed indicator points add up exactly to the categories' sum (issue 13:
    # the numbers printed are the numbers that decide)
    sums = page.locator("p", has_text="Sum of the categories").locator("code").inner_text()
    points_sum = Decimal(sums.rsplit("=", 1)[1].strip())
    assert sum(Decimal(f"{p:.2f}") for _, p, _ in indicators) == points_sum
    if page.locator("ul.portal-events li").count():
        # the demo records a bonus for this cadre in 2025: capped, then added
        total_line = page.locator("code.expression").last.inner_text()
        assert "min(" in total_line
        assert total_line.endswith(f"= {total:.2f}")
    else:
        assert points_sum == Decimal(total_text)

    # panel values come with the number of assessors, survey indices with an interval
    expect(page.get_by_text(re.compile(r"assessors"))).not_to_have_count(0)
    expect(page.get_by_text(re.compile(r"95% interval"))).not_to_have_count(0)
    # the group's distribution and the category comparison, without names
    expect(
        page.locator("svg[aria-label='Distribution of totals in your post group']")
    ).to_be_visible()
    expect(page.locator("table.portal-categories tbody tr")).not_to_have_count(0)
    # the trend lists every public period: the 2022 year and its four quarters, 2023,
    # 2024, 2025 and 2026 first half; a final period takes no objection
    expect(page.locator("table.portal-trend tbody tr")).to_have_count(9)
    expect(page.locator('a[href*="/objections/new"]')).to_have_count(0)
    assert cadre.fits_the_screen()

    # the digest printed here is the public rulebook's
    digest = page.locator("#rules ~ dl code.digest").first.inner_text()
    page.get_by_role("link", name="Read the published rulebook").click()
    expect(page.locator("code.digest").first).to_have_text(digest)


def test_cadre_sees_the_open_notice_with_objection_links_and_their_objection(cadre, page):
    cadre.log_in()
    cadre.read_in_english()
    cadre.open_my_assessment()
    cadre.open_period(NOTICE_PERIOD)
    expect(page.locator("main .lead").first).to_contain_text("On public notice from")
    # every indicator can be objected to while the notice is open
    articles = page.locator("article.indicator")
    expect(page.locator("article.indicator a[href*='/objections/new?indicator=']")).to_have_count(
        articles.count()
    )
    expect(page.get_by_role("link", name="Object to my result")).to_be_visible()
    # the demo cadre's own objection is listed with its status
    objections = page.locator("ul.portal-objections li")
    expect(objections.first).to_be_visible()
    expect(objections.first).to_contain_text(re.compile(r"Awaiting review|Under review|Decided"))
    for heading, points, formula in cadre.indicators():
        assert formula.endswith(f"= {points:.2f}") or formula == "0", (heading, formula)
    assert cadre.fits_the_screen()


def test_another_period_or_version_is_refused(cadre, page):
    cadre.log_in()
    assert page.goto("/me/periods/1").status == 404  # the demo's draft period
    assert page.goto("/me/periods/9999").status == 404
    assert page.goto("/me/periods/2/versions/99").status == 404
