"""A village's head reads the village's grade and objects to it; the public notice names
the villages (issue 16).

On a demo of its own, a unit period "2026年度村级组织考核" over 青山镇 is built through
the services (the demo does not have one yet): one indicator set for the village unit
post (work done W1, linear 0 → 100, weight 100), every village's actual entered, the
results computed and put on notice from today. The cadre account ``cadre`` (周文斌)
holds a post in one village, so the unit's page lists that village only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from assessment.app.db import unit_of_work
from assessment.models import Account, Unit
from assessment.services import inputs, periods, rulebooks, unit_subjects
from assessment.services.demo import DEMO_PASSWORD
from tests import factories
from tests.e2e.conftest import DEFAULT_TIMEOUT_MS, serve_demo

pytestmark = pytest.mark.e2e

PERIOD_NAME = "2026年度村级组织考核"
REASON = "本村集体经济收入少算了光伏收益"


def _village_rulebook(document: dict[str, Any]) -> dict[str, Any]:
    document["posts"] = [
        {
            "post": "UNIT-VILLAGE",
            "name": {"zh": "村级组织", "en": "Village organisation"},
            "categories": [{"code": "ji", "name": {"zh": "工作实绩", "en": "Work"}, "weight": 100}],
            "indicators": [factories.work_indicator(name=("重点工作完成率", "Key work done"))],
        }
    ]
    return document


def build_village_period(app: Flask) -> tuple[str, int]:
    """The unit period on notice from today: the cadre account's village name, the id."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    with app.app_context(), unit_of_work(None, reason="browser test") as session:
        township = session.scalars(sa.select(Unit).where(Unit.code == "QSZ")).one()
        period = periods.create_period(
            session, name=PERIOD_NAME, year=2026, scope_unit=township, subjects="units"
        )
        draft = rulebooks.start_rulebook(session, period=period)
        rulebooks.import_document(
            session, period=period, document=_village_rulebook(rulebooks.document_of(draft))
        )
        rulebooks.publish_version(
            session,
            version=rulebooks.find_draft(session, period.id),
            on=period.starts_on,
            now=datetime(2026, 1, 2, tzinfo=UTC),
        )
        periods.advance_period(session, period, "collecting")
        subjects = [s.cadre_id for s in inputs.list_assessed(session, period)]
        factories.enter_actuals(
            session,
            period,
            lambda subject: float(95 - 9 * subjects.index(subject.cadre_id)),
            now=datetime(2026, 11, 1, tzinfo=UTC),
        )
        factories.compute(session, period, resamples=40)
        factories.open_notice(session, period, starts_on=today)
        account = session.scalars(sa.select(Account).where(Account.username == "cadre")).one()
        held = unit_subjects.units_held(session, account.cadre_id, today)
        villages = [u.name_zh for u in held if u.kind == "village"]
        assert len(villages) == 1, villages
        period_id = period.id
    return villages[0], period_id


@pytest.fixture
def unit_server(
    tmp_path_factory: pytest.TempPathFactory, another_app: Callable[..., Flask]
) -> Iterator[tuple[str, str, int]]:
    workdir: Path = tmp_path_factory.mktemp("e2e-unit-head")
    with serve_demo(workdir) as url:
        app = another_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir / 'assessment.sqlite3'}")
        yield (url, *build_village_period(app))


@pytest.fixture
def head_page(browser: Browser, unit_server: tuple[str, str, int]) -> Iterator[Page]:
    context = browser.new_context(base_url=unit_server[0])
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


class UnitHeadNavigator:
    """What a village's head does on the unit's page."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def log_in(self) -> None:
        self.page.goto("/login")
        self.page.locator('input[name="username"]').fill("cadre")
        self.page.locator('input[name="password"]').fill(DEMO_PASSWORD)
        self.page.locator('main form [type="submit"]').click()
        self.page.wait_for_url(re.compile(r"/me/$"))

    def open_my_units(self) -> None:
        self.page.locator('main a[href$="/me/units/"]').click()
        self.page.wait_for_url(re.compile(r"/me/units/$"))

    def open_unit_result(self, village: str) -> None:
        self.page.locator("main a.portal-period", has_text=village).click()
        self.page.wait_for_url(re.compile(r"/me/units/periods/\d+/subjects/\d+$"))

    def object_to_the_units_result(self, reason: str) -> None:
        self.page.get_by_role("link", name="对本单位结果提出异议").click()
        self.page.wait_for_url(re.compile(r"/objections/new\?subject=\d+"))
        self.page.locator('textarea[name="reason"]').fill(reason)
        self.page.locator('main form [type="submit"]').click()
        expect(self.page.locator(".flash-success")).to_be_visible()


def test_a_village_head_reads_the_grade_objects_and_the_notice_names_the_units(
    head_page: Page, unit_server: tuple[str, str, int], tmp_path: Path
) -> None:
    _url, village, period_id = unit_server
    head = UnitHeadNavigator(head_page)
    head.log_in()
    head.open_my_units()
    listed = head_page.locator("main a.portal-period")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(village)
    expect(listed).to_contain_text(PERIOD_NAME)
    head.open_unit_result(village)
    summary = head_page.locator("main .portal-summary")
    expect(summary).to_contain_text("村级组织")
    expect(summary).to_contain_text(village)
    grade = summary.locator("dd.big-number").nth(1)
    expect(grade).to_have_text(re.compile("^(好|较好|一般|较差)$"))
    head_page.screenshot(path=str(tmp_path / "unit_head.png"), full_page=True)
    head.object_to_the_units_result(REASON)
    expect(head_page.locator("main table")).to_contain_text("#")

    head_page.goto(f"/p/periods/{period_id}/notice")
    header = head_page.locator("main table thead").first
    expect(header).to_contain_text("被考核单位")
    expect(head_page.locator("main")).to_contain_text(village)
