"""Roll-up of sub-periods into the parent, and the eligibility rules (issue 15).

Every expected value below is computed by hand in the comments: a year of four quarters
graded 好/较好/一般/较差, and the annual period that rolls them up.
"""

from __future__ import annotations

from typing import Any

import pytest

from assessment.core.errors import InvalidParameterError, RulebookError
from assessment.core.records import (
    ActualInput,
    CadreInput,
    ChildPeriodInput,
    ChildResultInput,
    DecisionInput,
    DecisionKind,
    PeriodInputs,
)
from assessment.core.results import (
    IncompleteInputsError,
    canonical_inputs,
    compute_period_results,
    find_missing_inputs,
)
from assessment.core.rollup import (
    ChildOutcome,
    EligibilityRule,
    compute_eligibility_caps,
    compute_rollup,
)
from assessment.core.rulebook import FORMAT, parse_rulebook, to_plain

L = {"zh": "例", "en": "e.g."}
REGULAR = [
    {"code": "good", "name": {"zh": "好", "en": "Good"}, "min": 90},
    {"code": "fair", "name": {"zh": "较好", "en": "Fairly good"}, "min": 80},
    {"code": "average", "name": {"zh": "一般", "en": "Average"}, "min": 60},
    {"code": "poor", "name": {"zh": "较差", "en": "Poor"}, "min": 0},
]
ANNUAL = [
    {"code": "excellent", "name": {"zh": "优秀", "en": "Excellent"}, "min": 90},
    {"code": "competent", "name": {"zh": "称职", "en": "Competent"}, "min": 70},
    {"code": "basic", "name": {"zh": "基本称职", "en": "Basic"}, "min": 60},
    {"code": "incompetent", "name": {"zh": "不称职", "en": "Incompetent"}, "min": 0},
]
THREE_GOOD = {
    "code": "three_good",
    "name": {"zh": "优秀须至少三个季度为好", "en": "Excellent needs three good quarters"},
    "grade": "good",
    "at_least": 3,
    "caps_at": "competent",
}
NO_POOR = {
    "code": "no_poor",
    "name": {"zh": "有较差季度的不得评为优秀", "en": "A poor quarter bars excellent"},
    "grade": "poor",
    "at_most": 0,
    "caps_at": "competent",
}


def _document(grades: list[dict[str, Any]], indicators: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "title": L,
        "grading": {"grades": grades, "top_quota": 1},
        "aggregation": {},
        "rubrics": [],
        "posts": [
            {
                "post": "P",
                "name": L,
                "categories": [{"code": "c", "name": L, "weight": 100}],
                "indicators": indicators,
            }
        ],
    }


WORK = {"code": "W", "name": L, "kind": "quantitative", "category": "c", "method": "linear"}
#: A quarter: one indicator, linear from 0 to 100 at weight 100, so total = actual.
QUARTER = parse_rulebook(
    _document(REGULAR, [{**WORK, "weight": 100, "baseline": 0, "target": 100}])
)
#: The year: half the annual work (total = actual / 2), half the mean of the quarters.
YEAR_DOCUMENT = {
    **_document(
        ANNUAL,
        [
            {**WORK, "weight": 50, "baseline": 0, "target": 100},
            {
                "code": "R",
                "name": L,
                "kind": "rollup",
                "category": "c",
                "weight": 50,
                "of": "mean_total",
            },
        ],
    ),
    "eligibility": [THREE_GOOD, NO_POOR],
}
YEAR = parse_rulebook(YEAR_DOCUMENT)
#: Quarter actuals (= totals); d was not assessed in the fourth quarter.
QUARTER_ACTUALS = {
    "a": (98, 96, 88, 97),  # 好 好 较好 好: exactly three 好
    "b": (59, 100, 100, 100),  # 较差 好 好 好: three 好 but a 较差
    "c": (92, 95, 85, 89),  # 好 好 较好 较好: two 好
    "d": (93, 94, 95, None),  # 好 好 好, fourth quarter missing
}
ANNUAL_ACTUALS = {"a": 96, "b": 100, "c": 100, "d": 96}


def _cadre(cadre_id: str) -> CadreInput:
    return CadreInput(cadre_id, cadre_id.upper(), cadre_id, "P", "u")


