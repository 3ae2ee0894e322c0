"""The period lifecycle of DESIGN section 3 as a pure state machine."""

from __future__ import annotations

from assessment.core.errors import LifecycleError

PERIOD_STATES: tuple[str, ...] = (
    "draft",
    "rules_published",
    "collecting",
    "computed",
    "notice",
    "final",
)


def check_transition(current: str, target: str) -> None:
    """Allow only the next step of the lifecycle.

    Parameters
    ----------
    current, target : str
        Codes from :data:`PERIOD_STATES`.

    Raises
    ------
    LifecycleError
        When ``target`` is not the state right after ``current``. ``required`` lists the
        states to pass through first, so the message can say what must happen.

    Notes
    -----
    draft → rules_published → collecting → computed → notice → final. Going back is never
    a transition: a change after "computed" is a new result version (DESIGN section 3).

    Examples
    --------
    >>> check_transition("draft", "rules_published")
    >>> from assessment.core.errors import LifecycleError
    >>> try:
    ...     check_transition("draft", "collecting")
    ... except LifecycleError as error:
    ...     print(error.required)
    ('rules_published',)
    """
    if current not in PERIOD_STATES:
        raise LifecycleError(current, target, ())
    if target not in PERIOD_STATES:
        raise LifecycleError(current, target, ())
    here, there = PERIOD_STATES.index(current), PERIOD_STATES.index(target)
    if there == here + 1:
        return
    required = PERIOD_STATES[here + 1 : there] if there > here + 1 else ()
    raise LifecycleError(current, target, required)


def next_state(current: str) -> str | None:
    """The state after ``current``, or None when the period is final.

    Examples
    --------
    >>> next_state("computed")
    'notice'
    >>> next_state("final") is None
    True
    """
    here = PERIOD_STATES.index(current)
    return PERIOD_STATES[here + 1] if here + 1 < len(PERIOD_STATES) else None
