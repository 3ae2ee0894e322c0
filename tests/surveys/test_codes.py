"""Access codes: alphabet, check character, keyed hashing."""

from __future__ import annotations

import itertools
import random

import pytest

from surveys.core.codes import (
    ALPHABET,
    check_character,
    format_code,
    is_well_formed,
    normalise_code,
    with_check,
)
from surveys.services import tokens


def test_alphabet_leaves_out_characters_people_confuse():
    assert not set("01OIL") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 31


def test_new_codes_are_long_enough_and_well_formed():
    codes = {tokens.new_access_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(code) == 11 and tokens.is_access_code(code) for code in codes)


@pytest.mark.parametrize("seed", range(20))
def test_every_single_substitution_and_adjacent_swap_is_caught(seed):
    rng = random.Random(seed)  # noqa: S311  (reproducible test data, not a secret)
    code = with_check("".join(rng.choice(ALPHABET) for _ in range(10)))
    assert is_well_formed(code)
    for position, symbol in itertools.product(range(len(code)), ALPHABET):
        if code[position] != symbol:
            typo = code[:position] + symbol + code[position + 1 :]
            assert not is_well_formed(typo), typo
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            assert not is_well_formed(swapped), swapped


def test_check_character_refuses_foreign_symbols():
    with pytest.raises(ValueError, match="alphabet"):
        check_character("ABC0")


def test_typed_codes_are_normalised_and_formatted():
    code = tokens.new_access_code()
    typed = "  " + format_code(code).lower() + " "
    assert normalise_code(typed) == code
    assert tokens.is_access_code(typed)
    assert format_code("ABCDEFGHJKS") == "ABCD-EFGH-JKS"


def test_hash_is_keyed_and_bound_to_the_survey():
    code = tokens.new_access_code()
    first = tokens.hash_access_code("k" * 40, 1, code)
    assert first == tokens.hash_access_code("k" * 40, 1, format_code(code).lower())
    assert first != tokens.hash_access_code("j" * 40, 1, code)
    assert first != tokens.hash_access_code("k" * 40, 2, code)
    assert code not in first and len(first) == 64


def test_receipts_have_their_own_length():
    receipt = tokens.new_receipt()
    assert len(receipt) == 9 and tokens.is_receipt(receipt)
    assert not tokens.is_access_code(receipt)
