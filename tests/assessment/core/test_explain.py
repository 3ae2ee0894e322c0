"""Explanations of stored results: hand-worked formulas and agreement with the engine.

The expected expressions are worked by hand from the formulas of DESIGN.md section 4
(the arithmetic is in the comments). The agreement tests compute results with
``assessment.core.results.compute_period_results`` (the engine the app stores), pass
them through ``result_to_plain`` and JSON as a stored version does, and check that
every explanation's formula, evaluated with its full-precision terms and rounded half up
to the rulebook's two decimals, gives the stored points.
"""

from __future__ import annotations

import doctest
import json
import math
import re

import numpy as np
import pytest

from assessment.core import explain as explain_module
from assessment.core.errors import InvalidParameterError
from assessment.core.explain import (
    IndicatorExplanation,
    TotalExplanation,
    category_points,
    explain_cadre,
    explain_events,
    explain_indicator,
    explain_total,
    format_number,
    group_category_means,
)
from assessment.core.records import (
    ActualInput,
    CadreInput,
    DecisionInput,
    DecisionKind,
    EventInput,
    PeriodInputs,
    RatingInput,
    SurveyTargetInput,
    UnitInput,
    result_to_plain,
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
    Step,
    parse_rulebook,
)
from surveys.core.tally import summarise_targets

L = Label("例", "example")
K = IndicatorKind


def make_rulebook(*, post_stratification: bool = False) -> Rulebook:
    """Post A: every quantitative method in both directions, a panel, a survey, events."""
    indicators = (
        Indicator("L1", L, K.QUANTITATIVE, "work", 20.0, "linear", "higher", 80.0, 95.0),
        Indicator("L2", L, K.QUANTITATIVE, "work", 10.0, "linear", "lower", 20.0, 10.0),
        Indicator("R1", L, K.QUANTITATIVE, "work", 10.0, "ratio", "higher", None, 10.0, 1.2),
        Indicator("R2", L, K.QUANTITATIVE, "work", 8.0, "ratio", "lower", None, 3.0),
        Indicator(
            "ST",
            L,
            K.QUANTITATIVE,
            "work",
            10.0,
            "steps",
            "higher",
            steps=(Step(60.0, 0.5), Step(80.0, 0.8), Step(95.0, 1.0)),
        ),
        Indicator(
            "SL",
            L,
            K.QUANTITATIVE,
            "work",
            6.0,
            "steps",
            "lower",
            steps=(Step(10.0, 0.5), Step(5.0, 1.0)),
        ),
        Indicator("BT", L, K.QUANTITATIVE, "work", 6.0, "binary", "lower", None, 0.0),
        Indicator("BN", L, K.QUANTITATIVE, "work", 4.0, "binary", "higher"),
        Indicator("Q", L, K.QUALITATIVE, "ability", 10.0, rubric="standard"),
        Indicator("SV", L, K.SURVEY, "sat", 16.0, subject="cadre"),
        Indicator("V1", L, K.VETO, caps_at="basic"),
        Indicator("B1", L, K.BONUS, points=2.0),
        Indicator("P1", L, K.PENALTY, points=1.0),
    )
    categories = (Category("work", L, 74.0), Category("ability", L, 10.0), Category("sat", L, 16.0))
    return Rulebook(
        L,
        GradingScheme(DEFAULT_GRADES),
        Aggregation(post_stratification=post_stratification),
        (),
        (IndicatorSet("A", L, categories, indicators, bonus_cap=3.0, penalty_cap=5.0),),
    )


def stored(rulebook: Rulebook, inputs: PeriodInputs) -> dict:
    """The result as a version stores it: plain, through JSON."""
    result = compute_period_results(
        rulebook, inputs, summarise_survey=summarise_targets, resamples=0
    )
    return json.loads(json.dumps(result_to_plain(result)))


