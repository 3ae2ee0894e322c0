"""What every app server of a deployment shares through the database, not its disk.

Uploaded files (evidence, objection attachments, work reports) and built reports are
kept as content-addressed blobs: one row per distinct content, keyed by its SHA-256, so
any server behind the load balancer serves what another stored, the database backup
holds them, and a file is either committed with the row that refers to it or not at all.
The fingerprints of the deployment's secrets let a server whose secrets differ from the
others' refuse to run (``docs/deploy.md``, "Several app servers").
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from assessment.app.db import UTCDateTime, db, utcnow


class StoredBlob(db.Model):  # type: ignore[name-defined,misc]
    """The bytes of one stored file, under the SHA-256 of those bytes."""

    __tablename__ = "stored_blobs"
    __table_args__ = (
        sa.CheckConstraint("size >= 0", name="size_non_negative"),
        sa.CheckConstraint("length(sha256) = 64", name="sha256_hex"),
    )
    # Bytes under their own hash, written once and never changed: the row that refers
    # to them (evidence, an objection, a report build) carries the hash and is audited
    # or says why not; logging megabytes of PDF in the chain would add nothing.
    __audit_exempt__ = "content-addressed bytes; the referring row holds their SHA-256"

    #: SHA-256 of ``data``, 64 lowercase hex digits.
    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: Bytes, ``len(data)``.
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SecretFingerprint(db.Model):  # type: ignore[name-defined,misc]
    """A keyed fingerprint of one secret, recorded by the first server that ran.

    ``fingerprint = HMAC-SHA256(secret, "fingerprint:" + name)``: it shows whether two
    servers hold the same secret and reveals nothing of it.
    """

    __tablename__ = "secret_fingerprints"
    # Written once by the app itself (no person acts) and never rewritten by it; a
    # deliberate rotation is `flask keys record --replace`, which logs it.
    __audit_exempt__ = "the app's own record of its secrets' fingerprints"

    #: Config key: ``SECRET_KEY`` or ``ACCESS_CODE_HASH_KEY``.
    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: 64 lowercase hex digits.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
