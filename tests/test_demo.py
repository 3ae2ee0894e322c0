"""The seeded demo (`flask demo seed`): the township of ``seed_demo`` plus two computed
periods built through the real services, the 2025 annual period final and the 2026
first-half period on notice.

The seed runs once per module into its own SQLite file (it takes seconds); the tests
read what it made. Expected dates are worked out by hand from the 2026 calendar:
12 January 2026 is a Monday and 1 December 2026 a Tuesday.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask

from assessment.app import create_app
from assessment.app.db import db
from assessment.app.survey_source import get_survey_source, register_survey_source
from assessment.core.rulebook import IndicatorKind, parse_rulebook
from assessment.models import Account, Notice, Objection, Period, ResultVersion, Unit
from assessment.services import inputs, passwords, publication, results
from assessment.services.demo import (
    DEMO_PASSWORD,
    demo_actual,
    demo_rulebook_document,
    history_plans,
    is_database_empty,
)
from surveys.models.paper import ResponseExclusion
from surveys.models.surveys import Response, Survey, SurveySeal
from surveys.services.results_source import ResidentSurveys
from tests.conftest import TEST_SECRET

TODAY = "2026-12-01"
#: A small bootstrap keeps the module fast; the grade confidence has its own tests.
RESAMPLES = 50


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "RESULTS_RESAMPLES": RESAMPLES}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    """An app on a file database that ``demo seed --today 2026-12-01`` filled."""
    folder = tmp_path_factory.mktemp("demo")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "ACCESS_CODE_HASH_KEY": "test-access-code-key-" + "y" * 32,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.sqlite3'}",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "OUTPUT_FOLDER": str(folder / "output"),
            "RESULTS_RESAMPLES": RESAMPLES,
        }
    )
    with app.app_context():
        db.create_all()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        result = app.test_cli_runner().invoke(args=["demo", "seed", "--today", TODAY])
    assert result.exit_code == 0, result.output
    yield app, result.output
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(seeded: tuple[Flask, str]) -> Iterator[Any]:
    app, _output = seeded
    with app.app_context():
        yield db.session
        db.session.rollback()


def _latest(session: Any, period_id: int) -> dict[str, Any]:
    return results.payload_of(results.list_versions(session, period_id)[0])["result"]


def _by_code(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {cadre["code"]: cadre for cadre in result["cadres"]}


def test_command_says_what_it_made(seeded):
    _app, output = seeded
    # The command speaks the deployment's language (Chinese by default).
    # 40 in 青山镇 and 13 in each of the county's two other townships (issue 16); the
    # periods: 2025 and 2026 first half, the 2022 year and its quarters, 2023, 2024, and
    # the other townships' 2025, and the county's 2025 of the leadership teams
    assert "一个县的 3 个乡镇、66 名干部，12 个已计算的考核周期" in output
    assert "（一个正在公示，其余已定稿）" in output


def test_period_1_stays_a_draft_2_is_final_3_on_notice_and_earlier_years_final(session):
    states = dict(
        session.execute(
            sa.select(Period.name, Period.status)
            .join(Period.scope_unit)
            .where(Period.parent_id.is_(None), Unit.code == "QSZ")
        ).all()
    )
    assert states == {
        "2026年度考核": "draft",
        "2025年度考核": "final",
        "2026年上半年考核": "notice",
        # the 2022 year of quarters and the record's earlier years (issue 15)
        "2022年度考核": "final",
        "2023年度考核": "final",
        "2024年度考核": "final",
    }
    final = session.get(Period, 2)
    assert (final.name, final.year, final.final_version_number) == ("2025年度考核", 2025, 1)
    notices = {n.period_id: (n.starts_on, n.ends_on) for n in session.scalars(sa.select(Notice))}
    # five working days counted from the day after publication (Civil Code art. 201):
    # published Monday 12 January: Tue 13 to Mon 19; published Tuesday 1 December:
    # Wed 2 to Tue 8 December
    assert {k: v for k, v in notices.items() if k in (2, 3, 9, 10)} == {
        2: (date(2026, 1, 12), date(2026, 1, 19)),
        3: (date(2026, 12, 1), date(2026, 12, 8)),
        # 2023: 13 January 2024 is a Saturday, so Friday 12: Mon 15 to Fri 19 January;
        # 2024: Monday 13 January 2025: Tue 14 to Mon 20 January
        9: (date(2024, 1, 12), date(2024, 1, 19)),
        10: (date(2025, 1, 13), date(2025, 1, 20)),
    }
    # finalised on the first working day after the notice ended
    assert final.finalised_at.date() == date(2026, 1, 20)


def test_the_county_has_two_more_townships_each_with_a_final_2025_period(session):
    """The demo county (issue 16): 白水镇 and 红岭乡 beside 青山镇, each scored from its
    own inputs and resident survey, through to a final version."""
    others = session.execute(
        sa.select(Unit.code, Period.id, Period.name, Period.status)
        .join(Period.scope_unit)
        .where(Unit.code.in_(("BSZ", "HLX")))
        .order_by(Unit.code)
    ).all()
    assert [(code, name, status) for code, _, name, status in others] == [
        ("BSZ", "2025年度考核", "final"),
        ("HLX", "2025年度考核", "final"),
    ]
    for code, period_id, _name, _status in others:
        result = _latest(session, period_id)
        assert len(result["cadres"]) == 13
        assert {c["code"][:2] for c in result["cadres"]} == {code[:2]}
        assert result["missing"] == []
        for cadre in result["cadres"]:
            assert {i["status"] for i in cadre["indicators"]} == {"scored"}, cadre["code"]


def test_the_townships_adopt_the_county_template_one_with_a_local_change(session):
    """白水镇 adopts the county's 2025 template as it is; 红岭乡 raises its secretary's
    J2 target from the template's 95 to 98, a change the template allows (issue 16)."""
    from assessment.services import rulebooks

    adopted = {}
    for code in ("BSZ", "HLX"):
        period = session.scalars(
            sa.select(Period).join(Period.scope_unit).where(Unit.code == code)
        ).one()
        document = rulebooks.document_of(rulebooks.find_published(session, period.id))
        assert document["template"]["code"] == "QX2025"
        tsec = next(s for s in document["posts"] if s["post"] == "TSEC")
        adopted[code] = next(i for i in tsec["indicators"] if i["code"] == "J2")["target"]
    assert adopted == {"BSZ": 95, "HLX": 98}


