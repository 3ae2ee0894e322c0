"""``flask reports build``: every scorecard and the summary of a period, stored for every server."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from assessment.app.db import db, unit_of_work
from assessment.models import Period
from assessment.services import results as results_service
from assessment.services import site_settings
from reports.services import builds, documents

#: Shown in the verification link when PUBLIC_BASE_URL is not configured.
FALLBACK_BASE_URL = "http://localhost:5000"


def latest_number(period: Period) -> int | None:
    """The newest result version's number of the period, or None before any."""
    versions = results_service.list_versions(db.session, period.id)
    return max((v.number for v in versions), default=None)


@click.command("build")
@click.option("--period", "period_id", type=int, required=True, help="Period id.")
@click.option("--version", "number", type=int, help="Result version number (default: newest).")
@click.option(
    "--lang",
    type=click.Choice(documents.REPORT_LANGUAGES),
    default="zh_CN",
    show_default=True,
    help="Language of the reports.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write a copy of each file into this folder.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes making the PDFs (default: the number of CPUs).",
)
@with_appcontext
def build_command(
    period_id: int, number: int | None, lang: str, out_dir: Path | None, workers: int | None
) -> None:
    """Render every scorecard and the summary of a period's result version to PDF files.

    The files are stored in the database, where the zip download of every app server
    finds them; ``--out`` also writes a copy into a folder. The HTML is rendered here
    and the PDFs made by ``--workers`` processes, in report order.
    """
    period = db.session.get(Period, period_id)
    if period is None:
        raise click.BadParameter(_("No period %(id)s.", id=period_id), param_hint="--period")
    if number is None:
        number = latest_number(period)
        if number is None:
            raise click.BadParameter(
                _("Period %(id)s has no computed result version.", id=period_id),
                param_hint="--period",
            )
    try:
        data = documents.load_version(db.session, period, number)
    except documents.ReportNotFoundError:
        raise click.BadParameter(
            _("Period %(id)s has no result version %(number)s.", id=period_id, number=number),
            param_hint="--version",
        ) from None
    base_url = site_settings.get_site_settings(db.session, current_app.config).public_base_url
    if not base_url:
        click.echo(
            _(
                "Warning: no site address is set (PUBLIC_BASE_URL or the settings page); "
                "verification links use %(url)s.",
                url=FALLBACK_BASE_URL,
            ),
            err=True,
        )
        base_url = FALLBACK_BASE_URL
    count = len(data.cadre_ids()) + 1
    with (
        click.progressbar(length=count, label=_("Rendering reports"), file=None) as bar,
        unit_of_work(None) as session,
    ):
        result = builds.build_in_session(
            session,
            data,
            lang=lang,
            now=datetime.now(UTC),
            base_url=base_url,
            requested_by_id=None,
            progress=lambda _name: bar.update(1),
            out_dir=out_dir,
            workers=workers or os.cpu_count() or 1,
        )
    click.echo(
        _(
            "Stored %(files)s PDF files (%(scorecards)s scorecards and the summary, "
            "%(megabytes)s MB); the zip download of every server serves them.",
            files=len(result.files),
            scorecards=len(result.files) - 1,
            megabytes=round(result.bytes_written / 1_000_000, 1),
        )
    )
    if out_dir is not None:
        click.echo(_("Copies written to %(folder)s", folder=out_dir))


#: The commands this module adds to the ``reports`` group.
COMMANDS: tuple[click.Command, ...] = (build_command,)
