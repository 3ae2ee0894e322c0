"""Health check and database outages (issue 12): 503 with Retry-After, one log line.

Measured before: with PostgreSQL down every request answered 500 with a traceback in the
log (896 of them in a 10-second outage), and nothing told a resident to try again.
"""

from __future__ import annotations

import logging
import socket
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from assessment.app import create_app, health
from assessment.app.db import db


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def _no_outage_recorded():
    health.outage.since = None
    yield
    health.outage.since = None


@contextmanager
def database_down(app):
    """Every statement fails as a lost connection does, on SQLite and PostgreSQL alike."""

    def refuse(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError("database down"))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", refuse)


def _outage_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "assessment.app.health"]


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////nonexistent-directory-of-the-outage-test/assessment.sqlite3",
        f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/assessment",
    ],
    ids=["sqlite-missing-file", "postgresql-nothing-listening"],
)
def test_an_unreachable_database_gives_503_pages_and_one_log_line(app_config, caplog, url):
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url})
    client = app.test_client()
    caplog.set_level(logging.INFO)
    for _ in range(20):
        page = client.get("/p/")
        assert page.status_code == 503
        assert page.headers["Retry-After"] == str(health.RETRY_AFTER_SECONDS)
        text = page.get_data(as_text=True)
        assert "服务暂时不可用" in text and "briefly unavailable" in text
    check = client.get("/healthz")
    assert check.status_code == 503
    assert check.get_json() == {"status": "unavailable", "database": "unreachable"}
    with app.app_context():
        db.engine.dispose()
    lines = _outage_lines(caplog)
    assert len(lines) == 1 and lines[0].levelno == logging.ERROR
    assert lines[0].exc_info is None  # no traceback
    assert not [r for r in caplog.records if r.exc_info]


def test_healthz_answers_200_with_the_database_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_an_outage_that_ends_is_logged_once_at_each_end(app, client, auth, demo, caplog):
    caplog.set_level(logging.INFO)
    auth.login("assessor1")
    with database_down(app):
        for _ in range(10):
            assert client.get("/admin/periods/").status_code == 503
    assert client.get("/admin/periods/").status_code == 200
    assert client.get("/admin/periods/").status_code == 200
    lines = [r.getMessage() for r in _outage_lines(caplog)]
    assert len(lines) == 2
    assert lines[0].startswith("database unreachable")
    assert lines[1].startswith("database reachable again")


def test_a_logged_in_page_during_an_outage_is_503_not_500(app, client, auth, demo):
    auth.login("admin")
    with database_down(app):
        response = client.get("/admin/")
    assert response.status_code == 503
    assert response.headers["Cache-Control"] == "no-store"
