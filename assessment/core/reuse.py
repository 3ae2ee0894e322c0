"""Reusing an earlier period's set-up: what a copy keeps, drops and changes.

A rulebook is copied as its canonical plain document (:func:`~assessment.core.rulebook.to_plain`,
the same data the YAML export writes and the import reads); :func:`adapt_rulebook_document`
fits it to the posts of today and names every change it makes, so that the team reads
them before anything is saved. Survey copies name their changes with the same
:class:`CopyNote`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assessment.core.rulebook import Label


@dataclass(frozen=True, slots=True)
class CopyNote:
    """One difference between a source and its copy.

    Parameters
    ----------
    code : str
        What happened, e.g. ``"post_dropped"``, ``"post_renamed"``, ``"title_changed"``,
        ``"target_dropped"``; the web layer words it.
    params : mapping
        The names and values the wording needs (a post's code and names, a cadre's name).
    """

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AdaptedRulebook:
    """A rulebook document fitted to a new period, and what was changed to fit it.

    Parameters
    ----------
    document : dict
        The plain document to store (a deep copy; the source is left untouched).
    notes : tuple of CopyNote
        Every change from the source, in document order.
    """

    document: dict[str, Any]
    notes: tuple[CopyNote, ...]


def retitle(text: str, old_year: int, new_year: int) -> str:
    """A title with the source period's year replaced by the new period's.

    Examples
    --------
    >>> retitle("青山镇2025年度干部考核细则", 2025, 2026)
    '青山镇2026年度干部考核细则'
    >>> retitle("上半年考核细则", 2025, 2026)
    '上半年考核细则'
    """
    if old_year == new_year:
        return text
    return text.replace(str(old_year), str(new_year))


def _label(value: object) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {"zh": str(value.get("zh", "")), "en": str(value.get("en", ""))}
    return {"zh": "", "en": ""}


def adapt_rulebook_document(
    document: Mapping[str, Any],
    *,
    old_year: int,
    new_year: int,
    current_posts: Mapping[str, Label],
    retired_posts: Iterable[str] = (),
) -> AdaptedRulebook:
    """Fit an earlier period's rulebook document to the posts of today.

    Parameters
    ----------
    document : mapping
        The source's canonical plain document.
    old_year, new_year : int
        Years of the source and the new period; the title's year follows (:func:`retitle`).
    current_posts : mapping of str to Label
        Every post that exists and is not retired, by code, with its name today.
    retired_posts : iterable of str
        Codes of posts that exist but are retired.

    Returns
    -------
    AdaptedRulebook
        The same document except that the title names the new year, the indicator set of
        a post that is retired or no longer exists is dropped, and an indicator set whose
        post was renamed since carries the post's name of today, as the editor writes it
        (``en`` falls back to the Chinese). Each change is one note; nothing else changes.

    Examples
    --------
    >>> doc = {"title": {"zh": "2025年细则", "en": "2025 rules"}, "posts": [
    ...     {"post": "A", "name": {"zh": "甲", "en": "A"}},
    ...     {"post": "B", "name": {"zh": "乙", "en": "B"}}]}
    >>> adapted = adapt_rulebook_document(
    ...     doc, old_year=2025, new_year=2026, current_posts={"A": Label("甲岗", "A post")})
    >>> [s["post"] for s in adapted.document["posts"]], adapted.document["title"]["zh"]
    (['A'], '2026年细则')
    >>> [note.code for note in adapted.notes]
    ['title_changed', 'post_renamed', 'post_dropped']
    """
    result = copy.deepcopy(dict(document))
    notes: list[CopyNote] = []
    retired = frozenset(retired_posts)
    title = _label(result.get("title"))
    new_title = {key: retitle(text, old_year, new_year) for key, text in title.items()}
    if new_title != title:
        result["title"] = new_title
        notes.append(CopyNote("title_changed", {"old": title["zh"], "new": new_title["zh"]}))
    kept = []
    for indicator_set in result.get("posts") or []:
        code = str(indicator_set.get("post", ""))
        name = _label(indicator_set.get("name"))
        post = current_posts.get(code)
        if post is None:
            reason = "post_retired" if code in retired else "post_unknown"
            notes.append(
                CopyNote("post_dropped", {"post": code, "name": name["zh"], "why": reason})
            )
            continue
        today = {"zh": post.zh, "en": post.en or post.zh}
        if today != name:
            # name the language that changed: an English name alone may have changed
            shown = "zh" if today["zh"] != name["zh"] else "en"
            params = {"post": code, "old": name[shown], "new": today[shown]}
            notes.append(CopyNote("post_renamed", params))
            indicator_set["name"] = today
        kept.append(indicator_set)
    if "posts" in result:
        result["posts"] = kept
    return AdaptedRulebook(result, tuple(notes))
