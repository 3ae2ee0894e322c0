"""County templates: the adoption section and each difference judged allowed or forbidden.

Every document here is written by hand; each expected verdict follows from the rule in
``assessment.core.templates.judge_change`` and is explained beside it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from assessment.core.errors import RulebookError
from assessment.core.rulebook import Label, default_document, parse_rulebook, to_plain
from assessment.core.templates import (
    Template,
    forbidden,
    parse_template,
    short_value,
    template_differences,
    template_to_plain,
)

DIGEST = "ab" * 32


def _template_document(adoption: dict[str, Any] | None = None) -> dict[str, Any]:
    """Work results 60 (W1 linear 0→100 weighing 40, W2 steps weighing 20), residents 40."""
    document = default_document(Label("某县模板", "County template"))
    document["posts"] = [
        {
            "post": "VSEC",
            "name": {"zh": "村党组织书记", "en": "Village secretary"},
            "categories": [
                {"code": "ji", "name": {"zh": "工作实绩", "en": "Work"}, "weight": 60},
                {"code": "my", "name": {"zh": "群众满意度", "en": "Residents"}, "weight": 40},
            ],
            "indicators": [
                {
                    "code": "W1",
                    "name": {"zh": "任务完成率", "en": "Tasks done"},
                    "kind": "quantitative",
                    "category": "ji",
                    "weight": 40,
                    "method": "linear",
                    "baseline": 0,
                    "target": 100,
                },
                {
                    "code": "W2",
                    "name": {"zh": "项目数", "en": "Projects"},
                    "kind": "quantitative",
                    "category": "ji",
                    "weight": 20,
                    "method": "steps",
                    "steps": [{"threshold": 1, "ratio": 0.5}, {"threshold": 3, "ratio": 1}],
                },
                {
                    "code": "S1",
                    "name": {"zh": "满意度", "en": "Survey"},
                    "kind": "survey",
                    "category": "my",
                    "weight": 40,
                },
            ],
        }
    ]
    document["adoption"] = adoption or {
        "posts": [
            {
                "post": "VSEC",
                "targets": ["W1", "W2"],
                "weights_within": 5,
                "local_indicators": ["ji"],
            }
        ]
    }
    return document


def _adopted(template: Template) -> dict[str, Any]:
    """The adopted document as adoption makes it: the template's rulebook, referenced."""
    document = copy.deepcopy(to_plain(template.rulebook))
    document["template"] = {"unit": "COUNTY", "code": "T1", "version": 1, "digest": DIGEST}
    return document


def _indicator(document: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for i in document["posts"][0]["indicators"] if i["code"] == code)


def _verdicts(template: Template, document: dict[str, Any]) -> list[tuple[str, bool, str]]:
    parse_rulebook(document)  # every adopted document here is itself a valid rulebook
    return [(d.path, d.allowed, d.rule) for d in template_differences(template, document)]


def test_unchanged_adoption_has_no_differences_and_the_reference_is_not_one() -> None:
    template = parse_template(_template_document())
    assert template_differences(template, _adopted(template)) == ()


def test_title_targets_thresholds_weights_and_local_indicators_are_allowed() -> None:
    template = parse_template(_template_document())
    document = _adopted(template)
    document["title"]["zh"] = "青山镇细则"
    _indicator(document, "W1")["target"] = 120
    # thresholds move, ratios stay: 1 → 2 and 3 → 4 keep 0.5 and 1
    _indicator(document, "W2")["steps"] = [
        {"threshold": 2, "ratio": 0.5},
        {"threshold": 4, "ratio": 1},
    ]
    # W1 40 → 36 (|−4| ≤ 5) leaves 4 points of 绩 for the local indicator L1: 36 + 20 + 4 = 60
    _indicator(document, "W1")["weight"] = 36
    document["posts"][0]["indicators"].append(
        {
            "code": "L1",
            "name": {"zh": "乡村旅游", "en": "Rural tourism"},
            "kind": "quantitative",
            "category": "ji",
            "weight": 4,
            "method": "binary",
        }
    )
    verdicts = _verdicts(template, document)
    assert verdicts == [
        ("title.zh", True, "title"),
        ("posts[VSEC].indicators[W1].weight", True, "weights"),
        ("posts[VSEC].indicators[W1].target", True, "targets"),
        ("posts[VSEC].indicators[W2].steps", True, "targets"),
        ("posts[VSEC].indicators[L1]", True, "local_indicator"),
    ]


