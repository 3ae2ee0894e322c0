"""Explain a stored result point by point: each indicator's formula with its numbers.

A cadre has the right to know how every point came about (DESIGN sections 2 and 4). The
functions here take one cadre of a stored result (an entry of
``result_to_plain(result)["cadres"]``) and the rulebook it was computed under, and return
for each indicator the formula with the actual numbers put in, such as
``(92 − 80) / (95 − 80) × 20 = 16.00``, and the points stored.

The points are recomputed with the engine's own functions
(:func:`~assessment.core.scoring.compute_quantitative_points`,
:func:`~assessment.core.scoring.compute_qualitative_points`,
:func:`~assessment.core.scoring.compute_survey_points` and
:func:`~assessment.core.scoring.compute_total`), in the rulebook's declared precision:
one implementation of every rule. An explanation whose numbers do not give the stored
points raises :class:`~assessment.core.errors.InvalidParameterError`
(``points_mismatch``) rather than print a formula that does not add up (for example with
the rulebook of another version).

Every explanation carries its ``formula`` with named placeholders and the full-precision
``terms``: ``formula.format(**terms)`` with ``×`` read as ``*`` and ``−`` as ``-``, rounded
to the declared precision, gives the points. The printed ``expression`` has the numbers
rounded for reading (up to 4 decimals, the points at the declared precision).

When the formula's ratio lies beyond a bound of the rule (below 0 or the efficacy floor,
above the cap), the expression shows the ratio the formula gives, an arrow and the bound
that counts (``(130 − 50) / (100 − 50) = 1.6 → 1.2 × 20 = 24.00``), and ``bound`` says
which bound it was, so that the web layer and the reports can say it in the reader's
language. Symbols are language-neutral; method, status and bound are codes that the web
layer and the reports translate.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from assessment.core.ballots import (
    GRADE_CODES,
    POOR_GRADES,
    BallotBands,
    Band,
    GroupBallots,
    compute_ballot_result,
    share_text,
)
from assessment.core.confidence import GradeConfidence
from assessment.core.errors import AssessmentError, InvalidParameterError
from assessment.core.precision import Precision, exact
from assessment.core.records import (
    BallotBandsOutcome,
    BallotOutcome,
    BallotRuleOutcome,
    CadreResult,
    IndicatorOutcome,
    PeriodResult,
    SurveyIndexResult,
    record_to_plain,
)
from assessment.core.rulebook import (
    Indicator,
    IndicatorKind,
    IndicatorSet,
    Label,
    Rulebook,
    quantitative_rule,
)
from assessment.core.scoring import (
    Direction,
    GroupQuota,
    Method,
    compute_qualitative_points,
    compute_quantitative_points,
    compute_survey_points,
    compute_total,
)
from assessment.core.voter_groups import group_target

__all__ = [
    "BallotExplanation",
    "BallotGroupExplanation",
    "CadreExplanation",
    "CategoryPoints",
    "ExplainedEvent",
    "ExplainedIndicator",
    "IndicatorExplanation",
    "TotalExplanation",
    "category_points",
    "explain_ballot",
    "explain_cadre",
    "explain_cadre_result",
    "explain_events",
    "explain_indicator",
    "explain_published_ballots",
    "explain_total",
    "format_number",
    "group_category_means",
]

#: Largest difference tolerated between two weights that should be the same number.
TOLERANCE = 1e-9

Terms = tuple[tuple[str, float], ...]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class IndicatorExplanation:
    """One indicator of one cadre, ready to print.

    Parameters
    ----------
    code, kind : str
        Indicator code and kind (``quantitative``, ``qualitative``, ``survey``,
        ``bonus``, ``penalty``, ``veto``).
    category : str or None
        Category code (weighted kinds).
    status : str
        ``scored``, ``score_zero`` or ``excluded`` (weighted kinds, from the result);
        ``recorded`` for bonus and penalty events, ``triggered`` for a veto.
    input : float or None
        Actual value (quantitative), panel value (qualitative) or satisfaction index
        (survey); ``None`` when a decision replaced it and for events.
    expression : str
        The formula with the numbers put in and its result, e.g.
        ``(92 − 80) / (95 − 80) × 20 = 16.00``.
    points : float
        The points stored in the result (for a penalty, the positive magnitude).
    n : int or None
        Ratings (qualitative), valid responses (survey) or recorded events.
    method : str or None
        ``linear|ratio|steps|binary``, ``trimmed_mean|mean`` (panels),
        ``mean|poststratified_mean`` (surveys).
    weight, effective_weight : float or None
        The rulebook weight, and the weight applied after a reweighting decision.
    ratio : float or None
        Achievement ratio ``r`` (``v / 100`` for panels and surveys).
    reason : str or None
        The team's written reason, when a decision applied.
    formula : str
        ``expression`` before the numbers go in: placeholders such as ``{a}``, ``{w}``.
    terms : tuple of (str, float)
        The full-precision numbers of the placeholders.
    bound : str or None
        ``"cap"`` when the formula's ratio was above the cap ``c``, ``"floor"`` when it
        was below the lowest ratio (0, or the efficacy floor); ``None`` otherwise.
    bound_ratio, bound_value : float or None
        The ratio the formula gave, and the bound that counted instead.
    """

    code: str
    kind: str
    category: str | None
    status: str
    input: float | None
    expression: str
    points: float
    n: int | None
    method: str | None = None
    weight: float | None = None
    effective_weight: float | None = None
    ratio: float | None = None
    reason: str | None = None
    formula: str = ""
    terms: Terms = ()
    bound: str | None = None
    bound_ratio: float | None = None
    bound_value: float | None = None


@dataclass(frozen=True, slots=True)
class TotalExplanation:
    """The total of one cadre: ``max(0, Σ points + min(Σ bonus, cap) − min(Σ penalty, cap))``.

    Parameters
    ----------
    points : float
        Sum of the indicator points.
    bonus_raw, penalty_raw : float
        Sums of the recorded bonus and penalty events.
    bonus_cap, penalty_cap : float or None
        The caps of the cadre's indicator set (``None``: no cap).
    bonus, penalty : float
        Counted (capped) bonus and penalty.
    total : float
        The stored total.
    floored : bool
        Whether the total was raised to 0.
    expression, formula : str
        As in :class:`IndicatorExplanation`.
    terms : tuple of (str, float)
        Full-precision numbers of ``formula``.
    """

    points: float
    bonus_raw: float
    bonus_cap: float | None
    bonus: float
    penalty_raw: float
    penalty_cap: float | None
    penalty: float
    total: float
    floored: bool
    expression: str
    formula: str
    terms: Terms


# ---------------------------------------------------------------------------
# numbers and expressions
# ---------------------------------------------------------------------------


def format_number(value: float, decimals: int = 4) -> str:
    """Write a number for reading: at most ``decimals`` decimals, no trailing zeros.

    Parameters
    ----------
    value : float
        The number.
    decimals : int
        Most decimals shown (default 4).

    Returns
    -------
    str
        Negative numbers with the minus sign ``−`` (U+2212); ``-0`` as ``0``.

    Examples
    --------
    >>> format_number(92.0), format_number(2 / 3), format_number(-1.5), format_number(0.00001)
    ('92', '0.6667', '−1.5', '0')
    """
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".") if decimals > 0 else f"{value:.0f}"
    if text in {"-0", "-"}:
        text = "0"
    return text.replace("-", "−")


def _term(value: float) -> str:
    text = format_number(value)
    return f"({text})" if text.startswith("−") else text


def _render(formula: str, terms: Mapping[str, float], points: str, prefix: str = "") -> str:
    """``prefix`` + the formula with its numbers + `` = `` + the published points."""
    shown = formula.format(**{name: _term(value) for name, value in terms.items()})
    if shown == "0":
        return f"{prefix}0"
    return f"{prefix}{shown} = {points}"


def _check(code: str, recomputed: float, stored: float, precision: Precision) -> None:
    """The recomputed points must be the stored ones as published.

    A result stored before issue 13 holds unrounded floats (28.124999999999996); read at
    the declared precision they are the published numbers the explanation reproduces.
    """
    if precision.round(recomputed) != precision.round(stored):
        raise InvalidParameterError("outcome", code, "points_mismatch")


def _weight_term(
    weight: float, effective: float, reweight: tuple[float, float] | None
) -> tuple[str, dict[str, float], Fraction]:
    """``{w}``, or ``({w} × {W} / {Wk})`` after leaving out indicators of weight ``W − Wk``.

    The third value is the exact effective weight the points are computed with.
    """
    if math.isclose(weight, effective, rel_tol=0.0, abs_tol=TOLERANCE):
        return "{w}", {"w": weight}, exact(weight)
    if reweight is not None:
        total, kept = reweight
        exact_weight = exact(weight) * exact(total) / exact(kept)
        if math.isclose(float(exact_weight), effective, rel_tol=1e-12, abs_tol=TOLERANCE):
            return "({w} × {W} / {Wk})", {"w": weight, "W": total, "Wk": kept}, exact_weight
    # no breakdown of the reweighting available: the effective weight as one number
    return "{w}", {"w": effective}, exact(effective)


# ---------------------------------------------------------------------------
# one weighted indicator
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Shown:
    """How a quantitative ratio is shown (internal)."""

    formula: str
    terms: dict[str, float]
    prefix: str
    bound: str | None = None
    bound_ratio: float | None = None
    bound_value: float | None = None


def _bounded(
    core: str, terms: dict[str, float], w_term: str, raw: Fraction, low: Fraction, cap: Fraction
) -> _Shown:
    """The ratio formula ``core`` times the weight, or the bound that counts instead."""
    if low <= raw <= cap:
        used = {k: v for k, v in terms.items() if f"{{{k}}}" in core}
        return _Shown(f"{core} × {w_term}", used, "")
    bound, value = ("cap", cap) if raw > cap else ("floor", low)
    shown = core.format(**{name: _term(v) for name, v in terms.items()})
    prefix = f"{shown} = {format_number(float(raw))} → "
    kept = {k: v for k, v in terms.items() if k == "c"}
    if bound == "cap":
        return _Shown(f"{{c}} × {w_term}", kept, prefix, bound, float(raw), float(value))
    return _Shown(f"{_term(float(value))} × {w_term}", {}, prefix, bound, float(raw), float(value))


def _quantitative(outcome: Mapping[str, Any], indicator: Indicator, w_term: str) -> _Shown:
    """Formula, terms, prefix and bound of a scored quantitative indicator."""
    a = float(outcome["input"])
    method = Method(indicator.method or "")
    higher = Direction(indicator.direction or "higher") is Direction.HIGHER
    c = float(indicator.cap)
    cap = exact(c)
    terms: dict[str, float] = {"a": a, "c": c}
    if method is Method.LINEAR:
        terms.update(b=float(indicator.baseline or 0.0), t=float(indicator.target or 0.0))
        core = "({a} − {b}) / ({t} − {b})" if higher else "({b} − {a}) / ({b} − {t})"
        xe, be, te = exact(a), exact(terms["b"]), exact(terms["t"])
        raw = (xe - be) / (te - be) if higher else (be - xe) / (be - te)
        return _bounded(core, terms, w_term, raw, Fraction(0), cap)
    if method is Method.RATIO:
        terms["t"] = float(indicator.target or 0.0)
        if not higher and a == 0:
            # lower is better and nothing happened: full marks up to the cap
            return _Shown(f"{{c}} × {w_term}", {"c": c}, f"{_term(a)} = 0 → ")
        core = "{a} / {t}" if higher else "{t} / {a}"
        raw = exact(a) / exact(terms["t"]) if higher else exact(terms["t"]) / exact(a)
        return _bounded(core, terms, w_term, raw, Fraction(0), cap)
    if method is Method.EFFICACY:
        terms.update(u=float(indicator.unacceptable or 0.0), s=float(indicator.satisfactory or 0.0))
        if higher:
            core = "(60 + 40 × ({a} − {u}) / ({s} − {u})) / 100"
            e = (exact(a) - exact(terms["u"])) / (exact(terms["s"]) - exact(terms["u"]))
        else:
            core = "(60 + 40 × ({u} − {a}) / ({u} − {s})) / 100"
            e = (exact(terms["u"]) - exact(a)) / (exact(terms["u"]) - exact(terms["s"]))
        raw = (60 + 40 * e) / 100
        return _bounded(core, terms, w_term, raw, exact(indicator.floor), cap)
    if method is Method.PIECEWISE:
        points = [(p.actual, p.ratio) for p in indicator.breakpoints]
        first, last = points[0], points[-1]
        toward_best = 1 if last[0] > first[0] else -1
        worse, better = ("≤", "≥") if toward_best == 1 else ("≥", "≤")
        if (a - first[0]) * toward_best <= 0:
            return _Shown(
                f"{{r}} × {w_term}", {"r": first[1]}, f"{_term(a)} {worse} {_term(first[0])} → "
            )
        if (a - last[0]) * toward_best >= 0:
            return _Shown(
                f"{{r}} × {w_term}", {"r": last[1]}, f"{_term(a)} {better} {_term(last[0])} → "
            )
        for (x0, r0), (x1, r1) in itertools.pairwise(points):
            if (a - x1) * toward_best <= 0:
                core = "({r0} + ({r1} − {r0}) × ({a} − {x0}) / ({x1} − {x0}))"
                return _Shown(
                    f"{core} × {w_term}", {"a": a, "x0": x0, "r0": r0, "x1": x1, "r1": r1}, ""
                )
    if method is Method.STEPS:
        reached = [s for s in indicator.steps if (a >= s.threshold if higher else a <= s.threshold)]
        if reached:
            step = reached[-1]
            prefix = f"{_term(a)} {'≥' if higher else '≤'} {_term(step.threshold)} → "
            ratio = float(step.ratio)
        else:
            first_step = indicator.steps[0]
            prefix = f"{_term(a)} {'<' if higher else '>'} {_term(first_step.threshold)} → "
            ratio = 0.0
        if ratio > c:
            return _Shown(f"{{c}} × {w_term}", {"c": c}, prefix, "cap", ratio, c)
        return _Shown(f"{{r}} × {w_term}", {"r": ratio}, prefix)
    # binary
    prefix = ""
    if indicator.target is None:
        met = a == 1.0
    else:
        t = float(indicator.target)
        met = a >= t if higher else a <= t
        sign = ("≥" if higher else "≤") if met else ("<" if higher else ">")
        prefix = f"{_term(a)} {sign} {_term(t)} → "
    if met and c < 1.0:
        return _Shown(f"{{c}} × {w_term}", {"c": c}, prefix, "cap", 1.0, c)
    return _Shown(f"{{r}} × {w_term}", {"r": 1.0 if met else 0.0}, prefix)


def _rollup_prefix(outcome: Mapping[str, Any], value: float, precision: Precision) -> str:
    """``V = (T₁ + … + Tₙ) / n = V; `` for a mean of totals, else ``""`` (the grades show)."""
    if outcome.get("method") != "mean_total":
        return ""
    totals = [c.get("total") for c in outcome.get("children") or ()]
    counted = [0.0 if t is None else float(t) for t in totals]
    if outcome.get("n") != len(counted):  # missing children left out by a decision
        counted = [float(t) for t in totals if t is not None]
    if not counted:
        return ""
    added = " + ".join(format_number(t) for t in counted)
    return f"V = ({added}) / {len(counted)} = {precision.format(value)}; "


def explain_indicator(
    outcome: Mapping[str, Any],
    indicator: Indicator,
    rulebook: Rulebook,
    *,
    reweight: tuple[float, float] | None = None,
) -> IndicatorExplanation:
    """Explain how one weighted indicator of one cadre got its points.

    Parameters
    ----------
    outcome : mapping
        One entry of a plain cadre's ``indicators`` (an ``IndicatorOutcome`` as plain
        data: ``code``, ``kind``, ``category``, ``weight``, ``effective_weight``,
        ``status``, ``input``, ``method``, ``ratio``, ``points``, ``n``, ``reason``).
    indicator : Indicator
        The rulebook's indicator with that code.
    rulebook : Rulebook
        The rulebook the result was computed under (``indicator`` is one of its own).
    reweight : (float, float), optional
        ``(W, W − w_excluded)``: the cadre's total weight and the weight kept after the
        team left indicators out, so that the effective weight reads
        ``w × W / (W − w_excluded)``; :func:`explain_cadre` supplies it.

    Returns
    -------
    IndicatorExplanation

    Raises
    ------
    InvalidParameterError
        ``points_mismatch`` when the numbers do not give the stored points (another
        rulebook), ``kind_mismatch`` when the outcome and the indicator disagree.

    Notes
    -----
    With ``w`` the effective weight (DESIGN section 4):

    - quantitative ``points = w × r``; linear ``r = (a − b) / (t − b)`` (lower better
      ``(b − a) / (b − t)``); ratio ``a / t`` (lower better ``t / a``, ``a = 0`` gives
      ``c``); efficacy ``(60 + 40 × (a − u) / (s − u)) / 100`` (lower better
      ``(60 + 40 × (u − a) / (u − s)) / 100``); piecewise: interpolated between the two
      breakpoints around ``a``; each kept within ``[0, c]`` (efficacy ``[f, c]``, and the
      expression then shows the bound, with ``bound`` set); steps: the ratio of the
      hardest threshold reached, at most ``c``; binary: 1 when met (at most ``c``), else 0;
    - qualitative ``points = v × w / 100`` with the panel value ``v`` (trimmed mean of
      ``n`` ratings from ``trim_threshold`` on, else the mean);
    - survey ``points = S × w / 100`` with the satisfaction index ``S``;
    - roll-up ``points = V × w / 100`` with ``V`` read from the sub-periods
      (:func:`assessment.core.rollup.compute_rollup`; the mean of totals is written out);
    - a team decision: ``0 × w`` (score zero) or 0 with the indicator left out.

    Examples
    --------
    >>> from assessment.core.rulebook import (DEFAULT_GRADES, Aggregation, Category,
    ...     GradingScheme, IndicatorSet, Label)
    >>> L = Label("例", "e.g.")
    >>> q = Indicator("J1", L, IndicatorKind.QUANTITATIVE, "ji", 20.0, method="linear",
    ...               direction="higher", baseline=80.0, target=95.0)
    >>> rb = Rulebook(L, GradingScheme(DEFAULT_GRADES), Aggregation(), (),
    ...               (IndicatorSet("P", L, (Category("ji", L, 20.0),), (q,)),))
    >>> outcome = {"code": "J1", "kind": "quantitative", "category": "ji", "weight": 20.0,
    ...            "effective_weight": 20.0, "status": "scored", "input": 92.0,
    ...            "method": "linear", "ratio": 0.8, "points": 16.0, "n": None}
    >>> explain_indicator(outcome, q, rb).expression
    '(92 − 80) / (95 − 80) × 20 = 16.00'
    >>> capped = explain_indicator({**outcome, "input": 98.0, "ratio": 1.0, "points": 20.0}, q, rb)
    >>> capped.expression, capped.bound
    ('(98 − 80) / (95 − 80) = 1.2 → 1 × 20 = 20.00', 'cap')
    """
    code = str(outcome["code"])
    kind = str(outcome["kind"])
    if kind != indicator.kind or code != indicator.code:
        raise InvalidParameterError("outcome", code, "kind_mismatch")
    status = str(outcome["status"])
    weight = float(outcome["weight"])
    effective = float(outcome["effective_weight"])
    precision = rulebook.precision
    stored = precision.publish(float(outcome["points"]))
    w_term, terms, exact_weight = _weight_term(weight, effective, reweight)
    shown = _Shown("", {}, "")
    ratio: float | None = outcome.get("ratio")
    value = outcome.get("input")
    if status == "excluded":
        formula, terms, recomputed = "0", {}, 0.0
    elif status == "score_zero":
        formula, recomputed = f"0 × {w_term}", 0.0
    elif value is None:
        raise InvalidParameterError("input", code, "missing_for_scored_indicator")
    elif kind == IndicatorKind.QUANTITATIVE:
        shown = _quantitative(outcome, indicator, w_term)
        formula = shown.formula
        terms.update(shown.terms)
        rule = quantitative_rule(indicator, exact_weight)
        scored = compute_quantitative_points(rule, float(value), precision=precision)
        ratio, recomputed = scored.ratio, scored.points
    elif kind == IndicatorKind.QUALITATIVE:
        terms["v"] = float(value)
        formula = f"{{v}} × {w_term} / 100"
        # the rule of compute_qualitative_points, on the stored panel value
        recomputed = compute_qualitative_points(
            exact_weight, [terms["v"]], precision=precision
        ).points
    elif kind == IndicatorKind.SURVEY:
        terms["S"] = float(value)
        formula = f"{{S}} × {w_term} / 100"
        recomputed = compute_survey_points(
            exact_weight, terms["S"], indicator=code, precision=precision
        )
    elif kind == IndicatorKind.ROLLUP:
        terms["V"] = float(value)
        formula = f"{{V}} × {w_term} / 100"
        shown = _Shown(formula, {}, _rollup_prefix(outcome, float(value), precision))
        recomputed = compute_survey_points(
            exact_weight, terms["V"], indicator=code, precision=precision
        )
    else:
        raise InvalidParameterError("outcome", code, "not_a_weighted_indicator")
    _check(code, recomputed, stored, precision)
    n = outcome.get("n")
    return IndicatorExplanation(
        code=code,
        kind=kind,
        category=outcome.get("category"),
        status=status,
        input=None if value is None else float(value),
        expression=_render(formula, terms, precision.format(stored), shown.prefix),
        points=stored,
        n=None if n is None else int(n),
        method=outcome.get("method"),
        weight=weight,
        effective_weight=effective,
        ratio=None if ratio is None else float(ratio),
        reason=outcome.get("reason"),
        formula=formula,
        terms=tuple(terms.items()),
        bound=shown.bound,
        bound_ratio=shown.bound_ratio,
        bound_value=shown.bound_value,
    )


# ---------------------------------------------------------------------------
# one cadre
# ---------------------------------------------------------------------------


def _indicator_set(cadre: Mapping[str, Any], rulebook: Rulebook) -> IndicatorSet:
    try:
        return rulebook.indicator_set(str(cadre["post"]))
    except KeyError:
        raise InvalidParameterError("post", cadre["post"], "no_indicator_set") from None


def _indicator(indicator_set: IndicatorSet, code: str) -> Indicator:
    try:
        return indicator_set.indicator(code)
    except KeyError:
        raise InvalidParameterError("indicator", code, "unknown_indicator") from None


def explain_cadre(cadre: Mapping[str, Any], rulebook: Rulebook) -> tuple[IndicatorExplanation, ...]:
    """Explain every weighted indicator of one cadre, in rulebook order.

    Parameters
    ----------
    cadre : mapping
        One entry of ``result_to_plain(result)["cadres"]``.
    rulebook : Rulebook
        The rulebook the result was computed under.

    Returns
    -------
    tuple of IndicatorExplanation
        One per weighted indicator (quantitative, qualitative, survey), as stored in
        the result. Bonus, penalty and veto events: :func:`explain_events`; the total:
        :func:`explain_total`.

    Raises
    ------
    InvalidParameterError
        When the cadre's post or an indicator is not in the rulebook, or the numbers do
        not give the stored points.

    Notes
    -----
    When the team left indicators out (``exclude_indicator_reweight``), every other
    indicator's weight reads ``w × W / (W − w_excluded)`` with ``W`` the sum of the
    weights of the cadre's indicator set (DESIGN section 4; ``assessment.core.results``).
    """
    indicator_set = _indicator_set(cadre, rulebook)
    outcomes: Sequence[Mapping[str, Any]] = cadre["indicators"]
    total_weight = math.fsum(
        float(i.weight or 0.0) for i in indicator_set.indicators if i.is_weighted
    )
    excluded = math.fsum(float(o["weight"]) for o in outcomes if o["status"] == "excluded")
    reweight = (total_weight, total_weight - excluded) if excluded > 0 else None
    return tuple(
        explain_indicator(
            outcome,
            _indicator(indicator_set, str(outcome["code"])),
            rulebook,
            reweight=reweight,
        )
        for outcome in outcomes
    )


def explain_events(
    cadre: Mapping[str, Any], rulebook: Rulebook
) -> tuple[IndicatorExplanation, ...]:
    """Explain the cadre's recorded bonus, penalty and veto events.

    Parameters
    ----------
    cadre : mapping
        One entry of ``result_to_plain(result)["cadres"]``.
    rulebook : Rulebook
        The rulebook the result was computed under.

    Returns
    -------
    tuple of IndicatorExplanation
        One per bonus, penalty or veto indicator with at least one event, in rulebook
        order: ``n`` events, ``points`` their sum (a penalty as a positive magnitude,
        before the cap, which :func:`explain_total` applies). Status ``recorded``, or
        ``triggered`` for a veto, whose expression is ``≤ <grade code>``.

    Notes
    -----
    When every event was recorded at the rulebook's points per event ``p`` the
    expression is ``n × p``; otherwise the team recorded fewer points for some events
    and it reads ``Σ (n = k) = points``.
    """
    indicator_set = _indicator_set(cadre, rulebook)
    out: list[IndicatorExplanation] = []
    for event in cadre["events"]:
        code = str(event["code"])
        indicator = _indicator(indicator_set, code)
        count = int(event["count"])
        points = float(event["points"])
        kind = str(event["kind"])
        if kind == IndicatorKind.VETO:
            cap = indicator.caps_at or rulebook.grading.grades[-1].code
            formula, terms, expression, status = "0", {}, f"≤ {cap}", "triggered"
        else:
            status = "recorded"
            per = indicator.points
            precision = rulebook.precision
            if per is not None and exact(per) * count == exact(precision.publish(points)):
                formula, terms = "{k} × {p}", {"k": float(count), "p": float(per)}
                expression = _render(formula, terms, precision.format(points))
            else:
                formula, terms = "{s}", {"s": points}
                expression = f"Σ (n = {count}) = {precision.format(points)}"
        out.append(
            IndicatorExplanation(
                code=code,
                kind=kind,
                category=None,
                status=status,
                input=None,
                expression=expression,
                points=points,
                n=count,
                formula=formula,
                terms=tuple(terms.items()),
            )
        )
    return tuple(out)


def explain_total(cadre: Mapping[str, Any], rulebook: Rulebook) -> TotalExplanation:
    """Explain the total: indicator points, capped bonus, capped penalty, floor at 0.

    Parameters
    ----------
    cadre : mapping
        One entry of ``result_to_plain(result)["cadres"]``.
    rulebook : Rulebook
        For the bonus and penalty caps of the cadre's indicator set.

    Returns
    -------
    TotalExplanation

    Raises
    ------
    InvalidParameterError
        ``points_mismatch`` when the parts do not give the stored total.

    Notes
    -----
    ``total = max(0, P + min(B, B_cap) − min(Q, Q_cap))`` with ``P`` the sum of the
    indicator points and ``B``, ``Q`` the sums of the bonus and penalty events
    (:func:`~assessment.core.scoring.compute_total`). Parts that are zero are left out
    of the expression, and so is the floor when there is no penalty.

    Examples
    --------
    >>> from assessment.core.rulebook import (DEFAULT_GRADES, Aggregation, GradingScheme,
    ...     IndicatorSet, Label)
    >>> L = Label("例", "e.g.")
    >>> rb = Rulebook(L, GradingScheme(DEFAULT_GRADES), Aggregation(), (),
    ...               (IndicatorSet("P", L, (), (), bonus_cap=3.0, penalty_cap=5.0),))
    >>> cadre = {"post": "P", "points": 85.25, "bonus_raw": 4.0, "penalty_raw": 1.0,
    ...          "total": 87.25}
    >>> explain_total(cadre, rb).expression
    'max(0, 85.25 + min(4, 3) − min(1, 5)) = 87.25'
    """
    indicator_set = _indicator_set(cadre, rulebook)
    precision = rulebook.precision
    points = precision.publish(float(cadre["points"]))
    bonus_raw = precision.publish(float(cadre["bonus_raw"]))
    penalty_raw = precision.publish(float(cadre["penalty_raw"]))
    stored = precision.publish(float(cadre["total"]))
    recomputed = compute_total(
        [points],
        [bonus_raw],
        [penalty_raw],
        bonus_cap=indicator_set.bonus_cap,
        penalty_cap=indicator_set.penalty_cap,
        precision=precision,
    )
    _check("total", recomputed.total, stored, precision)
    formula = "{P}"
    terms: dict[str, float] = {"P": points}
    if bonus_raw > 0:
        terms["B"] = bonus_raw
        if indicator_set.bonus_cap is None:
            formula += " + {B}"
        else:
            formula += " + min({B}, {Bc})"
            terms["Bc"] = float(indicator_set.bonus_cap)
    if penalty_raw > 0:
        terms["Q"] = penalty_raw
        if indicator_set.penalty_cap is None:
            formula += " − {Q}"
        else:
            formula += " − min({Q}, {Qc})"
            terms["Qc"] = float(indicator_set.penalty_cap)
        formula = f"max(0, {formula})"
    return TotalExplanation(
        points=points,
        bonus_raw=bonus_raw,
        bonus_cap=indicator_set.bonus_cap,
        bonus=recomputed.bonus,
        penalty_raw=penalty_raw,
        penalty_cap=indicator_set.penalty_cap,
        penalty=recomputed.penalty,
        total=stored,
        floored=recomputed.floored,
        expression=_render(formula, terms, precision.format(stored)),
        formula=formula,
        terms=tuple(terms.items()),
    )


# ---------------------------------------------------------------------------
# categories
# ---------------------------------------------------------------------------


def category_points(cadre: Mapping[str, Any]) -> dict[str, float]:
    """Points per category code, in the order the categories first appear.

    Parameters
    ----------
    cadre : mapping
        One entry of ``result_to_plain(result)["cadres"]``.

    Returns
    -------
    dict of str to float
        ``Σ points`` of the cadre's weighted indicators in each category, an exact
        decimal sum of the published points (so the categories add up to the total).

    Examples
    --------
    >>> category_points({"indicators": [
    ...     {"category": "ji", "points": 16.0}, {"category": "de", "points": 8.5},
    ...     {"category": "ji", "points": 4.25}]})
    {'ji': 20.25, 'de': 8.5}
    """
    parts: dict[str, list[float]] = {}
    for outcome in cadre["indicators"]:
        parts.setdefault(str(outcome["category"]), []).append(float(outcome["points"]))
    return {
        code: float(sum((Decimal(repr(v)) for v in values), Decimal(0)))
        for code, values in parts.items()
    }


def _category_weights(cadre: Mapping[str, Any]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for outcome in cadre["indicators"]:
        code = str(outcome["category"])
        weights[code] = weights.get(code, 0.0) + float(outcome["effective_weight"])
    return weights


def group_category_means(
    cadres: Sequence[Mapping[str, Any]], post_group: str, *, beside: Mapping[str, Any]
) -> dict[str, float]:
    """Mean points per category over a post group, on the scale of the cadre beside them.

    Parameters
    ----------
    cadres : sequence of mapping
        ``result_to_plain(result)["cadres"]`` (every group; others are ignored).
    post_group : str
        The group.
    beside : mapping
        The cadre whose points the means are shown beside (an entry of ``cadres``).

    Returns
    -------
    dict of str to float
        For each category the cadre ``beside`` is weighted in, the group's mean share
        of the category's points, times that cadre's weight of the category; empty
        when the group has no cadre weighted in it.

    Notes
    -----
    A category's scale is the sum of its indicators' applied (effective) weights, which
    differs between cadres when the team left an indicator out and reweighted, or left
    a whole category out (weight 0, points 0). Averaging raw points would put a mean
    on another scale beside the cadre's points (issue 20: "组平均 3.28" beside 26.25
    of 30, when 7 of 8 cadres had the survey category left out: 26.25 / 8). So the mean
    is ``w_c × mean_i (p_ic / w_ic)`` over the group's cadres ``i`` with ``w_ic > 0``,
    where ``p_ic`` is :func:`category_points` and ``w_ic`` the applied weight.

    Examples
    --------
    >>> def cadre(group, points, weight):
    ...     return {"post_group": group, "indicators": [
    ...         {"category": "ji", "points": points, "effective_weight": weight}]}
    >>> own = cadre("V", 10.0, 20.0)
    >>> cadres = [own, cadre("V", 30.0, 40.0), cadre("V", 0.0, 0.0), cadre("T", 99.0, 100.0)]
    >>> group_category_means(cadres, "V", beside=own)  # 20 × (10/20 + 30/40) / 2
    {'ji': 12.5}
    """
    shares: dict[str, list[float]] = {}
    for cadre in cadres:
        if cadre["post_group"] != post_group:
            continue
        weights = _category_weights(cadre)
        for code, points in category_points(cadre).items():
            if weights.get(code, 0.0) > 0:
                shares.setdefault(code, []).append(points / weights[code])
    scale = _category_weights(beside)
    return {
        code: scale[code] * math.fsum(values) / len(values)
        for code, values in shares.items()
        if scale.get(code, 0.0) > 0
    }


# ---------------------------------------------------------------------------
# one cadre's result, explained once for every reader
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BallotGroupExplanation:
    """One voter group's ballots about a cadre, with its shares and formula.

    Parameters
    ----------
    group : str
        Voter group code.
    weight : float
        Its weight inside the indicator.
    votes : tuple of (str, int, float)
        Grade, valid ballots and share of the valid ballots, best grade first.
    abstentions, valid : int
        Abstentions and valid ballots.
    score : float or None
        The published group score (``None`` below the quorum).
    expression : str
        ``(5 × 1 + 3 × 0.8) / 8 × 100 = 92.50``, or by bands ``6/10 ≥ 0.6 → 100; 1/10 ≥
        0.1 → −5; 100 − 5 = 95.00`` (empty when there is no score).
    invalid, flagged : int
        Sheets voided and sheets flagged by the validity rules.
    """

    group: str
    weight: float
    votes: tuple[tuple[str, int, float], ...]
    abstentions: int
    valid: int
    score: float | None
    expression: str
    invalid: int = 0
    flagged: int = 0


@dataclass(frozen=True, slots=True)
class BallotExplanation:
    """How a ballot indicator's input came about: each group, then the weighted score.

    Parameters
    ----------
    groups : tuple of BallotGroupExplanation
        In the rulebook's order.
    expression : str
        ``(30 × 92.5 + 40 × 77 + 30 × 55) / 100 = 74.90``.
    score : float
        The published weighted score (the indicator's input).
    incompetent_over_third : bool
        不称职 votes strictly more than one third of all valid ballots.
    rules : tuple of BallotRuleOutcome
        The vote-share rules the valid ballots met (flags and grade caps).
    by_bands : bool
        Whether the groups were scored by vote-share bands (else by coefficients).
    boundary : str
        The bands' boundary rule (``at_least``: ≥; ``above``: >).
    """

    groups: tuple[BallotGroupExplanation, ...]
    expression: str
    score: float
    incompetent_over_third: bool
    rules: tuple[BallotRuleOutcome, ...] = ()
    by_bands: bool = False
    boundary: str = "at_least"


def _bands_of(stored: BallotBandsOutcome) -> BallotBands:
    return BallotBands(
        tuple(Band(Fraction(b.share), b.points) for b in stored.excellent),
        tuple(Band(Fraction(b.share), b.points) for b in stored.poor),
        stored.boundary,
    )


def _band_expression(
    votes: Mapping[str, int], valid: int, bands: BallotBands, score: float, precision: Precision
) -> str:
    """The band score with its numbers: each share, the band it reached, the points."""
    sign = "≥" if bands.boundary == "at_least" else ">"

    def reached(part: int, table: Sequence[Band]) -> str:
        share = Fraction(part, valid)
        for band in table:
            if share > band.share or (share == band.share and sign == "≥"):
                return (
                    f"{part}/{valid} {sign} {share_text(band.share)} → {format_number(band.points)}"
                )
        return f"{part}/{valid} → 0"

    top = int(votes.get(GRADE_CODES[0], 0))
    poor = sum(int(votes.get(g, 0)) for g in POOR_GRADES)
    parts = [reached(top, bands.excellent)]
    if bands.poor:
        parts.append(reached(poor, bands.poor).replace("→ ", "→ −", 1))
    return "; ".join(parts) + f"; = {precision.format(score)}"


def explain_ballot(ballot: BallotOutcome, precision: Precision) -> BallotExplanation:
    """Explain a ballot indicator's input from its stored tallies.

    Parameters
    ----------
    ballot : BallotOutcome
        As stored in the result.
    precision : Precision
        The rulebook's declared precision.

    Returns
    -------
    BallotExplanation

    Raises
    ------
    InvalidParameterError
        ``points_mismatch`` when the stored votes do not give the stored group score or
        the group scores do not give the stored weighted score.

    Notes
    -----
    ``group score = Σ votes × coefficient / valid × 100`` and ``B = Σ w × group score /
    Σ w`` (:func:`assessment.core.ballots.compute_ballot_result`, recomputed here so
    that the printed numbers are checked); a share is ``votes / valid``.

    Examples
    --------
    >>> from assessment.core.records import BallotGroupOutcome
    >>> ballot = BallotOutcome(
    ...     (BallotGroupOutcome("staff", 1.0, {"excellent": 1, "competent": 2}, 1, 3, None,
    ...                         86.67),),
    ...     {"excellent": 1.0, "competent": 0.8, "basic": 0.6, "incompetent": 0.0},
    ...     86.67, False)
    >>> explained = explain_ballot(ballot, Precision())
    >>> explained.groups[0].expression
    '(1 × 1 + 2 × 0.8) / 3 × 100 = 86.67'
    >>> explained.expression
    '(1 × 86.67) / 1 = 86.67'
    """
    # best grade first, whatever order the stored result kept (its JSON sorts the keys)
    coefficients = {
        **{g: ballot.coefficients[g] for g in GRADE_CODES if g in ballot.coefficients},
        **ballot.coefficients,
    }
    bands = _bands_of(ballot.bands) if ballot.bands is not None else None
    recomputed = compute_ballot_result(
        [GroupBallots(g.group, g.votes, g.abstentions) for g in ballot.groups],
        [(g.group, g.weight) for g in ballot.groups],
        coefficients=coefficients,
        precision=precision,
        bands=bands,
        rules=(),
    )
    groups = []
    for stored, again in zip(ballot.groups, recomputed.groups, strict=True):
        if stored.score is not None:
            _check(stored.group, again.score or 0.0, stored.score, precision)
        counted = [(grade, n) for grade, n in again.votes if n]
        expression = ""
        if stored.score is not None and bands is not None:
            expression = _band_expression(
                stored.votes, stored.valid, bands, stored.score, precision
            )
        elif stored.score is not None:
            summed = " + ".join(
                f"{n} × {format_number(ballot.coefficients[grade])}" for grade, n in counted
            )
            expression = f"({summed}) / {stored.valid} × 100 = {precision.format(stored.score)}"
        groups.append(
            BallotGroupExplanation(
                group=stored.group,
                weight=stored.weight,
                votes=tuple(
                    (grade, n, precision.publish_share(n / stored.valid) if stored.valid else 0.0)
                    for grade, n in again.votes
                ),
                abstentions=stored.abstentions,
                valid=stored.valid,
                score=stored.score,
                expression=expression,
                invalid=stored.invalid,
                flagged=stored.flagged,
            )
        )
    _check("ballot", recomputed.score or 0.0, ballot.score, precision)
    weighted = " + ".join(
        f"{format_number(g.weight)} × {format_number(g.score or 0.0)}" for g in ballot.groups
    )
    total_weight = format_number(sum(g.weight for g in ballot.groups))
    return BallotExplanation(
        groups=tuple(groups),
        expression=f"({weighted}) / {total_weight} = {precision.format(ballot.score)}",
        score=ballot.score,
        incompetent_over_third=ballot.incompetent_over_third,
        rules=ballot.rules,
        by_bands=bands is not None,
        boundary=bands.boundary if bands is not None else "at_least",
    )


def explain_published_ballots(
    rulebook: Rulebook, cadre: CadreResult
) -> tuple[tuple[Indicator, BallotExplanation], ...]:
    """The cadre's ballot indicators whose votes the rulebook publishes, explained.

    Only indicators whose ``sources.publish_votes`` is set (docs/rulebook.md): the
    public notice shows their votes and shares, as a page and as a PDF.
    """
    indicator_set = next((s for s in rulebook.indicator_sets if s.post == cadre.post_group), None)
    if indicator_set is None:
        return ()
    rules = {i.code: i for i in indicator_set.indicators}
    shown = []
    for outcome in cadre.indicators:
        indicator = rules.get(outcome.code)
        if outcome.ballot is None or indicator is None or indicator.sources is None:
            continue
        if indicator.sources.publish_votes:
            shown.append((indicator, explain_ballot(outcome.ballot, rulebook.precision)))
    return tuple(shown)


@dataclass(frozen=True, slots=True)
class SurveyGroupIndex:
    """One voter group of a grouped satisfaction indicator: its weight and own index.

    ``survey`` is the group's satisfaction index about the target (the result's survey
    target ``target/group``), ``None`` when the group had no index (a missing input).
    """

    group: str
    weight: float
    survey: SurveyIndexResult | None


@dataclass(frozen=True, slots=True)
class ExplainedIndicator:
    """One weighted indicator of a cadre: the stored outcome, the rule and its formula.

    Parameters
    ----------
    outcome : IndicatorOutcome
        As stored in the result (input, method, weights, points, status, reason).
    indicator : Indicator
        The rulebook's indicator (name, unit, direction, subject, category).
    explanation : IndicatorExplanation or None
        The formula with the numbers put in; ``None`` when it could not be rebuilt
        (:attr:`CadreExplanation.problems` says why).
    survey : SurveyIndexResult or None
        The satisfaction index of a scored survey indicator's target, with its interval.
    ballot : BallotExplanation or None
        A scored ballot indicator: votes, shares and scores per voter group.
    survey_groups : tuple of SurveyGroupIndex
        A scored satisfaction indicator weighting voter groups: each group's weight and
        index, whose weighted mean ``Σ w × S_g / Σ w`` is the indicator's ``S``.
    """

    outcome: IndicatorOutcome
    indicator: Indicator
    explanation: IndicatorExplanation | None
    survey: SurveyIndexResult | None = None
    ballot: BallotExplanation | None = None
    survey_groups: tuple[SurveyGroupIndex, ...] = ()


@dataclass(frozen=True, slots=True)
class ExplainedEvent:
    """One bonus, penalty or veto indicator with recorded events, and its formula."""

    explanation: IndicatorExplanation
    indicator: Indicator


@dataclass(frozen=True, slots=True)
class CategoryPoints:
    """A category of the cadre's indicator set: own points against the post group's mean.

    ``scored`` is whether the cadre has an indicator in the category; ``points`` is then
    :func:`category_points`' sum, else 0; ``mean`` is :func:`group_category_means`' mean
    (0 when no cadre of the group has the category).
    """

    code: str
    name: Label
    weight: float
    points: float
    mean: float
    scored: bool


@dataclass(frozen=True, slots=True)
class CadreExplanation:
    """One cadre's result explained point by point: what the portal and the scorecard print.

    Built once by :func:`explain_cadre_result`; the web page and the PDF only put labels
    in the reader's language on it and format its numbers.

    Parameters
    ----------
    cadre : CadreResult
        The cadre's stored result (total, grade, rank, bonus and penalty, flags of what
        lowered the grade).
    indicator_set : IndicatorSet
        The rulebook's set of the cadre's post (names, categories, caps).
    indicators : tuple of ExplainedIndicator
        Weighted indicators in stored (rulebook) order.
    events : tuple of ExplainedEvent
        Bonus, penalty and veto indicators with events (:func:`explain_events`).
    total : TotalExplanation or None
        :func:`explain_total`; ``None`` when it could not be rebuilt.
    categories : tuple of CategoryPoints
        Every category of the set, in rulebook order.
    group_totals : tuple of float
        Totals of the cadre's post group, own included (for the distribution; no names).
    quota : GroupQuota or None
        The top-grade quota outcome of the post group.
    confidence : GradeConfidence or None
        The cadre's bootstrap grade confidence, when computed.
    problems : tuple of str
        Why a formula could not be rebuilt (``points_mismatch`` and the like); empty when
        every number was explained.
    """

    cadre: CadreResult
    indicator_set: IndicatorSet
    indicators: tuple[ExplainedIndicator, ...]
    events: tuple[ExplainedEvent, ...]
    total: TotalExplanation | None
    categories: tuple[CategoryPoints, ...]
    group_totals: tuple[float, ...]
    quota: GroupQuota | None
    confidence: GradeConfidence | None
    problems: tuple[str, ...] = ()

    @property
    def explained(self) -> bool:
        """Whether every indicator, event and the total were explained."""
        return not self.problems

    @property
    def group_size(self) -> int:
        """Cadres in the post group, own included."""
        return len(self.group_totals)


def explain_cadre_result(
    result: PeriodResult,
    cadre_id: str,
    rulebook: Rulebook,
    *,
    group_plain: Sequence[Mapping[str, Any]] | None = None,
) -> CadreExplanation:
    """Explain one cadre of a stored result, everything the cadre may read about it.

    Parameters
    ----------
    result : PeriodResult
        The stored result (``assessment.core.records.result_from_plain``).
    cadre_id : str
        The cadre.
    rulebook : Rulebook
        The rulebook the result was computed under (the version's own).
    group_plain : sequence of mapping, optional
        ``record_to_plain`` of every cadre of the cadre's post group, when the caller
        explains many cadres of one result (a build of every scorecard): converted once
        per group instead of once per cadre explained, which made a build of ``n``
        scorecards convert about ``n²/groups`` records (issue 16). Converted here when
        not given.

    Returns
    -------
    CadreExplanation
        Formulas by :func:`explain_cadre`, :func:`explain_events` and
        :func:`explain_total`; categories by :func:`category_points` and
        :func:`group_category_means`. A formula that cannot be rebuilt (the numbers do
        not give the stored points) is left out and named in ``problems``: the stored
        numbers are still shown, and a reader that must not print an unexplained number
        (the PDF) refuses on ``problems``.

    Raises
    ------
    KeyError
        When the cadre is not in the result.
    InvalidParameterError
        ``no_indicator_set`` when the rulebook has no set for the cadre's post.

    Examples
    --------
    >>> from assessment.core.rulebook import (DEFAULT_GRADES, Aggregation, Category,
    ...     GradingScheme, IndicatorKind, Label)
    >>> from assessment.core.records import ActualInput, CadreInput, PeriodInputs
    >>> from assessment.core.results import compute_period_results
    >>> L = Label("例", "e.g.")
    >>> q = Indicator("Q", L, IndicatorKind.QUANTITATIVE, "c", 100.0, method="linear",
    ...               baseline=50.0, target=100.0)
    >>> rb = Rulebook(L, GradingScheme(DEFAULT_GRADES), Aggregation(), (),
    ...               (IndicatorSet("P", L, (Category("c", L, 100.0),), (q,)),))
    >>> inputs = PeriodInputs(
    ...     cadres=(CadreInput("a", "1", "A", "P", "u"), CadreInput("b", "2", "B", "P", "u")),
    ...     actuals=(ActualInput("a", "Q", 90), ActualInput("b", "Q", 75)))
    >>> view = explain_cadre_result(compute_period_results(rb, inputs, resamples=0), "a", rb)
    >>> view.indicators[0].explanation.expression, view.total.expression
    ('(90 − 50) / (100 − 50) × 100 = 80.00', '80 = 80.00')
    >>> [(c.code, c.points, c.mean) for c in view.categories], view.group_size
    ([('c', 80.0, 65.0)], 2)
    """
    cadre = result.cadre(cadre_id)
    indicator_set = _indicator_set({"post": cadre.post}, rulebook)
    plain = record_to_plain(cadre)
    problems: list[str] = []

    def attempt(part: str, build: Callable[[], T]) -> T | None:
        try:
            return build()
        except AssessmentError as error:
            problems.append(f"{part}: {error}")
            return None

    formulas = attempt("indicators", lambda: explain_cadre(plain, rulebook)) or ()

    def _ballot_of(
        outcome: IndicatorOutcome,
        precision: Precision,
        attempt: Callable[[str, Callable[[], BallotExplanation]], BallotExplanation | None],
    ) -> BallotExplanation | None:
        ballot = outcome.ballot
        if ballot is None:
            return None
        return attempt(f"ballot {outcome.code}", lambda: explain_ballot(ballot, precision))

    by_code = {e.code: e for e in formulas}
    surveys = {(s.indicator, s.target): s for s in result.surveys}

    def _survey_groups(
        outcome: IndicatorOutcome, indicator: Indicator
    ) -> tuple[SurveyGroupIndex, ...]:
        sources = indicator.sources
        if outcome.status != "scored" or sources is None or sources.method != "satisfaction":
            return ()
        target = outcome.survey_target or ""
        return tuple(
            SurveyGroupIndex(
                g.group, g.weight, surveys.get((outcome.code, group_target(target, g.group)))
            )
            for g in sources.groups
        )

    indicators = tuple(
        ExplainedIndicator(
            outcome=outcome,
            indicator=_indicator(indicator_set, outcome.code),
            explanation=by_code.get(outcome.code),
            survey=surveys.get((outcome.code, outcome.survey_target or ""))
            if outcome.kind == IndicatorKind.SURVEY and outcome.status == "scored"
            else None,
            ballot=_ballot_of(outcome, rulebook.precision, attempt),
            survey_groups=_survey_groups(outcome, _indicator(indicator_set, outcome.code)),
        )
        for outcome in cadre.indicators
    )
    events = tuple(
        ExplainedEvent(e, _indicator(indicator_set, e.code))
        for e in attempt("events", lambda: explain_events(plain, rulebook)) or ()
    )
    total = attempt("total", lambda: explain_total(plain, rulebook))
    group = [c for c in result.cadres if c.post_group == cadre.post_group]
    own = category_points(plain)
    if group_plain is None:
        group_plain = [record_to_plain(c) for c in group]
    means = group_category_means(group_plain, cadre.post_group, beside=plain)
    categories = tuple(
        CategoryPoints(
            code=c.code,
            name=c.name,
            weight=float(c.weight),
            points=own.get(c.code, 0.0),
            mean=means.get(c.code, 0.0),
            scored=c.code in own,
        )
        for c in indicator_set.categories
    )
    confidence = None
    if result.confidence is not None:
        confidence = next((c for c in result.confidence.cadres if c.cadre == cadre.id), None)
    return CadreExplanation(
        cadre=cadre,
        indicator_set=indicator_set,
        indicators=indicators,
        events=events,
        total=total,
        categories=categories,
        group_totals=tuple(c.total for c in group),
        quota=next((g for g in result.groups if g.post_group == cadre.post_group), None),
        confidence=confidence,
        problems=tuple(problems),
    )
