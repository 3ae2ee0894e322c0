"""Public notice, objections and review, and final publication: services and pages.

The demo period is computed (``computed_period``: version 1 from every actual and
rating, survey scores from the synthetic source). The cadre account ``cadre`` is
周文斌 (QS009), a village Party branch secretary. Dates are local dates in
Asia/Shanghai, as the pages use them.
"""

from __future__ import annotations

import html
import io
import json
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from assessment.app.db import utcnow
from assessment.core.errors import FieldError, LifecycleError
from assessment.core.results import IncompleteInputsError
from assessment.core.workdays import add_working_days, notice_end
from assessment.models import (
    Account,
    AuditEntry,
    Cadre,
    Evidence,
    Notice,
    Objection,
    Period,
    QuantitativeResult,
    ResultVersion,
    StoredBlob,
)
from assessment.services import publication as service
from assessment.services import results as results_service
from assessment.services.periods import advance_period

PERIOD_ID = 1
TEAM_URL = f"/admin/periods/{PERIOD_ID}/notice"
PUBLIC_URL = f"/p/periods/{PERIOD_ID}/notice"
CADRE_URL = f"/me/periods/{PERIOD_ID}/objections/new"
PDF = b"%PDF-1.4\n% objection attachment\n%%EOF\n"
#: Demo assessors' display names: never on the public page.
ASSESSORS = ("考核组成员一", "考核组成员二", "考核组成员三")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # English pages, so that the assertions hold whatever the Chinese catalog says;
    # few resamples (the bootstrap has its own tests); a small public throttle.
    return {
        **app_config,
        "BABEL_DEFAULT_LOCALE": "en",
        "RESULTS_RESAMPLES": 40,
        "PUBLIC_OBJECTION_MAX_PER_CLIENT": 3,
        "EVIDENCE_MAX_BYTES": 4096,
    }


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(app: Any, model: Any) -> int:
    with app.app_context():
        from assessment.app.db import db

        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def cadre_ids(make: Any) -> tuple[int, int, int]:
    """(account id of ``cadre``, their cadre id, another assessed cadre's id)."""

    def read(session: Any) -> tuple[int, int, int]:
        account = session.scalars(sa.select(Account).where(Account.username == "cadre")).one()
        other = session.scalars(sa.select(Cadre.id).where(Cadre.code == "QS010")).one()
        return account.id, account.cadre_id, other

    return make(read)


def open_notice(make: Any, starts_on: date | None = None) -> None:
    def change(session: Any) -> None:
        service.open_notice(
            session,
            period=session.get(Period, PERIOD_ID),
            starts_on=starts_on or today(),
            working_days=5,
            review_working_days=5,
            instructions="电话 0571-1234567",
            holidays=(),
            extra_workdays=(),
            actor_id=None,
        )

    make(change)


@pytest.fixture
def on_notice(computed_period: int, make: Any) -> int:
    """The demo period on public notice from today for 5 working days."""
    open_notice(make)
    return computed_period


def end_notice(make: Any) -> None:
    """Move the notice into the past (it ended yesterday)."""

    def change(session: Any) -> None:
        notice = session.scalars(sa.select(Notice)).one()
        notice.starts_on = today() - timedelta(days=10)
        notice.ends_on = today() - timedelta(days=1)

    make(change)


def file_as_cadre(make: Any, **overrides: Any) -> int:
    account_id, cadre_id, _other = cadre_ids(make)

    def change(session: Any) -> int:
        values = {
            "period": session.get(Period, PERIOD_ID),
            "channel": "cadre",
            "cadre_id": cadre_id,
            "filed_by_id": account_id,
            "contact_name": "",
            "contact": "",
            "indicator_code": "W1",
            "reason": "村集体收入少算了一笔",
            "attachment": None,
            "today": today(),
            "holidays": (),
            "extra_workdays": (),
        }
        values.update(overrides)
        return int(service.file_objection(session, **values).id)

    return int(make(change))


# ---------------------------------------------------------------------------
# opening the notice
# ---------------------------------------------------------------------------


def test_the_notice_opens_only_from_computed_and_only_through_open_notice(
    app, published_rulebook, make
):
    def too_early(session: Any) -> None:
        service.open_notice(
            session,
            period=session.get(Period, PERIOD_ID),
            starts_on=today(),
            working_days=5,
            review_working_days=5,
            instructions="",
            holidays=(),
            extra_workdays=(),
            actor_id=None,
        )

    with pytest.raises(service.PublicationRefusedError) as caught:
        make(too_early)
    assert caught.value.code == "notice_needs_computed"

    def bare_step(session: Any) -> None:
        period = session.get(Period, PERIOD_ID)
        period.status = "computed"
        advance_period(session, period, "notice")

    with pytest.raises(service.NoticeNotOpenedError):
        make(bare_step)


