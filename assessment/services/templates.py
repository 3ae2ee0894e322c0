"""County rulebook templates: the county's drafts and versions, and checking an adoption.

A county (an account scoped at a county unit) creates a template, imports its document
(a rulebook plus ``adoption``, assessment.core.templates), and publishes it; a published
version never changes. A township's rulebook that adopted a template names it in its
``template`` field; :func:`adoption_problems` lists every change the template forbids,
and publishing such a rulebook (or importing into it) is refused while any remains. The
caller commits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.digest import canonical_json, sha256_hex
from assessment.core.errors import FieldError, RulebookError, RulebookStateError
from assessment.core.rulebook import (
    CODE_PATTERN,
    TEMPLATE_KEY,
    Label,
    RulebookProblem,
    default_document,
)
from assessment.core.templates import (
    Template,
    TemplateDifference,
    forbidden,
    index_path,
    parse_template,
    short_value,
    template_differences,
    template_problems,
    template_to_plain,
)
from assessment.models import (
    Period,
    RulebookTemplate,
    RulebookTemplateVersion,
    RulebookVersion,
    Unit,
)
from assessment.models.org import UnitKind
from assessment.services.queries import NotFoundError

# ---------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------


def list_templates(session: Session, unit_ids: set[int]) -> list[RulebookTemplate]:
    """Templates owned by a unit the reader may see (a county's own), newest year first."""
    query = (
        sa.select(RulebookTemplate)
        .where(RulebookTemplate.unit_id.in_(unit_ids))
        .order_by(RulebookTemplate.year.desc(), RulebookTemplate.code)
    )
    return list(session.scalars(query))


def get_template(session: Session, template_id: int, unit_ids: set[int]) -> RulebookTemplate:
    """A template its county's staff may edit (NotFoundError for anyone else)."""
    template = session.get(RulebookTemplate, template_id)
    if template is None or template.unit_id not in unit_ids:
        raise NotFoundError(template_id)
    return template


def _ancestor_ids(unit: Unit) -> list[int]:
    return [int(part) for part in unit.path.strip("/").split("/") if part]


def adoptable_versions(session: Session, period: Period) -> list[RulebookTemplateVersion]:
    """Published template versions of the counties above the period's scope unit."""
    query = (
        sa.select(RulebookTemplateVersion)
        .join(RulebookTemplate)
        .where(
            RulebookTemplate.unit_id.in_(_ancestor_ids(period.scope_unit)),
            RulebookTemplate.unit_id != period.scope_unit_id,
            RulebookTemplateVersion.status == "published",
        )
        .order_by(
            RulebookTemplate.year.desc(), RulebookTemplate.code, RulebookTemplateVersion.number
        )
    )
    return list(session.scalars(query))


def get_adoptable_version(
    session: Session, period: Period, version_id: int
) -> RulebookTemplateVersion:
    """One version the period may adopt (NotFoundError for any other)."""
    for version in adoptable_versions(session, period):
        if version.id == version_id:
            return version
    raise NotFoundError(version_id)


def find_draft_version(
    session: Session, template: RulebookTemplate
) -> RulebookTemplateVersion | None:
    """The template's version being edited, if any."""
    return next((v for v in template.versions if not v.is_published), None)


def get_template_version(
    session: Session, template: RulebookTemplate, number: int
) -> RulebookTemplateVersion:
    """One version of a template by number (NotFoundError when absent)."""
    for version in template.versions:
        if version.number == number:
            return version
    raise NotFoundError(number)


def template_document(version: RulebookTemplateVersion) -> dict[str, Any]:
    """The stored plain template document (rulebook plus ``adoption``)."""
    document: dict[str, Any] = json.loads(version.document)
    return document


def publication_problems(version: RulebookTemplateVersion) -> tuple[RulebookProblem, ...]:
    """Everything that stops a template version from being published (empty when it may)."""
    return template_problems(template_document(version), partial=False)


def template_of(version: RulebookTemplateVersion) -> Template:
    """The version as a core record (a draft may be incomplete)."""
    return parse_template(template_document(version), partial=not version.is_published)


def find_referenced_version(
    session: Session, reference: Mapping[str, Any]
) -> RulebookTemplateVersion | None:
    """The published template version a rulebook's ``template`` field names, if it exists."""
    query = (
        sa.select(RulebookTemplateVersion)
        .join(RulebookTemplate)
        .join(Unit, RulebookTemplate.unit_id == Unit.id)
        .where(
            Unit.code == reference.get("unit"),
            RulebookTemplate.code == reference.get("code"),
            RulebookTemplateVersion.number == reference.get("version"),
            RulebookTemplateVersion.status == "published",
        )
    )
    return session.scalars(query).one_or_none()


@dataclass(frozen=True, slots=True)
class Adoption:
    """A rulebook document's template and its differences from it."""

    version: RulebookTemplateVersion
    differences: tuple[TemplateDifference, ...]


def adoption_of(session: Session, document: Mapping[str, Any]) -> Adoption | None:
    """The adopted template of a rulebook document and the differences, or None."""
    reference = document.get(TEMPLATE_KEY)
    if not isinstance(reference, Mapping):
        return None
    version = find_referenced_version(session, reference)
    if version is None or version.digest != reference.get("digest"):
        return None
    return Adoption(version, template_differences(template_of(version), document))


def adoption_problems(session: Session, document: Mapping[str, Any]) -> tuple[RulebookProblem, ...]:
    """Why a rulebook document may not be published as an adoption of its template.

    Empty when the document names no template. Otherwise: the named version must exist,
    be published and have the recorded digest; and every difference the template does
    not allow is a ``template_change_forbidden`` problem at its path (list positions in
    ``document``, as other problems; ``change`` keeps the diff's path by codes), naming
    the value before and after and the rule (``assessment.core.templates.judge_change``).
    """
    reference = document.get(TEMPLATE_KEY)
    if not isinstance(reference, Mapping):
        return ()
    version = find_referenced_version(session, reference)
    if version is None:
        return (
            RulebookProblem(
                TEMPLATE_KEY,
                "unknown_template",
                {"code": reference.get("code"), "version": reference.get("version")},
            ),
        )
    if version.digest != reference.get("digest"):
        return (RulebookProblem(f"{TEMPLATE_KEY}.digest", "template_digest_differs", {}),)
    differences = template_differences(template_of(version), document)
    # positions, as every other problem's path (the page names the items from them)
    return tuple(
        RulebookProblem(
            index_path(difference.path, document),
            "template_change_forbidden",
            {
                "before": short_value(difference.before),
                "after": short_value(difference.after),
                "rule": difference.rule,
                "change": difference.path,
                **difference.params,
            },
        )
        for difference in forbidden(differences)
    )


@dataclass(frozen=True, slots=True)
class AdoptionRow:
    """One period's rulebook that adopted a county template (the county's list)."""

    period: Period
    rulebook: RulebookVersion
    template_version: RulebookTemplateVersion | None
    differences: int
    forbidden: int


def list_adoptions(session: Session, county: Unit) -> list[AdoptionRow]:
    """Every period under the county whose latest rulebook version names its template."""
    latest = (
        sa.select(RulebookVersion.period_id, sa.func.max(RulebookVersion.number).label("number"))
        .group_by(RulebookVersion.period_id)
        .subquery()
    )
    query = (
        sa.select(RulebookVersion)
        .join(
            latest,
            sa.and_(
                latest.c.period_id == RulebookVersion.period_id,
                latest.c.number == RulebookVersion.number,
            ),
        )
        .join(Period, Period.id == RulebookVersion.period_id)
        .join(Unit, Unit.id == Period.scope_unit_id)
        .where(Unit.path.startswith(county.path))
        .order_by(Unit.path, Period.year.desc(), Period.id)
    )
    rows = []
    for version in session.scalars(query):
        document = json.loads(version.document)
        reference = document.get(TEMPLATE_KEY)
        if not isinstance(reference, Mapping) or reference.get("unit") != county.code:
            continue
        adoption = adoption_of(session, document)
        differences = adoption.differences if adoption is not None else ()
        rows.append(
            AdoptionRow(
                version.period,
                version,
                adoption.version if adoption is not None else None,
                len(differences),
                len(forbidden(differences)),
            )
        )
    return rows


# ---------------------------------------------------------------------------
# writes (the county)
# ---------------------------------------------------------------------------


def _store(version: RulebookTemplateVersion, document: Mapping[str, Any]) -> None:
    if version.is_published:
        raise RulebookStateError("template_frozen", number=version.number)
    problems = template_problems(document, partial=True)
    if problems:
        raise RulebookError(problems)
    text = canonical_json(template_to_plain(parse_template(document, partial=True)))
    version.document = text
    version.digest = sha256_hex(text)


def create_template(
    session: Session, *, unit: Unit, code: str, year: int, title: Label
) -> RulebookTemplate:
    """A new template of a county with draft version 1 (the default rulebook settings)."""
    if unit.kind != UnitKind.COUNTY:
        raise FieldError("unit", "template_needs_county")
    code = code.strip()
    if not CODE_PATTERN.match(code):
        raise FieldError("code", "bad_code", value=code)
    taken = session.scalars(
        sa.select(RulebookTemplate.id).where(
            RulebookTemplate.unit_id == unit.id, RulebookTemplate.code == code
        )
    ).first()
    if taken is not None:
        raise FieldError("code", "template_code_taken", code=code)
    if not title.zh.strip() or not title.en.strip():
        raise FieldError("title_zh" if not title.zh.strip() else "title_en", "required")
    template = RulebookTemplate(
        unit=unit, code=code, year=year, title_zh=title.zh.strip(), title_en=title.en.strip()
    )
    session.add(template)
    version = RulebookTemplateVersion(template=template, number=1, status="draft")
    _store(version, {**default_document(title), "adoption": {"posts": []}})
    session.add(version)
    session.flush()
    return template


def import_template_document(
    session: Session, *, template: RulebookTemplate, document: Mapping[str, Any]
) -> RulebookTemplateVersion:
    """Replace the draft with a document, or start the next version from it; all or nothing."""
    draft = find_draft_version(session, template)
    if draft is None:
        number = template.versions[-1].number + 1 if template.versions else 1
        draft = RulebookTemplateVersion(template=template, number=number, status="draft")
        _store(draft, document)
        session.add(draft)
    else:
        _store(draft, document)
    session.flush()
    return draft


def publish_template_version(
    session: Session, *, version: RulebookTemplateVersion, now: datetime
) -> RulebookTemplateVersion:
    """Freeze a complete draft: the rulebook's own checks and the adoption section's."""
    if version.is_published:
        raise RulebookStateError("template_frozen", number=version.number)
    problems = publication_problems(version)
    if problems:
        raise RulebookError(problems)
    version.status = "published"
    version.published_at = now
    session.flush()
    return version


def adopted_document(version: RulebookTemplateVersion) -> dict[str, Any]:
    """The rulebook document a township's draft becomes when it adopts ``version``."""
    if not version.is_published:
        raise RulebookStateError("template_not_published")
    document = {k: v for k, v in template_document(version).items() if k != "adoption"}
    document[TEMPLATE_KEY] = {
        "unit": version.template.unit.code,
        "code": version.template.code,
        "version": version.number,
        "digest": version.digest,
    }
    return document
