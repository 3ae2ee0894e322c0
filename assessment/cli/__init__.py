"""Commands of the base package: ``audit verify``, ``demo seed``, ``accounts create-admin``,
``accounts unlock``, ``reminders send``."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import to_user_timezone

from assessment.app.db import db, unit_of_work, utcnow
from assessment.app.survey_source import get_survey_source
from assessment.core.confidence import DEFAULT_RESAMPLES
from assessment.core.errors import FieldError
from assessment.services import accounts, org, site_settings
from assessment.services import reminders as reminder_service
from assessment.services.audit import find_entry_hash, verify_audit_chain
from assessment.services.demo import (
    DEMO_PASSWORD,
    NoticeSettings,
    is_database_empty,
    seed_demo,
    seed_history,
    seed_record_history,
)
from assessment.services.demo_county import seed_county
from assessment.services.mail import Mail, MailError, MailSettings, send_mails
from assessment.services.queries import find_account_by_username, find_unit_by_code
from assessment.views.messages import field_error_message
from assessment.views.notice import local_today
from assessment.views.reminder_texts import describe

audit_cli = AppGroup("audit", help="Audit log commands.")
accounts_cli = AppGroup("accounts", help="Account commands.")
demo_cli = AppGroup("demo", help="Demo data.")


def _anchor(value: str) -> tuple[int, str]:
    seq, _sep, entry_hash = value.strip().partition(":")
    entry_hash = entry_hash.strip().lower()
    if not seq.isdigit() or len(entry_hash) != 64 or set(entry_hash) - set("0123456789abcdef"):
        raise click.BadParameter(
            _("%(value)s is not SEQ:HASH (a number, a colon, 64 hex digits)", value=repr(value)),
            param_hint="--anchor",
        )
    return int(seq), entry_hash


@audit_cli.command("verify")
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    help="SEQ:HASH of an entry printed earlier (a report's 'audit-head'); it must still be there.",
)
def verify(anchors: tuple[str, ...]) -> None:
    """Recompute the audit hash chain, name the first broken entry, and check anchors."""
    wanted = [_anchor(a) for a in anchors]
    result = verify_audit_chain(db.session)
    broken = False
    if result.ok:
        click.echo(_("OK: %(count)s entries, chain intact.", count=result.checked))
    else:
        click.echo(
            _(
                "BROKEN at entry seq=%(seq)s: %(problem)s (checked %(count)s entries).",
                seq=result.first_broken_seq,
                problem=result.problem,
                count=result.checked,
            ),
            err=True,
        )
        broken = True
    # The chain cannot show that its newest entries were deleted; a hash printed on
    # paper (every report carries the head at its generation) can.
    for seq, expected in wanted:
        stored = find_entry_hash(db.session, seq)
        if stored == expected:
            click.echo(_("OK: anchor seq=%(seq)s is in the log with its hash.", seq=seq))
        elif stored is None:
            click.echo(_("MISSING: anchor seq=%(seq)s is no longer in the log.", seq=seq), err=True)
            broken = True
        else:
            click.echo(
                _(
                    "CHANGED: anchor seq=%(seq)s has hash %(stored)s, not %(expected)s.",
                    seq=seq,
                    stored=stored,
                    expected=expected,
                ),
                err=True,
            )
            broken = True
    if broken:
        sys.exit(1)


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has accounts.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date the demo's history is built around (default: today, UTC).",
)
def seed(if_empty: bool, today: datetime | None) -> None:
    """Create the demo township, a final 2025 period and a 2026 period on notice."""
    if not is_database_empty(db.session):
        if if_empty:
            click.echo(_("Database not empty; demo not seeded."))
            return
        raise click.ClickException(_("The database is not empty; refusing to add demo data."))
    # The resident surveys live in the surveys package, which this one may not import:
    # the app factory registers them as the survey source (assessment/services/survey_source.py).
    surveys = get_survey_source()
    config = current_app.config
    now = utcnow()
    if today is not None:  # the clock's time of day on the chosen date
        now = datetime.combine(today.date(), now.timetz())
    settings = site_settings.config_defaults(config)
    # The demo's notices run from the previous year (2025 final) to today's.
    holidays, extra_workdays = site_settings.working_calendar(
        settings,
        calendar=str(config["HOLIDAY_CALENDAR"]),
        years=range(now.year - 2, now.year + 2),
    )
    notice = NoticeSettings(
        working_days=settings.notice_working_days,
        review_working_days=settings.review_working_days,
        holidays=holidays,
        extra_workdays=extra_workdays,
    )
    with unit_of_work(None, reason="demo seed"):
        counts = seed_demo(db.session)
        history = seed_history(
            db.session,
            today=now.date(),
            now=now,
            surveys=surveys,
            access_code_key=config["ACCESS_CODE_HASH_KEY"],
            resamples=int(config.get("RESULTS_RESAMPLES", DEFAULT_RESAMPLES)),
            notice=notice,
        )
        # the record's earlier years, conversations and work reports (issue 15)
        record = seed_record_history(db.session, today=now.date(), surveys=surveys, notice=notice)
        # the county's two other townships, after 青山镇 so that its numbers stay (issue 16)
        county = seed_county(
            db.session,
            today=now.date(),
            surveys=surveys,
            access_code_key=config["ACCESS_CODE_HASH_KEY"],
            resamples=int(config.get("RESULTS_RESAMPLES", DEFAULT_RESAMPLES)),
            notice=notice,
        )
    click.echo(
        _(
            "Demo seeded: a county of %(townships)s townships, %(cadres)s cadres, "
            "%(periods)s computed periods (one on notice, the others final) "
            "from %(responses)s survey responses; password for every demo account: "
            "%(password)s",
            townships=1 + county["townships"],
            cadres=counts["cadres"] + county["cadres"],
            periods=history["periods"]
            + history["year_round_periods"]
            + record["periods"]
            + county["periods"],
            responses=history["responses"] + county["responses"],
            password=DEMO_PASSWORD,
        )
    )


@accounts_cli.command("create-admin")
@click.option("--username", required=True, help="User name of the new administrator.")
@click.option("--name", "display_name", required=True, help="Name shown in the pages.")
@click.option("--unit", "unit_code", required=True, help="Code of the unit the admin manages.")
@click.option(
    "--new-county",
    "county_name",
    default=None,
    help="Create the unit as a new county with this Chinese name (empty database).",
)
@click.password_option(help="Password (asked twice when not given).")
def create_admin(
    username: str, display_name: str, unit_code: str, county_name: str | None, password: str
) -> None:
    """Create an administrator (and, on an empty database, the county at the top)."""
    try:
        with unit_of_work(None, reason="accounts create-admin"):
            unit = find_unit_by_code(db.session, unit_code)
            if unit is None:
                if not county_name:
                    raise click.ClickException(
                        _(
                            "No unit has the code %(code)s; give --new-county to create it.",
                            code=unit_code,
                        )
                    )
                unit = org.create_unit(
                    db.session, org.UnitData(unit_code, "county", county_name, "", None, 0, 0)
                )
            accounts.save_account(
                db.session,
                accounts.AccountData(username, display_name, "admin", (unit.id,)),
                password=password,
            )
    except FieldError as error:
        raise click.ClickException(f"{error.field}: {field_error_message(error)}") from None
    click.echo(
        _(
            "Administrator %(username)s created for unit %(code)s.",
            username=username,
            code=unit_code,
        )
    )


@accounts_cli.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Let USERNAME log in again after too many failed logins (audited)."""
    # No account runs a command: the reason names the operating-system user instead.
    try:
        operator = getpass.getuser()
    except (OSError, KeyError):
        operator = "unknown"
    with unit_of_work(None, reason=f"accounts unlock on the command line by {operator}"):
        account = find_account_by_username(db.session, username)
        if account is None:
            raise click.ClickException(
                _("No account has the user name %(username)s.", username=username)
            )
        removed = accounts.unlock_account(
            db.session, account, secret=current_app.config["SECRET_KEY"]
        )
    click.echo(
        _(
            "%(username)s unlocked (%(count)s login counters cleared).",
            username=username,
            count=removed,
        )
    )


