"""The open-data bundle: files, suppression, hashes, and the database-free recompute.

Bundles are built from the ``computed_period`` fixture and from the seeded demo (a
final 2025 period and a 2026 period on notice, with a real resident survey); the
recompute must give back their ``results.csv`` byte for byte, in a fresh interpreter
that loads neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import csv
import doctest
import io
import json
import math
import re
import subprocess
import sys
import zipfile
from collections import Counter
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

import reports.core.bundle as bundle_core
from assessment.app.db import db, unit_of_work, utcnow
from assessment.core.cells import decode_csv
from assessment.core.precision import Precision
from assessment.models import Period, Unit
from reports.core.bundle import (
    CHECKSUMS,
    HEADERS,
    INPUT_FILES,
    MANIFEST,
    BundleError,
    check_checksums,
    checksums_text,
    exact_number,
    fixed_number,
    inputs_from_tables,
    manifest_json,
    read_zip,
    suppressed_groups,
    survey_tables,
    write_zip,
)
from reports.recompute import check_bundle, check_bundle_files
from reports.services.bundle import build_bundle
from surveys.models.surveys import Response, Survey
from surveys.services import surveys as services
from surveys.services.queries import list_items
from tests.surveys.conftest import answer_online, build_survey
from tests.test_demo import seeded  # noqa: F401 (the module-scoped seeded demo)

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 1)
BANNED = ("flask", "flask_sqlalchemy", "flask_babel", "sqlalchemy", "werkzeug", "jinja2", "wtforms")


def _files(bundle: bytes) -> dict[str, bytes]:
    return read_zip(bundle)


def _rows(text: bytes | str) -> list[dict[str, str]]:
    if isinstance(text, bytes):
        text = decode_csv(text)
    return list(csv.DictReader(io.StringIO(text)))


def _rezip(files: dict[str, bytes], *, fix_hashes: bool) -> bytes:
    files = dict(files)
    if fix_hashes:
        data = {k: v for k, v in files.items() if k not in (MANIFEST, CHECKSUMS)}
        meta = json.loads(files[MANIFEST])
        del meta["files"]
        data[MANIFEST] = manifest_json(data, meta)
        data[CHECKSUMS] = checksums_text(data)
        files = data
    return write_zip(files, folder="b", day=(2026, 12, 1))


# ---------------------------------------------------------------------------
# pure parts
# ---------------------------------------------------------------------------


def test_doctests_pass():
    failures, tried = doctest.testmod(bundle_core)
    assert tried > 0
    assert failures == 0


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_exact_number_reads_back_as_the_same_double(value):
    assert float(exact_number(value)) == value


def test_fixed_number_writes_the_declared_decimals_and_one_zero():
    # the published values: two decimals, half up, on the value's decimal
    assert fixed_number(88.116666666666667) == "88.12"
    assert fixed_number(28.125) == "28.13"
    assert fixed_number(-0.0) == fixed_number(-4e-7) == "0.00"
    assert fixed_number(94.0, Precision(0)) == "94"
    assert fixed_number(float("nan")) == fixed_number(None) == ""


def test_suppression_hides_small_groups_and_what_would_reveal_them():
    # target t: groups of 2 (primary) and 9 and 6 (shown); 2 < 5 alone would be the
    # published total minus the shown groups, so the smallest shown group (6) goes too
    counts = {("t", "a"): 2, ("t", "b"): 9, ("t", "c"): 6}
    assert suppressed_groups(counts, 5) == {("t", "a"), ("t", "c")}
    # two small groups adding up to the minimum need no second suppression
    assert suppressed_groups({("t", "a"): 2, ("t", "b"): 3, ("t", "c"): 9}, 5) == {
        ("t", "a"),
        ("t", "b"),
    }
    # a parent made only of small groups: all hidden; nothing small: nothing hidden
    assert suppressed_groups({("u", "a"): 1, ("u", "b"): 2}, 5) == {("u", "a"), ("u", "b")}
    assert suppressed_groups({("v", "a"): 5, ("v", "b"): 7}, 5) == set()
    # the minimum is the period's: with 3, the group of 4 may be shown
    assert suppressed_groups({("t", "a"): 2, ("t", "b"): 4, ("t", "c"): 9}, 3) == {
        ("t", "a"),
        ("t", "b"),
    }


SURVEYS = [
    {
        "indicator": "S1",
        "target": "7",
        "n_invalid": 1,
        "n_excluded": 2,
        "responses": [["3", 75, 6], ["4", 50, 1], ["4", 200 / 3, 1]],
    }
]


def test_survey_scores_carry_no_unit_without_post_stratification():
    tables = survey_tables(SURVEYS, post_stratification=False, min_group_size=5)
    rows = _rows(tables.scores)
    assert {r["unit"] for r in rows} == {""}
    assert [(r["score"], r["count"]) for r in rows] == [
        ("50", "1"),
        ("66.66666666666667", "1"),
        ("75", "6"),
    ]
    assert _rows(tables.targets) == [
        {"indicator": "S1", "target": "7", "n_valid": "8", "n_invalid": "1", "n_excluded": "2"}
    ]
    assert tables.unreproducible == ()


def test_post_stratified_scores_keep_units_of_large_groups_only():
    tables = survey_tables(SURVEYS, post_stratification=True, min_group_size=5)
    # unit 4 has 2 responses (< 5) and unit 3 would then be derivable: both blanked
    assert {r["unit"] for r in _rows(tables.scores)} == {""}
    assert tables.blanked_groups == 2
    assert tables.unreproducible == (("S1", "7"),)
    shown = survey_tables(SURVEYS, post_stratification=True, min_group_size=2)
    assert {r["unit"] for r in _rows(shown.scores)} == {"3", "4"}
    assert shown.unreproducible == ()


def _empty_inputs() -> dict[str, str]:
    return {name: ",".join(HEADERS[name]) + "\n" for name in INPUT_FILES}


@pytest.mark.parametrize(
    ("name", "text", "line", "column", "reason"),
    [
        ("quantitative.csv", "cadre,indicator,value\n7,Q1,ninety\n", 2, "value", "not_a_number"),
        (
            "units.csv",
            "id,name,population,households\n3,x,100,-4\n",
            2,
            "households",
            "not_a_count",
        ),
        ("cadres.csv", "id,code,name\n7,QS007,王\n", 1, None, "unexpected_header"),
        ("events.csv", "id,cadre,indicator,points\n1,7,B1\n", 2, None, "wrong_number_of_cells"),
        (
            "decisions.csv",
            "cadre,indicator,kind,reason\n7,Q1,guess,x\n",
            2,
            None,
            "unknown_decision_kind",
        ),
    ],
)
def test_bad_input_files_name_the_file_line_and_column(name, text, line, column, reason):
    files = {**_empty_inputs(), name: text}
    with pytest.raises(BundleError) as caught:
        inputs_from_tables(files)
    error = caught.value
    assert (error.file, error.row, error.column, error.reason) == (name, line, column, reason)


def test_survey_counts_must_agree_between_the_two_survey_files():
    files = _empty_inputs()
    files["survey_targets.csv"] += "S1,7,3,0,0\n"
    files["survey_scores.csv"] += "S1,7,,75,2\n"
    with pytest.raises(BundleError, match="n valid differs"):
        inputs_from_tables(files)


def test_a_missing_input_file_is_named():
    files = _empty_inputs()
    del files["panel_values.csv"]
    with pytest.raises(BundleError, match=r"panel_values\.csv: missing file"):
        inputs_from_tables(files)


def test_read_zip_refuses_what_is_not_a_flat_bundle():
    with pytest.raises(BundleError, match="not a zip file"):
        read_zip(b"PK not really")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a/b/../c.csv", "x")
    with pytest.raises(BundleError, match="unexpected path"):
        read_zip(out.getvalue())


def test_checksums_catch_a_changed_file_and_a_missing_one():
    files = {"a.csv": b"1\n", "b.csv": b"2\n"}
    files[MANIFEST] = manifest_json(files, {"format": "x"})
    files[CHECKSUMS] = checksums_text(files)
    assert check_checksums(files) == []
    assert ("a.csv", "sha256_differs_from_manifest") in check_checksums({**files, "a.csv": b"9\n"})
    without = {k: v for k, v in files.items() if k != "b.csv"}
    assert ("b.csv", "listed_but_missing") in check_checksums(without)


# ---------------------------------------------------------------------------
# a bundle of the computed_period fixture
# ---------------------------------------------------------------------------


@pytest.fixture
def bundle(app, computed_period) -> bytes:
    with app.app_context():
        built = build_bundle(
            db.session, period=db.session.get(Period, computed_period), today=TODAY
        )
    assert built.reproduced
    return built.data


def test_bundle_holds_the_documented_files(bundle):
    files = _files(bundle)
    assert set(files) == {
        *INPUT_FILES,
        "rulebook.yaml",
        "responses.csv",
        "questions.csv",
        "results.csv",
        MANIFEST,
        CHECKSUMS,
    }
    manifest = json.loads(files[MANIFEST])
    assert manifest["version"]["number"] == 1
    assert manifest["generated_on"] == "2026-12-01"
    assert manifest["reproduced"] is True
    assert set(manifest["files"]) == set(files) - {MANIFEST, CHECKSUMS}


def test_results_csv_holds_the_stored_numbers(app, bundle):
    from assessment.models import ResultVersion
    from assessment.services.results import payload_of

    rows = {r["cadre"]: r for r in _rows(_files(bundle)["results.csv"])}
    with app.app_context():
        stored = payload_of(db.session.scalars(sa.select(ResultVersion)).one())["result"]
    assert len(rows) == len(stored["cadres"]) == 40
    for cadre in stored["cadres"]:
        row = rows[cadre["id"]]
        # the published numbers, exactly: two decimals that read back to the stored value
        assert row["total"] == f"{cadre['total']:.2f}"
        assert Decimal(row["total"]) == Decimal(repr(cadre["total"]))
        assert (row["rank"], row["grade"]) == (str(cadre["rank"]), cadre["grade"])
        for item in cadre["indicators"]:
            assert Decimal(row[f"points.{item['code']}"]) == Decimal(repr(item["points"]))


def test_recompute_reproduces_results_csv_byte_for_byte(bundle):
    report = check_bundle(bundle)
    assert report.ok, (report.error, report.hash_problems, report.differing[:3])
    assert report.results == decode_csv(_files(bundle)["results.csv"])


def test_recompute_runs_in_a_fresh_interpreter_without_flask(bundle, tmp_path):
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle)
    out = tmp_path / "out"
    script = (
        "import json, sys\n"
        "from reports.recompute import main\n"
        f"status = main([{str(path)!r}, '--out', {str(out)!r}])\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {BANNED!r})\n"
        "print(json.dumps({'status': status, 'loaded': loaded}))\n"
    )
    run = subprocess.run(  # noqa: S603  (our own interpreter on a fixed script)
        [sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True
    )
    outcome = json.loads(run.stdout.splitlines()[-1])
    assert outcome == {"status": 0, "loaded": []}
    assert "results.csv: reproduced byte for byte (40 cadres)" in run.stdout
    assert (out / "results.csv").read_bytes() == _files(bundle)["results.csv"]


def test_python_dash_m_recompute_exit_status(bundle, tmp_path):
    good = tmp_path / "good.zip"
    good.write_bytes(bundle)
    command = [sys.executable, "-m", "reports.recompute"]
    assert subprocess.run([*command, str(good)], cwd=ROOT, capture_output=True).returncode == 0  # noqa: S603
    files = _files(bundle)
    files["quantitative.csv"] = files["quantitative.csv"].replace(b",", b";", 1)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(_rezip(files, fix_hashes=False))
    run = subprocess.run([*command, str(bad)], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    assert run.returncode == 1
    assert "quantitative.csv: sha256 differs from manifest" in run.stdout
    missing = subprocess.run([*command, str(tmp_path / "none.zip")], cwd=ROOT, capture_output=True)  # noqa: S603
    assert missing.returncode == 2


def test_shasum_tools_check_the_bundle(bundle, tmp_path):
    """What docs/open-data.md tells an auditor to run: ``sha256sum -c SHA256SUMS``."""
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        archive.extractall(tmp_path)
    folder = next(tmp_path.iterdir())
    run = subprocess.run(
        ["/usr/bin/sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count(": OK") == len(list(folder.iterdir())) - 1


def test_an_edited_input_with_fixed_hashes_changes_the_recomputed_results(bundle):
    """A forger who fixes the manifest cannot make the published results follow."""
    files = _files(bundle)
    rows = _rows(files["quantitative.csv"])
    first = rows[0]
    text = decode_csv(files["quantitative.csv"])
    line = f"{first['cadre']},{first['indicator']},{first['value']}\n"
    files["quantitative.csv"] = text.replace(
        line, f"{first['cadre']},{first['indicator']},0\n"
    ).encode()
    report = check_bundle_files(read_zip(_rezip(files, fix_hashes=True)))
    assert report.hash_problems == []
    assert report.differing
    assert not report.ok
    assert any(f"{first['cadre']}," in published for _line, published, _new in report.differing)


def test_csv_files_start_with_the_byte_order_mark_excel_needs(bundle):
    files = _files(bundle)
    csv_names = [name for name in files if name.endswith(".csv")]
    assert "cadres.csv" in csv_names and "results.csv" in csv_names
    for name in csv_names:
        assert files[name].startswith(b"\xef\xbb\xbf"), name
        assert not files[name].startswith(b"\xef\xbb\xbf\xef\xbb\xbf"), name
    assert not files["rulebook.yaml"].startswith(b"\xef\xbb\xbf")


def test_a_bundle_whose_files_lost_the_mark_still_recomputes(bundle):
    # a third party that re-saved the files without the mark (and fixed the hashes)
    files = {
        name: data.removeprefix(b"\xef\xbb\xbf") if name.endswith(".csv") else data
        for name, data in _files(bundle).items()
    }
    report = check_bundle_files(read_zip(_rezip(files, fix_hashes=True)))
    assert report.ok, (report.error, report.differing[:3])


def test_an_edited_result_is_reported_line_by_line(bundle):
    files = _files(bundle)
    lines = decode_csv(files["results.csv"]).splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[8] = "99.999999"  # the total of the first row
    lines[1] = ",".join(cells)
    files["results.csv"] = "".join(lines).encode()
    report = check_bundle_files(read_zip(_rezip(files, fix_hashes=True)))
    assert [line for line, _old, _new in report.differing] == [2]


def test_no_individual_rating_or_assessor_in_the_bundle(app, bundle):
    from assessment.models import Account

    text = b"\n".join(_files(bundle).values()).decode("utf-8")
    with app.app_context():
        assessors = db.session.execute(
            sa.select(Account.username, Account.display_name).where(Account.role == "assessor")
        ).all()
    assert len(assessors) == 3
    for username, display_name in assessors:
        assert username not in text
        assert display_name not in text
    panel = _rows(_files(bundle)["panel_values.csv"])
    assert panel
    assert set(panel[0]) == {"cadre", "indicator", "value", "n_ratings", "trimmed"}
    # the fixture's three assessors rate every qualitative indicator: n = 3, not trimmed
    assert {(r["n_ratings"], r["trimmed"]) for r in panel} == {("3", "false")}


# ---------------------------------------------------------------------------
# resident responses: no code, no time, no small group
# ---------------------------------------------------------------------------


def _respond(app: Flask, survey_id: int, unit_code: str, codes: int, likert: int) -> list[str]:
    """``codes`` residents of a unit answer with real access codes; returns the codes
    and receipts, which must never reach the bundle."""
    with app.app_context(), unit_of_work(None):
        session = db.session
        survey = session.get(Survey, survey_id)
        unit = session.scalars(sa.select(Unit).where(Unit.code == unit_code)).one()
        key = app.config["ACCESS_CODE_HASH_KEY"]
        _batch, slips = services.generate_batch(
            session, survey, unit=unit, size=codes, note="", key=key, now=utcnow()
        )
        secrets = []
        items = list_items(session, survey.id, unit.id)
        for slip in slips:
            answers = {i.key: str(likert) for i in items if i.kind == "likert"}
            result = answer_online(
                session,
                survey=survey,
                key=key,
                code=slip.code,
                unit_id=unit.id,
                answers=answers,
                today=date(2026, 6, 2),
                duration_band_s=120,
            )
            secrets += [slip.code, slip.receipt, result.receipt]
        return secrets


@pytest.fixture
def surveyed_bundle(app, computed_period) -> dict[str, Any]:
    """Six residents of 石桥村 and two of another village answer with real codes."""
    with app.app_context(), unit_of_work(None):
        built = build_survey(db.session)
    survey_id = built["survey_id"]
    secrets = _respond(app, survey_id, "QSZ-01", 6, 4) + _respond(app, survey_id, "QSZ-02", 2, 2)
    with app.app_context(), unit_of_work(None):
        keys = [str(k) for k in db.session.scalars(sa.select(Response.submission_key))]
        services.close_survey(db.session, db.session.get(Survey, survey_id), now=utcnow())
        stored = [str(r) for r in db.session.scalars(sa.select(Response.id))] + keys
    with app.app_context():
        built_bundle = build_bundle(
            db.session, period=db.session.get(Period, computed_period), today=TODAY
        )
    return {"bundle": built_bundle, "secrets": secrets, "stored_ids": stored}


def test_bundle_holds_no_access_code_receipt_or_stored_id(surveyed_bundle):
    files = _files(surveyed_bundle["bundle"].data)
    text = b"\n".join(files.values()).decode("utf-8").upper()
    assert len(surveyed_bundle["secrets"]) == 8 * 3
    for secret in surveyed_bundle["secrets"] + surveyed_bundle["stored_ids"]:
        assert secret.upper() not in text
        assert secret.replace("-", "").upper() not in text.replace("-", "")


def test_bundle_holds_no_time_of_day(surveyed_bundle):
    data = surveyed_bundle["bundle"].data
    for name, content in _files(data).items():
        assert not re.search(r"\d{1,2}:\d{2}", content.decode("utf-8")), name
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {info.date_time[3:] for info in archive.infolist()} == {(0, 0, 0)}


def test_responses_csv_leaves_out_every_group_under_the_minimum(surveyed_bundle):
    files = _files(surveyed_bundle["bundle"].data)
    rows = _rows(files["responses.csv"])
    assert rows, "the six answers of 石桥村 are shown"
    groups = Counter((r["survey"], r["target_kind"], r["target"], r["unit"]) for r in rows)
    assert min(groups.values()) >= 5
    # the village of two answered nothing shown; its rows are counted as left out
    units = {r["unit"] for r in rows}
    assert len(units) == 1
    manifest = surveyed_bundle["bundle"].manifest
    assert manifest["suppressed"]["responses_rows"] > 0
    assert {r["date"] for r in rows} == {"2026-06-02"}
    assert set(rows[0]) >= {"response", "survey", "target_kind", "target", "unit", "date"}
    assert not {"duration", "receipt", "channel", "serial"} & {k.lower() for k in rows[0]}
    assert all(re.fullmatch(r"R\d{6}", r["response"]) for r in rows)
    # one likert question: its answers as typed (4 on a 5-point scale)
    assert {r["q_overall"] for r in rows} == {"4"}
    assert _rows(files["questions.csv"])[0]["points"] == "5"


# ---------------------------------------------------------------------------
# web download and command
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["admin", "assessor1", "official"])
def test_team_and_officials_download_the_bundle(client, auth, computed_period, user):
    auth.login(user)
    response = client.get(f"/admin/periods/{computed_period}/open-data.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "open-data-period1-v1.zip" in response.headers["Content-Disposition"]
    assert check_bundle(response.data).ok


@pytest.mark.parametrize("user", ["clerk", "cadre"])
def test_clerks_and_cadres_may_not_download_it(client, auth, computed_period, user):
    auth.login(user)
    assert client.get(f"/admin/periods/{computed_period}/open-data.zip").status_code == 403


def test_unknown_version_or_period_is_not_found(client, auth, computed_period):
    auth.login("admin")
    assert (
        client.get(f"/admin/periods/{computed_period}/open-data.zip?version=7").status_code == 404
    )
    assert client.get("/admin/periods/99/open-data.zip").status_code == 404


def test_public_bundle_only_once_the_period_is_final(client, computed_period):
    assert client.get(f"/p/periods/{computed_period}/open-data.zip").status_code == 404


def test_bundle_command_writes_the_zip(runner, computed_period, tmp_path):
    out = tmp_path / "b.zip"
    result = runner.invoke(
        args=["reports", "bundle", "--period", str(computed_period), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "results.csv reproduced byte for byte" in result.output
    assert check_bundle(out.read_bytes()).ok


def test_bundle_command_refusals(runner, demo, computed_period):
    result = runner.invoke(args=["reports", "bundle", "--period", "99"])
    assert result.exit_code == 2
    assert "no period 99" in result.output
    result = runner.invoke(args=["reports", "bundle", "--period", "1", "--version", "5"])
    assert result.exit_code == 2
    assert "has no result version 5" in result.output


def test_bundle_command_without_any_version(runner, published_rulebook):
    result = runner.invoke(args=["reports", "bundle", "--period", str(published_rulebook)])
    assert result.exit_code == 2
    assert "has no result version" in result.output


# ---------------------------------------------------------------------------
# the seeded demo: a final period and one on notice, with a real survey
# ---------------------------------------------------------------------------


@pytest.fixture
def demo_app(seeded: tuple[Flask, str]) -> Flask:  # noqa: F811 (the imported fixture)
    """The app whose database ``flask demo seed --today 2026-12-01`` filled (tests/test_demo.py)."""
    return seeded[0]


def _demo_periods(app: Flask) -> list[Period]:
    with app.app_context():
        return [
            p
            for p in db.session.scalars(sa.select(Period).order_by(Period.id))
            if p.status in ("notice", "final")
        ]


def test_demo_periods_recompute_exactly(demo_app):
    periods = _demo_periods(demo_app)
    # 2025 final, 2026 first half on notice, then the 2022 year (annual and four
    # quarters) and the record's 2023 and 2024 (issue 15), and the 2025 of the county's
    # other two townships and its leadership teams (issue 16)
    assert [p.status for p in periods] == ["final", "notice"] + ["final"] * 10
    with demo_app.app_context():
        for period in periods:
            built = build_bundle(db.session, period=db.session.get(Period, period.id), today=TODAY)
            report = check_bundle(built.data)
            assert report.ok, (period.name, report.error, report.differing[:3])
            if period.year < 2025 or period.subjects == "units":
                # the earlier years held no resident survey (issue 15), nor does the
                # county's assessment of the leadership teams (issue 16)
                continue
            files = _files(built.data)
            # a real survey: counted responses published, small groups left out
            rows = _rows(files["responses.csv"])
            assert rows
            groups = Counter((r["survey"], r["target_kind"], r["target"], r["unit"]) for r in rows)
            assert min(groups.values()) >= period.min_group_size
            assert not re.search(rb"\d{1,2}:\d{2}", b"".join(files.values()))
            # the 2026 period's democratic evaluation travels as ballot tallies, and the
            # recompute above reproduced its ballot indicator from them (issue 14)
            assert ("ballots.csv" in files) == (period.status == "notice")


def test_anyone_downloads_the_final_demo_period(demo_app):
    final, on_notice = _demo_periods(demo_app)[:2]
    client = demo_app.test_client()
    response = client.get(f"/p/periods/{final.id}/open-data.zip")
    assert response.status_code == 200
    manifest = json.loads(_files(response.data)[MANIFEST])
    assert manifest["version"] == {**manifest["version"], "final": True}
    assert client.get(f"/p/periods/{on_notice.id}/open-data.zip").status_code == 404


def test_demo_survey_scores_keep_the_true_counts(demo_app):
    """Per target, the score counts in the bundle add up to the stored n and the
    satisfaction index recomputed from them (exactly, each score read as the fraction
    of a Likert scale it is) and published with two decimals is the stored one."""
    from assessment.services.results import list_versions, payload_of

    final = _demo_periods(demo_app)[0]
    with demo_app.app_context():
        built = build_bundle(db.session, period=db.session.get(Period, final.id), today=TODAY)
        stored = payload_of(list_versions(db.session, final.id)[0])["result"]["surveys"]
    scores: dict[tuple[str, str], list[float]] = {}
    for row in _rows(_files(built.data)["survey_scores.csv"]):
        scores.setdefault((row["indicator"], row["target"]), []).extend(
            [float(row["score"])] * int(row["count"])
        )
    assert stored
    for item in stored:
        values = scores[(item["indicator"], item["target"])]
        assert len(values) == item["n"]
        # the stored index is the mean published with two decimals (half up)
        mean = Fraction(sum(Fraction(v).limit_denominator(1000) for v in values), len(values))
        assert item["index"] == float(math.floor(mean * 100 + Fraction(1, 2)) / Fraction(100))
