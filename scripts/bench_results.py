"""Benchmark the results engine at province and county scale (run by a person, not by the tests).

    .venv/bin/python scripts/bench_results.py [--cadres 500] [--responses 1000000]
        [--items 15] [--assessors 20] [--villages 50] [--resamples 1000]
        [--post-stratification] [--baseline] [--no-tracemalloc]
    .venv/bin/python scripts/bench_results.py --county [--baseline]
    .venv/bin/python scripts/bench_results.py --county --counties 4 --processes 2

``--county`` is a county of 20 townships (800 cadres, 200,000 responses over 200
villages, post-stratified). ``--baseline`` also runs, in the same run and in a fresh
process each, the engine as it was before issue 18 (survey draws after the scoring in
the calling thread, the first data-digest implementation) and prints the ratios.
``--counties N --processes P`` computes N counties (different seeds) in P processes
and reports the wall time, the time per county, and the time for 100 counties worth.

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
import types
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
    rng: np.random.Generator,
    *,
    cadres: int,
    responses: int,
    items: int,
    assessors: int,
    village_count: int = 50,
) -> tuple[list[CadreInput], list[UnitInput], PeriodInputs, np.ndarray, np.ndarray, np.ndarray]:
    """Cadres, units, every input but the survey, and the raw responses (vectorised)."""
    villages = [f"V{j:03d}" for j in range(village_count)]
    units = [
        UnitInput(v, float(rng.integers(800, 4000)), int(rng.integers(300, 1200))) for v in villages
    ]
    people = [
        CadreInput(f"c{i:04d}", f"{i:04d}", f"干部{i}", POSTS[i % 3], villages[i % village_count])
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
    village = (target % village_count + rng.integers(0, 3, responses)) % village_count
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


def with_surveys(
    inputs: PeriodInputs,
    people: list[CadreInput],
    target: np.ndarray,
    village: np.ndarray,
    answers: np.ndarray,
    scores: np.ndarray,
) -> PeriodInputs:
    """The inputs with the response scores split per cadre and the item matrix."""
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
    return PeriodInputs(
        cadres=inputs.cadres,
        units=inputs.units,
        actuals=inputs.actuals,
        ratings=inputs.ratings,
        events=inputs.events,
        surveys=surveys,
        survey_items=(SurveyItemsInput("S", answers),),
    )


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
    full = with_surveys(inputs, people, target, village, answers, scores)
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


def use_engine_before_issue_18() -> None:
    """Put back, in this process, the engine's two slow paths that issue 18 replaced.

    The survey draws then run after the scoring, in the calling thread, holding every
    block of counts, and the digest uses the first implementation (the reference copies
    in the identity tests, which give the same numbers and digest).
    """
    import assessment.core.results as engine
    from assessment.core import confidence

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' reference code
    from tests.assessment.core.test_canonical_arrays import reference_histogram, reference_items
    from tests.assessment.core.test_confidence_draws import reference_survey_indices

    class DrawnLate:
        def __init__(self, surveys: Any, *, resamples: int, seed: int) -> None:
            self.surveys, self.resamples, self.seed = tuple(surveys), resamples, seed

        def matches(self, surveys: Any, resamples: int, seed: int) -> bool:
            return True

        def cancel(self) -> None:
            return None

        def result(self) -> np.ndarray:
            # the first draw loop, which kept every block of counts until the end
            model = types.SimpleNamespace(surveys=self.surveys)
            rng = confidence._streams(self.seed)[1]
            return reference_survey_indices(model, rng, self.resamples, confidence._BLOCK_CELLS)

    engine.start_survey_draws = DrawnLate  # type: ignore[assignment]
    engine._response_histogram = lambda data: reference_histogram(  # type: ignore[assignment]
        data.scores, data.unit_ids
    )
    engine._items_digest = reference_items  # type: ignore[assignment]


def one_run(options: dict[str, Any]) -> dict[str, Any]:
    """Generate the data and time the whole computation (in a process of its own)."""
    if options.get("before"):
        use_engine_before_issue_18()
    rng = np.random.default_rng(options["seed"])
    rulebook = make_rulebook(options["post_stratification"])
    people, _units, inputs, target, village, answers = make_county(
        rng,
        cadres=options["cadres"],
        responses=options["responses"],
        items=options["items"],
        assessors=options["assessors"],
        village_count=options["villages"],
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    result, steps = whole_computation(
        rulebook, inputs, people, target, village, answers, options["resamples"]
    )
    import assessment.core.results as engine

    full_inputs = PeriodInputs(
        cadres=inputs.cadres,
        units=inputs.units,
        actuals=inputs.actuals,
        ratings=inputs.ratings,
        events=inputs.events,
        surveys=(),
        survey_items=(SurveyItemsInput("S", answers),),
    )
    t = time.perf_counter()
    engine.compute_data_digest(full_inputs)
    steps["digest of the item matrix"] = time.perf_counter() - t
    return {
        "steps": steps,
        "wall": time.perf_counter() - started,
        "rss_before": rss_before,
        "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "data_digest": result.data_digest,
        "confidence": [
            (c.cadre, c.probabilities, c.rank_low, c.rank_high)
            for c in (result.confidence.cadres if result.confidence else ())
        ],
        "grades": pd.Series([c.grade for c in result.cadres]).value_counts().to_dict(),
    }


def in_fresh_process(options: dict[str, Any]) -> dict[str, Any]:
    """:func:`one_run` in a new interpreter, so that its peak memory is its own."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(one_run, (options,))


