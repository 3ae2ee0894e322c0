"""Report layouts on plain results: formatting, rows, printed fields and their digests.

``RESULT`` is a hand-written plain result (the shape of ``result_to_plain``) of three
cadres in two post groups; the expected strings are written out by hand from it. One
test builds a result with the real engine and checks the fields against it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math

import pytest

from assessment.core.errors import InvalidParameterError
from assessment.core.records import result_to_plain
from reports.core.layout import (
    format_number,
    format_rank,
    format_share,
    layout_notice,
    layout_scorecard,
    layout_summary,
    notice_fields,
    rows_digest,
    scorecard_fields,
    summary_fields,
)
from tests.assessment.core.test_results import cadre_p, compute, make_rulebook, merge

FACTS = {
    "period_name": "2026年度",
    "version_number": 3,
    "rules_digest": "r" * 64,
    "data_digest": "d" * 64,
}


def _indicator(code, kind, points, *, input_, weight=50.0, status="scored", reason=None, n=None):
    return {
        "code": code,
        "kind": kind,
        "category": "work",
        "weight": weight,
        "effective_weight": weight,
        "status": status,
        "input": input_,
        "method": "linear" if kind == "quantitative" else "mean",
        "ratio": None if input_ is None else points / weight,
        "points": points,
        "n": n,
        "trimmed": None,
        "survey_target": None,
        "reason": reason,
    }


def _cadre(cid, code, group, rank, total, grade, *, unit="7", indicators=(), events=()):
    return {
        "id": cid,
        "code": code,
        "name": f"姓名{cid}",
        "post": group,
        "unit": unit,
        "post_group": group,
        "indicators": list(indicators),
        "events": list(events),
        "points": total,
        "bonus": 0.0,
        "penalty": 0.0,
        "bonus_raw": 0.0,
        "penalty_raw": 0.0,
        "bonus_capped": False,
        "penalty_capped": False,
        "floored": False,
        "total": total,
        "survey_key": None,
        "panel_key": None,
        "vetoes": [],
        "veto_cap": None,
        "rank": rank,
        "earned": grade,
        "grade": grade,
        "veto_capped": False,
        "dropped_by_quota": False,
        "tie_dropped": False,
    }


RESULT = {
    "cadres": [
        _cadre(
            "10",
            "QS010",
            "VSEC",
            1,
            87.125,
            "competent",
            indicators=[
                _indicator("Q1", "quantitative", 45.0, input_=92.0),
                _indicator("I1", "qualitative", 42.125, input_=84.25, n=3),
            ],
            events=[{"code": "B1", "kind": "bonus", "count": 2, "points": 4.0}],
        ),
        _cadre(
            "2",
            "QS002",
            "VSEC",
            2,
            60.0,
            "basic",
            indicators=[
                _indicator(
                    "Q1", "quantitative", 0.0, input_=None, status="score_zero", reason="未开展"
                ),
                _indicator("I1", "qualitative", 60.0, input_=100.0 * 60 / 50, n=3),
            ],
        ),
        _cadre("3", "QS003", "GRID", 1, 91.0, "excellent", unit="8"),
    ],
    "groups": [
        {"post_group": "GRID", "size": 1, "allowed": 0},
        {"post_group": "VSEC", "size": 2, "allowed": 0},
    ],
    "confidence": {
        "resamples": 200,
        "seed": 1,
        "level": 0.95,
        "cadres": [
            {
                "cadre": "10",
                "post_group": "VSEC",
                "probabilities": {"excellent": 0.1, "competent": 0.875, "basic": 0.025},
                "rank_high": 2,
                "rank_low": 1,
            }
        ],
    },
    "surveys": [
        {
            "indicator": "S1",
            "subject": "cadre",
            "target": "10",
            "n": 30,
            "n_invalid": 1,
            "n_excluded": 2,
            "households": 400,
            "response_rate": 0.075,
        },
        {
            "indicator": "S1",
            "subject": "cadre",
            "target": "2",
            "n": 10,
            "n_invalid": 0,
            "n_excluded": 0,
            "households": 400,
            "response_rate": 0.025,
        },
        {
            "indicator": "S2",
            "subject": "unit",
            "target": "8",
            "n": 90,
            "n_invalid": 0,
            "n_excluded": 0,
            "households": 300,
            "response_rate": 0.3,
        },
    ],
    "agreement": [
        {
            "post": "VSEC",
            "indicator": "I1",
            "n_cadres": 2,
            "n_assessors": 3,
            "n_dropped": 0,
            "icc2_k": 0.42,
            "kendall_w": 0.8,
            "kendall_p": 0.0312,
            "status": "ok",
        },
        {
            "post": "GRID",
            "indicator": "I1",
            "n_cadres": 1,
            "n_assessors": 3,
            "n_dropped": 0,
            "icc2_k": None,
            "kendall_w": None,
            "kendall_p": None,
            "status": "insufficient_data",
        },
    ],
    "leniency": [
        {
            "assessor": "10",
            "mean_deviation": 1.5,
            "standardized": 2.4,
            "n_ratings": 6,
            "flagged": True,
        },
        {
            "assessor": "9",
            "mean_deviation": -0.5,
            "standardized": -0.8,
            "n_ratings": 6,
            "flagged": False,
        },
    ],
    "reliability": [
        {
            "survey": "S1",
            "alpha": 0.65,
            "ci_low": 0.5,
            "ci_high": 0.77,
            "n_respondents": 40,
            "k_items": 4,
            "n_dropped": 0,
        },
    ],
    "missing": [
        {
            "kind": "actual",
            "cadre": "2",
            "indicator": "Q1",
            "subject": "",
            "decision": "score_zero_with_reason",
        }
    ],
    "settings": {"low_response_rate": 0.2, "low_agreement": 0.5, "low_alpha": 0.7},
}


# --- formatting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (87.5, 2, "87.50"),
        (88.11666666666667, 2, "88.12"),
        (0.125, 2, "0.12"),  # exactly representable: ties to even
        (2.675, 2, "2.67"),  # 2.67499999... in binary
        (-0.001, 2, "0.00"),  # no negative zero
        (-1.5, 2, "-1.50"),
        (3, 0, "3"),
        (None, 2, "-"),
        (math.nan, 2, "-"),
        (math.inf, 2, "-"),
        (True, 2, "-"),
    ],
)
def test_format_number(value, places, text):
    assert format_number(value, places) == text


def test_format_share_and_rank():
    assert format_share(0.875) == "87.5%"
    assert format_share(0.0) == "0.0%"
    assert format_share(None) == "-"
    assert format_share(0.2, 0) == "20%"
    assert format_rank(3, 12) == "3/12"


def test_rows_digest_is_the_first_16_hex_of_sha256_of_the_rows_json():
    rows = [["1/2", "QS010", "87.13"], ["2/2", "QS002", "60.00"]]
    text = json.dumps(rows, separators=(",", ":"), ensure_ascii=False)
    assert rows_digest(rows) == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert rows_digest(rows) != rows_digest(rows[::-1])


# --- scorecard -------------------------------------------------------------------


def test_scorecard_fields_in_order_with_the_printed_values():
    assert scorecard_fields(RESULT, "10", **FACTS) == (
        ("period", "2026年度"),
        ("version", "3"),
        ("cadre", "QS010"),
        ("name", "姓名10"),
        ("post", "VSEC"),
        ("input.Q1", "92.00"),
        ("points.Q1", "45.00"),
        ("input.I1", "84.25"),
        ("points.I1", "42.13"),  # 42.125 printed half up, the declared rounding
        ("events.B1", "2"),
        ("event_points.B1", "4.00"),
        ("bonus", "0.00"),
        ("penalty", "0.00"),
        ("total", "87.13"),
        ("grade", "competent"),
        ("rank", "1/2"),
        ("grade_probability", "87.5%"),
        ("rank_interval", "1-2"),
        ("rules_digest", "r" * 64),
        ("data_digest", "d" * 64),
    )


def test_scorecard_rows_match_the_fields_and_the_group():
    card = layout_scorecard(RESULT, "2", **FACTS)
    assert [r.code for r in card.indicators] == ["Q1", "I1"]
    q1 = card.indicators[0]
    assert (q1.input, q1.points, q1.status, q1.reason) == ("-", "0.00", "score_zero", "未开展")
    assert dict(card.fields)["input.Q1"] == q1.input
    assert card.rank == "2/2" and card.group_size == 2
    assert sorted(card.group_totals) == [60.0, 87.125]
    assert card.total_value == 60.0
    # No bootstrap entry for this cadre: no confidence fields.
    assert card.confidence == () and "grade_probability" not in dict(card.fields)


def test_scorecard_confidence_sorted_by_probability():
    card = layout_scorecard(RESULT, "10", **FACTS)
    assert [(c.grade, c.share) for c in card.confidence] == [
        ("competent", "87.5%"),
        ("excellent", "10.0%"),
        ("basic", "2.5%"),
    ]
    assert card.resamples == 200


@pytest.mark.parametrize("cadre_id", ["99", ""])
def test_scorecard_of_an_unknown_cadre_is_refused(cadre_id):
    with pytest.raises(InvalidParameterError) as raised:
        layout_scorecard(RESULT, cadre_id, **FACTS)
    assert raised.value.reason == "not_in_result"


@pytest.mark.parametrize(
    ("change", "name"),
    [({"period_name": None}, "period_name"), ({"version_number": "3"}, "version_number")],
)
def test_bad_facts_are_refused(change, name):
    with pytest.raises(InvalidParameterError) as raised:
        scorecard_fields(RESULT, "10", **{**FACTS, **change})
    assert raised.value.name == name


def test_not_a_plain_result_is_refused():
    with pytest.raises(InvalidParameterError):
        layout_summary({"cadres": None}, **FACTS)


# --- summary ---------------------------------------------------------------------


def test_summary_groups_rankings_and_grade_counts():
    summary = layout_summary(RESULT, **FACTS)
    assert [g.post_group for g in summary.groups] == ["GRID", "VSEC"]
    vsec = summary.groups[1]
    assert [(r.rank, r.code, r.total) for r in vsec.rows] == [
        ("1/2", "QS010", "87.13"),
        ("2/2", "QS002", "60.00"),
    ]
    assert vsec.grade_counts == (("basic", 1), ("competent", 1))
    assert summary.grade_counts == (("basic", 1), ("competent", 1), ("excellent", 1))
    fields = dict(summary.fields)
    assert fields["cadres"] == "3"
    assert (fields["group.GRID"], fields["group.VSEC"]) == ("1", "2")
    assert fields["grades.excellent"] == "1"
    expected_rankings = rows_digest(
        [
            ("GRID", "1/1", "QS003", "姓名3", "GRID", "8", "91.00", "excellent"),
            ("VSEC", "1/2", "QS010", "姓名10", "VSEC", "7", "87.13", "competent"),
            ("VSEC", "2/2", "QS002", "姓名2", "VSEC", "7", "60.00", "basic"),
        ]
    )
    assert fields["rankings"] == expected_rankings


def test_summary_response_rates_per_unit():
    rates = layout_summary(RESULT, **FACTS).response_rates
    # S1 about cadres: both cadres are in unit 7 -> one row, 30 + 10 responses,
    # the mean of 7.5% and 2.5% = 5.0%, below the 20% threshold.
    s1 = rates[0]
    assert (s1.indicator, s1.unit, s1.targets, s1.responses, s1.excluded, s1.invalid) == (
        "S1",
        "7",
        2,
        40,
        2,
        1,
    )
    assert (s1.households, s1.rate, s1.low) == ("400", "5.0%", True)
    s2 = rates[1]
    assert (s2.indicator, s2.subject, s2.unit, s2.rate, s2.low) == (
        "S2",
        "unit",
        "8",
        "30.0%",
        False,
    )
    assert layout_summary(RESULT, **FACTS).excluded_responses == 2


def test_summary_quality_tables_flag_and_hide_assessor_ids():
    summary = layout_summary(RESULT, **FACTS)
    assert [(a.post, a.icc, a.kendall_p, a.low) for a in summary.agreement] == [
        ("VSEC", "0.42", "0.031", True),
        ("GRID", "-", "-", False),
    ]
    # Letters in the order of the assessor ids as numbers ("9" before "10").
    assert [(a.label, a.assessor, a.flagged) for a in summary.leniency] == [
        ("A", "9", False),
        ("B", "10", True),
    ]
    assert [(r.alpha, r.ci, r.low) for r in summary.reliability] == [("0.65", "0.50-0.77", True)]
    missing = summary.missing[0]
    assert (missing.cadre_code, missing.indicator, missing.decision, missing.reason) == (
        "QS002",
        "Q1",
        "score_zero_with_reason",
        "未开展",
    )


def test_summary_fields_change_when_any_total_changes():
    edited = copy.deepcopy(RESULT)
    edited["cadres"][1]["total"] = 60.01
    before, after = dict(summary_fields(RESULT, **FACTS)), dict(summary_fields(edited, **FACTS))
    assert before["rankings"] != after["rankings"]
    assert {k for k in before if before[k] != after[k]} == {"rankings"}


# --- notice ----------------------------------------------------------------------


def test_notice_fields_carry_the_dates():
    notice = layout_notice(RESULT, **FACTS, starts_on="2026-12-07", ends_on="2026-12-11")
    fields = dict(notice.fields)
    assert (fields["starts_on"], fields["ends_on"], fields["cadres"]) == (
        "2026-12-07",
        "2026-12-11",
        "3",
    )
    assert [r.code for r in notice.rows] == ["QS003", "QS010", "QS002"]
    assert (
        notice_fields(RESULT, **FACTS, starts_on="2026-12-07", ends_on="2026-12-11")
        == notice.fields
    )


@pytest.mark.parametrize(("start", "end"), [("2026-12-7", "2026-12-11"), ("2026-12-07", None)])
def test_notice_refuses_dates_that_are_not_iso(start, end):
    with pytest.raises(InvalidParameterError):
        layout_notice(RESULT, **FACTS, starts_on=start, ends_on=end)


# --- on a result of the real engine ---------------------------------------------


def test_fields_of_an_engine_result_print_its_totals_and_points():
    result = result_to_plain(
        compute(make_rulebook(), merge(cadre_p("a", q1=80.0), cadre_p("b", q1=60.0)))
    )
    for cadre in result["cadres"]:
        fields = dict(scorecard_fields(result, cadre["id"], **FACTS))
        assert fields["total"] == f"{cadre['total']:.2f}"
        for item in cadre["indicators"]:
            assert fields[f"points.{item['code']}"] == f"{item['points']:.2f}"
        assert fields["rank"] == f"{cadre['rank']}/2"
    assert dict(summary_fields(result, **FACTS))["cadres"] == "2"
