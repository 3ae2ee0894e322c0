"""The county dashboard: townships side by side over their final periods, with a workbook.

Officials and admins see the townships of their scope (a county official all of the
county's, a township official only their own). Every figure is read from a final
period's final result version (:mod:`assessment.services.county_dashboard`); groups
under the period's minimum size show as suppressed, on the page and in the workbook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from assessment.app.db import db, utcnow
from assessment.core.charts import interval_rows, probability_segments
from assessment.core.dashboard import grade_shares
from assessment.services import county_dashboard as service
from assessment.views.access import current_scope, roles_required
from assessment.views.downloads import (
    DATETIME_FORMAT,
    Sheet,
    local_time,
    time_zone_label,
    xlsx_download,
)
from assessment.views.messages import PERIOD_KIND_LABELS
from assessment.views.messages import rulebook_label as _label
from assessment.views.overview import DASHBOARD_ROLES, DECIMAL_FORMAT, PERCENT_FORMAT
from assessment.views.results import GRADE_COLOURS

bp = Blueprint("county", __name__, url_prefix="/admin/county")

#: Colour of the hidden part of a grade bar.
SUPPRESSED_COLOUR = "#9e9e9e"
#: Geometry of the index chart (SVG user units): label column, scale, row height.
CHART_LABEL_WIDTH = 120.0
CHART_SCALE_WIDTH = 520.0
CHART_ROW_HEIGHT = 28.0


def _year(name: str, label: str) -> tuple[int | None, str | None]:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None, None
    if not raw.isdigit():
        return None, _("%(field)s: “%(value)s” is not a year.", field=label, value=raw)
    return int(raw), None


def _load() -> tuple[service.Dashboard | None, list[str], dict[str, Any]]:
    """The dashboard for the request's year range, or the problems with that range."""
    first, bad_first = _year("from", _("From year"))
    last, bad_last = _year("to", _("To year"))
    problems = [p for p in (bad_first, bad_last) if p]
    years = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    if problems:
        return None, problems, years
    try:
        dashboard = service.load_dashboard(db.session, current_scope(), first=first, last=last)
    except service.YearRangeError as error:
        label = _("From year") if error.field == "from" else _("To year")
        message = (
            _("%(field)s: the range ends before it starts.", field=label)
            if first is not None and last is not None and first > last
            else _("%(field)s: a year between 1900 and 2100.", field=label)
        )
        return None, [message], years
    if dashboard is None:
        abort(404)  # no township in the reader's scope, as for any unit outside it
    return dashboard, [], years


def _slot_label(slot: service.Slot) -> str:
    kind = PERIOD_KIND_LABELS.get(slot.kind, slot.kind)
    return f"{slot.year} {kind} ({slot.starts_on.isoformat()} – {slot.ends_on.isoformat()})"


def _grade_bar(row: service.TownshipFigures) -> list[dict[str, Any]]:
    colours = [(g.code, GRADE_COLOURS[i % len(GRADE_COLOURS)]) for i, g in enumerate(row.grades)]
    names = {g.code: _label(g.name) for g in row.grades}
    shares = grade_shares(row.grade_counts, row.cadres)
    segments = probability_segments(shares, [*colours, ("suppressed", SUPPRESSED_COLOUR)])
    return [
        {
            "x": s.x,
            "width": s.width,
            "fill": s.fill,
            "name": names.get(s.code, _("suppressed")),
            "count": row.grade_counts.get(s.code) if s.code in names else _("suppressed"),
        }
        for s in segments
    ]


def _index_chart(
    rows: Sequence[service.TownshipFigures], names: Mapping[int, str]
) -> dict[str, Any]:
    shown = [r for r in rows if r.satisfaction.index is not None]
    placed = interval_rows(
        [
            (r.satisfaction.index, r.satisfaction.ci_low, r.satisfaction.ci_high)
            for r in shown
            if r.satisfaction.index is not None  # narrows the type for mypy
        ],
        width=CHART_SCALE_WIDTH,
        row_height=CHART_ROW_HEIGHT,
    )
    return {
        "rows": [
            {"name": names[r.township_id], "index": r.satisfaction.index, "at": p}
            for r, p in zip(shown, placed, strict=True)
        ],
        "left": CHART_LABEL_WIDTH,
        "width": CHART_LABEL_WIDTH + CHART_SCALE_WIDTH + 10,
        "height": CHART_ROW_HEIGHT * len(shown) + 20,
        "ticks": [(CHART_SCALE_WIDTH * t / 100, t) for t in (0, 25, 50, 75, 100)],
        "hidden": [names[r.township_id] for r in rows if r.satisfaction.suppressed],
    }


def _grade_columns(rows: Sequence[service.TownshipFigures]) -> list[tuple[str, str]]:
    columns: list[tuple[str, str]] = []
    for row in rows:
        for grade in row.grades:
            if grade.code not in [code for code, _name in columns]:
                columns.append((grade.code, _label(grade.name)))
    return columns


