"""The live preview: same scoring as the final computation, missing inputs listed."""

from __future__ import annotations

import pytest

from assessment.core.errors import InvalidParameterError
from assessment.core.preview import IndicatorStatus, PreviewEvent, compute_preview
from assessment.core.rulebook import (
    DEFAULT_GRADES,
    DEFAULT_LEVELS,
    Aggregation,
    Category,
    GradingScheme,
    Indicator,
    IndicatorKind,
    IndicatorSet,
    Label,
    Rubric,
    Rulebook,
    Step,
)
from assessment.core.scoring import (
    QuantitativeRule,
    compute_qualitative_points,
    compute_quantitative_points,
)

N = Label("名", "name")


def _set(*, bonus_cap=3.0, penalty_cap=5.0):
    return IndicatorSet(
        post="VSEC",
        name=N,
        categories=(Category("ji", N, 70.0), Category("my", N, 30.0)),
        indicators=(
            Indicator(
                "W1",
                N,
                IndicatorKind.QUANTITATIVE,
                "ji",
                20.0,
                "linear",
                "higher",
                baseline=50.0,
                target=100.0,
                cap=1.2,
            ),
            Indicator(
                "W2",
                N,
                IndicatorKind.QUANTITATIVE,
                "ji",
                10.0,
                "steps",
                "higher",
                steps=(Step(80.0, 0.6), Step(90.0, 0.8), Step(98.0, 1.0)),
            ),
            Indicator("W3", N, IndicatorKind.QUANTITATIVE, "ji", 10.0, "binary", "higher"),
            Indicator("Q1", N, IndicatorKind.QUALITATIVE, "ji", 30.0, rubric="std"),
            Indicator("S1", N, IndicatorKind.SURVEY, "my", 30.0, subject="cadre"),
            Indicator("V1", N, IndicatorKind.VETO, caps_at="basic"),
            Indicator("V2", N, IndicatorKind.VETO, caps_at="incompetent"),
            Indicator("B1", N, IndicatorKind.BONUS, points=2.0),
            Indicator("P1", N, IndicatorKind.PENALTY, points=2.0),
        ),
        bonus_cap=bonus_cap,
        penalty_cap=penalty_cap,
    )


def _book(indicator_set, trim_threshold=5):
    return Rulebook(
        title=N,
        grading=GradingScheme(DEFAULT_GRADES),
        aggregation=Aggregation(trim_threshold=trim_threshold),
        rubrics=(Rubric("std", N, DEFAULT_LEVELS),),
        indicator_sets=(indicator_set,),
    )


def _preview(actuals=None, levels=None, expected=5, events=(), survey=None, panels=True, **kw):
    indicator_set = _set(**kw)
    return compute_preview(
        _book(indicator_set),
        indicator_set,
        actuals=actuals or {},
        rating_levels=levels or {},
        expected_ratings=expected,
        events=events,
        survey_indices=survey,
        show_panels=panels,
    )


def _by_code(result):
    return {p.code: p for p in result.indicators}


def test_preview_nothing_entered_lists_every_input_and_scores_zero_not_as_a_value():
    result = _preview()
    assert result.total.total == 0.0
    assert [(m.indicator, m.reason) for m in result.missing] == [
        ("W1", "actual_missing"),
        ("W2", "actual_missing"),
        ("W3", "actual_missing"),
        ("Q1", "no_ratings"),
        ("S1", "survey_pending"),
    ]
    shown = _by_code(result)
    assert all(p.points is None for p in shown.values())
    assert shown["S1"].status is IndicatorStatus.PENDING_SURVEY
    assert result.grade is None
    assert not result.is_complete


def test_preview_quantitative_points_equal_the_final_scoring_function():
    result = _preview(actuals={"W1": 75.0, "W2": 91.0, "W3": 1.0})
    shown = _by_code(result)
    expected = compute_quantitative_points(
        QuantitativeRule("linear", "higher", 20.0, baseline=50.0, target=100.0, cap=1.2), 75.0
    )
    assert shown["W1"].points == pytest.approx(expected.points) == pytest.approx(10.0)
    assert shown["W1"].ratio == pytest.approx(0.5)
    assert shown["W2"].points == pytest.approx(8.0)
    assert shown["W3"].points == pytest.approx(10.0)
    assert result.total.total == pytest.approx(28.0)
    assert result.max_points_scored == pytest.approx(20.0 * 1.2 + 10.0 + 10.0)


def test_preview_zero_actual_is_a_value_not_a_missing_input():
    result = _preview(actuals={"W3": 0.0})
    shown = _by_code(result)
    assert shown["W3"].status is IndicatorStatus.SCORED
    assert shown["W3"].points == 0.0
    assert "W3" not in {m.indicator for m in result.missing}


def test_preview_invalid_actual_is_listed_with_the_reason():
    result = _preview(actuals={"W3": 2.0})
    assert _by_code(result)["W3"].status is IndicatorStatus.INVALID
    (gap,) = [m for m in result.missing if m.indicator == "W3"]
    assert (gap.reason, gap.detail) == ("invalid_actual", "binary_not_0_or_1")


