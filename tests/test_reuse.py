"""Reuse (issue 17): copying last period's survey or rulebook through the web pages.

The fixture adds the demo township's earlier period, "2025年度考核", with the demo
rulebook published and a survey that ran and closed (codes, a response, a seal); then
the world changes as it does in a year: a village Party secretary leaves, another one
moves to a third village, a village is retired, a new one is founded, a post is renamed
and another retired. Every difference the pages must list is known from those changes.
"""

from __future__ import annotations

import copy
import html
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from assessment.app.db import utcnow
from assessment.models import AuditEntry, Period, RulebookVersion
from assessment.services import org
from assessment.services import rulebooks as rulebook_service
from assessment.services.demo import publish_demo_rulebook
from assessment.services.queries import find_cadre_by_code, find_post_by_code, find_unit_by_code
from surveys.models.surveys import (
    AccessCode,
    CodeBatch,
    PaperReceipt,
    Response,
    Survey,
    SurveySeal,
    Target,
)
from surveys.services import paper, tokens
from surveys.services import surveys as survey_services
from tests import factories

CURRENT = 1  # the demo's own period, "2026年度考核" (draft, no rulebook)
SOURCE_TITLE = ("青山镇2025年度干部考核细则", "Qingshan Town 2025 cadre assessment rules")
SURVEY_DAY = date(2025, 6, 1)
#: Survey columns that say which survey it is and where it stands, not what it asks.
SURVEY_IDENTITY = {"id", "period_id", "short_id", "status", "created_at", "opened_at", "closed_at"}


@pytest.fixture
def app_config(app_config):
    """English pages: the tests read the English wording (Chinese is the product default)."""
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _build_earlier_period(session: Any, key: str) -> dict[str, int]:
    township = find_unit_by_code(session, "QSZ")
    period = factories.make_period(session, scope=township, year=2025, name="2025年度考核")
    publish_demo_rulebook(session, period, datetime(2025, 1, 6, 1, tzinfo=UTC), title=SOURCE_TITLE)
    survey = survey_services.create_survey(
        session,
        period=period,
        data=survey_services.SurveyData(
            title_zh="2025年度群众满意度测评",
            title_en="2025 resident satisfaction survey",
            intro_zh="请如实评价。",
            intro_en="Please answer honestly.",
            one_per_screen=True,
        ),
    )
    for code in ("QS001", "QS009", "QS013"):
        cadre = find_cadre_by_code(session, code)
        survey_services.add_target(session, survey, kind="cadre", cadre=cadre, today=SURVEY_DAY)
    survey_services.add_target(
        session, survey, kind="unit", unit=find_unit_by_code(session, "QSZ-06"), today=SURVEY_DAY
    )
    survey_services.add_target(
        session,
        survey,
        kind="service",
        label_zh="便民服务中心",
        label_en="Service centre",
        today=SURVEY_DAY,
    )
    for data in (
        survey_services.QuestionData(
            code="overall", kind="likert", text_zh="总体满意度", text_en="Overall", points=7
        ),
        survey_services.QuestionData(code="grade", kind="ballot", text_zh="民主测评"),
        survey_services.QuestionData(
            code="age",
            kind="choice",
            text_zh="您的年龄段",
            options=(("young", "44岁以下", "under 45"), ("old", "45岁以上", "45 and over")),
        ),
        survey_services.QuestionData(code="comment", kind="text", text_zh="意见建议"),
    ):
        survey_services.add_question(session, survey, data=data)
    survey_services.assign_by_default(session, survey)
    paper.set_double_entry(session, survey, enabled=False)
    opened = datetime(2025, 6, 1, 1, tzinfo=UTC)
    survey_services.open_survey(session, survey, now=opened)
    village = find_unit_by_code(session, "QSZ-01")
    _, slips = survey_services.generate_batch(
        session, survey, unit=village, size=2, note="", key=key, now=opened
    )
    submission = tokens.new_submission_id()
    survey_services.claim_code(
        session,
        survey=survey,
        code_hash=tokens.hash_access_code(key, survey.id, slips[0].code),
        claim_key=tokens.claim_key(key, survey.id, submission),
    )
    survey_services.store_online_response(
        session,
        survey=survey,
        unit_id=village.id,
        submission_key=tokens.submission_key(key, survey.id, submission),
        answers={"overall__t1": "6"},
        today=SURVEY_DAY,
        duration_band_s=None,
    )
    survey_services.close_survey(session, survey, now=datetime(2025, 6, 30, 10, tzinfo=UTC))
    return {"period": period.id, "survey": survey.id}


