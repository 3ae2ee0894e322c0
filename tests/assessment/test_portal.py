"""The cadre portal: own results only, explained point by point, nothing about others.

The period under test is the shared ``computed_period`` fixture (the demo period with
result version 1) put on public notice through the publication service. Expected
numbers are read from the stored payload (the page must show what was stored) and
formatted as the page does (two decimals); the formulas are
``assessment.core.explain``'s, which has its own hand-worked tests.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import template_rendered

from assessment.app import survey_source
from assessment.app.db import db as _db
from assessment.app.survey_source import register_survey_source
from assessment.core.explain import category_points, explain_cadre, explain_total, format_number
from assessment.core.rulebook import parse_rulebook
from surveys.services.results_source import ResidentSurveys


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _today(app: Any) -> date:
    from assessment.views.notice import local_today

    with app.test_request_context():
        return local_today()


def _cadre_id(app: Any, username: str = "cadre") -> int:
    from assessment.models import Account

    with app.app_context():
        account = _db.session.query(Account).filter_by(username=username).one()
        return int(account.cadre_id)


@pytest.fixture
def on_notice(app, computed_period, make) -> int:
    """The computed demo period on public notice from today for 5 working days."""
    from assessment.models import Period
    from assessment.services import publication

    today = _today(app)

    def open_it(session):
        publication.open_notice(
            session,
            period=session.get(Period, computed_period),
            starts_on=today,
            working_days=5,
            review_working_days=5,
            instructions="",
            holidays=(),
            extra_workdays=(),
            actor_id=None,
        )

    make(open_it)
    return computed_period


def _payload(app, period_id: int, number: int | None = None) -> dict[str, Any]:
    from assessment.models import Period
    from assessment.services import publication
    from assessment.services.results import get_version, payload_of

    with app.app_context():
        period = _db.session.get(Period, period_id)
        number = number or publication.shown_version_number(_db.session, period)
        return payload_of(get_version(_db.session, period_id, number))


def _own(payload: dict[str, Any], cadre_id: int) -> dict[str, Any]:
    return next(c for c in payload["result"]["cadres"] if c["id"] == str(cadre_id))


@pytest.fixture
def contexts(app):
    """Template contexts rendered during the test."""
    seen: list[dict[str, Any]] = []

    def record(sender, template, context, **extra):
        seen.append(dict(context))

    template_rendered.connect(record, app)
    yield seen
    template_rendered.disconnect(record, app)


# --- access -------------------------------------------------------------------------


def test_before_the_notice_nothing_is_shown(client, auth, computed_period):
    auth.login("cadre")
    page = client.get("/me/")
    assert page.status_code == 200
    assert "No results are public yet" in page.get_data(as_text=True)
    assert client.get(f"/me/periods/{computed_period}").status_code == 404
    assert client.get(f"/me/periods/{computed_period}/versions/1").status_code == 404


@pytest.mark.parametrize("username", ["admin", "assessor1", "clerk", "official"])
def test_staff_roles_are_refused(client, auth, on_notice, username):
    auth.login(username)
    assert client.get("/me/").status_code == 403
    assert client.get(f"/me/periods/{on_notice}").status_code == 403
    assert client.get(f"/me/periods/{on_notice}/versions/1").status_code == 403


def test_anonymous_is_sent_to_login(client, on_notice):
    response = client.get(f"/me/periods/{on_notice}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_guessed_periods_and_versions_are_404(client, auth, on_notice, make):
    from assessment.models import Period

    def draft_period(session):
        period = session.get(Period, on_notice)
        other = Period(name="another", scope_unit_id=period.scope_unit_id, year=2030)
        session.add(other)
        session.flush()
        return other.id

    draft_id = make(draft_period)
    auth.login("cadre")
    assert client.get(f"/me/periods/{on_notice}").status_code == 200
    assert client.get("/me/periods/9999").status_code == 404
    assert client.get(f"/me/periods/{draft_id}").status_code == 404
    # version 1 is shown; a version that does not exist is not
    assert client.get(f"/me/periods/{on_notice}/versions/1").status_code == 200
    assert client.get(f"/me/periods/{on_notice}/versions/2").status_code == 404
    assert client.get(f"/me/periods/{draft_id}/versions/1").status_code == 404


def test_a_cadre_not_assessed_in_the_period_sees_nothing(app, client, auth, on_notice, make):
    from assessment.models import Cadre, Period
    from assessment.services import accounts

    def new_cadre_account(session):
        cadre = Cadre(code="X999", name="局外人")
        session.add(cadre)
        session.flush()
        scope = (session.get(Period, on_notice).scope_unit_id,)
        accounts.save_account(
            session,
            accounts.AccountData("outsider", "局外人", "cadre", scope, cadre_id=cadre.id),
            password="outsider-password-1",
        )
        return cadre.id

    make(new_cadre_account)
    auth.login("outsider", "outsider-password-1")
    assert client.get(f"/me/periods/{on_notice}").status_code == 404
    assert client.get(f"/me/periods/{on_notice}/versions/1").status_code == 404
    page = client.get("/me/").get_data(as_text=True)
    assert "No results are public yet" in page


# --- content --------------------------------------------------------------------------


def test_the_page_shows_the_stored_numbers_and_every_formula(app, client, auth, on_notice):
    cadre_id = _cadre_id(app)
    payload = _payload(app, on_notice)
    own = _own(payload, cadre_id)
    rulebook = parse_rulebook(payload["rulebook"])
    group = [c for c in payload["result"]["cadres"] if c["post_group"] == own["post_group"]]
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    assert f"{own['total']:.2f}" in page
    grade = rulebook.grading.grade(own["grade"]).name.en
    assert grade in page
    assert f"{own['rank']} of {len(group)}" in page
    for explanation in explain_cadre(own, rulebook):
        # the expression, HTML-escaped as Jinja writes it
        assert explanation.expression.replace(">", "&gt;").replace("<", "&lt;") in page
        assert f"{explanation.points:.2f} points" in page
        assert f'id="indicator-{explanation.code}"' in page
    # no bonus or penalty: the total is the sum of the category points
    sums = " + ".join(format_number(v) for v in category_points(own).values())
    assert f"{sums} = {format_number(own['points'])}" in page
    assert explain_total(own, rulebook).formula == "{P}"
    # the panel value comes with the number of assessors, the index with its interval
    panel = next(o for o in own["indicators"] if o["kind"] == "qualitative")
    assert f"of {panel['n']} assessors' ratings" in page
    survey = next(o for o in own["indicators"] if o["kind"] == "survey")
    entry = next(
        s
        for s in payload["result"]["surveys"]
        if (s["indicator"], s["target"]) == (survey["code"], survey["survey_target"])
    )
    # issue 20: 3 answers give 42.5–122.8 here; the index cannot pass 100, so the
    # interval is cut at the scale, with a note
    assert (entry["n"], f"{entry['ci_low']:.1f}", f"{entry['ci_high']:.1f}") == (3, "42.5", "122.8")
    assert "95% interval 42.5–100.0" in page
    assert "(cut at the 0–100 scale)" in page
    assert "122.8" not in page
    assert f"Responses</dt>\n      <dd>{entry['n']}" in page
    # digests of the version and the public rulebook link
    version = payload["result"]
    assert version["rules_digest"] in page
    assert f"/periods/{on_notice}/rules" in page
    # grade confidence: the rank interval of the stored bootstrap
    conf = next(c for c in version["confidence"]["cadres"] if c["cadre"] == str(cadre_id))
    assert f"between {conf['rank_low']} and {conf['rank_high']}" in page


def _before_computing(app, period_id, make, change):
    """Run ``change(session, period, rulebook, cadre, indicator_set, record_event)`` on the
    cadre account's cadre while the period is collecting (before ``computed_period``)."""
    from assessment.models import Period
    from assessment.services import inputs

    cadre_id = _cadre_id(app)
    today = _today(app)

    def run(session):
        period = session.get(Period, period_id)
        rulebook = inputs.find_rulebook(session, period)
        cadre = next(c for c in inputs.list_assessed(session, period) if c.cadre_id == cadre_id)

        def record_event(code, points):
            inputs.record_event(
                session,
                period=period,
                rulebook=rulebook,
                cadre=cadre,
                indicator_code=code,
                points=points,
                occurred_on=today,
                reason="test event",
                recorded_by_id=None,
                today=today,
            )

        indicator_set = inputs.indicator_set_of(rulebook, cadre)
        return change(session, period, indicator_set, record_event)

    return make(run)


