"""``flask reports build``: every scorecard and the summary into a folder; bad values refused."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from assessment.app.db import db
from assessment.models import Period, ResultVersion
from reports import documents


@pytest.fixture
def app_config(app_config):
    # English output, read by the assertions below (Chinese is the default).
    return {**app_config, "PUBLIC_BASE_URL": "https://kh.example.cn", "BABEL_DEFAULT_LOCALE": "en"}


def _cadres(app, period_id):
    with app.app_context():
        version = db.session.query(ResultVersion).filter_by(period_id=period_id, number=1).one()
        return json.loads(version.payload)["result"]["cadres"]


def test_build_writes_every_scorecard_and_the_summary(app, runner, computed_period, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        args=["reports", "build", "--period", str(computed_period), "--lang", "en", "--out", out]
    )
    assert result.exit_code == 0, result.output
    cadres = _cadres(app, computed_period)
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == len(cadres) + 1
    assert f"summary-p{computed_period}-v1-en.pdf" in files
    for cadre in cadres[:3]:
        pdf = out / f"scorecard-p{computed_period}-v1-{cadre['code']}-en.pdf"
        text = PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text()
        assert cadre["name"] in text and f"{cadre['total']:.2f}" in text
    last_line = result.output.strip().splitlines()[-1]
    assert last_line.startswith(f"Wrote {len(cadres) + 1} PDF files ({len(cadres)} scorecards")
    assert str(out) in last_line
    assert not list(tmp_path.glob(".build-*")), "the staging folder is removed"


def test_build_defaults_to_the_newest_version_under_instance(
    app, runner, computed_period, tmp_path, monkeypatch
):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    # The folder and file names are under test here; the PDFs are in the test above.
    monkeypatch.setattr(documents, "html_to_pdf", lambda html: b"%PDF-1.7 stub")
    result = runner.invoke(args=["reports", "build", "--period", str(computed_period)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "reports" / str(computed_period) / "v1"
    assert (folder / f"summary-p{computed_period}-v1-zh_CN.pdf").is_file()
    assert len(list(folder.glob("scorecard-*-zh_CN.pdf"))) == len(_cadres(app, computed_period))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "999"], "No period 999"),
        (["--period", "{period}", "--version", "7"], "has no result version 7"),
        (["--period", "{period}", "--lang", "fr"], "'fr' is not one of"),
    ],
)
def test_build_refuses_bad_values_and_writes_nothing(
    app, runner, computed_period, tmp_path, args, message
):
    out = tmp_path / "out"
    args = [a.format(period=computed_period) for a in args]
    result = runner.invoke(args=["reports", "build", *args, "--out", str(out)])
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists()


def test_period_without_results_is_refused(app, runner, collecting, tmp_path):
    result = runner.invoke(
        args=["reports", "build", "--period", str(collecting), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code != 0
    assert "has no computed result version" in result.output


def test_failed_render_leaves_no_half_built_folder(app, computed_period, tmp_path, monkeypatch):
    calls = []

    def failing(html: str) -> bytes:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("renderer crashed")
        return b"%PDF-1.7 stub"

    monkeypatch.setattr(documents, "html_to_pdf", failing)
    out = tmp_path / "v1"
    with app.app_context():
        data = documents.load_version(db.session, db.session.get(Period, computed_period), 1)
        with pytest.raises(RuntimeError):
            documents.build_reports(
                db.session,
                data,
                lang="en",
                out_dir=out,
                now=datetime(2026, 12, 1, tzinfo=UTC),
                base_url="https://kh.example.cn",
            )
    assert not out.exists()
    assert not list(tmp_path.glob(".build-*"))
