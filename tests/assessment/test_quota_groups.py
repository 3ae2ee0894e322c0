"""Quota groups in the app (issue 16): a county period grading the township secretaries and
heads of every township together, and township staff whose share of 优秀 follows their
township's grade, read from the final results of the period that grades the townships.

Every expected count is worked out by hand below; the core's own arithmetic is tested in
tests/assessment/core/test_quota_groups.py."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from assessment.app.db import db, unit_of_work
from assessment.core.errors import FieldError
from assessment.core.results import IncompleteInputsError
from assessment.core.rulebook import Label, default_document
from assessment.models import AuditEntry, Period
from assessment.services import accounts, org, publication
from assessment.services import results as results_service
from assessment.services.periods import advance_period
from assessment.services.unit_grades import set_unit_grades_period
from reports.recompute import check_bundle
from reports.services.bundle import build_bundle
from tests.conftest import DEMO_PASSWORD
from tests.factories import (
    compute,
    enter_actuals,
    make_period,
    make_rulebook,
    make_unit,
    open_notice,
    work_indicator,
)

START = date(2025, 1, 1)
POSTS = {
    "TSEC": ("镇党委书记", "Township Party secretary", "township"),
    "THEAD": ("镇长", "Township head", "township"),
    "TSTAFF": ("乡镇干部", "Township staff", "township"),
}
#: Staff per township, and the township's grade in the period that grades the townships.
STAFF = {"T1": 7, "T2": 5, "T3": 4}
TOWN_ACTUALS = {"T1": 95, "T2": 80, "T3": 65}  # excellent, competent, basic


def _post_doc(code: str) -> dict[str, Any]:
    # one linear indicator W1 (0 at 0, full marks at 100), weight 100: total = actual
    return {
        "post": code,
        "name": {"zh": POSTS[code][0], "en": POSTS[code][1]},
        "categories": [{"code": "ji", "name": {"zh": "工作实绩", "en": "Work"}, "weight": 100}],
        "indicators": [work_indicator()],
    }


def _document(posts: tuple[str, ...], **grading: Any) -> dict[str, Any]:
    document = default_document(Label("县乡考核细则", "County rules"))
    document["posts"] = [_post_doc(code) for code in posts]
    document["grading"].update(grading)
    return document


LEADERS = {
    "code": "leaders",
    "name": {"zh": "乡镇党政正职", "en": "Township leaders"},
    "posts": ["TSEC", "THEAD"],
    "top_quota": 0.2,
    "rounding": "half_up",
}
STAFF_GROUP = {
    "code": "staff",
    "name": {"zh": "乡镇干部", "en": "Township staff"},
    "posts": ["TSTAFF"],
    "by_unit_grade": {
        "unit_kind": "township",
        "shares": {"excellent": 0.15, "competent": 0.12, "basic": 0.08, "incompetent": 0.05},
    },
    "rounding": "half_up",
}


def _enter_actuals(session: Any, period: Period, actuals: dict[str, float]) -> None:
    """Every cadre's W1, by cadre code; the period moves to collecting first."""
    advance_period(session, period, "collecting")
    enter_actuals(session, period, lambda cadre: actuals[cadre.code])


@pytest.fixture
def county(app) -> dict[str, Any]:
    """County K with townships T1-T3; each has a secretary and a head, and staff as STAFF
    says; the period "乡镇等次2025" (scope K) is final and grades the townships; the county
    period (scope K) holds every cadre, its rules published and its actuals entered."""
    with app.app_context(), unit_of_work(None, reason="test fixture"):
        session = db.session
        county_unit = make_unit(session, kind="county", code="K", name_zh="青山县")
        towns = {
            code: make_unit(
                session, kind="township", parent=county_unit, code=code, name_zh=f"{code}镇"
            )
            for code in STAFF
        }
        posts = {
            code: org.save_post(session, org.PostData(code, zh, en, level))
            for code, (zh, en, level) in POSTS.items()
        }
        codes: dict[str, str] = {}

        def cadre(code: str, post: str, town: str) -> None:
            made = org.save_cadre(session, org.CadreData(code, f"干部{code}", "", 1980))
            org.appoint(session, made, posts[post], towns[town], START)
            codes[code] = town

        for town, size in STAFF.items():
            cadre(f"SEC-{town}", "TSEC", town)
            cadre(f"HEAD-{town}", "THEAD", town)
            for i in range(size):
                cadre(f"ST-{town}-{i}", "TSTAFF", town)
        accounts.save_account(
            session,
            accounts.AccountData("countyadmin", "县考核办", "admin", (county_unit.id,), None),
            password=DEMO_PASSWORD,
        )
        # the period that grades the townships: every cadre of a township scores the
        # same, so each subject's grade is its township's (a unit period's subjects are
        # the units themselves; this stands in for one)
        grading = make_period(session, scope=county_unit, year=2025, name="乡镇等次2025")
        make_rulebook(session, grading, document=_document(tuple(POSTS), top_quota=1), on=START)
        _enter_actuals(session, grading, {c: TOWN_ACTUALS[t] for c, t in codes.items()})
        compute(session, grading)
        notice = open_notice(
            session,
            grading,
            starts_on=date(2026, 12, 1),
            review_working_days=5,
            today=date(2026, 12, 1),
        )
        day = notice.ends_on + timedelta(days=30)
        publication.finalise_period(
            session,
            period=grading,
            today=day,
            actor_id=None,
            now=datetime(day.year, day.month, day.day, tzinfo=UTC),
        )
        # the county period: secretaries and heads of every township, and their staff
        period = make_period(session, scope=county_unit, year=2026, name="全县2026年度考核")
        make_rulebook(
            session,
            period,
            document=_document(("TSEC", "THEAD", "TSTAFF"), quota_groups=[LEADERS, STAFF_GROUP]),
            on=START,
        )
        actuals: dict[str, float] = {}
        for k, town in enumerate(STAFF):
            # secretaries 99, 98, 97 and heads 96, 95, 94: all six earn 优秀
            actuals[f"SEC-{town}"] = 99 - k
            actuals[f"HEAD-{town}"] = 96 - k
            for i in range(STAFF[town]):
                actuals[f"ST-{town}-{i}"] = 99 - i  # 99, 98, ...: every one earns 优秀
        _enter_actuals(session, period, actuals)
        return {
            "county": county_unit.id,
            "towns": {code: unit.id for code, unit in towns.items()},
            "grading": grading.id,
            "period": period.id,
            "town_names": {code: unit.name_zh for code, unit in towns.items()},
        }


