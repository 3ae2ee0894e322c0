"""Rulebook versions of a period: start, edit the draft, import, publish, new version.

Every change goes through :func:`_store`, which checks the whole document with the pure
validator and stores its canonical JSON and digest; a published version is never
changed (a change is a new version with a written reason). The caller commits.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.digest import canonical_json, sha256_hex
from assessment.core.errors import FieldError, RulebookError, RulebookStateError
from assessment.core.reuse import CopyNote, adapt_rulebook_document
from assessment.core.rulebook import (
    ASSESSED_POSTS_KEY,
    DEFAULT_GRADES,
    REGULAR_GRADES,
    TEMPLATE_KEY,
    Label,
    Rulebook,
    RulebookChange,
    RulebookProblem,
    default_document,
    diff_documents,
    find_problems,
    parse_rulebook,
    to_plain,
)
from assessment.models import Appointment, Cadre, Period, Post, RulebookVersion, Unit
from assessment.models.periods import SUB_PERIOD_KINDS
from assessment.services.periods import advance_period
from assessment.services.queries import NotFoundError
from assessment.services.templates import (
    adopted_document,
    adoption_problems,
    get_adoptable_version,
)
from assessment.services.unit_subjects import subject_kind, sync_subjects

#: Period states in which a rulebook can no longer get a new version.
CLOSED_STATES = frozenset({"final"})

# ---------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------


def default_title(period_name: str) -> Label:
    """The title a new rulebook gets from its period: "2026年度考核" → "2026年度考核细则".

    Period names usually end in 考核 already; adding "考核细则" to them gave "考核考核细则".
    """
    name = period_name.strip()
    chinese = f"{name}细则" if name.endswith("考核") else f"{name}考核细则"
    return Label(chinese, f"{name} assessment rules")


def list_versions(session: Session, period_id: int) -> list[RulebookVersion]:
    """Every version of a period's rulebook, oldest first."""
    query = (
        sa.select(RulebookVersion)
        .where(RulebookVersion.period_id == period_id)
        .order_by(RulebookVersion.number)
    )
    return list(session.scalars(query))


def find_draft(session: Session, period_id: int) -> RulebookVersion | None:
    """The version being edited, if any (at most one exists)."""
    query = sa.select(RulebookVersion).where(
        RulebookVersion.period_id == period_id, RulebookVersion.status == "draft"
    )
    return session.scalars(query).one_or_none()


def find_published(session: Session, period_id: int) -> RulebookVersion | None:
    """The rulebook in force: the latest published version, or None."""
    query = (
        sa.select(RulebookVersion)
        .where(RulebookVersion.period_id == period_id, RulebookVersion.status == "published")
        .order_by(RulebookVersion.number.desc())
        .limit(1)
    )
    return session.scalars(query).one_or_none()


def get_version(session: Session, period_id: int, number: int) -> RulebookVersion:
    """One version by number (NotFoundError when absent)."""
    query = sa.select(RulebookVersion).where(
        RulebookVersion.period_id == period_id, RulebookVersion.number == number
    )
    version = session.scalars(query).one_or_none()
    if version is None:
        raise NotFoundError(number)
    return version


def document_of(version: RulebookVersion) -> dict[str, Any]:
    """The stored plain document of a version."""
    document: dict[str, Any] = json.loads(version.document)
    return document


def listed_posts(document: Mapping[str, Any]) -> frozenset[str] | None:
    """The posts a document assesses when it assesses only its listed posts
    (``assessed_posts: listed``), or None when it assesses every post held in the scope."""
    if document.get(ASSESSED_POSTS_KEY) != "listed":
        return None
    sets = document.get("posts")
    return frozenset(
        s["post"]
        for s in (sets if isinstance(sets, list) else [])
        if isinstance(s, Mapping) and isinstance(s.get("post"), str)
    )


def find_assessed_posts(session: Session, period: Period) -> frozenset[str] | None:
    """The posts the period's published rulebook limits it to, or None (every post held
    in the scope; also before any rulebook is published)."""
    version = find_published(session, period.id)
    return listed_posts(document_of(version)) if version is not None else None


def rulebook_of(version: RulebookVersion) -> Rulebook:
    """The version as a core record (a draft may still be incomplete)."""
    return parse_rulebook(document_of(version), partial=not version.is_published)


def load_rulebook(session: Session, period_id: int) -> Rulebook:
    """The rulebook in force for scoring (NotFoundError when none is published)."""
    version = find_published(session, period_id)
    if version is None:
        raise NotFoundError(period_id)
    return rulebook_of(version)


