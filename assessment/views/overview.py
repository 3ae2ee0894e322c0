"""Officials' view: results across townships and periods, with .xlsx exports.

Officials (county scope) and the assessment team (their township) read every period
in their scope that has a stored result version: the final version when the period is
final, else the latest, marked as not final. Nothing here computes or writes. The
workbooks are built by :mod:`assessment.views.downloads` from the same plain rows as the pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from assessment.app.db import db, utcnow
from assessment.models import ResultVersion
from assessment.services import county_dashboard as county_service
from assessment.services import overview as service
from assessment.services.queries import NotFoundError, get_period
from assessment.services.results import result_of_version, rulebook_of_version
from assessment.views.access import TEAM_ROLES, current_scope, roles_required
from assessment.views.downloads import (
    DATETIME_FORMAT,
    Sheet,
    local_time,
    time_zone_label,
    xlsx_download,
)
from assessment.views.messages import KIND_LABELS, STATE_LABELS
from assessment.views.messages import rulebook_label as _label
from assessment.views.results import GRADE_COLOURS

bp = Blueprint("overview", __name__, url_prefix="/admin/overview")

#: Who reads the overview: officials (county) and the team (their township).
OVERVIEW_ROLES = ("official", *TEAM_ROLES)
#: Who opens the county dashboard (assessment.views.county): officials and admins.
DASHBOARD_ROLES = ("official", "admin")
#: Two decimals for scores, as everywhere else (STYLE section 19: rounding for display).
DECIMAL_FORMAT = "0.00"
PERCENT_FORMAT = "0.00%"
#: PDF downloads built by the reports package, linked when their endpoint exists.
REPORT_LINKS: tuple[tuple[str, Any], ...] = (
    ("reports.summary", _l("Summary (PDF)")),
    ("reports.archive", _l("All reports (zip)")),
)


# ---------------------------------------------------------------------------
# workbooks
# ---------------------------------------------------------------------------


def _facts_sheet(
    periods: Sequence[service.PeriodResults], names: Mapping[int, service.TownshipInfo]
) -> Sheet:
    """Name, version, digests, state and export time of every period in the workbook."""
    exported = local_time(utcnow().replace(microsecond=0))
    zone = time_zone_label()
    sheet = Sheet(
        _("Periods"),
        [
            _("Period"),
            _("Scope"),
            _("Year"),
            _("State"),
            _("Result version"),
            _("Final"),
            _("Rules digest"),
            _("Data digest"),
            _("Computed at (%(zone)s)", zone=zone),
            _("Exported at (%(zone)s)", zone=zone),
        ],
        formats={8: DATETIME_FORMAT, 9: DATETIME_FORMAT},
    )
    for p in periods:
        sheet.rows.append(
            [
                p.name,
                _township_name(names, p.scope_unit_id),
                p.year,
                str(STATE_LABELS.get(p.status, p.status)),
                p.version_number,
                _("yes") if p.is_final else _("no (not final)"),
                p.rules_digest,
                p.data_digest,
                local_time(p.computed_at),
                exported,
            ]
        )
    return sheet


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _township_name(names: Mapping[int, service.TownshipInfo], unit_id: int) -> str:
    info = names.get(unit_id)
    if info is None:
        return str(unit_id)
    return _label({"zh": info.name_zh, "en": info.name_en})


def _group_name(period: service.PeriodResults, code: str) -> str:
    name = period.post_group_names.get(code)
    return _label(name) if name else code


def _grade_name(period: service.PeriodResults, code: str) -> str:
    for grade in period.grades:
        if grade.code == code:
            return _label(grade.name)
    return code


def _grade_bar(
    grades: Sequence[service.GradeInfo], counts: Mapping[str, int]
) -> list[dict[str, Any]]:
    """Segments of a 100-unit wide stacked bar, one per grade with cadres, best first."""
    total = sum(counts.values()) or 1
    x = 0.0
    out = []
    for i, grade in enumerate(grades):
        count = counts.get(grade.code, 0)
        if count:
            width = 100.0 * count / total
            out.append(
                {
                    "x": x,
                    "width": width,
                    "fill": GRADE_COLOURS[i % len(GRADE_COLOURS)],
                    "name": _label(grade.name),
                    "count": count,
                }
            )
            x += width
    return out


def _report_links(period_id: int, number: int) -> list[tuple[str, str]]:
    """Links to the PDF downloads that the reports package provides (when it does)."""
    links = []
    for endpoint, label in REPORT_LINKS:
        if endpoint not in current_app.view_functions:
            continue
        try:
            links.append((str(label), url_for(endpoint, period_id=period_id, number=number)))
        except BuildError:
            continue
    return links


def _scope_periods() -> list[service.PeriodResults]:
    return service.load_results(
        db.session, service.list_result_periods(db.session, current_scope())
    )


def _names_of(periods: Sequence[service.PeriodResults]) -> dict[int, service.TownshipInfo]:
    ids = {p.scope_unit_id for p in periods} | {c.township_id for p in periods for c in p.cadres}
    return service.township_info(db.session, ids)


def _period_rows(
    periods: Sequence[service.PeriodResults], names: Mapping[int, service.TownshipInfo]
) -> list[dict[str, Any]]:
    rows = []
    for p in periods:
        counts = p.grade_counts
        rows.append(
            {
                "period": p,
                "scope": _township_name(names, p.scope_unit_id),
                "state": STATE_LABELS.get(p.status, p.status),
                "grades": [(_label(g.name), counts.get(g.code, 0)) for g in p.grades],
                "bar": _grade_bar(p.grades, counts),
                "rates": p.response_rates,
                "version_url": url_for(
                    "assessment.results.version", period_id=p.period_id, number=p.version_number
                ),
                "reports": _report_links(p.period_id, p.version_number),
            }
        )
    return rows


# ---------------------------------------------------------------------------
# overview of the periods
# ---------------------------------------------------------------------------


@bp.route("/")
@roles_required(*OVERVIEW_ROLES)
def index() -> str:
    """Every period in scope with results: version, state, grades, mean, response rates."""
    periods = _scope_periods()
    names = _names_of(periods)
    return render_template(
        "assessment/overview/index.html",
        rows=_period_rows(periods, names),
        label=_label,
        county_dashboard=current_user.role in DASHBOARD_ROLES
        and county_service.scope_has_county(db.session, current_scope()),
    )


def _overview_sheet(
    periods: Sequence[service.PeriodResults], names: Mapping[int, service.TownshipInfo]
) -> Sheet:
    grade_columns: list[tuple[str, str]] = []
    for p in periods:
        for g in p.grades:
            column = (g.code, _label(g.name))
            if column not in grade_columns:
                grade_columns.append(column)
    headers = [
        _("Scope"),
        _("Period"),
        _("Year"),
        _("State"),
        _("Result version"),
        _("Final"),
        _("Cadres assessed"),
        _("Mean total"),
        *[name for _code, name in grade_columns],
        _("Rated survey targets"),
        _("Median response rate"),
        _("Lowest response rate"),
        _("Highest response rate"),
    ]
    first_rate = 8 + len(grade_columns) + 1
    sheet = Sheet(
        _("Overview"),
        headers,
        formats={
            7: DECIMAL_FORMAT,
            first_rate: PERCENT_FORMAT,
            first_rate + 1: PERCENT_FORMAT,
            first_rate + 2: PERCENT_FORMAT,
        },
    )
    for p in periods:
        counts = p.grade_counts
        sheet.rows.append(
            [
                _township_name(names, p.scope_unit_id),
                p.name,
                p.year,
                str(STATE_LABELS.get(p.status, p.status)),
                p.version_number,
                _("yes") if p.is_final else _("no (not final)"),
                len(p.cadres),
                p.mean_total,
                *[counts.get(code) for code, _name in grade_columns],
                len(p.response_rates),
                p.median_response_rate,
                min(p.response_rates) if p.response_rates else None,
                max(p.response_rates) if p.response_rates else None,
            ]
        )
    return sheet


@bp.route("/overview.xlsx")
@roles_required(*OVERVIEW_ROLES)
def export() -> Response:
    """The overview as a workbook: one row per period, and the periods' facts."""
    periods = _scope_periods()
    names = _names_of(periods)
    return xlsx_download(
        [_overview_sheet(periods, names), _facts_sheet(periods, names)], "overview"
    )


