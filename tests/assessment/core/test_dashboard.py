"""Pooled township satisfaction and small-group suppression (assessment.core.dashboard).

Expected values are worked by hand below; the t quantiles are the tabled values
t(0.975, 9) = 2.262157, t(0.975, 29) = 2.045230 (any t table, e.g. NIST/SEMATECH
e-Handbook 1.3.6.7.2) and t(0.975, 36.97) = 2.026242 (scipy.stats.t.isf(0.025, 36.9732)).
"""

from __future__ import annotations

import math

import pytest

from assessment.core.charts import interval_rows
from assessment.core.dashboard import (
    TargetFigures,
    grade_shares,
    pool_satisfaction,
    pooled_response_rate,
    suppress_counts,
)
from assessment.core.errors import InvalidParameterError


def _target(n: int, index: float, se: float, t: float, households: int | None = None):
    return TargetFigures(index, index - t * se, index + t * se, n, float(n), households)


def test_pooled_index_and_interval_by_hand():
    # A: n 10, S 80, se 2 (interval 80 ± 2.262157 × 2); B: n 30, S 60, se 1.
    a = _target(10, 80.0, 2.0, 2.2621571627982053)
    b = _target(30, 60.0, 1.0, 2.045229642132704)
    pooled = pool_satisfaction([a, b], confidence=0.95, min_group_size=5)
    # weights 10/40 = 0.25 and 30/40 = 0.75: S = 0.25 × 80 + 0.75 × 60 = 65
    assert pooled.index == pytest.approx(65.0)
    # a_A = 0.25² × 2² = 0.25; a_B = 0.75² × 1² = 0.5625; se² = 0.8125
    # ν = 0.8125² / (0.25²/9 + 0.5625²/29) = 0.66015625 / 0.01785512 = 36.9732
    # half = t(0.975, 36.9732) × √0.8125 = 2.026242 × 0.901388 = 1.826430
    assert pooled.ci_low == pytest.approx(65.0 - 1.826430, abs=1e-6)
    assert pooled.ci_high == pytest.approx(65.0 + 1.826430, abs=1e-6)
    assert (pooled.n, pooled.targets, pooled.suppressed) == (40, 2, False)


def test_fewer_responses_than_the_minimum_show_no_index():
    a = _target(2, 80.0, 2.0, 12.7)
    b = _target(2, 60.0, 1.0, 12.7)
    pooled = pool_satisfaction([a, b], confidence=0.95, min_group_size=5)
    assert pooled.suppressed and pooled.index is None and pooled.ci_low is None
    assert pooled.n == 4  # the number of responses is not an answer: it stays shown
    assert not pool_satisfaction([a, b], confidence=0.95, min_group_size=4).suppressed


def test_a_target_without_an_interval_leaves_the_pooled_one_undefined():
    single = TargetFigures(90.0, math.nan, math.nan, 1, 1.0)
    pooled = pool_satisfaction(
        [_target(9, 70.0, 1.0, 2.3), single], confidence=0.95, min_group_size=5
    )
    assert pooled.index == pytest.approx((9 * 70 + 90) / 10)
    assert pooled.ci_low is None and pooled.ci_high is None


def test_targets_without_responses_are_left_out():
    pooled = pool_satisfaction(
        [_target(6, 50.0, 1.0, 2.57), TargetFigures(0.0, math.nan, math.nan, 0, 0.0)],
        confidence=0.95,
        min_group_size=5,
    )
    assert pooled.targets == 1 and pooled.index == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"confidence": 1.0, "min_group_size": 5}, "confidence"),
        ({"confidence": 0.95, "min_group_size": 0}, "min_group_size"),
        ({"confidence": 0.95, "min_group_size": 2.5}, "min_group_size"),
    ],
)
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(InvalidParameterError) as caught:
        pool_satisfaction([], **kwargs)
    assert caught.value.name == name


