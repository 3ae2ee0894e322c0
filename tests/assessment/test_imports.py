"""Spreadsheet imports of units and of the roster, driven through the client."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from assessment.app.db import db
from assessment.models import Appointment, AuditEntry, Cadre, Unit

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
UNITS_URL = "/admin/import/units"
CADRES_URL = "/admin/import/cadres"
UNIT_HEADER_ZH = ["单位代码", "上级单位代码", "单位类型", "中文名称", "英文名称", "户数", "人口数"]
CADRE_HEADER_ZH = [
    *("人员编号", "姓名", "性别", "出生年份"),
    *("岗位代码", "单位代码", "任职起始日期", "任职截止日期"),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_HEADER = ["code", "parent_code", "kind", "name_zh", "name_en", "households", "population"]
CADRE_HEADER = [
    "code",
    "name",
    "gender",
    "birth_year",
    "post_code",
    "unit_code",
    "start_date",
    "end_date",
]


@pytest.fixture
def admin(client, auth, demo):
    auth.login("admin")
    client.get("/lang/en")
    return client


def csv_bytes(rows, encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, url, content, filename):
    return client.post(
        url, data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data"
    )


def counts(app):
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Unit, Cadre, Appointment, AuditEntry)
        )


def error_table(response):
    """(row, column, value, message) of each line of the page's error table."""
    text = response.get_data(as_text=True)
    table = re.search(r'<table class="errors">(.*?)</table>', text, re.S)
    assert table, "no error table in the page"
    cells = re.findall(
        r'<tr><td class="num">(\d+)</td><td><code>(.*?)</code></td>'
        r"<td>(.*?)</td><td>(.*?)</td></tr>",
        table[1],
    )
    return [
        (int(row), html.unescape(c), html.unescape(v), html.unescape(m)) for row, c, v, m in cells
    ]


def unit_codes(app):
    with app.app_context():
        return set(db.session.scalars(sa.select(Unit.code)))


# Success -------------------------------------------------------------------------------


def test_good_units_csv_is_imported_and_audited(app, admin):
    before = counts(app)
    content = csv_bytes(
        [
            UNIT_HEADER,
            ["QSZ-09", "QSZ", "village", "桃源村", "Taoyuan Village", "640", "2210"],
            ["QSZ-10", "QSZ", "community", "河东社区", "", "1,904", "6120"],
        ]
    )
    response = upload(admin, UNITS_URL, content, "units.csv")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/units/"
    assert "Imported 2 units." in admin.get("/admin/units/").get_data(as_text=True)
    with app.app_context():
        unit = db.session.scalars(sa.select(Unit).where(Unit.code == "QSZ-10")).one()
        township = db.session.scalars(sa.select(Unit).where(Unit.code == "QSZ")).one()
        assert (unit.parent_id, unit.households, unit.name_en) == (township.id, 1904, "")
        assert unit.path.startswith(township.path)
        after = counts(app)
        assert after[0] == before[0] + 2
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.seq > before[3]).order_by(AuditEntry.seq)
        ).all()
        assert {e.action for e in entries} == {"unit.create", "unit.update"}
        assert {e.actor_name for e in entries} == {"admin"}
        assert all(e.reason == "import of units from units.csv" for e in entries)


def test_units_xlsx_with_parent_later_in_the_file_and_blank_rows(app, admin):
    # A new street needs the county, outside the admin's township scope: use nested units
    # under the township instead, the child first.
    content = xlsx_bytes(
        [
            UNIT_HEADER,
            ["QSZ-09", "QSZ", "village", "桃源村", "Taoyuan Village", 640, 2210],
            [None] * 7,
            [" QSZ-10 ", "QSZ", "村", "梅岭村", None, 515.0, 1873],
        ]
    )
    response = upload(admin, UNITS_URL, content, "Units.XLSX")
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.scalars(sa.select(Unit).where(Unit.code == "QSZ-10")).one()
        assert (unit.kind, unit.households, unit.population) == ("village", 515, 1873)


def test_units_xlsx_errors_keep_spreadsheet_row_numbers(admin):
    content = xlsx_bytes(
        [
            UNIT_HEADER,
            ["QSZ-09", "QSZ", "village", "桃源村", "", 640, 2210],
            [None] * 7,
            [None] * 7,
            ["QSZ-10", "QSZ", "village", "梅岭村", "", -3, 1873],
        ]
    )
    response = upload(admin, UNITS_URL, content, "units.xlsx")
    assert response.status_code == 422
    assert error_table(response) == [(5, "households", "-3", "Must not be negative.")]