def test_the_county_grades_the_leadership_teams_in_a_period_of_units(session):
    """The three townships' teams, graded 好/较好/一般/较差 from two ratio indicators.

    Expected totals by hand from TEAM_ACTUALS (ratio to a target of 100, weights 60 and
    40): 青山镇 98 × 0.6 + 95 × 0.4 = 58.80 + 38.00 = 96.80; 白水镇 54.60 + 35.20 = 89.80;
    红岭乡 50.40 + 36.00 = 86.40. Only 青山镇 reaches 好 (90); 3 × 20 % = 0.6 teams may
    keep it, rounded half up to 1 (rounded down it would be 0 and 青山镇 would drop).
    """
    period = session.scalars(
        sa.select(Period).where(Period.name == "2025年度乡镇领导班子考核")
    ).one()
    assert (period.subjects, period.status) == ("units", "final")
    stored = _latest(session, period.id)
    by_code = {c["code"]: (c["total"], c["grade"]) for c in stored["cadres"]}
    assert by_code == {
        "U-QSZ": (96.8, "good"),
        "U-BSZ": (89.8, "fair"),
        "U-HLX": (86.4, "fair"),
    }
    # the stored subject's unit is the team's township (the unit-grade contract)
    townships = dict(session.execute(sa.select(Unit.id, Unit.code)).all())
    assert {townships[int(c["unit"])] for c in stored["cadres"]} == {"QSZ", "BSZ", "HLX"}