def test_response_rate_sums_responses_over_households():
    # (30 + 10) / (100 + 100); the third target has no household count
    targets = [
        _target(30, 80, 1, 2, households=100),
        _target(10, 60, 1, 2, households=100),
        _target(50, 60, 1, 2, households=None),
    ]
    assert pooled_response_rate(targets) == pytest.approx(0.2)
    assert pooled_response_rate([_target(5, 1, 1, 1)]) is None


@pytest.mark.parametrize(
    ("counts", "minimum", "shown", "total_hidden"),
    [
        # nothing under 5
        ([("a", 5), ("b", 9), ("c", 0)], 5, {"a": 5, "b": 9, "c": 0}, False),
        # two primary cells: their sum is all a reader learns
        ([("a", 6), ("b", 2), ("c", 1)], 5, {"a": 6, "b": None, "c": None}, False),
        # one primary cell (3): the smallest other, the 0 of c, is hidden with it
        ([("a", 6), ("b", 3), ("c", 0)], 5, {"a": 6, "b": None, "c": None}, False),
        # one primary (1); the others tie at 7: the later (worse) grade is hidden
        ([("a", 7), ("b", 7), ("c", 1)], 5, {"a": 7, "b": None, "c": None}, False),
        # a single grade under the minimum: the total goes too
        ([("a", 3)], 5, {"a": None}, True),
        # minimum 1 hides nothing
        ([("a", 1), ("b", 0)], 1, {"a": 1, "b": 0}, False),
    ],
)
def test_suppression_rule(counts, minimum, shown, total_hidden):
    assert suppress_counts(counts, min_group_size=minimum) == (shown, total_hidden)


def test_a_lone_hidden_count_never_follows_from_the_total():
    # every row of up to three grades and 0..9 cadres each, minimum 5
    for a in range(10):
        for b in range(10):
            for c in range(10):
                counts = [("a", a), ("b", b), ("c", c)]
                shown, _total = suppress_counts(counts, min_group_size=5)
                hidden = [k for k, v in shown.items() if v is None]
                assert len(hidden) != 1, counts
                for code, count in counts:
                    if 0 < count < 5:
                        assert shown[code] is None


def test_suppression_refuses_bad_counts():
    with pytest.raises(InvalidParameterError):
        suppress_counts([("a", -1)], min_group_size=5)
    with pytest.raises(InvalidParameterError):
        suppress_counts([("a", 1), ("a", 2)], min_group_size=5)


def test_grade_shares_show_the_hidden_part_as_one():
    # 6 of 10 shown; the hidden 3 + 1 are one share of 0.4
    assert grade_shares({"a": 6, "b": None, "c": None}, 10) == {"a": 0.6, "suppressed": 0.4}
    assert grade_shares({}, 0) == {}
    with pytest.raises(InvalidParameterError):
        grade_shares({"a": 6}, 5)


def test_interval_rows_clip_to_the_scale():
    rows = interval_rows([(105.0, 95.0, 110.0)], width=100, row_height=10)
    assert (rows[0].x, rows[0].low, rows[0].high) == (100.0, 95.0, 100.0)


def test_no_responses_at_all_is_not_a_hidden_group():
    pooled = pool_satisfaction([], confidence=0.95, min_group_size=5)
    assert (pooled.n, pooled.suppressed, pooled.index) == (0, False, None)


def test_a_total_hides_when_it_would_give_away_a_hidden_group():
    # Townships of 40 and 3 responses, minimum 5: the 3 are hidden. A shown total
    # (40 × 70 + 3 × 90) / 43 = 71.40 would give (71.40 × 43 − 40 × 70) / 3 = 90 back.
    shown = _target(40, 70.0, 1.0, 2.02)
    small = _target(3, 90.0, 1.0, 4.3)
    total = pool_satisfaction([shown, small], confidence=0.95, min_group_size=5, hidden_responses=3)
    assert total.suppressed and total.index is None
    # hidden groups of 6 responses together: their mean is a group of 6 >= 5
    assert not pool_satisfaction(
        [shown, small, small], confidence=0.95, min_group_size=5, hidden_responses=6
    ).suppressed
