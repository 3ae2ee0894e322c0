"""Translated messages for the stable codes that core and services raise."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from assessment.core.errors import FieldError, LifecycleError

FIELD_MESSAGES: dict[str, Any] = {
    "duplicate_code": _l("The code %(code)s is already used."),
    "duplicate_username": _l("The user name %(username)s is already taken."),
    "unknown_kind": _l("Unknown unit kind %(kind)s."),
    "parent_required": _l("This kind of unit needs a parent unit."),
    "parent_kind_not_allowed": _l("A %(kind)s cannot be placed under a %(parent)s."),
    "parent_cycle": _l("A unit cannot be placed under itself or one of its own sub-units."),
    "negative": _l("Must not be negative."),
    "has_active_children": _l("This unit still has %(count)s active sub-units; retire them first."),
    "unknown_level": _l("Unknown post level %(level)s."),
    "unknown_gender": _l("Gender must be M, F or empty."),
    "end_before_start": _l("The end date is before the start date."),
    "post_retired": _l("This post is retired."),
    "unit_retired": _l("This unit is retired."),
    "post_level_mismatch": _l(
        "Village posts go to villages or communities; township posts to townships or streets."
    ),
    "overlapping_appointment": _l(
        "This cadre already holds this post in this unit during these dates."
    ),
    "password_too_short": _l("The password must have at least %(min)s characters."),
    "required": _l("This field is required."),
    "unknown_role": _l("Unknown role."),
    "cadre_required": _l("A cadre account must be linked to a cadre."),
    "cadre_only_for_cadre_role": _l("Only cadre accounts are linked to a cadre."),
    "scope_required": _l("Choose at least one unit this account may work on."),
    "unknown_unit": _l("Unknown unit."),
    "period_scope_kind": _l("A period covers a county, a township or a street."),
    "year_out_of_range": _l("The year must be between 2000 and 2100."),
    # Spreadsheet imports (assessment.core.roster, assessment.spreadsheets).
    "missing_column": _l("The header row has no column %(column)s."),
    "too_long": _l("At most %(max)s characters."),
    "bad_code": _l("Letters, digits, - and _ only."),
    "not_integer": _l("Must be a whole number."),
    "bad_date": _l("Must be a date written as %(format)s."),
    "out_of_range": _l("Must be between %(min)s and %(max)s."),
    "bad_gender": _l("Gender must be M, F, 男, 女 or empty."),
    "duplicate_in_file": _l("The code %(code)s is already used in row %(first_row)s."),
    "unknown_parent": _l("No unit has the code %(code)s, neither saved nor in this file."),
    "unknown_unit_code": _l("No unit has the code %(code)s."),
    "unknown_post_code": _l("No post has the code %(code)s."),
    "out_of_scope": _l("The unit %(code)s is outside the units you work on."),
    "top_level_out_of_scope": _l(
        "Give a parent unit: only units below the units you work on can be imported."
    ),
    "cadre_name_mismatch": _l(
        "The personnel number %(code)s belongs to %(name)s; check the number or the name."
    ),
    "cadre_retired": _l("This cadre is retired."),
    "cadre_conflict_in_file": _l(
        "Row %(first_row)s gives other details for the personnel number %(code)s."
    ),
    "overlapping_in_file": _l(
        "Row %(first_row)s already appoints this cadre to this post in this unit"
        " for overlapping dates."
    ),
    "unsupported_file_type": _l(
        "Files of type %(extension)s cannot be imported; save the sheet as .xlsx or .csv."
    ),
    "unreadable_file": _l("The file could not be read as a spreadsheet."),
    "unreadable_encoding": _l(
        "The file is neither UTF-8 nor GBK text; save it from Excel as “CSV UTF-8”."
    ),
    "csv_extra_cells": _l("Row %(row)s has more cells than the header row."),
    "empty_file": _l("The file has no rows below the header row."),
    "too_many_rows": _l("At most %(max)s rows can be imported at once."),
}

STATE_LABELS: dict[str, Any] = {
    "draft": _l("Draft"),
    "rules_published": _l("Rules published"),
    "collecting": _l("Collecting"),
    "computed": _l("Computed"),
    "notice": _l("Public notice"),
    "final": _l("Final"),
}

ROLE_LABELS: dict[str, Any] = {
    "admin": _l("Administrator"),
    "assessor": _l("Assessment team member"),
    "clerk": _l("Clerk"),
    "cadre": _l("Cadre"),
    "official": _l("Official"),
}

UNIT_KIND_LABELS: dict[str, Any] = {
    "county": _l("County"),
    "township": _l("Township"),
    "street": _l("Street"),
    "village": _l("Village"),
    "community": _l("Community"),
}


def field_error_message(error: FieldError) -> str:
    template = FIELD_MESSAGES.get(error.code)
    if template is None:
        return gettext("Invalid value (%(code)s).", code=error.code)
    return str(template) % {k: _label(v) for k, v in error.params.items()}


def _label(value: object) -> object:
    if isinstance(value, str) and value in UNIT_KIND_LABELS:
        return str(UNIT_KIND_LABELS[value])
    return value


def lifecycle_message(error: LifecycleError) -> str:
    current = str(STATE_LABELS.get(error.current, error.current))
    target = str(STATE_LABELS.get(error.target, error.target))
    if error.required:
        steps = " → ".join(str(STATE_LABELS.get(s, s)) for s in error.required)
        return gettext(
            "A period in state “%(current)s” cannot move to “%(target)s”. "
            "It must first go through: %(steps)s.",
            current=current,
            target=target,
            steps=steps,
        )
    return gettext(
        "A period in state “%(current)s” cannot move to “%(target)s”: "
        "the lifecycle only moves forward, one step at a time.",
        current=current,
        target=target,
    )
