"""Database base class, the Flask-SQLAlchemy handle, and the unit of work."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


if TYPE_CHECKING:

    class ContextSession(Session):
        """What ``db.session`` is to the code that uses it: the current context's Session.

        At run time it is a ``scoped_session``, a registry that forwards each Session
        method to the Session of the current application context; services are typed
        to take a plain ``Session``, which is what they receive through that forwarding
        and from :func:`unit_of_work`. Besides the Session methods the registry has
        these two: calling it returns the context's Session itself, ``remove`` closes
        and discards it.
        """

        def __call__(self) -> Session: ...

        def remove(self) -> None: ...

    class Database(SQLAlchemy):
        # The stub-level truth (scoped_session is no Session subclass) would make every
        # `service(db.session, ...)` call an error, though each works by forwarding.
        session: ContextSession  # type: ignore[assignment]


db = cast("Database", SQLAlchemy(model_class=Base))

#: Milliseconds a SQLite connection waits for another's write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def set_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Make every SQLite connection of the app durable and concurrent (a connect event).

    - ``journal_mode=WAL``: readers never block the writer, so residents keep loading
      pages while a submission commits (an in-memory database stays in "memory" mode).
    - ``synchronous=FULL``: each commit syncs the write-ahead log to disk before it
      returns, so an acknowledged submission survives a power cut or a kernel crash,
      not only a crash of the process (``NORMAL`` in WAL mode may lose the last
      commits on a machine crash; https://www.sqlite.org/pragma.html#pragma_synchronous).
    - ``busy_timeout``: wait for the write lock instead of failing at once.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def configure_engine(engine: sa.Engine) -> None:
    """Attach the per-connection settings of the app's database (SQLite only today)."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", set_sqlite_pragmas)


def utcnow() -> datetime:
    """Aware UTC now, to the second (stored values never carry microseconds)."""
    return datetime.now(UTC).replace(microsecond=0)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


@contextmanager
def unit_of_work(actor_id: int | None, *, reason: str | None = None) -> Iterator[Session]:
    """Run one request's or command's writes as one transaction.

    Services change objects and flush; this commits once at the end or rolls back on
    any error. The actor and reason reach the audit log through ``session.info``.
    """
    session = db.session()
    session.info["actor_id"] = actor_id
    session.info["reason"] = reason
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop("actor_id", None)
        session.info.pop("reason", None)