# ---------------------------------------------------------------------------
# comparison: cadres x periods, townships side by side
# ---------------------------------------------------------------------------


@dataclass
class Filters:
    """The comparison's GET filters, checked against what the reader may see."""

    period_ids: list[int]
    township_ids: list[int]
    post_group: str | None
    problems: list[str]


def _ids(
    name: str, allowed: Iterable[int], label: str, unknown: Callable[[str, str], str]
) -> tuple[list[int], list[str]]:
    known = set(allowed)
    ids, problems = [], []
    for raw in request.args.getlist(name):
        text = raw.strip()
        if not text:
            continue
        if not text.isdigit() or int(text) not in known:
            problems.append(unknown(label, text))
        elif int(text) not in ids:
            ids.append(int(text))
    return ids, problems


def _read_filters(periods: Sequence[service.PeriodResults], townships: Iterable[int]) -> Filters:
    def unknown(label: str, value: str) -> str:
        return str(
            _(
                "%(field)s: “%(value)s” is not one of the choices in your scope.",
                field=label,
                value=value,
            )
        )

    period_ids, problems = _ids("period", (p.period_id for p in periods), _("Periods"), unknown)
    township_ids, more = _ids("township", townships, _("Townships"), unknown)
    problems.extend(more)
    group = request.args.get("group", "").strip() or None
    groups = {c.post_group for p in periods for c in p.cadres}
    if group is not None and group not in groups:
        problems.append(unknown(_("Post group"), group))
        group = None
    return Filters(period_ids, township_ids, group, problems)


