"""The pure rulebook: parsing with paths, the weight rule, canonical form, digest, diff."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessment.core.errors import RulebookError
from assessment.core.rulebook import (
    FORMAT,
    IndicatorKind,
    Label,
    default_document,
    describe_indicator,
    diff_rulebooks,
    find_problems,
    max_points,
    parse_rulebook,
    rules_digest,
    to_plain,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples" / "rulebooks"


def _label(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def valid_document() -> dict[str, Any]:
    """One post, two categories (60 + 40) and one indicator of every kind and method."""
    document = default_document(Label("细则", "Rules"))
    document["posts"] = [
        {
            "post": "VSEC",
            "name": _label("村党组织书记", "Village Party secretary"),
            "categories": [
                {"code": "ji", "name": _label("工作实绩", "Work results"), "weight": 60},
                {"code": "my", "name": _label("群众满意度", "Satisfaction"), "weight": 40},
            ],
            "indicators": [
                {
                    "code": "L1",
                    "name": _label("收入", "Income"),
                    "kind": "quantitative",
                    "category": "ji",
                    "weight": 20,
                    "method": "linear",
                    "baseline": 80,
                    "target": 95,
                },
                {
                    "code": "R1",
                    "name": _label("参保率", "Enrolment"),
                    "kind": "quantitative",
                    "category": "ji",
                    "weight": 10,
                    "method": "ratio",
                    "direction": "lower",
                    "target": 2,
                    "cap": 1.2,
                },
                {
                    "code": "S1",
                    "name": _label("化解率", "Resolution"),
                    "kind": "quantitative",
                    "category": "ji",
                    "weight": 10,
                    "method": "steps",
                    "steps": [
                        {"threshold": 60, "ratio": 0.6},
                        {"threshold": 80, "ratio": 1},
                    ],
                },
                {
                    "code": "B1",
                    "name": _label("村务公开", "Disclosure"),
                    "kind": "quantitative",
                    "category": "ji",
                    "weight": 10,
                    "method": "binary",
                },
                {
                    "code": "Q1",
                    "name": _label("党建", "Party building"),
                    "kind": "qualitative",
                    "category": "ji",
                    "weight": 10,
                },
                {
                    "code": "M1",
                    "name": _label("满意度", "Satisfaction"),
                    "kind": "survey",
                    "category": "my",
                    "weight": 40,
                },
                {
                    "code": "V1",
                    "name": _label("重大安全生产事故", "Major accident"),
                    "kind": "veto",
                    "caps_at": "incompetent",
                },
                {"code": "BN1", "name": _label("表彰", "Award"), "kind": "bonus", "points": 2},
                {
                    "code": "PN1",
                    "name": _label("通报", "Criticism"),
                    "kind": "penalty",
                    "points": 1,
                },
            ],
            "bonus_cap": 5,
            "penalty_cap": 10,
        }
    ]
    return document


def _problems(document: Any, *, partial: bool = False) -> list[tuple[str, str]]:
    return [(p.path, p.code) for p in find_problems(document, partial=partial)]


def _indicator(document: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for i in document["posts"][0]["indicators"] if i["code"] == code)


# ---------------------------------------------------------------------------
# valid documents
# ---------------------------------------------------------------------------


def test_valid_document_parses_with_defaults_filled_in():
    book = parse_rulebook(valid_document())
    vsec = book.indicator_set("VSEC")
    assert [c.code for c in vsec.categories] == ["ji", "my"]
    linear = vsec.indicator("L1")
    assert (linear.direction, linear.cap, linear.baseline, linear.target) == ("higher", 1.0, 80, 95)
    assert vsec.indicator("Q1").rubric == "standard"
    assert vsec.indicator("M1").subject == "cadre"
    assert [i.code for i in vsec.of_kind(IndicatorKind.VETO)] == ["V1"]
    assert book.grading.top_quota == 0.2
    assert book.aggregation.trim_threshold == 5
    assert [lv.value for lv in book.rubric("standard").levels] == [100, 85, 70, 50]
    assert [(g.code, g.minimum) for g in book.grading.grades] == [
        ("excellent", 90),
        ("competent", 70),
        ("basic", 60),
        ("incompetent", 0),
    ]


def test_to_plain_round_trips_and_is_idempotent():
    book = parse_rulebook(valid_document())
    plain = to_plain(book)
    assert parse_rulebook(plain) == book
    assert to_plain(parse_rulebook(plain)) == plain
    assert plain["posts"][0]["indicators"][0]["cap"] == 1  # defaults are written out


@pytest.mark.parametrize("name", ["township", "village"])
def test_example_rulebooks_are_complete(name):
    data = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    book = parse_rulebook(data)
    kinds = {i.kind for s in book.indicator_sets for i in s.indicators}
    # a roll-up reads sub-periods, which a stand-alone example period has none of
    assert kinds == set(IndicatorKind) - {IndicatorKind.ROLLUP}
    methods = {i.method for s in book.indicator_sets for i in s.indicators if i.method}
    assert methods == {"linear", "ratio", "steps", "binary"}


def test_post_sort_key_follows_the_document_and_puts_unknown_posts_last():
    township = parse_rulebook(yaml.safe_load((EXAMPLES / "township.yaml").read_text("utf-8")))
    # The example lists the Party secretary, the township head, then station chiefs.
    codes = ["STATION", "ZZZ", "THEAD", "AAA", "TSEC"]
    assert sorted(codes, key=township.post_sort_key) == [
        *township.post_codes,
        "AAA",
        "ZZZ",
    ]
    assert township.post_codes == ("TSEC", "THEAD", "STATION")


def test_examples_cover_the_demo_posts_and_weigh_work_results_most():
    township = parse_rulebook(yaml.safe_load((EXAMPLES / "township.yaml").read_text("utf-8")))
    village = parse_rulebook(yaml.safe_load((EXAMPLES / "village.yaml").read_text("utf-8")))
    assert set(township.post_codes) == {"TSEC", "THEAD", "STATION"}
    assert set(village.post_codes) == {"VSEC", "VDIR", "GRID"}
    for indicator_set in township.indicator_sets:
        names = [c.name.zh for c in indicator_set.categories]
        assert names == ["德", "能", "勤", "绩", "廉"]
        weights = {c.name.zh: c.weight for c in indicator_set.categories}
        assert max(weights, key=weights.__getitem__) == "绩"
    for indicator_set in village.indicator_sets:
        assert indicator_set.of_kind("survey")
        assert indicator_set.bonus_cap is not None and indicator_set.penalty_cap is not None
        assert "重大安全生产事故" in {v.name.zh for v in indicator_set.of_kind("veto")}


# ---------------------------------------------------------------------------
# every rule, reported at its path
# ---------------------------------------------------------------------------


def _mutate(change):
    document = valid_document()
    change(document)
    return document


CASES = [
    (
        "target equals baseline",
        lambda d: _indicator(d, "L1").update(target=80),
        ("posts[0].indicators[0].target", "target_equals_baseline"),
    ),
    (
        "target below baseline when higher is better",
        lambda d: _indicator(d, "L1").update(target=70),
        ("posts[0].indicators[0].target", "target_wrong_side"),
    ),
    (
        "ratio target not positive",
        lambda d: _indicator(d, "R1").update(target=0),
        ("posts[0].indicators[1].target", "not_positive"),
    ),
    (
        "steps not strictly ordered",
        lambda d: _indicator(d, "S1").update(
            steps=[{"threshold": 80, "ratio": 0.6}, {"threshold": 80, "ratio": 1}]
        ),
        ("posts[0].indicators[2].steps[1].threshold", "steps_not_ordered"),
    ),
    (
        "steps ordered the wrong way for lower is better",
        lambda d: _indicator(d, "S1").update(direction="lower"),
        ("posts[0].indicators[2].steps[1].threshold", "steps_not_ordered"),
    ),
    (
        "harder step with a lower ratio",
        lambda d: _indicator(d, "S1").update(
            steps=[{"threshold": 60, "ratio": 1}, {"threshold": 80, "ratio": 0.5}]
        ),
        ("posts[0].indicators[2].steps[1].ratio", "step_ratio_decreasing"),
    ),
    (
        "step ratio above the cap",
        lambda d: _indicator(d, "S1")["steps"][1].update(ratio=1.5),
        ("posts[0].indicators[2].steps[1].ratio", "out_of_range"),
    ),
    (
        "empty steps",
        lambda d: _indicator(d, "S1").update(steps=[]),
        ("posts[0].indicators[2].steps", "empty"),
    ),
    (
        "a value the method does not use",
        lambda d: _indicator(d, "R1").update(baseline=3),
        ("posts[0].indicators[1].baseline", "not_used_by_method"),
    ),
    (
        "a value the method needs",
        lambda d: _indicator(d, "L1").pop("baseline"),
        ("posts[0].indicators[0].baseline", "missing_for_method"),
    ),
    (
        "cap not positive",
        lambda d: _indicator(d, "L1").update(cap=0),
        ("posts[0].indicators[0].cap", "not_positive"),
    ),
    (
        "unknown method",
        lambda d: _indicator(d, "L1").update(method="log"),
        ("posts[0].indicators[0].method", "unknown_choice"),
    ),
    (
        "a boolean is not a number",
        lambda d: _indicator(d, "L1").update(weight=True),
        ("posts[0].indicators[0].weight", "not_a_number"),
    ),
    (
        "quota zero",
        lambda d: d["grading"].update(top_quota=0),
        ("grading.top_quota", "quota_out_of_range"),
    ),
    (
        "quota above one",
        lambda d: d["grading"].update(top_quota=1.5),
        ("grading.top_quota", "quota_out_of_range"),
    ),
    (
        "unknown tie rule",
        lambda d: d["grading"].update(tie_rule="keep_all"),
        ("grading.tie_rule", "unknown_choice"),
    ),
    (
        "grades not ordered",
        lambda d: d["grading"]["grades"][1].update(min=95),
        ("grading.grades[1].min", "grades_not_ordered"),
    ),
    (
        "last grade minimum not zero",
        lambda d: d["grading"]["grades"][3].update(min=10),
        ("grading.grades[3].min", "last_grade_minimum"),
    ),
    (
        "category weights do not sum to 100",
        lambda d: d["posts"][0]["categories"][1].update(weight=30),
        ("posts[0].categories", "category_weights_sum"),
    ),
    (
        "indicator weights do not sum to the category weight",
        lambda d: _indicator(d, "L1").update(weight=25),
        ("posts[0].categories[0].weight", "indicator_weights_sum"),
    ),
    (
        "unknown category",
        lambda d: _indicator(d, "Q1").update(category="xx"),
        ("posts[0].indicators[4].category", "unknown_category"),
    ),
    (
        "unknown rubric",
        lambda d: _indicator(d, "Q1").update(rubric="nope"),
        ("posts[0].indicators[4].rubric", "unknown_rubric"),
    ),
    (
        "veto caps at an unknown grade",
        lambda d: _indicator(d, "V1").update(caps_at="bad"),
        ("posts[0].indicators[6].caps_at", "unknown_grade"),
    ),
    (
        "veto caps at the top grade",
        lambda d: _indicator(d, "V1").update(caps_at="excellent"),
        ("posts[0].indicators[6].caps_at", "veto_caps_top_grade"),
    ),
    (
        "bonus items need a cap",
        lambda d: d["posts"][0].pop("bonus_cap"),
        ("posts[0].bonus_cap", "cap_required"),
    ),
    (
        "negative penalty cap",
        lambda d: d["posts"][0].update(penalty_cap=-1),
        ("posts[0].penalty_cap", "out_of_range"),
    ),
    (
        "bonus points not positive",
        lambda d: _indicator(d, "BN1").update(points=0),
        ("posts[0].indicators[7].points", "not_positive"),
    ),
    (
        "duplicate indicator code",
        lambda d: _indicator(d, "R1").update(code="L1"),
        ("posts[0].indicators[1].code", "duplicate_code"),
    ),
    (
        "duplicate post",
        lambda d: d["posts"].append(copy.deepcopy(d["posts"][0])),
        ("posts[1].post", "duplicate_code"),
    ),
    (
        "missing English name",
        lambda d: _indicator(d, "L1")["name"].pop("en"),
        ("posts[0].indicators[0].name.en", "missing"),
    ),
    (
        "empty Chinese name",
        lambda d: _indicator(d, "L1")["name"].update(zh="  "),
        ("posts[0].indicators[0].name.zh", "empty"),
    ),
    (
        "unknown field",
        lambda d: _indicator(d, "L1").update(traget=90),
        ("posts[0].indicators[0].traget", "unknown_field"),
    ),
    (
        "bad code",
        lambda d: _indicator(d, "L1").update(code="a b"),
        ("posts[0].indicators[0].code", "bad_code"),
    ),
    (
        "unknown kind",
        lambda d: _indicator(d, "L1").update(kind="magic"),
        ("posts[0].indicators[0].kind", "unknown_choice"),
    ),
    (
        "rubric levels not ordered",
        lambda d: d["rubrics"][0]["levels"][2].update(value=90),
        ("rubrics[0].levels[2].value", "levels_not_ordered"),
    ),
    (
        "rubric level above 100",
        lambda d: d["rubrics"][0]["levels"][0].update(value=120),
        ("rubrics[0].levels[0].value", "out_of_range"),
    ),
    (
        "trim threshold too small",
        lambda d: d["aggregation"].update(trim_threshold=2),
        ("aggregation.trim_threshold", "out_of_range"),
    ),
    (
        "trim threshold not an integer",
        lambda d: d["aggregation"].update(trim_threshold=4.5),
        ("aggregation.trim_threshold", "not_an_integer"),
    ),
    (
        "wrong format",
        lambda d: d.update(format="something/else"),
        ("format", "unsupported_format"),
    ),
    (
        "category without indicators",
        lambda d: d["posts"][0]["categories"].append(
            {"code": "cx", "name": _label("创新", "Innovation"), "weight": 0.5}
        ),
        ("posts[0].categories[2]", "category_without_indicators"),
    ),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_is_reported_at_its_path(change, expected):
    document = _mutate(change)
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(document)
    assert expected in [(p.path, p.code) for p in caught.value.problems]


def test_quota_of_exactly_one_is_allowed():
    assert (
        parse_rulebook(_mutate(lambda d: d["grading"].update(top_quota=1))).grading.top_quota == 1
    )


def test_lower_is_better_linear_needs_target_below_baseline():
    def change(d):
        _indicator(d, "L1").update(direction="lower", baseline=20, target=5)

    assert parse_rulebook(_mutate(change)).indicator_set("VSEC").indicator("L1").target == 5


def test_every_problem_is_reported_not_just_the_first():
    def change(d):
        _indicator(d, "L1").update(target=80)
        d["grading"]["top_quota"] = 2

    assert {"target_equals_baseline", "quota_out_of_range"} <= {
        code for _, code in _problems(_mutate(change))
    }


def test_partial_skips_only_completeness_rules():
    document = _mutate(lambda d: d["posts"][0]["categories"][1].update(weight=30))
    assert parse_rulebook(document, partial=True).indicator_set("VSEC")
    empty = default_document(Label("a", "b"))
    assert _problems(empty) == [("posts", "empty")]
    assert _problems(empty, partial=True) == []
    broken = _mutate(lambda d: _indicator(d, "L1").update(target=80))
    assert ("posts[0].indicators[0].target", "target_equals_baseline") in _problems(
        broken, partial=True
    )


@pytest.mark.parametrize("value", [None, [], "text", 3])
def test_non_mapping_document_is_refused(value):
    assert _problems(value) == [("", "not_a_mapping")]


def test_problem_carries_the_numbers_the_message_names():
    document = _mutate(lambda d: d["posts"][0]["categories"][1].update(weight=30))
    problem = next(p for p in find_problems(document) if p.code == "category_weights_sum")
    assert dict(problem.params) == {"actual": 90, "expected": 100}


def test_weights_with_decimals_sum_within_tolerance():
    def change(d):
        d["posts"][0]["categories"][0]["weight"] = 60.1
        d["posts"][0]["categories"][1]["weight"] = 39.9
        _indicator(d, "L1")["weight"] = 20.1
        _indicator(d, "M1")["weight"] = 39.9

    assert parse_rulebook(_mutate(change))


# ---------------------------------------------------------------------------
# digest
# ---------------------------------------------------------------------------


def _reverse_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reverse_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reverse_keys(v) for v in value]
    return value


def test_digest_is_stable_under_key_order_and_omitted_defaults():
    document = valid_document()
    digest = rules_digest(parse_rulebook(document))
    assert len(digest) == 64
    assert rules_digest(parse_rulebook(_reverse_keys(document))) == digest
    explicit = copy.deepcopy(document)
    _indicator(explicit, "L1").update(direction="higher", cap=1.0, weight=20.0)
    assert rules_digest(parse_rulebook(explicit)) == digest


def test_digest_changes_with_any_value():
    digest = rules_digest(parse_rulebook(valid_document()))
    changed = _mutate(lambda d: _indicator(d, "L1").update(target=96))
    assert rules_digest(parse_rulebook(changed)) != digest


# ---------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------


def test_diff_names_changed_added_and_removed_by_code():
    old = parse_rulebook(valid_document())

    def change(d):
        _indicator(d, "L1")["target"] = 98
        d["posts"][0]["indicators"] = [i for i in d["posts"][0]["indicators"] if i["code"] != "PN1"]
        d["posts"][0]["indicators"].append(
            {"code": "P2", "name": _label("约谈", "Summoned"), "kind": "penalty", "points": 2}
        )
        d["grading"]["top_quota"] = 0.15

    new = parse_rulebook(_mutate(change))
    changes = {(c.path, c.op): (c.old, c.new) for c in diff_rulebooks(old, new)}
    assert changes[("posts[VSEC].indicators[L1].target", "changed")] == (95, 98)
    assert changes[("grading.top_quota", "changed")] == (0.2, 0.15)
    assert ("posts[VSEC].indicators[PN1]", "removed") in changes
    assert changes[("posts[VSEC].indicators[P2]", "added")][1]["points"] == 2
    assert len(changes) == 4


def test_diff_of_identical_rulebooks_is_empty_and_reorder_is_one_change():
    book = parse_rulebook(valid_document())
    assert diff_rulebooks(book, book) == ()

    def reorder(d):
        d["posts"][0]["indicators"].reverse()

    changes = diff_rulebooks(book, parse_rulebook(_mutate(reorder)))
    assert [(c.path, c.op) for c in changes] == [("posts[VSEC].indicators.order", "changed")]


def test_diff_compares_steps_as_a_whole():
    old = parse_rulebook(valid_document())
    new = parse_rulebook(_mutate(lambda d: _indicator(d, "S1")["steps"][0].update(ratio=0.5)))
    (change,) = diff_rulebooks(old, new)
    assert change.path == "posts[VSEC].indicators[S1].steps"
    assert change.old[0]["ratio"] == 0.6 and change.new[0]["ratio"] == 0.5


# ---------------------------------------------------------------------------
# formula descriptions
# ---------------------------------------------------------------------------


def test_describe_gives_the_numbers_of_each_formula():
    book = parse_rulebook(valid_document())
    vsec = book.indicator_set("VSEC")
    linear = describe_indicator(vsec.indicator("L1"), book, vsec)
    assert (linear.method, linear.direction, linear.baseline, linear.target, linear.cap) == (
        "linear",
        "higher",
        80,
        95,
        1,
    )
    assert linear.max_points == 20
    ratio = describe_indicator(vsec.indicator("R1"), book, vsec)
    assert ratio.max_points == pytest.approx(12)
    assert describe_indicator(vsec.indicator("Q1"), book, vsec).trim_threshold == 5
    assert describe_indicator(vsec.indicator("V1"), book, vsec).caps_at == "incompetent"
    bonus = describe_indicator(vsec.indicator("BN1"), book, vsec)
    assert (bonus.points, bonus.event_cap) == (2, 5)
    assert max_points(vsec.indicator("V1")) == 0


def test_format_constant_is_in_documents():
    assert valid_document()["format"] == FORMAT


# ---------------------------------------------------------------------------
# efficacy and piecewise methods, precision (issue 13)
# ---------------------------------------------------------------------------

EFFICACY = {"method": "efficacy", "unacceptable": 60, "satisfactory": 100}
PIECEWISE = {
    "method": "piecewise",
    "breakpoints": [
        {"actual": 50, "ratio": 0},
        {"actual": 80, "ratio": 0.8},
        {"actual": 100, "ratio": 1},
    ],
}


def _with_method(fields: dict[str, Any], direction: str | None = None) -> dict[str, Any]:
    """The valid document with the binary indicator B1 (index 3) scored another way."""
    document = valid_document()
    indicator = _indicator(document, "B1")
    indicator.update(fields)
    if direction is not None:
        indicator["direction"] = direction
    return document


def test_efficacy_and_piecewise_parse_and_round_trip():
    for fields in (EFFICACY, {**EFFICACY, "floor": 0.4, "cap": 1.2}, PIECEWISE):
        book = parse_rulebook(_with_method(fields))
        indicator = book.indicator_set("VSEC").indicator("B1")
        assert indicator.method == fields["method"]
        assert parse_rulebook(to_plain(book)) == book
    efficacy = parse_rulebook(_with_method(EFFICACY)).indicator_set("VSEC").indicator("B1")
    assert (efficacy.unacceptable, efficacy.satisfactory, efficacy.floor) == (60, 100, 0)
    assert to_plain(parse_rulebook(_with_method(EFFICACY)))["posts"][0]["indicators"][3][
        "floor"
    ] == (0)
    piecewise = parse_rulebook(_with_method(PIECEWISE)).indicator_set("VSEC").indicator("B1")
    assert [(p.actual, p.ratio) for p in piecewise.breakpoints] == [(50, 0), (80, 0.8), (100, 1)]


METHOD_CASES = [
    (
        "unacceptable equals satisfactory",
        {**EFFICACY, "satisfactory": 60},
        None,
        ("posts[0].indicators[3].satisfactory", "satisfactory_equals_unacceptable"),
    ),
    (
        "satisfactory below unacceptable when higher is better",
        {**EFFICACY, "satisfactory": 50},
        None,
        ("posts[0].indicators[3].satisfactory", "satisfactory_wrong_side"),
    ),
    (
        "satisfactory above unacceptable when lower is better",
        EFFICACY,
        "lower",
        ("posts[0].indicators[3].satisfactory", "satisfactory_wrong_side"),
    ),
    (
        "efficacy without its satisfactory value",
        {"method": "efficacy", "unacceptable": 60},
        None,
        ("posts[0].indicators[3].satisfactory", "missing_for_method"),
    ),
    (
        "floor not below the cap",
        {**EFFICACY, "floor": 1},
        None,
        ("posts[0].indicators[3].floor", "floor_not_below_cap"),
    ),
    (
        "floor on another method",
        {"method": "binary", "floor": 0.5},
        None,
        ("posts[0].indicators[3].floor", "not_used_by_method"),
    ),
    (
        "one breakpoint",
        {"method": "piecewise", "breakpoints": [{"actual": 50, "ratio": 0}]},
        None,
        ("posts[0].indicators[3].breakpoints", "too_few_breakpoints"),
    ),
    (
        "no breakpoints",
        {"method": "piecewise", "breakpoints": []},
        None,
        ("posts[0].indicators[3].breakpoints", "too_few_breakpoints"),
    ),
    (
        "unordered breakpoints",
        {
            "method": "piecewise",
            "breakpoints": [{"actual": 80, "ratio": 0.5}, {"actual": 50, "ratio": 1}],
        },
        None,
        ("posts[0].indicators[3].breakpoints[1].actual", "breakpoints_not_ordered"),
    ),
    (
        "breakpoints ordered the wrong way for lower is better",
        PIECEWISE,
        "lower",
        ("posts[0].indicators[3].breakpoints[1].actual", "breakpoints_not_ordered"),
    ),
    (
        "a better breakpoint with a lower ratio",
        {
            "method": "piecewise",
            "breakpoints": [{"actual": 50, "ratio": 0.9}, {"actual": 80, "ratio": 0.5}],
        },
        None,
        ("posts[0].indicators[3].breakpoints[1].ratio", "breakpoint_ratio_decreasing"),
    ),
    (
        "a breakpoint ratio above the cap",
        {
            "method": "piecewise",
            "breakpoints": [{"actual": 50, "ratio": 0}, {"actual": 80, "ratio": 1.5}],
        },
        None,
        ("posts[0].indicators[3].breakpoints[1].ratio", "out_of_range"),
    ),
]


@pytest.mark.parametrize(
    ("fields", "direction", "expected"),
    [c[1:] for c in METHOD_CASES],
    ids=[c[0] for c in METHOD_CASES],
)
def test_bad_efficacy_and_piecewise_definitions_name_the_field(fields, direction, expected):
    document = _with_method(fields, direction)
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(document)
    assert expected in [(p.path, p.code) for p in caught.value.problems]


def test_precision_is_optional_and_written_only_when_not_the_default():
    document = valid_document()
    book = parse_rulebook(document)
    assert (book.precision.places, book.precision.rounding) == (2, "half_up")
    assert "precision" not in to_plain(book)
    # the default written out gives the same rules (and digest) as leaving it out
    explicit = {**document, "precision": {"places": 2, "rounding": "half_up"}}
    assert rules_digest(parse_rulebook(explicit)) == rules_digest(book)
    one = parse_rulebook({**document, "precision": {"places": 1, "rounding": "half_even"}})
    assert (one.precision.places, one.precision.rounding) == (1, "half_even")
    assert to_plain(one)["precision"] == {"places": 1, "rounding": "half_even"}
    assert rules_digest(one) != rules_digest(book)


@pytest.mark.parametrize(
    ("precision", "expected"),
    [
        ({"places": 5}, ("precision.places", "out_of_range")),
        ({"places": 1.5}, ("precision.places", "not_an_integer")),
        ({"rounding": "down"}, ("precision.rounding", "unknown_choice")),
        ({"digits": 2}, ("precision.digits", "unknown_field")),
    ],
)
def test_bad_precision_names_the_field(precision, expected):
    assert expected in _problems({**valid_document(), "precision": precision})


def test_rule_boundaries_may_not_have_more_decimals_than_published():
    # a grade line, a cap or points per event that no published total can equal
    document = valid_document()
    document["grading"]["grades"][0]["min"] = 89.995
    document["posts"][0]["bonus_cap"] = 2.125
    _indicator(document, "BN1")["points"] = 0.125
    problems = _problems(document)
    assert ("grading.grades[0].min", "more_decimals_than_precision") in problems
    assert ("posts[0].bonus_cap", "more_decimals_than_precision") in problems
    assert ("posts[0].indicators[7].points", "more_decimals_than_precision") in problems
    # with three decimals declared they are fine
    assert _problems({**document, "precision": {"places": 3}}) == []
