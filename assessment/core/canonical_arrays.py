"""The canonical forms of the large arrays of a result's inputs, computed in bulk.

The data digest (DESIGN section 5) hashes two kinds of large input the same way since
they were first published: each survey target's responses as the sorted counts of
distinct ``(unit, score)`` pairs, and each item matrix as the SHA-256 of its rows in
sorted order. Published digests must keep verifying, so these functions produce exactly
the values the first implementation produced (a pandas group-by and ``numpy.lexsort``
over every column), only faster: the pairs are counted through integer codes, and the
rows are sorted on one packed integer key whenever the matrix's values allow it.
``tests/assessment/core/test_canonical_arrays.py`` checks both against the first
implementation on seeded data.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["distinct_response_counts", "sorted_rows_sha256"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# A packed row key is a base-``r`` number of ``k`` digits and must fit an int64.
_MAX_PACKED = 2**62


def distinct_response_counts(
    scores: FloatArray, unit_ids: npt.ArrayLike | None
) -> list[tuple[str, float, int]]:
    """Distinct ``(unit, score)`` pairs of the non-NaN scores with their counts, sorted.

    Parameters
    ----------
    scores : numpy.ndarray of float64
        Response scores; NaN (an invalid response) is left out.
    unit_ids : array_like of str, or None
        Unit of each response; ``None`` puts every response in unit ``""``.

    Returns
    -------
    list of (str, float, int)
        Sorted by unit (string order), then score (ascending).

    Notes
    -----
    Units and scores are replaced by their positions among the sorted distinct values
    (``numpy.unique``), so a pair is one integer ``unit × S + score`` and the counts are
    one ``numpy.unique`` over those integers, in the same order as a sorted group-by.
    ``0.0`` and ``-0.0`` compare equal and so fall into one pair, as in a group-by.

    Examples
    --------
    >>> distinct_response_counts(np.array([80.0, 75.0, np.nan, 80.0]), ["b", "a", "a", "b"])
    [('a', 75.0, 1), ('b', 80.0, 2)]
    """
    values = np.asarray(scores, dtype=np.float64)
    valid = ~np.isnan(values)
    kept = values[valid]
    if kept.size == 0:
        return []
    if unit_ids is None:
        unit_names: list[str] = [""]
        unit_codes = np.zeros(kept.size, dtype=np.int64)
    else:
        units = np.asarray(unit_ids)[valid].astype(str).astype(object)
        distinct_units, unit_codes = np.unique(units, return_inverse=True)
        unit_names = [str(u) for u in distinct_units.tolist()]
    distinct_scores, score_codes = np.unique(kept, return_inverse=True)
    pairs = unit_codes.astype(np.int64) * distinct_scores.size + score_codes
    keys, counts = np.unique(pairs, return_counts=True)
    unit_of, score_of = np.divmod(keys, distinct_scores.size)
    score_values = distinct_scores[score_of].tolist()
    return [
        (unit_names[u], s, c)
        for u, s, c in zip(unit_of.tolist(), score_values, counts.tolist(), strict=True)
    ]


def _packed_order(x: FloatArray) -> IntArray | None:
    """Row order from one packed integer key, or None when the values do not allow it.

    Every value must be a whole number, and ``range ** columns`` must fit an int64:
    then a row is the base-``range`` number of its (shifted) values, and numbers
    compare as the rows compare lexicographically.
    """
    if x.size == 0:
        return None
    low, high = float(x.min()), float(x.max())
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    base = int(high) - int(low) + 1
    if base ** x.shape[1] >= _MAX_PACKED or not np.array_equal(x, np.floor(x)):
        return None
    key = np.zeros(x.shape[0], dtype=np.int64)
    for column in range(x.shape[1]):
        key = key * base + (x[:, column] - low).astype(np.int64)
    return np.argsort(key, kind="stable")


def sorted_rows_sha256(items: FloatArray) -> dict[str, Any]:
    """Size of an item matrix and the SHA-256 of its rows sorted, as little-endian float64.

    Parameters
    ----------
    items : numpy.ndarray of float64, shape (n, k)
        One row per response, NaN where an item is unanswered.

    Returns
    -------
    dict
        ``{"n": n, "k": k, "sha256_f8le_sorted_rows": hex}``; the caller checks ``ndim``.

    Notes
    -----
    NaN becomes -1 (off every Likert scale) and ``-0.0`` becomes ``0.0``; the rows are
    then sorted lexicographically (first column first) and hashed. Identical rows are
    identical bytes, so any lexicographic sort gives the same digest: Likert matrices
    (whole numbers in a small range) sort on one packed key, anything else falls back to
    ``numpy.lexsort`` over every column.

    Examples
    --------
    >>> a = sorted_rows_sha256(np.array([[2.0, 1.0], [1.0, np.nan]]))
    >>> b = sorted_rows_sha256(np.array([[1.0, -1.0], [2.0, 1.0]]))
    >>> a == b, a["n"], a["k"]
    (True, 2, 2)
    """
    x = np.where(np.isnan(items), -1.0, items) + 0.0
    order = _packed_order(x)
    if order is None:
        order = np.lexsort(x.T[::-1]) if x.shape[0] else np.arange(0)
    data = np.ascontiguousarray(x[order], dtype="<f8").tobytes()
    return {
        "n": int(x.shape[0]),
        "k": int(x.shape[1]),
        "sha256_f8le_sorted_rows": hashlib.sha256(data).hexdigest(),
    }