def test_opening_the_notice_from_the_page(app, client, auth, computed_period):
    auth.login("assessor1")
    page = text(client.get(f"/admin/periods/{PERIOD_ID}"))
    assert "Open the public notice" in page  # the period page sends the team here
    assert TEAM_URL in page
    start = date(2026, 3, 4) if today() <= date(2026, 3, 4) else today()
    response = client.post(
        f"{TEAM_URL}/open",
        data={
            "starts_on": start.isoformat(),
            "working_days": "5",
            "review_working_days": "3",
            "instructions": "书面异议交镇党政办",
            "understood": "y",
        },
    )
    assert response.status_code == 302
    assert "The results are on public notice until" in text(
        client.get(response.headers["Location"])
    )
    with app.app_context():
        from assessment.app.db import db

        notice = db.session.scalars(sa.select(Notice)).one()
        assert notice.ends_on == notice_end(start, 5)
        assert (notice.version_number, notice.review_working_days) == (1, 3)
        assert db.session.get(Period, PERIOD_ID).status == "notice"
        actions = db.session.scalars(
            sa.select(AuditEntry.object_type).where(AuditEntry.object_type == "notice")
        ).all()
        assert actions  # audited like every write


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("working_days", "0", "Number must be between 1 and 30."),
        ("review_working_days", "", "This field is required."),
        ("starts_on", "2020-01-01", "The notice cannot start in the past."),
    ],
)
def test_opening_refuses_bad_dates_and_lengths(
    app, client, auth, computed_period, field, value, message
):
    auth.login("admin")
    data = {
        "starts_on": today().isoformat(),
        "working_days": "5",
        "review_working_days": "5",
        "instructions": "",
        "understood": "y",
    }
    data[field] = value
    response = client.post(f"{TEAM_URL}/open", data=data)
    assert response.status_code == 400
    assert message in text(response)
    assert count(app, Notice) == 0
    with app.app_context():
        from assessment.app.db import db

        assert db.session.get(Period, PERIOD_ID).status == "computed"


# ---------------------------------------------------------------------------
# the public page
# ---------------------------------------------------------------------------


def test_no_public_page_before_the_notice(client, computed_period):
    assert client.get(PUBLIC_URL).status_code == 404
    assert client.get(f"{PUBLIC_URL}/objection").status_code == 404


def test_the_public_page_shows_the_ranking_and_nothing_more(app, client, on_notice):
    response = client.get(PUBLIC_URL)
    assert response.status_code == 200
    page = text(response)
    with app.app_context():
        from assessment.app.db import db

        version = results_service.get_version(db.session, PERIOD_ID, 1)
        cadres = results_service.payload_of(version)["result"]["cadres"]
        notice = db.session.scalars(sa.select(Notice)).one()
        rows = re.findall(
            r"<tr><td class=\"num\">(\d+)</td><td>([^<]+)</td>"
            r"<td class=\"col-post\">([^<]+)</td><td>([^<]+)</td><td class=\"num\">([^<]+)</td>"
            r"<td>([^<]+)</td></tr>",
            page,
        )
        # one row per cadre: rank, name, post, unit, total to 2 decimals, grade
        assert len(rows) == len(cadres) == 40
        mine = next(c for c in cadres if c["code"] == "QS009")
        row = next(r for r in rows if r[1] == "周文斌")
        assert row[0] == str(mine["rank"])
        assert row[2] == "村党组织书记"
        assert row[3] == "石桥村"
        assert row[4] == f"{mine['total']:.2f}"
        assert version.rules_digest in page and version.data_digest in page
        assert notice.ends_on.strftime("%b %-d, %Y") in page  # the deadline
    assert "/p/periods/1/rules" in page
    assert "Send an objection" in page
    assert "电话 0571-1234567" in page
    # nothing beyond the ranking: no assessor, no rating, no answer, no confidence
    for hidden in (*ASSESSORS, "P(grade)", "Rank interval", "Grade probabilities", "leniency"):
        assert hidden not in page
    assert "QS009" not in page  # personnel numbers stay internal


# ---------------------------------------------------------------------------
# objections from a cadre
# ---------------------------------------------------------------------------


