"""The declared precision of published numbers, and decimal arithmetic on them (issue 13).

Every number the assessment publishes (points, totals, satisfaction indices, panel
values, shares) has a declared precision: two decimals rounded half up (四舍五入)
unless the rulebook says otherwise. Totals, ranks, grade thresholds, quota ties and
every rule boundary are decided on exactly the published values, so whoever re-adds the
printed points gets the printed total, and the printed total gets the printed grade.

Binary floating point cannot do this: 0.1 + 0.2 is 0.30000000000000004, and a total of
exactly 90 can come out as 89.99999999999999 (printed 90.00, graded 称职). So the rules
run in exact rational arithmetic (:class:`fractions.Fraction`) on the numbers as they
were written, and every published value is rounded once, by one rule, here:

- :func:`exact` reads a number as the decimal it was written as (``0.1`` is 1/10);
- :meth:`Precision.round` rounds an exact value to the declared places, and a value
  the engine computed in floating point (a mean of survey scores) after reading it to
  :data:`SNAP_PLACES` decimals;
- :meth:`Precision.quanta_of_floats` does the same for a whole array at once (the
  bootstrap), through the same integer rounding :func:`divide_rounded`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from assessment.core.errors import InvalidParameterError

__all__ = [
    "DEFAULT_PRECISION",
    "MAX_PLACES",
    "SNAP_PLACES",
    "Precision",
    "Rounding",
    "divide_rounded",
    "exact",
]

#: Most decimals a rulebook may declare.
MAX_PLACES = 4
#: Decimals a floating-point result of the engine is read to before it is rounded.
SNAP_PLACES = 9
# |x| × 10^9 must stay below 2^53 for the reading to be exact in float64
_SNAP_LIMIT = 1e6

IntArray = npt.NDArray[np.int64]


class Rounding(StrEnum):
    """How a value exactly half-way between two published values is rounded.

    ``half_up`` is 四舍五入 (ties away from zero: 28.125 → 28.13), the rule of Chinese
    official scoring and the default. ``half_even`` is 四舍六入五成双 (ties to the even
    neighbour: 28.125 → 28.12, 28.135 → 28.14), the rule of GB/T 8170-2008
    《数值修约规则与极限数值的表示和判定》.
    """

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"


def exact(value: object, name: str = "value") -> Fraction:
    """Read a number as the decimal it was written as.

    Parameters
    ----------
    value : int, float, Decimal or Fraction
        A float is read through its shortest round-tripping decimal (``repr``): the
        float ``0.1`` is the decimal 0.1, not the binary 0.1000000000000000055...
    name : str
        Named in the error.

    Returns
    -------
    Fraction

    Raises
    ------
    InvalidParameterError
        ``not_a_number`` for a bool, a string or another type; ``not_finite`` for NaN
        and infinities.

    Examples
    --------
    >>> exact(0.1), exact(85), exact(Decimal("2.50"))
    (Fraction(1, 10), Fraction(85, 1), Fraction(5, 2))
    >>> exact(0.1) + exact(0.2) == exact(0.3)
    True
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | np.number):
        raise InvalidParameterError(name, value, "not_a_number")
    if isinstance(value, int | np.integer):
        return Fraction(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidParameterError(name, value, "not_finite")
        return Fraction(value)
    number = float(value)
    if not np.isfinite(number):
        raise InvalidParameterError(name, value, "not_finite")
    return Fraction(Decimal(repr(number)))


def divide_rounded(numerator: Any, denominator: Any, rounding: Rounding | str) -> Any:
    """Round ``numerator / denominator`` to an integer by the rounding rule, exactly.

    Parameters
    ----------
    numerator : int or numpy.ndarray of int64
    denominator : int or numpy.ndarray of int64
        Positive.
    rounding : Rounding or str

    Returns
    -------
    int or numpy.ndarray of int64
        The same kind as the arguments: one rounding for the scalar and the vectorised
        paths.

    Notes
    -----
    With ``q = floor(n / d)`` and ``m = n - q d`` (so ``0 <= m < d``) the value is
    ``q + m / d``: it rounds up when ``2m > d``, and on a tie (``2m = d``) up when the
    value is not negative (``half_up``: away from zero) or when ``q`` is odd
    (``half_even``).

    Examples
    --------
    28.125 points in hundredths is 28125 / 10:

    >>> divide_rounded(28125, 10, Rounding.HALF_UP), divide_rounded(28125, 10, "half_even")
    (2813, 2812)
    >>> divide_rounded(295, 10, "half_even"), divide_rounded(2824, 100, Rounding.HALF_UP)
    (30, 28)
    >>> divide_rounded(-5, 2, Rounding.HALF_UP)
    -3
    """
    quotient = numerator // denominator
    twice = 2 * (numerator - quotient * denominator)
    tie_up = (numerator >= 0) if Rounding(rounding) is Rounding.HALF_UP else (quotient % 2 == 1)
    up = (twice > denominator) | ((twice == denominator) & tie_up)
    return quotient + up


@dataclass(frozen=True, slots=True)
class Precision:
    """Declared precision of every published number of a rulebook.

    Parameters
    ----------
    places : int
        Decimals of points, totals, panel values and satisfaction indices (0 to
        :data:`MAX_PLACES`; default 2). Shares (0-1) are published with two more, so that
        a percentage has ``places`` decimals.
    rounding : Rounding or str
        ``half_up`` (四舍五入, default) or ``half_even`` (GB/T 8170-2008).

    Raises
    ------
    InvalidParameterError
        ``places`` not an integer in ``[0, MAX_PLACES]``, or an unknown rounding.

    Examples
    --------
    >>> p = Precision()
    >>> p.round(Fraction(225, 8)), p.round(89.99999999999999), p.round(0.1 + 0.2)
    (Decimal('28.13'), Decimal('90.00'), Decimal('0.30'))
    >>> Precision(1, "half_even").round(Fraction(1, 4))
    Decimal('0.2')
    """

    places: int = 2
    rounding: Rounding = Rounding.HALF_UP

    def __post_init__(self) -> None:
        """Check the places and coerce the rounding code."""
        places = self.places
        if isinstance(places, bool) or not isinstance(places, int) or not 0 <= places <= MAX_PLACES:
            raise InvalidParameterError("places", places, "out_of_range")
        try:
            object.__setattr__(self, "rounding", Rounding(self.rounding))
        except ValueError:
            raise InvalidParameterError("rounding", self.rounding, "unknown_rounding") from None

    @classmethod
    def from_plain(cls, plain: Mapping[str, Any] | None) -> Precision:
        """The precision of a plain result or document (``{"places", "rounding"}``).

        ``None`` or empty gives the default: a result stored before the precision was
        declared (issue 13) was printed with two decimals.

        Examples
        --------
        >>> Precision.from_plain(None) == DEFAULT_PRECISION
        True
        >>> Precision.from_plain({"places": 1, "rounding": "half_even"}).places
        1
        """
        if not plain:
            return DEFAULT_PRECISION
        return cls(int(plain["places"]), plain["rounding"])

    @property
    def scale(self) -> int:
        """``10 ** places``: published values are whole numbers of ``1 / scale``."""
        return int(10**self.places)

    def quanta(self, value: object) -> int:
        """The value rounded by the rule, in units of ``10 ** -places``.

        A float is taken as a result the engine computed in floating point and read
        through :meth:`quanta_of_floats`; any other number through :func:`exact`.

        Examples
        --------
        >>> Precision().quanta(Fraction(1, 3)), Precision().quanta(76.125)
        (33, 7613)
        """
        if isinstance(value, float | np.floating):
            return int(self.quanta_of_floats(np.asarray([value], dtype=np.float64))[0])
        x = exact(value)
        return int(divide_rounded(x.numerator * self.scale, x.denominator, self.rounding))

    def round(self, value: object) -> Decimal:
        """The published value: ``value`` rounded to ``places`` decimals by the rule.

        Notes
        -----
        An exact value (int, Decimal, Fraction) is rounded exactly. A float is a result
        of floating-point arithmetic (a mean of survey scores, a sum in the bootstrap)
        whose binary error is far below 10^-9: it is read to :data:`SNAP_PLACES`
        decimals (nearest) first, which gives back every value that is exact in decimal
        (``89.99999999999999`` → 90, ``28.124999999999996`` → 28.125), and then
        rounded by the rule.
        """
        return Decimal(self.quanta(value)).scaleb(-self.places)

    def publish(self, value: object) -> float:
        """:meth:`round` as a float (the nearest double to the published decimal).

        The float reads back to the same decimal (``repr`` gives ``"28.13"``), so
        :func:`exact` of a published float is the published decimal exactly.
        """
        return float(self.round(value))

    def publish_share(self, value: object) -> float:
        """A share (0-1) published with ``places + 2`` decimals: a percentage with ``places``."""
        return Precision(self.places + 2, self.rounding).publish(value)

    def quanta_of_floats(self, values: npt.ArrayLike) -> IntArray:
        """Floating-point results rounded by the rule, in units of ``10 ** -places``.

        Parameters
        ----------
        values : array_like of float
            Finite, each below 10^6 in absolute value.

        Returns
        -------
        numpy.ndarray of int64

        Notes
        -----
        ``n = rint(x × 10^9)`` (the value read to 9 decimals, exact in float64 for
        ``|x| < 10^6``), then ``divide_rounded(n, 10^(9 - places))``.
        """
        x = np.asarray(values, dtype=np.float64)
        if not np.isfinite(x).all():
            raise InvalidParameterError("value", "nan_or_inf", "not_finite")
        if (np.abs(x) >= _SNAP_LIMIT).any():
            raise InvalidParameterError("value", float(np.abs(x).max()), "too_large_to_round")
        nano = np.rint(x * 10.0**SNAP_PLACES).astype(np.int64)
        rounded: IntArray = np.asarray(
            divide_rounded(nano, np.int64(10 ** (SNAP_PLACES - self.places)), self.rounding),
            dtype=np.int64,
        )
        return rounded

    def tie_example(self) -> tuple[str, str]:
        """A value exactly half-way at this precision and what it is published as.

        Examples
        --------
        >>> Precision().tie_example(), Precision(2, "half_even").tie_example()
        (('28.125', '28.13'), ('28.125', '28.12'))
        >>> Precision(0).tie_example()
        ('2812.5', '2813')
        """
        tie = Decimal(28125).scaleb(-(self.places + 1))
        return f"{tie:f}", self.format(tie)

    def format(self, value: object) -> str:
        """The published value as text with exactly ``places`` decimals.

        Examples
        --------
        >>> Precision().format(94.0), Precision(0).format(Fraction(189, 2))
        ('94.00', '95')
        """
        return f"{self.round(value):f}"


#: Two decimals, half up: what a rulebook that says nothing about precision gets.
DEFAULT_PRECISION = Precision()
