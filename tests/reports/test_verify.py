"""Verification of reports: the public page, the PDF upload and ``flask reports verify``.

The reports are real: made by the PDF pipeline (reports.services.documents) from the
``computed_period`` fixture. The expected printed values are not typed in: they are
whatever the stored result gives through reports.core.layout, and an edited report
is made by changing those glyphs in the PDF's content stream.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, StreamObject

from assessment.app.db import db
from assessment.models import Period, ResultVersion
from assessment.services import publication
from assessment.services import results as results_service
from reports.core.codes import make_verification_code
from reports.core.layout import format_number, scorecard_fields, summary_fields
from reports.core.verify import find_audit_head
from reports.render.pdf import html_to_pdf
from reports.services import documents
from reports.services.verify import Problem, VersionStatus, verify_code, verify_pdf
from tests.conftest import SYNTHETIC_SURVEYS

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _data(app, period_id: int, number: int = 1) -> documents.VersionData:
    period = db.session.get(Period, period_id)
    return documents.load_version(db.session, period, number)


@pytest.fixture
def scorecard(app, computed_period) -> dict:
    """The first ranked cadre's scorecard PDF of version 1, its code and printed total."""
    with app.test_request_context():
        data = _data(app, computed_period)
        cadre_id = data.cadre_ids()[0]
        facts = data.facts(now=NOW, base_url="http://localhost")
        pdf = html_to_pdf(documents.scorecard_html(data, cadre_id, facts, "en"))
        fields = dict(
            scorecard_fields(
                data.result,
                cadre_id,
                period_name=data.period.name,
                version_number=1,
                rules_digest=data.version.rules_digest,
                data_digest=data.version.data_digest,
            )
        )
        code = make_verification_code(
            version_id=data.version.id,
            kind="C",
            cadre_id=int(cadre_id),
            fields=list(scorecard_fields(data.result, cadre_id, **facts.layout_facts)),
        )
    return {"pdf": pdf, "code": code, "total": fields["total"], "cadre_id": cadre_id}


