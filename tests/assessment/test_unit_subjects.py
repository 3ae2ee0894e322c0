"""Units assessed as subjects (issue 16): a village period through the one engine.

The world: a township with two villages (甲村, 乙村) and a department. A unit period
over the township assesses the villages (the rulebook has an indicator set for the
village unit post only): work done W1 (linear 0 → 100, weight 60) and the residents'
satisfaction with their village S1 (a survey rating the unit, weight 40). 甲村's
residents answer Likert 5 and 4, 乙村's 3 and 3; W1 is 100 for 甲村 and 50 for 乙村.

Hand computation (DESIGN section 4; Likert x on 5 points → (x − 1) / 4 × 100):
- 甲村: S = (100 + 75) / 2 = 87.50; points 60 × 100/100 = 60.00 and 40 × 87.50/100 =
  35.00; total 95.00 → 好 (≥ 90). The quota 0.5 of a group of 2 allows 1 好: kept.
- 乙村: S = (50 + 50) / 2 = 50.00; points 60 × 50/100 = 30.00 and 40 × 50/100 = 20.00;
  total 50.00 → 较差 (below 60).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from assessment.core.errors import FieldError
from assessment.core.rulebook import REGULAR_GRADES
from assessment.models import Account, Appointment, Cadre, Objection, Period, Unit
from assessment.services import (
    accounts,
    org,
    periods,
    records,
    rulebooks,
    unit_subjects,
)
from assessment.services import inputs as inputs_service
from assessment.services import results as results_service
from assessment.services.queries import NotFoundError, get_cadre, list_cadres
from surveys.models.surveys import Survey
from surveys.services import surveys as survey_services
from surveys.services.queries import list_items
from surveys.services.results_source import ResidentSurveys
from tests import factories

PASSWORD = "unit-head-password-1"
YEAR_START = date(2026, 1, 1)


def _local_today() -> date:
    # the notice's dates are local dates (assessment.views.notice.local_today)
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def unit_rulebook(document: dict[str, Any]) -> dict[str, Any]:
    """The period's default document with the village unit post's indicator set."""
    document["grading"]["top_quota"] = 0.5
    document["posts"] = [
        {
            "post": "UNIT-VILLAGE",
            "name": {"zh": "村级组织", "en": "Village organisation"},
            "categories": [
                {"code": "ji", "name": {"zh": "工作实绩", "en": "Work"}, "weight": 60},
                {"code": "my", "name": {"zh": "群众满意度", "en": "Residents"}, "weight": 40},
            ],
            "indicators": [
                factories.work_indicator(weight=60),
                {
                    "code": "S1",
                    "name": {"zh": "村民对本村的满意度", "en": "Residents rate their village"},
                    "kind": "survey",
                    "category": "my",
                    "weight": 40,
                    "subject": "unit",
                },
            ],
        }
    ]
    return document


def _respond(session: Any, survey: Survey, unit_id: int, likert: int) -> None:
    items = list_items(session, survey.id, unit_id)
    survey_services.store_response(
        session,
        survey=survey,
        unit_id=unit_id,
        channel="online",
        answers={item.key: str(likert) for item in items if item.kind == "likert"},
        receipt=uuid.uuid4().hex[:12].upper(),
        submission_key=uuid.uuid4().hex,
        today=factories.SURVEY_DAY,
        items=items,
    )


def _build_world(session: Any) -> dict[str, int]:
    township = factories.make_unit(session, kind="township", name_zh="青山镇")
    first = factories.make_unit(session, kind="village", parent=township, name_zh="甲村")
    second = factories.make_unit(session, kind="village", parent=township, name_zh="乙村")
    department = factories.make_unit(session, kind="department", parent=township, name_zh="党政办")
    head = factories.make_cadre(session, unit=first, name="张三")
    other = factories.make_cadre(session, unit=second, name="李四")
    for cadre, name in ((head, "head"), (other, "other")):
        accounts.save_account(
            session,
            accounts.AccountData(
                username=name,
                display_name=cadre.name,
                role="cadre",
                scope_unit_ids=(township.id,),
                cadre_id=cadre.id,
            ),
            password=PASSWORD,
        )
    return {
        "township": township.id,
        "first": first.id,
        "second": second.id,
        "department": department.id,
        "head": head.id,
        "other": other.id,
    }


def _unit_period(session: Any, world: dict[str, int]) -> Period:
    township = session.get(Unit, world["township"])
    period = periods.create_period(
        session, name="2026年度村级组织考核", year=2026, scope_unit=township, subjects="units"
    )
    draft = rulebooks.start_rulebook(session, period=period)
    document = unit_rulebook(rulebooks.document_of(draft))
    rulebooks.import_document(session, period=period, document=document)
    now = datetime(2026, 1, 1, 8, tzinfo=UTC)
    rulebooks.publish_version(
        session, version=rulebooks.find_draft(session, period.id), on=YEAR_START, now=now
    )
    return period


@pytest.fixture
def world(make: Any) -> dict[str, int]:
    return make(_build_world)


@pytest.fixture
def computed(app: Any, make: Any, world: dict[str, int]) -> dict[str, int]:
    """The unit period computed from real survey responses and entered actuals."""

    def build(session: Any) -> int:
        period = _unit_period(session, world)
        periods.advance_period(session, period, "collecting")
        villages = [session.get(Unit, world[k]) for k in ("first", "second")]
        survey = factories.make_survey(session, period, units=villages)
        for likert in (5, 4):
            _respond(session, survey, world["first"], likert)
        for likert in (3, 3):
            _respond(session, survey, world["second"], likert)
        survey_services.close_survey(session, survey, now=datetime(2026, 6, 30, tzinfo=UTC))
        actual = {world["first"]: 100.0, world["second"]: 50.0}
        factories.enter_actuals(
            session,
            period,
            lambda subject: actual[subject.unit_id],
            now=datetime(2026, 7, 1, tzinfo=UTC),
        )
        factories.compute(session, period, surveys=ResidentSurveys(), resamples=40)
        return period.id

    return {**world, "period": make(build)}


@pytest.fixture
def on_notice(make: Any, computed: dict[str, int]) -> dict[str, int]:
    def notice(session: Any) -> None:
        factories.open_notice(
            session, session.get(Period, computed["period"]), starts_on=_local_today()
        )

    make(notice)
    return computed


def _subject_of(make: Any, unit_id: int) -> int:
    return make(lambda s: unit_subjects.find_subject(s, unit_id).id)


# ---------------------------------------------------------------------------
# the subjects and the engine
# ---------------------------------------------------------------------------


def test_a_unit_period_is_graded_good_to_poor_by_default(make: Any, world: dict[str, int]) -> None:
    def build(session: Any) -> list[tuple[str, float]]:
        township = session.get(Unit, world["township"])
        period = periods.create_period(
            session, name="2026村级考核", year=2026, scope_unit=township, subjects="units"
        )
        draft = rulebooks.start_rulebook(session, period=period)
        return [(g["code"], g["min"]) for g in rulebooks.document_of(draft)["grading"]["grades"]]

    # the regular grades of issue 15 (core.rulebook.REGULAR_GRADES), not a second default
    assert make(build) == [(g.code, g.minimum) for g in REGULAR_GRADES]
    assert [g.name.zh for g in REGULAR_GRADES] == ["好", "较好", "一般", "较差"]


def test_publication_makes_the_covered_units_subjects_and_never_persons(
    make: Any, world: dict[str, int]
) -> None:
    def build(session: Any) -> dict[str, Any]:
        period = _unit_period(session, world)
        assessed = inputs_service.list_assessed(session, period)
        cadre_period = factories.make_period(
            session, scope=session.get(Unit, world["township"]), name="2026干部考核"
        )
        subjects = session.scalars(sa.select(Cadre).where(Cadre.kind == "unit")).all()
        published = rulebooks.find_published(session, period.id)
        return {
            "assessed": sorted((a.name, a.post, a.unit_id) for a in assessed),
            "in_cadre_period": sorted(
                a.name for a in inputs_service.list_assessed(session, cadre_period)
            ),
            "subjects": sorted((s.code, s.unit_id) for s in subjects),
            "planned": [
                (p.unit.name_zh, p.post, p.assessed)
                for p in unit_subjects.plan_subjects(
                    session,
                    period,
                    rulebooks.document_of(published),
                )
            ],
        }

    seen = make(build)
    # the villages (their post has a set) and not the department or the township team
    assert seen["assessed"] == [
        ("乙村", "UNIT-VILLAGE", world["second"]),
        ("甲村", "UNIT-VILLAGE", world["first"]),
    ]
    assert [unit for _code, unit in seen["subjects"]] == sorted([world["first"], world["second"]])
    assert seen["in_cadre_period"] == ["张三", "李四"]
    assert ("党政办", "UNIT-DEPT", False) in seen["planned"]
    assert ("青山镇", "UNIT-TEAM", False) in seen["planned"]
    assert ("甲村", "UNIT-VILLAGE", True) in seen["planned"]


def test_publication_of_the_subjects_is_audited(make: Any, world: dict[str, int]) -> None:
    from assessment.models import AuditEntry

    make(lambda session: _unit_period(session, world).id, actor_id=None)
    created = make(
        lambda s: [
            json.loads(after)
            for after in s.scalars(
                sa.select(AuditEntry.after).where(AuditEntry.action == "cadre.create")
            )
        ]
    )
    units = sorted(entry["unit_id"] for entry in created if entry["kind"] == "unit")
    assert units == sorted([world["first"], world["second"]])
    appointed = make(
        lambda s: s.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "appointment.create")
        )
    )
    assert appointed == 2 + 2  # the two persons of the world, then the two villages


def test_the_residents_survey_reaches_the_unit_result_by_hand(
    make: Any, computed: dict[str, int]
) -> None:
    def read(session: Any) -> dict[str, Any]:
        period = session.get(Period, computed["period"])
        version = results_service.list_versions(session, period.id)[-1]
        result = results_service.result_of_version(version)
        return {
            c.unit: (
                c.name,
                float(c.total),
                c.grade,
                {i.code: float(i.points) for i in c.indicators},
            )
            for c in result.cadres
        }

    by_unit = make(read)
    first, second = str(computed["first"]), str(computed["second"])
    assert by_unit[first] == ("甲村", 95.0, "good", {"W1": 60.0, "S1": 35.0})
    assert by_unit[second] == ("乙村", 50.0, "poor", {"W1": 30.0, "S1": 20.0})


def test_contract_stored_subjects_carry_the_assessed_units_id(
    make: Any, computed: dict[str, int]
) -> None:
    """The quota groups read ``{s.unit: s.grade for s in result.cadres}`` of a unit period."""

    def read(session: Any) -> tuple[dict[str, str], set[str]]:
        version = results_service.list_versions(session, computed["period"])[-1]
        result = results_service.result_of_version(version)
        subjects = session.scalars(
            sa.select(Cadre).where(Cadre.id.in_([int(c.id) for c in result.cadres]))
        ).all()
        assert all(s.kind == "unit" for s in subjects)
        return {s.unit: s.grade for s in result.cadres}, {str(s.unit_id) for s in subjects}

    grades, assessed_units = make(read)
    assert set(grades) == assessed_units == {str(computed["first"]), str(computed["second"])}
    assert grades == {str(computed["first"]): "good", str(computed["second"]): "poor"}


# ---------------------------------------------------------------------------
# bad inputs
# ---------------------------------------------------------------------------


def test_an_unknown_subjects_value_is_refused_naming_the_field(
    make: Any, world: dict[str, int]
) -> None:
    def build(session: Any) -> None:
        periods.create_period(
            session,
            name="x",
            year=2026,
            scope_unit=session.get(Unit, world["township"]),
            subjects="teams",
        )

    with pytest.raises(FieldError) as refused:
        make(build)
    assert (refused.value.field, refused.value.code) == ("subjects", "unknown_period_subjects")
    assert make(lambda s: s.scalar(sa.select(sa.func.count()).select_from(Period))) == 0


def test_a_sub_period_assesses_what_its_parent_assesses(make: Any, world: dict[str, int]) -> None:
    def build(session: Any) -> None:
        township = session.get(Unit, world["township"])
        year = periods.create_period(
            session, name="2026村级", year=2026, scope_unit=township, subjects="units"
        )
        periods.create_period(
            session,
            name="2026 Q1",
            year=2026,
            scope_unit=township,
            kind="quarter",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 3, 31),
            parent=year,
        )

    with pytest.raises(FieldError) as refused:
        make(build)
    assert (refused.value.field, refused.value.code) == ("subjects", "subjects_not_parents")
    assert make(lambda s: s.scalar(sa.select(sa.func.count()).select_from(Period))) == 0


def test_a_person_cannot_hold_a_unit_post_nor_a_unit_a_persons_post(
    make: Any, computed: dict[str, int]
) -> None:
    def person_in_unit_post(session: Any) -> None:
        post = unit_subjects.ensure_unit_posts(session)["UNIT-VILLAGE"]
        cadre = session.get(Cadre, computed["head"])
        org.appoint(session, cadre, post, session.get(Unit, computed["first"]), YEAR_START)

    def unit_in_persons_post(session: Any) -> None:
        subject = unit_subjects.find_subject(session, computed["first"])
        post = factories.make_post(session, code="VSEC")
        org.appoint(session, subject, post, session.get(Unit, computed["first"]), YEAR_START)

    before = make(lambda s: s.scalar(sa.select(sa.func.count()).select_from(Appointment)))
    for change in (person_in_unit_post, unit_in_persons_post):
        with pytest.raises(FieldError) as refused:
            make(change)
        assert (refused.value.field, refused.value.code) == (
            "post_id",
            "unit_post_for_units_only",
        )
    after = make(lambda s: s.scalar(sa.select(sa.func.count()).select_from(Appointment)))
    assert after == before


def test_an_account_cannot_be_linked_to_a_unit_subject(make: Any, computed: dict[str, int]) -> None:
    subject = _subject_of(make, computed["first"])

    def link(session: Any) -> None:
        accounts.save_account(
            session,
            accounts.AccountData(
                username="village",
                display_name="甲村",
                role="cadre",
                scope_unit_ids=(computed["township"],),
                cadre_id=subject,
            ),
            password=PASSWORD,
        )

    with pytest.raises(FieldError) as refused:
        make(link)
    assert (refused.value.field, refused.value.code) == ("cadre_id", "cadre_not_a_person")
    assert (
        make(lambda s: s.scalars(sa.select(Account).where(Account.username == "village")).all())
        == []
    )


# ---------------------------------------------------------------------------
# person-only lists leave the units out
# ---------------------------------------------------------------------------


def test_person_lists_leave_unit_subjects_out(make: Any, computed: dict[str, int]) -> None:
    subject = _subject_of(make, computed["first"])

    def read(session: Any) -> tuple[list[str], bool, list[int]]:
        scope = {computed["township"], computed["first"], computed["second"]}
        roster = [c.name for c in list_cadres(session, scope)]
        try:
            get_cadre(session, subject, scope)
            found = True
        except NotFoundError:
            found = False
        period = session.get(Period, computed["period"])
        period.status = "final"  # what the eligibility list reads: final annual periods
        annual = [p.id for p in records.annual_periods(session, [computed["township"]])]
        session.rollback()
        return roster, found, annual

    roster, found, annual = make(read)
    assert roster == ["张三", "李四"]
    assert found is False
    assert annual == []


# ---------------------------------------------------------------------------
# the unit head's page, the objection and the public notice
# ---------------------------------------------------------------------------


def test_the_unit_head_sees_the_villages_result_and_no_other(
    client: Any, auth: Any, make: Any, on_notice: dict[str, int]
) -> None:
    first = _subject_of(make, on_notice["first"])
    second = _subject_of(make, on_notice["second"])
    period = on_notice["period"]
    auth.login("head", PASSWORD)
    index = client.get("/me/units/")
    assert index.status_code == 200
    text = index.get_data(as_text=True)
    assert "甲村" in text and "好" in text and "乙村" not in text
    page = client.get(f"/me/units/periods/{period}/subjects/{first}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "95.00" in body and "村民对本村的满意度" in body and "87.50" in body
    assert f"/me/periods/{period}/objections/new?subject={first}" in body
    assert "本单位" in body  # the unit's wording, not the cadre's "我的"
    assert client.get(f"/me/units/periods/{period}/subjects/{second}").status_code == 404
    # the unit's result is not the head's own: the cadre portal knows no unit period
    assert client.get(f"/me/periods/{period}").status_code == 404


def test_the_cadre_portal_period_page_keeps_its_links(
    client: Any, auth: Any, make: Any, on_notice: dict[str, int]
) -> None:
    auth.login("head", PASSWORD)
    assert client.get("/me/").status_code == 200
    assert "/me/units/" in client.get("/me/").get_data(as_text=True)


def test_the_unit_head_objects_and_another_villages_head_cannot(
    client: Any, auth: Any, make: Any, on_notice: dict[str, int]
) -> None:
    first = _subject_of(make, on_notice["first"])
    period = on_notice["period"]
    url = f"/me/periods/{period}/objections/new?subject={first}"
    auth.login("other", PASSWORD)
    assert client.get(url).status_code == 404
    assert client.post(url, data={"reason": "x"}).status_code == 404
    auth.logout()
    auth.login("head", PASSWORD)
    form = client.get(url)
    assert form.status_code == 200
    assert "对本单位结果提出异议" in form.get_data(as_text=True)
    empty = client.post(url, data={"reason": "", "indicator": "S1"})
    assert empty.status_code == 400
    assert make(lambda s: s.scalar(sa.select(sa.func.count()).select_from(Objection))) == 0
    sent = client.post(url, data={"reason": "本村问卷份数有误", "indicator": "S1"})
    assert sent.status_code == 302
    filed = make(
        lambda s: [
            (o.cadre_id, o.indicator_code, o.channel) for o in s.scalars(sa.select(Objection))
        ]
    )
    assert filed == [(first, "S1", "cadre")]
    page = client.get(f"/me/units/periods/{period}/subjects/{first}")
    assert "本村问卷份数有误" in page.get_data(as_text=True)


def test_the_public_notice_names_the_units_and_their_grades(
    client: Any, make: Any, on_notice: dict[str, int]
) -> None:
    page = client.get(f"/p/periods/{on_notice['period']}/notice")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "甲村" in text and "乙村" in text
    assert "被考核单位" in text
    assert ">好<" in text and ">较差<" in text


def test_the_team_sees_which_units_are_assessed(
    client: Any, auth: Any, demo: Any, make: Any, world: dict[str, int]
) -> None:
    period_id = make(lambda s: _unit_period(s, world).id)

    # the demo's admin: scope is the demo county, not this township; give it the scope
    def scope(session: Any) -> None:
        admin = session.scalars(sa.select(Account).where(Account.username == "admin")).one()
        accounts.save_account(
            session,
            accounts.AccountData(
                username="admin",
                display_name=admin.display_name,
                role="admin",
                scope_unit_ids=tuple(
                    sorted({s.unit_id for s in admin.scopes} | {world["township"]})
                ),
            ),
            password=None,
            account=admin,
        )

    make(scope)
    auth.login("admin")
    page = client.get(f"/admin/periods/{period_id}/units")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "甲村" in text and "党政办" in text and "UNIT-DEPT" in text
    cadre_period = make(lambda s: factories.make_period(s, scope=s.get(Unit, world["township"])).id)
    assert client.get(f"/admin/periods/{cadre_period}/units").status_code == 404


def test_a_unit_post_is_not_edited_on_the_post_form(make: Any, world: dict[str, int]) -> None:
    """Bad input: turning the village unit post into a person's post is refused."""
    make(lambda session: _unit_period(session, world).id)

    def change(session: Any) -> None:
        post = unit_subjects.ensure_unit_posts(session)["UNIT-VILLAGE"]
        org.save_post(session, org.PostData("UNIT-VILLAGE", "村委会", "", "village"), post)

    with pytest.raises(FieldError) as refused:
        make(change)
    assert (refused.value.field, refused.value.code) == ("code", "unit_post_fixed")
    post = make(
        lambda s: (
            unit_subjects.ensure_unit_posts(s)["UNIT-VILLAGE"].name_zh,
            unit_subjects.ensure_unit_posts(s)["UNIT-VILLAGE"].unit_level,
        )
    )
    assert post == ("村级组织", "unit")
