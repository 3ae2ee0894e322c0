"""Compacting the survey tables after a close, so that no old row version survives.

Closing a survey rewrites its code, response and answer rows (``services.close_survey``)
inside the closing transaction. The versions written while the survey was open are then
dead but still in the table files, with their transaction ids and in arrival order, until
the table is rebuilt. This module rebuilds the tables after the commit:

* PostgreSQL: ``CLUSTER`` each table on an index whose key is random (the response's
  UUID, the HMAC of the code), which writes the live rows into a new file in that order,
  drops every dead version and rebuilds the indexes. It first waits for every
  transaction (in any database of the cluster) and every snapshot (in this database)
  older than itself, since a version that some snapshot may still see is copied rather
  than dropped. ``lock_timeout`` bounds the wait for the tables' exclusive
  lock (other surveys' residents wait while it is held) and ``statement_timeout`` the
  rebuild; when either runs out nothing is lost and ``flask surveys compact`` finishes
  the job later.
* SQLite: ``VACUUM`` rebuilds the whole file (responses and answers are ``WITHOUT
  ROWID`` tables, stored in the order of their random keys), then, in WAL mode, a
  ``wal_checkpoint(TRUNCATE)`` empties the ``-wal`` file that held the old pages.

What this cannot reach (the PostgreSQL WAL and its archives, backups taken while the
survey was open, free blocks of the file system) is in ``docs/threat-model.md``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

logger = logging.getLogger(__name__)

#: Each table and the index with a random key it is rebuilt in the order of.
CLUSTER_INDEXES = {
    "survey_access_codes": "uq_survey_access_codes_survey_id_code_hash",
    "survey_responses": "pk_survey_responses",
    "survey_answers": "pk_survey_answers",
}
DEFAULT_LOCK_TIMEOUT_S = 5.0
DEFAULT_STATEMENT_TIMEOUT_S = 60.0
_LOCK_NOT_AVAILABLE = "55P03"
_QUERY_CANCELED = "57014"


@dataclass(frozen=True, slots=True)
class CompactionResult:
    """Outcome of :func:`compact_survey_tables`.

    ``problem`` is ``""`` when done, else ``older_transactions`` (some transaction that
    began before the compaction was still open), ``lock_timeout``, ``statement_timeout``,
    ``locked`` (SQLite: another connection holds the file) or ``wal_busy`` (SQLite: a
    reader kept the WAL from being emptied).
    """

    done: bool
    backend: str
    problem: str = ""


def _new_transaction_id(connection: sa.Connection) -> str:
    """A transaction id newer than every one handed out so far, as a 32-bit ``xid`` in text.

    (A snapshot's ``xmax`` would not do: it follows the latest *completed* transaction.)
    """
    value = connection.scalar(sa.text("SELECT pg_current_xact_id()::text"))
    return str(int(value) % 2**32)


def _holding_older_versions(connection: sa.Connection, marker: str) -> int:
    """Backends that may still see row versions deleted before transaction ``marker``.

    CLUSTER copies a dead version when the oldest snapshot that matters may still see
    it. That is any snapshot held in this database (a client's, or an autovacuum
    worker's ANALYZE), and, in any database of the cluster, any running transaction
    with an id: the snapshot CLUSTER itself takes keeps every such id in view.
    """
    return int(
        connection.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND ((datname = current_database() "
                "      AND age(backend_xmin) > age(CAST(:marker AS xid))) "
                "  OR age(backend_xid) > age(CAST(:marker AS xid)))"
            ),
            {"marker": marker},
        )
        or 0
    )


def _compact_postgresql(
    connection: sa.Connection,
    *,
    lock_timeout_s: float,
    statement_timeout_s: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> CompactionResult:
    # SET takes no bind parameters; both values are numbers formatted here.
    connection.exec_driver_sql(f"SET lock_timeout = '{int(lock_timeout_s * 1000)}ms'")
    connection.exec_driver_sql(f"SET statement_timeout = '{int(statement_timeout_s * 1000)}ms'")
    # Every transaction id below the marker began before this compaction, so after the
    # close committed: wait until none of them, and no snapshot taken while one ran, is left.
    marker = _new_transaction_id(connection)
    deadline = clock() + lock_timeout_s
    while _holding_older_versions(connection, marker):
        if clock() > deadline:
            return CompactionResult(False, "postgresql", "older_transactions")
        sleep(0.05)
    for table, index in CLUSTER_INDEXES.items():
        try:
            connection.exec_driver_sql(f"CLUSTER {table} USING {index}")
        except OperationalError as error:
            code = getattr(error.orig, "sqlstate", None)
            if code == _LOCK_NOT_AVAILABLE:
                return CompactionResult(False, "postgresql", "lock_timeout")
            if code == _QUERY_CANCELED:
                return CompactionResult(False, "postgresql", "statement_timeout")
            raise
    return CompactionResult(True, "postgresql")


def _compact_sqlite(connection: sa.Connection) -> CompactionResult:
    try:
        connection.exec_driver_sql("VACUUM")
    except OperationalError as error:
        if "locked" in str(error.orig):
            return CompactionResult(False, "sqlite", "locked")
        raise
    mode = str(connection.exec_driver_sql("PRAGMA journal_mode").scalar()).lower()
    if mode == "wal":
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
        if busy:
            return CompactionResult(False, "sqlite", "wal_busy")
    return CompactionResult(True, "sqlite")


def compact_survey_tables(
    engine: sa.Engine,
    *,
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    statement_timeout_s: float = DEFAULT_STATEMENT_TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CompactionResult:
    """Rebuild the code, response and answer tables so no dead row version remains.

    Runs outside any transaction (both commands refuse to run inside one), on a
    connection of its own: call it after the closing transaction has committed, with no
    transaction of the caller's still open.
    """
    with engine.connect() as raw:
        connection = raw.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "postgresql":
            try:
                result = _compact_postgresql(
                    connection,
                    lock_timeout_s=lock_timeout_s,
                    statement_timeout_s=statement_timeout_s,
                    sleep=sleep,
                    clock=clock,
                )
            finally:
                # The connection goes back to the pool: later requests keep no timeout.
                connection.exec_driver_sql("RESET lock_timeout")
                connection.exec_driver_sql("RESET statement_timeout")
        elif engine.dialect.name == "sqlite":
            result = _compact_sqlite(connection)
        else:  # pragma: no cover - the product runs on these two
            raise NotImplementedError(engine.dialect.name)
    if result.done:
        logger.info("survey tables compacted (%s)", result.backend)
    else:
        logger.warning(
            "survey tables not compacted (%s: %s); run `flask surveys compact`",
            result.backend,
            result.problem,
        )
    return result
