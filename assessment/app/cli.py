"""Registers each package's command groups, and the translation commands."""

from __future__ import annotations

import os

import click
from babel.messages.frontend import CommandLineInterface
from flask import Flask
from flask.cli import AppGroup

from assessment.app.i18n import TRANSLATIONS_DIR

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
    from assessment.cli import accounts_cli, audit_cli, demo_cli

    app.cli.add_command(i18n_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(demo_cli)
