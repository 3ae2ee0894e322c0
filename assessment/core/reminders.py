"""Which reminders are due, from plain facts about ratings, notices and objections.

Reminders go to accounts only (assessors, cadres, reviewers); a resident has no account
and is never reminded. Each reminder has a key naming the fact it is about, so that
computing them again on the next run finds the same keys and adds nothing twice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from assessment.core.workdays import add_working_days

__all__ = [
    "DECIDED_REMINDER_DAYS",
    "LEAD_WORKING_DAYS",
    "DueReminder",
    "NoticeFacts",
    "ObjectionFacts",
    "RatingFacts",
    "compute_due_reminders",
]

#: "Close to" a deadline: the deadline falls within this many working days from today.
LEAD_WORKING_DAYS = 2
#: A decision older than this is not announced any more (a first run on old data).
DECIDED_REMINDER_DAYS = 30


@dataclass(frozen=True, slots=True)
class RatingFacts:
    """A collecting period with a rating deadline, and each assessor's missing ratings."""

    period_id: int
    period_name: str
    deadline: date
    #: Account id -> number of (cadre, indicator) ratings still missing.
    missing: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """A public notice, and the accounts of the cadres whose results it shows."""

    notice_id: int
    period_id: int
    period_name: str
    starts_on: date
    ends_on: date
    cadre_account_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ObjectionFacts:
    """An objection: who filed it (a cadre's account, or None), who reviews it, its dates."""

    objection_id: int
    period_id: int
    period_name: str
    review_due_on: date
    decided_on: date | None
    outcome: str | None
    filed_by_account_id: int | None
    #: The assigned reviewer, or every team administrator while nobody is assigned.
    reviewer_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DueReminder:
    """One reminder to create: for whom, what kind, its unique key and what it shows."""

    account_id: int
    kind: str
    key: str
    params: Mapping[str, str | int] = field(default_factory=dict)


def compute_due_reminders(
    *,
    ratings: Collection[RatingFacts],
    notices: Collection[NoticeFacts],
    objections: Collection[ObjectionFacts],
    today: date,
    holidays: Collection[date] = (),
    extra_workdays: Collection[date] = (),
) -> list[DueReminder]:
    """Every reminder due on ``today``, by account, in a stable order.

    Parameters
    ----------
    ratings, notices, objections
        Facts read from the database (see the record classes).
    today : date
        The local date.
    holidays, extra_workdays : collection of date
        The working-day calendar (:func:`assessment.core.workdays.is_working_day`).

    Returns
    -------
    list of DueReminder
        Sorted by account, then key.

    Notes
    -----
    With ``soon = add_working_days(today, 2)``:

    - ``ratings_due`` to each assessor with missing ratings when
      ``today <= deadline <= soon``; the key holds the deadline, so a moved deadline
      reminds again.
    - ``notice_opened`` to each assessed cadre's account while
      ``starts_on <= today <= ends_on``.
    - ``objection_decided`` to the cadre who filed the objection, for a decision at most
      30 days old.
    - ``objection_due_soon`` to the reviewers of an undecided objection when
      ``today <= review_due_on <= soon``; ``objection_overdue`` when
      ``today > review_due_on``.

    Examples
    --------
    >>> facts = ObjectionFacts(7, 1, "2026年度", date(2026, 3, 10), None, None, None, (3,))
    >>> [(r.account_id, r.key) for r in compute_due_reminders(
    ...     ratings=(), notices=(), objections=[facts], today=date(2026, 3, 9))]
    [(3, 'objection_due_soon:7')]
    >>> [(r.account_id, r.key) for r in compute_due_reminders(
    ...     ratings=(), notices=(), objections=[facts], today=date(2026, 3, 11))]
    [(3, 'objection_overdue:7')]
    """
    soon = add_working_days(
        today, LEAD_WORKING_DAYS, holidays=holidays, extra_workdays=extra_workdays
    )
    due: list[DueReminder] = []
    for rating in ratings:
        if not today <= rating.deadline <= soon:
            continue
        for account_id, missing in rating.missing.items():
            if missing > 0:
                due.append(
                    DueReminder(
                        account_id,
                        "ratings_due",
                        f"ratings_due:{rating.period_id}:{rating.deadline.isoformat()}",
                        {
                            "period_id": rating.period_id,
                            "period": rating.period_name,
                            "deadline": rating.deadline.isoformat(),
                            "missing": missing,
                        },
                    )
                )
    for notice in notices:
        if not notice.starts_on <= today <= notice.ends_on:
            continue
        for account_id in notice.cadre_account_ids:
            due.append(
                DueReminder(
                    account_id,
                    "notice_opened",
                    f"notice_opened:{notice.notice_id}",
                    {
                        "period_id": notice.period_id,
                        "period": notice.period_name,
                        "ends_on": notice.ends_on.isoformat(),
                    },
                )
            )
    oldest_decision = today - timedelta(days=DECIDED_REMINDER_DAYS)
    for objection in objections:
        params: dict[str, str | int] = {
            "period_id": objection.period_id,
            "period": objection.period_name,
            "objection_id": objection.objection_id,
            "due": objection.review_due_on.isoformat(),
        }
        if objection.decided_on is not None:
            if objection.filed_by_account_id is not None and objection.decided_on >= (
                oldest_decision
            ):
                due.append(
                    DueReminder(
                        objection.filed_by_account_id,
                        "objection_decided",
                        f"objection_decided:{objection.objection_id}",
                        {**params, "outcome": objection.outcome or ""},
                    )
                )
            continue
        if today > objection.review_due_on:
            kind = "objection_overdue"
        elif objection.review_due_on <= soon:
            kind = "objection_due_soon"
        else:
            continue
        for account_id in objection.reviewer_ids:
            due.append(DueReminder(account_id, kind, f"{kind}:{objection.objection_id}", params))
    return sorted(due, key=lambda r: (r.account_id, r.key))
