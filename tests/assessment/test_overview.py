"""Officials' overview: periods in scope, the comparison, and the .xlsx exports.

Expected numbers are recomputed here from the stored payload of the version under test
(the ``computed_period`` fixture's version 1), never typed in from the page.
"""

from __future__ import annotations

import io
import json
import statistics
from collections import Counter
from datetime import UTC, timedelta
from typing import Any

import pytest
from babel.numbers import format_decimal
from openpyxl import load_workbook

from assessment.models import Period, ResultVersion
from assessment.services import accounts, org
from assessment.services import results as results_service
from assessment.services.periods import create_period
from assessment.services.queries import find_unit_by_code

INDEX = "/admin/overview/"
COMPARE = "/admin/overview/compare"
ENDPOINTS = (
    INDEX,
    "/admin/overview/overview.xlsx",
    COMPARE,
    "/admin/overview/compare.xlsx",
    "/admin/overview/periods/1.xlsx",
)
SHIFT = -10.0


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # English pages and headers, so the assertions hold whatever the Chinese catalog says.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _payload(app: Any, period_id: int = 1, number: int = 1) -> dict[str, Any]:
    with app.app_context():
        from assessment.app.db import db

        version = results_service.get_version(db.session, period_id, number)
        return results_service.payload_of(version)


def _digests(app: Any, period_id: int = 1, number: int = 1) -> tuple[str, str]:
    with app.app_context():
        from assessment.app.db import db

        version = results_service.get_version(db.session, period_id, number)
        return version.rules_digest, version.data_digest


def _fmt(value: float) -> str:
    """Two decimals as the pages print them (Babel: the shortest repr, half-even)."""
    return format_decimal(value, "0.00", locale="en")


def _store_copy(
    session: Any, *, into: int, number: int, shift: float = 0.0, unit: int | None = None
) -> None:
    """Store period 1's version 1 as version ``number`` of period ``into``, every total
    moved by ``shift`` (and every cadre into ``unit`` when given). Stored directly, not
    computed: the overview reads stored versions and nothing else."""
    source = results_service.get_version(session, 1, 1)
    payload = results_service.payload_of(source)
    for cadre in payload["result"]["cadres"]:
        cadre["total"] += shift
        if unit is not None:
            cadre["unit"] = str(unit)
    session.add(
        ResultVersion(
            period_id=into,
            number=number,
            rules_digest=source.rules_digest,
            data_digest=f"{number}" * 64,
            payload=json.dumps(payload),
            reason="" if number == 1 else "test",
        )
    )


@pytest.fixture
def heshan(computed_period: int, make: Any) -> dict[str, int]:
    """A second township, 河山镇, with a period whose stored version 1 is period 1's
    result moved there with every total 10 points lower, and an assessor scoped to it.
    """

    def build(session: Any) -> dict[str, int]:
        county = find_unit_by_code(session, "CX")
        township = org.create_unit(
            session, org.UnitData("HSZ", "township", "河山镇", "Heshan Town", county.id, 100, 400)
        )
        period = create_period(session, name="河山镇2026年度考核", year=2026, scope_unit=township)
        _store_copy(session, into=period.id, number=1, shift=SHIFT, unit=township.id)
        period.status = "computed"
        accounts.save_account(
            session,
            accounts.AccountData("heshan", "河山镇考核组", "assessor", (township.id,)),
            password="heshan-password-2026",
        )
        session.flush()
        return {"period_id": period.id, "township_id": township.id}

    return make(build)


def _read(response: Any) -> Any:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(response.data))


def _rows(sheet: Any) -> list[dict[str, Any]]:
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


# ---------------------------------------------------------------------------
# access and scope
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["cadre", "clerk"])
def test_cadre_and_clerk_are_refused(client, auth, computed_period, user):
    auth.login(user)
    for url in ENDPOINTS:
        assert client.get(url).status_code == 403, url


def test_anonymous_is_sent_to_login(client, computed_period):
    response = client.get(INDEX)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_periods_without_results_are_not_listed(client, auth, demo):
    auth.login("official")
    page = client.get(INDEX).get_data(as_text=True)
    assert "No period in your scope has computed results yet." in page
    assert "2026年度考核" not in page
    assert client.get("/admin/overview/periods/1.xlsx").status_code == 404


def test_official_sees_every_township_team_only_its_own(client, auth, heshan):
    auth.login("official")  # county scope
    page = client.get(INDEX).get_data(as_text=True)
    assert "Qingshan Town" in page and "Heshan Town" in page and "河山镇2026年度考核" in page
    auth.logout()
    auth.login("heshan", "heshan-password-2026")
    page = client.get(INDEX).get_data(as_text=True)
    assert "河山镇2026年度考核" in page and "Qingshan Town" not in page
    # period 1 belongs to 青山镇: outside this team's scope
    assert client.get("/admin/overview/periods/1.xlsx").status_code == 404
    refused = client.get(f"{COMPARE}?period=1")
    assert refused.status_code == 400
    assert "Periods: “1” is not one of the choices in your scope." in refused.get_data(as_text=True)
    assert client.get(f"/admin/overview/periods/{heshan['period_id']}.xlsx").status_code == 200