def _comparison(
    periods: Sequence[service.PeriodResults], filters: Filters
) -> tuple[list[service.PeriodResults], list[service.CadreRow]]:
    chosen = [p for p in periods if not filters.period_ids or p.period_id in filters.period_ids]
    # oldest first, so that a row reads left to right in time
    chosen.sort(key=lambda p: (p.year, p.period_id))
    rows = service.filter_rows(
        chosen, townships=filters.township_ids, post_group=filters.post_group
    )
    return chosen, rows


def _group_names(periods: Sequence[service.PeriodResults]) -> dict[str, str]:
    names: dict[str, str] = {}
    for p in sorted(periods, key=lambda p: (-p.year, -p.period_id)):
        for code in {c.post_group for c in p.cadres}:
            names.setdefault(code, _group_name(p, code))
    return names


def _compare_context(
    periods: Sequence[service.PeriodResults],
) -> tuple[dict[str, Any], Filters, list[service.PeriodResults], list[service.CadreRow]]:
    names = _names_of(periods)
    townships = sorted(
        {c.township_id for p in periods for c in p.cadres},
        key=lambda i: _township_name(names, i),
    )
    filters = _read_filters(periods, townships)
    chosen, rows = _comparison(periods, filters) if not filters.problems else ([], [])
    group_names = _group_names(periods)
    context = {
        "all_periods": periods,
        "townships": [(i, _township_name(names, i)) for i in townships],
        "groups": sorted(group_names.items()),
        "group_names": group_names,
        "filters": filters,
        "names": names,
        "township_name": lambda i: _township_name(names, i),
    }
    return context, filters, chosen, rows


@bp.route("/compare")
@roles_required(*OVERVIEW_ROLES)
def compare() -> tuple[str, int]:
    """Cadres × periods and townships side by side, chosen with GET filters."""
    periods = _scope_periods()
    context, filters, chosen, rows = _compare_context(periods)
    by_id = {p.period_id: p for p in chosen}
    order = {p.period_id: i for i, p in enumerate(chosen)}
    township_name = context["township_name"]
    ordered = sorted(
        service.township_groups(chosen, rows),
        key=lambda t: (t.post_group, order[t.period_id], township_name(t.township_id)),
    )
    groups = [
        {
            "group": t,
            "period": by_id[t.period_id],
            "bar": _grade_bar(by_id[t.period_id].grades, t.grade_counts),
            "grades": [
                (_label(x.name), t.grade_counts.get(x.code, 0)) for x in by_id[t.period_id].grades
            ],
        }
        for t in ordered
    ]
    query = request.query_string.decode("ascii", "replace")
    export_url = url_for(".compare_export") + (f"?{query}" if query else "")
    page = render_template(
        "assessment/overview/compare.html",
        chosen=chosen,
        matrix=service.cadre_matrix(rows),
        township_rows=groups,
        grade_name=_grade_name,
        export_url=export_url,
        **context,
    )
    return page, 400 if filters.problems else 200


