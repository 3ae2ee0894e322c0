"""App, client and data fixtures shared by every test.

Set TEST_DATABASE_URL to run the suite against PostgreSQL (``make test`` does, against
a throwaway cluster); otherwise each test gets a fresh in-memory SQLite database.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from assessment.app import create_app
from assessment.app.config import database_uri
from assessment.app.db import db as _db
from assessment.app.db import unit_of_work
from assessment.app.survey_source import register_survey_source
from assessment.services.demo import DEMO_PASSWORD, publish_demo_rulebook, seed_demo
from surveys.services.results_source import ResidentSurveys

# Property tests judge their data, not the machine: on a shared CI machine under load
# Hypothesis' own speed checks (generation too slow, an example over the deadline) fail
# tests whose properties hold (seen: test_points_stay_within_zero_and_weight_times_cap at
# a load average of 9 on two cores).
hypothesis_settings.register_profile(
    "shared-machine", suppress_health_check=[HealthCheck.too_slow], deadline=None
)
hypothesis_settings.load_profile("shared-machine")

TEST_SECRET = "test-secret-key-" + "x" * 32


def _database_uri() -> str:
    uri = database_uri(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and not uri.startswith("sqlite"):
        uri = _worker_database(uri, worker)
    return uri


@functools.cache
def _worker_database(uri: str, worker: str) -> str:
    """A database of its own for each pytest-xdist worker, beside TEST_DATABASE_URL's.

    Every test drops and creates the tables, so two workers may not share a database.
    """
    import sqlalchemy as sa

    base = sa.make_url(uri)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def _turn_on_the_server(run_id: str, *, alone: bool) -> Iterator[None]:
    """A reader-writer lock shared by the pytest-xdist workers of one run.

    Every test holds it shared; a ``cluster_alone`` test holds it exclusively, so no
    other worker's test (with its transactions, in its own database of the same
    PostgreSQL cluster) runs meanwhile. The turnstile keeps a waiting exclusive test
    from being overtaken by the other workers' next tests.
    """
    folder = Path(tempfile.gettempdir())
    with (
        open(folder / f"pytest-{run_id}.turnstile", "a") as turnstile,
        open(folder / f"pytest-{run_id}.server", "a") as server,
    ):
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(server, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(server, fcntl.LOCK_UN)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Run ``cluster_alone`` tests with the other workers paused between their tests.

    Only a run on a shared database server with several workers needs it: on SQLite
    each worker's databases are its own.
    """
    worker_input = getattr(item.config, "workerinput", None)
    if worker_input is None or _database_uri().startswith("sqlite"):
        yield
        return
    alone = item.get_closest_marker("cluster_alone") is not None
    with _turn_on_the_server(worker_input["testrunuid"], alone=alone):
        yield


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at minimum cost: the demo fixture hashes eight passwords per test."""
    from argon2 import PasswordHasher

    from assessment.services import passwords

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
    _count_commits(app)
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def another_app(app_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """Build more apps on the test's database with changed settings; their pools close at the end.

    An app left with an open pooled connection is garbage-collected later, and on
    PostgreSQL the driver's ResourceWarning then fails whichever test runs at that moment.
    Every request opens one: the shared-secrets check runs before the first.
    """
    built: list[Flask] = []

    def build(**settings: Any) -> Flask:
        built.append(create_app({**app_config, **settings}))
        return built[-1]

    yield build
    for extra in built:
        with extra.app_context():
            _db.session.remove()
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


# -- whole-world fixtures, built once per worker and restored after -----------------------
#
# ``demo`` → ``published_rulebook`` → ``collecting`` → ``computed_period`` build the same
# database every time (a few seconds each, and about 350 tests ask for them). Each is
# built through the product's services the first time a worker needs it; the database it
# leaves is then copied aside and copied back for every later test: SQLite's backup API
# for the in-memory database, a template database on PostgreSQL. A copy is whole (rows,
# sequences), so a restored test starts exactly where a built one would, except that the
# rows' timestamps are those of the first build.

#: Per worker process: world key (:func:`_world_key`) → (the copy, the fixture's value).
_WORLDS: dict[str, tuple[Any, Any]] = {}
#: The whole-world fixtures, each built on the one before.
_WORLD_ORDER = ("demo", "published_rulebook", "collecting", "computed_period")


def _admin_engine(uri: str) -> Any:
    import sqlalchemy as sa

    return sa.create_engine(sa.make_url(uri).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _close_connections(app: Flask) -> None:
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _world_key(request: pytest.FixtureRequest, name: str) -> str:
    """What decides the database a world fixture leaves: the functions that build it and
    the ones before it (a test module may define its own ``demo``), and the settings (a
    module may change them); the test's own temporary folders left out."""
    import hashlib

    definitions = request._pyfuncitem._fixtureinfo.name2fixturedefs
    chain = _WORLD_ORDER[: _WORLD_ORDER.index(name) + 1]
    builders = [
        f"{definitions[n][-1].func.__module__}.{definitions[n][-1].func.__qualname__}"
        for n in chain
        if n in definitions
    ]
    folder = str(request.getfixturevalue("tmp_path"))
    config = request.getfixturevalue("app_config")
    settings = sorted(f"{k}={v!r}" for k, v in config.items() if folder not in repr(v))
    text = "\n".join([*builders, *settings])
    return f"{name}_{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def _count_commits(app: Flask) -> None:
    """Count the app's database commits (``app.extensions["test_commits"]``), so that a world
    fixture can tell whether anything wrote since the world before it was made."""
    import sqlalchemy as sa

    app.extensions["test_commits"] = 0

    def counted(connection: Any) -> None:
        app.extensions["test_commits"] += 1

    with app.app_context():
        sa.event.listen(_db.engine, "commit", counted)
    app.extensions["test_world_commits"] = 0


