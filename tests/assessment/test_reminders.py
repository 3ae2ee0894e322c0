"""Reminders (issue 17): computed from the data, stored once, e-mailed through a real SMTP
server on loopback (aiosmtpd), kept pending when the server is down, listed in the app."""

from __future__ import annotations

import html
import socket
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from assessment.app.db import db, utcnow
from assessment.core.reminders import (
    NoticeFacts,
    ObjectionFacts,
    RatingFacts,
    compute_due_reminders,
)
from assessment.models import Account, Cadre, Objection, Period, Reminder
from assessment.services import publication
from assessment.services.periods import advance_period

PERIOD_ID = 1


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


# ---------------------------------------------------------------------------
# which reminders are due (core, hand-made facts)
# ---------------------------------------------------------------------------

FRIDAY = date(2026, 3, 6)


def keys(due):
    return [(r.account_id, r.key) for r in due]


def test_ratings_are_due_from_two_working_days_before_the_deadline():
    # Deadline Tuesday 10 March: from Friday 6 March (Mon 9, Tue 10 are the two days).
    facts = [RatingFacts(1, "2026年度", date(2026, 3, 10), {5: 3, 6: 0})]
    on = {
        day: keys(compute_due_reminders(ratings=facts, notices=(), objections=(), today=day))
        for day in (date(2026, 3, 5), FRIDAY, date(2026, 3, 10), date(2026, 3, 11))
    }
    assert on[date(2026, 3, 5)] == []  # three working days before
    assert on[FRIDAY] == [(5, "ratings_due:1:2026-03-10")]  # assessor 6 has nothing missing
    assert on[date(2026, 3, 10)] == [(5, "ratings_due:1:2026-03-10")]
    assert on[date(2026, 3, 11)] == []  # "before the deadline" only

    # With Monday 9 March a holiday, Friday 6 and Tuesday 10 are the two working days
    # from Thursday 5 March: the window opens a calendar day earlier.
    def with_holiday(day):
        return keys(
            compute_due_reminders(
                ratings=facts, notices=(), objections=(), today=day, holidays={date(2026, 3, 9)}
            )
        )

    assert with_holiday(date(2026, 3, 5)) == [(5, "ratings_due:1:2026-03-10")]
    assert with_holiday(date(2026, 3, 4)) == []


def test_cadres_hear_of_an_open_notice_and_of_their_decided_objection():
    notice = NoticeFacts(4, 1, "2026年度", date(2026, 3, 2), date(2026, 3, 6), (11, 12))
    decided = ObjectionFacts(9, 1, "2026年度", date(2026, 3, 9), FRIDAY, "rejected", 11, (2,))
    old = ObjectionFacts(8, 1, "2026年度", date(2026, 1, 9), date(2026, 1, 5), "upheld", 12, (2,))
    public = ObjectionFacts(7, 1, "2026年度", date(2026, 3, 9), FRIDAY, "rejected", None, (2,))
    due = compute_due_reminders(
        ratings=(), notices=[notice], objections=[decided, old, public], today=FRIDAY
    )
    assert keys(due) == [
        (11, "notice_opened:4"),
        (11, "objection_decided:9"),
        (12, "notice_opened:4"),
    ]
    after = compute_due_reminders(
        ratings=(), notices=[notice], objections=(), today=date(2026, 3, 7)
    )
    assert after == []


def test_reviewers_hear_of_objections_close_to_or_past_their_deadline():
    def objection(number, due_on):
        return ObjectionFacts(number, 1, "2026年度", due_on, None, None, 11, (2, 3))

    facts = [
        objection(1, date(2026, 3, 9)),  # Monday: one working day away
        objection(2, date(2026, 3, 10)),  # Tuesday: two
        objection(3, date(2026, 3, 11)),  # Wednesday: three, not yet
        objection(4, date(2026, 3, 5)),  # Thursday: past
    ]
    due = compute_due_reminders(ratings=(), notices=(), objections=facts, today=FRIDAY)
    assert keys(due) == [
        (2, "objection_due_soon:1"),
        (2, "objection_due_soon:2"),
        (2, "objection_overdue:4"),
        (3, "objection_due_soon:1"),
        (3, "objection_due_soon:2"),
        (3, "objection_overdue:4"),
    ]


