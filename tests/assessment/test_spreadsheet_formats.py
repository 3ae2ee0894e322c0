"""Excel as staff use it (issue 17): .xls and .ods files, Chinese or English headers,
limits checked before a workbook is parsed, all through the import pages.

The .xls files are committed fixtures (``tests/data/make_xls.py`` says how LibreOffice
made them); .ods files are written here with pandas and odfpy.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from assessment.app.db import db
from assessment.core.errors import FieldError
from assessment.core.headers import ROSTER_HEADERS, UNIT_HEADERS
from assessment.models import Appointment, Cadre, Unit
from assessment.services import spreadsheets
from assessment.services.spreadsheets import MAX_ROWS, MAX_SHEET_CELLS, MAX_XLS_BYTES, read_sheet

DATA = Path(__file__).resolve().parents[1] / "data"
UNITS_URL = "/admin/import/units"
CADRES_URL = "/admin/import/cadres"
UNIT_ROW = ["QSZ-09", "QSZ", "村", "桃源村", "Taoyuan Village", "640", "2210"]


@pytest.fixture
def admin(client, auth, demo):
    auth.login("admin")
    client.get("/lang/en")
    return client


def upload(client, url, content, filename):
    return client.post(
        url, data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data"
    )


def page_text(response):
    return html.unescape(response.get_data(as_text=True))


def error_table(response):
    """(row, column, value, message) of each line of the page's error table."""
    table = re.search(r'<table class="errors">(.*?)</table>', response.get_data(as_text=True), re.S)
    assert table, "no error table in the page"
    cells = re.findall(
        r'<tr><td class="num">(\d+)</td><td><code>(.*?)</code></td>'
        r"<td>(.*?)</td><td>(.*?)</td></tr>",
        table[1],
    )
    return [(int(r), html.unescape(c), html.unescape(v), html.unescape(m)) for r, c, v, m in cells]


def ods_bytes(rows):
    frame = pd.DataFrame(rows[1:], columns=rows[0])
    out = io.BytesIO()
    frame.to_excel(out, engine="odf", index=False)
    return out.getvalue()


def xlsx_bytes(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows):
    return "\r\n".join(",".join(row) for row in rows).encode("utf-8-sig")


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def unit_headers(chinese: bool):
    return [UNIT_HEADERS[c] if chinese else c for c in UNIT_HEADERS]


# Chinese and English headers, every format ----------------------------------------------


@pytest.mark.parametrize("chinese", [True, False], ids=["zh", "en"])
@pytest.mark.parametrize(
    ("make", "extension"), [(csv_bytes, "csv"), (xlsx_bytes, "xlsx"), (ods_bytes, "ods")]
)
def test_units_import_from_either_header_in_every_format(app, admin, chinese, make, extension):
    content = make([unit_headers(chinese), UNIT_ROW])
    response = upload(admin, UNITS_URL, content, f"units.{extension}")
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        unit = db.session.scalars(sa.select(Unit).where(Unit.code == "QSZ-09")).one()
        assert (unit.kind, unit.households, unit.population) == ("village", 640, 2210)


def test_a_roster_saved_as_xls_with_chinese_headers_is_imported(app, admin):
    before = count(app, Appointment)
    content = (DATA / "roster-zh.xls").read_bytes()
    response = upload(admin, CADRES_URL, content, "花名册.xls")
    assert response.status_code == 302, page_text(response)
    assert count(app, Appointment) == before + 2
    with app.app_context():
        cadre = db.session.scalars(sa.select(Cadre).where(Cadre.code == "QS041")).one()
        # a number cell (1985) and a date cell (2026-03-01) read as the text they show
        assert (cadre.name, cadre.gender, cadre.birth_year) == ("陈晓明", "M", 1985)
        [appointment] = db.session.scalars(
            sa.select(Appointment).where(Appointment.cadre_id == cadre.id)
        ).all()
        assert appointment.start_date.isoformat() == "2026-03-01"