def _compare_sheets(
    chosen: Sequence[service.PeriodResults],
    rows: Sequence[service.CadreRow],
    context: Mapping[str, Any],
) -> list[Sheet]:
    township_name = context["township_name"]
    group_names = context["group_names"]
    by_id = {p.period_id: p for p in chosen}
    cadres = Sheet(
        _("Cadres"),
        [
            _("Township"),
            _("Post group"),
            _("Code"),
            _("Cadre"),
            _("Period"),
            _("Year"),
            _("Result version"),
            _("Total"),
            _("Grade"),
            _("Rank"),
            _("Group size"),
        ],
        formats={7: DECIMAL_FORMAT},
    )
    for m in service.cadre_matrix(rows):
        for p in chosen:
            cell = m.cells.get(p.period_id)
            if cell is None:
                continue
            cadres.rows.append(
                [
                    township_name(m.township_id),
                    group_names.get(m.post_group, m.post_group),
                    m.code,
                    m.name,
                    p.name,
                    p.year,
                    p.version_number,
                    cell.total,
                    _grade_name(p, cell.grade),
                    cell.rank,
                    cell.group_size,
                ]
            )
    grade_columns: list[str] = []
    for p in chosen:
        for g in p.grades:
            if _label(g.name) not in grade_columns:
                grade_columns.append(_label(g.name))
    townships = Sheet(
        _("Townships"),
        [
            _("Post group"),
            _("Period"),
            _("Township"),
            _("Cadres"),
            _("Mean total"),
            *grade_columns,
        ],
        formats={4: DECIMAL_FORMAT},
    )
    for t in service.township_groups(chosen, rows):
        period = by_id[t.period_id]
        counts = {_label(x.name): t.grade_counts.get(x.code, 0) for x in period.grades}
        townships.rows.append(
            [
                group_names.get(t.post_group, t.post_group),
                period.name,
                township_name(t.township_id),
                t.n,
                t.mean_total,
                *[counts.get(name) for name in grade_columns],
            ]
        )
    return [cadres, townships, _facts_sheet(chosen, context["names"])]


@bp.route("/compare.xlsx")
@roles_required(*OVERVIEW_ROLES)
def compare_export() -> Response | tuple[str, int]:
    """The comparison as a workbook: cadres (one long table), townships, period facts."""
    periods = _scope_periods()
    context, filters, chosen, rows = _compare_context(periods)
    if filters.problems:
        return compare()
    return xlsx_download(_compare_sheets(chosen, rows, context), "comparison")


# ---------------------------------------------------------------------------
# one period in full
# ---------------------------------------------------------------------------


@bp.route("/periods/<int:period_id>.xlsx")
@roles_required(*OVERVIEW_ROLES)
def period_export(period_id: int) -> Response:
    """One period's shown version: every cadre with the points of every indicator."""
    try:
        period = get_period(db.session, period_id, current_scope())
    except NotFoundError:
        abort(404)
    version = service.shown_version(db.session, period)
    loaded = service.load_results(db.session, [period])
    if version is None or not loaded:
        abort(404)
    results = loaded[0]
    names = _names_of(loaded)
    stored = {c.id: c for c in result_of_version(version).cadres}
    codes: list[str] = []
    for cadre in stored.values():
        for indicator in cadre.indicators:
            if indicator.code not in codes:
                codes.append(indicator.code)
    fixed = [
        _("Township"),
        _("Post group"),
        _("Rank"),
        _("Code"),
        _("Cadre"),
        _("Total"),
        _("Grade"),
        _("Grade by score"),
        _("Bonus"),
        _("Penalty"),
    ]
    sheet = Sheet(
        _("Results"),
        fixed + [_("Points %(code)s", code=code) for code in codes],
        formats={5: DECIMAL_FORMAT, 8: DECIMAL_FORMAT, 9: DECIMAL_FORMAT}
        | {len(fixed) + i: DECIMAL_FORMAT for i in range(len(codes))},
    )
    for row in results.cadres:
        cadre = stored[row.cadre_id]
        points = {i.code: i.points for i in cadre.indicators}
        sheet.rows.append(
            [
                _township_name(names, row.township_id),
                _group_name(results, row.post_group),
                row.rank,
                row.code,
                row.name,
                row.total,
                _grade_name(results, row.grade),
                _grade_name(results, cadre.earned),
                cadre.bonus,
                cadre.penalty,
                *[points.get(code) for code in codes],
            ]
        )
    return xlsx_download(
        [sheet, _indicator_sheet(version), _facts_sheet(loaded, names)],
        f"period-{period.id}-v{results.version_number}",
    )


def _indicator_sheet(version: ResultVersion) -> Sheet:
    """What the "Points <code>" columns are: each weighted indicator of each post group."""
    sheet = Sheet(
        _("Indicators"),
        [_("Post group"), _("Code"), _("Indicator"), _("Kind"), _("Weight")],
        formats={4: DECIMAL_FORMAT},
    )
    for indicator_set in rulebook_of_version(version).indicator_sets:
        for indicator in indicator_set.indicators:
            if indicator.is_weighted:
                sheet.rows.append(
                    [
                        _label(indicator_set.name),
                        indicator.code,
                        _label(indicator.name),
                        str(KIND_LABELS.get(indicator.kind.value, indicator.kind.value)),
                        indicator.weight,
                    ]
                )
    return sheet
