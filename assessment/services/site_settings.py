"""The settings a township changes itself, stored in the database over the config defaults.

The deployment's configuration (``NOTICE_WORKING_DAYS``, ``PUBLIC_BASE_URL``, ...) gives
the defaults; an administrator's choices on the settings page are kept in
``site_settings`` (one audited row per changed setting) and win over them. The working
calendar of notices and reviews is China's statutory one
(:mod:`assessment.services.holiday_calendar`)
with the township's own additions and removals on top.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.app.config import parse_dates
from assessment.core.digest import canonical_json
from assessment.core.errors import FieldError
from assessment.models import SiteSetting
from assessment.services.holiday_calendar import statutory_days

MAX_NOTICE_DAYS = 30
MIN_GROUP_SIZE_RANGE = (2, 100)
MAX_URL_LENGTH = 200
DATE_LISTS = ("holidays_added", "holidays_removed", "workdays_added", "workdays_removed")


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """What the settings page shows and saves."""

    #: Length of a public notice (公示) and the time to decide an objection, in working days.
    notice_working_days: int
    review_working_days: int
    #: The township's own days off and make-up working days, over the statutory calendar.
    holidays_added: tuple[date, ...]
    holidays_removed: tuple[date, ...]
    workdays_added: tuple[date, ...]
    workdays_removed: tuple[date, ...]
    #: Site root printed in the reports' verification links; "" means the request's host.
    public_base_url: str
    #: Smallest group of survey answers a new period shows in a breakdown.
    min_group_size: int


def config_defaults(config: Mapping[str, Any]) -> SiteSettings:
    """The settings as the deployment's configuration gives them."""
    return SiteSettings(
        notice_working_days=int(config["NOTICE_WORKING_DAYS"]),
        review_working_days=int(config["NOTICE_REVIEW_WORKING_DAYS"]),
        holidays_added=tuple(sorted(parse_dates(config.get("NOTICE_HOLIDAYS") or ()))),
        holidays_removed=(),
        workdays_added=tuple(sorted(parse_dates(config.get("NOTICE_EXTRA_WORKDAYS") or ()))),
        workdays_removed=(),
        public_base_url=str(config.get("PUBLIC_BASE_URL") or ""),
        min_group_size=int(config.get("MIN_GROUP_SIZE", 5)),
    )


def _decode(name: str, stored: str) -> Any:
    value = json.loads(stored)
    if name in DATE_LISTS:
        return tuple(date.fromisoformat(day) for day in value)
    return value


def get_site_settings(session: Session, config: Mapping[str, Any]) -> SiteSettings:
    """The settings in force: the configuration, overridden by the saved choices."""
    settings = config_defaults(config)
    known = {field.name for field in fields(SiteSettings)}
    saved = {
        row.key: _decode(row.key, row.value)
        for row in session.scalars(sa.select(SiteSetting))
        if row.key in known
    }
    return replace(settings, **saved)


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise FieldError(name, "out_of_range", min=low, max=high)


def _check_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url:
        return ""
    if len(url) > MAX_URL_LENGTH:
        raise FieldError("public_base_url", "too_long", max=MAX_URL_LENGTH)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise FieldError("public_base_url", "bad_site_address")
    return url


def _check_dates(settings: SiteSettings) -> None:
    for added, removed in (
        ("holidays_added", "holidays_removed"),
        ("workdays_added", "workdays_removed"),
    ):
        both = set(getattr(settings, added)) & set(getattr(settings, removed))
        if both:
            raise FieldError(removed, "date_added_and_removed", day=min(both).isoformat())
    clash = set(settings.holidays_added) & set(settings.workdays_added)
    if clash:
        raise FieldError("workdays_added", "date_holiday_and_workday", day=min(clash).isoformat())


def update_site_settings(
    session: Session, *, settings: SiteSettings, config: Mapping[str, Any]
) -> SiteSettings:
    """Check and save the administrator's settings; only what differs from config is stored.

    Raises
    ------
    FieldError
        Naming the first bad field; nothing is saved then.
    """
    _check_range("notice_working_days", settings.notice_working_days, 1, MAX_NOTICE_DAYS)
    _check_range("review_working_days", settings.review_working_days, 1, MAX_NOTICE_DAYS)
    _check_range("min_group_size", settings.min_group_size, *MIN_GROUP_SIZE_RANGE)
    sorted_date_lists: dict[str, Any] = {
        name: tuple(sorted(set(getattr(settings, name)))) for name in DATE_LISTS
    }
    settings = replace(
        settings, public_base_url=_check_url(settings.public_base_url), **sorted_date_lists
    )
    _check_dates(settings)
    defaults = asdict(config_defaults(config))
    rows = {row.key: row for row in session.scalars(sa.select(SiteSetting))}
    for name, value in asdict(settings).items():
        stored = canonical_json([day.isoformat() for day in value] if name in DATE_LISTS else value)
        row = rows.get(name)
        if value == defaults[name]:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(SiteSetting(key=name, value=stored))
        elif row.value != stored:
            row.value = stored
    session.flush()
    return settings


def working_calendar(
    settings: SiteSettings, *, calendar: str, years: Iterable[int]
) -> tuple[frozenset[date], frozenset[date]]:
    """Days off and make-up working days: statutory, plus the township's, minus its removals."""
    statutory_holidays, statutory_workdays = statutory_days(calendar, years)
    holidays = (statutory_holidays | set(settings.holidays_added)) - set(settings.holidays_removed)
    workdays = (statutory_workdays | set(settings.workdays_added)) - set(settings.workdays_removed)
    return frozenset(holidays), frozenset(workdays)


def notice_calendar(
    session: Session, config: Mapping[str, Any], *, around: date
) -> tuple[frozenset[date], frozenset[date]]:
    """The calendar a notice or review starting near ``around`` counts working days in."""
    settings = get_site_settings(session, config)
    years = range(around.year - 1, around.year + 2)
    return working_calendar(settings, calendar=str(config["HOLIDAY_CALENDAR"]), years=years)


def parse_date_lines(field: str, text: str) -> tuple[date, ...]:
    """Dates typed one per line (commas and spaces also separate them).

    Raises
    ------
    FieldError
        ``bad_date_in_list`` naming ``field``, the line and the value typed.
    """
    days = []
    for number, line in enumerate(text.splitlines(), start=1):
        for value in line.replace(",", " ").replace("，", " ").split():
            try:
                days.append(date.fromisoformat(value))
            except ValueError:
                raise FieldError(field, "bad_date_in_list", line=number, value=value) from None
    return tuple(sorted(set(days)))
