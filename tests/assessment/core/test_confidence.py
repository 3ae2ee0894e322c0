"""Grade confidence by bootstrap: reproducibility, sense, and agreement with the grader.

The vectorised grading of many resamples is checked against the reference grader
``assessment.core.scoring.assign_grades`` on random groups (hypothesis); the
multinomial-count resampling against the exact distribution worked out by hand.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.core import confidence
from assessment.core.confidence import (
    BootstrapModel,
    PanelSample,
    SurveyLink,
    SurveySample,
    compute_grade_confidence,
    grade_resampled_totals,
)
from assessment.core.errors import InvalidParameterError
from assessment.core.scoring import DEFAULT_GRADE_SCHEME, GradingCandidate, assign_grades

SCHEME = DEFAULT_GRADE_SCHEME


def survey_model(scores: list[np.ndarray], fixed: list[float], group: str = "g") -> BootstrapModel:
    """Cadre i gets ``fixed[i]`` points plus 40 × S_i / 100 from its own survey."""
    n = len(scores)
    return BootstrapModel(
        cadre_ids=tuple(f"c{i}" for i in range(n)),
        post_groups=(group,) * n,
        fixed_points=np.asarray(fixed, dtype=np.float64),
        adjustment=np.zeros(n),
        veto_caps=np.zeros(n, dtype=np.int64),
        panels=(),
        surveys=tuple(SurveySample(np.asarray(s, dtype=np.float64)) for s in scores),
        links=tuple(SurveyLink(i, i, 40.0, 40.0) for i in range(n)),
    )


def test_same_seed_same_result_other_seed_other_draws():
    rng = np.random.default_rng(0)
    model = survey_model([rng.integers(0, 5, 30) * 25.0 for _ in range(6)], [50.0] * 6)
    one = compute_grade_confidence(model, scheme=SCHEME, top_quota=0.2, resamples=300, seed=5)
    two = compute_grade_confidence(model, scheme=SCHEME, top_quota=0.2, resamples=300, seed=5)
    other = compute_grade_confidence(model, scheme=SCHEME, top_quota=0.2, resamples=300, seed=6)
    assert one == two
    assert one != other
    assert one.resamples == 300
    assert one.seed == 5


def test_cadre_far_above_the_others_is_almost_surely_top():
    rng = np.random.default_rng(1)
    scores = [rng.integers(0, 5, 50) * 25.0 for _ in range(10)]
    scores[3] = np.full(50, 100.0) - rng.integers(0, 2, 50) * 25.0
    fixed = [40.0] * 10
    fixed[3] = 60.0  # 60 + 40 × S/100 ≥ 90 when S ≥ 75
    model = survey_model(scores, fixed)
    result = compute_grade_confidence(model, scheme=SCHEME, top_quota=0.2, resamples=1000, seed=2)
    star = result.of("c3")
    assert star.probabilities["excellent"] > 0.99
    assert (star.rank_low, star.rank_high) == (1, 1)
    for other in result.cadres:
        assert sum(other.probabilities.values()) == pytest.approx(1.0)
        if other.cadre != "c3":
            assert other.probabilities["excellent"] == 0.0
            assert other.rank_low >= 2


def test_identical_cadres_get_symmetric_probabilities():
    # two identical cadres around the 70 threshold and one clearly below
    sample = np.array([0.0, 25.0, 50.0, 75.0, 100.0] * 4)  # S = 50, 40 × 0.5 = 20
    model = survey_model([sample, sample.copy(), sample * 0.5], [50.0, 50.0, 40.0])
    result = compute_grade_confidence(model, scheme=SCHEME, top_quota=0.2, resamples=4000, seed=3)
    a, b = result.of("c0"), result.of("c1")
    for code in ("competent", "basic"):
        # Monte Carlo error of a share near 0.5 with 4,000 draws: SD ≈ 0.008
        assert a.probabilities[code] == pytest.approx(b.probabilities[code], abs=0.04)
    assert 0.3 < a.probabilities["competent"] < 0.7
    assert (a.rank_low, a.rank_high) == (b.rank_low, b.rank_high) == (1, 2)


def test_panel_resampling_matches_the_exact_distribution():
    # two ratings 50 and 100 (no trimming): a resample is {50,50}, {50,100} or {100,100}
    # with probabilities 1/4, 1/2, 1/4, so the value is 50, 75, 100 and with weight 100
    # and nothing else the total is that value: grades basic<60 -> incompetent, 75
    # competent, 100 excellent (no quota)
    model = BootstrapModel(
        cadre_ids=("c",),
        post_groups=("g",),
        fixed_points=np.zeros(1),
        adjustment=np.zeros(1),
        veto_caps=np.zeros(1, dtype=np.int64),
        panels=(PanelSample(0, 100.0, 100.0, np.array([50.0, 100.0])),),
        surveys=(),
        links=(),
    )
    p = (
        compute_grade_confidence(model, scheme=SCHEME, top_quota=None, resamples=8000, seed=4)
        .of("c")
        .probabilities
    )
    assert p["incompetent"] == pytest.approx(0.25, abs=0.02)
    assert p["competent"] == pytest.approx(0.5, abs=0.02)
    assert p["excellent"] == pytest.approx(0.25, abs=0.02)
    assert p["basic"] == 0.0


def test_trimmed_panel_drops_one_highest_and_one_lowest_drawn():
    # five equal ratings of 70 and trimming: every resample is exactly 70
    model = BootstrapModel(
        cadre_ids=("c",),
        post_groups=("g",),
        fixed_points=np.array([0.0]),
        adjustment=np.zeros(1),
        veto_caps=np.zeros(1, dtype=np.int64),
        panels=(PanelSample(0, 100.0, 100.0, np.array([70.0, 70.0, 70.0, 70.0, 100.0])),),
        surveys=(),
        links=(),
        trim_threshold=5,
    )
    # the trimmed mean of 5 draws from {70 (p 0.8), 100 (p 0.2)} drops one lowest and
    # one highest draw, so it is 70 unless 100 is drawn at least twice, and never < 70
    p = (
        compute_grade_confidence(model, scheme=SCHEME, top_quota=None, resamples=4000, seed=8)
        .of("c")
        .probabilities
    )
    # with k draws of 100 (k ~ Binomial(5, 0.2)) the middle three are: k ≤ 1 -> 70;
    # k = 2 -> (70 + 70 + 100) / 3 = 80; k = 3 -> 90; k ≥ 4 -> 100. Excellent (≥ 90)
    # when k ≥ 3: 10 × 0.2³ × 0.8² + 5 × 0.2⁴ × 0.8 + 0.2⁵ = 0.05792
    assert p["incompetent"] == p["basic"] == 0.0
    assert p["excellent"] == pytest.approx(0.05792, abs=0.012)
    assert p["competent"] + p["excellent"] == 1.0


def test_post_stratified_resample_keeps_the_point_estimate_on_average():
    rng = np.random.default_rng(9)
    scores = rng.integers(0, 5, 400) * 25.0
    strata = rng.integers(0, 3, 400)
    population = np.array([1000.0, 3000.0, 500.0])
    means = np.array([scores[strata == u].mean() for u in range(3)])
    point = float((population * means).sum() / population.sum())
    model = BootstrapModel(
        cadre_ids=("c",),
        post_groups=("g",),
        fixed_points=np.zeros(1),
        adjustment=np.zeros(1),
        veto_caps=np.zeros(1, dtype=np.int64),
        panels=(),
        surveys=(SurveySample(scores, strata, population),),
        links=(SurveyLink(0, 0, 100.0, 100.0),),
    )
    rng2 = np.random.default_rng(1)
    resampled = confidence._survey_indices(model, rng2, 2000)[:, 0]
    assert resampled.mean() == pytest.approx(point, abs=0.3)
    assert 0 < resampled.std() < 5


def test_veto_caps_every_resample():
    model = survey_model([np.full(10, 100.0)], [60.0])
    model = dataclasses.replace(model, veto_caps=np.array([2]))
    p = compute_grade_confidence(model, scheme=SCHEME, top_quota=1.0, resamples=50).of("c0")
    assert p.probabilities["basic"] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"resamples": 0}, "resamples"), ({"seed": -1}, "seed"), ({"level": 1.0}, "level")],
)
def test_bad_parameters_are_named(kwargs, name):
    model = survey_model([np.array([50.0])], [50.0])
    with pytest.raises(InvalidParameterError) as caught:
        compute_grade_confidence(model, scheme=SCHEME, top_quota=0.2, **kwargs)
    assert caught.value.name == name


# --- the vectorised grader agrees with the reference grader -------------------------

totals_strategy = st.lists(
    st.tuples(
        st.sampled_from([50.0, 65.0, 72.5, 90.0, 93.0, 95.0, 99.0]),
        st.one_of(st.none(), st.sampled_from([60.0, 80.0])),
        st.one_of(st.none(), st.sampled_from([70.0, 85.0])),
        st.sampled_from([None, None, None, "competent", "basic"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(totals_strategy, st.sampled_from([None, 0.1, 0.2, 0.25, 0.5, 1.0]))
def test_vectorised_grading_equals_assign_grades(rows, quota):
    candidates = [
        GradingCandidate(f"c{i:02d}", "g", t, s, p, v) for i, (t, s, p, v) in enumerate(rows)
    ]
    reference = assign_grades(candidates, scheme=SCHEME, top_quota=quota)
    codes = [band.code for band in SCHEME]
    totals = np.array([[r[0] for r in rows]])
    survey = np.array([[np.nan if r[1] is None else r[1] for r in rows]])
    panel = np.array([[np.nan if r[2] is None else r[2] for r in rows]])
    caps = np.array([0 if r[3] is None else codes.index(r[3]) for r in rows], dtype=np.int64)
    grades, ranks = grade_resampled_totals(
        np.repeat(totals, 3, axis=0),
        np.repeat(survey, 3, axis=0),
        np.repeat(panel, 3, axis=0),
        caps,
        scheme=SCHEME,
        top_quota=quota,
    )
    for i, c in enumerate(candidates):
        expected = reference.grade_of(c.id)
        assert codes[grades[0, i]] == expected.grade
        assert ranks[2, i] == expected.rank