def test_units_gbk_csv_from_chinese_excel(app, admin):
    content = csv_bytes(
        [UNIT_HEADER, ["QSZ-09", "QSZ", "村", "桃源村", "", "640", "2210"]], encoding="gbk"
    )
    assert upload(admin, UNITS_URL, content, "units.csv").status_code == 302
    with app.app_context():
        unit = db.session.scalars(sa.select(Unit).where(Unit.code == "QSZ-09")).one()
        assert unit.name_zh == "桃源村"


def test_utf8_csv_without_bom(app, admin):
    content = csv_bytes(
        [UNIT_HEADER, ["QSZ-09", "QSZ", "village", "桃源村", "", "6", "20"]], "utf-8"
    )
    assert upload(admin, UNITS_URL, content, "units.csv").status_code == 302
    assert "QSZ-09" in unit_codes(app)


def test_good_roster_csv_creates_cadres_and_appointments(app, admin):
    before = counts(app)
    content = csv_bytes(
        [
            CADRE_HEADER,
            ["QS041", "陈晓明", "男", "1985", "GRID", "QSZ-01", "2026-01-01", ""],
            ["QS041", "陈晓明", "男", "1985", "VDIR", "QSZ-02", "2026/2/1", "2026-12-31"],
            ["QS001", "王建国", "", "", "STATION", "QSZ", "2026-01-01", ""],
        ]
    )
    response = upload(admin, CADRES_URL, content, "roster.csv")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/cadres/"
    page = admin.get("/admin/cadres/").get_data(as_text=True)
    assert "Imported 3 appointments (new cadres: 1)." in page
    with app.app_context():
        cadre = db.session.scalars(sa.select(Cadre).where(Cadre.code == "QS041")).one()
        assert (cadre.gender, cadre.birth_year) == ("M", 1985)
        assert [(a.post.code, a.unit.code, str(a.end_date)) for a in cadre.appointments] == [
            ("GRID", "QSZ-01", "None"),
            ("VDIR", "QSZ-02", "2026-12-31"),
        ]
        existing = db.session.scalars(sa.select(Cadre).where(Cadre.code == "QS001")).one()
        assert [a.post.code for a in existing.appointments] == ["TSEC", "STATION"]
        assert existing.gender == "M"  # a blank cell does not change a stored cadre
        after = counts(app)
        assert (after[1] - before[1], after[2] - before[2]) == (1, 3)


# A spreadsheet date cell has no time zone.
NAIVE_DATE = datetime(2026, 3, 1)  # noqa: DTZ001


def test_roster_xlsx_with_date_cells(app, admin):
    content = xlsx_bytes(
        [
            CADRE_HEADER,
            ["QS041", "陈晓明", "F", 1990, "GRID", "QSZ-07", NAIVE_DATE, None],
        ]
    )
    assert upload(admin, CADRES_URL, content, "roster.xlsx").status_code == 302
    with app.app_context():
        cadre = db.session.scalars(sa.select(Cadre).where(Cadre.code == "QS041")).one()
        assert str(cadre.appointments[0].start_date) == "2026-03-01"


def test_example_files_import_into_the_demo_township(app, admin):
    for url, name in ((UNITS_URL, "units.csv"), (CADRES_URL, "cadres.csv")):
        response = upload(admin, url, (EXAMPLES / name).read_bytes(), name)
        assert response.status_code == 302, error_table(response)
    assert {"QSZ-09", "QSZ-10", "QSZ-11"} <= unit_codes(app)


@pytest.mark.parametrize(
    ("url", "header", "chinese"),
    [
        (
            UNITS_URL,
            UNIT_HEADER,
            ["单位代码", "上级单位代码", "单位类型", "中文名称", "英文名称", "户数", "人口数"],
        ),
        (
            CADRES_URL,
            CADRE_HEADER,
            [
                "人员编号",
                "姓名",
                "性别",
                "出生年份",
                "岗位代码",
                "单位代码",
                "任职起始日期",
                "任职截止日期",
            ],
        ),
    ],
)
@pytest.mark.parametrize("headers", ["zh", "en"])
def test_xlsx_templates_in_either_language_have_an_example_row_that_imports(
    admin, url, header, chinese, headers
):
    response = admin.get(url + "/template.xlsx", query_string={"headers": headers})
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0].values)
    assert list(rows[0]) == (chinese if headers == "zh" else header)
    assert len(rows) == 2
    assert upload(admin, url, response.data, "template.xlsx").status_code == 302


