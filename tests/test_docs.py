"""The documented rulebook schema accepts the example rulebooks and the canonical form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from assessment.core.rulebook import Label, default_document, parse_rulebook, to_plain

jsonschema = pytest.importorskip("jsonschema")  # a test dependency (pyproject dev extras)

DOCS = Path(__file__).resolve().parents[1] / "docs"
EXAMPLES = sorted((DOCS / "examples" / "rulebooks").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((DOCS / "rulebook.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_there_are_two_examples():
    assert [p.name for p in EXAMPLES] == ["township.yaml", "village.yaml"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_matches_the_schema_and_its_canonical_form_too(validator, path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(data)] == []
    assert [e.message for e in validator.iter_errors(to_plain(parse_rulebook(data)))] == []


def test_schema_refuses_what_the_validator_refuses_in_shape(validator):
    data = yaml.safe_load(EXAMPLES[0].read_text(encoding="utf-8"))
    data["posts"][0]["indicators"][0]["weight"] = "ten"
    data["grading"]["top_quota"] = 0
    assert len(list(validator.iter_errors(data))) >= 2


def test_empty_default_document_matches_the_schema(validator):
    assert list(validator.iter_errors(default_document(Label("细则", "Rules")))) == []


def test_rulebook_doc_names_every_problem_code():
    from assessment.views.messages import RULEBOOK_PROBLEM_MESSAGES

    text = (DOCS / "rulebook.md").read_text(encoding="utf-8")
    missing = [code for code in RULEBOOK_PROBLEM_MESSAGES if f"`{code}`" not in text]
    assert not missing


def test_efficacy_piecewise_and_precision_match_the_schema(validator):
    data = yaml.safe_load(EXAMPLES[0].read_text(encoding="utf-8"))
    quantitative = [i for i in data["posts"][0]["indicators"] if i["kind"] == "quantitative"]
    first, second = quantitative[0], quantitative[1]
    for item in (first, second):
        for key in ("baseline", "target", "steps", "cap", "direction"):
            item.pop(key, None)
    first.update(method="efficacy", unacceptable=60, satisfactory=100, floor=0.2)
    second.update(
        method="piecewise",
        breakpoints=[{"actual": 60, "ratio": 0.6}, {"actual": 100, "ratio": 1}],
    )
    data["precision"] = {"places": 1, "rounding": "half_even"}
    assert [e.message for e in validator.iter_errors(data)] == []
    assert [e.message for e in validator.iter_errors(to_plain(parse_rulebook(data)))] == []
    # and the schema refuses the parameters of one method on another
    first["breakpoints"] = second["breakpoints"]
    assert list(validator.iter_errors(data))


def test_rollup_indicators_and_eligibility_rules_match_the_schema(validator):
    from assessment.services.demo import year_round_documents

    quarter, annual = year_round_documents()
    for document in (quarter, annual):
        assert [e.message for e in validator.iter_errors(document)] == []
        assert [e.message for e in validator.iter_errors(to_plain(parse_rulebook(document)))] == []
    annual["eligibility"][0]["at_most"] = 1  # both limits: refused by shape too
    assert list(validator.iter_errors(annual))
