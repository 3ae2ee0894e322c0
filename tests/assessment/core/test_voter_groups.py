"""Weighted voter groups for a satisfaction indicator (assessment.core.voter_groups).

Every expected value is worked out by hand in the test: ``index = Σ w_g × index_g /
Σ w_g`` over the group indices published at 2 decimals, half up (the default precision).
"""

from __future__ import annotations

import itertools
import math

import pytest

from assessment.core.errors import InvalidParameterError
from assessment.core.precision import Precision
from assessment.core.voter_groups import GroupIndex, compute_group_weighted_index

WEIGHTS = [("leaders", 30), ("staff", 40), ("public", 30)]


def test_three_groups_weighted_30_40_30():
    # (30 × 90 + 40 × 80 + 30 × 70) / 100 = (2700 + 3200 + 2100) / 100 = 80
    result = compute_group_weighted_index(
        [
            GroupIndex("leaders", 90.0, 5),
            GroupIndex("staff", 80.0, 12),
            GroupIndex("public", 70.0, 40),
        ],
        WEIGHTS,
    )
    assert result.index == 80.0 and result.missing_groups == ()
    assert [(g.group, g.weight, g.index, g.n) for g in result.groups] == [
        ("leaders", 30.0, 90.0, 5),
        ("staff", 40.0, 80.0, 12),
        ("public", 30.0, 70.0, 40),
    ]


def test_group_indices_are_published_before_weighting():
    # 200/3 = 66.666... published 66.67; 250/3 = 83.333... published 83.33
    # (1 × 66.67 + 2 × 83.33) / 3 = (66.67 + 166.66) / 3 = 233.33 / 3 = 77.7766... → 77.78
    # (unpublished: (200/3 + 500/3) / 3 = 700/9 = 77.777... → 77.78 too, so check the parts)
    result = compute_group_weighted_index(
        [GroupIndex("a", 200 / 3, 3), GroupIndex("b", 250 / 3, 6)], [("a", 1), ("b", 2)]
    )
    assert [g.index for g in result.groups] == [66.67, 83.33]
    assert result.index == 77.78
    # re-adding the printed parts gives the printed index
    assert round((1 * 66.67 + 2 * 83.33) / 3, 2) == result.index


def test_weights_need_not_add_to_100():
    # weights 1 and 3: (1 × 60 + 3 × 100) / 4 = 360 / 4 = 90
    result = compute_group_weighted_index(
        [GroupIndex("a", 60.0, 2), GroupIndex("b", 100.0, 2)], [("a", 1), ("b", 3)]
    )
    assert result.index == 90.0


def test_half_up_on_the_boundary():
    # (1 × 80.01 + 1 × 80.00) / 2 = 80.005 → half up 80.01, half even 80.00
    groups = [GroupIndex("a", 80.01, 1), GroupIndex("b", 80.0, 1)]
    assert compute_group_weighted_index(groups, [("a", 1), ("b", 1)]).index == 80.01
    even = Precision(2, "half_even")
    assert compute_group_weighted_index(groups, [("a", 1), ("b", 1)], precision=even).index == 80.0


def test_a_group_below_min_responses_is_a_missing_input():
    # staff has 2 valid responses, min_responses 3: no index for staff, none for the indicator
    result = compute_group_weighted_index(
        [
            GroupIndex("leaders", 90.0, 5),
            GroupIndex("staff", 80.0, 2),
            GroupIndex("public", 70.0, 3),
        ],
        WEIGHTS,
        min_responses=3,
    )
    assert result.index is None and result.missing_groups == ("staff",)
    assert [g.index for g in result.groups] == [90.0, None, 70.0]


def test_exactly_min_responses_counts():
    result = compute_group_weighted_index([GroupIndex("a", 50.0, 3)], [("a", 1)], min_responses=3)
    assert result.index == 50.0


def test_an_absent_or_empty_group_is_missing():
    # public gave no response at all: absent from the input, missing in the result
    result = compute_group_weighted_index(
        [GroupIndex("leaders", 90.0, 5), GroupIndex("staff", None, 0)], WEIGHTS
    )
    assert result.missing_groups == ("staff", "public") and result.index is None


def test_the_order_of_the_groups_does_not_matter():
    groups = [
        GroupIndex("leaders", 91.25, 5),
        GroupIndex("staff", 77.5, 12),
        GroupIndex("public", 63.33, 40),
    ]
    # (30 × 91.25 + 40 × 77.5 + 30 × 63.33) / 100 = (2737.5 + 3100 + 1899.9) / 100 = 77.374 → 77.37
    results = {
        compute_group_weighted_index(list(order), WEIGHTS).index
        for order in itertools.permutations(groups)
    }
    assert results == {77.37}


@pytest.mark.parametrize(
    ("groups", "weights", "kwargs", "name", "reason"),
    [
        ([], [], {}, "weights", "empty"),
        ([], [("a", 0)], {}, "weights['a']", "not_positive"),
        ([], [("a", -1)], {}, "weights['a']", "not_positive"),
        ([], [("a", math.nan)], {}, "weights['a']", "not_positive"),
        ([], [("a", True)], {}, "weights['a']", "not_positive"),
        ([], [("a", 1), ("a", 2)], {}, "weights", "duplicate_group"),
        ([GroupIndex("b", 50.0, 1)], [("a", 1)], {}, "groups", "group_not_weighted"),
        ([GroupIndex("a", 50.0, 1)] * 2, [("a", 1)], {}, "groups", "duplicate_group"),
        ([GroupIndex("a", 101.0, 1)], [("a", 1)], {}, "groups['a'].index", "not_0_100"),
        ([GroupIndex("a", math.nan, 1)], [("a", 1)], {}, "groups['a'].index", "not_0_100"),
        ([GroupIndex("a", 50.0, -1)], [("a", 1)], {}, "groups['a'].n", "not_a_count"),
        ([GroupIndex("a", None, 2)], [("a", 1)], {}, "groups['a'].index", "missing_index"),
        ([], [("a", 1)], {"min_responses": 0}, "min_responses", "below_one"),
    ],
)
def test_bad_inputs_name_the_argument(groups, weights, kwargs, name, reason):
    with pytest.raises(InvalidParameterError) as caught:
        compute_group_weighted_index(groups, weights, **kwargs)
    assert (caught.value.name, caught.value.reason) == (name, reason)
