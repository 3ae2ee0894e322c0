"""Shares in per cent that never round to a lie (issue 20: "0%" for 0.4% participation)."""

from __future__ import annotations

import pytest

from assessment.app.i18n import format_share


@pytest.mark.parametrize(
    ("value", "english", "chinese"),
    [
        (0.0, "0.0%", "0.0%"),
        (0.00018, "<0.1%", "<0.1%"),  # 1 of 5,500 households
        (0.0005, "<0.1%", "<0.1%"),  # 0.05% rounds half to even, to 0.0%
        (0.0006, "0.1%", "0.1%"),
        (0.0018, "0.2%", "0.2%"),  # 1 of 563 households
        (0.0224, "2.2%", "2.2%"),
        (0.9995, ">99.9%", ">99.9%"),
        (0.9999, ">99.9%", ">99.9%"),
        (1.25, "125.0%", "125.0%"),  # more responses than households recorded
        (1.0, "100.0%", "100.0%"),
        (None, "—", "—"),
        (float("nan"), "—", "—"),
    ],
)
def test_a_share_is_zero_or_all_only_when_it_is(app, value, english, chinese):
    for locale, expected in (("en", english), ("zh_CN", chinese)):
        with app.test_request_context(f"/?lang={locale}"):
            assert format_share(value) == expected


def test_whole_per_cents_for_thresholds(app):
    with app.test_request_context("/?lang=en"):
        assert format_share(0.2, 0) == "20%"
        assert format_share(0.004, 0) == "<1%"