def test_a_cadre_files_an_objection_with_an_attachment(app, client, auth, on_notice):
    auth.login("cadre")
    form = text(client.get(f"{CADRE_URL}?indicator=W1"))
    assert '<option selected value="W1">' in form  # ?indicator= preselects
    assert "The result as a whole" in form
    response = client.post(
        CADRE_URL,
        data={
            "indicator": "W1",
            "reason": "村集体收入少算了一笔",
            "attachment": (io.BytesIO(PDF), "收入台账.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    due = add_working_days(today(), 5)
    assert f"Objection #1 filed. The team decides it by {due.strftime('%b %-d, %Y')}" in text(
        client.get(response.headers["Location"])
    )
    with app.app_context():
        from assessment.app.db import db

        objection = db.session.scalars(sa.select(Objection)).one()
        assert (objection.channel, objection.indicator_code, objection.status) == (
            "cadre",
            "W1",
            "open",
        )
        assert objection.version_number == 1
        assert objection.review_due_on == due
        assert objection.attachment.original_name == "收入台账.pdf"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"indicator": "", "reason": "  "}, "This field is required."),
        ({"indicator": "NOPE", "reason": "x"}, "NOPE"),
        ({"indicator": "", "reason": "x" * 2001}, "Field cannot be longer than 2000 characters."),
        (
            {"indicator": "", "reason": "x", "attachment": (io.BytesIO(b"MZ\x90"), "a.exe")},
            "Files of type exe",
        ),
        (
            {"indicator": "", "reason": "x", "attachment": (io.BytesIO(b"not a pdf"), "a.pdf")},
            "The file's content is not a pdf file.",
        ),
        (
            {"indicator": "", "reason": "x", "attachment": (io.BytesIO(PDF * 200), "a.pdf")},
            "The file is too large",
        ),
    ],
)
def test_bad_cadre_objections_are_refused_and_nothing_is_saved(
    app, client, auth, on_notice, data, message
):
    auth.login("cadre")
    response = client.post(CADRE_URL, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in text(response)
    assert count(app, Objection) == 0
    assert count(app, Evidence) == 0
    assert count(app, StoredBlob) == 0


def test_a_cadre_objects_only_to_their_own_result(app, make, on_notice):
    _account, _mine, other = cadre_ids(make)
    with pytest.raises(FieldError) as caught:
        file_as_cadre(make, cadre_id=other)
    assert (caught.value.field, caught.value.code) == ("cadre_id", "not_own_result")
    assert count(app, Objection) == 0


def test_the_page_ignores_a_cadre_id_in_the_form(app, client, auth, make, on_notice):
    _account, mine, other = cadre_ids(make)
    auth.login("cadre")
    response = client.post(CADRE_URL, data={"indicator": "", "reason": "x", "cadre_id": other})
    assert response.status_code == 302
    with app.app_context():
        from assessment.app.db import db

        assert db.session.scalars(sa.select(Objection.cadre_id)).all() == [mine]


def test_objections_are_refused_after_the_deadline(app, client, auth, make, on_notice):
    end_notice(make)
    auth.login("cadre")
    response = client.post(CADRE_URL, data={"indicator": "", "reason": "太晚了"})
    assert response.status_code == 400
    assert "Objections are accepted from" in text(response)
    assert "not today" in text(response)
    assert count(app, Objection) == 0
    with pytest.raises(service.PublicationRefusedError) as caught:
        file_as_cadre(make)
    assert caught.value.code == "notice_closed"


def test_only_an_assessed_cadre_gets_the_form(client, auth, make, on_notice):
    auth.login("official")
    assert client.get(CADRE_URL).status_code == 403  # not a cadre account

    def relink(session: Any) -> None:
        newcomer = Cadre(code="QS999", name="新调入")  # no appointment: not in the result
        session.add(newcomer)
        session.flush()
        account = session.scalars(sa.select(Account).where(Account.username == "cadre")).one()
        account.cadre_id = newcomer.id

    auth.logout()
    make(relink)
    auth.login("cadre")
    assert client.get(CADRE_URL).status_code == 404
    assert client.post(CADRE_URL, data={"indicator": "", "reason": "x"}).status_code == 404


# ---------------------------------------------------------------------------
# objections from the public, throttled
# ---------------------------------------------------------------------------


def test_a_public_objection_needs_a_name_and_a_contact(app, client, on_notice):
    response = client.post(
        f"{PUBLIC_URL}/objection", data={"contact_name": "张三", "contact": "", "reason": "x"}
    )
    assert response.status_code == 400
    assert "This field is required." in text(response)
    assert count(app, Objection) == 0
    response = client.post(
        f"{PUBLIC_URL}/objection",
        data={"contact_name": "张三", "contact": "13800000000", "reason": "打分不公"},
    )
    assert response.status_code == 302
    sent = text(client.get(response.headers["Location"]))
    assert "Your objection was received as number 1." in sent
    with app.app_context():
        from assessment.app.db import db

        objection = db.session.scalars(sa.select(Objection)).one()
        assert (objection.channel, objection.contact, objection.filed_by_id) == (
            "public",
            "13800000000",
            None,
        )
        # the resident's contact stays out of the permanent audit log
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.object_type == "objection")
        ).one()
        assert "13800000000" not in json.dumps(entry.after, ensure_ascii=False)