def test_the_county_assesses_its_township_secretaries_and_heads_alone(session):
    """The county's 2026 period lists only TSEC and THEAD (``assessed_posts: listed``):
    its subjects are the secretary and the head of each of the three townships, 3 × 2 = 6,
    and none of the 66 − 6 other cadres of the county."""
    from assessment.services import inputs

    period = session.scalars(
        sa.select(Period).where(Period.name == "2026年度乡镇党政正职考核")
    ).one()
    assert (period.scope_unit.code, period.status) == ("CX", "collecting")
    assessed = inputs.list_assessed(session, period)
    assert sorted(c.post for c in assessed) == ["THEAD"] * 3 + ["TSEC"] * 3
    township_of = {c.unit_name for c in assessed}
    assert township_of == {"青山镇", "白水镇", "红岭乡"}


def test_the_townships_staff_quota_follows_their_teams_grade(session):
    """白水镇's and 红岭乡's 2025 staff are one quota group each, whose share of 优秀 is set
    by the township team's grade in the county's final assessment of the teams (the
    template's quota group, 15/12/10/8 %, rounded down). Both teams are 较好 (see the
    test above): 13 staff × 12 % = 1.56 → 1 may keep 优秀 in each township."""
    teams = session.scalars(
        sa.select(Period).where(Period.name == "2025年度乡镇领导班子考核")
    ).one()
    for code in ("BSZ", "HLX"):
        period = session.scalars(
            sa.select(Period).join(Period.scope_unit).where(Unit.code == code)
        ).one()
        assert period.unit_grades_period_id == teams.id
        groups = _latest(session, period.id)["groups"]
        assert len(groups) == 1
        (group,) = groups
        assert (group["quota_group"], group["unit_grade"], group["share"]) == (
            "staff",
            "fair",
            0.12,
        )
        assert (group["size"], group["allowed"], group["rounding"]) == (13, 1, "down")
        assert group["kept"] <= 1


def test_past_steps_carry_their_own_dates_and_the_audit_log_the_real_time(seeded, session):
    from assessment.models import AuditEntry

    _app, _output = seeded
    # 2025: survey from 3 to 31 December 2025, results on Thursday 8 January 2026 at
    # 16:00 China time (08:00 UTC), notice opened on 12 January at 09:00 (01:00 UTC)
    survey = session.scalars(sa.select(Survey).where(Survey.period_id == 2)).one()
    assert survey.opened_at.date() == date(2025, 12, 3)
    assert survey.closed_at.date() == date(2025, 12, 31)
    version = results.get_version(session, 2, 1)
    assert version.created_at.isoformat() == "2026-01-08T08:00:00+00:00"
    notice = publication.find_notice(session, session.get(Period, 2))
    assert notice.opened_at.isoformat() == "2026-01-12T01:00:00+00:00"
    # the audit log says when the rows were really written: during the seed
    first, last = session.execute(
        sa.select(sa.func.min(AuditEntry.at), sa.func.max(AuditEntry.at))
    ).one()
    assert (last - first).total_seconds() < 600


def test_every_cadre_is_scored_from_stored_inputs_and_the_real_survey(session):
    for period_id in (2, 3):
        result = _latest(session, period_id)
        assert len(result["cadres"]) == 40
        assert result["missing"] == []
        for cadre in result["cadres"]:
            assert {i["status"] for i in cadre["indicators"]} == {"scored"}, cadre["code"]
            # the residents' survey; the ballot indicator (issue 14) is tested below
            surveyed = [
                i for i in cadre["indicators"] if i["kind"] == "survey" and i["method"] != "ballot"
            ]
            assert len(surveyed) == 1
            # the smallest village answered 30 times (MIN_RESPONSES in surveys/services/demo.py)
            assert surveyed[0]["n"] >= 29, cadre["code"]
        # a realistic spread: more than one grade, most cadres competent
        grades = [cadre["grade"] for cadre in result["cadres"]]
        assert len(set(grades)) >= 3
        assert grades.count("competent") > len(grades) / 2