def cadre_a_inputs(cid: str = "a") -> dict[str, tuple[object, ...]]:
    actuals = {"L1": 92, "L2": 15, "R1": 12, "R2": 0, "ST": 85, "SL": 7, "BT": 0, "BN": 1}
    return {
        "cadres": (CadreInput(cid, cid.upper(), f"name {cid}", "A", "u1"),),
        "actuals": tuple(ActualInput(cid, code, float(v)) for code, v in actuals.items()),
        "ratings": tuple(
            RatingInput(f"r{i}", cid, "Q", v) for i, v in enumerate([100, 85, 85, 70, 50])
        ),
        "surveys": (SurveyTargetInput("SV", cid, np.array([100.0, 75.0, 50.0, 75.0])),),
    }


def merge(*parts: dict[str, tuple[object, ...]], **extra: tuple[object, ...]) -> PeriodInputs:
    fields: dict[str, list[object]] = {}
    for part in (*parts, extra):
        for key, values in part.items():
            fields.setdefault(key, []).extend(values)
    return PeriodInputs(**{k: tuple(v) for k, v in fields.items()})  # type: ignore[arg-type]


_ALLOWED = re.compile(r"^[0-9eE+\-*/()., a-z]*$")


def evaluate(formula: str, terms: tuple[tuple[str, float], ...]) -> float:
    """The formula with the full-precision terms put in, read as arithmetic."""
    text = formula.format(**{name: repr(value) for name, value in terms})
    text = text.replace("×", "*").replace("−", "-")
    # only digits, operators and the three function names may reach eval
    assert _ALLOWED.match(text), text
    assert set(re.findall(r"[a-z]+", text)) <= {"min", "max", "e"}, text
    names = {"min": min, "max": max}
    return float(eval(text, {"__builtins__": {}}, names))  # noqa: S307 - checked above


def half_up(value: float) -> float:
    """Two decimals, half up, on the value read to 9 decimals (independent of the code)."""
    nano = round(value * 1e9)
    return math.floor(nano / 1e7 + 0.5) / 100 if nano >= 0 else -half_up(-value)


def check_agrees(explanation: IndicatorExplanation | TotalExplanation, expected: float) -> None:
    assert half_up(evaluate(explanation.formula, explanation.terms)) == expected


def by_code(explanations: tuple[IndicatorExplanation, ...]) -> dict[str, IndicatorExplanation]:
    return {e.code: e for e in explanations}


# --- hand-worked examples ------------------------------------------------------------


