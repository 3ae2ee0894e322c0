"""Quality signals on constructed data: each flag fires where it should and nowhere else."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.core.errors import InvalidParameterError
from surveys.core import quality

nan = float("nan")


def test_straight_lining_is_reexported_from_tally():
    flags = quality.flag_straight_lining(
        [
            [5, 5, 5],
            [5, 5, nan],
            [1, 2, 3],
            [
                2,
                2,
                2,
            ][:3],
        ]
    )
    assert flags.tolist() == [True, False, False, True]


def test_too_fast_needs_thirty_timed_responses():
    durations = [300.0] * 29 + [10.0]
    assert quality.flag_too_fast(durations).tolist() == [False] * 29 + [True]
    assert not quality.flag_too_fast(durations[1:]).any()  # 29 responses: nothing flagged
    # exactly a third of the median is not "under" a third
    assert not quality.flag_too_fast([300.0] * 30 + [100.0]).any()


def test_duplicate_serials_flag_every_copy():
    assert quality.flag_duplicate_serials(["A1", "A2", "A1", None, ""]).tolist() == [
        True,
        False,
        True,
        False,
        False,
    ]


def test_identical_rows_within_groups_only():
    rows = [[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, nan], [1, 2, nan]]
    assert quality.flag_identical_rows(rows, ["a", "a", "b", "b", "b"]).tolist() == [
        True,
        True,
        False,
        False,  # two answered items: below min_answered
        False,
    ]
    assert quality.flag_identical_rows(rows).tolist() == [True, True, True, False, False]
    assert quality.flag_identical_rows(rows, min_answered=2).tolist() == [True] * 5


def _varied(n: int, seed: int) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    return rng.integers(1, 6, size=(n, 6)).astype(float).tolist()


def test_clerk_who_types_uniform_ballots_is_flagged():
    uniform = [[4.0] * 6] * 8 + _varied(2, 1)
    items = uniform + _varied(20, 2) + _varied(20, 3)
    clerks = ["lazy"] * 10 + ["ann"] * 20 + ["bo"] * 20
    signal = quality.clerk_uniformity(items, clerks)
    table = signal.table
    assert signal.flagged == ["lazy"]
    assert table.loc["lazy", "n"] == 10
    assert table.loc["lazy", "suspect"] == 8
    assert table.loc["lazy", "share"] == pytest.approx(0.8)
    # hand-worked z for "lazy": p_c = 0.8, p_o = 0/40, pooled 8/50
    pooled = 8 / 50
    z = (0.8 - 0.0) / math.sqrt(pooled * (1 - pooled) * (1 / 10 + 1 / 40))
    assert table.loc["lazy", "z"] == pytest.approx(z)
    assert not table.loc["ann", "flagged"]


def test_clerk_with_few_entries_is_never_flagged():
    items = [[4.0] * 6] * 4 + _varied(30, 4)
    clerks = ["new"] * 4 + ["old"] * 30
    signal = quality.clerk_uniformity(items, clerks)
    assert signal.table.loc["new", "z"] > quality.CLERK_Z
    assert signal.flagged == []


def test_a_single_clerk_has_no_comparison():
    signal = quality.clerk_uniformity([[3.0] * 4] * 10, ["only"] * 10)
    assert math.isnan(signal.table.loc["only", "z"])
    assert signal.flagged == []


def test_identical_copies_count_as_suspect_for_a_clerk():
    copy = [1.0, 2.0, 3.0, 4.0, 5.0, 1.0]
    items = [copy] * 10 + _varied(30, 5)
    signal = quality.clerk_uniformity(items, ["x"] * 10 + ["y"] * 30)
    assert signal.table.loc["x", "suspect"] == 10
    assert signal.flagged == ["x"]


def _village_data() -> tuple[list[list[float]], list[str]]:
    items: list[list[float]] = []
    units: list[str] = []
    for seed, unit in enumerate("abcde"):
        items += _varied(12, 10 + seed)
        units += [unit] * 12
    # village f: everyone answers 5, with a rare 4
    items += [[5.0] * 6] * 10 + [[5.0, 4.0, 5.0, 5.0, 5.0, 5.0]] * 2
    units += ["f"] * 12
    # village g: only 3 responses, below the minimum group size
    items += [[5.0] * 6] * 3
    units += ["g"] * 3
    return items, units


def test_uniform_village_is_flagged_by_the_leave_one_out_z():
    items, units = _village_data()
    signal = quality.unit_uniformity(items, units)
    table = signal.table
    assert signal.flagged == ["f"]
    # hand check of f's z from the other five eligible villages
    x = np.asarray(items)
    u = np.asarray(units)
    spreads = {name: np.nanmean(np.std(x[u == name], axis=0, ddof=1)) for name in "abcdef"}
    others = np.array([spreads[n] for n in "abcde"])
    z = (spreads["f"] - others.mean()) / others.std(ddof=1)
    assert table.loc["f", "spread"] == pytest.approx(spreads["f"])
    assert table.loc["f", "z"] == pytest.approx(z)
    assert z < quality.UNIT_Z


def test_small_village_is_neither_measured_nor_flagged():
    items, units = _village_data()
    table = quality.unit_uniformity(items, units).table
    assert table.loc["g", "n"] == 3
    assert math.isnan(table.loc["g", "spread"])
    assert math.isnan(table.loc["g", "z"])
    assert not table.loc["g", "flagged"]


def test_too_few_other_villages_means_no_z():
    items = _varied(10, 1) + [[5.0] * 6] * 10 + _varied(10, 2)
    table = quality.unit_uniformity(items, ["a"] * 10 + ["b"] * 10 + ["c"] * 10).table
    assert table["z"].isna().all()
    assert not table["flagged"].any()


def test_bad_shapes_are_refused():
    with pytest.raises(InvalidParameterError):
        quality.flag_identical_rows([1, 2, 3])
    with pytest.raises(InvalidParameterError):
        quality.clerk_uniformity([[1, 2, 3]], ["a", "b"])
    with pytest.raises(InvalidParameterError):
        quality.unit_uniformity([[1, 2, 3]], [])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(1, 5), min_size=4, max_size=4), min_size=6, max_size=40),
    st.randoms(use_true_random=False),
)
def test_signals_do_not_depend_on_row_order(rows, rnd):
    clerks = [f"c{i % 3}" for i in range(len(rows))]
    order = list(range(len(rows)))
    rnd.shuffle(order)
    shuffled = [rows[i] for i in order]
    shuffled_clerks = [clerks[i] for i in order]
    a = quality.clerk_uniformity(rows, clerks).table
    b = quality.clerk_uniformity(shuffled, shuffled_clerks).table
    assert a["suspect"].tolist() == b["suspect"].tolist()
    identical = quality.flag_identical_rows(rows, clerks)
    assert quality.flag_identical_rows(shuffled, shuffled_clerks).tolist() == [
        identical[i] for i in order
    ]


# -- response times as coarse bands ----------------------------------------------------


def test_each_time_falls_in_the_band_starting_at_the_largest_edge_not_above_it():
    edges = quality.DURATION_BAND_EDGES
    assert [quality.duration_band(edge) for edge in edges] == list(edges)
    assert [quality.duration_band(edge - 0.5) for edge in edges[1:]] == list(edges[:-1])
    assert quality.duration_band(10**9) == 86400
    # Never finer than a factor of two from ten seconds on (the flag's precision, below).
    assert all(b / a <= 2 for a, b in itertools.pairwise(edges[1:]))


@pytest.mark.parametrize(("seconds", "reason"), [(-1, "negative"), (nan, "not_finite")])
def test_a_time_that_is_no_time_is_refused(seconds, reason):
    with pytest.raises(InvalidParameterError) as caught:
        quality.duration_band(seconds)
    assert caught.value.reason == reason


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=10, max_value=7200), min_size=30, max_size=200),
)
def test_the_too_fast_flag_on_bands_agrees_with_exact_times_away_from_the_limit(durations):
    """Why: ``band`` is monotone with ``d/2 < band(d) <= d`` for ``d >= 10``, so the median
    of the bands lies in ``(m/2, m]`` and the banded limit ``Lb`` in ``(L/2, L]`` where
    ``L = median(d)/3``. A time below ``L/2`` is then below ``Lb`` as a band, and a time
    of ``2L`` or more has a band of at least ``L >= Lb``: only times in ``[L/2, 2L)`` can
    be flagged differently."""
    exact = np.asarray(durations)
    bands = np.asarray([quality.duration_band(d) for d in durations], dtype=float)
    limit = float(np.median(exact)) / 3
    clear = (exact < limit / 2) | (exact >= 2 * limit)
    assert (quality.flag_too_fast(exact)[clear] == quality.flag_too_fast(bands)[clear]).all()


def test_the_too_fast_flag_on_bands_of_a_typical_survey():
    """The demo's times (log-normal around four minutes) with eight 20-second answers:
    those eight are flagged from bands as from seconds; the one response flagged
    differently (65 s, against limits of 77 s exact and 60 s banded) lies near the limit."""
    rng = np.random.default_rng(7)
    exact = np.concatenate([rng.lognormal(np.log(240), 0.4, size=400), [20.0] * 8])
    bands = np.asarray([quality.duration_band(d) for d in exact], dtype=float)
    from_seconds, from_bands = quality.flag_too_fast(exact), quality.flag_too_fast(bands)
    assert from_seconds[-8:].all() and from_bands[-8:].all()
    differ = exact[from_seconds != from_bands]
    limit = float(np.median(exact)) / 3
    assert len(differ) == 1 and limit / 2 <= differ[0] < 2 * limit