def test_the_2026_leaders_are_graded_by_three_weighted_voter_groups(session):
    """The democratic evaluation (issue 14): three surveys, one per voter group, feed the
    township leaders' ballot indicator MZ of the period on notice; nothing is pooled."""
    ballots = list(
        session.scalars(sa.select(Survey).where(Survey.code.is_not(None)).order_by(Survey.id))
    )
    assert [(s.period_id, s.code, s.voter_group, s.status) for s in ballots] == [
        (3, "mzcp-bz", "leaders", "closed"),
        (3, "mzcp-zg", "staff", "closed"),
        (3, "mzcp-cm", "village-reps", "closed"),
    ]
    result = _latest(session, 3)
    graded = [
        (cadre["code"], i)
        for cadre in result["cadres"]
        for i in cadre["indicators"]
        if i["method"] == "ballot"
    ]
    assert [code for code, _ in graded] and {code for code, _ in graded} == {"QS001", "QS002"}
    for code, outcome in graded:
        groups = outcome["ballot"]["groups"]
        assert [(g["group"], g["weight"]) for g in groups] == [
            ("leaders", 30.0),
            ("staff", 40.0),
            ("village-reps", 30.0),
        ]
        for group in groups:
            assert group["valid"] == sum(group["votes"].values()) >= 5, code
            assert group["valid"] + group["abstentions"] <= group["eligible"]
        # the weighted score re-adds from the printed group scores
        weighted = sum(g["weight"] * g["score"] for g in groups) / 100
        assert outcome["input"] == pytest.approx(round(weighted, 2), abs=0.005)
        assert outcome["points"] == pytest.approx(round(6 * outcome["input"] / 100, 2))
    # the 2025 period has no ballot indicator: its residents' survey alone
    assert not any(
        i["method"] == "ballot" for c in _latest(session, 2)["cadres"] for i in c["indicators"]
    )


def test_each_period_has_one_closed_sealed_survey_with_30_to_80_answers_per_village(session):
    surveys = list(
        session.scalars(sa.select(Survey).where(Survey.code.is_(None)).order_by(Survey.id))
    )
    # 青山镇's 2025 and 2026 first half, then the county's other townships' 2025 (issue 16;
    # period 11 is the county's assessment of the leadership teams, without a survey)
    assert [(s.period_id, s.status) for s in surveys] == [
        (2, "closed"),
        (3, "closed"),
        (12, "closed"),
        (13, "closed"),
    ]
    for survey in surveys:
        seal = session.scalars(sa.select(SurveySeal).where(SurveySeal.survey_id == survey.id)).one()
        per_unit = dict(
            session.execute(
                sa.select(Response.unit_id, sa.func.count())
                .where(Response.survey_id == survey.id)
                .group_by(Response.unit_id)
            ).all()
        )
        # 青山镇's eight villages and communities, three in each other township
        assert len(per_unit) == (8 if survey.period_id in (2, 3) else 3)
        assert all(30 <= n <= 80 for n in per_unit.values()), per_unit
        assert seal.response_count == sum(per_unit.values())
        channels = set(
            session.scalars(sa.select(Response.channel).where(Response.survey_id == survey.id))
        )
        assert channels == {"online", "paper"}
        exclusion = session.scalars(
            sa.select(ResponseExclusion).where(ResponseExclusion.survey_id == survey.id)
        ).one()
        assert exclusion.decision == "exclude"
        assert exclusion.decision_reason


