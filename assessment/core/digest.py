"""Canonical JSON, SHA-256 digests, and the audit hash chain (DESIGN section 5)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Serialise plain data the one way that every digest in the product is taken over.

    Notes
    -----
    Keys sorted, no insignificant white space, UTF-8 characters kept as they are
    (``ensure_ascii=False``), NaN refused. This is the JSON Canonicalization Scheme's
    ordering rule (RFC 8785 section 3.2.3) for the plain data we produce.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": "乡"})
    '{"a":"乡","b":1}'
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 bytes of ``text``, as 64 lowercase hex digits.

    Examples
    --------
    >>> sha256_hex("")[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compute_entry_hash(content: Mapping[str, Any], prev_hash: str) -> str:
    """Hash of one audit entry: SHA-256 of canonical JSON of its content plus ``prev``.

    ``content`` holds every stored field except the two hashes (seq, at, actor, action,
    object, before, after, reason). Including ``seq`` makes a reordering detectable.

    Examples
    --------
    >>> h = compute_entry_hash({"seq": 1, "action": "unit.create"}, GENESIS_HASH)
    >>> len(h)
    64
    """
    return sha256_hex(canonical_json({**content, "prev": prev_hash}))


@dataclass(frozen=True, slots=True)
class ChainVerification:
    """Outcome of :func:`verify_chain`.

    Attributes
    ----------
    ok : bool
        True when every entry is intact and linked.
    checked : int
        Entries examined.
    first_broken_seq : int or None
        ``seq`` of the first entry that fails, or None.
    problem : str
        ``""``, or one of ``"content_changed"``, ``"link_broken"``, ``"sequence_gap"``.
    """

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str = ""


def verify_chain(entries: Sequence[Mapping[str, Any]]) -> ChainVerification:
    """Walk entries in stored order and name the first that does not follow.

    Parameters
    ----------
    entries : sequence of mappings
        Each has ``content`` (the hashed fields, including ``seq``), ``prev_hash`` and
        ``entry_hash``, ordered by ``seq``.

    Returns
    -------
    ChainVerification

    Notes
    -----
    Entry *i* is intact when ``entry_hash == SHA256(canonical(content + prev))`` and
    linked when ``prev_hash`` equals entry *i−1*'s hash (the genesis hash for the first)
    and ``seq`` is one more than entry *i−1*'s. A changed entry fails its own hash; a
    deleted entry breaks the link of the next one; a reordering breaks both.

    Examples
    --------
    >>> c1 = {"seq": 1}; h1 = compute_entry_hash(c1, GENESIS_HASH)
    >>> c2 = {"seq": 2}; h2 = compute_entry_hash(c2, h1)
    >>> e = [{"content": c1, "prev_hash": GENESIS_HASH, "entry_hash": h1},
    ...      {"content": c2, "prev_hash": h1, "entry_hash": h2}]
    >>> verify_chain(e).ok
    True
    >>> verify_chain(e[1:]).first_broken_seq
    2
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for index, entry in enumerate(entries):
        content = entry["content"]
        seq = int(content["seq"])
        if seq != expected_seq:
            return ChainVerification(False, index + 1, seq, "sequence_gap")
        if entry["prev_hash"] != expected_prev:
            return ChainVerification(False, index + 1, seq, "link_broken")
        if compute_entry_hash(content, entry["prev_hash"]) != entry["entry_hash"]:
            return ChainVerification(False, index + 1, seq, "content_changed")
        expected_prev = entry["entry_hash"]
        expected_seq = seq + 1
    return ChainVerification(True, len(entries))
