"""Every report of a version is rendered outside the request, with its progress shown.

Measured before: "download all reports" rendered 41 PDFs inside the request (35 s for
the demo), which gunicorn's 30-second timeout kills with a 500 for the official.
"""

from __future__ import annotations

import io
import threading
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from assessment.app.db import db, unit_of_work, utcnow
from assessment.models import Period
from reports.models import ReportBuild
from reports.services import builds, documents

BASE = "/admin/periods/{period}/results/versions/1/reports"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en", "PUBLIC_BASE_URL": "https://kh.example.cn"}


@pytest.fixture
def started(app, monkeypatch, tmp_path):
    """Record the builds the pages start, without running them."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    calls: list[int] = []
    monkeypatch.setitem(
        app.extensions, "reports.start_build", lambda _app, build_id, _url: calls.append(build_id)
    )
    return calls


def _build_row(app):
    with app.app_context():
        return db.session.scalars(sa.select(ReportBuild)).one()


def test_a_second_click_while_building_starts_no_second_build(
    app, client, auth, computed_period, started
):
    auth.login("official")
    url = BASE.format(period=computed_period) + "/build?lang=en"
    client.post(url)
    client.post(url)
    assert len(started) == 1
    page = client.get(url)
    assert page.headers["Refresh"] == "3"
    assert "Rendering the reports: 0 of 41 done." in page.get_data(as_text=True)
    assert "Prepare every report" not in page.get_data(as_text=True)


def test_a_build_whose_worker_died_can_be_started_again(
    app, client, auth, computed_period, started
):
    auth.login("assessor1")
    url = BASE.format(period=computed_period) + "/build?lang=en"
    client.post(url)
    with app.app_context(), unit_of_work(None):
        row = db.session.scalars(sa.select(ReportBuild)).one()
        row.heartbeat_at = utcnow() - builds.STALE_AFTER - timedelta(seconds=1)
    page = client.get(url).get_data(as_text=True)
    assert "stopped before it finished" in page and "Prepare every report" in page
    client.post(url)
    assert len(started) == 2 and started[0] == started[1]  # the same row, claimed again


def test_a_failed_build_keeps_no_files_and_says_so(
    app, client, auth, computed_period, monkeypatch, tmp_path
):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.extensions, "reports.start_build", builds.run_build)
    rendered = []

    def fail_on_the_third(html):
        rendered.append(1)
        if len(rendered) == 3:
            raise RuntimeError("renderer crashed")
        return b"%PDF"

    monkeypatch.setattr(documents, "html_to_pdf", fail_on_the_third)
    auth.login("official")
    url = BASE.format(period=computed_period) + "/build?lang=en"
    client.post(url)
    row = _build_row(app)
    assert (row.status, row.files) == ("failed", [])
    zip_url = BASE.format(period=computed_period) + "/all.zip?lang=en"
    assert client.get(zip_url).status_code == 303  # to the build page: nothing to serve
    page = client.get(url).get_data(as_text=True)
    with app.app_context():
        period = db.session.get(Period, computed_period)
        third = documents.report_names(documents.load_version(db.session, period, 1), "en")[2]
    assert f"The last attempt failed (RuntimeError, {third})" in page


def test_a_build_in_its_thread_finishes_and_the_zip_is_served(
    app, client, auth, computed_period, monkeypatch, tmp_path
):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setattr(documents, "html_to_pdf", lambda html: b"%PDF quick")
    auth.login("official")
    url = BASE.format(period=computed_period) + "/build?lang=en"
    assert client.post(url).status_code == 303
    # Join the thread rather than poll its row: the test's in-memory SQLite is one
    # connection shared by every thread, and reading it while the build writes races.
    (thread,) = [t for t in threading.enumerate() if t.name.startswith("report-build-")]
    thread.join(timeout=120)
    assert not thread.is_alive(), "the build thread did not finish"
    row = _build_row(app)
    assert (row.status, row.done, row.total) == ("done", 41, 41)
    response = client.get(BASE.format(period=computed_period) + "/all.zip?lang=en")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert len(archive.namelist()) == 41


def test_only_report_readers_start_builds(client, auth, computed_period, started):
    auth.login("clerk")
    assert client.post(BASE.format(period=computed_period) + "/build?lang=en").status_code == 403
    assert started == []
