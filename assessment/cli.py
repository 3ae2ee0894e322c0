"""Commands of the base package: ``flask audit verify`` and ``flask demo seed``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from assessment.app.db import db, unit_of_work
from assessment.audit import verify_audit_chain
from assessment.demo import DEMO_PASSWORD, is_database_empty, seed_demo

audit_cli = AppGroup("audit", help="Audit log commands.")
demo_cli = AppGroup("demo", help="Demo data.")


@audit_cli.command("verify")
def verify() -> None:
    """Recompute the audit hash chain and name the first broken entry."""
    result = verify_audit_chain(db.session)
    if result.ok:
        click.echo(f"OK: {result.checked} entries, chain intact.")
        return
    click.echo(
        f"BROKEN at entry seq={result.first_broken_seq}: {result.problem} "
        f"(checked {result.checked} entries).",
        err=True,
    )
    sys.exit(1)


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has accounts.")
def seed(if_empty: bool) -> None:
    """Create the demo township with one account per role."""
    if not is_database_empty(db.session):
        if if_empty:
            click.echo("Database not empty; demo not seeded.")
            return
        raise click.ClickException("the database is not empty; refusing to add demo data")
    with unit_of_work(None, reason="demo seed"):
        counts = seed_demo(db.session)
    click.echo(
        "Demo seeded: {units} units, {posts} posts, {cadres} cadres, {accounts} accounts; "
        "password for every demo account: {password}".format(**counts, password=DEMO_PASSWORD)
    )
