"""The bulk canonical forms give exactly what the first implementation gave.

Published data digests must keep verifying, so the reference here is the code that
produced them (``assessment/core/results.py`` before issue 18: a pandas group-by for the
response counts, ``numpy.lexsort`` over every column for the item matrix), copied
verbatim below, run on seeded data with the awkward cases in it.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from assessment.core.canonical_arrays import distinct_response_counts, sorted_rows_sha256
from assessment.core.records import CadreInput, PeriodInputs, SurveyItemsInput, SurveyTargetInput
from assessment.core.results import _num, compute_data_digest


def reference_histogram(scores, unit_ids):
    """The pre-issue-18 ``_response_histogram``."""
    scores = np.asarray(scores, dtype=np.float64)
    valid = ~np.isnan(scores)
    units = (
        np.full(int(valid.sum()), "", dtype=object)
        if unit_ids is None
        else np.asarray(unit_ids)[valid].astype(str).astype(object)
    )
    frame = pd.DataFrame({"unit": units, "score": scores[valid]})
    counts = frame.groupby(["unit", "score"], sort=True).size()
    return [
        [str(unit), _num(score), int(count)]
        for (unit, score), count in zip(counts.index, counts.to_numpy(), strict=True)
    ]


def reference_items(items):
    """The pre-issue-18 ``_items_digest`` (after its ``ndim`` check)."""
    x = np.asarray(items, dtype=np.float64)
    x = np.where(np.isnan(x), -1.0, x) + 0.0
    order = np.lexsort(x.T[::-1]) if x.shape[0] else np.arange(0)
    data = np.ascontiguousarray(x[order], dtype="<f8").tobytes()
    return {
        "n": int(x.shape[0]),
        "k": int(x.shape[1]),
        "sha256_f8le_sorted_rows": hashlib.sha256(data).hexdigest(),
    }


def new_histogram(scores, unit_ids):
    return [[u, _num(s), c] for u, s, c in distinct_response_counts(scores, unit_ids)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_response_counts_equal_the_group_by_on_seeded_responses(seed):
    rng = np.random.default_rng(seed)
    n = 5000
    items = np.clip(np.rint(3.5 + rng.normal(0, 1, (n, 7))), 1, 5)
    scores = (items.mean(axis=1) - 1) / 4 * 100
    scores[rng.random(n) < 0.05] = np.nan
    scores[:3] = [0.0, -0.0, 100.0]
    units = rng.choice(["V10", "V2", "村一", "社区二", "V1"], n)
    assert new_histogram(scores, units) == reference_histogram(scores, units)
    assert new_histogram(scores, None) == reference_histogram(scores, None)


def test_response_counts_of_no_valid_response_are_empty():
    scores = np.array([np.nan, np.nan])
    assert new_histogram(scores, ["a", "b"]) == reference_histogram(scores, ["a", "b"]) == []
    assert new_histogram(np.array([]), None) == reference_histogram(np.array([]), None) == []


@pytest.mark.parametrize(
    "make",
    [
        # Likert, with unanswered items and duplicate rows: the packed key
        lambda rng: np.where(
            rng.random((4000, 15)) < 0.03, np.nan, rng.integers(1, 6, (4000, 15)).astype(float)
        ),
        # eleven-point scale, 0..10 with -0.0
        lambda rng: np.where(rng.random((500, 4)) < 0.5, -0.0, rng.integers(0, 11, (500, 4)) * 1.0),
        # not whole numbers: the lexsort fallback
        lambda rng: rng.integers(1, 6, (300, 5)) / 2.0,
        # a range too wide to pack 40 columns into 64 bits: the fallback
        lambda rng: rng.integers(-1, 100, (200, 40)).astype(float),
        # one column, one row, no rows
        lambda rng: rng.integers(1, 6, (50, 1)).astype(float),
        lambda rng: np.array([[3.0, np.nan, 1.0]]),
        lambda rng: np.empty((0, 5)),
        # all unanswered
        lambda rng: np.full((10, 3), np.nan),
    ],
)
def test_item_matrix_digest_equals_the_lexsort_digest(make):
    items = make(np.random.default_rng(7))
    assert sorted_rows_sha256(items) == reference_items(items)


def test_item_matrix_digest_ignores_row_order():
    rng = np.random.default_rng(8)
    items = rng.integers(1, 6, (1000, 6)).astype(float)
    assert sorted_rows_sha256(items) == sorted_rows_sha256(items[rng.permutation(1000)])


def test_data_digest_of_a_seeded_period_is_the_published_value():
    """The digest of a fixed seeded period, computed by the pre-issue-18 code (commit
    38c3f30, ``compute_data_digest``) and written here: the new code must reproduce it."""
    rng = np.random.default_rng(20260101)
    items = np.where(
        rng.random((3000, 10)) < 0.02, np.nan, rng.integers(1, 6, (3000, 10)).astype(float)
    )
    scores = (np.nanmean(items, axis=1) - 1) / 4 * 100
    units = rng.choice(["V001", "V002", "V003"], 3000)
    target = rng.integers(0, 3, 3000)
    inputs = PeriodInputs(
        cadres=tuple(CadreInput(f"c{i}", f"{i}", f"干部{i}", "P", "V001") for i in range(3)),
        surveys=tuple(
            SurveyTargetInput("S1", f"c{i}", scores[target == i], units[target == i])
            for i in range(3)
        ),
        survey_items=(SurveyItemsInput("S", items),),
    )
    assert compute_data_digest(inputs) == PUBLISHED_SEEDED_DIGEST


PUBLISHED_SEEDED_DIGEST = "b09e427217ca2d262387a5f4260959657315e91676e4782b3c39d4870ef71066"
