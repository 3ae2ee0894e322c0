"""The admin imports a roster with one bad row: the row is named and nothing is saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

HEADER = "code,name,gender,birth_year,post_code,unit_code,start_date,end_date"
GOOD_ROW = "E2E901,测试甲,M,1985,GRID,QSZ-01,2026-01-01,"
BAD_ROW = "E2E902,测试乙,F,1990,GRID,NO-SUCH-UNIT,2026-01-01,"  # unknown unit_code


def test_admin_import_with_one_bad_row_names_the_row_and_imports_nothing(staff, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join([HEADER, GOOD_ROW, BAD_ROW, GOOD_ROW.replace("901", "903")]) + "\n")

    staff.log_in_as("admin")
    staff.open_roster_import()
    staff.upload_roster(roster)

    errors = staff.import_errors()
    # Row 1 is the header, so the bad line is row 3, as a spreadsheet program numbers it.
    assert [(error.row, error.column) for error in errors] == [(3, "unit_code")]
    assert errors[0].value == "NO-SUCH-UNIT"

    results = staff.search_cadres("E2E90")
    expect(results).not_to_contain_text("E2E901")
    expect(results).not_to_contain_text("E2E903")
    expect(results.locator("tr")).to_have_count(1)  # the "No cadre found." row