# ---------------------------------------------------------------------------
# a real SMTP server on loopback
# ---------------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp_port: int) -> dict[str, Any]:
    return {
        **app_config,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_FROM": "kaohe@example.gov.cn",
        "PUBLIC_BASE_URL": "https://kaohe.example.gov.cn",
    }


@pytest.fixture
def inbox(smtp_port: int) -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield handler
    controller.stop()


def set_email(make: Any, username: str, email: str) -> int:
    def change(session: Any) -> int:
        account = session.scalars(sa.select(Account).where(Account.username == username)).one()
        account.email = email
        return int(account.id)

    return int(make(change))


@pytest.fixture
def collecting_with_deadline(published_rulebook: int, make: Any) -> int:
    """The demo period collecting, no rating given yet, deadline today."""

    def change(session: Any) -> None:
        period = session.get(Period, published_rulebook)
        advance_period(session, period, "collecting")
        period.rating_deadline = today()

    make(change)
    return published_rulebook


def reminders_of(app: Any, username: str) -> list[tuple[str, str, bool, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Reminder.kind, Reminder.key, Reminder.emailed_at, Reminder.email_error)
            .join(Account, Account.id == Reminder.account_id)
            .where(Account.username == username)
            .order_by(Reminder.key)
        ).all()
    return [(kind, key, emailed is not None, error) for kind, key, emailed, error in rows]


def test_an_assessor_with_ratings_missing_is_emailed_once(
    app, runner, make, collecting_with_deadline, inbox
):
    set_email(make, "assessor1", "assessor1@example.gov.cn")
    first = runner.invoke(args=["reminders", "send"])
    assert first.exit_code == 0, first.output
    [(recipients, message)] = [m for m in inbox.messages if "assessor1@" in m[0][0]]
    assert recipients == ["assessor1@example.gov.cn"]
    assert message["From"] == "kaohe@example.gov.cn"
    assert message["Subject"].startswith("请在")  # Chinese, the default language
    body = message.get_content()
    assert "项评分未完成" in body
    assert f"https://kaohe.example.gov.cn/admin/periods/{PERIOD_ID}/ratings" in body
    key = f"ratings_due:{PERIOD_ID}:{today().isoformat()}"
    assert reminders_of(app, "assessor1") == [("ratings_due", key, True, "")]
    # the other assessors are reminded in the app; nobody without an address is e-mailed
    assert [r[:2] for r in reminders_of(app, "assessor2")] == [("ratings_due", key)]
    assert all(len(to) == 1 and to[0].endswith("@example.gov.cn") for to, _m in inbox.messages)
    # Run again: nothing new stored, nothing sent twice.
    again = runner.invoke(args=["reminders", "send"])
    assert again.exit_code == 0, again.output
    assert len(inbox.messages) == 1
    assert reminders_of(app, "assessor1") == [("ratings_due", key, True, "")]


def test_an_smtp_server_that_is_down_loses_no_reminder(
    app, runner, make, collecting_with_deadline, smtp_port
):
    set_email(make, "assessor1", "assessor1@example.gov.cn")
    down = runner.invoke(args=["reminders", "send"])
    assert down.exit_code == 1
    assert "未能发出邮件，仍在等待发送；下次运行时会重试" in down.output  # "stay pending"
    assert "Connection refused" in down.output
    assert f"127.0.0.1:{smtp_port}" in down.output
    [(kind, _key, emailed, error)] = reminders_of(app, "assessor1")
    assert (kind, emailed) == ("ratings_due", False)
    assert f"127.0.0.1:{smtp_port}" in error
    # The server comes back: the next run sends the pending reminder, once.
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        back = runner.invoke(args=["reminders", "send"])
    finally:
        controller.stop()
    assert back.exit_code == 0, back.output
    assert [to for to, _m in handler.messages] == [["assessor1@example.gov.cn"]]
    assert reminders_of(app, "assessor1")[0][2:] == (True, "")


def test_without_an_smtp_server_reminders_are_in_the_app_only(
    app, runner, make, collecting_with_deadline
):
    app.config["MAIL_SERVER"] = ""
    set_email(make, "assessor1", "assessor1@example.gov.cn")
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0
    assert "未配置邮件服务器" in result.output
    assert [r[0] for r in reminders_of(app, "assessor1")] == ["ratings_due"]


