"""SVG geometry of the result charts: coordinates worked by hand from the documented layout."""

from __future__ import annotations

import pytest

from assessment.core.charts import histogram, paired_bars, probability_segments, trend_line
from assessment.core.errors import InvalidParameterError


def test_histogram_bands_heights_lines_and_the_marked_total():
    # bands of 10 on 0-100: 55 -> band 5; 72.5 and 78 -> band 7; 91 -> 9; 100 -> 9 (last band
    # holds 100); -3 -> band 0 (clamped); 130 (bonus above 100) -> band 9
    chart = histogram([55.0, 72.5, 78.0, 91.0, 100.0, -3.0, 130.0], [90, 70, 60, 0], own=72.5)
    assert [b.count for b in chart.bars] == [1, 0, 0, 0, 0, 1, 0, 2, 0, 3]
    # tallest band (3) is height - top = 90 tall; a band of 2 is 60, of 1 is 30
    assert [b.height for b in chart.bars][5:] == [30.0, 0.0, 60.0, 0.0, 90.0]
    assert chart.bars[7].y == 40.0
    # each band is 300 / 10 = 30 wide, drawn 28 wide from 1 unit in
    assert (chart.bars[7].x, chart.bars[7].width) == (211.0, 28.0)
    assert (chart.bars[7].low, chart.bars[7].high) == (70, 80)
    assert [b.own for b in chart.bars] == [False] * 7 + [True, False, False]
    # marker at 300 × 72.5 / 100; the 0 minimum has no line
    assert chart.marker == 217.5
    assert [(g.x, g.minimum) for g in chart.lines] == [(270.0, 90), (210.0, 70), (180.0, 60)]
    assert chart.total == 7


def test_histogram_without_totals_or_marker():
    chart = histogram([], [60.0])
    assert {b.count for b in chart.bars} == {0}
    assert {b.height for b in chart.bars} == {0.0}
    assert chart.marker is None
    assert not any(b.own for b in chart.bars)


def test_histogram_custom_bands_and_size():
    chart = histogram([24.0, 26.0], [], bands=4, width=200, height=50, top=0)
    # bands of 25: 24 -> 0, 26 -> 1; each 200 / 4 = 50 wide
    assert [b.count for b in chart.bars] == [1, 1, 0, 0]
    assert [(b.low, b.high) for b in chart.bars][:2] == [(0, 25), (25, 50)]
    assert chart.bars[1].x == 51.0
    assert chart.bars[0].height == 50.0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"totals": [float("nan")]}, "totals"),
        ({"totals": [50.0], "own": float("inf")}, "own"),
        ({"totals": [50.0], "width": 0}, "width"),
        ({"totals": [50.0], "bands": 0}, "bands"),
        ({"totals": [50.0], "minimums": [float("nan")]}, "minimums"),
    ],
)
def test_histogram_refuses_bad_numbers(kwargs, name):
    kwargs.setdefault("minimums", [])
    with pytest.raises(InvalidParameterError) as caught:
        histogram(**kwargs)
    assert caught.value.name == name


def test_probability_segments_stack_best_first_and_skip_zero():
    grades = [("excellent", "#1"), ("competent", "#2"), ("basic", "#3"), ("incompetent", "#4")]
    segments = probability_segments({"competent": 0.6, "excellent": 0.3, "basic": 0.1}, grades)
    # widths 30, 60, 10 on a 100-long bar, stacked in the order of the grades
    assert [(s.code, s.fill) for s in segments] == [
        ("excellent", "#1"),
        ("competent", "#2"),
        ("basic", "#3"),
    ]
    assert [s.x for s in segments] == pytest.approx([0.0, 30.0, 90.0])
    assert [s.width for s in segments] == pytest.approx([30.0, 60.0, 10.0])
    assert probability_segments({}, grades) == ()
    wide = probability_segments({"basic": 1.0}, grades, width=250)
    assert [(s.x, s.width, s.p) for s in wide] == [(0.0, 250.0, 1.0)]


def test_paired_bars_scale_each_category_to_its_points():
    chart = paired_bars(
        [("ji", 30.0, 20.0, 40.0), ("de", 12.0, 9.0, 10.0), ("lian", 0.0, 0.0, 0.0)],
        width=300,
        room=60,
    )
    # plot width 300 - 60 = 240; ji: 240 × 30 / 40 = 180, 240 × 20 / 40 = 120
    # de: own 12 above the weight 10 (a cap above 1) -> scale 12: 240 and 240 × 9 / 12 = 180
    # lian: nothing -> no bars, and no division by zero
    assert [(r.own_width, r.mean_width) for r in chart.rows] == [
        (180.0, 120.0),
        (240.0, 180.0),
        (0.0, 0.0),
    ]
    # rows of 16 (label) + 10 + 2 + 10 (bars) + 10 (gap) = 48
    assert [(r.label_y, r.own_y, r.mean_y) for r in chart.rows] == [
        (12.0, 16.0, 28.0),
        (60.0, 64.0, 76.0),
        (108.0, 112.0, 124.0),
    ]
    assert (chart.height, chart.plot_width) == (144.0, 240.0)


def test_paired_bars_refuse_negative_points_and_no_room():
    with pytest.raises(InvalidParameterError) as caught:
        paired_bars([("ji", -1.0, 2.0, 10.0)])
    assert (caught.value.name, caught.value.value, caught.value.reason) == (
        "rows",
        "ji",
        "negative",
    )
    with pytest.raises(InvalidParameterError) as caught:
        paired_bars([("ji", 1.0, 2.0, 10.0)], width=50, room=60)
    assert caught.value.reason == "no_room_for_bars"


def test_trend_line_spreads_periods_and_clamps_totals():
    # width 300, pad 8: inner 284; three periods at x = 8, 150, 292
    # height 80: inner 64; y = 72 - total / 100 × 64: 50 -> 40, 75 -> 24, 120 (bonus) -> 8
    line = trend_line([50.0, 75.0, 120.0], [90.0, 60.0, 0.0])
    assert [(d.x, d.y) for d in line.dots] == [(8.0, 40.0), (150.0, 24.0), (292.0, 8.0)]
    assert line.points == "8,40 150,24 292,8"
    assert line.dots[2].total == 120.0
    # 90 -> 72 - 57.6 = 14.4; 60 -> 72 - 38.4 = 33.6
    assert [y for y, _ in line.lines] == pytest.approx([14.4, 33.6])
    assert [m for _, m in line.lines] == [90.0, 60.0]
    single = trend_line([80.0])
    assert [(d.x, d.y) for d in single.dots] == [(150.0, pytest.approx(20.8))]
    assert trend_line([]).points == ""
    with pytest.raises(InvalidParameterError):
        trend_line([50.0], pad=40)


def test_trend_line_from_a_raised_bottom():
    # low 50: y = 72 - (total - 50) / 50 × 64: 75 -> 40, 40 (below the bottom) -> 72
    line = trend_line([75.0, 40.0], [90.0, 60.0, 50.0], low=50.0)
    assert [d.y for d in line.dots] == [40.0, 72.0]
    # 90 -> 72 - 51.2 = 20.8; 60 -> 72 - 12.8 = 59.2; 50 is the bottom itself: no line
    assert [y for y, _ in line.lines] == pytest.approx([20.8, 59.2])
    assert (line.low, line.top, line.bottom) == (50.0, 8.0, 72.0)
    for bad in (-1.0, 100.0, float("nan")):
        with pytest.raises(InvalidParameterError) as caught:
            trend_line([50.0], low=bad)
        assert caught.value.name == "low"
