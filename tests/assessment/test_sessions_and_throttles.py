"""Staff logins behind a reverse proxy, unlocking, the end of sessions, and no-store.

Issue 11, items 5, 9 and 11 (staff side): every request through the proxy the README
recommends came from 127.0.0.1, so 20 bad logins locked every account; a stranger's 5
wrong passwords locked the owner out; nothing unlocked an account; sessions outlived
logout and password resets; staff pages could be cached.
"""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from assessment.app.config import ConfigError, DefaultConfig, validate_config
from assessment.app.db import db
from assessment.models import Account, AuditEntry
from assessment.services.demo import DEMO_PASSWORD

STRANGER = "203.0.113.5"
OWNER = "198.51.100.7"


@pytest.fixture
def app_config(app_config, request):
    # The app sits behind one reverse proxy (nginx on the same machine, as the README
    # says) unless a test asks for another count.
    return {**app_config, "TRUSTED_PROXY_COUNT": getattr(request, "param", 1)}


def login_from(client, address, username, password=DEMO_PASSWORD):
    # The proxy connects from 127.0.0.1 and appends the client's address.
    return client.post(
        "/login",
        data={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )


def page_text(response):
    return html.unescape(response.get_data(as_text=True))


def audit(app, action):
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
            )
        )


def account_id(app, username):
    with app.app_context():
        return db.session.scalars(sa.select(Account.id).where(Account.username == username)).one()


# ---------------------------------------------------------------------------
# throttles behind the proxy
# ---------------------------------------------------------------------------


def test_twenty_bad_logins_through_the_proxy_lock_out_their_client_only(app, demo):
    guesser = app.test_client()
    for index in range(19):
        assert login_from(guesser, STRANGER, f"guess{index}", "wrong-password").status_code == 401
    assert login_from(guesser, STRANGER, "guess19", "wrong-password").status_code == 429
    assert login_from(guesser, STRANGER, "admin").status_code == 429
    # Every other client comes through the same proxy, and is not locked out.
    assert login_from(app.test_client(), OWNER, "admin").status_code == 302


def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out(app, demo):
    stranger = app.test_client()
    for _ in range(5):
        login_from(stranger, STRANGER, "clerk", "wrong-password")
    assert login_from(stranger, STRANGER, "clerk").status_code == 429
    assert login_from(app.test_client(), OWNER, "clerk").status_code == 302


@pytest.mark.parametrize("app_config", [0], indirect=True)
def test_without_trusted_proxies_a_forwarded_address_is_not_believed(app, demo):
    client = app.test_client()
    for _ in range(5):
        login_from(client, STRANGER, "clerk", "wrong-password")
    # A client that claims another address is still the one peer, 127.0.0.1.
    assert login_from(client, OWNER, "clerk").status_code == 429


@pytest.mark.parametrize("value", [-1, "1", 1.5, True, None])
def test_trusted_proxy_count_must_be_a_whole_number_of_proxies(value):
    config = {
        "TESTING": True,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "TRUSTED_PROXY_COUNT": value,
    }
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_COUNT"):
        validate_config(config)


def test_trusted_proxy_count_is_read_from_the_environment(monkeypatch):
    from flask import Config

    assert DefaultConfig.TRUSTED_PROXY_COUNT == 0
    monkeypatch.setenv("ASSESSMENT_TRUSTED_PROXY_COUNT", "2")
    config = Config(".")
    config.from_object(DefaultConfig)
    config.update(TESTING=True, SQLALCHEMY_DATABASE_URI="sqlite://")
    config.from_prefixed_env("ASSESSMENT")
    validate_config(config)
    assert config["TRUSTED_PROXY_COUNT"] == 2


# ---------------------------------------------------------------------------
# unlocking
# ---------------------------------------------------------------------------


def lock_clerk(app):
    stranger = app.test_client()
    for _ in range(5):
        login_from(stranger, STRANGER, "clerk", "wrong-password")
    assert login_from(stranger, STRANGER, "clerk").status_code == 429
    return stranger


