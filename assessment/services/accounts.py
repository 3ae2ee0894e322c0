"""Accounts, passwords and staff login."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from assessment import throttle
from assessment.core.errors import FieldError
from assessment.models import Account, AccountScope, Role, Unit
from assessment.passwords import MIN_PASSWORD_LENGTH, check_password, hash_password
from assessment.queries import find_account_by_username


@dataclass(frozen=True, slots=True)
class AccountData:
    username: str
    display_name: str
    role: str
    scope_unit_ids: tuple[int, ...]
    cadre_id: int | None = None
    is_enabled: bool = True


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FieldError("password", "password_too_short", min=MIN_PASSWORD_LENGTH)


def save_account(
    session: Session, data: AccountData, *, password: str | None, account: Account | None = None
) -> Account:
    existing = find_account_by_username(session, data.username)
    if existing is not None and existing is not account:
        raise FieldError("username", "duplicate_username", username=data.username)
    if data.role not in {r.value for r in Role}:
        raise FieldError("role", "unknown_role")
    if data.role == Role.CADRE and data.cadre_id is None:
        raise FieldError("cadre_id", "cadre_required")
    if data.role != Role.CADRE and data.cadre_id is not None:
        raise FieldError("cadre_id", "cadre_only_for_cadre_role")
    if not data.scope_unit_ids:
        raise FieldError("scope_unit_ids", "scope_required")
    if account is None:
        if password is None:
            raise FieldError("password", "required")
        account = Account(username=data.username, password_hash="")
        session.add(account)
    if password:
        _check_password(password)
        account.password_hash = hash_password(password)
    account.username = data.username
    account.display_name = data.display_name
    account.role = data.role
    account.cadre_id = data.cadre_id
    account.is_enabled = data.is_enabled
    wanted = set(data.scope_unit_ids)
    for scope in list(account.scopes):
        if scope.unit_id not in wanted:
            account.scopes.remove(scope)
    have = {scope.unit_id for scope in account.scopes}
    for unit_id in sorted(wanted - have):
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise FieldError("scope_unit_ids", "unknown_unit", unit_id=unit_id)
        account.scopes.append(AccountScope(unit=unit))
    session.flush()
    return account


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    account: Account | None
    locked_until: datetime | None = None


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    client: str,
    secret: str,
    account_policy: throttle.ThrottlePolicy,
    client_policy: throttle.ThrottlePolicy,
    now: datetime,
) -> LoginOutcome:
    """Check a password under per-account and per-client throttling.

    A locked subject is refused without checking the password, so guessing during a
    lock-out learns nothing.
    """
    account_key = throttle.subject_key(secret, "account", username.lower())
    client_key = throttle.subject_key(secret, "client", client)
    for key in (account_key, client_key):
        until = throttle.locked_until(session, key, now)
        if until is not None:
            return LoginOutcome(None, until)
    account = find_account_by_username(session, username)
    valid = check_password(account.password_hash if account else None, password)
    if valid and account is not None and account.is_enabled:
        throttle.clear(session, account_key)
        return LoginOutcome(account)
    throttle.record_failure(session, account_key, account_policy, now)
    throttle.record_failure(session, client_key, client_policy, now)
    until = throttle.locked_until(session, account_key, now) or throttle.locked_until(
        session, client_key, now
    )
    return LoginOutcome(None, until)