def test_my_reminders_lists_them_with_a_count_in_the_header(
    app, client, auth, runner, make, collecting_with_deadline
):
    app.config["MAIL_SERVER"] = ""
    runner.invoke(args=["reminders", "send"])
    auth.login("assessor1")
    client.get("/lang/en")
    page = html.unescape(client.get("/admin/periods/").get_data(as_text=True))
    assert 'href="/admin/reminders/">My reminders <span class="badge"' in page
    listing = html.unescape(client.get("/admin/reminders/").get_data(as_text=True))
    assert "Ratings due by" in listing and "of your ratings are still missing" in listing
    assert f'href="/admin/periods/{PERIOD_ID}/ratings"' in listing
    assert "shown here only" in listing
    done = client.post("/admin/reminders/read", follow_redirects=True)
    assert "Reminders marked read: 1." in done.get_data(as_text=True)
    page = client.get("/admin/periods/").get_data(as_text=True)
    assert 'My reminders <span class="badge"' not in page
    # another account sees only its own
    auth.logout()
    auth.login("clerk")
    assert "No reminders." in client.get("/admin/reminders/").get_data(as_text=True) or (
        "暂无提醒" in client.get("/admin/reminders/").get_data(as_text=True)
    )


def test_mark_read_needs_a_login(client, demo):
    assert client.post("/admin/reminders/read").status_code == 302


# ---------------------------------------------------------------------------
# notices and objections
# ---------------------------------------------------------------------------


@pytest.fixture
def on_notice(computed_period: int, make: Any) -> int:
    def change(session: Any) -> None:
        publication.open_notice(
            session,
            period=session.get(Period, computed_period),
            starts_on=today(),
            working_days=5,
            review_working_days=5,
            instructions="电话 0571-1234567",
            holidays=(),
            extra_workdays=(),
            actor_id=None,
        )

    make(change)
    return computed_period


def file_objection(make: Any) -> int:
    def change(session: Any) -> int:
        account = session.scalars(sa.select(Account).where(Account.username == "cadre")).one()
        return int(
            publication.file_objection(
                session,
                period=session.get(Period, PERIOD_ID),
                channel="cadre",
                cadre_id=account.cadre_id,
                filed_by_id=account.id,
                contact_name="",
                contact="",
                indicator_code=None,
                reason="村集体收入少算了一笔",
                attachment=None,
                today=today(),
                holidays=(),
                extra_workdays=(),
            ).id
        )

    return int(make(change))


def test_notice_and_objection_reminders_reach_the_cadre_and_the_reviewers(
    app, runner, make, on_notice, inbox
):
    set_email(make, "cadre", "cadre@example.gov.cn")
    objection_id = file_objection(make)
    # due today: the reviewers (every team administrator while nobody is assigned)
    make(lambda s: setattr(s.get(Objection, objection_id), "review_due_on", today()))
    assert runner.invoke(args=["reminders", "send"]).exit_code == 0
    assert [r[:2] for r in reminders_of(app, "cadre")] == [("notice_opened", "notice_opened:1")]
    assert [r[:2] for r in reminders_of(app, "admin")] == [
        ("objection_due_soon", f"objection_due_soon:{objection_id}")
    ]
    assert reminders_of(app, "assessor1") == []  # not an administrator, not assigned
    [(to, message)] = inbox.messages
    assert to == ["cadre@example.gov.cn"] and message["Subject"] == "您的考核结果正在公示"
    # past due, then decided
    make(
        lambda s: setattr(
            s.get(Objection, objection_id), "review_due_on", today() - timedelta(days=1)
        )
    )
    runner.invoke(args=["reminders", "send"])
    assert [r[0] for r in reminders_of(app, "admin")] == ["objection_due_soon", "objection_overdue"]

    def decide(session: Any) -> None:
        publication.decide_objection(
            session,
            objection=session.get(Objection, objection_id),
            outcome="rejected",
            reason="收入已按账面计入",
            correction=None,
            actor_id=None,
            now=utcnow(),
            surveys=None,
            resamples=0,
        )

    make(decide)
    runner.invoke(args=["reminders", "send"])
    assert [r[0] for r in reminders_of(app, "cadre")] == ["notice_opened", "objection_decided"]
    subjects = [m["Subject"] for _to, m in inbox.messages]
    assert subjects == ["您的考核结果正在公示", "您的异议已有决定"]