def test_an_administrator_sees_the_lock_and_unlocks_it_audited(app, demo):
    locked_out = lock_clerk(app)
    admin = app.test_client()
    assert login_from(admin, OWNER, "admin").status_code == 302
    admin.get("/lang/en")
    listing = page_text(admin.get("/admin/accounts/"))
    row = re.search(r"<tr><td><a [^>]*>clerk</a>.*?</tr>", listing, re.S).group(0)
    assert "locked after failed logins" in row
    assert "locked after failed logins" not in re.search(
        r"<tr><td><a [^>]*>assessor1</a>.*?</tr>", listing, re.S
    ).group(0)
    clerk_id = account_id(app, "clerk")
    assert "Unlock" in page_text(admin.get(f"/admin/accounts/{clerk_id}/edit"))

    response = admin.post(f"/admin/accounts/{clerk_id}/unlock")
    assert response.status_code == 302
    assert "clerk can log in again." in page_text(admin.get(response.headers["Location"]))
    assert login_from(locked_out, STRANGER, "clerk").status_code == 302
    (entry,) = audit(app, "account.unlock")
    assert (entry.actor_name, entry.object_type, entry.object_id) == (
        "admin",
        "account",
        str(clerk_id),
    )
    assert '"username":"clerk"' in entry.after
    assert '"counters_cleared":2' in entry.after  # the clerk's and its client's


def test_unlock_also_clears_the_lock_of_the_client_the_failures_came_from(app, demo):
    office = app.test_client()  # colleagues behind one office address
    for index in range(19):
        login_from(office, STRANGER, f"typo{index}", "wrong-password")
    login_from(office, STRANGER, "clerk", "wrong-password")
    assert login_from(office, STRANGER, "clerk").status_code == 429
    admin = app.test_client()
    login_from(admin, OWNER, "admin")
    admin.post(f"/admin/accounts/{account_id(app, 'clerk')}/unlock")
    assert login_from(office, STRANGER, "clerk").status_code == 302


def test_only_administrators_unlock(app, demo):
    lock_clerk(app)
    assessor = app.test_client()
    login_from(assessor, OWNER, "assessor1")
    assert assessor.post(f"/admin/accounts/{account_id(app, 'clerk')}/unlock").status_code == 403
    assert audit(app, "account.unlock") == []


def test_unlock_command_clears_the_lock_and_names_who_ran_it(app, runner, demo):
    locked_out = lock_clerk(app)
    result = runner.invoke(args=["accounts", "unlock", "clerk"])
    assert result.exit_code == 0, result.output
    assert "clerk 已解锁（清除了 2 个登录计数）。" in result.output
    assert login_from(locked_out, STRANGER, "clerk").status_code == 302
    (entry,) = audit(app, "account.unlock")
    assert entry.actor_name == "system"
    assert entry.reason.startswith("accounts unlock on the command line by ")
    assert entry.object_id == str(account_id(app, "clerk"))


def test_unlock_command_refuses_an_unknown_user_name(app, runner, demo):
    result = runner.invoke(args=["accounts", "unlock", "nobody"])
    assert result.exit_code != 0
    assert "没有用户名为 nobody 的账号" in result.output
    assert audit(app, "account.unlock") == []


# ---------------------------------------------------------------------------
# sessions end when they should
# ---------------------------------------------------------------------------


def two_sessions(app, username, password=DEMO_PASSWORD):
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        assert login_from(client, OWNER, username, password).status_code == 302
        assert client.get("/admin/").status_code == 200
    return first, second


def is_logged_in(client):
    response = client.get("/admin/")
    return response.status_code == 200


def test_logout_ends_every_session_of_the_account(app, demo):
    first, second = two_sessions(app, "assessor1")
    assert first.post("/logout").status_code == 302
    assert not is_logged_in(first)
    assert not is_logged_in(second)
    assert second.get("/admin/").headers["Location"].startswith("/login")


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, demo):
    first, second = two_sessions(app, "assessor1")
    first.get("/lang/en")
    response = first.post(
        "/admin/password",
        data={
            "current_password": DEMO_PASSWORD,
            "new_password": "a-new-password-2026",
            "confirm": "a-new-password-2026",
        },
    )
    assert response.status_code == 302
    assert "Password changed." in page_text(first.get(response.headers["Location"]))
    assert is_logged_in(first)
    assert not is_logged_in(second)
    assert login_from(app.test_client(), OWNER, "assessor1").status_code == 401
    assert (
        login_from(app.test_client(), OWNER, "assessor1", "a-new-password-2026").status_code == 302
    )


