"""Period kinds, dates and parents, and the calendar page (issue 15)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from assessment.core.errors import FieldError
from assessment.models import Period, Unit
from assessment.services.periods import PeriodData, create_period, edit_period
from assessment.services.rulebooks import document_of, start_rulebook


def _township(session):
    return session.scalars(sa.select(Unit).where(Unit.code == "QSZ")).one()


def _year(session, year=2027, kind="annual"):
    return create_period(
        session, name=f"{year}年度考核", year=year, scope_unit=_township(session), kind=kind
    )


def _quarter(session, parent, n, **overrides):
    starts = date(parent.year, 3 * n - 2, 1)
    ends = date(parent.year, 3 * n + 1, 1) if n < 4 else date(parent.year + 1, 1, 1)
    values = {
        "name": f"{parent.year}年第{n}季度",
        "year": parent.year,
        "scope_unit": parent.scope_unit,
        "kind": "quarter",
        "starts_on": starts,
        "ends_on": date.fromordinal(ends.toordinal() - 1),
        "parent": parent,
    }
    values.update(overrides)
    return create_period(session, **values)


def test_existing_style_periods_are_annual_over_their_year(make, demo):
    kind, first, last = make(
        lambda s: (lambda p: (p.kind, p.starts_on, p.ends_on))(s.get(Period, 1))
    )
    assert (kind, first, last) == ("annual", date(2026, 1, 1), date(2026, 12, 31))


def test_four_quarters_under_a_year(make, demo):
    def build(session):
        year = _year(session)
        quarters = [_quarter(session, year, n) for n in range(1, 5)]
        return [(q.kind, q.starts_on, q.ends_on, q.parent_id == year.id) for q in quarters]

    assert make(build) == [
        ("quarter", date(2027, 1, 1), date(2027, 3, 31), True),
        ("quarter", date(2027, 4, 1), date(2027, 6, 30), True),
        ("quarter", date(2027, 7, 1), date(2027, 9, 30), True),
        ("quarter", date(2027, 10, 1), date(2027, 12, 31), True),
    ]


def _count(make):
    return make(lambda s: s.scalar(sa.select(sa.func.count()).select_from(Period)))


@pytest.mark.parametrize(
    ("build", "field", "code"),
    [
        # a quarter starting before its year
        (
            lambda s, y: _quarter(s, y, 1, starts_on=date(2026, 12, 1)),
            "starts_on",
            "outside_parent",
        ),
        # a quarter ending after its year
        (lambda s, y: _quarter(s, y, 4, ends_on=date(2028, 1, 31)), "ends_on", "outside_parent"),
        # a quarter under a quarter
        (lambda s, y: _quarter(s, _quarter(s, y, 1), 1), "parent_id", "parent_not_annual_or_term"),
        # an annual period cannot be part of another
        (lambda s, y: _quarter(s, y, 1, kind="annual"), "parent_id", "parent_only_for_sub_periods"),
        (lambda s, y: _quarter(s, y, 1, kind="week"), "kind", "unknown_period_kind"),
        (
            lambda s, y: _quarter(s, y, 1, starts_on=date(2027, 3, 1), ends_on=date(2027, 2, 1)),
            "ends_on",
            "period_ends_before_start",
        ),
        # two first quarters overlap
        (lambda s, y: [_quarter(s, y, 1), _quarter(s, y, 1)], "starts_on", "overlaps_sibling"),
        # a fifth quarter
        (
            lambda s, y: [
                *(_quarter(s, y, n) for n in range(1, 5)),
                _quarter(s, y, 1, starts_on=date(2027, 12, 1), ends_on=date(2027, 12, 31)),
            ],
            "parent_id",
            "parent_has_four_quarters",
        ),
        # a parent over another township
        (
            lambda s, y: _quarter(
                s,
                create_period(
                    s,
                    name="县年度",
                    year=2027,
                    scope_unit=s.scalars(sa.select(Unit).where(Unit.code == "CX")).one(),
                ),
                1,
                scope_unit=_township(s),
            ),
            "parent_id",
            "parent_other_scope",
        ),
    ],
)
def test_bad_period_input_is_refused_naming_the_field_and_nothing_is_saved(
    make, demo, build, field, code
):
    before = _count(make)
    with pytest.raises(FieldError) as caught:
        make(lambda s: build(s, _year(s)))
    assert (caught.value.field, caught.value.code) == (field, code)
    assert _count(make) == before  # the year made in the same unit of work is gone too


def test_editing_checks_the_same_rules_and_only_in_draft(make, demo):
    def build(session):
        year = _year(session)
        quarter = _quarter(session, year, 2)
        return year.id, quarter.id

    year_id, quarter_id = make(build)

    def move_outside(session):
        quarter = session.get(Period, quarter_id)
        edit_period(
            session,
            quarter,
            PeriodData(
                quarter.name, 2027, "quarter", date(2027, 4, 1), date(2028, 2, 1), quarter.parent
            ),
        )

    with pytest.raises(FieldError) as caught:
        make(move_outside)
    assert (caught.value.field, caught.value.code) == ("ends_on", "outside_parent")
    assert make(lambda s: s.get(Period, quarter_id).ends_on) == date(2027, 6, 30)

    def year_to_quarter(session):
        year = session.get(Period, year_id)
        edit_period(session, year, PeriodData(year.name, 2027, "special"))

    with pytest.raises(FieldError) as caught:
        make(year_to_quarter)
    assert caught.value.code == "period_has_children"


def test_a_sub_period_rulebook_starts_from_the_regular_grades(make, demo):
    def build(session):
        year = _year(session)
        quarter = _quarter(session, year, 1)
        return (
            [
                g["code"]
                for g in document_of(start_rulebook(session, period=quarter))["grading"]["grades"]
            ],
            [
                g["code"]
                for g in document_of(start_rulebook(session, period=year))["grading"]["grades"]
            ],
        )

    regular, annual = make(build)
    assert regular == ["good", "fair", "average", "poor"]
    assert annual == ["excellent", "competent", "basic", "incompetent"]


def test_new_period_form_names_the_field_and_saves_nothing(app, client, auth, demo, make):
    township, year_id = make(lambda s: (_township(s).id, _year(s).id))
    before = _count(make)
    auth.login("admin")
    page = client.post(
        "/admin/periods/new",
        data={
            "name": "2027年第一季度",
            "year": "2027",
            "scope_unit_id": township,
            "kind": "quarter",
            "starts_on": "2026-12-01",
            "ends_on": "2027-03-31",
            "parent_id": year_id,
        },
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="starts_on-error"' in html
    assert "2027-01-01" in html and "2027-12-31" in html
    assert _count(make) == before


def test_calendar_lists_a_year_with_its_children_and_status(app, client, auth, demo, make):
    def build(session):
        year = _year(session)
        for n in range(1, 5):
            _quarter(session, year, n)

    make(build)
    auth.login("assessor1")
    html = client.get("/admin/periods/calendar?year=2027").get_data(as_text=True)
    assert html.index("2027年度考核") < html.index("2027年第1季度") < html.index("2027年第4季度")
    assert html.count('class="child"') == 4
    assert "2026年度考核" not in html
    auth.logout()
    auth.login("cadre")
    assert client.get("/admin/periods/calendar?year=2027").status_code == 403


def _collecting_year_with_a_draft_quarter(session):
    """2026's annual period under the demo's annual rules, collecting; its first quarter a
    draft (so every cadre's roll-up misses it)."""
    from assessment.app.db import utcnow
    from assessment.services import rulebooks
    from assessment.services.demo import year_round_documents
    from assessment.services.periods import advance_period

    year = _year(session, 2026)
    quarter = _quarter(session, year, 1)
    _quarter_doc, annual_doc = year_round_documents()
    version = rulebooks.import_document(session, period=year, document=annual_doc)
    rulebooks.publish_version(session, version=version, on=date(2026, 1, 5), now=utcnow())
    advance_period(session, year, "collecting")
    return year, quarter


def test_a_quarter_not_final_is_missing_for_every_cadre_until_the_team_decides(make, demo):
    """The annual period reads its children through the service: a draft quarter gives no
    result, so every cadre's roll-up misses it; a decision covers it, as for any input."""
    from assessment.services.results import DecisionItem, find_missing, record_decisions

    def build(session):
        year, quarter = _collecting_year_with_a_draft_quarter(session)
        missing = find_missing(session, year, surveys=None)
        return year.id, quarter.id, [(m.kind, m.cadre, m.indicator, m.subject) for m in missing]

    year_id, quarter_id, missing = make(build)
    child = [m for m in missing if m[0] == "child_result"]
    assert len(child) == 40
    assert {(m[2], m[3]) for m in child} == {("PS", str(quarter_id))}

    def decide(session):
        year = session.get(Period, year_id)
        cadre_id = int(child[0][1])
        record_decisions(
            session,
            period=year,
            items=[DecisionItem(cadre_id, "PS")],
            kind="exclude_indicator_reweight",
            reason="第一季度未开展平时考核",
            actor_id=None,
        )
        after = find_missing(session, year, surveys=None)
        return [
            (m.cadre, str(m.decision)) for m in after if m.kind == "child_result" and m.decision
        ]

    assert make(decide) == [(child[0][1], "exclude_indicator_reweight")]


def test_the_missing_inputs_list_names_the_quarter_a_roll_up_misses(make, demo, client, auth):
    """Each cadre's row names the quarter by its name, not by its id."""

    def build(session):
        year, quarter = _collecting_year_with_a_draft_quarter(session)
        return year.id, quarter.id, quarter.name

    year_id, quarter_id, quarter_name = make(build)
    auth.login("admin")
    html = client.get(f"/admin/periods/{year_id}/results").get_data(as_text=True)
    assert html.count(f": {quarter_name}</td>") == 40  # one row per cadre of the demo
    assert f": {quarter_id}</td>" not in html
