"""Stored files: evidence, objection attachments, work reports and built reports.

Every file a server writes and another may serve lives in the database as a
content-addressed blob (:class:`~assessment.models.StoredBlob`, keyed by the SHA-256 of
its bytes), written in the same transaction as the row that refers to it: several app
servers share it without a shared disk, the database backup holds it, and a failed
transaction leaves no file behind. This module is the one door to those blobs
(``docs/deploy.md``, "Several app servers").

Uploads are checked first: only a few document and image types are accepted, by
extension *and* by the first bytes of the content (so a renamed executable is refused),
up to a size limit. The original name is kept in the database for the download only.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from assessment.core.errors import FieldError
from assessment.models import Evidence, StoredBlob

logger = logging.getLogger(__name__)

FIELD = "evidence"
#: Accepted extensions and the content type a download is served with.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# The first bytes each type starts with (xlsx and docx are zip archives).
_SIGNATURES = {
    "pdf": b"%PDF-",
    "jpg": b"\xff\xd8\xff",
    "jpeg": b"\xff\xd8\xff",
    "png": b"\x89PNG\r\n\x1a\n",
    "xlsx": b"PK\x03\x04",
    "docx": b"PK\x03\x04",
}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_STORED_NAME = re.compile(r"^[0-9a-f]{32}$")


class MissingFileError(LookupError):
    """A row refers to stored bytes that are not there, or not the bytes it names."""

    def __init__(self, sha256: str, problem: str = "missing") -> None:
        self.sha256 = sha256
        self.problem = problem
        super().__init__(f"stored file {sha256}: {problem}")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A checked upload, stored as a blob; the Evidence row is made from it."""

    #: Random hex naming the upload (never from the uploader), unique per upload.
    stored_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str


def _extension(filename: str) -> str:
    _, dot, extension = filename.rpartition(".")
    return extension.lower() if dot else ""


def clean_name(filename: str) -> str:
    """The uploader's file name without any folder part or control characters."""
    name = re.split(r"[\\/]", filename)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-255:] or "evidence"


def put_blob(session: Session, data: bytes) -> str:
    """Store ``data`` once under its SHA-256 (in the session's transaction); the hash.

    The same content stored twice, even by two servers at once, is one row: the insert
    does nothing when the row is there (``ON CONFLICT DO NOTHING`` on both databases).
    """
    digest = hashlib.sha256(data).hexdigest()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(StoredBlob)
        .values(sha256=digest, size=len(data), data=data)
        .on_conflict_do_nothing(index_elements=["sha256"])
    )
    return digest


def read_blob(session: Session, sha256: str) -> bytes:
    """The stored bytes under ``sha256``, checked against it.

    Raises
    ------
    MissingFileError
        ``missing`` when no such blob is stored, ``damaged`` when its bytes no longer
        hash to ``sha256``.
    """
    data = session.scalar(sa.select(StoredBlob.data).where(StoredBlob.sha256 == sha256))
    if data is None:
        raise MissingFileError(sha256)
    data = bytes(data)  # PostgreSQL hands back a memoryview
    if hashlib.sha256(data).hexdigest() != sha256:
        raise MissingFileError(sha256, "damaged")
    return data


def has_blobs(session: Session, hashes: Iterable[str]) -> bool:
    """Whether every one of ``hashes`` is stored."""
    wanted = set(hashes)
    if not wanted:
        return True
    found = session.scalar(
        sa.select(sa.func.count()).select_from(StoredBlob).where(StoredBlob.sha256.in_(wanted))
    )
    return found == len(wanted)


def store_upload(
    session: Session,
    stream: IO[bytes],
    filename: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    field: str = FIELD,
) -> StoredFile:
    """Check an upload and store it as a blob in the session's transaction.

    Raises ``FieldError(field, code)`` with code ``evidence_type`` (with ``extension``
    and ``allowed``), ``evidence_empty``, ``evidence_too_large`` (with ``max_mb``) or
    ``evidence_content`` (the content is not what the extension says); nothing is
    stored then.
    """
    original = clean_name(filename)
    extension = _extension(original)
    if extension not in CONTENT_TYPES:
        raise FieldError(
            field,
            "evidence_type",
            extension=extension or "-",
            allowed=", ".join(sorted(set(CONTENT_TYPES))),
        )
    data = stream.read(max_bytes + 1)
    if not data:
        raise FieldError(field, "evidence_empty")
    if len(data) > max_bytes:
        raise FieldError(field, "evidence_too_large", max_mb=round(max_bytes / 1024 / 1024, 1))
    if not data.startswith(_SIGNATURES[extension]):
        raise FieldError(field, "evidence_content", extension=extension)
    digest = put_blob(session, data)
    stored_name = secrets.token_hex(16)
    logger.info("file stored: %s (%d bytes)", stored_name, len(data))
    return StoredFile(
        stored_name=stored_name,
        original_name=original,
        content_type=CONTENT_TYPES[extension],
        size=len(data),
        sha256=digest,
    )


def read_evidence(session: Session, record: Evidence) -> bytes:
    """The bytes of an evidence row's file (:class:`MissingFileError` when not stored)."""
    data = read_blob(session, record.sha256)
    if len(data) != record.size:
        raise MissingFileError(record.sha256, "damaged")
    return data


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What :func:`import_upload_folder` did."""

    imported: int
    already_stored: int
    #: ``(evidence id, problem)``: ``missing`` (no file) or ``damaged`` (wrong hash).
    problems: tuple[tuple[int, str], ...]


def import_upload_folder(session: Session, folder: str | Path) -> ImportSummary:
    """Copy the files of an older deployment's upload folder into blobs.

    Each evidence row names its file (``stored_name``) and the SHA-256 recorded at
    upload; a file is imported only when its bytes still have that hash. Rows whose
    blob is stored already are skipped, so the command can run again.
    """
    imported = already = 0
    problems: list[tuple[int, str]] = []
    rows = session.execute(
        sa.select(Evidence.id, Evidence.stored_name, Evidence.sha256).order_by(Evidence.id)
    ).all()
    for evidence_id, stored_name, sha256 in rows:
        if has_blobs(session, [sha256]):
            already += 1
            continue
        path = Path(folder) / stored_name
        if not _STORED_NAME.match(stored_name) or not path.is_file():
            problems.append((evidence_id, "missing"))
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            problems.append((evidence_id, "damaged"))
            continue
        put_blob(session, data)
        imported += 1
    return ImportSummary(imported, already, tuple(problems))
