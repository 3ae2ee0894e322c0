"""Grade-ballot scoring (assessment.core.ballots): hand-computed cases and invariants.

Every expected value is computed by hand in the comment beside it, from the formula
score = Σ votes × coefficient / valid ballots × 100 (abstentions out of the valid
ballots) and score = Σ w_g × score_g / Σ w_g between voter groups.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment.core.ballots import (
    GroupBallots,
    Quorum,
    compute_ballot_result,
    compute_ballot_score,
    is_quorum_met,
    is_share_above,
)
from assessment.core.errors import InvalidParameterError, MissingInputError
from assessment.core.precision import Precision
from surveys.core.tally import summarise_ballots

WEIGHTS = [("leaders", 30), ("staff", 40), ("public", 30)]


def test_abstentions_are_out_of_the_valid_ballots():
    # 12 ballots: 4 优秀, 4 称职, 2 基本称职, 2 abstain -> valid 10
    # (4 × 1 + 4 × 0.8 + 2 × 0.6) / 10 × 100 = (4 + 3.2 + 1.2) / 10 × 100 = 84
    result = compute_ballot_result(
        [GroupBallots("staff", {"excellent": 4, "competent": 4, "basic": 2}, abstentions=2)],
        [("staff", 1)],
    )
    (group,) = result.groups
    assert (group.valid, group.abstentions, group.score, result.score) == (10, 2, 84.0, 84.0)
    assert group.votes == (("excellent", 4), ("competent", 4), ("basic", 2), ("incompetent", 0))


def test_three_weighted_groups():
    # leaders: 3 优秀 2 称职 -> (3 + 1.6) / 5 × 100 = 92
    # staff: 5 优秀 10 称职 4 基本称职 1 不称职 -> (5 + 8 + 2.4 + 0) / 20 × 100 = 77
    # public: 10 称职 5 基本称职 5 不称职 (3 abstain) -> (8 + 3 + 0) / 20 × 100 = 55
    # weighted: (30 × 92 + 40 × 77 + 30 × 55) / 100 = (2760 + 3080 + 1650) / 100 = 74.9
    result = compute_ballot_result(
        [
            GroupBallots("leaders", {"excellent": 3, "competent": 2}),
            GroupBallots("staff", {"excellent": 5, "competent": 10, "basic": 4, "incompetent": 1}),
            GroupBallots("public", {"competent": 10, "basic": 5, "incompetent": 5}, abstentions=3),
        ],
        WEIGHTS,
    )
    assert [g.score for g in result.groups] == [92.0, 77.0, 55.0]
    assert result.score == 74.9
    # 不称职 6 of 45 valid ballots: 6 × 3 = 18 ≤ 45, not over one third
    assert result.incompetent_over_third is False


def test_weighted_score_uses_the_published_group_scores():
    # leaders 2 优秀 1 称职: 2.8 / 3 × 100 = 93.333.. published 93.33
    # staff 1 称职 2 基本称职: 2.0 / 3 × 100 = 66.666.. published 66.67
    # (1 × 93.33 + 1 × 66.67) / 2 = 80.00 exactly (unrounded scores would give 80 too,
    # but 93.33 + 66.67 is what a reader re-adds)
    result = compute_ballot_result(
        [
            GroupBallots("leaders", {"excellent": 2, "competent": 1}),
            GroupBallots("staff", {"competent": 1, "basic": 2}),
        ],
        [("leaders", 1), ("staff", 1)],
    )
    assert [g.score for g in result.groups] == [93.33, 66.67]
    assert result.score == 80.0
    # weights 1 and 2: (93.33 + 2 × 66.67) / 3 = 226.67 / 3 = 75.5566.. -> 75.56
    result = compute_ballot_result(
        [
            GroupBallots("leaders", {"excellent": 2, "competent": 1}),
            GroupBallots("staff", {"competent": 1, "basic": 2}),
        ],
        [("leaders", 1), ("staff", 2)],
    )
    assert result.score == 75.56


def test_an_empty_group_is_missing_and_the_indicator_has_no_score():
    # public cast only abstentions: valid 0 -> no score, never 0
    result = compute_ballot_result(
        [
            GroupBallots("leaders", {"excellent": 5}),
            GroupBallots("staff", {"competent": 5}),
            GroupBallots("public", {}, abstentions=4),
        ],
        WEIGHTS,
    )
    assert result.missing_groups == ("public",)
    assert result.score is None and result.groups[2].score is None
    assert result.groups[2].abstentions == 4
    # a group absent from the input is missing the same way
    absent = compute_ballot_result([GroupBallots("leaders", {"excellent": 5})], WEIGHTS)
    assert absent.missing_groups == ("staff", "public")


def test_quorum_exactly_met_and_one_short():
    # min 5 valid ballots: 5 valid (2 abstentions not counted) meets it, 4 does not
    quorum = Quorum(min_valid=5)
    met = compute_ballot_result(
        [GroupBallots("staff", {"competent": 5}, abstentions=2)], [("staff", 1)], quorum=quorum
    )
    short = compute_ballot_result(
        [GroupBallots("staff", {"competent": 4}, abstentions=3)], [("staff", 1)], quorum=quorum
    )
    assert (met.score, met.missing_groups) == (80.0, ())
    assert (short.score, short.missing_groups) == (None, ("staff",))
    assert short.groups[0].quorum_met is False and short.groups[0].valid == 4


def test_share_quorum_of_eligible_voters_on_the_boundary():
    # two thirds of 30 eligible = 20: 20 valid meets it, 19 does not
    quorum = Quorum(min_share=2 / 3)
    assert is_quorum_met(20, quorum, eligible=30)
    assert not is_quorum_met(19, quorum, eligible=30)
    with pytest.raises(InvalidParameterError):
        is_quorum_met(20, quorum)


def test_incompetent_share_boundary_is_strict():
    # 4 不称职 of 12 valid = exactly 1/3: not over; 5 of 12 > 1/3: over
    assert not is_share_above(4, 12, Fraction(1, 3))
    assert is_share_above(5, 12, Fraction(1, 3))
    on_line = compute_ballot_result(
        [GroupBallots("staff", {"competent": 8, "incompetent": 4})], [("staff", 1)]
    )
    over = compute_ballot_result(
        [GroupBallots("staff", {"competent": 7, "incompetent": 5})], [("staff", 1)]
    )
    assert (on_line.incompetent_over_third, over.incompetent_over_third) == (False, True)


def test_custom_coefficients_and_precision():
    # 优秀 1, 称职 0.85, 基本称职 0.6, 不称职 0.2; 1 优秀 1 不称职 -> (1 + 0.2) / 2 × 100 = 60
    coefficients = {"excellent": 1.0, "competent": 0.85, "basic": 0.6, "incompetent": 0.2}
    assert compute_ballot_score({"excellent": 1, "incompetent": 1}, coefficients=coefficients) == 60
    # 1 优秀 2 称职 (defaults): 2.6 / 3 × 100 = 86.666.. -> 86.7 with one decimal
    assert compute_ballot_score({"excellent": 1, "competent": 2}, precision=Precision(1)) == 86.7


@pytest.mark.parametrize(
    ("votes", "error"),
    [
        ({}, MissingInputError),
        ({"superb": 1}, InvalidParameterError),
        ({"excellent": -1}, InvalidParameterError),
        ({"excellent": 1.5}, InvalidParameterError),
    ],
)
def test_bad_votes_are_refused(votes, error):
    with pytest.raises(error):
        compute_ballot_score(votes)


def test_bad_groups_are_refused():
    with pytest.raises(InvalidParameterError) as caught:
        compute_ballot_result([GroupBallots("elders", {"excellent": 1})], WEIGHTS)
    assert caught.value.reason == "group_not_weighted"
    with pytest.raises(InvalidParameterError) as caught:
        compute_ballot_result([], [("staff", 0)])
    assert caught.value.reason == "not_positive"


def test_staff_tally_uses_the_same_formula():
    # surveys.core.tally.summarise_ballots scores with the one formula (unrounded)
    summary = summarise_ballots(["excellent", "competent", "competent", None])
    assert summary.score == float(Fraction(26, 30) * 100)
    assert compute_ballot_score(summary.counts) == 86.67


counts = st.integers(min_value=0, max_value=200)
vote_maps = st.fixed_dictionaries(
    {"excellent": counts, "competent": counts, "basic": counts, "incompetent": counts}
).filter(lambda v: sum(v.values()) > 0)


@given(vote_maps, st.sampled_from(["competent", "basic", "incompetent"]))
def test_one_more_excellent_vote_never_lowers_the_score(votes, moved_from):
    """Turning any other vote into 优秀, or adding an 优秀 vote, never lowers the score."""
    before = compute_ballot_score(votes)
    added = compute_ballot_score({**votes, "excellent": votes["excellent"] + 1})
    assert added >= before
    if votes[moved_from] > 0:
        moved = {
            **votes,
            moved_from: votes[moved_from] - 1,
            "excellent": votes["excellent"] + 1,
        }
        assert compute_ballot_score(moved) >= before


@given(
    st.lists(st.sampled_from(["excellent", "competent", "basic", "incompetent", None]), min_size=1),
    st.randoms(),
)
def test_ballot_order_does_not_matter(ballots, rng):
    shuffled = list(ballots)
    rng.shuffle(shuffled)
    first, second = summarise_ballots(ballots), summarise_ballots(shuffled)
    assert first.counts == second.counts
    assert (first.score == second.score) or (
        first.score != first.score and second.score != second.score
    )


@given(vote_maps, vote_maps, st.integers(1, 100), st.integers(1, 100))
def test_group_order_does_not_matter(first, second, w1, w2):
    groups = [GroupBallots("a", first), GroupBallots("b", second)]
    forward = compute_ballot_result(groups, [("a", w1), ("b", w2)])
    backward = compute_ballot_result(groups[::-1], [("b", w2), ("a", w1)])
    assert forward.score == backward.score
    low, high = sorted(g.score for g in forward.groups)
    assert low <= forward.score <= high