def _quarters() -> tuple[tuple[ChildPeriodInput, ...], tuple[ChildResultInput, ...]]:
    """The four quarters computed by the engine, and their published totals and grades."""
    periods, results = [], []
    for quarter in range(4):
        key = f"q{quarter + 1}"
        periods.append(ChildPeriodInput(key, quarter + 1, f"Q{quarter + 1}"))
        present = [c for c, a in QUARTER_ACTUALS.items() if a[quarter] is not None]
        inputs = PeriodInputs(
            cadres=tuple(_cadre(c) for c in present),
            actuals=tuple(
                ActualInput(c, "W", float(QUARTER_ACTUALS[c][quarter] or 0)) for c in present
            ),
        )
        for cadre in compute_period_results(QUARTER, inputs, resamples=0).cadres:
            results.append(ChildResultInput(key, cadre.id, cadre.total, cadre.grade))
    return tuple(periods), tuple(results)


def _year_inputs(decision: DecisionKind | None) -> PeriodInputs:
    periods, results = _quarters()
    decisions = ()
    if decision is not None:
        decisions = (DecisionInput("d", "R", decision, "调任，第四季度未参加平时考核"),)
    return PeriodInputs(
        cadres=tuple(_cadre(c) for c in ANNUAL_ACTUALS),
        actuals=tuple(ActualInput(c, "W", float(a)) for c, a in ANNUAL_ACTUALS.items()),
        child_periods=periods,
        child_results=results,
        decisions=decisions,
    )


def test_the_quarters_are_graded_by_the_regular_grades():
    _periods, results = _quarters()
    grades = {(r.period, r.cadre): r.grade for r in results}
    assert [grades[(q, "a")] for q in ("q1", "q2", "q3", "q4")] == ["good", "good", "fair", "good"]
    assert [grades[(q, "b")] for q in ("q1", "q2", "q3", "q4")] == ["poor", "good", "good", "good"]
    assert [grades[(q, "c")] for q in ("q1", "q2", "q3", "q4")] == ["good", "good", "fair", "fair"]
    assert ("q4", "d") not in grades


def test_a_hand_computed_year_rolls_up_four_quarters():
    result = compute_period_results(YEAR, _year_inputs(DecisionKind.EXCLUDE_REWEIGHT), resamples=0)
    by_id = {c.id: c for c in result.cadres}
    rolled = {c: by_id[c].indicators[1] for c in by_id}
    # a: (98 + 96 + 88 + 97) / 4 = 379 / 4 = 94.75; points 50 × 94.75 / 100 = 47.375 → 47.38
    #    work 50 × 96 / 100 = 48; total 48 + 47.38 = 95.38 → 优秀; three 好 exactly: kept
    assert (rolled["a"].input, rolled["a"].points, rolled["a"].n) == (94.75, 47.38, 4)
    assert (by_id["a"].total, by_id["a"].earned, by_id["a"].grade) == (
        95.38,
        "excellent",
        "excellent",
    )
    assert by_id["a"].eligibility == ()
    # b: (59 + 100 + 100 + 100) / 4 = 89.75 → 44.875 → 44.88; total 50 + 44.88 = 94.88
    #    → 优秀 earned, but the 较差 first quarter caps it at 称职
    assert (rolled["b"].input, by_id["b"].total) == (89.75, 94.88)
    assert (by_id["b"].earned, by_id["b"].grade) == ("excellent", "competent")
    assert [(c.rule, c.reason, c.count, c.limit) for c in by_id["b"].eligibility] == [
        ("no_poor", "too_many", 1, 0)
    ]
    # c: (92 + 95 + 85 + 89) / 4 = 90.25 → 45.125 → 45.13; total 50 + 45.13 = 95.13
    #    → 优秀 earned, two 好 only: capped at 称职
    assert (rolled["c"].input, by_id["c"].total, by_id["c"].grade) == (90.25, 95.13, "competent")
    assert [(c.rule, c.reason, c.count, c.limit) for c in by_id["c"].eligibility] == [
        ("three_good", "too_few", 2, 3)
    ]
    # d: the fourth quarter left out by the decision: (93 + 94 + 95) / 3 = 94 → 47;
    #    total 48 + 47 = 95 → 优秀; three 好 out of three quarters: kept
    assert (rolled["d"].input, rolled["d"].n, by_id["d"].total) == (94.0, 3, 95.0)
    assert by_id["d"].grade == "excellent" and by_id["d"].eligibility == ()
    assert rolled["d"].reason == "调任，第四季度未参加平时考核"
    assert [(c.period, c.total) for c in rolled["d"].children] == [
        ("q1", 93.0),
        ("q2", 94.0),
        ("q3", 95.0),
        ("q4", None),
    ]


