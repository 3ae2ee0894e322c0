"""Report downloads: who gets which PDF, the zip of all, the cadre's own scorecard, 404s."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from assessment.app.db import db, unit_of_work
from assessment.models import Account, Period, ResultVersion
from assessment.services import publication

BASE = "/admin/periods/{period}/results/versions/{number}/reports"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en", "PUBLIC_BASE_URL": "https://kh.example.cn"}


def _text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def _result(app, period_id):
    with app.app_context():
        version = db.session.query(ResultVersion).filter_by(period_id=period_id, number=1).one()
        return json.loads(version.payload)["result"]


def _open_notice(app, period_id):
    with app.app_context(), unit_of_work(None, reason="test: open the notice"):
        publication.open_notice(
            db.session,
            period=db.session.get(Period, period_id),
            starts_on=date(2026, 12, 7),
            working_days=5,
            review_working_days=5,
            instructions="镇党政办受理",
            holidays=(),
            extra_workdays=(),
            actor_id=None,
        )


def test_official_downloads_a_scorecard_as_an_attachment(app, client, auth, computed_period):
    cadre = _result(app, computed_period)["cadres"][3]
    auth.login("official")
    url = BASE.format(period=computed_period, number=1) + f"/scorecards/{cadre['id']}.pdf"
    response = client.get(url + "?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"-{cadre['code']}-en.pdf" in disposition
    assert "no-store" in response.headers["Cache-Control"]
    text = _text(response.data)
    assert cadre["name"] in text and f"{cadre['total']:.2f}" in text
    # The verification link uses PUBLIC_BASE_URL, not the test client's host.
    assert "https://kh.example.cn/p/verify/" in text.replace("\n", "")


def test_team_downloads_the_summary_in_chinese(app, client, auth, computed_period):
    auth.login("assessor1")
    url = BASE.format(period=computed_period, number=1) + "/summary.pdf?lang=zh_CN"
    response = client.get(url)
    assert response.status_code == 200
    text = _text(response.data)
    assert "称职" in text  # grade names from the rulebook, in Chinese
    for cadre in _result(app, computed_period)["cadres"]:
        assert f"{cadre['total']:.2f}" in text


def test_zip_holds_every_scorecard_and_the_summary(
    app, client, auth, computed_period, tmp_path, monkeypatch
):
    from reports.services import builds

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    # The build runs in the request's thread here: the same function, no thread to wait on.
    monkeypatch.setitem(app.extensions, "reports.start_build", builds.run_build)
    cadres = _result(app, computed_period)["cadres"]
    auth.login("official")
    base = BASE.format(period=computed_period, number=1)
    first = client.get(base + "/all.zip?lang=en")
    assert first.status_code == 303 and first.headers["Location"].endswith("/build?lang=en")
    assert "Prepare every report" in client.get(base + "/build?lang=en").get_data(as_text=True)
    assert client.post(base + "/build?lang=en").status_code == 303
    page = client.get(base + "/build?lang=en").get_data(as_text=True)
    assert "The reports are ready." in page
    response = client.get(base + "/all.zip?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        scorecards = [n for n in names if n.startswith("scorecard-")]
        assert len(scorecards) == len(cadres) == 40
        assert {n.split("-")[3] for n in scorecards} == {c["code"] for c in cadres}
        assert f"summary-p{computed_period}-v1-en.pdf" in names
        one = next(n for n in scorecards if f"-{cadres[0]['code']}-" in n)
        assert cadres[0]["name"] in _text(archive.read(one))


def test_notice_pdf_exists_once_the_notice_opened(app, client, auth, computed_period):
    auth.login("official")
    url = BASE.format(period=computed_period, number=1) + "/notice.pdf"
    assert client.get(url).status_code == 404
    _open_notice(app, computed_period)
    response = client.get(url)
    assert response.status_code == 200
    assert "镇党政办受理" in _text(response.data)


@pytest.mark.parametrize(
    "path",
    [
        "/versions/2/reports/summary.pdf",  # no version 2
        "/versions/1/reports/scorecards/99999.pdf",  # not in the result
        "/versions/1/reports/summary.pdf?lang=fr",
        "/versions/1/reports/all.zip?lang=xx",
        "/versions/1/reports/scorecards/1.pdf?lang=",
    ],
)
def test_bad_url_values_are_not_found(app, client, auth, computed_period, path):
    auth.login("admin")
    response = client.get(f"/admin/periods/{computed_period}/results" + path)
    assert response.status_code == 404
    assert not response.data.startswith(b"%PDF") and not response.data.startswith(b"PK")


def test_period_outside_scope_is_not_found(app, client, auth, computed_period):
    auth.login("official")
    assert client.get(BASE.format(period=999, number=1) + "/summary.pdf").status_code == 404


def test_clerk_and_cadre_cannot_download_staff_reports(app, client, auth, computed_period):
    url = BASE.format(period=computed_period, number=1) + "/summary.pdf"
    auth.login("clerk")
    assert client.get(url).status_code == 403
    client.post("/logout")
    auth.login("cadre")
    assert client.get(url).status_code == 403


def test_cadre_gets_own_scorecard_only_once_results_are_public(app, client, auth, computed_period):
    with app.app_context():
        own_id = db.session.query(Account).filter_by(username="cadre").one().cadre_id
    cadres = _result(app, computed_period)["cadres"]
    own = next(c for c in cadres if c["id"] == str(own_id))
    auth.login("cadre")
    url = f"/me/periods/{computed_period}/scorecard.pdf"
    assert client.get(url).status_code == 404  # computed, not yet on notice
    _open_notice(app, computed_period)
    response = client.get(url + "?lang=zh_CN")
    assert response.status_code == 200
    text = _text(response.data)
    assert own["name"] in text and f"{own['total']:.2f}" in text
    others = [c["name"] for c in cadres if c["id"] != own["id"]]
    assert not [name for name in others if name in text]
    assert client.get(f"/me/periods/{computed_period}/scorecard.pdf?lang=de").status_code == 404
    assert client.get("/me/periods/999/scorecard.pdf").status_code == 404


def test_version_page_links_to_the_reports_for_officials_not_clerks(
    app, client, auth, computed_period
):
    cadre = _result(app, computed_period)["cadres"][0]
    page = f"/admin/periods/{computed_period}/results/versions/1"
    base = BASE.format(period=computed_period, number=1)
    auth.login("official")
    html = client.get(page).get_data(as_text=True)
    assert f'href="{base}/summary.pdf?lang=en"' in html
    assert f'href="{base}/all.zip"' in html
    assert f'href="{base}/scorecards/{cadre["id"]}.pdf"' in html
    assert f"{base}/notice.pdf" not in html  # not on notice yet
    client.post("/logout")
    auth.login("clerk")
    html = client.get(page).get_data(as_text=True)
    assert "/reports/" not in html


def test_period_page_links_to_the_final_reports(app, client, auth, computed_period, make):
    def finalise(session):
        period = session.get(Period, computed_period)
        period.status = "final"
        period.final_version_number = 1

    make(finalise)
    auth.login("official")
    html = client.get(f"/admin/periods/{computed_period}").get_data(as_text=True)
    base = BASE.format(period=computed_period, number=1)
    assert f'href="{base}/summary.pdf"' in html and f'href="{base}/all.zip"' in html


def test_zip_uses_the_built_files_when_every_one_is_there(
    app, client, auth, computed_period, monkeypatch
):
    from assessment.models.storage import StoredBlob
    from reports.models import ReportBuild
    from reports.services import documents

    # Each "PDF" names its page, so the zip's files can be told apart from fresh ones.
    monkeypatch.setattr(
        documents, "html_to_pdf", lambda html: b"%PDF built " + str(len(html)).encode()
    )
    built = app.test_cli_runner().invoke(
        args=["reports", "build", "--period", str(computed_period), "--lang", "en"]
    )
    assert built.exit_code == 0, built.output
    monkeypatch.setattr(documents, "html_to_pdf", lambda html: b"%PDF fresh")
    with app.app_context():
        data = documents.load_version(db.session, db.session.get(Period, computed_period), 1)
        names = documents.report_names(data, "en")
        files = dict(db.session.scalars(sa.select(ReportBuild)).one().files)
    auth.login("official")
    url = BASE.format(period=computed_period, number=1) + "/all.zip?lang=en"
    with zipfile.ZipFile(io.BytesIO(client.get(url).data)) as archive:
        assert archive.namelist() == names
        assert archive.read(names[0]).startswith(b"%PDF built ")
    # One file's bytes gone (a build that did not finish storing): the build page,
    # nothing rendered.
    with app.app_context():
        db.session.execute(sa.delete(StoredBlob).where(StoredBlob.sha256 == files[names[5]]))
        db.session.commit()
    missing = client.get(url)
    assert missing.status_code == 303 and "/build?lang=en" in missing.headers["Location"]
