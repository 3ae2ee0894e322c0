"""``flask files`` and ``flask keys``: what several app servers share (issue 18)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from assessment.app.db import unit_of_work
from assessment.services import evidence
from assessment.services.shared_secrets import (
    SHARED_SECRETS,
    SecretMismatchError,
    check_shared_secrets,
    replace_fingerprints,
)

files_cli = AppGroup("files", help="Files stored in the database for every app server.")
keys_cli = AppGroup("keys", help="The secrets every app server must share.")


@files_cli.command("import")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, exists=True),
    help="The upload folder of the older version (default: UPLOAD_FOLDER, instance/uploads).",
)
def import_files(folder: str | None) -> None:
    """Copy the evidence files of an older version's upload folder into the database."""
    source = folder or str(current_app.config["UPLOAD_FOLDER"])
    with unit_of_work(None, reason="files import") as session:
        summary = evidence.import_upload_folder(session, source)
    click.echo(
        _(
            "Imported %(imported)s files from %(folder)s; %(stored)s were stored already.",
            imported=summary.imported,
            folder=source,
            stored=summary.already_stored,
        )
    )
    for evidence_id, problem in summary.problems:
        if problem == "missing":
            line = _("Evidence %(id)s: its file is missing.", id=evidence_id)
        else:
            line = _(
                "Evidence %(id)s: its file is not the one recorded (its SHA-256 differs).",
                id=evidence_id,
            )
        click.echo(line, err=True)
    if summary.problems:
        raise click.exceptions.Exit(1)


def _secrets() -> dict[str, str]:
    return {name: str(current_app.config.get(name) or "") for name in SHARED_SECRETS}


@keys_cli.command("check")
def check_keys() -> None:
    """Check this server's secrets against the deployment's (records them the first time)."""
    try:
        with unit_of_work(None) as session:
            recorded = check_shared_secrets(session, _secrets())
    except SecretMismatchError as error:
        raise click.ClickException(str(error)) from None
    if recorded:
        click.echo(_("Recorded the fingerprints of %(names)s.", names=", ".join(recorded)))
    click.echo(_("This server's secrets are the deployment's."))


@keys_cli.command("record")
@click.option("--replace", is_flag=True, required=True, help="Replace the recorded fingerprints.")
def record_keys(replace: bool) -> None:
    """After a deliberate rotation: make this server's secrets the deployment's."""
    with unit_of_work(None, reason="secrets rotated") as session:
        replace_fingerprints(session, _secrets())
    click.echo(
        _(
            "Recorded this server's secrets; every other server must now run with them "
            "(unused access codes printed before a new ACCESS_CODE_HASH_KEY no longer work)."
        )
    )


#: The groups this module adds to ``flask``.
COMMANDS: tuple[click.Group, ...] = (files_cli, keys_cli)