@pytest.fixture
def cadre_events(app, collecting, make) -> None:
    """Two bonus events and one penalty for the cadre account's cadre, before computing."""
    from assessment.core.rulebook import IndicatorKind

    def record(session, period, indicator_set, record_event):
        bonus = indicator_set.of_kind(IndicatorKind.BONUS)[0]
        penalty = indicator_set.of_kind(IndicatorKind.PENALTY)[0]
        for indicator, points in ((bonus, bonus.points), (bonus, bonus.points), (penalty, 0.5)):
            record_event(indicator.code, points)

    _before_computing(app, collecting, make, record)


def test_bonus_and_penalty_events_and_the_capped_total(app, client, auth, cadre_events, on_notice):
    cadre_id = _cadre_id(app)
    payload = _payload(app, on_notice)
    own = _own(payload, cadre_id)
    rulebook = parse_rulebook(payload["rulebook"])
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    kinds = sorted(e["kind"] for e in own["events"])
    assert kinds == ["bonus", "penalty"]
    assert "2 events" in page and "1 event" in page
    total = explain_total(own, rulebook)
    # the points, bonus and penalty with their caps: P + min(B, Bc) − min(Q, Qc)
    assert "min(" in total.expression
    assert total.expression in page
    assert f"{own['total']:.2f}" in page


