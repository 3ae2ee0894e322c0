"""Spreadsheet imports of the unit tree and the cadre roster, and what every import shares.

Every import page offers an .xlsx template with Chinese headers and one with the column
codes, reads .xlsx, .xls, .ods and .csv files with either header, and lists each error by
row and column, naming a column by its Chinese header and its code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from assessment.app.db import unit_of_work
from assessment.core.errors import FieldError
from assessment.core.headers import ROSTER_HEADERS, UNIT_HEADERS
from assessment.core.roster import (
    ROSTER_COLUMNS,
    ROSTER_REQUIRED_COLUMNS,
    UNIT_COLUMNS,
    UNIT_REQUIRED_COLUMNS,
    RowError,
    Sheet,
)
from assessment.forms.base import ImportForm
from assessment.services.imports import ImportRejected, ImportSummary, import_cadres, import_units
from assessment.services.spreadsheets import read_sheet
from assessment.views.access import current_scope, roles_required
from assessment.views.downloads import template_download
from assessment.views.form_errors import field_errors, page_with_status
from assessment.views.messages import field_error_message

logger = logging.getLogger(__name__)

bp = Blueprint("imports", __name__, url_prefix="/admin/import")

#: Errors listed on the page; the summary still counts all of them.
MAX_ERRORS_SHOWN = 500


@dataclass(frozen=True, slots=True)
class _ImportKind:
    """What differs between the two imports: columns, help, example, service, messages."""

    name: str
    title: Any
    intro: Any
    columns: tuple[str, ...]
    required: tuple[str, ...]
    descriptions: dict[str, Any]
    example: tuple[str, ...]
    run: Callable[..., ImportSummary]
    done: Callable[[ImportSummary], str]
    list_endpoint: str
    #: Column code -> the Chinese header the template writes and the import accepts.
    headers: Mapping[str, str] = field(default_factory=dict)


UNITS = _ImportKind(
    name="units",
    title=_l("Import units"),
    intro=_l(
        "Adds new units to the tree. Codes that are already saved are refused: change "
        "an existing unit on its own page."
    ),
    columns=UNIT_COLUMNS,
    required=UNIT_REQUIRED_COLUMNS,
    descriptions={
        "code": _l("Code of the new unit: letters, digits, - and _."),
        "parent_code": _l(
            "Code of the unit above it, already saved or in the same file; "
            "it must be one of the units you work on or below them."
        ),
        "kind": _l("county, township, street, village or community (or 县, 乡镇, 街道, 村, 社区)."),
        "name_zh": _l("Chinese name."),
        "name_en": _l("English name; may be empty, and the column may be left out."),
        "households": _l("Number of households, a whole number."),
        "population": _l("Number of residents, a whole number."),
    },
    example=("QSZ-09", "QSZ", "village", "桃源村", "Taoyuan Village", "640", "2210"),
    run=import_units,
    done=lambda summary: ngettext(
        "Imported %(num)s unit.", "Imported %(num)s units.", summary.units
    ),
    list_endpoint="assessment.org.units",
    headers=UNIT_HEADERS,
)

CADRES = _ImportKind(
    name="cadres",
    title=_l("Import roster"),
    intro=_l(
        "One row per appointment. A new personnel number creates the cadre; a saved "
        "number only adds the appointment, and only when the name is the saved one "
        "(the saved gender and year of birth are not changed)."
    ),
    columns=ROSTER_COLUMNS,
    required=ROSTER_REQUIRED_COLUMNS,
    descriptions={
        "code": _l("Personnel number: letters, digits, - and _."),
        "name": _l("Full name."),
        "gender": _l("M, F, 男 or 女; may be empty."),
        "birth_year": _l("Year of birth, such as 1978; may be empty."),
        "post_code": _l("Code of a saved post (see the list of posts)."),
        "unit_code": _l(
            "Code of a saved unit you work on. Township posts go to townships or "
            "streets, village posts to villages or communities."
        ),
        "start_date": _l("First day of the appointment, written YYYY-MM-DD."),
        "end_date": _l("Last day, written YYYY-MM-DD; empty while the appointment lasts."),
    },
    example=("QS041", "陈晓明", "M", "1985", "GRID", "QSZ-01", "2026-01-01", ""),
    run=import_cadres,
    done=lambda summary: ngettext(
        "Imported %(num)s appointment (new cadres: %(cadres)s).",
        "Imported %(num)s appointments (new cadres: %(cadres)s).",
        summary.appointments,
        cadres=summary.cadres,
    ),
    list_endpoint="assessment.org.cadres",
    headers=ROSTER_HEADERS,
)


def column_label(code: str, headers: Mapping[str, str]) -> str:
    """A column as error messages name it: "上级单位代码 (parent_code)", or the code alone."""
    chinese = headers.get(code)
    return f"{chinese} ({code})" if chinese else code


def error_rows(
    errors: Sequence[RowError],
    message: Callable[[FieldError], str] = field_error_message,
    headers: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The rows of the error table every spreadsheet import shows (first 500 errors)."""
    rows = []
    for error in errors[:MAX_ERRORS_SHOWN]:
        params = dict(error.params)
        if error.code == "missing_column":
            params["column"] = column_label(error.column, headers or {})
        rows.append(
            {
                "row": error.row,
                "column": error.column,
                "header": (headers or {}).get(error.column, ""),
                "value": error.value,
                "message": message(FieldError(error.column, error.code, **params)),
            }
        )
    return rows