def test_weight_beyond_the_allowed_points_is_forbidden_with_the_distance() -> None:
    template = parse_template(_template_document())
    document = _adopted(template)
    # W1 40 → 34 and W2 20 → 26: each moved 6 points, one more than the ±5 allowed
    _indicator(document, "W1")["weight"] = 34
    _indicator(document, "W2")["weight"] = 26
    differences = template_differences(template, document)
    assert [(d.path, d.allowed, d.rule) for d in differences] == [
        ("posts[VSEC].indicators[W1].weight", False, "weight_beyond"),
        ("posts[VSEC].indicators[W2].weight", False, "weight_beyond"),
    ]
    assert differences[0].params == {"within": 5.0, "delta": 6.0}
    assert (differences[0].before, differences[0].after) == (40, 34)


def test_fixed_parts_are_forbidden() -> None:
    template = parse_template(_template_document())
    document = _adopted(template)
    document["grading"]["top_quota"] = 0.3
    document["posts"][0]["categories"][0]["weight"] = 50  # category weights are fixed
    document["posts"][0]["categories"][1]["weight"] = 50
    _indicator(document, "S1")["weight"] = 50
    _indicator(document, "W2")["weight"] = 10  # |−10| > 5
    _indicator(document, "W1")["name"]["zh"] = "改名"
    verdicts = _verdicts(template, document)
    assert verdicts == [
        ("grading.top_quota", False, "fixed"),
        ("posts[VSEC].categories[ji].weight", False, "fixed"),
        ("posts[VSEC].categories[my].weight", False, "fixed"),
        ("posts[VSEC].indicators[W1].name.zh", False, "fixed"),
        ("posts[VSEC].indicators[W2].weight", False, "weight_beyond"),
        ("posts[VSEC].indicators[S1].weight", False, "weight_beyond"),
    ]


def test_step_ratios_and_unlisted_targets_are_forbidden() -> None:
    template = parse_template(_template_document({"posts": [{"post": "VSEC", "targets": ["W2"]}]}))
    document = _adopted(template)
    _indicator(document, "W1")["target"] = 90  # W1 is not in targets
    _indicator(document, "W2")["steps"] = [  # a ratio changed, not only a threshold
        {"threshold": 1, "ratio": 0.6},
        {"threshold": 3, "ratio": 1},
    ]
    assert _verdicts(template, document) == [
        ("posts[VSEC].indicators[W1].target", False, "targets_not_open"),
        ("posts[VSEC].indicators[W2].steps", False, "ratios_fixed"),
    ]


def test_without_adoption_rules_weights_local_items_and_removals_are_forbidden() -> None:
    template = parse_template(_template_document({"posts": []}))
    document = _adopted(template)
    _indicator(document, "W1")["weight"] = 38
    _indicator(document, "W2")["weight"] = 22
    document["posts"][0]["bonus_cap"] = 3
    document["posts"][0]["indicators"].append(
        {
            "code": "B1",
            "name": {"zh": "加分", "en": "Bonus"},
            "kind": "bonus",
            "points": 1,
        }
    )
    differences = template_differences(template, document)
    assert [(d.path, d.op, d.allowed, d.rule) for d in differences] == [
        ("posts[VSEC].indicators[W1].weight", "changed", False, "weights_fixed"),
        ("posts[VSEC].indicators[W2].weight", "changed", False, "weights_fixed"),
        ("posts[VSEC].indicators[B1]", "added", False, "bonus_penalty_not_open"),
        ("posts[VSEC].bonus_cap", "added", False, "fixed"),
    ]
    assert len(forbidden(differences)) == 4
    removed = _adopted(template)
    del removed["posts"][0]["indicators"][1]
    del removed["posts"][0]["indicators"][0]["weight"]
    verdicts = [(d.path, d.op, d.rule) for d in template_differences(template, removed)]
    assert verdicts == [
        ("posts[VSEC].indicators[W1].weight", "removed", "fixed"),
        ("posts[VSEC].indicators[W2]", "removed", "fixed"),
    ]


