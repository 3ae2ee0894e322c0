"""Results pages: compute from the demo, missing inputs and decisions, versions, what-if."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa

from assessment.app.db import unit_of_work
from assessment.core.records import DecisionKind
from assessment.models import (
    AuditEntry,
    MissingInputDecision,
    Period,
    QuantitativeResult,
    ResultVersion,
)
from assessment.models.results import ImmutableRowError
from assessment.services import inputs as inputs_service
from assessment.services import results as service
from assessment.services.periods import advance_period

PERIOD_ID = 1
URL = f"/admin/periods/{PERIOD_ID}/results"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # Few bootstrap resamples: the pages and the storage are under test, not the bootstrap.
    # English pages, so that the assertions hold whatever the Chinese catalog says.
    return {**app_config, "RESULTS_RESAMPLES": 40, "BABEL_DEFAULT_LOCALE": "en"}


def _missing(app: Any) -> list[Any]:
    with app.app_context():
        from assessment.app.db import db

        period = db.session.get(Period, PERIOD_ID)
        return list(service.find_missing(db.session, period, surveys=None))


def _decide_all(client: Any, app: Any, kind: str = "score_zero_with_reason") -> int:
    undecided = [m for m in _missing(app) if m.decision is None]
    response = client.post(
        f"{URL}/decisions",
        data={
            "items": [f"{m.cadre}/{m.indicator}" for m in undecided],
            "kind": kind,
            "reason": "no survey this year",
        },
    )
    assert response.status_code == 302
    return len(undecided)


def _count(app: Any, model: Any) -> int:
    with app.app_context():
        from assessment.app.db import db

        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)))


def _versions(app: Any) -> list[tuple[int, str, str, dict[str, Any], str]]:
    with app.app_context():
        from assessment.app.db import db

        rows = db.session.scalars(sa.select(ResultVersion).order_by(ResultVersion.number))
        return [
            (v.number, v.rules_digest, v.data_digest, json.loads(v.payload), v.reason) for v in rows
        ]


def _status(app: Any) -> str:
    with app.app_context():
        from assessment.app.db import db

        return str(db.session.get(Period, PERIOD_ID).status)


# ---------------------------------------------------------------------------


def test_missing_inputs_are_listed_and_block_computing(app, client, auth, collecting):
    auth.login("admin")
    missing = _missing(app)
    # no survey source given here, and no closed survey: every survey indicator is missing
    assert missing and {m.kind for m in missing} == {"survey_responses"}
    page = client.get(URL).get_data(as_text=True)
    assert "no valid survey response" in page
    # one decision form, with a box ticked for every missing input
    assert page.count('action="/admin/periods/1/results/decisions') == 1
    assert page.count('name="items"') == len(missing)

    response = client.post(
        f"{URL}/compute", data={"reason": "", "understood": "y"}, follow_redirects=True
    )
    assert "inputs are missing without a decision" in response.get_data(as_text=True)
    assert _count(app, ResultVersion) == 0
    assert _status(app) == "collecting"


def test_decisions_then_compute_stores_version_one_and_moves_to_computed(
    app, client, auth, collecting
):
    auth.login("admin")
    decided = _decide_all(client, app)
    assert decided > 0
    assert _count(app, MissingInputDecision) == decided
    assert "Every input is present or decided." in client.get(URL).get_data(as_text=True)

    response = client.post(f"{URL}/compute", data={"reason": "", "understood": "y"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{URL}/versions/1")
    assert _status(app) == "computed"
    [(number, rules, data, payload, _reason)] = _versions(app)
    assert number == 1 and len(rules) == 64 and len(data) == 64
    assert payload["result"]["data_digest"] == data
    assert len(payload["result"]["cadres"]) == 40
    assert payload["result"]["confidence"]["resamples"] == 40
    assert {d["kind"] for d in payload["inputs"]["decisions"]} == {"score_zero_with_reason"}

    page = client.get(f"{URL}/versions/1").get_data(as_text=True)
    assert rules in page and data in page
    assert "<svg" in page and "<script" not in page and "style=" not in page
    assert "missing input decided by the team" in page
    # the version's canonical inputs recompute the same numbers (what the what-if uses)
    with app.app_context():
        from assessment.app.db import db

        stored = service.get_version(db.session, PERIOD_ID, 1)
        same = service.what_if(stored, service.WhatIfChange(), surveys=None)
    assert [(c.id, c.total, c.rank, c.grade) for c in same.cadres] == [
        (c["id"], c["total"], c["rank"], c["grade"]) for c in payload["result"]["cadres"]
    ]


def test_recompute_needs_a_reason_and_new_inputs(app, client, auth, collecting):
    auth.login("admin")
    _decide_all(client, app)
    client.post(f"{URL}/compute", data={"reason": "", "understood": "y"})

    response = client.post(
        f"{URL}/compute", data={"reason": "  ", "understood": "y"}, follow_redirects=True
    )
    assert "give the reason for a new version" in response.get_data(as_text=True)
    assert _count(app, ResultVersion) == 1

    # the same rules and inputs again: no second, identical version (issue 20)
    response = client.post(
        f"{URL}/compute", data={"reason": "check", "understood": "y"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "Nothing changed since version 1: the rules and the inputs are the same" in page
    assert "flash-info" in page and "flash-success" not in page
    assert _count(app, ResultVersion) == 1

    # a changed decision is a changed input: version 2, the same rules digest
    m = _missing(app)[0]
    client.post(
        f"{URL}/decisions",
        data={
            "items": [f"{m.cadre}/{m.indicator}"],
            "kind": "exclude_indicator_reweight",
            "reason": "reweighted after review",
        },
    )
    response = client.post(f"{URL}/compute", data={"reason": "decision revised", "understood": "y"})
    assert response.headers["Location"].endswith(f"{URL}/versions/2")
    first, second = _versions(app)
    assert (first[0], second[0]) == (1, 2)
    assert first[1] == second[1] and first[2] != second[2]  # rules digest, data digest
    assert second[4] == "decision revised"
    assert _status(app) == "computed"
    page = client.get(URL).get_data(as_text=True)
    assert "Version 1" in page and "Version 2" in page
    # the old version stays readable
    assert client.get(f"{URL}/versions/1").status_code == 200


def test_computing_is_confirmed_with_the_box_that_says_what_it_freezes(
    app, client, auth, collecting
):
    auth.login("admin")
    page = client.get(URL).get_data(as_text=True)
    # blocked while inputs are missing, and saying why
    assert "Record a decision for every missing input listed below first." in page
    assert " disabled" in page
    _decide_all(client, app)
    page = client.get(URL).get_data(as_text=True)
    assert "This cannot be undone." in page
    assert "quantitative values, events and ratings can no longer be entered or changed" in page
    assert 'name="understood" required' in page
    response = client.post(f"{URL}/compute", data={"reason": ""}, follow_redirects=True)
    assert "Tick “I understand that this cannot be undone” to go ahead" in response.get_data(
        as_text=True
    )
    assert _count(app, ResultVersion) == 0
    assert _status(app) == "collecting"


def test_exclude_and_reweight_decision_changes_the_weights(app, client, auth, collecting):
    auth.login("admin")
    _decide_all(client, app, kind="exclude_indicator_reweight")
    client.post(f"{URL}/compute", data={"reason": "", "understood": "y"})
    [(_n, _r, _d, payload, _reason)] = _versions(app)
    cadre = payload["result"]["cadres"][0]
    excluded = [i for i in cadre["indicators"] if i["status"] == "excluded"]
    assert excluded
    assert sum(i["effective_weight"] for i in cadre["indicators"]) == pytest.approx(100.0)


def test_refused_in_final_and_before_collecting(app, client, auth, published_rulebook, make):
    auth.login("admin")
    response = client.post(
        f"{URL}/compute", data={"reason": "x", "understood": "y"}, follow_redirects=True
    )
    assert "once the period is" in response.get_data(as_text=True)

    def to_final(session: Any) -> None:
        period = session.get(Period, PERIOD_ID)
        advance_period(session, period, "collecting")
        # stands in for computing results (tested above), the notice and finalising
        # (tested in test_publication.py)
        period.status = "final"

    make(to_final)
    response = client.post(
        f"{URL}/compute", data={"reason": "late", "understood": "y"}, follow_redirects=True
    )
    assert "The period is final" in response.get_data(as_text=True)
    response = client.post(
        f"{URL}/decisions",
        data={"items": ["1/S1"], "kind": "score_zero_with_reason", "reason": "late"},
        follow_redirects=True,
    )
    assert "The period is final" in response.get_data(as_text=True)
    assert _count(app, ResultVersion) == 0
    assert _count(app, MissingInputDecision) == 0


def test_a_decision_needs_a_reason_and_a_known_kind(app, client, auth, collecting):
    auth.login("admin")
    m = next(m for m in _missing(app) if m.decision is None)
    for data in (
        {"kind": "score_zero_with_reason", "reason": ""},
        {"kind": "guess", "reason": "because"},
    ):
        client.post(f"{URL}/decisions", data={"items": [f"{m.cadre}/{m.indicator}"], **data})
    assert _count(app, MissingInputDecision) == 0


def test_what_if_changes_ranks_without_writing_anything(app, client, auth, collecting):
    auth.login("admin")
    _decide_all(client, app)
    client.post(f"{URL}/compute", data={"reason": "", "understood": "y"})
    [(_n, _r, _d, payload, _reason)] = _versions(app)
    # the heaviest quantitative indicator of the largest post group, set to zero
    rulebook = payload["rulebook"]
    groups: dict[str, int] = {}
    for cadre in payload["result"]["cadres"]:
        groups[cadre["post_group"]] = groups.get(cadre["post_group"], 0) + 1
    post = max(groups, key=lambda g: groups[g])
    indicator_set = next(s for s in rulebook["posts"] if s["post"] == post)
    heaviest = max(
        (i for i in indicator_set["indicators"] if i["kind"] == "quantitative"),
        key=lambda i: i["weight"],
    )
    before = (
        _count(app, ResultVersion),
        _count(app, AuditEntry),
        _count(app, MissingInputDecision),
    )

    response = client.get(
        f"{URL}/versions/1/what-if",
        query_string={"indicator": f"{post}/{heaviest['code']}", "weight": "0"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    changed = re.search(r"(\d+) cadres? changes? rank or grade", page)
    assert changed is not None and int(changed.group(1)) > 0
    assert 'class="changed"' in page

    # a grade minimum too: everyone falls below an impossible top grade
    top = rulebook["grading"]["grades"][0]["code"]
    page = client.get(
        f"{URL}/versions/1/what-if", query_string={"grade": top, "minimum": "100"}
    ).get_data(as_text=True)
    assert "rank or grade" in page

    page = client.get(
        f"{URL}/versions/1/what-if", query_string={"indicator": "", "weight": ""}
    ).get_data(as_text=True)
    assert "Choose an indicator and a new weight" in page

    after = (_count(app, ResultVersion), _count(app, AuditEntry), _count(app, MissingInputDecision))
    assert after == before


def test_versions_are_immutable(app, client, auth, collecting):
    auth.login("admin")
    _decide_all(client, app)
    client.post(f"{URL}/compute", data={"reason": "", "understood": "y"})
    with app.app_context():
        from assessment.app.db import db, unit_of_work

        with pytest.raises(ImmutableRowError), unit_of_work(None):
            version = service.get_version(db.session, PERIOD_ID, 1)
            version.reason = "rewritten"
            db.session.flush()
    assert _versions(app)[0][4] == ""


def test_survey_data_from_the_source_fills_survey_indicators(app, collecting):
    """A source giving responses for every survey target: nothing is missing any more."""
    with app.app_context():
        from assessment.app.db import db, unit_of_work
        from tests.conftest import SYNTHETIC_SURVEYS

        period = db.session.get(Period, PERIOD_ID)

        assert service.find_missing(db.session, period, surveys=SYNTHETIC_SURVEYS) == ()
        with unit_of_work(None, reason="test"):
            version = service.compute_results(
                db.session,
                period=period,
                reason="",
                actor_id=None,
                surveys=SYNTHETIC_SURVEYS,
                resamples=10,
            )
        payload = service.payload_of(version)
        assert payload["result"]["surveys"]
        survey_outcomes = [
            i for c in payload["result"]["cadres"] for i in c["indicators"] if i["kind"] == "survey"
        ]
        assert survey_outcomes and all(i["status"] == "scored" for i in survey_outcomes)
        assert DecisionKind.SCORE_ZERO not in {i["status"] for i in survey_outcomes}


def test_app_factory_registers_the_survey_source_and_tally(app):
    from assessment.app.survey_source import find_survey_source
    from surveys.services.results_source import ResidentSurveys

    surveys = find_survey_source(app)
    assert type(surveys) is ResidentSurveys
    assert surveys.results_data.__module__ == "surveys.services.results_source"
    assert surveys.summarise_targets.__name__ == "summarise_targets"


@pytest.mark.parametrize(
    ("username", "index", "compute"),
    [
        ("admin", 200, 302),
        ("assessor1", 200, 302),
        ("clerk", 200, 403),
        ("official", 200, 403),
        ("cadre", 403, 403),
    ],
)
def test_access_per_role(app, client, auth, collecting, username, index, compute):
    auth.login(username)
    page = client.get(URL)
    assert page.status_code == index
    if username in ("clerk", "official"):
        assert "have not been computed yet" in page.get_data(as_text=True)
    assert (
        client.post(f"{URL}/compute", data={"reason": "x", "understood": "y"}).status_code
        == compute
    )
    # an empty form is refused with the page (400) for the team, forbidden for others
    assert client.post(f"{URL}/decisions", data={}).status_code == (
        400 if compute == 302 else compute
    )
    assert client.get(f"{URL}/versions/1").status_code == (403 if username == "cadre" else 404)


def test_staff_read_versions_after_computed(app, client, auth, collecting):
    auth.login("admin")
    _decide_all(client, app)
    client.post(f"{URL}/compute", data={"reason": "", "understood": "y"})
    client.post("/logout")
    for username in ("clerk", "official"):
        auth.login(username)
        page = client.get(URL).get_data(as_text=True)
        assert "Latest results (version 1)" in page
        assert 'action="/admin/periods/1/results/compute"' not in page
        assert client.get(f"{URL}/versions/1").status_code == 200
        assert client.get(f"{URL}/versions/1/what-if").status_code == 200
        client.post("/logout")


# ---------------------------------------------------------------------------
# bulk decisions (issue 20): many missing inputs, one decision, one reason


def _audited_decisions(app: Any) -> list[tuple[str, str]]:
    with app.app_context():
        from assessment.app.db import db

        return list(
            db.session.execute(
                sa.select(AuditEntry.action, AuditEntry.reason).where(
                    AuditEntry.object_type == "missing_input_decision"
                )
            )
        )


@pytest.fixture
def sixty_missing(app, collecting, make) -> int:
    """The collecting demo period with the actual values of the first ten cadres removed:
    40 survey indicators and 20 or more actual values missing."""
    from assessment.models import QuantitativeResult

    def remove(session: Any) -> None:
        session.execute(sa.delete(QuantitativeResult).where(QuantitativeResult.cadre_id <= 10))

    make(remove)
    assert len(_missing(app)) >= 60
    return collecting


def test_one_reason_for_fifty_missing_inputs_records_and_audits_each(
    app, client, auth, sixty_missing
):
    auth.login("admin")
    undecided = [m for m in _missing(app) if m.decision is None]
    assert {m.kind for m in undecided[:50]} == {"actual", "survey_responses"}
    chosen = undecided[:50]
    response = client.post(
        f"{URL}/decisions",
        data={
            "items": [f"{m.cadre}/{m.indicator}" for m in chosen],
            "kind": "exclude_indicator_reweight",
            "reason": "本期未开展群众满意度测评",
        },
        follow_redirects=True,
    )
    assert "Decision recorded for 50 missing inputs." in response.get_data(as_text=True)
    with app.app_context():
        from assessment.app.db import db

        rows = db.session.scalars(sa.select(MissingInputDecision)).all()
        assert {(str(r.cadre_id), r.indicator_code) for r in rows} == {
            (m.cadre, m.indicator) for m in chosen
        }
        assert {(r.kind, r.reason) for r in rows} == {
            ("exclude_indicator_reweight", "本期未开展群众满意度测评")
        }
    # each item has its own audit entry, under the one reason
    audited = _audited_decisions(app)
    assert len(audited) == 50
    assert {reason for _action, reason in audited} == {"本期未开展群众满意度测评"}
    assert len([m for m in _missing(app) if m.decision is None]) == len(undecided) - 50


def test_an_empty_reason_is_refused_and_nothing_is_saved(app, client, auth, sixty_missing):
    auth.login("admin")
    undecided = [m for m in _missing(app) if m.decision is None]
    items = [f"{m.cadre}/{m.indicator}" for m in undecided[:50]]
    for reason in ("", "   "):
        response = client.post(
            f"{URL}/decisions",
            data={"items": items, "kind": "score_zero_with_reason", "reason": reason},
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Write the reason for the decision: nothing was saved." in page
        # the ticks are kept for the second try: exactly the 50 chosen are ticked
        assert page.count("checked") == 50
    assert _count(app, MissingInputDecision) == 0
    assert _audited_decisions(app) == []


def test_one_bad_item_among_good_ones_names_it_and_saves_none(app, client, auth, collecting):
    auth.login("admin")
    undecided = [m for m in _missing(app) if m.decision is None]
    good = [f"{m.cadre}/{m.indicator}" for m in undecided[:10]]
    cadre = undecided[0].cadre
    cases = {
        f"{cadre}/NOPE": "has no indicator NOPE in the rulebook: nothing was saved.",
        # a bonus item carries no weight: no decision covers it
        f"{cadre}/B1": "carries no weight, so no decision can cover it",
        "99999/S1": "is not assessed in this period: nothing was saved.",
        "not-an-item": "Tick at least one missing input: nothing was saved.",
    }
    for bad, message in cases.items():
        response = client.post(
            f"{URL}/decisions",
            data={"items": [*good, bad], "kind": "score_zero_with_reason", "reason": "x"},
        )
        assert response.status_code == 400, bad
        assert message in response.get_data(as_text=True), bad
    response = client.post(
        f"{URL}/decisions", data={"kind": "score_zero_with_reason", "reason": "x"}
    )
    assert "Tick at least one missing input" in response.get_data(as_text=True)
    assert _count(app, MissingInputDecision) == 0


def test_the_list_narrows_by_what_is_missing(app, client, auth, collecting):
    """Every survey indicator at once, say: the team decides one kind of missing input."""
    with app.app_context(), unit_of_work(None, reason="test: one actual not entered"):
        from assessment.app.db import db

        removed = db.session.scalars(
            sa.select(QuantitativeResult).where(QuantitativeResult.period_id == PERIOD_ID)
        ).first()
        assert removed is not None
        db.session.delete(removed)
    auth.login("admin")
    undecided = [m for m in _missing(app) if m.decision is None]
    kinds = {m.kind for m in undecided}
    assert "actual" in kinds and len(kinds) > 1  # the actual deleted above, and others
    for kind in kinds:
        kept = [m for m in undecided if m.kind == kind]
        page = client.get(URL, query_string={"missing": kind}).get_data(as_text=True)
        assert page.count('name="items"') == len(kept), kind
        assert f"{len(kept)} of {len(undecided)} missing inputs listed." in page
    page = client.get(URL, query_string={"missing": "actual"}).get_data(as_text=True)
    assert '<option selected value="actual">actual value not entered</option>' in page


@pytest.mark.parametrize("name", ["indicator", "unit", "post", "cadre"])
def test_the_list_narrows_by_indicator_unit_post_and_cadre(app, client, auth, collecting, name):
    auth.login("admin")
    undecided = [m for m in _missing(app) if m.decision is None]
    with app.app_context():
        from assessment.app.db import db

        period = db.session.get(Period, PERIOD_ID)
        cadres = {str(c.cadre_id): c for c in inputs_service.list_assessed(db.session, period)}
    first = cadres[undecided[-1].cadre]  # a village cadre: the village has several
    expected = {
        "indicator": [m for m in undecided if m.indicator == undecided[-1].indicator],
        "unit": [m for m in undecided if cadres[m.cadre].unit_id == first.unit_id],
        "post": [m for m in undecided if cadres[m.cadre].post == first.post],
        "cadre": [m for m in undecided if m.cadre == undecided[-1].cadre],
    }
    values = {
        "indicator": undecided[-1].indicator,
        "unit": str(first.unit_id),
        "post": first.post,
        "cadre": undecided[-1].cadre,
    }
    kept = expected[name]
    page = client.get(URL, query_string={name: values[name]}).get_data(as_text=True)
    assert 0 < len(kept) < len(undecided), name
    assert page.count('name="items"') == len(kept), name
    assert f"{len(kept)} of {len(undecided)} missing inputs listed." in page
    assert first.unit_name in page and first.post_name in page  # names, not ids
    # the decision keeps the filter for the page it comes back to
    response = client.post(
        f"{URL}/decisions?{name}={values[name]}",
        data={
            "items": [f"{m.cadre}/{m.indicator}" for m in kept],
            "kind": "score_zero_with_reason",
            "reason": f"decided by {name}",
        },
    )
    assert response.headers["Location"].endswith(f"{URL}?{name}={values[name]}")
    assert _count(app, MissingInputDecision) == len(kept)
