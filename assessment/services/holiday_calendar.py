"""China's statutory public holidays and make-up working days (调休), as plain dates.

The State Council publishes each year's schedule in November; the maintained `holidays`
package (https://github.com/vacanza/holidays, China calendar, citing the State Council's
notices) carries it, make-up working days included (``weekend_workdays``). Updating that
package picks up a new year's schedule; a township adds or removes days on the settings
page. :mod:`assessment.core.workdays` gets the result as data and reads no calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays

#: Calendars a deployment may name in ``HOLIDAY_CALENDAR`` ("" means none).
SUPPORTED_CALENDARS = ("CN", "")


def statutory_days(country: str, years: Iterable[int]) -> tuple[frozenset[date], frozenset[date]]:
    """Public holidays and make-up working days of ``country`` in ``years``.

    Returns ``(holidays, extra_workdays)``; both empty for ``country == ""``.
    """
    if country == "":
        return frozenset(), frozenset()
    if country not in SUPPORTED_CALENDARS:
        raise ValueError(f"unknown holiday calendar {country!r}")
    wanted = set(years)
    calendar = holidays.country_holidays(country, years=sorted(wanted))
    # weekend_workdays may hold days of years the calendar was built for earlier.
    workdays = frozenset(day for day in calendar.weekend_workdays if day.year in wanted)
    return frozenset(calendar), workdays