def test_comments_are_reviewed_one_hidden_some_waiting(seeded, session):
    from surveys.models.comments import CommentReview
    from surveys.services.comments import list_comments
    from surveys.services.demo import HIDE_REASON

    app, _output = seeded
    approved_comments = get_survey_source(app).approved_comments
    # 青山镇's two residents' surveys: its eight villages write enough comments
    residents = sa.select(Survey).where(Survey.code.is_(None), Survey.period_id.in_((2, 3)))
    for survey in session.scalars(residents):
        listing = list_comments(session, survey, min_group_size=5)
        statuses = [comment.status for comment in listing.comments]
        assert statuses.count("hidden") == 1
        assert statuses.count("approved") >= 10
        assert statuses.count("pending") >= 1
        hidden = session.scalars(
            sa.select(CommentReview).where(
                CommentReview.survey_id == survey.id, CommentReview.review_status == "hidden"
            )
        ).one()
        assert hidden.review_reason == HIDE_REASON
        # every approved comment is about a village cadre, and reaches their portal
        period = session.get(Period, survey.period_id)
        about = {c.about_target_id for c in listing.comments if c.status == "approved"}
        cadres = {t.cadre_id for t in survey.targets if t.id in about}
        assert None not in cadres
        assert all(approved_comments(session, period, cadre_id) for cadre_id in cadres)


def test_survey_seals_and_the_audit_chain_verify(seeded):
    app, _output = seeded
    runner = app.test_cli_runner()
    seals = runner.invoke(args=["surveys", "verify-seal"])
    assert seals.exit_code == 0, seals.output
    # 青山镇's two residents' surveys and the three democratic evaluation meetings of
    # 2026, and the 2025 residents' survey of each of the county's other two townships
    assert seals.output.count(": OK (") == 7
    chain = runner.invoke(args=["audit", "verify"])
    assert chain.exit_code == 0, chain.output
    assert "哈希链完整" in chain.output


def test_steps_are_audited_under_the_people_who_would_take_them(session):
    from assessment.models import AuditEntry

    actors = {
        (row.actor_name, row.action)
        for row in session.execute(sa.select(AuditEntry.actor_name, AuditEntry.action).distinct())
    }
    assert ("assessor2", "rating.create") in actors
    assert ("clerk", "survey_paper_entries.create") in actors
    assert ("admin", "result_version.create") in actors
    assert ("cadre", "objection.create") in actors
    assert ("system", "objection.create") in actors  # the resident on the public page


def test_the_cadre_account_has_results_in_both_periods_and_an_open_objection(session):
    account = session.scalars(sa.select(Account).where(Account.username == "cadre")).one()
    for period_id in (2, 3):
        mine = _by_code(_latest(session, period_id))["QS009"]
        assert mine["name"] == "周文斌"
        assert mine["id"] == str(account.cadre_id)
        assert mine["grade"]
        assert mine["total"] > 0
    objections = publication.list_objections(session, 3, cadre_id=account.cadre_id)
    assert [(o.channel, o.status, o.indicator_code, o.filed_by_id) for o in objections] == [
        ("cadre", "open", "W6", account.id)
    ]


def test_the_upheld_public_objection_made_version_2_without_the_penalty(session):
    versions = results.list_versions(session, 3)
    assert [v.number for v in versions] == [2, 1]
    assert versions[0].reason.startswith("objection #")
    first = _by_code(results.payload_of(versions[1])["result"])["QS012"]
    second = _by_code(results.payload_of(versions[0])["result"])["QS012"]
    # the grid workers' rulebook charges 2 points for a public criticism (P1)
    assert first["penalty"] == 2.0
    assert second["penalty"] == 0.0
    assert second["total"] == pytest.approx(first["total"] + 2.0)
    objection = session.scalars(
        sa.select(Objection).where(Objection.period_id == 3, Objection.channel == "public")
    ).one()
    assert (objection.status, objection.outcome, objection.new_version_number) == (
        "decided",
        "upheld",
        2,
    )
    assert publication.shown_version_number(session, session.get(Period, 3)) == 2


