"""The tally sheet (计票单) of a closed ballot survey: the PDF's numbers, its verification
code, who may download it, and the staff results page linking it.

The survey is tests/surveys/test_sourced_data.py's leaders' meeting: four voters each
give one grade to both cadres (优秀, 优秀, 称职, 弃权). Per cadre, by hand:
优秀 2, 称职 1, 基本称职 0, 不称职 0, abstentions 1, invalid 0, valid 3;
shares 2/3 = 66.67 %, 1/3 = 33.33 %; score (2 × 1 + 1 × 0.8) / 3 × 100 = 93.33.
No published rulebook names the survey, so the default coefficients count and no
validity rule applies.
"""

from __future__ import annotations

import io

from pypdf import PdfReader

from assessment.app.db import db as _db
from reports.core.codes import ReportKind, parse_verification_code
from reports.core.tally import tally_rows
from reports.services.verify import verify_code
from tests.surveys.test_sourced_data import _build


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_tally_sheet_prints_the_counts_and_a_code_that_verifies(app, client, auth, demo, make):
    built = make(_build)
    survey_id = built["leaders_id"]
    auth.login("clerk")
    page = client.get(f"/admin/surveys/{survey_id}/results").get_data(as_text=True)
    assert f"/admin/surveys/{survey_id}/tally.pdf" in page
    response = client.get(f"/admin/surveys/{survey_id}/tally.pdf?lang=zh_CN")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    assert "计票人" in text and "监票人" in text
    # both cadres' rows and their verification fields carry the score
    assert text.count("93.33") >= 4
    assert "66.7%" in text.replace(" ", "") and "33.3%" in text.replace(" ", "")
    (code,) = [w for w in text.split() if parse_verification_code(w) is not None][:1]
    parsed = parse_verification_code(code)
    assert parsed.kind is ReportKind.TALLY and parsed.version_id == survey_id
    with app.app_context():
        checked = verify_code(_db.session, code)
        assert checked.ok, checked
        values = {c.field: c.expected for c in checked.fields}
        assert values["sheets"] == "4"
        assert {v for k, v in values.items() if k.startswith("target ")} == {
            "2/1/0/0/1/0/0/3/93.33"
        }
        # one changed symbol of the check is a typing mistake, not a valid sheet
        wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
        assert not verify_code(_db.session, wrong).ok
    # the public verify page reads the code too
    auth.logout()
    assert client.get(f"/p/verify/{code}").status_code == 200


def test_only_staff_download_and_only_closed_ballot_surveys(app, client, auth, demo, make):
    built = make(_build)
    auth.login("cadre")
    assert client.get(f"/admin/surveys/{built['leaders_id']}/tally.pdf").status_code in (302, 403)
    auth.logout()
    auth.login("admin")
    assert client.get("/admin/surveys/999999/tally.pdf").status_code == 404


def test_tally_rows_apply_validity_and_count_invalid_apart():
    from assessment.core.ballots import BallotValidity

    # at most one 优秀 per sheet: the second sheet is void for both cadres
    rows = tally_rows(
        [{"a": "excellent", "b": "competent"}, {"a": "excellent", "b": "excellent"}],
        ["a", "b"],
        validity=BallotValidity(max_top=1),
    )
    # a: 优秀 1 of 1 valid -> 100; b: 称职 1 of 1 -> 80; one invalid each
    assert [(r.valid, r.invalid, r.score) for r in rows] == [(1, 1, 100.0), (1, 1, 80.0)]
