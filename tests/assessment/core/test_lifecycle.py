"""The period lifecycle of DESIGN.md section 3."""

from __future__ import annotations

from itertools import pairwise

import pytest

from assessment.core.errors import LifecycleError
from assessment.core.lifecycle import PERIOD_STATES, check_transition, next_state


@pytest.mark.parametrize(("current", "target"), list(pairwise(PERIOD_STATES)))
def test_each_next_step_is_allowed(current, target):
    check_transition(current, target)
    assert next_state(current) == target


def test_skipping_names_the_missing_steps():
    with pytest.raises(LifecycleError) as caught:
        check_transition("draft", "computed")
    assert caught.value.required == ("rules_published", "collecting")


@pytest.mark.parametrize(
    ("current", "target"), [("final", "notice"), ("collecting", "draft"), ("computed", "computed")]
)
def test_going_back_or_staying_is_refused_with_nothing_required(current, target):
    with pytest.raises(LifecycleError) as caught:
        check_transition(current, target)
    assert caught.value.required == ()


def test_unknown_states_are_refused():
    with pytest.raises(LifecycleError):
        check_transition("draft", "archived")
    with pytest.raises(LifecycleError):
        check_transition("limbo", "draft")


def test_final_has_no_next_state():
    assert next_state("final") is None
