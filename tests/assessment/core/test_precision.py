"""Declared precision and decimal rounding (issue 13).

Expected values are worked by hand (the arithmetic is in the comments) or come from
Python's :mod:`decimal` module with an explicit rounding mode, which is independent of
the integer rounding under test.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment.core.errors import InvalidParameterError
from assessment.core.precision import (
    DEFAULT_PRECISION,
    Precision,
    Rounding,
    divide_rounded,
    exact,
)

DECIMAL_MODES = {Rounding.HALF_UP: ROUND_HALF_UP, Rounding.HALF_EVEN: ROUND_HALF_EVEN}


@pytest.mark.parametrize(
    ("value", "half_up", "half_even"),
    [
        (Fraction(28125, 1000), "28.13", "28.12"),  # 28.125: a tie, 2 is even
        (Fraction(28135, 1000), "28.14", "28.14"),  # 28.135: a tie, 4 is even
        (Fraction(1, 3), "0.33", "0.33"),
        (Fraction(2, 3), "0.67", "0.67"),
        (Fraction(8999999, 100000), "90.00", "90.00"),  # 89.99999
        (Fraction(-5, 1000), "-0.01", "0.00"),  # ties away from zero / to even
    ],
)
def test_rounding_rules_by_hand(value, half_up, half_even):
    assert Precision(2, "half_up").format(value) == half_up
    assert Precision(2, "half_even").format(value) == half_even


def test_floats_the_engine_computed_are_read_as_their_decimal():
    # binary noise a decimal rule must not see
    assert DEFAULT_PRECISION.round(89.99999999999999) == Decimal("90.00")
    assert DEFAULT_PRECISION.round(28.124999999999996) == Decimal("28.13")
    assert DEFAULT_PRECISION.round(0.1 + 0.2) == Decimal("0.30")
    assert DEFAULT_PRECISION.publish(76.125) == 76.13
    with pytest.raises(InvalidParameterError):
        DEFAULT_PRECISION.round(float("nan"))
    with pytest.raises(InvalidParameterError):
        DEFAULT_PRECISION.round(1e7)  # beyond what float64 reads to 9 decimals


def test_exact_reads_numbers_as_written():
    assert exact(0.1) == Fraction(1, 10)
    assert exact(1e-5) == Fraction(1, 100000)
    assert exact(np.float64(33.3)) == Fraction(333, 10)
    for bad in (True, "1", None, float("inf")):
        with pytest.raises(InvalidParameterError):
            exact(bad)


def test_places_and_rounding_are_checked():
    assert Precision(0).format(Fraction(189, 2)) == "95"  # 94.5 half up
    assert Precision(4).format(Fraction(1, 3)) == "0.3333"
    for places in (-1, 5, 2.0, True):
        with pytest.raises(InvalidParameterError):
            Precision(places)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        Precision(2, "down")  # type: ignore[arg-type]


def test_shares_keep_two_more_places():
    # 5 of 6 satisfied: 83.333...% published as 83.33%
    assert DEFAULT_PRECISION.publish_share(5 / 6) == 0.8333


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=1, max_value=10**6),
    st.sampled_from(list(Rounding)),
)
def test_integer_rounding_agrees_with_the_decimal_module(numerator, denominator, rounding):
    expected = (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal(1), rounding=DECIMAL_MODES[rounding]
    )
    # a fraction m / d that is not a tie is at least 1 / (2d) >= 5e-7 from one: far above
    # the error of the 28-digit default context, so the Decimal quotient rounds the same
    assert divide_rounded(numerator, denominator, rounding) == int(expected)


@given(
    st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=50),
    st.sampled_from(list(Rounding)),
    st.integers(min_value=0, max_value=4),
)
def test_the_array_rounding_is_the_scalar_rounding(nanos, rounding, places):
    # values with up to 9 decimals, as floats: the bootstrap's path and the engine's
    values = np.array(nanos, dtype=np.float64) / 1e9
    precision = Precision(places, rounding)
    quanta = precision.quanta_of_floats(values)
    for value, q in zip(values.tolist(), quanta.tolist(), strict=True):
        expected = Decimal(repr(value)).quantize(
            Decimal(1).scaleb(-places), rounding=DECIMAL_MODES[rounding]
        )
        assert Decimal(q).scaleb(-places) == expected
        assert precision.quanta(value) == q
