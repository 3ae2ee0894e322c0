"""Survey tallies: response scores, satisfaction index and intervals, ballots, flags.

Golden values for intervals come from tests/data/satisfaction.json (statsmodels
DescrStatsW / proportion_confint(method="wilson") and scipy.stats.t; see
tests/data/README.md). Small examples are worked by hand from DESIGN.md section 4.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.core.errors import InvalidParameterError, MissingInputError
from surveys.core.tally import (
    MIN_INTERVAL_RESPONSES,
    compute_kish_n_eff,
    compute_poststrat_weights,
    compute_response_flags,
    compute_response_scores,
    compute_satisfaction,
    compute_shown_interval,
    flag_duplicate_serials,
    flag_straight_lining,
    flag_too_fast,
    is_suppressed,
    likert_to_100,
    score_ballots,
    summarise_ballots,
    summarise_breakdown,
    summarise_targets,
)

DATA = Path(__file__).resolve().parents[2] / "data"
CASES = json.loads((DATA / "satisfaction.json").read_text())["cases"]
NAN = float("nan")


def _matrix(rows):
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


def _nan_to_none(values):
    return [None if math.isnan(v) else v for v in values]


# --- Likert mapping and response scores ---------------------------------------------


@pytest.mark.parametrize(
    ("k", "values", "expected"),
    [
        # (x - 1) / (k - 1) × 100
        (5, [1, 2, 3, 4, 5], [0.0, 25.0, 50.0, 75.0, 100.0]),
        (4, [1, 2, 4], [0.0, 100 / 3, 100.0]),
        (2, [1, 2], [0.0, 100.0]),
        (7, [4], [50.0]),
    ],
)
def test_likert_to_100(k, values, expected):
    assert likert_to_100(values, k).tolist() == pytest.approx(expected)


def test_likert_scale_per_item():
    assert likert_to_100([[3, 3]], k=[5, 3]).tolist() == [[50.0, 100.0]]


@pytest.mark.parametrize(
    ("values", "k"), [([0], 5), ([6], 5), ([2.5], 5), ([1], 1), ([1], 4.0), ([1], [[5]])]
)
def test_likert_bad_input(values, k):
    with pytest.raises(InvalidParameterError):
        likert_to_100(values, k)


def test_response_score_is_mean_of_answered_items_and_empty_rows_are_invalid():
    items = [[5, 4, NAN], [NAN, NAN, NAN], [1, 1, 3], [2, NAN, NAN]]
    result = compute_response_scores(items, k=5)
    assert _nan_to_none(result.scores.tolist()) == pytest.approx(
        [87.5, None, 50 / 3, 25.0], nan_ok=False
    )
    assert result.answered.tolist() == [2, 0, 3, 1]
    assert (result.n_valid, result.n_invalid) == (3, 1)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_response_scores_match_pandas_row_mean(case):
    # expected: pandas ((items - 1) / (k - 1) * 100).mean(axis=1, skipna=True)
    result = compute_response_scores(_matrix(case["items"]), k=case["k"])
    got = _nan_to_none(result.scores.tolist())
    for g, e in zip(got, case["scores"], strict=True):
        assert (g is None and e is None) or g == pytest.approx(e, abs=1e-12)
    assert result.n_invalid == case["n_invalid"]


# --- satisfaction index against statsmodels / scipy ----------------------------------


def _summary_for(case):
    scores = np.array([NAN if v is None else v for v in case["scores"]])
    if case["weighted"]:
        units = np.array(case["units"], dtype=object)
        return compute_satisfaction(
            scores, unit_ids=units, unit_populations=case["populations"], households=400
        )
    return compute_satisfaction(scores, households=400)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_satisfaction_matches_statsmodels(case):
    # expected: statsmodels 0.15.0 DescrStatsW(...).tconfint_mean(alpha=0.05) (weights
    # rescaled to sum to Kish n_eff when post-stratified) and proportion_confint(wilson)
    s = _summary_for(case)
    assert s.n == case["n"]
    assert s.n_invalid == case["n_invalid"]
    assert s.weighted is case["weighted"]
    assert s.index == pytest.approx(case["index"], abs=1e-10)
    assert s.n_effective == pytest.approx(case["n_effective"], rel=1e-12)
    assert [s.ci_low, s.ci_high] == pytest.approx(case["ci"], abs=1e-9)
    assert s.share_satisfied == pytest.approx(case["share_satisfied"], abs=1e-12)
    assert [s.share_ci_low, s.share_ci_high] == pytest.approx(case["share_ci"], abs=1e-12)
    assert s.response_rate == pytest.approx(case["n"] / 400)


@pytest.mark.parametrize("case", [c for c in CASES if c.get("ci_scipy")], ids=lambda c: c["name"])
def test_unweighted_interval_matches_scipy_t(case):
    # expected: scipy 1.17.1 stats.t.interval(0.95, n - 1, loc=mean, scale=stats.sem(x))
    s = _summary_for(case)
    assert [s.ci_low, s.ci_high] == pytest.approx(case["ci_scipy"], abs=1e-9)


def test_poststratified_weights_match_golden_weights():
    # expected: pandas groupby w = (P_u / P) / (n_u / n), P over units with responses
    case = next(c for c in CASES if c["name"] == "poststratified_200")
    valid = [s is not None for s in case["scores"]]
    units = np.array(case["units"], dtype=object)[valid]
    weights = compute_poststrat_weights(units, case["populations"])
    assert weights.tolist() == pytest.approx(case["weights"], rel=1e-12)
    assert weights.sum() == pytest.approx(len(units))
    assert compute_kish_n_eff(weights) == pytest.approx(case["n_effective"], rel=1e-12)


def test_single_and_multi_target_agree_exactly():
    case = next(c for c in CASES if c["name"] == "poststratified_200")
    scores = np.array([NAN if v is None else v for v in case["scores"]])
    units = np.array(case["units"], dtype=object)
    targets = np.array(["t1", "t2"] * 100, dtype=object)
    many = summarise_targets(targets, scores, unit_ids=units, unit_populations=case["populations"])
    for target in ("t1", "t2"):
        mask = targets == target
        one = compute_satisfaction(
            scores[mask],
            unit_ids=units[mask],
            unit_populations=case["populations"],
            target=target,
        )
        assert one == many[target]


def test_summarise_targets_hand_example():
    # target a: scores 100, 50 -> S = 75; n = 2; s = 35.355..; se = 25; t(0.975, 1) = 12.706
    out = summarise_targets(
        ["a", "a", "b", "b", "b", "b"],
        [100, 50, 80, 80, NAN, 60],
        households={"a": 10, "b": 4},
    )
    a, b = out["a"], out["b"]
    assert (a.index, a.n, a.se) == (75.0, 2, pytest.approx(25.0))
    assert a.ci_high - a.index == pytest.approx(12.706204736174707 * 25.0)
    assert (a.share_satisfied, a.response_rate) == (0.5, 0.2)
    assert (b.n, b.n_invalid, b.response_rate) == (3, 1, 0.75)
    assert b.index == pytest.approx(220 / 3)
    assert b.share_satisfied == pytest.approx(2 / 3)
    assert list(out) == ["a", "b"]


def test_poststratification_reweights_units_to_population():
    # unit x: 3 responses of 100, population 100; unit y: 1 response of 0, population 300
    # shares: x 0.25 / 0.75, y 0.75 / 0.25 -> weights 1/3, 3; S = (3 × 100/3) / 4 = 25
    s = compute_satisfaction(
        [100, 100, 100, 0], unit_ids=["x", "x", "x", "y"], unit_populations={"x": 100, "y": 300}
    )
    assert s.index == pytest.approx(25.0)
    assert s.n_effective == pytest.approx(16 / (3 * (1 / 9) + 9))
    assert s.weighted


def test_single_response_has_no_interval_and_no_response_has_nan_index():
    one = compute_satisfaction([80.0])
    assert (one.index, one.n) == (80.0, 1)
    assert math.isnan(one.ci_low) and math.isnan(one.se)
    none = compute_satisfaction([NAN, NAN], households=5)
    assert none.n == 0 and none.n_invalid == 2 and math.isnan(none.index)
    assert none.response_rate == 0.0
    empty = compute_satisfaction([])
    assert empty.n == 0 and math.isnan(empty.index)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"scores": [101.0]}, InvalidParameterError),
        ({"scores": [-1.0]}, InvalidParameterError),
        ({"scores": [50.0], "confidence": 1.0}, InvalidParameterError),
        ({"scores": [50.0], "unit_ids": ["x"]}, InvalidParameterError),
        ({"scores": [50.0], "unit_ids": ["x"], "unit_populations": {}}, MissingInputError),
        (
            {"scores": [50.0], "unit_ids": ["x"], "unit_populations": {"x": 0}},
            InvalidParameterError,
        ),
        ({"scores": [50.0], "households": 0}, InvalidParameterError),
    ],
)
def test_satisfaction_bad_input(kwargs, error):
    with pytest.raises(error):
        compute_satisfaction(**kwargs)


def test_summarise_targets_rejects_missing_target_and_length_mismatch():
    with pytest.raises(MissingInputError):
        summarise_targets(["a", None], [50.0, 60.0])
    with pytest.raises(InvalidParameterError):
        summarise_targets(["a"], [50.0, 60.0])


def test_missing_unit_population_names_the_unit():
    with pytest.raises(MissingInputError) as info:
        compute_satisfaction([50.0, 60.0], unit_ids=["x", "y"], unit_populations={"x": 10})
    assert info.value.name == "unit_populations['y']"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.sampled_from("uvw"), st.integers(0, 100)),
        min_size=1,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_summaries_do_not_depend_on_response_order(rows, rnd):
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    pops = {"u": 100.0, "v": 250.0, "w": 40.0}

    def run(data):
        t, u, x = zip(*data, strict=True)
        out = summarise_targets(
            list(t), np.array(x, float), unit_ids=list(u), unit_populations=pops
        )
        return {k: (v.n, v.index, v.n_effective, v.share_satisfied) for k, v in out.items()}

    first, second = run(rows), run(shuffled)
    assert first.keys() == second.keys()
    for key, (n, index, n_eff, share) in first.items():
        assert second[key][0] == n
        assert second[key][1:] == pytest.approx((index, n_eff, share), rel=1e-9)
        assert 0 <= index <= 100 + 1e-9


@given(st.lists(st.floats(min_value=0.01, max_value=100), min_size=1, max_size=50))
def test_kish_n_eff_is_between_one_and_n(weights):
    n_eff = compute_kish_n_eff(weights)
    assert 1 - 1e-9 <= n_eff <= len(weights) + 1e-9


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [1, NAN]])
def test_kish_bad_weights(weights):
    with pytest.raises(InvalidParameterError):
        compute_kish_n_eff(weights)


# --- ballots -------------------------------------------------------------------------


def test_ballot_scores_and_abstentions_out_of_denominator():
    # 优秀/称职/基本称职/不称职 = 100/80/60/0; abstentions left out
    ballots = ["excellent", "competent", "basic", "incompetent", None, "abstain", ""]
    assert _nan_to_none(score_ballots(ballots).tolist()) == [100, 80, 60, 0, None, None, None]
    summary = summarise_ballots(ballots)
    assert summary.score == pytest.approx(240 / 4)
    assert (summary.n_ballots, summary.n_counted, summary.n_abstained) == (7, 4, 3)
    assert summary.counts == {"excellent": 1, "competent": 1, "basic": 1, "incompetent": 1}


def test_ballot_custom_values_and_all_abstained():
    summary = summarise_ballots(["good", "good", "bad"], values={"good": 90, "bad": 30})
    assert summary.score == pytest.approx(70.0)
    assert math.isnan(summarise_ballots([None, "abstain"]).score)


def test_unknown_ballot_code_raises():
    with pytest.raises(InvalidParameterError) as info:
        score_ballots(["excellent", "superb"])
    assert info.value.value == "superb"


# --- small groups ---------------------------------------------------------------------


@given(st.integers(0, 50), st.integers(1, 20))
def test_suppression_triggers_below_min_group_size(n, minimum):
    assert is_suppressed(n, minimum) is (n < minimum)


def test_breakdown_suppresses_small_groups_and_one_complementary_group():
    groups = ["x"] * 6 + ["y"] * 5 + ["z"] * 2 + ["w"] * 7
    scores = [80.0] * 6 + [60.0] * 5 + [100.0] * 2 + [50.0] * 7
    rows = {r.group: r for r in summarise_breakdown(groups, scores)}
    assert rows["z"].suppressed and rows["z"].reason == "small_group" and rows["z"].mean is None
    # a lone small group could be recovered from the total: the smallest shown one goes too
    assert rows["y"].reason == "complementary" and rows["y"].mean is None
    assert (rows["x"].mean, rows["x"].share_satisfied) == (80.0, 1.0)
    assert (rows["w"].mean, rows["w"].suppressed) == (50.0, False)
    assert [r.n for r in summarise_breakdown(groups, scores)] == [7, 6, 5, 2]


def test_breakdown_two_small_groups_need_no_complementary_suppression():
    rows = summarise_breakdown(["a"] * 9 + ["b"] * 2 + ["c"] * 3, [70.0] * 14, min_group_size=5)
    assert [(r.group, r.reason) for r in rows] == [
        ("a", None),
        ("b", "small_group"),
        ("c", "small_group"),
    ]


def test_breakdown_counts_only_valid_responses():
    rows = summarise_breakdown(["a"] * 5, [70.0, 70.0, 70.0, 70.0, NAN])
    assert rows[0].n == 4 and rows[0].suppressed


@settings(max_examples=100)
@given(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=60), st.integers(1, 8))
def test_no_group_below_minimum_is_ever_shown(groups, minimum):
    rows = summarise_breakdown(groups, [50.0] * len(groups), min_group_size=minimum)
    for row in rows:
        if row.n < minimum:
            assert row.suppressed and row.mean is None and row.share_satisfied is None


def test_bad_min_group_size():
    with pytest.raises(InvalidParameterError):
        is_suppressed(3, 0)
    with pytest.raises(InvalidParameterError):
        summarise_breakdown(["a"], [1.0], min_group_size=2.5)


# --- response flags -------------------------------------------------------------------


def test_straight_lining_needs_three_identical_answers():
    items = [
        [4, 4, 4, NAN],  # three identical answered items
        [4, 4, NAN, NAN],  # only two answered
        [4, 5, 4, 4],
        [NAN, NAN, NAN, NAN],
        [1, 1, 1, 1],
    ]
    assert flag_straight_lining(items).tolist() == [True, False, False, False, True]
    assert flag_straight_lining(items, min_answered=4).tolist() == [False] * 4 + [True]


def test_too_fast_needs_thirty_durations_and_uses_a_third_of_the_median():
    # 30 known durations, median 300, limit 300 / 3 = 100 (strictly below is flagged)
    durations = [300.0] * 28 + [99.0, 100.0, NAN]
    flags = flag_too_fast(durations)
    assert flags.tolist() == [False] * 28 + [True, False, False]
    # 29 known durations: too few to judge, nothing is flagged
    assert not flag_too_fast([300.0] * 28 + [1.0, NAN]).any()
    assert flag_too_fast([300.0] * 28 + [1.0], min_responses=29)[-1]


def test_too_fast_bad_input():
    with pytest.raises(InvalidParameterError):
        flag_too_fast([-1.0] * 30)
    with pytest.raises(InvalidParameterError):
        flag_too_fast([1.0], divisor=0)


def test_duplicate_serials_flag_every_copy_and_ignore_online():
    serials = ["P001", "P002", "P001 ", None, None, "", "", NAN, 7, "7"]
    assert flag_duplicate_serials(serials).tolist() == [
        True,
        False,
        True,
        False,
        False,
        False,
        False,
        False,
        True,
        True,
    ]


def test_response_flags_combined_and_length_checked():
    flags = compute_response_flags(
        [[3, 3, 3], [1, 2, 3]], durations=[NAN, 10.0], serials=["A", None]
    )
    assert flags.any.tolist() == [True, False]
    with pytest.raises(InvalidParameterError):
        compute_response_flags([[3, 3, 3]], serials=["A", "B"])


def test_too_fast_median_is_over_known_durations_only():
    durations = np.r_[np.full(30, 90.0), np.full(10, NAN), [29.0, 31.0]]
    flags = flag_too_fast(durations)  # median 90 -> limit 30
    assert flags[-2] and not flags[-1] and flags.sum() == 1


# --- scale ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_million_responses_summarise_about_as_fast_as_a_groupby_mean():
    rng = np.random.default_rng(7)
    n = 1_000_000
    targets = rng.integers(0, 2000, n)
    units = rng.integers(0, 50, n)
    scores = rng.uniform(0, 100, n)
    scores[rng.random(n) < 0.01] = np.nan
    pops = {u: float(p) for u, p in enumerate(rng.integers(100, 5000, 50))}

    start = time.perf_counter()
    pd.DataFrame({"t": targets, "x": scores}).groupby("t")["x"].mean()
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    out = summarise_targets(targets, scores, unit_ids=units, unit_populations=pops)
    elapsed = time.perf_counter() - start
    assert len(out) == 2000
    # generous margin for noisy machines; in practice the ratio is about 1-2
    assert elapsed < max(20 * baseline, 1.5)


def test_summarise_targets_integer_ids_agree_with_labels():
    """Integer ids take a fast path (ids as slots); the numbers must equal the general path."""
    rng = np.random.default_rng(7)
    ids = rng.choice([3, 17, 40, 41], size=400)  # sparse ids: slots 0..41 mostly unused
    scores = rng.integers(0, 5, size=400) * 25.0
    scores[::37] = np.nan
    fast = summarise_targets(ids, scores, households={3: 120, 17: 90})
    general = summarise_targets([f"c{i}" for i in ids], scores, households={"c3": 120, "c17": 90})
    assert sorted(fast) == [3, 17, 40, 41]
    for key, summary in fast.items():
        other = general[f"c{key}"]
        assert summary.index == pytest.approx(other.index, rel=1e-12)
        assert summary.ci_low == pytest.approx(other.ci_low, rel=1e-12)
        assert summary.n == other.n
        assert summary.n_invalid == other.n_invalid
        assert summary.response_rate == other.response_rate
        assert summary.share_ci_high == pytest.approx(other.share_ci_high, rel=1e-12)


# -- the interval a reader sees (issue 20) -------------------------------------------------


def test_shown_interval_above_the_scale_is_clipped_and_says_so():
    # "42.5–122.8" on the cadre page: the index cannot exceed 100
    shown = compute_shown_interval(42.5, 122.8, 6)
    assert (shown.low, shown.high, shown.clipped, shown.too_few) == (42.5, 100.0, True, False)
    below = compute_shown_interval(-3.0, 20.0, 9)
    assert (below.low, below.high, below.clipped) == (0.0, 20.0, True)


def test_shown_interval_from_two_answers_is_too_few_even_when_of_zero_width():
    # "87.5–87.5" from 2 answers: t(0.975, 1) = 12.71 (scipy.stats.t.ppf), so with 2
    # answers the interval is either zero wide or wider than the scale
    assert compute_shown_interval(87.5, 87.5, 2).too_few
    assert compute_shown_interval(75.0 - 12.71 * 25, 75.0 + 12.71 * 25, 2).too_few
    assert compute_shown_interval(float("nan"), float("nan"), 1).too_few
    assert compute_shown_interval(None, None, None).too_few
    at_minimum = compute_shown_interval(60.0, 90.0, MIN_INTERVAL_RESPONSES)
    assert not at_minimum.too_few and not at_minimum.clipped


def test_shown_interval_inside_the_scale_is_unchanged():
    shown = compute_shown_interval(73.35042305048475, 77.14957694951528, 200)
    assert (shown.low, shown.high) == (73.35042305048475, 77.14957694951528)
    assert not shown.clipped and not shown.too_few


def test_shown_interval_refuses_an_empty_scale():
    with pytest.raises(InvalidParameterError):
        compute_shown_interval(1.0, 2.0, 10, lower=5.0, upper=5.0)
