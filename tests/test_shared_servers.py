"""Several app servers on one database: what one stores, another serves (issue 18).

Two apps, each with its own instance folder (and upload folder), run against one
database: a SQLite file, or the throwaway PostgreSQL of ``TEST_DATABASE_URL``. Server A
takes the upload or builds the reports; server B, which never saw them, serves them.

Measured before: evidence, objection attachments and built reports were written under the
receiving server's ``instance/``; server B answered 404 for the first two and sent the
official to the build page again for the third.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from assessment.app import create_app
from assessment.app.db import db as _db
from assessment.models import Evidence, Objection, Period, SecretFingerprint, StoredBlob
from assessment.services.demo import DEMO_PASSWORD
from assessment.services.periods import advance_period
from reports.services import documents
from tests.assessment.test_publication import open_notice

PDF = b"%PDF-1.4\n% evidence shared by every server\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"objection attachment"


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    url = app_config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        # one file both servers open (an in-memory database is one process's own)
        url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    return {**app_config, "SQLALCHEMY_DATABASE_URI": url, "BABEL_DEFAULT_LOCALE": "en"}


def _server(config: dict[str, Any], folder: Path, **overrides: Any) -> Flask:
    folder.mkdir()
    return create_app(
        {**config, "UPLOAD_FOLDER": str(folder / "uploads"), **overrides},
        instance_path=str(folder),
    )


@pytest.fixture
def app(app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """Server A, the one the conftest fixtures (demo data, client, auth) work through."""
    server = _server(app_config, tmp_path / "server-a")
    with server.app_context():
        _db.drop_all()
        _db.create_all()
    yield server
    with server.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def other_servers(app_config: dict[str, Any], tmp_path: Path) -> Iterator[Any]:
    """Builds more servers on the same database; their pools are closed at the end."""
    built: list[Flask] = []

    def build(name: str, **overrides: Any) -> Flask:
        server = _server(app_config, tmp_path / name, **overrides)
        built.append(server)
        return server

    yield build
    for server in built:
        with server.app_context():
            _db.session.remove()
            _db.engine.dispose()


def _login(server: Flask, username: str) -> Any:
    client = server.test_client()
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, username
    return client


def _folders_hold_no_file(*servers: Flask) -> bool:
    return not any(
        path.is_file() for s in servers for path in Path(s.config["UPLOAD_FOLDER"]).rglob("*")
    )


@pytest.fixture
def collecting_period(published_rulebook: int, make: Any) -> int:
    def collect(session: Any) -> int:
        period = session.get(Period, published_rulebook)
        advance_period(session, period, "collecting")
        return int(period.id)

    return int(make(collect))


def test_evidence_uploaded_through_one_server_downloads_from_another(
    app, other_servers, collecting_period
):
    server_b = other_servers("server-b")
    assert server_b.instance_path != app.instance_path
    with app.app_context():
        cadre_id = _db.session.scalar(sa.text("SELECT id FROM cadre WHERE code = 'QS009'"))
    upload = _login(app, "assessor1").post(
        f"/admin/periods/{collecting_period}/quantitative/{cadre_id}/W1",
        data={"actual": "12", "source": "统计年报", "evidence": (io.BytesIO(PDF), "台账.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    with server_b.app_context():
        evidence_id = _db.session.scalars(sa.select(Evidence.id)).one()
    download = _login(server_b, "official").get(
        f"/admin/periods/{collecting_period}/evidence/{evidence_id}"
    )
    assert download.status_code == 200
    assert download.data == PDF
    assert "filename*=UTF-8''%E5%8F%B0%E8%B4%A6.pdf" in download.headers["Content-Disposition"]
    assert _folders_hold_no_file(app, server_b)


def test_objection_attachment_filed_through_one_server_downloads_from_another(
    app, other_servers, computed_period, make
):
    open_notice(make)
    server_b = other_servers("server-b")
    filed = _login(app, "cadre").post(
        f"/me/periods/{computed_period}/objections/new",
        data={"indicator": "", "reason": "少算一笔", "attachment": (io.BytesIO(PNG), "照片.png")},
        content_type="multipart/form-data",
    )
    assert filed.status_code == 302
    with server_b.app_context():
        objection_id = _db.session.scalars(sa.select(Objection.id)).one()
    download = _login(server_b, "admin").get(
        f"/admin/periods/{computed_period}/notice/objections/{objection_id}/attachment"
    )
    assert download.status_code == 200
    assert (download.data, download.mimetype) == (PNG, "image/png")
    assert _folders_hold_no_file(app, server_b)


def test_reports_built_on_one_server_are_served_by_another(
    app, other_servers, computed_period, monkeypatch
):
    # Each "PDF" names the page it was made from, so the zip's files can be told apart;
    # the rendering itself has its own tests (tests/reports/).
    monkeypatch.setattr(
        documents,
        "html_to_pdf",
        lambda html: b"%PDF-stub " + hashlib.sha256(html.encode()).hexdigest().encode(),
    )
    server_b = other_servers("server-b")
    built = app.test_cli_runner().invoke(
        args=["reports", "build", "--period", str(computed_period), "--lang", "en"]
    )
    assert built.exit_code == 0, built.output
    assert not (Path(app.instance_path) / "reports").exists()
    url = f"/admin/periods/{computed_period}/results/versions/1/reports/all.zip?lang=en"
    response = _login(server_b, "official").get(url)
    assert response.status_code == 200, response.headers.get("Location")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive, server_b.app_context():
        names = archive.namelist()
        assert names[-1] == f"summary-p{computed_period}-v1-en.pdf"
        stored = {
            sha: bytes(data)
            for sha, data in _db.session.execute(sa.select(StoredBlob.sha256, StoredBlob.data))
        }
        for name in names:
            content = archive.read(name)
            assert content.startswith(b"%PDF-stub ")
            assert stored[hashlib.sha256(content).hexdigest()] == content
    assert len(set(names)) == len(names) > 1


def test_a_server_with_other_secrets_refuses_to_serve_and_says_why(
    app, other_servers, demo, caplog
):
    assert app.test_client().get("/login").status_code == 200  # server A records its secrets
    with app.app_context():
        assert set(_db.session.scalars(sa.select(SecretFingerprint.name))) == {
            "SECRET_KEY",
            "ACCESS_CODE_HASH_KEY",
        }
    same = other_servers("server-b")
    assert same.test_client().get("/login").status_code == 200
    other = other_servers("server-c", ACCESS_CODE_HASH_KEY="another-key-" + "z" * 32)
    with caplog.at_level(logging.CRITICAL, logger="assessment.app.secret_check"):
        assert other.test_client().get("/login").status_code == 500
        assert other.test_client().get("/login").status_code == 500  # every request, not once
    assert "ACCESS_CODE_HASH_KEY of this server differ" in caplog.text
    checked = other.test_cli_runner().invoke(args=["keys", "check"])
    assert checked.exit_code != 0
    assert "ACCESS_CODE_HASH_KEY of this server differ" in checked.output
    assert same.test_cli_runner().invoke(args=["keys", "check"]).exit_code == 0


def test_a_deliberate_rotation_is_recorded_and_then_the_old_secrets_are_refused(
    app, other_servers, demo
):
    assert app.test_client().get("/login").status_code == 200
    rotated = other_servers("server-b", SECRET_KEY="rotated-secret-" + "r" * 32)
    runner = rotated.test_cli_runner()
    assert runner.invoke(args=["keys", "record"]).exit_code != 0  # --replace is required
    assert runner.invoke(args=["keys", "record", "--replace"]).exit_code == 0
    assert rotated.test_client().get("/login").status_code == 200
    stale = other_servers("server-c")  # still the old SECRET_KEY, like server A
    checked = stale.test_cli_runner().invoke(args=["keys", "check"])
    assert checked.exit_code != 0 and "SECRET_KEY" in checked.output
