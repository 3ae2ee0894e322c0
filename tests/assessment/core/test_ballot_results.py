"""A ballot indicator in the results engine: points, missing groups, records, digest.

Expected values are computed by hand in the comments (docs/rulebook.md worked example).
"""

from __future__ import annotations

import json

import pytest

from assessment.core.digest import canonical_json
from assessment.core.errors import InvalidParameterError
from assessment.core.records import (
    ActualInput,
    BallotInput,
    CadreInput,
    DecisionInput,
    DecisionKind,
    PeriodInputs,
    result_from_plain,
    result_to_plain,
)
from assessment.core.results import (
    IncompleteInputsError,
    canonical_inputs,
    compute_period_results,
    find_missing_inputs,
)
from assessment.core.rulebook import Label, default_document, parse_rulebook

GROUPS = [
    {"group": "leaders", "weight": 30},
    {"group": "staff", "weight": 40},
    {"group": "public", "weight": 30},
]


def rulebook(**sources):
    document = default_document(Label("细则", "Rules"))
    document["posts"] = [
        {
            "post": "P",
            "name": {"zh": "岗位", "en": "Post"},
            "categories": [
                {"code": "ji", "name": {"zh": "实绩", "en": "Results"}, "weight": 80},
                {"code": "mz", "name": {"zh": "民主测评", "en": "Evaluation"}, "weight": 20},
            ],
            "indicators": [
                {
                    "code": "J1",
                    "name": {"zh": "任务", "en": "Task"},
                    "kind": "quantitative",
                    "category": "ji",
                    "weight": 80,
                    "method": "binary",
                },
                {
                    "code": "MZ",
                    "name": {"zh": "民主测评", "en": "Democratic evaluation"},
                    "kind": "survey",
                    "category": "mz",
                    "weight": 20,
                    "sources": {
                        "surveys": ["mzcp"],
                        "method": "ballot",
                        "groups": GROUPS,
                        **sources,
                    },
                },
            ],
        }
    ]
    return parse_rulebook(document)


CADRES = (CadreInput("a", "A", "甲", "P", "u1"), CadreInput("b", "B", "乙", "P", "u1"))

# cadre a, docs/rulebook.md worked example:
# leaders 3 优秀 2 称职 -> 92; staff 5/10/4/1 -> 77; public 0/10/5/5 + 3 abstain -> 55
# B = (30 × 92 + 40 × 77 + 30 × 55) / 100 = 74.9; points 20 × 74.9 / 100 = 14.98
A_BALLOTS = (
    BallotInput("MZ", "a", "leaders", {"excellent": 3, "competent": 2}),
    BallotInput(
        "MZ", "a", "staff", {"excellent": 5, "competent": 10, "basic": 4, "incompetent": 1}
    ),
    BallotInput("MZ", "a", "public", {"competent": 10, "basic": 5, "incompetent": 5}, 3),
)
# cadre b: every group all 优秀 -> 100 each; B = 100; points 20
B_BALLOTS = tuple(BallotInput("MZ", "b", g["group"], {"excellent": 4}, 1) for g in GROUPS)


def inputs(ballots=A_BALLOTS + B_BALLOTS, decisions=()):
    return PeriodInputs(
        cadres=CADRES,
        actuals=(ActualInput("a", "J1", 1), ActualInput("b", "J1", 1)),
        ballots=ballots,
        decisions=decisions,
    )


def test_ballot_points_votes_and_group_scores_are_in_the_result():
    result = compute_period_results(rulebook(), inputs(), resamples=0)
    outcome = result.cadre("a").indicators[1]
    assert (outcome.method, outcome.input, outcome.points) == ("ballot", 74.9, 14.98)
    # 80 (binary met) + 14.98
    assert result.cadre("a").total == 94.98
    assert result.cadre("b").total == 100.0
    ballot = outcome.ballot
    assert [(g.group, g.weight, g.valid, g.abstentions, g.score) for g in ballot.groups] == [
        ("leaders", 30.0, 5, 0, 92.0),
        ("staff", 40.0, 20, 0, 77.0),
        ("public", 30.0, 20, 3, 55.0),
    ]
    assert ballot.groups[1].votes == {
        "excellent": 5,
        "competent": 10,
        "basic": 4,
        "incompetent": 1,
    }
    assert ballot.coefficients == {
        "excellent": 1.0,
        "competent": 0.8,
        "basic": 0.6,
        "incompetent": 0.0,
    }
    # n counts the valid ballots of every group: 5 + 20 + 20
    assert outcome.n == 45
    assert not ballot.incompetent_over_third


def test_the_new_records_round_trip():
    result = compute_period_results(rulebook(), inputs(), resamples=0)
    plain = json.loads(canonical_json(result_to_plain(result)))
    assert result_to_plain(result_from_plain(plain)) == result_to_plain(result)
    (cadre_a,) = [c for c in plain["cadres"] if c["id"] == "a"]
    assert cadre_a["indicators"][1]["ballot"]["groups"][2]["abstentions"] == 3


def test_an_empty_group_is_a_missing_input_needing_a_decision():
    # cadre b's public group cast only abstentions: valid 0
    ballots = A_BALLOTS + B_BALLOTS[:2] + (BallotInput("MZ", "b", "public", {}, 6),)
    missing = find_missing_inputs(rulebook(), inputs(ballots))
    assert [(m.kind, m.cadre, m.indicator, m.subject) for m in missing] == [
        ("survey_responses", "b", "MZ", "b/public")
    ]
    with pytest.raises(IncompleteInputsError):
        compute_period_results(rulebook(), inputs(ballots), resamples=0)
    decided = inputs(
        ballots,
        (DecisionInput("b", "MZ", DecisionKind.EXCLUDE_REWEIGHT, "群众代表未到会"),),
    )
    result = compute_period_results(rulebook(), decided, resamples=0)
    outcome = result.cadre("b").indicators[1]
    # excluded and reweighted: J1 80 × 100 / 80 = 100
    assert (outcome.status, result.cadre("b").total) == ("excluded", 100.0)


