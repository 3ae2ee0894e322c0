"""Benchmark the results engine at county scale (run by a person, not by the tests).

    .venv/bin/python scripts/bench_results.py [--cadres 500] [--responses 1000000]
        [--items 15] [--assessors 20] [--resamples 1000] [--post-stratification]

Generates a county on the fly (seeded): cadres in three posts, ``responses`` resident
responses of ``items`` five-point Likert items spread over the cadres and 50 villages,
every assessor rating every qualitative indicator of every cadre. Then, in one run:

1. the whole computation: response scores from the item matrix
   (``surveys.core.tally.compute_response_scores``), then
   ``compute_period_results`` with Cronbach's alpha over the item matrix and the
   bootstrap grade confidence (``resamples``), timed and with the peak memory;
2. the index step alone (``summarise_targets`` over the same responses, as the
   engine calls it) against its ceiling, a plain pandas group-by mean of the score
   per cadre over the same data, best of five each; prints the ratio;
3. peak memory of step 1 again under ``tracemalloc`` (slower; numpy reports its
   buffers to tracemalloc), besides the process's peak RSS (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from assessment.core.records import (
    ActualInput,
    CadreInput,
    EventInput,
    PeriodInputs,
    PeriodResult,
    RatingInput,
    SurveyItemsInput,
    SurveyTargetInput,
    UnitInput,
)
from assessment.core.results import compute_period_results
from assessment.core.rulebook import (
    DEFAULT_GRADES,
    Aggregation,
    Category,
    GradingScheme,
    Indicator,
    IndicatorKind,
    IndicatorSet,
    Label,
    Rulebook,
)
from surveys.core.tally import compute_response_scores, summarise_targets

K = IndicatorKind
L = Label("基准", "benchmark")
POSTS = ("VSEC", "VDIR", "GRID")


def make_rulebook(post_stratification: bool) -> Rulebook:
    """Three posts: 4 quantitative (40), 3 qualitative (30), 1 survey (30), events."""
    sets = []
    for post in POSTS:
        indicators = (
            Indicator("Q1", L, K.QUANTITATIVE, "work", 10.0, "linear", "higher", 50.0, 100.0),
            Indicator("Q2", L, K.QUANTITATIVE, "work", 10.0, "ratio", "higher", None, 100.0, 1.1),
            Indicator("Q3", L, K.QUANTITATIVE, "work", 10.0, "linear", "lower", 10.0, 0.0),
            Indicator("Q4", L, K.QUANTITATIVE, "work", 10.0, "binary"),
            Indicator("R1", L, K.QUALITATIVE, "ability", 10.0, rubric="standard"),
            Indicator("R2", L, K.QUALITATIVE, "ability", 10.0, rubric="standard"),
            Indicator("R3", L, K.QUALITATIVE, "ability", 10.0, rubric="standard"),
            Indicator("S1", L, K.SURVEY, "satisfaction", 30.0, subject="cadre"),
            Indicator("V1", L, K.VETO, caps_at="incompetent"),
            Indicator("B1", L, K.BONUS, points=1.0),
            Indicator("P1", L, K.PENALTY, points=2.0),
        )
        categories = (
            Category("work", L, 40.0),
            Category("ability", L, 30.0),
            Category("satisfaction", L, 30.0),
        )
        sets.append(IndicatorSet(post, L, categories, indicators, bonus_cap=5.0, penalty_cap=10.0))
    return Rulebook(
        L,
        GradingScheme(DEFAULT_GRADES, top_quota=0.2),
        Aggregation(trim_threshold=5, post_stratification=post_stratification),
        (),
        tuple(sets),
    )


def make_county(
    rng: np.random.Generator, *, cadres: int, responses: int, items: int, assessors: int
) -> tuple[list[CadreInput], list[UnitInput], PeriodInputs, np.ndarray, np.ndarray, np.ndarray]:
    """Cadres, units, every input but the survey, and the raw responses (vectorised)."""
    villages = [f"V{j:03d}" for j in range(50)]
    units = [
        UnitInput(v, float(rng.integers(800, 4000)), int(rng.integers(300, 1200))) for v in villages
    ]
    people = [
        CadreInput(f"c{i:04d}", f"{i:04d}", f"干部{i}", POSTS[i % 3], villages[i % 50])
        for i in range(cadres)
    ]
    quality = rng.normal(0.0, 1.0, cadres)  # a latent "how good" per cadre
    actuals = []
    for i, c in enumerate(people):
        q = quality[i]
        actuals += [
            ActualInput(c.id, "Q1", float(np.clip(80 + 12 * q + rng.normal(0, 8), 0, 130))),
            ActualInput(c.id, "Q2", float(np.clip(95 + 8 * q + rng.normal(0, 6), 0, 150))),
            ActualInput(c.id, "Q3", float(max(0.0, round(3 - q + rng.normal(0, 1.5))))),
            ActualInput(c.id, "Q4", float(rng.random() < 0.85)),
        ]
    levels = np.array([50.0, 70.0, 85.0, 100.0])
    ratings = []
    for i, c in enumerate(people):
        for code in ("R1", "R2", "R3"):
            drawn = np.clip(np.round(1.8 + quality[i] + rng.normal(0, 0.7, assessors)), 0, 3)
            ratings += [
                RatingInput(f"a{j:02d}", c.id, code, float(levels[int(drawn[j])]))
                for j in range(assessors)
            ]
    events = [
        EventInput(f"e{k}", people[int(rng.integers(0, cadres))].id, kind)
        for k, kind in enumerate(rng.choice(["B1", "B1", "P1", "V1"], cadres // 5))
    ]
    # responses: target cadre, village, 15 Likert items (2% unanswered), vectorised
    target = rng.integers(0, cadres, responses)
    village = (target % 50 + rng.integers(0, 3, responses)) % 50
    mood = 3.6 + 0.5 * quality[target]
    answers = np.clip(np.rint(mood[:, None] + rng.normal(0, 0.9, (responses, items))), 1, 5)
    answers[rng.random((responses, items)) < 0.02] = np.nan
    inputs = PeriodInputs(
        cadres=tuple(people),
        units=tuple(units),
        actuals=tuple(actuals),
        ratings=tuple(ratings),
        events=tuple(events),
    )
    return people, units, inputs, target, np.asarray(villages, dtype=object)[village], answers


def whole_computation(
    rulebook: Rulebook,
    inputs: PeriodInputs,
    people: list[CadreInput],
    target: np.ndarray,
    village: np.ndarray,
    answers: np.ndarray,
    resamples: int,
) -> tuple[PeriodResult, dict[str, float]]:
    """Score the responses, split them per cadre, compute everything; time each step."""
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    scores = compute_response_scores(answers, k=5).scores
    t1 = time.perf_counter()
    order = np.argsort(target, kind="stable")
    bounds = np.searchsorted(target[order], np.arange(len(people) + 1))
    surveys = tuple(
        SurveyTargetInput(
            "S1",
            c.id,
            scores[order[bounds[i] : bounds[i + 1]]],
            village[order[bounds[i] : bounds[i + 1]]],
        )
        for i, c in enumerate(people)
    )
    full = PeriodInputs(
        cadres=inputs.cadres,
        units=inputs.units,
        actuals=inputs.actuals,
        ratings=inputs.ratings,
        events=inputs.events,
        surveys=surveys,
        survey_items=(SurveyItemsInput("S", answers),),
    )
    t2 = time.perf_counter()
    result = compute_period_results(
        rulebook, full, summarise_survey=summarise_targets, resamples=resamples, seed=20260101
    )
    t3 = time.perf_counter()
    steps["response scores"] = t1 - t0
    steps["split per cadre"] = t2 - t1
    steps["compute_period_results"] = t3 - t2
    steps["whole"] = t3 - t0
    return result, steps


def say(line: str) -> None:
    """Write one report line to standard output."""
    sys.stdout.write(line + "\n")


def best_of(fn: Callable[[], Any], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def ram_gib() -> float:
    for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=500)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=15)
    parser.add_argument("--assessors", type=int, default=20)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--post-stratification", action="store_true")
    parser.add_argument("--no-tracemalloc", action="store_true")
    args = parser.parse_args()

    rng = np.random.default_rng(20260101)
    rulebook = make_rulebook(args.post_stratification)
    people, _units, inputs, target, village, answers = make_county(
        rng,
        cadres=args.cadres,
        responses=args.responses,
        items=args.items,
        assessors=args.assessors,
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result, steps = whole_computation(
        rulebook, inputs, people, target, village, answers, args.resamples
    )
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # the index step alone, and its ceiling, on the same responses
    scores = compute_response_scores(answers, k=5).scores
    populations = {u.id: float(u.population or 0) for u in inputs.units}
    frame = pd.DataFrame({"target": target, "score": scores})
    ceiling = best_of(lambda: frame.groupby("target")["score"].mean())
    index_plain = best_of(lambda: summarise_targets(target, scores))
    index_weighted = best_of(
        lambda: summarise_targets(target, scores, unit_ids=village, unit_populations=populations)
    )

    peak_traced = float("nan")
    if not args.no_tracemalloc:
        tracemalloc.start()
        whole_computation(rulebook, inputs, people, target, village, answers, args.resamples)
        peak_traced = tracemalloc.get_traced_memory()[1] / 1024**2
        tracemalloc.stop()

    grades = pd.Series([c.grade for c in result.cadres]).value_counts().to_dict()
    say(f"date            {dt.datetime.now(dt.UTC).date().isoformat()}")
    say(
        f"machine         nproc={len(os.sched_getaffinity(0))}, {cpu_model()}, "
        f"RAM {ram_gib():.1f} GiB, Python {platform.python_version()}, numpy {np.__version__}, "
        f"pandas {pd.__version__}"
    )
    say(
        f"data            {args.cadres} cadres, {args.responses:,} responses × {args.items} items, "
        f"{args.assessors} assessors, {len(inputs.ratings):,} ratings, "
        f"post-stratification {'on' if args.post_stratification else 'off'}, "
        f"{args.resamples} resamples"
    )
    for name, seconds in steps.items():
        say(f"time  {name:<24} {seconds:8.2f} s")
    say(f"peak RSS        {rss_after:8.0f} MiB (process; {rss_before:.0f} MiB after generating)")
    say(f"peak traced     {peak_traced:8.0f} MiB (tracemalloc, whole computation)")
    say(
        f"index step      {index_plain * 1000:8.1f} ms unweighted, "
        f"{index_weighted * 1000:.1f} ms post-stratified"
    )
    say(f"ceiling         {ceiling * 1000:8.1f} ms (pandas group-by mean per cadre)")
    say(
        f"ratio           {index_plain / ceiling:8.2f}× unweighted, "
        f"{index_weighted / ceiling:.2f}× post-stratified"
    )
    say(
        f"grades          {grades}; tie-dropped {len(result.tie_dropped)}; "
        f"flags {len(result.flags)}"
    )


if __name__ == "__main__":
    main()
