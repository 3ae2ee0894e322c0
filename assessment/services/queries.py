"""Reads for the base package: the session in, rows or plain data out."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.models import (
    Account,
    Appointment,
    AuditEntry,
    Cadre,
    Period,
    Post,
    RulebookVersion,
    Unit,
)


class NotFoundError(LookupError):
    """The object does not exist or is outside the reader's scope."""


def scope_unit_ids(session: Session, account: Account) -> set[int]:
    """Ids of every unit the account may see: its scope units and all below them."""
    roots = [scope.unit for scope in account.scopes]
    if not roots:
        return set()
    conditions = [Unit.path.startswith(root.path) for root in roots]
    return set(session.scalars(sa.select(Unit.id).where(sa.or_(*conditions))))


def list_units(
    session: Session, unit_ids: Iterable[int], *, include_retired: bool = True
) -> list[Unit]:
    query = sa.select(Unit).where(Unit.id.in_(list(unit_ids))).order_by(Unit.path)
    if not include_retired:
        query = query.where(Unit.retired_on.is_(None))
    return list(session.scalars(query))


def get_unit(session: Session, unit_id: int, unit_ids: set[int]) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or unit.id not in unit_ids:
        raise NotFoundError(unit_id)
    return unit


def find_unit(session: Session, unit_id: int) -> Unit | None:
    """A unit by id, without a scope check (the caller decides what it may show)."""
    return session.get(Unit, unit_id)


def find_unit_by_code(session: Session, code: str) -> Unit | None:
    return session.scalars(sa.select(Unit).where(Unit.code == code)).one_or_none()


def list_posts(session: Session, *, include_retired: bool = True) -> list[Post]:
    query = sa.select(Post).order_by(Post.unit_level.desc(), Post.code)
    if not include_retired:
        query = query.where(Post.retired_on.is_(None))
    return list(session.scalars(query))


def get_post(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise NotFoundError(post_id)
    return post


def find_post_by_code(session: Session, code: str) -> Post | None:
    return session.scalars(sa.select(Post).where(Post.code == code)).one_or_none()


def list_cadres(session: Session, unit_ids: set[int], *, search: str = "") -> list[Cadre]:
    """Cadres with an appointment (current or past) in a unit of the scope."""
    in_scope = sa.select(Appointment.cadre_id).where(Appointment.unit_id.in_(unit_ids))
    # persons only: an assessed unit's subject row is no one's roster entry (issue 16)
    query = (
        sa.select(Cadre).where(Cadre.id.in_(in_scope), Cadre.kind == "person").order_by(Cadre.code)
    )
    if search:
        like = f"%{search}%"
        query = query.where(sa.or_(Cadre.name.like(like), Cadre.code.like(like)))
    return list(session.scalars(query))


def get_cadre(session: Session, cadre_id: int, unit_ids: set[int]) -> Cadre:
    cadre = session.get(Cadre, cadre_id)
    if (
        cadre is None
        or cadre.kind != "person"
        or not any(a.unit_id in unit_ids for a in cadre.appointments)
    ):
        raise NotFoundError(cadre_id)
    return cadre


def find_cadre_by_code(session: Session, code: str) -> Cadre | None:
    return session.scalars(sa.select(Cadre).where(Cadre.code == code)).one_or_none()


def get_appointment(session: Session, appointment_id: int, unit_ids: set[int]) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.unit_id not in unit_ids:
        raise NotFoundError(appointment_id)
    return appointment


def list_accounts(session: Session, unit_ids: set[int]) -> list[Account]:
    """Accounts all of whose scope units lie inside the reader's scope."""
    accounts = session.scalars(sa.select(Account).order_by(Account.role, Account.username))
    return [a for a in accounts if a.scopes and all(s.unit_id in unit_ids for s in a.scopes)]


def get_account(session: Session, account_id: int, unit_ids: set[int]) -> Account:
    account = session.get(Account, account_id)
    if account is None or not all(s.unit_id in unit_ids for s in account.scopes):
        raise NotFoundError(account_id)
    return account


def find_account_by_username(session: Session, username: str) -> Account | None:
    return session.scalars(sa.select(Account).where(Account.username == username)).one_or_none()


def list_periods(session: Session, unit_ids: set[int]) -> list[Period]:
    query = (
        sa.select(Period)
        .where(Period.scope_unit_id.in_(unit_ids))
        .order_by(Period.year.desc(), Period.id.desc())
    )
    return list(session.scalars(query))


def get_period(session: Session, period_id: int, unit_ids: set[int]) -> Period:
    period = session.get(Period, period_id)
    if period is None or period.scope_unit_id not in unit_ids:
        raise NotFoundError(period_id)
    return period


def find_period(session: Session, period_id: int) -> Period | None:
    """A period by id, without a scope check: for the public pages and a cadre's own
    result, whose callers check the period's state."""
    return session.get(Period, period_id)


def list_periods_of_cadre(session: Session, cadre_id: int, states: Iterable[str]) -> list[Period]:
    """Periods in ``states`` whose scope holds one of the cadre's units, oldest first."""
    unit_paths = session.scalars(
        sa.select(Unit.path)
        .join(Appointment, Appointment.unit_id == Unit.id)
        .where(Appointment.cadre_id == cadre_id)
    )
    ancestors = {int(part) for path in unit_paths for part in path.strip("/").split("/") if part}
    if not ancestors:
        return []
    return list(
        session.scalars(
            sa.select(Period)
            .where(
                Period.scope_unit_id.in_(ancestors),
                Period.status.in_(list(states)),
                Period.subjects == "cadres",
            )
            .order_by(Period.year, Period.id)
        )
    )


def list_periods_with_published_rules(session: Session) -> list[Period]:
    """Periods with a published rulebook version, the latest year first."""
    period_ids = sa.select(RulebookVersion.period_id).where(RulebookVersion.status == "published")
    return list(
        session.scalars(
            sa.select(Period)
            .where(Period.id.in_(period_ids))
            .order_by(Period.year.desc(), Period.id)
        )
    )


def list_audit_entries(
    session: Session,
    *,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[AuditEntry], int]:
    """A page of the log, newest first, with the total count for the filters."""
    query = sa.select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor_name == actor)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.seq.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(rows), total