def edit_pdf(pdf: bytes, old: str, new: str) -> bytes:
    """Replace the glyphs of ``old`` by those of ``new`` in every page's content stream.

    WeasyPrint writes text as glyph ids of subset fonts; each font's ToUnicode map
    gives the glyph of each character, so this is what a forger with a PDF editor does.
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    replaced = 0
    for page in writer.pages:
        content = page.get_contents().get_data()
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if "/ToUnicode" not in font:
                continue
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            glyph = {
                chr(int(u, 16)): g for g, u in re.findall(r"<([0-9a-f]{4})> <([0-9a-f]{4})>", cmap)
            }
            if not all(ch in glyph for ch in old + new):
                continue
            before = "0".join(f"<{glyph[ch]}>" for ch in old).encode()
            after = "0".join(f"<{glyph[ch]}>" for ch in new).encode()
            replaced += content.count(before)
            content = content.replace(before, after)
        stream = StreamObject()
        stream.set_data(content)
        page[NameObject("/Contents")] = writer._add_object(stream)
    assert replaced, f"{old!r} not found in the content streams"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _changed(total: str) -> str:
    """Another total with the same number of characters (so the layout holds)."""
    first = "9" if total[0] != "9" else "8"
    return first + total[1:]


# ---------------------------------------------------------------------------
# an untouched report verifies clean
# ---------------------------------------------------------------------------


def test_untouched_scorecard_verifies_from_its_code(app, scorecard):
    with app.app_context():
        v = verify_code(db.session, scorecard["code"])
    assert v.problem is None
    assert v.issued
    assert v.ok, (v.differing_fields, v.differing_results[:5])
    assert v.status is VersionStatus.CURRENT
    assert {c.field: c.expected for c in v.fields}["total"] == scorecard["total"]
    # every cadre: total, grade, rank, bonus, penalty, points and S, plus four digests
    assert len(v.result_checks) > 40 * 5


def test_untouched_scorecard_pdf_verifies_clean(app, runner, scorecard, tmp_path):
    path = tmp_path / "card.pdf"
    path.write_bytes(scorecard["pdf"])
    result = runner.invoke(args=["reports", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert f"code: {scorecard['code']}" in result.output
    assert "verified: the report matches" in result.output
    with app.app_context():
        v = verify_pdf(db.session, scorecard["pdf"])
    assert v.ok
    assert len(v.fields) == len([c for c in v.fields if c.found is not None]) > 20


def test_chinese_scorecard_names_its_fields_in_words_and_still_verifies(app, computed_period):
    """Issue 12: the verification table printed bare keys (``total``, ``ends_on``) to a
    Chinese reader. A legend under the table now says what each key is, and the check
    still reads the keys and values back from the PDF."""
    with app.test_request_context():
        data = _data(app, computed_period)
        facts = data.facts(now=NOW, base_url="http://localhost")
        pdf = html_to_pdf(documents.scorecard_html(data, data.cadre_ids()[0], facts, "zh_CN"))
        verification = verify_pdf(db.session, pdf)
    legend = _text(pdf).split("字段说明")[-1]
    assert "total 总分" in legend and "data_digest 数据摘要" in legend
    assert re.search(r"points\.\S+ 指标 \S+ 的得分", legend)
    assert verification.ok
    assert len(verification.fields) == len([c for c in verification.fields if c.found]) > 20


def test_code_is_read_in_any_case_and_with_spaces(client, scorecard):
    typed = " " + scorecard["code"].lower().replace("-", " - ") + " "
    page = client.get("/p/verify", query_string={"code": typed}, follow_redirects=True)
    assert page.status_code == 200
    assert "The report matches" in page.get_data(as_text=True)


def test_verify_page_shows_the_fields_and_the_version_status(client, scorecard):
    page = client.get(f"/p/verify/{scorecard['code']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The report matches" in html
    assert f'<code class="digest">{scorecard["total"]}</code>' in html
    assert "the current (newest) version" in html
    assert "differs" not in html


# ---------------------------------------------------------------------------
# an edited report is caught
# ---------------------------------------------------------------------------


def test_edited_total_in_the_pdf_is_flagged_by_the_command(runner, scorecard, tmp_path):
    edited_total = _changed(scorecard["total"])
    edited = edit_pdf(scorecard["pdf"], scorecard["total"], edited_total)
    assert f"total {edited_total}" in _text(edited)  # the forgery reads as intended
    path = tmp_path / "edited.pdf"
    path.write_bytes(edited)
    result = runner.invoke(args=["reports", "verify", str(path)])
    assert result.exit_code == 1
    assert f"DIFF total: expected {scorecard['total']}, printed {edited_total}" in result.output
    assert "NOT VERIFIED" in result.output
    # only the edited field differs: the code and everything else still match
    counts = re.search(r"fields: (\d+) of (\d+) match, 1 DIFFER", result.output)
    assert counts is not None
    assert int(counts.group(1)) + 1 == int(counts.group(2))


def test_edited_total_is_flagged_on_the_upload_page(client, scorecard):
    edited_total = _changed(scorecard["total"])
    edited = edit_pdf(scorecard["pdf"], scorecard["total"], edited_total)
    page = client.post(
        "/p/verify/pdf",
        data={"pdf": (io.BytesIO(edited), "card.pdf")},
        content_type="multipart/form-data",
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1 field does not match the recomputed result." in html
    row = re.search(r'<tr class="status-invalid">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "<code>total</code>" in row.group(1)
    assert f'<code class="digest">{edited_total}</code>' in row.group(1)


def test_stored_result_changed_in_the_database_is_caught_by_the_recompute(app, computed_period):
    """Someone edits a total in the database, then prints a report from it: the code is
    genuine (made from the stored result) but the recompute disagrees."""
    with app.app_context():
        version = db.session.scalars(sa.select(ResultVersion)).one()
        payload = results_service.payload_of(version)
        cadre = payload["result"]["cadres"][0]
        cadre["total"] += 10.0
        db.session.execute(
            sa.update(ResultVersion.__table__)
            .where(ResultVersion.__table__.c.id == version.id)
            .values(payload=json.dumps(payload))
        )
        db.session.commit()
        db.session.expire_all()
        version = db.session.get(ResultVersion, version.id)
        facts = {
            "period_name": version.period.name,
            "version_number": 1,
            "rules_digest": version.rules_digest,
            "data_digest": version.data_digest,
        }
        fields = scorecard_fields(payload["result"], cadre["id"], **facts)
        code = make_verification_code(
            version_id=version.id, kind="C", cadre_id=int(cadre["id"]), fields=fields
        )
        v = verify_code(db.session, code)
    assert v.issued
    assert not v.ok
    assert [c.field for c in v.differing_fields] == ["total"]
    assert [c.field for c in v.differing_results] == [f"{cadre['code']}.total"]
    assert {c.field: c.found for c in v.fields}["total"] == format_number(cadre["total"])


# ---------------------------------------------------------------------------
# bad, malformed and unknown codes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["junk", "1-X-ABCDEFGH", "0-S-ABCDEFGH", "1-S-"])
def test_malformed_code_says_what_a_code_looks_like(client, computed_period, text):
    page = client.get(f"/p/verify/{text}")
    assert page.status_code == 404
    assert "This is not a verification code" in page.get_data(as_text=True)


def test_unknown_version_is_not_found(client, computed_period):
    page = client.get("/p/verify/99-S-ABCDEFGH")
    assert page.status_code == 404
    assert "No result version has this number" in page.get_data(as_text=True)


def test_unknown_cadre_of_a_known_version(app, client, computed_period):
    with app.app_context():
        version_id = db.session.scalars(sa.select(ResultVersion.id)).one()
    page = client.get(f"/p/verify/{version_id}-C9999-ABCDEFGH")
    assert page.status_code == 404
    assert "no scorecard for this cadre" in page.get_data(as_text=True)


def _remade(code: str) -> str:
    """The code with a check far from the issued one (what a forger's remade code is)."""
    prefix, check = code.rsplit("-", 1)
    return prefix + "-" + "".join("2" if symbol != "2" else "3" for symbol in check)


def test_remade_check_is_not_issued_and_shows_nothing_of_the_report(client, scorecard):
    page = client.get(f"/p/verify/{_remade(scorecard['code'])}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Not issued from these results" in html
    assert "typing mistake" not in html
    assert "Field by field" not in html
    assert f">{scorecard['total']}</code>" not in html


def test_one_mistyped_check_character_is_a_typing_mistake_with_its_place(client, scorecard):
    code = scorecard["code"]
    wrong = code[:-3] + ("2" if code[-3] != "2" else "3") + code[-2:]
    page = client.get(f"/p/verify/{wrong.lower()}")
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "This code has a typing mistake: check each character" in html
    assert f"Character {len(code) - 2} looks wrong." in html
    assert f"<mark>{wrong[-3]}</mark>{wrong[-2:]}</code>" in html
    assert "Not issued from these results" not in html
    assert "Field by field" not in html
    assert f">{scorecard['total']}</code>" not in html


def test_swapped_or_missing_check_characters_are_typing_mistakes(app, scorecard):
    code = scorecard["code"]
    swapped = code[:-2] + code[-1] + code[-2] if code[-1] != code[-2] else code[:-1] + "2"
    with app.app_context():
        left_out = verify_code(db.session, code[:-4] + code[-3:])
        turned = verify_code(db.session, swapped)
    assert left_out.problem is Problem.TYPO
    assert left_out.typo_position == len(code) - 3
    assert turned.problem is Problem.TYPO
    assert turned.typo_position == len(code) - 1
    assert left_out.fields == turned.fields == ()


@pytest.mark.parametrize("foreign", ["0", "O", "1", "I", "L"])
def test_a_symbol_codes_never_use_is_a_typing_mistake(app, client, scorecard, foreign):
    code = scorecard["code"]
    page = client.get(f"/p/verify/{code[:-1]}{foreign}")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "This code has a typing mistake" in html
    assert f"Character {len(code)} looks wrong." in html


def test_check_of_the_wrong_length_names_no_place_without_a_report(client, computed_period):
    page = client.get("/p/verify/99-S-ABCDEFG")
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "This code has a typing mistake" in html
    assert "looks wrong" not in html


def test_command_tells_a_typing_mistake_from_a_remade_code(runner, scorecard):
    code = scorecard["code"]
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    typo = runner.invoke(args=["reports", "verify", "--code", wrong])
    assert typo.exit_code == 1
    assert f"typing mistake at character {len(code)}: check each character" in typo.output
    remade = runner.invoke(args=["reports", "verify", "--code", _remade(code)])
    assert remade.exit_code == 1
    assert "NOT ISSUED from these results" in remade.output
    assert "typing mistake" not in remade.output


def test_code_from_another_cadre_does_not_verify(app, scorecard):
    cadre, _check = scorecard["code"].split("-")[1:]
    other = int(cadre[1:]) + 1
    with app.app_context():
        v = verify_code(db.session, scorecard["code"].replace(f"-{cadre}-", f"-C{other}-"))
    assert v.problem is None
    assert not v.issued
    assert v.fields == ()


def test_notice_code_before_a_notice_was_opened(app, computed_period):
    with app.app_context():
        version_id = db.session.scalars(sa.select(ResultVersion.id)).one()
        v = verify_code(db.session, f"{version_id}-N-ABCDEFGH")
    assert v.problem is Problem.NO_NOTICE


def test_command_needs_a_pdf_or_a_code(runner, computed_period, tmp_path):
    assert runner.invoke(args=["reports", "verify"]).exit_code == 2
    result = runner.invoke(args=["reports", "verify", "--code", "1-X-ABCDEFGH"])
    assert result.exit_code == 1
    assert "cannot verify: malformed" in result.output


# ---------------------------------------------------------------------------
# summary and notice, superseded and final versions
# ---------------------------------------------------------------------------


def test_summary_code_verifies_with_the_survey_alpha_carried_over(app, client, computed_period):
    with app.app_context():
        data = _data(app, computed_period)
        fields = summary_fields(
            data.result,
            period_name=data.period.name,
            version_number=1,
            rules_digest=data.version.rules_digest,
            data_digest=data.version.data_digest,
        )
        code = make_verification_code(
            version_id=data.version.id, kind="S", cadre_id=None, fields=fields
        )
    page = client.get(f"/p/verify/{code}")
    html = page.get_data(as_text=True)
    assert "The report matches" in html
    assert "alpha is taken from the stored result" in html


def test_notice_code_verifies_once_the_notice_is_open(app, make, runner, computed_period):
    def open_it(session):
        period = session.get(Period, computed_period)
        publication.open_notice(
            session,
            period=period,
            starts_on=date(2026, 12, 7),
            working_days=5,
            review_working_days=5,
            instructions="",
            holidays=(),
            extra_workdays=(),
            actor_id=None,
        )

    make(open_it)
    with app.test_request_context():
        data = _data(app, computed_period)
        facts = data.facts(now=NOW, base_url="http://localhost")
        pdf = html_to_pdf(documents.notice_html(db.session, data, facts, "en"))
    with app.app_context():
        v = verify_pdf(db.session, pdf)
    assert v.ok, v.differing_fields
    # Published Monday 7 December: Tue 8 to Mon 14 (the day of publication not counted).
    assert {c.field: c.found for c in v.fields}["ends_on"] == "2026-12-14"


def test_a_replaced_version_says_so(app, make, runner, scorecard, computed_period):
    def recompute(session):
        results_service.compute_results(
            session,
            period=session.get(Period, computed_period),
            reason="a second computation for the test",
            actor_id=None,
            surveys=SYNTHETIC_SURVEYS,
            # not the fixture's 40: unchanged inputs make no new version (issue 20)
            resamples=60,
        )

    make(recompute)
    with app.app_context():
        v = verify_code(db.session, scorecard["code"])
    assert v.ok  # still a true report of version 1
    assert (v.status, v.version_number, v.latest_number) == (VersionStatus.SUPERSEDED, 1, 2)
    result = runner.invoke(args=["reports", "verify", "--code", scorecard["code"]])
    assert "superseded (newest is 2)" in result.output


# ---------------------------------------------------------------------------
# the upload
# ---------------------------------------------------------------------------


def test_upload_refuses_a_file_that_is_not_a_pdf(client, computed_period):
    page = client.post(
        "/p/verify/pdf",
        data={"pdf": (io.BytesIO(b"GIF89a not a pdf"), "card.pdf")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    assert "The file is not a PDF." in page.get_data(as_text=True)


def test_upload_without_a_file_names_the_field(client, computed_period):
    page = client.post("/p/verify/pdf", data={}, content_type="multipart/form-data")
    assert page.status_code == 400
    assert "Choose the PDF file of the report." in page.get_data(as_text=True)


def test_upload_of_a_pdf_without_a_code(client, computed_period):
    pdf = html_to_pdf("<!doctype html><html><body><p>An unrelated letter</p></body></html>")
    page = client.post(
        "/p/verify/pdf",
        data={"pdf": (io.BytesIO(pdf), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    assert "No verification code was found" in page.get_data(as_text=True)


def test_upload_of_a_damaged_pdf(client, computed_period, scorecard):
    page = client.post(
        "/p/verify/pdf",
        data={"pdf": (io.BytesIO(scorecard["pdf"][:400]), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    assert "cannot be read" in page.get_data(as_text=True)


def test_upload_is_protected_by_csrf(another_app, computed_period):
    guarded = another_app(WTF_CSRF_ENABLED=True)
    page = guarded.test_client().post(
        "/p/verify/pdf",
        data={"pdf": (io.BytesIO(b"%PDF-1.7"), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    assert "The report matches" not in page.get_data(as_text=True)


def test_verify_form_page_and_empty_code(client, computed_period):
    page = client.get("/p/verify")
    assert page.status_code == 200
    assert 'name="code"' in page.get_data(as_text=True)
    empty = client.get("/p/verify?code=")
    assert "Enter the code printed on the report." in empty.get_data(as_text=True)


def test_command_refuses_a_pdf_larger_than_the_limit(runner, computed_period, tmp_path: Path):
    path = tmp_path / "big.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024 + 1))
    result = runner.invoke(args=["reports", "verify", str(path)])
    assert result.exit_code == 2
    assert "larger than" in result.output


# ---------------------------------------------------------------------------
# the audit-log head printed on every report: an anchor outside the database
# ---------------------------------------------------------------------------


def _delete_audit_entries_from(app, seq: int) -> None:
    """What a forger with database access does: drop the newest entries (raw SQL)."""
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM audit_entry WHERE seq >= :seq"), {"seq": seq})
        db.session.commit()


def test_pdf_prints_the_audit_head_and_verify_checks_it(app, runner, scorecard, tmp_path):
    from assessment.services.audit import find_chain_head, verify_audit_chain

    with app.app_context():
        head = find_chain_head(db.session)
    assert head is not None
    assert find_audit_head(_text(scorecard["pdf"])) == head
    with app.app_context():
        v = verify_pdf(db.session, scorecard["pdf"])
    assert v.anchor is not None and v.anchor.ok and v.ok

    # Cutting the log at the printed head leaves a chain that verifies on its own ...
    _delete_audit_entries_from(app, head[0])
    with app.app_context():
        assert verify_audit_chain(db.session).ok
        v = verify_pdf(db.session, scorecard["pdf"])
    # ... but the report's anchor is gone: the numbers still match, the verdict does not.
    assert v.fields_ok and v.result_ok
    assert v.anchor is not None and v.anchor.stored is None and not v.ok
    path = tmp_path / "card.pdf"
    path.write_bytes(scorecard["pdf"])
    result = runner.invoke(args=["reports", "verify", str(path)])
    assert result.exit_code == 1
    assert f"entry seq={head[0]} printed as its head is GONE" in result.output
    # the command of the audit log says the same from the printed anchor
    anchor = f"{head[0]}:{head[1]}"
    result = runner.invoke(args=["audit", "verify", "--anchor", anchor])
    assert result.exit_code == 1
    assert f"MISSING: anchor seq={head[0]}" in result.output


def test_audit_verify_anchor_matches_changes_and_bad_values(app, runner, computed_period):
    from assessment.services.audit import find_chain_head

    with app.app_context():
        seq, entry_hash = find_chain_head(db.session)
    result = runner.invoke(args=["audit", "verify", "--anchor", f"{seq}:{entry_hash}"])
    assert result.exit_code == 0, result.output
    assert f"OK: anchor seq={seq} is in the log with its hash." in result.output
    other = ("0" if entry_hash[0] != "0" else "1") + entry_hash[1:]
    result = runner.invoke(args=["audit", "verify", "--anchor", f"{seq}:{other}"])
    assert result.exit_code == 1
    assert f"CHANGED: anchor seq={seq} has hash {entry_hash}" in result.output
    result = runner.invoke(args=["audit", "verify", "--anchor", "12:not-a-hash"])
    assert result.exit_code == 2
    assert "is not SEQ:HASH" in result.output
