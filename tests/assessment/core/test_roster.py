"""Validation of unit-tree and roster imports: every rule, named by row and column."""

from __future__ import annotations

from datetime import date

import pytest

from assessment.core.roster import (
    ExistingAppointment,
    OrgSnapshot,
    Sheet,
    validate_roster,
    validate_units,
)

STORED = OrgSnapshot(
    unit_kinds={
        "CX": "county",
        "QSZ": "township",
        "OTHER": "township",
        "QSZ-01": "village",
        "QSZ-07": "community",
        "OLD": "village",
    },
    retired_units={"OLD"},
    post_levels={"TSEC": "township", "VDIR": "village", "GRID": "village", "GONE": "village"},
    retired_posts={"GONE"},
    cadre_names={"QS001": "王建国", "QS099": "退休人"},
    retired_cadres={"QS099"},
    appointments=(
        ExistingAppointment("QS001", "TSEC", "QSZ", date(2024, 1, 1), None),
        ExistingAppointment("QS001", "GRID", "QSZ-01", date(2020, 1, 1), date(2021, 12, 31)),
    ),
)
SCOPE = {"QSZ", "QSZ-01", "QSZ-07", "OLD"}


def unit(**cells: str) -> dict[str, str]:
    row = {
        "code": "QSZ-09",
        "parent_code": "QSZ",
        "kind": "village",
        "name_zh": "桃源村",
        "name_en": "Taoyuan Village",
        "households": "640",
        "population": "2210",
    }
    row.update(cells)
    return row


def cadre(**cells: str) -> dict[str, str]:
    row = {
        "code": "QS041",
        "name": "陈晓明",
        "gender": "M",
        "birth_year": "1985",
        "post_code": "GRID",
        "unit_code": "QSZ-01",
        "start_date": "2026-01-01",
        "end_date": "",
    }
    row.update(cells)
    return row


def unit_errors(*rows: dict[str, str], scope: set[str] | None = SCOPE) -> list[tuple]:
    result = validate_units(Sheet.from_dicts(rows), STORED, scope)
    assert not result.records or not result.errors
    return [(e.row, e.column, e.code) for e in result.errors]


def roster_errors(*rows: dict[str, str], scope: set[str] | None = SCOPE) -> list[tuple]:
    result = validate_roster(Sheet.from_dicts(rows), STORED, scope)
    assert not result.records or not result.errors
    return [(e.row, e.column, e.code) for e in result.errors]


# Units ---------------------------------------------------------------------------------


def test_units_valid_rows_become_records():
    result = validate_units(Sheet.from_dicts([unit(), unit(code="QSZ-10")]), STORED, SCOPE)
    assert result.is_valid
    assert [r.code for r in result.records] == ["QSZ-09", "QSZ-10"]
    first = result.records[0]
    assert (first.row, first.kind, first.parent_code, first.households) == (
        2,
        "village",
        "QSZ",
        640,
    )


def test_units_parent_later_in_file_is_created_first():
    rows = [
        unit(code="NEW-V", parent_code="NEW-T"),
        unit(code="NEW-T", parent_code="CX", kind="township"),
    ]
    result = validate_units(Sheet.from_dicts(rows), STORED, None)
    assert [(r.code, r.row) for r in result.records] == [("NEW-T", 3), ("NEW-V", 2)]


def test_units_parent_in_file_inherits_scope_of_its_own_parent():
    rows = [unit(code="NEW-S", parent_code="CX", kind="street"), unit(parent_code="NEW-S")]
    assert unit_errors(*rows) == [(2, "parent_code", "out_of_scope")]
    assert unit_errors(*rows, scope={"CX"}) == []


def test_units_missing_column_is_named_on_the_header_row():
    row = unit()
    del row["households"]
    result = validate_units(Sheet.from_dicts([row]), STORED, SCOPE)
    assert [(e.row, e.column, e.code, dict(e.params)) for e in result.errors] == [
        (1, "households", "missing_column", {"column": "households"})
    ]


def test_units_name_en_column_may_be_left_out():
    row = unit()
    del row["name_en"]
    result = validate_units(Sheet.from_dicts([row]), STORED, SCOPE)
    assert result.is_valid
    assert result.records[0].name_en == ""


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"code": ""}, ("code", "required")),
        ({"code": "QSZ 09"}, ("code", "bad_code")),
        ({"code": "X" * 33}, ("code", "too_long")),
        ({"kind": ""}, ("kind", "required")),
        ({"kind": "hamlet"}, ("kind", "unknown_kind")),
        ({"name_zh": ""}, ("name_zh", "required")),
        ({"name_en": "x" * 101}, ("name_en", "too_long")),
        ({"households": ""}, ("households", "required")),
        ({"households": "-5"}, ("households", "negative")),
        ({"population": "12.5"}, ("population", "not_integer")),
        ({"population": "many"}, ("population", "not_integer")),
        ({"code": "QSZ-01"}, ("code", "duplicate_code")),
        ({"parent_code": ""}, ("parent_code", "parent_required")),
        ({"parent_code": "NOPE"}, ("parent_code", "unknown_parent")),
        ({"parent_code": "OTHER"}, ("parent_code", "out_of_scope")),
        ({"parent_code": "QSZ-01"}, ("parent_code", "parent_kind_not_allowed")),
    ],
)
def test_units_each_bad_cell_is_named_by_row_and_column(cells, expected):
    assert unit_errors(unit(code="QSZ-10"), unit(**cells)) == [(3, *expected)]


