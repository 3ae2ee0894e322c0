"""Failed-attempt counters with lock-out, keyed by an HMAC of the subject.

The subject (an account name or a client address) is never stored: only its keyed
hash, so the table cannot be read back into a list of addresses. A counter may name the
account it belongs to (``owner``, a keyed hash too) and one other counter (``linked``),
so that unlocking an account clears its counters and those of the clients they came from.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.models import ThrottleCounter


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta
    lockout: timedelta


def subject_key(secret: str, kind: str, subject: str) -> str:
    return hmac.new(secret.encode(), f"{kind}:{subject}".encode(), hashlib.sha256).hexdigest()


def locked_until(session: Session, key: str, now: datetime) -> datetime | None:
    """When the subject's lock-out ends, or None when it may try now."""
    counter = session.get(ThrottleCounter, key)
    if counter and counter.locked_until and counter.locked_until > now:
        return counter.locked_until
    return None


def record_failure(
    session: Session,
    key: str,
    policy: ThrottlePolicy,
    now: datetime,
    *,
    owner: str | None = None,
    linked: str | None = None,
) -> None:
    counter = session.get(ThrottleCounter, key)
    if counter is None:
        counter = ThrottleCounter(
            key_hash=key, failures=0, window_started_at=now, owner_hash=owner, linked_key=linked
        )
        session.add(counter)
    if now - counter.window_started_at > policy.window:
        counter.failures = 0
        counter.window_started_at = now
        counter.locked_until = None
    counter.failures += 1
    if counter.failures >= policy.max_failures:
        counter.locked_until = now + policy.lockout
    session.flush()


def clear(session: Session, key: str) -> None:
    counter = session.get(ThrottleCounter, key)
    if counter is not None:
        session.delete(counter)
        session.flush()


def _owned(session: Session, owners: Collection[str]) -> list[ThrottleCounter]:
    if not owners:
        return []
    return list(
        session.scalars(sa.select(ThrottleCounter).where(ThrottleCounter.owner_hash.in_(owners)))
    )


def find_locked_owners(session: Session, owners: Collection[str], now: datetime) -> set[str]:
    """The owners (keyed hashes) locked out now, by their own counter or a linked one."""
    counters = _owned(session, owners)
    keys = {c.key_hash for c in counters} | {c.linked_key for c in counters if c.linked_key}
    locked = (
        set(
            session.scalars(
                sa.select(ThrottleCounter.key_hash).where(
                    ThrottleCounter.key_hash.in_(keys), ThrottleCounter.locked_until > now
                )
            )
        )
        if keys
        else set()
    )
    return {str(c.owner_hash) for c in counters if c.key_hash in locked or c.linked_key in locked}


def clear_owner(session: Session, owner: str) -> int:
    """Delete every counter of ``owner`` and the counters they link to; how many went."""
    counters = _owned(session, [owner])
    keys = {c.key_hash for c in counters} | {c.linked_key for c in counters if c.linked_key}
    removed = 0
    for key in sorted(keys):
        counter = session.get(ThrottleCounter, key)
        if counter is not None:
            session.delete(counter)
            removed += 1
    session.flush()
    return removed
