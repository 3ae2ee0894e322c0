"""County rulebook templates (issue 16): the county's pages, adoption by a township, a
forbidden change refused with its message and nothing saved, the public rules page's
differences, and who sees what."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from assessment.models import AuditEntry, Period, Post, RulebookTemplateVersion, Unit
from assessment.services import accounts, org, periods, rulebooks
from assessment.services.rulebook_io import dump_yaml
from tests.conftest import DEMO_PASSWORD

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "rulebooks" / "township.yaml"
BASE = "/admin/periods/1/rulebook"
#: TSEC may set J2's and J3's targets, move weights by ±2 and add local indicators to 绩.
ADOPTION = {
    "posts": [
        {"post": "TSEC", "targets": ["J2", "J3"], "weights_within": 2, "local_indicators": ["ji"]}
    ]
}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _text(response):
    return response.get_data(as_text=True)


def _template_yaml(adoption=ADOPTION):
    document = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    document["title"] = {
        "zh": "清溪县2026年乡镇干部考核模板",
        "en": "Qingxi 2026 township template",
    }
    document["adoption"] = adoption
    return dump_yaml(document)


@pytest.fixture
def county(demo, make):
    """The demo county 清溪县 (CX) with a county admin, and a second township 溪口镇 with
    its own period and admin; only the example's posts stay held in 青山镇."""

    def build(session):
        cx = session.scalars(sa.select(Unit).where(Unit.code == "CX")).one()
        other = org.create_unit(
            session,
            org.UnitData(
                code="XKZ",
                kind="township",
                name_zh="溪口镇",
                name_en="Xikou Town",
                parent_id=cx.id,
                households=100,
                population=300,
            ),
        )
        for username, scope in (("countyadmin", cx), ("xkadmin", other)):
            accounts.save_account(
                session,
                accounts.AccountData(username, username, "admin", (scope.id,)),
                password=DEMO_PASSWORD,
            )
        period = periods.create_period(session, name="2026年度考核", year=2026, scope_unit=other)
        keep = {"TSEC", "THEAD", "STATION"}
        for post in session.scalars(sa.select(Post).where(Post.code.not_in(keep))):
            org.retire_post(session, post, date(2025, 1, 1))
        return period.id

    return {"other_period": make(build)}


@pytest.fixture
def published_template(client, auth, county):
    """Template CX/T2026 created, imported and published by the county admin (id 1, v1)."""
    auth.login("countyadmin")
    response = client.post(
        "/admin/templates/",
        data={
            "unit_id": "1",
            "code": "T2026",
            "year": "2026",
            "title_zh": "清溪县2026年乡镇干部考核模板",
            "title_en": "Qingxi 2026 township template",
        },
        follow_redirects=True,
    )
    assert "Template T2026 created with draft version 1" in _text(response)
    response = client.post(
        "/admin/templates/1/import", data={"text": _template_yaml()}, follow_redirects=True
    )
    assert "Imported into draft version 1" in _text(response)
    response = client.post(
        "/admin/templates/1/publish", data={"understood": "y"}, follow_redirects=True
    )
    assert "Version 1 is published and frozen" in _text(response)
    auth.logout()
    return 1


def _template_version(make):
    """(status, digest, document) of the one template version."""

    def read(session):
        version = session.scalars(sa.select(RulebookTemplateVersion)).one()
        return version.status, version.digest, version.document

    return make(read)


def _draft(make, period_id=1):
    """(status, digest, document) of the period's draft."""

    def read(session):
        draft = rulebooks.find_draft(session, period_id)
        return draft.status, draft.digest, draft.document

    return make(read)


def _draft_document(make, period_id=1):
    return json.loads(_draft(make, period_id)[2])


def _audit_count(make):
    return make(lambda session: session.scalar(sa.select(sa.func.count(AuditEntry.seq))))


def _adopt(client, auth, username="admin"):
    auth.login(username)
    response = client.post(f"{BASE}/adopt", data={"version_id": "1"}, follow_redirects=True)
    assert "now holds the county template" in _text(response)
    return response


# ---------------------------------------------------------------------------
# the county's template
# ---------------------------------------------------------------------------