def test_trimmed_means_where_five_assessors_rated(session):
    qualitative = {}
    for period_id in (2, 3):
        for cadre in _latest(session, period_id)["cadres"]:
            for item in cadre["indicators"]:
                if item["kind"] == "qualitative":
                    qualitative[(period_id, cadre["code"])] = (item["n"], item["trimmed"])
    # 2025: five raters, except where the fourth declared a conflict of interest
    assert qualitative[(2, "QS009")] == (5, True)
    assert qualitative[(2, "QS013")] == (4, False)
    assert qualitative[(2, "QS014")] == (4, False)
    # 2026: the three current assessors
    assert {value for (period_id, _), value in qualitative.items() if period_id == 3} == {
        (3, False)
    }


def test_the_current_panel_is_the_four_accounts_of_the_township(session):
    panel = inputs.list_panel(session, session.get(Period, 3))
    assert [account.username for account in panel] == [
        "admin",
        "assessor1",
        "assessor2",
        "assessor3",
    ]
    former = session.scalars(
        sa.select(Account.is_enabled).where(Account.username.in_(["assessor4", "assessor5"]))
    ).all()
    assert former == [False, False]


def test_public_notice_page_shows_the_period_on_notice(seeded):
    app, _output = seeded
    page = app.test_client().get("/p/periods/3/notice")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "2026年上半年考核" in text
    assert "周文斌" in text


def test_seeding_again_refuses_and_if_empty_skips(seeded):
    app, _output = seeded
    runner = app.test_cli_runner()
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code != 0
    assert "数据库不为空" in again.output
    skipped = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert skipped.exit_code == 0
    assert "未写入演示数据" in skipped.output
    with app.app_context():
        # 3 periods, the 2022 year (the annual period and its four quarters), the
        # record's 2023 and 2024, the county's other two townships' 2025, its
        # leadership teams' 2025 and its 2026 of the township secretaries and heads
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Period)) == 14


def test_the_same_today_gives_the_same_inputs(seeded, app, runner):
    """Rules and data digests of every version match those of a second seed."""
    seeded_app, _output = seeded
    result = runner.invoke(args=["demo", "seed", "--today", TODAY])
    assert result.exit_code == 0, result.output

    def digests(flask_app: Flask) -> list[tuple[int, int, str, str]]:
        with flask_app.app_context():
            return [
                tuple(row)
                for row in db.session.execute(
                    sa.select(
                        ResultVersion.period_id,
                        ResultVersion.number,
                        ResultVersion.rules_digest,
                        ResultVersion.data_digest,
                    ).order_by(ResultVersion.period_id, ResultVersion.number)
                )
            ]

    first = digests(seeded_app)
    assert len(first) == 3 + 5 + 2 + 2 + 1  # one version per earlier period
    assert digests(app) == first


def test_a_failing_step_leaves_the_database_empty(app, runner):
    class BrokenSurveys(ResidentSurveys):
        def seed_demo_survey(self, session, plan):
            raise RuntimeError("printer jammed")

    register_survey_source(app, BrokenSurveys())
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    with app.app_context():
        assert is_database_empty(db.session)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Period)) == 0


def test_a_malformed_today_is_refused(app, runner):
    result = runner.invoke(args=["demo", "seed", "--today", "2026-13-01"])
    assert result.exit_code == 2
    assert "--today" in result.output
    with app.app_context():
        assert is_database_empty(db.session)


def test_history_dates_follow_today():
    late, early = history_plans(date(2026, 12, 1)), history_plans(date(2026, 2, 20))
    assert late[0].notice_starts_on == date(2026, 1, 12)
    assert late[1].notice_starts_on == date(2026, 12, 1)
    # 60 days before Friday 20 February 2026 is Monday 22 December 2025
    assert early[0].notice_starts_on == date(2025, 12, 22)
    for plans in (late, early):
        for plan in plans:
            assert plan.published_on <= plan.survey_opens_on < plan.survey_closes_on
            assert plan.survey_closes_on < plan.computed_on < plan.notice_starts_on
            assert plan.computed_on.weekday() < 5


