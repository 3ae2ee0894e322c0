"""The one audited write path: every flushed change becomes a hash-chained audit entry.

A ``after_flush`` listener on every session turns each inserted, updated or deleted row
of an audited model into an :class:`AuditEntry` in the same transaction, so no write
can skip the log. Models opt out only by naming a reason in ``__audit_exempt__``.
"""

from __future__ import annotations

import enum
import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from assessment.app.db import utcnow
from assessment.core.digest import (
    GENESIS_HASH,
    ChainVerification,
    canonical_json,
    compute_entry_hash,
    verify_chain,
)
from assessment.models import Account, AuditEntry

logger = logging.getLogger(__name__)

REDACTED = "***"
SYSTEM_ACTOR = "system"
# Any constant works; it names the one advisory lock that serialises chain appends.
_CHAIN_LOCK_KEY = 74_201_126


class AuditError(RuntimeError):
    """A write was attempted outside the audited path."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    return value


def _snapshot(obj: Any, *, which: str) -> dict[str, Any]:
    """Column values before or after the pending change."""
    state = sa.inspect(obj)
    redact: frozenset[str] = getattr(type(obj), "__audit_redact__", frozenset())
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        history = state.attrs[key].history
        if which == "after":
            value = history.added[0] if history.added else getattr(obj, key)
        elif history.deleted:
            value = history.deleted[0]
        elif history.added:
            # Changed from a value that was never loaded; unchanged otherwise.
            value = None
        else:
            value = history.unchanged[0] if history.unchanged else None
        values[key] = REDACTED if key in redact and value is not None else _plain(value)
    return values


def _is_audited(obj: Any) -> bool:
    return not getattr(type(obj), "__audit_exempt__", None)


def _object_id(obj: Any) -> str:
    identity = sa.inspect(obj).identity
    return "-".join(str(part) for part in identity) if identity else ""


def _collect(session: Session) -> list[tuple[str, Any, dict[str, Any], dict[str, Any]]]:
    changes: list[tuple[str, Any, dict[str, Any], dict[str, Any]]] = []
    for obj in session.new:
        if _is_audited(obj):
            changes.append(("create", obj, {}, _snapshot(obj, which="after")))
    for obj in session.dirty:
        if _is_audited(obj) and session.is_modified(obj, include_collections=False):
            before = _snapshot(obj, which="before")
            after = _snapshot(obj, which="after")
            if before != after:
                changes.append(("update", obj, before, after))
    for obj in session.deleted:
        if _is_audited(obj):
            changes.append(("delete", obj, _snapshot(obj, which="before"), {}))
    return changes


def _chain_head(connection: sa.Connection) -> tuple[int, str]:
    if connection.dialect.name == "postgresql":
        # Two transactions must not both append after the same head.
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    table = AuditEntry.__table__
    row = connection.execute(
        sa.select(table.c.seq, table.c.entry_hash).order_by(table.c.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.entry_hash) if row else (0, GENESIS_HASH)


def _actor_name(connection: sa.Connection, actor_id: int | None) -> str:
    if actor_id is None:
        return SYSTEM_ACTOR
    table = Account.__table__
    name = connection.execute(
        sa.select(table.c.username).where(table.c.id == actor_id)
    ).scalar_one_or_none()
    return name or f"#{actor_id}"


def entry_content(row: Any) -> dict[str, Any]:
    """The hashed fields of a stored entry (a row or an :class:`AuditEntry`)."""
    return {
        "seq": row.seq,
        "at": row.at.isoformat(),
        "actor_id": row.actor_id,
        "actor_name": row.actor_name,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "before": row.before,
        "after": row.after,
        "reason": row.reason,
    }


def _append(
    session: Session, changes: list[tuple[str, str, str, dict[str, Any], dict[str, Any]]]
) -> None:
    """Chain ``(action, object_type, object_id, before, after)`` entries onto the log."""
    if "actor_id" not in session.info:
        raise AuditError(
            "audited write outside unit_of_work(): "
            + ", ".join(sorted({object_type for _, object_type, _, _, _ in changes}))
        )
    connection = session.connection()
    actor_id = session.info["actor_id"]
    actor_name = _actor_name(connection, actor_id)
    reason = session.info.get("reason") or ""
    seq, prev_hash = _chain_head(connection)
    at = utcnow()
    rows = []
    for action, object_type, object_id, before, after in changes:
        seq += 1
        content = {
            "seq": seq,
            "at": at.isoformat(),
            "actor_id": actor_id,
            "actor_name": actor_name,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before": canonical_json(before),
            "after": canonical_json(after),
            "reason": reason,
        }
        entry_hash = compute_entry_hash(content, prev_hash)
        rows.append({**content, "at": at, "prev_hash": prev_hash, "entry_hash": entry_hash})
        prev_hash = entry_hash
    connection.execute(sa.insert(AuditEntry.__table__), rows)
    logger.info("audit: %d entries up to seq %d", len(rows), seq)


@event.listens_for(Session, "after_flush")
def _write_audit_entries(session: Session, flush_context: UOWTransaction) -> None:
    changes = _collect(session)
    if changes:
        _append(
            session,
            [
                (
                    f"{type(obj).__tablename__}.{operation}",
                    type(obj).__tablename__,
                    _object_id(obj),
                    before,
                    after,
                )
                for operation, obj, before, after in changes
            ],
        )


def record_action(
    session: Session,
    *,
    action: str,
    obj: Any,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """Log an act on ``obj`` that changes no audited row (unlocking a login, say).

    The entry is chained like any other, with the actor and reason of the unit of work;
    ``action`` is ``<table>.<verb>``, e.g. ``account.unlock``.
    """
    session.flush()
    object_type = type(obj).__tablename__
    _append(
        session, [(action, object_type, _object_id(obj), _plain_dict(before), _plain_dict(after))]
    )


def _plain_dict(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in values.items()}


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_rewrite(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise AuditError("the audit log is append-only")


def verify_audit_chain(session: Session) -> ChainVerification:
    """Recompute every stored entry's hash and link, in ``seq`` order."""
    table = AuditEntry.__table__
    rows = session.execute(sa.select(table).order_by(table.c.seq)).all()
    return verify_chain(
        [
            {
                "content": entry_content(row),
                "prev_hash": row.prev_hash,
                "entry_hash": row.entry_hash,
            }
            for row in rows
        ]
    )


def find_chain_head(session: Session) -> tuple[int, str] | None:
    """The newest entry's ``(seq, entry_hash)``, or None for an empty log (reads only).

    Reports print it: the log must still hold that entry with that hash later, so
    deleting the newest entries, which the chain alone cannot reveal, comes to light.
    """
    table = AuditEntry.__table__
    row = session.execute(
        sa.select(table.c.seq, table.c.entry_hash).order_by(table.c.seq.desc()).limit(1)
    ).first()
    return (int(row.seq), str(row.entry_hash)) if row else None


def find_entry_hash(session: Session, seq: int) -> str | None:
    """The stored hash of entry ``seq``, or None when the log has no such entry."""
    table = AuditEntry.__table__
    value = session.scalar(sa.select(table.c.entry_hash).where(table.c.seq == seq))
    return None if value is None else str(value)
