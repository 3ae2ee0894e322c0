"""ICC, Kendall's W, leniency and Cronbach's alpha against published and independent values.

Golden values live in tests/data/*.json; tests/data/README.md names the tool, version and
call that produced each file (tests/data/make_expected.py).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from assessment.core.errors import InsufficientDataError, InvalidParameterError
from assessment.core.reliability import (
    compute_cronbach_alpha,
    compute_icc,
    compute_kendall_w,
    compute_leniency,
)

DATA = Path(__file__).resolve().parents[2] / "data"


def _load(name):
    return json.loads((DATA / name).read_text())


def _matrix(rows):
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


ICC_DATA = _load("icc.json")["datasets"]
KENDALL_DATA = _load("kendall_w.json")["datasets"]
CRONBACH_DATA = _load("cronbach.json")["datasets"]

# pingouin's type labels -> our fields (McGraw & Wong A = absolute = ICC2, C = ICC3)
ICC_FIELDS = {
    "ICC(1,1)": "icc1_1",
    "ICC(A,1)": "icc2_1",
    "ICC(C,1)": "icc3_1",
    "ICC(1,k)": "icc1_k",
    "ICC(A,k)": "icc2_k",
    "ICC(C,k)": "icc3_k",
}

SHROUT_FLEISS_RATINGS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]


# --- ICC ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("icc1_1", 0.165742),
        ("icc2_1", 0.289764),
        ("icc3_1", 0.714841),
        ("icc1_k", 0.442797),
        ("icc2_k", 0.620051),
        ("icc3_k", 0.909316),
    ],
)
def test_icc_reproduces_shrout_fleiss_1979_table_2(field, expected):
    # Shrout, P. E. & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing
    # rater reliability. Psychological Bulletin 86(2), 420-428, Table 2 (6 targets,
    # 4 judges); the paper prints 2 decimals, the 6-place values are the exact ratios of
    # its Table 1 mean squares (BMS 11.24, WMS 6.26, JMS 32.49, EMS 1.02).
    result = compute_icc(SHROUT_FLEISS_RATINGS)
    assert getattr(result, field) == pytest.approx(expected, abs=5e-7)


def test_icc_mean_squares_match_shrout_fleiss_table_1():
    # Shrout & Fleiss (1979) Table 1: BMS = 11.24, WMS = 6.26, JMS = 32.49, EMS = 1.02.
    result = compute_icc(SHROUT_FLEISS_RATINGS)
    assert (round(result.bms, 2), round(result.wms, 2)) == (11.24, 6.26)
    assert (round(result.jms, 2), round(result.ems, 2)) == (32.49, 1.02)
    assert (result.n_targets, result.k_raters, result.n_dropped) == (6, 4, 0)


@pytest.mark.parametrize("dataset", ICC_DATA, ids=lambda d: d["name"])
def test_icc_matches_pingouin(dataset):
    # expected: pingouin 0.7.0 intraclass_corr(nan_policy="omit"), tests/data/icc.json
    result = compute_icc(_matrix(dataset["ratings"]))
    for label, field in ICC_FIELDS.items():
        assert getattr(result, field) == pytest.approx(dataset["icc"][label], abs=1e-10), label
    assert result.f_oneway == pytest.approx(dataset["f"]["ICC(1,1)"], rel=1e-10)
    assert result.f_twoway == pytest.approx(dataset["f"]["ICC(A,1)"], rel=1e-10)
    assert result.p_oneway == pytest.approx(dataset["pval"]["ICC(1,1)"], rel=1e-8, abs=1e-15)
    assert result.p_twoway == pytest.approx(dataset["pval"]["ICC(C,1)"], rel=1e-8, abs=1e-15)
    assert result.n_targets == dataset["n_targets"]


# --- ICC intervals (issue 13) --------------------------------------------------------

ICC_CI_FIELDS = {label: f"{field}_ci" for label, field in ICC_FIELDS.items()}


@pytest.mark.parametrize("dataset", ICC_DATA, ids=lambda d: d["name"])
def test_icc_intervals_match_pingouin(dataset):
    # expected: the F-based 95% intervals of McGraw & Wong (1996), Table 7 (cases 1, 2A and
    # 3A, single and average measures; Shrout & Fleiss 1979 for ICC(2,1)) as pingouin
    # 0.7.0 computes them, at full precision (tests/data/icc.json, tests/data/README.md)
    result = compute_icc(_matrix(dataset["ratings"]))
    assert result.confidence == 0.95
    for label, field in ICC_CI_FIELDS.items():
        interval = getattr(result, field)
        low, high = dataset["ci95"][label]
        if dataset["name"] == "tiny_3x2" and label == "ICC(A,k)":
            # ICC(A,1)'s lower end is below -1 / (k - 1) = -1, where Spearman-Brown has a
            # pole: pingouin prints 3.17 (above the estimate 0); we print no lower bound
            assert low > getattr(result, ICC_FIELDS[label])
            assert math.isnan(interval.low)
            assert interval.high == pytest.approx(high, abs=1e-9)
            continue
        assert (interval.low, interval.high) == pytest.approx((low, high), abs=1e-9), label
        # the interval holds the point estimate
        assert interval.low <= getattr(result, ICC_FIELDS[label]) <= interval.high, label


def test_icc_intervals_of_shrout_fleiss_table_2_to_two_decimals():
    # Shrout & Fleiss (1979) Table 2 data (6 targets, 4 judges). Published point values
    # (their Table 4): ICC(1,1) .17, ICC(2,1) .29, ICC(3,1) .71, ICC(1,4) .44, ICC(2,4) .62,
    # ICC(3,4) .91. The 95% intervals by McGraw & Wong's (1996) formulas, rounded as
    # pingouin prints them (its CI95 column, 2 decimals): the panel's ICC(2,4) = 0.62 is
    # indistinguishable from 0.07 at this size.
    result = compute_icc(SHROUT_FLEISS_RATINGS)
    shown = {
        field: (
            round(getattr(result, field), 2),
            round(getattr(result, f"{field}_ci").low, 2),
            round(getattr(result, f"{field}_ci").high, 2),
        )
        for field in ICC_FIELDS.values()
    }
    assert shown == {
        "icc1_1": (0.17, -0.13, 0.72),
        "icc2_1": (0.29, 0.02, 0.76),
        "icc3_1": (0.71, 0.34, 0.95),
        "icc1_k": (0.44, -0.88, 0.91),
        "icc2_k": (0.62, 0.07, 0.93),
        "icc3_k": (0.91, 0.68, 0.99),
    }


def test_icc_interval_level_is_a_parameter_and_narrows():
    wide = compute_icc(SHROUT_FLEISS_RATINGS, confidence=0.99).icc2_k_ci
    narrow = compute_icc(SHROUT_FLEISS_RATINGS, confidence=0.80).icc2_k_ci
    assert wide.low < narrow.low < narrow.high < wide.high
    with pytest.raises(InvalidParameterError):
        compute_icc(SHROUT_FLEISS_RATINGS, confidence=1.0)


def test_icc_interval_of_constant_ratings_is_nan():
    result = compute_icc([[70, 70], [70, 70], [70, 70]])
    assert math.isnan(result.icc2_k_ci.low) and math.isnan(result.icc2_k_ci.high)


def test_icc_drops_targets_with_any_missing_rating():
    # the "missing_two_targets" dataset has three missing cells on two targets
    dataset = next(d for d in ICC_DATA if d["name"] == "missing_two_targets")
    result = compute_icc(_matrix(dataset["ratings"]))
    assert (result.n_targets, result.n_dropped) == (8, 2)


def test_icc_of_constant_ratings_is_nan_not_an_error():
    result = compute_icc([[70, 70], [70, 70], [70, 70]])
    assert math.isnan(result.icc2_k)


@pytest.mark.parametrize(
    ("ratings", "error"),
    [
        ([[1, 2, 3]], InsufficientDataError),  # one target
        ([[1], [2], [3]], InsufficientDataError),  # one rater
        ([[1, np.nan], [np.nan, 2], [3, 4]], InsufficientDataError),  # one complete target
        ([1, 2, 3], InvalidParameterError),  # not 2-D
        ([[1, np.inf], [2, 3]], InvalidParameterError),
        ([["a", "b"], ["c", "d"]], InvalidParameterError),
    ],
)
def test_icc_bad_input_raises_named_error(ratings, error):
    with pytest.raises(error) as info:
        compute_icc(ratings)
    assert info.value.code in {"insufficient_data", "invalid_parameter"}


def test_icc_insufficient_data_carries_counts():
    with pytest.raises(InsufficientDataError) as info:
        compute_icc([[1, np.nan], [2, 3]])
    assert (info.value.n, info.value.minimum) == (1, 2)


@settings(max_examples=50, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(2, 8), st.integers(2, 5)),
        elements=st.integers(0, 100).map(float),
    ),
    st.randoms(use_true_random=False),
)
def test_icc_does_not_depend_on_row_or_column_order(matrix, rnd):
    rows = list(range(matrix.shape[0]))
    cols = list(range(matrix.shape[1]))
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    a = compute_icc(matrix)
    b = compute_icc(matrix[rows][:, cols])
    for field in ICC_FIELDS.values():
        x, y = getattr(a, field), getattr(b, field)
        assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, abs=1e-9)


# --- Kendall's W ---------------------------------------------------------------------


@pytest.mark.parametrize("dataset", KENDALL_DATA, ids=lambda d: d["name"])
def test_kendall_w_matches_scipy_friedman(dataset):
    # expected: scipy 1.17.1 friedmanchisquare (tie-corrected), W = chi2 / (m (n - 1)),
    # tests/data/kendall_w.json
    result = compute_kendall_w(_matrix(dataset["ratings"]))
    assert result.w == pytest.approx(dataset["w"], abs=1e-12)
    assert result.chi2 == pytest.approx(dataset["chi2"], rel=1e-12)
    assert result.p_value == pytest.approx(dataset["p_value"], rel=1e-9)
    assert (result.n_targets, result.m_raters) == (dataset["n_targets"], dataset["m_raters"])
    assert result.df == dataset["n_targets"] - 1


def test_kendall_w_hand_example_with_ties():
    # ranks per rater: (1,2,3), (1,2,3), (2,1,3): R = (4, 5, 9), S = 14; no ties -> T = 0
    # W = 12 * 14 / (9 * 24) = 0.7777...
    result = compute_kendall_w([[1, 1, 2], [2, 2, 1], [3, 3, 3]])
    assert result.w == pytest.approx(168 / 216)
    # one rater with a tie: ranks (1.5, 1.5, 3), T = 2^3 - 2 = 6
    # R = (1+1+1.5, 2+2+1.5, 3+3+3) = (3.5, 5.5, 9), mean 6, S = 6.25+0.25+9 = 15.5
    # W = 12 * 15.5 / (9 * 24 - 3 * 6) = 186 / 198
    tied = compute_kendall_w([[1, 1, 5], [2, 2, 5], [3, 3, 9]])
    assert tied.w == pytest.approx(186 / 198)


def test_kendall_w_perfect_agreement_is_one():
    result = compute_kendall_w([[1, 10, 100], [2, 20, 200], [3, 30, 300], [4, 40, 400]])
    assert result.w == pytest.approx(1.0)
    assert result.chi2 == pytest.approx(3 * 3)


def test_kendall_w_drops_incomplete_targets():
    result = compute_kendall_w([[1, 1], [2, np.nan], [3, 3], [4, 4]])
    assert (result.n_targets, result.n_dropped, result.w) == (3, 1, pytest.approx(1.0))


def test_kendall_w_all_ties_is_nan():
    assert math.isnan(compute_kendall_w([[5, 5], [5, 5], [5, 5]]).w)


def test_kendall_w_needs_two_raters():
    with pytest.raises(InsufficientDataError):
        compute_kendall_w([[1], [2], [3]])


# --- leniency ------------------------------------------------------------------------


def test_leniency_hand_example():
    # each target: a rates 10 above b and b 10 above c. Against the mean of the other
    # two: a 90 - (80 + 70) / 2 = 15, b 80 - (90 + 70) / 2 = 0, c 70 - 85 = -15.
    ratings = [[90, 80, 70], [85, 75, 65], [80, 70, 60]]
    result = compute_leniency(ratings, raters=["a", "b", "c"])
    assert [r.mean_deviation for r in result.raters] == pytest.approx([15, 0, -15])
    # a's yardstick: the differences of b and c, 0 0 0 -15 -15 -15: mean -7.5,
    # SD sqrt(6 × 7.5² / 5) = sqrt(67.5); b's: 15 15 15 -15 -15 -15, SD sqrt(270)
    assert [r.spread for r in result.raters] == pytest.approx(
        [math.sqrt(67.5), math.sqrt(270), math.sqrt(67.5)]
    )
    assert [r.standardized for r in result.raters] == pytest.approx(
        [15 / math.sqrt(67.5), 0, -15 / math.sqrt(67.5)]
    )
    # every difference of the panel: 15 0 -15 three times; SD sqrt(9 × 150 / 8)
    assert result.sd == pytest.approx(math.sqrt(9 * 150 / 8))
    assert result.flagged == ()  # 15 / 8.22 = 1.83


@pytest.mark.parametrize(("odd_rating", "expected_deviation"), [(100.0, 30.25), (40.0, -29.75)])
def test_leniency_flags_beyond_threshold_both_ways(odd_rating, expected_deviation):
    # rater "odd" gives odd_rating everywhere, three raters give 70, rater "e" 60, 62, ..., 78.
    # The others' mean on target i is (210 + 60 + 2i) / 4, 69.75 on average, so odd's mean
    # deviation is odd - 69.75: 30.25 (lenient) or -29.75 (severe).
    ratings = np.full((10, 5), 70.0)
    ratings[:, 0] = odd_rating
    ratings[:, 4] = np.arange(60.0, 80.0, 2.0)
    result = compute_leniency(ratings, raters=["odd", "b", "c", "d", "e"])
    by_rater = {r.rater: r for r in result.raters}
    assert by_rater["odd"].mean_deviation == pytest.approx(expected_deviation)
    assert [r.standardized for r in result.raters] == pytest.approx(
        _leave_one_out_by_loops(ratings)
    )
    # before issue 13 (assessor in the mean, SD of all ratings) this panel was not
    # flagged at 2 SD; an assessor 30 points away from colleagues who agree is now
    assert result.flagged == ("odd",)


def test_leniency_missing_handled_pairwise():
    # rater 2 rated only target 0; target 2 has a single rating and is not used
    ratings = [[80, 60, 100], [70, 90, np.nan], [50, np.nan, np.nan]]
    result = compute_leniency(ratings)
    # target 0: 80 - (60 + 100) / 2 = 0, 60 - 90 = -30, 100 - 70 = 30;
    # target 1: 70 - 90 = -20, 90 - 70 = 20
    assert [r.mean_deviation for r in result.raters] == pytest.approx([-10, -5, 30])
    assert [r.n_targets for r in result.raters] == [2, 2, 1]
    # every difference: 0 -30 30 -20 20, mean 0, SD sqrt(2600 / 4)
    assert result.sd == pytest.approx(math.sqrt(650))
    # rater 2's yardstick: 0 -30 -20 20, mean -7.5, SD by hand
    rest = np.array([0, -30, -20, 20], dtype=float)
    assert result.raters[2].spread == pytest.approx(np.std(rest, ddof=1))


def test_leniency_constant_ratings_report_zero():
    result = compute_leniency([[70, 70], [70, 70]])
    assert [r.standardized for r in result.raters] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"raters": ["a"]}, InvalidParameterError),
        ({"raters": ["a", "a"]}, InvalidParameterError),
        ({"threshold": 0}, InvalidParameterError),
    ],
)
def test_leniency_bad_arguments(kwargs, error):
    with pytest.raises(error):
        compute_leniency([[1, 2], [3, 4]], **kwargs)


def test_leniency_needs_a_target_with_two_ratings():
    with pytest.raises(InsufficientDataError):
        compute_leniency([[1, np.nan], [np.nan, 2]])


# --- Cronbach's alpha ----------------------------------------------------------------


@pytest.mark.parametrize("dataset", CRONBACH_DATA, ids=lambda d: d["name"])
def test_cronbach_alpha_matches_pingouin(dataset):
    # expected: pingouin 0.7.0 cronbach_alpha(nan_policy="listwise"), tests/data/cronbach.json
    result = compute_cronbach_alpha(_matrix(dataset["items"]))
    assert result.alpha == pytest.approx(dataset["alpha"], abs=1e-12)
    # pingouin rounds its Feldt interval to 3 decimals
    assert round(result.ci_low, 3) == pytest.approx(dataset["ci"][0], abs=1e-9)
    assert round(result.ci_high, 3) == pytest.approx(dataset["ci"][1], abs=1e-9)
    assert result.n_respondents == dataset["n_respondents"]


def test_cronbach_alpha_listwise_deletion_counts_dropped_rows():
    dataset = next(d for d in CRONBACH_DATA if d["name"] == "likert_missing_40x4")
    result = compute_cronbach_alpha(_matrix(dataset["items"]))
    assert (result.n_respondents, result.n_dropped, result.k_items) == (37, 3, 4)


def test_cronbach_alpha_of_identical_items_is_one():
    result = compute_cronbach_alpha([[1, 1], [2, 2], [4, 4]])
    assert result.alpha == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("items", "kwargs", "error"),
    [
        ([[1, 2]], {}, InsufficientDataError),
        ([[1], [2]], {}, InsufficientDataError),
        ([[1, 2], [2, 3]], {"confidence": 1.0}, InvalidParameterError),
    ],
)
def test_cronbach_alpha_bad_input(items, kwargs, error):
    with pytest.raises(error):
        compute_cronbach_alpha(items, **kwargs)


# --- leniency that can fire (issue 13) ---------------------------------------------

#: 8 cadres rated by 5 assessors on the default rubric (50/70/85/100). a-d rate as
#: their colleagues do, give or take a level; e rates every cadre 100. Before issue 13
#: (deviation from a panel mean that includes the assessor, over the SD of all ratings)
#: e scored z = 1.11 and could not be flagged.
TOP_RATER_PANEL = np.array(
    [
        [85, 85, 70, 85, 100],
        [70, 70, 70, 50, 100],
        [100, 85, 100, 100, 100],
        [50, 70, 50, 50, 100],
        [85, 100, 85, 85, 100],
        [70, 85, 70, 70, 100],
        [85, 70, 85, 100, 100],
        [50, 50, 70, 50, 100],
    ],
    dtype=float,
)


def _leave_one_out_by_loops(ratings: np.ndarray) -> list[float]:
    """z of each assessor, written out with loops (independent of the vectorised code).

    d[i][j] = rating of j on target i minus the mean of the other assessors' ratings of
    target i; z_j = mean_i d[i][j] / SD(d[i][j'] over every i and every j' != j).
    """
    n, k = ratings.shape
    d = [[0.0] * k for _ in range(n)]
    for i in range(n):
        for j in range(k):
            others = [ratings[i][m] for m in range(k) if m != j]
            d[i][j] = ratings[i][j] - sum(others) / len(others)
    out = []
    for j in range(k):
        mean = sum(d[i][j] for i in range(n)) / n
        rest = [d[i][m] for i in range(n) for m in range(k) if m != j]
        centre = sum(rest) / len(rest)
        sd = math.sqrt(sum((x - centre) ** 2 for x in rest) / (len(rest) - 1))
        out.append(mean / sd)
    return out


def test_leniency_flags_the_assessor_who_rates_everyone_at_the_top():
    result = compute_leniency(TOP_RATER_PANEL, raters=list("abcde"))
    by_rater = {r.rater: r for r in result.raters}
    # e against the other four: target 1: 100 - (85 + 85 + 70 + 85) / 4 = 18.75, ...
    assert by_rater["e"].mean_deviation == pytest.approx(25.0)
    assert [r.standardized for r in result.raters] == pytest.approx(
        _leave_one_out_by_loops(TOP_RATER_PANEL)
    )
    assert by_rater["e"].standardized > 2
    assert result.flagged == ("e",)
    # the fair assessors stay well inside the band
    assert all(abs(by_rater[x].standardized) < 1 for x in "abcd")


def test_leniency_a_fair_panel_flags_nobody():
    fair = TOP_RATER_PANEL[:, :4]
    result = compute_leniency(fair, raters=list("abcd"))
    assert result.flagged == ()
    assert all(abs(r.standardized) < 2 for r in result.raters)


def test_leniency_needs_a_pattern_over_several_targets():
    # one cadre: assessor e is 35 points below the other four, z = -2.29, but one
    # departure is a disagreement, not leniency: flagged only from min_targets (3) on
    ratings = [[100, 85, 85, 70, 50]]
    result = compute_leniency(ratings, raters=list("abcde"))
    assert result.raters[4].mean_deviation == pytest.approx(50 - 85)
    assert result.raters[4].standardized < -2
    assert result.flagged == ()
    assert compute_leniency(ratings, raters=list("abcde"), min_targets=1).flagged == ("e",)
    with pytest.raises(InvalidParameterError):
        compute_leniency(ratings, min_targets=0)
