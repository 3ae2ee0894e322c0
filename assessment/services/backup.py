"""Backups of a deployment: the database, ``instance/uploads/`` and ``instance/secrets.json``.

One ``.tar.gz`` holds a dump of the database (SQLite's online backup, or ``pg_dump``'s
custom format for PostgreSQL), which holds every stored file (evidence, objection
attachments, built reports: blobs since issue 18, :mod:`assessment.services.evidence`), any file
still in the upload folder of an older version that ``flask files import`` has not
copied in yet, the secrets (without them the access-code hashes and sessions of the
backup are useless), and ``manifest.json``: the format, the schema revision, the app
version and the SHA-256 of every member. A restore checks every digest before it
touches anything, refuses a database that already holds data unless forced, and replaces
the SQLite file in one rename or restores PostgreSQL in one transaction, so a failed
restore leaves the target as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
SECRETS_MEMBER = "secrets.json"
UPLOADS_PREFIX = "uploads/"
#: Tables whose rows do not make a database "hold data" (Alembic's bookkeeping, and the
#: secrets' fingerprints that a new site records when it first answers a request).
BOOKKEEPING_TABLES = {"alembic_version", "secret_fingerprints"}


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why, for the operator."""


@dataclass(frozen=True, slots=True)
class BackupSummary:
    path: Path
    database: str
    revision: str
    files: int
    size: int


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore`` on PATH, else the newest of Debian's server packages."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise BackupError(
            f"{name} not found: install postgresql-client (apt-get install postgresql-client)"
        )
    return str(candidates[-1])


