"""reports.core.verify: comparing fields and results, reading fields back from PDF text."""

from __future__ import annotations

import doctest

import pytest

import reports.core.verify as verify_module
from reports.core.codes import make_verification_code
from reports.core.verify import (
    CheckStatus,
    FieldCheck,
    compare_fields,
    compare_results,
    find_codes,
    printed_fields,
)


def test_doctests_pass():
    failures, tried = doctest.testmod(verify_module)
    assert tried > 0
    assert failures == 0


@pytest.mark.parametrize(
    ("expected", "found", "status"),
    [
        ("88.12", "88.12", CheckStatus.MATCHES),
        ("88.12", "98.12", CheckStatus.DIFFERS),
        ("88.12", None, CheckStatus.MISSING),
        (None, "1", CheckStatus.UNEXPECTED),
        ("88.12", "88.120", CheckStatus.DIFFERS),  # text, not numbers: printed as issued
    ],
)
def test_field_check_status(expected, found, status):
    check = FieldCheck("total", expected, found)
    assert check.status is status
    assert check.ok is (status is CheckStatus.MATCHES)


def test_compare_fields_keeps_printed_order_then_lists_unexpected_keys():
    expected = [("period", "2026"), ("total", "88.12"), ("grade", "competent")]
    found = [("grade", "competent"), ("total", "98.12"), ("total", "88.12"), ("extra", "x")]
    checks = compare_fields(expected, found)
    assert [(c.field, c.status) for c in checks] == [
        ("period", CheckStatus.MISSING),
        ("total", CheckStatus.DIFFERS),  # the first printed value counts
        ("grade", CheckStatus.MATCHES),
        ("extra", CheckStatus.UNEXPECTED),
    ]
    assert [c.field for c in compare_fields(expected, found, report_unexpected=False)] == [
        "period",
        "total",
        "grade",
    ]


def _cadre(code: str, total: float, *, grade: str = "competent", rank: int = 1) -> dict:
    return {
        "code": code,
        "total": total,
        "grade": grade,
        "rank": rank,
        "bonus": 0.0,
        "penalty": 1.5,
        "indicators": [
            {"code": "Q1", "kind": "quantitative", "points": 40.0, "input": 95.0},
            {"code": "S1", "kind": "survey", "points": 20.0, "input": 200 / 3},
        ],
    }


def test_compare_results_names_every_published_number_of_every_cadre():
    result = {"cadres": [_cadre("QS001", 58.5), _cadre("QS002", 50.0, rank=2)]}
    checks = compare_results(result, result, digests=[("data_digest", "ab", "ab")])
    assert all(c.ok for c in checks)
    fields = [c.field for c in checks]
    assert fields[0] == "data_digest"
    # per cadre: total, grade, rank, bonus, penalty, 2 indicators' points, 1 survey index
    assert len(fields) == 1 + 2 * 8
    assert "QS002.S.S1" in fields
    assert "QS001.points.Q1" in fields


def test_compare_results_flags_a_changed_published_number_and_grade():
    # numbers are compared as published (two decimals): one hundredth more in the stored
    # satisfaction index shows; a difference in the 16th digit of the stored double, which
    # publishes the same 66.67 and decides nothing (issue 13), does not
    stored = {"cadres": [_cadre("QS001", 58.5)]}
    recomputed = {"cadres": [_cadre("QS001", 58.5)]}
    stored["cadres"][0]["indicators"][1]["input"] = 200 / 3 + 1.4210854715202004e-14  # 1 ulp
    assert all(c.ok for c in compare_results(stored, recomputed))
    stored["cadres"][0]["indicators"][1]["input"] = 66.68
    stored["cadres"][0]["grade"] = "excellent"
    bad = {c.field: c for c in compare_results(stored, recomputed) if not c.ok}
    assert set(bad) == {"QS001.S.S1", "QS001.grade"}
    assert (bad["QS001.S.S1"].expected, bad["QS001.S.S1"].found) == ("66.67", "66.68")
    assert (bad["QS001.grade"].expected, bad["QS001.grade"].found) == ("competent", "excellent")


def test_compare_results_reports_cadres_missing_or_added():
    stored = {"cadres": [_cadre("QS001", 58.5), _cadre("QS009", 1.0)]}
    recomputed = {"cadres": [_cadre("QS001", 58.5), _cadre("QS002", 1.0)]}
    statuses = {c.field: c.status for c in compare_results(stored, recomputed) if not c.ok}
    assert statuses["QS002.total"] is CheckStatus.MISSING
    assert statuses["QS009.total"] is CheckStatus.UNEXPECTED


# Text as pypdf extracts it from a scorecard whose Verification table breaks across
# pages: the running header and footer of the next page land between two rows.
PDF_TEXT = """Assessment scorecard · 于海涛
Total
88.12
Verification
Verification code: 1-C28-S5VJE927
Check this report at http://localhost/p/verify/1-C28-S5VJE927
Field Value
period 2026 annual (township)
version 1
cadre QS028
name 于海涛
points.W1 13.50
Assessment scorecard · 于海涛
2026 annual (township) · result version 1 · code 1-C28-S5VJE927 · 2026-12-01 17:30 2 / 2
grades.excellent 3
total 88.12
rank 1/16
rules_digest fdcac4f9fa99
data_digest 5688d5ef949f
Assessment scorecard · 于海涛
"""


def test_printed_fields_reads_the_table_across_a_page_break():
    assert printed_fields(PDF_TEXT) == (
        ("period", "2026 annual (township)"),
        ("version", "1"),
        ("cadre", "QS028"),
        ("name", "于海涛"),
        ("points.W1", "13.50"),
        ("grades.excellent", "3"),
        ("total", "88.12"),
        ("rank", "1/16"),
        ("rules_digest", "fdcac4f9fa99"),
        ("data_digest", "5688d5ef949f"),
    )


def test_printed_fields_ignores_a_period_line_not_followed_by_the_version():
    text = "period of the notice 5 days\nsome text\n" + PDF_TEXT
    assert printed_fields(text)[0] == ("period", "2026 annual (township)")


def test_printed_fields_of_text_without_a_table_is_empty():
    assert printed_fields("Verification\nno table here\n") == ()


def test_find_codes_reads_real_codes_case_and_dashes_normalised():
    code = make_verification_code(version_id=3, kind="S", cadre_id=None, fields=[("a", "b")])
    text = f"footer {code}\nVerification code: {code}\nother 3-S-SHORT 0-S-ABCDEFGH"
    assert find_codes(text) == (code,)
    assert find_codes("nothing here") == ()