def test_every_method_and_kind_by_hand():
    result = stored(
        make_rulebook(),
        merge(
            cadre_a_inputs(),
            events=(
                EventInput("e1", "a", "B1"),
                EventInput("e2", "a", "B1"),
                EventInput("e3", "a", "P1"),
            ),
        ),
    )
    (cadre,) = result["cadres"]
    shown = by_code(explain_cadre(cadre, make_rulebook()))
    expressions = {code: e.expression for code, e in shown.items()}
    assert expressions == {
        # (92 - 80) / (95 - 80) = 0.8; 0.8 × 20 = 16
        "L1": "(92 − 80) / (95 − 80) × 20 = 16.00",
        # lower is better: (20 - 15) / (20 - 10) = 0.5; 0.5 × 10 = 5
        "L2": "(20 − 15) / (20 − 10) × 10 = 5.00",
        # 12 / 10 = 1.2, within the cap 1.2; 1.2 × 10 = 12
        "R1": "12 / 10 × 10 = 12.00",
        # lower is better and a = 0: r = c = 1; 1 × 8 = 8
        "R2": "0 = 0 → 1 × 8 = 8.00",
        # 85 reaches 80 (ratio 0.8) but not 95; 0.8 × 10 = 8
        "ST": "85 ≥ 80 → 0.8 × 10 = 8.00",
        # lower is better: 7 is at most 10 (ratio 0.5) but above 5; 0.5 × 6 = 3
        "SL": "7 ≤ 10 → 0.5 × 6 = 3.00",
        # binary with target 0, lower is better: 0 ≤ 0 is met; 1 × 6 = 6
        "BT": "0 ≤ 0 → 1 × 6 = 6.00",
        # binary without target: met (1); 1 × 4 = 4
        "BN": "1 × 4 = 4.00",
        # 5 ratings: drop 100 and 50, (85 + 85 + 70) / 3 = 80; 80 × 10 / 100 = 8
        "Q": "80 × 10 / 100 = 8.00",
        # S = (100 + 75 + 50 + 75) / 4 = 75; 75 × 16 / 100 = 12
        "SV": "75 × 16 / 100 = 12.00",
    }
    assert (shown["Q"].method, shown["Q"].n, shown["Q"].input) == ("trimmed_mean", 5, 80.0)
    assert (shown["SV"].method, shown["SV"].n, shown["SV"].input) == ("mean", 4, 75.0)
    assert shown["R1"].ratio == pytest.approx(1.2)
    assert all(e.status == "scored" for e in shown.values())
    # events: B1 2 × 2 = 4 (capped at 3 in the total), P1 1 × 1; no veto recorded
    events = by_code(explain_events(cadre, make_rulebook()))
    assert {c: (e.expression, e.n, e.status) for c, e in events.items()} == {
        "B1": ("2 × 2 = 4.00", 2, "recorded"),
        "P1": ("1 × 1 = 1.00", 1, "recorded"),
    }
    # total: 16 + 5 + 12 + 8 + 8 + 3 + 6 + 4 + 8 + 12 = 82; 82 + min(4, 3) - min(1, 5) = 84
    total = explain_total(cadre, make_rulebook())
    assert total.expression == "max(0, 82 + min(4, 3) − min(1, 5)) = 84.00"
    assert (total.bonus, total.penalty, total.total, total.floored) == (3.0, 1.0, 84.0, False)
    check_agrees(total, cadre["total"])


def test_unreached_thresholds_and_unmet_binaries_by_hand():
    actuals = {"L1": 70, "L2": 25, "R1": 5, "R2": 4, "ST": 50, "SL": 12, "BT": 2, "BN": 0}
    part = cadre_a_inputs("b")
    part["actuals"] = tuple(ActualInput("b", code, float(v)) for code, v in actuals.items())
    part["ratings"] = tuple(
        RatingInput(f"r{i}", "b", "Q", v) for i, v in enumerate([100, 85, 70, 50])
    )
    (cadre,) = stored(make_rulebook(), merge(part))["cadres"]
    expressions = {e.code: e.expression for e in explain_cadre(cadre, make_rulebook())}
    # below the baseline: (70 - 80) / 15 = -0.6667 < 0, so 0 counts
    assert expressions["L1"] == "(70 − 80) / (95 − 80) = −0.6667 → 0 × 20 = 0.00"
    # worse than the baseline when lower is better: (20 - 25) / 10 = -0.5 -> 0
    assert expressions["L2"] == "(20 − 25) / (20 − 10) = −0.5 → 0 × 10 = 0.00"
    # lower is better, a = 4: 3 / 4 = 0.75; 0.75 × 8 = 6
    assert expressions["R2"] == "3 / 4 × 8 = 6.00"
    # no threshold reached: ratio 0
    assert expressions["ST"] == "50 < 60 → 0 × 10 = 0.00"
    assert expressions["SL"] == "12 > 10 → 0 × 6 = 0.00"
    assert expressions["BT"] == "2 > 0 → 0 × 6 = 0.00"
    assert expressions["BN"] == "0 × 4 = 0.00"
    # 4 ratings: plain mean (100 + 85 + 70 + 50) / 4 = 76.25; 76.25 × 10 / 100 = 7.625,
    # published half up as 7.63
    shown = by_code(explain_cadre(cadre, make_rulebook()))
    assert shown["Q"].method == "mean"
    assert shown["Q"].expression == "76.25 × 10 / 100 = 7.63"
    assert shown["Q"].points == 7.63
    assert (shown["L1"].bound, shown["L1"].bound_value) == ("floor", 0.0)


