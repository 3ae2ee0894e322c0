"""Login, lock-out, sessions, CSRF and security headers."""

from __future__ import annotations

import re

import pytest

from assessment.app.config import ConfigError, validate_config


def test_login_sends_each_role_home(client, auth, demo):
    response = auth.login("assessor1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    client.get("/lang/en")
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "<h1>Assessment team</h1>" in page.get_data(as_text=True)


def test_wrong_password_is_refused_without_saying_which_part(client, auth, demo):
    response = auth.login("admin", "wrong-password")
    assert response.status_code == 401
    assert client.get("/admin/").status_code == 302


def test_unknown_user_gets_the_same_answer(client, auth, demo):
    assert auth.login("nobody", "whatever-password").status_code == 401


def test_empty_form_names_the_fields(client, demo):
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 400
    assert response.get_data(as_text=True).count('class="error"') == 2


def test_account_locks_after_five_failures_even_with_the_right_password(client, auth, demo):
    for _ in range(5):
        auth.login("clerk", "wrong-password")
    locked = auth.login("clerk")
    assert locked.status_code == 429
    text = locked.get_data(as_text=True)
    assert re.search(r"locked until|锁定", text)
    # Another account from the same client is not locked by these five failures.
    assert auth.login("admin").status_code == 302


def test_client_locks_after_twenty_failures_across_accounts(app, client, auth, demo):
    for index in range(20):
        auth.login(f"guess{index}", "wrong-password")
    assert auth.login("admin").status_code == 429
    other_client = app.test_client()
    response = other_client.post(
        "/login",
        data={"username": "admin", "password": "demo-password-2026"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 302


def test_lock_expires(app, client, auth, demo, monkeypatch):
    for _ in range(5):
        auth.login("clerk", "wrong-password")
    from datetime import timedelta

    from assessment.app.db import utcnow
    from assessment.views import auth as auth_views

    later = utcnow() + timedelta(seconds=app.config["LOGIN_LOCKOUT_SECONDS"] + 1)
    monkeypatch.setattr(auth_views, "utcnow", lambda: later)
    assert auth.login("clerk").status_code == 302


def test_disabled_account_cannot_log_in(client, auth, demo, make):
    from assessment.services.queries import find_account_by_username

    def disable(session):
        find_account_by_username(session, "clerk").is_enabled = False
        session.flush()

    make(disable)
    assert auth.login("clerk").status_code == 401


def test_next_only_goes_to_local_pages(client, demo):
    data = {"username": "admin", "password": "demo-password-2026"}
    response = client.post("/login?next=https://evil.example/", data=data)
    assert response.headers["Location"] == "/admin/"
    client.post("/logout")
    response = client.post("/login?next=/admin/units/", data=data)
    assert response.headers["Location"] == "/admin/units/"


def test_logout_is_post_only(client, auth, demo):
    auth.login("admin")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/admin/").status_code == 302


def test_security_headers_and_cookie_flags(client, auth, demo):
    response = auth.login("admin")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    page = client.get("/admin/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in page.get_data(as_text=True)


def test_session_cookie_is_secure_over_https(client, demo):
    response = client.post(
        "/login",
        data={"username": "admin", "password": "demo-password-2026"},
        base_url="https://localhost",
    )
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers


def test_csrf_is_enforced(app, client, demo):
    app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post("/login", data={"username": "admin", "password": "x" * 12})
    assert refused.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post(
        "/login",
        data={"username": "admin", "password": "demo-password-2026", "csrf_token": token},
    )
    assert accepted.status_code == 302


def test_language_switch_changes_the_page_language(client, auth, demo):
    auth.login("admin")
    assert 'lang="zh-CN"' in client.get("/admin/").get_data(as_text=True)
    response = client.get("/lang/en?next=/admin/units/")
    assert response.headers["Location"] == "/admin/units/"
    page = client.get("/admin/units/").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Households" in page
    assert client.get("/lang/xx?next=https://evil.example/").headers["Location"] == "/"


def test_the_language_chosen_before_logging_in_stays_after(client, auth, demo):
    """The session is renewed at login (no fixation); the reader's language is kept."""
    client.get("/lang/en")
    auth.login("admin")
    assert 'lang="en"' in client.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"ACCESS_CODE_HASH_KEY": ""}, "ACCESS_CODE_HASH_KEY"),
        ({"BABEL_DEFAULT_LOCALE": "fr"}, "BABEL_DEFAULT_LOCALE"),
    ],
)
def test_config_refuses_weak_secrets_and_unknown_locales(override, message):
    config = {
        "SECRET_KEY": "k" * 40,
        "ACCESS_CODE_HASH_KEY": "h" * 40,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        **override,
    }
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


def test_instance_secrets_are_generated_once(tmp_path):
    from assessment.app.config import load_instance_secrets

    first = load_instance_secrets(str(tmp_path))
    second = load_instance_secrets(str(tmp_path))
    assert first == second
    assert len(first["SECRET_KEY"]) == 64
    assert first["SECRET_KEY"] != first["ACCESS_CODE_HASH_KEY"]
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600


def test_pages_are_chinese_by_default(client, auth, demo):
    auth.login("assessor1")
    page = client.get("/admin/").get_data(as_text=True)
    assert "<h1>考核组</h1>" in page
    assert "退出" in page
