"""Stored files (assessment/services/evidence.py): checks, size limit, blobs, missing bytes, import.

Every file a server stores is a content-addressed blob in the database (issue 18). The
content checks and the size limit of the upload-folder version stay; a missing or
damaged blob is a 404 with a log line, never a 500 or the wrong bytes; and the files of
an older version's upload folder are copied in by ``flask files import``.
"""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from assessment.app.db import db, unit_of_work
from assessment.core.errors import FieldError
from assessment.models import Evidence, Period, StoredBlob
from assessment.services import evidence as files
from assessment.services.periods import advance_period

PDF = b"%PDF-1.4\n% stored file\n%%EOF\n"
MAX = 1024


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}  # the command's output is read below


def _count(app, model) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)))


def test_an_upload_is_stored_once_per_content_and_read_back(app):
    with app.app_context(), unit_of_work(None) as session:
        first = files.store_upload(session, io.BytesIO(PDF), "C:\\scans\\台账.PDF", max_bytes=MAX)
        second = files.store_upload(session, io.BytesIO(PDF), "copy.pdf", max_bytes=MAX)
    assert first.sha256 == second.sha256 == hashlib.sha256(PDF).hexdigest()
    assert first.stored_name != second.stored_name  # each upload has its own name
    assert (first.original_name, first.content_type, first.size) == (
        "台账.PDF",
        "application/pdf",
        len(PDF),
    )
    assert _count(app, StoredBlob) == 1
    with app.app_context():
        assert files.read_blob(db.session, first.sha256) == PDF


@pytest.mark.parametrize(
    ("content", "filename", "code", "params"),
    [
        (b"MZ\x90\x00", "tool.exe", "evidence_type", {"extension": "exe"}),
        (b"MZ\x90\x00", "no-extension", "evidence_type", {"extension": "-"}),
        (b"MZ\x90\x00 renamed", "scan.pdf", "evidence_content", {"extension": "pdf"}),
        (b"%PDF-1.4 but called png", "photo.png", "evidence_content", {"extension": "png"}),
        (b"", "empty.docx", "evidence_empty", {}),
        # the limit is MAX bytes: MAX + 1 is refused, at 0.0 MB when rounded (1 KiB here)
        (b"%PDF-" + b"x" * (MAX - 4), "big.pdf", "evidence_too_large", {"max_mb": 0.0}),
    ],
)
def test_bad_uploads_are_refused_by_name_and_code_and_nothing_is_stored(
    app, content, filename, code, params
):
    with pytest.raises(FieldError) as refused, app.app_context(), unit_of_work(None) as session:
        files.store_upload(
            session, io.BytesIO(content), filename, max_bytes=MAX, field="attachment"
        )
    assert (refused.value.field, refused.value.code) == ("attachment", code)
    for key, value in params.items():
        assert refused.value.params[key] == value
    assert _count(app, StoredBlob) == 0


def test_a_file_of_exactly_the_limit_is_accepted(app):
    content = b"%PDF-" + b"x" * (MAX - 5)
    assert len(content) == MAX
    with app.app_context(), unit_of_work(None) as session:
        stored = files.store_upload(session, io.BytesIO(content), "edge.pdf", max_bytes=MAX)
    assert stored.size == MAX


def test_a_rolled_back_unit_of_work_stores_nothing(app):
    with (
        pytest.raises(RuntimeError),
        app.app_context(),
        unit_of_work(None) as session,
    ):
        files.store_upload(session, io.BytesIO(PDF), "a.pdf", max_bytes=MAX)
        raise RuntimeError("the save failed after the upload")
    assert _count(app, StoredBlob) == 0


@pytest.fixture
def evidence_row(app, published_rulebook, make):
    """An evidence row whose bytes are not stored (as after an upgrade, before import)."""

    def add(session):
        period = session.get(Period, published_rulebook)
        advance_period(session, period, "collecting")
        row = Evidence(
            period_id=period.id,
            stored_name="0123456789abcdef0123456789abcdef",
            original_name="旧台账.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256=hashlib.sha256(PDF).hexdigest(),
        )
        session.add(row)
        session.flush()
        return row.id

    return make(add)


def test_missing_and_damaged_bytes_raise_and_the_download_is_a_logged_404(
    app, client, auth, evidence_row, caplog
):
    sha = hashlib.sha256(PDF).hexdigest()
    with app.app_context():
        with pytest.raises(files.MissingFileError) as missing:
            files.read_blob(db.session, sha)
        assert missing.value.problem == "missing"
    # uploaded for a result through the page, then its blob lost
    with app.app_context():
        period_id = db.session.get(Evidence, evidence_row).period_id
        cadre_id = db.session.scalar(sa.text("SELECT id FROM cadre WHERE code = 'QS009'"))
    auth.login("assessor1")
    response = client.post(
        f"/admin/periods/{period_id}/quantitative/{cadre_id}/W1",
        data={"actual": "12", "source": "x", "evidence": (io.BytesIO(PDF), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        uploaded = db.session.scalar(sa.select(sa.func.max(Evidence.id)))
    url = f"/admin/periods/{period_id}/evidence/{uploaded}"
    assert client.get(url).data == PDF
    with app.app_context(), unit_of_work(None) as session:
        session.execute(sa.delete(StoredBlob))
    with caplog.at_level(logging.ERROR, logger="assessment.views.downloads"):
        assert client.get(url).status_code == 404
    assert f"stored file of evidence {uploaded} is missing" in caplog.text
    # bytes under the right key but altered afterwards: refused, never served
    with app.app_context(), unit_of_work(None) as session:
        session.add(StoredBlob(sha256=sha, size=len(PDF), data=PDF.replace(b"stored", b"forged")))
    with app.app_context():
        with pytest.raises(files.MissingFileError) as damaged:
            files.read_blob(db.session, sha)
        assert damaged.value.problem == "damaged"
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="assessment.views.downloads"):
        assert client.get(url).status_code == 404
    assert f"stored file of evidence {uploaded} is damaged" in caplog.text


def test_import_copies_the_old_upload_folder_once_and_names_what_it_cannot(
    app, runner, evidence_row, make, tmp_path
):
    folder = Path(tmp_path / "old-uploads")
    folder.mkdir()
    (folder / "0123456789abcdef0123456789abcdef").write_bytes(PDF)
    damaged = b"%PDF-1.4 a file changed on disk"

    def more_rows(session):
        period_id = session.get(Evidence, evidence_row).period_id
        for stored_name, content in (("ab" * 16, damaged), ("cd" * 16, b"%PDF never written")):
            session.add(
                Evidence(
                    period_id=period_id,
                    stored_name=stored_name,
                    original_name="x.pdf",
                    content_type="application/pdf",
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                )
            )
        session.flush()
        return sorted(session.scalars(sa.select(Evidence.id)))

    ids = make(more_rows)
    (folder / ("ab" * 16)).write_bytes(damaged.replace(b"changed", b"CHANGED"))
    result = runner.invoke(args=["files", "import", "--folder", str(folder)])
    assert result.exit_code == 1
    assert "Imported 1 files" in result.output and "0 were stored already" in result.output
    assert f"Evidence {ids[1]}: its file is not the one recorded" in result.output
    assert f"Evidence {ids[2]}: its file is missing." in result.output
    with app.app_context():
        assert files.read_blob(db.session, hashlib.sha256(PDF).hexdigest()) == PDF
    again = runner.invoke(args=["files", "import", "--folder", str(folder)])
    assert "Imported 0 files" in again.output and "1 were stored already" in again.output
    assert _count(app, StoredBlob) == 1
