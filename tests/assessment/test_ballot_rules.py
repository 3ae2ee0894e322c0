"""A rulebook with a democratic evaluation: its words on the public rules page, and a
``sources`` the period cannot satisfy refused by path when results are computed."""

from __future__ import annotations

import pytest

from assessment.app.db import db as _db
from assessment.app.db import unit_of_work, utcnow
from assessment.app.survey_source import get_survey_source
from assessment.core.errors import RulebookError
from assessment.models import Period
from assessment.services import periods
from assessment.services import results as results_service
from assessment.services.demo import publish_demo_rulebook


@pytest.fixture
def ballot_rules(app, demo, make):
    def publish(session):
        period = session.get(Period, 1)
        publish_demo_rulebook(session, period, utcnow(), democratic_evaluation=True)
        return period.id

    return make(publish)


def test_the_public_rules_page_says_how_ballots_count(client, ballot_rules):
    client.get("/lang/zh_CN")
    page = client.get(f"/p/periods/{ballot_rules}/rules").get_data(as_text=True)
    assert "其中 B 为测评 mzcp-bz, mzcp-zg, mzcp-cm 的民主测评票得分（0–100）" in page
    assert "班子成员 30, 干部职工 40, 村民代表 30" in page
    assert "优秀 1, 称职 0.8, 基本称职 0.6, 不称职 0" in page
    assert "弃权票不计入有效票。" in page
    assert "有效票少于 5 张的测评主体为缺失输入" in page
    client.get("/lang/en")
    page = client.get(f"/p/periods/{ballot_rules}/rules").get_data(as_text=True)
    assert "Abstentions are not valid ballots." in page
    assert "Leadership team members 30, Cadres and staff 40, Village representatives 30" in page


def test_sources_the_period_lacks_are_refused_by_path(app, ballot_rules, make):
    make(lambda s: periods.advance_period(s, s.get(Period, ballot_rules), "collecting"))
    with app.app_context(), pytest.raises(RulebookError) as caught, unit_of_work(None):
        results_service.find_missing(
            _db.session, _db.session.get(Period, ballot_rules), surveys=get_survey_source(app)
        )
    problems = {(p.path, p.code) for p in caught.value.problems}
    # MZ is the third indicator of the TSEC and THEAD sets (after D1 and D2)
    assert ("posts[0].indicators[2].sources.surveys[0]", "unknown_survey") in problems
    assert ("posts[1].indicators[2].sources.surveys[2]", "unknown_survey") in problems
    # per set: three unknown survey codes and the question "grade" none of them has
    assert ("posts[0].indicators[2].sources.questions[0]", "unknown_question") in problems
    assert len(problems) == 8


def test_the_results_page_names_the_missing_sources(app, client, auth, ballot_rules, make):
    make(lambda s: periods.advance_period(s, s.get(Period, ballot_rules), "collecting"))
    auth.login("assessor1")
    page = client.get(f"/admin/periods/{ballot_rules}/results").get_data(as_text=True)
    assert "posts[0].indicators[2].sources.surveys[0]" in page
    assert "mzcp-bz" in page


def test_the_public_rules_page_states_validity_and_vote_share_rules(client, ballot_rules):
    client.get("/lang/en")
    page = client.get(f"/p/periods/{ballot_rules}/rules").get_data(as_text=True)
    assert "A ballot sheet giving every cadre the same grade is counted and flagged." in page
    assert "If Incompetent votes are more than 1/3 of all valid ballots," in page
    assert "If Excellent + Competent votes are less than 2/3 of all valid ballots," in page
    assert "a flag is raised beside the scores." in page
    client.get("/lang/zh_CN")
    page = client.get(f"/p/periods/{ballot_rules}/rules").get_data(as_text=True)
    assert (
        '若不称职票超过全部有效票的 1/3，\n  等次最高为<span lang="zh-CN">基本称职</span>' in page
    )
    assert "若优秀 + 称职票低于全部有效票的 2/3，\n  在得分旁作出提示。" in page
    assert "一张选票对所有干部评同一等次的，照常计票并作标记。" in page
