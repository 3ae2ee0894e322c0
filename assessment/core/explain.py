"""Explain a stored result point by point: each indicator's formula with its numbers.

A cadre has the right to know how every point came about (DESIGN sections 2 and 4). The
functions here take one cadre of a stored result (an entry of
``result_to_plain(result)["cadres"]``) and the rulebook it was computed under, and return
for each indicator the formula with the actual numbers put in, such as
``clamp((92 − 80) / (95 − 80), 0, 1) × 20 = 16.00``, and the points stored.

The ratio of a quantitative indicator is recomputed with
:func:`~assessment.core.scoring.score_quantitative`, panel and survey points with
:func:`~assessment.core.scoring.compute_qualitative_points`'s rule ``w × v / 100``
(:func:`~assessment.core.scoring.compute_survey_points`), and the total with
:func:`~assessment.core.scoring.compute_total`: one implementation of every rule. An
explanation whose numbers do not give the stored points raises
:class:`~assessment.core.errors.InvalidParameterError` (``points_mismatch``) rather than
print a formula that does not add up (for example with the rulebook of another version).

Every explanation carries its ``formula`` with named placeholders and the full-precision
``terms``: ``formula.format(**terms)`` with ``×`` read as ``*`` and ``−`` as ``-`` gives
the points to within rounding error. The printed ``expression`` has the numbers rounded
for reading (up to 4 decimals, the result to 2). Symbols are language-neutral; method
and status are codes that the web layer and the reports translate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assessment.core.errors import InvalidParameterError
from assessment.core.rulebook import Indicator, IndicatorKind, IndicatorSet, Rulebook
from assessment.core.scoring import (
    Direction,
    Method,
    compute_qualitative_points,
    compute_survey_points,
    compute_total,
    score_quantitative,
)

__all__ = [
    "IndicatorExplanation",
    "TotalExplanation",
    "category_points",
    "explain_cadre",
    "explain_events",
    "explain_indicator",
    "explain_total",
    "format_number",
    "group_category_means",
]

#: Largest difference tolerated between recomputed and stored points.
TOLERANCE = 1e-9

Terms = tuple[tuple[str, float], ...]


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
        ``clamp((92 − 80) / (95 − 80), 0, 1) × 20 = 16.00``.
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


def _render(formula: str, terms: Mapping[str, float], points: float, prefix: str = "") -> str:
    """``prefix`` + the formula with its numbers + `` = `` + the points to 2 decimals."""
    shown = formula.format(**{name: _term(value) for name, value in terms.items()})
    if shown == "0":
        return f"{prefix}0"
    return f"{prefix}{shown} = {points:.2f}"


def _check(code: str, recomputed: float, stored: float) -> None:
    if not math.isclose(recomputed, stored, rel_tol=0.0, abs_tol=TOLERANCE):
        raise InvalidParameterError("outcome", code, "points_mismatch")


def _weight_term(
    weight: float, effective: float, reweight: tuple[float, float] | None
) -> tuple[str, dict[str, float]]:
    """``{w}``, or ``({w} × {W} / {Wk})`` after leaving out indicators of weight ``W − Wk``."""
    if math.isclose(weight, effective, rel_tol=0.0, abs_tol=TOLERANCE):
        return "{w}", {"w": weight}
    if reweight is not None:
        total, kept = reweight
        if math.isclose(weight * total / kept, effective, rel_tol=1e-12, abs_tol=TOLERANCE):
            return "({w} × {W} / {Wk})", {"w": weight, "W": total, "Wk": kept}
    # no breakdown of the reweighting available: the effective weight as one number
    return "{w}", {"w": effective}


# ---------------------------------------------------------------------------
# one weighted indicator
# ---------------------------------------------------------------------------


def _quantitative(
    outcome: Mapping[str, Any], indicator: Indicator, w_term: str
) -> tuple[str, dict[str, float], str, float]:
    """Formula, terms, prefix and ratio of a scored quantitative indicator."""
    a = float(outcome["input"])
    method = Method(indicator.method or "")
    direction = Direction(indicator.direction or "higher")
    higher = direction is Direction.HIGHER
    c = float(indicator.cap)
    ratio = score_quantitative(
        method,
        a,
        direction=direction,
        baseline=indicator.baseline,
        target=indicator.target,
        cap=c,
        steps=tuple((s.threshold, s.ratio) for s in indicator.steps),
        indicator=indicator.code,
    )
    terms: dict[str, float] = {"a": a, "c": c}
    prefix = ""
    if method is Method.LINEAR:
        terms.update(b=float(indicator.baseline or 0.0), t=float(indicator.target or 0.0))
        core = "({a} − {b}) / ({t} − {b})" if higher else "({b} − {a}) / ({b} − {t})"
        formula = f"clamp({core}, 0, {{c}}) × {w_term}"
    elif method is Method.RATIO:
        terms["t"] = float(indicator.target or 0.0)
        if higher:
            formula = f"clamp({{a}} / {{t}}, 0, {{c}}) × {w_term}"
        elif a == 0:
            # lower is better and nothing happened: full marks up to the cap
            prefix = f"{_term(a)} = 0 → "
            formula = f"{{c}} × {w_term}"
            del terms["a"], terms["t"]
        else:
            formula = f"clamp({{t}} / {{a}}, 0, {{c}}) × {w_term}"
    elif method is Method.STEPS:
        reached = [s for s in indicator.steps if (a >= s.threshold if higher else a <= s.threshold)]
        if reached:
            step = reached[-1]
            prefix = f"{_term(a)} {'≥' if higher else '≤'} {_term(step.threshold)} → "
            terms["r"] = float(step.ratio)
        else:
            first = indicator.steps[0]
            prefix = f"{_term(a)} {'<' if higher else '>'} {_term(first.threshold)} → "
            terms["r"] = 0.0
        formula = ("min({r}, {c})" if terms["r"] > c else "{r}") + f" × {w_term}"
        del terms["a"]
    else:
        if indicator.target is None:
            met = a == 1.0
        else:
            t = float(indicator.target)
            met = a >= t if higher else a <= t
            sign = ("≥" if higher else "≤") if met else ("<" if higher else ">")
            prefix = f"{_term(a)} {sign} {_term(t)} → "
        terms["r"] = 1.0 if met else 0.0
        formula = ("min({r}, {c})" if met and c < 1.0 else "{r}") + f" × {w_term}"
        del terms["a"]
    if "{c}" not in formula:
        del terms["c"]
    return formula, terms, prefix, ratio


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

    - quantitative ``points = w × r``; linear ``r = clamp((a − b) / (t − b), 0, c)``
      (lower better ``clamp((b − a) / (b − t), 0, c)``); ratio ``clamp(a / t, 0, c)``
      (lower better ``clamp(t / a, 0, c)``, ``a = 0`` gives ``c``); steps: the ratio of
      the hardest threshold reached, capped at ``c``; binary: 1 when met (capped at
      ``c``), else 0;
    - qualitative ``points = v × w / 100`` with the panel value ``v`` (trimmed mean of
      ``n`` ratings from ``trim_threshold`` on, else the mean);
    - survey ``points = S × w / 100`` with the satisfaction index ``S``;
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
    'clamp((92 − 80) / (95 − 80), 0, 1) × 20 = 16.00'
    """
    code = str(outcome["code"])
    kind = str(outcome["kind"])
    if kind != indicator.kind or code != indicator.code:
        raise InvalidParameterError("outcome", code, "kind_mismatch")
    status = str(outcome["status"])
    weight = float(outcome["weight"])
    effective = float(outcome["effective_weight"])
    stored = float(outcome["points"])
    w_term, terms = _weight_term(weight, effective, reweight)
    prefix = ""
    ratio: float | None = outcome.get("ratio")
    value = outcome.get("input")
    if status == "excluded":
        formula, terms, recomputed = "0", {}, 0.0
    elif status == "score_zero":
        formula, recomputed = f"0 × {w_term}", 0.0
    elif value is None:
        raise InvalidParameterError("input", code, "missing_for_scored_indicator")
    elif kind == IndicatorKind.QUANTITATIVE:
        formula, extra, prefix, ratio = _quantitative(outcome, indicator, w_term)
        terms.update(extra)
        recomputed = effective * ratio
    elif kind == IndicatorKind.QUALITATIVE:
        terms["v"] = float(value)
        formula = f"{{v}} × {w_term} / 100"
        # the rule of compute_qualitative_points, on the stored panel value
        recomputed = compute_qualitative_points(effective, [terms["v"]]).points
    elif kind == IndicatorKind.SURVEY:
        terms["S"] = float(value)
        formula = f"{{S}} × {w_term} / 100"
        recomputed = compute_survey_points(effective, terms["S"], indicator=code)
    else:
        raise InvalidParameterError("outcome", code, "not_a_weighted_indicator")
    _check(code, recomputed, stored)
    n = outcome.get("n")
    return IndicatorExplanation(
        code=code,
        kind=kind,
        category=outcome.get("category"),
        status=status,
        input=None if value is None else float(value),
        expression=_render(formula, terms, stored, prefix),
        points=stored,
        n=None if n is None else int(n),
        method=outcome.get("method"),
        weight=weight,
        effective_weight=effective,
        ratio=None if ratio is None else float(ratio),
        reason=outcome.get("reason"),
        formula=formula,
        terms=tuple(terms.items()),
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
            if per is not None and math.isclose(count * per, points, abs_tol=TOLERANCE):
                formula, terms = "{k} × {p}", {"k": float(count), "p": float(per)}
                expression = _render(formula, terms, points)
            else:
                formula, terms = "{s}", {"s": points}
                expression = f"Σ (n = {count}) = {points:.2f}"
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
    points = float(cadre["points"])
    bonus_raw = float(cadre["bonus_raw"])
    penalty_raw = float(cadre["penalty_raw"])
    stored = float(cadre["total"])
    recomputed = compute_total(
        [points],
        [bonus_raw],
        [penalty_raw],
        bonus_cap=indicator_set.bonus_cap,
        penalty_cap=indicator_set.penalty_cap,
    )
    _check("total", recomputed.total, stored)
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
        expression=_render(formula, terms, stored),
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
        ``Σ points`` of the cadre's weighted indicators in each category (``math.fsum``).

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
    return {code: math.fsum(values) for code, values in parts.items()}


def group_category_means(cadres: Sequence[Mapping[str, Any]], post_group: str) -> dict[str, float]:
    """Mean points per category over the cadres of one post group.

    Parameters
    ----------
    cadres : sequence of mapping
        ``result_to_plain(result)["cadres"]`` (every group; others are ignored).
    post_group : str
        The group.

    Returns
    -------
    dict of str to float
        For each category, the mean of :func:`category_points` over the group's cadres
        that have the category; empty when the group has no cadre.

    Examples
    --------
    >>> cadres = [{"post_group": "V", "indicators": [{"category": "ji", "points": 10.0}]},
    ...           {"post_group": "V", "indicators": [{"category": "ji", "points": 15.0}]},
    ...           {"post_group": "T", "indicators": [{"category": "ji", "points": 99.0}]}]
    >>> group_category_means(cadres, "V")
    {'ji': 12.5}
    """
    collected: dict[str, list[float]] = {}
    for cadre in cadres:
        if cadre["post_group"] != post_group:
            continue
        for code, points in category_points(cadre).items():
            collected.setdefault(code, []).append(points)
    return {code: math.fsum(values) / len(values) for code, values in collected.items()}
