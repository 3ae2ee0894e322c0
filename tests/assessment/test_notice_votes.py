"""Vote counts and shares on the public notice, only where the rulebook publishes them
(``sources.publish_votes``, issue 14). The demo's period 3 is on notice with the township
leaders' ballot indicator MZ, whose votes the demo rulebook publishes."""

from __future__ import annotations

import dataclasses
import io
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from assessment.services import results
from assessment.views import public_notice
from tests.conftest import DEMO_PASSWORD
from tests.test_demo import app_config, seeded  # noqa: F401  (the seeded demo, once per module)


def _ballots(session: Any, period_id: int) -> dict[str, dict[str, Any]]:
    result = results.payload_of(results.list_versions(session, period_id)[0])["result"]
    return {
        cadre["name"]: i["ballot"]
        for cadre in result["cadres"]
        for i in cadre["indicators"]
        if i.get("ballot")
    }


def test_the_notice_shows_each_leaders_votes_and_shares(seeded):  # noqa: F811
    app, _output = seeded
    with app.app_context():
        from assessment.app.db import db

        stored = _ballots(db.session, 3)
    assert len(stored) == 2
    text = app.test_client().get("/p/periods/3/notice").get_data(as_text=True)
    assert text.count('<details class="notice-ballot">') == 2
    for name, ballot in stored.items():
        assert name in text
        for group in ballot["groups"]:
            # each grade's votes with their share of the valid ballots, published with
            # places + 2 = 4 decimals half up and shown as a percentage with 2: 1 of 22 =
            # 0.045454... → 0.0455 → 4.55% (never 4.6%, a second rounding)
            for grade, votes in group["votes"].items():
                published = Decimal(votes) / Decimal(group["valid"])
                percent = (published * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                shown = f"{votes} ({percent}%)"
                assert shown in text, (name, group["group"], grade, shown)
    assert "1 (4.55%)" in text  # 李秀兰, staff, 基本称职: 1 of 22 valid ballots
    # the group score formulas, with the numbers
    assert re.search(r"\(\d+ × 1 \+ \d+ × 0\.8[^)]*\) / \d+ × 100 = \d+\.\d\d", text)


def test_without_publish_votes_the_notice_shows_no_votes(seeded, monkeypatch):  # noqa: F811
    app, _output = seeded
    original = public_notice.rulebook_of_version

    def unpublished(version):
        book = original(version)
        sets = []
        for indicator_set in book.indicator_sets:
            indicators = tuple(
                dataclasses.replace(i, sources=dataclasses.replace(i.sources, publish_votes=False))
                if i.sources is not None
                else i
                for i in indicator_set.indicators
            )
            sets.append(dataclasses.replace(indicator_set, indicators=indicators))
        return dataclasses.replace(book, indicator_sets=tuple(sets))

    monkeypatch.setattr(public_notice, "rulebook_of_version", unpublished)
    text = app.test_client().get("/p/periods/3/notice").get_data(as_text=True)
    assert "notice-ballot" not in text and "Valid ballots" not in text


@pytest.mark.parametrize("period_id", [2])
def test_a_period_without_ballot_indicators_shows_no_votes(seeded, period_id):  # noqa: F811
    app, _output = seeded
    text = app.test_client().get(f"/p/periods/{period_id}/notice").get_data(as_text=True)
    assert "notice-ballot" not in text


@pytest.mark.parametrize("report", ["summary", "notice"])
def test_the_summary_and_notice_pdfs_print_every_leaders_votes_and_formulas(
    seeded,  # noqa: F811
    monkeypatch,
    report,
):
    app, _output = seeded
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # log in as a browser would
    with app.app_context():
        from assessment.app.db import db

        stored = _ballots(db.session, 3)
        number = results.list_versions(db.session, 3)[0].number
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    response = client.get(
        f"/admin/periods/3/results/versions/{number}/reports/{report}.pdf?lang=zh_CN"
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    text = text.replace(" ", "").replace("\n", "")
    assert "民主测评：票数与占比" in text
    for ballot in stored.values():
        for group in ballot["groups"]:
            # the group formula as printed: grades best first, e.g. (5×1+1×0.8)/6×100=96.67
            terms = [
                f"{group['votes'][grade]}×{coefficient}"
                for grade, coefficient in (
                    ("excellent", "1"),
                    ("competent", "0.8"),
                    ("basic", "0.6"),
                    ("incompetent", "0"),
                )
                if group["votes"].get(grade)
            ]
            formula = f"({'+'.join(terms)})/{group['valid']}×100={group['score']:.2f}"
            assert formula in text, formula
