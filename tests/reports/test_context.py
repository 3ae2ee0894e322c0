"""Report contexts: labels in the locale in force, formulas, charts, code, QR and metadata.

Results come from the real engine on the small rulebook of the engine's tests
(``tests/assessment/core/test_results.py``); contexts are built under
``force_locale`` in an app context, without a database.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from flask import render_template
from flask_babel import force_locale

from assessment.core.records import result_to_plain
from assessment.core.rulebook import Label
from reports.core.codes import make_verification_code, parse_verification_code
from reports.core.layout import scorecard_fields
from reports.render.context import (
    ExclusionCount,
    ReportFacts,
    label,
    notice_context,
    qr_svg,
    scorecard_context,
    software_version,
    summary_context,
)
from tests.assessment.core.test_results import cadre_p, compute, make_rulebook, merge

FACTS = ReportFacts(
    period_id=4,
    period_name="2026年度",
    version_id=12,
    version_number=2,
    rules_digest="a" * 64,
    data_digest="b" * 64,
    generated_at=datetime(2026, 12, 1, 8, 30, tzinfo=UTC),
    base_url="https://kh.example.cn/",
)


@pytest.fixture(scope="module")
def rulebook():
    return make_rulebook()


@pytest.fixture(scope="module")
def raw(rulebook):
    """Three cadres of post P, computed by the engine with 30 resamples."""
    inputs = merge(
        cadre_p("a", q1=95.0, q2=11.0),
        cadre_p("b", q1=70.0, q2=9.0, panel=(85.0, 85.0, 70.0, 70.0, 50.0)),
        cadre_p("c", q1=55.0, q2=6.0, scores=(50.0, 25.0, 50.0, 75.0)),
    )
    return result_to_plain(compute(rulebook, inputs, resamples=30, seed=7))


@pytest.fixture(scope="module")
def result(raw):
    """The same result with cadre ids "1", "2", "3" as the database gives them."""
    mapping = {c["id"]: str(i) for i, c in enumerate(raw["cadres"], start=1)}
    confidence = raw["confidence"]
    return {
        **raw,
        "cadres": [{**c, "id": mapping[c["id"]]} for c in raw["cadres"]],
        "surveys": [
            {**s, "target": mapping[s["target"]]} if s["subject"] == "cadre" else s
            for s in raw["surveys"]
        ],
        "confidence": {
            **confidence,
            "cadres": [{**c, "cadre": mapping[c["cadre"]]} for c in confidence["cadres"]],
        },
    }


def test_label_follows_the_locale(app):
    with app.app_context():
        with force_locale("zh_CN"):
            assert label(Label("称职", "Competent")) == "称职"
        with force_locale("en"):
            assert label(Label("称职", "Competent")) == "Competent"
            assert label({"zh": "称职", "en": ""}) == "称职"  # English missing: Chinese
            assert label(None) == ""


def test_scorecard_context_names_formulas_charts_and_code(app, rulebook, result):
    cadre = result["cadres"][0]
    with app.app_context(), force_locale("en"):
        report = scorecard_context(
            result, rulebook, FACTS, cadre["id"], unit_names={"u1": "竹园村"}
        )
    assert report["cadre"]["unit"] == "竹园村"
    assert report["lang"] == "en"
    assert [r["code"] for r in report["indicators"]] == [i["code"] for i in cadre["indicators"]]
    q1 = report["indicators"][0]
    assert q1["kind"] == "Quantitative" and q1["method"] == "linear"
    # The formula of Q1 (linear, b = 50, t = 100, w = 40) with the actual put in.
    assert q1["expression"].startswith(f"({cadre['indicators'][0]['input']:g} − 50)")
    assert "clamp" not in q1["expression"]
    assert q1["expression"].endswith(f"= {cadre['indicators'][0]['points']:.2f}")
    assert report["total"] == f"{cadre['total']:.2f}"
    assert report["grade"] in {"Excellent", "Competent", "Basically competent", "Incompetent"}
    # Charts: the own band is marked; one category row per category of the cadre.
    histogram = report["charts"]["histogram"]
    assert histogram["total"] == 3 and sum(b["own"] for b in histogram["bars"]) == 1
    assert [r["code"] for r in report["charts"]["categories"]["rows"]] == ["work", "sat", "inno"]
    # Confidence listed in the rulebook's grade order, shares summing to 100%.
    assert [c["grade"] for c in report["confidence"]] == [
        "Excellent",
        "Competent",
        "Basically competent",
        "Incompetent",
    ]
    assert sum(c["p"] for c in report["confidence"]) == pytest.approx(1.0)
    # The code binds the fields; the link goes to the public verify page.
    fields = scorecard_fields(result, cadre["id"], **FACTS.layout_facts)
    assert [(f["key"], f["value"]) for f in report["fields"]] == list(fields)
    assert report["code"] == make_verification_code(
        version_id=12, kind="C", cadre_id=int(cadre["id"]), fields=fields
    )
    assert report["verify_url"] == f"https://kh.example.cn/p/verify/{report['code']}"


def test_scorecard_code_needs_a_numeric_cadre_id(app, rulebook, raw):
    # The engine's ids here are letters; a scorecard's code names the database id.
    with app.app_context(), force_locale("en"), pytest.raises(ValueError):
        scorecard_context(raw, rulebook, FACTS, "a", unit_names={})


def test_metadata_carries_period_version_digests_code_time_and_software(app, rulebook, result):
    with app.app_context(), force_locale("zh_CN"):
        report = scorecard_context(result, rulebook, FACTS, "1", unit_names={})
    parsed = parse_verification_code(report["code"])
    assert (parsed.version_id, parsed.cadre_id) == (12, 1)
    fields = scorecard_fields(result, "1", **FACTS.layout_facts)
    assert report["code"] == make_verification_code(
        version_id=12, kind="C", cadre_id=1, fields=fields
    )
    for part in (
        "period=2026年度",
        "period_id=4",
        "version=2",
        f"rules_digest={'a' * 64}",
        f"data_digest={'b' * 64}",
        f"verification_code={report['code']}",
        "generated=2026-12-01T08:30:00+00:00",
        f"software={software_version()}",
    ):
        assert part in report["keywords"]
    # Shown in the deployment time zone (Asia/Shanghai, UTC+8).
    assert report["generated"] == "2026-12-01 16:30"
    assert report["lang"] == "zh-CN"
    assert report["grade"] in {"优秀", "称职", "基本称职", "不称职"}


def test_summary_context_letters_assessors_and_explains_the_method(app, rulebook, result):
    exclusions = [ExclusionCount("满意度测评", "同一人重复填写", 3)]
    with app.app_context(), force_locale("en"):
        report = summary_context(
            result, rulebook, FACTS, unit_names={"u1": "竹园村"}, exclusions=exclusions
        )
    assert report["n_cadres"] == 3
    assert [g["code"] for g in report["groups"]] == ["P"]
    assert [r["rank"] for r in report["groups"][0]["rows"]] == ["1/3", "2/3", "3/3"]
    assert sum(g["count"] for g in report["grades"]) == 3
    # Assessors a0..a4 appear only as letters.
    assert [a["label"] for a in report["leniency"]] == ["A", "B", "C", "D", "E"]
    assert not any("a0" in str(value) for a in report["leniency"] for value in a.values())
    assert report["exclusions"] == [
        {"survey": "满意度测评", "reason": "同一人重复填写", "count": 3}
    ]
    # Responses are counted once each (the decisions); their left-out ratings per target
    # come from the result's n_excluded, summed over targets.
    assert report["excluded_responses"] == 3
    assert report["excluded_ratings"] == sum(
        int(s.get("n_excluded") or 0) for s in result["surveys"]
    )
    assert report["response_rates"][0]["unit"] == "竹园村"
    method = report["method"]
    assert (method["top_quota"], method["trim_threshold"], method["resamples"]) == ("20%", 5, 30)
    assert [g["minimum"] for g in method["grades"]] == ["90", "70", "60", "0"]
    assert parse_verification_code(report["code"]).kind == "S"


def test_notice_context_groups_rows_and_keeps_the_instructions(app, rulebook, result):
    with app.app_context(), force_locale("zh_CN"):
        report = notice_context(
            result,
            rulebook,
            FACTS,
            unit_names={},
            starts_on=date(2026, 12, 7),
            ends_on=date(2026, 12, 11),
            instructions="电话 12345",
        )
    assert [len(g["rows"]) for g in report["groups"]] == [3]
    assert report["instructions"] == "电话 12345"
    assert report["site"] == "https://kh.example.cn/"
    assert {f["key"]: f["value"] for f in report["fields"]}["ends_on"] == "2026-12-11"


def test_qr_is_inline_svg_with_no_external_reference():
    svg = qr_svg("https://kh.example.cn/p/verify/1-S-ABCDEFGH")
    assert svg.startswith("<svg") and "</svg>" in svg
    assert "data:" not in svg and "href" not in svg


def test_software_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    assert software_version() == f"township-assessment {version('township-assessment')}"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_summary_template_renders_every_optional_section(app, rulebook, result, lang):
    # Sections the demo fixture leaves empty: alpha, missing inputs, exclusions.
    filled = {
        **result,
        "reliability": [
            {
                "survey": "S1",
                "alpha": 0.65,
                "ci_low": 0.5,
                "ci_high": 0.77,
                "n_respondents": 40,
                "k_items": 4,
                "n_dropped": 0,
            },
        ],
        "missing": [
            {
                "kind": "actual",
                "cadre": "2",
                "indicator": "Q1",
                "subject": "",
                "decision": "score_zero_with_reason",
            },
        ],
    }
    exclusions = [ExclusionCount("满意度测评", "同一人重复填写", 3)]
    with app.app_context(), force_locale(lang):
        report = summary_context(filled, rulebook, FACTS, unit_names={}, exclusions=exclusions)
        html = render_template("reports/summary.html", report=report)
    assert "0.50-0.77" in html and "同一人重复填写" in html
    assert "95%" in html  # a literal percent sign survives gettext's % formatting


def test_a_bound_that_counted_is_said_in_the_readers_language(app):
    from assessment.core.explain import IndicatorExplanation
    from assessment.views.messages import explanation_note

    capped = IndicatorExplanation(
        code="L1",
        kind="quantitative",
        category="ji",
        status="scored",
        input=130.0,
        expression="(130 − 50) / (100 − 50) = 1.6 → 1.2 × 20 = 24.00",
        points=24.0,
        n=None,
        bound="cap",
        bound_ratio=1.6,
        bound_value=1.2,
    )
    floored = IndicatorExplanation(
        code="L1",
        kind="quantitative",
        category="ji",
        status="scored",
        input=40.0,
        expression="(40 − 50) / (100 − 50) = −0.2 → 0 × 20 = 0.00",
        points=0.0,
        n=None,
        bound="floor",
        bound_ratio=-0.2,
        bound_value=0.0,
    )
    with app.app_context(), force_locale("en"):
        assert explanation_note(capped) == "the ratio 1.6 is above the cap 1.2, so 1.2 counts"
        assert explanation_note(floored) == (
            "the ratio −0.2 is below the lowest ratio 0, so 0 counts"
        )
        assert explanation_note(dataclasses.replace(capped, bound=None)) == ""
    with app.app_context(), force_locale("zh_Hans_CN"):
        assert explanation_note(capped) == "得分率1.6高于上限1.2，按1.2计"
