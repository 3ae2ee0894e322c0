"""The one reader of a stored result: ``result_from_plain`` inverts ``result_to_plain``.

Every check compares against a result the engine computed (never a hand-written
dictionary): the worked rulebook of ``test_results`` with post-stratification, decisions,
events, item matrices and the bootstrap; random periods drawn by hypothesis; and a result
written by the engine as it was before issue 13 (``tests/data/result-before-issue-13.json``,
made by ``tests/data/make_old_result.py`` against commit fb202c4^1), which has no
declared precision, no ICC interval and no leniency spread.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from assessment.core.digest import canonical_json
from assessment.core.errors import InvalidParameterError
from assessment.core.precision import DEFAULT_PRECISION, Precision
from assessment.core.records import (
    CadreInput,
    DecisionInput,
    DecisionKind,
    GradeCap,
    PeriodInputs,
    PeriodResult,
    SurveyItemsInput,
    result_from_plain,
    result_to_plain,
)
from tests.assessment.core.test_results import (
    cadre_p,
    compute,
    county,
    make_rulebook,
    merge,
    periods,
)

OLD_RESULT = Path(__file__).parents[2] / "data" / "result-before-issue-13.json"


def rich_inputs() -> PeriodInputs:
    """``county()`` plus an item matrix and a cadre scored zero by decisions."""
    base = county()
    items = np.random.default_rng(20260101).integers(1, 6, size=(40, 5)).astype(np.float64)
    return PeriodInputs(
        cadres=(*base.cadres, CadreInput("c99", "099", "Zhao", "P", "u0")),
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


def stored(plain: dict[str, Any]) -> dict[str, Any]:
    """What a result version holds: the canonical JSON text, read back."""
    loaded: dict[str, Any] = json.loads(canonical_json(plain))
    return loaded


def test_round_trip_of_a_computed_result_through_its_stored_json():
    result = compute(make_rulebook(post_stratification=True), rich_inputs(), resamples=40, seed=3)
    plain = stored(result_to_plain(result))
    read = result_from_plain(plain)
    assert isinstance(read, PeriodResult)
    assert result_to_plain(read) == plain
    # the typed records hold what the engine computed, not only the same plain form
    assert read.cadres == result.cadres
    assert read.groups == result.groups
    assert read.missing == result.missing
    assert read.confidence == result.confidence
    assert read.precision == result.precision
    assert read.cadre("c99").indicators[0].reason == "no task this year"
    assert read.missing[0].decision is DecisionKind.SCORE_ZERO


def test_a_number_stored_as_null_because_it_was_nan_reads_as_nan():
    result = compute(make_rulebook(), merge(cadre_p("a", scores=(80.0,))))
    plain = stored(result_to_plain(result))
    assert plain["surveys"][0]["ci_low"] is None  # one response: no interval
    read = result_from_plain(plain)
    assert math.isnan(read.surveys[0].ci_low)
    assert result_to_plain(read) == plain


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(periods())
def test_property_round_trip_on_random_periods(inputs):
    result = compute(make_rulebook(), inputs, resamples=5)
    plain = stored(result_to_plain(result))
    assert result_to_plain(result_from_plain(plain)) == plain


def test_result_stored_before_issue_13_reads_with_the_defaults_it_was_computed_under():
    old = json.loads(OLD_RESULT.read_text(encoding="utf-8"))
    assert "precision" not in old and "spread" not in old["leniency"][0]
    read = result_from_plain(old)
    assert read.precision == DEFAULT_PRECISION == Precision(2, "half_up")
    assert read.agreement[0].icc2_k_low is None and read.leniency[0].spread is None
    assert read.cadre("c99").total == 0.0
    # the round trip gives the old result back, plus exactly the fields it lacked
    expected = copy.deepcopy(old)
    expected["precision"] = {"places": 2, "rounding": "half_up"}
    for entry in expected["agreement"]:
        entry.update(icc2_k_low=None, icc2_k_high=None)
    for entry in expected["leniency"]:
        entry["spread"] = None
    # issue 14: every indicator outcome carries its ballot tally (None when not a ballot)
    # issue 15: every indicator outcome carries the sub-periods it rolled up (none when
    # not a roll-up) and every cadre the eligibility caps on its grade (none before)
    for cadre in expected["cadres"]:
        cadre["eligibility"] = []
        for indicator in cadre["indicators"]:
            indicator["ballot"] = None
            indicator["children"] = []
        # issue 14 (caps): the list of grade caps and the one applied
        cadre.update(caps=[], grade_cap=None)
    # issue 16: each group's quota says its share and rounding and where it came from;
    # a result stored before it has no share (unknown) and was rounded down
    for group in expected["groups"]:
        group.update(share=None, rounding="down", quota_group=None, unit=None, unit_grade=None)
    assert result_to_plain(read) == expected


def test_result_stored_before_caps_reads_its_veto_as_a_grade_cap():
    # the old result keeps only veto_cap: c10's veto V1 capped the grade at basic
    read = result_from_plain(json.loads(OLD_RESULT.read_text(encoding="utf-8")))
    c10 = read.cadre("c10")
    assert c10.caps == () and c10.grade_cap is None
    assert c10.grade_caps == (GradeCap("basic", "veto", "V1"),)
    assert c10.applied_cap == "basic"
    assert read.cadre("c99").grade_caps == () and read.cadre("c99").applied_cap is None


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda p: p["cadres"][1].pop("total"), "cadres[1].total", "missing_field"),
        (lambda p: p["cadres"][0].update(totl=1.0), "cadres[0].totl", "unknown_field"),
        (lambda p: p["cadres"][2].update(rank="1"), "cadres[2].rank", "not_an_integer"),
        (lambda p: p["cadres"][0].update(total="90"), "cadres[0].total", "not_a_number"),
        (lambda p: p["missing"][0].update(decision="guess"), "missing[0].decision", "unknown_code"),
        (lambda p: p.update(cadres={}), "cadres", "not_a_list"),
        (lambda p: p.pop("rules_digest"), "rules_digest", "missing_field"),
    ],
)
def test_a_damaged_result_is_refused_naming_the_field(change, field, reason):
    result = compute(make_rulebook(post_stratification=True), rich_inputs())
    plain = stored(result_to_plain(result))
    change(plain)
    with pytest.raises(InvalidParameterError) as raised:
        result_from_plain(plain)
    assert (raised.value.name, raised.value.reason) == (field, reason)
