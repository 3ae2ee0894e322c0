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
    """The last day of a notice published on ``starts_on`` for ``working_days`` working days.

    The day of publication is not counted; counting starts the next day, as for every
    period reckoned in days (民法典 Civil Code of the PRC, art. 201: "按照年、月、日计算期间的，
    开始的当日不计入，自下一日开始计算"), and as the review deadline of an objection
    counts. The result is the ``working_days``-th working day after ``starts_on``:
    ``add_working_days(starts_on, working_days)``.

    Parameters
    ----------
    starts_on : date
        The day the notice is published (it is readable from that day).
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
    Published on Monday 2 March 2026, five working days end on Monday 9 March; published
    on Thursday 12 February 2026 with no holidays, on Thursday 19 February:

    >>> notice_end(date(2026, 3, 2), 5)
    datetime.date(2026, 3, 9)
    >>> notice_end(date(2026, 2, 12), 5)
    datetime.date(2026, 2, 19)

    With the State Council's 2026 Spring Festival schedule (15-23 February off,
    Saturday 14 February worked) the same notice ends on 26 February:

    >>> off = {date(2026, 2, day) for day in (16, 17, 18, 19, 20, 23)}
    >>> notice_end(date(2026, 2, 12), 5, holidays=off, extra_workdays={date(2026, 2, 14)})
    datetime.date(2026, 2, 26)
    """
    if isinstance(working_days, bool) or not isinstance(working_days, int):
        raise InvalidParameterError("working_days", working_days, "not_an_integer")
    if not 1 <= working_days <= MAX_WORKING_DAYS:
        raise InvalidParameterError("working_days", working_days, "out_of_range")
    return add_working_days(
        starts_on, working_days, holidays=holidays, extra_workdays=extra_workdays
    )
