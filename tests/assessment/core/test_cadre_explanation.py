"""One cadre's explanation, built once for the portal and the PDF (explain_cadre_result).

Results come from the engine on the worked rulebook of ``test_results``; the expected
values are the engine's own stored numbers (the explanation may not change them) and
the sums written out below.
"""

from __future__ import annotations

import dataclasses
import math

from assessment.core.explain import explain_cadre, explain_cadre_result
from assessment.core.records import DecisionInput, DecisionKind, EventInput, record_to_plain
from tests.assessment.core.test_results import cadre_p, compute, make_rulebook, merge


def period():
    rb = make_rulebook()
    inputs = merge(
        cadre_p("a", q1=90.0),
        cadre_p("b", q1=60.0, scores=(100.0, 100.0, 50.0)),
        cadre_p("c", q1=80.0),
        events=(EventInput("e1", "a", "B1"), EventInput("e2", "a", "P1")),
    )
    return rb, compute(rb, inputs, resamples=30)


def test_explanation_holds_the_stored_numbers_and_their_formulas():
    rb, result = period()
    view = explain_cadre_result(result, "a", rb)
    stored = result.cadre("a")
    assert view.explained and view.problems == ()
    assert view.cadre == stored
    assert [i.outcome for i in view.indicators] == list(stored.indicators)
    # the formulas are explain_cadre's, one implementation for every reader
    assert [i.explanation for i in view.indicators] == list(
        explain_cadre(record_to_plain(stored), rb)
    )
    assert view.total is not None and view.total.total == stored.total
    assert [e.explanation.code for e in view.events] == ["B1", "P1"]
    # the scored survey indicator carries its target's index and interval
    survey = next(i for i in view.indicators if i.outcome.kind == "survey")
    assert survey.survey is not None and survey.survey.index == survey.outcome.input
    assert all(i.survey is None for i in view.indicators if i.outcome.kind != "survey")


def test_categories_add_up_to_the_points_and_the_group_is_described_without_names():
    rb, result = period()
    view = explain_cadre_result(result, "b", rb)
    assert [c.code for c in view.categories] == ["work", "sat", "inno"]
    assert math.isclose(sum(c.points for c in view.categories), view.cadre.points)
    # the mean of "work" over a, b, c, from the stored points of Q1 and Q2
    work = [sum(o.points for o in c.indicators if o.category == "work") for c in result.cadres]
    assert math.isclose(view.categories[0].mean, sum(work) / 3)
    assert sorted(view.group_totals) == sorted(c.total for c in result.cadres)
    assert view.group_size == 3 and view.quota is not None and view.quota.size == 3
    assert view.confidence is not None and view.confidence.cadre == "b"


def test_a_decision_is_explained_with_its_reason():
    rb = make_rulebook()
    inputs = merge(
        cadre_p("a"),
        cadre_p("b"),
        decisions=(DecisionInput("a", "Q1", DecisionKind.SCORE_ZERO, "no such task"),),
    )
    inputs = dataclasses.replace(
        inputs, actuals=tuple(x for x in inputs.actuals if (x.cadre, x.indicator) != ("a", "Q1"))
    )
    view = explain_cadre_result(compute(rb, inputs), "a", rb)
    q1 = view.indicators[0]
    assert q1.outcome.status == "score_zero" and q1.outcome.reason == "no such task"
    assert q1.explanation is not None and q1.explanation.points == 0.0


def test_numbers_the_rulebook_cannot_give_are_named_not_explained():
    rb, result = period()
    # the rulebook of another version: Q1 aims at 120 instead of 100
    p = rb.indicator_sets[0]
    other = dataclasses.replace(
        rb,
        indicator_sets=(
            dataclasses.replace(
                p,
                indicators=tuple(
                    dataclasses.replace(i, target=120.0) if i.code == "Q1" else i
                    for i in p.indicators
                ),
            ),
            *rb.indicator_sets[1:],
        ),
    )
    view = explain_cadre_result(result, "a", other)
    assert not view.explained
    assert view.problems and view.problems[0].startswith("indicators: ")
    assert all(i.explanation is None for i in view.indicators)
    # the stored numbers are still all there for a reader that shows them anyway
    assert view.cadre == result.cadre("a")