def rejection_summary(errors: Sequence[RowError]) -> str:
    """ "N errors in M rows; nothing was imported." for a rejected file."""
    rows = len({error.row for error in errors})
    if rows == 1:
        return str(
            ngettext(
                "%(num)s error in 1 row; nothing was imported.",
                "%(num)s errors in 1 row; nothing was imported.",
                len(errors),
            )
        )
    # Two or more rows means two or more errors: both nouns are plural here.
    return str(
        _(
            "%(errors)s errors in %(rows)s rows; nothing was imported.",
            errors=len(errors),
            rows=rows,
        )
    )


def _run(kind: _ImportKind, sheet: Sheet, filename: str) -> ImportSummary:
    scope = current_scope()
    # The file name goes into the audit log's reason, so that each entry shows its source.
    reason = f"import of {kind.name} from {filename[:100]}"
    with unit_of_work(current_user.id, reason=reason) as session:
        return kind.run(session, sheet, scope_unit_ids=scope)


def _page(kind: _ImportKind) -> str | Response | tuple[str, int]:
    form = ImportForm()
    status = 200
    errors: Sequence[RowError] = ()
    if form.is_submitted():
        status = 400
        if form.validate():
            upload = form.file.data
            try:
                with field_errors(form) as attempt:
                    filename = upload.filename or ""
                    sheet = read_sheet(upload.stream, filename, kind.headers)
                    summary = _run(kind, sheet, filename)
            except ImportRejected as rejected:
                status = 422
                errors = rejected.errors
                logger.info("import of %s refused: %d errors", kind.name, len(errors))
            else:
                if attempt.saved:
                    flash(kind.done(summary), "success")
                    return redirect(url_for(kind.list_endpoint))
    page = render_template(
        "assessment/imports/upload.html",
        kind=kind,
        form=form,
        errors=error_rows(errors, headers=kind.headers),
        error_count=len(errors),
        summary=rejection_summary(errors) if errors else "",
        template_endpoint=(f".{kind.name}_template", {}),
    )
    return page_with_status(page, status)


def _template(kind: _ImportKind) -> Response:
    return template_download(kind.columns, kind.headers, [kind.example], f"{kind.name}-template")


@bp.route("/units", methods=["GET", "POST"])
@roles_required("admin")
def units() -> str | Response | tuple[str, int]:
    """Import the unit tree."""
    return _page(UNITS)


@bp.route("/cadres", methods=["GET", "POST"])
@roles_required("admin")
def cadres() -> str | Response | tuple[str, int]:
    """Import the cadre roster."""
    return _page(CADRES)


@bp.route("/units/template.xlsx")
@roles_required("admin")
def units_template() -> Response:
    """An .xlsx with the unit-tree header row (``?headers=zh`` or ``en``) and one example row."""
    return _template(UNITS)


@bp.route("/cadres/template.xlsx")
@roles_required("admin")
def cadres_template() -> Response:
    """An .xlsx with the roster header row (``?headers=zh`` or ``en``) and one example row."""
    return _template(CADRES)