# ---------------------------------------------------------------------------
# the overview page and its workbook
# ---------------------------------------------------------------------------


def test_overview_shows_version_state_grades_and_mean(client, auth, computed_period, app):
    result = _payload(app)["result"]
    totals = [c["total"] for c in result["cadres"]]
    grades = Counter(c["grade"] for c in result["cadres"])
    auth.login("official")
    page = client.get(INDEX).get_data(as_text=True)
    assert "2026年度考核" in page and "Computed" in page
    assert 'Version 1</a> <span class="missing">not final</span>' in page
    assert f'<td class="num">{len(totals)}</td>' in page
    assert f'<td class="num">{_fmt(statistics.fmean(totals))}</td>' in page
    # every grade named with its count (the demo rulebook's default grade names)
    for name, code in (("Excellent", "excellent"), ("Competent", "competent")):
        assert f"{name} {grades.get(code, 0)}" in page
    assert "/admin/periods/1/results/versions/1" in page
    # synthetic survey source: 3 responses per target, households from the demo units
    rates = sorted(
        {(s["subject"], s["target"]): s["response_rate"] for s in result["surveys"]}.values()
    )
    assert f"over {len(rates)} rated targets" in page


def test_overview_workbook_reads_back_with_numbers_and_facts(client, auth, computed_period, app):
    result = _payload(app)["result"]
    rules_digest, data_digest = _digests(app)
    auth.login("official")
    book = _read(client.get("/admin/overview/overview.xlsx"))
    assert book.sheetnames == ["Overview", "Periods"]
    overview = book["Overview"]
    assert overview.freeze_panes == "A2"
    [row] = _rows(overview)
    assert row["Period"] == "2026年度考核"
    assert row["Result version"] == 1 and row["Final"] == "no (not final)"
    assert row["Cadres assessed"] == len(result["cadres"])
    mean = statistics.fmean(c["total"] for c in result["cadres"])
    assert isinstance(row["Mean total"], float) and row["Mean total"] == pytest.approx(mean)
    headers = [c.value for c in overview[1]]
    assert overview.cell(2, headers.index("Mean total") + 1).number_format == "0.00"
    assert row["Excellent"] == sum(c["grade"] == "excellent" for c in result["cadres"])
    facts = book["Periods"]
    assert facts.freeze_panes == "A2"
    [fact] = _rows(facts)
    assert fact["Rules digest"] == rules_digest and fact["Data digest"] == data_digest
    assert fact["State"] == "Computed" and fact["Result version"] == 1
    # Times in the township's zone (Beijing, UTC+8 all year), as the header says.
    assert fact["Exported at (Beijing time)"] is not None
    with app.app_context():
        from assessment.app.db import db

        computed = results_service.get_version(db.session, 1, 1).created_at
    assert fact["Computed at (Beijing time)"] == (
        computed.astimezone(UTC).replace(tzinfo=None, microsecond=0) + timedelta(hours=8)
    )


def test_final_period_shows_its_final_version_not_the_latest(
    client, auth, app, make, computed_period
):
    result = _payload(app)["result"]
    mean_v1 = statistics.fmean(c["total"] for c in result["cadres"])

    def finalise_on_version_1(session: Any) -> None:
        # a later version 2 (all totals 5 points higher), but the period was finalised
        # on version 1 (set directly: the publication workflow is tested elsewhere)
        _store_copy(session, into=computed_period, number=2, shift=5.0)
        period = session.get(Period, computed_period)
        period.status = "final"
        period.final_version_number = 1

    make(finalise_on_version_1)
    auth.login("official")
    page = client.get(INDEX).get_data(as_text=True)
    assert "Version 1</a>" in page and "Version 2" not in page
    assert 'class="missing">not final' not in page
    assert f'<td class="num">{_fmt(mean_v1)}</td>' in page
    [row] = _rows(_read(client.get("/admin/overview/overview.xlsx"))["Overview"])
    assert row["Result version"] == 1 and row["Final"] == "yes" and row["State"] == "Final"
    assert row["Mean total"] == pytest.approx(mean_v1)


def test_without_a_final_version_the_latest_is_shown(client, auth, app, make, computed_period):
    make(lambda session: _store_copy(session, into=computed_period, number=2))
    auth.login("official")
    page = client.get(INDEX).get_data(as_text=True)
    assert 'Version 2</a> <span class="missing">not final</span>' in page


# ---------------------------------------------------------------------------
# comparison
# ---------------------------------------------------------------------------


def test_comparison_puts_townships_side_by_side(client, auth, app, heshan):
    result = _payload(app)["result"]
    by_group: dict[str, list[float]] = {}
    for cadre in result["cadres"]:
        by_group.setdefault(cadre["post_group"], []).append(cadre["total"])
    auth.login("official")
    page = client.get(COMPARE).get_data(as_text=True)
    assert "Townships side by side" in page
    for totals in by_group.values():
        # 青山镇's mean, and 河山镇's: the same cadres 10 points lower
        assert f'<td class="num">{_fmt(statistics.fmean(totals))}</td>' in page
        assert f'<td class="num">{_fmt(statistics.fmean(totals) + SHIFT)}</td>' in page
    # one matrix row per cadre and township
    assert page.count("rank 1 of") >= 2 * len(by_group)