def _a_year_later(session: Any) -> None:
    """What changed since: the differences the copy pages must name."""
    end = date(2025, 12, 31)
    leaving = find_cadre_by_code(session, "QS009")  # 村党组织书记 of 石桥村
    org.end_appointment(session, leaving.appointments[0], end)
    moving = find_cadre_by_code(session, "QS013")  # 村党组织书记 of 柳塘村, now 枫岭村
    org.end_appointment(session, moving.appointments[0], end)
    org.appoint(
        session,
        moving,
        find_post_by_code(session, "VSEC"),
        find_unit_by_code(session, "QSZ-03"),
        date(2026, 1, 1),
    )
    org.retire_unit(session, find_unit_by_code(session, "QSZ-06"), date(2026, 1, 1))  # 龙潭村
    org.create_unit(
        session,
        org.UnitData(
            code="QSZ-09",
            kind="village",
            name_zh="青溪村",
            name_en="Qingxi Village",
            parent_id=find_unit_by_code(session, "QSZ").id,
            households=300,
            population=900,
        ),
    )
    renamed = find_post_by_code(session, "VDIR")
    org.save_post(
        session,
        org.PostData("VDIR", "村民委员会主任", "Villagers' committee director", "village"),
        post=renamed,
    )
    org.retire_post(session, find_post_by_code(session, "GRID"), date(2026, 1, 1))


@pytest.fixture
def earlier(app, demo, make) -> dict[str, int]:
    """Ids of the earlier period and of its closed survey, with a year's changes since."""
    ids = make(lambda s: _build_earlier_period(s, app.config["ACCESS_CODE_HASH_KEY"]))
    make(_a_year_later)
    return ids


def _notes(page: str) -> list[str]:
    block = re.search(r'<ul class="copy-notes">(.*?)</ul>', page, re.S)
    assert block, page
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", block.group(1))]


def _fingerprint(page: str) -> str:
    found = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]{64})"', page)
    assert found, page
    return found.group(1)


