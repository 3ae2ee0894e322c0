"""Registers each package's command groups, and the translation commands."""

from __future__ import annotations

import os
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from babel.messages.frontend import CommandLineInterface
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from assessment.app.i18n import TRANSLATIONS_DIR
from assessment.services import backup

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POT_FILE = os.path.join(TRANSLATIONS_DIR, "messages.pot")

i18n_cli = AppGroup("i18n", help="Extract, update and compile translations.")


def _babel(*args: str) -> None:
    status = CommandLineInterface().run(["pybabel", "-q", *args])
    if status:  # Babel reports errors through its return value, not an exception
        raise click.ClickException(f"pybabel {args[0]} failed")


@i18n_cli.command("extract")
def extract() -> None:
    """Extract every translatable string into messages.pot."""
    _babel(
        "extract",
        "-F",
        os.path.join(PROJECT_ROOT, "babel.cfg"),
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        "-o",
        POT_FILE,
        PROJECT_ROOT,
    )
    click.echo(f"Wrote {POT_FILE}")


@i18n_cli.command("update")
def update() -> None:
    """Merge messages.pot into the zh_CN and en catalogs."""
    _babel("update", "-i", POT_FILE, "-d", TRANSLATIONS_DIR, "--no-fuzzy-matching")


@i18n_cli.command("compile")
def compile_catalogs() -> None:
    """Compile the catalogs to .mo files."""
    _babel("compile", "-d", TRANSLATIONS_DIR, "--statistics")


def register_commands(app: Flask) -> None:
    from assessment.cli import accounts_cli, audit_cli, demo_cli, reminders_cli

    app.cli.add_command(i18n_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(reminders_cli)
    from assessment.cli.shared import COMMANDS as SHARED_COMMANDS

    for group in SHARED_COMMANDS:
        app.cli.add_command(group)


backup_cli = AppGroup("backup", help="Back up and restore the database, uploads and secrets.")


def _revision(engine: Any) -> str:
    with engine.connect() as connection:
        try:
            return str(
                connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
                or ""
            )
        except sa.exc.DBAPIError:
            return ""


def _head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return str(ScriptDirectory.from_config(config).get_current_head())


@backup_cli.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_create(file: Path) -> None:
    """Write the database, instance/uploads/ and instance/secrets.json to FILE (.tar.gz)."""
    from assessment.app.db import db, utcnow

    try:
        summary = backup.create_backup(
            database_url=db.engine.url.render_as_string(hide_password=False),
            upload_folder=current_app.config["UPLOAD_FOLDER"],
            instance_path=current_app.instance_path,
            target=file,
            revision=_revision(db.engine),
            app_version=version("township-assessment"),
            now=utcnow(),
        )
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        _(
            "Backup written: %(path)s (%(database)s database at revision %(revision)s, "
            "%(files)s files, %(size)s bytes). Keep it with the same care as the secrets.",
            path=summary.path,
            database=summary.database,
            revision=summary.revision,
            files=summary.files,
            size=summary.size,
        )
    )


@backup_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database and uploads that hold data.")
def backup_restore(file: Path, force: bool) -> None:
    """Restore FILE into this site, then check the audit chain and every survey seal."""
    from assessment.app.db import db
    from assessment.services.audit import verify_audit_chain
    from surveys.models.surveys import Survey
    from surveys.services.surveys import verify_seal

    try:
        summary = backup.restore_backup(
            archive_path=file,
            engine=db.engine,
            upload_folder=current_app.config["UPLOAD_FOLDER"],
            instance_path=current_app.instance_path,
            force=force,
        )
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        _(
            "Restored the %(database)s database (revision %(revision)s) and %(files)s files.",
            database=summary.database,
            revision=summary.revision,
            files=summary.files,
        )
    )
    if summary.secrets:
        click.echo(_("Restored instance/secrets.json; restart the app so that it reads them."))
    if summary.revision != _head_revision():
        click.echo(
            _(
                "The backup comes from an older version: run `flask db upgrade`, then "
                "`flask audit verify` and `flask surveys verify-seal`."
            )
        )
        return
    db.session.remove()
    chain = verify_audit_chain(db.session)
    closed = db.session.scalars(sa.select(Survey).where(Survey.status == "closed")).all()
    checks = [verify_seal(db.session, survey) for survey in closed]
    broken = sum(1 for check in checks if check is None or not check.ok)
    if not chain.ok or broken:
        raise click.ClickException(
            _(
                "The restored data does not verify: audit chain %(chain)s, %(broken)s of "
                "%(checked)s survey seals broken.",
                chain=_("intact") if chain.ok else _("broken"),
                broken=broken,
                checked=len(checks),
            )
        )
    click.echo(
        _(
            "Verified: the audit chain of %(entries)s entries is intact and %(checked)s "
            "survey seals match.",
            entries=chain.checked,
            checked=len(checks),
        )
    )
