"""The "surveys" command group."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from assessment.app.db import db
from surveys.models.surveys import Survey
from surveys.services import storage
from surveys.services import surveys as services

surveys_cli = AppGroup("surveys", help="Resident surveys.")


@surveys_cli.command("verify-seal")
@click.argument("short_id", required=False)
def verify_seal(short_id: str | None) -> None:
    """Recompute each closed survey's digest and compare it with its seal."""
    query = sa.select(Survey).where(Survey.status == "closed").order_by(Survey.id)
    if short_id:
        query = query.where(Survey.short_id == short_id.upper())
    broken = 0
    checked = 0
    for survey in db.session.scalars(query):
        check = services.verify_seal(db.session, survey)
        if check is None:
            click.echo(f"{survey.short_id}: closed but not sealed")
            broken += 1
            continue
        checked += 1
        if check.ok:
            click.echo(
                f"{survey.short_id}: OK ({check.current_count} responses, {check.sealed_digest})"
            )
        else:
            broken += 1
            click.echo(
                f"{survey.short_id}: CHANGED since sealing: {check.sealed_count} responses "
                f"{check.sealed_digest} sealed, {check.current_count} {check.current_digest} now"
            )
    if broken:
        raise click.exceptions.Exit(1)
    if not checked:
        click.echo("No sealed survey found.")


@surveys_cli.command("compact")
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Seconds to wait for the tables' lock and for older transactions (PostgreSQL).",
)
@click.option(
    "--statement-timeout",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds each table rebuild may take; 0 for no limit (PostgreSQL).",
)
def compact(lock_timeout: float, statement_timeout: float) -> None:
    """Rebuild the code, response and answer tables so no old row version remains."""
    db.session.remove()
    result = storage.compact_survey_tables(
        db.engine, lock_timeout_s=lock_timeout, statement_timeout_s=statement_timeout
    )
    if not result.done:
        click.echo(f"Not compacted ({result.backend}): {result.problem}. Try again later.")
        raise click.exceptions.Exit(1)
    click.echo(f"Survey tables compacted ({result.backend}).")
