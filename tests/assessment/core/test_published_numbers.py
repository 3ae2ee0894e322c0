"""Totals, ranks and grades decided on exactly the published numbers (issue 13).

Every case here was measured with binary floating point first: the comments give what
the engine printed before (``93.99999999999999``, ``89.99999999999999``), and the test
states what the rules say once each indicator's points are rounded to the declared
precision (two decimals, half up) and added exactly. The arithmetic is written out.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from assessment.core.records import (
    ActualInput,
    CadreInput,
    DecisionInput,
    DecisionKind,
    PeriodInputs,
    SurveyTargetInput,
)
from assessment.core.results import compute_period_results
from assessment.core.rulebook import (
    DEFAULT_GRADES,
    Aggregation,
    Category,
    GradingScheme,
    Indicator,
    IndicatorKind,
    IndicatorSet,
    Label,
    Rulebook,
)
from assessment.core.scoring import (
    GradingCandidate,
    QuantitativeRule,
    assign_grades,
    compute_grade,
    compute_quantitative_points,
    compute_total,
)
from surveys.core.tally import summarise_targets

L = Label("例", "example")
K = IndicatorKind


def rulebook(top_quota: float = 0.2) -> Rulebook:
    """Post P: Q1 ratio 15, Q2 ratio 25, Q3 ratio 35 (target 100), S1 survey 25."""
    indicators = (
        Indicator("Q1", L, K.QUANTITATIVE, "work", 15.0, "ratio", "higher", target=100.0),
        Indicator("Q2", L, K.QUANTITATIVE, "work", 25.0, "ratio", "higher", target=100.0),
        Indicator("Q3", L, K.QUANTITATIVE, "work", 35.0, "ratio", "higher", target=100.0),
        Indicator("S1", L, K.SURVEY, "sat", 25.0, subject="cadre"),
    )
    categories = (Category("work", L, 75.0), Category("sat", L, 25.0))
    return Rulebook(
        L,
        GradingScheme(DEFAULT_GRADES, top_quota=top_quota),
        Aggregation(),
        (),
        (IndicatorSet("P", L, categories, indicators),),
    )


def cadre(
    cid: str, q: tuple[float | None, float | None, float | None], scores: list[float]
) -> PeriodInputs:
    actuals = tuple(
        ActualInput(cid, code, value)
        for code, value in zip(("Q1", "Q2", "Q3"), q, strict=True)
        if value is not None
    )
    return PeriodInputs(
        cadres=(CadreInput(cid, cid.upper(), cid, "P", "u1"),),
        actuals=actuals,
        surveys=(SurveyTargetInput("S1", cid, np.array(scores, dtype=np.float64)),),
    )


def merge(*parts: PeriodInputs, decisions: tuple[DecisionInput, ...] = ()) -> PeriodInputs:
    return PeriodInputs(
        cadres=tuple(c for p in parts for c in p.cadres),
        actuals=tuple(a for p in parts for a in p.actuals),
        surveys=tuple(s for p in parts for s in p.surveys),
        decisions=decisions,
    )


# X: Q2 did not exist in X's unit (excluded, the others reweighted by 100 / 75).
#   Q1 = 15 × 4/3 × 86/100 = 17.2           -> 17.20
#   Q3 = 35 × 4/3 × 94/100 = 43.8666...     -> 43.87
#   S1 = 25 × 4/3 × 98.8/100 = 32.9333...   -> 32.93   (S = (100×4 + 94) / 5 = 98.8)
#   total = 17.20 + 43.87 + 32.93 = 94.00   (binary floating point printed 93.99999999999999)
# Y: Q1 = 15 × 100/100 = 15, Q2 = 25 × 95/100 = 23.75, Q3 = 35 × 90/100 = 31.5,
#   S1 = 25 × 95/100 = 23.75 (S = 95); total = 15 + 23.75 + 31.50 + 23.75 = 94.00
X = cadre("x", (86.0, None, 94.0), [100.0, 100.0, 100.0, 100.0, 94.0])
Y = cadre("y", (100.0, 95.0, 90.0), [95.0, 95.0])
X_EXCLUDES_Q2 = DecisionInput("x", "Q2", DecisionKind.EXCLUDE_REWEIGHT, "no such task")
# three more cadres far below, so that the group has five and the quota keeps one 优秀
OTHERS = [cadre(c, (60.0, 60.0, 60.0), [60.0]) for c in ("o1", "o2", "o3")]


def test_x_tied_with_y_in_decimal_ranks_first_on_the_survey_index():
    result = compute_period_results(
        rulebook(),
        merge(X, Y, *OTHERS, decisions=(X_EXCLUDES_Q2,)),
        summarise_survey=summarise_targets,
        resamples=0,
    )
    x, y = result.cadre("x"), result.cadre("y")
    assert [o.points for o in x.indicators] == [17.2, 0.0, 43.87, 32.93]
    assert x.total == y.total == 94.0
    # tied on the total: the survey index (98.8 against 95) decides
    assert (x.rank, y.rank) == (1, 2)
    assert (x.grade, y.grade) == ("excellent", "competent")
    assert y.dropped_by_quota and not x.dropped_by_quota


def test_a_total_of_exactly_90_is_excellent():
    # Q2 excluded again (weights × 4/3): Q1 = 20 × 0.70 = 14, Q3 = 46.666... × 0.95
    # = 44.3333... -> 44.33, S1 = 33.333... × 0.95 = 31.6666... -> 31.67;
    # 14.00 + 44.33 + 31.67 = 90.00 (binary floating point printed 89.99999999999999)
    z = cadre("z", (70.0, None, 95.0), [95.0])
    result = compute_period_results(
        rulebook(top_quota=1.0),
        merge(z, decisions=(DecisionInput("z", "Q2", DecisionKind.EXCLUDE_REWEIGHT, "n/a"),)),
        summarise_survey=summarise_targets,
        resamples=20,
    )
    only = result.cadre("z")
    assert [o.points for o in only.indicators] == [14.0, 0.0, 44.33, 31.67]
    assert only.total == 90.0
    assert only.grade == "excellent"
    # the bootstrap grades its resamples by the same rule: one response, nothing varies
    assert result.confidence is not None
    assert result.confidence.of("z").probabilities["excellent"] == 1.0


def test_points_from_tenths_and_weights_15_30_45_add_to_the_printed_total():
    # 15 × 0.1, 30 × 0.2, 45 × 0.7 are 1.5000000000000002, 6.000000000000001 and
    # 31.499999999999996 in binary; printed 1.50, 6.00, 31.50; total 39.00
    points = [
        compute_quantitative_points(QuantitativeRule("ratio", "higher", w, target=1.0), r).points
        for w, r in ((15, 0.1), (30, 0.2), (45, 0.7))
    ]
    assert points == [1.5, 6.0, 31.5]
    assert compute_total(points, bonus=[0.1, 0.2], bonus_cap=50).total == 39.3


def test_grading_compares_the_printed_total():
    # 93.99999999999999 and 94.0 are both printed 94.00: tied, the survey index decides
    result = assign_grades(
        [
            GradingCandidate("x", "g", 93.99999999999999, survey_index=100.0),
            GradingCandidate("y", "g", 94.0, survey_index=95.0),
            *(GradingCandidate(f"o{i}", "g", 70.0 + i) for i in range(3)),
        ]
    )
    assert [g.id for g in result.grades][:2] == ["x", "y"]
    assert result.grade_of("x").grade == "excellent"
    assert compute_grade(89.99999999999999) == "excellent"  # printed 90.00
    assert compute_grade(89.994) == "competent"  # printed 89.99


@pytest.mark.parametrize(
    ("points", "total"),
    [
        # 0.1 + 0.2 + 89.7 = 90.0 exactly, 90.00000000000001 in binary order of addition
        ([0.1, 0.2, 89.7], "90.00"),
        ([31.499999999999996, 31.5, 27.000000000000004], "90.00"),
    ],
)
def test_total_is_the_exact_sum_of_the_printed_points(points, total):
    result = compute_total(points)
    assert Decimal(repr(result.total)) == Decimal(total)
    assert compute_grade(result.total) == "excellent"
