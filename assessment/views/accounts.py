"""Admin pages for accounts: roles, unit scopes, linked cadre, password."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.forms.base import AccountForm, choices
from assessment.models import Account
from assessment.services.accounts import (
    AccountData,
    find_locked_accounts,
    save_account,
    unlock_account,
)
from assessment.services.queries import (
    NotFoundError,
    get_account,
    list_accounts,
    list_cadres,
    list_units,
)
from assessment.views.access import current_scope, roles_required
from assessment.views.form_errors import field_errors
from assessment.views.messages import ROLE_LABELS

bp = Blueprint("accounts", __name__, url_prefix="/admin/accounts")


def _locked(accounts: list[Account]) -> set[int]:
    return find_locked_accounts(
        db.session, accounts, secret=current_app.config["SECRET_KEY"], now=utcnow()
    )


@bp.route("/")
@roles_required("admin")
def index() -> str:
    """Accounts whose scope lies inside the administrator's."""
    accounts = list_accounts(db.session, current_scope())
    return render_template(
        "assessment/accounts/index.html",
        accounts=accounts,
        locked=_locked(accounts),
        role_labels=ROLE_LABELS,
    )


@bp.route("/<int:account_id>/unlock", methods=["POST"])
@roles_required("admin")
def unlock(account_id: int) -> Response:
    """Let a locked-out account log in again (audited: who unlocked whom)."""
    try:
        account = get_account(db.session, account_id, current_scope())
    except NotFoundError:
        abort(404)
    with unit_of_work(current_user.id, reason="unlock login"):
        unlock_account(db.session, account, secret=current_app.config["SECRET_KEY"])
    flash(_("%(username)s can log in again.", username=account.username), "success")
    return redirect(url_for(".index"))


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:account_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit(account_id: int | None = None) -> str | Response:
    """Create or change an account."""
    account: Account | None = None
    if account_id is not None:
        try:
            account = get_account(db.session, account_id, current_scope())
        except NotFoundError:
            abort(404)
    form = AccountForm(obj=account)
    scope = current_scope()
    form.role.choices = choices([(code, str(label)) for code, label in ROLE_LABELS.items()])
    form.scope_unit_ids.choices = choices(
        [
            (u.id, f"{u.name_zh} ({u.code})")
            for u in list_units(db.session, scope, include_retired=False)
        ]
    )
    form.cadre_id.choices = choices(
        [(0, _("(none)"))]
        + [(c.id, f"{c.name} ({c.code})") for c in list_cadres(db.session, scope)]
    )
    if request.method == "GET" and account is not None:
        form.scope_unit_ids.data = [s.unit_id for s in account.scopes]
        form.cadre_id.data = account.cadre_id or 0
    if form.validate_on_submit():
        if any(unit_id not in scope for unit_id in form.scope_unit_ids.data):
            abort(403)
        data = AccountData(
            username=form.username.data.strip(),
            display_name=form.display_name.data.strip(),
            role=form.role.data,
            scope_unit_ids=tuple(form.scope_unit_ids.data),
            cadre_id=form.cadre_id.data or None,
            is_enabled=form.is_enabled.data,
            email=form.email.data or "",
        )
        with field_errors(form, flash_it=True) as attempt, unit_of_work(current_user.id):
            saved = save_account(
                db.session, data, password=form.password.data or None, account=account
            )
        if attempt.saved:
            if saved.id == current_user.id:
                # A reset of one's own password ends one's other sessions, not this one.
                login_user(saved)
            flash(_("Account saved."), "success")
            return redirect(url_for(".index"))
    return render_template(
        "assessment/accounts/edit.html",
        form=form,
        account=account,
        is_locked=account is not None and account.id in _locked([account]),
        title=_("Edit account") if account else _("New account"),
    )