def test_cap_on_a_step_and_on_a_binary_is_shown():
    indicators = (
        Indicator(
            "S",
            L,
            K.QUANTITATIVE,
            "w",
            50.0,
            "steps",
            "higher",
            cap=0.9,
            steps=(Step(1.0, 0.5), Step(2.0, 1.0)),
        ),
        Indicator("B", L, K.QUANTITATIVE, "w", 50.0, "binary", "higher", cap=0.8),
    )
    rb = Rulebook(
        L,
        GradingScheme(DEFAULT_GRADES),
        Aggregation(),
        (),
        (IndicatorSet("A", L, (Category("w", L, 100.0),), indicators),),
    )
    inputs = PeriodInputs(
        cadres=(CadreInput("c", "C", "c", "A", "u"),),
        actuals=(ActualInput("c", "S", 3.0), ActualInput("c", "B", 1.0)),
    )
    (cadre,) = stored(rb, inputs)["cadres"]
    shown = by_code(explain_cadre(cadre, rb))
    # step ratio 1.0 above the cap 0.9: 0.9 × 50 = 45; binary met, 1 above the cap 0.8:
    # 0.8 × 50 = 40; the bound is named for the reader's language
    assert shown["S"].expression == "3 ≥ 2 → 0.9 × 50 = 45.00"
    assert (shown["S"].bound, shown["S"].bound_ratio, shown["S"].bound_value) == ("cap", 1.0, 0.9)
    assert shown["B"].expression == "0.8 × 50 = 40.00"
    assert shown["B"].bound == "cap"


def test_decisions_show_zero_exclusion_and_effective_weights_by_hand():
    part = cadre_a_inputs("a")
    part["actuals"] = tuple(a for a in part["actuals"] if a.indicator not in {"L2", "R1"})
    part["ratings"] = ()
    inputs = merge(
        part,
        decisions=(
            DecisionInput("a", "L2", DecisionKind.EXCLUDE_REWEIGHT, "no such task"),
            DecisionInput("a", "R1", DecisionKind.EXCLUDE_REWEIGHT, "no such task"),
            DecisionInput("a", "Q", DecisionKind.SCORE_ZERO, "did not take part"),
        ),
    )
    (cadre,) = stored(make_rulebook(), inputs)["cadres"]
    shown = by_code(explain_cadre(cadre, make_rulebook()))
    # W = 100, left out 10 + 10: every other weight × 100 / 80 (L1: 20 -> 25)
    # L1: 0.8 × 25 = 20
    assert shown["L1"].expression == "(92 − 80) / (95 − 80) × (20 × 100 / 80) = 20.00"
    assert shown["L1"].effective_weight == 25.0
    assert (shown["L2"].status, shown["L2"].expression, shown["L2"].points) == (
        "excluded",
        "0",
        0.0,
    )
    assert shown["L2"].reason == "no such task"
    # score zero keeps its (scaled) weight: 0 × 10 × 100 / 80 = 0
    assert shown["Q"].status == "score_zero"
    assert shown["Q"].expression == "0 × (10 × 100 / 80) = 0.00"
    assert shown["Q"].input is None
    # SV: 75 × 16 × 1.25 / 100 = 15
    assert shown["SV"].expression == "75 × (16 × 100 / 80) / 100 = 15.00"
    for explanation in shown.values():
        check_agrees(explanation, explanation.points)