@pytest.mark.parametrize("achievement", [0.3, 0.55, 0.8, 1.0, 1.25])
def test_demo_actuals_are_valid_and_plausible(achievement):
    import numpy as np

    rulebook = parse_rulebook(demo_rulebook_document())
    rng = np.random.default_rng(0)
    for indicator_set in rulebook.indicator_sets:
        for indicator in indicator_set.of_kind(IndicatorKind.QUANTITATIVE):
            value = demo_actual(indicator, achievement, rng)
            assert value >= 0, indicator.code
            unit = indicator.unit.en if indicator.unit else ""
            if unit == "%":
                assert value <= 100 * max(1.0, indicator.cap), indicator.code
            if unit in ("cases", "fires", "items", "households"):
                assert value == int(value), indicator.code
            # the check the input services apply accepts it
            assert inputs.check_actual(indicator, value) == value


def test_the_2022_year_rolls_up_four_final_quarters_and_a_quarter_bars_qs009(session):
    """Issue 15: the annual 2022 period reads its four final quarters; QS009 earns 优秀 by
    the total, but the 较差 third quarter keeps the grade at 称职, with the rule recorded."""
    year = session.get(Period, 4)
    quarters = sorted(
        session.scalars(sa.select(Period).where(Period.parent_id == 4)), key=lambda p: p.starts_on
    )
    assert (year.name, year.kind, year.status) == ("2022年度考核", "annual", "final")
    assert [(q.kind, q.status, q.starts_on, q.ends_on) for q in quarters] == [
        ("quarter", "final", date(2022, 1, 1), date(2022, 3, 31)),
        ("quarter", "final", date(2022, 4, 1), date(2022, 6, 30)),
        ("quarter", "final", date(2022, 7, 1), date(2022, 9, 30)),
        ("quarter", "final", date(2022, 10, 1), date(2022, 12, 31)),
    ]
    quarter_results = [_by_code(_latest(session, q.id)) for q in quarters]
    assert [r["QS009"]["grade"] for r in quarter_results] == ["good", "good", "poor", "good"]
    annual = _by_code(_latest(session, 4))
    for code in ("QS001", "QS009", "QS020"):
        # the roll-up is the mean of the four published quarterly totals, re-added here
        totals = [Decimal(str(r[code]["total"])) for r in quarter_results]
        mean = (sum(totals) / 4).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        rolled = annual[code]["indicators"][0]
        assert (rolled["code"], rolled["kind"], rolled["n"]) == ("PS", "rollup", 4)
        assert Decimal(str(rolled["input"])) == mean
        assert [c["total"] for c in rolled["children"]] == [
            r[code]["total"] for r in quarter_results
        ]
    barred = annual["QS009"]
    assert (barred["earned"], barred["grade"]) == ("excellent", "competent")
    assert barred["eligibility"] == [
        {
            "caps_at": "competent",
            "rule": "no_poor",
            "reason": "too_many",
            "grade": "poor",
            "count": 1,
            "limit": 0,
        }
    ]
    payload = results.payload_of(results.list_versions(session, 4)[0])
    assert {r["period"] for r in payload["inputs"]["child_results"]} == {
        str(q.id) for q in quarters
    }


def test_the_barred_cadre_sees_the_rule_and_its_reason_in_the_portal_and_scorecard(
    seeded, monkeypatch
):
    """The ``cadre`` account (QS009) reads why 2022 is 称职 and not 优秀, in Chinese."""
    app, _output = seeded
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    client = app.test_client()
    login = client.post("/login", data={"username": "cadre", "password": DEMO_PASSWORD})
    assert login.status_code == 302
    html = client.get("/me/periods/4").get_data(as_text=True)
    assert "有季度平时考核为“较差”的，不得评为优秀" in html
    assert "1 个平时考核周期为“较差”，多于 0 个：等次最高为“称职”。" in html
    assert "V = (" in html  # the mean of the four quarters written out
    pdf = client.get("/me/periods/4/scorecard.pdf")
    assert pdf.status_code == 200
    from io import BytesIO

    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.data)).pages)
    assert "不得评为优秀" in text.replace("\n", "")