def test_no_reminder_goes_to_anyone_without_an_account(app, runner, make, on_notice, inbox):
    # A public objection (a resident) is reviewed, but its filer is never reminded.
    def public(session: Any) -> int:
        other = session.scalars(sa.select(Cadre.id).where(Cadre.code == "QS010")).one()
        return int(
            publication.file_objection(
                session,
                period=session.get(Period, PERIOD_ID),
                channel="public",
                cadre_id=other,
                filed_by_id=None,
                contact_name="王大爷",
                contact="13800000000",
                indicator_code=None,
                reason="不同意",
                attachment=None,
                today=today(),
                holidays=(),
                extra_workdays=(),
            ).id
        )

    objection_id = int(make(public))
    make(lambda s: setattr(s.get(Objection, objection_id), "review_due_on", today()))
    runner.invoke(args=["reminders", "send"])
    with app.app_context():
        owners = set(db.session.scalars(sa.select(Reminder.account_id)))
        assert owners <= set(db.session.scalars(sa.select(Account.id)))
        texts = " ".join(db.session.scalars(sa.select(Reminder.params)))
    assert "13800000000" not in texts and "王大爷" not in texts


# ---------------------------------------------------------------------------
# the team sets the deadline; an account gets an address (both audited)
# ---------------------------------------------------------------------------


def test_the_team_sets_the_rating_deadline_audited_with_bad_input_refused(
    app, client, auth, published_rulebook
):
    from assessment.models import AuditEntry

    auth.login("assessor1")
    client.get("/lang/en")
    url = f"/admin/periods/{published_rulebook}/rating-deadline"
    bad = client.post(url, data={"rating_deadline": "2031-01-01"}, follow_redirects=True)
    assert "Choose a day in or next to the period's year 2026." in html.unescape(
        bad.get_data(as_text=True)
    )
    junk = client.post(url, data={"rating_deadline": "soon"}, follow_redirects=True)
    assert "Not a valid date value." in junk.get_data(as_text=True)
    ok = client.post(url, data={"rating_deadline": "2026-11-30"}, follow_redirects=True)
    assert "Rating deadline saved." in ok.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Period, published_rulebook).rating_deadline == date(2026, 11, 30)
        entry = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == "period")
            .order_by(AuditEntry.seq.desc())
        ).first()
        assert "2026-11-30" in entry.after and entry.actor_name == "assessor1"
    auth.logout()
    auth.login("clerk")
    assert client.post(url, data={"rating_deadline": "2026-11-29"}).status_code == 403


def test_an_account_gets_an_email_address_checked_and_audited(app, client, auth, demo):
    from assessment.models import AuditEntry

    auth.login("admin")
    client.get("/lang/en")
    with app.app_context():
        account = db.session.scalars(sa.select(Account).where(Account.username == "clerk")).one()
        account_id = account.id
        scope = [s.unit_id for s in account.scopes]
    form = {
        "username": "clerk",
        "display_name": "录入员",
        "role": "clerk",
        "scope_unit_ids": scope,
        "cadre_id": 0,
        "is_enabled": "y",
    }
    bad = client.post(f"/admin/accounts/{account_id}/edit", data={**form, "email": "clerk@"})
    assert "Enter an e-mail address such as name@example.gov.cn" in bad.get_data(as_text=True)
    ok = client.post(
        f"/admin/accounts/{account_id}/edit", data={**form, "email": " clerk@example.gov.cn "}
    )
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.get(Account, account_id).email == "clerk@example.gov.cn"
        entry = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == "account")
            .order_by(AuditEntry.seq.desc())
        ).first()
        assert "clerk@example.gov.cn" in entry.after


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"MAIL_FROM": ""}, "MAIL_FROM must be the sender's e-mail address"),
        ({"MAIL_USE_TLS": True, "MAIL_USE_SSL": True}, "exclude each other"),
        ({"MAIL_PORT": "587"}, "MAIL_PORT must be a port number"),
        ({"MAIL_USE_TLS": "yes"}, "MAIL_USE_TLS must be true or false"),
    ],
)
def test_bad_mail_settings_stop_the_app_with_the_setting_named(app_config, settings, message):
    from assessment.app import create_app
    from assessment.app.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        create_app({**app_config, **settings})