def _libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it.

    The password goes through PGPASSWORD so it never shows in the process list.
    """
    plain = url.set(drivername="postgresql", password=None)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), env


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _dump_database(url: sa.URL, workdir: Path) -> tuple[str, Path]:
    if url.get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise BackupError(f"no database file at {source}")
        target = workdir / SQLITE_MEMBER
        live, copy = sqlite3.connect(source), sqlite3.connect(target)
        try:
            live.backup(copy)  # a consistent copy even while the app writes
        finally:
            copy.close()
            live.close()
        return SQLITE_MEMBER, target
    if url.get_backend_name() == "postgresql":
        target = workdir / PG_MEMBER
        dsn, env = _libpq(url)
        _run(
            [
                _pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={target}",
                f"--dbname={dsn}",
            ],
            env,
        )
        return PG_MEMBER, target
    raise BackupError(f"unsupported database {url.get_backend_name()}")


def _run(command: list[str], env: dict[str, str]) -> None:
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if finished.returncode != 0:
        tool = Path(command[0]).name
        raise BackupError(f"{tool} failed: {finished.stderr.strip()[-500:]}")


def _files_under(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from sorted(path for path in folder.rglob("*") if path.is_file())


def create_backup(
    *,
    database_url: str,
    upload_folder: str,
    instance_path: str,
    target: Path,
    revision: str,
    app_version: str,
    now: datetime,
) -> BackupSummary:
    """Write the backup archive to ``target`` (refusing to overwrite a file)."""
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name")
    url = sa.make_url(database_url)
    members: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="assessment-backup-") as scratch:
        name, dump = _dump_database(url, Path(scratch))
        members[name] = dump
        uploads = Path(upload_folder)
        for path in _files_under(uploads):
            members[UPLOADS_PREFIX + path.relative_to(uploads).as_posix()] = path
        secrets = Path(instance_path) / "secrets.json"
        if secrets.is_file():
            members[SECRETS_MEMBER] = secrets
        digests = {member: _sha256(path.read_bytes()) for member, path in members.items()}
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "app_version": app_version,
            "revision": revision,
            "database": url.get_backend_name(),
            "members": digests,
        }
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
            for member, path in members.items():
                archive.add(path, arcname=member, recursive=False)
        os.replace(partial, target)  # a backup is there whole, or not at all
    return BackupSummary(
        target, url.get_backend_name(), revision, len(members), target.stat().st_size
    )


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


@dataclass(frozen=True, slots=True)
class RestoreSummary:
    database: str
    revision: str
    files: int
    secrets: bool


def read_manifest(archive_path: Path, workdir: Path) -> dict[str, object]:
    """Unpack the archive into ``workdir`` and check every member against the manifest."""
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(workdir, filter="data")  # no links, no paths outside workdir
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"{archive_path} is not a readable backup: {error}") from None
    manifest_path = workdir / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{archive_path} has no {MANIFEST}: not a backup of this product")
    manifest: dict[str, object] = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not {FORMAT}")
    digests = manifest.get("members")
    if not isinstance(digests, dict):
        raise BackupError("the manifest lists no members")
    present = {
        path.relative_to(workdir).as_posix() for path in workdir.rglob("*") if path.is_file()
    } - {MANIFEST}
    if present != set(digests):
        raise BackupError("the archive's files differ from its manifest")
    for member, expected in digests.items():
        if _sha256((workdir / member).read_bytes()) != expected:
            raise BackupError(f"{member} does not match its SHA-256 in the manifest")
    return manifest


def holds_data(engine: sa.Engine) -> bool:
    """Whether any table of the database (but Alembic's) has a row."""
    inspector = sa.inspect(engine)
    with engine.connect() as connection:
        for table in inspector.get_table_names():
            if table in BOOKKEEPING_TABLES:
                continue
            quoted = engine.dialect.identifier_preparer.quote(table)
            if connection.execute(sa.text(f"SELECT 1 FROM {quoted} LIMIT 1")).first():  # noqa: S608
                return True
    return False


def restore_backup(
    *,
    archive_path: Path,
    engine: sa.Engine,
    upload_folder: str,
    instance_path: str,
    force: bool,
) -> RestoreSummary:
    """Restore the archive into this deployment's database, uploads and secrets.

    Raises
    ------
    BackupError
        A damaged archive, another database kind, a target that holds data (without
        ``force``), or a failing ``pg_restore``; the target is then left as it was.
    """
    url = engine.url
    with tempfile.TemporaryDirectory(prefix="assessment-restore-") as scratch:
        workdir = Path(scratch)
        manifest = read_manifest(archive_path, workdir)
        kind = url.get_backend_name()
        if manifest.get("database") != kind:
            raise BackupError(
                f"the backup holds a {manifest.get('database')} database; this site uses {kind}"
            )
        uploads = Path(upload_folder)
        # A SQLite file that does not exist yet is an empty target (and is not created).
        exists = kind != "sqlite" or _sqlite_path(url).exists()
        if not force:
            if exists and holds_data(engine):
                raise BackupError(
                    "the database already holds data; restore with --force to replace it"
                )
            if any(_files_under(uploads)):
                raise BackupError(
                    f"{uploads} already holds files; restore with --force to replace them"
                )
        had_tables = exists and bool(sa.inspect(engine).get_table_names())
        engine.dispose()
        if kind == "sqlite":
            _restore_sqlite(workdir / SQLITE_MEMBER, _sqlite_path(url))
        else:
            dsn, env = _libpq(url)
            command = [
                _pg_tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={dsn}",
            ]
            if had_tables:
                command[1:1] = ["--clean", "--if-exists"]
            _run([*command, str(workdir / PG_MEMBER)], env)
        restored_files = _restore_uploads(workdir / UPLOADS_PREFIX, uploads)
        secrets = workdir / SECRETS_MEMBER
        if secrets.is_file():
            _write_private(Path(instance_path) / "secrets.json", secrets.read_bytes())
    return RestoreSummary(
        kind, str(manifest.get("revision", "")), restored_files, secrets.is_file()
    )


def _restore_sqlite(dump: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    shutil.copyfile(dump, staged)
    # A write-ahead log of the replaced database would be replayed into the new one.
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(staged, target)


def _restore_uploads(source: Path, uploads: Path) -> int:
    if uploads.exists():
        shutil.rmtree(uploads)
    if not source.is_dir():
        uploads.mkdir(parents=True, exist_ok=True)
        return 0
    shutil.copytree(source, uploads)
    return sum(1 for _ in _files_under(uploads))


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".restoring")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(staged, path)