def test_public_objections_are_throttled_per_client(app, client, on_notice):
    data = {"contact_name": "李四", "contact": "13900000000", "reason": "x"}
    statuses = [client.post(f"{PUBLIC_URL}/objection", data=data).status_code for _ in range(4)]
    # PUBLIC_OBJECTION_MAX_PER_CLIENT is 3 here: the fourth is refused
    assert statuses == [302, 302, 302, 429]
    refused = client.post(f"{PUBLIC_URL}/objection", data=data)
    assert "Too many objections were sent from this connection" in text(refused)
    assert count(app, Objection) == 3
    # another client is not affected
    other = client.post(
        f"{PUBLIC_URL}/objection", data=data, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert other.status_code == 302
    with app.app_context():
        from assessment.app.db import db
        from assessment.models import ThrottleCounter

        keys = db.session.scalars(sa.select(ThrottleCounter.key_hash)).all()
        assert keys and all("127.0.0.1" not in k and "10.0.0.9" not in k for k in keys)


def test_the_public_form_is_closed_outside_the_notice(app, client, make, on_notice):
    end_notice(make)
    response = client.post(
        f"{PUBLIC_URL}/objection", data={"contact_name": "a", "contact": "b", "reason": "c"}
    )
    assert "Objections are accepted from" in text(response)
    assert count(app, Objection) == 0


# ---------------------------------------------------------------------------
# review and decision
# ---------------------------------------------------------------------------


def test_the_review_queue_shows_due_dates_and_highlights_overdue(
    app, client, auth, make, on_notice
):
    first = file_as_cadre(make)
    second = file_as_cadre(make, indicator_code=None)

    def overdue(session: Any) -> None:
        session.get(Objection, first).review_due_on = today() - timedelta(days=1)

    make(overdue)
    auth.login("assessor1")
    page = text(client.get(TEAM_URL))
    rows = re.findall(r"<tr class=\"(overdue)?\">\s*<td><a [^>]*>#(\d+)</a>", page)
    assert rows == [("overdue", str(first)), ("", str(second))]
    assert "overdue" in page


def test_assigning_to_a_team_member(app, client, auth, make, on_notice):
    objection = file_as_cadre(make)
    url = f"{TEAM_URL}/objections/{objection}"
    with app.app_context():
        from assessment.app.db import db

        clerk = db.session.scalars(sa.select(Account.id).where(Account.username == "clerk")).one()
        assessor = db.session.scalars(
            sa.select(Account.id).where(Account.username == "assessor2")
        ).one()
    auth.login("admin")
    refused = client.post(f"{url}/assign", data={"assignee_id": clerk})
    assert refused.status_code == 400
    assert "Choose a member of the assessment team." in text(refused)
    assert client.post(f"{url}/assign", data={"assignee_id": assessor}).status_code == 302
    with app.app_context():
        from assessment.app.db import db

        row = db.session.get(Objection, objection)
        assert (row.status, row.assigned_to_id) == ("under_review", assessor)


def test_a_decision_needs_a_reason_and_a_consistent_outcome(app, client, auth, make, on_notice):
    objection = file_as_cadre(make)
    url = f"{TEAM_URL}/objections/{objection}/decide"
    auth.login("admin")
    response = client.post(url, data={"outcome": "upheld", "reason": ""})
    assert response.status_code == 400
    assert "This field is required." in text(response)
    response = client.post(
        url,
        data={
            "outcome": "rejected",
            "reason": "数据无误",
            "correction": "actual",
            "indicator_code": "W1",
            "actual": "20",
            "source": "统计年报",
        },
    )
    assert response.status_code == 400
    assert "A rejected objection changes no input" in text(response)
    response = client.post(
        url,
        data={"outcome": "upheld", "reason": "x", "correction": "actual", "indicator_code": "W1"},
    )
    assert response.status_code == 400
    assert "This field is required." in text(response)  # the corrected value
    assert count(app, ResultVersion) == 1
    with app.app_context():
        from assessment.app.db import db

        assert db.session.get(Objection, objection).status == "open"


def test_bad_event_corrections_name_the_field_and_save_nothing(app, client, auth, make, on_notice):
    objection = file_as_cadre(make, indicator_code="B1")
    url = f"{TEAM_URL}/objections/{objection}/decide"
    auth.login("admin")
    too_many = {
        "outcome": "upheld",
        "reason": "县级表彰未计入",
        "correction": "add_event",
        "indicator_code": "B1",
        "points": "999",
        "occurred_on": today().isoformat(),
    }
    response = client.post(url, data=too_many)
    assert response.status_code == 400
    assert "Points must be more than 0 and at most" in text(response)
    unknown = {"outcome": "upheld", "reason": "撤回", "correction": "remove_event"}
    response = client.post(url, data={**unknown, "event_id": "987654"})
    assert response.status_code == 400
    assert "Choose one of the cadre's recorded events." in text(response)
    assert count(app, ResultVersion) == 1
    with app.app_context():
        from assessment.app.db import db

        assert db.session.get(Objection, objection).status == "open"


def test_a_correction_makes_version_2_and_the_public_page_shows_it(
    app, client, auth, make, on_notice
):
    objection = file_as_cadre(make)
    _account, cadre_id, _other = cadre_ids(make)
    with app.app_context():
        from assessment.app.db import db

        before = db.session.scalars(
            sa.select(QuantitativeResult.actual).where(
                QuantitativeResult.cadre_id == cadre_id, QuantitativeResult.indicator_code == "W1"
            )
        ).one()
    corrected = before + 25.0
    auth.login("assessor1")
    response = client.post(
        f"{TEAM_URL}/objections/{objection}/decide",
        data={
            "outcome": "upheld",
            "reason": "漏计一笔村集体收入",
            "correction": "actual",
            "indicator_code": "W1",
            "actual": str(corrected),
            "source": "2026年村集体经济统计年报",
        },
    )
    assert response.status_code == 302
    assert "recomputed as version 2" in text(client.get(response.headers["Location"]))
    with app.app_context():
        from assessment.app.db import db

        row = db.session.get(Objection, objection)
        assert (row.status, row.outcome, row.new_version_number) == ("decided", "upheld", 2)
        v1 = results_service.get_version(db.session, PERIOD_ID, 1)
        v2 = results_service.get_version(db.session, PERIOD_ID, 2)
        assert v2.reason == f"objection #{objection}: 漏计一笔村集体收入"

        def actual_in(version: ResultVersion) -> float:
            inputs = results_service.payload_of(version)["inputs"]["actuals"]
            return next(
                a["value"] for a in inputs if a["cadre"] == str(cadre_id) and a["indicator"] == "W1"
            )

        assert actual_in(v1) == pytest.approx(before)  # version 1 unchanged
        assert actual_in(v2) == pytest.approx(corrected)
        audit = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.object_type == "quantitative_result")
        ).all()
        assert audit[-1].reason == f"objection #{objection}: 漏计一笔村集体收入"
    page = text(client.get(PUBLIC_URL))
    assert "Version 2 replaced version 1" in page
    assert "漏计一笔村集体收入" in page
    assert f"{PUBLIC_URL}/v/1" in page  # the earlier version stays listed
    assert client.get(f"{PUBLIC_URL}/v/1").status_code == 200
    assert "This is version 1, which a later version replaced." in text(
        client.get(f"{PUBLIC_URL}/v/1")
    )
    # the team still reads version 1 in full
    assert client.get(f"/admin/periods/{PERIOD_ID}/results/versions/1").status_code == 200


