"""Quota groups the rulebook defines (issue 16): across posts and townships, by unit grade,
with the rounding chosen. Every expected count is worked out by hand in the test."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from assessment.core.errors import RulebookError
from assessment.core.records import (
    ActualInput,
    CadreInput,
    PeriodInputs,
    UnitGradeInput,
    UnitNodeInput,
)
from assessment.core.results import (
    IncompleteInputsError,
    canonical_inputs,
    compute_data_digest,
    compute_period_results,
    find_missing_inputs,
)
from assessment.core.rulebook import (
    Label,
    default_document,
    parse_rulebook,
    rules_digest,
    to_plain,
)
from assessment.core.scoring import GradingCandidate, QuotaRule, assign_grades, quota_count


def _post(code: str) -> dict[str, Any]:
    # one linear indicator, baseline 0, target 100, weight 100: the total is the actual
    return {
        "post": code,
        "name": {"zh": code, "en": code},
        "categories": [{"code": "c", "name": {"zh": "业绩", "en": "Work"}, "weight": 100}],
        "indicators": [
            {
                "code": "Q",
                "name": {"zh": "任务", "en": "Task"},
                "kind": "quantitative",
                "category": "c",
                "weight": 100,
                "method": "linear",
                "baseline": 0,
                "target": 100,
            }
        ],
    }


def document(**grading: Any) -> dict[str, Any]:
    doc = default_document(Label("细则", "Rules"))
    doc["posts"] = [_post("SEC"), _post("HEAD"), _post("STAFF")]
    doc["grading"].update(grading)
    return doc


LEADERS = {
    "code": "leaders",
    "name": {"zh": "乡镇党政正职", "en": "Township leaders"},
    "posts": ["SEC", "HEAD"],
    "top_quota": 0.2,
}

STAFF_BY_GRADE = {
    "code": "staff",
    "name": {"zh": "乡镇干部", "en": "Township staff"},
    "posts": ["STAFF"],
    "by_unit_grade": {
        "unit_kind": "township",
        "shares": {"good": 0.15, "fair": 0.12, "average": 0.10, "poor": 0.08},
    },
}

#: county K -> townships T1..T4 -> a village under T1 (staff may sit in a village)
TREE = (
    UnitNodeInput("K", "county"),
    UnitNodeInput("T1", "township", "K"),
    UnitNodeInput("T2", "township", "K"),
    UnitNodeInput("T3", "township", "K"),
    UnitNodeInput("T4", "township", "K"),
    UnitNodeInput("V1", "village", "T1"),
)


def leaders_inputs(n_townships: int) -> PeriodInputs:
    """A secretary and a head in each township, every one with a top-grade total.

    Secretary of Tk scores 99 - k, head 95 - k (all >= 90, so all earn 优秀)."""
    cadres, actuals = [], []
    for k in range(1, n_townships + 1):
        for post, top in (("SEC", 99), ("HEAD", 95)):
            cid = f"{post}{k}"
            cadres.append(CadreInput(cid, cid, cid, post, f"T{k}"))
            actuals.append(ActualInput(cid, "Q", top - k))
    return PeriodInputs(cadres=tuple(cadres), actuals=tuple(actuals))


def compute(doc: dict[str, Any], inputs: PeriodInputs):
    return compute_period_results(parse_rulebook(doc), inputs, resamples=0)


# ---------------------------------------------------------------------------
# the rounding itself
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "size", "down", "half_up", "up"),
    [
        # 7 × 0.15 = 1.05 -> 1 / 1 / 2
        (0.15, 7, 1, 1, 2),
        # 10 × 0.15 = 1.5 -> 1 / 2 / 2 (exactly one half goes up)
        (0.15, 10, 1, 2, 2),
        # 1 × 0.2 = 0.2 -> 0 / 0 / 1: the lone township secretary
        (0.2, 1, 0, 0, 1),
        # 8 × 0.2 = 1.6 -> 1 / 2 / 2
        (0.2, 8, 1, 2, 2),
        # 100 × 0.29 = 29 exactly (not 28.999... in binary) -> 29 / 29 / 29
        (0.29, 100, 29, 29, 29),
        # 25 × 0.08 = 2 exactly -> 2 / 2 / 2
        (0.08, 25, 2, 2, 2),
    ],
)
def test_quota_count_rounds_down_half_up_and_up(share, size, down, half_up, up):
    assert quota_count(share, size, "down") == down
    assert quota_count(share, size, "half_up") == half_up
    assert quota_count(share, size, "up") == up


def test_assign_grades_uses_each_groups_own_rule():
    # two groups of 7, all 95: group a 15% down -> 1 kept; group b 15% up -> 2 kept
    # (distinct survey indices keep them from tying on every key)
    cands = [
        GradingCandidate(f"{g}{i}", g, 95.0, survey_index=90.0 - i) for g in "ab" for i in range(7)
    ]
    result = assign_grades(
        cands, quotas={"a": QuotaRule(0.15, "down"), "b": QuotaRule(0.15, "up", "b")}
    )
    a, b = result.groups
    assert (a.size, a.allowed, a.kept, a.share, a.rounding) == (7, 1, 1, 0.15, "down")
    assert (b.size, b.allowed, b.kept, b.rounding, b.quota_group) == (7, 2, 2, "up", "b")


# ---------------------------------------------------------------------------
# today's behaviour, and the lone post it cannot serve
# ---------------------------------------------------------------------------


def test_without_groups_a_lone_secretary_never_keeps_the_top_grade():
    # each post graded on its own: SEC has 4 cadres, floor(0.2 × 4) = 0 -> nobody keeps 优秀
    result = compute(document(), leaders_inputs(4))
    by_group = {g.post_group: g for g in result.groups}
    assert (by_group["SEC"].size, by_group["SEC"].allowed, by_group["SEC"].kept) == (4, 0, 0)
    assert (by_group["HEAD"].size, by_group["HEAD"].allowed) == (4, 0)
    assert all(c.grade == "competent" for c in result.cadres)


@pytest.mark.parametrize(
    ("rounding", "allowed"),
    [
        # 8 leaders (4 townships × secretary and head) × 20% = 1.6
        ("down", 1),  # floor(1.6) = 1
        ("half_up", 2),  # floor(1.6 + 0.5) = 2
        ("up", 2),  # ceil(1.6) = 2
    ],
)
def test_cross_township_group_of_secretaries_and_heads(rounding, allowed):
    result = compute(document(quota_groups=[{**LEADERS, "rounding": rounding}]), leaders_inputs(4))
    (group,) = result.groups
    assert (group.post_group, group.quota_group, group.size) == ("leaders", "leaders", 8)
    assert (group.share, group.rounding, group.allowed, group.eligible) == (
        0.2,
        rounding,
        allowed,
        8,
    )
    # ranked across townships and posts: SEC1 98, SEC2 97, SEC3 96, SEC4 95, HEAD1 94, ...
    kept = [c.id for c in sorted(result.cadres, key=lambda c: c.rank) if c.grade == "excellent"]
    assert kept == ["SEC1", "SEC2"][:allowed]
    assert {c.post_group for c in result.cadres} == {"leaders"}
    assert result.cadre("HEAD4").rank == 8


def test_grading_rounding_applies_to_posts_graded_alone():
    # SEC alone, 4 cadres: 4 × 20% = 0.8 -> up gives 1 (SEC1, 98), down gave 0
    result = compute(document(rounding="up"), leaders_inputs(4))
    by_group = {g.post_group: g for g in result.groups}
    assert (by_group["SEC"].allowed, by_group["SEC"].rounding) == (1, "up")
    assert result.cadre("SEC1").grade == "excellent"
    assert result.cadre("SEC2").grade == "competent"


def test_tie_rule_is_unchanged_inside_a_group():
    # 5 leaders all at 95 with no other key: 5 × 20% = 1 allowed, but the first and the
    # second are tied on every key, so the whole tied block of 5 drops (all_tied_drop)
    cadres = tuple(CadreInput(f"c{i}", f"c{i}", f"c{i}", "SEC", f"T{i}") for i in range(1, 6))
    inputs = PeriodInputs(cadres=cadres, actuals=tuple(ActualInput(c.id, "Q", 95) for c in cadres))
    result = compute(document(quota_groups=[LEADERS]), inputs)
    (group,) = result.groups
    assert (group.allowed, group.kept, len(group.tie_dropped)) == (1, 0, 5)


# ---------------------------------------------------------------------------
# by unit grade
# ---------------------------------------------------------------------------


def staff_inputs(grades: dict[str, str]) -> PeriodInputs:
    """Township staff: T1 has 7 (two of them in village V1), T2 has 10, T3 has 13; all 95
    minus their index, so every one earns 优秀 and nobody ties."""
    cadres, actuals = [], []
    for township, size in (("T1", 7), ("T2", 10), ("T3", 13)):
        for i in range(size):
            cid = f"{township}-{i}"
            unit = "V1" if township == "T1" and i >= 5 else township
            cadres.append(CadreInput(cid, cid, cid, "STAFF", unit))
            actuals.append(ActualInput(cid, "Q", 99 - i * 0.5))
    return PeriodInputs(
        cadres=tuple(cadres),
        actuals=tuple(actuals),
        unit_tree=TREE,
        unit_grades=tuple(UnitGradeInput(u, g) for u, g in grades.items()),
    )


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        # T1 good 15% × 7 = 1.05; T2 fair 12% × 10 = 1.2; T3 poor 8% × 13 = 1.04
        ("down", {"T1": 1, "T2": 1, "T3": 1}),
        ("half_up", {"T1": 1, "T2": 1, "T3": 1}),
        ("up", {"T1": 2, "T2": 2, "T3": 2}),
    ],
)
def test_unit_grade_sets_each_townships_share(rounding, expected):
    doc = document(quota_groups=[{**STAFF_BY_GRADE, "rounding": rounding}])
    result = compute(doc, staff_inputs({"T1": "good", "T2": "fair", "T3": "poor"}))
    by_unit = {g.unit: g for g in result.groups}
    assert {u: g.allowed for u, g in by_unit.items()} == expected
    assert (by_unit["T1"].size, by_unit["T1"].share, by_unit["T1"].unit_grade) == (7, 0.15, "good")
    assert (by_unit["T2"].size, by_unit["T2"].share) == (10, 0.12)
    assert (by_unit["T3"].size, by_unit["T3"].share) == (13, 0.08)
    assert by_unit["T1"].post_group == "staff@T1"
    # the village staff of T1 are graded with their township
    assert result.cadre("T1-6").post_group == "staff@T1"
    for unit, group in by_unit.items():
        kept = sorted(
            c.id
            for c in result.cadres
            if c.post_group == group.post_group and c.grade == "excellent"
        )
        # best first: index 0, 1, ... of each township keep it
        assert kept == [f"{unit}-{i}" for i in range(expected[unit])]


def test_half_up_at_exactly_one_half():
    # T2 good 15% × 10 = 1.5: down 1, half up 2
    doc = document(quota_groups=[{**STAFF_BY_GRADE, "rounding": "half_up"}])
    result = compute(doc, staff_inputs({"T1": "good", "T2": "good", "T3": "poor"}))
    assert {g.unit: g.allowed for g in result.groups}["T2"] == 2


def test_a_unit_without_a_grade_is_missing_and_stops_the_computation():
    doc = document(quota_groups=[STAFF_BY_GRADE])
    inputs = staff_inputs({"T1": "good", "T2": "fair"})
    missing = [
        m for m in find_missing_inputs(parse_rulebook(doc), inputs) if m.kind == "unit_grade"
    ]
    assert [(m.cadre, m.indicator, m.subject) for m in missing] == [("", "staff", "T3")]
    with pytest.raises(IncompleteInputsError) as caught:
        compute(doc, inputs)
    assert [m.subject for m in caught.value.missing] == ["T3"]


def test_a_grade_with_no_share_is_missing_too():
    doc = document(quota_groups=[STAFF_BY_GRADE])
    inputs = staff_inputs({"T1": "good", "T2": "fair", "T3": "excellent"})
    with pytest.raises(IncompleteInputsError) as caught:
        compute(doc, inputs)
    assert [(m.kind, m.subject) for m in caught.value.missing] == [("unit_grade", "T3")]


def test_confidence_bootstrap_grades_with_the_same_groups():
    # with every total fixed the bootstrap gives each cadre its grade with probability 1
    doc = document(quota_groups=[{**STAFF_BY_GRADE, "rounding": "up"}])
    result = compute_period_results(
        parse_rulebook(doc), staff_inputs({"T1": "good", "T2": "fair", "T3": "poor"}), resamples=20
    )
    for cadre in result.cadres:
        assert result.confidence.of(cadre.id).probabilities[cadre.grade] == 1.0


# ---------------------------------------------------------------------------
# digests and the canonical forms stay what they were without the new fields
# ---------------------------------------------------------------------------


def test_old_rulebooks_and_inputs_keep_their_digests():
    doc = document()
    plain = to_plain(parse_rulebook(doc))
    assert "rounding" not in plain["grading"] and "quota_groups" not in plain["grading"]
    assert to_plain(parse_rulebook(document(rounding="down"))) == plain
    assert rules_digest(parse_rulebook(document(rounding="down"))) == rules_digest(
        parse_rulebook(doc)
    )
    old = leaders_inputs(2)
    assert "unit_grades" not in canonical_inputs(old) and "unit_tree" not in canonical_inputs(old)
    graded = staff_inputs({"T1": "good"})
    assert canonical_inputs(graded)["unit_grades"] == [{"unit": "T1", "grade": "good"}]
    other = staff_inputs({"T1": "fair"})
    assert compute_data_digest(graded) != compute_data_digest(other)


def test_quota_groups_round_trip_through_the_canonical_form():
    doc = document(rounding="half_up", quota_groups=[LEADERS, STAFF_BY_GRADE])
    rulebook = parse_rulebook(doc)
    plain = to_plain(rulebook)
    assert parse_rulebook(plain) == rulebook
    # a group without its own rounding takes the grading's, written out
    assert [g["rounding"] for g in plain["grading"]["quota_groups"]] == ["half_up", "half_up"]
    assert rulebook.grading.quota_group_of("HEAD").code == "leaders"
    assert rulebook.grading.quota_group_of("STAFF").share_of("poor") == 0.08


# ---------------------------------------------------------------------------
# bad rulebooks, each refused with the field's path
# ---------------------------------------------------------------------------


def _problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(doc)
    return [(p.path, p.code) for p in caught.value.problems]


def _with_group(**change: Any) -> dict[str, Any]:
    group = copy.deepcopy(LEADERS)
    group.update(change)
    return document(quota_groups=[group])


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (document(rounding="sideways"), ("grading.rounding", "unknown_choice")),
        (
            _with_group(posts=["SEC", "MAYOR"]),
            ("grading.quota_groups[0].posts[1]", "unknown_post"),
        ),
        (_with_group(posts=[]), ("grading.quota_groups[0].posts", "empty")),
        (_with_group(top_quota=0), ("grading.quota_groups[0].top_quota", "quota_out_of_range")),
        (_with_group(top_quota=1.5), ("grading.quota_groups[0].top_quota", "quota_out_of_range")),
        (_with_group(rounding="nearest"), ("grading.quota_groups[0].rounding", "unknown_choice")),
        (
            _with_group(by_unit_grade=STAFF_BY_GRADE["by_unit_grade"]),
            ("grading.quota_groups[0]", "quota_group_share"),
        ),
        (
            document(quota_groups=[{k: v for k, v in LEADERS.items() if k != "top_quota"}]),
            ("grading.quota_groups[0]", "quota_group_share"),
        ),
        (
            document(quota_groups=[{k: v for k, v in LEADERS.items() if k != "name"}]),
            ("grading.quota_groups[0].name", "missing"),
        ),
        (_with_group(colour="red"), ("grading.quota_groups[0].colour", "unknown_field")),
    ],
)
def test_bad_quota_groups_are_refused_naming_the_field(doc, expected):
    assert expected in _problems(doc)


def test_a_post_in_two_groups_names_both():
    second = {**LEADERS, "code": "heads", "posts": ["HEAD"]}
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(document(quota_groups=[LEADERS, second]))
    (problem,) = caught.value.problems
    assert (problem.path, problem.code) == (
        "grading.quota_groups[1].posts[0]",
        "post_in_two_quota_groups",
    )
    assert problem.params == {"post": "HEAD", "first": "leaders", "second": "heads"}


def test_bad_unit_grade_shares_are_refused_naming_the_field():
    bad = copy.deepcopy(STAFF_BY_GRADE)
    bad["by_unit_grade"]["shares"]["poor"] = 0
    bad["by_unit_grade"]["unit_kind"] = "province"
    problems = _problems(document(quota_groups=[bad]))
    assert ("grading.quota_groups[0].by_unit_grade.shares.poor", "quota_out_of_range") in problems
    assert ("grading.quota_groups[0].by_unit_grade.unit_kind", "unknown_choice") in problems
    empty = copy.deepcopy(STAFF_BY_GRADE)
    empty["by_unit_grade"]["shares"] = {}
    assert ("grading.quota_groups[0].by_unit_grade.shares", "empty") in _problems(
        document(quota_groups=[empty])
    )


def test_duplicate_group_codes_are_refused():
    twin = {**LEADERS, "posts": ["STAFF"]}
    assert ("grading.quota_groups[1].code", "duplicate_code") in _problems(
        document(quota_groups=[LEADERS, twin])
    )


def test_the_documented_schema_accepts_quota_groups_and_refuses_a_bad_share():
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = Path(__file__).resolve().parents[3] / "docs" / "rulebook.schema.json"
    validator = jsonschema.Draft202012Validator(json.loads(schema_path.read_text("utf-8")))
    doc = document(rounding="half_up", quota_groups=[LEADERS, STAFF_BY_GRADE])
    assert [e.message for e in validator.iter_errors(doc)] == []
    assert [e.message for e in validator.iter_errors(to_plain(parse_rulebook(doc)))] == []
    bad = copy.deepcopy(doc)
    bad["grading"]["quota_groups"][1]["by_unit_grade"]["shares"]["poor"] = 1.5
    assert list(validator.iter_errors(bad))


def test_a_cadre_with_no_unit_of_the_kind_above_is_missing_by_name():
    # V9 is not in the tree: its staff member has no township to be graded with
    doc = document(quota_groups=[STAFF_BY_GRADE])
    inputs = staff_inputs({"T1": "good", "T2": "fair", "T3": "poor"})
    stray = CadreInput("stray", "stray", "stray", "STAFF", "V9")
    inputs = PeriodInputs(
        cadres=(*inputs.cadres, stray),
        actuals=(*inputs.actuals, ActualInput("stray", "Q", 90)),
        unit_tree=inputs.unit_tree,
        unit_grades=inputs.unit_grades,
    )
    missing = find_missing_inputs(parse_rulebook(doc), inputs)
    assert [(m.kind, m.cadre, m.indicator, m.subject) for m in missing] == [
        ("unit_grade", "stray", "staff", "V9")
    ]
