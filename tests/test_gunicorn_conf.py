"""The production serving profile (gunicorn.conf.py) keeps its promises (issue 12).

Measured before: gunicorn's defaults (30 s timeout, access log with the query string and
the client address) under `make serve-prod`.
"""

from __future__ import annotations

import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def _settings(monkeypatch, **env):
    for name in ("WORKERS", "BIND", "FORWARDED_ALLOW_IPS", "TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_the_access_log_has_no_query_string_and_no_client_address(monkeypatch):
    settings = _settings(monkeypatch)
    log_format = settings["access_log_format"]
    for leaky in ("%(r)s", "%(q)s", "%(h)s", "%({x-forwarded-for}i)s", "%(f)s"):
        assert leaky not in log_format
    assert "%(U)s" in log_format and "%({x-request-id}o)s" in log_format


def test_defaults_sit_behind_a_local_proxy_with_room_for_long_requests(monkeypatch):
    settings = _settings(monkeypatch)
    assert settings["bind"] == "127.0.0.1:8000"
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert settings["timeout"] >= 120
    assert settings["max_requests"] > 0 and settings["max_requests_jitter"] > 0
    assert settings["wsgi_app"] == "assessment.app:create_app()"


def test_the_environment_sets_workers_and_address(monkeypatch):
    settings = _settings(monkeypatch, WORKERS="5", BIND="0.0.0.0:9000")
    assert (settings["workers"], settings["bind"]) == (5, "0.0.0.0:9000")
