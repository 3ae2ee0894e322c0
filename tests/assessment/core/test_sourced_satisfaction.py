"""Survey indicators that name their sources (satisfaction method): two surveys feed two
indicators without pooling, and ``min_responses`` makes a thin target a missing input."""

from __future__ import annotations

import numpy as np

from assessment.core.records import (
    ActualInput,
    CadreInput,
    PeriodInputs,
    SurveyTargetInput,
)
from assessment.core.results import compute_period_results, find_missing_inputs
from assessment.core.rulebook import Label, default_document, parse_rulebook
from surveys.core.tally import summarise_targets


def rulebook(min_responses: int = 3):
    def survey(code, surveys, weight):
        return {
            "code": code,
            "name": {"zh": code, "en": code},
            "kind": "survey",
            "category": "my",
            "weight": weight,
            "sources": {"surveys": surveys, "min_responses": min_responses},
        }

    document = default_document(Label("细则", "Rules"))
    document["posts"] = [
        {
            "post": "P",
            "name": {"zh": "岗位", "en": "Post"},
            "categories": [
                {"code": "ji", "name": {"zh": "实绩", "en": "Results"}, "weight": 60},
                {"code": "my", "name": {"zh": "满意度", "en": "Satisfaction"}, "weight": 40},
            ],
            "indicators": [
                {
                    "code": "J1",
                    "name": {"zh": "任务", "en": "Task"},
                    "kind": "quantitative",
                    "category": "ji",
                    "weight": 60,
                    "method": "binary",
                },
                survey("S1", ["residents"], 30),
                survey("S2", ["firms"], 10),
            ],
        }
    ]
    return parse_rulebook(document)


def target(indicator, scores):
    return SurveyTargetInput(indicator, "a", np.asarray(scores, dtype=np.float64))


def inputs(*surveys):
    return PeriodInputs(
        cadres=(CadreInput("a", "A", "甲", "P", "u1"),),
        actuals=(ActualInput("a", "J1", 1),),
        surveys=surveys,
    )


def test_two_surveys_feed_two_indicators_without_pooling():
    # S1 residents 100, 50, 75 -> 75; S2 firms 0, 50, 100, 50 -> 50
    # points 30 × 75 / 100 = 22.5 and 10 × 50 / 100 = 5; total 60 + 22.5 + 5 = 87.5
    # (pooled, all seven would give 425 / 7 = 60.71 for both)
    result = compute_period_results(
        rulebook(),
        inputs(target("S1", [100, 50, 75]), target("S2", [0, 50, 100, 50])),
        summarise_survey=summarise_targets,
        resamples=0,
    )
    cadre = result.cadre("a")
    by_code = {i.code: i for i in cadre.indicators}
    assert (by_code["S1"].input, by_code["S1"].points) == (75.0, 22.5)
    assert (by_code["S2"].input, by_code["S2"].points) == (50.0, 5.0)
    assert cadre.total == 87.5


def test_below_min_responses_is_missing_and_exactly_on_it_is_scored():
    # S2 has 2 valid responses (and one invalid NaN) under min_responses 3: missing;
    # S1 has exactly 3: scored
    thin = inputs(target("S1", [100, 50, 75]), target("S2", [100, 100, float("nan")]))
    missing = find_missing_inputs(rulebook(3), thin)
    assert [(m.kind, m.indicator, m.subject) for m in missing] == [("survey_responses", "S2", "a")]
    assert find_missing_inputs(rulebook(2), thin) == ()
