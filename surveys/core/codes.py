"""Resident access codes and receipts: the alphabet, the check character, the layout.

Codes are written by hand and read aloud, so the alphabet leaves out the characters
people confuse (0/O, 1/I/L). It has 31 symbols, a prime, which makes a weighted
check character catch every single wrong character and every swap of two characters.
Random draws are not made here (core reads no randomness): callers pass the body.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ALPHABET",
    "CODE_BODY_LENGTH",
    "RECEIPT_BODY_LENGTH",
    "check_character",
    "format_code",
    "is_well_formed",
    "normalise_code",
    "with_check",
]

#: Digits 2-9 and the capital letters without I, L and O: 31 symbols.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MODULUS = len(ALPHABET)
_VALUE = {symbol: index for index, symbol in enumerate(ALPHABET)}

#: Random characters of an access code (10 × log2(31) ≈ 49.5 bits), plus one check.
CODE_BODY_LENGTH = 10
#: Random characters of a receipt (8 × log2(31) ≈ 39.6 bits), plus one check.
RECEIPT_BODY_LENGTH = 8
#: Weights are positions 1..n; they stay distinct and non-zero modulo 31 up to 30.
MAX_LENGTH = MODULUS - 1


def _weighted_sum(symbols: Sequence[str]) -> int:
    return sum(position * _VALUE[symbol] for position, symbol in enumerate(symbols, start=1))


def check_character(body: str) -> str:
    """The check character that makes ``body`` + check a valid code.

    Parameters
    ----------
    body : str
        Symbols of :data:`ALPHABET`, at most 29 of them.

    Returns
    -------
    str
        One symbol of :data:`ALPHABET`.

    Raises
    ------
    ValueError
        When ``body`` is too long or holds a symbol outside the alphabet.

    Notes
    -----
    A code ``c_1 … c_n`` (the check is ``c_n``) is valid when
    ``Σ i · v(c_i) ≡ 0 (mod 31)``. The check value is therefore
    ``−(Σ_{i<n} i · v(c_i)) · n⁻¹ mod 31``. Because 31 is prime and the weights
    ``1..n`` are distinct and non-zero, changing one symbol changes the sum by
    ``i · d ≢ 0`` and swapping two different symbols changes it by
    ``(i − j)(b − a) ≢ 0``: both are always detected (ISO 7064 uses the same idea).

    Examples
    --------
    >>> check_character("ABCDEFGHJK")
    'S'
    >>> is_well_formed("ABCDEFGHJKS")
    True
    """
    if len(body) + 1 > MAX_LENGTH:
        raise ValueError(f"a code has at most {MAX_LENGTH - 1} symbols before its check")
    unknown = sorted({symbol for symbol in body if symbol not in _VALUE})
    if unknown:
        raise ValueError(f"symbols outside the code alphabet: {''.join(unknown)}")
    n = len(body) + 1
    inverse = pow(n, -1, MODULUS)
    return ALPHABET[(-_weighted_sum(body) * inverse) % MODULUS]


def with_check(body: str) -> str:
    """``body`` followed by its check character.

    Examples
    --------
    >>> with_check("2345")
    '2345W'
    """
    return body + check_character(body)


def normalise_code(text: str) -> str:
    """Upper-case, without spaces and hyphens: what a person typed, as stored symbols.

    Examples
    --------
    >>> normalise_code(" abcd-efgh jks ")
    'ABCDEFGHJKS'
    """
    return "".join(text.split()).replace("-", "").replace("_", "").upper()


def is_well_formed(code: str, length: int = CODE_BODY_LENGTH + 1) -> bool:
    """Whether a normalised code has the right length, alphabet and check character.

    A code that fails here is a typo: it is refused before any database lookup.

    Examples
    --------
    >>> is_well_formed("ABCDEFGHJKS")
    True
    >>> is_well_formed("ABCDEFGHKJS")  # two symbols swapped
    False
    >>> is_well_formed("ABCDEFGHJK0")  # 0 is not in the alphabet
    False
    """
    if len(code) != length or any(symbol not in _VALUE for symbol in code):
        return False
    return _weighted_sum(code) % MODULUS == 0


def format_code(code: str, group: int = 4) -> str:
    """Split a code into hyphen-separated groups for reading and printing.

    Examples
    --------
    >>> format_code("ABCDEFGHJKS")
    'ABCD-EFGH-JKS'
    """
    return "-".join(code[i : i + group] for i in range(0, len(code), group))