def test_bonus_items_allowed_when_the_template_opens_them() -> None:
    document = _template_document({"posts": [{"post": "VSEC", "bonus_penalty": True}]})
    document["posts"][0]["bonus_cap"] = 3
    template = parse_template(document)
    adopted = _adopted(template)
    adopted["posts"][0]["indicators"].append(
        {"code": "B1", "name": {"zh": "加分", "en": "Bonus"}, "kind": "bonus", "points": 1}
    )
    assert _verdicts(template, adopted) == [("posts[VSEC].indicators[B1]", True, "bonus_penalty")]


def test_local_indicator_in_a_closed_category_is_forbidden() -> None:
    template = parse_template(_template_document())  # only 绩 (ji) is open
    document = _adopted(template)
    _indicator(document, "S1")["weight"] = 35
    document["posts"][0]["indicators"].append(
        {
            "code": "S2",
            "name": {"zh": "本地测评", "en": "Local survey"},
            "kind": "survey",
            "category": "my",
            "weight": 5,
        }
    )
    differences = template_differences(template, document)
    assert [(d.path, d.allowed, d.rule) for d in differences] == [
        ("posts[VSEC].indicators[S1].weight", True, "weights"),
        ("posts[VSEC].indicators[S2]", False, "category_not_open"),
    ]
    assert differences[1].params == {"category": "my"}


def test_adoption_section_problems_are_named_at_their_paths() -> None:
    document = _template_document(
        {
            "posts": [
                {"post": "VSEC", "targets": ["S1", "NOPE"], "local_indicators": ["xx"]},
                {"post": "VSEC", "weights_within": -1, "colour": "red"},
                {"post": "TSEC"},
            ],
            "extra": 1,
        }
    )
    with pytest.raises(RulebookError) as caught:
        parse_template(document)
    found = [(p.path, p.code) for p in caught.value.problems]
    assert found == [
        ("adoption.extra", "unknown_field"),
        ("adoption.posts[0].targets[0]", "not_a_quantitative_indicator"),
        ("adoption.posts[0].targets[1]", "not_a_quantitative_indicator"),
        ("adoption.posts[0].local_indicators[0]", "unknown_category"),
        ("adoption.posts[1].colour", "unknown_field"),
        ("adoption.posts[1].weights_within", "out_of_range"),
        ("adoption.posts[1].post", "duplicate_code"),
        ("adoption.posts[2].post", "unknown_post"),
    ]


def test_template_may_not_name_a_template_and_rulebook_rules_apply() -> None:
    document = _template_document()
    document["template"] = {"unit": "C", "code": "T", "version": 1, "digest": DIGEST}
    document["posts"][0]["categories"][0]["weight"] = 70
    with pytest.raises(RulebookError) as caught:
        parse_template(document)
    codes = {p.code for p in caught.value.problems}
    assert {"template_of_template", "category_weights_sum"} <= codes


def test_canonical_template_round_trips() -> None:
    template = parse_template(_template_document())
    plain = template_to_plain(template)
    assert plain["adoption"] == {
        "posts": [
            {
                "post": "VSEC",
                "targets": ["W1", "W2"],
                "weights_within": 5,
                "local_indicators": ["ji"],
            }
        ]
    }
    assert parse_template(plain) == template


def test_template_reference_is_written_only_when_present() -> None:
    template = parse_template(_template_document())
    plain = to_plain(template.rulebook)
    assert "template" not in plain
    adopted = parse_rulebook(_adopted(template))
    assert adopted.template is not None and adopted.template.digest == DIGEST
    assert to_plain(adopted)["template"]["version"] == 1
    bad = _adopted(template)
    bad["template"]["digest"] = "xyz"
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(bad)
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("template.digest", "not_a_digest")
    ]


def test_short_value() -> None:
    assert short_value([{"threshold": 1, "ratio": 0.5}]) == '[{"ratio":0.5,"threshold":1}]'
    assert short_value(36.0) == "36"
