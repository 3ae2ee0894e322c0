"""County rulebook templates (县级考核细则模板) and what an adopting township may change.

A county publishes a **template**: a complete rulebook document plus an ``adoption``
section listing, per post, the only changes a township that adopts it may make. Everything
the section does not name is fixed: grading, quota, precision, aggregation, rubrics, the
category weights, vetoes, names, methods, directions, caps. The township's title is always
its own.

.. code-block:: yaml

    adoption:
      posts:
      - post: TSEC
        targets: [J1, J2]      # baselines, targets, thresholds of these quantitative indicators
        weights_within: 5      # each template indicator's weight within ±5 points
        local_indicators: [ji] # weighted local indicators may be added to these categories
        bonus_penalty: true    # bonus and penalty items may be added (caps stay fixed)

The differences of an adopted document from its template come from the rulebook diff
(:func:`assessment.core.rulebook.diff_documents`), each judged by :func:`judge_change`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assessment.core.errors import RulebookError
from assessment.core.rulebook import (
    TEMPLATE_KEY,
    IndicatorKind,
    Rulebook,
    RulebookChange,
    RulebookProblem,
    diff_documents,
    find_problems,
    parse_rulebook,
    to_plain,
)

#: The key of the adoption section in a template document.
ADOPTION_KEY = "adoption"

#: Fields of a quantitative indicator that ``targets`` opens: the numbers, not the method.
NUMBER_FIELDS = frozenset({"baseline", "target", "unacceptable", "satisfactory"})
#: Lists whose entries' thresholds (``targets``) may move while their ratios stay.
THRESHOLD_LISTS = {"steps": ("threshold", "ratio"), "breakpoints": ("actual", "ratio")}

_WEIGHTED = {IndicatorKind.QUANTITATIVE, IndicatorKind.QUALITATIVE, IndicatorKind.SURVEY}
_EXTRA_KINDS = {IndicatorKind.BONUS, IndicatorKind.PENALTY}
_POST_FIELDS = ("post", "targets", "weights_within", "local_indicators", "bonus_penalty")
_INDICATOR_PATH = re.compile(r"^posts\[([^\]]+)\]\.indicators\[([^\]]+)\](?:\.(.+))?$")


@dataclass(frozen=True, slots=True)
class PostAdoption:
    """What an adopting township may change in one post's indicator set.

    Parameters
    ----------
    post : str
        The post code of an indicator set of the template.
    targets : tuple of str
        Quantitative indicators whose baseline, target, unacceptable and satisfactory
        values and whose step thresholds and breakpoint actuals may change (method,
        direction, cap, the steps' ratios and their number stay).
    weights_within : float or None
        When set, each template indicator's weight may move by at most this many points
        (``|w_adopted − w_template| ≤ N``); category weights stay fixed, so the weights
        of a category still add up to it. ``None``: weights fixed.
    local_indicators : tuple of str
        Categories to which weighted local indicators (quantitative, qualitative, survey)
        may be added.
    bonus_penalty : bool
        Whether bonus and penalty items may be added; the set's caps stay fixed.
    """

    post: str
    targets: tuple[str, ...] = ()
    weights_within: float | None = None
    local_indicators: tuple[str, ...] = ()
    bonus_penalty: bool = False


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: its rulebook and its adoption rules (one per post at most)."""

    rulebook: Rulebook
    adoption: tuple[PostAdoption, ...]

    def for_post(self, post: str) -> PostAdoption:
        """The adoption rules of a post (everything fixed when the section omits it)."""
        for rules in self.adoption:
            if rules.post == post:
                return rules
        return PostAdoption(post)


@dataclass(frozen=True, slots=True)
class TemplateDifference:
    """One difference of an adopted document from its template.

    Parameters
    ----------
    path : str
        As in the rulebook diff: ``posts[VSEC].indicators[J3].target``.
    op : str
        ``"added"``, ``"removed"`` or ``"changed"``.
    before, after : object
        Plain values in the template and in the adopted document (``None`` when absent).
    allowed : bool
    rule : str
        The rule that allows it (``title``, ``targets``, ``weights``, ``local_indicator``,
        ``bonus_penalty``) or forbids it (``fixed``, ``targets_not_open``,
        ``ratios_fixed``, ``weights_fixed``, ``weight_beyond``, ``category_not_open``,
        ``bonus_penalty_not_open``).
    params : mapping
        What the rule's words name (``within``, ``delta``, ``category``).
    """

    path: str
    op: str
    before: Any
    after: Any
    allowed: bool
    rule: str
    params: Mapping[str, Any]


# ---------------------------------------------------------------------------
# reading a template document
# ---------------------------------------------------------------------------


def _codes(value: object, path: str, problems: list[RulebookProblem]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(RulebookProblem(path, "not_a_list"))
        return ()
    return tuple(value)


def _parse_post_adoption(
    item: object, path: str, rulebook: Rulebook | None, problems: list[RulebookProblem]
) -> PostAdoption | None:
    if not isinstance(item, Mapping):
        problems.append(RulebookProblem(path, "not_a_mapping"))
        return None
    for key in item:
        if key not in _POST_FIELDS:
            problems.append(
                RulebookProblem(f"{path}.{key}", "unknown_field", {"allowed": _POST_FIELDS})
            )
    post = item.get("post")
    if not isinstance(post, str):
        problems.append(RulebookProblem(f"{path}.post", "missing"))
        return None
    targets = _codes(item.get("targets", []), f"{path}.targets", problems)
    categories = _codes(item.get("local_indicators", []), f"{path}.local_indicators", problems)
    within = item.get("weights_within")
    if within is not None and (
        isinstance(within, bool) or not isinstance(within, int | float) or within < 0
    ):
        problems.append(
            RulebookProblem(f"{path}.weights_within", "out_of_range", {"value": within, "min": 0})
        )
        within = None
    bonus_penalty = item.get("bonus_penalty", False)
    if not isinstance(bonus_penalty, bool):
        problems.append(
            RulebookProblem(f"{path}.bonus_penalty", "not_a_boolean", {"value": bonus_penalty})
        )
        bonus_penalty = False
    if rulebook is not None:
        if post not in rulebook.post_codes:
            problems.append(RulebookProblem(f"{path}.post", "unknown_post", {"post": post}))
            return None
        indicator_set = rulebook.indicator_set(post)
        kinds = {i.code: i.kind for i in indicator_set.indicators}
        for index, code in enumerate(targets):
            if kinds.get(code) != IndicatorKind.QUANTITATIVE:
                problems.append(
                    RulebookProblem(
                        f"{path}.targets[{index}]",
                        "not_a_quantitative_indicator",
                        {"value": code, "post": post},
                    )
                )
        known = {c.code for c in indicator_set.categories}
        for index, code in enumerate(categories):
            if code not in known:
                problems.append(
                    RulebookProblem(
                        f"{path}.local_indicators[{index}]", "unknown_category", {"value": code}
                    )
                )
    return PostAdoption(
        post, targets, None if within is None else float(within), categories, bonus_penalty
    )


def _split(data: object) -> tuple[dict[str, Any], object]:
    if not isinstance(data, Mapping):
        raise RulebookError((RulebookProblem("", "not_a_mapping"),))
    document = {k: v for k, v in data.items() if k != ADOPTION_KEY}
    return document, data.get(ADOPTION_KEY, {"posts": []})


def template_problems(data: object, *, partial: bool = False) -> tuple[RulebookProblem, ...]:
    """Every problem of a template document: its rulebook's and its adoption section's.

    ``partial`` accepts an incomplete draft, as :func:`parse_rulebook` does; the
    adoption section's references are then checked against whatever parses.
    """
    document, adoption = _split(data)
    problems = list(find_problems(document, partial=partial))
    if TEMPLATE_KEY in document:
        problems.append(RulebookProblem(TEMPLATE_KEY, "template_of_template"))
    rulebook = None
    if not problems:
        rulebook = parse_rulebook(document, partial=partial)
    _parse_adoption(adoption, rulebook, problems)
    return tuple(problems)


def _parse_adoption(
    adoption: object, rulebook: Rulebook | None, problems: list[RulebookProblem]
) -> tuple[PostAdoption, ...]:
    if not isinstance(adoption, Mapping):
        problems.append(RulebookProblem(ADOPTION_KEY, "not_a_mapping"))
        return ()
    for key in adoption:
        if key != "posts":
            problems.append(
                RulebookProblem(f"{ADOPTION_KEY}.{key}", "unknown_field", {"allowed": ("posts",)})
            )
    items = adoption.get("posts", [])
    if not isinstance(items, list):
        problems.append(RulebookProblem(f"{ADOPTION_KEY}.posts", "not_a_list"))
        return ()
    parsed: list[PostAdoption] = []
    for index, item in enumerate(items):
        rules = _parse_post_adoption(item, f"{ADOPTION_KEY}.posts[{index}]", rulebook, problems)
        if rules is not None:
            if any(r.post == rules.post for r in parsed):
                problems.append(
                    RulebookProblem(
                        f"{ADOPTION_KEY}.posts[{index}].post",
                        "duplicate_code",
                        {"code": rules.post},
                    )
                )
            parsed.append(rules)
    return tuple(parsed)


def parse_template(data: object, *, partial: bool = False) -> Template:
    """Read and check a template document (a rulebook plus ``adoption``).

    Raises
    ------
    RulebookError
        With every problem of the rulebook part (the rulebook's own rules) and of the
        adoption section: unknown fields, a post without an indicator set, a ``targets``
        entry that is not a quantitative indicator of that post, an unknown category, a
        negative ``weights_within``, a post named twice; a template may not itself name a
        template.
    """
    problems = template_problems(data, partial=partial)
    if problems:
        raise RulebookError(problems)
    document, adoption = _split(data)
    rulebook = parse_rulebook(document, partial=partial)
    return Template(rulebook, _parse_adoption(adoption, rulebook, []))


def template_to_plain(template: Template) -> dict[str, Any]:
    """The canonical template document: the rulebook's canonical form plus ``adoption``."""
    posts = []
    for rules in template.adoption:
        item: dict[str, Any] = {"post": rules.post}
        if rules.targets:
            item["targets"] = list(rules.targets)
        if rules.weights_within is not None:
            within = rules.weights_within
            item["weights_within"] = int(within) if within == int(within) else within
        if rules.local_indicators:
            item["local_indicators"] = list(rules.local_indicators)
        if rules.bonus_penalty:
            item["bonus_penalty"] = True
        posts.append(item)
    return {**to_plain(template.rulebook), ADOPTION_KEY: {"posts": posts}}


# ---------------------------------------------------------------------------
# judging an adopted document
# ---------------------------------------------------------------------------


def _thresholds_only(before: object, after: object, keys: tuple[str, str]) -> bool:
    """True when two step (breakpoint) lists differ only in their thresholds (actuals)."""
    threshold, ratio = keys
    if not isinstance(before, list) or not isinstance(after, list) or len(before) != len(after):
        return False
    return all(
        isinstance(old, Mapping)
        and isinstance(new, Mapping)
        and set(old) == set(new) == {threshold, ratio}
        and old[ratio] == new[ratio]
        for old, new in zip(before, after, strict=True)
    )


def judge_change(change: RulebookChange, template: Template) -> TemplateDifference:
    """Decide whether the adoption rules allow one change to the template.

    Rules, in order (anything else is ``fixed``):

    - ``title`` (and below): allowed, the title is the township's own;
    - an added indicator ``posts[P].indicators[I]``: a weighted one is allowed when its
      category is in ``local_indicators`` of P (else ``category_not_open``); a bonus or
      penalty item when ``bonus_penalty`` is true (else ``bonus_penalty_not_open``);
      any other kind (veto, roll-up) is fixed;
    - ``posts[P].indicators[I].weight`` changed: allowed when ``weights_within`` N is set
      and ``|after − before| ≤ N`` (``weight_beyond`` when more, ``weights_fixed`` when
      N is not set);
    - ``baseline``, ``target``, ``unacceptable``, ``satisfactory`` of I changed: allowed
      when I is in ``targets`` (else ``targets_not_open``); ``steps`` or ``breakpoints``
      changed: allowed when I is in ``targets`` and only the thresholds (actuals) moved,
      the count and the ratios unchanged (else ``ratios_fixed``).
    """
    path, op, before, after = change.path, change.op, change.old, change.new

    def verdict(allowed: bool, rule: str, **params: Any) -> TemplateDifference:
        return TemplateDifference(path, op, before, after, allowed, rule, params)

    if path == "title" or path.startswith("title."):
        return verdict(True, "title")
    match = _INDICATOR_PATH.match(path)
    if match is None:
        return verdict(False, "fixed")
    post, code, field_name = match.groups()
    rules = template.for_post(post)
    if field_name is None:
        if op != "added" or not isinstance(after, Mapping):
            return verdict(False, "fixed")
        kind = after.get("kind")
        category = after.get("category")
        if kind in _WEIGHTED:
            if category in rules.local_indicators:
                return verdict(True, "local_indicator", category=category)
            return verdict(False, "category_not_open", category=category)
        if kind in _EXTRA_KINDS:
            return verdict(
                rules.bonus_penalty,
                "bonus_penalty" if rules.bonus_penalty else "bonus_penalty_not_open",
            )
        return verdict(False, "fixed")
    if op != "changed":
        return verdict(False, "fixed")
    if field_name == "weight":
        if rules.weights_within is None:
            return verdict(False, "weights_fixed")
        delta = abs(float(after) - float(before))
        if delta <= rules.weights_within:
            return verdict(True, "weights", within=rules.weights_within, delta=delta)
        return verdict(False, "weight_beyond", within=rules.weights_within, delta=delta)
    if field_name in NUMBER_FIELDS or field_name in THRESHOLD_LISTS:
        if code not in rules.targets:
            return verdict(False, "targets_not_open")
        if field_name in THRESHOLD_LISTS and not _thresholds_only(
            before, after, THRESHOLD_LISTS[field_name]
        ):
            return verdict(False, "ratios_fixed")
        return verdict(True, "targets")
    return verdict(False, "fixed")


def template_differences(
    template: Template, adopted: Mapping[str, Any]
) -> tuple[TemplateDifference, ...]:
    """The differences of an adopted rulebook document from its template, each judged.

    Parameters
    ----------
    template : Template
    adopted : mapping
        The adopted rulebook's canonical plain document; its ``template`` reference is
        not a difference.

    Returns
    -------
    tuple of TemplateDifference
        In the order of the rulebook diff (:func:`diff_documents` on the canonical
        documents), each with :func:`judge_change`'s verdict.
    """
    document = {k: v for k, v in adopted.items() if k != TEMPLATE_KEY}
    changes = diff_documents(to_plain(template.rulebook), document)
    return tuple(judge_change(change, template) for change in changes)


def forbidden(differences: Sequence[TemplateDifference]) -> tuple[TemplateDifference, ...]:
    """The differences the template does not allow."""
    return tuple(d for d in differences if not d.allowed)


def short_value(value: object) -> str:
    """A value as a short text for a message: an item by its code, ``—`` for none.

    >>> short_value({"code": "L1", "kind": "quantitative"}), short_value(None), short_value(12)
    ('L1', '—', '12')
    """
    if value is None:
        return "—"
    if isinstance(value, Mapping):
        code = value.get("code") or value.get("post")
        if isinstance(code, str):
            return code
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


_PATH_STEP = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")


def index_path(path: str, document: Mapping[str, Any]) -> str:
    """A diff path with list items named by position in ``document``, as problem paths are.

    >>> doc = {"posts": [{"post": "A"}, {"post": "B", "indicators": [{"code": "J1"}]}]}
    >>> index_path("posts[B].indicators[J1].target", doc)
    'posts[1].indicators[0].target'
    >>> index_path("posts[C].name", doc)
    'posts[C].name'
    """
    node: Any = document
    parts: list[str] = []
    for match in _PATH_STEP.finditer(path):
        name, key = match.groups()
        if name is not None:
            parts.append(f".{name}" if parts else name)
            node = node.get(name) if isinstance(node, Mapping) else None
            continue
        position = None
        if isinstance(node, list):
            position = next(
                (
                    index
                    for index, item in enumerate(node)
                    if isinstance(item, Mapping) and key in (item.get("code"), item.get("post"))
                ),
                None,
            )
        if position is None:
            parts.append(f"[{key}]")
            node = None
        else:
            parts.append(f"[{position}]")
            node = node[position]
    return "".join(parts)
