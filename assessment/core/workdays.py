"""Working days: the calendar the public notice (公示) and review deadlines count in.

A working day is a Monday to Friday that is not a public holiday, or a Saturday or
Sunday that the State Council's holiday schedule declares a make-up working day
(调休上班). Both lists are configuration (``NOTICE_HOLIDAYS``, ``NOTICE_EXTRA_WORKDAYS``)
and arrive here as arguments; this module reads no clock and no config.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from assessment.core.errors import InvalidParameterError

_ONE_DAY = timedelta(days=1)
#: Longer spans are a typing error, not a notice (and would loop needlessly).
MAX_WORKING_DAYS = 366


def is_working_day(
    day: date,
    *,
    holidays: Collection[date] = (),
    extra_workdays: Collection[date] = (),
) -> bool:
    """Whether ``day`` is a working day.

    Parameters
    ----------
    day : date
    holidays : collection of date
        Public holidays (days off even when they fall on a weekday).
    extra_workdays : collection of date
        Make-up working days (调休): weekend days that are worked. A date in both lists
        counts as a working day.

    Returns
    -------
    bool
        ``day in extra_workdays or (day.weekday() < 5 and day not in holidays)``.

    Examples
    --------
    >>> is_working_day(date(2026, 3, 6))  # a Friday
    True
    >>> is_working_day(date(2026, 3, 7))  # a Saturday
    False
    >>> is_working_day(date(2026, 3, 7), extra_workdays={date(2026, 3, 7)})
    True
    >>> is_working_day(date(2026, 3, 6), holidays={date(2026, 3, 6)})
    False
    """
    if day in extra_workdays:
        return True
    return day.weekday() < 5 and day not in holidays


def add_working_days(
    start: date,
    days: int,
    *,
    holidays: Collection[date] = (),
    extra_workdays: Collection[date] = (),
) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself is not counted).

    Parameters
    ----------
    start : date
        The day counting starts from, e.g. the day an objection is filed.
    days : int
        Working days to add, ``0 <= days <= 366``. With 0, ``start`` is returned as it is.
    holidays, extra_workdays : collection of date
        As in :func:`is_working_day`.

    Returns
    -------
    date
        The first date ``d > start`` such that exactly ``days`` working days lie in
        ``(start, d]`` and ``d`` is one of them.

    Raises
    ------
    InvalidParameterError
        ``days`` is negative, larger than 366, or not an integer.

    Examples
    --------
    Filed on Friday 6 March 2026, five working days later is Friday 13 March:

    >>> add_working_days(date(2026, 3, 6), 5)
    datetime.date(2026, 3, 13)

    A holiday on Monday 9 March pushes it to Monday 16 March:

    >>> add_working_days(date(2026, 3, 6), 5, holidays={date(2026, 3, 9)})
    datetime.date(2026, 3, 16)
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise InvalidParameterError("days", days, "not_an_integer")
    if not 0 <= days <= MAX_WORKING_DAYS:
        raise InvalidParameterError("days", days, "out_of_range")
    day = start
    remaining = days
    while remaining:
        day += _ONE_DAY
        if is_working_day(day, holidays=holidays, extra_workdays=extra_workdays):
            remaining -= 1
    return day


def working_day_on_or_after(
    day: date,
    *,
    holidays: Collection[date] = (),
    extra_workdays: Collection[date] = (),
) -> date:
    """``day`` when it is a working day, else the next working day.

    Examples
    --------
    >>> working_day_on_or_after(date(2026, 3, 7))  # Saturday -> Monday
    datetime.date(2026, 3, 9)
    >>> working_day_on_or_after(date(2026, 3, 9))
    datetime.date(2026, 3, 9)
    """
    while not is_working_day(day, holidays=holidays, extra_workdays=extra_workdays):
        day += _ONE_DAY
    return day


def notice_end(
    starts_on: date,
    working_days: int,
    *,
    holidays: Collection[date] = (),
    extra_workdays: Collection[date] = (),
) -> date:
    """The last day of a notice that runs ``working_days`` working days from ``starts_on``.

    The first working day on or after ``starts_on`` is day 1; the result is day
    ``working_days``:
    ``add_working_days(working_day_on_or_after(starts_on), working_days - 1)``.

    Parameters
    ----------
    starts_on : date
        The first day of the notice.
    working_days : int
        Length of the notice, ``1 <= working_days <= 366``.
    holidays, extra_workdays : collection of date
        As in :func:`is_working_day`.

    Raises
    ------
    InvalidParameterError
        ``working_days`` is smaller than 1 or larger than 366.

    Examples
    --------
    Five working days from Monday 2 March 2026 end on Friday 6 March; from Wednesday
    4 March they end on Tuesday 10 March (the weekend is skipped):

    >>> notice_end(date(2026, 3, 2), 5)
    datetime.date(2026, 3, 6)
    >>> notice_end(date(2026, 3, 4), 5)
    datetime.date(2026, 3, 10)
    """
    if isinstance(working_days, bool) or not isinstance(working_days, int):
        raise InvalidParameterError("working_days", working_days, "not_an_integer")
    if not 1 <= working_days <= MAX_WORKING_DAYS:
        raise InvalidParameterError("working_days", working_days, "out_of_range")
    first = working_day_on_or_after(starts_on, holidays=holidays, extra_workdays=extra_workdays)
    return add_working_days(
        first, working_days - 1, holidays=holidays, extra_workdays=extra_workdays
    )
