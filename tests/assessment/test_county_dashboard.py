"""County dashboard: figures equal to the stored final versions, suppression, access, workbook.

Two townships: 青山镇's demo period computed by the results service (the
``computed_period`` fixture), and 河山镇 whose period stores that version's payload
with every cadre moved there. Both are made final with version 1. Expected figures are
recomputed here from each version's stored JSON, read apart from the dashboard's code.
"""

from __future__ import annotations

import io
import json
import math
from collections import Counter
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from scipy import stats

from assessment.models import Notice, Objection, Period
from assessment.services import accounts, org
from assessment.services import results as results_service
from assessment.services.periods import create_period
from assessment.services.queries import find_unit_by_code
from tests.factories import store_final_copy

URL = "/admin/county/dashboard"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def two_townships(computed_period: int, make: Any) -> dict[str, int]:
    def build(session: Any) -> dict[str, int]:
        qingshan_period = session.get(Period, computed_period)
        qingshan_period.status = "final"
        qingshan_period.final_version_number = 1
        county = find_unit_by_code(session, "CX")
        township = org.create_unit(
            session, org.UnitData("HSZ", "township", "河山镇", "Heshan Town", county.id, 100, 400)
        )
        period = create_period(session, name="河山镇2026年度考核", year=2026, scope_unit=township)
        source = results_service.get_version(session, computed_period, 1)
        store_final_copy(session, source=source, period=period, township=township)
        # 7 cadres are 不称职: alone under 8 they are hidden, and the 0 优秀 with them
        period.min_group_size = 8
        notice = Notice(
            period_id=qingshan_period.id,
            version_number=1,
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 7),
        )
        session.add(notice)
        session.flush()
        first_cadre = int(results_service.payload_of(source)["result"]["cadres"][0]["id"])
        for cadre_id, status, outcome in (
            (first_cadre, "decided", "upheld"),
            (first_cadre, "decided", "partly_upheld"),
            (first_cadre, "decided", "rejected"),
            (None, "open", None),
        ):
            session.add(
                Objection(
                    period_id=qingshan_period.id,
                    notice_id=notice.id,
                    channel="public",
                    cadre_id=cadre_id,
                    reason="test",
                    version_number=1,
                    review_due_on=date(2026, 12, 14),
                    status=status,
                    outcome=outcome,
                )
            )
        accounts.save_account(
            session,
            accounts.AccountData("heshan", "河山镇组织委员", "official", (township.id,)),
            password="heshan-password-2026",
        )
        session.flush()
        return {
            "qingshan": qingshan_period.scope_unit_id,
            "qingshan_period": qingshan_period.id,
            "heshan": township.id,
            "heshan_period": period.id,
        }

    return make(build)


def _stored(app: Any, period_id: int) -> dict[str, Any]:
    """The final version's stored result, read as JSON apart from the dashboard's reader."""
    with app.app_context():
        from assessment.app.db import db

        period = db.session.get(Period, period_id)
        version = results_service.get_version(db.session, period_id, period.final_version_number)
        return json.loads(version.payload)["result"] | {
            "_data_digest": version.data_digest,
            "_min": period.min_group_size,
        }


def _expected(result: dict[str, Any]) -> dict[str, Any]:
    """Every dashboard figure of one township that holds the whole period, by hand.

    index = Σ n_i S_i / Σ n_i; se_i = (h_i - l_i) / (2 t(0.975, n_eff,i - 1));
    se² = Σ (n_i/N)² se_i²; ν = (Σ a_i)² / Σ a_i²/(n_eff,i - 1) with a_i = (n_i/N)² se_i²;
    interval = index ± t(0.975, ν) se; response rate = Σ n_i / Σ households_i.
    """
    surveys = [s for s in result["surveys"] if s["n"] > 0]
    total = sum(s["n"] for s in surveys)
    index = sum(s["n"] * s["index"] for s in surveys) / total
    parts = []
    for s in surveys:
        df = s["n_effective"] - 1
        se = (s["ci_high"] - s["ci_low"]) / (2 * stats.t.ppf(0.975, df))
        parts.append(((s["n"] / total) ** 2 * se**2, df))
    variance = sum(a for a, _ in parts)
    dof = variance**2 / sum(a * a / df for a, df in parts)
    half = stats.t.ppf(0.975, dof) * math.sqrt(variance)
    with_households = [s for s in surveys if s["households"]]
    return {
        "cadres": len(result["cadres"]),
        "grades": Counter(c["grade"] for c in result["cadres"]),
        "index": index,
        "low": index - half,
        "high": index + half,
        "n": total,
        "rate": sum(s["n"] for s in with_households)
        / sum(s["households"] for s in with_households),
        "vetoed": sum(1 for c in result["cadres"] if c["vetoes"]),
    }