def _flashes(page: str) -> str:
    return html.unescape(" ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)</', page, re.S)))


def _row(obj: Any, leave_out: set[str]) -> dict[str, Any]:
    return {
        c.key: getattr(obj, c.key) for c in type(obj).__table__.columns if c.key not in leave_out
    }


# ---------------------------------------------------------------------------
# survey
# ---------------------------------------------------------------------------


def _label(app: Any, survey_id: int, cadre_code: str) -> str:
    from assessment.app.db import db

    with app.app_context():
        cadre = find_cadre_by_code(db.session, cadre_code)
        return db.session.scalars(
            sa.select(Target.label_zh).where(
                Target.survey_id == survey_id, Target.cadre_id == cadre.id
            )
        ).one()


def test_new_survey_page_offers_the_earlier_survey(client, auth, earlier):
    auth.login("admin")
    page = client.get(f"/admin/surveys/new?period_id={CURRENT}").get_data(as_text=True)
    assert "Or copy a survey from an earlier period" in page
    assert (
        f'<option value="{earlier["survey"]}">2025年度群众满意度测评 · 2025年度考核</option>'
        in page
    )
    chosen = client.get(
        f"/admin/surveys/copy?copy-source_id={earlier['survey']}&copy-period_id={CURRENT}"
    )
    assert chosen.status_code == 302
    assert chosen.location.endswith(f"/admin/surveys/{earlier['survey']}/copy-to/{CURRENT}")


def test_survey_preview_lists_every_difference(app, client, auth, earlier):
    auth.login("admin")
    page = client.get(f"/admin/surveys/{earlier['survey']}/copy-to/{CURRENT}")
    assert page.status_code == 200
    left, moved = _label(app, earlier["survey"], "QS009"), _label(app, earlier["survey"], "QS013")
    assert _notes(page.get_data(as_text=True)) == [
        "The title “2025年度群众满意度测评” becomes “2026年度群众满意度测评”.",
        f"{left} is left out: the cadre holds no post today.",
        f"{moved} now works in 枫岭村 (was 柳塘村): check the wording after copying.",
        "龙潭村 is left out: its unit was retired.",
        "龙潭村 no longer takes part (retired or outside the area): whom it rated is left out.",
        "青溪村 rates no target in the copy: choose its targets after copying.",
    ]


def test_survey_copy_equals_the_source_but_for_the_listed_differences(app, client, auth, earlier):
    from assessment.app.db import db

    auth.login("admin")
    url = f"/admin/surveys/{earlier['survey']}/copy-to/{CURRENT}"
    fingerprint = _fingerprint(client.get(url).get_data(as_text=True))
    done = client.post(url, data={"fingerprint": fingerprint})
    assert done.status_code == 302
    copy_id = int(done.location.rstrip("/").rsplit("/", 1)[1])
    shown = client.get(done.location).get_data(as_text=True)
    assert "Copied as a draft survey" in _flashes(shown)
    with app.app_context():
        session = db.session
        source, copied = session.get(Survey, earlier["survey"]), session.get(Survey, copy_id)
        assert (copied.period_id, copied.status) == (CURRENT, "draft")
        assert copied.short_id != source.short_id
        assert copied.title_zh == "2026年度群众满意度测评"
        assert copied.title_en == "2026 resident satisfaction survey"
        assert _row(copied, SURVEY_IDENTITY | {"title_zh", "title_en"}) == _row(
            source, SURVEY_IDENTITY | {"title_zh", "title_en"}
        )
        # every question, as it was
        assert [_row(q, {"id", "survey_id"}) for q in copied.questions] == [
            _row(q, {"id", "survey_id"}) for q in source.questions
        ]
        # targets: the two named as left out are gone, the one who moved rates with his
        # new village; everything else as it was
        dropped = {find_cadre_by_code(session, "QS009").id}
        kept = [t for t in source.targets if t.cadre_id not in dropped and t.label_zh != "龙潭村"]
        assert [_row(t, {"id", "survey_id", "unit_id"}) for t in copied.targets] == [
            _row(t, {"id", "survey_id", "unit_id"}) for t in kept
        ]
        fengling = find_unit_by_code(session, "QSZ-03").id
        assert [t.unit_id for t in copied.targets] == [
            fengling if t.cadre_id == find_cadre_by_code(session, "QS013").id else t.unit_id
            for t in kept
        ]
        # who rates whom: the source's pairs, less the retired village and dropped targets
        longtan = find_unit_by_code(session, "QSZ-06").id
        kept_codes = {t.code for t in kept}
        assert sorted((a.unit_id, a.target.code) for a in copied.assignments) == sorted(
            (a.unit_id, a.target.code)
            for a in source.assignments
            if a.unit_id != longtan and a.target.code in kept_codes
        )
        assert paper.double_entry(session, copy_id) is False
        # never codes, receipts, responses or a seal
        for model in (CodeBatch, AccessCode, PaperReceipt, Response, SurveySeal):
            count = sa.select(sa.func.count()).select_from(model).where(model.survey_id == copy_id)
            assert session.scalar(count) == 0, model
        # one audited unit of work, under the copy's reason
        reasons = set(
            session.scalars(
                sa.select(AuditEntry.reason).where(
                    AuditEntry.object_type.in_(["surveys", "survey_targets", "survey_questions"]),
                    AuditEntry.action.like("%.create"),
                    AuditEntry.actor_name == "admin",
                )
            )
        )
        assert reasons == {"survey copied from 2025年度群众满意度测评 (2025年度考核)"}


def test_survey_copy_refusals(app, client, auth, earlier, make):
    auth.login("admin")
    source = earlier["survey"]

    def count() -> int:
        return make(lambda s: s.scalar(sa.select(sa.func.count(Survey.id))))

    before = count()
    same = client.get(f"/admin/surveys/{source}/copy-to/{earlier['period']}", follow_redirects=True)
    assert "This survey already belongs to the chosen period" in _flashes(
        same.get_data(as_text=True)
    )
    assert client.get(f"/admin/surveys/9999/copy-to/{CURRENT}").status_code == 404
    assert client.get(f"/admin/surveys/{source}/copy-to/9999").status_code == 404
    assert (
        client.post(
            f"/admin/surveys/9999/copy-to/{CURRENT}", data={"fingerprint": "0" * 64}
        ).status_code
        == 404
    )
    stale = client.post(
        f"/admin/surveys/{source}/copy-to/{CURRENT}",
        data={"fingerprint": "0" * 64},
        follow_redirects=True,
    )
    assert "nothing was copied" in _flashes(stale.get_data(as_text=True))
    assert count() == before

    # a survey of a later year cannot be copied back
    def later(session: Any) -> int:
        period = session.get(Period, CURRENT)
        return factories.make_survey(session, period, open_it=False).id

    later_id = make(later)
    back = client.get(
        f"/admin/surveys/{later_id}/copy-to/{earlier['period']}", follow_redirects=True
    )
    assert "later year (2026)" in _flashes(back.get_data(as_text=True))

    # another township's survey and period are not the admin's to see
    def elsewhere(session: Any) -> dict[str, int]:
        cadre = factories.make_cadre(session)
        period = factories.make_period(session, scope=factories.township_of(cadre), year=2025)
        survey = factories.make_survey(session, period, cadres=[cadre], today=date(2026, 6, 1))
        other = factories.make_period(session, scope=factories.township_of(cadre), year=2026)
        return {"survey": survey.id, "period": other.id}

    other = make(elsewhere)
    assert client.get(f"/admin/surveys/{other['survey']}/copy-to/{CURRENT}").status_code == 404
    assert client.get(f"/admin/surveys/{source}/copy-to/{other['period']}").status_code == 404
    assert count() == before + 2

    auth.logout()
    auth.login("clerk")
    assert client.get(f"/admin/surveys/{source}/copy-to/{CURRENT}").status_code == 403


def test_a_survey_cannot_be_copied_into_a_final_period(app, earlier, make):
    def attempt(session: Any) -> None:
        period = session.get(Period, CURRENT)
        period.status = "final"
        session.flush()
        with pytest.raises(survey_services.SurveyStateError, match="period_final"):
            from surveys.services.reuse import plan_survey_copy

            plan_survey_copy(
                session,
                source=session.get(Survey, earlier["survey"]),
                period=period,
                today=utcnow().date(),
            )
        session.rollback()

    make(attempt)


# ---------------------------------------------------------------------------
# rulebook
# ---------------------------------------------------------------------------


def _source_document(app: Any, period_id: int) -> dict[str, Any]:
    from assessment.app.db import db

    with app.app_context():
        version = rulebook_service.find_published(db.session, period_id)
        return rulebook_service.document_of(version)


def _draft_document(app: Any, period_id: int) -> dict[str, Any] | None:
    from assessment.app.db import db

    with app.app_context():
        draft = rulebook_service.find_draft(db.session, period_id)
        return None if draft is None else rulebook_service.document_of(draft)


def _expected_copy(source: dict[str, Any]) -> dict[str, Any]:
    """The source with exactly the three listed differences applied by hand."""
    expected = copy.deepcopy(source)
    expected["title"] = {
        "zh": "青山镇2026年度干部考核细则",
        "en": "Qingshan Town 2026 cadre assessment rules",
    }
    expected["posts"] = [s for s in expected["posts"] if s["post"] != "GRID"]
    for indicator_set in expected["posts"]:
        if indicator_set["post"] == "VDIR":
            indicator_set["name"] = {"zh": "村民委员会主任", "en": "Villagers' committee director"}
    return expected


RULEBOOK_NOTES = [
    "The title “青山镇2025年度干部考核细则” becomes “青山镇2026年度干部考核细则”.",
    "The post VDIR is now called 村民委员会主任 (was 村委会主任); the copy uses the new name.",
    "The indicator set of 网格员 (GRID) is left out: the post is retired.",
]


def test_rulebook_page_offers_the_earlier_period(client, auth, earlier):
    auth.login("admin")
    page = client.get(f"/admin/periods/{CURRENT}/rulebook/").get_data(as_text=True)
    assert "Copy the rulebook of an earlier period" in page
    assert f'<option value="{earlier["period"]}">2025年度考核 (2025)</option>' in page
    chosen = client.get(
        f"/admin/periods/{CURRENT}/rulebook/copy?source_period_id={earlier['period']}"
    )
    assert chosen.status_code == 302
    assert chosen.location.endswith(f"/admin/periods/{CURRENT}/rulebook/copy/{earlier['period']}")


def test_rulebook_copy_lists_the_differences_and_equals_the_source(app, client, auth, earlier):
    auth.login("admin")
    url = f"/admin/periods/{CURRENT}/rulebook/copy/{earlier['period']}"
    page = client.get(url).get_data(as_text=True)
    assert _notes(page) == RULEBOOK_NOTES
    assert "This period has no draft yet" in page
    done = client.post(url, data={"fingerprint": _fingerprint(page)}, follow_redirects=True)
    assert "was copied into draft version 1" in _flashes(done.get_data(as_text=True))
    assert _draft_document(app, CURRENT) == _expected_copy(_source_document(app, earlier["period"]))
    from assessment.app.db import db

    with app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "rulebook_version.create")
        ).all()[-1]
        assert (entry.actor_name, entry.reason) == ("admin", "rulebook copied from 2025年度考核")


