"""The secrets every app server of a deployment must share, checked against the database.

``SECRET_KEY`` signs sessions and CSRF tokens, ``ACCESS_CODE_HASH_KEY`` keys the hashes
of the residents' access codes. Behind a load balancer every server needs the same
values: with another ``ACCESS_CODE_HASH_KEY`` a server finds no printed code ("invalid
code" for every resident, silently), with another ``SECRET_KEY`` staff are logged out
and forms fail at random. The first server records a keyed fingerprint of each secret;
every server compares its own with it before it serves anything, and one that differs
refuses to run (``docs/deploy.md``, "Several app servers").
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from assessment.models import SecretFingerprint

#: The config keys whose values every server must share.
SHARED_SECRETS = ("SECRET_KEY", "ACCESS_CODE_HASH_KEY")


class SecretMismatchError(RuntimeError):
    """This server's secrets differ from the ones the database was first used with."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(
            f"{', '.join(names)} of this server differ from the value(s) the database "
            "was first used with: every app server must run with the same secrets "
            "(docs/deploy.md, 'Several app servers'); after a deliberate rotation, "
            "run `flask keys record --replace` once"
        )


def fingerprint(name: str, secret: str) -> str:
    """``HMAC-SHA256(secret, "fingerprint:" + name)`` in hex: equal secrets give equal
    fingerprints, and the fingerprint reveals nothing of the secret."""
    return hmac.new(
        str(secret).encode("utf-8"), b"fingerprint:" + name.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def _stored(session: Session) -> dict[str, str]:
    rows = session.execute(sa.select(SecretFingerprint.name, SecretFingerprint.fingerprint))
    return {str(name): str(value) for name, value in rows}


def _mismatched(stored: Mapping[str, str], secrets: Mapping[str, str]) -> list[str]:
    return [
        name
        for name in SHARED_SECRETS
        if name in stored and stored[name] != fingerprint(name, secrets.get(name) or "")
    ]


def check_shared_secrets(session: Session, secrets: Mapping[str, str]) -> list[str]:
    """Compare this server's secrets with the recorded fingerprints; record missing ones.

    Returns the names recorded now (the first server's run). Two servers starting at
    once both insert with ``ON CONFLICT DO NOTHING`` and compare again, so the one that
    lost the race with other secrets still fails.

    Raises
    ------
    SecretMismatchError
        Naming each secret whose fingerprint differs.
    """
    stored = _stored(session)
    if mismatched := _mismatched(stored, secrets):
        raise SecretMismatchError(mismatched)
    missing = [name for name in SHARED_SECRETS if name not in stored]
    if not missing:
        return []
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for name in missing:
        session.execute(
            insert(SecretFingerprint)
            .values(name=name, fingerprint=fingerprint(name, secrets.get(name) or ""))
            .on_conflict_do_nothing(index_elements=["name"])
        )
    if mismatched := _mismatched(_stored(session), secrets):
        raise SecretMismatchError(mismatched)
    return missing


def replace_fingerprints(session: Session, secrets: Mapping[str, str]) -> None:
    """Record this server's secrets as the deployment's (after a deliberate rotation)."""
    session.execute(sa.delete(SecretFingerprint))
    session.add_all(
        SecretFingerprint(name=name, fingerprint=fingerprint(name, secrets.get(name) or ""))
        for name in SHARED_SECRETS
    )
    session.flush()