def _world(app: Flask, request: pytest.FixtureRequest, name: str, build: Callable[[], Any]) -> Any:
    """``build()``'s value, building its database once per worker and restoring it after.

    A test whose own fixture writes between two worlds (events entered before computing)
    gets the later world built on what that fixture wrote, and it is not kept.
    """
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if "test_commits" not in app.extensions:
        return build()  # a module's own app, whose commits are not counted
    written = app.extensions["test_commits"] != app.extensions["test_world_commits"]
    if written or (uri != "sqlite://" and not uri.startswith("postgresql")):
        return build()  # a file database (several app servers) is built every time
    key = _world_key(request, name)
    if uri == "sqlite://":
        value = _sqlite_world(app, key, build)
    else:
        value = _postgres_world(app, uri, key, build)
    app.extensions["test_world_commits"] = app.extensions["test_commits"]
    return value


def _sqlite_world(app: Flask, name: str, build: Callable[[], Any]) -> Any:
    import sqlite3

    @contextlib.contextmanager
    def live() -> Iterator[Any]:
        # the in-memory database is one connection (a static pool) shared by the app;
        # checked out here and given back to the pool after the copy
        with app.app_context():
            _db.session.remove()
            pooled = _db.engine.raw_connection()
            try:
                yield pooled.driver_connection
            finally:
                pooled.close()

    if name in _WORLDS:
        copy, value = _WORLDS[name]
        with live() as database:
            copy.backup(database)
        return value
    value = build()
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    with live() as database:
        database.backup(copy)
    _WORLDS[name] = (copy, value)
    return value


def _postgres_world(app: Flask, uri: str, name: str, build: Callable[[], Any]) -> Any:
    import sqlalchemy as sa

    database = sa.make_url(uri).database
    template = f"{database}_{name}"
    if name not in _WORLDS:
        value = build()
        _close_connections(app)
        engine = _admin_engine(uri)
        try:
            with engine.connect() as connection:
                # a copy left by an earlier run may hold an older schema
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{template}"'))
                connection.execute(sa.text(f'CREATE DATABASE "{template}" TEMPLATE "{database}"'))
        finally:
            engine.dispose()
        _WORLDS[name] = (template, value)
        return value
    _close_connections(app)
    engine = _admin_engine(uri)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{database}" TEMPLATE "{template}"'))
    finally:
        engine.dispose()
    return _WORLDS[name][1]


@pytest.fixture
def demo(app: Flask, request: pytest.FixtureRequest) -> dict[str, int]:
    """The demo township: 10 units, 6 posts, 40 cadres, one account per role (two clerks)."""

    def build() -> dict[str, int]:
        with app.app_context(), unit_of_work(None, reason="test fixture"):
            return seed_demo(_db.session)

    return _world(app, request, "demo", build)  # type: ignore[no-any-return]


@pytest.fixture
def published_rulebook(app: Flask, request: pytest.FixtureRequest, demo: dict[str, int]) -> int:
    """The demo period with the combined example rulebook published (state: rules published)."""
    from assessment.app.db import utcnow
    from assessment.models import Period

    def build() -> int:
        with app.app_context(), unit_of_work(None, reason="test fixture"):
            period = _db.session.get(Period, 1)
            publish_demo_rulebook(_db.session, period, utcnow())
            return int(period.id)

    return _world(app, request, "published_rulebook", build)  # type: ignore[no-any-return]


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