def test_the_2022_open_data_carries_the_quarters_and_the_recompute_reproduces_the_year(
    seeded, tmp_path
):
    """The quarters' totals and grades are inputs of the year: sub_period_results.csv, and
    ``python -m reports.recompute`` (no database) gives back results.csv, caps included."""
    import subprocess
    import sys

    from assessment.core.cells import decode_csv
    from reports.core.bundle import read_zip
    from reports.services.bundle import build_bundle

    app, _output = seeded
    with app.app_context():
        built = build_bundle(db.session, period=db.session.get(Period, 4), today=date(2026, 12, 1))
    assert built.reproduced
    files = {name.rpartition("/")[2]: data for name, data in read_zip(built.data).items()}
    rows = decode_csv(files["sub_period_results.csv"]).splitlines()
    assert rows[0] == "period,order,name,cadre,total,grade"
    assert len(rows) == 1 + 4 * 40  # every cadre in each of the four quarters
    assert any(",2022年第三季度平时考核," in row and row.endswith(",poor") for row in rows)
    path = tmp_path / "bundle.zip"
    path.write_bytes(built.data)
    done = subprocess.run(  # noqa: S603 - our own module on our own file
        [sys.executable, "-m", "reports.recompute", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_three_years_of_history_fire_the_consequence_rules(session):
    """Issue 15: the 2023 and 2024 annual periods with 2025 make the flags fire.

    The expected lines are read off the stored final versions here, independently of
    the rules' code: 优秀 in each of 2023, 2024, 2025 → considered in 2025; 基本称职 in
    2025 → barred in 2025; 不称职 in 2023 and 2024 → flagged in 2024.
    """
    from assessment.models import Unit
    from assessment.services.consequences import eligibility_list

    by_year = {}
    annual = (
        sa.select(Period)
        .join(Period.scope_unit)
        .where(Period.status == "final", Period.kind == "annual", Unit.code == "QSZ")
    )
    for period in session.scalars(annual):
        stored = results.payload_of(results.get_version(session, period.id, 1))["result"]
        by_year[period.year] = {c["code"]: c["grade"] for c in stored["cadres"]}
    assert sorted(by_year) == [2022, 2023, 2024, 2025]  # 2022: the year of quarters
    three_excellent = {
        code
        for code, grade in by_year[2025].items()
        if grade == by_year[2024].get(code) == by_year[2023].get(code) == "excellent"
    }
    basic_2025 = {code for code, grade in by_year[2025].items() if grade == "basic"}
    incompetent_twice = {
        code
        for code, grade in by_year[2024].items()
        if grade == by_year[2023].get(code) == "incompetent"
    }
    assert three_excellent == {"QS023", "QS025"}
    assert incompetent_twice == {"QS028"}
    everything = set(session.scalars(sa.select(Unit.id)))
    # over the whole county: the other townships' 基本称职 of 2025 are barred too
    county_2025 = sa.select(Period).where(
        Period.status == "final", Period.kind == "annual", Period.year == 2025
    )
    basic_in_county = {
        c["code"]
        for period in session.scalars(county_2025)
        for c in results.payload_of(results.get_version(session, period.id, 1))["result"]["cadres"]
        if c["grade"] == "basic"
    }
    assert basic_2025 < basic_in_county
    lines_2025 = eligibility_list(session, everything, year=2025).rows
    assert {(r.cadre_code, r.line.flag.kind.value) for r in lines_2025} == {
        (code, "reward_consideration") for code in three_excellent
    } | {(code, "promotion_barred") for code in basic_in_county}
    lines_2024 = eligibility_list(session, everything, year=2024).rows
    assert ("QS028", "incompetent_consecutive") in {
        (r.cadre_code, r.line.flag.kind.value) for r in lines_2024
    }


def test_the_demo_has_conversations_and_work_reports(session):
    from assessment.models import Conversation, WorkReport

    assert session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 3
    reports = session.scalars(sa.select(WorkReport)).all()
    assert len(reports) == 6 and all(r.text for r in reports)
