"""Working days for the notice and review deadlines.

Every expected date below was counted by hand on a printed calendar of 2026
(1 March 2026 is a Sunday, 1 October 2026 a Thursday). The holiday lists are made up
for the tests (a week off from 1 to 7 October with Saturday 10 October worked); they
are not a claim about the official schedule.
"""

from __future__ import annotations

from datetime import date

import pytest

from assessment.core.errors import InvalidParameterError
from assessment.core.workdays import (
    add_working_days,
    is_working_day,
    notice_end,
    working_day_on_or_after,
)

GOLDEN_WEEK = {date(2026, 10, d) for d in range(1, 8)}
MAKE_UP = {date(2026, 10, 10)}


def test_weekdays_work_and_weekends_do_not():
    week = [date(2026, 3, d) for d in range(2, 9)]  # Monday 2 to Sunday 8 March
    assert [is_working_day(d) for d in week] == [True] * 5 + [False] * 2


def test_a_make_up_day_beats_a_holiday_listed_on_the_same_date():
    saturday = date(2026, 10, 10)
    assert is_working_day(saturday, holidays={saturday}, extra_workdays={saturday})


def test_adding_skips_the_weekend():
    # Friday 6 March + 1 working day = Monday 9 March; + 5 = Friday 13 March.
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)
    assert add_working_days(date(2026, 3, 6), 5) == date(2026, 3, 13)
    # From a Saturday, the first working day after it is Monday.
    assert add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)
    assert add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 7)


def test_holidays_and_make_up_days():
    # Filed Tuesday 29 September with 5 working days to decide:
    # Wed 30 Sep (1), 1-7 Oct off, Thu 8 (2), Fri 9 (3), Sat 10 worked (4), Mon 12 (5).
    due = add_working_days(date(2026, 9, 29), 5, holidays=GOLDEN_WEEK, extra_workdays=MAKE_UP)
    assert due == date(2026, 10, 12)
    # Without the make-up Saturday: Thu 8, Fri 9, Mon 12, Tue 13 -> Tue 13.
    assert add_working_days(date(2026, 9, 29), 5, holidays=GOLDEN_WEEK) == date(2026, 10, 13)
    # Without holidays: Wed 30, Thu 1, Fri 2, Mon 5, Tue 6 -> Tue 6 October.
    assert add_working_days(date(2026, 9, 29), 5) == date(2026, 10, 6)


def test_a_notice_counts_from_the_day_after_it_is_published():
    # Civil Code art. 201: the day a period starts is not counted.
    # Published Monday 2 March: Tue 3 (1), Wed 4, Thu 5, Fri 6, Mon 9 (5).
    assert notice_end(date(2026, 3, 2), 5) == date(2026, 3, 9)
    # Wednesday 4 March: Thu 5, Fri 6, Mon 9, Tue 10, Wed 11.
    assert notice_end(date(2026, 3, 4), 5) == date(2026, 3, 11)
    # Published on a Saturday, day 1 is Monday 9 March.
    assert notice_end(date(2026, 3, 7), 1) == date(2026, 3, 9)
    # From Tuesday 29 September: Wed 30 (1), 1-7 Oct off, Thu 8 (2), Fri 9 (3),
    # Sat 10 worked (4), Mon 12 (5).
    end = notice_end(date(2026, 9, 29), 5, holidays=GOLDEN_WEEK, extra_workdays=MAKE_UP)
    assert end == date(2026, 10, 12)


def test_the_spring_festival_case_of_the_issue():
    # Published Thursday 12 February 2026. Without holidays: Fri 13, Mon 16, Tue 17,
    # Wed 18, Thu 19. With the State Council's schedule (15-23 February off, Saturday
    # 14 February worked): Fri 13, Sat 14, Tue 24, Wed 25, Thu 26.
    assert notice_end(date(2026, 2, 12), 5) == date(2026, 2, 19)
    off = {date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)}
    worked = {date(2026, 2, 14), date(2026, 2, 28)}
    assert notice_end(date(2026, 2, 12), 5, holidays=off, extra_workdays=worked) == date(
        2026, 2, 26
    )


def test_a_notice_published_on_a_holiday_runs_from_the_next_working_day():
    assert working_day_on_or_after(date(2026, 10, 1), holidays=GOLDEN_WEEK) == date(2026, 10, 8)
    assert notice_end(date(2026, 10, 1), 2, holidays=GOLDEN_WEEK) == date(2026, 10, 9)


@pytest.mark.parametrize("days", [-1, 367, 2.5, True])
def test_bad_day_counts_are_refused(days):
    with pytest.raises(InvalidParameterError) as caught:
        add_working_days(date(2026, 3, 2), days)
    assert caught.value.name == "days"


@pytest.mark.parametrize("days", [0, -3, 367])
def test_a_notice_lasts_at_least_one_working_day(days):
    with pytest.raises(InvalidParameterError) as caught:
        notice_end(date(2026, 3, 2), days)
    assert caught.value.name == "working_days"