reminders_cli = AppGroup("reminders", help="Reminders to assessors, cadres and reviewers.")


def _mail_for(reminder: Any) -> Mail:
    text = describe(reminder, external=True)
    body = "\n\n".join(
        [
            text.body,
            text.link,
            _(
                "— the township assessment system. This reminder is also on your page "
                "“My reminders”."
            ),
        ]
    )
    return Mail(to=reminder.account.email, subject=text.title, body=body)


@reminders_cli.command("send")
def send_reminders() -> None:
    """Store the reminders due today and e-mail those not sent yet (run by a timer)."""
    config = current_app.config
    now = utcnow()
    today = local_today()
    holidays, extra = site_settings.notice_calendar(db.session, config, around=today)
    with unit_of_work(None, reason="reminders computed by flask reminders send"):
        due = reminder_service.compute_reminders(
            db.session,
            today=today,
            local_date=lambda moment: to_user_timezone(moment).date(),
            holidays=holidays,
            extra_workdays=extra,
        )
        summary = reminder_service.refresh_reminders(db.session, due, now=now)
    click.echo(
        _("%(due)s reminders due today, %(new)s of them new.", due=summary.due, new=summary.created)
    )
    settings = MailSettings.from_config(config)
    if settings is None:
        click.echo(_("No SMTP server is configured (MAIL_SERVER): reminders show in the app only."))
        return
    pending = reminder_service.list_unsent(db.session, now=now)
    # The e-mail follows the commit above: a failure can only leave reminders unsent.
    base_url = str(config.get("PUBLIC_BASE_URL") or "http://localhost")
    with current_app.test_request_context(base_url=base_url):
        mails = [_mail_for(reminder) for reminder in pending]
    sent: list[int] = []
    refused: dict[int, str] = {}
    failure = ""
    try:
        send_mails(settings, mails, sent.append, refused.__setitem__)
    except MailError as error:
        failure = str(error)
    with unit_of_work(None, reason="reminder e-mail delivery"):
        for index, reminder in enumerate(pending):
            if index in sent:
                reminder_service.mark_emailed(db.session, reminder, now=utcnow())
            elif index in refused:
                reminder_service.record_email_failure(db.session, reminder, refused[index])
            elif failure:
                reminder_service.record_email_failure(db.session, reminder, failure)
    click.echo(_("%(sent)s reminders e-mailed.", sent=len(sent)))
    unsent = len(pending) - len(sent)
    if unsent:
        raise click.ClickException(
            _(
                "%(unsent)s reminders could not be e-mailed and stay pending; the next run "
                "tries again, and the app shows them meanwhile. SMTP: %(error)s",
                unsent=unsent,
                error=failure or "; ".join(sorted(set(refused.values()))),
            )
        )
