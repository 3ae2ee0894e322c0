"""Fitting an earlier period's rulebook document to today's posts (assessment.core.reuse)."""

from __future__ import annotations

import copy

from assessment.core.reuse import CopyNote, adapt_rulebook_document
from assessment.core.rulebook import Label, default_document
from tests.factories import rulebook_document

POSTS = {"VSEC": Label("村党组织书记", "Village Party secretary"), "VDIR": Label("村委会主任", "")}


def test_nothing_changed_gives_the_same_document_and_no_note():
    source = rulebook_document(posts=("VSEC",))
    adapted = adapt_rulebook_document(source, old_year=2026, new_year=2026, current_posts=POSTS)
    assert adapted.document == source
    assert adapted.notes == ()


def test_the_source_is_left_untouched():
    source = rulebook_document(posts=("VSEC", "VDIR"))
    before = copy.deepcopy(source)
    adapt_rulebook_document(source, old_year=2025, new_year=2026, current_posts={})
    assert source == before


def test_a_renamed_post_takes_todays_name_with_the_chinese_for_a_missing_english():
    source = rulebook_document(posts=("VDIR",))
    adapted = adapt_rulebook_document(source, old_year=2026, new_year=2026, current_posts=POSTS)
    assert adapted.document["posts"][0]["name"] == {"zh": "村委会主任", "en": "村委会主任"}
    assert adapted.notes == (
        CopyNote(
            "post_renamed",
            {"post": "VDIR", "old": "Village committee director", "new": "村委会主任"},
        ),
    )


def test_retired_and_unknown_posts_are_dropped_and_named_apart():
    source = rulebook_document(posts=("VSEC", "VDIR", "TSEC"))
    adapted = adapt_rulebook_document(
        source,
        old_year=2026,
        new_year=2026,
        current_posts={"VSEC": POSTS["VSEC"]},
        retired_posts=["VDIR"],
    )
    assert [s["post"] for s in adapted.document["posts"]] == ["VSEC"]
    assert [(n.params["post"], n.params["why"]) for n in adapted.notes] == [
        ("VDIR", "post_retired"),
        ("TSEC", "post_unknown"),
    ]


def test_the_title_follows_the_year_in_both_languages():
    source = default_document(Label("2025年度考核细则", "2025 assessment rules"))
    adapted = adapt_rulebook_document(source, old_year=2025, new_year=2026, current_posts={})
    assert adapted.document["title"] == {"zh": "2026年度考核细则", "en": "2026 assessment rules"}
    assert adapted.notes == (
        CopyNote("title_changed", {"old": "2025年度考核细则", "new": "2026年度考核细则"}),
    )
