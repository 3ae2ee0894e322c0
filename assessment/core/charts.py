"""SVG geometry of the small charts on result pages: numbers in, coordinates out.

Pages draw these with SVG presentation attributes (the content security policy forbids
inline styles and scripts), so the charts work without JavaScript and print as they
show. Nothing here knows names or labels: categories and grades are codes, colours are
passed in, and the template writes the words. Every chart has the same 0-100 score
scale unless said otherwise.

- :func:`histogram`: totals of a post group in bands of ten points, dashed lines at the
  grade minimums, optionally one total marked (a cadre's own, without anyone's name).
- :func:`probability_segments`: a stacked bar of the probability of each grade.
- :func:`paired_bars`: per category, a cadre's points beside the group mean.
- :func:`trend_line`: a cadre's totals across periods.
- :func:`interval_rows`: indices with their intervals, one row each (the county dashboard).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assessment.core.errors import InvalidParameterError

__all__ = [
    "Bar",
    "GradeLine",
    "Histogram",
    "IntervalRow",
    "PairedBars",
    "PairedRow",
    "Segment",
    "TrendLine",
    "TrendPoint",
    "histogram",
    "interval_rows",
    "paired_bars",
    "probability_segments",
    "trend_line",
]

#: Top of the score scale: totals above it (a cap above 1, bonus points) are drawn at it.
SCALE = 100.0


def _finite(name: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise InvalidParameterError(name, value, "not_finite")
    return number


def _positive(name: str, value: float) -> float:
    number = _finite(name, value)
    if number <= 0:
        raise InvalidParameterError(name, value, "not_positive")
    return number


def _whole(value: float) -> float:
    """Integral values as ``int`` so that labels read ``70–80``, not ``70.0–80.0``."""
    return int(value) if value.is_integer() else value


def _on_scale(total: float) -> float:
    return min(max(total, 0.0), SCALE)


# ---------------------------------------------------------------------------
# histogram of totals
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    """One band of a histogram: a rectangle and the count it stands for.

    ``low <= total < high`` (the last band also holds ``high``); ``own`` marks the band
    holding the marked total.
    """

    x: float
    y: float
    width: float
    height: float
    count: int
    low: float
    high: float
    own: bool = False


@dataclass(frozen=True, slots=True)
class GradeLine:
    """A vertical line at a grade minimum."""

    x: float
    minimum: float


@dataclass(frozen=True, slots=True)
class Histogram:
    """Bars, grade lines and an optional marker, in SVG user units.

    Parameters
    ----------
    width, height : float
        The plot area; the baseline is at ``y = height``.
    bars : tuple of Bar
        One per band, left to right.
    lines : tuple of GradeLine
        Grade minimums strictly inside the scale.
    marker : float or None
        ``x`` of the marked total, or ``None``.
    total : int
        Number of totals drawn.
    """

    width: float
    height: float
    bars: tuple[Bar, ...]
    lines: tuple[GradeLine, ...]
    marker: float | None
    total: int


def histogram(
    totals: Sequence[float],
    minimums: Sequence[float],
    *,
    own: float | None = None,
    width: float = 300.0,
    height: float = 100.0,
    top: float = 10.0,
    bands: int = 10,
) -> Histogram:
    """Lay out a histogram of totals on the 0-100 scale.

    Parameters
    ----------
    totals : sequence of float
        The totals of one group (no names: only numbers reach the chart).
    minimums : sequence of float
        Grade minimums; those strictly between 0 and 100 get a line.
    own : float, optional
        A total to mark (the reader's own); its band has ``own = True``.
    width, height : float
        Plot size in SVG units (default 300 × 100).
    top : float
        Room left above the tallest bar.
    bands : int
        Number of equal bands over 0-100 (default 10, ten points each).

    Returns
    -------
    Histogram

    Raises
    ------
    InvalidParameterError
        A total or minimum that is not finite; a size or ``bands`` that is not positive.

    Notes
    -----
    A total ``s`` falls in band ``min(floor(clamp(s, 0, 100) / (100 / bands)), bands − 1)``;
    a band with ``count`` totals is ``(height − top) × count / max count`` tall and
    ``width / bands − 2`` wide, 1 unit in from its left edge.

    Examples
    --------
    >>> chart = histogram([55.0, 72.5, 78.0, 91.0], [90, 70, 60, 0], own=78.0)
    >>> [b.count for b in chart.bars][5:]
    [1, 0, 2, 0, 1]
    >>> [b.own for b in chart.bars].index(True), chart.marker, [g.x for g in chart.lines]
    (7, 234.0, [270.0, 210.0, 180.0])
    """
    width, height = _positive("width", width), _positive("height", height)
    if isinstance(bands, bool) or not isinstance(bands, int) or bands < 1:
        raise InvalidParameterError("bands", bands, "not_positive")
    band = SCALE / bands

    def index(total: float) -> int:
        return min(int(_on_scale(total) // band), bands - 1)

    counts = [0] * bands
    for total in totals:
        counts[index(_finite("totals", total))] += 1
    own_index = None if own is None else index(_finite("own", own))
    peak = max(counts) or 1
    bars = []
    for i, count in enumerate(counts):
        bar_height = (height - top) * count / peak
        bars.append(
            Bar(
                x=i * width / bands + 1,
                y=height - bar_height,
                width=width / bands - 2,
                height=bar_height,
                count=count,
                low=_whole(i * band),
                high=_whole((i + 1) * band),
                own=i == own_index,
            )
        )
    lines = tuple(
        GradeLine(x=width * m / SCALE, minimum=m)
        for m in (_finite("minimums", v) for v in minimums)
        if 0 < m < SCALE
    )
    marker = None if own is None else width * _on_scale(float(own)) / SCALE
    return Histogram(width, height, tuple(bars), lines, marker, len(totals))


# ---------------------------------------------------------------------------
# grade probabilities
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    """One grade's part of a stacked probability bar."""

    x: float
    width: float
    fill: str
    code: str
    p: float


def probability_segments(
    probabilities: Mapping[str, float],
    grades: Sequence[tuple[str, str]],
    *,
    width: float = 100.0,
) -> tuple[Segment, ...]:
    """Lay out a stacked bar of grade probabilities, best grade first.

    Parameters
    ----------
    probabilities : mapping of str to float
        Grade code to probability (the bootstrap grade confidence).
    grades : sequence of (code, fill)
        Grades best first with their colours.
    width : float
        Length of the whole bar (probability 1).

    Returns
    -------
    tuple of Segment
        Only grades with a positive probability, left to right.

    Examples
    --------
    >>> segs = probability_segments({"a": 0.25, "b": 0.75}, [("a", "#111"), ("b", "#222"),
    ...                                                       ("c", "#333")])
    >>> [(s.code, s.x, s.width) for s in segs]
    [('a', 0.0, 25.0), ('b', 25.0, 75.0)]
    """
    width = _positive("width", width)
    segments = []
    x = 0.0
    for code, fill in grades:
        p = _finite("probabilities", probabilities.get(code, 0.0))
        if p > 0:
            segments.append(Segment(x=x, width=width * p, fill=fill, code=code, p=p))
            x += width * p
    return tuple(segments)


# ---------------------------------------------------------------------------
# own points against the group mean, per category
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairedRow:
    """One category: the label's baseline, the own bar above the group-mean bar.

    ``own_width`` and ``mean_width`` are lengths on the row's scale, ``maximum`` points
    (the category's weight, or more when a cap above 1 or a reweighting went beyond it).
    """

    code: str
    own: float
    mean: float
    maximum: float
    label_y: float
    own_y: float
    mean_y: float
    own_width: float
    mean_width: float


@dataclass(frozen=True, slots=True)
class PairedBars:
    """Rows of paired horizontal bars in SVG user units.

    ``x`` is where bars start (labels sit above them at the same ``x``), ``bar`` the
    thickness of a bar and ``plot_width`` the length of a full bar.
    """

    width: float
    height: float
    x: float
    plot_width: float
    bar: float
    rows: tuple[PairedRow, ...]


def paired_bars(
    rows: Sequence[tuple[str, float, float, float]],
    *,
    width: float = 300.0,
    bar: float = 10.0,
    label: float = 16.0,
    gap: float = 10.0,
    room: float = 60.0,
) -> PairedBars:
    """Lay out, per category, the reader's points above the group mean.

    Parameters
    ----------
    rows : sequence of (code, own, mean, maximum)
        Category code, own points, group mean and the most points the category gives
        (its weight).
    width : float
        Width of the chart.
    bar : float
        Thickness of each bar.
    label : float
        Height of the line above each pair, for the category name.
    gap : float
        Space after each pair.
    room : float
        Space kept right of the bars for the numbers.

    Returns
    -------
    PairedBars

    Raises
    ------
    InvalidParameterError
        A non-finite or negative number; sizes that leave no room for the bars.

    Notes
    -----
    Each row has its own scale: a bar is ``plot_width × points / m`` long with
    ``m = max(maximum, own, mean)``, so a full bar means all of the category's points.

    Examples
    --------
    >>> chart = paired_bars([("ji", 30.0, 20.0, 40.0), ("de", 10.0, 10.0, 10.0)])
    >>> [(r.own_width, r.mean_width) for r in chart.rows]
    [(180.0, 120.0), (240.0, 240.0)]
    >>> chart.height
    96.0
    """
    width = _positive("width", width)
    plot_width = width - room
    if plot_width <= 0:
        raise InvalidParameterError("room", room, "no_room_for_bars")
    laid: list[PairedRow] = []
    y = 0.0
    row_height = label + 2 * bar + 2 + gap
    for code, own, mean, maximum in rows:
        values = [_finite("rows", v) for v in (own, mean, maximum)]
        if min(values) < 0:
            raise InvalidParameterError("rows", code, "negative")
        scale = max(values) or 1.0
        laid.append(
            PairedRow(
                code=code,
                own=values[0],
                mean=values[1],
                maximum=values[2],
                label_y=y + label - 4,
                own_y=y + label,
                mean_y=y + label + bar + 2,
                own_width=plot_width * values[0] / scale,
                mean_width=plot_width * values[1] / scale,
            )
        )
        y += row_height
    return PairedBars(
        width=width, height=y, x=0.0, plot_width=plot_width, bar=bar, rows=tuple(laid)
    )


# ---------------------------------------------------------------------------
# trend across periods
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One period's total on the line."""

    x: float
    y: float
    total: float


@dataclass(frozen=True, slots=True)
class TrendLine:
    """A polyline of totals, oldest left, with grade minimum lines across.

    ``points`` is the SVG ``points`` attribute of the polyline; ``lines`` are
    ``(y, minimum)`` of the grade minimums strictly inside the scale, which runs from
    ``low`` (at ``y = bottom``) to 100 (at ``y = top``).
    """

    width: float
    height: float
    dots: tuple[TrendPoint, ...]
    points: str
    lines: tuple[tuple[float, float], ...]
    low: float = 0.0
    top: float = 0.0
    bottom: float = 0.0


def trend_line(
    totals: Sequence[float],
    minimums: Sequence[float] = (),
    *,
    width: float = 300.0,
    height: float = 80.0,
    pad: float = 8.0,
    low: float = 0.0,
) -> TrendLine:
    """Lay out a cadre's totals across periods on the 0-100 scale.

    Parameters
    ----------
    totals : sequence of float
        Totals from the oldest period to the newest.
    minimums : sequence of float
        Grade minimums drawn as horizontal lines.
    width, height : float
        Chart size.
    pad : float
        Margin on every side.
    low : float
        Bottom of the scale (default 0; totals below it are drawn at it), so that
        totals between, say, 60 and 90 do not sit in a thin band at the top.

    Returns
    -------
    TrendLine
        One period is drawn in the middle; more are spread evenly.

    Raises
    ------
    InvalidParameterError
        A non-finite total or minimum; ``low`` outside [0, 100); no room inside ``pad``.

    Notes
    -----
    ``x_i = pad + i × (width − 2 pad) / (k − 1)``;
    ``y = height − pad − (clamp(total, low, 100) − low) / (100 − low) × (height − 2 pad)``.

    Examples
    --------
    >>> line = trend_line([60.0, 80.0, 100.0], [90.0], width=116, height=116)
    >>> line.points
    '8,48 58,28 108,8'
    >>> line.lines
    ((18.0, 90.0),)
    >>> trend_line([60.0, 80.0], low=50.0, width=116, height=116).points
    '8,88 108,48'
    """
    width, height = _positive("width", width), _positive("height", height)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    if inner_w <= 0 or inner_h <= 0:
        raise InvalidParameterError("pad", pad, "no_room_for_the_line")

    low = _finite("low", low)
    if not 0 <= low < SCALE:
        raise InvalidParameterError("low", low, "outside_0_100")

    def y_of(score: float) -> float:
        return height - pad - (max(_on_scale(score), low) - low) / (SCALE - low) * inner_h

    values = [_finite("totals", t) for t in totals]
    count = len(values)
    dots = tuple(
        TrendPoint(
            x=pad + (i * inner_w / (count - 1) if count > 1 else inner_w / 2),
            y=y_of(total),
            total=total,
        )
        for i, total in enumerate(values)
    )
    points = " ".join(f"{_svg(d.x)},{_svg(d.y)}" for d in dots)
    lines = tuple(
        (y_of(m), m) for m in (_finite("minimums", v) for v in minimums) if low < m < SCALE
    )
    return TrendLine(
        width=width,
        height=height,
        dots=dots,
        points=points,
        lines=lines,
        low=low,
        top=pad,
        bottom=height - pad,
    )


def _svg(value: float) -> str:
    """A coordinate as SVG reads it: at most 2 decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------
# an index with its interval, one row per township
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntervalRow:
    """One row of an interval chart: the index's dot and its whisker, on ``[0, width]``."""

    y: float
    x: float
    low: float | None
    high: float | None


def interval_rows(
    rows: Sequence[tuple[float, float | None, float | None]],
    *,
    width: float = 100.0,
    row_height: float = 10.0,
) -> tuple[IntervalRow, ...]:
    """Lay out indices with their intervals, one row each, on the 0-100 score scale.

    Parameters
    ----------
    rows : sequence of (index, low, high)
        Index and interval ends (``None`` when the interval is undefined); values off
        the scale are drawn at its ends.
    width : float
        Length of the scale 0-100.
    row_height : float
        Height of a row; each row's ``y`` is its middle.

    Returns
    -------
    tuple of IntervalRow

    Examples
    --------
    >>> [(r.y, r.x, r.low, r.high) for r in interval_rows([(80, 70, 90), (50, None, None)],
    ...                                                   width=200)]
    [(5.0, 160.0, 140.0, 180.0), (15.0, 100.0, None, None)]
    """
    width = _positive("width", width)
    row_height = _positive("row_height", row_height)

    def place(value: float) -> float:
        return width * min(max(_finite("rows", value), 0.0), SCALE) / SCALE

    out = []
    for i, (index, low, high) in enumerate(rows):
        defined = low is not None and high is not None
        out.append(
            IntervalRow(
                y=row_height * (i + 0.5),
                x=place(index),
                low=place(low) if defined and low is not None else None,
                high=place(high) if defined and high is not None else None,
            )
        )
    return tuple(out)
