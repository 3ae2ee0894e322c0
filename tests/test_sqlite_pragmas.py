"""The app's own SQLite connections are durable and concurrent (issue 12).

A file database must be in WAL mode with ``synchronous=FULL`` (2) and a busy timeout:
an acknowledged submission survives a machine crash and readers never wait for writers.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from assessment.app import create_app
from assessment.app.db import SQLITE_BUSY_TIMEOUT_MS, db, set_sqlite_pragmas


@pytest.fixture
def file_app(app_config, tmp_path):
    if not app_config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite connection settings; the PostgreSQL pass has none")
    return create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}"})


def test_every_sqlite_connection_is_wal_full_sync_with_a_busy_timeout(file_app):
    with file_app.app_context():
        with db.engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 2  # FULL
            assert pragma("busy_timeout") == SQLITE_BUSY_TIMEOUT_MS
        db.engine.dispose()


def test_postgresql_engines_get_no_sqlite_settings(app_config):
    url = "postgresql+psycopg://user@127.0.0.1:1/none"
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        assert not sa.event.contains(db.engine, "connect", set_sqlite_pragmas)
