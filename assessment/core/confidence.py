"""Grade confidence: a bootstrap over survey responses and panel ratings (DESIGN section 4).

Each cadre's probability of each grade, and a rank interval within the post group, from
``B`` resamples (default 1,000) with a seeded :class:`numpy.random.Generator`.

The trick that makes this fast at county scale (500 cadres, a million responses): a
resample of ``n`` values drawn with replacement from a sample is fully described by how
many times each *distinct* value was drawn, and those counts follow a multinomial law
with the observed frequencies. A survey score is the mean of a handful of Likert items,
so a target's 2,000 responses take only a few dozen distinct values; a panel's ratings
take the four rubric values. So each resample draws one small count vector per target
(``rng.multinomial``) instead of indexing a billion responses, and the totals, ranks and
grades (quota included) of all resamples are computed at once as arrays.

Resampled totals are graded by the rule of the point estimate (issue 13): each
resampled panel value and satisfaction index is rounded to the declared precision, the
points are the exact weight times that value rounded again, and totals, ranking keys
and grade minimums are compared as whole numbers of ``10 ** -places`` (integer
arithmetic, no binary floating point), through the same rounding
(:func:`~assessment.core.precision.divide_rounded`) as the scalar path.

Everything here is pure: plain arrays in, frozen dataclasses out.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from assessment.core.errors import InvalidParameterError
from assessment.core.precision import DEFAULT_PRECISION, Precision, divide_rounded, exact
from assessment.core.scoring import GradeLike, QuotaRule, quota_count

__all__ = [
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "BootstrapModel",
    "ConfidenceResult",
    "GradeConfidence",
    "PanelSample",
    "SurveyDraws",
    "SurveyLink",
    "SurveySample",
    "compute_grade_confidence",
    "grade_resampled_totals",
    "start_survey_draws",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Resamples when none is given (DESIGN section 4: 1,000).
DEFAULT_RESAMPLES = 1000
#: The fixed default seed, so that a recompute draws the same resamples.
DEFAULT_SEED = 20260101
# Count vectors are drawn in blocks of at most this many cells (resamples × groups ×
# distinct values), which bounds memory; the draws do not depend on the block size.
_BLOCK_CELLS = 4_000_000


@dataclass(frozen=True, slots=True, eq=False)
class PanelSample:
    """The ratings of one qualitative indicator of one cadre.

    Parameters
    ----------
    cadre : int
        Position of the cadre in :attr:`BootstrapModel.cadre_ids`.
    weight : float or Fraction
        Effective weight (exact): the panel adds ``round(weight × value / 100)`` points.
    key_weight : float or Fraction
        Weight of the panel value in the cadre's ranking key (the weighted mean of its
        panel values).
    values : numpy.ndarray of float64
        The ratings, 0–100, at least one.
    """

    cadre: int
    weight: float | Fraction
    key_weight: float | Fraction
    values: FloatArray


@dataclass(frozen=True, slots=True, eq=False)
class SurveySample:
    """The valid response scores about one survey target.

    Parameters
    ----------
    scores : numpy.ndarray of float64
        Response scores 0–100, at least one, no NaN.
    strata : numpy.ndarray of int64 or None
        Post-stratification: stratum (unit) code of each response, ``0..U-1``; ``None``
        when unweighted.
    stratum_population : numpy.ndarray of float64 or None
        Population of each stratum code (post-stratification only).
    """

    scores: FloatArray
    strata: IntArray | None = None
    stratum_population: FloatArray | None = None


@dataclass(frozen=True, slots=True)
class SurveyLink:
    """How one survey target's index enters one cadre's total.

    Parameters
    ----------
    sample : int
        Position in :attr:`BootstrapModel.surveys`.
    cadre : int
        Position of the cadre.
    weight : float or Fraction
        Effective weight (exact): ``round(weight × S / 100)`` points.
    key_weight : float or Fraction
        Weight of ``S`` in the cadre's survey ranking key.
    """

    sample: int
    cadre: int
    weight: float | Fraction
    key_weight: float | Fraction


@dataclass(frozen=True, slots=True, eq=False)
class BootstrapModel:
    """What the bootstrap needs: the fixed parts of each total and the resampled parts.

    Parameters
    ----------
    cadre_ids : tuple of str
        Cadres, in a canonical order (sorted ids).
    post_groups : tuple of str
        Post group of each cadre (the quota applies within a group).
    fixed_points : numpy.ndarray of float64
        Points that do not vary: quantitative indicators, scored-zero indicators
        (published values).
    adjustment : numpy.ndarray of float64
        Counted bonus minus counted penalty of each cadre (published values).
    veto_caps : numpy.ndarray of int64
        Best grade position each cadre may get (0 when no veto).
    panels : tuple of PanelSample
    surveys : tuple of SurveySample
    links : tuple of SurveyLink
    trim_threshold : int
        Panels with at least this many ratings use the trimmed mean.
    precision : Precision
        The rulebook's declared precision.
    """

    cadre_ids: tuple[str, ...]
    post_groups: tuple[str, ...]
    fixed_points: FloatArray
    adjustment: FloatArray
    veto_caps: IntArray
    panels: tuple[PanelSample, ...]
    surveys: tuple[SurveySample, ...]
    links: tuple[SurveyLink, ...]
    trim_threshold: int = 5
    precision: Precision = DEFAULT_PRECISION


@dataclass(frozen=True, slots=True)
class GradeConfidence:
    """Bootstrap distribution of one cadre's grade and rank.

    Parameters
    ----------
    cadre : str
        Cadre id.
    post_group : str
        The group the rank is within.
    probabilities : dict of str to float
        Grade code to the share of resamples giving that grade (every grade of the
        scheme, best first; they sum to 1).
    rank_low, rank_high : int
        Percentile interval of the competition rank (1 is best) at the chosen level.
    """

    cadre: str
    post_group: str
    probabilities: dict[str, float]
    rank_low: int
    rank_high: int


@dataclass(frozen=True, slots=True)
class ConfidenceResult:
    """Grade confidence of every cadre.

    Parameters
    ----------
    cadres : tuple of GradeConfidence
        Sorted by cadre id.
    resamples : int
        ``B``.
    seed : int
        Seed of the generator.
    level : float
        Level of the rank interval (default 0.95).
    """

    cadres: tuple[GradeConfidence, ...]
    resamples: int
    seed: int
    level: float

    def of(self, cadre_id: str) -> GradeConfidence:
        """Return the confidence of one cadre; raises ``KeyError`` when absent."""
        for item in self.cadres:
            if item.cadre == cadre_id:
                return item
        raise KeyError(cadre_id)


# ---------------------------------------------------------------------------
# resampling
# ---------------------------------------------------------------------------


def _distinct(
    groups: Sequence[FloatArray],
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Pad each group's distinct values (ascending) and frequencies into matrices."""
    uniques = [np.unique(g, return_counts=True) for g in groups]
    width = max((u[0].size for u in uniques), default=1)
    values = np.zeros((len(groups), width), dtype=np.float64)
    pvals = np.zeros((len(groups), width), dtype=np.float64)
    sizes = np.zeros(len(groups), dtype=np.int64)
    for row, (vals, counts) in enumerate(uniques):
        values[row, : vals.size] = vals
        pvals[row, : vals.size] = counts / counts.sum()
        sizes[row] = counts.sum()
    return values, pvals, sizes


