"""Verification codes: format, binding to the printed fields, forgiving parsing, refusals."""

from __future__ import annotations

import hashlib
import json

import pytest

from assessment.core.errors import InvalidParameterError
from reports.core.codes import (
    CHECK_LENGTH,
    ReportKind,
    fields_digest,
    find_typing_mistake,
    make_verification_code,
    parse_verification_code,
)
from surveys.core.codes import ALPHABET

FIELDS = (
    ("period", "2026年度考核"),
    ("version", "2"),
    ("total", "87.50"),
    ("grade", "excellent"),
    ("rank", "3/12"),
)


def test_fields_digest_is_sha256_of_the_canonical_json_of_the_pairs():
    # Written out independently: sorted keys do not apply to a list, UTF-8 kept as is.
    text = (
        '[["period","2026年度考核"],["version","2"],["total","87.50"],'
        '["grade","excellent"],["rank","3/12"]]'
    )
    assert json.dumps([list(p) for p in FIELDS], separators=(",", ":"), ensure_ascii=False) == text
    assert fields_digest(FIELDS) == hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("kind", "cadre_id", "prefix"),
    [("C", 23, "17-C23-"), ("S", None, "17-S-"), ("N", None, "17-N-")],
)
def test_code_names_version_kind_and_cadre_then_eight_symbols(kind, cadre_id, prefix):
    code = make_verification_code(version_id=17, kind=kind, cadre_id=cadre_id, fields=FIELDS)
    assert code.startswith(prefix)
    check = code[len(prefix) :]
    assert len(check) == CHECK_LENGTH == 8
    assert set(check) <= set(ALPHABET)
    assert not set(check) & set("01ILO")


def test_code_is_deterministic_and_round_trips():
    one = make_verification_code(version_id=5, kind="C", cadre_id=9, fields=FIELDS)
    assert one == make_verification_code(version_id=5, kind="C", cadre_id=9, fields=list(FIELDS))
    parsed = parse_verification_code(one)
    assert parsed is not None
    assert (parsed.version_id, parsed.kind, parsed.cadre_id) == (5, ReportKind.SCORECARD, 9)
    assert parsed.text == one


def test_any_edited_value_or_order_changes_the_code():
    base = make_verification_code(version_id=5, kind="S", cadre_id=None, fields=FIELDS)
    edited = (*FIELDS[:2], ("total", "87.51"), *FIELDS[3:])
    swapped = (FIELDS[1], FIELDS[0], *FIELDS[2:])
    renamed = (*FIELDS[:2], ("totals", "87.50"), *FIELDS[3:])
    for fields in (edited, swapped, renamed, FIELDS[:-1]):
        assert make_verification_code(version_id=5, kind="S", cadre_id=None, fields=fields) != base


def test_code_copied_to_another_version_kind_or_cadre_does_not_match():
    codes = {
        make_verification_code(version_id=5, kind="C", cadre_id=9, fields=FIELDS).split("-")[2],
        make_verification_code(version_id=6, kind="C", cadre_id=9, fields=FIELDS).split("-")[2],
        make_verification_code(version_id=5, kind="C", cadre_id=10, fields=FIELDS).split("-")[2],
        make_verification_code(version_id=5, kind="S", cadre_id=None, fields=FIELDS).split("-")[2],
        make_verification_code(version_id=5, kind="N", cadre_id=None, fields=FIELDS).split("-")[2],
    }
    assert len(codes) == 5


def test_checks_of_many_totals_do_not_collide():
    # 5,000 totals 0.00-49.99: with 31**8 ≈ 8.5e11 checks a collision has probability
    # about 5000**2 / 2 / 8.5e11 ≈ 1.5e-5, so any collision points at a weak check.
    checks = {
        make_verification_code(
            version_id=1, kind="S", cadre_id=None, fields=[("total", f"{i / 100:.2f}")]
        )
        for i in range(5000)
    }
    assert len(checks) == 5000