def test_a_missing_quarter_scored_zero_counts_as_a_zero_total():
    result = compute_period_results(YEAR, _year_inputs(DecisionKind.SCORE_ZERO), resamples=0)
    d = result.cadre("d")
    # (93 + 94 + 95 + 0) / 4 = 70.5 → 50 × 70.5 / 100 = 35.25; total 48 + 35.25 = 83.25 → 称职
    assert (d.indicators[1].input, d.indicators[1].points, d.total) == (70.5, 35.25, 83.25)
    assert d.grade == "competent"


def test_a_quarter_not_final_is_a_missing_input_that_needs_a_decision():
    inputs = _year_inputs(None)
    missing = find_missing_inputs(YEAR, inputs)
    assert [(m.kind, m.cadre, m.indicator, m.subject, m.decision) for m in missing] == [
        ("child_result", "d", "R", "q4", None)
    ]
    with pytest.raises(IncompleteInputsError) as caught:
        compute_period_results(YEAR, inputs, resamples=0)
    assert caught.value.missing == missing


def test_no_quarter_at_all_with_a_decision_scores_the_indicator_by_the_decision():
    inputs = PeriodInputs(
        cadres=(_cadre("a"),),
        actuals=(ActualInput("a", "W", 96.0),),
        child_periods=(ChildPeriodInput("q1", 1, "Q1"),),
        decisions=(DecisionInput("a", "R", DecisionKind.EXCLUDE_REWEIGHT, "新任"),),
    )
    a = compute_period_results(YEAR, inputs, resamples=0).cadre("a")
    # R excluded: W's weight 50 becomes 50 × 100 / 50 = 100 → 96 points; zero 好 quarters
    assert (a.indicators[1].status, a.total) == ("excluded", 96.0)
    assert a.grade == "competent"
    assert [c.rule for c in a.eligibility] == ["three_good"]


def test_children_go_into_the_canonical_inputs_and_only_when_there_are_some():
    plain = canonical_inputs(_year_inputs(DecisionKind.EXCLUDE_REWEIGHT))
    assert [c["id"] for c in plain["child_periods"]] == ["q1", "q2", "q3", "q4"]
    assert {"period": "q1", "cadre": "b", "total": 59, "grade": "poor"} in plain["child_results"]
    assert "child_periods" not in canonical_inputs(PeriodInputs(cadres=(_cadre("a"),)))


@pytest.mark.parametrize(
    ("of", "extra", "missing", "expected"),
    [
        # 92, 81.5, 88 present; the fourth missing
        ("mean_total", {}, "leave_out", 87.17),  # 261.5 / 3 = 87.1666… → 87.17
        ("mean_total", {}, "zero", 65.38),  # 261.5 / 4 = 65.375 → 65.38 (half up)
        ("grade_count", {"grade": "fair"}, "leave_out", 66.67),  # 100 × 2 / 3
        ("grade_count", {"grade": "good"}, "zero", 25.0),  # 100 × 1 / 4
        ("latest_grade", {"values": {"good": 100, "fair": 85}}, "leave_out", 85.0),  # q3 fair
        ("latest_grade", {"values": {"good": 100, "fair": 85}}, "zero", 0.0),  # q4 missing
    ],
)
def test_compute_rollup_by_hand(of, extra, missing, expected):
    children = [
        ChildOutcome("q4", 4, None, None),
        ChildOutcome("q1", 1, 92.0, "good"),
        ChildOutcome("q3", 3, 88.0, "fair"),
        ChildOutcome("q2", 2, 81.5, "fair"),
    ]
    assert compute_rollup(of, children, missing=missing, **extra).value == expected


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"of": "median"}, "unknown_rollup"),
        ({"of": "grade_count"}, "grade_required"),
        ({"of": "latest_grade", "values": {"good": 100}}, "no_value_for_grade"),
        ({"of": "mean_total", "missing": "guess"}, "unknown_missing_rule"),
    ],
)
def test_compute_rollup_refuses_what_it_cannot_compute(kwargs, reason):
    children = [ChildOutcome("q1", 1, 81.0, "fair")]
    with pytest.raises(InvalidParameterError) as caught:
        compute_rollup(children=children, **kwargs)
    assert caught.value.reason == reason


RULES = [
    EligibilityRule("three_good", "good", "competent", at_least=3),
    EligibilityRule("no_poor", "poor", "competent", at_most=0),
]