def required_posts(session: Session, period: Period, on: date) -> dict[str, Post]:
    """Posts held on ``on`` by a current appointment in the period's scope unit subtree
    (by persons in a cadre period, by unit subjects in a unit period)."""
    query = (
        sa.select(Post)
        .join(Appointment, Appointment.post_id == Post.id)
        .join(Unit, Appointment.unit_id == Unit.id)
        .join(Cadre, Appointment.cadre_id == Cadre.id)
        .where(
            Unit.path.startswith(period.scope_unit.path),
            Cadre.kind == subject_kind(period),
            Appointment.start_date <= on,
            sa.or_(Appointment.end_date.is_(None), Appointment.end_date >= on),
            Post.retired_on.is_(None),
        )
        .distinct()
    )
    return {post.code: post for post in session.scalars(query)}


def publication_problems(
    session: Session, period: Period, document: Mapping[str, Any], on: date
) -> tuple[RulebookProblem, ...]:
    """Everything that stops a document from being published (empty when it may be),
    including every change its county template forbids (services.templates)."""
    problems = list(find_problems(document, partial=False))
    problems.extend(adoption_problems(session, document))
    raw_sets = document.get("posts")
    sets: list[Any] = raw_sets if isinstance(raw_sets, list) else []
    covered = {s.get("post") for s in sets if isinstance(s, Mapping)}
    known = set(session.scalars(sa.select(Post.code)))
    for index, indicator_set in enumerate(sets):
        code = indicator_set.get("post") if isinstance(indicator_set, Mapping) else None
        if isinstance(code, str) and code not in known:
            problems.append(RulebookProblem(f"posts[{index}].post", "unknown_post", {"post": code}))
    # A rulebook that assesses only its listed posts needs no set for the scope's others.
    required = {} if listed_posts(document) is not None else required_posts(session, period, on)
    for code, post in sorted(required.items()):
        if code not in covered:
            problems.append(
                RulebookProblem(
                    "posts", "post_without_indicator_set", {"post": code, "name": post.name_zh}
                )
            )
    return tuple(problems)


# ---------------------------------------------------------------------------
# writes
# ---------------------------------------------------------------------------


def _store(
    version: RulebookVersion, document: Mapping[str, Any], *, item_path: str = ""
) -> RulebookVersion:
    """Check the whole document (a draft may be incomplete) and store its canonical form."""
    if version.is_published:
        raise RulebookStateError("rulebook_frozen", number=version.number)
    try:
        rulebook = parse_rulebook(document, partial=True)
    except RulebookError as error:
        raise RulebookError(error.problems, item_path=item_path) from None
    text = canonical_json(to_plain(rulebook))
    version.document = text
    version.digest = sha256_hex(text)
    return version


def _check_open(session: Session, period: Period, reason: str) -> str:
    if period.status in CLOSED_STATES:
        raise RulebookStateError("period_final")
    if find_draft(session, period.id) is not None:
        raise RulebookStateError("draft_exists")
    reason = reason.strip()
    if find_published(session, period.id) is not None and not reason:
        raise RulebookStateError("reason_required")
    return reason


def start_rulebook(
    session: Session,
    *,
    period: Period,
    reason: str = "",
    document: Mapping[str, Any] | None = None,
) -> RulebookVersion:
    """Create the next draft version.

    The first version starts from the default settings (or ``document``); a later one
    starts from the version in force and needs a written ``reason``.
    """
    reason = _check_open(session, period, reason)
    versions = list_versions(session, period.id)
    if document is None:
        published = find_published(session, period.id)
        if published is not None:
            document = document_of(published)
        else:
            # a sub-period (平时考核, issue 15) and a unit period (issue 16) are graded
            # 好/较好/一般/较差 by default
            regular = period.kind in SUB_PERIOD_KINDS or period.subjects == "units"
            grades = REGULAR_GRADES if regular else DEFAULT_GRADES
            document = default_document(default_title(period.name), grades)
    version = RulebookVersion(
        period=period,
        number=(versions[-1].number + 1) if versions else 1,
        status="draft",
        reason=reason,
    )
    _store(version, document)
    session.add(version)
    session.flush()
    return version


