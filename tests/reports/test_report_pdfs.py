"""The scorecard, summary and notice PDFs of a computed period: numbers, digests, code.

Expected numbers come from the stored payload of result version 1 of the
``computed_period`` fixture, formatted here with ``f"{x:.2f}"`` (the reports print
scores to two decimals); the PDFs' text is extracted with pypdf.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from assessment.app.db import db, unit_of_work
from assessment.models import Period
from assessment.services import publication
from reports.core.codes import make_verification_code, parse_verification_code
from reports.core.layout import notice_fields, scorecard_fields, summary_fields
from reports.render.pdf import html_to_pdf
from reports.services import documents

NOW = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
BASE = "https://kh.example.cn"


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _flat(text: str) -> str:
    """Text with every run of white space made one space (table cells wrap)."""
    return re.sub(r"\s+", " ", text)


def _fonts(pdf: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).lower())
    return fonts


def _code_in(text: str) -> str:
    found = re.search(r"\b\d+-(?:S|N|C\d+)-[0-9A-Z]{8}\b", text)
    assert found, "no verification code in the text"
    return found.group(0)


@pytest.fixture
def version(app, computed_period):
    """Version 1 of the computed demo period, read through the reports module."""
    with app.app_context():
        period = db.session.get(Period, computed_period)
        data = documents.load_version(db.session, period, 1)
        yield data


def _render(app, html_of):
    with app.app_context():
        return html_to_pdf(html_of())


def test_scorecard_prints_every_stored_number_digest_and_its_code(app, version):
    cadre = version.result["cadres"][0]  # stored order: post group, rank
    facts = version.facts(now=NOW, base_url=BASE)
    pdf = _render(app, lambda: documents.scorecard_html(version, cadre["id"], facts, "en"))
    text = _text(pdf)
    flat = _flat(text)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert 1 <= pages <= 2, "a scorecard is one or two A4 pages"
    assert f"1 / {pages}" in text and f"{pages} / {pages}" in text
    assert cadre["name"] in text and cadre["code"] in text
    for item in cadre["indicators"]:
        assert f"{item['points']:.2f}" in text, item["code"]
        assert f"{item['input']:.2f}" in text, item["code"]
    assert f"{cadre['total']:.2f}" in text
    # Grade names come from the rulebook (English under lang=en).
    grades = {g["code"]: g["name"]["en"] for g in version.payload["rulebook"]["grading"]["grades"]}
    assert grades[cadre["grade"]] in text
    size = sum(1 for c in version.result["cadres"] if c["post_group"] == cadre["post_group"])
    assert f"{cadre['rank']}/{size}" in text
    # Full digests in the verification table, the code bound to the printed fields.
    assert version.version.rules_digest in text and version.version.data_digest in text
    fields = scorecard_fields(
        version.result,
        cadre["id"],
        period_name=version.period.name,
        version_number=1,
        rules_digest=version.version.rules_digest,
        data_digest=version.version.data_digest,
    )
    for key, value in fields:
        assert f"{key} {value}" in flat, key
    code = make_verification_code(
        version_id=version.version.id, kind="C", cadre_id=int(cadre["id"]), fields=fields
    )
    assert _code_in(text) == code
    assert f"{BASE}/p/verify/{code}" in flat
    assert any("wenquanyi" in f or "wqy" in f for f in _fonts(pdf))


def test_scorecard_metadata_names_period_version_digests_code_time_and_software(app, version):
    cadre_id = version.cadre_ids()[0]
    facts = version.facts(now=NOW, base_url=BASE)
    pdf = _render(app, lambda: documents.scorecard_html(version, cadre_id, facts, "zh_CN"))
    meta = PdfReader(io.BytesIO(pdf)).metadata
    keywords = meta["/Keywords"]
    code = _code_in(_text(pdf))
    for expected in (
        f"period={version.period.name}",
        "version=1",
        f"rules_digest={version.version.rules_digest}",
        f"data_digest={version.version.data_digest}",
        f"verification_code={code}",
        "generated=2026-12-01T08:30:00+00:00",
        "software=township-assessment ",
    ):
        assert expected in keywords
        assert expected in meta["/Subject"]
    name = next(c["name"] for c in version.result["cadres"] if c["id"] == cadre_id)
    assert meta["/Title"].endswith(name)
    assert "township-assessment" in meta["/Creator"]


def test_scorecard_language_follows_the_request(app, version):
    cadre = next(c for c in version.result["cadres"] if c["grade"] == "competent")
    facts = version.facts(now=NOW, base_url=BASE)
    zh = _text(_render(app, lambda: documents.scorecard_html(version, cadre["id"], facts, "zh_CN")))
    en = _text(_render(app, lambda: documents.scorecard_html(version, cadre["id"], facts, "en")))
    assert "称职" in zh and "Competent" not in zh
    assert "Competent" in en and "称职" not in en


def test_summary_prints_every_total_the_distribution_and_its_code(app, version):
    facts = version.facts(now=NOW, base_url=BASE)
    pdf = _render(
        app,
        lambda: documents.summary_html(
            version, facts, "en", documents.exclusion_counts(db.session, version.period)
        ),
    )
    text = _text(pdf)
    flat = _flat(text)
    for cadre in version.result["cadres"]:
        assert f"{cadre['code']} {cadre['name']}" in flat
        assert f"{cadre['total']:.2f}" in text
    counts: dict[str, int] = {}
    for cadre in version.result["cadres"]:
        counts[cadre["grade"]] = counts.get(cadre["grade"], 0) + 1
    fields = summary_fields(
        version.result,
        period_name=version.period.name,
        version_number=1,
        rules_digest=version.version.rules_digest,
        data_digest=version.version.data_digest,
    )
    for grade, count in counts.items():
        assert (f"grades.{grade}", str(count)) in fields
    for key, value in fields:
        assert f"{key} {value}" in flat, key
    code = make_verification_code(
        version_id=version.version.id, kind="S", cadre_id=None, fields=fields
    )
    assert _code_in(text) == code
    assert "How the numbers are computed" in text
    assert "ICC(2,k)" in text and "Cronbach" in text
    # Assessors appear by letter only on this report for officials.
    assert "Assessor A" in text
    assert any("wenquanyi" in f or "wqy" in f for f in _fonts(pdf))


def test_notice_lists_every_cadre_with_dates_and_how_to_object(app, version):
    with app.app_context(), unit_of_work(None, reason="test: open the notice"):
        period = db.session.get(Period, version.period.id)
        notice = publication.open_notice(
            db.session,
            period=period,
            starts_on=date(2026, 12, 7),
            working_days=5,
            review_working_days=5,
            instructions="电话 0571-0000000；镇党政办",
            holidays=(),
            extra_workdays=(),
            actor_id=None,
        )
        ends_on = notice.ends_on
    with app.app_context():
        period = db.session.get(Period, version.period.id)
        data = documents.load_version(db.session, period, 1)
        facts = data.facts(now=NOW, base_url=BASE)
        pdf = html_to_pdf(documents.notice_html(db.session, data, facts, "zh_CN"))
    text = _text(pdf)
    flat = _flat(text)
    for cadre in version.result["cadres"]:
        assert cadre["name"] in text
        assert f"{cadre['total']:.2f}" in text
    assert "电话 0571-0000000；镇党政办" in text
    fields = notice_fields(
        version.result,
        period_name=version.period.name,
        version_number=1,
        rules_digest=version.version.rules_digest,
        data_digest=version.version.data_digest,
        starts_on="2026-12-07",
        ends_on=ends_on.isoformat(),
    )
    for key, value in fields:
        assert f"{key} {value}" in flat, key
    code = _code_in(text)
    parsed = parse_verification_code(code)
    assert parsed is not None and parsed.kind == "N"
    assert code == make_verification_code(
        version_id=version.version.id, kind="N", cadre_id=None, fields=fields
    )


def test_notice_before_one_was_opened_is_not_found(app, version):
    with app.app_context():
        facts = version.facts(now=NOW, base_url=BASE)
        with pytest.raises(documents.ReportNotFoundError):
            documents.notice_html(db.session, version, facts, "en")


@pytest.mark.parametrize("lang", ["fr", "", "zh_CN'><script>", None])
def test_unknown_language_is_refused(app, version, lang):
    with app.app_context():
        facts = version.facts(now=NOW, base_url=BASE)
        with pytest.raises(documents.ReportNotFoundError):
            documents.scorecard_html(version, version.cadre_ids()[0], facts, lang)


def test_unknown_cadre_is_refused(app, version):
    with app.app_context():
        facts = version.facts(now=NOW, base_url=BASE)
        with pytest.raises(documents.ReportNotFoundError):
            documents.scorecard_html(version, "999999", facts, "en")


def _first_page(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


@pytest.mark.parametrize(
    ("kind", "lang", "before", "sign", "seal"),
    [
        ("scorecard", "en", "Indicators", "Leader of the assessment team", "Seal of the township"),
        ("summary", "zh_CN", "等次分布", "考核组组长（签字）", "乡镇（街道）盖章"),
    ],
)
def test_report_prints_its_code_large_at_the_top_and_a_signature_and_seal_block(
    app, version, kind, lang, before, sign, seal
):
    # issue 20: the code was printed only in the small footer and in the closing
    # verification block; the reports had no place to sign and seal
    facts = version.facts(now=NOW, base_url=BASE)
    cadre_id = version.result["cadres"][0]["id"]

    def html() -> str:
        if kind == "scorecard":
            return documents.scorecard_html(version, cadre_id, facts, lang)
        return documents.summary_html(version, facts, lang, [])

    with app.test_request_context():
        page = html()
    pdf = _render(app, lambda: page)
    code = _code_in(_text(pdf))
    first = _flat(_first_page(pdf))
    assert code in first.split(before)[0], "the code stands above the body"
    assert re.search(r'class="code-top"[^>]*>.*?' + re.escape(code), page, re.S)
    flat = _flat(_text(pdf))
    assert sign in flat and seal in flat
    # the block stands before the verification section, whose fields stay as they were
    assert flat.index(seal) < flat.rindex("data_digest")
