"""The text rule (assessment.core.text): which characters are refused, and where."""

from __future__ import annotations

import unicodedata

import pytest

from assessment.core.text import find_control_character, find_control_character_in_tree

#: Every character of Unicode category Cc, by the standard's definition: C0 and C1.
CONTROL = [chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]]


def test_the_control_set_is_exactly_category_cc():
    assert [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cc"] == CONTROL


@pytest.mark.parametrize("character", CONTROL)
def test_every_control_character_is_refused_in_a_single_line(character):
    found = find_control_character(f"ab{character}", multiline=False)
    assert (found.position, found.codepoint) == (2, ord(character))


@pytest.mark.parametrize("character", CONTROL)
def test_only_tab_and_line_breaks_pass_in_a_multi_line_value(character):
    found = find_control_character(f"ab{character}", multiline=True)
    assert (found is None) == (character in "\t\n\r")


@pytest.mark.parametrize("value", ["", "张三", "O'Brien", "a\u200bb", "\u3000全角空格", "emoji 🙂"])
def test_ordinary_text_passes(value):
    assert find_control_character(value, multiline=False) is None


def test_the_first_refused_character_is_reported_with_its_label():
    found = find_control_character("a\x1b[31mb\x00", multiline=True)
    assert (found.position, found.label) == (1, "U+001B")


def test_a_tree_is_searched_in_document_order_keys_included():
    data = {"a": ["ok", {"b": "x\x00"}], "c\x01": "late"}
    path, found = find_control_character_in_tree(data)
    assert (path, found.label) == ("a[1].b", "U+0000")
    path, found = find_control_character_in_tree({"ok": 1, "c\x01": "v"})
    assert (path, found.label) == ("c\x01", "U+0001")
    assert find_control_character_in_tree({"a": [1, 2.5, None, True, "line\nbreak"]}) is None