def import_document(
    session: Session, *, period: Period, document: Mapping[str, Any], reason: str = ""
) -> RulebookVersion:
    """Replace the draft with an imported document, or start a draft from it.

    Nothing is stored when the document has any problem (RulebookError lists them all).
    A draft that adopted a county template keeps its ``template`` reference when the
    imported document names none, and an import that changes what the template fixes is
    refused with every forbidden change.
    """
    draft = find_draft(session, period.id)
    if draft is not None and TEMPLATE_KEY not in document:
        reference = document_of(draft).get(TEMPLATE_KEY)
        if reference is not None:
            document = {**document, TEMPLATE_KEY: reference}
    forbidden_changes = adoption_problems(session, document)
    if forbidden_changes:
        raise RulebookError(forbidden_changes)
    if draft is None:
        return start_rulebook(session, period=period, reason=reason, document=document)
    _store(draft, document)
    session.flush()
    return draft


def adopt_template(
    session: Session, *, period: Period, template_version_id: int, reason: str = ""
) -> RulebookVersion:
    """Make the period's draft the county template's rulebook, recording the template.

    Only a published version of a template of a county above the period's scope unit
    may be adopted (NotFoundError otherwise). The draft is replaced (or started, with a
    ``reason`` after publication); later edits are free, and publication refuses what
    the template forbids.
    """
    version = get_adoptable_version(session, period, template_version_id)
    return import_document(
        session, period=period, document=adopted_document(version), reason=reason
    )


def discard_draft(session: Session, version: RulebookVersion) -> None:
    """Delete a draft that has not been published."""
    if version.is_published:
        raise RulebookStateError("rulebook_frozen", number=version.number)
    session.delete(version)
    session.flush()


def publish_version(
    session: Session, *, version: RulebookVersion, on: date, now: datetime
) -> RulebookVersion:
    """Freeze a complete draft; the first publication moves the period to "rules published".

    Raises RulebookError with every problem when the rulebook is incomplete or a post
    held in the scope on ``on`` has no indicator set. In a unit period, publication
    then makes the scope's units that the rulebook has indicator sets for assessed
    subjects (:func:`assessment.services.unit_subjects.sync_subjects`).
    """
    if version.is_published:
        raise RulebookStateError("rulebook_frozen", number=version.number)
    period = version.period
    problems = publication_problems(session, period, document_of(version), on)
    if problems:
        raise RulebookError(problems)
    sync_subjects(session, period, document_of(version))
    version.status = "published"
    version.published_at = now
    session.flush()
    if period.status == "draft":
        advance_period(session, period, "rules_published")
    return version


# ---------------------------------------------------------------------------
# editor operations on the draft document (each validates the whole document)
# ---------------------------------------------------------------------------


def _edit(
    session: Session,
    version: RulebookVersion,
    change: Callable[[dict[str, Any]], str],
) -> RulebookVersion:
    if version.is_published:
        raise RulebookStateError("rulebook_frozen", number=version.number)
    document = copy.deepcopy(document_of(version))
    item_path = change(document)
    _store(version, document, item_path=item_path)
    session.flush()
    return version


def _set_index(document: Mapping[str, Any], post: str) -> int:
    for index, indicator_set in enumerate(document["posts"]):
        if indicator_set["post"] == post:
            return index
    raise NotFoundError(post)


def _item_index(items: list[dict[str, Any]], code: str) -> int:
    for index, item in enumerate(items):
        if item.get("code") == code:
            return index
    raise NotFoundError(code)


def _put(items: list[dict[str, Any]], item: dict[str, Any], original: str | None, key: str) -> int:
    """Replace the item named ``original`` (keeping its place) or append; refuse a clash."""
    clash = [i for i, x in enumerate(items) if x.get(key) == item.get(key)]
    if original is None:
        if clash:
            raise FieldError(key, "duplicate_code", code=item.get(key))
        items.append(item)
        return len(items) - 1
    index = next((i for i, x in enumerate(items) if x.get(key) == original), None)
    if index is None:
        raise NotFoundError(original)
    if any(i != index for i in clash):
        raise FieldError(key, "duplicate_code", code=item.get(key))
    items[index] = item
    return index


