"""Failed-attempt counters with lock-out, keyed by an HMAC of the subject.

The subject (an account name or a client address) is never stored: only its keyed
hash, so the table cannot be read back into a list of addresses.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

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


def record_failure(session: Session, key: str, policy: ThrottlePolicy, now: datetime) -> None:
    counter = session.get(ThrottleCounter, key)
    if counter is None:
        counter = ThrottleCounter(key_hash=key, failures=0, window_started_at=now)
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