def test_published_template_is_frozen_with_its_digest(client, auth, make, published_template):
    status, digest, document = _template_version(make)
    assert status == "published"
    assert digest == hashlib.sha256(document.encode("utf-8")).hexdigest()
    assert json.loads(document)["adoption"] == ADOPTION
    auth.login("countyadmin")
    page = _text(client.get("/admin/templates/1/"))
    # the adoption rules in words: J2, J3 targets; ±2 points; local indicators in ji
    assert "the targets and thresholds of J2, J3" in page
    assert "indicator weights within ±2 points" in page
    assert "local indicators in the categories Work results" in page  # 绩 (ji)


def test_the_adoption_rules_list_codes_with_the_reader_s_separator(
    client, auth, make, published_template
):
    """A list inside a sentence reads J2、J3 in Chinese and J2, J3 in English."""
    auth.login("countyadmin")
    english = _text(client.get("/admin/templates/1/?lang=en"))
    chinese = _text(client.get("/admin/templates/1/?lang=zh_CN"))
    assert "the targets and thresholds of J2, J3" in english
    assert "J2、J3的目标值和档位；指标权重" in chinese  # and its clauses by ；
    assert "J2, J3" not in chinese
    assert "thresholds of J2, J3; indicator weights" in english


def test_template_with_a_bad_adoption_section_is_refused_and_nothing_saved(
    client, auth, make, county
):
    auth.login("countyadmin")
    client.post(
        "/admin/templates/",
        data={"unit_id": "1", "code": "T1", "year": "2026", "title_zh": "模板", "title_en": "T"},
    )
    before = _template_version(make)
    audit = _audit_count(make)
    bad = {"posts": [{"post": "TSEC", "targets": ["D1"], "local_indicators": ["xx"]}]}
    response = client.post("/admin/templates/1/import", data={"text": _template_yaml(bad)})
    page = _text(response)
    assert "Nothing was imported" in page
    assert "The post TSEC has no quantitative indicator “D1”." in page  # D1 is qualitative
    assert "There is no category “xx” in this indicator set." in page
    assert _template_version(make) == before
    assert _audit_count(make) == audit


def test_only_a_county_admin_reaches_the_template_pages(client, auth, make, published_template):
    for username in ("admin", "xkadmin", "assessor1"):
        auth.login(username)
        assert client.get("/admin/templates/").status_code in (403, 404), username
        assert client.get("/admin/templates/1/").status_code in (403, 404), username
        response = client.post("/admin/templates/1/publish", data={"understood": "y"})
        assert response.status_code in (403, 404), username
        response = client.post(
            "/admin/templates/1/import", data={"text": _template_yaml({"posts": []})}
        )
        assert response.status_code in (403, 404), username
        assert client.get("/admin/templates/adoptions").status_code in (403, 404), username
        auth.logout()
    assert json.loads(_template_version(make)[2])["adoption"] == ADOPTION


def test_a_township_admin_sees_only_its_own_periods(client, auth, county):
    auth.login("xkadmin")
    assert client.get(f"{BASE}/").status_code == 404  # 青山镇's period
    assert client.get(f"/admin/periods/{county['other_period']}/rulebook/").status_code == 200
    assert client.post(f"{BASE}/adopt", data={"version_id": "1"}).status_code == 404


# ---------------------------------------------------------------------------
# adoption by a township
# ---------------------------------------------------------------------------


def test_adoption_records_the_template_and_the_rulebook_digest_covers_it(
    client, auth, make, published_template
):
    auth.login("admin")
    assert "Adopt a county template" in _text(client.get(f"{BASE}/"))
    _adopt(client, auth)
    document = _draft_document(make)
    _status, template_digest, template_document = _template_version(make)
    assert document["template"] == {
        "unit": "CX",
        "code": "T2026",
        "version": 1,
        "digest": template_digest,
    }
    _status, digest, text = _draft(make)
    assert digest == hashlib.sha256(text.encode("utf-8")).hexdigest()
    template_rulebook = {k: v for k, v in json.loads(template_document).items() if k != "adoption"}
    assert {k: v for k, v in document.items() if k != "template"} == template_rulebook