@pytest.mark.parametrize(
    "typed",
    [
        "17-c23-k7qf9mxa",
        "  17-C23-K7QF9MXA \n",
        "17 - C23 - K7QF 9MXA",
        "17\u2013C23\u2014K7QF9MXA",
    ],
)
def test_parsing_forgives_case_spaces_and_typographic_dashes(typed):
    parsed = parse_verification_code(typed)
    assert parsed is not None
    assert parsed.text == "17-C23-K7QF9MXA"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "17-S-K7QF9MX",  # 7 symbols
        "17-S-K7QF9MXAB",  # 9 symbols
        "17-S-K7QF9MX0",  # 0 is not in the alphabet
        "17-S-K7QF9MXO",  # nor O
        "17-S-K7QF9MXI",  # nor I
        "17-C-K7QF9MXA",  # scorecard without a cadre
        "17-S23-K7QF9MXA",  # summary with a cadre
        "017-S-K7QF9MXA",  # leading zero
        "0-S-K7QF9MXA",
        "17-X-K7QF9MXA",
        "17-S-K7QF9MXA-extra",
        "https://kh.example.cn/p/verify/17-S-K7QF9MXA",
        "17-S-K7QF9MXA" + " " * 100,
        None,
        17,
    ],
)
def test_parsing_refuses_what_is_not_a_code(typed):
    assert parse_verification_code(typed) is None


@pytest.mark.parametrize(
    ("kwargs", "name", "reason"),
    [
        ({"kind": "X", "cadre_id": None}, "kind", "unknown_report_kind"),
        ({"kind": "scorecard", "cadre_id": 3}, "kind", "unknown_report_kind"),
        ({"kind": "C", "cadre_id": None}, "cadre_id", "required_for_scorecards_only"),
        ({"kind": "S", "cadre_id": 3}, "cadre_id", "required_for_scorecards_only"),
        ({"kind": "C", "cadre_id": 0}, "cadre_id", "must_be_positive"),
        ({"kind": "S", "cadre_id": None, "version_id": 0}, "version_id", "must_be_positive"),
        ({"kind": "S", "cadre_id": None, "version_id": True}, "version_id", "must_be_positive"),
        ({"kind": "S", "cadre_id": None, "fields": [("total", 87.5)]}, "fields", None),
        ({"kind": "S", "cadre_id": None, "fields": [(1, "x")]}, "fields", None),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, name, reason):
    arguments = {"version_id": 1, "fields": FIELDS, **kwargs}
    with pytest.raises(InvalidParameterError) as raised:
        make_verification_code(**arguments)
    assert raised.value.name == name
    if reason is not None:
        assert raised.value.reason == reason


# ---------------------------------------------------------------------------
# typing mistakes (issue 20): told apart from codes that were not issued
# ---------------------------------------------------------------------------

ISSUED = "17-C23-K7QF9MXA"


@pytest.mark.parametrize(
    ("typed", "position"),
    [
        ("17-C23-K7QF6MXA", 12),  # G/6-style misreading: one symbol replaced
        ("17-c23-k7qf9mxb", 15),  # the last symbol, in lower case
        ("17-C23-K7FQ9MXA", 10),  # two neighbours swapped
        ("17-C23-K7Q9MXA", 11),  # one symbol left out
        ("17-C23-K7QFF9MXA", 12),  # one symbol typed twice
        ("17-C23-K7QF9MX", 14),  # the last one left out: points at the last one typed
    ],
)
def test_one_edit_from_the_issued_check_is_a_typing_mistake_at_its_place(typed, position):
    mistake = find_typing_mistake(typed, ISSUED)
    assert mistake is not None
    assert mistake.position == position
    assert mistake.text == "".join(typed.split()).upper()


@pytest.mark.parametrize(
    ("typed", "position"),
    [("17-C23-K7QF9MX0", 15), ("17-C23-K7OF9MXA", 10), ("17-C23-K7QF9MXI", 15)],
)
def test_a_symbol_codes_never_use_is_a_typing_mistake_without_the_database(typed, position):
    mistake = find_typing_mistake(typed, None)
    assert mistake is not None
    assert mistake.position == position


def test_a_check_of_the_wrong_length_is_a_typing_mistake_of_unknown_place():
    mistake = find_typing_mistake("17-C23-K7QF9MXAA2", None)
    assert mistake is not None
    assert mistake.position is None


@pytest.mark.parametrize(
    "typed",
    [
        ISSUED,  # the issued code itself is no mistake
        "17-C23-PQ4RT8ZC",  # another well-formed check: not issued (changed report), no typo
        "17-C23-K7QF6MXB",  # two symbols wrong: not one slip of the finger
        "17-C24-K7QF9MXA",  # the check of another report: not issued
        "junk",
        "1-X-ABCDEFGH",
    ],
)
def test_codes_that_are_not_one_slip_away_are_no_typing_mistake(typed):
    assert find_typing_mistake(typed, ISSUED) is None


def test_well_formed_code_without_an_issued_one_is_no_typing_mistake():
    assert find_typing_mistake("17-C23-PQ4RT8ZC", None) is None