def test_the_template_follows_the_page_language_unless_asked(client, auth, demo):
    auth.login("admin")  # the default language is Chinese
    response = client.get(CADRES_URL + "/template.xlsx")
    assert next(openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0].values)[0] == (
        "人员编号"
    )
    client.get("/lang/en")
    response = client.get(CADRES_URL + "/template.xlsx")
    assert next(openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0].values)[0] == "code"


def test_upload_page_explains_the_columns(admin):
    text = admin.get(CADRES_URL).get_data(as_text=True)
    for column in CADRE_HEADER:
        assert f"<code>{column}</code>" in text
    assert "<td>任职起始日期</td>" in text
    assert "/admin/import/cadres/template.xlsx?headers=zh" in text
    assert "/admin/import/cadres/template.xlsx?headers=en" in text
    assert 'enctype="multipart/form-data"' in text


# Rejected files: every error named, nothing saved ---------------------------------------


def test_bad_unit_rows_are_each_named_and_nothing_is_saved(app, admin):
    before = counts(app)
    content = csv_bytes(
        [
            UNIT_HEADER,
            ["QSZ-09", "QSZ", "village", "桃源村", "", "640", "2210"],  # fine on its own
            ["QSZ-01", "QSZ", "village", "重复村", "", "1", "1"],
            ["QSZ-10", "QSZ", "hamlet", "某村", "", "1", "1"],
            ["QSZ-11", "NOPE", "village", "某村", "", "1", "1"],
            ["QSZ-12", "CX", "township", "某镇", "", "1", "1"],
            ["QSZ-13", "QSZ-01", "village", "某村", "", "1", "1"],
            ["QSZ-14", "QSZ", "village", "", "", "-1", "x"],
            ["QSZ-09", "QSZ", "village", "又一村", "", "1", "1"],
        ]
    )
    response = upload(admin, UNITS_URL, content, "units.csv")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "9 errors in 7 rows; nothing was imported." in text
    assert error_table(response) == [
        (3, "code", "QSZ-01", "The code QSZ-01 is already used."),
        (4, "kind", "hamlet", "Unknown unit kind hamlet."),
        (5, "parent_code", "NOPE", "No unit has the code NOPE, neither saved nor in this file."),
        (6, "parent_code", "CX", "The unit CX is outside the units you work on."),
        (7, "parent_code", "QSZ-01", "A Village cannot be placed under a Village."),
        (8, "name_zh", "", "This field is required."),
        (8, "households", "-1", "Must not be negative."),
        (8, "population", "x", "Must be a whole number."),
        (9, "code", "QSZ-09", "The code QSZ-09 is already used in row 2."),
    ]
    assert counts(app) == before
    assert "QSZ-09" not in unit_codes(app)


def test_bad_roster_rows_are_each_named_and_nothing_is_saved(app, admin):
    before = counts(app)
    content = csv_bytes(
        [
            CADRE_HEADER,
            ["QS041", "陈晓明", "M", "1985", "GRID", "QSZ-01", "2026-01-01", ""],  # fine
            ["QS001", "王建", "", "", "GRID", "QSZ-01", "2026-01-01", ""],
            ["QS042", "林雅婷", "X", "1891", "NOPE", "QSZ-01", "2026-01-01", ""],
            ["QS043", "黄志远", "", "", "TSEC", "QSZ-01", "2026-13-01", ""],
            ["QS044", "周文", "", "", "GRID", "NOPE", "2026-01-01", "2025-01-01"],
            ["QS045", "吴红", "", "", "GRID", "CX", "2026-01-01", "2025-01-01"],
            ["QS041", "陈晓明", "M", "1985", "GRID", "QSZ-01", "2026-06-01", ""],
        ]
    )
    response = upload(admin, CADRES_URL, content, "roster.csv")
    assert response.status_code == 422
    assert [(row, column) for row, column, _, _ in error_table(response)] == [
        (3, "name"),
        (4, "gender"),
        (4, "birth_year"),
        (4, "post_code"),
        (5, "unit_code"),
        (5, "start_date"),
        (6, "unit_code"),
        (6, "end_date"),
        (7, "unit_code"),
        (7, "end_date"),
        (8, "start_date"),
    ]
    messages = {(row, column): message for row, column, _, message in error_table(response)}
    assert messages[3, "name"] == (
        "The personnel number QS001 belongs to 王建国; check the number or the name."
    )
    assert messages[5, "unit_code"].startswith("Village posts go to villages or communities")
    assert messages[5, "start_date"] == "Must be a date written as YYYY-MM-DD."
    assert messages[7, "unit_code"] == "The unit CX is outside the units you work on."
    assert messages[8, "start_date"].startswith("Row 2 already appoints this cadre")
    assert "11 errors in 6 rows; nothing was imported." in response.get_data(as_text=True)
    assert counts(app) == before


