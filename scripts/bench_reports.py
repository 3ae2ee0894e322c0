"""Benchmark the PDF reports of a period (run by a person, not by the tests).

    .venv/bin/python scripts/bench_reports.py [--cadres 200] [--lang zh_CN] [--resamples 200]
        [--workers 1]

Generates a township period on the fly (seeded, no database): ``cadres`` cadres spread
over the six posts of the demo rulebook (``docs/examples/rulebooks``), an actual value
for every quantitative indicator, five assessors rating every qualitative indicator,
40-120 resident responses per survey target and a few bonus/penalty events; computes the
result with the real engine (``compute_period_results``, ``result_to_plain``). Then, in
one run:

1. the pipeline: every scorecard and the summary through ``reports.services.documents``
   (layout → context → Jinja template → ``reports.render.pdf.html_to_pdf``), the same
   functions ``flask reports build`` calls (``iter_report_html``, ``iter_pdfs`` with
   ``--workers`` processes), keeping each HTML string;
2. the ceiling: ``reports.render.pdf.html_to_pdf`` alone on the same, already built HTML
   strings (that is ``weasyprint.HTML(string=..., url_fetcher=<asset-only>).write_pdf()``
   and nothing else; the fetcher only serves print.css), through ``iter_pdfs`` with the
   same number of processes, so that both sides have the same parallelism;
3. the ratio of the two wall times, and the peak memory: the process's peak resident
   set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) after each step;
4. the HTML alone (layout, context, template, no PDF) for every report again: the part
   of the pipeline that is not WeasyPrint.

One scorecard is rendered first, untimed, so that font loading is not charged to either.
The peak RSS is this process's; with ``--workers`` > 1 the workers' peak is printed beside.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assessment.app import create_app
from assessment.core.records import (
    ActualInput,
    CadreInput,
    EventInput,
    PeriodInputs,
    RatingInput,
    SurveyTargetInput,
    UnitInput,
    result_to_plain,
)
from assessment.core.results import compute_period_results
from assessment.core.rulebook import IndicatorKind, Rulebook, parse_rulebook
from assessment.services.demo import demo_rulebook_document
from reports.render.pdf import html_to_pdf
from reports.services import documents
from surveys.core.tally import summarise_targets

K = IndicatorKind
#: Share of each post among the cadres (village posts are the many).
POST_SHARES = {"TSEC": 1, "THEAD": 1, "STATION": 18, "VSEC": 30, "VDIR": 30, "GRID": 40}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "建国海涛丽华文斌志强秀英伟明春梅小红玉兰德胜晓东红霞"


@dataclass(frozen=True)
class Stand:
    """What ``reports.services.documents.VersionData`` reads of a period or version row."""

    id: int
    name: str = ""
    number: int = 0
    rules_digest: str = ""
    data_digest: str = ""
    #: A period of cadres (issue 16: a period may assess units instead).
    subjects: str = "cadres"


def make_inputs(rulebook: Rulebook, n_cadres: int, seed: int) -> PeriodInputs:
    """A seeded township: units, cadres, actuals, ratings, survey responses, events."""
    rng = np.random.default_rng(seed)
    units = [
        UnitInput(str(u), population=2000.0 + 300 * u, households=600 + 90 * u)
        for u in range(1, 21)
    ]
    weights = np.array(list(POST_SHARES.values()), dtype=float)
    posts = rng.choice(list(POST_SHARES), size=n_cadres, p=weights / weights.sum())
    sets = {s.post: s for s in rulebook.indicator_sets}
    cadres, actuals, ratings, surveys, events = [], [], [], [], []
    unit_targets: set[tuple[str, str]] = set()
    for i, post in enumerate(posts, start=1):
        cid = str(i)
        unit = str(1 + (i % len(units)))
        name = (
            SURNAMES[i % len(SURNAMES)] + GIVEN[(3 * i) % len(GIVEN)] + GIVEN[(7 * i) % len(GIVEN)]
        )
        cadres.append(CadreInput(cid, f"BM{i:04d}", name, str(post), unit))
        skill = rng.uniform(0.55, 1.0)
        for indicator in sets[str(post)].indicators:
            if indicator.kind == K.QUANTITATIVE:
                actuals.append(ActualInput(cid, indicator.code, _actual(indicator, skill, rng)))
            elif indicator.kind == K.QUALITATIVE:
                for assessor in range(1, 6):
                    value = rng.choice([100.0, 85.0, 70.0, 50.0], p=_level_odds(skill))
                    ratings.append(RatingInput(str(assessor), cid, indicator.code, value))
            elif indicator.kind == K.SURVEY:
                target = cid if indicator.subject == "cadre" else unit
                if (indicator.code, target) in unit_targets:
                    continue
                unit_targets.add((indicator.code, target))
                n = int(rng.integers(40, 121))
                scores = np.clip(rng.normal(100 * skill, 15, n), 0, 100).round(1)
                surveys.append(
                    SurveyTargetInput(indicator.code, target, scores, np.array([unit] * n))
                )
            elif indicator.kind in (K.BONUS, K.PENALTY) and rng.random() < 0.08:
                events.append(EventInput(f"e{len(events)}", cid, indicator.code))
    return PeriodInputs(
        cadres=tuple(cadres),
        units=tuple(units),
        actuals=tuple(actuals),
        ratings=tuple(ratings),
        events=tuple(events),
        surveys=tuple(surveys),
    )


def _level_odds(skill: float) -> list[float]:
    good = min(max((skill - 0.55) / 0.45, 0.0), 1.0)
    odds = np.array([0.1 + 0.5 * good, 0.5, 0.3 - 0.2 * good, 0.1 - 0.05 * good])
    return list(odds / odds.sum())


def _actual(indicator: object, skill: float, rng: np.random.Generator) -> float:
    method = getattr(indicator, "method", None)
    target = getattr(indicator, "target", None)
    baseline = getattr(indicator, "baseline", None)
    if method == "binary":
        if target is None:
            return float(rng.random() < skill)
        return float(target) * (1.0 if rng.random() < skill else 0.5)
    if method == "steps":
        top = max(step.threshold for step in indicator.steps)  # type: ignore[attr-defined]
        return round(float(top) * rng.uniform(0.4, 1.1) * skill / 0.8, 1)
    if baseline is not None and target is not None:
        low, high = sorted((float(baseline), float(target)))
        return round(rng.uniform(low, high + 0.1 * (high - low)), 1)
    return round(float(target or 100.0) * rng.uniform(0.6, 1.1) * skill / 0.8, 1)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def pipeline(
    data: documents.VersionData, lang: str, workers: int, htmls: list[str]
) -> Iterator[tuple[str, bytes]]:
    """Every scorecard then the summary through the reports pipeline (HTML kept in htmls)."""
    facts = data.facts(now=dt.datetime.now(dt.UTC), base_url="https://kh.example.cn")

    def kept() -> Iterator[tuple[str, str]]:
        for name, html in documents.iter_report_html(data, facts, lang, list):
            htmls.append(html)
            yield name, html

    with closing(documents.iter_pdfs(kept(), workers=workers)) as pdfs:
        yield from pdfs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=200)
    parser.add_argument("--lang", choices=documents.REPORT_LANGUAGES, default="zh_CN")
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--save", type=Path, help="Also write the PDFs into this folder.")
    parser.add_argument(
        "--workers", type=int, default=1, help="Processes making the PDFs (pipeline and ceiling)."
    )
    args = parser.parse_args()
    load_start = f"{os.getloadavg()[0]:.2f}"

    document = demo_rulebook_document()
    rulebook = parse_rulebook(document)
    inputs = make_inputs(rulebook, args.cadres, args.seed)
    t0 = time.perf_counter()
    result = compute_period_results(
        rulebook,
        inputs,
        summarise_survey=summarise_targets,
        resamples=args.resamples,
        seed=args.seed,
    )
    plain = result_to_plain(result)
    t_engine = time.perf_counter() - t0
    data = documents.VersionData(
        period=Stand(id=1, name="基准镇2026年度考核"),  # type: ignore[arg-type]
        version=Stand(  # type: ignore[arg-type]
            id=1, number=1, rules_digest=result.rules_digest, data_digest=result.data_digest
        ),
        payload={"result": plain, "rulebook": document},
        rulebook=rulebook,
        unit_names={str(u): f"第{u}村" for u in range(1, 21)},
    )
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-" + "x" * 40,
            "ACCESS_CODE_HASH_KEY": "bench-" + "y" * 40,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        }
    )
    with app.app_context():
        # Warm-up (fonts, templates), not timed.
        warm = data.facts(now=dt.datetime.now(dt.UTC), base_url="https://kh.example.cn")
        html_to_pdf(documents.scorecard_html(data, data.cadre_ids()[0], warm, args.lang))

        t1 = time.perf_counter()
        htmls: list[str] = []
        size = count = 0
        for name, pdf in pipeline(data, args.lang, args.workers, htmls):
            count += 1
            size += len(pdf)
            if args.save is not None:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / name).write_bytes(pdf)
        t_pipeline = time.perf_counter() - t1
        rss_pipeline = peak_rss_mib()

        t2 = time.perf_counter()
        ceiling = documents.iter_pdfs(
            ((str(i), html) for i, html in enumerate(htmls)), workers=args.workers
        )
        with closing(ceiling):
            for _ in ceiling:
                pass
        t_ceiling = time.perf_counter() - t2
        rss_after = peak_rss_mib()
        rss_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        # The part of the pipeline that is ours, alone: layout, context, template.
        t3 = time.perf_counter()
        facts = data.facts(now=dt.datetime.now(dt.UTC), base_url="https://kh.example.cn")
        for cadre_id in data.cadre_ids():
            documents.scorecard_html(data, cadre_id, facts, args.lang)
        documents.summary_html(data, facts, args.lang, [])
        t_html = time.perf_counter() - t3

    say(f"machine: nproc {os.cpu_count()}, {cpu_model()}, Python {platform.python_version()}")
    say(f"date: {dt.datetime.now(dt.UTC).isoformat(timespec='minutes')}")
    say(f"load average at start / end: {load_start} / {os.getloadavg()[0]:.2f}")
    say(
        f"period: {args.cadres} cadres, {len(inputs.ratings)} ratings, "
        f"{sum(len(s.scores) for s in inputs.surveys)} responses, {len(inputs.events)} events; "
        f"engine {t_engine:.1f} s ({args.resamples} resamples)"
    )
    say(f"reports: {count} PDFs ({count - 1} scorecards + summary), {size / 1e6:.1f} MB")
    say(f"PDF processes: {args.workers}")
    say(
        f"pipeline (layout, context, template, PDF): {t_pipeline:.1f} s, "
        f"{t_pipeline / count:.3f} s per report"
    )
    say(f"  peak RSS after it: {rss_pipeline:.0f} MiB")
    say(f"ceiling (html_to_pdf on the same HTML): {t_ceiling:.1f} s")
    say(f"  peak RSS after it: {rss_after:.0f} MiB")
    if args.workers > 1:
        say(f"  peak RSS of the largest worker process: {rss_workers:.0f} MiB")
    say(f"HTML alone (layout, context, template; no PDF): {t_html:.1f} s")
    say(f"ratio: {t_pipeline / t_ceiling:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