def test_an_xls_with_a_bad_row_names_the_row_and_saves_nothing(app, admin):
    before = count(app, Cadre), count(app, Appointment)
    content = (DATA / "roster-bad-row.xls").read_bytes()
    response = upload(admin, CADRES_URL, content, "roster.xls")
    assert response.status_code == 422
    assert error_table(response) == [
        (4, "start_date", "2026-13-45", "Must be a date written as YYYY-MM-DD.")
    ]
    assert (count(app, Cadre), count(app, Appointment)) == before


def test_an_ods_with_a_bad_row_names_the_row(app, admin):
    bad = [*UNIT_ROW[:5], "many", "2210"]
    content = ods_bytes([unit_headers(True), UNIT_ROW, bad])
    response = upload(admin, UNITS_URL, content, "units.ods")
    assert response.status_code == 422
    rows = error_table(response)
    assert (3, "households", "many") in [(r, c, v) for r, c, v, _m in rows]
    assert count(app, Unit) == 10  # the demo's units only: nothing half-saved


def test_a_template_with_a_wrong_header_names_the_column(app, admin):
    header = unit_headers(True)
    header[1] = "上级单位编码"  # 编码 for 代码
    response = upload(admin, UNITS_URL, xlsx_bytes([header, UNIT_ROW]), "units.xlsx")
    assert response.status_code == 422
    assert error_table(response) == [
        (1, "parent_code", "", "The header row has no column 上级单位代码 (parent_code)."),
        (
            1,
            "上级单位编码",
            "上级单位编码",
            "This import reads no column 上级单位编码: compare its spelling with the template's.",
        ),
    ]
    assert count(app, Unit) == 10


def test_the_chinese_page_names_the_missing_column_in_chinese(client, auth, demo):
    auth.login("admin")
    header = unit_headers(True)[:-1]
    response = upload(client, UNITS_URL, csv_bytes([header, UNIT_ROW[:-1]]), "units.csv")
    assert response.status_code == 422
    assert "表头中没有 人口数 (population) 列" in page_text(response)


# Limits before parsing --------------------------------------------------------------------


def test_an_xls_over_the_size_limit_is_refused_before_it_is_read(app, admin, monkeypatch):
    # A 100 KB limit for the test: werkzeug's test client leaves a request body over
    # 500 KB in a temporary file that it never closes (a ResourceWarning, an error here).
    monkeypatch.setattr(spreadsheets, "MAX_XLS_BYTES", 100 * 1024)
    content = (DATA / "roster-zh.xls").read_bytes()
    content += b"\0" * (100 * 1024 + 1 - len(content))
    response = upload(admin, CADRES_URL, content, "roster.xls")
    assert response.status_code == 400
    assert "The file is larger than 0 MB" not in page_text(response)
    assert "The file is larger than 0.1 MB" in page_text(response)
    assert count(app, Cadre) == 40


def test_the_xls_size_limit_leaves_room_for_a_county_roster():
    # LibreOffice 7.4 saves a 20,000-row, 8-column roster as a 3.2 MB .xls.
    assert MAX_XLS_BYTES >= 2 * 3_200_000