def test_total_floored_at_zero_and_uncapped_parts():
    rb = make_rulebook()
    cadre = {"post": "A", "points": 5.0, "bonus_raw": 0.0, "penalty_raw": 8.0, "total": 0.0}
    total = explain_total(cadre, rb)
    # 5 - min(8, 5) = 0, not below: floored is False only when the raw total is >= 0
    assert total.expression == "max(0, 5 − min(8, 5)) = 0.00"
    assert total.floored is False
    uncapped = Rulebook(
        rb.title,
        rb.grading,
        rb.aggregation,
        (),
        (IndicatorSet("A", L, (), (), bonus_cap=None, penalty_cap=None),),
    )
    plain = {"post": "A", "points": 5.0, "bonus_raw": 1.0, "penalty_raw": 8.0, "total": 0.0}
    total = explain_total(plain, uncapped)
    # 5 + 1 - 8 = -2, raised to 0
    assert (total.expression, total.floored) == ("max(0, 5 + 1 − 8) = 0.00", True)
    check_agrees(total, 0.0)
    bare = {"post": "A", "points": 61.5, "bonus_raw": 0.0, "penalty_raw": 0.0, "total": 61.5}
    assert explain_total(bare, rb).expression == "61.5 = 61.50"


def test_events_recorded_below_the_rulebook_points_and_a_veto():
    inputs = merge(
        cadre_a_inputs(),
        events=(
            EventInput("e1", "a", "B1", 0.5),
            EventInput("e2", "a", "B1", 1.0),
            EventInput("v", "a", "V1"),
        ),
    )
    (cadre,) = stored(make_rulebook(), inputs)["cadres"]
    events = by_code(explain_events(cadre, make_rulebook()))
    # 0.5 + 1 = 1.5, not 2 × 2: the sum of what the team recorded
    assert (events["B1"].expression, events["B1"].points) == ("Σ (n = 2) = 1.50", 1.5)
    assert (events["V1"].expression, events["V1"].status, events["V1"].points) == (
        "≤ basic",
        "triggered",
        0.0,
    )


def test_numbers_that_do_not_give_the_stored_points_are_refused():
    (cadre,) = stored(make_rulebook(), merge(cadre_a_inputs()))["cadres"]
    outcome = dict(cadre["indicators"][0], points=cadre["indicators"][0]["points"] + 0.01)
    rulebook = make_rulebook()
    indicator = rulebook.indicator_sets[0].indicator("L1")
    with pytest.raises(InvalidParameterError) as caught:
        explain_indicator(outcome, indicator, rulebook)
    assert (caught.value.name, caught.value.value, caught.value.reason) == (
        "outcome",
        "L1",
        "points_mismatch",
    )
    with pytest.raises(InvalidParameterError) as caught:
        explain_indicator(
            cadre["indicators"][0], rulebook.indicator_sets[0].indicator("L2"), rulebook
        )
    assert caught.value.reason == "kind_mismatch"
    with pytest.raises(InvalidParameterError) as caught:
        explain_total(dict(cadre, total=cadre["total"] + 1), rulebook)
    assert caught.value.reason == "points_mismatch"
    with pytest.raises(InvalidParameterError) as caught:
        explain_cadre(dict(cadre, post="NOPE"), rulebook)
    assert caught.value.reason == "no_indicator_set"
    missing = dict(cadre["indicators"][-1], input=None)
    with pytest.raises(InvalidParameterError) as caught:
        explain_indicator(missing, rulebook.indicator_sets[0].indicator("SV"), rulebook)
    assert caught.value.reason == "missing_for_scored_indicator"


def test_category_points_and_group_means_by_hand():
    (cadre,) = stored(make_rulebook(), merge(cadre_a_inputs()))["cadres"]
    # work: 16 + 5 + 12 + 8 + 8 + 3 + 6 + 4 = 62; ability: 8; sat: 12
    assert category_points(cadre) == {"work": 62.0, "ability": 8.0, "sat": 12.0}
    weights = {"work": 0.0, "ability": 0.0, "sat": 0.0}
    for item in cadre["indicators"]:
        weights[item["category"]] += item["effective_weight"]
    other = {
        "post_group": "A",
        "indicators": [
            {"category": "work", "points": 40.0, "effective_weight": weights["work"]},
            {"category": "sat", "points": 10.0, "effective_weight": weights["sat"]},
        ],
    }
    elsewhere = {
        "post_group": "B",
        "indicators": [{"category": "work", "points": 99.0, "effective_weight": 100.0}],
    }
    means = group_category_means([cadre, other, elsewhere], "A", beside=cadre)
    # same weights: work (62 + 40) / 2 = 51; ability only cadre a: 8; sat (12 + 10) / 2 = 11
    assert means == pytest.approx({"work": 51.0, "ability": 8.0, "sat": 11.0})
    assert group_category_means([cadre], "nobody", beside=cadre) == {}