def _compute(app, period_id: int):
    with app.app_context(), unit_of_work(None, reason="test"):
        period = db.session.get(Period, period_id)
        return results_service.result_of_version(compute(db.session, period))


def _link(app, period_id: int, source_id: int | None) -> None:
    with app.app_context(), unit_of_work(None, reason="test"):
        set_unit_grades_period(db.session, db.session.get(Period, period_id), source_id)


def _linked(app, period_id: int) -> int | None:
    with app.app_context():
        return db.session.get(Period, period_id).unit_grades_period_id


def test_without_the_link_each_township_is_a_missing_input_named_on_the_results_page(
    app, client, county
):
    with pytest.raises(IncompleteInputsError) as caught:
        _compute(app, county["period"])
    missing = {(m.kind, m.indicator, m.subject) for m in caught.value.missing}
    assert missing == {("unit_grade", "staff", str(t)) for t in county["towns"].values()}
    client.post("/login", data={"username": "countyadmin", "password": DEMO_PASSWORD})
    page = client.get(f"/admin/periods/{county['period']}/results").get_data(as_text=True)
    for name in county["town_names"].values():
        assert name in page
    assert "在为单位评定等次的考核期中没有等次" in page


def test_linking_refuses_bad_choices_and_saves_nothing(app, client, county, make):
    # a period that is not final (the county period itself is collecting)
    other = make(
        lambda s: (
            make_period(
                s, scope=s.get(Period, county["period"]).scope_unit, year=2027, name="未定稿"
            ).id
        )
    )
    with pytest.raises(FieldError) as caught:
        _link(app, county["period"], other)
    assert (caught.value.field, caught.value.code) == (
        "unit_grades_period",
        "unit_grades_unknown_period" if other == county["period"] else "unit_grades_not_final",
    )
    # the period itself, and one that does not exist
    for bad in (county["period"], 9999):
        with pytest.raises(FieldError) as caught:
            _link(app, county["period"], bad)
        assert caught.value.code == "unit_grades_unknown_period"
    # a final period of a scope that does not enclose this one: another county's township
    elsewhere = make(lambda s: make_period(s, scope=make_unit(s, kind="township")).id)
    with pytest.raises(FieldError) as caught:
        _link(app, elsewhere, county["grading"])
    assert caught.value.code == "unit_grades_other_scope"
    # shares naming grades the grading period does not have (好/较好 codes)
    renamed = make(lambda s: _period_with_shares(s, county, {"good": 0.15, "fair": 0.1}))
    with pytest.raises(FieldError) as caught:
        _link(app, renamed, county["grading"])
    assert caught.value.code == "unit_grades_unknown_grades"
    assert caught.value.params["codes"] == "fair, good"
    assert _linked(app, county["period"]) is None and _linked(app, renamed) is None
    # through the page: the refusal is flashed with its reason, nothing is saved
    client.post("/login", data={"username": "countyadmin", "password": DEMO_PASSWORD})
    response = client.post(
        f"/admin/periods/{renamed}/unit-grades-period",
        data={"unit_grades_period": county["grading"]},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "细则的名额比例中有考核期“乡镇等次2025”没有的等次：fair, good" in page
    assert _linked(app, renamed) is None


def _period_with_shares(session: Any, county: dict[str, Any], shares: dict[str, float]) -> int:
    scope = session.get(Period, county["period"]).scope_unit
    period = make_period(session, scope=scope, year=2028, name="别的细则")
    group = {**STAFF_GROUP, "by_unit_grade": {"unit_kind": "township", "shares": shares}}
    make_rulebook(
        session,
        period,
        document=_document(("TSEC", "THEAD", "TSTAFF"), quota_groups=[group]),
        on=START,
    )
    return period.id


def test_linked_through_the_page_audited_and_offered_only_final_enclosing_periods(
    app, client, county
):
    client.post("/login", data={"username": "countyadmin", "password": DEMO_PASSWORD})
    page = client.get(f"/admin/periods/{county['period']}").get_data(as_text=True)
    assert "评定单位等次的考核期" in page and "乡镇等次2025 · 青山县" in page
    response = client.post(
        f"/admin/periods/{county['period']}/unit-grades-period",
        data={"unit_grades_period": county["grading"]},
        follow_redirects=True,
    )
    assert "已保存评定单位等次的考核期" in response.get_data(as_text=True)
    assert _linked(app, county["period"]) == county["grading"]
    with app.app_context():
        entries = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.object_type == "period", AuditEntry.object_id == str(county["period"])
            )
        ).all()
        assert any(
            f'"unit_grades_period_id":{county["grading"]}' in e.after.replace(" ", "")
            and f'"unit_grades_period_id":{county["grading"]}' not in e.before.replace(" ", "")
            for e in entries
        )