def test_a_failed_recomputation_leaves_the_input_unchanged(app, make, on_notice):
    """The correction and the recomputation are one unit of work: both or neither."""
    objection = file_as_cadre(make)
    _account, cadre_id, _other = cadre_ids(make)

    def actual(session: Any) -> float:
        return float(
            session.scalars(
                sa.select(QuantitativeResult.actual).where(
                    QuantitativeResult.cadre_id == cadre_id,
                    QuantitativeResult.indicator_code == "W1",
                )
            ).one()
        )

    before = make(actual)

    def decide(session: Any) -> None:
        service.decide_objection(
            session,
            objection=session.get(Objection, objection),
            outcome="upheld",
            reason="x",
            correction=service.Correction(
                kind="actual", indicator_code="W1", actual=before + 1, source="y"
            ),
            actor_id=None,
            now=utcnow(),
            # without survey data every survey indicator is missing: the engine refuses
            surveys=None,
            resamples=0,
        )

    with pytest.raises(IncompleteInputsError):
        make(decide)
    assert make(actual) == before
    assert count(app, ResultVersion) == 1
    with app.app_context():
        from assessment.app.db import db

        assert db.session.get(Objection, objection).status == "open"


def test_an_event_recorded_by_a_decision_counts_in_the_new_version(app, make, on_notice):
    objection = file_as_cadre(make, indicator_code="B1")

    def decide(session: Any) -> int:
        from tests.conftest import SYNTHETIC_SURVEYS

        row = service.decide_objection(
            session,
            objection=session.get(Objection, objection),
            outcome="partly_upheld",
            reason="县级表彰未计入",
            correction=service.Correction(
                kind="add_event", indicator_code="B1", points=1.0, occurred_on=today()
            ),
            actor_id=None,
            now=utcnow(),
            surveys=SYNTHETIC_SURVEYS,
            resamples=0,
            today=today(),
        )
        return int(row.new_version_number)

    assert make(decide) == 2
    with app.app_context():
        from assessment.app.db import db

        payload = results_service.payload_of(results_service.get_version(db.session, PERIOD_ID, 2))
        mine = next(c for c in payload["result"]["cadres"] if c["code"] == "QS009")
        assert mine["bonus"] == pytest.approx(1.0)


