"""Log in and out, switch language, and each role's home page."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.forms.base import LoginForm, PasswordChangeForm
from assessment.services import throttle
from assessment.services.accounts import authenticate, change_password, end_sessions
from assessment.services.queries import list_periods
from assessment.views.access import current_scope
from assessment.views.form_errors import field_errors

bp = Blueprint("auth", __name__)


def _is_local(target: str | None) -> bool:
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/")


def _policy(prefix: str) -> throttle.ThrottlePolicy:
    config = current_app.config
    return throttle.ThrottlePolicy(
        max_failures=config[f"LOGIN_MAX_FAILURES_PER_{prefix}"],
        window=timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]),
        lockout=timedelta(seconds=config["LOGIN_LOCKOUT_SECONDS"]),
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Staff, cadre and official login."""
    if current_user.is_authenticated:
        return redirect(url_for("assessment.auth.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        with unit_of_work(None):
            outcome = authenticate(
                db.session,
                username=form.username.data.strip(),
                password=form.password.data,
                client=request.remote_addr or "",
                secret=current_app.config["SECRET_KEY"],
                account_policy=_policy("ACCOUNT"),
                client_policy=_policy("CLIENT"),
                now=utcnow(),
            )
        if outcome.account is not None:
            language = session.get("lang")
            session.clear()  # a fresh session on login (no fixation)
            if language is not None:
                session["lang"] = language  # the language chosen on the login page stays
            login_user(outcome.account)
            target = request.args.get("next")
            if not _is_local(target):
                target = url_for(
                    "assessment.portal.index"
                    if outcome.account.role == "cadre"
                    else "assessment.auth.home"
                )
            return redirect(target)
        status = 401
        if outcome.locked_until is not None:
            status = 429
            flash(
                _(
                    "Too many failed attempts. Login is locked until %(time)s; "
                    "try again then, or ask an administrator.",
                    time=format_datetime(outcome.locked_until, "short"),
                ),
                "error",
            )
        else:
            flash(_("Wrong user name or password."), "error")
    elif form.is_submitted():
        status = 400
    return render_template("assessment/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """End the session, and every other session of the account (other browsers too)."""
    if current_user.is_authenticated:
        with unit_of_work(current_user.id, reason="logout"):
            end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("assessment.auth.login"))


@bp.route("/admin/password", methods=["GET", "POST"])
@login_required
def password() -> str | Response | tuple[str, int]:
    """Change one's own password; every other session of the account ends."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        account = current_user._get_current_object()
        with (
            field_errors(form) as attempt,
            unit_of_work(account.id, reason="password change"),
        ):
            change_password(
                db.session,
                account,
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
        if attempt.saved:
            login_user(account)  # this session goes on, under the new session version
            flash(_("Password changed. You were logged out everywhere else."), "success")
            return redirect(url_for("assessment.auth.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("assessment/password.html", form=form), status


@bp.route("/lang/<code>")
def switch_language(code: str) -> Response:
    """Remember the reader's language and return to the page they were on."""
    if code in current_app.config["SUPPORTED_LOCALES"]:
        session["lang"] = code
    target = request.args.get("next")
    return redirect(target if _is_local(target) else url_for("assessment.auth.index"))


@bp.route("/")
def index() -> Response:
    """Send staff to their home page and everyone else to the login page."""
    if current_user.is_authenticated:
        return redirect(url_for("assessment.auth.home"))
    return redirect(url_for("assessment.auth.login"))


@bp.route("/admin/")
@login_required
def home() -> str | Response:
    """The home page of the logged-in role; a cadre's is their own page, /me/."""
    if current_user.role == "cadre":
        return redirect(url_for("assessment.portal.index"))
    periods = list_periods(db.session, current_scope())
    return render_template("assessment/home.html", periods=periods)
