"""Totals, ranks and grades decided on the published numbers, in decimal arithmetic.

Issue 13 measured the engine deciding grades and ties on binary floating-point noise:
a total of exactly 90 came out as 89.99999999999999 (printed 90.00, graded 称职), and
two cadres both printed 94.00 were ranked by a difference in the 16th digit instead of
by the survey index. The cases below are built from decimals such as 0.2, 0.6, 0.7,
0.8 and weights 15, 30, 45; the exact values are worked by hand in the comments, and
the floating-point values they used to give were measured with the engine before the
fix (``git show HEAD~1:assessment/core/scoring.py``).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.core.records import (
    ActualInput,
    CadreInput,
    EventInput,
    PeriodInputs,
    RatingInput,
    SurveyTargetInput,
    result_to_plain,
)
from assessment.core.results import compute_period_results
from assessment.core.rulebook import (
    DEFAULT_GRADES,
    Aggregation,
    Breakpoint,
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


def linear_rulebook(top_quota: float = 0.2) -> Rulebook:
    """Q1 15, Q2 30, Q3 45: linear, baseline 0.2, target 0.8; S1 survey 10."""
    indicators = tuple(
        Indicator(code, L, K.QUANTITATIVE, "work", weight, "linear", "higher", 0.2, 0.8)
        for code, weight in (("Q1", 15.0), ("Q2", 30.0), ("Q3", 45.0))
    )
    survey = Indicator("S1", L, K.SURVEY, "sat", 10.0, subject="cadre")
    post = IndicatorSet(
        "P", L, (Category("work", L, 90.0), Category("sat", L, 10.0)), (*indicators, survey)
    )
    grading = GradingScheme(DEFAULT_GRADES, top_quota=top_quota)
    return Rulebook(L, grading, Aggregation(), (), (post,))


def cadre(cid: str, actuals: tuple[float, float, float], scores: tuple[float, ...]):
    return (
        CadreInput(cid, cid.upper(), cid, "P", "u1"),
        tuple(
            ActualInput(cid, code, a) for code, a in zip(("Q1", "Q2", "Q3"), actuals, strict=True)
        ),
        SurveyTargetInput("S1", cid, np.array(scores, dtype=np.float64)),
    )


def compute(rulebook: Rulebook, parts):
    inputs = PeriodInputs(
        cadres=tuple(p[0] for p in parts),
        actuals=tuple(a for p in parts for a in p[1]),
        surveys=tuple(p[2] for p in parts),
    )
    return compute_period_results(rulebook, inputs, summarise_survey=summarise_targets, resamples=0)


def test_a_total_of_exactly_90_is_excellent():
    # r = (a - 0.2) / (0.8 - 0.2): Q1 a = 0.6 -> 2/3, 15 × 2/3 = 10;
    # Q2 a = 0.7 -> 5/6, 30 × 5/6 = 25; Q3 a = 0.8 -> 1, 45 × 1 = 45; S1 = 100 -> 10.
    # Total 10 + 25 + 45 + 10 = 90 exactly; binary floating point gave 89.99999999999999.
    # (quota 1: a group of one may keep 优秀)
    result = compute(linear_rulebook(top_quota=1.0), [cadre("x", (0.6, 0.7, 0.8), (100.0,))])
    x = result.cadre("x")
    assert [o.points for o in x.indicators] == [10.0, 25.0, 45.0, 10.0]
    assert x.total == 90.0
    assert (x.earned, x.grade) == ("excellent", "excellent")


def test_cadres_tied_in_decimal_are_ranked_by_the_survey_index():
    # X: 10 + 25 + 45 + 10 (S = 100) = 90 exactly (floating point: 89.99999999999999).
    # Y: Q1 a = 0.5 -> 1/2, 7.5; Q2 a = 0.8 -> 30; Q3 45; S = 75 -> 7.5: 90 exactly.
    # Tied on the total, X has the higher survey index (100 > 75): X ranks first and,
    # in a group of five with a 20% quota (1 place), keeps 优秀; Y drops by the quota.
    others = [cadre(c, (0.5, 0.5, 0.5), (50.0,)) for c in "abc"]
    result = compute(
        linear_rulebook(),
        [cadre("x", (0.6, 0.7, 0.8), (100.0,)), cadre("y", (0.5, 0.8, 0.8), (75.0,)), *others],
    )
    x, y = result.cadre("x"), result.cadre("y")
    assert x.total == y.total == 90.0
    assert (x.rank, x.grade) == (1, "excellent")
    assert (y.rank, y.grade, y.dropped_by_quota) == (2, "competent", True)
    assert result.tie_dropped == ()


def test_measured_tie_93_99999999999999_against_94_goes_to_the_survey_index():
    # The totals the issue measured: both are 94.00 as published, so they are tied on
    # the total and the survey index decides (100 against 95).
    result = assign_grades(
        [
            GradingCandidate("x", "g", 93.99999999999999, survey_index=100.0),
            GradingCandidate("y", "g", 94.0, survey_index=95.0),
        ],
        top_quota=None,
    )
    assert [(g.id, g.rank) for g in result.grades] == [("x", 1), ("y", 2)]


def test_the_grade_reads_the_published_total():
    # 89.99999999999999 is published as 90.00, and 90.00 earns 优秀.
    assert compute_grade(89.99999999999999) == "excellent"
    assert compute_grade(89.994) == "competent"  # published 89.99


def test_points_are_rounded_half_up_from_the_exact_ratio():
    # r = (0.7 - 0.2) / (1.0 - 0.2) = 0.5 / 0.8 = 0.625 exactly; 45 × 0.625 = 28.125,
    # published half up as 28.13. Floating point gives 28.124999999999996 (-> 28.12).
    rule = QuantitativeRule("linear", "higher", weight=45.0, baseline=0.2, target=1.0)
    assert compute_quantitative_points(rule, 0.7).points == 28.13


def test_the_total_is_the_exact_sum_of_the_published_points():
    # 0.1 + 0.2 is 0.30000000000000004 in binary floating point; in decimal it is 0.3.
    assert compute_total([0.1, 0.2]).total == 0.3
    # 15 × 0.7 + 30 × 0.2 + 45 × 0.1 = 10.5 + 6 + 4.5 = 21
    points = [15 * 0.7, 30 * 0.2, 45 * 0.1]
    assert compute_total(points, [0.1], [0.2], bonus_cap=3, penalty_cap=3).total == 20.9


# --- properties: re-adding the printed numbers --------------------------------------

# decimals as a township types them: 0-2 decimals
decimals = st.integers(min_value=0, max_value=10_000).map(lambda h: h / 100)
ratings = st.sampled_from([100.0, 85.0, 70.0, 50.0])


def mixed_rulebook() -> Rulebook:
    """Q1 linear 15 (b 0.2, t 0.9), Q2 efficacy 30 (u 40, s 95), Q3 piecewise 45, I1 panel 10."""
    post = IndicatorSet(
        "P",
        L,
        (Category("work", L, 90.0), Category("ability", L, 10.0)),
        (
            Indicator("Q1", L, K.QUANTITATIVE, "work", 15.0, "linear", "higher", 0.2, 0.9),
            Indicator(
                "Q2",
                L,
                K.QUANTITATIVE,
                "work",
                30.0,
                "efficacy",
                "higher",
                cap=1.2,
                unacceptable=40.0,
                satisfactory=95.0,
            ),
            Indicator(
                "Q3",
                L,
                K.QUANTITATIVE,
                "work",
                45.0,
                "piecewise",
                "lower",
                breakpoints=(Breakpoint(30.0, 0.0), Breakpoint(10.0, 0.7), Breakpoint(3.0, 1.0)),
            ),
            Indicator("I1", L, K.QUALITATIVE, "ability", 10.0, rubric="standard"),
            Indicator("B1", L, K.BONUS, points=0.25),
            Indicator("P1", L, K.PENALTY, points=0.5),
        ),
        bonus_cap=1.5,
        penalty_cap=2.0,
    )
    return Rulebook(
        L, GradingScheme(DEFAULT_GRADES, top_quota=0.3), Aggregation(trim_threshold=3), (), (post,)
    )


@st.composite
def mixed_inputs(draw: st.DrawFn) -> PeriodInputs:
    n = draw(st.integers(min_value=1, max_value=6))
    cadres, actuals, panel, events = [], [], [], []
    for i in range(n):
        cid = f"c{i}"
        cadres.append(CadreInput(cid, cid.upper(), cid, "P", "u"))
        for code in ("Q1", "Q2", "Q3"):
            actuals.append(ActualInput(cid, code, draw(decimals)))
        for a, value in enumerate(draw(st.lists(ratings, min_size=1, max_size=5))):
            panel.append(RatingInput(f"a{a}", cid, "I1", value))
        for e in range(draw(st.integers(0, 3))):
            events.append(EventInput(f"{cid}e{e}", cid, draw(st.sampled_from(["B1", "P1"]))))
    return PeriodInputs(
        cadres=tuple(cadres), actuals=tuple(actuals), ratings=tuple(panel), events=tuple(events)
    )


def printed(value: float) -> Decimal:
    """A number as the report prints it: two decimals."""
    return Decimal(f"{value:.2f}")


@settings(max_examples=150, deadline=None)
@given(mixed_inputs())
def test_property_re_adding_the_printed_points_gives_the_printed_total_and_grade(inputs):
    rulebook = mixed_rulebook()
    result = compute_period_results(rulebook, inputs, resamples=0)
    for c in result.cadres:
        points = sum((printed(o.points) for o in c.indicators), Decimal(0))
        assert printed(c.points) == points
        total = max(points + printed(c.bonus) - printed(c.penalty), Decimal(0))
        assert printed(c.total) == total
        # every published number is exactly its printed form
        assert Decimal(repr(c.total)) == total
        # the printed total earns the printed grade (before the quota): grade minimums
        earned = next(g.code for g in rulebook.grading.grades if total >= Decimal(g.minimum))
        assert c.earned == earned


@settings(max_examples=60, deadline=None)
@given(mixed_inputs(), st.randoms(use_true_random=False))
def test_property_input_order_does_not_change_the_result(inputs, rnd):
    def shuffled(values):
        values = list(values)
        rnd.shuffle(values)
        return tuple(values)

    other = PeriodInputs(
        cadres=shuffled(inputs.cadres),
        actuals=shuffled(inputs.actuals),
        ratings=shuffled(inputs.ratings),
        events=shuffled(inputs.events),
    )
    rulebook = mixed_rulebook()
    assert result_to_plain(compute_period_results(rulebook, other, resamples=0)) == (
        result_to_plain(compute_period_results(rulebook, inputs, resamples=0))
    )
