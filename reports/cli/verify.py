"""``flask reports verify`` (a PDF or a code) and ``flask reports bundle`` (open data)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from assessment.app.db import db
from assessment.models import Period
from assessment.services.queries import NotFoundError
from assessment.views.notice import local_today
from reports.core.verify import CheckStatus, FieldCheck
from reports.services.bundle import NoResultsError, build_bundle
from reports.services.verify import MAX_PDF_BYTES, Problem, Verification, verify_code, verify_pdf

#: Four-letter marks of the field checks in the terminal.
_MARK = {
    CheckStatus.MATCHES: "ok  ",
    CheckStatus.DIFFERS: "DIFF",
    CheckStatus.MISSING: "MISS",
    CheckStatus.UNEXPECTED: "XTRA",
}


def _line(check: FieldCheck, found_name: str) -> str:
    mark = _MARK[check.status]
    if check.status is CheckStatus.MATCHES:
        return f"  {mark} {check.field} = {check.expected}"
    if check.status is CheckStatus.MISSING:
        return f"  {mark} {check.field}: expected {check.expected}, not found"
    if check.status is CheckStatus.UNEXPECTED:
        return f"  {mark} {check.field}: {found_name} {check.found}, not expected"
    return f"  {mark} {check.field}: expected {check.expected}, {found_name} {check.found}"


def describe(verification: Verification, *, show_all: bool) -> list[str]:
    """The verification as lines of text for the terminal."""
    v = verification
    lines = [f"code: {v.code or '(none found)'}"]
    if v.problem is Problem.TYPO:
        place = f" at character {v.typo_position}" if v.typo_position is not None else ""
        return [*lines, f"typing mistake{place}: check each character of the code"]
    if v.problem is not None:
        return [*lines, f"cannot verify: {str(v.problem).replace('_', ' ')}"]
    lines.append(
        f"period {v.period_id} ({v.period_name}), result version {v.version_number}: "
        f"{v.status}" + (f" (newest is {v.latest_number})" if v.status == "superseded" else "")
    )
    if not v.issued:
        return [
            *lines,
            "NOT ISSUED from these results: the code's check does not match, and it is not "
            "one typing slip away from the issued one (the report or its code was changed)",
        ]
    found_name = "printed" if v.source == "pdf" else "stored"
    bad = v.differing_fields
    lines.append(
        f"fields: {len(v.fields) - len(bad)} of {len(v.fields)} match"
        + (f", {len(bad)} DIFFER" if bad else "")
    )
    lines += [_line(c, found_name) for c in v.fields if show_all or not c.ok]
    wrong = v.differing_results
    lines.append(
        f"stored result vs recompute: {len(v.result_checks) - len(wrong)} of "
        f"{len(v.result_checks)} values match" + (f", {len(wrong)} DIFFER" if wrong else "")
    )
    lines += [_line(c, "stored") for c in wrong]
    if v.anchor is not None:
        a = v.anchor
        if a.ok:
            lines.append(f"audit log: still holds entry seq={a.seq} printed as its head")
        elif a.stored is None:
            lines.append(f"audit log: entry seq={a.seq} printed as its head is GONE")
        else:
            lines.append(f"audit log: entry seq={a.seq} CHANGED (hash {a.stored})")
    lines.append("verified: the report matches" if v.ok else "NOT VERIFIED")
    return lines


@click.command("verify")
@click.argument("pdf", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--code", help="A verification code instead of a PDF.")
@click.option("--all", "show_all", is_flag=True, help="List matching fields too.")
@with_appcontext
def verify_command(pdf: Path | None, code: str | None, show_all: bool) -> None:
    """Recompute a report's result and compare it field by field (exit 1 unless it matches)."""
    if (pdf is None) == (code is None):
        raise click.UsageError("give either a PDF file or --code CODE")
    if pdf is not None:
        if pdf.stat().st_size > MAX_PDF_BYTES:
            raise click.BadParameter(f"larger than {MAX_PDF_BYTES} bytes", param_hint="PDF")
        verification = verify_pdf(db.session, pdf.read_bytes())
    else:
        verification = verify_code(db.session, code or "")
    for line in describe(verification, show_all=show_all):
        click.echo(line)
    if not verification.ok:
        raise click.exceptions.Exit(1)


@click.command("bundle")
@click.option("--period", "period_id", type=int, required=True, help="Period id.")
@click.option(
    "--version", "number", type=int, help="Result version number (default: final, else newest)."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Zip file to write (default: instance/open-data/<name>.zip).",
)
@with_appcontext
def bundle_command(period_id: int, number: int | None, out: Path | None) -> None:
    """Write the open-data bundle of a period's result version (format: docs/open-data.md)."""
    period = db.session.get(Period, period_id)
    if period is None:
        raise click.BadParameter(f"no period {period_id}", param_hint="--period")
    try:
        built = build_bundle(db.session, period=period, version_number=number, today=local_today())
    except NoResultsError:
        raise click.BadParameter(
            f"period {period_id} has no result version", param_hint="--period"
        ) from None
    except NotFoundError:
        raise click.BadParameter(
            f"period {period_id} has no result version {number}", param_hint="--version"
        ) from None
    target = out or Path(current_app.instance_path) / "open-data" / built.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(built.data)
    version = built.manifest["version"]["number"]
    click.echo(f"wrote {target} (period {period.id}, result version {version})")
    click.echo(f"sha256 {hashlib.sha256(built.data).hexdigest()}")
    suppressed = built.manifest["suppressed"]
    click.echo(
        f"responses: {suppressed['responses_rows']} rows left out (groups under "
        f"{built.manifest['min_group_size']})"
    )
    if built.reproduced:
        click.echo("recompute: results.csv reproduced byte for byte from the bundle")
    else:
        click.echo(
            "warning: results.csv is NOT reproduced from the bundle's files "
            "(see docs/open-data.md, 'What the recompute reproduces')",
            err=True,
        )


#: The commands this module adds to the ``reports`` group.
COMMANDS: tuple[click.Command, ...] = (verify_command, bundle_command)
