"""The bootstrap's survey draws, moved into a worker thread, give the same numbers.

Issue 18 draws the survey resamples in a thread started before the cadres are scored,
and hands the count vectors out one block at a time instead of holding every block.
Published grade confidences must not move, so the reference is the code before the
change: its draw loop, copied verbatim below, and the fingerprint of a seeded grade
confidence that commit 38c3f30's ``compute_grade_confidence`` produced (computed with
that file, ``git show 38c3f30:assessment/core/confidence.py``, and written here).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from assessment.core import confidence
from assessment.core.confidence import (
    BootstrapModel,
    PanelSample,
    SurveyLink,
    SurveySample,
    compute_grade_confidence,
    start_survey_draws,
)
from assessment.core.errors import InvalidParameterError
from assessment.core.scoring import DEFAULT_GRADE_SCHEME

#: sha256 of the JSON of every cadre's probabilities and rank interval, by 38c3f30.
PUBLISHED_FINGERPRINT = "402ab1f84083a6e5ee1d04c3625e08eab95e21d71c5f6caa3984dbe6c471de9f"


def seeded_model() -> BootstrapModel:
    """Twelve cadres in two groups; odd ones post-stratified over four units."""
    rng = np.random.default_rng(18)
    cadres = 12
    surveys, links, panels = [], [], []
    for c in range(cadres):
        n = int(rng.integers(40, 120))
        scores = np.round(rng.integers(0, 13, n) / 12 * 100, 6)
        if c % 2:
            strata = rng.integers(0, 4, n).astype(np.int64)
            surveys.append(SurveySample(scores, strata, np.array([1200.0, 800.0, 2500.0, 300.0])))
        else:
            surveys.append(SurveySample(scores))
        links.append(SurveyLink(c, c, 30.0, 30.0))
        panels.append(PanelSample(c, 30.0, 30.0, rng.choice([50.0, 70.0, 85.0, 100.0], 7)))
    return BootstrapModel(
        cadre_ids=tuple(f"c{c:02d}" for c in range(cadres)),
        post_groups=tuple("AB"[c % 2] for c in range(cadres)),
        fixed_points=rng.uniform(20, 40, cadres).round(2),
        adjustment=np.zeros(cadres),
        veto_caps=np.zeros(cadres, dtype=np.int64),
        panels=tuple(panels),
        surveys=tuple(surveys),
        links=tuple(links),
    )


def fingerprint(result) -> str:
    plain = [
        [c.cadre, c.post_group, c.probabilities, c.rank_low, c.rank_high] for c in result.cadres
    ]
    return hashlib.sha256(json.dumps(plain, sort_keys=True).encode()).hexdigest()


def reference_survey_indices(model, rng, resamples, block_cells):
    """The survey draws of commit 38c3f30 (``_draw_counts`` collecting every block)."""
    groups, group_sample, group_share = [], [], []
    for index, sample in enumerate(model.surveys):
        if sample.strata is None or sample.stratum_population is None:
            groups.append(sample.scores)
            group_sample.append(index)
            group_share.append(1.0)
            continue
        present = np.unique(sample.strata)
        population = sample.stratum_population[present]
        for code, pop in zip(present.tolist(), population.tolist(), strict=True):
            groups.append(sample.scores[sample.strata == code])
            group_sample.append(index)
            group_share.append(pop / float(population.sum()))
    values, pvals, sizes = confidence._distinct(groups)
    mix = np.zeros((len(groups), len(model.surveys)), dtype=np.float64)
    mix[np.arange(len(groups)), np.asarray(group_sample)] = np.asarray(group_share)
    cells = max(1, sizes.size * pvals.shape[1])
    block = max(1, block_cells // cells)
    out = []
    start = 0
    while start < resamples:
        stop = min(resamples, start + block)
        counts = rng.multinomial(sizes, pvals, size=(stop - start, sizes.size))
        out.append((start, counts.astype(np.int64, copy=False)))
        start = stop
    result = np.empty((resamples, len(model.surveys)), dtype=np.float64)
    for start, counts in out:
        means = np.einsum("bgd,gd->bg", counts, values) / sizes
        result[start : start + counts.shape[0]] = means @ mix
    return result


def survey_stream(seed):
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])


@pytest.mark.parametrize("block_cells", [50, 4_000, 4_000_000])
def test_survey_draws_equal_the_first_implementation_bit_for_bit(monkeypatch, block_cells):
    monkeypatch.setattr(confidence, "_BLOCK_CELLS", block_cells)
    model = seeded_model()
    expected = reference_survey_indices(model, survey_stream(5), 250, block_cells)
    drawn = confidence._survey_indices(model, survey_stream(5), 250)
    threaded = start_survey_draws(model.surveys, resamples=250, seed=5).result()
    assert np.array_equal(drawn, expected)
    assert np.array_equal(threaded, expected)


def test_grade_confidence_is_the_published_one_with_and_without_early_draws():
    model = seeded_model()
    options = {"scheme": DEFAULT_GRADE_SCHEME, "top_quota": 0.2, "resamples": 300, "seed": 2026}
    plain = compute_grade_confidence(model, **options)
    early = compute_grade_confidence(
        model,
        **options,
        survey_draws=start_survey_draws(model.surveys, resamples=300, seed=2026),
    )
    assert fingerprint(plain) == fingerprint(early) == PUBLISHED_FINGERPRINT


@pytest.mark.parametrize(
    "draws",
    [
        lambda m: start_survey_draws(m.surveys, resamples=300, seed=2027),  # another seed
        lambda m: start_survey_draws(m.surveys, resamples=299, seed=2026),  # another B
        lambda m: start_survey_draws(seeded_model().surveys, resamples=300, seed=2026),
    ],
)
def test_draws_of_other_samples_seed_or_size_are_refused(draws):
    model = seeded_model()
    with pytest.raises(InvalidParameterError) as refused:
        compute_grade_confidence(
            model,
            scheme=DEFAULT_GRADE_SCHEME,
            top_quota=0.2,
            resamples=300,
            seed=2026,
            survey_draws=draws(model),
        )
    assert (refused.value.name, refused.value.reason) == ("survey_draws", "other_samples")


def test_cancelled_draws_stop_and_say_so(monkeypatch):
    monkeypatch.setattr(confidence, "_BLOCK_CELLS", 50)  # many blocks: cancel between them
    draws = start_survey_draws(seeded_model().surveys, resamples=20_000, seed=1)
    draws.cancel()
    with pytest.raises(RuntimeError, match="cancelled"):
        draws.result()


def test_bad_seed_or_size_is_refused_before_any_thread_starts():
    with pytest.raises(InvalidParameterError):
        start_survey_draws(seeded_model().surveys, resamples=0, seed=1)
    with pytest.raises(InvalidParameterError):
        start_survey_draws(seeded_model().surveys, resamples=10, seed=-1)
