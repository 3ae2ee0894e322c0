"""Inputs of a period through the pages: results, imports, evidence, events, ratings."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from assessment.app.db import db, unit_of_work, utcnow
from assessment.core.errors import InputsClosedError
from assessment.models import (
    Account,
    AuditEntry,
    Cadre,
    ConflictDeclaration,
    Event,
    Evidence,
    Period,
    QuantitativeResult,
    Rating,
    StoredBlob,
)
from assessment.services import inputs as service
from assessment.services.periods import advance_period

MAX_BYTES = 4096
PDF = b"%PDF-1.4\n% test evidence\n%%EOF\n"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "EVIDENCE_MAX_BYTES": MAX_BYTES}


def _period(session):
    return session.scalars(sa.select(Period)).one()


def move_to(make, state):
    def change(session):
        period = _period(session)
        order = ["rules_published", "collecting", "computed", "notice", "final"]
        for target in order[order.index(period.status) + 1 if period.status in order else 0 :]:
            if target in ("computed", "notice", "final"):
                # stands in for computing results, opening the notice and finalising
                # (tested in test_results_views.py and test_publication.py)
                period.status = target
            else:
                advance_period(session, period, target)
            if target == state:
                break
        return period.id

    return make(change)


@pytest.fixture
def period_id(published_rulebook, make):
    """The demo period with the demo rulebook published and inputs being collected."""

    def collect(session):
        period = session.get(Period, published_rulebook)
        advance_period(session, period, "collecting")
        return period.id

    return make(collect)


def ids(app, model, column, *values):
    with app.app_context():
        rows = dict(db.session.execute(sa.select(column, model.id).where(column.in_(values))).all())
    return [rows[v] for v in values]


def cadre_id(app, code):
    return ids(app, Cadre, Cadre.code, code)[0]


def account_id(app, username):
    return ids(app, Account, Account.username, username)[0]


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def audit_entries(app, object_type):
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEntry)
                .where(AuditEntry.object_type == object_type)
                .order_by(AuditEntry.seq)
            )
        )


def login(client, auth, username):
    auth.logout()
    assert auth.login(username).status_code == 302
    client.get("/lang/en")
    return client


def text(response):
    return html.unescape(response.get_data(as_text=True))


def base(period_id):
    return f"/admin/periods/{period_id}"


def csv_upload(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def upload(client, url, content, filename, **fields):
    data = {**fields, "file": (io.BytesIO(content), filename)}
    return client.post(url, data=data, content_type="multipart/form-data")


def rate(client, period_id, cadre, **levels):
    data = {f"level_{code}": level for code, level in levels.items()}
    return client.post(f"{base(period_id)}/ratings/{cadre}", data=data)


# ---------------------------------------------------------------------------
# quantitative results
# ---------------------------------------------------------------------------


def test_result_entry_saves_value_source_note_and_is_audited(app, client, auth, period_id):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    url = f"{base(period_id)}/quantitative/{qs009}/W1"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"actual": "12.5", "source": "2026年统计年报", "note": "ok"})
    assert response.status_code == 302
    with app.app_context():
        result = db.session.scalars(sa.select(QuantitativeResult)).one()
        assert (result.cadre_id, result.indicator_code, result.actual) == (qs009, "W1", 12.5)
        assert (result.source, result.note) == ("2026年统计年报", "ok")
    # a change replaces the value; both writes are in the audit log, by the assessor
    client.post(url, data={"actual": "15", "source": "2026年统计年报"})
    entries = audit_entries(app, "quantitative_result")
    assert [e.action for e in entries] == [
        "quantitative_result.create",
        "quantitative_result.update",
    ]
    assert {e.actor_name for e in entries} == {"assessor1"}
    assert count(app, QuantitativeResult) == 1


def test_missing_result_is_shown_as_missing_and_zero_as_a_value(app, client, auth, period_id):
    qs010 = cadre_id(app, "QS010")  # VDIR: W2 is "met or not met"
    login(client, auth, "admin")
    client.post(
        f"{base(period_id)}/quantitative/{qs010}/W2", data={"actual": "0", "source": "台账"}
    )
    page = text(client.get(f"{base(period_id)}/quantitative"))
    row = re.search(r"<tr>\s*<td>QS010.*?</tr>", page, re.S).group(0)
    assert row.count(">missing<") == 4  # W1 W3 W5 W6 not entered
    assert re.search(r'<td class="num">\s*0\s', row)
    detail = text(client.get(f"{base(period_id)}/preview/{qs010}"))
    assert "actual value not entered" in detail
    assert re.search(r"W2 .*?actual 0", detail, re.S)


def test_result_that_cannot_be_scored_is_refused(app, client, auth, period_id):
    qs010 = cadre_id(app, "QS010")
    login(client, auth, "assessor1")
    response = client.post(
        f"{base(period_id)}/quantitative/{qs010}/W2", data={"actual": "2", "source": "台账"}
    )
    assert response.status_code == 400
    assert "Enter 1 (met) or 0 (not met)." in text(response)
    response = client.post(f"{base(period_id)}/quantitative/{qs010}/W1", data={"actual": "5"})
    assert response.status_code == 400
    assert count(app, QuantitativeResult) == 0


def test_result_form_only_for_quantitative_indicators_of_the_post(app, client, auth, period_id):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    assert client.get(f"{base(period_id)}/quantitative/{qs009}/W2").status_code == 404
    assert client.get(f"{base(period_id)}/quantitative/{qs009}/J1").status_code == 404


# ---------------------------------------------------------------------------
# imports
# ---------------------------------------------------------------------------

HEADER = ["cadre_code", "indicator_code", "actual", "source", "note"]


def test_import_csv_and_xlsx_save_every_row(app, client, auth, period_id):
    login(client, auth, "assessor1")
    url = f"{base(period_id)}/quantitative/import"
    assert client.get(url).status_code == 200
    rows = [HEADER, ["QS009", "W1", "12", "统计年报", ""], ["QS010", "W2", "1", "台账", "按季公开"]]
    response = upload(client, url, csv_upload(rows), "results.csv")
    assert response.status_code == 302
    assert count(app, QuantitativeResult) == 2
    workbook = openpyxl.Workbook()
    for row in [HEADER, ["QS009", "W1", 14, "统计年报（修正）"], ["QS011", "W1", 3, "台账"]]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, url, buffer.getvalue(), "results.xlsx")
    assert response.status_code == 302
    with app.app_context():
        values = dict(
            db.session.execute(
                sa.select(QuantitativeResult.cadre_id, QuantitativeResult.actual).where(
                    QuantitativeResult.indicator_code == "W1"
                )
            ).all()
        )
    assert values == {cadre_id(app, "QS009"): 14.0, cadre_id(app, "QS011"): 3.0}
    entries = audit_entries(app, "quantitative_result")
    assert len(entries) == 4
    assert all(e.reason == "import of quantitative results from results.xlsx" for e in entries[2:])


def test_import_with_bad_rows_names_row_and_column_and_saves_nothing(app, client, auth, period_id):
    login(client, auth, "assessor1")
    rows = [
        HEADER,
        ["QS009", "W1", "12", "统计年报", ""],  # row 2: good
        ["QS999", "W1", "12", "统计年报", ""],  # row 3: unknown cadre
        ["QS009", "W2", "1", "统计年报", ""],  # row 4: W2 is qualitative for VSEC
        ["QS009", "W3", "abc", "统计年报", ""],  # row 5: not a number
        ["QS010", "W2", "1", "", ""],  # row 6: no source
        ["QS009", "W1", "13", "统计年报", ""],  # row 7: same as row 2
        ["QS014", "W2", "3", "台账", ""],  # row 8: binary needs 0 or 1
    ]
    response = upload(client, f"{base(period_id)}/quantitative/import", csv_upload(rows), "r.csv")
    assert response.status_code == 422
    page = text(response)
    found = re.findall(
        r'<tr><td class="num">(\d+)</td><td><code>([a-z_]+)</code></td>', page.replace("\n", "")
    )
    assert [(int(r), c) for r, c in found] == [
        (3, "cadre_code"),
        (4, "indicator_code"),
        (5, "actual"),
        (6, "source"),
        (7, "indicator_code"),
        (8, "actual"),
    ]
    assert "No cadre has the personnel number QS999." in page
    assert "Row 2 already gives a value for this cadre and indicator." in page
    assert "nothing was imported" in page
    assert count(app, QuantitativeResult) == 0
    assert audit_entries(app, "quantitative_result") == []


def test_import_without_a_required_column_is_refused(app, client, auth, period_id):
    login(client, auth, "assessor1")
    rows = [["cadre_code", "indicator_code", "actual"], ["QS009", "W1", "12"]]
    response = upload(client, f"{base(period_id)}/quantitative/import", csv_upload(rows), "r.csv")
    assert response.status_code == 422
    assert "The header row has no column 数据来源 (source)." in text(response)
    assert count(app, QuantitativeResult) == 0


# ---------------------------------------------------------------------------
# evidence files
# ---------------------------------------------------------------------------


def _post_with_evidence(client, period_id, cadre, content, filename):
    return client.post(
        f"{base(period_id)}/quantitative/{cadre}/W1",
        data={"actual": "12", "source": "统计年报", "evidence": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def test_evidence_is_stored_in_the_database_and_served_to_staff_in_scope(
    app, client, auth, period_id
):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    response = _post_with_evidence(client, period_id, qs009, PDF, "村集体收入台账.pdf")
    assert response.status_code == 302
    folder = Path(app.config["UPLOAD_FOLDER"])
    with app.app_context():
        evidence = db.session.scalars(sa.select(Evidence)).one()
        result = db.session.scalars(sa.select(QuantitativeResult)).one()
        assert result.evidence_id == evidence.id
        assert evidence.original_name == "村集体收入台账.pdf"
        assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
        assert re.fullmatch(r"[0-9a-f]{32}", evidence.stored_name)
        blob = db.session.scalars(sa.select(StoredBlob)).one()
        assert (blob.sha256, bytes(blob.data), blob.size) == (evidence.sha256, PDF, len(PDF))
        evidence_id = evidence.id
    assert not folder.exists(), "nothing is written to the server's disk"
    url = f"{base(period_id)}/evidence/{evidence_id}"
    for username in ("assessor1", "clerk", "official"):
        login(client, auth, username)
        response = client.get(url)
        assert response.status_code == 200, username
        assert response.data == PDF
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
        assert response.mimetype == "application/pdf"
        response.close()
    login(client, auth, "cadre")
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"MZ\x90\x00", "tool.exe", "Files of type exe are not accepted as evidence"),
        (b"MZ\x90\x00 not a pdf", "scan.pdf", "The file's content is not a pdf file."),
        (b"%PDF-" + b"x" * MAX_BYTES, "big.pdf", "The file is too large (at most"),
        (b"", "empty.png", "The file is empty."),
    ],
)
def test_evidence_of_a_wrong_type_or_size_is_refused_and_nothing_is_kept(
    app, client, auth, period_id, content, filename, message
):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    response = _post_with_evidence(client, period_id, qs009, content, filename)
    assert response.status_code == 400
    assert message in text(response)
    assert count(app, Evidence) == 0
    assert count(app, QuantitativeResult) == 0
    assert count(app, StoredBlob) == 0


def test_evidence_file_is_not_stored_when_the_save_fails(app, client, auth, period_id):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    # a valid file but a value the rule refuses: the transaction rolls back
    response = client.post(
        f"{base(period_id)}/quantitative/{qs009}/W1",
        data={"actual": "12", "source": "x" * 201, "evidence": (io.BytesIO(PDF), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert count(app, StoredBlob) == 0
    assert count(app, Evidence) == 0


def test_evidence_of_another_period_or_unknown_is_not_found(app, client, auth, period_id):
    login(client, auth, "admin")
    assert client.get(f"{base(period_id)}/evidence/99").status_code == 404


# ---------------------------------------------------------------------------
# bonus, penalty and veto events
# ---------------------------------------------------------------------------


def _event(client, period_id, cadre, **data):
    return client.post(f"{base(period_id)}/events/new?cadre_id={cadre}", data=data)


def test_events_are_recorded_with_reason_and_count_in_the_preview(app, client, auth, period_id):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    assert client.get(f"{base(period_id)}/events/new").status_code == 200
    assert client.get(f"{base(period_id)}/events/new?cadre_id={qs009}").status_code == 200
    today = utcnow().date().isoformat()
    response = _event(
        client,
        period_id,
        qs009,
        indicator_code="B1",
        points="2",
        occurred_on=today,
        reason="县级表彰",
    )
    assert response.status_code == 302
    response = _event(
        client,
        period_id,
        qs009,
        indicator_code="P2",
        points="1",
        occurred_on=today,
        reason="约谈",
    )
    assert response.status_code == 302
    response = _event(
        client, period_id, qs009, indicator_code="V2", occurred_on=today, reason="越级上访"
    )
    assert response.status_code == 302
    with app.app_context():
        events = {e.indicator_code: e for e in db.session.scalars(sa.select(Event))}
        assert (events["B1"].kind, events["B1"].points) == ("bonus", 2.0)
        assert (events["P2"].kind, events["P2"].points) == ("penalty", 1.0)
        assert (events["V2"].kind, events["V2"].points) == ("veto", None)
        assert events["V2"].reason == "越级上访"
    assert [e.action for e in audit_entries(app, "input_event")] == ["input_event.create"] * 3
    page = text(client.get(f"{base(period_id)}/events"))
    assert "县级表彰" in page and "越级上访" in page
    detail = text(client.get(f"{base(period_id)}/preview/{qs009}"))
    assert re.search(r"Bonus \(after the cap\)</th><td class=\"num\">\+2\.00", detail)
    assert re.search(r"Penalty \(after the cap\)</th><td class=\"num\">−1\.00", detail)
    assert "Veto recorded (V2)" in detail


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"indicator_code": "B1", "points": "3"}, "Points must be more than 0 and at most 2"),
        ({"indicator_code": "B1", "points": ""}, "This field is required."),
        ({"indicator_code": "W1", "points": "1"}, "not of the kind needed here"),
        ({"indicator_code": "B1", "points": "1", "reason": ""}, "This field is required."),
        (
            {"indicator_code": "B1", "points": "1", "occurred_on": "2999-01-01"},
            "The date is in the future.",
        ),
    ],
)
def test_bad_events_are_refused(app, client, auth, period_id, data, message):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    full = {"occurred_on": utcnow().date().isoformat(), "reason": "理由", **data}
    if data.get("indicator_code") == "W1":
        # not offered in the form; post it as a tampered request would
        full["indicator_code"] = "W1"
    response = _event(client, period_id, qs009, **full)
    assert response.status_code == 400
    assert message in text(response) or "Not a valid choice" in text(response)
    assert count(app, Event) == 0


def test_event_can_be_withdrawn_while_collecting(app, client, auth, period_id):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "admin")
    _event(
        client,
        period_id,
        qs009,
        indicator_code="B2",
        points="1",
        occurred_on=(utcnow().date() - timedelta(days=3)).isoformat(),
        reason="招商",
    )
    with app.app_context():
        event_id = db.session.scalars(sa.select(Event.id)).one()
    response = client.post(f"{base(period_id)}/events/{event_id}/delete")
    assert response.status_code == 302
    assert count(app, Event) == 0
    assert [e.action for e in audit_entries(app, "input_event")] == [
        "input_event.create",
        "input_event.delete",
    ]


# ---------------------------------------------------------------------------
# ratings
# ---------------------------------------------------------------------------


def test_assessor_rates_and_changes_a_rating_every_change_audited(app, client, auth, period_id):
    qs009 = cadre_id(app, "QS009")  # VSEC: W2, W4 (standard rubric), I1 (innovation rubric)
    login(client, auth, "assessor1")
    assert client.get(f"{base(period_id)}/ratings/{qs009}").status_code == 200
    response = rate(client, period_id, qs009, W2="A", W4="B", I1="C")
    assert response.status_code == 302
    response = rate(client, period_id, qs009, W2="B")
    assert response.status_code == 302
    with app.app_context():
        levels = dict(db.session.execute(sa.select(Rating.indicator_code, Rating.level)).all())
    assert levels == {"W2": "B", "W4": "B", "I1": "C"}
    entries = audit_entries(app, "rating")
    assert [e.action for e in entries] == ["rating.create"] * 3 + ["rating.update"]
    assert {e.actor_name for e in entries} == {"assessor1"}
    # my own ratings show on my page
    page = text(client.get(f"{base(period_id)}/ratings/{qs009}"))
    assert re.search(r'value="B" checked|checked[^>]*value="B"', page)


def test_saving_no_level_is_not_reported_as_a_success(app, client, auth, period_id):
    """Issue 20: "已保存 0 项评分" in green when nothing was chosen."""
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    response = rate(client, period_id, qs009)
    page = text(response)
    assert response.status_code == 400
    assert "Nothing was saved: no level was chosen." in page
    assert "flash-success" not in page and "0 ratings saved" not in page
    assert count(app, Rating) == 0
    # saving the same levels again changes nothing and says so, in neutral words
    rate(client, period_id, qs009, W2="A")
    response = client.post(
        f"{base(period_id)}/ratings/{qs009}", data={"level_W2": "A"}, follow_redirects=True
    )
    page = text(response)
    assert "Your ratings of 周文斌 are unchanged." in page and "flash-info" in page
    assert count(app, Rating) == 1


def test_unknown_level_is_refused(app, client, auth, period_id):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    response = rate(client, period_id, qs009, W2="Z")
    assert response.status_code == 400
    assert count(app, Rating) == 0


def test_assessor_cannot_see_other_assessors_ratings_before_results_are_computed(
    app, client, auth, make, period_id
):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    rate(client, period_id, qs009, W2="D", W4="D", I1="D")
    login(client, auth, "assessor2")
    pages = {
        "rate": client.get(f"{base(period_id)}/ratings/{qs009}"),
        "ratings": client.get(f"{base(period_id)}/ratings"),
        "progress": client.get(f"{base(period_id)}/progress"),
        "preview": client.get(f"{base(period_id)}/preview"),
        "detail": client.get(f"{base(period_id)}/preview/{qs009}"),
        "index": client.get(f"{base(period_id)}/inputs"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        page = text(response)
        assert "checked" not in page, name
        assert "panel value" not in page, name
        assert "Ratings of the panel" not in page, name
    assert "hidden until the results are computed" in text(pages["detail"])
    with app.app_context(), pytest.raises(InputsClosedError):
        period = db.session.get(Period, period_id)
        service.list_panel_ratings(db.session, period, qs009)
    # once computed, the panel's ratings are open to the team
    move_to(make, "computed")
    page = text(client.get(f"{base(period_id)}/ratings/{qs009}"))
    assert "Ratings of the panel" in page
    assert "考核组成员一" in page


def _main(response):
    assert response.status_code == 200
    return re.search(r"<main>.*</main>", text(response), re.S).group(0)


def test_preview_gives_no_colleagues_rating_away_before_results_are_computed(
    app, client, auth, make, period_id
):
    """The differencing attack: assessor1 reads the live preview, a colleague rates (or
    changes a rating), assessor1 reads it again. Whatever level the colleague chose,
    assessor1 must see the same pages, so the difference gives no level away."""
    qs009 = cadre_id(app, "QS009")
    for username, level in (("assessor2", "A"), ("assessor3", "C"), ("assessor1", "B")):
        login(client, auth, username)
        rate(client, period_id, qs009, W2=level)
    paths = (f"{base(period_id)}/preview", f"{base(period_id)}/preview/{qs009}")
    seen = {}
    for level in ("A", "B", "C", "D"):  # the admin's rating, changed each time
        login(client, auth, "admin")
        assert rate(client, period_id, qs009, W2=level).status_code == 302
        login(client, auth, "assessor1")
        seen[level] = [_main(client.get(path)) for path in paths]
    assert seen["A"] == seen["B"] == seen["C"] == seen["D"]
    assert "4 of 4 ratings" in seen["A"][1]
    assert "panel value" not in seen["A"][1]
    # Once computed, the team sees the ratings themselves, and the preview the panel value.
    move_to(make, "computed")
    detail = text(client.get(f"{base(period_id)}/preview/{qs009}"))
    # A B C D: 100 85 70 50, below the trim threshold: the mean
    assert "panel value 76.25" in detail


def test_assessor_cannot_rate_themselves(app, client, auth, make, period_id):
    qs010 = cadre_id(app, "QS010")

    def link(session):
        session.scalars(
            sa.select(Account).where(Account.username == "assessor1")
        ).one().cadre_id = qs010

    make(link)
    login(client, auth, "assessor1")
    response = rate(client, period_id, qs010, W4="A", I1="A")
    assert response.status_code == 302
    assert "You cannot rate yourself." in text(client.get(response.headers["Location"]))
    assert count(app, Rating) == 0
    assert "You cannot rate yourself." in text(client.get(f"{base(period_id)}/ratings/{qs010}"))
    progress = text(client.get(f"{base(period_id)}/progress"))
    row = re.search(r"<td>QS010 .*?</tr>", progress, re.S).group(0)
    assert "0 of 3" in row  # admin, assessor2, assessor3; not assessor1


def test_conflict_declaration_withdraws_ratings_and_excludes_the_assessor(
    app, client, auth, period_id
):
    qs011 = cadre_id(app, "QS011")
    login(client, auth, "assessor2")
    rate(client, period_id, qs011, W4="A", I1="A")
    assert count(app, Rating) == 2
    url = f"{base(period_id)}/conflicts"
    response = client.post(url, data={"cadre_id": qs011, "reason": ""})
    assert response.status_code == 400
    assert count(app, ConflictDeclaration) == 0
    response = client.post(url, data={"cadre_id": qs011, "reason": "近亲属"})
    assert response.status_code == 302
    assert count(app, Rating) == 0
    assert "近亲属" in text(client.get(url))
    entries = audit_entries(app, "conflict_declaration")
    assert len(entries) == 1 and entries[0].reason == "近亲属"
    assert entries[0].actor_name == "assessor2"
    assert [e.action for e in audit_entries(app, "rating")][-2:] == ["rating.delete"] * 2
    response = rate(client, period_id, qs011, W4="B")
    assert "You declared a conflict of interest with this cadre" in text(
        client.get(response.headers["Location"])
    )
    assert count(app, Rating) == 0
    # declared twice
    response = client.post(url, data={"cadre_id": qs011, "reason": "再次"})
    assert response.status_code == 400
    assert "already declared" in text(response)
    progress = text(client.get(f"{base(period_id)}/progress"))
    row = re.search(r"<td>QS011 .*?</tr>", progress, re.S).group(0)
    assert "考核组成员二" not in row and "0 of 3" in row


def test_progress_lists_missing_ratings_by_assessor_and_by_cadre(app, client, auth, period_id):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    rate(client, period_id, qs009, W2="A", W4="A", I1="A")
    rate(client, period_id, cadre_id(app, "QS012"), W4="B")  # GRID: W4, I1 -> one missing
    page = text(client.get(f"{base(period_id)}/progress"))
    by_assessor = page.split("By cadre")[0]
    row = re.search(r"<td>考核组成员一</td>.*?</tr>", by_assessor, re.S).group(0)
    assert "QS009" not in row  # complete
    assert "QS012 " in row and "QS001 " in row
    by_cadre = page.split("By cadre")[1]
    qs009_row = re.search(r"<td>QS009 .*?</tr>", by_cadre, re.S).group(0)
    assert "1 of 4" in qs009_row
    assert "考核组成员二 (3)" in qs009_row and "考核组成员一" not in qs009_row
    assert "checked" not in page and ">A<" not in page


# ---------------------------------------------------------------------------
# collecting is the only state for changes
# ---------------------------------------------------------------------------


def test_inputs_are_refused_before_collecting(app, client, auth, demo):
    login(client, auth, "assessor1")
    response = client.get("/admin/periods/1/ratings")
    assert "no published rulebook yet" in text(response)
    response = client.post("/admin/periods/1/conflicts", data={"cadre_id": 9, "reason": "亲属"})
    assert response.status_code == 302
    assert "only while the period is “Collecting”" in text(client.get(response.headers["Location"]))
    assert count(app, ConflictDeclaration) == 0


@pytest.mark.parametrize("state", ["computed", "notice"])
def test_inputs_are_refused_after_collecting(app, client, auth, make, period_id, state):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    rate(client, period_id, qs009, W2="A")
    move_to(make, state)
    before = count(app, AuditEntry)
    attempts = [
        rate(client, period_id, qs009, W2="D"),
        client.post(
            f"{base(period_id)}/quantitative/{qs009}/W1", data={"actual": "1", "source": "x"}
        ),
        _event(
            client,
            period_id,
            qs009,
            indicator_code="B1",
            points="1",
            occurred_on=utcnow().date().isoformat(),
            reason="x",
        ),
        upload(
            client,
            f"{base(period_id)}/quantitative/import",
            csv_upload([HEADER, ["QS009", "W1", "1", "x", ""]]),
            "r.csv",
        ),
        client.post(f"{base(period_id)}/conflicts", data={"cadre_id": qs009, "reason": "x"}),
    ]
    for response in attempts:
        assert response.status_code == 302
        message = text(client.get(response.headers["Location"]))
        assert "Inputs can be entered or changed only while the period is “Collecting”" in message
    with app.app_context():
        assert db.session.scalars(sa.select(Rating.level)).all() == ["A"]
    assert count(app, AuditEntry) == before
    assert count(app, QuantitativeResult) == count(app, Event) == 0


def test_preview_and_ratings_are_for_the_team_only(app, client, auth, period_id):
    for username in ("clerk", "official", "cadre"):
        login(client, auth, username)
        assert client.get(f"{base(period_id)}/preview").status_code == 403
        assert client.get(f"{base(period_id)}/ratings").status_code == 403
        assert client.get(f"{base(period_id)}/progress").status_code == 403
    login(client, auth, "clerk")
    assert client.get(f"{base(period_id)}/quantitative").status_code == 200


def test_results_template_lists_the_missing_values(app, client, auth, period_id):
    login(client, auth, "assessor1")
    from openpyxl import load_workbook

    response = client.get(f"{base(period_id)}/quantitative/template.xlsx?headers=en")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).worksheets[0].values)
    assert list(rows[0]) == list(HEADER)
    assert ("QS009", "W1", None, None, None) in rows


def test_audit_log_hides_ratings_until_results_are_computed(app, client, auth, period_id):
    qs009 = cadre_id(app, "QS009")
    login(client, auth, "assessor1")
    assert rate(client, period_id, qs009, W2="A").status_code == 302
    login(client, auth, "admin")  # an administrator may sit on the panel too
    page = text(client.get("/admin/audit/?object_type=rating"))
    assert "Rating hidden until the results are computed." in page
    assert '"level":"A"' not in page
    with app.app_context(), unit_of_work(None):
        period = db.session.get(Period, period_id)
        period.status = "computed"  # as if results were computed (that path has its own tests)
    page = text(client.get("/admin/audit/?object_type=rating"))
    assert '"level":"A"' in page


def test_rating_form_shows_each_levels_rubric_description(app, client, auth, period_id):
    """Issue 20: assessors rated without the rubric's level descriptions in view."""
    qs009 = cadre_id(app, "QS009")  # W2, W4: standard rubric; I1: innovation rubric
    login(client, auth, "assessor1")
    page = text(client.get(f"{base(period_id)}/ratings/{qs009}"))
    w2 = re.search(r'<fieldset[^>]*id="indicator-W2".*?</fieldset>', page, re.S).group(0)
    # Each level's description sits in the label of its own choice, beside its name.
    choice = re.search(r'<label class="choice">.*?value="A".*?</label>', w2, re.S).group(0)
    assert "Excellent (100)" in choice and "Outstanding, widely recognised" in choice
    assert "Poor, tasks not done" in w2
    i1 = re.search(r'<fieldset[^>]*id="indicator-I1".*?</fieldset>', page, re.S).group(0)
    assert "A practice others can copy" in i1
    # A level the rulebook gives no description shows its name alone, with no empty box.
    assert '<span class="level-description"></span>' not in i1
    client.get("/lang/zh_CN")
    page = text(client.get(f"{base(period_id)}/ratings/{qs009}"))
    assert "表现突出，群众公认" in page and "形成可复制推广的经验" in page
