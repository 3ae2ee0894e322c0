"""``sources.publish_votes``: a ballot indicator's votes and shares on the public notice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assessment.core.rulebook import parse_rulebook, rules_digest, to_plain
from tests.assessment.core.test_rulebook_sources import (
    BALLOT_SOURCES,
    PATH,
    _source_problems,
    with_sources,
)


def _sources(document):
    return parse_rulebook(document).indicator_sets[0].indicator("M1").sources


def test_publish_votes_parses_and_is_written_out():
    document = with_sources({**BALLOT_SOURCES, "publish_votes": True})
    assert _sources(document).publish_votes is True
    plain = to_plain(parse_rulebook(document))
    assert plain["posts"][0]["indicators"][5]["sources"]["publish_votes"] is True


def test_votes_are_not_published_by_default_and_old_digests_hold():
    # a rulebook written before the option and one saying false are the same rules
    before = parse_rulebook(with_sources(BALLOT_SOURCES))
    saying_false = parse_rulebook(with_sources({**BALLOT_SOURCES, "publish_votes": False}))
    assert before.indicator_sets[0].indicator("M1").sources.publish_votes is False
    assert rules_digest(before) == rules_digest(saying_false)
    published = parse_rulebook(with_sources({**BALLOT_SOURCES, "publish_votes": True}))
    assert rules_digest(published) != rules_digest(before)


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        ({"publish_votes": "yes"}, [(f"{PATH}.publish_votes", "not_a_boolean")]),
        (
            {"method": "satisfaction", "groups": None, "publish_votes": True},
            [(f"{PATH}.publish_votes", "not_used_by_method")],
        ),
    ],
)
def test_bad_publish_votes_names_the_field_path(change, problems):
    sources = {k: v for k, v in {**BALLOT_SOURCES, **change}.items() if v is not None}
    assert _source_problems(with_sources(sources)) == problems


def test_the_documented_schema_knows_publish_votes():
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = Path(__file__).resolve().parents[3] / "docs" / "rulebook.schema.json"
    validator = jsonschema.Draft202012Validator(json.loads(schema_path.read_text("utf-8")))
    document = with_sources({**BALLOT_SOURCES, "publish_votes": True})
    assert [e.message for e in validator.iter_errors(document)] == []
    assert [e.message for e in validator.iter_errors(to_plain(parse_rulebook(document)))] == []
    satisfaction = {k: v for k, v in BALLOT_SOURCES.items() if k != "groups"}
    refused = with_sources({**satisfaction, "method": "satisfaction", "publish_votes": True})
    assert list(validator.iter_errors(refused))