def test_rulebook_copy_over_a_draft_lists_what_it_changes_in_the_draft(
    app, client, auth, earlier, make
):
    auth.login("admin")
    url = f"/admin/periods/{CURRENT}/rulebook/copy/{earlier['period']}"
    client.post(url, data={"fingerprint": _fingerprint(client.get(url).get_data(as_text=True))})

    def edit_draft(session: Any) -> None:
        draft = rulebook_service.find_draft(session, CURRENT)
        rulebook_service.delete_indicator(session, version=draft, post="VSEC", code="W6")

    document = _draft_document(app, CURRENT)
    vsec = next(s for s in document["posts"] if s["post"] == "VSEC")
    assert "W6" in [i["code"] for i in vsec["indicators"]], [i["code"] for i in vsec["indicators"]]
    make(edit_draft)
    page = client.get(url).get_data(as_text=True)
    rows = re.findall(r'<tr class="diff-(\w+)"><td><code>([^<]+)</code>', page)
    assert rows == [("added", "posts[VSEC].indicators[W6]")]
    assert "replaces the content of draft version 1" in page
    client.post(url, data={"fingerprint": _fingerprint(page)})
    assert _draft_document(app, CURRENT) == _expected_copy(_source_document(app, earlier["period"]))
    with app.app_context():
        from assessment.app.db import db

        numbers = db.session.scalars(
            sa.select(RulebookVersion.number).where(RulebookVersion.period_id == CURRENT)
        ).all()
        assert numbers == [1]