def test_units_village_directly_under_a_county_is_refused():
    assert unit_errors(unit(parent_code="CX"), scope=None) == [
        (2, "parent_code", "parent_kind_not_allowed")
    ]


def test_units_retired_parent_is_refused():
    assert unit_errors(unit(parent_code="OLD", kind="village")) == [
        (2, "parent_code", "unit_retired"),
        (2, "parent_code", "parent_kind_not_allowed"),
    ]


def test_units_county_takes_no_parent_and_needs_an_unrestricted_scope():
    county = unit(code="NEW-C", parent_code="", kind="county")
    assert unit_errors(county, scope=None) == []
    assert unit_errors(county) == [(2, "parent_code", "top_level_out_of_scope")]
    assert unit_errors(unit(code="NEW-C", parent_code="CX", kind="county"), scope=None) == [
        (2, "parent_code", "parent_kind_not_allowed")
    ]


def test_units_duplicate_in_file_names_the_first_row():
    result = validate_units(Sheet.from_dicts([unit(), unit(), unit()]), STORED, SCOPE)
    assert [(e.row, e.code, dict(e.params)) for e in result.errors] == [
        (3, "duplicate_in_file", {"code": "QSZ-09", "first_row": 2}),
        (4, "duplicate_in_file", {"code": "QSZ-09", "first_row": 2}),
    ]


def test_units_unit_under_itself_is_refused():
    assert unit_errors(unit(parent_code="QSZ-09")) == [
        (2, "parent_code", "parent_kind_not_allowed")
    ]


def test_units_numbers_as_spreadsheets_write_them():
    result = validate_units(
        Sheet.from_dicts([unit(households="1,204", population="3310.0")]), STORED, SCOPE
    )
    assert (result.records[0].households, result.records[0].population) == (1204, 3310)


def test_units_chinese_kind_words_and_trimmed_cells_are_accepted():
    result = validate_units(
        Sheet.from_dicts([unit(kind=" 社区 ", code=" QSZ-12 ", name_zh=" 河东社区 ")]),
        STORED,
        SCOPE,
    )
    record = result.records[0]
    assert (record.kind, record.code, record.name_zh) == ("community", "QSZ-12", "河东社区")


def test_units_errors_keep_given_row_numbers_and_cell_values():
    sheet = Sheet(
        columns=tuple(unit()),
        rows=(unit(), unit(code="QSZ-10", households="lots")),
        row_numbers=(2, 7),
    )
    [error] = validate_units(sheet, STORED, SCOPE).errors
    assert (error.row, error.column, error.value) == (7, "households", "lots")


def test_units_every_error_of_every_row_is_reported_in_order():
    assert unit_errors(
        unit(code="", households="-1"), unit(code="QSZ-10", kind="x", population="")
    ) == [
        (2, "code", "required"),
        (2, "households", "negative"),
        (3, "kind", "unknown_kind"),
        (3, "population", "required"),
    ]


def test_sheet_refuses_mismatched_row_numbers():
    with pytest.raises(ValueError, match="row numbers"):
        Sheet(columns=("code",), rows=({"code": "A"},), row_numbers=())


# Roster --------------------------------------------------------------------------------


def test_roster_valid_rows_become_records():
    result = validate_roster(
        Sheet.from_dicts(
            [
                cadre(),
                cadre(gender="女", code="QS042", name="林雅婷", end_date="2026-12-31"),
                cadre(code="QS001", name="王建国", gender="", birth_year=""),
            ]
        ),
        STORED,
        SCOPE,
    )
    assert result.is_valid
    first, second, third = result.records
    assert (first.gender, first.birth_year, first.is_new_cadre) == ("M", 1985, True)
    assert (second.gender, second.end) == ("F", date(2026, 12, 31))
    assert (third.is_new_cadre, third.birth_year) == (False, None)


