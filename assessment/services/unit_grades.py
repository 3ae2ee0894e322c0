"""Which final period grades the units, for quota groups that read a unit's grade (issue 16).

A rulebook's quota group may tie the share of the top grade among a unit's staff to the
unit's own grade (``grading.quota_groups[].by_unit_grade``). The grades come from the
final results of another period, which the team names on the period's page:
:func:`set_unit_grades_period` checks the choice and stores it (audited by the unit of
work); :func:`assessment.services.results.gather_inputs` reads the grades from it.

Services flush and never commit.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.errors import FieldError
from assessment.core.rulebook import Rulebook
from assessment.models import Period, Unit
from assessment.services.inputs import find_rulebook
from assessment.services.results import get_version, rulebook_of_version

FIELD = "unit_grades_period"
#: Once results are published the inputs they were computed from may not change.
CLOSED_STATES = ("notice", "final")


def _encloses(outer: Unit, inner: Unit) -> bool:
    """``outer`` is ``inner`` or one of its ancestors (paths are ``/1/4/9/``)."""
    return inner.path.startswith(outer.path)


def list_unit_grade_periods(session: Session, period: Period) -> list[Period]:
    """Final periods whose scope is the period's scope or encloses it, newest first."""
    candidates = session.scalars(
        sa.select(Period)
        .where(
            Period.status == "final",
            Period.final_version_number.is_not(None),
            Period.id != period.id,
        )
        .order_by(Period.year.desc(), Period.id.desc())
    ).all()
    return [p for p in candidates if _encloses(p.scope_unit, period.scope_unit)]


def _grade_codes(session: Session, source: Period) -> set[str]:
    version = get_version(session, source.id, source.final_version_number or 0)
    return {grade.code for grade in rulebook_of_version(version).grading.grades}


def _share_codes(rulebook: Rulebook | None) -> set[str]:
    if rulebook is None:
        return set()
    return {
        code
        for group in rulebook.grading.quota_groups
        for code, _share in group.shares
        if group.by_unit_grade
    }


def set_unit_grades_period(session: Session, period: Period, source_id: int | None) -> Period:
    """Name the final period whose results grade the units (``None`` clears it).

    Raises
    ------
    FieldError
        On field ``unit_grades_period``: ``unit_grades_closed`` once the results are
        published; ``unit_grades_unknown_period`` for a period that does not exist or
        is this one; ``unit_grades_not_final`` for a period that is not final;
        ``unit_grades_other_scope`` when its scope neither is nor encloses this
        period's; ``unit_grades_unknown_grades`` when the rulebook's
        ``by_unit_grade`` shares name grades that period does not have.
    """
    if period.status in CLOSED_STATES:
        raise FieldError(FIELD, "unit_grades_closed")
    if source_id is None:
        period.unit_grades_period_id = None
        session.flush()
        return period
    source = session.get(Period, source_id)
    if source is None or source.id == period.id:
        raise FieldError(FIELD, "unit_grades_unknown_period", value=source_id)
    if source.status != "final" or source.final_version_number is None:
        raise FieldError(FIELD, "unit_grades_not_final", name=source.name)
    if not _encloses(source.scope_unit, period.scope_unit):
        raise FieldError(
            FIELD,
            "unit_grades_other_scope",
            name=source.name,
            scope=source.scope_unit.name_zh,
            own=period.scope_unit.name_zh,
        )
    unknown = _share_codes(find_rulebook(session, period)) - _grade_codes(session, source)
    if unknown:
        raise FieldError(
            FIELD,
            "unit_grades_unknown_grades",
            name=source.name,
            codes=", ".join(sorted(unknown)),
            known=", ".join(sorted(_grade_codes(session, source))),
        )
    period.unit_grades_period_id = source.id
    session.flush()
    return period