def _actual(indicator: Any, index: int) -> float:
    """A valid actual value that differs between cadres."""
    if indicator.method == "binary":
        return float(index % 2)
    spread = (index * 7) % 10 / 10
    if indicator.method == "steps":
        return float(indicator.steps[-1].threshold) * spread if indicator.steps else spread
    if indicator.method == "linear":
        low, high = sorted((float(indicator.baseline), float(indicator.target)))
        return low + (high - low) * spread
    return float(indicator.target or 1) * (0.5 + spread / 2)


@pytest.fixture
def collecting(
    app: Flask, request: pytest.FixtureRequest, published_rulebook: int, make: Any
) -> int:
    """The demo period collecting, with every quantitative actual and every rating."""
    import sqlalchemy as sa

    from assessment.app.db import utcnow
    from assessment.core.rulebook import IndicatorKind
    from assessment.models import Account, Period
    from assessment.services import inputs as inputs_service
    from assessment.services.periods import advance_period

    def fill(session: Any) -> None:
        period = session.get(Period, published_rulebook)
        advance_period(session, period, "collecting")
        rulebook = inputs_service.find_rulebook(session, period)
        assert rulebook is not None
        now = utcnow()
        assessors = [
            session.scalars(sa.select(Account).where(Account.username == name)).one()
            for name in ("assessor1", "assessor2", "assessor3")
        ]
        for index, cadre in enumerate(inputs_service.list_assessed(session, period)):
            indicator_set = inputs_service.indicator_set_of(rulebook, cadre)
            assert indicator_set is not None
            for indicator in indicator_set.of_kind(IndicatorKind.QUANTITATIVE):
                inputs_service.save_result(
                    session,
                    period=period,
                    rulebook=rulebook,
                    cadre=cadre,
                    indicator_code=indicator.code,
                    actual=_actual(indicator, index),
                    source="test",
                    entered_by_id=None,
                    now=now,
                )
            qualitative = indicator_set.of_kind(IndicatorKind.QUALITATIVE)
            for number, assessor in enumerate(assessors):
                levels = {}
                for indicator in qualitative:
                    rubric = rulebook.rubric(indicator.rubric or "")
                    levels[indicator.code] = rubric.levels[(index + number) % 2].code
                inputs_service.save_ratings(
                    session,
                    period=period,
                    rulebook=rulebook,
                    assessor=assessor,
                    cadre=cadre,
                    levels=levels,
                    now=now,
                )

    def build() -> int:
        make(fill)
        return published_rulebook

    return _world(app, request, "collecting", build)  # type: ignore[no-any-return]


def synthetic_survey_source(session: Any, period: Any) -> dict[str, Any]:
    """Survey scores for every cadre and unit of the period, without running a survey.

    Stands in for ``surveys.services.results_source.survey_results_data`` where the pages under
    test, not the survey, matter: target i gets the scores 60 + i % 40, 80 and 100 from
    residents of units 3, 3 and 4 (so every group is smaller than the minimum size 5).
    """
    from assessment.services import inputs as inputs_service

    cadres = inputs_service.list_assessed(session, period)

    def target(i: int) -> dict[str, Any]:
        return {"scores": [60.0 + i % 40, 80.0, 100.0], "unit_ids": [3, 3, 4]}

    return {
        "cadre": {c.cadre_id: target(i) for i, c in enumerate(cadres)},
        "unit": {c.unit_id: target(c.unit_id) for c in cadres},
        "items": {},
    }


class SyntheticSurveys(ResidentSurveys):
    """The app's survey source, with :func:`synthetic_survey_source`'s scores."""

    def results_data(self, session: Any, period: Any, *, named: Any = ()) -> dict[str, Any]:
        return synthetic_survey_source(session, period)


SYNTHETIC_SURVEYS = SyntheticSurveys()


@pytest.fixture
def computed_period(app: Flask, request: pytest.FixtureRequest, collecting: int) -> int:
    """The demo period "computed": result version 1 from every actual and rating.

    Survey indicators are scored from :func:`synthetic_survey_source`, whose
    :data:`SYNTHETIC_SURVEYS` also replaces the app's survey source so that later
    versions see the same survey data.
    Grade confidence uses 40 resamples (fast; the bootstrap has its own tests).
    """
    from assessment.models import Period
    from assessment.services import results as results_service

    register_survey_source(app, SYNTHETIC_SURVEYS)

    def build() -> int:
        with app.app_context(), unit_of_work(None, reason="test fixture"):
            period = _db.session.get(Period, collecting)
            results_service.compute_results(
                _db.session,
                period=period,
                reason="",
                actor_id=None,
                surveys=SYNTHETIC_SURVEYS,
                resamples=40,
            )
        return collecting

    return _world(app, request, "computed_period", build)  # type: ignore[no-any-return]