# ---------------------------------------------------------------------------
# finalising
# ---------------------------------------------------------------------------


def test_finalising_is_refused_while_the_notice_runs_or_an_objection_is_open(
    app, client, auth, make, on_notice
):
    auth.login("admin")
    response = client.post(f"{TEAM_URL}/finalise", data={"understood": "y"}, follow_redirects=True)
    assert "The notice runs until" in text(response)
    objection = file_as_cadre(make)
    end_notice(make)
    response = client.post(f"{TEAM_URL}/finalise", data={"understood": "y"}, follow_redirects=True)
    assert f"Objections still open or under review: #{objection}. Decide them first." in text(
        response
    )
    with app.app_context():
        from assessment.app.db import db

        assert db.session.get(Period, PERIOD_ID).status == "notice"
    # the generic transition cannot skip the checks either
    response = client.post(
        f"/admin/periods/{PERIOD_ID}/transition",
        data={"target": "final", "understood": "y"},
        follow_redirects=True,
    )
    assert "Finalise on the notice page" in text(response)


def test_finalising_after_the_deadline_publishes_the_final_results(
    app, client, auth, make, on_notice
):
    objection = file_as_cadre(make)
    auth.login("admin")
    assert (
        client.post(
            f"{TEAM_URL}/objections/{objection}/decide",
            data={"outcome": "rejected", "reason": "数据经核实无误"},
        ).status_code
        == 302
    )
    end_notice(make)
    response = client.post(f"{TEAM_URL}/finalise", data={"understood": "y"}, follow_redirects=True)
    assert "The results are final (version 1)." in text(response)
    with app.app_context():
        from assessment.app.db import db

        period = db.session.get(Period, PERIOD_ID)
        assert (period.status, period.final_version_number) == ("final", 1)
        assert period.finalised_at is not None
        with pytest.raises(results_service.ResultsRefusedError):
            results_service.compute_results(
                db.session,
                period=period,
                reason="late",
                actor_id=None,
                surveys=None,
            )
        db.session.rollback()
    page = text(client.get(PUBLIC_URL))
    assert "Final assessment results" in page
    assert "These results are final (version 1" in page
    assert "Send an objection" not in page
    auth.logout()
    auth.login("cadre")
    assert "not on public notice" in text(client.get(CADRE_URL))


def test_finalise_service_names_the_pending_objections(app, make, on_notice):
    first = file_as_cadre(make)
    end_notice(make)

    def finalise(session: Any) -> None:
        service.finalise_period(
            session,
            period=session.get(Period, PERIOD_ID),
            today=today(),
            actor_id=None,
            now=utcnow(),
        )

    with pytest.raises(LifecycleError) as caught:
        make(finalise)
    assert caught.value.code == "objections_pending"
    assert caught.value.params["ids"] == (first,)