def test_quorum_not_met_and_exactly_met():
    # min_responses 5: cadre a's leaders have exactly 5 valid ballots (met);
    # cadre b's groups have 4 each (not met, 3 missing groups)
    missing = find_missing_inputs(rulebook(min_responses=5), inputs())
    assert [(m.cadre, m.subject) for m in missing] == [
        ("b", "b/leaders"),
        ("b", "b/public"),
        ("b", "b/staff"),
    ]


def test_share_quorum_needs_the_electorate():
    # quorum_share 0.8 of eligible: leaders 5 valid of 6 eligible = 0.833 meets it,
    # staff 20 of 26 = 0.769 does not; public has no known electorate -> missing
    ballots = (
        BallotInput("MZ", "a", "leaders", {"excellent": 3, "competent": 2}, 0, 6),
        BallotInput("MZ", "a", "staff", {"competent": 20}, 0, 26),
        BallotInput("MZ", "a", "public", {"competent": 20}, 0, None),
        *B_BALLOTS,
    )
    missing = find_missing_inputs(rulebook(quorum_share=0.8), inputs(ballots))
    assert {(m.cadre, m.subject) for m in missing} == {
        ("a", "a/staff"),
        ("a", "a/public"),
        ("b", "b/leaders"),
        ("b", "b/staff"),
        ("b", "b/public"),
    }


def test_incompetent_over_a_third_raises_a_flag_not_a_cap():
    # cadre a: 不称职 leaders 2 of 5, staff 10 of 20, public 5 of 20 -> 17 of 45 > 15
    ballots = (
        BallotInput("MZ", "a", "leaders", {"excellent": 3, "incompetent": 2}),
        BallotInput("MZ", "a", "staff", {"competent": 10, "incompetent": 10}),
        BallotInput("MZ", "a", "public", {"competent": 15, "incompetent": 5}),
        *B_BALLOTS,
    )
    result = compute_period_results(rulebook(), inputs(ballots), resamples=0)
    flags = [(f.code, f.subject, f.indicator) for f in result.flags]
    assert ("ballot_share", "a", "MZ") in flags
    assert result.cadre("a").indicators[1].ballot.incompetent_over_third


def test_canonical_inputs_hold_ballots_only_when_there_are_some():
    assert "ballots" not in canonical_inputs(inputs(ballots=()))
    canonical = canonical_inputs(inputs())
    assert canonical["ballots"][0] == {
        "indicator": "MZ",
        "target": "a",
        "group": "leaders",
        "votes": {"competent": 2, "excellent": 3},
        "abstentions": 0,
        "eligible": None,
    }
    # order of the ballots does not change the digest
    shuffled = inputs(tuple(reversed(A_BALLOTS + B_BALLOTS)))
    assert canonical_inputs(shuffled) == canonical


@pytest.mark.parametrize(
    ("ballot", "reason"),
    [
        (BallotInput("J1", "a", "staff", {"excellent": 1}), "not_a_ballot_indicator"),
        (BallotInput("MZ", "a", "elders", {"excellent": 1}), "group_not_in_sources"),
        (BallotInput("MZ", "a", "leaders", {"excellent": -1}), "not_a_count"),
    ],
)
def test_bad_ballot_inputs_are_refused(ballot, reason):
    with pytest.raises(InvalidParameterError) as caught:
        find_missing_inputs(rulebook(), inputs((ballot,)))
    assert caught.value.reason == reason


def test_the_cadre_explanation_shows_votes_shares_and_formulas():
    from assessment.core.explain import explain_cadre_result

    book = rulebook()
    result = compute_period_results(book, inputs(), resamples=0)
    view = explain_cadre_result(result, "a", book)
    assert view.explained, view.problems
    (mz,) = [i for i in view.indicators if i.outcome.code == "MZ"]
    leaders, staff, public = mz.ballot.groups
    # leaders 3 优秀 2 称职 of 5: shares 60 % and 40 %
    assert leaders.votes[:2] == (("excellent", 3, 0.6), ("competent", 2, 0.4))
    assert leaders.expression == "(3 × 1 + 2 × 0.8) / 5 × 100 = 92.00"
    assert staff.expression == "(5 × 1 + 10 × 0.8 + 4 × 0.6 + 1 × 0) / 20 × 100 = 77.00"
    assert (public.abstentions, public.valid) == (3, 20)
    assert mz.ballot.expression == "(30 × 92 + 40 × 77 + 30 × 55) / 100 = 74.90"
    assert mz.explanation.expression == "74.9 × 20 / 100 = 14.98"


def test_a_tampered_tally_is_not_explained():
    from assessment.core.explain import explain_cadre_result

    book = rulebook()
    result = compute_period_results(book, inputs(), resamples=0)
    plain = result_to_plain(result)
    (cadre_a,) = [c for c in plain["cadres"] if c["id"] == "a"]
    cadre_a["indicators"][1]["ballot"]["groups"][0]["votes"]["excellent"] = 4
    view = explain_cadre_result(result_from_plain(plain), "a", book)
    # the stored votes no longer give the stored group score: named, never printed
    assert not view.explained and any("ballot MZ" in p for p in view.problems)
