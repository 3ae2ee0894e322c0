"""Per-sheet validity, vote-share bands and vote-share consequences
(assessment.core.ballots): hand-computed cases, boundaries and invariants.

Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment.core.ballots import (
    BallotBands,
    BallotValidity,
    Band,
    GroupBallots,
    ShareRule,
    apply_share_rules,
    compute_ballot_result,
    compute_band_score,
    judge_sheet,
    share_text,
    tally_sheets,
)
from assessment.core.errors import MissingInputError

EX, CO, BA, IN = "excellent", "competent", "basic", "incompetent"

# 优秀 share ≥ 0.6 -> 100, ≥ 0.4 -> 85, ≥ 0 -> 70; 基本称职 + 不称职 ≥ 0.3 -> −20, ≥ 0.1 -> −5
BANDS = BallotBands(
    excellent=(
        Band(Fraction(3, 5), 100),
        Band(Fraction(2, 5), 85),
        Band(Fraction(0), 70),
    ),
    poor=(Band(Fraction(3, 10), 20), Band(Fraction(1, 10), 5)),
)
STRICT = BallotBands(BANDS.excellent, BANDS.poor, "above")


# ---------------------------------------------------------------------------
# validity
# ---------------------------------------------------------------------------


def test_a_sheet_exactly_at_the_top_grade_limit_is_valid_and_one_over_is_invalid():
    rule = BallotValidity(max_top=2)
    # 2 优秀 of 4: 2 ≤ 2, valid
    assert judge_sheet([EX, EX, CO, BA], rule).status == "valid"
    # 3 优秀 of 4: 3 > 2, invalid
    verdict = judge_sheet([EX, EX, EX, BA], rule)
    assert (verdict.status, verdict.reasons) == ("invalid", ("over_top_limit",))


def test_a_top_grade_share_limit_rounds_down():
    rule = BallotValidity(max_top_share=Fraction(3, 10))
    # 10 targets: ⌊0.3 × 10⌋ = 3 allowed; 3 valid, 4 invalid
    assert judge_sheet([EX] * 3 + [CO] * 7, rule).status == "valid"
    assert judge_sheet([EX] * 4 + [CO] * 6, rule).status == "invalid"
    # 5 targets: ⌊0.3 × 5⌋ = ⌊1.5⌋ = 1 allowed; 2 优秀 is over
    assert judge_sheet([EX, EX, CO, CO, CO], rule).status == "invalid"
    # both limits: the smaller, min(2, ⌊0.3 × 10⌋ = 3) = 2
    both = BallotValidity(max_top=2, max_top_share=Fraction(3, 10))
    assert judge_sheet([EX] * 3 + [CO] * 7, both).status == "invalid"


def test_over_the_limit_may_only_flag():
    rule = BallotValidity(max_top=1, over_top_limit="flag")
    assert judge_sheet([EX, EX, CO], rule).status == "flagged"


def test_same_grade_for_everyone():
    rule = BallotValidity(same_grade_for_all="invalid")
    assert judge_sheet([CO, CO, CO], rule).status == "invalid"
    # an abstention on the sheet: not one grade for every target
    assert judge_sheet([CO, CO, None], rule).status == "valid"
    # all abstentions is no grade at all: valid (abstentions)
    assert judge_sheet([None, None], rule).status == "valid"
    # one target only: nothing to compare
    assert judge_sheet([CO], rule).status == "valid"
    # not checked without the rule
    assert judge_sheet([CO, CO], BallotValidity()).status == "valid"


def test_invalid_beats_flag_and_both_reasons_are_given():
    rule = BallotValidity(max_top=1, over_top_limit="flag", same_grade_for_all="invalid")
    verdict = judge_sheet([EX, EX], rule)
    assert verdict.status == "invalid"
    assert verdict.reasons == ("over_top_limit", "same_grade_for_all")


def test_tally_leaves_an_invalid_sheet_out_of_every_target():
    # limit 1 优秀; same grade for all flagged
    rule = BallotValidity(max_top=1, same_grade_for_all="flag")
    sheets = [
        {"a": EX, "b": CO, "c": BA},  # valid
        {"a": EX, "b": EX, "c": CO},  # 2 优秀 > 1: invalid for a, b and c
        {"a": CO, "b": CO, "c": CO},  # same grade: flagged, counted
        {"a": None, "b": IN, "c": CO},  # valid, a abstains
    ]
    tallies = tally_sheets(sheets, rule)
    # a: 优秀 1 (sheet 1), 称职 1 (sheet 3), abstain 1 (sheet 4), invalid 1, flagged 1
    assert tallies["a"].votes == {EX: 1, CO: 1}
    assert (tallies["a"].abstentions, tallies["a"].invalid, tallies["a"].flagged) == (1, 1, 1)
    # b: 称职 2 (sheets 1, 3), 不称职 1 (sheet 4), invalid 1, flagged 1
    assert tallies["b"].votes == {CO: 2, IN: 1}
    assert (tallies["b"].invalid, tallies["b"].flagged) == (1, 1)
    # c: 基本称职 1, 称职 2: sheet 2's 称职 is void
    assert tallies["c"].votes == {BA: 1, CO: 2}


def test_invalid_sheets_are_out_of_the_valid_ballots_and_the_score():
    # 10 sheets, 2 invalid: 8 valid = 4 优秀 + 4 称职 -> (4 + 3.2) / 8 × 100 = 90
    result = compute_ballot_result(
        [GroupBallots("staff", {EX: 4, CO: 4}, invalid=2, flagged=1)], [("staff", 1)]
    )
    (group,) = result.groups
    assert (group.valid, group.invalid, group.flagged, group.score) == (8, 2, 1, 90.0)


def test_an_empty_group_after_invalid_sheets_is_below_quorum():
    # every sheet of the public was void: no valid ballot, no score, a missing input
    result = compute_ballot_result(
        [GroupBallots("staff", {EX: 1}), GroupBallots("public", {}, invalid=3)],
        [("staff", 1), ("public", 1)],
    )
    assert result.score is None and result.missing_groups == ("public",)
    assert result.groups[1].invalid == 3


# ---------------------------------------------------------------------------
# bands
# ---------------------------------------------------------------------------


def test_band_score_on_and_off_the_boundaries():
    # 6 优秀 of 10 = 0.6: ≥ 0.6 -> 100; poor 0 -> no deduction; 100
    assert compute_band_score({EX: 6, CO: 4}, BANDS) == 100
    # boundary "above": 0.6 is not > 0.6; 0.6 > 0.4 -> 85
    assert compute_band_score({EX: 6, CO: 4}, STRICT) == 85
    # 4 优秀 of 10 = 0.4 exactly: ≥ -> 85; > -> not > 0.4, > 0 -> 70
    assert compute_band_score({EX: 4, CO: 6}, BANDS) == 85
    assert compute_band_score({EX: 4, CO: 6}, STRICT) == 70
    # 5 优秀, 2 称职, 2 基本称职, 1 不称职 of 10: 优秀 0.5 -> 85; poor 3/10 = 0.3
    # ≥ 0.3 -> −20: 65; with ">" 0.3 is not > 0.3 but > 0.1 -> −5: 85 − 5 = 80
    votes = {EX: 5, CO: 2, BA: 2, IN: 1}
    assert compute_band_score(votes, BANDS) == 65
    assert compute_band_score(votes, STRICT) == 80


def test_band_score_never_below_zero_and_zero_share_bands():
    bands = BallotBands((Band(Fraction(1, 2), 10),), (Band(Fraction(0), 30),))
    # 优秀 0 of 2 -> no band reached, 0; poor share 1 ≥ 0 -> −30; max(0, 0 − 30) = 0
    assert compute_band_score({IN: 2}, bands) == 0
    # "above" and a 0 threshold: a poor share of 0 is not > 0, no deduction;
    # 优秀 2/3 > 1/2 -> 10; 优秀 1/2 is not > 1/2 -> 0
    strict = BallotBands(bands.excellent, bands.poor, "above")
    assert compute_band_score({EX: 2, CO: 1}, strict) == 10
    assert compute_band_score({EX: 1, CO: 1}, strict) == 0


def test_band_score_needs_a_valid_ballot():
    with pytest.raises(MissingInputError):
        compute_band_score({}, BANDS)


def test_bands_score_the_groups_of_an_indicator():
    # leaders 3 优秀 of 5 = 0.6 -> 100; staff 2 优秀 1 称职 1 不称职 of 4: 0.5 -> 85,
    # poor 1/4 = 0.25 ≥ 0.1 -> −5: 80; (40 × 100 + 60 × 80) / 100 = 88
    result = compute_ballot_result(
        [GroupBallots("leaders", {EX: 3, CO: 2}), GroupBallots("staff", {EX: 2, CO: 1, IN: 1})],
        [("leaders", 40), ("staff", 60)],
        bands=BANDS,
    )
    assert [g.score for g in result.groups] == [100.0, 80.0]
    assert result.score == 88.0


grades = st.sampled_from([EX, CO, BA, IN])


@given(st.lists(grades, min_size=1, max_size=40), st.sampled_from([BANDS, STRICT]))
def test_property_one_more_excellent_vote_never_lowers_a_band_score(ballots, bands):
    votes: dict[str, int] = {}
    for grade in ballots:
        votes[grade] = votes.get(grade, 0) + 1
    more = {**votes, EX: votes.get(EX, 0) + 1}
    assert compute_band_score(more, bands) >= compute_band_score(votes, bands)
    # and turning any other vote into 优秀 never lowers it either
    for grade in (CO, BA, IN):
        if votes.get(grade):
            turned = {**votes, grade: votes[grade] - 1, EX: votes.get(EX, 0) + 1}
            assert compute_band_score(turned, bands) >= compute_band_score(votes, bands)


@given(st.lists(st.lists(st.sampled_from([EX, CO, BA, IN, None]), min_size=3, max_size=3)))
def test_property_sheet_order_does_not_matter(rows):
    rule = BallotValidity(max_top=1, same_grade_for_all="invalid")
    sheets = [dict(zip("abc", row, strict=True)) for row in rows]
    forward = tally_sheets(sheets, rule)
    backward = tally_sheets(list(reversed(sheets)), rule)
    assert forward == backward
    for target in forward:
        counted = sum(forward[target].votes.values()) + forward[target].abstentions
        assert counted + forward[target].invalid == len(sheets)


# ---------------------------------------------------------------------------
# consequences
# ---------------------------------------------------------------------------

OVER_THIRD_CAP = ShareRule((IN,), "above", Fraction(1, 3), "cap", "basic")
GOOD_BELOW_TWO_THIRDS = ShareRule((EX, CO), "below", Fraction(2, 3), "flag")


def test_exactly_one_third_is_not_above_it():
    # 不称职 4 of 12 = 1/3: not > 1/3; 5 of 12 > 1/3 (5 × 3 = 15 > 12)
    assert apply_share_rules({CO: 8, IN: 4}, [OVER_THIRD_CAP]) == ()
    (met,) = apply_share_rules({CO: 7, IN: 5}, [OVER_THIRD_CAP])
    assert (met.votes, met.valid, met.rule.cap_at) == (5, 12, "basic")
    # "at_least" takes the line itself: 4 of 12 ≥ 1/3
    at_least = ShareRule((IN,), "at_least", Fraction(1, 3), "flag")
    assert len(apply_share_rules({CO: 8, IN: 4}, [at_least])) == 1


def test_excellent_and_competent_below_two_thirds():
    # 优秀 + 称职 = 8 of 12 = 2/3: not below; 7 of 12 < 2/3 (7 × 3 = 21 < 24)
    assert apply_share_rules({EX: 4, CO: 4, BA: 4}, [GOOD_BELOW_TWO_THIRDS]) == ()
    (met,) = apply_share_rules({EX: 3, CO: 4, BA: 5}, [GOOD_BELOW_TWO_THIRDS])
    assert (met.votes, met.valid) == (7, 12)
    at_most = ShareRule((EX, CO), "at_most", Fraction(2, 3), "flag")
    assert len(apply_share_rules({EX: 4, CO: 4, BA: 4}, [at_most])) == 1


def test_no_rule_on_no_valid_ballot():
    assert apply_share_rules({}, [OVER_THIRD_CAP, GOOD_BELOW_TWO_THIRDS]) == ()


def test_rules_pool_the_groups_valid_ballots():
    # leaders 不称职 2 of 5, staff 不称职 2 of 10: pooled 4 of 15 = 0.2667 ≤ 1/3 (12 < 15)
    # although the leaders alone are at 2/5 > 1/3
    result = compute_ballot_result(
        [
            GroupBallots("leaders", {CO: 3, IN: 2}),
            GroupBallots("staff", {CO: 8, IN: 2}, abstentions=4, invalid=3),
        ],
        [("leaders", 1), ("staff", 1)],
        rules=[OVER_THIRD_CAP],
    )
    assert result.triggered == ()
    # one more 不称职 among the leaders: 5 of 16, 15 < 16 still not over; two more: 6 of 17,
    # 18 > 17, over
    result = compute_ballot_result(
        [GroupBallots("leaders", {CO: 3, IN: 4}), GroupBallots("staff", {CO: 8, IN: 2})],
        [("leaders", 1), ("staff", 1)],
        rules=[OVER_THIRD_CAP],
    )
    assert [(t.votes, t.valid) for t in result.triggered] == [(6, 17)]


def test_share_text():
    assert [share_text(Fraction(n, d)) for n, d in ((1, 3), (2, 3), (3, 10), (0, 1))] == [
        "1/3",
        "2/3",
        "0.3",
        "0",
    ]