def test_roster_missing_columns_are_named_on_the_header_row():
    row = cadre()
    del row["post_code"], row["start_date"], row["gender"]
    assert roster_errors(row) == [
        (1, "post_code", "missing_column"),
        (1, "start_date", "missing_column"),
    ]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"code": ""}, ("code", "required")),
        ({"code": "QS/41"}, ("code", "bad_code")),
        ({"name": ""}, ("name", "required")),
        ({"name": "名" * 51}, ("name", "too_long")),
        ({"gender": "X"}, ("gender", "bad_gender")),
        ({"birth_year": "85"}, ("birth_year", "out_of_range")),
        ({"birth_year": "一九八五"}, ("birth_year", "not_integer")),
        ({"post_code": ""}, ("post_code", "required")),
        ({"post_code": "NOPE"}, ("post_code", "unknown_post_code")),
        ({"post_code": "GONE"}, ("post_code", "post_retired")),
        ({"unit_code": ""}, ("unit_code", "required")),
        ({"unit_code": "NOPE"}, ("unit_code", "unknown_unit_code")),
        ({"unit_code": "OTHER", "post_code": "TSEC"}, ("unit_code", "out_of_scope")),
        ({"unit_code": "OLD"}, ("unit_code", "unit_retired")),
        ({"unit_code": "QSZ"}, ("unit_code", "post_level_mismatch")),
        ({"post_code": "TSEC"}, ("unit_code", "post_level_mismatch")),
        ({"start_date": ""}, ("start_date", "required")),
        ({"start_date": "01/02/2026"}, ("start_date", "bad_date")),
        ({"start_date": "2026-02-30"}, ("start_date", "bad_date")),
        ({"end_date": "2026-13-01"}, ("end_date", "bad_date")),
        ({"end_date": "2025-12-31"}, ("end_date", "end_before_start")),
        ({"code": "QS001", "name": "王建"}, ("name", "cadre_name_mismatch")),
        ({"code": "QS099", "name": "退休人"}, ("code", "cadre_retired")),
        (
            {"code": "QS001", "name": "王建国", "post_code": "TSEC", "unit_code": "QSZ"},
            ("start_date", "overlapping_appointment"),
        ),
    ],
)
def test_roster_each_bad_cell_is_named_by_row_and_column(cells, expected):
    assert roster_errors(cadre(code="QS050", name="某人"), cadre(**cells)) == [(3, *expected)]


def test_roster_name_mismatch_names_the_stored_name():
    result = validate_roster(Sheet.from_dicts([cadre(code="QS001", name="王建")]), STORED, SCOPE)
    assert [dict(e.params) for e in result.errors] == [{"code": "QS001", "name": "王建国"}]


def test_roster_stored_appointment_that_ended_before_does_not_overlap():
    row = cadre(code="QS001", name="王建国", start_date="2022-01-01")
    assert roster_errors(row) == []
    assert roster_errors(
        cadre(code="QS001", name="王建国", end_date="2021-06-01", start_date="2019-01-01")
    ) == [(2, "start_date", "overlapping_appointment")]


def test_roster_new_cadre_on_several_rows_must_match():
    rows = [
        cadre(),
        cadre(unit_code="QSZ-07", start_date="2026-02-01"),
        cadre(unit_code="QSZ-07", post_code="VDIR", name="陈小明", gender="F"),
    ]
    result = validate_roster(Sheet.from_dicts(rows), STORED, SCOPE)
    assert [(e.row, e.column, e.code, e.params["first_row"]) for e in result.errors] == [
        (4, "name", "cadre_conflict_in_file", 2),
        (4, "gender", "cadre_conflict_in_file", 2),
    ]


def test_roster_two_appointments_of_one_new_cadre_are_fine():
    rows = [cadre(), cadre(unit_code="QSZ-07")]
    result = validate_roster(Sheet.from_dicts(rows), STORED, SCOPE)
    assert [r.is_new_cadre for r in result.records] == [True, False]


def test_roster_overlap_within_the_file_names_the_first_row():
    rows = [
        cadre(end_date="2026-06-30"),
        cadre(start_date="2026-07-01"),
        cadre(start_date="2026-03-01", end_date="2026-04-01"),
    ]
    result = validate_roster(Sheet.from_dicts(rows), STORED, SCOPE)
    assert [(e.row, e.code, e.params["first_row"]) for e in result.errors] == [
        (4, "overlapping_in_file", 2)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        ("2026/3/1", date(2026, 3, 1)),
        ("2026.03.01", date(2026, 3, 1)),
        ("2026-03-01 00:00:00", date(2026, 3, 1)),
    ],
)
def test_roster_dates_as_spreadsheets_write_them(text, expected):
    result = validate_roster(Sheet.from_dicts([cadre(start_date=text)]), STORED, SCOPE)
    assert result.records[0].start == expected


def test_roster_no_scope_restriction_with_none():
    assert roster_errors(cadre(post_code="TSEC", unit_code="OTHER"), scope=None) == []


def test_roster_optional_columns_may_be_left_out():
    row = cadre()
    del row["gender"], row["birth_year"], row["end_date"]
    result = validate_roster(Sheet.from_dicts([row]), STORED, SCOPE)
    assert (result.records[0].gender, result.records[0].end) == ("", None)
