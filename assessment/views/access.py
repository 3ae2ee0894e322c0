"""Who may open which page: role checks and the reader's unit scope."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g
from flask_login import current_user, login_required

from assessment.app.db import db
from assessment.app.extensions import login_manager
from assessment.models import Account
from assessment.services.queries import scope_unit_ids

F = TypeVar("F", bound=Callable[..., Any])


@login_manager.user_loader
def _load_account(session_id: str) -> Account | None:
    """The account a session names, if that session has not been ended since.

    The session holds ``"<id>:<session_version>"`` (:meth:`Account.get_id`); a logout,
    password change or reset raises the version, which ends every older session.
    """
    account_id, _sep, version = session_id.partition(":")
    if not account_id.isdigit() or not version.isdigit():
        return None
    account = db.session.get(Account, int(account_id))
    if account is None or not account.is_enabled or account.session_version != int(version):
        return None
    return account


def roles_required(*roles: str) -> Callable[[F], F]:
    """Refuse (403) a logged-in account whose role is not listed; send anonymous to login."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def current_scope() -> set[int]:
    """Unit ids the logged-in account may see, computed once per request."""
    if "scope_unit_ids" not in g:
        g.scope_unit_ids = scope_unit_ids(db.session, current_user)
    scope: set[int] = g.scope_unit_ids
    return scope


STAFF_ROLES = ("admin", "assessor", "clerk", "official")
TEAM_ROLES = ("admin", "assessor")
