"""Indicator scoring, totals and grades: DESIGN.md section 4 examples and invariants.

Expected values are worked by hand from the formulas in DESIGN.md section 4 (quoted in
each test); the property tests check the invariants listed in STYLE.md section 16.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from assessment.core.errors import (
    AssessmentError,
    EmptyPanelError,
    InvalidParameterError,
    MissingInputError,
    QuotaError,
    WeightSumError,
)
from assessment.core.scoring import (
    DEFAULT_GRADE_SCHEME,
    GradeBand,
    GradingCandidate,
    QuantitativeRule,
    assign_grades,
    compute_grade,
    compute_panel_value,
    compute_qualitative_points,
    compute_quantitative_points,
    compute_survey_points,
    compute_total,
    exact_ratio,
    score_quantitative,
    validate_weights,
)

# --- quantitative: DESIGN section 4 formulas at baseline, target, beyond -----------


@pytest.mark.parametrize(
    ("kwargs", "actual", "expected"),
    [
        # linear, higher: r = clamp((a - b) / (t - b), 0, c)
        ({"baseline": 50, "target": 100}, 50, 0.0),  # at baseline
        ({"baseline": 50, "target": 100}, 100, 1.0),  # at target
        ({"baseline": 50, "target": 100}, 75, 0.5),
        ({"baseline": 50, "target": 100}, 130, 1.0),  # beyond, default cap 1
        ({"baseline": 50, "target": 100, "cap": 1.2}, 130, 1.2),  # cap 1.2 binds at 1.6
        ({"baseline": 50, "target": 100, "cap": 1.2}, 105, 1.1),
        ({"baseline": 50, "target": 100}, 20, 0.0),  # below baseline clamps to 0
        # linear, lower: r = clamp((b - a) / (b - t), 0, c)
        ({"direction": "lower", "baseline": 20, "target": 10}, 20, 0.0),
        ({"direction": "lower", "baseline": 20, "target": 10}, 10, 1.0),
        ({"direction": "lower", "baseline": 20, "target": 10}, 15, 0.5),
        ({"direction": "lower", "baseline": 20, "target": 10}, 0, 1.0),
        ({"direction": "lower", "baseline": 20, "target": 10, "cap": 1.5}, 0, 1.5),
        ({"direction": "lower", "baseline": 20, "target": 10}, 30, 0.0),
    ],
)
def test_linear_examples(kwargs, actual, expected):
    assert score_quantitative("linear", actual, **kwargs) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "actual", "expected"),
    [
        # ratio, higher: r = clamp(a / t, 0, c)
        ({"target": 200}, 0, 0.0),
        ({"target": 200}, 150, 0.75),
        ({"target": 200}, 200, 1.0),
        ({"target": 200}, 300, 1.0),
        ({"target": 200, "cap": 1.3}, 300, 1.3),
        ({"target": 200, "cap": 1.3}, 220, 1.1),
        # ratio, lower: r = clamp(t / a, 0, c), a = 0 scores c
        ({"direction": "lower", "target": 3}, 6, 0.5),
        ({"direction": "lower", "target": 3}, 3, 1.0),
        ({"direction": "lower", "target": 3}, 1, 1.0),
        ({"direction": "lower", "target": 3}, 0, 1.0),
        ({"direction": "lower", "target": 3, "cap": 1.2}, 0, 1.2),
        ({"direction": "lower", "target": 3, "cap": 1.2}, 2.5, 1.2),
    ],
)
def test_ratio_examples(kwargs, actual, expected):
    assert score_quantitative("ratio", actual, **kwargs) == pytest.approx(expected, abs=1e-15)


STEPS_UP = [(60, 0.5), (80, 0.8), (95, 1.0)]
STEPS_DOWN = [(10, 0.4), (5, 0.7), (0, 1.0)]  # lower is better: thresholds decreasing


@pytest.mark.parametrize(
    ("direction", "steps", "actual", "expected"),
    [
        # the highest threshold reached gives r; none reached gives 0
        ("higher", STEPS_UP, 59.999, 0.0),
        ("higher", STEPS_UP, 60, 0.5),
        ("higher", STEPS_UP, 94, 0.8),
        ("higher", STEPS_UP, 95, 1.0),
        ("higher", STEPS_UP, 1000, 1.0),
        ("lower", STEPS_DOWN, 11, 0.0),
        ("lower", STEPS_DOWN, 10, 0.4),
        ("lower", STEPS_DOWN, 4, 0.7),
        ("lower", STEPS_DOWN, 0, 1.0),
    ],
)
def test_steps_examples(direction, steps, actual, expected):
    assert score_quantitative("steps", actual, direction=direction, steps=steps) == expected


def test_steps_ratio_is_capped():
    assert score_quantitative("steps", 100, steps=[(50, 1.0), (90, 1.5)], cap=1.2) == 1.2


@pytest.mark.parametrize(
    ("actual", "kwargs", "expected"),
    [
        (True, {}, 1.0),
        (False, {}, 0.0),
        (1, {}, 1.0),
        (0, {}, 0.0),
        (100, {"target": 100}, 1.0),  # met when a reaches t
        (99, {"target": 100}, 0.0),
        (3, {"target": 5, "direction": "lower"}, 1.0),
        (6, {"target": 5, "direction": "lower"}, 0.0),
        (True, {"cap": 0.5}, 0.5),
    ],
)
def test_binary_examples(actual, kwargs, expected):
    assert score_quantitative("binary", actual, **kwargs) == expected


def test_points_are_weight_times_ratio():
    # DESIGN: points = w × r
    rule = QuantitativeRule("linear", "higher", weight=20, baseline=50, target=100, cap=1.2)
    result = compute_quantitative_points(rule, 90)
    assert (result.ratio, result.points) == (pytest.approx(0.8), pytest.approx(16.0))


def test_rule_accepts_enum_or_string_codes():
    rule = QuantitativeRule("ratio", "lower", weight=10, target=4, steps=[])
    assert rule.method.value == "ratio"
    assert rule.direction.value == "lower"
    assert compute_quantitative_points(rule, 0).points == 10.0


# --- quantitative: bad input --------------------------------------------------------


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_missing_actual_is_an_error_never_zero(missing):
    rule = QuantitativeRule("linear", "higher", weight=10, baseline=0, target=1, code="q1")
    with pytest.raises(MissingInputError) as info:
        compute_quantitative_points(rule, missing)
    assert (info.value.code, info.value.name, info.value.indicator) == (
        "missing_input",
        "actual",
        "q1",
    )


@pytest.mark.parametrize(
    ("method", "kwargs", "name", "reason"),
    [
        ("linear", {"baseline": 5, "target": 5}, "target", "target_equals_baseline"),
        ("linear", {"baseline": 10, "target": 5}, "target", "target_below_baseline"),
        (
            "linear",
            {"baseline": 5, "target": 10, "direction": "lower"},
            "target",
            "target_above_baseline",
        ),
        ("linear", {"baseline": 0, "target": 1, "cap": 0}, "cap", "not_positive"),
        ("ratio", {"target": 0}, "target", "not_positive"),
        ("steps", {"steps": []}, "steps", "empty"),
        ("steps", {"steps": [(80, 0.5), (60, 0.8)]}, "steps", "thresholds_not_strictly_ordered"),
        ("steps", {"steps": [(60, 0.5), (60, 0.8)]}, "steps", "thresholds_not_strictly_ordered"),
        (
            "steps",
            {"steps": [(0, 0.5), (5, 0.8)], "direction": "lower"},
            "steps",
            "thresholds_not_strictly_ordered",
        ),
        ("steps", {"steps": [(60, 0.8), (80, 0.5)]}, "steps", "ratios_decreasing"),
        ("median", {}, "method", "unknown_method"),
        (
            "linear",
            {"baseline": 0, "target": 1, "direction": "up"},
            "direction",
            "unknown_direction",
        ),
    ],
)
def test_invalid_rules_raise_invalid_parameter(method, kwargs, name, reason):
    with pytest.raises(InvalidParameterError) as info:
        score_quantitative(method, 1, **kwargs)
    assert (info.value.name, info.value.reason) == (name, reason)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, AssessmentError)


def test_invalid_rule_is_refused_at_construction():
    with pytest.raises(InvalidParameterError):
        QuantitativeRule("linear", "higher", weight=10, baseline=3, target=3)
    with pytest.raises(InvalidParameterError):
        QuantitativeRule("linear", "higher", weight=-1, baseline=0, target=3)


def test_linear_without_target_is_missing_input():
    with pytest.raises(MissingInputError) as info:
        score_quantitative("linear", 1, baseline=0)
    assert info.value.name == "target"


@pytest.mark.parametrize(
    ("method", "actual", "kwargs"),
    [
        ("ratio", -1, {"target": 3}),
        ("binary", 0.5, {}),
        ("linear", math.inf, {"baseline": 0, "target": 1}),
        ("linear", "12", {"baseline": 0, "target": 1}),
    ],
)
def test_bad_actual_raises(method, actual, kwargs):
    with pytest.raises(InvalidParameterError) as info:
        score_quantitative(method, actual, **kwargs)
    assert info.value.name == "actual"


# --- quantitative: properties ------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
positive = st.floats(min_value=1e-3, max_value=1e6)
caps = st.floats(min_value=0.1, max_value=3.0)


@st.composite
def rules(draw):
    method = draw(st.sampled_from(["linear", "ratio", "steps", "binary", "efficacy", "piecewise"]))
    direction = draw(st.sampled_from(["higher", "lower"]))
    cap = draw(caps)
    kwargs = {"direction": direction, "cap": cap}
    if method == "linear":
        b = draw(finite)
        gap = draw(positive)
        kwargs |= {"baseline": b, "target": b + gap if direction == "higher" else b - gap}
    elif method == "ratio":
        kwargs["target"] = draw(positive)
    elif method == "steps":
        thresholds = sorted(draw(st.sets(finite, min_size=1, max_size=5)))
        if direction == "lower":
            thresholds.reverse()
        ratios = sorted(draw(st.lists(caps, min_size=len(thresholds), max_size=len(thresholds))))
        kwargs["steps"] = list(zip(thresholds, ratios, strict=True))
    elif method == "efficacy":
        u = draw(finite)
        gap = draw(positive)
        kwargs |= {"unacceptable": u, "satisfactory": u + gap if direction == "higher" else u - gap}
    elif method == "piecewise":
        actuals = sorted(draw(st.sets(finite, min_size=2, max_size=5)))
        if direction == "lower":
            actuals.reverse()
        ratios = sorted(draw(st.lists(caps, min_size=len(actuals), max_size=len(actuals))))
        kwargs["breakpoints"] = list(zip(actuals, ratios, strict=True))
    else:
        kwargs["target"] = draw(finite)
    return method, kwargs


@settings(max_examples=300)
@given(rules(), finite, finite)
def test_a_better_actual_never_lowers_the_ratio(rule, a1, a2):
    method, kwargs = rule
    if method == "ratio":
        a1, a2 = abs(a1), abs(a2)
    worse, better = sorted([a1, a2])
    if kwargs["direction"] == "lower":
        worse, better = better, worse
    r_worse = score_quantitative(method, worse, **kwargs)
    r_better = score_quantitative(method, better, **kwargs)
    assert r_better >= r_worse


@settings(max_examples=300)
@given(rules(), finite, st.floats(min_value=0, max_value=100))
def test_points_stay_within_zero_and_weight_times_cap(rule, actual, weight):
    method, kwargs = rule
    if method == "ratio":
        actual = abs(actual)
    qrule = QuantitativeRule(
        method,
        kwargs["direction"],
        weight=weight,
        baseline=kwargs.get("baseline"),
        target=kwargs.get("target"),
        cap=kwargs["cap"],
        steps=tuple(kwargs.get("steps", ())),
        unacceptable=kwargs.get("unacceptable"),
        satisfactory=kwargs.get("satisfactory"),
        breakpoints=tuple(kwargs.get("breakpoints", ())),
    )
    result = compute_quantitative_points(qrule, actual)
    assert 0.0 <= result.ratio <= kwargs["cap"]
    # points are w × r rounded half up to 2 decimals: at most w × c rounded the same way
    most = Fraction(str(weight)) * Fraction(str(kwargs["cap"]))
    assert 0.0 <= result.points <= math.floor(most * 100 + Fraction(1, 2)) / 100


# --- qualitative panel value -------------------------------------------------------


@pytest.mark.parametrize(
    ("ratings", "expected", "points", "trimmed"),
    [
        # fewer than 5 ratings: plain mean; points = 20 × value / 100
        ([85], 85.0, 17.0, False),
        ([100, 85, 70, 50], 76.25, 15.25, False),  # 305 / 4
        # at least 5: drop one highest and one lowest
        ([100, 85, 85, 70, 50], 80.0, 16.0, True),  # (85 + 85 + 70) / 3
        # (100 + 100 + 50) / 3 = 83.333... -> 83.33; 20 × 83.33 / 100 = 16.666 -> 16.67
        ([100, 100, 100, 50, 50], 83.33, 16.67, True),  # only one copy dropped
        ([70, 70, 70, 70, 70, 70], 70.0, 14.0, True),
        ([100, 85, 70, 50, 85, 100, 50], 78.0, 15.6, True),  # 390 / 5
    ],
)
def test_panel_value_trimmed_mean_rule(ratings, expected, points, trimmed):
    result = compute_qualitative_points(20, ratings)
    assert result.value == expected
    assert result.trimmed is trimmed
    assert result.points == points
    assert compute_panel_value(ratings) == result.value


def test_panel_trim_threshold_is_a_parameter():
    assert compute_panel_value([100, 85, 50], trim_threshold=3) == 85.0
    # 235 / 3 = 78.333... published with two decimals
    assert compute_panel_value([100, 85, 50], trim_threshold=5) == 78.33


def test_empty_panel_raises():
    with pytest.raises(EmptyPanelError) as info:
        compute_qualitative_points(10, [], indicator="integrity")
    assert (info.value.code, info.value.indicator) == ("empty_panel", "integrity")


@pytest.mark.parametrize(
    ("ratings", "kwargs", "error"),
    [
        ([101], {}, InvalidParameterError),
        ([-1], {}, InvalidParameterError),
        ([None, 80], {}, MissingInputError),
        ([80], {"trim_threshold": 2}, InvalidParameterError),
        ([80], {"trim_threshold": 5.0}, InvalidParameterError),
    ],
)
def test_panel_bad_input(ratings, kwargs, error):
    with pytest.raises(error):
        compute_panel_value(ratings, **kwargs)


@given(st.lists(st.sampled_from([100.0, 85.0, 70.0, 50.0]), min_size=1, max_size=12), st.randoms())
def test_panel_value_ignores_order_and_stays_within_range(ratings, rnd):
    shuffled = list(ratings)
    rnd.shuffle(shuffled)
    value = compute_panel_value(ratings)
    assert compute_panel_value(shuffled) == value
    assert min(ratings) <= value <= max(ratings)


# --- survey points -----------------------------------------------------------------


def test_survey_points_formula():
    assert compute_survey_points(30, 85.0) == pytest.approx(25.5)  # w × S / 100
    assert compute_survey_points(30, 0.0) == 0.0


@pytest.mark.parametrize(
    ("index", "error"),
    [(None, MissingInputError), (float("nan"), MissingInputError), (101, InvalidParameterError)],
)
def test_survey_points_bad_index(index, error):
    with pytest.raises(error):
        compute_survey_points(30, index)


# --- weights -----------------------------------------------------------------------


def test_weights_summing_to_100_pass():
    validate_weights("set", {"a": 33.3, "b": 33.3, "c": 33.4})
    validate_weights("set", {"a": 0.1} | {f"x{i}": 9.99 for i in range(10)})


def test_weights_not_summing_to_100_raise_with_set_and_sum():
    with pytest.raises(WeightSumError) as info:
        validate_weights("village_director", {"a": 60, "b": 30, "c": 10.5})
    assert info.value.set_name == "village_director"
    assert info.value.actual == 100.5
    assert info.value.expected == 100.0
    assert "village_director" in str(info.value)


def test_weight_off_by_more_than_tolerance_raises():
    with pytest.raises(WeightSumError):
        validate_weights("s", {"a": 50, "b": 50 + 1e-8})
    validate_weights("s", {"a": 50, "b": 50 + 1e-10})


def test_negative_weight_raises():
    with pytest.raises(InvalidParameterError) as info:
        validate_weights("s", {"a": 110, "b": -10})
    assert info.value.name == "weights['b']"


# --- totals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        # Total = Σ points + min(Σ bonus, bonus cap) − min(Σ penalty, penalty cap), ≥ 0
        (([40, 30, 15],), {}, 85.0),
        (([40, 30, 15], [2, 2]), {"bonus_cap": 5}, 89.0),
        (([40, 30, 15], [3, 4]), {"bonus_cap": 5}, 90.0),
        (([40, 30, 15], [3, 4], [6]), {"bonus_cap": 5, "penalty_cap": 5}, 85.0),
        (([40, 30, 15], [], [2, 1]), {"penalty_cap": 5}, 82.0),
        (([5], [], [8]), {}, 0.0),
        (([], [], []), {}, 0.0),
    ],
)
def test_total_examples(args, kwargs, expected):
    assert compute_total(*args, **kwargs).total == pytest.approx(expected)


def test_total_records_its_parts():
    result = compute_total([50, 30], bonus=[3, 4], penalty=[2, 9], bonus_cap=5, penalty_cap=10)
    assert (result.points, result.bonus, result.bonus_raw) == (80.0, 5.0, 7.0)
    assert (result.penalty, result.penalty_raw) == (10.0, 11.0)
    assert (result.bonus_capped, result.penalty_capped, result.floored) == (True, True, False)
    assert compute_total([1], penalty=[2]).floored


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        (([None],), {}, MissingInputError),
        (([10], [-1]), {}, InvalidParameterError),
        (([10], [], [-1]), {}, InvalidParameterError),
        (([10],), {"bonus_cap": -1}, InvalidParameterError),
    ],
)
def test_total_bad_input(args, kwargs, error):
    with pytest.raises(error):
        compute_total(*args, **kwargs)


amounts = st.lists(st.floats(min_value=0, max_value=50), max_size=8)
# caps are rulebook numbers with at most the declared two decimals
opt_caps = st.none() | st.integers(min_value=0, max_value=2000).map(lambda h: h / 100)


@given(amounts, amounts, amounts, opt_caps, opt_caps)
def test_total_stays_within_bounds(points, bonus, penalty, bonus_cap, penalty_cap):
    result = compute_total(points, bonus, penalty, bonus_cap=bonus_cap, penalty_cap=penalty_cap)
    # each value is rounded to 2 decimals first: at most 0.005 more than written
    slack = 0.005 * (len(points) + len(bonus)) + 1e-9
    upper = math.fsum(points) + (math.fsum(bonus) if bonus_cap is None else bonus_cap)
    assert 0.0 <= result.total <= upper + slack


@given(amounts, amounts, amounts, opt_caps, opt_caps, st.randoms())
def test_total_does_not_depend_on_order(points, bonus, penalty, bonus_cap, penalty_cap, rnd):
    shuffled = [list(points), list(bonus), list(penalty)]
    for values in shuffled:
        rnd.shuffle(values)
    kwargs = {"bonus_cap": bonus_cap, "penalty_cap": penalty_cap}
    assert compute_total(*shuffled, **kwargs) == compute_total(points, bonus, penalty, **kwargs)


@given(
    st.lists(st.floats(min_value=0, max_value=50), min_size=1, max_size=8),
    amounts,
    amounts,
    opt_caps,
    opt_caps,
    st.data(),
)
def test_raising_a_point_or_bonus_never_lowers_the_total(
    points, bonus, penalty, bonus_cap, penalty_cap, data
):
    kwargs = {"bonus_cap": bonus_cap, "penalty_cap": penalty_cap}
    before = compute_total(points, bonus, penalty, **kwargs).total
    increase = data.draw(st.floats(min_value=0, max_value=50))
    i = data.draw(st.integers(0, len(points) - 1))
    raised = [*points[:i], points[i] + increase, *points[i + 1 :]]
    assert compute_total(raised, bonus, penalty, **kwargs).total >= before
    more_bonus = compute_total(points, [*bonus, increase], penalty, **kwargs).total
    assert more_bonus >= before
    # and a further penalty never raises it
    assert compute_total(points, bonus, [*penalty, increase], **kwargs).total <= before


# --- grades ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        (100.0, "excellent"),
        (90.0, "excellent"),
        (89.999999, "excellent"),  # published 90.00
        (89.995, "excellent"),  # published 90.00 (half up)
        (89.994, "competent"),  # published 89.99
        (70.0, "competent"),
        (69.99, "basic"),
        (60.0, "basic"),
        (59.99, "incompetent"),
        (0.0, "incompetent"),
    ],
)
def test_default_grade_thresholds(total, grade):
    # DESIGN: 优秀 ≥ 90, 称职 ≥ 70, 基本称职 ≥ 60, 不称职 below
    assert compute_grade(total) == grade


def test_custom_scheme_and_bad_schemes():
    scheme = (GradeBand("good", 80), GradeBand("fair", 50), GradeBand("poor", 0))
    assert compute_grade(79.9, scheme) == "fair"
    with pytest.raises(InvalidParameterError):
        compute_grade(50, (GradeBand("a", 50), GradeBand("b", 60)))
    with pytest.raises(InvalidParameterError):
        compute_grade(50, (GradeBand("a", 50), GradeBand("a", 0)))
    with pytest.raises(InvalidParameterError):
        compute_grade(50, ())


def _c(cid, total, group="village", survey=None, panel=None, veto=None):
    return GradingCandidate(cid, group, total, survey, panel, veto)


def test_quota_keeps_the_best_and_drops_the_rest_one_grade():
    # 10 cadres, quota 20% -> 2 may be excellent; 3 earned it
    cands = [_c(f"c{i}", t) for i, t in enumerate([95, 94, 92, 85, 80, 75, 70, 65, 60, 50])]
    result = assign_grades(cands)
    grades = {g.id: g for g in result.grades}
    assert [grades[f"c{i}"].grade for i in range(3)] == ["excellent", "excellent", "competent"]
    assert grades["c2"].dropped_by_quota and grades["c2"].earned == "excellent"
    assert not grades["c1"].dropped_by_quota
    assert grades["c8"].grade == "basic" and grades["c9"].grade == "incompetent"
    assert result.tie_dropped == ()
    (group,) = result.groups
    assert (group.size, group.allowed, group.eligible, group.kept) == (10, 2, 3, 2)


def test_quota_tie_breaks_on_survey_index_then_panel_value():
    cands = [
        _c("a", 93, survey=80.0, panel=90.0),
        _c("b", 93, survey=85.0, panel=70.0),
        _c("c", 93, survey=80.0, panel=95.0),
        *[_c(f"x{i}", 50) for i in range(7)],
    ]
    result = assign_grades(cands)  # 10 cadres -> 2 excellent
    grades = {g.id: g for g in result.grades}
    assert [grades[i].rank for i in "bca"] == [1, 2, 3]
    assert [grades[i].grade for i in "bca"] == ["excellent", "excellent", "competent"]
    assert result.tie_dropped == ()


def test_none_sorts_last_on_tie_keys():
    others = [_c(f"x{i}", 50) for i in range(3)]
    cands = [_c("a", 93, survey=None), _c("b", 93, survey=10.0), *others]
    result = assign_grades(cands)  # 5 cadres -> 1 excellent
    assert result.grade_of("b").grade == "excellent"
    assert result.grade_of("a").grade == "competent"


def test_cadres_tied_on_every_key_across_the_boundary_all_drop():
    # DESIGN: cadres tied on every key across the quota boundary all drop, and the
    # result records that it happened. 10 cadres -> 2 allowed; #2 and #3 are tied.
    cands = [
        _c("top", 96, survey=90.0, panel=85.0),
        _c("tie1", 93, survey=88.0, panel=85.0),
        _c("tie2", 93, survey=88.0, panel=85.0),
        *[_c(f"x{i}", 60 + i) for i in range(7)],
    ]
    result = assign_grades(cands)
    assert result.grade_of("top").grade == "excellent"
    for cid in ("tie1", "tie2"):
        grade = result.grade_of(cid)
        assert (grade.grade, grade.dropped_by_quota, grade.tie_dropped) == ("competent", True, True)
        assert grade.rank == 2
    assert result.tie_dropped == ("tie1", "tie2")
    assert result.groups[0].kept == 1
    assert result.groups[0].tie_dropped == ("tie1", "tie2")


def test_ties_entirely_inside_the_quota_keep_the_grade():
    cands = [_c("a", 95), _c("b", 95), *[_c(f"x{i}", 50) for i in range(8)]]
    result = assign_grades(cands)
    assert [result.grade_of(i).grade for i in "ab"] == ["excellent", "excellent"]
    assert result.tie_dropped == ()


def test_quota_rounds_down_per_group():
    # groups of 4 (20% -> 0) and 5 (20% -> 1)
    small = [_c(f"s{i}", 95, group="small") for i in range(4)]
    big = [_c(f"b{i}", 91 + i, group="big") for i in range(5)]
    result = assign_grades(small + big)
    assert all(result.grade_of(f"s{i}").grade == "competent" for i in range(4))
    assert [result.grade_of(f"b{i}").grade for i in range(5)] == ["competent"] * 4 + ["excellent"]
    assert {g.post_group: g.allowed for g in result.groups} == {"big": 1, "small": 0}


def test_quota_reads_float_as_written_decimal():
    # floor(0.29 × 100) is 29 (the binary float 0.29 × 100 would floor to 28)
    cands = [_c(f"c{i:03}", 95) if i < 40 else _c(f"c{i:03}", 50) for i in range(100)]
    for i in range(40):
        cands[i] = _c(f"c{i:03}", 95 + i / 100)
    assert assign_grades(cands, top_quota=0.29).groups[0].allowed == 29
    assert assign_grades(cands, top_quota=Fraction(1, 3)).groups[0].allowed == 33
    assert assign_grades(cands, top_quota=None).groups[0].kept == 40


def test_veto_caps_the_grade():
    cands = [_c("v", 99, veto="basic"), _c("w", 65, veto="competent"), _c("x", 50)]
    result = assign_grades(cands, top_quota=1.0)
    assert (result.grade_of("v").grade, result.grade_of("v").veto_capped) == ("basic", True)
    assert (result.grade_of("w").grade, result.grade_of("w").veto_capped) == ("basic", False)


def test_vetoed_cadre_does_not_use_a_quota_place():
    cands = [_c("v", 99, veto="competent"), _c("a", 95), *[_c(f"x{i}", 50) for i in range(3)]]
    result = assign_grades(cands)  # 5 -> 1 allowed, only "a" is eligible
    assert result.grade_of("a").grade == "excellent"
    assert result.grade_of("v").grade == "competent"


@pytest.mark.parametrize("quota", [0, -0.1, 1.01, float("nan"), "0.2", True])
def test_bad_quota_raises(quota):
    with pytest.raises(QuotaError) as info:
        assign_grades([_c("a", 90)], top_quota=quota)
    assert info.value.code == "invalid_quota"


@pytest.mark.parametrize(
    "cands",
    [
        [_c("a", 90), _c("a", 80)],
        [_c("a", 90, veto="dismissed")],
        [_c("a", 90, survey=float("inf"))],
    ],
)
def test_bad_candidates_raise(cands):
    with pytest.raises(InvalidParameterError):
        assign_grades(cands)


def test_missing_total_raises():
    with pytest.raises(MissingInputError):
        assign_grades([_c("a", float("nan"))])


candidate_lists = st.lists(
    st.builds(
        lambda group, total, survey, panel, veto: (group, total, survey, panel, veto),
        st.sampled_from(["g1", "g2", "g3"]),
        st.sampled_from([55.0, 65.0, 75.0, 90.0, 92.5, 95.0, 100.0]),
        st.none() | st.sampled_from([70.0, 80.0, 90.0]),
        st.none() | st.sampled_from([70.0, 85.0]),
        st.sampled_from([None, None, None, "competent", "basic"]),
    ),
    max_size=25,
)


def _candidates(rows):
    return [_c(f"id{i:02}", t, g, s, p, v) for i, (g, t, s, p, v) in enumerate(rows)]


@settings(max_examples=200)
@given(candidate_lists, st.sampled_from([0.1, 0.2, 0.35, 1.0]), st.randoms())
def test_grading_does_not_depend_on_input_order(rows, quota, rnd):
    cands = _candidates(rows)
    shuffled = list(cands)
    rnd.shuffle(shuffled)
    assert assign_grades(shuffled, top_quota=quota) == assign_grades(cands, top_quota=quota)


@settings(max_examples=200)
@given(candidate_lists, st.sampled_from([0.1, 0.2, 0.35, 0.5, 1.0]))
def test_quota_is_never_exceeded_and_drops_are_single_steps(rows, quota):
    cands = _candidates(rows)
    result = assign_grades(cands, top_quota=quota)
    codes = [band.code for band in DEFAULT_GRADE_SCHEME]
    for group in result.groups:
        members = [g for g in result.grades if g.post_group == group.post_group]
        top = sum(g.grade == "excellent" for g in members)
        assert top <= math.floor(Fraction(str(quota)) * group.size)
        assert top == group.kept
    for g in result.grades:
        expected_drop = 1 if g.dropped_by_quota else 0
        capped = codes.index(g.earned)
        cand = next(c for c in cands if c.id == g.id)
        if cand.veto_cap is not None:
            capped = max(capped, codes.index(cand.veto_cap))
        assert codes.index(g.grade) == capped + expected_drop


@settings(max_examples=100)
@given(candidate_lists, st.data())
def test_raising_a_total_never_lowers_that_cadres_grade_without_quota(rows, data):
    assume(rows)
    cands = _candidates(rows)
    codes = [band.code for band in DEFAULT_GRADE_SCHEME]
    before = assign_grades(cands, top_quota=None)
    i = data.draw(st.integers(0, len(cands) - 1))
    raised = list(cands)
    c = cands[i]
    raised[i] = _c(c.id, c.total + 10, c.post_group, c.survey_index, c.panel_value, c.veto_cap)
    after = assign_grades(raised, top_quota=None)
    assert codes.index(after.grade_of(c.id).grade) <= codes.index(before.grade_of(c.id).grade)


# --- efficacy coefficient and piecewise linear (issue 13) --------------------------


@pytest.mark.parametrize(
    ("kwargs", "actual", "expected"),
    [
        # 功效系数法: r = (60 + 40 × (a − u) / (s − u)) / 100, u = 60, s = 100, cap 1
        ({}, 60, Fraction(60, 100)),  # at the unacceptable value: 60%
        ({}, 100, Fraction(1)),  # at the satisfactory value: 100%
        ({}, 85, Fraction(85, 100)),  # (60 + 40 × 25 / 40) / 100 = (60 + 25) / 100
        ({}, 70, Fraction(70, 100)),  # (60 + 40 × 10 / 40) / 100 = 0.7
        ({}, 120, Fraction(1)),  # (60 + 40 × 60 / 40) / 100 = 1.2, capped at 1
        ({"cap": 1.2}, 110, Fraction(110, 100)),  # (60 + 50) / 100 = 1.1 within the cap
        ({}, 30, Fraction(30, 100)),  # below u: (60 + 40 × (−30) / 40) / 100 = 0.3
        ({}, 0, Fraction(0)),  # (60 − 60) / 100 = 0, the floor
        ({}, -20, Fraction(0)),  # (60 − 80) / 100 < 0 -> floor 0
        ({"floor": 0.5}, 30, Fraction(1, 2)),  # 0.3 below the floor 0.5 -> 0.5
        # lower is better: r = (60 + 40 × (u − a) / (u − s)) / 100, u = 8, s = 2 (‰)
        ({"direction": "lower", "unacceptable": 8, "satisfactory": 2}, 5, Fraction(80, 100)),
        # (60 + 40 × (8 − 5) / (8 − 2)) / 100 = (60 + 20) / 100 = 0.8
        ({"direction": "lower", "unacceptable": 8, "satisfactory": 2}, 2, Fraction(1)),
        ({"direction": "lower", "unacceptable": 8, "satisfactory": 2}, 8, Fraction(60, 100)),
        ({"direction": "lower", "unacceptable": 8, "satisfactory": 2}, 1, Fraction(1)),
    ],
)
def test_efficacy_coefficient_by_hand(kwargs, actual, expected):
    params = {"unacceptable": 60, "satisfactory": 100, **kwargs}
    assert exact_ratio("efficacy", actual, **params) == expected
    assert score_quantitative("efficacy", actual, **params) == float(expected)


def test_efficacy_points_by_hand():
    # w = 20, u = 60, s = 100, a = 93.3: e = 33.3 / 40 = 0.8325; r = (60 + 33.3) / 100
    # = 0.933; points 20 × 0.933 = 18.66
    rule = QuantitativeRule(
        "efficacy", "higher", weight=20, unacceptable=60, satisfactory=100, code="E1"
    )
    assert compute_quantitative_points(rule, 93.3).points == 18.66
    # w = 15, a = 77.7: r = (60 + 40 × 17.7 / 40) / 100 = 0.777; 15 × 0.777 = 11.655 -> 11.66
    rule = QuantitativeRule("efficacy", "higher", weight=15, unacceptable=60, satisfactory=100)
    assert compute_quantitative_points(rule, 77.7).points == 11.66


@pytest.mark.parametrize(
    ("breakpoints", "direction", "actual", "expected"),
    [
        # (60, 0.6) (80, 0.9) (100, 1.0), higher is better
        ([(60, 0.6), (80, 0.9), (100, 1.0)], "higher", 50, Fraction(6, 10)),  # before the first
        ([(60, 0.6), (80, 0.9), (100, 1.0)], "higher", 60, Fraction(6, 10)),
        # 0.6 + (0.9 − 0.6) × (70 − 60) / (80 − 60) = 0.6 + 0.15 = 0.75
        ([(60, 0.6), (80, 0.9), (100, 1.0)], "higher", 70, Fraction(75, 100)),
        ([(60, 0.6), (80, 0.9), (100, 1.0)], "higher", 80, Fraction(9, 10)),
        # 0.9 + (1.0 − 0.9) × (95 − 80) / (100 − 80) = 0.9 + 0.075 = 0.975
        ([(60, 0.6), (80, 0.9), (100, 1.0)], "higher", 95, Fraction(975, 1000)),
        ([(60, 0.6), (80, 0.9), (100, 1.0)], "higher", 130, Fraction(1)),  # past the last
        # lower is better (complaints per 1000 households): (10, 0) (4, 0.8) (1, 1)
        # 0 + (0.8 − 0) × (7 − 10) / (4 − 10) = 0.8 × 0.5 = 0.4
        ([(10, 0), (4, 0.8), (1, 1)], "lower", 7, Fraction(4, 10)),
        # 0.8 + (1 − 0.8) × (2 − 4) / (1 − 4) = 0.8 + 0.2 × 2 / 3 = 0.9333...
        ([(10, 0), (4, 0.8), (1, 1)], "lower", 2, Fraction(14, 15)),
        ([(10, 0), (4, 0.8), (1, 1)], "lower", 12, Fraction(0)),
        ([(10, 0), (4, 0.8), (1, 1)], "lower", 0, Fraction(1)),
    ],
)
def test_piecewise_linear_by_hand(breakpoints, direction, actual, expected):
    ratio = exact_ratio("piecewise", actual, direction=direction, breakpoints=breakpoints)
    assert ratio == expected


def test_piecewise_points_by_hand():
    # w = 30, a = 2 with (10, 0) (4, 0.8) (1, 1), lower: r = 14 / 15; 30 × 14 / 15 = 28
    rule = QuantitativeRule(
        "piecewise", "lower", weight=30, breakpoints=((10, 0), (4, 0.8), (1, 1))
    )
    assert compute_quantitative_points(rule, 2).points == 28.0
    # a = 3: 0.8 + 0.2 × (3 − 4) / (1 − 4) = 0.8 + 0.0667 = 0.8667; 30 × 13 / 15 = 26
    assert compute_quantitative_points(rule, 3).points == 26.0
    # a = 5: 0.8 × (5 − 10) / (4 − 10) = 0.8 × 5 / 6 = 0.6667; 30 × 2 / 3 = 20
    assert compute_quantitative_points(rule, 5).points == 20.0


@pytest.mark.parametrize(
    ("kwargs", "name", "reason"),
    [
        (
            {"unacceptable": 60, "satisfactory": 60},
            "satisfactory",
            "satisfactory_equals_unacceptable",
        ),
        (
            {"unacceptable": 60, "satisfactory": 50},
            "satisfactory",
            "satisfactory_below_unacceptable",
        ),
        (
            {"direction": "lower", "unacceptable": 2, "satisfactory": 8},
            "satisfactory",
            "satisfactory_above_unacceptable",
        ),
        ({"unacceptable": 60, "satisfactory": 100, "floor": 1}, "floor", "floor_not_below_cap"),
        ({"unacceptable": 60, "satisfactory": 100, "floor": -0.1}, "floor", "negative"),
    ],
)
def test_bad_efficacy_rules_name_the_parameter(kwargs, name, reason):
    with pytest.raises(InvalidParameterError) as caught:
        QuantitativeRule("efficacy", kwargs.pop("direction", "higher"), weight=10, **kwargs)
    assert (caught.value.name, caught.value.reason) == (name, reason)


@pytest.mark.parametrize(
    ("breakpoints", "reason"),
    [
        ((), "fewer_than_2"),
        (((50, 0.5),), "fewer_than_2"),
        (((80, 0.5), (50, 1.0)), "thresholds_not_strictly_ordered"),
        (((50, 0.5), (50, 1.0)), "thresholds_not_strictly_ordered"),
        (((50, 0.9), (80, 0.5)), "ratios_decreasing"),
    ],
)
def test_bad_breakpoints_name_the_parameter(breakpoints, reason):
    with pytest.raises(InvalidParameterError) as caught:
        QuantitativeRule("piecewise", "higher", weight=10, breakpoints=breakpoints)
    assert (caught.value.name, caught.value.reason) == ("breakpoints", reason)
    with pytest.raises(MissingInputError):
        QuantitativeRule("efficacy", "higher", weight=10, unacceptable=60)
