"""Consequence flags against a hand table (issue 15).

Every expected row below is read off the rule by hand: the defaults of the civil-service
assessment rules (公务员考核规定 2020): three consecutive years 优秀 → consider for reward or
promotion; two consecutive years 不称职 → flag; a 基本称职 year bars promotion that year.
Grades are written E (excellent), C (competent), B (basic), I (incompetent), - (no annual
result that year).
"""

from __future__ import annotations

import pytest

from assessment.core.consequences import (
    AnnualGrade,
    ConsequenceKind,
    ConsequenceRules,
    Standing,
    consequence_flags,
    eligibility_lines,
)
from assessment.core.errors import FieldError, InvalidParameterError

CODES = {"E": "excellent", "C": "competent", "B": "basic", "I": "incompetent"}
REWARD = ConsequenceKind.REWARD_CONSIDERATION.value
INCOMPETENT = ConsequenceKind.INCOMPETENT_CONSECUTIVE.value
BARRED = ConsequenceKind.PROMOTION_BARRED.value


def history(first_year: int, letters: str) -> list[AnnualGrade]:
    """``history(2021, "EE-E")``: 2021 E, 2022 E, 2023 nothing, 2024 E (period id = year)."""
    return [
        AnnualGrade(year=first_year + i, period_id=first_year + i, grade=CODES[letter])
        for i, letter in enumerate(letters)
        if letter != "-"
    ]


DEFAULT_RULES = ConsequenceRules()


def flags(letters: str, rules: ConsequenceRules = DEFAULT_RULES) -> list[tuple[str, int]]:
    return [(f.kind.value, f.year) for f in consequence_flags(history(2021, letters), rules)]


# (grades from 2021, expected (flag, year) pairs, why)
HAND_TABLE = [
    ("EEE", [(REWARD, 2023)], "exactly three years 优秀: flagged in the third"),
    ("EE", [], "two years 优秀 are not three"),
    ("EEEE", [(REWARD, 2023), (REWARD, 2024)], "a fourth year flags again"),
    ("EECEE", [], "a 称职 year in between breaks the run (gap year)"),
    ("EE-EE", [], "a year without an annual result breaks the run (missing year)"),
    ("CEEE", [(REWARD, 2024)], "the run may start after another grade"),
    ("II", [(INCOMPETENT, 2022)], "exactly two years 不称职"),
    ("I", [], "one year 不称职 is not two"),
    ("ICI", [], "不称职 with a 称职 year between: no run"),
    ("I-I", [], "不称职 with a missing year between: no run"),
    ("III", [(INCOMPETENT, 2022), (INCOMPETENT, 2023)], "three years: flagged in two years"),
    ("B", [(BARRED, 2021)], "a 基本称职 year bars promotion that year"),
    ("CB", [(BARRED, 2022)], "only in the year it was given"),
    ("BCB", [(BARRED, 2021), (BARRED, 2023)], "each 基本称职 year on its own"),
    ("EEB", [(BARRED, 2023)], "two 优秀 then 基本称职: barred, no reward"),
    ("CCC", [], "称职 raises nothing"),
    ("", [], "no annual result at all"),
]


@pytest.mark.parametrize(("letters", "expected", "why"), HAND_TABLE)
def test_default_rules_against_the_hand_table(letters, expected, why):
    assert flags(letters) == expected, why


def test_a_flag_names_the_periods_behind_it_oldest_first():
    (flag,) = consequence_flags(history(2023, "EEE"))
    assert [(p.year, p.period_id, p.grade) for p in flag.periods] == [
        (2023, 2023, "excellent"),
        (2024, 2024, "excellent"),
        (2025, 2025, "excellent"),
    ]
    assert flag.standing is Standing.CONSIDERED


def test_the_order_of_the_history_does_not_matter():
    assert consequence_flags(list(reversed(history(2021, "EEEII")))) == consequence_flags(
        history(2021, "EEEII")
    )


def test_a_county_sets_its_own_thresholds():
    # two years 优秀 suffice, three years 不称职 are needed, 不称职 (not 基本称职) bars
    rules = ConsequenceRules(reward_years=2, incompetent_years=3, bar_grade="incompetent")
    assert flags("EE", rules) == [(REWARD, 2022)]
    assert flags("II", rules) == [(BARRED, 2021), (BARRED, 2022)]
    assert flags("III", rules) == [
        (BARRED, 2021),
        (BARRED, 2022),
        (INCOMPETENT, 2023),
        (BARRED, 2023),
    ]
    assert flags("B", rules) == []


def test_eligibility_lines_of_one_year_put_the_considered_first():
    histories = {
        "7": history(2023, "EEE"),  # considered in 2025
        "8": history(2023, "CCB"),  # barred in 2025
        "9": history(2023, "EE-"),  # nothing in 2025 (no result that year)
        "10": history(2023, "IIC"),  # flagged in 2024, nothing in 2025
    }
    lines = eligibility_lines(histories, 2025)
    assert [(line.cadre, line.standing.value, line.flag.kind.value) for line in lines] == [
        ("7", "considered", REWARD),
        ("8", "barred", BARRED),
    ]
    assert [(line.cadre, line.flag.kind.value) for line in eligibility_lines(histories, 2024)] == [
        ("10", INCOMPETENT)
    ]


def test_two_results_in_one_year_are_refused():
    with pytest.raises(InvalidParameterError):
        consequence_flags([AnnualGrade(2025, 1, "excellent"), AnnualGrade(2025, 2, "basic")])


@pytest.mark.parametrize(
    ("rules", "field", "code"),
    [
        (ConsequenceRules(reward_years=0), "reward_years", "out_of_range"),
        (ConsequenceRules(incompetent_years=11), "incompetent_years", "out_of_range"),
        (ConsequenceRules(reward_grade=""), "reward_grade", "required"),
        (ConsequenceRules(reward_grade="basic"), "reward_grade", "consequence_grade_clash"),
    ],
)
def test_rules_that_cannot_apply_are_refused_naming_the_field(rules, field, code):
    with pytest.raises(FieldError) as raised:
        consequence_flags(history(2021, "EEE"), rules)
    assert (raised.value.field, raised.value.code) == (field, code)