def test_a_wrong_current_password_changes_nothing(app, demo):
    first, second = two_sessions(app, "assessor1")
    first.get("/lang/en")
    response = first.post(
        "/admin/password",
        data={
            "current_password": "not-the-password",
            "new_password": "a-new-password-2026",
            "confirm": "a-new-password-2026",
        },
    )
    assert response.status_code == 400
    assert "The current password is not right." in page_text(response)
    assert is_logged_in(second)
    assert login_from(app.test_client(), OWNER, "assessor1").status_code == 302


def reset_password(app, admin_client, username, password):
    """The administrator's account page, sent with a new password and nothing else changed."""
    with app.app_context():
        account = db.session.scalars(sa.select(Account).where(Account.username == username)).one()
        form = {
            "username": username,
            "display_name": account.display_name,
            "role": account.role,
            "scope_unit_ids": [s.unit_id for s in account.scopes],
            "cadre_id": str(account.cadre_id or 0),
            "is_enabled": "y",
            "password": password,
        }
        url = f"/admin/accounts/{account.id}/edit"
    return admin_client.post(url, data=form)


def test_an_administrators_password_reset_ends_the_accounts_sessions(app, demo):
    first, second = two_sessions(app, "clerk")
    admin = app.test_client()
    login_from(admin, OWNER, "admin")
    assert reset_password(app, admin, "clerk", "reset-by-admin-2026").status_code == 302
    assert not is_logged_in(first)
    assert not is_logged_in(second)
    assert is_logged_in(admin)
    # The reset shows in the audit log (the password itself is redacted).
    clerk_id = str(account_id(app, "clerk"))
    (entry,) = [e for e in audit(app, "account.update") if e.object_id == clerk_id]
    assert '"session_version":1' in entry.after and '"password_hash":"***"' in entry.after


def test_an_administrator_resetting_their_own_password_stays_logged_in(app, demo):
    first, second = two_sessions(app, "admin")
    assert reset_password(app, first, "admin", "reset-my-own-2026").status_code == 302
    assert is_logged_in(first)
    assert not is_logged_in(second)


def test_a_session_cookie_from_before_the_change_is_refused(app, demo):
    # A session that names the account without the current session version (as every
    # session did before the version existed) logs nobody in.
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(account_id(app, "admin"))
        session["_fresh"] = True
    assert not is_logged_in(client)


# ---------------------------------------------------------------------------
# Cache-Control: no-store behind the login
# ---------------------------------------------------------------------------


def test_every_staff_page_and_download_is_no_store(app, computed_period):
    admin = app.test_client()
    login_from(admin, OWNER, "admin")
    base = f"/admin/periods/{computed_period}"
    paths = [
        "/admin/",
        "/admin/accounts/",
        "/admin/units/",
        "/admin/audit/",
        "/admin/password",
        f"{base}/inputs",
        f"{base}/preview",
        f"{base}/quantitative/template.xlsx",
        f"{base}/open-data.zip",
        "/admin/overview/overview.xlsx",
        f"/admin/overview/periods/{computed_period}.xlsx",
        "/admin/import/cadres/template.xlsx",
        "/admin/no-such-page",
    ]
    for path in paths:
        with admin.get(path) as response:
            assert response.status_code == (404 if "no-such" in path else 200), path
            assert response.headers["Cache-Control"] == "no-store", path
            assert "Expires" not in response.headers, path
    # Public pages and static files are the same for everyone and may be cached.
    anonymous = app.test_client()
    assert "no-store" not in anonymous.get("/p/").headers.get("Cache-Control", "")
    with admin.get("/static/css/app.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")
