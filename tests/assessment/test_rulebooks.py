"""Rulebook editor, YAML import/export, publication, versions and the public rules page."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from flask import render_template_string
from flask_babel import force_locale

from assessment.core.rulebook import describe_indicator, parse_rulebook, rules_digest
from assessment.models import AuditEntry, Period, Post, RulebookVersion
from assessment.services import org, periods, rulebooks
from assessment.services.rulebook_io import load_rulebook_yaml

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "rulebooks"
TOWNSHIP_YAML = (EXAMPLES / "township.yaml").read_text(encoding="utf-8")
VILLAGE_YAML = (EXAMPLES / "village.yaml").read_text(encoding="utf-8")
BASE = "/admin/periods/1/rulebook"
FROZEN = "can no longer be changed"


@pytest.fixture
def app_config(app_config):
    """English pages, so that the assertions do not depend on the Chinese catalogue."""
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _text(response):
    return response.get_data(as_text=True)


def _versions(db, period_id=1):
    return rulebooks.list_versions(db.session, period_id)


def _document(db, period_id=1):
    draft = rulebooks.find_draft(db.session, period_id)
    return rulebooks.document_of(draft)


def _retire_posts_except(db, make, codes):
    """Leave only the posts of one example held in the scope (the others are retired)."""
    posts = db.session.scalars(sa.select(Post).where(Post.code.not_in(codes))).all()
    make(lambda s: [org.retire_post(s, p, date(2025, 1, 1)) for p in posts])


def _publish_example(client, auth, db, make, text, codes):
    _retire_posts_except(db, make, codes)
    auth.login("admin")
    response = client.post(f"{BASE}/import", data={"text": text}, follow_redirects=True)
    assert "Imported into draft version 1" in _text(response)
    response = client.post(f"{BASE}/publish", data={"understood": "y"}, follow_redirects=True)
    assert "is published and frozen" in _text(response)
    return response


@pytest.fixture
def published(client, auth, db, demo, make):
    """Period 1 with the township example published as version 1."""
    return _publish_example(client, auth, db, make, TOWNSHIP_YAML, {"TSEC", "THEAD", "STATION"})


# ---------------------------------------------------------------------------
# access
# ---------------------------------------------------------------------------


def test_editor_needs_login_and_a_team_role(client, auth, demo):
    assert client.get(f"{BASE}/").status_code == 302
    auth.login("clerk")
    assert client.get(f"{BASE}/").status_code == 200
    assert client.post(f"{BASE}/start").status_code == 403
    assert client.get(f"{BASE}/settings").status_code == 403


# ---------------------------------------------------------------------------
# editor
# ---------------------------------------------------------------------------


def test_editor_happy_path_builds_an_indicator_set(client, auth, db, demo):
    auth.login("assessor1")
    response = client.post(f"{BASE}/start", follow_redirects=True)
    assert "Draft version 1 started." in _text(response)

    response = client.post(
        f"{BASE}/posts/new",
        data={"post": "VSEC", "bonus_cap": "5", "penalty_cap": "10"},
        follow_redirects=True,
    )
    assert "Indicator set of VSEC saved." in _text(response)
    for code, zh, en, weight in [
        ("ji", "工作实绩", "Work results", 70),
        ("my", "满意度", "Satisfaction", 30),
    ]:
        response = client.post(
            f"{BASE}/posts/VSEC/categories/new",
            data={"code": code, "name_zh": zh, "name_en": en, "weight": weight},
            follow_redirects=True,
        )
        assert f"Category {code} saved." in _text(response)

    indicators = [
        {
            "code": "L1",
            "kind": "quantitative",
            "category": "ji",
            "weight": "20",
            "method": "linear",
            "direction": "higher",
            "baseline": "80",
            "target": "95",
            "cap": "1",
        },
        {
            "code": "R1",
            "kind": "quantitative",
            "category": "ji",
            "weight": "10",
            "method": "ratio",
            "direction": "lower",
            "target": "2",
            "cap": "1.2",
        },
        {
            "code": "S1",
            "kind": "quantitative",
            "category": "ji",
            "weight": "10",
            "method": "steps",
            "direction": "higher",
            "steps": "60:0.6; 80:0.8; 95:1",
            "cap": "1",
        },
        {
            "code": "B1",
            "kind": "quantitative",
            "category": "ji",
            "weight": "10",
            "method": "binary",
            "direction": "higher",
            "cap": "1",
        },
        {
            "code": "Q1",
            "kind": "qualitative",
            "category": "ji",
            "weight": "20",
            "rubric": "standard",
        },
        {"code": "M1", "kind": "survey", "category": "my", "weight": "30", "subject": "cadre"},
        {"code": "V1", "kind": "veto", "caps_at": "incompetent"},
        {"code": "BN1", "kind": "bonus", "points": "2"},
        {"code": "PN1", "kind": "penalty", "points": "1"},
    ]
    for data in indicators:
        form = {"name_zh": "指标" + data["code"], "name_en": "Indicator " + data["code"], **data}
        response = client.post(
            f"{BASE}/posts/VSEC/indicators/new", data=form, follow_redirects=True
        )
        assert f"Indicator {data['code']} saved." in _text(response), _text(response)

    response = client.post(
        f"{BASE}/rubrics/new",
        data={
            "code": "innovation",
            "name_zh": "创新",
            "name_en": "Innovation",
            "levels-0-code": "A",
            "levels-0-name_zh": "突出",
            "levels-0-name_en": "Outstanding",
            "levels-0-value": "100",
            "levels-1-code": "B",
            "levels-1-name_zh": "一般",
            "levels-1-name_en": "Some",
            "levels-1-value": "60",
            "levels-1-description_zh": "有创新",
            "levels-1-description_en": "Some",
        },
        follow_redirects=True,
    )
    assert "Rubric innovation saved." in _text(response)

    settings = {
        "title_zh": "细则",
        "title_en": "Rules",
        "top_quota": "0.15",
        "trim_threshold": "6",
        "post_stratification": "y",
    }
    for index, (code, zh, en, minimum) in enumerate(
        [
            ("excellent", "优秀", "Excellent", 92),
            ("competent", "称职", "Competent", 70),
            ("basic", "基本称职", "Basic", 60),
            ("incompetent", "不称职", "Incompetent", 0),
        ]
    ):
        settings.update(
            {
                f"grades-{index}-code": code,
                f"grades-{index}-name_zh": zh,
                f"grades-{index}-name_en": en,
                f"grades-{index}-minimum": minimum,
            }
        )
    response = client.post(f"{BASE}/settings", data=settings, follow_redirects=True)
    assert "Settings saved." in _text(response)

    document = _document(db)
    vsec = document["posts"][0]
    assert [i["code"] for i in vsec["indicators"]] == [d["code"] for d in indicators]
    assert vsec["indicators"][2]["steps"] == [
        {"threshold": 60, "ratio": 0.6},
        {"threshold": 80, "ratio": 0.8},
        {"threshold": 95, "ratio": 1},
    ]
    assert "baseline" not in vsec["indicators"][1]
    assert document["grading"]["top_quota"] == 0.15
    assert document["grading"]["grades"][0]["min"] == 92
    assert document["aggregation"] == {"trim_threshold": 6, "post_stratification": True}
    assert document["rubrics"][1]["levels"][1]["description"]["zh"] == "有创新"

    # the set is complete; what stops publication is the posts still without a set
    page = _text(client.get(f"{BASE}/"))
    assert "Post VDIR (村委会主任) is held in this period" in page
    assert "category weights" not in page

    # edit and delete
    response = client.post(
        f"{BASE}/posts/VSEC/indicators/L1/edit",
        data={
            "code": "L1",
            "name_zh": "收入",
            "name_en": "Income",
            "kind": "quantitative",
            "category": "ji",
            "weight": "20",
            "method": "linear",
            "direction": "higher",
            "baseline": "80",
            "target": "90",
            "cap": "1",
        },
        follow_redirects=True,
    )
    assert "Indicator L1 saved." in _text(response)
    assert _document(db)["posts"][0]["indicators"][0]["target"] == 90
    response = client.post(f"{BASE}/posts/VSEC/indicators/PN1/delete", follow_redirects=True)
    assert "Indicator PN1 deleted." in _text(response)
    response = client.post(f"{BASE}/posts/VSEC/categories/my/delete", follow_redirects=True)
    assert "still belong to this category" in _text(response)


def _start_with_set(client, auth):
    auth.login("admin")
    client.post(f"{BASE}/start")
    client.post(f"{BASE}/posts/new", data={"post": "TSEC", "bonus_cap": "3"})
    client.post(
        f"{BASE}/posts/TSEC/categories/new",
        data={"code": "ji", "name_zh": "绩", "name_en": "Results", "weight": "60"},
    )


INDICATOR_ERRORS = [
    (
        {"method": "linear", "baseline": "80", "target": "80"},
        "The target must differ from the baseline (both are 80)",
    ),
    (
        {"method": "linear", "baseline": "80", "target": "70"},
        "the target must lie beyond the baseline",
    ),
    (
        {"method": "steps", "steps": "80:0.5; 60:1"},
        "Steps must be strictly ordered from the easiest threshold to the hardest",
    ),
    ({"method": "steps", "steps": "eighty"}, "Write steps as threshold:ratio pairs"),
    ({"method": "ratio", "target": "0"}, "Must be greater than 0"),
    ({"method": "linear", "target": "90"}, "The linear method needs this value."),
    ({"category": "", "method": "binary"}, "This field is required."),
    (
        {"method": "efficacy", "unacceptable": "60", "satisfactory": "60"},
        "The satisfactory value must differ from the unacceptable value (both are 60)",
    ),
    (
        {"method": "efficacy", "unacceptable": "60", "satisfactory": "50"},
        "the satisfactory value must lie beyond the unacceptable value",
    ),
    ({"method": "efficacy", "unacceptable": "60"}, "The efficacy coefficient method needs"),
    (
        {"method": "piecewise", "breakpoints": "60:0.6"},
        "Piecewise linear scoring needs at least 2 breakpoints (got 1).",
    ),
    (
        {"method": "piecewise", "breakpoints": "80:0.6; 60:1"},
        "Breakpoints must be strictly ordered from the worst value to the best",
    ),
    ({"method": "piecewise", "breakpoints": "sixty"}, "Write breakpoints as actual:ratio pairs"),
]


@pytest.mark.parametrize(("fields", "message"), INDICATOR_ERRORS)
def test_indicator_form_shows_each_validation_message(client, auth, db, demo, fields, message):
    _start_with_set(client, auth)
    before = _document(db)
    data = {
        "code": "J1",
        "name_zh": "指标",
        "name_en": "Indicator",
        "kind": "quantitative",
        "category": "ji",
        "weight": "60",
        "direction": "higher",
        "cap": "1",
        **fields,
    }
    response = client.post(f"{BASE}/posts/TSEC/indicators/new", data=data)
    assert response.status_code == 200
    assert message in _text(response)
    assert _document(db) == before


@pytest.mark.parametrize(
    ("fields", "stored", "shown", "words"),
    [
        (
            {"method": "efficacy", "unacceptable": "60", "satisfactory": "100", "floor": "0.2"},
            {"unacceptable": 60, "satisfactory": 100, "floor": 0.2},
            'name="satisfactory" step="any" type="number" value="100"',
            (
                "efficacy coefficient, higher is better: "
                '<code class="formula">score = (60 + 40 × (actual − 60) / (100 − 60)) / 100 × 60'
                "</code>.",
                "功效系数法",
            ),
        ),
        (
            {"method": "piecewise", "breakpoints": "60：0.6；80:0.9; 100:1"},
            {
                "breakpoints": [
                    {"actual": 60, "ratio": 0.6},
                    {"actual": 80, "ratio": 0.9},
                    {"actual": 100, "ratio": 1},
                ]
            },
            'value="60:0.6; 80:0.9; 100:1"',
            ("<code>actual = 80 → r = 0.9</code>", "其中 r 在相邻分段点之间按直线变化"),
        ),
    ],
)
def test_editor_saves_efficacy_and_piecewise_indicators(
    app, client, auth, db, demo, fields, stored, shown, words
):
    _start_with_set(client, auth)
    data = {
        "code": "J1",
        "name_zh": "指标",
        "name_en": "Indicator",
        "kind": "quantitative",
        "category": "ji",
        "weight": "60",
        "direction": "higher",
        "cap": "1",
        **fields,
    }
    response = client.post(f"{BASE}/posts/TSEC/indicators/new", data=data, follow_redirects=True)
    assert "Indicator J1 saved." in _text(response)
    (indicator,) = _document(db)["posts"][0]["indicators"]
    assert {key: indicator[key] for key in stored} == stored
    assert "target" not in indicator and "baseline" not in indicator
    # the form comes back with the values for editing
    page = client.get(f"{BASE}/posts/TSEC/indicators/J1/edit").get_data(as_text=True)
    assert shown in page
    # the rules page phrases the formula in words, in English and in Chinese
    english, chinese = words
    assert english in " ".join(_text(client.get(f"{BASE}/?lang=en")).split())
    document = _document(db)
    with app.test_request_context(), force_locale("zh_CN"):
        book = parse_rulebook(document, partial=True)
        indicator_set = book.indicator_sets[0]
        summary = describe_indicator(indicator_set.indicator("J1"), book, indicator_set)
        text = render_template_string(
            '{% from "public/_formula.html" import formula with context %}{{ formula(s, rb) }}',
            s=summary,
            rb=book,
        )
    assert chinese in " ".join(text.split())


def test_weight_sums_are_listed_before_publication(client, auth, db, demo):
    _start_with_set(client, auth)
    client.post(
        f"{BASE}/posts/TSEC/indicators/new",
        data={
            "code": "J1",
            "name_zh": "指标",
            "name_en": "Indicator",
            "kind": "qualitative",
            "category": "ji",
            "weight": "50",
            "rubric": "standard",
        },
    )
    page = _text(client.get(f"{BASE}/"))
    assert "The category weights add up to 60; they must add up to 100." in page
    assert "The indicators of category Results weigh 50 in total" in page  # named
    assert "posts[0]" not in page  # the place in words (issue 20):
    assert "Post Township Party secretary › Category Results › Weight" in page
    response = client.post(f"{BASE}/publish", data={"understood": "y"}, follow_redirects=True)
    assert "cannot be published yet" in _text(response)
    assert not rulebooks.find_published(db.session, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"top_quota": "0"}, "more than 0 and at most 1 (got 0)"),
        ({"top_quota": "1.5"}, "more than 0 and at most 1 (got 1.5)"),
        ({"trim_threshold": "2"}, "Must be at least 3 (got 2)"),
        ({"grades-1-minimum": "95"}, "95 is not below 90"),
        ({"grades-3-minimum": "5"}, "its minimum must be 0"),
        ({"places": "5"}, "Must be between 0 and 4 (got 5)"),
        (
            {"grades-0-minimum": "89.995"},
            "89.995 has more decimals than the rulebook publishes (2)",
        ),
    ],
)
def test_settings_form_shows_each_validation_message(client, auth, db, demo, change, message):
    auth.login("admin")
    client.post(f"{BASE}/start")
    data = {"title_zh": "细则", "title_en": "Rules", "top_quota": "0.2", "trim_threshold": "5"}
    for index, (code, minimum) in enumerate(
        [("excellent", 90), ("competent", 70), ("basic", 60), ("incompetent", 0)]
    ):
        data.update(
            {
                f"grades-{index}-code": code,
                f"grades-{index}-name_zh": code,
                f"grades-{index}-name_en": code,
                f"grades-{index}-minimum": minimum,
            }
        )
    data.update(change)
    response = client.post(f"{BASE}/settings", data=data)
    assert message in _text(response)
    assert _document(db)["grading"]["top_quota"] == 0.2


def test_settings_declare_the_precision(client, auth, db, demo):
    auth.login("admin")
    client.post(f"{BASE}/start")
    data = {"title_zh": "细则", "title_en": "Rules", "top_quota": "0.2", "trim_threshold": "5"}
    for index, (code, minimum) in enumerate(
        [("excellent", 89.5), ("competent", 70), ("basic", 60), ("incompetent", 0)]
    ):
        data.update(
            {
                f"grades-{index}-code": code,
                f"grades-{index}-name_zh": code,
                f"grades-{index}-name_en": code,
                f"grades-{index}-minimum": minimum,
            }
        )
    response = client.post(
        f"{BASE}/settings", data={**data, "places": "1", "rounding": "half_even"}
    )
    assert response.status_code == 302
    assert _document(db)["precision"] == {"places": 1, "rounding": "half_even"}
    page = " ".join(_text(client.get(f"{BASE}/")).split())
    assert "has 1 decimal; a value exactly half-way goes to the even last digit" in page
    assert "281.25 becomes 281.2" in page
    # back to the default: the document says nothing (and keeps its digest)
    client.post(f"{BASE}/settings", data={**data, "places": "2", "rounding": "half_up"})
    assert "precision" not in _document(db)


def test_veto_bonus_cap_and_rubric_messages(client, auth, db, demo):
    _start_with_set(client, auth)
    client.post(f"{BASE}/posts/TSEC/edit", data={"post": "TSEC"})  # drop the bonus cap
    response = client.post(
        f"{BASE}/posts/TSEC/indicators/new",
        data={"code": "B1", "name_zh": "表彰", "name_en": "Award", "kind": "bonus", "points": "1"},
    )
    assert "so it needs a cap on their sum" in _text(response)
    response = client.post(
        f"{BASE}/rubrics/new",
        data={
            "code": "r2",
            "name_zh": "档",
            "name_en": "Levels",
            "levels-0-code": "A",
            "levels-0-name_zh": "好",
            "levels-0-name_en": "Good",
            "levels-0-value": "50",
            "levels-1-code": "B",
            "levels-1-name_zh": "差",
            "levels-1-name_en": "Bad",
            "levels-1-value": "80",
        },
    )
    assert "Levels go from best to worst with falling values" in _text(response)


# ---------------------------------------------------------------------------
# publication and lifecycle
# ---------------------------------------------------------------------------


def test_period_cannot_leave_draft_without_a_published_rulebook(client, auth, db, demo):
    auth.login("admin")
    response = client.post(
        "/admin/periods/1/transition",
        data={"target": "rules_published", "understood": "y"},
        follow_redirects=True,
    )
    assert "Publish the rulebook first" in _text(response)
    assert db.session.get(Period, 1).status == "draft"


@pytest.mark.parametrize(
    ("text", "codes"),
    [(TOWNSHIP_YAML, {"TSEC", "THEAD", "STATION"}), (VILLAGE_YAML, {"VSEC", "VDIR", "GRID"})],
    ids=["township", "village"],
)
def test_each_example_imports_and_publishes(client, auth, db, demo, make, text, codes):
    _publish_example(client, auth, db, make, text, codes)
    version = rulebooks.find_published(db.session, 1)
    assert version.number == 1
    assert version.digest == hashlib.sha256(version.document.encode()).hexdigest()
    assert set(rulebooks.rulebook_of(version).post_codes) == codes
    assert db.session.get(Period, 1).status == "rules_published"


def test_publication_needs_every_post_held_in_scope(client, auth, db, demo):
    auth.login("admin")
    client.post(f"{BASE}/import", data={"text": TOWNSHIP_YAML})
    response = client.post(f"{BASE}/publish", data={"understood": "y"}, follow_redirects=True)
    page = _text(response)
    for code in ("VSEC", "VDIR", "GRID"):
        assert f"Post {code}" in page
    assert rulebooks.find_published(db.session, 1) is None
    assert db.session.get(Period, 1).status == "draft"


EDITING_ROUTES = [
    ("post", "/settings"),
    ("get", "/settings"),
    ("post", "/posts/new"),
    ("post", "/posts/TSEC/edit"),
    ("post", "/posts/TSEC/delete"),
    ("post", "/posts/TSEC/categories/new"),
    ("post", "/posts/TSEC/categories/ji/edit"),
    ("post", "/posts/TSEC/categories/ji/delete"),
    ("post", "/posts/TSEC/indicators/new"),
    ("get", "/posts/TSEC/indicators/J2/edit"),
    ("post", "/posts/TSEC/indicators/J2/edit"),
    ("post", "/posts/TSEC/indicators/J2/delete"),
    ("post", "/rubrics/new"),
    ("post", "/rubrics/standard/edit"),
    ("post", "/rubrics/standard/delete"),
    ("post", "/publish"),
    ("post", "/discard"),
]


@pytest.mark.parametrize(("method", "path"), EDITING_ROUTES)
def test_every_editing_route_refuses_after_publication(client, db, published, method, path):
    version = rulebooks.find_published(db.session, 1)
    before = (version.document, version.digest, version.status)
    response = getattr(client, method)(
        BASE + path, data={"code": "X", "weight": "1", "top_quota": "0.5"}, follow_redirects=True
    )
    page = _text(response)
    assert "Version 1 of the rulebook is published and " + FROZEN in page
    assert "start a new version and write down the reason" in page
    db.session.expire_all()
    version = rulebooks.find_published(db.session, 1)
    assert (version.document, version.digest, version.status) == before
    assert len(_versions(db)) == 1


def test_import_after_publication_needs_a_reason_and_makes_a_new_version(client, db, published):
    response = client.post(f"{BASE}/import", data={"text": TOWNSHIP_YAML}, follow_redirects=True)
    assert "write down why a new version is needed" in _text(response)
    assert len(_versions(db)) == 1


def test_new_version_with_reason_keeps_the_old_one_readable(client, db, published):
    response = client.post(f"{BASE}/start", data={"reason": ""}, follow_redirects=True)
    assert "write down why a new version is needed" in _text(response)
    response = client.post(
        f"{BASE}/start", data={"reason": "县考核办调整垃圾处理目标"}, follow_redirects=True
    )
    assert "Draft version 2 started." in _text(response)
    response = client.post(
        f"{BASE}/posts/TSEC/indicators/J2/edit",
        data={
            "code": "J2",
            "name_zh": "农村生活垃圾收运处置率",
            "name_en": "Waste collection",
            "kind": "quantitative",
            "category": "ji",
            "weight": "10",
            "method": "linear",
            "direction": "higher",
            "baseline": "80",
            "target": "98",
            "cap": "1",
            "unit_zh": "%",
            "unit_en": "%",
        },
        follow_redirects=True,
    )
    assert "Indicator J2 saved." in _text(response)
    response = client.post(f"{BASE}/publish", data={"understood": "y"}, follow_redirects=True)
    assert "Version 2 is published" in _text(response)

    v1, v2 = _versions(db)
    assert v1.is_published and v2.is_published and v1.digest != v2.digest
    assert v2.reason == "县考核办调整垃圾处理目标"
    client.post("/logout")
    current = _text(client.get("/p/periods/1/rules"))
    assert v2.digest in current and "(95 − 80)" not in current and "(98 − 80)" in current
    old = _text(client.get("/p/periods/1/rules/v/1"))
    assert v1.digest in old and "(95 − 80)" in old
    assert "This is an older version" in old

    diff = client.get("/p/periods/1/rules/diff?from=1&to=2")
    assert diff.status_code == 200
    page = _text(diff)
    assert "posts[TSEC].indicators[J2].target" in page
    assert "<code>95</code>" in page and "<code>98</code>" in page
    assert "posts[TSEC].indicators[J2].name.en" in page
    assert "县考核办调整垃圾处理目标" in page

    # a reason reaches the audit log of the new version
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == "rulebook_version")
    ).all()
    assert any(e.reason == "县考核办调整垃圾处理目标" for e in entries)


def test_staff_diff_page_includes_drafts(client, db, published):
    client.post(f"{BASE}/start", data={"reason": "调整"})
    client.post(f"{BASE}/posts/TSEC/indicators/J5/delete")
    page = _text(client.get(f"{BASE}/diff?from=1&to=2"))
    assert "posts[TSEC].indicators[J5]" in page and "removed" in page


def test_discard_draft(client, db, published):
    client.post(f"{BASE}/start", data={"reason": "试改"})
    response = client.post(f"{BASE}/discard", follow_redirects=True)
    assert "The draft was discarded." in _text(response)
    assert [v.number for v in _versions(db)] == [1]


# ---------------------------------------------------------------------------
# public page
# ---------------------------------------------------------------------------


def test_public_rules_page_is_readable_anonymously(client, db, published):
    client.post("/logout")
    response = client.get("/p/periods/1/rules")
    assert response.status_code == 200
    page = _text(response)
    version = rulebooks.find_published(db.session, 1)
    assert version.digest in page
    assert "linear, higher is better:" in page
    # formulas in words and standard notation (no clamp(...)): the bounds said in words
    assert "clamp" not in page
    assert "score = (actual − 80) / (95 − 80) × 10" in page
    assert "counts as at least 0 and at most 1, so the score is between 0 and 10 points" in page
    assert "score = actual / 100 × 10" in page  # ratio with a cap
    assert "at least 0 and at most 1.1, so the score is between 0 and 11 points" in page
    assert "score = (20 − actual) / (20 − 5) × 6" in page  # lower is better
    # the declared precision, in words
    assert "has 2 decimals, rounded half up (四舍五入: 28.125 becomes 28.13)" in page
    assert "actual ≥ 50 → r = 0.6" in page  # steps
    assert "when met, else 0" in page  # binary
    assert "Each assessor picks a level:" in page and "优 100" in page
    assert "from 5 ratings on" in page
    assert "Top-grade quota" in page and "20%" in page
    assert "cadres tied on every key across the quota boundary all drop" in page
    assert "If triggered, the grade is at most" in page
    assert "at most 3 bonus points in total" in page
    assert "乡镇党委书记" in page and "Township Party secretary" in page
    assert 'href="/admin/' not in page  # no staff navigation on public pages
    assert "/lang/en" in page


def test_public_json_hashes_to_the_digest_and_yaml_downloads(client, db, published):
    client.post("/logout")
    version = rulebooks.find_published(db.session, 1)
    body = client.get("/p/periods/1/rules/v/1.json").get_data()
    assert hashlib.sha256(body).hexdigest() == version.digest
    yaml_text = client.get("/p/periods/1/rules/v/1.yaml").get_data(as_text=True)
    assert version.digest in yaml_text
    assert yaml.safe_load(yaml_text) == json.loads(body)


def test_public_pages_hide_unpublished_rules(client, auth, db, demo):
    auth.login("admin")
    client.post(f"{BASE}/import", data={"text": TOWNSHIP_YAML})
    client.post("/logout")
    assert client.get("/p/periods/1/rules").status_code == 404
    assert client.get("/p/periods/1/rules/v/1.json").status_code == 404
    assert client.get("/p/periods/99/rules").status_code == 404
    assert "No rules have been published yet." in _text(client.get("/p/"))


def test_public_index_lists_published_periods(client, published):
    client.post("/logout")
    assert "2026年度考核" in _text(client.get("/p/"))


# ---------------------------------------------------------------------------
# YAML round trip and bad files
# ---------------------------------------------------------------------------


def test_yaml_export_then_import_gives_the_same_digest(client, auth, db, demo, make):
    auth.login("admin")
    client.post(f"{BASE}/import", data={"text": VILLAGE_YAML})
    first = rulebooks.find_draft(db.session, 1)
    exported = client.get(f"{BASE}/versions/1.yaml")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    make(
        lambda s: periods.create_period(
            s, name="2027年度考核", year=2027, scope_unit=s.get(Period, 1).scope_unit
        )
    )
    response = client.post(
        "/admin/periods/2/rulebook/import",
        data={"text": exported.get_data(as_text=True)},
        follow_redirects=True,
    )
    assert "Imported into draft version 1" in _text(response)
    second = rulebooks.find_draft(db.session, 2)
    assert second.digest == first.digest
    assert second.digest == rules_digest(load_rulebook_yaml(VILLAGE_YAML))
    assert second.document == first.document


def test_yaml_file_upload_is_accepted(client, auth, db, demo):
    from io import BytesIO

    auth.login("admin")
    response = client.post(
        f"{BASE}/import",
        data={"file": (BytesIO(TOWNSHIP_YAML.encode()), "township.yaml")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Imported into draft version 1" in _text(response)


def _bad_township():
    data = yaml.safe_load(TOWNSHIP_YAML)
    indicator = data["posts"][2]["indicators"][4]
    assert indicator["kind"] == "quantitative"
    indicator["method"] = "linear"
    indicator["baseline"] = 100
    indicator["target"] = 100
    indicator.pop("steps", None)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (
            _bad_township(),
            # posts[2].indicators[4].target, in words (issue 20)
            "Post Station chief › Indicator Q1 Attendance rate › Target value",
            "The target must differ from the baseline",
        ),
        ("posts: [", "", "not valid YAML (line"),
        ("title: a\ntitle: b\n", "", "The key title appears twice in one place (line 2)"),
        ("- just\n- a list\n", "", "Expected a set of named fields"),
        (
            TOWNSHIP_YAML.replace("top_quota: 0.2", "top_quota: 0"),
            "Grading › Top-grade quota",
            "more than 0 and at most 1",
        ),
    ],
    ids=["target-equals-baseline", "syntax", "duplicate-key", "not-a-mapping", "quota"],
)
def test_bad_yaml_names_the_path_and_imports_nothing(client, auth, db, demo, text, path, message):
    auth.login("admin")
    response = client.post(f"{BASE}/import", data={"text": text})
    page = _text(response)
    assert "Nothing was imported" in page
    assert message in page
    if path:
        assert f"<td>{path}</td>" in page
    assert "posts[" not in page and "grading." not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RulebookVersion)) == 0


def test_bad_yaml_into_an_existing_draft_leaves_it_unchanged(client, auth, db, demo):
    auth.login("admin")
    client.post(f"{BASE}/import", data={"text": VILLAGE_YAML})
    before = rulebooks.find_draft(db.session, 1).document
    client.post(f"{BASE}/import", data={"text": _bad_township()})
    db.session.expire_all()
    assert rulebooks.find_draft(db.session, 1).document == before


# ---------------------------------------------------------------------------
# plain words in the editor (issue 20)


def test_a_chinese_description_needs_no_english(app, client, auth, demo):
    _start_with_set(client, auth)
    response = client.post(
        f"{BASE}/posts/TSEC/indicators/new",
        data={
            "code": "Q9",
            "name_zh": "工作作风",
            "name_en": "",
            "kind": "qualitative",
            "category": "ji",
            "weight": "10",
            "rubric": "standard",
            "description_zh": "按平时表现评定",
            "description_en": "",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        from assessment.app.db import db

        draft = rulebooks.find_draft(db.session, 1)
        indicator = rulebooks.document_of(draft)["posts"][0]["indicators"][0]
    # the English reader sees the Chinese, as everywhere a label has no English
    assert indicator["name"] == {"zh": "工作作风", "en": "工作作风"}
    assert indicator["description"] == {"zh": "按平时表现评定", "en": "按平时表现评定"}
    # the form shows the English empty again, not a copy of the Chinese
    page = _text(client.get(f"{BASE}/posts/TSEC/indicators/Q9/edit"))
    assert 'name="name_en" type="text" value=""' in page


def test_the_indicator_form_groups_fields_by_kind_and_labels_the_target(client, auth, demo):
    _start_with_set(client, auth)
    page = _text(client.get(f"{BASE}/posts/TSEC/indicators/new"))
    # without JavaScript every kind's fields show, each group under its heading
    for heading in (
        "Weighted indicators (quantitative, qualitative, survey)",
        "Quantitative indicators",
        "Qualitative indicators",
        "Resident satisfaction survey indicators",
        "Veto items",
        "Bonus and penalty items",
    ):
        assert f"<legend>{heading}</legend>" in page
    assert 'data-kinds="bonus penalty"' in page and 'data-methods="steps"' in page
    assert "js/indicator_form.js" in page
    assert '<label for="target">Target value</label>' in page
    client.get("/lang/zh_CN")
    page = _text(client.get(f"{BASE}/posts/TSEC/indicators/new"))
    assert '<label for="target">目标值</label>' in page and "测评对象" not in page
