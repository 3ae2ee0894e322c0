"""Plausibility warnings from an indicator's own definition (issue 20).

The expected values are worked out by hand from the rules in the module's Notes.
"""

from __future__ import annotations

import doctest

import pytest

from assessment.core import plausibility
from assessment.core.plausibility import check_plausibility, expected_range, is_share
from assessment.core.rulebook import Indicator, IndicatorKind, Label, Step

PERCENT = Label("%", "%")


def _indicator(**fields) -> Indicator:
    return Indicator("X1", Label("例", "e.g."), IndicatorKind.QUANTITATIVE, **fields)


def _codes(indicator: Indicator, actual: float) -> list[str]:
    return [w.code for w in check_plausibility(indicator, actual)]


def test_doctests():
    failures, tried = doctest.testmod(plausibility)
    assert tried > 0 and failures == 0


def test_a_share_above_100_is_flagged_unless_the_rule_rewards_it():
    collection = _indicator(
        method="linear", direction="higher", baseline=80.0, target=95.0, unit=PERCENT
    )
    assert _codes(collection, 100.0) == []
    assert _codes(collection, 100.5) == ["share_above_100"]
    # the demo's revenue quota: a ratio capped at 1.1 rewards up to 110 %
    revenue = _indicator(method="ratio", direction="higher", target=100.0, cap=1.1, unit=PERCENT)
    assert _codes(revenue, 108.0) == []
    assert _codes(revenue, 150.0) == ["share_above_100"]
    # a count is no share: 150 complaints is not "above 100 %"
    complaints = _indicator(method="linear", direction="lower", baseline=20.0, target=5.0)
    assert not is_share(complaints)
    assert "share_above_100" not in _codes(complaints, 150.0)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (80.0, []),  # the baseline
        (65.0, []),  # one width (15) below: still plausible
        (64.9, ["far_outside_range"]),
        (110.0, ["share_above_100"]),  # one width above, but a share above 100
        (950.0, ["share_above_100", "far_outside_range"]),
    ],
)
def test_far_outside_the_baseline_to_target_range(actual, expected):
    rate = _indicator(method="linear", direction="higher", baseline=80.0, target=95.0, unit=PERCENT)
    assert _codes(rate, actual) == expected
    warnings = check_plausibility(rate, actual)
    assert all((w.low, w.high) in ((80.0, 95.0), (0.0, 100.0)) for w in warnings)


def test_ranges_of_each_method():
    steps = _indicator(method="steps", direction="higher", steps=(Step(50, 0.6), Step(100, 1)))
    assert expected_range(steps) == (50.0, 100.0)
    assert _codes(steps, 151.0) == ["far_outside_range"]
    assert _codes(steps, 0.0) == []  # 50 below the first threshold: one width
    assert expected_range(_indicator(method="binary")) is None
    assert _codes(_indicator(method="binary"), 1.0) == []
    # lower is better, ratio: a bad value has no upper end
    lower = _indicator(method="ratio", direction="lower", target=5.0)
    assert expected_range(lower) is None and _codes(lower, 500.0) == []
    # a single-value range uses the value itself as its width
    point = _indicator(method="steps", direction="higher", steps=(Step(10, 1),))
    assert _codes(point, 20.0) == [] and _codes(point, 20.5) == ["far_outside_range"]


def test_percent_units_are_recognised_in_either_language():
    assert is_share(_indicator(unit=Label("百分比", "")))
    assert is_share(_indicator(unit=Label("比例", "Percent")))
    assert not is_share(_indicator(unit=Label("万元", "10k yuan")))
    assert not is_share(_indicator())
