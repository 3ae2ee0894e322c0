"""Accounts, passwords and staff login."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from assessment.core.errors import FieldError
from assessment.models import Account, AccountScope, Cadre, Role, Unit
from assessment.services import throttle
from assessment.services.audit import record_action
from assessment.services.passwords import MIN_PASSWORD_LENGTH, check_password, hash_password
from assessment.services.queries import find_account_by_username


@dataclass(frozen=True, slots=True)
class AccountData:
    username: str
    display_name: str
    role: str
    scope_unit_ids: tuple[int, ...]
    cadre_id: int | None = None
    is_enabled: bool = True
    email: str = ""


# One address, no spaces, a dot in the domain: the shape; whether it exists is the
# SMTP server's to say.
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


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
    linked = session.get(Cadre, data.cadre_id) if data.cadre_id is not None else None
    if data.cadre_id is not None and (linked is None or linked.kind != "person"):
        # an assessed unit is spoken for by the persons holding posts in it (issue 16)
        raise FieldError("cadre_id", "cadre_not_a_person")
    if not data.scope_unit_ids:
        raise FieldError("scope_unit_ids", "scope_required")
    email = data.email.strip()
    if email and not _EMAIL_RE.fullmatch(email):
        raise FieldError("email", "invalid_email")
    if account is None:
        if password is None:
            raise FieldError("password", "required")
        account = Account(username=data.username, password_hash="")
        session.add(account)
    if password:
        _check_password(password)
        account.password_hash = hash_password(password)
        if account.id is not None:  # a reset: the account's sessions end
            end_sessions(account)
    account.username = data.username
    account.display_name = data.display_name
    account.role = data.role
    account.cadre_id = data.cadre_id
    account.is_enabled = data.is_enabled
    account.email = email
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


def end_sessions(account: Account) -> None:
    """End every session of the account (logout, password change or reset).

    Sessions carry the account's ``session_version`` (:meth:`Account.get_id`); the user
    loader accepts only the current one.
    """
    account.session_version += 1


def change_password(
    session: Session, account: Account, *, current_password: str, new_password: str
) -> None:
    """The account's own password change: the current one must be right."""
    if not check_password(account.password_hash, current_password):
        raise FieldError("current_password", "wrong_password")
    _check_password(new_password)
    account.password_hash = hash_password(new_password)
    end_sessions(account)
    session.flush()


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    account: Account | None
    locked_until: datetime | None = None


def _account_hash(secret: str, username: str) -> str:
    return throttle.subject_key(secret, "account", username.strip().lower())


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
    """Check a password under throttling per account from a client, and per client.

    Failures count against the account name *from this client* and against the client,
    never against the account alone: a stranger's wrong guesses lock the stranger out,
    not the account's owner (``client`` is the real address behind a trusted proxy). A
    locked subject is refused without checking the password, so guessing during a
    lock-out learns nothing.
    """
    owner = _account_hash(secret, username)
    client_key = throttle.subject_key(secret, "client", client)
    pair_key = throttle.subject_key(secret, "account-client", f"{owner}:{client}")
    for key in (pair_key, client_key):
        until = throttle.locked_until(session, key, now)
        if until is not None:
            return LoginOutcome(None, until)
    account = find_account_by_username(session, username)
    valid = check_password(account.password_hash if account else None, password)
    if valid and account is not None and account.is_enabled:
        throttle.clear(session, pair_key)
        return LoginOutcome(account)
    throttle.record_failure(session, pair_key, account_policy, now, owner=owner, linked=client_key)
    throttle.record_failure(session, client_key, client_policy, now)
    until = throttle.locked_until(session, pair_key, now) or throttle.locked_until(
        session, client_key, now
    )
    return LoginOutcome(None, until)


def find_locked_accounts(
    session: Session, accounts: Iterable[Account], *, secret: str, now: datetime
) -> set[int]:
    """Ids of the accounts whose owner is locked out of logging in now (from some client)."""
    by_owner = {_account_hash(secret, a.username): a.id for a in accounts}
    return {by_owner[o] for o in throttle.find_locked_owners(session, list(by_owner), now)}


def unlock_account(session: Session, account: Account, *, secret: str) -> int:
    """Clear the account's login counters and those of the clients they came from.

    The counters are not audited (they change on every failed login), so the unlock is
    logged explicitly: ``account.unlock`` by the unit of work's actor, naming the account.
    Returns how many counters were removed.
    """
    removed = throttle.clear_owner(session, _account_hash(secret, account.username))
    record_action(
        session,
        action="account.unlock",
        obj=account,
        before={"username": account.username},
        after={"username": account.username, "counters_cleared": removed},
    )
    return removed
