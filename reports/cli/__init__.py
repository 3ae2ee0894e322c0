"""The ``reports`` command group: ``flask --app assessment.app reports ...``."""

from __future__ import annotations

from flask.cli import AppGroup

from reports.cli import build as build_cli
from reports.cli import verify as verify_cli

reports_cli = AppGroup("reports", help="PDF reports, verification and open data.")

for _command in (*build_cli.COMMANDS, *verify_cli.COMMANDS):
    reports_cli.add_command(_command)