@bp.route("/dashboard")
@roles_required(*DASHBOARD_ROLES)
def dashboard() -> tuple[str, int]:
    """Townships side by side in one period, the index over periods, charts and export."""
    data, problems, years = _load()
    if data is None:
        return render_template(
            "assessment/county/dashboard.html", problems=problems, years=years, data=None
        ), 400
    names = {i: _label(n) for i, n in data.townships.items()}
    keys = [s.key for s in data.slots]
    chosen = request.args.get("period", "").strip() or (keys[0] if keys else "")
    if keys and chosen not in keys:
        problems.append(
            _(
                "%(field)s: “%(value)s” is not one of the choices in your scope.",
                field=_("Period"),
                value=chosen,
            )
        )
        chosen = keys[0]
    rows = data.of_slot(chosen) if keys else []
    query = {k: v for k, v in years.items() if v}
    page = render_template(
        "assessment/county/dashboard.html",
        data=data,
        problems=problems,
        years=years,
        names=names,
        slots=[(s.key, _slot_label(s)) for s in data.slots],
        chosen=chosen,
        rows=[{"figures": r, "bar": _grade_bar(r)} for r in rows],
        total=data.totals.get(chosen),
        grade_columns=_grade_columns(rows),
        chart=_index_chart(rows, names),
        trend=_trend(data),
        export_url=url_for(".export", **query),
        label=_label,
    )
    return page, 400 if problems else 200


def _trend(data: service.Dashboard) -> list[dict[str, Any]]:
    """Per township, its pooled index in each slot (oldest first), None where absent."""
    slots = list(reversed(data.slots))
    out = []
    for township_id, name in data.townships.items():
        cells: list[service.TownshipFigures | None] = []
        for slot in slots:
            found = [f for f in data.figures if f.slot_key == slot.key]
            mine = [f for f in found if f.township_id == township_id]
            cells.append(mine[0] if mine else None)
        out.append({"name": _label(name), "cells": cells})
    return out


def _suppressed(value: Any) -> Any:
    return _("suppressed") if value is None else value


def _figure_sheet(data: service.Dashboard, names: Mapping[int, str]) -> Sheet:
    every = [f for slot in data.slots for f in data.of_slot(slot.key)]
    columns = _grade_columns(every)
    headers = [
        _("Period"),
        _("Township"),
        _("Cadres assessed"),
        _("Satisfaction index"),
        _("Interval low"),
        _("Interval high"),
        _("Responses"),
        _("Response rate"),
        *[name for _code, name in columns],
        _("Objections lodged"),
        _("Objections upheld"),
        _("Vetoed cadres"),
    ]
    sheet = Sheet(
        _("Townships"),
        headers,
        formats={3: DECIMAL_FORMAT, 4: DECIMAL_FORMAT, 5: DECIMAL_FORMAT, 7: PERCENT_FORMAT},
    )
    labels = {s.key: _slot_label(s) for s in data.slots}
    for slot in data.slots:
        rows = data.of_slot(slot.key)
        for row in [*rows, data.totals[slot.key]]:
            s = row.satisfaction
            is_total = row.township_id == 0
            sheet.rows.append(
                [
                    labels[slot.key],
                    _("All townships shown") if is_total else names[row.township_id],
                    _suppressed(None if row.cadres_suppressed else row.cadres),
                    _("suppressed") if s.suppressed else s.index,
                    s.ci_low if not s.suppressed else _("suppressed"),
                    s.ci_high if not s.suppressed else _("suppressed"),
                    s.n,
                    row.response_rate,
                    *[
                        None
                        if is_total or code not in row.grade_counts
                        else _suppressed(row.grade_counts[code])
                        for code, _name in columns
                    ],
                    row.objections_lodged,
                    row.objections_upheld,
                    row.vetoed,
                ]
            )
    return sheet


def _source_sheet(data: service.Dashboard, names: Mapping[int, str]) -> Sheet:
    exported = local_time(utcnow().replace(microsecond=0))
    zone = time_zone_label()
    sheet = Sheet(
        _("Sources"),
        [
            _("Township"),
            _("Period"),
            _("Period id"),
            _("Result version"),
            _("Rules digest"),
            _("Data digest"),
            _("Minimum group size"),
            _("Exported at (%(zone)s)", zone=zone),
        ],
        formats={7: DATETIME_FORMAT},
    )
    for slot in data.slots:
        for row in data.of_slot(slot.key):
            sheet.rows.append(
                [
                    names[row.township_id],
                    row.period_name,
                    row.period_id,
                    row.version_number,
                    row.rules_digest,
                    row.data_digest,
                    row.min_group_size,
                    exported,
                ]
            )
    return sheet


@bp.route("/dashboard.xlsx")
@roles_required(*DASHBOARD_ROLES)
def export() -> Response | tuple[str, int]:
    """Every period of the range as on the page, and where each figure comes from."""
    data, _problems, _years = _load()
    if data is None:
        return dashboard()
    names = {i: _label(n) for i, n in data.townships.items()}
    return xlsx_download(
        [_figure_sheet(data, names), _source_sheet(data, names)], "county-dashboard"
    )