def sparse_xlsx(row: int, column: int) -> bytes:
    """A 5 KB workbook with a header, one row and one far-away cell."""
    book = openpyxl.Workbook()
    book.active.append(["code", "name"])
    book.active.append(["QS041", "陈晓明"])
    book.active.cell(row=row, column=column, value="x")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ods_document(rows_xml: str) -> bytes:
    """A minimal OpenDocument spreadsheet whose one table holds ``rows_xml``."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
        f"{rows_xml}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
            ' manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/"'
            ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
    return out.getvalue()


def ods_cell(text: str, repeat: int = 1) -> str:
    return (
        f'<table:table-cell table:number-columns-repeated="{repeat}" office:value-type="string">'
        f"<text:p>{text}</text:p></table:table-cell>"
    )


# One cell at row 1,048,576 made the reader allocate 5 GB for 213 s (openpyxl) or 6 GB for
# 43 s (calamine); one at IV65536 of an .xls, 1 GB. Each is now refused in milliseconds.
FAR_AWAY = [
    ("xlsx", sparse_xlsx(1_048_576, 200), "too_many_rows"),
    ("xlsx", sparse_xlsx(100, 16_384), "too_many_cells"),
    (
        "ods",
        ods_document(
            f"<table:table-row>{ods_cell('code')}</table:table-row>"
            f'<table:table-row table:number-rows-repeated="1000000">{ods_cell("x")}'
            "</table:table-row>"
        ),
        "too_many_rows",
    ),
    (
        "ods",
        ods_document(
            f"<table:table-row>{ods_cell('code')}</table:table-row>"
            f'<table:table-row table:number-rows-repeated="100">{ods_cell("x", 16_384)}'
            "</table:table-row>"
        ),
        "too_many_cells",
    ),
]


@pytest.mark.parametrize(("extension", "content", "code"), FAR_AWAY)
def test_cells_far_away_are_refused_from_the_structure(extension, content, code):
    assert len(content) < 20_000
    with pytest.raises(FieldError) as caught:
        read_sheet(io.BytesIO(content), f"roster.{extension}")
    assert caught.value.code == code


def test_a_far_away_xls_cell_is_refused_through_the_page(app, admin, tmp_path):
    # roster-zh.xls with its last cell record moved to IV65536: the BIFF walk sees it.
    content = bytearray((DATA / "roster-zh.xls").read_bytes())
    labels = [m.start() for m in re.finditer(rb"\xfd\x00\x0a\x00", bytes(content))]
    assert labels, "no LABELSST record in the fixture"
    position = labels[-1] + 4
    content[position : position + 4] = (65535).to_bytes(2, "little") + (255).to_bytes(2, "little")
    response = upload(admin, CADRES_URL, bytes(content), "roster.xls")
    assert response.status_code == 400
    assert f"At most {MAX_ROWS} rows can be imported at once." in page_text(response)


def test_the_limits_leave_room_for_a_county_roster():
    assert MAX_SHEET_CELLS >= MAX_ROWS * 50


def test_an_ods_within_the_limits_is_read_with_its_row_numbers():
    rows = (
        f"<table:table-row>{ods_cell('code')}{ods_cell('name')}</table:table-row>"
        '<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>'
        f"<table:table-row>{ods_cell('QS041')}{ods_cell('陈晓明')}</table:table-row>"
    )
    sheet = read_sheet(io.BytesIO(ods_document(rows)), "roster.ods", ROSTER_HEADERS)
    assert sheet.rows == ({"code": "QS041", "name": "陈晓明"},)
    assert sheet.row_numbers == (4,)


def test_results_filled_into_the_chinese_template_and_saved_as_ods_are_imported(
    app, client, auth, published_rulebook, make
):
    from assessment.models import Period, QuantitativeResult
    from assessment.services.periods import advance_period

    make(lambda s: advance_period(s, s.get(Period, published_rulebook), "collecting"))
    auth.login("assessor1")
    base = f"/admin/periods/{published_rulebook}/quantitative"
    template = client.get(f"{base}/template.xlsx", query_string={"headers": "zh"})
    rows = list(openpyxl.load_workbook(io.BytesIO(template.data)).worksheets[0].values)
    assert rows[0] == ("人员编号", "指标代码", "实际完成值", "数据来源", "备注")
    # The clerk fills in one missing value and saves the sheet with LibreOffice as .ods.
    filled = [list(rows[0]), ["QS009", "W1", "12", "统计年报", ""]]
    response = upload(client, f"{base}/import", ods_bytes(filled), "结果.ods")
    assert response.status_code == 302, page_text(response)
    assert count(app, QuantitativeResult) == 1
    bad = [list(rows[0]), ["QS009", "W1", "十二", "统计年报", ""]]
    response = upload(client, f"{base}/import", ods_bytes(bad), "结果.ods")
    assert response.status_code == 422
    assert [(r, c) for r, c, _v, _m in error_table(response)] == [(2, "actual")]
