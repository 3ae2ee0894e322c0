"""Canonical JSON and the hash chain, on hand-built entries."""

from __future__ import annotations

import hashlib

from assessment.core.digest import (
    GENESIS_HASH,
    canonical_json,
    compute_entry_hash,
    sha256_hex,
    verify_chain,
)


def _chain(n):
    entries, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        content = {"seq": seq, "action": "x", "after": f"{seq}"}
        digest = compute_entry_hash(content, prev)
        entries.append({"content": content, "prev_hash": prev, "entry_hash": digest})
        prev = digest
    return entries


def test_canonical_json_ignores_key_order_and_keeps_chinese():
    assert canonical_json({"b": [1, 2], "a": "镇"}) == canonical_json({"a": "镇", "b": [1, 2]})
    assert canonical_json({"a": "镇"}) == '{"a":"镇"}'


def test_sha256_matches_hashlib():
    assert sha256_hex("青山镇") == hashlib.sha256("青山镇".encode()).hexdigest()


def test_entry_hash_covers_the_previous_hash():
    content = {"seq": 1}
    assert compute_entry_hash(content, GENESIS_HASH) != compute_entry_hash(content, "1" * 64)


def test_intact_chain_verifies():
    result = verify_chain(_chain(5))
    assert result.ok
    assert result.checked == 5


def test_modified_content_is_named():
    entries = _chain(5)
    entries[2]["content"] = {**entries[2]["content"], "after": "tampered"}
    result = verify_chain(entries)
    assert (result.ok, result.first_broken_seq, result.problem) == (False, 3, "content_changed")


def test_rehashed_entry_breaks_the_next_link():
    entries = _chain(5)
    forged = {**entries[2]["content"], "after": "tampered"}
    entries[2] = {
        **entries[2],
        "content": forged,
        "entry_hash": compute_entry_hash(forged, entries[2]["prev_hash"]),
    }
    result = verify_chain(entries)
    assert (result.first_broken_seq, result.problem) == (4, "link_broken")


def test_gap_is_named():
    entries = _chain(5)
    del entries[1]
    result = verify_chain(entries)
    assert (result.first_broken_seq, result.problem) == (3, "sequence_gap")


def test_empty_chain_is_intact():
    assert verify_chain([]).ok