def _rows(response: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Townships", "Sources"]
    out = []
    for name in book.sheetnames:
        values = list(book[name].iter_rows(values_only=True))
        out.append([dict(zip(values[0], row, strict=True)) for row in values[1:]])
    return out[0], out[1]


def test_every_figure_equals_the_stored_final_version(app, client, auth, two_townships):
    auth.login("official")  # county scope
    figures, sources = _rows(client.get("/admin/county/dashboard.xlsx"))
    by_township = {row["Township"]: row for row in figures}
    assert set(by_township) == {"Qingshan Town", "Heshan Town", "All townships shown"}
    for name, period_id, objections in (
        ("Qingshan Town", two_townships["qingshan_period"], (4, 2)),
        ("Heshan Town", two_townships["heshan_period"], (0, 0)),
    ):
        stored = _stored(app, period_id)
        expected = _expected(stored)
        row = by_township[name]
        assert row["Cadres assessed"] == expected["cadres"]
        assert row["Satisfaction index"] == pytest.approx(expected["index"], abs=1e-9)
        assert row["Interval low"] == pytest.approx(expected["low"], abs=1e-9)
        assert row["Interval high"] == pytest.approx(expected["high"], abs=1e-9)
        assert row["Responses"] == expected["n"]
        assert row["Response rate"] == pytest.approx(expected["rate"], abs=1e-12)
        assert row["Vetoed cadres"] == expected["vetoed"]
        # 4 lodged: upheld, partly upheld (both count as upheld), rejected, open
        assert (row["Objections lodged"], row["Objections upheld"]) == objections
        source = next(s for s in sources if s["Township"] == name)
        assert source["Period id"] == period_id
        assert source["Result version"] == 1
        assert source["Data digest"] == stored["_data_digest"]
        assert source["Minimum group size"] == stored["_min"]
        grades = expected["grades"]
        if name == "Qingshan Town":  # minimum 5: every group is 0 or at least 5
            assert min(n for n in grades.values() if n) >= 5
            assert row["Competent"] == grades["competent"]
            assert row["Basically competent"] == grades["basic"]
            assert row["Incompetent"] == grades["incompetent"]
            assert row["Excellent"] == grades.get("excellent", 0)
    heshan = by_township["Heshan Town"]
    # minimum 8 in 河山镇: 7 不称职 hidden (7 < 8); then the lone hidden cell would be
    # 40 - 25 - 8 - 0, so the smallest other count, the 0 优秀, is hidden as well.
    assert (Counter(_expected(_stored(app, two_townships["heshan_period"]))["grades"])) == Counter(
        {"competent": 25, "basic": 8, "incompetent": 7}
    )
    assert heshan["Incompetent"] == "suppressed"
    assert heshan["Excellent"] == "suppressed"
    assert (heshan["Competent"], heshan["Basically competent"]) == (25, 8)
    total = by_township["All townships shown"]
    assert total["Cadres assessed"] == 80
    assert total["Excellent"] is None and total["Incompetent"] is None
    assert (total["Objections lodged"], total["Objections upheld"]) == (4, 2)


def test_page_shows_the_same_figures_and_suppression(app, client, auth, two_townships):
    stored = _expected(_stored(app, two_townships["qingshan_period"]))
    auth.login("official")
    page = client.get(URL).get_data(as_text=True)
    assert "Qingshan Town" in page and "Heshan Town" in page
    assert f"{stored['index']:.2f}" in page
    assert f"{stored['low']:.2f}–{stored['high']:.2f}" in page
    heshan = page.split(f'data-township="{two_townships["heshan"]}"')[1].split("</tr>")[0]
    assert heshan.count(">suppressed<") == 2
    # the grade bar shows the hidden part as one grey segment, never its count
    assert "<title>suppressed: suppressed</title>" in heshan
    assert "Incompetent: 7" not in heshan
    assert "<svg" in page and "<circle" in page


def test_township_official_sees_only_their_township(client, auth, two_townships):
    auth.login("heshan", "heshan-password-2026")
    page = client.get(URL).get_data(as_text=True)
    assert "Heshan Town" in page and "Qingshan Town" not in page
    figures, sources = _rows(client.get("/admin/county/dashboard.xlsx"))
    assert {r["Township"] for r in figures} == {"Heshan Town", "All townships shown"}
    assert [s["Period id"] for s in sources] == [two_townships["heshan_period"]]


def test_overview_links_the_dashboard_for_a_county_scope_only(client, auth, two_townships):
    auth.login("official")
    assert URL in client.get("/admin/overview/").get_data(as_text=True)
    auth.logout()
    auth.login("heshan", "heshan-password-2026")
    assert URL not in client.get("/admin/overview/").get_data(as_text=True)


@pytest.mark.parametrize("user", ["cadre", "clerk", "assessor1"])
def test_other_roles_are_refused(client, auth, two_townships, user):
    auth.login(user)
    assert client.get(URL).status_code == 403
    assert client.get("/admin/county/dashboard.xlsx").status_code == 403


def test_account_without_a_township_in_scope_gets_404(client, auth, make, two_townships):
    # Staff accounts always have a scope; one scoped at a village holds no township.
    def village_official(session: Any) -> None:
        village = find_unit_by_code(session, "QSZ-01")
        accounts.save_account(
            session,
            accounts.AccountData("village", "村干部", "official", (village.id,)),
            password="village-password-2026",
        )

    make(village_official)
    auth.login("village", "village-password-2026")
    assert client.get(URL).status_code == 404
    assert client.get("/admin/county/dashboard.xlsx").status_code == 404


def test_anonymous_is_sent_to_login(client, two_townships):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=abc", "From year: “abc” is not a year."),
        ("to=20x6", "To year: “20x6” is not a year."),
        ("from=2027&to=2025", "To year: the range ends before it starts."),
        ("from=1200", "From year: a year between 1900 and 2100."),
        ("period=nonsense", "Period: “nonsense” is not one of the choices in your scope."),
    ],
)
def test_bad_filters_are_named(client, auth, two_townships, query, message):
    auth.login("official")
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_years_outside_the_range_and_unfinished_periods_are_left_out(
    client, auth, make, two_townships
):
    auth.login("official")
    page = client.get(f"{URL}?from=2027").get_data(as_text=True)
    assert "No final period of your townships in these years." in page

    def unfinish(session: Any) -> None:
        session.get(Period, two_townships["heshan_period"]).status = "notice"

    make(unfinish)
    figures, _sources = _rows(client.get("/admin/county/dashboard.xlsx?from=2026&to=2026"))
    assert {r["Township"] for r in figures} == {"Qingshan Town", "All townships shown"}
