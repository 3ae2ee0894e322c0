"""A democratic-evaluation meeting on paper: two clerks type the same ballot sheets
(double entry), the team closes the survey, and the tally sheet PDF is downloaded from
the staff results page and its numbers checked.

The ballot survey (two cadres, one grade-ballot question, a batch of receipts for the
meeting) is made with the services against the live server's database; everything the
clerks and the team do goes through the browser.

Sheets typed (grade positions as printed: 1 优秀, 2 称职, 3 基本称职, 4 不称职, 5 弃权):
first cadre 1, 1, 2 and second cadre 2, 3, 5. By hand, with the default coefficients
(no published rulebook names this survey):
first cadre: 优秀 2, 称职 1, valid 3: (2 × 1 + 0.8) / 3 × 100 = 93.33;
second cadre: 称职 1, 基本称职 1, 弃权 1, valid 2: (0.8 + 0.6) / 2 × 100 = 70.00.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from assessment.app import create_app
from assessment.app.db import db, unit_of_work, utcnow
from assessment.models import Account, Cadre, Period, Unit
from assessment.services.accounts import AccountData, save_account
from assessment.services.demo import DEMO_PASSWORD
from surveys.services import surveys as services
from surveys.services.queries import list_items
from tests.e2e.test_clerk_journey import _as

pytestmark = pytest.mark.e2e

SECOND_CLERK = "clerk-e2e-2"
SHEETS = (("1", "2"), ("1", "3"), ("2", "5"))


@pytest.fixture(scope="module")
def meeting(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    basetemp = Path(tmp_path_factory.getbasetemp())
    (database,) = {p.resolve() for p in basetemp.glob("e2e-server*/assessment.sqlite3")}
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "e2e-setup-" + "x" * 32,
            "ACCESS_CODE_HASH_KEY": "e2e-setup-" + "y" * 32,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        }
    )
    with app.app_context():
        with unit_of_work(None, reason="e2e setup") as session:
            period = session.scalars(sa.select(Period)).first()
            survey = services.create_survey(
                session,
                period=period,
                data=services.SurveyData(
                    title_zh="班子成员民主测评会",
                    code="mz-e2e-" + secrets.token_hex(2),
                    voter_group="leaders",
                ),
            )
            cadres = list(
                session.scalars(
                    sa.select(Cadre).where(Cadre.code.in_(("QS009", "QS010"))).order_by(Cadre.code)
                )
            )
            for cadre in cadres:
                services.add_target(
                    session, survey, kind="cadre", cadre=cadre, today=date(2026, 6, 2)
                )
            services.add_question(
                session,
                survey,
                data=services.QuestionData(code="grade", kind="ballot", text_zh="民主测评"),
            )
            services.assign_by_default(session, survey)
            services.open_survey(session, survey, now=utcnow())
            village = session.scalars(sa.select(Unit).where(Unit.code == "QSZ-01")).one()
            _batch, slips = services.generate_batch(
                session,
                survey,
                unit=village,
                size=len(SHEETS),
                note="meeting",
                key=app.config["ACCESS_CODE_HASH_KEY"],
                now=utcnow(),
            )
            if not session.scalar(sa.select(Account.id).where(Account.username == SECOND_CLERK)):
                township = session.scalars(sa.select(Unit).where(Unit.code == "QSZ")).one()
                save_account(
                    session,
                    AccountData(SECOND_CLERK, "录入员二", "clerk", (township.id,)),
                    password=DEMO_PASSWORD,
                )
            items = list_items(session, survey.id, village.id)
            setup = {
                "survey_id": survey.id,
                "unit_id": village.id,
                "receipts": [slip.receipt for slip in slips],
                # item order of the entry screen: the ballot about each cadre, by target
                "order": [item.key for item in items],
                "cadres": [str(c.id) for c in cadres],
                "names": [c.name for c in cadres],
            }
        db.session.remove()
        db.engine.dispose()
    yield setup


def test_a_meeting_typed_twice_closed_and_its_tally_sheet_checked(
    browser: Browser, live_server: str, meeting: dict
) -> None:
    serials = [f"MZ-{secrets.token_hex(2).upper()}-{i}" for i in range(len(SHEETS))]
    for username in ("clerk", SECOND_CLERK):
        clerk, context = _as(browser, live_server, username)
        clerk.open_entry_screen(meeting["survey_id"], meeting["unit_id"])
        for serial, receipt, answers in zip(serials, meeting["receipts"], SHEETS, strict=True):
            clerk.type_ballot(serial, "B1", receipt, list(answers))
        context.close()

    team, context = _as(browser, live_server, "assessor1")
    page = team.page
    page.goto(f"/admin/surveys/{meeting['survey_id']}")
    closing = page.locator('form[action$="/close"]')
    closing.locator('input[name="understood"]').check()
    with page.expect_navigation():
        closing.locator('button[type="submit"]').click()
    expect(page.locator(".flash-success")).to_have_count(1)
    page.goto(f"/admin/surveys/{meeting['survey_id']}/results")
    with page.expect_download() as download:
        page.locator(f'a[href$="/admin/surveys/{meeting["survey_id"]}/tally.pdf"]').click()
    data = Path(download.value.path()).read_bytes()
    context.close()

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "计票人" in text and "监票人" in text
    # each cadre's row and its verification field print the score
    assert all(name in text for name in meeting["names"])
    assert text.count("93.33") == 2 and text.count("70.00") == 2
    fields = {
        f"target {target}": value
        for target, value in re.findall(r"target\s*(\d+)\s*([0-9/.\-]+/[0-9.\-]+)", text)
    }
    assert fields, text
    # 优秀/称职/基本称职/不称职/弃权/invalid/flagged/valid/score, per survey target in the
    # order the cadres were added
    assert list(fields.values()) == ["2/1/0/0/0/0/0/3/93.33", "0/1/1/0/1/0/0/2/70.00"]