def _one_category(group: str, points: float, weight: float) -> dict:
    return {
        "post_group": group,
        "indicators": [{"category": "my", "points": points, "effective_weight": weight}],
    }


def test_group_mean_leaves_out_cadres_whose_category_was_left_out():
    # issue 20: "组平均 3.28" beside 26.25 of 30 points: 7 of the 8 cadres of the group
    # had the survey category left out (weight 0, points 0), and 26.25 / 8 = 3.28
    own = _one_category("G", 26.25, 30.0)
    group = [own] + [_one_category("G", 0.0, 0.0) for _ in range(7)]
    assert group_category_means(group, "G", beside=own) == {"my": 26.25}


def test_group_mean_is_put_on_the_scale_of_the_cadre_beside_it():
    # a reweighted cadre's 20 of 40 is half the category: beside 30 points it is 15
    own = _one_category("G", 24.0, 30.0)
    reweighted = _one_category("G", 20.0, 40.0)
    means = group_category_means([own, reweighted], "G", beside=own)
    assert means == pytest.approx({"my": 30.0 * (24.0 / 30.0 + 20.0 / 40.0) / 2})  # 19.5
    # the cadre beside has the category left out: no mean is shown on a scale of 0
    left_out = _one_category("G", 0.0, 0.0)
    assert group_category_means([own, left_out], "G", beside=left_out) == {}


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (92.0, 4, "92"),
        (16.666666, 4, "16.6667"),
        (0.125, 4, "0.125"),
        (-5.0, 4, "−5"),
        (-0.00001, 4, "0"),
        (1234567.5, 2, "1234567.5"),
        (2.0, 0, "2"),
    ],
)
def test_format_number(value, decimals, text):
    assert format_number(value, decimals) == text


def test_negative_terms_are_parenthesised():
    indicators = (Indicator("N", L, K.QUANTITATIVE, "w", 100.0, "linear", "higher", -10.0, 10.0),)
    rb = Rulebook(
        L,
        GradingScheme(DEFAULT_GRADES),
        Aggregation(),
        (),
        (IndicatorSet("A", L, (Category("w", L, 100.0),), indicators),),
    )
    inputs = PeriodInputs(
        cadres=(CadreInput("c", "C", "c", "A", "u"),), actuals=(ActualInput("c", "N", -5.0),)
    )
    (cadre,) = stored(rb, inputs)["cadres"]
    (shown,) = explain_cadre(cadre, rb)
    # (-5 - -10) / (10 - -10) = 5 / 20 = 0.25; 0.25 × 100 = 25
    assert shown.expression == "((−5) − (−10)) / (10 − (−10)) × 100 = 25.00"
    check_agrees(shown, 25.0)


# --- agreement with the engine on many cadres ------------------------------------------