def test_forbidden_changes_are_refused_at_publication_with_each_named(
    client, auth, make, published_template
):
    _adopt(client, auth)

    def edit(session):
        draft = rulebooks.find_draft(session, 1)
        document = copy.deepcopy(rulebooks.document_of(draft))
        document["grading"]["top_quota"] = 0.3  # fixed by the template
        indicators = document["posts"][0]["indicators"]
        # J1 10 → 7 and J2 10 → 13: three points each, one more than the ±2 allowed
        next(i for i in indicators if i["code"] == "J1")["weight"] = 7
        next(i for i in indicators if i["code"] == "J2")["weight"] = 13
        rulebooks.import_document(session, period=draft.period, document=document)

    with pytest.raises(Exception, match="template_change_forbidden"):
        make(edit)  # the import refuses too; the editor's own edits are free (below)

    def edit_in_editor(session):
        draft = rulebooks.find_draft(session, 1)

        def change(document):
            document["grading"]["top_quota"] = 0.3
            indicators = document["posts"][0]["indicators"]
            next(i for i in indicators if i["code"] == "J1")["weight"] = 7
            next(i for i in indicators if i["code"] == "J2")["weight"] = 13
            return ""

        rulebooks._edit(session, draft, change)

    make(edit_in_editor)
    draft_before = _draft(make)
    audit = _audit_count(make)
    response = client.post(f"{BASE}/publish", data={"understood": "y"}, follow_redirects=True)
    page = _text(response)
    assert "cannot be published yet" in page
    assert "Not allowed by the county template: 0.2 → 0.3 (the template fixes this)." in page
    assert (
        "Not allowed by the county template: 10 → 7 (an indicator weight may move by at most "
        "2 points, this one moved 3)." in page
    )
    assert "10 → 13" in page
    assert _draft(make) == draft_before
    assert _audit_count(make) == audit
    assert make(lambda session: session.get(Period, 1).status) == "draft"
    # the staff page lists the same refusals before anyone presses publish
    assert "not allowed" in _text(client.get(f"{BASE}/"))


def test_import_into_an_adopted_draft_refuses_a_forbidden_change(
    client, auth, make, published_template
):
    _adopt(client, auth)
    document = _draft_document(make)
    del document["template"]  # the draft's adoption stays with it
    next(i for i in document["posts"][0]["indicators"] if i["code"] == "J1")["target"] = 120
    before = _draft_document(make)
    audit = _audit_count(make)
    response = client.post(f"{BASE}/import", data={"text": dump_yaml(document)})
    page = _text(response)
    assert "Nothing was imported" in page
    # J1 is not among the targets TSEC may set (J2, J3)
    assert (
        "Not allowed by the county template: 100 → 120 (the template does not open this "
        "indicator&#39;s targets)." in page
    )
    assert _draft_document(make) == before
    assert _audit_count(make) == audit


def _allowed_local_changes(document):
    """J2's target 95 → 98, J1's weight 10 → 8 and a local indicator X1 of 2 points in 绩:
    绩 still adds up to 40 (8 + 10 + 8 + 6 + 6 + 2)."""
    indicators = document["posts"][0]["indicators"]
    next(i for i in indicators if i["code"] == "J2")["target"] = 98
    next(i for i in indicators if i["code"] == "J1")["weight"] = 8
    indicators.insert(
        10,
        {
            "code": "X1",
            "name": {"zh": "乡村旅游接待人次", "en": "Rural tourism visitors"},
            "kind": "quantitative",
            "category": "ji",
            "weight": 2,
            "method": "binary",
        },
    )
    return document


def test_allowed_changes_publish_and_the_public_page_lists_them(
    client, auth, make, published_template
):
    _adopt(client, auth)
    document = _allowed_local_changes(_draft_document(make))
    response = client.post(f"{BASE}/import", data={"text": dump_yaml(document)})
    assert response.status_code == 302
    response = client.post(f"{BASE}/publish", data={"understood": "y"}, follow_redirects=True)
    assert "is published and frozen" in _text(response)
    auth.logout()
    digest = _template_version(make)[1]
    page = _text(client.get("/p/periods/1/rules"))
    assert "Qingxi 2026 township template" in page
    assert "version 1" in page and digest in page
    assert "Differences from the county template" in page
    assert page.count("<td><code>") == 6  # three rows, before and after each
    assert "95</code></td><td><code>98" in page
    assert "10</code></td><td><code>8" in page
    assert "—</code></td><td><code>X1" in page
    assert "an indicator weight may move by up to 2 points (moved 2)" in page
    assert "local indicators may be added to the category ji" in page
    assert "not allowed" not in page
    chinese = _text(client.get("/p/periods/1/rules?lang=zh_CN"))
    assert "清溪县2026年乡镇干部考核模板" in chinese
    assert "与县级模板的不同" in chinese
    # the county sees the adoption and its number of differences
    auth.login("countyadmin")
    page = _text(client.get("/admin/templates/adoptions"))
    assert "青山镇" in page and "<td>3</td><td>0</td>" in page
    auth.login("official")  # the county's organisation department reads it too
    assert "青山镇" in _text(client.get("/admin/templates/adoptions"))