@pytest.mark.parametrize(
    ("grades", "capped_by"),
    [
        (["good", "good", "good", "good"], []),
        (["good", "good", "good", "fair"], []),  # exactly three 好: allowed
        (["good", "good", "fair", "fair"], ["three_good"]),  # two 好
        (["good", "good", "good", None], []),  # a missing quarter with a decision, three 好
        (["good", "good", None, "fair"], ["three_good"]),  # missing counts as no 好
        (["good", "good", "good", "poor"], ["no_poor"]),  # one 较差 bars 优秀
        (["poor", "poor", "average", "fair"], ["three_good", "no_poor"]),
        ([None, None, None, None], ["three_good"]),  # missing never counts as 较差
        ([], ["three_good"]),
    ],
)
def test_eligibility_rules_against_a_hand_table(grades, capped_by):
    caps = compute_eligibility_caps(RULES, grades)
    assert [c.rule for c in caps] == capped_by
    assert all(c.caps_at == "competent" for c in caps)


def test_eligibility_rule_needs_exactly_one_limit():
    with pytest.raises(InvalidParameterError) as caught:
        compute_eligibility_caps([EligibilityRule("x", "good", "competent")], ["good"])
    assert caught.value.reason == "one_of_at_least_at_most"


def test_rulebook_round_trips_the_rollup_and_the_eligibility_rules():
    assert parse_rulebook(to_plain(YEAR)) == YEAR
    assert to_plain(YEAR)["eligibility"][0] == THREE_GOOD
    assert to_plain(YEAR)["posts"][0]["indicators"][1]["of"] == "mean_total"


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        (
            lambda d: d["posts"][0]["indicators"][1].update(of="median"),
            "posts[0].indicators[1].of",
            "unknown_choice",
        ),
        (
            lambda d: d["posts"][0]["indicators"][1].update(of="grade_count"),
            "posts[0].indicators[1].grade",
            "missing",
        ),
        (
            lambda d: d["posts"][0]["indicators"][1].update(of="latest_grade"),
            "posts[0].indicators[1].values",
            "missing",
        ),
        (
            lambda d: d["eligibility"][0].update(caps_at="excellent"),
            "eligibility[0].caps_at",
            "veto_caps_top_grade",
        ),
        (
            lambda d: d["eligibility"][0].update(caps_at="gold"),
            "eligibility[0].caps_at",
            "unknown_grade",
        ),
        (
            lambda d: d["eligibility"][1].update(at_least=1),
            "eligibility[1]",
            "one_of_at_least_at_most",
        ),
        (
            lambda d: d["eligibility"][1].update(at_most=-1),
            "eligibility[1].at_most",
            "out_of_range",
        ),
        (
            lambda d: (
                d["posts"][0]["indicators"].pop(1)
                and d["posts"][0]["indicators"][0].update(weight=100)
            ),
            "posts[0]",
            "eligibility_without_rollup",
        ),
    ],
)
def test_bad_rollup_and_eligibility_rules_are_refused_by_path(change, path, code):
    import copy

    document = copy.deepcopy(YEAR_DOCUMENT)
    change(document)
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(document)
    assert (path, code) in [(p.path, p.code) for p in caught.value.problems]


def test_an_eligibility_cap_is_not_called_a_veto():
    result = compute_period_results(YEAR, _year_inputs(DecisionKind.EXCLUDE_REWEIGHT), resamples=0)
    b = result.cadre("b")
    # a grade cap lowered the grade (veto_capped, the name kept from when a veto was the
    # only cap); the cap is the eligibility rule's, and no veto is recorded
    assert b.grade == "competent" and b.eligibility and b.veto_capped and b.vetoes == ()
    assert [(c.kind, c.source, c.detail) for c in b.grade_caps] == [
        ("eligibility", "no_poor", "poor 1 > 0")
    ]
    assert b.veto_cap is None and b.applied_cap == "competent"


def test_the_portal_explanation_writes_out_the_mean_of_the_quarters():
    from assessment.core.explain import explain_cadre_result

    result = compute_period_results(YEAR, _year_inputs(DecisionKind.EXCLUDE_REWEIGHT), resamples=0)
    view = explain_cadre_result(result, "a", YEAR)
    assert view.explained, view.problems
    rolled = next(i for i in view.indicators if i.outcome.code == "R")
    # (98 + 96 + 88 + 97) / 4 = 94.75; 94.75 × 50 / 100 = 47.375 → 47.38
    assert (
        rolled.explanation.expression
        == "V = (98 + 96 + 88 + 97) / 4 = 94.75; 94.75 × 50 / 100 = 47.38"
    )
    d = explain_cadre_result(result, "d", YEAR)
    rolled_d = next(i for i in d.indicators if i.outcome.code == "R")
    assert rolled_d.explanation.expression.startswith("V = (93 + 94 + 95) / 3 = 94.00; ")
