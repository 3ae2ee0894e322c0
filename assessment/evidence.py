"""Evidence files: checked, stored under a random name in the upload folder, served back.

Only a few document and image types are accepted, checked by extension *and* by the
first bytes of the content (so a renamed executable is refused), up to a size limit.
The stored name is random hex and never comes from the uploader; the original name is
kept in the database for the download only, with the SHA-256 of the content.

The file is written before the database transaction commits. :func:`discard_on_error`
removes it again when the transaction fails, so that no unreferenced file is left.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from assessment.core.errors import FieldError

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


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file written to the upload folder."""

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


def stored_path(folder: str | os.PathLike[str], stored_name: str) -> Path:
    """Path of a stored file; refuses any name that is not one this module made."""
    if not _STORED_NAME.match(stored_name):
        raise ValueError("not a stored evidence name")
    return Path(folder) / stored_name


def store_upload(
    folder: str | os.PathLike[str],
    stream: IO[bytes],
    filename: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> StoredFile:
    """Check an upload and write it under a random name in ``folder``.

    Raises ``FieldError("evidence", code)`` with code ``evidence_type`` (with
    ``extension`` and ``allowed``), ``evidence_empty``, ``evidence_too_large`` (with
    ``max_mb``) or ``evidence_content`` (the content is not what the extension says).
    """
    original = clean_name(filename)
    extension = _extension(original)
    if extension not in CONTENT_TYPES:
        raise FieldError(
            FIELD,
            "evidence_type",
            extension=extension or "-",
            allowed=", ".join(sorted(set(CONTENT_TYPES))),
        )
    data = stream.read(max_bytes + 1)
    if not data:
        raise FieldError(FIELD, "evidence_empty")
    if len(data) > max_bytes:
        raise FieldError(FIELD, "evidence_too_large", max_mb=round(max_bytes / 1024 / 1024, 1))
    if not data.startswith(_SIGNATURES[extension]):
        raise FieldError(FIELD, "evidence_content", extension=extension)
    stored_name = secrets.token_hex(16)
    path = stored_path(folder, stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    # Exclusive create: a random name that somehow exists is never overwritten.
    with open(partial, "xb") as handle:
        handle.write(data)
    os.replace(partial, path)
    logger.info("evidence stored: %s (%d bytes)", stored_name, len(data))
    return StoredFile(
        stored_name=stored_name,
        original_name=original,
        content_type=CONTENT_TYPES[extension],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def remove_stored(folder: str | os.PathLike[str], stored_name: str) -> None:
    """Delete a stored file if it is there."""
    with suppress(FileNotFoundError):
        stored_path(folder, stored_name).unlink()


@contextmanager
def discard_on_error(folder: str | os.PathLike[str], stored: StoredFile | None) -> Iterator[None]:
    """Remove the stored file when the block (the unit of work) raises."""
    try:
        yield
    except BaseException:
        if stored is not None:
            remove_stored(folder, stored.stored_name)
        raise
