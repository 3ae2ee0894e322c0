"""``flask reports build``: every scorecard and the summary stored (and copied to a folder);
bad values refused."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from assessment.app.db import db
from assessment.models import Period, ResultVersion, StoredBlob
from assessment.services.evidence import read_blob
from reports.models import ReportBuild
from reports.services import builds, documents


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
    stored_line, copies_line = result.output.strip().splitlines()[-2:]
    assert stored_line.startswith(f"Stored {len(cadres) + 1} PDF files ({len(cadres)} scorecards")
    assert copies_line == f"Copies written to {out}"
    # the copies are the stored files, which the zip download serves
    with app.app_context():
        data = documents.load_version(db.session, db.session.get(Period, computed_period), 1)
        built = builds.find_built(db.session, data, "en")
        assert built is not None and sorted(name for name, _ in built) == files
        for name, sha256 in built:
            assert read_blob(db.session, sha256) == (out / name).read_bytes()


def test_build_defaults_to_the_newest_version_stored_for_every_server(
    app, runner, computed_period, tmp_path, monkeypatch
):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    # The names and the stored build are under test here; the PDFs are in the test above.
    monkeypatch.setattr(documents, "html_to_pdf", lambda html: b"%PDF-1.7 stub")
    result = runner.invoke(args=["reports", "build", "--period", str(computed_period)])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "reports").exists(), "nothing is written to the instance folder"
    with app.app_context():
        data = documents.load_version(db.session, db.session.get(Period, computed_period), 1)
        built = builds.find_built(db.session, data, "zh_CN")
    assert built is not None
    names = [name for name, _ in built]
    assert names[-1] == f"summary-p{computed_period}-v1-zh_CN.pdf"
    assert len(names) == len(_cadres(app, computed_period)) + 1


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


@pytest.mark.parametrize("workers", ["1", "2"])
def test_failed_render_leaves_no_build_and_no_folder(
    app, runner, computed_period, tmp_path, monkeypatch, workers
):
    third = _cadres(app, computed_period)[2]

    def failing(html: str) -> bytes:  # in the worker processes too (forked)
        if third["name"] in html:  # its scorecard, and the summary (last)
            raise RuntimeError("renderer crashed")
        return b"%PDF-1.7 stub"

    monkeypatch.setattr(documents, "html_to_pdf", failing)
    out = tmp_path / "v1"
    args = ["reports", "build", "--period", str(computed_period), "--lang", "en", "--out", out]
    result = runner.invoke(args=[*args, "--workers", workers])
    assert result.exit_code != 0
    assert isinstance(result.exception, documents.ReportRenderError)
    assert result.exception.name == f"scorecard-p{computed_period}-v1-{third['code']}-en.pdf"
    assert "renderer crashed" in str(result.exception)
    assert not out.exists()
    with app.app_context():
        assert db.session.scalars(sa.select(ReportBuild)).all() == []
        assert db.session.scalars(sa.select(StoredBlob)).all() == []


def test_workers_must_be_at_least_one(runner, computed_period):
    args = ["reports", "build", "--period", str(computed_period), "--workers", "0"]
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert "--workers" in result.output and "0" in result.output