def test_county_period_grades_leaders_across_townships_and_staff_by_township_grade(
    app, client, county
):
    _link(app, county["period"], county["grading"])
    result = _compute(app, county["period"])
    groups = {g.post_group: g for g in result.groups}
    towns = county["towns"]
    # leaders: 3 townships × (secretary + head) = 6; 6 × 20% = 1.2 -> 1 (half up);
    # ranked across townships: SEC-T1 99 keeps 优秀, SEC-T2 98 is next and drops
    leaders = groups["leaders"]
    assert (leaders.size, leaders.share, leaders.rounding, leaders.allowed) == (
        6,
        0.2,
        "half_up",
        1,
    )
    grade = {c.code: c.grade for c in result.cadres}
    assert grade["SEC-T1"] == "excellent" and grade["SEC-T2"] == "competent"
    # staff, township grades from the grading period: T1 95 excellent, T2 80 competent,
    # T3 65 basic. T1: 7 × 15% = 1.05 -> 1; T2: 5 × 12% = 0.6 -> 1; T3: 4 × 8% = 0.32 -> 0
    expected = {
        "T1": (7, 0.15, "excellent", 1),
        "T2": (5, 0.12, "competent", 1),
        "T3": (4, 0.08, "basic", 0),
    }
    for town, (size, share, unit_grade, allowed) in expected.items():
        group = groups[f"staff@{towns[town]}"]
        assert (group.size, group.share, group.unit_grade, group.allowed) == (
            size,
            share,
            unit_grade,
            allowed,
        )
    assert grade["ST-T1-0"] == "excellent" and grade["ST-T1-1"] == "competent"
    assert grade["ST-T2-0"] == "excellent" and grade["ST-T3-0"] == "competent"

    # the staff results page names each group and shows how its quota worked out
    client.post("/login", data={"username": "countyadmin", "password": DEMO_PASSWORD})
    page = client.get(f"/admin/periods/{county['period']}/results/versions/1").get_data(
        as_text=True
    )
    assert "乡镇党政正职" in page and "乡镇干部 · T1镇" in page
    assert "7 × 15% = 1.05 → 1（四舍五入）" in page
    assert "6 × 20% = 1.2 → 1（四舍五入）" in page
    assert "4 × 8% = 0.32 → 0（四舍五入）" in page

    # the public rules page states the groups and the rounding in words, with an example
    rules = client.get(f"/p/periods/{county['period']}/rules").get_data(as_text=True)
    assert "名额分组" in rules and "乡镇党政正职" in rules
    assert "在每个乡镇内评定" in rules
    assert "7 × 15% = 1.05 → 1（四舍五入）" in rules
    assert "7 × 20% = 1.4 → 1（向下取整）" in rules  # posts graded alone: the default

    # the open-data bundle recomputes the same numbers from its files alone
    with app.app_context():
        built = build_bundle(
            db.session, period=db.session.get(Period, county["period"]), today=date(2026, 12, 1)
        )
    assert built.reproduced
    archive = zipfile.ZipFile(io.BytesIO(built.data))
    (grades_file,) = [n for n in archive.namelist() if n.endswith("/unit_grades.csv")]
    rows = archive.read(grades_file).decode("utf-8-sig").splitlines()
    assert rows[0] == "unit,kind,parent,grade"
    assert f"{towns['T1']},township,{county['county']},excellent" in rows
    assert check_bundle(built.data).ok
