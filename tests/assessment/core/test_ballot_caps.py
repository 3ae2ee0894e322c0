"""Ballot validity, bands and vote-share consequences in the rulebook and the results
engine: grade caps with their reasons (GradeCap), the lowest cap winning, the records
round trip, and bad rulebook input refused with its path.

Expected values are computed by hand in the comments.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from assessment.core.ballots import BallotValidity, ShareRule
from assessment.core.digest import canonical_json
from assessment.core.errors import RulebookError
from assessment.core.records import (
    ActualInput,
    BallotInput,
    CadreInput,
    EventInput,
    GradeCap,
    PeriodInputs,
    result_from_plain,
    result_to_plain,
)
from assessment.core.results import canonical_inputs, compute_period_results
from assessment.core.rulebook import Label, default_document, parse_rulebook, to_plain

GROUPS = [{"group": "leaders", "weight": 40}, {"group": "staff", "weight": 60}]
OVER_THIRD_CAP = {"votes": ["incompetent"], "above": "1/3", "then": "cap", "cap_at": "basic"}
GOOD_BELOW = {"votes": ["excellent", "competent"], "below": "2/3", "then": "flag"}


def document(with_veto=False, **sources):
    doc = default_document(Label("细则", "Rules"))
    indicators = [
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
            "sources": {"surveys": ["mzcp"], "method": "ballot", "groups": GROUPS, **sources},
        },
    ]
    if with_veto:
        indicators.append(
            {
                "code": "V1",
                "name": {"zh": "否决", "en": "Veto"},
                "kind": "veto",
                "caps_at": "competent",
            }
        )
    doc["posts"] = [
        {
            "post": "P",
            "name": {"zh": "岗位", "en": "Post"},
            "categories": [
                {"code": "ji", "name": {"zh": "实绩", "en": "Results"}, "weight": 80},
                {"code": "mz", "name": {"zh": "民主测评", "en": "Evaluation"}, "weight": 20},
            ],
            "indicators": indicators,
        }
    ]
    return doc


CADRES = (CadreInput("a", "A", "甲", "P", "u1"), CadreInput("b", "B", "乙", "P", "u1"))


def inputs(a_ballots, events=()):
    # cadre b: all 优秀 in both groups
    b_ballots = tuple(BallotInput("MZ", "b", g["group"], {"excellent": 5}) for g in GROUPS)
    return PeriodInputs(
        cadres=CADRES,
        actuals=(ActualInput("a", "J1", 1), ActualInput("b", "J1", 1)),
        ballots=(*a_ballots, *b_ballots),
        events=events,
    )


# cadre a: leaders 2 优秀 1 称职 2 不称职 (5), staff 5 称职 5 不称职 (10) + 2 void sheets
# pooled 不称职 7 of 15 = 0.467 > 1/3 (21 > 15): capped at 基本称职
# scores: leaders (2 + 0.8 + 0) / 5 × 100 = 56; staff (4 + 0) / 10 × 100 = 40
# B = (40 × 56 + 60 × 40) / 100 = 46.4; points 20 × 46.4 / 100 = 9.28; total 89.28
A_OVER = (
    BallotInput("MZ", "a", "leaders", {"excellent": 2, "competent": 1, "incompetent": 2}),
    BallotInput("MZ", "a", "staff", {"competent": 5, "incompetent": 5}, 0, None, 2, 1),
)


def test_a_vote_share_cap_lowers_the_grade_and_says_why():
    rulebook = parse_rulebook(document(consequences=[OVER_THIRD_CAP, GOOD_BELOW]))
    result = compute_period_results(rulebook, inputs(A_OVER), resamples=0)
    a = result.cadre("a")
    assert a.total == 89.28
    # 89.28 earns 称职 by the default thresholds; the cap is 基本称职
    assert (a.earned, a.grade, a.veto_capped) == ("competent", "basic", True)
    assert a.caps == (GradeCap("basic", "ballot_share", "MZ", "incompetent 7/15 > 1/3"),)
    assert (a.grade_cap, a.veto_cap, a.vetoes) == ("basic", None, ())
    # 优秀 + 称职 = 8 of 15 = 0.533 < 2/3 (24 < 30): flagged too
    ballot = a.indicators[1].ballot
    assert [(r.then, r.votes, r.valid, r.share) for r in ballot.rules] == [
        ("cap", 7, 15, "1/3"),
        ("flag", 8, 15, "2/3"),
    ]
    assert [(g.invalid, g.flagged) for g in ballot.groups] == [(0, 0), (2, 1)]
    flags = [(f.code, f.subject, f.value, f.threshold) for f in result.flags if f.subject == "a"]
    assert ("ballot_share", "a", float(Fraction(7, 15)), float(Fraction(1, 3))) in flags
    assert ("ballot_share", "a", float(Fraction(8, 15)), float(Fraction(2, 3))) in flags
    assert ("invalid_ballots", "a", 2.0, None) in flags
    b = result.cadre("b")
    assert (b.caps, b.grade_cap, b.veto_capped) == ((), None, False)


def test_exactly_one_third_does_not_cap():
    # leaders 3 称职 2 不称职, staff 7 称职 3 不称职: 不称职 5 of 15 = 1/3, not above
    rulebook = parse_rulebook(document(consequences=[OVER_THIRD_CAP]))
    ballots = (
        BallotInput("MZ", "a", "leaders", {"competent": 3, "incompetent": 2}),
        BallotInput("MZ", "a", "staff", {"competent": 7, "incompetent": 3}),
    )
    a = compute_period_results(rulebook, inputs(ballots), resamples=0).cadre("a")
    assert (a.caps, a.grade_cap) == ((), None)


def test_the_lowest_cap_wins_veto_or_ballot():
    # veto V1 caps at 称职, the ballot rule at 基本称职: 基本称职 applies, both listed
    rulebook = parse_rulebook(document(with_veto=True, consequences=[OVER_THIRD_CAP]))
    result = compute_period_results(
        rulebook, inputs(A_OVER, (EventInput("e1", "a", "V1"),)), resamples=0
    )
    a = result.cadre("a")
    assert [c.kind for c in a.caps] == ["veto", "ballot_share"]
    assert (a.veto_cap, a.grade_cap, a.grade) == ("competent", "basic", "basic")
    # a flag-only rulebook: the veto alone caps; 89.28 earns 称职 = the cap, so not lowered
    flagged = parse_rulebook(document(with_veto=True))
    a = compute_period_results(
        flagged, inputs(A_OVER, (EventInput("e1", "a", "V1"),)), resamples=0
    ).cadre("a")
    assert (a.grade_cap, a.grade, a.veto_capped) == ("competent", "competent", False)


def test_the_bootstrap_uses_the_combined_cap():
    rulebook = parse_rulebook(document(consequences=[OVER_THIRD_CAP]))
    result = compute_period_results(rulebook, inputs(A_OVER), resamples=50)
    # ballots are counted, not sampled: every resample caps cadre a at 基本称职
    assert result.confidence.of("a").probabilities["basic"] == 1.0


def test_caps_bands_and_invalid_sheets_round_trip():
    rulebook = parse_rulebook(
        document(
            consequences=[OVER_THIRD_CAP],
            bands={"excellent": [{"share": 0.5, "points": 100}, {"share": 0, "points": 60}]},
        )
    )
    result = compute_period_results(rulebook, inputs(A_OVER), resamples=0)
    plain = json.loads(canonical_json(result_to_plain(result)))
    assert result_to_plain(result_from_plain(plain)) == result_to_plain(result)
    a = result_from_plain(plain).cadre("a")
    assert a.grade_caps[0].detail == "incompetent 7/15 > 1/3"
    # bands: leaders 优秀 2/5 = 0.4 < 0.5 -> 60; staff 0 -> 60; B = 60
    assert a.indicators[1].input == 60.0
    assert a.indicators[1].ballot.bands.excellent[0].share == "0.5"
    # the void sheets reach the canonical inputs (and so the data digest)
    (staff,) = [
        b
        for b in canonical_inputs(inputs(A_OVER))["ballots"]
        if b["group"] == "staff" and b["target"] == "a"
    ]
    assert (staff["invalid"], staff["flagged"]) == (2, 1)


def test_rulebook_reads_and_writes_validity_bands_and_consequences():
    doc = document(
        validity={"max_top_grade_share": "3/10", "same_grade_for_all": "flag"},
        bands={
            "boundary": "above",
            "excellent": [{"share": 0.6, "points": 100}, {"share": 0, "points": 70}],
            "poor": [{"share": "1/3", "deduct": 10}],
        },
        consequences=[OVER_THIRD_CAP],
    )
    sources = parse_rulebook(doc).indicator_sets[0].indicator("MZ").sources
    assert sources.validity == BallotValidity(None, Fraction(3, 10), "invalid", "flag")
    assert sources.bands.boundary == "above"
    assert sources.bands.poor[0].share == Fraction(1, 3)
    assert sources.share_rules == (
        ShareRule(("incompetent",), "above", Fraction(1, 3), "cap", "basic"),
    )
    plain = to_plain(parse_rulebook(doc))["posts"][0]["indicators"][1]["sources"]
    assert plain["validity"] == {
        "max_top_grade_share": 0.3,
        "over_top_limit": "invalid",
        "same_grade_for_all": "flag",
    }
    assert plain["bands"]["poor"] == [{"share": "1/3", "deduct": 10}]
    assert "coefficients" not in plain
    assert plain["consequences"] == [OVER_THIRD_CAP]
    # the written form reads back to the same rulebook
    assert parse_rulebook(to_plain(parse_rulebook(doc))) == parse_rulebook(doc)


def test_without_consequences_the_one_third_flag_is_the_default():
    sources = parse_rulebook(document()).indicator_sets[0].indicator("MZ").sources
    assert sources.consequences is None
    assert sources.share_rules == (ShareRule(("incompetent",), "above", Fraction(1, 3), "flag"),)
    # an empty list means no rule at all
    sources = parse_rulebook(document(consequences=[])).indicator_sets[0].indicator("MZ").sources
    assert sources.share_rules == ()


AT = "posts[0].indicators[1].sources"


@pytest.mark.parametrize(
    ("sources", "path", "code"),
    [
        ({"validity": {"max_top_grade": -1}}, f"{AT}.validity.max_top_grade", "out_of_range"),
        (
            {"validity": {"max_top_grade_share": "4/3"}},
            f"{AT}.validity.max_top_grade_share",
            "not_a_share",
        ),
        (
            {"validity": {"max_top_grade_share": "a third"}},
            f"{AT}.validity.max_top_grade_share",
            "not_a_share",
        ),
        (
            {"validity": {"same_grade_for_all": "void"}},
            f"{AT}.validity.same_grade_for_all",
            "unknown_choice",
        ),
        (
            {"validity": {"over_top_limit": "flag"}},
            f"{AT}.validity.over_top_limit",
            "no_top_grade_limit",
        ),
        ({"validity": {"maximum": 3}}, f"{AT}.validity.maximum", "unknown_field"),
        ({"validity": {}}, f"{AT}.validity", "empty"),
        (
            {"bands": {"excellent": [{"share": 0.4, "points": 80}, {"share": 0.6, "points": 90}]}},
            f"{AT}.bands.excellent[1].share",
            "band_not_descending",
        ),
        (
            {"bands": {"excellent": [{"share": 0.6, "points": 80}, {"share": 0.4, "points": 90}]}},
            f"{AT}.bands.excellent[1].points",
            "band_points_rise",
        ),
        (
            {"bands": {"excellent": [{"share": 0.6, "points": 80}], "boundary": ">="}},
            f"{AT}.bands.boundary",
            "unknown_choice",
        ),
        (
            {"bands": {"excellent": [{"share": 0.6, "points": 180}]}},
            f"{AT}.bands.excellent[0].points",
            "out_of_range",
        ),
        (
            {
                "bands": {"excellent": [{"share": 0.6, "points": 80}]},
                "coefficients": {"excellent": 1, "competent": 0.8, "basic": 0.6, "incompetent": 0},
            },
            f"{AT}.bands",
            "bands_with_coefficients",
        ),
        (
            {"consequences": [{"votes": ["incompetent"], "then": "flag"}]},
            f"{AT}.consequences[0]",
            "one_comparison",
        ),
        (
            {
                "consequences": [
                    {"votes": ["incompetent"], "above": 0.3, "below": 0.5, "then": "flag"}
                ]
            },
            f"{AT}.consequences[0]",
            "one_comparison",
        ),
        (
            {"consequences": [{"votes": ["bad"], "above": 0.3, "then": "flag"}]},
            f"{AT}.consequences[0].votes[0]",
            "unknown_ballot_grade",
        ),
        (
            {"consequences": [{"votes": ["incompetent"], "above": 0.3, "then": "cap"}]},
            f"{AT}.consequences[0].cap_at",
            "missing",
        ),
        (
            {
                "consequences": [
                    {"votes": ["incompetent"], "above": 0.3, "then": "cap", "cap_at": "awful"}
                ]
            },
            f"{AT}.consequences[0].cap_at",
            "unknown_grade",
        ),
        (
            {
                "consequences": [
                    {"votes": ["incompetent"], "above": 0.3, "then": "flag", "cap_at": "basic"}
                ]
            },
            f"{AT}.consequences[0].cap_at",
            "cap_at_with_flag",
        ),
    ],
)
def test_bad_ballot_rules_are_refused_naming_the_path(sources, path, code):
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(document(**sources))
    assert (path, code) in [(p.path, p.code) for p in caught.value.problems]


def test_ballot_keys_on_a_satisfaction_indicator_are_refused():
    doc = document(validity={"max_top_grade": 3})
    doc["posts"][0]["indicators"][1]["sources"] = {
        "surveys": ["mzcp"],
        "consequences": [GOOD_BELOW],
    }
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(doc)
    assert (f"{AT}.consequences", "not_used_by_method") in [
        (p.path, p.code) for p in caught.value.problems
    ]


def test_the_cadre_explanation_rebuilds_band_scores_and_lists_the_caps():
    from assessment.core.explain import explain_cadre_result

    book = parse_rulebook(
        document(
            consequences=[OVER_THIRD_CAP],
            bands={
                "excellent": [{"share": 0.4, "points": 100}, {"share": 0, "points": 60}],
                "poor": [{"share": "1/3", "deduct": 10}],
            },
        )
    )
    result = compute_period_results(book, inputs(A_OVER), resamples=0)
    view = explain_cadre_result(result, "a", book)
    assert view.explained, view.problems
    (mz,) = [i for i in view.indicators if i.outcome.code == "MZ"]
    # leaders 优秀 2/5 = 0.4 ≥ 0.4 -> 100; 基本称职 + 不称职 2/5 ≥ 1/3 -> −10: 90
    # staff 优秀 0/10 ≥ 0 -> 60; 5/10 ≥ 1/3 -> −10: 50; B = (40 × 90 + 60 × 50) / 100 = 66
    assert [g.expression for g in mz.ballot.groups] == [
        "2/5 ≥ 0.4 → 100; 2/5 ≥ 1/3 → −10; = 90.00",
        "0/10 ≥ 0 → 60; 5/10 ≥ 1/3 → −10; = 50.00",
    ]
    assert mz.ballot.by_bands and mz.ballot.score == 66.0
    assert [(g.invalid, g.flagged) for g in mz.ballot.groups] == [(0, 0), (2, 1)]
    assert [r.then for r in mz.ballot.rules] == ["cap"]
    assert view.cadre.grade_caps[0].kind == "ballot_share"
