"""A cadre's record, conversations and work reports (issue 15): pages, exports, access, bad input.

Pages speak the default language (Chinese); the messages checked are the catalog's.

The demo period (2026, period 1) is computed from every actual and rating and made
final on version 1; the record and its workbook must say what that stored version says.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from assessment.models import Account, AuditEntry, Conversation, Evidence, Period, WorkReport
from tests.test_access import _routes, _url

MAX_BYTES = 4096
SUMMARY = "谈话摘要：本人表示将加强夜间巡查（测试专用文字）"
PDF = b"%PDF-1.4\n% a small but real enough PDF header\n%%EOF\n"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "EVIDENCE_MAX_BYTES": MAX_BYTES}


def _cadre_of(app: Any, username: str = "cadre") -> int:
    from assessment.app.db import db

    with app.app_context():
        account = db.session.scalars(sa.select(Account).where(Account.username == username)).one()
        return int(account.cadre_id)


@pytest.fixture
def final_period(computed_period: int, make: Any) -> int:
    def finalise(session: Any) -> None:
        period = session.get(Period, computed_period)
        period.status = "final"
        period.final_version_number = 1

    make(finalise)
    return computed_period


def _stored(app: Any, period_id: int, cadre_id: int) -> Any:
    from assessment.app.db import db
    from assessment.services.results import get_version, result_of_version

    with app.app_context():
        return result_of_version(get_version(db.session, period_id, 1)).cadre(str(cadre_id))


def _talk(client: Any, cadre_id: int, **fields: str) -> Any:
    data = {
        "held_on": "2026-03-02",
        "participants": "镇党委书记、组织委员",
        "topics": "网格巡查",
        "summary": SUMMARY,
        **fields,
    }
    return client.post(f"/admin/cadres/{cadre_id}/conversations", data=data)


def _count(app: Any, model: Any) -> int:
    from assessment.app.db import db

    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


# ---------------------------------------------------------------------------
# the record and its exports
# ---------------------------------------------------------------------------


def test_the_record_export_matches_the_stored_version(app, client, auth, final_period):
    cadre_id = _cadre_of(app)
    stored = _stored(app, final_period, cadre_id)
    auth.login("official")
    page = client.get(f"/admin/cadres/{cadre_id}/record").get_data(as_text=True)
    assert f"{stored.total:.2f}" in page
    assert f'href="/admin/cadres/{cadre_id}/record.pdf"' in page

    response = client.get(f"/admin/cadres/{cadre_id}/record.xlsx")
    assert response.status_code == 200
    # the first sheet, in the default language (Chinese): one row per period
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["年度", "考核周期"]
    (row,) = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    year, period, _final, version, total, grade, rank, _size, _vetoes, bonus, penalty = row[:11]
    assert (year, period, version) == (2026, "2026年度考核", 1)
    assert (total, rank, bonus, penalty) == (
        stored.total,
        stored.rank,
        stored.bonus,
        stored.penalty,
    )
    assert grade == {"excellent": "优秀", "competent": "称职", "basic": "基本称职"}.get(
        stored.grade, "不称职"
    )

    pdf = client.get(f"/admin/cadres/{cadre_id}/record.pdf?lang=zh_CN")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert f"{stored.total:.2f}" in text and "2026年度考核" in text


def test_the_cadre_sees_their_own_record_in_the_portal(app, client, auth, final_period):
    cadre_id = _cadre_of(app)
    stored = _stored(app, final_period, cadre_id)
    auth.login("cadre")
    page = client.get("/me/record").get_data(as_text=True)
    assert "2026年度考核" in page and f"{stored.total:.2f}" in page


# ---------------------------------------------------------------------------
# conversations: audited, and never reach the cadre, the public or another township
# ---------------------------------------------------------------------------


def test_a_conversation_is_saved_audited_and_read_by_the_organisation_department(
    app, client, auth, final_period
):
    cadre_id = _cadre_of(app)
    auth.login("assessor1")
    response = _talk(client, cadre_id)
    assert response.status_code == 302
    from assessment.app.db import db

    with app.app_context():
        talk = db.session.scalars(sa.select(Conversation)).one()
        assert (talk.cadre_id, talk.held_on, talk.summary) == (cadre_id, date(2026, 3, 2), SUMMARY)
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.object_type == "conversation")
        ).one()
        assert (entry.actor_name, entry.action) == ("assessor1", "conversation.create")
        assert SUMMARY in entry.after
    client.post("/logout")
    auth.login("official")
    assert SUMMARY in client.get(f"/admin/cadres/{cadre_id}/record").get_data(as_text=True)
    workbook = load_workbook(io.BytesIO(client.get(f"/admin/cadres/{cadre_id}/record.xlsx").data))
    talks = workbook.worksheets[2]  # periods, consequences, conversations
    assert SUMMARY in [c.value for row in talks.iter_rows() for c in row]
    # the organisation department reads, it does not write
    assert _talk(client, cadre_id).status_code == 403


def test_conversations_never_reach_the_cadre(app, client, auth, final_period):
    cadre_id = _cadre_of(app)
    auth.login("admin")
    assert _talk(client, cadre_id).status_code == 302
    client.post("/logout")
    auth.login("cadre")
    assert client.get(f"/admin/cadres/{cadre_id}/record").status_code == 403
    assert client.get(f"/admin/cadres/{cadre_id}/record.xlsx").status_code == 403
    assert client.get(f"/admin/cadres/{cadre_id}/record.pdf").status_code == 403
    assert _talk(client, cadre_id, summary="the cadre writes").status_code == 403
    for url in ("/me/", "/me/record", f"/me/periods/{final_period}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SUMMARY not in response.get_data(as_text=True), url


def test_conversations_never_reach_the_public(app, client, auth, final_period):
    cadre_id = _cadre_of(app)
    auth.login("admin")
    assert _talk(client, cadre_id).status_code == 302
    client.post("/logout")
    record = client.get(f"/admin/cadres/{cadre_id}/record")
    assert record.status_code == 302 and "/login" in record.headers["Location"]
    # every page, anonymous: none holds the summary
    for rule, method in _routes(app):
        if method != "GET":
            continue
        response = client.get(_url(rule))
        assert SUMMARY.encode() not in response.data, rule.rule
        response.close()


def test_conversations_never_reach_another_township(app, client, auth, final_period, make):
    from assessment.services import accounts, org
    from assessment.services.consequences import eligibility_list
    from assessment.services.queries import find_unit_by_code

    cadre_id = _cadre_of(app)
    auth.login("admin")
    assert _talk(client, cadre_id).status_code == 302
    client.post("/logout")

    def other_township(session: Any) -> None:
        county = find_unit_by_code(session, "CX")
        other = org.create_unit(
            session, org.UnitData("HSZ", "township", "河山镇", "Heshan", county.id, 100, 400)
        )
        accounts.save_account(
            session,
            accounts.AccountData("hsz-admin", "河山镇管理员", "admin", (other.id,)),
            password="other-township-password",
        )
        # the other township's team sees no line of 青山镇 on its eligibility list
        assert eligibility_list(session, {other.id}, year=None).rows == ()

    make(other_township)
    auth.login("hsz-admin", "other-township-password")
    assert client.get(f"/admin/cadres/{cadre_id}/record").status_code == 404
    assert client.get(f"/admin/cadres/{cadre_id}/record.xlsx").status_code == 404
    assert client.get(f"/admin/cadres/{cadre_id}/record.pdf").status_code == 404
    assert _talk(client, cadre_id, summary="another township writes").status_code == 404
    assert SUMMARY not in client.get("/admin/eligibility").get_data(as_text=True)
    assert _count(app, Conversation) == 1


def test_a_conversation_without_a_date_is_refused_naming_the_field(app, client, auth, final_period):
    cadre_id = _cadre_of(app)
    auth.login("admin")
    before = _count(app, AuditEntry)
    response = _talk(client, cadre_id, held_on="")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="held_on-error"' in page and "此项为必填。" in page  # This field is required.
    assert _count(app, Conversation) == 0
    assert _count(app, AuditEntry) == before
    # and one without a summary names the summary
    response = _talk(client, cadre_id, summary="  ")
    assert response.status_code == 400 and 'id="summary-error"' in response.get_data(as_text=True)
    # and a date after today
    response = _talk(client, cadre_id, held_on="2999-01-01")
    assert response.status_code == 400 and 'id="held_on-error"' in response.get_data(as_text=True)
    assert _count(app, Conversation) == 0


# ---------------------------------------------------------------------------
# work reports
# ---------------------------------------------------------------------------


def _report(client: Any, period_id: int, *, text: str = "", file: Any = None) -> Any:
    data: dict[str, Any] = {"text": text}
    if file is not None:
        data["report_file"] = file
    return client.post(
        f"/me/periods/{period_id}/work-report", data=data, content_type="multipart/form-data"
    )


def _nothing_saved(app: Any, app_config: dict[str, Any]) -> None:
    assert _count(app, WorkReport) == 0
    assert _count(app, Evidence) == 0
    uploads = Path(app_config["UPLOAD_FOLDER"])
    assert not uploads.exists() or not any(uploads.iterdir())


def test_a_work_report_is_shown_beside_the_rating_form(app, client, auth, published_rulebook, make):
    cadre_id = _cadre_of(app)
    auth.login("cadre")
    assert client.get(f"/me/periods/{published_rulebook}/work-report").status_code == 200
    response = _report(
        client, published_rulebook, text="全年完成网格巡查。", file=(io.BytesIO(PDF), "述职.pdf")
    )
    assert response.status_code == 302
    client.post("/logout")

    from assessment.services.periods import advance_period

    make(lambda s: advance_period(s, s.get(Period, published_rulebook), "collecting"))
    auth.login("assessor1")
    page = client.get(f"/admin/periods/{published_rulebook}/ratings/{cadre_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "全年完成网格巡查。" in html and "述职.pdf" in html
    download = client.get(f"/admin/periods/{published_rulebook}/work-reports/{cadre_id}/file")
    assert download.status_code == 200 and download.data == PDF
    download.close()


def test_a_work_report_that_is_not_a_pdf_is_refused(
    app, app_config, client, auth, published_rulebook
):
    auth.login("cadre")
    docx = (io.BytesIO(b"PK\x03\x04 a word document"), "述职.docx")
    response = _report(client, published_rulebook, text="正文", file=docx)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="report_file-error"' in page and "述职报告文件必须是 PDF。" in page
    # a file named .pdf that is not one
    fake = (io.BytesIO(b"MZ not a pdf"), "述职.pdf")
    response = _report(client, published_rulebook, file=fake)
    assert response.status_code == 400
    assert 'id="report_file-error"' in response.get_data(as_text=True)
    _nothing_saved(app, app_config)


def test_a_work_report_too_large_is_refused(app, app_config, client, auth, published_rulebook):
    auth.login("cadre")
    big = (io.BytesIO(PDF + b"0" * MAX_BYTES), "述职.pdf")
    response = _report(client, published_rulebook, file=big)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="report_file-error"' in page and "文件过大" in page
    _nothing_saved(app, app_config)


def test_an_empty_work_report_is_refused(app, app_config, client, auth, published_rulebook):
    auth.login("cadre")
    response = _report(client, published_rulebook, text="   ")
    assert response.status_code == 400
    assert 'id="text-error"' in response.get_data(as_text=True)
    _nothing_saved(app, app_config)


def test_a_work_report_after_rating_opened_is_refused(app, app_config, client, auth, collecting):
    auth.login("cadre")
    response = _report(client, collecting, text="迟交的述职", file=(io.BytesIO(PDF), "述职.pdf"))
    assert response.status_code == 409
    assert "述职报告只在评分开始前提交" in response.get_data(as_text=True)
    _nothing_saved(app, app_config)
