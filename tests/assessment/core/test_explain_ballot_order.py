"""explain_ballot lists grades best first even when the stored result sorted them.

A result version is stored as canonical JSON, whose keys are sorted: its coefficients
come back as basic, competent, excellent, incompetent. The notice, the portal and the
scorecard printed the columns (and the formula's terms) in that order.
"""

from __future__ import annotations

from assessment.core.explain import explain_ballot
from assessment.core.precision import Precision
from assessment.core.records import BallotGroupOutcome, BallotOutcome

#: As a stored result gives them back: keys in alphabetical order.
SORTED_COEFFICIENTS = {"basic": 0.6, "competent": 0.8, "excellent": 1.0, "incompetent": 0.0}


def test_grades_best_first_and_the_formula_in_that_order():
    # 5 优秀, 1 称职, 0 基本称职, 0 不称职 of 6 valid: (5 × 1 + 1 × 0.8) / 6 × 100 = 96.666… → 96.67
    group = BallotGroupOutcome(
        "leaders",
        30.0,
        {"basic": 0, "competent": 1, "excellent": 5, "incompetent": 0},
        2,
        6,
        8,
        96.67,
    )
    explained = explain_ballot(
        BallotOutcome((group,), SORTED_COEFFICIENTS, 96.67, False), Precision()
    )
    votes = explained.groups[0].votes
    # shares at places + 2 = 4 decimals: 5/6 = 0.8333, 1/6 = 0.1667
    assert votes == (
        ("excellent", 5, 0.8333),
        ("competent", 1, 0.1667),
        ("basic", 0, 0.0),
        ("incompetent", 0, 0.0),
    )
    assert explained.groups[0].expression == "(5 × 1 + 1 × 0.8) / 6 × 100 = 96.67"