def test_rulebook_copy_refusals(app, client, auth, earlier, make):
    auth.login("admin")
    source = earlier["period"]
    same = client.get(f"/admin/periods/{CURRENT}/rulebook/copy/{CURRENT}", follow_redirects=True)
    assert "cannot be copied into its own period" in _flashes(same.get_data(as_text=True))
    assert client.get(f"/admin/periods/{CURRENT}/rulebook/copy/9999").status_code == 404
    assert client.get(f"/admin/periods/9999/rulebook/copy/{source}").status_code == 404
    stale = client.post(
        f"/admin/periods/{CURRENT}/rulebook/copy/{source}",
        data={"fingerprint": "0" * 64},
        follow_redirects=True,
    )
    assert "nothing was copied" in _flashes(stale.get_data(as_text=True))
    assert _draft_document(app, CURRENT) is None

    def periods(session: Any) -> dict[str, int]:
        township = find_unit_by_code(session, "QSZ")
        bare = factories.make_period(session, scope=township, year=2024, name="2024年度考核")
        elsewhere = factories.make_period(session, year=2025)
        factories.make_rulebook(session, elsewhere, document=factories.rulebook_document())
        return {"bare": bare.id, "elsewhere": elsewhere.id}

    made = make(periods)
    bare = client.get(
        f"/admin/periods/{CURRENT}/rulebook/copy/{made['bare']}", follow_redirects=True
    )
    assert "2024年度考核 has no published rulebook" in _flashes(bare.get_data(as_text=True))
    # another township's period is not the admin's to see
    assert (
        client.get(f"/admin/periods/{CURRENT}/rulebook/copy/{made['elsewhere']}").status_code == 404
    )
    # a later year cannot be copied back into an earlier one
    later = client.get(f"/admin/periods/{source}/rulebook/copy/{CURRENT}", follow_redirects=True)
    assert "later year (2026)" in _flashes(later.get_data(as_text=True))

    auth.logout()
    auth.login("clerk")
    assert client.get(f"/admin/periods/{CURRENT}/rulebook/copy/{source}").status_code == 403


def test_rulebook_copy_into_published_rules_is_refused(app, client, auth, earlier, make):
    def publish(session: Any) -> None:
        publish_demo_rulebook(session, session.get(Period, CURRENT), utcnow())

    make(publish)
    auth.login("admin")
    page = client.get(f"/admin/periods/{CURRENT}/rulebook/").get_data(as_text=True)
    assert "Copy the rulebook of an earlier period" not in page
    url = f"/admin/periods/{CURRENT}/rulebook/copy/{earlier['period']}"
    refused = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "Version 1 of this period's rulebook is already published" in html.unescape(refused)
    before = _source_document(app, CURRENT)
    posted = client.post(url, data={"fingerprint": "0" * 64}, follow_redirects=True)
    assert "already published" in _flashes(posted.get_data(as_text=True))
    assert _draft_document(app, CURRENT) is None
    assert _source_document(app, CURRENT) == before
    chooser = client.get(
        f"/admin/periods/{CURRENT}/rulebook/copy?source_period_id={earlier['period']}",
        follow_redirects=True,
    )
    assert "already published" in _flashes(chooser.get_data(as_text=True))