def update_settings(
    session: Session,
    *,
    version: RulebookVersion,
    title: Mapping[str, str],
    grades: list[dict[str, Any]],
    top_quota: float,
    trim_threshold: int,
    post_stratification: bool,
    precision: Mapping[str, Any] | None = None,
) -> RulebookVersion:
    """Title, grading scheme (grades, quota), aggregation settings and declared precision.

    ``precision`` is ``{"places": int, "rounding": str}``; the default (two decimals, half
    up) is left out of the document, as the canonical form writes it.
    """

    def change(document: dict[str, Any]) -> str:
        document["title"] = dict(title)
        document["grading"]["grades"] = grades
        document["grading"]["top_quota"] = top_quota
        document["aggregation"]["trim_threshold"] = trim_threshold
        document["aggregation"]["post_stratification"] = post_stratification
        if precision is not None:
            declared = dict(precision)
            if declared == {"places": 2, "rounding": "half_up"}:
                document.pop("precision", None)
            else:
                document["precision"] = declared
        return ""

    return _edit(session, version, change)


def save_indicator_set(
    session: Session,
    *,
    version: RulebookVersion,
    post: Post,
    bonus_cap: float | None,
    penalty_cap: float | None,
    original: str | None = None,
) -> RulebookVersion:
    """Add the indicator set of a post, or change its caps."""

    def change(document: dict[str, Any]) -> str:
        sets = document["posts"]
        current: dict[str, Any] = {"categories": [], "indicators": []}
        if original is not None:
            current = sets[_set_index(document, original)]
        item = {
            **current,
            "post": post.code,
            "name": {"zh": post.name_zh, "en": post.name_en or post.name_zh},
        }
        for key, value in (("bonus_cap", bonus_cap), ("penalty_cap", penalty_cap)):
            item.pop(key, None)
            if value is not None:
                item[key] = value
        return f"posts[{_put(sets, item, original, 'post')}]"

    return _edit(session, version, change)


def delete_indicator_set(
    session: Session, *, version: RulebookVersion, post: str
) -> RulebookVersion:
    """Remove a post's indicator set with its categories and indicators."""

    def change(document: dict[str, Any]) -> str:
        del document["posts"][_set_index(document, post)]
        return ""

    return _edit(session, version, change)


def save_category(
    session: Session,
    *,
    version: RulebookVersion,
    post: str,
    data: dict[str, Any],
    original: str | None = None,
) -> RulebookVersion:
    """Add or change a category; renaming its code carries its indicators along."""

    def change(document: dict[str, Any]) -> str:
        index = _set_index(document, post)
        indicator_set = document["posts"][index]
        position = _put(indicator_set["categories"], data, original, "code")
        if original is not None and original != data["code"]:
            for indicator in indicator_set["indicators"]:
                if indicator.get("category") == original:
                    indicator["category"] = data["code"]
        return f"posts[{index}].categories[{position}]"

    return _edit(session, version, change)


def delete_category(
    session: Session, *, version: RulebookVersion, post: str, code: str
) -> RulebookVersion:
    """Remove an empty category (refused while indicators still belong to it)."""

    def change(document: dict[str, Any]) -> str:
        index = _set_index(document, post)
        indicator_set = document["posts"][index]
        used = [i for i in indicator_set["indicators"] if i.get("category") == code]
        if used:
            raise FieldError("code", "category_in_use", count=len(used))
        del indicator_set["categories"][_item_index(indicator_set["categories"], code)]
        return ""

    return _edit(session, version, change)


def save_indicator(
    session: Session,
    *,
    version: RulebookVersion,
    post: str,
    data: dict[str, Any],
    original: str | None = None,
) -> RulebookVersion:
    """Add or change an indicator of any kind (``data`` is its plain document entry)."""

    def change(document: dict[str, Any]) -> str:
        index = _set_index(document, post)
        position = _put(document["posts"][index]["indicators"], data, original, "code")
        return f"posts[{index}].indicators[{position}]"

    return _edit(session, version, change)


def delete_indicator(
    session: Session, *, version: RulebookVersion, post: str, code: str
) -> RulebookVersion:
    """Remove one indicator."""

    def change(document: dict[str, Any]) -> str:
        indicators = document["posts"][_set_index(document, post)]["indicators"]
        del indicators[_item_index(indicators, code)]
        return ""

    return _edit(session, version, change)


def save_rubric(
    session: Session,
    *,
    version: RulebookVersion,
    data: dict[str, Any],
    original: str | None = None,
) -> RulebookVersion:
    """Add or change a qualitative rubric; renaming its code updates its indicators."""

    def change(document: dict[str, Any]) -> str:
        position = _put(document["rubrics"], data, original, "code")
        if original is not None and original != data["code"]:
            for indicator_set in document["posts"]:
                for indicator in indicator_set["indicators"]:
                    if indicator.get("rubric") == original:
                        indicator["rubric"] = data["code"]
        return f"rubrics[{position}]"

    return _edit(session, version, change)


