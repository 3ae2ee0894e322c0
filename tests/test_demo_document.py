"""The demo's rulebook document is built afresh on every call (no shared dicts)."""

from __future__ import annotations

from assessment.services.demo import demo_rulebook_document


def test_changing_one_document_leaves_the_next_one_as_written():
    # A test that edits the MZ indicator of its document once poisoned every later demo
    # seed in the same process (MZ read a satisfaction survey's groups: 4 missing inputs).
    first = demo_rulebook_document(None, democratic_evaluation=True)
    for post in first["posts"]:
        for indicator in post["indicators"]:
            if indicator["code"] == "MZ":
                indicator["sources"] = {"surveys": ["other"]}
                indicator.pop("description", None)
    again = demo_rulebook_document(None, democratic_evaluation=True)
    mz = [i for p in again["posts"] for i in p["indicators"] if i["code"] == "MZ"]
    assert mz and all(i["sources"]["method"] == "ballot" and "description" in i for i in mz)
