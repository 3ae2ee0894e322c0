"""A county period that assesses only the posts its rulebook lists (issue 16).

A county assesses its township secretaries while each township assesses its own staff:
with ``assessed_posts: listed`` the period's subjects are the cadres holding a listed post
in the scope, and publication needs no indicator set for the scope's other posts. Every
expected count is worked out by hand in the test."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from assessment.app.db import db, unit_of_work
from assessment.core.errors import RulebookError
from assessment.core.rulebook import find_problems, parse_rulebook, rules_digest, to_plain
from assessment.models import Period, RulebookVersion
from assessment.services import inputs as inputs_service
from assessment.services import results as results_service
from assessment.services import rulebooks
from assessment.services.periods import advance_period
from tests.factories import START, make_cadre, make_period, make_unit, rulebook_document

#: The secretaries' work done (W1, points = actual): all three reach 优秀's 90 on points.
SECRETARY_ACTUALS = (99.0, 95.0, 92.0)


def _secretaries_only(**extra: Any) -> dict[str, Any]:
    """Rules with one indicator set, the township secretary's: W1 alone, weight 100."""
    document = rulebook_document(posts=("TSEC",))
    indicator_set = document["posts"][0]
    indicator_set["categories"] = [indicator_set["categories"][0] | {"weight": 100}]
    indicator_set["indicators"] = [indicator_set["indicators"][0] | {"weight": 100}]
    document["grading"]["top_quota"] = 0.4
    document.update(extra)
    return document


@pytest.fixture
def county(make) -> dict[str, Any]:
    """A county of three townships; each has a secretary (TSEC) and a village whose
    secretary (VSEC) the county does not assess; one draft county period of 2026."""

    def build(session: Any) -> dict[str, Any]:
        county_unit = make_unit(session, kind="county", code="KX", name_zh="测试县")
        secretaries, village_heads = [], []
        for number in range(3):
            town = make_unit(
                session, kind="township", parent=county_unit, name_zh=f"第{number + 1}镇"
            )
            village = make_unit(session, kind="village", parent=town)
            secretaries.append(make_cadre(session, unit=town, post="TSEC").code)
            village_heads.append(make_cadre(session, unit=village, post="VSEC").code)
        period = make_period(session, scope=county_unit, year=START.year, name="县管干部考核")
        return {"period": period.id, "secretaries": secretaries, "villages": village_heads}

    return make(build)


def _publish(app, period_id: int, document: dict[str, Any]) -> None:
    with app.app_context(), unit_of_work(None, reason="test"):
        period = db.session.get(Period, period_id)
        version = rulebooks.import_document(db.session, period=period, document=document)
        rulebooks.publish_version(
            db.session, version=version, on=START, now=datetime(2026, 1, 2, tzinfo=UTC)
        )


def test_without_the_option_publication_names_the_post_that_has_no_set(app, county):
    with pytest.raises(RulebookError) as caught:
        _publish(app, county["period"], _secretaries_only())
    problems = {(p.path, p.code, p.params.get("post")) for p in caught.value.problems}
    assert problems == {("posts", "post_without_indicator_set", "VSEC")}
    with app.app_context():  # rolled back: no version at all
        assert db.session.query(RulebookVersion).filter_by(period_id=county["period"]).count() == 0


def test_listed_posts_period_assesses_only_the_secretaries_and_grades_them(app, client, county):
    _publish(app, county["period"], _secretaries_only(assessed_posts="listed"))
    with app.app_context(), unit_of_work(None, reason="test"):
        period = db.session.get(Period, county["period"])
        assessed = inputs_service.list_assessed(db.session, period)
        # the three township secretaries; none of the village secretaries of the scope
        assert [c.code for c in assessed] == sorted(county["secretaries"])
        assert {c.post for c in assessed} == {"TSEC"}
        advance_period(db.session, period, "collecting")
        rulebook = inputs_service.find_rulebook(db.session, period)
        for cadre, actual in zip(assessed, SECRETARY_ACTUALS, strict=True):
            inputs_service.save_result(
                db.session,
                period=period,
                rulebook=rulebook,
                cadre=cadre,
                indicator_code="W1",
                actual=actual,
                source="test",
                entered_by_id=None,
                now=datetime(2026, 12, 1, tzinfo=UTC),
            )
        version = results_service.compute_results(
            db.session, period=period, reason="", actor_id=None, surveys=None, resamples=0
        )
        result = results_service.result_of_version(version)
    # 3 secretaries, all ≥ 90 points; top quota 3 × 40% = 1.2 -> 1 (rounded down): the
    # first (99) keeps 优秀, the others (95, 92) drop one grade to 称职
    grades = {c.code: c.grade for c in result.cadres}
    first, second, third = sorted(county["secretaries"])
    assert grades == {first: "excellent", second: "competent", third: "competent"}

    # the public rules page says whom the period assesses, in Chinese and in English
    page = client.get(f"/p/periods/{county['period']}/rules").get_data(as_text=True)
    assert "考核对象" in page and "本期只考核本细则列出的岗位" in page
    assert "镇党委书记" in page and "<code>TSEC</code>" in page
    client.get("/lang/en")
    page = client.get(f"/p/periods/{county['period']}/rules").get_data(as_text=True)
    assert "Who is assessed" in page and "assesses only the posts these rules list" in page


def test_a_period_without_the_option_does_not_say_whom_it_assesses(app, client, county):
    document = _secretaries_only()
    document["posts"].append(rulebook_document(posts=("VSEC",))["posts"][0])
    _publish(app, county["period"], document)
    page = client.get(f"/p/periods/{county['period']}/rules").get_data(as_text=True)
    assert "考核对象" not in page
    with app.app_context():
        period = db.session.get(Period, county["period"])
        posts = {c.post for c in inputs_service.list_assessed(db.session, period)}
    assert posts == {"TSEC", "VSEC"}


def test_the_option_is_checked_and_written_only_when_listed():
    base = _secretaries_only()
    problems = find_problems(_secretaries_only(assessed_posts="some"), partial=False)
    assert [(p.path, p.code) for p in problems] == [("assessed_posts", "unknown_choice")]
    # "all" is the default: not written, so the digest of every earlier rulebook stays
    assert "assessed_posts" not in to_plain(parse_rulebook(_secretaries_only(assessed_posts="all")))
    assert rules_digest(parse_rulebook(_secretaries_only(assessed_posts="all"))) == rules_digest(
        parse_rulebook(base)
    )
    listed = to_plain(parse_rulebook(_secretaries_only(assessed_posts="listed")))
    assert listed["assessed_posts"] == "listed"
    assert parse_rulebook(listed).assessed_posts == "listed"