def test_missing_column_is_named_on_row_one(admin):
    content = csv_bytes([UNIT_HEADER[:-1], ["QSZ-09", "QSZ", "village", "桃源村", "", "640"]])
    response = upload(admin, UNITS_URL, content, "units.csv")
    assert response.status_code == 422
    assert error_table(response) == [
        (1, "population", "", "The header row has no column 人口数 (population).")
    ]
    assert "1 error in 1 row; nothing was imported." in response.get_data(as_text=True)


def test_header_names_are_matched_without_case_or_spaces(admin):
    header = [f" {name.upper()} " for name in UNIT_HEADER]
    content = csv_bytes([header, ["QSZ-09", "QSZ", "village", "桃源村", "", "6", "20"]])
    assert upload(admin, UNITS_URL, content, "units.csv").status_code == 302


# Files that cannot be read --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"code\nA\n", "units.txt", "Only .xlsx, .xls, .ods and .csv files can be imported."),
        (b"code\nA\n", "units.xls", "The file could not be read as a spreadsheet."),
        (b"code\nA\n", "units.ods", "The file could not be read as a spreadsheet."),
        (b"", "units.csv", "The file has no rows below the header row."),
        (b"  \r\n\r\n", "units.csv", "The file has no rows below the header row."),
        (b",,,\r\n,,,\r\n", "units.csv", "The file has no rows below the header row."),
        (b"code,kind\r\n", "units.csv", "The file has no rows below the header row."),
        (b"this is not a workbook", "units.xlsx", "The file could not be read as a spreadsheet."),
        (b"code,kind\r\n\xff\xfe\xff\r\n", "units.csv", "The file is neither UTF-8 nor GBK text"),
        (b"code,kind\r\nA,B\r\nA,B,C\r\n", "units.csv", "Row 3 has more cells than the header"),
    ],
)
def test_unreadable_uploads_are_refused_with_a_message(app, admin, content, filename, message):
    before = counts(app)
    response = upload(admin, UNITS_URL, content, filename)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    assert counts(app) == before


def test_empty_xlsx_is_refused(admin):
    response = upload(admin, CADRES_URL, xlsx_bytes([]), "roster.xlsx")
    assert response.status_code == 400
    assert "The file has no rows below the header row." in response.get_data(as_text=True)


def test_post_without_a_file_is_a_form_error(admin):
    response = admin.post(UNITS_URL, data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a file." in response.get_data(as_text=True)


# Access --------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["clerk", "assessor1", "official", "cadre"])
@pytest.mark.parametrize(
    "url", [UNITS_URL, CADRES_URL, UNITS_URL + "/template.xlsx", CADRES_URL + "/template.xlsx"]
)
def test_non_admin_is_refused(client, auth, demo, username, url):
    auth.login(username)
    assert client.get(url).status_code == 403


def test_non_admin_post_is_refused_and_saves_nothing(app, client, auth, demo):
    auth.login("clerk")
    before = counts(app)
    content = csv_bytes([UNIT_HEADER, ["QSZ-09", "QSZ", "village", "桃源村", "", "6", "20"]])
    assert upload(client, UNITS_URL, content, "units.csv").status_code == 403
    assert counts(app) == before


@pytest.mark.parametrize("url", [UNITS_URL, CADRES_URL, UNITS_URL + "/template.xlsx"])
def test_anonymous_is_sent_to_login(client, demo, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_rule_broken_only_on_save_is_reported_and_rolled_back(app, admin, monkeypatch):
    # The pre-check should catch everything; if a service still refuses a row, the cadre
    # created just before it must not stay behind.
    from assessment.core.errors import FieldError
    from assessment.services import imports

    def refuse(*args, **kwargs):
        raise FieldError("unit_id", "unit_retired")

    monkeypatch.setattr(imports.org, "appoint", refuse)
    before = counts(app)
    content = csv_bytes(
        [CADRE_HEADER, ["QS041", "陈晓明", "M", "1985", "GRID", "QSZ-01", "2026-01-01", ""]]
    )
    response = upload(admin, CADRES_URL, content, "roster.csv")
    assert response.status_code == 422
    assert error_table(response) == [(2, "unit_code", "", "This unit is retired.")]
    assert counts(app) == before
