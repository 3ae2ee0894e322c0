"""Reminders: read the facts, store the due reminders once, track e-mail and reading.

:func:`refresh_reminders` reads ratings, notices and objections, asks
:func:`assessment.core.reminders.compute_due_reminders` which reminders are due, and adds
those not stored yet (the key makes it idempotent). The e-mail itself is sent by the
caller after its unit of work has committed; :func:`mark_emailed` and
:func:`record_email_failure` record the outcome. Services flush and never commit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.errors import FieldError
from assessment.core.reminders import (
    DueReminder,
    NoticeFacts,
    ObjectionFacts,
    RatingFacts,
    compute_due_reminders,
)
from assessment.models import Account, Notice, Objection, Period, Reminder
from assessment.services import inputs as inputs_service

logger = logging.getLogger(__name__)

#: A reminder not e-mailed within this time is shown in the app only (an address
#: added later does not bring back old news).
EMAIL_WINDOW = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    """How many reminders were due and how many of them were new."""

    due: int
    created: int


def _rating_facts(session: Session) -> list[RatingFacts]:
    facts = []
    periods = session.scalars(
        sa.select(Period).where(Period.status == "collecting", Period.rating_deadline.is_not(None))
    )
    for period in periods:
        rulebook = inputs_service.find_rulebook(session, period)
        if rulebook is None or period.rating_deadline is None:
            continue
        cadres = inputs_service.list_assessed(session, period)
        plan = inputs_service.build_rating_plan(session, period, rulebook, cadres)
        missing: dict[int, int] = {}
        for assignment in plan.assignments:
            missing[assignment.assessor_id] = missing.get(assignment.assessor_id, 0) + len(
                assignment.missing
            )
        facts.append(RatingFacts(period.id, period.name, period.rating_deadline, missing))
    return facts


def _cadre_accounts(session: Session) -> dict[int, int]:
    """Cadre id -> id of the enabled account linked to that cadre."""
    rows = session.execute(
        sa.select(Account.cadre_id, Account.id).where(
            Account.cadre_id.is_not(None), Account.is_enabled.is_(True)
        )
    )
    return {int(cadre_id): int(account_id) for cadre_id, account_id in rows if cadre_id is not None}


def _notice_facts(session: Session, cadre_accounts: dict[int, int]) -> list[NoticeFacts]:
    facts = []
    for period in session.scalars(sa.select(Period).where(Period.status == "notice")):
        notice = session.scalars(
            sa.select(Notice).where(Notice.period_id == period.id).order_by(Notice.id.desc())
        ).first()
        if notice is None:
            continue
        cadre_ids = [c.cadre_id for c in inputs_service.list_assessed(session, period)]
        accounts = tuple(cadre_accounts[c] for c in cadre_ids if c in cadre_accounts)
        facts.append(
            NoticeFacts(
                notice.id, period.id, period.name, notice.starts_on, notice.ends_on, accounts
            )
        )
    return facts


def _team_admins(session: Session, period: Period) -> tuple[int, ...]:
    return tuple(
        account.id
        for account in inputs_service.list_panel(session, period)
        if account.role == "admin"
    )


def _objection_facts(session: Session, today: date, local_dates: Any) -> list[ObjectionFacts]:
    since = today - timedelta(days=31)
    objections = session.scalars(
        sa.select(Objection)
        .join(Period, Period.id == Objection.period_id)
        .where(
            sa.or_(
                Objection.status != "decided",
                Objection.decided_at >= datetime.combine(since, time.min, tzinfo=UTC),
            )
        )
        .order_by(Objection.id)
    )
    admins: dict[int, tuple[int, ...]] = {}
    facts = []
    for objection in objections:
        if objection.assigned_to_id is not None:
            reviewers: tuple[int, ...] = (objection.assigned_to_id,)
        else:
            if objection.period_id not in admins:
                admins[objection.period_id] = _team_admins(session, objection.period)
            reviewers = admins[objection.period_id]
        facts.append(
            ObjectionFacts(
                objection_id=objection.id,
                period_id=objection.period_id,
                period_name=objection.period.name,
                review_due_on=objection.review_due_on,
                decided_on=local_dates(objection.decided_at) if objection.decided_at else None,
                outcome=objection.outcome,
                filed_by_account_id=objection.filed_by_id if objection.channel == "cadre" else None,
                reviewer_ids=reviewers,
            )
        )
    return facts


def compute_reminders(
    session: Session,
    *,
    today: date,
    local_date: Any,
    holidays: Collection[date] = (),
    extra_workdays: Collection[date] = (),
) -> list[DueReminder]:
    """Every reminder due on ``today`` (local); ``local_date`` maps a UTC time to its local day."""
    cadre_accounts = _cadre_accounts(session)
    return compute_due_reminders(
        ratings=_rating_facts(session),
        notices=_notice_facts(session, cadre_accounts),
        objections=_objection_facts(session, today, local_date),
        today=today,
        holidays=holidays,
        extra_workdays=extra_workdays,
    )


def refresh_reminders(
    session: Session, due: Sequence[DueReminder], *, now: datetime
) -> RefreshSummary:
    """Store each due reminder that is not stored yet (keyed by account and fact)."""
    stored = {
        (row[0], row[1]) for row in session.execute(sa.select(Reminder.account_id, Reminder.key))
    }
    enabled = set(session.scalars(sa.select(Account.id).where(Account.is_enabled.is_(True))))
    created = 0
    for reminder in due:
        if (reminder.account_id, reminder.key) in stored or reminder.account_id not in enabled:
            continue
        session.add(
            Reminder(
                account_id=reminder.account_id,
                kind=reminder.kind,
                key=reminder.key,
                params=json.dumps(dict(reminder.params), ensure_ascii=False, sort_keys=True),
                created_at=now,
            )
        )
        stored.add((reminder.account_id, reminder.key))
        created += 1
    session.flush()
    logger.info("reminders: %d due, %d new", len(due), created)
    return RefreshSummary(due=len(due), created=created)


def list_unsent(session: Session, *, now: datetime) -> list[Reminder]:
    """Reminders waiting for their e-mail: recent, to an enabled account with an address."""
    return list(
        session.scalars(
            sa.select(Reminder)
            .join(Account, Account.id == Reminder.account_id)
            .where(
                Reminder.emailed_at.is_(None),
                Reminder.created_at >= now - EMAIL_WINDOW,
                Account.is_enabled.is_(True),
                Account.email != "",
            )
            .order_by(Reminder.id)
        )
    )


def mark_emailed(session: Session, reminder: Reminder, *, now: datetime) -> None:
    reminder.emailed_at = now
    reminder.email_error = ""
    session.flush()


def record_email_failure(session: Session, reminder: Reminder, message: str) -> None:
    reminder.email_error = message[:300]
    session.flush()


def list_reminders(session: Session, account_id: int, *, limit: int = 200) -> list[Reminder]:
    """An account's reminders, newest first."""
    return list(
        session.scalars(
            sa.select(Reminder)
            .where(Reminder.account_id == account_id)
            .order_by(Reminder.created_at.desc(), Reminder.id.desc())
            .limit(limit)
        )
    )


def count_unread(session: Session, account_id: int) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count(Reminder.id)).where(
                Reminder.account_id == account_id, Reminder.read_at.is_(None)
            )
        )
        or 0
    )


def mark_all_read(session: Session, account_id: int, *, now: datetime) -> int:
    """Mark every unread reminder of the account read; returns how many."""
    unread = session.scalars(
        sa.select(Reminder).where(Reminder.account_id == account_id, Reminder.read_at.is_(None))
    ).all()
    for reminder in unread:
        reminder.read_at = now
    session.flush()
    return len(unread)


def set_rating_deadline(session: Session, period: Period, deadline: date | None) -> Period:
    """Set or clear the period's rating deadline (audited by the unit of work)."""
    if period.status in ("computed", "notice", "final"):
        raise FieldError("rating_deadline", "ratings_closed")
    if deadline is not None and not period.year - 1 <= deadline.year <= period.year + 1:
        raise FieldError("rating_deadline", "deadline_out_of_period", year=period.year)
    period.rating_deadline = deadline
    session.flush()
    return period
