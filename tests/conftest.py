"""App, client and data fixtures shared by every test.

Set TEST_DATABASE_URL to run the suite against PostgreSQL (``make test`` does, against
a throwaway cluster); otherwise each test gets a fresh in-memory SQLite database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from assessment.app import create_app
from assessment.app.config import database_uri
from assessment.app.db import db as _db
from assessment.app.db import unit_of_work
from assessment.demo import DEMO_PASSWORD, publish_demo_rulebook, seed_demo

TEST_SECRET = "test-secret-key-" + "x" * 32


def _database_uri() -> str:
    return database_uri(os.environ.get("TEST_DATABASE_URL", "sqlite://"))


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at minimum cost: the demo fixture hashes seven passwords per test."""
    from argon2 import PasswordHasher

    from assessment import passwords

    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "ACCESS_CODE_HASH_KEY": "test-access-code-key-" + "y" * 32,
        "SQLALCHEMY_DATABASE_URI": _database_uri(),
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "OUTPUT_FOLDER": str(tmp_path / "output"),
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    # No app context stays pushed while the test runs: requests made through the
    # test client must each get their own, as in production (``g`` and the
    # scoped session would otherwise leak from one request into the next).
    app = create_app(app_config)
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """The database handle inside an app context, for tests that read rows directly.

    Do not make client requests while holding it; use ``make`` or
    ``app.app_context()`` blocks in tests that do both.
    """
    with app.app_context():
        yield _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def demo(app: Flask) -> dict[str, int]:
    """The demo township: 10 units, 6 posts, 40 cadres, one account per role."""
    with app.app_context(), unit_of_work(None, reason="test fixture"):
        counts = seed_demo(_db.session)
    return counts


@pytest.fixture
def published_rulebook(app: Flask, demo: dict[str, int]) -> int:
    """The demo period with the combined example rulebook published (state: rules published)."""
    from assessment.app.db import utcnow
    from assessment.models import Period

    with app.app_context(), unit_of_work(None, reason="test fixture"):
        period = _db.session.get(Period, 1)
        publish_demo_rulebook(_db.session, period, utcnow())
        return period.id


@dataclass
class AuthActions:
    client: FlaskClient

    def login(self, username: str, password: str = DEMO_PASSWORD) -> Any:
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make(app: Flask) -> Any:
    """Run a change as one committed, audited unit of work: ``make(lambda s: ...)``.

    Return plain values (ids), not ORM objects: the session closes with the context.
    """

    def run(change: Any, actor_id: int | None = None) -> Any:
        with app.app_context(), unit_of_work(actor_id, reason="test fixture"):
            return change(_db.session)

    return run