@pytest.fixture
def veto_and_decision(app, collecting, make) -> str:
    """Before computing: a veto for the cadre, and one actual removed and left out."""
    from assessment.core.rulebook import IndicatorKind
    from assessment.models import QuantitativeResult
    from assessment.services import results as results_service

    cadre_id = _cadre_id(app)

    def record(session, period, indicator_set, record_event):
        record_event(indicator_set.of_kind(IndicatorKind.VETO)[0].code, None)
        left_out = indicator_set.of_kind(IndicatorKind.QUANTITATIVE)[0].code
        session.query(QuantitativeResult).filter_by(
            period_id=period.id, cadre_id=cadre_id, indicator_code=left_out
        ).delete()
        results_service.record_decisions(
            session,
            period=period,
            items=[results_service.DecisionItem(cadre_id, left_out)],
            kind="exclude_indicator_reweight",
            reason="本年度无此项任务",
            actor_id=None,
        )
        return left_out

    return _before_computing(app, collecting, make, record)


def test_a_veto_and_a_left_out_indicator_are_explained(
    app, client, auth, veto_and_decision, on_notice
):
    cadre_id = _cadre_id(app)
    payload = _payload(app, on_notice)
    own = _own(payload, cadre_id)
    rulebook = parse_rulebook(payload["rulebook"])
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    left_out = next(o for o in own["indicators"] if o["code"] == veto_and_decision)
    assert left_out["status"] == "excluded"
    assert "left out by decision" in page and "本年度无此项任务" in page
    # every other indicator's weight is scaled by W / (W - w_left_out)
    assert "because the team left out another indicator" in page
    kept = 100 - left_out["weight"]
    assert f"× 100 / {format_number(kept)})" in page
    for explanation in explain_cadre(own, rulebook):
        assert f"{explanation.points:.2f} points" in page
    (veto,) = [e for e in own["events"] if e["kind"] == "veto"]
    cap = rulebook.grading.grade(
        rulebook.indicator_set(own["post"]).indicator(veto["code"]).caps_at
    )
    assert f"caps the grade at “{cap.name.en}”" in page


def test_no_other_name_no_assessor_and_no_individual_rating(app, client, auth, on_notice, contexts):
    from assessment.models import Account

    cadre_id = _cadre_id(app)
    payload = _payload(app, on_notice)
    with app.app_context():
        staff = [a.display_name for a in _db.session.query(Account) if a.role != "cadre"]
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    others = [c for c in payload["result"]["cadres"] if c["id"] != str(cadre_id)]
    assert others
    for other in others:
        assert other["name"] not in page
        assert other["code"] not in page
    for name in staff:
        assert name not in page
    # nothing rendered carries the stored inputs (ratings by assessor)

    def walk(value, path="context"):
        if isinstance(value, dict):
            assert "assessor" not in value, path
            assert "ratings" not in value, path
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    (context,) = [c for c in contexts if "view" in c]
    walk(context["view"])
    walk(context["history"])


