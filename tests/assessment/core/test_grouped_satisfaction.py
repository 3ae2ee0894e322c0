"""A satisfaction indicator that weights voter groups (``sources.groups``): each group's
index over its own responses, then the weighted mean (assessment.core.voter_groups)."""

from __future__ import annotations

import numpy as np

from assessment.core.records import (
    ActualInput,
    CadreInput,
    DecisionInput,
    DecisionKind,
    PeriodInputs,
    SurveyTargetInput,
)
from assessment.core.results import (
    canonical_inputs,
    compute_period_results,
    find_missing_inputs,
)
from assessment.core.rulebook import Label, default_document, parse_rulebook
from assessment.services.results import inputs_from_canonical
from surveys.core.tally import summarise_targets


def rulebook(min_responses: int = 2):
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
                {
                    "code": "S1",
                    "name": {"zh": "民主测评", "en": "Evaluation"},
                    "kind": "survey",
                    "category": "my",
                    "weight": 40,
                    "sources": {
                        "surveys": ["mzcp"],
                        "min_responses": min_responses,
                        "groups": [
                            {"group": "staff", "weight": 0.6},
                            {"group": "public", "weight": 0.4},
                        ],
                    },
                },
            ],
        }
    ]
    return parse_rulebook(document)


def group(name, scores):
    return SurveyTargetInput("S1", f"a/{name}", np.asarray(scores, dtype=np.float64))


def inputs(*surveys, decisions=()):
    return PeriodInputs(
        cadres=(CadreInput("a", "A", "甲", "P", "u1"),),
        actuals=(ActualInput("a", "J1", 1),),
        surveys=surveys,
        decisions=decisions,
    )


STAFF = [100, 75, 50]  # mean 225 / 3 = 75
PUBLIC = [50, 25, 75, 50, float("nan")]  # valid 50, 25, 75, 50: mean 200 / 4 = 50; one invalid


def test_two_groups_weighted_0_6_and_0_4_by_hand():
    # index = (0.6 × 75 + 0.4 × 50) / (0.6 + 0.4) = (45 + 20) / 1 = 65
    # points = 40 × 65 / 100 = 26; total = 60 (J1 met) + 26 = 86
    # (pooling the 7 valid answers instead would give 425 / 7 = 60.71)
    result = compute_period_results(
        rulebook(),
        inputs(group("staff", STAFF), group("public", PUBLIC)),
        summarise_survey=summarise_targets,
        resamples=0,
    )
    s1 = {i.code: i for i in result.cadre("a").indicators}["S1"]
    assert (s1.input, s1.method, s1.points, s1.n) == (65.0, "group_weighted_mean", 26.0, 7)
    assert result.cadre("a").total == 86.0
    by_target = {s.target: (s.index, s.n, s.n_invalid) for s in result.surveys}
    assert by_target == {"a/staff": (75.0, 3, 0), "a/public": (50.0, 4, 1)}


def test_the_bootstrap_runs_over_each_group_and_the_stored_inputs_give_it_back():
    book = rulebook()
    given = inputs(group("staff", STAFF), group("public", PUBLIC))
    result = compute_period_results(book, given, summarise_survey=summarise_targets, resamples=50)
    assert result.cadre("a").total == 86.0
    assert result.confidence is not None
    again = inputs_from_canonical(canonical_inputs(given))
    recomputed = compute_period_results(
        book, again, summarise_survey=summarise_targets, resamples=50
    )
    assert recomputed.cadre("a").total == 86.0
    assert canonical_inputs(again) == canonical_inputs(given)


def test_a_group_below_min_responses_is_a_missing_input_needing_a_decision():
    # public has 1 valid answer (and one invalid) under min_responses 2; staff has 3
    thin = inputs(group("staff", STAFF), group("public", [80, float("nan")]))
    missing = find_missing_inputs(rulebook(2), thin)
    assert [(m.kind, m.cadre, m.indicator, m.subject, m.decision) for m in missing] == [
        ("survey_responses", "a", "S1", "a/public", None)
    ]
    # a group with no response at all is missing the same way
    assert [m.subject for m in find_missing_inputs(rulebook(2), inputs(group("staff", STAFF)))] == [
        "a/public"
    ]
    # exactly on min_responses counts
    assert find_missing_inputs(rulebook(1), thin) == ()


def test_a_decided_missing_group_reweights_the_indicator_away():
    # the team leaves S1 out: J1 carries the whole weight, 60 × 100 / 60 = 100
    decided = inputs(
        group("staff", STAFF),
        decisions=(DecisionInput("a", "S1", DecisionKind.EXCLUDE_REWEIGHT, "群众代表未到会"),),
    )
    result = compute_period_results(
        rulebook(), decided, summarise_survey=summarise_targets, resamples=0
    )
    s1 = {i.code: i for i in result.cadre("a").indicators}["S1"]
    assert s1.status == "excluded"
    assert result.cadre("a").total == 100.0


def test_the_service_splits_a_target_by_each_response_group():
    from assessment.services.results import _sourced_inputs

    # what surveys.services.results_source gives: each valid score with its unit and voter group;
    # the leaders are not weighted by S1, so their answer is not read
    entry = {
        "scores": [75.0, 100.0, 0.0, 25.0, float("nan"), 10.0],
        "unit_ids": [7, 7, 8, 8, 8, 9],
        "groups": ["staff", "staff", "public", "public", "public", "leaders"],
        "n_excluded": 0,
    }
    cadres = [CadreInput("a", "A", "甲", "P", "u1")]
    targets, ballots = _sourced_inputs(rulebook(), cadres, {"S1": {"cadre": {"a": entry}}})
    assert ballots == []
    # NaN (an invalid response) written as None to compare
    read = [
        (t.target, [None if np.isnan(v) else v for v in t.scores], t.unit_ids.tolist())
        for t in targets
    ]
    assert read == [
        ("a/public", [0.0, 25.0, None], ["8", "8", "8"]),
        ("a/staff", [75.0, 100.0], ["7", "7"]),
    ]


def test_the_explanation_shows_each_group_index_and_weight():
    from assessment.core.explain import explain_cadre_result

    book = rulebook()
    result = compute_period_results(
        book,
        inputs(group("staff", STAFF), group("public", PUBLIC)),
        summarise_survey=summarise_targets,
        resamples=0,
    )
    view = explain_cadre_result(result, "a", book)
    assert view.problems == ()
    s1 = next(i for i in view.indicators if i.outcome.code == "S1")
    # re-added by hand: (0.6 × 75 + 0.4 × 50) / 1 = 65 = the indicator's S
    assert [(g.group, g.weight, g.survey.index, g.survey.n) for g in s1.survey_groups] == [
        ("staff", 0.6, 75.0, 3),
        ("public", 0.4, 50.0, 4),
    ]
    assert s1.explanation.expression.startswith("65")


def test_the_open_data_bundle_carries_the_groups_and_recomputes_the_same_result():
    from assessment.core.records import result_to_plain
    from reports.core.bundle import input_tables, inputs_from_tables

    book = rulebook()
    given = inputs(group("staff", STAFF), group("public", PUBLIC))
    result = compute_period_results(book, given, summarise_survey=summarise_targets, resamples=0)
    files, _tables = input_tables(
        canonical_inputs(given),
        result_to_plain(result),
        unit_names={},
        post_stratification=False,
        min_group_size=1,
    )
    again = compute_period_results(
        book, inputs_from_tables(files), summarise_survey=summarise_targets, resamples=0
    )
    assert result_to_plain(again) == result_to_plain(result)
    assert again.cadre("a").total == 86.0
