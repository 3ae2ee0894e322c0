"""Spreadsheet imports of the unit tree and the cadre roster: all rows or nothing.

Each import checks the whole file first (``assessment.core.roster``) against a snapshot
of what is stored. Any error raises :class:`ImportRejected` before anything is written.
Otherwise every unit, cadre and appointment is created through ``assessment.services.org``,
so the same rules apply as on the forms and every row reaches the audit log. Services
flush; the caller's ``unit_of_work`` commits, or rolls back if anything raises.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.errors import FieldError
from assessment.core.roster import (
    ExistingAppointment,
    OrgSnapshot,
    RowError,
    Sheet,
    validate_roster,
    validate_units,
)
from assessment.models import Appointment, Cadre, Post, Unit
from assessment.services import org

logger = logging.getLogger(__name__)


class ImportRejected(Exception):  # noqa: N818  (a rejection, not a failure of the program)
    """The file breaks at least one rule; nothing was written.

    Attributes
    ----------
    errors : tuple of RowError
        Every error found, by row and column.
    """

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = tuple(errors)
        super().__init__(f"{len(self.errors)} errors in the imported file")


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import created."""

    units: int = 0
    cadres: int = 0
    appointments: int = 0


def _scope_codes(session: Session, scope_unit_ids: Collection[int]) -> set[str]:
    if not scope_unit_ids:
        return set()
    return set(session.scalars(sa.select(Unit.code).where(Unit.id.in_(list(scope_unit_ids)))))


def _unit_snapshot(session: Session) -> tuple[dict[str, str], set[str]]:
    rows = session.execute(sa.select(Unit.code, Unit.kind, Unit.retired_on)).all()
    return (
        {row.code: row.kind for row in rows},
        {row.code for row in rows if row.retired_on is not None},
    )


# Form fields of the org services, as columns of the import files.
_SERVICE_FIELD_COLUMNS = {
    "parent_id": "parent_code",
    "post_id": "post_code",
    "unit_id": "unit_code",
}


def _rejected_by_service(row: int, error: FieldError) -> ImportRejected:
    """A rule the pre-check missed: report it like any other row error."""
    logger.warning("import row %d passed the check but failed on save: %s", row, error.code)
    column = _SERVICE_FIELD_COLUMNS.get(error.field, error.field)
    params = {key: str(value) for key, value in error.params.items()}
    return ImportRejected([RowError(row, column, error.code, params)])


def import_units(
    session: Session, sheet: Sheet, *, scope_unit_ids: Collection[int]
) -> ImportSummary:
    """Add every unit of a unit-tree file, or none (raises :class:`ImportRejected`)."""
    unit_kinds, retired = _unit_snapshot(session)
    result = validate_units(
        sheet,
        OrgSnapshot(unit_kinds=unit_kinds, retired_units=retired),
        _scope_codes(session, scope_unit_ids),
    )
    if not result.is_valid:
        raise ImportRejected(result.errors)
    ids: dict[str, int] = dict(session.execute(sa.select(Unit.code, Unit.id)).all())
    for record in result.records:  # parents come first
        data = org.UnitData(
            code=record.code,
            kind=record.kind,
            name_zh=record.name_zh,
            name_en=record.name_en,
            parent_id=ids[record.parent_code] if record.parent_code else None,
            households=record.households,
            population=record.population,
        )
        try:
            ids[record.code] = org.create_unit(session, data).id
        except FieldError as error:
            raise _rejected_by_service(record.row, error) from error
    logger.info("imported %d units", len(result.records))
    return ImportSummary(units=len(result.records))


def import_cadres(
    session: Session, sheet: Sheet, *, scope_unit_ids: Collection[int]
) -> ImportSummary:
    """Add every appointment (and new cadre) of a roster file, or none (raises ImportRejected)."""
    unit_kinds, retired_units = _unit_snapshot(session)
    posts = session.execute(sa.select(Post.code, Post.unit_level, Post.retired_on)).all()
    codes = {row.get("code", "").strip() for row in sheet.rows} - {""}
    cadres = list(session.scalars(sa.select(Cadre).where(Cadre.code.in_(codes)))) if codes else []
    appointments = session.execute(
        sa.select(Cadre.code, Post.code, Unit.code, Appointment.start_date, Appointment.end_date)
        .join(Appointment.cadre)
        .join(Appointment.post)
        .join(Appointment.unit)
        .where(Cadre.id.in_([cadre.id for cadre in cadres]))
    )
    snapshot = OrgSnapshot(
        unit_kinds=unit_kinds,
        retired_units=retired_units,
        post_levels={row.code: row.unit_level for row in posts},
        retired_posts={row.code for row in posts if row.retired_on is not None},
        cadre_names={cadre.code: cadre.name for cadre in cadres},
        retired_cadres={cadre.code for cadre in cadres if cadre.retired_on is not None},
        appointments=[ExistingAppointment(*row) for row in appointments],
    )
    result = validate_roster(sheet, snapshot, _scope_codes(session, scope_unit_ids))
    if not result.is_valid:
        raise ImportRejected(result.errors)

    by_code = {cadre.code: cadre for cadre in cadres}
    post_by_code = {post.code: post for post in session.scalars(sa.select(Post))}
    unit_codes = {record.unit_code for record in result.records}
    unit_by_code = {
        unit.code: unit
        for unit in session.scalars(sa.select(Unit).where(Unit.code.in_(unit_codes)))
    }
    created = 0
    for record in result.records:
        try:
            if record.code not in by_code:
                by_code[record.code] = org.save_cadre(
                    session,
                    org.CadreData(record.code, record.name, record.gender, record.birth_year),
                )
                created += 1
            org.appoint(
                session,
                by_code[record.code],
                post_by_code[record.post_code],
                unit_by_code[record.unit_code],
                record.start,
                record.end,
            )
        except FieldError as error:
            raise _rejected_by_service(record.row, error) from error
    logger.info("imported %d appointments, %d new cadres", len(result.records), created)
    return ImportSummary(cadres=created, appointments=len(result.records))
