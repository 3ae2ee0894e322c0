"""Write ``result-before-issue-13.json``: a result as the engine stored it before issue 13.

Run by a person against the engine of commit fb202c4^1 (the tree just before the numbers
branch added the declared precision, ICC intervals and the leniency spread)::

    git worktree add --detach /tmp/old-engine fb202c4^1
    (cd /tmp/old-engine && PYTHONPATH=. /path/to/.venv/bin/python \\
        /path/to/tests/data/make_old_result.py /path/to/tests/data/result-before-issue-13.json)

It imports that tree's own test builders (``make_rulebook``, ``county``), adds a survey
item matrix and a decision, computes with 30 bootstrap resamples, and writes
``result_to_plain`` of the result as canonical JSON, exactly what a result version stored.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from assessment.core.digest import canonical_json
from assessment.core.records import (
    CadreInput,
    DecisionInput,
    DecisionKind,
    SurveyItemsInput,
    result_to_plain,
)
from assessment.core.results import compute_period_results
from surveys.core.tally import summarise_targets
from tests.assessment.core.test_results import county, make_rulebook


def main(target: str) -> None:
    """Compute the old-format result and write it to ``target``."""
    base = county()
    rng = np.random.default_rng(20260101)
    items = rng.integers(1, 6, size=(40, 5)).astype(np.float64)
    extra = CadreInput("c99", "099", "Zhao", "P", "u0")
    inputs = type(base)(
        cadres=(*base.cadres, extra),
        units=base.units,
        actuals=base.actuals,
        ratings=base.ratings,
        events=base.events,
        surveys=base.surveys,
        survey_items=(SurveyItemsInput("s1", items),),
        decisions=tuple(
            DecisionInput("c99", code, DecisionKind.SCORE_ZERO, "no task this year")
            for code in ("Q1", "Q2", "S1", "I1")
        ),
    )
    result = compute_period_results(
        make_rulebook(post_stratification=True),
        inputs,
        summarise_survey=summarise_targets,
        resamples=30,
        seed=7,
    )
    Path(target).write_text(canonical_json(result_to_plain(result)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