def test_objection_links_while_the_notice_is_open_and_not_after(app, client, auth, on_notice, make):
    from assessment.models import Notice

    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    assert f"/me/periods/{on_notice}/objections/new" in page
    assert f"/me/periods/{on_notice}/objections/new?indicator=" in page
    assert "Object to my result" in page

    def close(session):
        notice = session.query(Notice).filter_by(period_id=on_notice).one()
        notice.starts_on = _today(app) - timedelta(days=20)
        notice.ends_on = _today(app) - timedelta(days=10)

    make(close)
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    assert "/objections/new" not in page
    assert "Objections are accepted from" in page


def test_own_objections_with_status_outcome_and_reason(app, client, auth, on_notice, make):
    from assessment.models import Objection, Period
    from assessment.services import publication

    cadre_id = _cadre_id(app)
    today = _today(app)

    def file(session):
        from assessment.models import Account

        account = session.query(Account).filter_by(username="cadre").one()
        period = session.get(Period, on_notice)
        first, _second = (
            publication.file_objection(
                session,
                period=period,
                channel="cadre",
                cadre_id=cadre_id,
                filed_by_id=account.id,
                contact_name="",
                contact="",
                indicator_code=None,
                reason=reason,
                attachment=None,
                today=today,
                holidays=(),
                extra_workdays=(),
            )
            for reason in ("我的得分有误", "第二条异议")
        )
        # decided by the team (the decision itself is the notice package's, tested there)
        first.status = "decided"
        first.outcome = "rejected"
        first.decision_reason = "数据核实无误"
        return first.id

    first = make(file)
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    assert "我的得分有误" in page and "第二条异议" in page
    assert "Rejected" in page and "数据核实无误" in page
    assert "Awaiting review" in page  # the second one
    with app.app_context():
        assert _db.session.query(Objection).count() == 2
    # each objection has its own page: what was filed, and the team's written answer
    assert f'href="/me/periods/{on_notice}/objections/{first}"' in page
    page = client.get(f"/me/periods/{on_notice}/objections/{first}").get_data(as_text=True)
    assert "我的得分有误" in page and "数据核实无误" in page and "Rejected" in page
    assert "by you" in page
    page = client.get(f"/me/periods/{on_notice}/objections/{first + 1}").get_data(as_text=True)
    assert "第二条异议" in page and "Not decided yet. The team decides by" in page


def test_a_public_objection_about_another_cadre_is_not_shown(app, client, auth, on_notice, make):
    from assessment.models import Period
    from assessment.services import publication

    payload = _payload(app, on_notice)
    other = next(c for c in payload["result"]["cadres"] if c["id"] != str(_cadre_id(app)))

    def file(session):
        publication.file_objection(
            session,
            period=session.get(Period, on_notice),
            channel="public",
            cadre_id=int(other["id"]),
            filed_by_id=None,
            contact_name="某村民",
            contact="13800000000",
            indicator_code=None,
            reason="别人的异议",
            attachment=None,
            today=_today(app),
            holidays=(),
            extra_workdays=(),
        )

    make(file)
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    assert "别人的异议" not in page
    assert "13800000000" not in page
    # nor can its page be opened by number
    with app.app_context():
        from assessment.models import Objection

        other_id = _db.session.query(Objection.id).scalar()
    assert client.get(f"/me/periods/{on_notice}/objections/{other_id}").status_code == 404
    assert "You filed no objection" not in page  # the notice is open: the button shows instead


@pytest.mark.parametrize(
    ("comments", "expected"),
    [
        (["服务态度很好", "办事效率高"], ["服务态度很好", "办事效率高"]),
        (None, ["Comments are not shown: fewer than 5 residents"]),
        ([], ["No comment was approved for publication."]),
    ],
)
def test_approved_comments_or_why_they_are_hidden(app, client, auth, on_notice, comments, expected):
    calls = []

    class Approved(ResidentSurveys):
        def approved_comments(self, session, period, cadre_id):
            calls.append((period.id, cadre_id))
            return comments

    register_survey_source(app, Approved())
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    for text in expected:
        assert text in page
    assert calls == [(on_notice, _cadre_id(app))]


def test_without_a_comment_source_there_is_no_comment_section(app, client, auth, on_notice):
    app.extensions.pop(survey_source.EXTENSION, None)
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    assert "Residents' comments" not in page