def test_comparison_filters_and_workbook(client, auth, app, heshan):
    result = _payload(app)["result"]
    group = sorted({c["post_group"] for c in result["cadres"]})[0]
    members = [c for c in result["cadres"] if c["post_group"] == group]
    with app.app_context():
        from assessment.app.db import db

        qsz = find_unit_by_code(db.session, "QSZ").id
    auth.login("official")
    query = f"?period=1&period={heshan['period_id']}&township={heshan['township_id']}&group={group}"
    page = client.get(COMPARE + query)
    assert page.status_code == 200
    book = _read(client.get("/admin/overview/compare.xlsx" + query))
    assert book.sheetnames == ["Cadres", "Townships", "Periods"]
    cadres = _rows(book["Cadres"])
    # only 河山镇 (period 1's cadres are all in 青山镇) and only the chosen post group
    assert {r["Township"] for r in cadres} == {"Heshan Town"}
    assert len(cadres) == len(members)
    expected = {c["code"]: c["total"] + SHIFT for c in members}
    for row in cadres:
        assert isinstance(row["Total"], float)
        assert row["Total"] == pytest.approx(expected[row["Code"]])
    assert book["Cadres"].cell(2, 8).number_format == "0.00"
    [township] = _rows(book["Townships"])
    assert township["Cadres"] == len(members)
    assert township["Mean total"] == pytest.approx(statistics.fmean(expected.values()))
    assert book["Townships"].freeze_panes == "A2"
    assert {f["Period"] for f in _rows(book["Periods"])} == {"2026年度考核", "河山镇2026年度考核"}
    # choosing 青山镇 only
    book = _read(client.get(f"/admin/overview/compare.xlsx?township={qsz}"))
    assert {r["Township"] for r in _rows(book["Cadres"])} == {"Qingshan Town"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=abc", "Periods: “abc” is not one of the choices in your scope."),
        ("period=999", "Periods: “999” is not one of the choices in your scope."),
        ("township=4", "Townships: “4” is not one of the choices in your scope."),
        ("group=NOPE", "Post group: “NOPE” is not one of the choices in your scope."),
    ],
)
def test_bad_filter_values_get_a_clear_message(client, auth, computed_period, query, message):
    auth.login("official")
    for url in (COMPARE, "/admin/overview/compare.xlsx"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        assert response.mimetype == "text/html"
        assert message in response.get_data(as_text=True)


# ---------------------------------------------------------------------------
# one period in full
# ---------------------------------------------------------------------------


def test_period_workbook_has_every_indicator_as_numbers(client, auth, computed_period, app):
    result = _payload(app)["result"]
    auth.login("assessor1")
    book = _read(client.get("/admin/overview/periods/1.xlsx"))
    assert book.sheetnames == ["Results", "Indicators", "Periods"]
    sheet = book["Results"]
    assert sheet.freeze_panes == "A2"
    rows = {r["Code"]: r for r in _rows(sheet)}
    assert len(rows) == len(result["cadres"])
    for cadre in result["cadres"]:
        row = rows[cadre["code"]]
        assert row["Total"] == pytest.approx(cadre["total"])
        assert row["Rank"] == cadre["rank"]
        for indicator in cadre["indicators"]:
            assert row[f"Points {indicator['code']}"] == pytest.approx(indicator["points"])
    headers = [c.value for c in sheet[1]]
    points = headers.index(f"Points {result['cadres'][0]['indicators'][0]['code']}") + 1
    assert sheet.cell(2, points).number_format == "0.00"
    assert sheet.cell(2, headers.index("Total") + 1).number_format == "0.00"
    # every "Points <code>" column is explained on the Indicators sheet
    explained = {r["Code"] for r in _rows(book["Indicators"])}
    assert {h.removeprefix("Points ") for h in headers if h.startswith("Points ")} <= explained


def test_period_workbook_outside_scope_or_unknown_is_404(client, auth, computed_period):
    auth.login("official")
    assert client.get("/admin/overview/periods/999.xlsx").status_code == 404


class TestChineseHeaders:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "BABEL_DEFAULT_LOCALE": "zh_CN"}

    def test_headers_follow_the_reader_language(self, client, auth, computed_period):
        auth.login("official")
        book = _read(client.get("/admin/overview/periods/1.xlsx"))
        headers = [c.value for c in book.worksheets[0][1]]
        # strings the Chinese catalog already translates
        assert {"排名", "合计", "等次", "乡镇"} <= set(headers)


def test_pdf_downloads_are_linked_when_the_reports_provide_them(client, auth, app, computed_period):
    auth.login("official")
    page = client.get(INDEX).get_data(as_text=True)
    for endpoint, path in (("reports.summary", "summary.pdf"), ("reports.archive", "all.zip")):
        link = f"/admin/periods/1/results/versions/1/reports/{path}"
        assert (link in page) == (endpoint in app.view_functions)