def delete_rubric(session: Session, *, version: RulebookVersion, code: str) -> RulebookVersion:
    """Remove a rubric no indicator uses."""

    def change(document: dict[str, Any]) -> str:
        used = [
            i
            for s in document["posts"]
            for i in s["indicators"]
            if i.get("kind") == "qualitative" and i.get("rubric") == code
        ]
        if used:
            raise FieldError("code", "rubric_in_use", count=len(used))
        del document["rubrics"][_item_index(document["rubrics"], code)]
        return ""

    return _edit(session, version, change)


# ---------------------------------------------------------------------------
# copying the rulebook of an earlier period
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RulebookCopyPlan:
    """What copying ``source`` into ``period`` will store, shown before it is saved.

    ``document`` is the source's plain document fitted to today's posts, ``notes`` every
    change from the source, ``draft_changes`` the differences from the period's current
    draft (None when there is none), ``problems`` what still stops publication, and
    ``fingerprint`` identifies all of it, so that a confirmation made on a page that has
    gone stale (the source or the draft changed since) is refused.
    """

    source_period: Period
    source: RulebookVersion
    period: Period
    document: dict[str, Any]
    notes: tuple[CopyNote, ...]
    draft: RulebookVersion | None
    draft_changes: tuple[RulebookChange, ...] | None
    problems: tuple[RulebookProblem, ...]
    fingerprint: str


def copy_sources(session: Session, period: Period, periods: Sequence[Period]) -> list[Period]:
    """The periods among ``periods`` (those the reader may see) whose rulebook may be copied.

    Another period of the same or an earlier year with a published rulebook.
    """
    published = set(
        session.scalars(
            sa.select(RulebookVersion.period_id).where(RulebookVersion.status == "published")
        )
    )
    return [p for p in periods if p.id != period.id and p.year <= period.year and p.id in published]


def plan_rulebook_copy(
    session: Session, *, source_period: Period, period: Period, on: date
) -> RulebookCopyPlan:
    """Plan a copy of the rulebook in force in ``source_period`` as ``period``'s draft.

    Refused (RulebookStateError) when the source is the period itself or a later year,
    has no published rulebook, or when ``period``'s rules are already published (a change
    then is a new version with a written reason, made in the editor).
    """
    if source_period.id == period.id:
        raise RulebookStateError("copy_same_period")
    if source_period.year > period.year:
        raise RulebookStateError("copy_from_later", year=source_period.year)
    if period.status in CLOSED_STATES:
        raise RulebookStateError("period_final")
    published = find_published(session, period.id)
    if published is not None:
        raise RulebookStateError("copy_into_published", number=published.number)
    source = find_published(session, source_period.id)
    if source is None:
        raise RulebookStateError("copy_source_unpublished", period=source_period.name)
    posts = list(session.scalars(sa.select(Post)))
    adapted = adapt_rulebook_document(
        document_of(source),
        old_year=source_period.year,
        new_year=period.year,
        current_posts={p.code: Label(p.name_zh, p.name_en) for p in posts if p.retired_on is None},
        retired_posts=[p.code for p in posts if p.retired_on is not None],
    )
    draft = find_draft(session, period.id)
    draft_changes = None
    if draft is not None:
        draft_changes = diff_documents(document_of(draft), adapted.document)
    fingerprint = sha256_hex(
        canonical_json(
            {"source": source.digest, "draft": draft.digest if draft else None, "period": period.id}
        )
    )
    return RulebookCopyPlan(
        source_period=source_period,
        source=source,
        period=period,
        document=adapted.document,
        notes=adapted.notes,
        draft=draft,
        draft_changes=draft_changes,
        problems=publication_problems(session, period, adapted.document, on),
        fingerprint=fingerprint,
    )


def copy_rulebook(
    session: Session, *, source_period: Period, period: Period, on: date, fingerprint: str
) -> RulebookVersion:
    """Store the planned copy as ``period``'s draft (replacing a draft, or starting one).

    ``fingerprint`` is the one of the plan the team read; a different plan now (the
    source or the draft changed since) is refused with ``copy_stale``. The copy may be
    incomplete for publication (a post without an indicator set): the editor shows that.
    """
    plan = plan_rulebook_copy(session, source_period=source_period, period=period, on=on)
    if plan.fingerprint != fingerprint:
        raise RulebookStateError("copy_stale")
    return import_document(session, period=period, document=plan.document)