def parallel_counties(options: dict[str, Any], counties: int, processes: int) -> None:
    """Compute ``counties`` counties in ``processes`` processes; report the wall time."""
    import multiprocessing

    runs = [{**options, "seed": options["seed"] + k} for k in range(counties)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.map(one_run, runs, chunksize=1)
    wall = time.perf_counter() - started
    per_county = [r["steps"]["whole"] for r in results]
    say(
        f"parallel        {counties} counties in {processes} processes: wall {wall:.1f} s "
        f"(with starting the processes and generating each county's data), "
        f"whole computation per county {min(per_county):.2f}-{max(per_county):.2f} s, "
        f"peak RSS per process {max(r['rss_peak'] for r in results):.0f} MiB"
    )
    say(
        f"100 counties    {wall / counties * 100 / 60:.1f} min at this rate "
        f"({processes} processes); computation alone "
        f"{np.mean(per_county) * 100 / processes / 60:.1f} min on {processes} cores, "
        f"{np.mean(per_county) * 100 / 16 / 60:.1f} min on 16"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=500)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=15)
    parser.add_argument("--assessors", type=int, default=20)
    parser.add_argument("--villages", type=int, default=50)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--post-stratification", action="store_true")
    parser.add_argument("--county", action="store_true", help="20 townships, 800 cadres")
    parser.add_argument("--baseline", action="store_true", help="also the pre-issue-18 engine")
    parser.add_argument("--counties", type=int, default=0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--no-tracemalloc", action="store_true")
    args = parser.parse_args()
    if args.county:
        args.cadres, args.responses, args.villages = 800, 200_000, 200
        args.post_stratification = True
    options = {
        "seed": 20260101,
        "cadres": args.cadres,
        "responses": args.responses,
        "items": args.items,
        "assessors": args.assessors,
        "villages": args.villages,
        "resamples": args.resamples,
        "post_stratification": args.post_stratification,
    }
    say(f"date            {dt.datetime.now(dt.UTC).isoformat(timespec='minutes')}")
    say(
        f"machine         nproc={len(os.sched_getaffinity(0))}, {cpu_model()}, "
        f"RAM {ram_gib():.1f} GiB, Python {platform.python_version()}, numpy {np.__version__}, "
        f"pandas {pd.__version__}"
    )
    say(f"load average    {' '.join(f'{x:.2f}' for x in os.getloadavg())} (before)")
    say(
        f"data            {args.cadres} cadres, {args.responses:,} responses × {args.items} items, "
        f"{args.villages} villages, {args.assessors} assessors, "
        f"post-stratification {'on' if args.post_stratification else 'off'}, "
        f"{args.resamples} resamples"
    )
    if args.counties:
        parallel_counties(options, args.counties, args.processes)
        say(f"load average    {' '.join(f'{x:.2f}' for x in os.getloadavg())} (after)")
        return
    now = in_fresh_process(options)
    before = in_fresh_process({**options, "before": True}) if args.baseline else None
    for name, seconds in now["steps"].items():
        old = f"   before issue 18: {before['steps'][name]:8.2f} s" if before else ""
        say(f"time  {name:<26} {seconds:8.2f} s{old}")
    say(f"peak RSS        {now['rss_peak']:8.0f} MiB (process; {now['rss_before']:.0f} after data)")
    if before:
        ratio = {name: now["steps"][name] / before["steps"][name] for name in now["steps"]}
        say(
            f"before issue 18 peak RSS {before['rss_peak']:.0f} MiB; ratios now/before: whole "
            f"{ratio['whole']:.2f}×, compute_period_results "
            f"{ratio['compute_period_results']:.2f}×, item-matrix digest "
            f"{ratio['digest of the item matrix']:.2f}×"
        )
        same = (now["data_digest"], now["confidence"]) == (
            before["data_digest"],
            before["confidence"],
        )
        say(f"identical       data digest and grade confidence: {same}")

    # the index step alone, and its ceiling, on the same responses (this process)
    rng = np.random.default_rng(options["seed"])
    people, _units, inputs, target, village, answers = make_county(
        rng,
        cadres=args.cadres,
        responses=args.responses,
        items=args.items,
        assessors=args.assessors,
        village_count=args.villages,
    )
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
        rulebook = make_rulebook(args.post_stratification)
        tracemalloc.start()
        whole_computation(rulebook, inputs, people, target, village, answers, args.resamples)
        peak_traced = tracemalloc.get_traced_memory()[1] / 1024**2
        tracemalloc.stop()
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
    say(f"grades          {now['grades']}")
    say(f"load average    {' '.join(f'{x:.2f}' for x in os.getloadavg())} (after)")


if __name__ == "__main__":
    main()
