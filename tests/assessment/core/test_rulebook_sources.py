"""Survey indicators that name their sources: parsing with paths, canonical form, words."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from assessment.core.rulebook import (
    SurveySources,
    VoterGroupWeight,
    describe_indicator,
    parse_rulebook,
    rules_digest,
    to_plain,
)
from tests.assessment.core.test_rulebook import _indicator, _problems, valid_document

BALLOT_SOURCES: dict[str, Any] = {
    "surveys": ["mzcp-bz", "mzcp-zg", "mzcp-qz"],
    "questions": ["grade"],
    "method": "ballot",
    "min_responses": 3,
    "groups": [
        {"group": "leaders", "weight": 30},
        {"group": "staff", "weight": 40},
        {"group": "public", "weight": 30},
    ],
}


def _source_problems(document: Any) -> list[tuple[str, str]]:
    """The problems of the sources (a refused indicator also leaves its category empty)."""
    return [p for p in _problems(document) if p[1] != "category_without_indicators"]


def with_sources(sources: Any) -> dict[str, Any]:
    document = valid_document()
    _indicator(document, "M1")["sources"] = copy.deepcopy(sources)
    return document


PATH = "posts[0].indicators[5].sources"


def test_ballot_sources_parse_with_defaults_written_out():
    book = parse_rulebook(with_sources(BALLOT_SOURCES))
    sources = book.indicator_sets[0].indicator("M1").sources
    assert sources == SurveySources(
        surveys=("mzcp-bz", "mzcp-zg", "mzcp-qz"),
        questions=("grade",),
        method="ballot",
        groups=(
            VoterGroupWeight("leaders", 30.0),
            VoterGroupWeight("staff", 40.0),
            VoterGroupWeight("public", 30.0),
        ),
        min_responses=3,
    )
    assert sources.coefficient_of == {
        "excellent": 1.0,
        "competent": 0.8,
        "basic": 0.6,
        "incompetent": 0.0,
    }
    plain = to_plain(book)
    written = next(i for i in plain["posts"][0]["indicators"] if i["code"] == "M1")["sources"]
    assert written["coefficients"] == {
        "excellent": 1,
        "competent": 0.8,
        "basic": 0.6,
        "incompetent": 0,
    }
    assert parse_rulebook(plain) == book


def test_an_indicator_without_sources_keeps_its_digest():
    """No ``sources`` key is written for an indicator without one: old digests hold."""
    document = valid_document()
    plain = to_plain(parse_rulebook(document))
    assert "sources" not in _indicator(plain, "M1")
    assert rules_digest(parse_rulebook(document)) == rules_digest(parse_rulebook(plain))


def test_satisfaction_sources_default_method_and_min_responses():
    book = parse_rulebook(with_sources({"surveys": ["cmmy"], "min_responses": 30}))
    sources = book.indicator_sets[0].indicator("M1").sources
    assert (sources.method, sources.questions, sources.min_responses) == ("satisfaction", (), 30)
    assert "groups" not in to_plain(book)["posts"][0]["indicators"][5]["sources"]


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        ({"surveys": []}, [(f"{PATH}.surveys", "empty")]),
        ({"surveys": ["a b"]}, [(f"{PATH}.surveys[0]", "bad_code")]),
        ({"surveys": ["a", "a"]}, [(f"{PATH}.surveys[1]", "duplicate_code")]),
        ({"method": "vote"}, [(f"{PATH}.method", "unknown_choice")]),
        ({"min_responses": 0}, [(f"{PATH}.min_responses", "out_of_range")]),
        ({"min_responses": 2.5}, [(f"{PATH}.min_responses", "not_an_integer")]),
        (
            {"groups": [{"group": "leaders", "weight": 0}, {"group": "staff", "weight": 40}]},
            [(f"{PATH}.groups[0].weight", "not_positive")],
        ),
        (
            {"groups": [{"group": "staff", "weight": -5}]},
            [(f"{PATH}.groups[0].weight", "not_positive")],
        ),
        (
            {"groups": [{"group": "staff", "weight": 1}, {"group": "staff", "weight": 2}]},
            [(f"{PATH}.groups[1].group", "duplicate_code")],
        ),
        ({"groups": []}, [(f"{PATH}.groups", "empty")]),
        ({"groups": [{"group": "staff"}]}, [(f"{PATH}.groups[0].weight", "missing")]),
        ({"quorum_share": 1.5}, [(f"{PATH}.quorum_share", "out_of_range")]),
        ({"quorum_share": 0}, [(f"{PATH}.quorum_share", "not_positive")]),
        (
            {"coefficients": {"excellent": 1, "competent": 0.8, "basic": 0.9, "incompetent": 0}},
            [(f"{PATH}.coefficients.basic", "coefficient_above_better_grade")],
        ),
        (
            {"coefficients": {"excellent": 1.2, "competent": 0.8, "basic": 0.6, "incompetent": 0}},
            [(f"{PATH}.coefficients.excellent", "out_of_range")],
        ),
        ({"voters": 3}, [(f"{PATH}.voters", "unknown_field")]),
    ],
)
def test_bad_ballot_sources_name_the_field_path(change, problems):
    assert _source_problems(with_sources({**BALLOT_SOURCES, **change})) == problems


SATISFACTION_GROUPS: dict[str, Any] = {
    "surveys": ["mzcp-zg", "mzcp-qz"],
    "min_responses": 5,
    "groups": [{"group": "staff", "weight": 0.6}, {"group": "public", "weight": 0.4}],
}


def test_ballot_needs_groups_and_satisfaction_takes_them_but_no_ballot_key():
    no_groups = {k: v for k, v in BALLOT_SOURCES.items() if k != "groups"}
    assert _source_problems(with_sources(no_groups)) == [(f"{PATH}.groups", "missing_for_method")]
    satisfaction = {**SATISFACTION_GROUPS, "coefficients": BALLOT_SOURCES.get("coefficients", {})}
    assert _source_problems(with_sources(satisfaction)) == [
        (f"{PATH}.coefficients", "not_used_by_method")
    ]
    assert _source_problems(with_sources({"questions": ["q1"]})) == [(f"{PATH}.surveys", "missing")]


def test_satisfaction_groups_parse_and_are_written_back():
    book = parse_rulebook(with_sources(SATISFACTION_GROUPS))
    sources = book.indicator_sets[0].indicator("M1").sources
    assert (sources.method, sources.groups) == (
        "satisfaction",
        (VoterGroupWeight("staff", 0.6), VoterGroupWeight("public", 0.4)),
    )
    plain = to_plain(book)
    assert _indicator(plain, "M1")["sources"]["groups"] == SATISFACTION_GROUPS["groups"]
    assert rules_digest(parse_rulebook(plain)) == rules_digest(book)


@pytest.mark.parametrize(
    ("groups", "problems"),
    [
        ([{"group": "staff", "weight": 0}], [(f"{PATH}.groups[0].weight", "not_positive")]),
        (
            [{"group": "staff", "weight": 0.6}, {"group": "public", "weight": -0.4}],
            [(f"{PATH}.groups[1].weight", "not_positive")],
        ),
        ([{"group": "staff", "weight": "0.6"}], [(f"{PATH}.groups[0].weight", "not_a_number")]),
        ([{"group": "a/b", "weight": 1}], [(f"{PATH}.groups[0].group", "bad_code")]),
        ([{"group": "staff", "share": 1}], None),
        ([], [(f"{PATH}.groups", "empty")]),
    ],
)
def test_bad_satisfaction_groups_name_the_path(groups, problems):
    found = _source_problems(with_sources({**SATISFACTION_GROUPS, "groups": groups}))
    if problems is None:  # an unknown key and the weight it lacks
        problems = [
            (f"{PATH}.groups[0].share", "unknown_field"),
            (f"{PATH}.groups[0].weight", "missing"),
        ]
    assert sorted(found) == sorted(problems)


def test_sources_only_on_survey_indicators():
    document = valid_document()
    _indicator(document, "Q1")["sources"] = {"surveys": ["x"]}
    assert _problems(document) == [("posts[0].indicators[4].sources", "unknown_field")]


def test_describe_carries_the_sources():
    book = parse_rulebook(with_sources(BALLOT_SOURCES))
    summary = describe_indicator(book.indicator_sets[0].indicator("M1"), book)
    assert summary.sources is not None and summary.sources.method == "ballot"


def test_the_documented_schema_accepts_sources_and_groups_on_satisfaction():
    import json
    from pathlib import Path

    jsonschema = pytest.importorskip("jsonschema")
    schema_path = Path(__file__).resolve().parents[3] / "docs" / "rulebook.schema.json"
    validator = jsonschema.Draft202012Validator(json.loads(schema_path.read_text("utf-8")))
    document = with_sources(BALLOT_SOURCES)
    assert [e.message for e in validator.iter_errors(document)] == []
    assert [e.message for e in validator.iter_errors(to_plain(parse_rulebook(document)))] == []
    assert [e.message for e in validator.iter_errors(with_sources(SATISFACTION_GROUPS))] == []
    assert list(validator.iter_errors(with_sources({**SATISFACTION_GROUPS, "coefficients": {}})))
    bad_weight = {**SATISFACTION_GROUPS, "groups": [{"group": "staff", "weight": 0}]}
    assert list(validator.iter_errors(with_sources(bad_weight)))
    assert list(
        validator.iter_errors(
            with_sources({k: v for k, v in BALLOT_SOURCES.items() if k != "groups"})
        )
    )
