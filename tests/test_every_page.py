"""Every page renders in both languages, for every role (issue 20).

The seeded demo (``demo seed``: the 2025 period final, the 2026 first half on notice)
plus a draft rulebook on the draft period and a fourth period collecting with a draft
survey, on a file database. The catalogs are compiled from the ``.po`` files into a
folder of the test's own, as ``flask i18n compile`` does in production, so a
translation that breaks its template (a bare ``%`` in a Chinese string) fails here.

Every GET route of ``app.url_map`` is opened with the ids of these periods, as the
admin, an assessor, the clerk, the official, the cadre and an anonymous visitor, in
Chinese and in English; any answer of 500 or more fails the test. Routes that only
take POST are left out: a GET on them changes nothing and shows nothing.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from babel.messages.frontend import CommandLineInterface
from flask import Flask

from assessment.app import create_app
from assessment.app.db import db, unit_of_work
from assessment.app.i18n import TRANSLATIONS_DIR
from assessment.services import passwords
from assessment.services.demo import DEMO_PASSWORD, demo_rulebook_document, publish_demo_rulebook
from tests.conftest import TEST_SECRET

TODAY = "2026-12-01"
ROLES = (None, "admin", "assessor1", "clerk", "official", "cadre")
LANGUAGES = ("zh_CN", "en")
#: Documents that are the same for every reader who may download them: rendered once
#: per language, by the admin (and the cadre's own scorecard by the cadre).
DOCUMENT_SUFFIXES = (".pdf", ".zip", ".xlsx", ".csv", ".yaml", ".json")
#: Query strings some pages need to show anything (a version compared with itself).
QUERIES = {
    "assessment.rulebooks.diff": "?from=1&to=1",
    "assessment.public.rules_diff": "?from=1&to=1",
}


def _compile_catalogs(folder: Path) -> Path:
    """The ``.po`` catalogs compiled into ``folder`` as ``flask i18n compile`` does."""
    shutil.copytree(TRANSLATIONS_DIR, folder, ignore=shutil.ignore_patterns("*.mo", "*.pot"))
    status = CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(folder)])
    assert not status, "the catalogs do not compile"
    return folder


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("every-page")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "ACCESS_CODE_HASH_KEY": "test-access-code-key-" + "y" * 32,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'demo.sqlite3'}",
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "OUTPUT_FOLDER": str(folder / "output"),
            "RESULTS_RESAMPLES": 20,
            "WTF_CSRF_ENABLED": False,
            # a failing page answers 500 as in production, so that one run lists them all
            "PROPAGATE_EXCEPTIONS": False,
            "BABEL_TRANSLATION_DIRECTORIES": str(_compile_catalogs(folder / "translations")),
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
        ids = _add_draft_and_collecting(app)
    yield app, ids
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _add_draft_and_collecting(app: Flask) -> dict[str, Any]:
    """A draft rulebook on the draft period; a fourth period collecting with a draft survey."""
    from assessment.app.db import utcnow
    from assessment.models import Account, Period, Unit
    from assessment.services import periods, rulebooks
    from surveys.services import surveys

    with app.app_context(), unit_of_work(None, reason="test fixture") as session:
        draft = session.get(Period, 1)
        rulebooks.import_document(session, period=draft, document=demo_rulebook_document())
        township = session.scalars(sa.select(Unit).where(Unit.code == "QSZ")).one()
        collecting = periods.create_period(
            session, name="2027年度考核", year=2026, scope_unit=township
        )
        publish_demo_rulebook(session, collecting, utcnow())
        periods.advance_period(session, collecting, "collecting")
        survey = surveys.create_survey(
            session, period=collecting, data=surveys.SurveyData(title_zh="测试问卷")
        )
        surveys.add_question(
            session,
            survey,
            data=surveys.QuestionData(code="q1", kind="likert", text_zh="服务态度"),
        )
        cadre = session.scalars(sa.select(Account).where(Account.username == "cadre")).one()
        return {"collecting": collecting.id, "draft_survey": survey.id, "cadre": cadre.cadre_id}


def _values(app: Flask, extra: dict[str, Any]) -> dict[str, Any]:
    """Ids of every kind of object the routes take, from the seeded database."""
    from assessment.models import (
        Account,
        Appointment,
        Cadre,
        Event,
        Evidence,
        Objection,
        Period,
        ResultVersion,
        RulebookVersion,
    )
    from surveys.models.surveys import Survey, Target

    with app.app_context():
        session = db.session
        periods = {p.id: p.status for p in session.scalars(sa.select(Period))}
        surveys = list(session.scalars(sa.select(Survey).order_by(Survey.id)))
        first = lambda model, *where: session.scalar(  # noqa: E731
            sa.select(model.id).where(*where).order_by(model.id)
        )
        return {
            "periods": periods,
            "results": {
                period_id: session.scalar(
                    sa.select(sa.func.max(ResultVersion.number)).where(
                        ResultVersion.period_id == period_id
                    )
                )
                for period_id in periods
            },
            "rules": {
                period_id: session.scalar(
                    sa.select(sa.func.max(RulebookVersion.number)).where(
                        RulebookVersion.period_id == period_id
                    )
                )
                for period_id in periods
            },
            "events": {
                period_id: first(Event, Event.period_id == period_id) for period_id in periods
            },
            "evidence": {
                period_id: first(Evidence, Evidence.period_id == period_id) for period_id in periods
            },
            "objections": {
                period_id: first(Objection, Objection.period_id == period_id)
                for period_id in periods
            },
            "surveys": [s.id for s in surveys],
            "short_ids": [s.short_id for s in surveys],
            "targets": {s.id: first(Target, Target.survey_id == s.id) for s in surveys},
            "account": first(Account, Account.username == "assessor1"),
            "appointment": first(Appointment, Appointment.cadre_id == extra["cadre"]),
            "cadre": extra["cadre"],
            "party_secretary": first(Cadre, Cadre.code == "QS001"),
        }


def _urls(rule: Any, values: dict[str, Any]) -> list[str]:
    """The URLs to open for one GET route: one per period or survey it can show."""
    args = set(rule.arguments)
    endpoint = rule.endpoint

    def fill(**given: Any) -> str | None:
        if any(given.get(arg) is None for arg in args):
            return None  # nothing of that kind in the period (no event in a draft)
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(given[m.group(1)]), rule.rule)
        return url + QUERIES.get(endpoint, "")

    def common(period_id: int | None = None) -> dict[str, Any]:
        value: dict[str, Any] = {
            "cadre_id": values["cadre"],
            "unit_id": 3,
            "post_id": 1,
            "account_id": values["account"],
            "appointment_id": values["appointment"],
            "filename": "css/app.css",
            "code": "en" if endpoint == "assessment.auth.switch_language" else "Q1",
            "post": "TSEC",
            "serial": "P0001",
            "short_id": values["short_ids"][0],
        }
        if endpoint == "assessment.inputs.edit_result":
            value["cadre_id"] = values["party_secretary"]  # Q1 is in the secretary's set
        elif endpoint == "assessment.rulebooks.edit_category":
            value["code"] = "ji"
        elif endpoint == "assessment.rulebooks.edit_rubric":
            value["code"] = "standard"
        elif endpoint == "surveys.start_with_code":
            value["code"] = "ABCD-EFGH"
        if period_id is not None:
            rulebook_routes = endpoint.startswith(("assessment.public.", "assessment.rulebooks."))
            value["number"] = (values["rules"] if rulebook_routes else values["results"])[period_id]
            value["event_id"] = values["events"][period_id]
            value["evidence_id"] = values["evidence"][period_id]
            value["objection_id"] = values["objections"][period_id]
        return value

    if "period_id" in args:
        urls = [fill(**{**common(p), "period_id": p}) for p in values["periods"]]
    elif "survey_id" in args:
        urls = [
            fill(**{**common(), "survey_id": s, "target_id": values["targets"][s]})
            for s in values["surveys"]
        ]
    elif "short_id" in args:
        urls = [fill(**{**common(), "short_id": s}) for s in values["short_ids"]]
    else:
        urls = [fill(**common())]
    return [url for url in urls if url is not None]


def _get_routes(app: Flask) -> list[Any]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in rule.methods),
        key=lambda rule: rule.rule,
    )


def _is_document(url: str) -> bool:
    return url.endswith(DOCUMENT_SUFFIXES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("username", ROLES)
def test_every_get_route_renders_without_a_server_error(seeded, username, language):
    app, extra = seeded
    values = _values(app, extra)
    client = app.test_client()
    assert client.get(f"/lang/{language}").status_code == 302
    if username is not None:
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
    html_lang = "zh-CN" if language == "zh_CN" else "en"
    assert f'<html lang="{html_lang}">' in client.get("/p/").get_data(as_text=True)
    problems = []
    shown = 0
    for rule in _get_routes(app):
        if rule.endpoint == "assessment.auth.switch_language":
            continue  # would change the language under test
        for url in _urls(rule, values):
            if _is_document(url) and username not in ("admin", "cadre"):
                continue
            response = client.get(url)
            status = response.status_code
            response.close()
            if status >= 500:
                problems.append(f"GET {url}: {status}")
            elif status == 200:
                shown += 1
    assert not problems, f"as {username or 'anonymous'} in {language}:\n" + "\n".join(problems)
    # the walk reached real pages, not only refusals and redirects
    assert shown >= (10 if username in (None, "cadre") else 30)


# ---------------------------------------------------------------------------
# plain words on the demo's pages (issue 20): no JSON, keys, codes or ids where a
# person reads


def _page(app: Flask, url: str, username: str | None = "admin", language: str = "en") -> str:
    client = app.test_client()
    client.get(f"/lang/{language}")
    if username is not None:
        client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_survey_questions_are_described_in_words_not_json(seeded):
    app, _extra = seeded
    page = _page(app, "/admin/surveys/1")
    assert "5-point scale" in page
    assert "{&#34;" not in page and '{"points"' not in page


def test_the_objection_review_form_names_kinds_in_words(seeded):
    app, _extra = seeded
    values = _values(app, _extra)
    objections = values["objections"][3]
    page = _page(app, f"/admin/periods/3/notice/objections/{objections + 1}")
    assert "(Quantitative)" in page
    assert "(quantitative)" not in page and "(veto)" not in page and "(penalty)" not in page
    # what is contested is named, not only coded
    page = _page(app, "/admin/periods/3/notice")
    assert "W6 " in page and "<td>W6</td>" not in page


def test_the_version_page_names_targets_posts_and_indicators(seeded):
    app, _extra = seeded
    page = _page(app, "/admin/periods/2/results/versions/1")
    satisfaction = page.split("Resident satisfaction</h3>")[1].split("</table>")[0]
    # the rated targets are cadres and units by name, never by database id
    assert re.search(r"<td>QS\d{3} ", satisfaction)
    assert "<td>Qingshan Town</td>" in satisfaction or "<td>青山镇</td>" in satisfaction
    assert not re.search(r"<td>\d+</td><td class=\"num\">", satisfaction)
    # the demo's 2-5% response rates are cautioned beside the index
    assert "low response rate" in satisfaction and "Read them with care." in satisfaction
    flags = page.split("Flags</h3>")[1].split("</ul>")[0]
    assert "QS003 " in flags and "survey_target" not in flags
    assert "Grid worker" in page.split("Panel agreement</h3>")[1].split("</table>")[0]


def test_the_quality_page_names_answers_and_channels(seeded):
    app, _extra = seeded
    page = _page(app, "/admin/surveys/1/quality")
    assert "<code>attitude__" not in page and "__t" not in page


def test_the_period_history_is_in_words(seeded):
    app, _extra = seeded
    page = _page(app, "/admin/periods/2")
    history = page.split("History</h2>")[1]
    assert "State: Public notice → Final" in history
    assert "{&#34;" not in history and "period.update" not in history


def test_the_open_data_bundle_is_linked_where_it_is_public(seeded):
    app, _extra = seeded
    for url in ("/p/periods/2/notice", "/p/periods/2/rules"):
        assert 'href="/p/periods/2/open-data.zip"' in _page(app, url, username=None)
    assert "open-data.zip" not in _page(app, "/p/periods/3/notice", username=None)
    assert 'href="/p/periods/2/open-data.zip"' in _page(app, "/admin/periods/2")


def test_low_response_rates_are_cautioned_in_chinese(seeded):
    """The caution reads in the default language, from the catalogs compiled as shipped."""
    app, _extra = seeded
    for url, username in (
        ("/admin/periods/2/results/versions/1", "admin"),
        ("/admin/surveys/1/results", "admin"),
    ):
        page = _page(app, url, username, language="zh_CN")
        assert "标注“参与率偏低”的行" in page and "请谨慎解读" in page, url
        assert "low response rate" not in page and "Read them with care" not in page, url
    # the cadre's own index, in the demo's final period
    page = _page(app, "/me/periods/2", "cadre", language="zh_CN")
    assert "作答，低于 20%：该指数未必能代表全体群众的看法，请谨慎解读。" in page