def test_scorecard_link_when_the_reports_endpoint_exists(app, client, auth, on_notice):
    if "reports.my_scorecard" not in app.view_functions:
        app.add_url_rule(
            "/me/periods/<int:period_id>/scorecard.pdf",
            endpoint="reports.my_scorecard",
            view_func=lambda period_id: "",
        )
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    with app.test_request_context():
        from flask import url_for

        link = url_for("reports.my_scorecard", period_id=on_notice)
    assert f'href="{link}"' in page


def test_a_later_version_replaces_the_shown_one_and_the_earlier_stays_readable(
    app, client, auth, on_notice
):
    from assessment.app.db import unit_of_work
    from assessment.models import Period
    from assessment.services import results as results_service
    from tests.conftest import SYNTHETIC_SURVEYS

    with app.app_context(), unit_of_work(None, reason="test"):
        results_service.compute_results(
            _db.session,
            period=_db.session.get(Period, on_notice),
            reason="objection upheld",
            actor_id=None,
            surveys=SYNTHETIC_SURVEYS,
            resamples=0,
        )
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    assert "Result version 2." in page
    assert f'href="/me/periods/{on_notice}/versions/1"' in page
    # without a bootstrap in version 2, no confidence section
    assert "How certain is the grade?" not in page
    earlier = client.get(f"/me/periods/{on_notice}/versions/1").get_data(as_text=True)
    assert "This is an earlier version" in earlier
    assert "How certain is the grade?" in earlier
    assert "/objections/new" not in earlier  # objections go against the version in force


def test_final_results_have_no_objection_button(app, client, auth, on_notice, make):
    from assessment.models import Period

    def finalise(session):
        period = session.get(Period, on_notice)
        period.status = "final"
        period.final_version_number = 1

    make(finalise)
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    assert "Final results." in page
    assert "/objections/new" not in page
    index = client.get("/me/").get_data(as_text=True)
    assert f'href="/me/periods/{on_notice}"' in index
    payload = _payload(app, on_notice, 1)
    assert f"{_own(payload, _cadre_id(app))['total']:.2f}" in index


def test_a_cadre_lands_on_their_own_page(client, auth, on_notice):
    """Issue 20: a cadre who logged in landed on /admin/, the staff's home."""
    response = auth.login("cadre")
    assert response.headers["Location"] == "/me/"
    assert client.get("/admin/").headers["Location"] == "/me/"
    page = client.get("/me/").get_data(as_text=True)
    assert f'href="/me/periods/{on_notice}"' in page
    # a link to a page of their own still leads there after logging in
    client.post("/logout")
    response = auth.client.post(
        f"/login?next=/me/periods/{on_notice}",
        data={"username": "cadre", "password": "demo-password-2026"},
    )
    assert response.headers["Location"] == f"/me/periods/{on_notice}"


def test_a_low_response_rate_is_cautioned_beside_the_index(app, client, auth, on_notice):
    """Issue 20: a 4-5% response rate sat beside the satisfaction score with no caution."""
    payload = _payload(app, on_notice)
    own = _own(payload, _cadre_id(app))
    survey = next(i for i in own["indicators"] if i["kind"] == "survey")
    entry = next(
        s
        for s in payload["result"]["surveys"]
        if s["indicator"] == survey["code"] and s["target"] == survey["survey_target"]
    )
    assert entry["response_rate"] is not None and entry["response_rate"] < 0.2
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    assert "of the households asked have answered, under 20%" in page
    assert "Read it with care." in page


def test_the_cadre_sees_the_share_of_residents_who_know_them(app, client, auth, on_notice):
    """The portal shows what the survey source says (its numbers are tested in
    tests/surveys/test_dont_know.py): 4 rated of 4 + 2 who said "don't know" = 66.7%."""
    from assessment.services.survey_source import SurveyAwareness

    calls = []

    class Known(ResidentSurveys):
        def cadre_awareness(self, session, period, cadre_id):
            calls.append((period.id, cadre_id))
            return [SurveyAwareness("2026年群众满意度测评", "2026 survey", 4, 2, 4 / 6)]

    register_survey_source(app, Known())
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    assert "Residents who know you" in page
    assert "66.7%" in page
    assert calls == [(on_notice, _cadre_id(app))]


def test_without_a_survey_about_the_cadre_there_is_no_awareness_section(
    app, client, auth, on_notice
):
    auth.login("cadre")
    page = client.get(f"/me/periods/{on_notice}").get_data(as_text=True)
    assert "Residents who know you" not in page