def _draw_counts(
    rng: np.random.Generator,
    sizes: IntArray,
    pvals: FloatArray,
    resamples: int,
    cancelled: threading.Event | None = None,
) -> Iterator[tuple[int, npt.NDArray[np.int64]]]:
    """Multinomial count vectors, shape (block, groups, width), in blocks of resamples.

    A generator: each block is used and dropped before the next is drawn, so memory
    holds one block (the draws, in stream order, are those of one big draw). Stops
    early, drawing nothing more, once ``cancelled`` is set.
    """
    cells = max(1, sizes.size * pvals.shape[1])
    block = max(1, _BLOCK_CELLS // cells)
    start = 0
    while start < resamples:
        if cancelled is not None and cancelled.is_set():
            return
        stop = min(resamples, start + block)
        # Generator.multinomial broadcasts n (groups,) and pvals (groups, width);
        # the stream is consumed row by row, so blocks equal one big draw
        counts = rng.multinomial(sizes, pvals, size=(stop - start, sizes.size))
        yield start, counts.astype(np.int64, copy=False)
        start = stop


def _panel_values(model: BootstrapModel, rng: np.random.Generator, resamples: int) -> FloatArray:
    """Resampled panel value of every panel, shape (B, panels)."""
    result = np.empty((resamples, len(model.panels)), dtype=np.float64)
    if not model.panels:
        return result
    values, pvals, sizes = _distinct([p.values for p in model.panels])
    width = values.shape[1]
    trimmed = sizes >= model.trim_threshold
    kept = np.where(trimmed, sizes - 2, sizes).astype(np.float64)
    for start, counts in _draw_counts(rng, sizes, pvals, resamples):
        total = np.einsum("bgd,gd->bg", counts, values)
        present = counts > 0
        low = np.take_along_axis(
            np.broadcast_to(values, counts.shape), present.argmax(axis=2)[..., None], axis=2
        )[..., 0]
        high_pos = width - 1 - present[..., ::-1].argmax(axis=2)
        high = np.take_along_axis(
            np.broadcast_to(values, counts.shape), high_pos[..., None], axis=2
        )[..., 0]
        # trimmed mean from counts: drop one lowest and one highest drawn rating
        total = np.where(trimmed, total - low - high, total)
        result[start : start + counts.shape[0]] = total / kept
    return result


def _survey_indices(model: BootstrapModel, rng: np.random.Generator, resamples: int) -> FloatArray:
    """Resampled satisfaction index of every survey sample, shape (B, samples)."""
    return _survey_indices_of(model.surveys, rng, resamples)


def _survey_indices_of(
    surveys: Sequence[SurveySample],
    rng: np.random.Generator,
    resamples: int,
    cancelled: threading.Event | None = None,
) -> FloatArray:
    """:func:`_survey_indices` of these samples; stops early once ``cancelled`` is set."""
    n_samples = len(surveys)
    result = np.empty((resamples, n_samples), dtype=np.float64)
    if not n_samples:
        return result
    # resampling groups: a whole sample, or each stratum of a post-stratified sample
    groups: list[FloatArray] = []
    group_sample: list[int] = []
    group_share: list[float] = []
    for index, sample in enumerate(surveys):
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
            # post-stratified S = Σ_u P_u ȳ_u / Σ_u P_u over the units with responses
            group_share.append(pop / float(population.sum()))
    values, pvals, sizes = _distinct(groups)
    mix = np.zeros((len(groups), n_samples), dtype=np.float64)
    mix[np.arange(len(groups)), np.asarray(group_sample)] = np.asarray(group_share)
    for start, counts in _draw_counts(rng, sizes, pvals, resamples, cancelled):
        means = np.einsum("bgd,gd->bg", counts, values) / sizes
        result[start : start + counts.shape[0]] = means @ mix
    return result


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The panel and the survey generators of ``seed`` (independent child streams)."""
    panel, survey = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(panel), np.random.default_rng(survey)


class SurveyDraws:
    """The survey resamples of a bootstrap, drawn in a worker thread from the start.

    The multinomial draws of the survey indices are most of the bootstrap's time at
    province scale (8.7 of 13.8 s for a million post-stratified responses, issue 18),
    and NumPy draws them without holding the interpreter lock. Started as soon as the
    samples are known (:func:`start_survey_draws`), they run on a second core while the
    caller scores the cadres and takes the data digest. The numbers are those
    :func:`compute_grade_confidence` draws itself: the same child stream of ``seed``,
    consumed in the same order.
    """

    def __init__(self, surveys: Sequence[SurveySample], *, resamples: int, seed: int) -> None:
        _check(resamples, seed, 0.5)
        self.surveys = tuple(surveys)
        self.resamples = resamples
        self.seed = seed
        self._cancelled = threading.Event()
        self._result: FloatArray | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="survey-draws", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            drawn = _survey_indices_of(
                self.surveys, _streams(self.seed)[1], self.resamples, self._cancelled
            )
            # cancelled between blocks: the rows after the last block are not drawn
            self._result = None if self._cancelled.is_set() else drawn
        except BaseException as error:  # handed to the caller by result()
            self._error = error

    def cancel(self) -> None:
        """Stop drawing (at the next block); the caller no longer needs the result."""
        self._cancelled.set()

    def matches(self, surveys: Sequence[SurveySample], resamples: int, seed: int) -> bool:
        """Whether these are the draws of exactly these samples, ``B`` and seed."""
        return (
            resamples == self.resamples
            and seed == self.seed
            and len(surveys) == len(self.surveys)
            and all(a is b for a, b in zip(surveys, self.surveys, strict=True))
        )

    def result(self) -> FloatArray:
        """Wait for the draws; the resampled indices, shape (B, samples)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._result is None:
            raise RuntimeError("the survey draws were cancelled")
        return self._result


def start_survey_draws(
    surveys: Sequence[SurveySample], *, resamples: int, seed: int
) -> SurveyDraws:
    """Start drawing the survey resamples of a bootstrap in a worker thread.

    Pass the result to :func:`compute_grade_confidence` (``survey_draws``) with a model
    whose ``surveys`` are the same sample objects, the same ``resamples`` and ``seed``;
    the grade confidence is then identical to one computed without it.
    """
    return SurveyDraws(surveys, resamples=resamples, seed=seed)


# ---------------------------------------------------------------------------
# grading of many resamples at once
# ---------------------------------------------------------------------------


#: A missing ranking key (no survey / no panel) in quanta: below every real key (>= 0).
_MISSING_KEY = -1


def grade_resampled_totals(
    totals: FloatArray,
    survey_keys: FloatArray,
    panel_keys: FloatArray,
    veto_caps: IntArray,
    *,
    scheme: Sequence[GradeLike],
    top_quota: float | Fraction | None,
    precision: Precision = DEFAULT_PRECISION,
    rounding: str = "down",
) -> tuple[IntArray, IntArray]:
    """Grade and rank one post group in every resample at once.

    Parameters
    ----------
    totals, survey_keys, panel_keys : numpy.ndarray, shape (B, g)
        Totals and the second and third ranking keys of the ``g`` cadres of the group in
        each of ``B`` resamples; NaN keys (no survey / no panel) rank last.
    veto_caps : numpy.ndarray of int64, shape (g,)
        Best grade position each cadre may get (0 when no veto).
    scheme : sequence of GradeLike
        Grades, best first.
    top_quota : float, Fraction or None
        Largest share of the group that may keep the top grade.
    precision : Precision
        Declared precision: totals and keys are compared as published (rounded).
    rounding : str
        How ``top_quota × g`` is rounded (down, half_up, up; see
        :func:`assessment.core.scoring.quota_count`).

    Returns
    -------
    grades : numpy.ndarray of int64, shape (B, g)
        Grade position (0 is best) of each cadre in each resample.
    ranks : numpy.ndarray of int64, shape (B, g)
        Competition rank (1 is best).

    Notes
    -----
    The same rule as :func:`assessment.core.scoring.assign_grades`, vectorised, on the
    values rounded to the declared precision and compared as whole numbers of
    ``10 ** -places``: rank by total, survey key and panel key (descending, missing
    last); ``earned`` is the first grade whose minimum the total reaches; a veto caps
    it; of the cadres holding the top grade, those past ``quota × g`` (rounded as
    ``rounding`` says) in rank
    order drop one grade, and when the last kept and the first dropped are tied on
    every key the whole tied block drops.

    Examples
    --------
    >>> from assessment.core.scoring import DEFAULT_GRADE_SCHEME
    >>> t = np.array([[95.0, 93.0, 93.0, 80.0, 50.0]])
    >>> nan = np.full_like(t, np.nan)
    >>> g, r = grade_resampled_totals(t, nan, nan, np.zeros(5, dtype=np.int64),
    ...                               scheme=DEFAULT_GRADE_SCHEME, top_quota=0.2)
    >>> g.tolist(), r.tolist()
    ([[0, 1, 1, 1, 3]], [[1, 2, 2, 4, 5]])
    """

    def quanta(keys: FloatArray) -> IntArray:
        missing = np.isnan(keys)
        values = precision.quanta_of_floats(np.where(missing, 0.0, keys))
        return np.where(missing, _MISSING_KEY, values).astype(np.int64)

    return _grade_quanta(
        precision.quanta_of_floats(totals),
        quanta(np.asarray(survey_keys, dtype=np.float64)),
        quanta(np.asarray(panel_keys, dtype=np.float64)),
        veto_caps,
        scheme=scheme,
        quota=QuotaRule(top_quota, rounding),
        precision=precision,
    )


def _grade_quanta(
    totals: IntArray,
    survey_keys: IntArray,
    panel_keys: IntArray,
    veto_caps: IntArray,
    *,
    scheme: Sequence[GradeLike],
    quota: QuotaRule,
    precision: Precision,
) -> tuple[IntArray, IntArray]:
    """:func:`grade_resampled_totals` on published values in quanta (missing keys -1)."""
    b, g = totals.shape
    # total >= minimum exactly  <=>  total in quanta >= ceil(minimum × 10^places)
    thresholds = np.array(
        [math.ceil(exact(band.minimum) * precision.scale) for band in scheme[:-1]],
        dtype=np.int64,
    )
    earned = (totals[..., None] < thresholds).sum(axis=-1).astype(np.int64)
    capped = np.maximum(earned, veto_caps[None, :])
    # descending keys with missing last: every key is >= 0 and missing is -1
    keys = [-k for k in (totals, survey_keys, panel_keys)]
    tiebreak = np.broadcast_to(np.arange(g), (b, g))
    order = np.lexsort((tiebreak, keys[2], keys[1], keys[0]), axis=-1)
    sorted_keys = [np.take_along_axis(k, order, axis=1) for k in keys]
    same_as_previous = np.ones((b, g), dtype=bool)
    same_as_previous[:, 0] = False
    for k in sorted_keys:
        same_as_previous[:, 1:] &= k[:, 1:] == k[:, :-1]
    position = np.broadcast_to(np.arange(1, g + 1), (b, g))
    rank_sorted = np.maximum.accumulate(np.where(same_as_previous, 0, position), axis=1)

    top = np.take_along_axis(capped, order, axis=1) == 0
    allowed = quota_count(quota.share, g, quota.rounding)
    held = np.cumsum(top, axis=1)
    drop = top & (held > allowed)
    if 0 < allowed < g:
        over = held[:, -1] > allowed
        last_kept = np.argmax(top & (held == allowed), axis=1)
        first_dropped = np.argmax(top & (held == allowed + 1), axis=1)
        rows = np.arange(b)
        tie = over.copy()
        for k in sorted_keys:
            tie &= k[rows, last_kept] == k[rows, first_dropped]
        block = np.ones((b, g), dtype=bool)
        for k in sorted_keys:
            block &= k == k[rows, first_dropped][:, None]
        drop |= tie[:, None] & top & block
    final_sorted = np.minimum(
        np.take_along_axis(capped, order, axis=1) + drop, len(scheme) - 1
    ).astype(np.int64)

    grades = np.empty((b, g), dtype=np.int64)
    ranks = np.empty((b, g), dtype=np.int64)
    np.put_along_axis(grades, order, final_sorted, axis=1)
    np.put_along_axis(ranks, order, rank_sorted.astype(np.int64), axis=1)
    return grades, ranks


def _points_quanta(weight: Fraction, value_quanta: IntArray, precision: Precision) -> IntArray:
    """``round(weight × value / 100)`` in quanta, for published values in quanta."""
    points: IntArray = np.asarray(
        divide_rounded(
            np.int64(weight.numerator) * value_quanta,
            np.int64(weight.denominator * 100),
            precision.rounding,
        ),
        dtype=np.int64,
    )
    return points


def _integer_weights(weights: Sequence[Fraction]) -> list[int]:
    """Exact weights scaled by their common denominator to integers (same ratios)."""
    common = math.lcm(*(w.denominator for w in weights)) if weights else 1
    return [int(w * common) for w in weights]


def _check(resamples: int, seed: int, level: float) -> None:
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 1:
        raise InvalidParameterError("resamples", resamples, "not_a_positive_integer")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidParameterError("seed", seed, "not_a_non_negative_integer")
    if not 0 < level < 1:
        raise InvalidParameterError("level", level, "outside_0_1")


def compute_grade_confidence(
    model: BootstrapModel,
    *,
    scheme: Sequence[GradeLike],
    top_quota: float | Fraction | None,
    rounding: str = "down",
    quotas: Mapping[str, QuotaRule] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    level: float = 0.95,
    survey_draws: SurveyDraws | None = None,
) -> ConfidenceResult:
    """Bootstrap each cadre's probability of each grade and its rank interval.

    Parameters
    ----------
    model : BootstrapModel
        Fixed parts of the totals and the samples to resample (built by
        :func:`assessment.core.results.compute_period_results`).
    scheme : sequence of GradeLike
        Grades, best first.
    top_quota : float, Fraction or None
        Top-grade quota per post group.
    rounding : str
        How ``top_quota × size`` is rounded (down, half_up, up).
    quotas : mapping of str to QuotaRule, optional
        The rule of each group that has its own (the rulebook's quota groups), as in
        :func:`assessment.core.scoring.assign_grades`.
    resamples : int
        ``B``, default 1,000.
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed and model give the
        same result, whatever the input order the model was built from.
    level : float
        Level of the rank interval, default 0.95.
    survey_draws : SurveyDraws, optional
        The survey resamples, started earlier by :func:`start_survey_draws` for the
        model's own samples, ``resamples`` and ``seed`` (same numbers, drawn sooner).

    Returns
    -------
    ConfidenceResult
        Per cadre: grade probabilities and rank interval.

    Raises
    ------
    InvalidParameterError
        When ``resamples`` is not a positive integer, ``seed`` is negative, ``level``
        is outside (0, 1), or ``survey_draws`` were drawn for other samples.

    Notes
    -----
    Nonparametric bootstrap (Efron and Tibshirani 1993, ch. 6 and 13). In each of ``B``
    resamples:

    - each target's survey responses are redrawn with replacement, ``n`` out of ``n``
      (when post-stratified, within each unit, keeping the unit counts: the bootstrap
      of a stratified sample, Efron and Tibshirani 1993 section 6.4 footnote and
      Rao and Wu 1988); ``S*`` is recomputed with the same formula as the point
      estimate;
    - each panel's ratings are redrawn the same way and the panel value recomputed
      (trimmed mean from ``trim_threshold`` ratings on);
    - ``total* = max(0, fixed + Σ round(w round(v*)/100) + Σ round(w round(S*)/100)
      + bonus - penalty)``, each value and points rounded to the declared precision as
      in the point estimate, then the grading rule of :func:`grade_resampled_totals`
      (quota and tie rule included) on published values, in integer arithmetic.

    Drawing ``n`` values with replacement is the same as drawing the counts of the
    ``d`` distinct values from ``Multinomial(n, observed frequencies)``, so the work is
    ``B × d`` per target, not ``B × n``. Panels are resampled independently, so the
    correlation between one assessor's ratings of several indicators is not
    reproduced (the interval is somewhat narrow when assessors differ systematically).
    Quantitative results, events and vetoes are taken as fixed.

    ``P(grade) = (resamples giving that grade) / B``; the rank interval is the
    percentile interval (``inverted_cdf`` quantiles at ``(1 - level)/2`` and
    ``(1 + level)/2``) of the resampled competition ranks.

    References
    ----------
    Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
    Chapman & Hall, chapters 6 and 13.
    Rao, J. N. K. and Wu, C. F. J. (1988). Resampling inference with complex survey
    data. *JASA*, 83(401), 231–241.
    Hall, P. and Miller, H. (2009). Using the bootstrap to quantify the authority of an
    empirical ranking. *Annals of Statistics*, 37(6B), 3929–3959.
    DESIGN.md section 4, "grade confidence".

    Examples
    --------
    >>> from assessment.core.scoring import DEFAULT_GRADE_SCHEME
    >>> rng = np.random.default_rng(1)
    >>> model = BootstrapModel(
    ...     cadre_ids=("a", "b"), post_groups=("g", "g"),
    ...     fixed_points=np.array([60.0, 45.0]), adjustment=np.zeros(2),
    ...     veto_caps=np.zeros(2, dtype=np.int64), panels=(),
    ...     surveys=(SurveySample(np.array([100.0, 90.0, 80.0])),
    ...              SurveySample(np.array([40.0, 50.0, 60.0]))),
    ...     links=(SurveyLink(0, 0, 40.0, 40.0), SurveyLink(1, 1, 40.0, 40.0)))
    >>> r = compute_grade_confidence(model, scheme=DEFAULT_GRADE_SCHEME,
    ...                              top_quota=0.5, resamples=200, seed=7)
    >>> r.of("a").probabilities["excellent"], r.of("b").probabilities["basic"]
    (1.0, 1.0)
    >>> r.of("a").rank_low, r.of("a").rank_high
    (1, 1)
    """
    _check(resamples, seed, level)
    if survey_draws is not None and not survey_draws.matches(model.surveys, resamples, seed):
        raise InvalidParameterError("survey_draws", survey_draws.seed, "other_samples")
    n_cadres = len(model.cadre_ids)
    # independent streams for ratings and responses: the draws do not depend on blocks
    panel_rng, survey_rng = _streams(seed)
    precision = model.precision
    # everything below is in quanta (whole numbers of 10^-places), as published
    fixed = precision.quanta_of_floats(model.fixed_points) + precision.quanta_of_floats(
        model.adjustment
    )
    totals = np.broadcast_to(fixed, (resamples, n_cadres)).copy()
    panel_key_weights = _integer_weights([exact(p.key_weight) for p in model.panels])
    survey_key_weights = _integer_weights([exact(link.key_weight) for link in model.links])
    survey_num = np.zeros((resamples, n_cadres), dtype=np.int64)
    survey_den = np.zeros(n_cadres, dtype=np.int64)
    panel_num = np.zeros((resamples, n_cadres), dtype=np.int64)
    panel_den = np.zeros(n_cadres, dtype=np.int64)

    panel_values = precision.quanta_of_floats(_panel_values(model, panel_rng, resamples))
    for j, panel in enumerate(model.panels):
        totals[:, panel.cadre] += _points_quanta(exact(panel.weight), panel_values[:, j], precision)
        panel_num[:, panel.cadre] += panel_key_weights[j] * panel_values[:, j]
        panel_den[panel.cadre] += panel_key_weights[j]
    drawn = (
        survey_draws.result()
        if survey_draws is not None
        else _survey_indices(model, survey_rng, resamples)
    )
    indices = precision.quanta_of_floats(drawn)
    for i, link in enumerate(model.links):
        totals[:, link.cadre] += _points_quanta(
            exact(link.weight), indices[:, link.sample], precision
        )
        survey_num[:, link.cadre] += survey_key_weights[i] * indices[:, link.sample]
        survey_den[link.cadre] += survey_key_weights[i]
    np.maximum(totals, 0, out=totals)

    def key(num: IntArray, den: IntArray) -> IntArray:
        rounded = divide_rounded(num, np.maximum(den, 1)[None, :], precision.rounding)
        return np.where(den[None, :] > 0, rounded, _MISSING_KEY).astype(np.int64)

    survey_keys = key(survey_num, survey_den)
    panel_keys = key(panel_num, panel_den)

    groups = np.asarray(model.post_groups, dtype=object)
    grades = np.empty((resamples, n_cadres), dtype=np.int64)
    ranks = np.empty((resamples, n_cadres), dtype=np.int64)
    for group in sorted(set(model.post_groups)):
        members = np.flatnonzero(groups == group)
        g, r = _grade_quanta(
            totals[:, members],
            survey_keys[:, members],
            panel_keys[:, members],
            model.veto_caps[members],
            scheme=scheme,
            quota=(quotas or {}).get(group, QuotaRule(top_quota, rounding)),
            precision=precision,
        )
        grades[:, members] = g
        ranks[:, members] = r

    n_grades = len(scheme)
    counts = np.stack([(grades == i).sum(axis=0) for i in range(n_grades)], axis=1)
    tail = (1.0 - level) / 2.0
    bounds = np.quantile(ranks, [tail, 1.0 - tail], axis=0, method="inverted_cdf")
    cadres = [
        GradeConfidence(
            cadre=cadre_id,
            post_group=model.post_groups[i],
            probabilities={
                band.code: int(counts[i, k]) / resamples for k, band in enumerate(scheme)
            },
            rank_low=int(bounds[0, i]),
            rank_high=int(bounds[1, i]),
        )
        for i, cadre_id in enumerate(model.cadre_ids)
    ]
    cadres.sort(key=lambda c: c.cadre)
    return ConfidenceResult(
        cadres=tuple(cadres), resamples=resamples, seed=seed, level=float(level)
    )