def test_preview_qualitative_panel_value_uses_the_trimmed_mean_rule():
    levels = ["A", "B", "B", "C", "D"]
    result = _preview(levels={"Q1": levels}, expected=5)
    q1 = _by_code(result)["Q1"]
    expected = compute_qualitative_points(30.0, [100, 85, 85, 70, 50], trim_threshold=5)
    assert q1.status is IndicatorStatus.SCORED
    assert q1.panel_value == pytest.approx(80.0) == pytest.approx(expected.value)
    assert q1.points == pytest.approx(24.0)
    assert q1.trimmed
    assert "Q1" not in {m.indicator for m in result.missing}


def test_preview_partial_panel_lists_the_missing_ratings():
    result = _preview(levels={"Q1": ["A", "B"]}, expected=4)
    q1 = _by_code(result)["Q1"]
    assert q1.status is IndicatorStatus.PARTIAL
    assert q1.panel_value == pytest.approx(92.5)
    assert (q1.n_ratings, q1.expected_ratings) == (2, 4)
    (gap,) = [m for m in result.missing if m.indicator == "Q1"]
    assert (gap.reason, gap.count) == ("ratings_missing", 2)


def test_preview_before_computation_withholds_every_panel_value_and_the_grade():
    inputs = {
        "actuals": {"W1": 100.0, "W2": 100.0, "W3": 1.0},
        "levels": {"Q1": ["A", "D", "B", "C", "A"]},
        "survey": {"S1": 80.0},
    }
    hidden = _preview(**inputs, panels=False)
    shown = _preview(**inputs, panels=True)
    q1 = _by_code(hidden)["Q1"]
    assert q1.status is IndicatorStatus.WITHHELD
    assert (q1.panel_value, q1.points, q1.trimmed, q1.n_ratings) == (None, None, False, 5)
    # the same total without the panel's points, and no grade although nothing is missing
    assert hidden.total.total == pytest.approx(shown.total.total - _by_code(shown)["Q1"].points)
    assert shown.grade is not None
    assert hidden.is_complete and hidden.grade is None


@pytest.mark.parametrize("other_level", ["A", "B", "C", "D"])
def test_preview_before_computation_is_the_same_whatever_another_assessor_chose(other_level):
    # The differencing attack on the pure function: everything the preview returns is
    # the same for every level the last assessor could have picked.
    def seen(levels):
        return _preview(actuals={"W1": 80.0}, levels={"Q1": levels}, panels=False)

    assert seen(["B", "C", "A", other_level]) == seen(["B", "C", "A", "D"])


def test_preview_unknown_level_is_listed_and_not_counted():
    result = _preview(levels={"Q1": ["A", "Z"]}, expected=2)
    q1 = _by_code(result)["Q1"]
    assert q1.n_ratings == 1
    assert {(m.reason, m.count) for m in result.missing if m.indicator == "Q1"} == {
        ("unknown_level", 1),
        ("ratings_missing", 1),
    }


def test_preview_bonus_and_penalty_are_capped_as_the_set_says():
    events = [PreviewEvent("B1", 2.0)] * 3 + [PreviewEvent("P1", 2.0)]
    result = _preview(actuals={"W1": 100.0}, events=events, bonus_cap=3.0)
    assert result.total.bonus == 3.0 and result.total.bonus_capped
    assert result.total.penalty == 2.0
    assert result.total.total == pytest.approx(20.0 + 3.0 - 2.0)


def test_preview_total_is_floored_at_zero():
    result = _preview(events=[PreviewEvent("P1", 2.0)])
    assert result.total.total == 0.0 and result.total.floored


def test_preview_complete_inputs_give_a_grade_capped_by_the_worst_veto():
    inputs = {
        "actuals": {"W1": 110.0, "W2": 99.0, "W3": 1.0},
        "levels": {"Q1": ["A"] * 5},
        "survey": {"S1": 100.0},
    }
    result = _preview(**inputs)
    assert result.is_complete
    assert result.total.total == pytest.approx(24.0 + 10 + 10 + 30 + 30)
    assert result.grade == "excellent"
    vetoed = _preview(**inputs, events=[PreviewEvent("V1"), PreviewEvent("V2")])
    assert vetoed.vetoes == ("V1", "V2")
    assert vetoed.veto_cap == "incompetent"
    assert vetoed.grade == "incompetent"


def test_preview_event_for_an_unknown_indicator_is_listed():
    result = _preview(events=[PreviewEvent("B9", 1.0)])
    assert ("B9", "unknown_indicator") in {(m.indicator, m.reason) for m in result.missing}
    assert result.total.bonus == 0.0


def test_preview_does_not_depend_on_the_order_of_ratings():
    a = _preview(levels={"Q1": ["A", "B", "C", "D", "B", "A"]})
    b = _preview(levels={"Q1": ["B", "A", "D", "A", "C", "B"]})
    assert _by_code(a)["Q1"].panel_value == _by_code(b)["Q1"].panel_value


def test_preview_refuses_a_negative_number_of_expected_ratings():
    with pytest.raises(InvalidParameterError):
        _preview(expected=-1)
