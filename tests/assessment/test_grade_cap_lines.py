"""Grade caps in words (assessment.views.messages.grade_cap_lines), both languages."""

from __future__ import annotations

from flask_babel import force_locale

from assessment.core.records import GradeCap

CAPS = (
    GradeCap("competent", "veto", "V1"),
    GradeCap("basic", "ballot_share", "MZ", "incompetent 7/15 > 1/3"),
    GradeCap("basic", "training", "E2", "absent 120 days"),
    # an eligibility rule's cap is worded in full by eligibility_lines (sub-periods
    # counted), so the cap lines leave it out rather than say it twice
    GradeCap("basic", "eligibility", "three_good", "good 2 < 3"),
)
NAMES = {"competent": "称职", "basic": "基本称职"}


def test_each_cap_in_words_with_the_applied_one_marked(app):
    from assessment.views.messages import grade_cap_lines

    with app.test_request_context(), force_locale("en"):
        lines = grade_cap_lines(CAPS, NAMES, "basic")
    assert [line["text"] for line in lines] == [
        "The veto item V1 caps the grade at “称职”.",
        "The vote-share rule of MZ (Incompetent 7/15 > 1/3) caps the grade at “基本称职”.",
        # a kind without words yet still reads, by its code
        "The training E2 absent 120 days caps the grade at “基本称职”.",
    ]
    assert [line["applied"] for line in lines] == [False, True, True]
    with app.test_request_context(), force_locale("zh_CN"):
        (veto, share, _) = grade_cap_lines(CAPS, NAMES, "basic")
    assert veto["text"] == "否决项 V1将等次限定为最高“称职”。"
    assert share["text"] == "MZ 的得票比例规则（不称职 7/15 > 1/3）将等次限定为最高“基本称职”。"
