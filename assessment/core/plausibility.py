"""Plausibility of an actual value, judged from its indicator's own definition.

A value the scoring rule accepts may still be a typing slip: 150 for a share written in
per cent, 950 where the baseline is 80 and the target 95. Such values are not refused
(a township may really exceed its quota); the team is warned and confirms them.
"""

from __future__ import annotations

from dataclasses import dataclass

from assessment.core.rulebook import Indicator

#: Units (Chinese or English label) that make the actual value a share in per cent.
PERCENT_UNITS = frozenset({"%", "％", "percent", "per cent", "百分比", "百分率"})


@dataclass(frozen=True, slots=True)
class PlausibilityWarning:
    """Why a value looks wrong, and the values the indicator's rule expects.

    Parameters
    ----------
    code : str
        ``share_above_100`` (a per-cent share above 100, beyond what the rule rewards)
        or ``far_outside_range`` (more than the range's own width outside it).
    low, high : float
        The expected range: baseline to target (linear), 0 to the capped target
        (ratio), the first to the last threshold (steps); 0 to 100 for a share.
    """

    code: str
    low: float
    high: float


def is_share(indicator: Indicator) -> bool:
    """Whether the indicator's actual value is a share written in per cent."""
    unit = indicator.unit
    return unit is not None and (
        unit.zh.strip() in PERCENT_UNITS or unit.en.strip().lower() in PERCENT_UNITS
    )


def expected_range(indicator: Indicator) -> tuple[float, float] | None:
    """The range of actual values the indicator's rule is written for, or None.

    Parameters
    ----------
    indicator : Indicator
        A quantitative indicator.

    Returns
    -------
    tuple of float or None
        ``(low, high)``: for ``linear``, baseline b to target t (either order); for
        ``ratio``, higher is better, 0 to t × c (the value that reaches the cap c);
        for ``steps``, the first to the last threshold. None for ``binary`` and for a
        lower-is-better ratio, whose bad values have no upper end.

    Examples
    --------
    >>> from assessment.core.rulebook import Indicator, IndicatorKind, Label
    >>> L = Label("例", "e.g.")
    >>> expected_range(Indicator("J2", L, IndicatorKind.QUANTITATIVE, method="linear",
    ...                          direction="higher", baseline=80.0, target=95.0))
    (80.0, 95.0)
    >>> expected_range(Indicator("J1", L, IndicatorKind.QUANTITATIVE, method="ratio",
    ...                          direction="higher", target=100.0, cap=1.5))
    (0.0, 150.0)
    """
    method = indicator.method
    if method == "linear" and indicator.baseline is not None and indicator.target is not None:
        low, high = sorted((float(indicator.baseline), float(indicator.target)))
        return low, high
    if method == "ratio" and indicator.target is not None and indicator.direction != "lower":
        return 0.0, float(indicator.target) * float(indicator.cap)
    if method == "steps" and indicator.steps:
        thresholds = [float(step.threshold) for step in indicator.steps]
        return min(thresholds), max(thresholds)
    return None


def check_plausibility(indicator: Indicator, actual: float) -> tuple[PlausibilityWarning, ...]:
    """Warnings about an actual value that the scoring rule accepts but that looks wrong.

    Parameters
    ----------
    indicator : Indicator
        A quantitative indicator.
    actual : float
        The value entered (already accepted by the scoring rule).

    Returns
    -------
    tuple of PlausibilityWarning
        Empty when the value looks plausible.

    Notes
    -----
    Two checks, both from the indicator's own definition:

    - ``share_above_100``: the unit is per cent and ``actual > max(100, h)``, where h is
      the top of :func:`expected_range` (a ratio capped above 1 rewards up to t × c, so
      105 % of a revenue quota with a 1.1 cap is no slip);
    - ``far_outside_range``: with the expected range [l, h] and its width w = h − l
      (or h when the range is a single value), ``actual < l − w`` or ``actual > h + w``:
      more than a whole range beyond it, as 950 is for the range 80–95.

    References
    ----------
    Issue 20 ("150 is accepted for an indicator expressed as a percentage, with no
    warning"); DESIGN.md section 4 for the rules whose ranges are used.

    Examples
    --------
    >>> from assessment.core.rulebook import Indicator, IndicatorKind, Label
    >>> rate = Indicator("J2", Label("收运率", "rate"), IndicatorKind.QUANTITATIVE,
    ...                  method="linear", direction="higher", baseline=80.0,
    ...                  target=95.0, unit=Label("%", "%"))
    >>> [w.code for w in check_plausibility(rate, 92.0)]
    []
    >>> [w.code for w in check_plausibility(rate, 150.0)]
    ['share_above_100', 'far_outside_range']
    >>> [w.code for w in check_plausibility(rate, 60.0)]
    ['far_outside_range']
    """
    warnings: list[PlausibilityWarning] = []
    bounds = expected_range(indicator)
    if is_share(indicator):
        ceiling = max(100.0, bounds[1] if bounds is not None else 100.0)
        if actual > ceiling:
            warnings.append(PlausibilityWarning("share_above_100", 0.0, ceiling))
    if bounds is not None:
        low, high = bounds
        width = high - low if high > low else abs(high)
        if width > 0 and (actual < low - width or actual > high + width):
            warnings.append(PlausibilityWarning("far_outside_range", low, high))
    return tuple(warnings)
