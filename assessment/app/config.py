"""Configuration: defaults, instance secrets, and the checks run before the app starts."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

SECRETS_FILE = "secrets.json"
SUPPORTED_LOCALES = ("zh_CN", "en")
MIN_SECRET_LENGTH = 32


class DefaultConfig:
    """Safe defaults with no secrets; the database is SQLite in the instance folder."""

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    SUPPORTED_LOCALES = SUPPORTED_LOCALES
    SQLALCHEMY_ENGINE_OPTIONS: Mapping[str, Any] = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure is decided per request (HTTPS or not) by assessment.app.security.
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    # Reverse proxies in front of the app that append the client's address to
    # X-Forwarded-For (nginx: 1). 0 trusts no such header: the client is the peer.
    TRUSTED_PROXY_COUNT = 0
    # Staff login throttling: failures allowed in the window before a lock-out.
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_CLIENT = 20
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_LOCKOUT_SECONDS = 15 * 60
    MIN_GROUP_SIZE = 5
    # Log lines go to stderr (journald under systemd) at this level.
    LOG_LEVEL = "INFO"
    EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
    # Public notice (公示) of results: its length and the review time per objection, in
    # working days; public holidays and make-up working days (调休) as ISO dates.
    NOTICE_WORKING_DAYS = 5
    NOTICE_REVIEW_WORKING_DAYS = 5
    # China's statutory holidays and make-up working days ("CN", from the maintained
    # `holidays` package) count by default; "" turns them off. NOTICE_HOLIDAYS and
    # NOTICE_EXTRA_WORKDAYS add the deployment's own, and the settings page more.
    HOLIDAY_CALENDAR = "CN"
    NOTICE_HOLIDAYS: tuple[str, ...] = ()
    NOTICE_EXTRA_WORKDAYS: tuple[str, ...] = ()
    # Objections from the public notice page: per client, within the window.
    PUBLIC_OBJECTION_MAX_PER_CLIENT = 5
    PUBLIC_OBJECTION_WINDOW_SECONDS = 3600
    PUBLIC_OBJECTION_LOCKOUT_SECONDS = 3600
    # Site root printed in the reports' verification links and QR codes, such as
    # "https://kaohe.example.gov.cn"; empty means the host of the request (web downloads)
    # or http://localhost:5000 with a warning (``flask reports build``).
    PUBLIC_BASE_URL = ""
    # E-mail of reminders (`flask reminders send`) through an SMTP server. None by default:
    # without MAIL_SERVER, reminders show in the app only. MAIL_USE_TLS is STARTTLS (port
    # 587 usually), MAIL_USE_SSL is SMTPS (port 465); MAIL_FROM is the sender's address.
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = ""
    # UPLOAD_FOLDER defaults to <instance>/uploads (set in create_app, which knows the path).
    # Files are stored in the database since issue 18; the folder is read only by
    # `flask files import` and the backup, for the files of an older version.


def database_uri(url: str) -> str:
    """Map a conventional DATABASE_URL onto the SQLAlchemy driver we ship (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_instance_secrets(instance_path: str) -> dict[str, str]:
    """Read the per-deployment secrets, generating them on first run.

    The file is created with O_EXCL so that several gunicorn workers starting at once
    agree on one set of secrets.
    """
    path = Path(instance_path) / SECRETS_FILE
    if not path.exists():
        generated = {
            "SECRET_KEY": secrets.token_hex(32),
            "ACCESS_CODE_HASH_KEY": secrets.token_hex(32),
        }
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(generated, handle)
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


class ConfigError(RuntimeError):
    """The configuration cannot run safely."""


def validate_config(config: Mapping[str, Any]) -> None:
    """Refuse to start with missing or weak secrets or unknown locales."""
    if not config.get("TESTING"):
        for key in ("SECRET_KEY", "ACCESS_CODE_HASH_KEY"):
            value = config.get(key) or ""
            if len(str(value)) < MIN_SECRET_LENGTH:
                raise ConfigError(f"{key} must be a random string of at least 32 characters")
    if config.get("BABEL_DEFAULT_LOCALE") not in SUPPORTED_LOCALES:
        raise ConfigError(f"BABEL_DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}")
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        raise ConfigError("no database configured")
    proxies = config.get("TRUSTED_PROXY_COUNT", 0)
    if isinstance(proxies, bool) or not isinstance(proxies, int) or proxies < 0:
        raise ConfigError(
            f"TRUSTED_PROXY_COUNT must be a whole number of proxies, 0 or more (got {proxies!r})"
        )
    _validate_mail(config)
    if config.get("HOLIDAY_CALENDAR", "CN") not in ("CN", ""):
        raise ConfigError('HOLIDAY_CALENDAR must be "CN" (China\'s statutory calendar) or ""')
    for key in ("NOTICE_HOLIDAYS", "NOTICE_EXTRA_WORKDAYS"):
        try:
            parse_dates(config.get(key) or ())
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be a list of dates written as YYYY-MM-DD") from None


def _validate_mail(config: Mapping[str, Any]) -> None:
    if not config.get("MAIL_SERVER"):
        return
    port = config.get("MAIL_PORT", 25)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"MAIL_PORT must be a port number (got {port!r})")
    for key in ("MAIL_USE_TLS", "MAIL_USE_SSL"):
        if not isinstance(config.get(key, False), bool):
            raise ConfigError(f"{key} must be true or false (got {config.get(key)!r})")
    if config.get("MAIL_USE_TLS") and config.get("MAIL_USE_SSL"):
        raise ConfigError("MAIL_USE_TLS (STARTTLS) and MAIL_USE_SSL (SMTPS) exclude each other")
    if "@" not in str(config.get("MAIL_FROM") or ""):
        raise ConfigError("MAIL_FROM must be the sender's e-mail address when MAIL_SERVER is set")


def parse_dates(values: Any) -> frozenset[date]:
    """ISO dates from the config (``NOTICE_HOLIDAYS``); ValueError on a bad one."""
    if isinstance(values, str):
        raise ValueError("a list of dates, not one string")
    return frozenset(date.fromisoformat(str(value)) for value in values)