def county(rulebook: Rulebook, n: int, seed: int) -> PeriodInputs:
    """Random inputs for every indicator of every set, some decisions and events."""
    rng = np.random.default_rng(seed)
    parts = []
    sets = rulebook.indicator_sets
    for i in range(n):
        cid = f"c{i:03d}"
        indicator_set = sets[i % len(sets)]
        unit = f"u{i % 4}"
        actuals, ratings, surveys, decisions, events = [], [], [], [], []
        for ind in indicator_set.indicators:
            if ind.is_weighted and rng.random() < 0.08:
                kind = rng.choice([DecisionKind.SCORE_ZERO, DecisionKind.EXCLUDE_REWEIGHT])
                decisions.append(DecisionInput(cid, ind.code, kind, "reason"))
                continue
            if ind.kind == K.QUANTITATIVE:
                if ind.method == "binary" and ind.target is None:
                    value = float(rng.integers(0, 2))
                else:
                    anchors = [ind.baseline, ind.target, *(s.threshold for s in ind.steps)]
                    spread = max(abs(a) for a in anchors if a is not None) or 1.0
                    value = float(rng.choice([0.0, rng.uniform(0, 1.5 * spread)]))
                    value = round(value, int(rng.integers(0, 4)))
                actuals.append(ActualInput(cid, ind.code, value))
            elif ind.kind == K.QUALITATIVE:
                k = int(rng.integers(1, 8))
                for r, v in enumerate(rng.choice([100.0, 85.0, 70.0, 50.0], k)):
                    ratings.append(RatingInput(f"r{r}", cid, ind.code, float(v)))
            elif ind.kind == K.SURVEY:
                target = unit if ind.subject == "unit" else cid
                if ind.subject == "unit" and any(
                    s.target == target for p in parts for s in p["surveys"]
                ):
                    continue
                k = int(rng.integers(2, 30))
                scores = rng.integers(0, 5, k) * 25.0
                units = np.array([unit] * k)
                surveys.append(SurveyTargetInput(ind.code, target, scores, units))
            elif rng.random() < 0.3:
                for e in range(int(rng.integers(1, 4))):
                    points = None
                    if ind.kind != K.VETO and rng.random() < 0.3:
                        points = float(rng.uniform(0, ind.points or 0))
                    events.append(EventInput(f"{cid}-{ind.code}-{e}", cid, ind.code, points))
        parts.append(
            {
                "cadres": (CadreInput(cid, cid, cid, indicator_set.post, unit),),
                "actuals": tuple(actuals),
                "ratings": tuple(ratings),
                "surveys": tuple(surveys),
                "decisions": tuple(decisions),
                "events": tuple(events),
            }
        )
    units = tuple(UnitInput(f"u{j}", 1000.0 + 100 * j, 300) for j in range(4))
    return merge(*parts, units=units)


def assert_every_cadre_agrees(rulebook: Rulebook, result: dict) -> int:
    checked = 0
    for cadre in result["cadres"]:
        explanations = explain_cadre(cadre, rulebook)
        assert [e.code for e in explanations] == [o["code"] for o in cadre["indicators"]]
        for explanation, outcome in zip(explanations, cadre["indicators"], strict=True):
            assert explanation.points == outcome["points"]
            check_agrees(explanation, outcome["points"])
            # the printed result is the stored points to 2 decimals
            assert explanation.expression.endswith(f"{outcome['points']:.2f}") or (
                explanation.expression == "0" and outcome["status"] == "excluded"
            )
            checked += 1
        for explanation, event in zip(
            explain_events(cadre, rulebook), cadre["events"], strict=True
        ):
            assert (explanation.code, explanation.n) == (event["code"], event["count"])
            if event["kind"] != "veto":
                check_agrees(explanation, event["points"])
        total = explain_total(cadre, rulebook)
        check_agrees(total, cadre["total"])
        assert (total.bonus, total.penalty) == (cadre["bonus"], cadre["penalty"])
    return checked


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_explanation_gives_the_stored_points(seed):
    rulebook = make_rulebook(post_stratification=seed == 3)
    result = stored(rulebook, county(rulebook, 30, seed))
    assert assert_every_cadre_agrees(rulebook, result) > 200
    kinds = {o["status"] for c in result["cadres"] for o in c["indicators"]}
    assert kinds == {"scored", "score_zero", "excluded"}


def test_every_explanation_gives_the_stored_points_under_the_demo_rulebook():
    from assessment.services.demo import demo_rulebook_document

    rulebook = parse_rulebook(demo_rulebook_document())
    result = stored(rulebook, county(rulebook, 40, 7))
    assert assert_every_cadre_agrees(rulebook, result) > 300


def test_docstring_examples():
    failures, tried = doctest.testmod(explain_module)
    assert (failures, tried > 10) == (0, True)
