"""Domain errors raised by pure computation.

Core never translates: every error carries a stable ``code`` and the offending values
as attributes, and the web layer turns them into a message in the reader's language.
"""

from __future__ import annotations


class AssessmentError(ValueError):
    """Base class of every domain error raised by ``*/core``."""

    code = "assessment_error"


class LifecycleError(AssessmentError):
    """A period cannot move from one state to another.

    Attributes
    ----------
    current, target : str
        The state the period is in and the one that was asked for.
    required : tuple of str
        The states the period must pass through first (empty when going backwards).
    """

    code = "illegal_transition"

    def __init__(self, current: str, target: str, required: tuple[str, ...]) -> None:
        self.current = current
        self.target = target
        self.required = required
        super().__init__(
            f"cannot move a period from {current!r} to {target!r}"
            + (f"; first: {' -> '.join(required)}" if required else "")
        )


class MissingInputError(AssessmentError):
    """A value the computation needs was not entered (``None`` or NaN), never a silent zero.

    Attributes
    ----------
    name : str
        The argument or field that is missing, e.g. ``"actual"``.
    indicator : str or None
        The indicator code the value belongs to, when known.
    """

    code = "missing_input"

    def __init__(self, name: str, indicator: str | None = None) -> None:
        self.name = name
        self.indicator = indicator
        where = f" for indicator {indicator!r}" if indicator is not None else ""
        super().__init__(f"missing input {name!r}{where}")


class InvalidParameterError(AssessmentError):
    """An argument has a value the rule cannot use.

    Attributes
    ----------
    name : str
        The offending argument, e.g. ``"target"`` or ``"steps"``.
    value : object
        The value that was given.
    reason : str
        A stable snake_case code saying what is wrong, e.g. ``"target_equals_baseline"``.
    """

    code = "invalid_parameter"

    def __init__(self, name: str, value: object, reason: str) -> None:
        self.name = name
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {name}={value!r}: {reason.replace('_', ' ')}")


class EmptyPanelError(AssessmentError):
    """A qualitative indicator has no rating at all.

    Attributes
    ----------
    indicator : str or None
        The indicator code, when known.
    """

    code = "empty_panel"

    def __init__(self, indicator: str | None = None) -> None:
        self.indicator = indicator
        where = f" for indicator {indicator!r}" if indicator is not None else ""
        super().__init__(f"no ratings{where}: a panel value needs at least one rating")


class WeightSumError(AssessmentError):
    """The weights of an indicator set do not sum to the expected total (100).

    Attributes
    ----------
    set_name : str
        The indicator set (or category) whose weights were checked.
    actual : float
        The sum found.
    expected : float
        The sum required.
    """

    code = "weight_sum"

    def __init__(self, set_name: str, actual: float, expected: float) -> None:
        self.set_name = set_name
        self.actual = actual
        self.expected = expected
        super().__init__(
            f"weights of indicator set {set_name!r} sum to {actual!r}, expected {expected!r}"
        )


class QuotaError(AssessmentError):
    """A top-grade quota outside (0, 1].

    Attributes
    ----------
    value : object
        The quota that was given.
    """

    code = "invalid_quota"

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(f"top-grade quota must be a fraction in (0, 1], got {value!r}")


class InsufficientDataError(AssessmentError):
    """Too few usable observations to compute a statistic.

    Attributes
    ----------
    name : str
        What was counted, e.g. ``"targets"`` or ``"valid responses"``.
    n : int
        How many were usable (after dropping missing values).
    minimum : int
        How many are needed.
    """

    code = "insufficient_data"

    def __init__(self, name: str, n: int, minimum: int) -> None:
        self.name = name
        self.n = n
        self.minimum = minimum
        super().__init__(f"need at least {minimum} usable {name}, got {n}")


class FieldError(AssessmentError):
    """A value given for one field breaks a rule.

    Attributes
    ----------
    field : str
        The field (or ``row:column`` in imports) the error is about.
    code : str
        A stable code that the web layer maps to a translated message.
    params : dict
        Values the message names.
    """

    def __init__(self, field: str, code: str, /, **params: object) -> None:
        self.field = field
        self.code = code
        self.params = params
        super().__init__(f"{field}: {code} {params}" if params else f"{field}: {code}")


class RulebookError(AssessmentError):
    """A rulebook document breaks one or more rules; nothing of it may be used.

    Attributes
    ----------
    problems : tuple of RulebookProblem
        Every problem found, each with the ``path`` inside the document (for example
        ``posts[2].indicators[4].target``), a stable ``code`` and the ``params`` its
        message names. The web layer turns codes into translated messages.
    item_path : str
        When an editor changed one item, its path, so that problems under it can be
        shown beside the form's fields.
    """

    code = "invalid_rulebook"

    def __init__(self, problems: tuple[object, ...], *, item_path: str = "") -> None:
        self.problems = problems
        #: Path of the item an editor was changing (``posts[0].indicators[3]``), or "".
        self.item_path = item_path
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"invalid rulebook: {shown}{more}")


class RulebookStateError(AssessmentError):
    """A rulebook version cannot be changed or created in its current state.

    Attributes
    ----------
    code : str
        ``"rulebook_frozen"`` (the version is published; a new version with a reason is
        needed), ``"no_rulebook"``, ``"draft_exists"``, ``"reason_required"`` or
        ``"period_final"``.
    params : dict
        Values the message names (e.g. the version number).
    """

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(f"{code} {params}" if params else code)


class RulebookNotPublishedError(LifecycleError):
    """A period cannot leave "draft" before a rulebook version is published."""

    code = "rulebook_not_published"


class ResultsNotComputedError(LifecycleError):
    """A period becomes "computed" only by computing a result version, never by a bare step."""

    code = "results_not_computed"


class InputsClosedError(AssessmentError):
    """Inputs of a period (results, events, ratings) change only while it is "collecting".

    Attributes
    ----------
    status : str
        The state the period is in.
    """

    code = "inputs_closed"

    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(f"inputs can be changed only while collecting, not in {status!r}")


class RatingRefusedError(AssessmentError):
    """An assessor may not rate this cadre.

    Attributes
    ----------
    code : str
        ``"self_rating"`` (the account is linked to the cadre), ``"conflict_declared"``
        (the assessor declared a conflict of interest) or ``"not_an_assessor"``.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)