def test_a_rulebook_without_a_template_keeps_its_digest_and_page(client, auth, make, county):
    """No ``template`` key is written when none is adopted (every earlier digest stays)."""
    auth.login("admin")
    client.post(f"{BASE}/import", data={"text": EXAMPLE.read_text(encoding="utf-8")})
    client.post(f"{BASE}/publish", data={"understood": "y"})
    document = make(lambda session: rulebooks.find_published(session, 1).document)
    assert "template" not in json.loads(document)
    assert "Adopted county template" not in _text(client.get("/p/periods/1/rules"))


#: The adoption the report gives the lead for the demo county's template.
DEMO_ADOPTION = {
    "posts": [
        {"post": "TSEC", "targets": ["J2", "J3"], "weights_within": 2, "local_indicators": ["ji"]},
        {"post": "THEAD", "targets": ["J2", "J4"], "weights_within": 2},
        {"post": "VSEC", "targets": ["W1", "W3", "W6"], "bonus_penalty": True},
    ]
}


def test_the_demo_recipe_adopts_with_a_local_change_and_refuses_a_forbidden_one(demo, make):
    """The calls the report proposes for the demo (services only, no pages)."""
    from datetime import UTC, datetime

    from assessment.core.errors import RulebookError
    from assessment.core.rulebook import Label
    from assessment.services import templates as county_templates
    from assessment.services.demo import demo_rulebook_document
    from assessment.services.queries import find_unit_by_code

    now = datetime(2026, 1, 5, 8, tzinfo=UTC)

    def publish_template(session):
        county = find_unit_by_code(session, "CX")
        template = county_templates.create_template(
            session,
            unit=county,
            code="QX2026",
            year=2026,
            title=Label("清溪县2026年乡镇干部考核模板", "Qingxi County 2026 township template"),
        )
        document = demo_rulebook_document(("清溪县2026年乡镇干部考核模板", "Qingxi 2026 template"))
        document["adoption"] = DEMO_ADOPTION
        draft = county_templates.import_template_document(
            session, template=template, document=document
        )
        county_templates.publish_template_version(session, version=draft, now=now)
        return draft.id

    version_id = make(publish_template)

    def adopt_with_local_change(session):
        period = session.get(Period, 1)
        draft = rulebooks.adopt_template(session, period=period, template_version_id=version_id)
        document = copy.deepcopy(rulebooks.document_of(draft))
        tsec = next(s for s in document["posts"] if s["post"] == "TSEC")
        next(i for i in tsec["indicators"] if i["code"] == "J2")["target"] = 98  # allowed
        rulebooks.import_document(session, period=period, document=document)
        return rulebooks.publish_version(session, version=draft, on=now.date(), now=now).digest

    assert len(make(adopt_with_local_change)) == 64

    def forbidden_change(session):
        period = session.get(Period, 1)
        draft = rulebooks.start_rulebook(session, period=period, reason="村书记目标调整")
        document = copy.deepcopy(rulebooks.document_of(draft))
        vsec = next(s for s in document["posts"] if s["post"] == "VSEC")
        next(i for i in vsec["indicators"] if i["code"] == "W5")["target"] = 2  # not listed
        rulebooks.import_document(session, period=period, document=document)

    with pytest.raises(RulebookError) as caught:
        make(forbidden_change)
    assert [(p.code, p.params["change"]) for p in caught.value.problems] == [
        ("template_change_forbidden", "posts[VSEC].indicators[W5].target")
    ]
