"""Staff pages for the inputs of a period: results, evidence, events, ratings, preview.

Every staff role in scope reads results and events and downloads evidence; the team
(admin, assessor) enters them, rates, sees the progress and the live preview. Inputs
change only while the period is "collecting". An assessor sees only their own ratings
until the results are computed, and until then the preview shows no panel value (nor
points or totals that include one): comparing two previews would give a rating away.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.core.errors import FieldError, InputsClosedError, RatingRefusedError
from assessment.core.headers import RESULT_HEADERS
from assessment.core.roster import RowError
from assessment.core.rulebook import IndicatorKind, Rulebook
from assessment.forms.base import ImportForm, choices
from assessment.forms.inputs import (
    ConfirmForm,
    ConflictForm,
    EventForm,
    GridForm,
    ResultForm,
    rating_form,
)
from assessment.models import Evidence, Period
from assessment.services import evidence as files
from assessment.services import inputs as service
from assessment.services.imports import ImportRejected
from assessment.services.queries import NotFoundError, get_period, list_periods
from assessment.services.records import find_work_report
from assessment.services.spreadsheets import read_sheet
from assessment.views.access import STAFF_ROLES, TEAM_ROLES, current_scope, roles_required
from assessment.views.downloads import stored_file_download, template_download
from assessment.views.form_errors import field_errors, page_with_status
from assessment.views.imports import error_rows, rejection_summary
from assessment.views.messages import (
    KIND_LABELS,
    METHOD_LABELS,
    MISSING_LABELS,
    PREVIEW_STATUS_LABELS,
    field_error_message,
    input_refused_message,
)
from assessment.views.messages import rulebook_label as _label

logger = logging.getLogger(__name__)

bp = Blueprint("inputs", __name__, url_prefix="/admin/periods")

# ---------------------------------------------------------------------------
# forms: assessment/forms/inputs.py (shape only; the rules live in the services and core)
# ---------------------------------------------------------------------------

_EVIDENCE_HINT = _l("PDF, JPG, PNG, XLSX or DOCX, at most %(mb)s MB.")


@dataclass(frozen=True, slots=True)
class _ImportKind:
    """What the shared import page shows (see templates/assessment/imports/upload.html)."""

    name: str
    title: Any
    intro: Any
    columns: tuple[str, ...]
    required: tuple[str, ...]
    descriptions: dict[str, Any]
    headers: Mapping[str, str]


RESULTS_IMPORT = _ImportKind(
    name="quantitative-results",
    title=_l("Import quantitative results"),
    intro=_l(
        "One row per cadre and quantitative indicator. A row for a value already entered "
        "replaces it (its evidence file stays). Attach evidence files on each result's page."
    ),
    columns=service.RESULT_COLUMNS,
    required=service.RESULT_REQUIRED_COLUMNS,
    descriptions={
        "cadre_code": _l("Personnel number of a cadre assessed in this period."),
        "indicator_code": _l("Code of a quantitative indicator of the cadre's post."),
        "actual": _l("The actual value, a number in the indicator's unit; 1 or 0 for met or not."),
        "source": _l("Where the number comes from."),
        "note": _l("Any remark; may be empty, and the column may be left out."),
    },
    headers=RESULT_HEADERS,
)

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _render(template: str, **context: Any) -> str:
    return render_template(
        f"assessment/inputs/{template}",
        label=_label,
        kind_label=lambda code: KIND_LABELS.get(code, code),
        method_label=lambda code: METHOD_LABELS.get(code, code),
        missing_label=lambda code: MISSING_LABELS.get(code, code),
        status_label=lambda code: PREVIEW_STATUS_LABELS.get(code, code),
        is_team=current_user.role in TEAM_ROLES,
        **context,
    )


@bp.errorhandler(NotFoundError)
def _not_found(error: NotFoundError) -> tuple[str, int]:
    # An error handler cannot abort(); render the app's 404 page directly.
    return render_template("errors/error.html", code=404, error=NotFound()), 404


@bp.errorhandler(InputsClosedError)
def _closed(error: InputsClosedError) -> Response:
    flash(input_refused_message(error.code, error.status), "error")
    period_id = (request.view_args or {}).get("period_id")
    if period_id is None:
        return redirect(url_for(".overview"))
    return redirect(url_for(".index", period_id=period_id))


@bp.errorhandler(RatingRefusedError)
def _refused(error: RatingRefusedError) -> Response:
    flash(input_refused_message(error.code), "error")
    return redirect(url_for(".ratings", period_id=(request.view_args or {})["period_id"]))


def _period(period_id: int) -> Period:
    return get_period(db.session, period_id, current_scope())


def _rulebook(period: Period) -> Rulebook | None:
    return service.find_rulebook(db.session, period)


def _max_bytes() -> int:
    return int(current_app.config["EVIDENCE_MAX_BYTES"])


def _evidence_hint() -> str:
    return str(_EVIDENCE_HINT) % {"mb": round(_max_bytes() / 1024 / 1024, 1)}


def _add_evidence(session: Session, period: Period, form: FlaskForm) -> Evidence | None:
    """Store the form's evidence file, if one was chosen, and record it (FieldError when
    refused); in the caller's unit of work, so a failure stores nothing."""
    upload = form.evidence.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    stored = files.store_upload(
        session, upload.stream, upload.filename or "", max_bytes=_max_bytes()
    )
    return service.add_evidence(
        session,
        period=period,
        stored_name=stored.stored_name,
        original_name=stored.original_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=current_user.id,
    )


def _no_rulebook(period: Period) -> str:
    return _render("no_rulebook.html", period=period)


# ---------------------------------------------------------------------------
# overview
# ---------------------------------------------------------------------------


@bp.route("/inputs")
@roles_required(*STAFF_ROLES)
def overview() -> str:
    """Periods in scope, with a link to each one's inputs."""
    return _render("overview.html", periods=list_periods(db.session, current_scope()))


@bp.route("/<int:period_id>/inputs")
@roles_required(*STAFF_ROLES)
def index(period_id: int) -> str:
    """The inputs of one period: what has been entered and what is missing."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    if rulebook is None:
        return _no_rulebook(period)
    cadres = service.list_assessed(db.session, period, current_scope())
    results = service.list_results(db.session, period)
    expected_results = 0
    for cadre in cadres:
        indicator_set = service.indicator_set_of(rulebook, cadre)
        if indicator_set is not None:
            expected_results += len(indicator_set.of_kind(IndicatorKind.QUANTITATIVE))
    ids = {c.cadre_id for c in cadres}
    mine = None
    if current_user.role in TEAM_ROLES:
        plan = service.build_rating_plan(db.session, period, rulebook, cadres)
        own = plan.of_assessor(current_user.id)
        mine = {
            "done": sum(len(a.done) for a in own),
            "expected": sum(len(a.indicators) for a in own),
        }
    return _render(
        "index.html",
        period=period,
        cadres=len(cadres),
        results=sum(1 for key in results if key[0] in ids),
        expected_results=expected_results,
        events=len(service.list_events(db.session, period, ids)),
        mine=mine,
    )


# ---------------------------------------------------------------------------
# quantitative results and evidence
# ---------------------------------------------------------------------------


@bp.route("/<int:period_id>/quantitative")
@roles_required(*STAFF_ROLES)
def quantitative(period_id: int) -> str:
    """Actual values of every quantitative indicator, by post; missing ones shown as such."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    if rulebook is None:
        return _no_rulebook(period)
    cadres = service.list_assessed(db.session, period, current_scope())
    groups = []
    for indicator_set in rulebook.indicator_sets:
        indicators = indicator_set.of_kind(IndicatorKind.QUANTITATIVE)
        members = [c for c in cadres if c.post == indicator_set.post]
        if indicators and members:
            groups.append({"set": indicator_set, "indicators": indicators, "cadres": members})
    return _render(
        "quantitative.html",
        period=period,
        groups=groups,
        results=service.list_results(db.session, period),
        collecting=service.is_collecting(period),
    )


@bp.route("/<int:period_id>/quantitative/<int:cadre_id>/<code>", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def edit_result(period_id: int, cadre_id: int, code: str) -> str | Response | tuple[str, int]:
    """Enter or change one actual value, with its source, a note and an evidence file."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    if rulebook is None:
        return _no_rulebook(period)
    cadre = service.get_assessed(db.session, period, cadre_id, current_scope())
    indicator_set = service.indicator_set_of(rulebook, cadre)
    try:
        if indicator_set is None:
            raise KeyError(code)
        indicator = indicator_set.indicator(code)
    except KeyError:
        abort(404)
    if indicator.kind != IndicatorKind.QUANTITATIVE:
        abort(404)
    existing = service.find_result(db.session, period, cadre.cadre_id, code)
    saved = (
        {"actual": existing.actual, "source": existing.source, "note": existing.note}
        if existing is not None
        else {}
    )
    form = ResultForm(data=saved)
    form.evidence.description = _evidence_hint()
    status = 200
    warnings: list[str] = []
    if form.is_submitted():
        status = 400
        if form.validate():
            service.check_collecting(period)
            try:
                with field_errors(form) as attempt, unit_of_work(current_user.id) as session:
                    service.save_result(
                        session,
                        period=period,
                        rulebook=rulebook,
                        cadre=cadre,
                        indicator_code=code,
                        actual=form.actual.data,
                        source=form.source.data or "",
                        note=form.note.data or "",
                        evidence=_add_evidence(session, period, form),
                        entered_by_id=current_user.id,
                        now=utcnow(),
                        confirmed=bool(form.confirm.data),
                    )
            except service.UnconfirmedValuesError as unconfirmed:
                status = 200
                warnings = [_problem_texts(w)[0] for w in unconfirmed.warnings]
            else:
                if attempt.saved:
                    flash(_("Saved %(code)s for %(name)s.", code=code, name=cadre.name), "success")
                    return redirect(url_for(".quantitative", period_id=period.id))
    page = _render(
        "result_form.html",
        period=period,
        cadre=cadre,
        indicator=indicator,
        form=form,
        existing=existing,
        warnings=warnings,
        collecting=service.is_collecting(period),
    )
    return page_with_status(page, status)


# ---------------------------------------------------------------------------
# the results grid: many values on one page, keyboard first, pasted from Excel
# ---------------------------------------------------------------------------

#: Messages of the plausibility warnings (``assessment.core.plausibility``).
PLAUSIBILITY_MESSAGES: dict[str, Any] = {
    "share_above_100": _l("a share above %(high)s%%: is it written in per cent?"),
    "far_outside_range": _l("far outside the range the rule is written for (%(low)s to %(high)s)"),
}


@dataclass(frozen=True, slots=True)
class _GridBlock:
    """One table of the grid: cadres of one post (rows) by its indicators (columns)."""

    indicator_set: Any
    indicators: tuple[Any, ...]
    cadres: tuple[service.AssessedCadre, ...]


def _grid_choices(rulebook: Rulebook, cadres: Sequence[service.AssessedCadre]) -> dict[str, Any]:
    """What a grid can be opened for: each post's indicators, the units, the posts."""
    posts = {c.post for c in cadres}
    indicators = []
    post_names = []
    for indicator_set in rulebook.indicator_sets:
        quantitative = indicator_set.of_kind(IndicatorKind.QUANTITATIVE)
        if indicator_set.post not in posts or not quantitative:
            continue
        post_names.append((indicator_set.post, _label(indicator_set.name)))
        for i in quantitative:
            name = f"{_label(indicator_set.name)} · {i.code} {_label(i.name)}"
            indicators.append((f"{indicator_set.post}/{i.code}", name))
    units = sorted({(str(c.unit_id), c.unit_name) for c in cadres}, key=lambda u: int(u[0]))
    return {"indicator": indicators, "unit": units, "post": post_names}


def _grid_blocks(
    rulebook: Rulebook, cadres: Sequence[service.AssessedCadre], by: str, value: str
) -> list[_GridBlock]:
    blocks = []
    for indicator_set in rulebook.indicator_sets:
        quantitative = indicator_set.of_kind(IndicatorKind.QUANTITATIVE)
        members = [c for c in cadres if c.post == indicator_set.post]
        if by == "indicator":
            post, _sep, code = value.partition("/")
            if indicator_set.post != post:
                continue
            quantitative = tuple(i for i in quantitative if i.code == code)
        elif by == "unit":
            members = [c for c in members if str(c.unit_id) == value]
        elif indicator_set.post != value:
            continue
        if quantitative and members:
            blocks.append(_GridBlock(indicator_set, tuple(quantitative), tuple(members)))
    return blocks


def _cell_name(cadre_id: int, code: str) -> str:
    return f"v-{cadre_id}-{code}"


def _plain_number(value: float) -> str:
    """A stored value as typed back into a cell: no exponent, no trailing zeros."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _problem_texts(problem: service.CellProblem) -> tuple[str, str]:
    """A cell's problem in the reader's language: naming the cadre and the indicator (for
    the list above the grid), and on its own (beside the cell)."""
    template = PLAUSIBILITY_MESSAGES.get(problem.code)
    params = {
        k: format_decimal(v) if isinstance(v, float) else v for k, v in problem.params.items()
    }
    if template is not None:
        detail = str(template) % params
    else:
        detail = field_error_message(FieldError("actual", problem.code, **params))
    cadre = f"{problem.cadre.code} {problem.cadre.name}"
    indicator = f"{problem.indicator.code} {_label(problem.indicator.name)}"
    full = _(
        "%(cadre)s · %(indicator)s: %(value)s — %(problem)s",
        cadre=cadre,
        indicator=indicator,
        value=params.get("value", ""),
        problem=detail,
    )
    return full, detail


@bp.route("/<int:period_id>/quantitative/grid", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def grid(period_id: int) -> str | Response | tuple[str, int]:
    """Enter many actual values at once: one indicator, one unit or one post as a grid."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    if rulebook is None:
        return _no_rulebook(period)
    cadres = service.list_assessed(db.session, period, current_scope())
    options = _grid_choices(rulebook, cadres)
    by = next((name for name in ("indicator", "unit", "post") if request.args.get(name)), "")
    value = request.args.get(by, "") if by else ""
    blocks = _grid_blocks(rulebook, cadres, by, value) if by else []
    if by and not blocks:
        abort(404)
    stored = service.list_results(db.session, period)
    form = GridForm()
    typed: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    warnings: list[str] = []
    errors: list[str] = []
    status = 200
    if form.is_submitted() and blocks:
        status = 400
        cells = [
            service.GridCell(
                c.cadre_id, i.code, request.form.get(_cell_name(c.cadre_id, i.code), "")
            )
            for block in blocks
            for c in block.cadres
            for i in block.indicators
        ]
        typed = {_cell_name(cell.cadre_id, cell.indicator_code): cell.text for cell in cells}
        if form.validate():
            service.check_collecting(period)
            try:
                with (
                    field_errors(form) as attempt,
                    unit_of_work(current_user.id, reason="results grid") as session,
                ):
                    saved = service.save_results_grid(
                        session,
                        period=period,
                        rulebook=rulebook,
                        cadres=cadres,
                        cells=cells,
                        source=form.source.data or "",
                        confirmed=bool(form.confirm.data),
                        entered_by_id=current_user.id,
                        now=utcnow(),
                    )
            except service.GridRejectedError as rejected:
                for problem in rejected.problems:
                    full, detail = _problem_texts(problem)
                    errors.append(full)
                    problems.setdefault(
                        _cell_name(problem.cadre.cadre_id, problem.indicator.code), []
                    ).append(detail)
            except service.UnconfirmedValuesError as unconfirmed:
                status = 200
                for warning in unconfirmed.warnings:
                    full, detail = _problem_texts(warning)
                    warnings.append(full)
                    problems.setdefault(
                        _cell_name(warning.cadre.cadre_id, warning.indicator.code), []
                    ).append(detail)
            else:
                if attempt.saved:
                    if saved:
                        flash(
                            ngettext("%(num)d value saved.", "%(num)d values saved.", saved),
                            "success",
                        )
                    else:
                        flash(_("Nothing was changed, so nothing was saved."), "info")
                    values: dict[str, Any] = {"period_id": period.id, by: value}
                    return redirect(url_for(".grid", **values))
    page = _render(
        "grid.html",
        period=period,
        options=options,
        by=by,
        value=value,
        blocks=blocks,
        stored=stored,
        typed=typed,
        problems=problems,
        errors=errors,
        warnings=warnings,
        form=form,
        cell_name=_cell_name,
        plain_number=_plain_number,
        collecting=service.is_collecting(period),
    )
    return page_with_status(page, status)


@bp.route("/<int:period_id>/quantitative/import", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def import_results(period_id: int) -> str | Response | tuple[str, int]:
    """Import actual values from .xlsx or .csv: every row valid, or nothing saved."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    if rulebook is None:
        return _no_rulebook(period)
    form = ImportForm()
    status = 200
    errors: Sequence[RowError] = ()
    if form.is_submitted():
        status = 400
        if form.validate():
            service.check_collecting(period)
            upload = form.file.data
            filename = upload.filename or ""
            try:
                with field_errors(form) as attempt:
                    sheet = read_sheet(upload.stream, filename, RESULT_HEADERS)
                    reason = f"import of quantitative results from {filename[:100]}"
                    with unit_of_work(current_user.id, reason=reason) as session:
                        summary = service.import_results(
                            session,
                            period=period,
                            rulebook=rulebook,
                            sheet=sheet,
                            scope_unit_ids=current_scope(),
                            entered_by_id=current_user.id,
                            now=utcnow(),
                        )
            except ImportRejected as rejected:
                status = 422
                errors = rejected.errors
                logger.info("results import refused: %d errors", len(errors))
            else:
                if attempt.saved:
                    flash(
                        _(
                            "Imported %(created)s new and %(updated)s changed results.",
                            created=summary.created,
                            updated=summary.updated,
                        ),
                        "success",
                    )
                    return redirect(url_for(".quantitative", period_id=period.id))
    page = render_template(
        "assessment/imports/upload.html",
        kind=RESULTS_IMPORT,
        form=form,
        errors=error_rows(errors, headers=RESULT_HEADERS),
        error_count=len(errors),
        summary=rejection_summary(errors) if errors else "",
        template_endpoint=(".results_template", {"period_id": period.id}),
    )
    return page_with_status(page, status)


@bp.route("/<int:period_id>/quantitative/template.xlsx")
@roles_required(*TEAM_ROLES)
def results_template(period_id: int) -> Response:
    """An .xlsx with the header row and one row per missing value of the cadres in scope."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    rows = []
    if rulebook is not None:
        results = service.list_results(db.session, period)
        for cadre in service.list_assessed(db.session, period, current_scope()):
            indicator_set = service.indicator_set_of(rulebook, cadre)
            if indicator_set is None:
                continue
            for indicator in indicator_set.of_kind(IndicatorKind.QUANTITATIVE):
                if (cadre.cadre_id, indicator.code) not in results:
                    rows.append([cadre.code, indicator.code, "", "", ""])
    return template_download(
        service.RESULT_COLUMNS, RESULT_HEADERS, rows, "quantitative-results-template"
    )


@bp.route("/<int:period_id>/evidence/<int:evidence_id>")
@roles_required(*STAFF_ROLES)
def evidence(period_id: int, evidence_id: int) -> Response:
    """Download an evidence file (staff whose scope covers the cadre only)."""
    period = _period(period_id)
    cadre_ids = {c.cadre_id for c in service.list_assessed(db.session, period, current_scope())}
    record = service.get_evidence(db.session, period, evidence_id, cadre_ids)
    return stored_file_download(db.session, record)


# ---------------------------------------------------------------------------
# bonus, penalty and veto events
# ---------------------------------------------------------------------------


@bp.route("/<int:period_id>/events")
@roles_required(*STAFF_ROLES)
def events(period_id: int) -> str:
    """Recorded bonus, penalty and veto events of the cadres in scope."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    if rulebook is None:
        return _no_rulebook(period)
    cadres = service.list_assessed(db.session, period, current_scope())
    by_id = {c.cadre_id: c for c in cadres}
    names = {}
    for cadre in cadres:
        indicator_set = service.indicator_set_of(rulebook, cadre)
        if indicator_set is not None:
            for indicator in indicator_set.indicators:
                names[(cadre.cadre_id, indicator.code)] = _label(indicator.name)
    return _render(
        "events.html",
        period=period,
        events=service.list_events(db.session, period, set(by_id)),
        cadres=by_id,
        names=names,
        form=ConfirmForm(),
        collecting=service.is_collecting(period),
    )


@bp.route("/<int:period_id>/events/new", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def new_event(period_id: int) -> str | Response | tuple[str, int]:
    """Record a bonus, penalty or veto event for one cadre, with a reason and evidence."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    if rulebook is None:
        return _no_rulebook(period)
    cadres = service.list_assessed(db.session, period, current_scope())
    cadre_id = request.args.get("cadre_id", type=int)
    if cadre_id is None:
        return _render("event_pick.html", period=period, cadres=cadres)
    cadre = service.get_assessed(db.session, period, cadre_id, current_scope())
    indicator_set = service.indicator_set_of(rulebook, cadre)
    items = (
        [i for i in indicator_set.indicators if i.kind in service.EVENT_KINDS]
        if indicator_set is not None
        else []
    )
    form = EventForm()
    form.evidence.description = _evidence_hint()
    form.indicator_code.choices = choices(
        [("", _("Choose an item"))]
        + [
            (
                i.code,
                f"{i.code} · {KIND_LABELS[i.kind.value]} · {_label(i.name)}"
                + (f" ({i.points:g})" if i.points is not None else ""),
            )
            for i in items
        ]
    )
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            service.check_collecting(period)
            with field_errors(form) as attempt, unit_of_work(current_user.id) as session:
                service.record_event(
                    session,
                    period=period,
                    rulebook=rulebook,
                    cadre=cadre,
                    indicator_code=form.indicator_code.data or "",
                    points=form.points.data,
                    occurred_on=form.occurred_on.data,
                    reason=form.reason.data or "",
                    evidence=_add_evidence(session, period, form),
                    recorded_by_id=current_user.id,
                    today=utcnow().date(),
                )
            if attempt.saved:
                flash(_("Event recorded for %(name)s.", name=cadre.name), "success")
                return redirect(url_for(".events", period_id=period.id))
    page = _render(
        "event_form.html",
        period=period,
        cadre=cadre,
        form=form,
        items=items,
        collecting=service.is_collecting(period),
    )
    return page_with_status(page, status)


@bp.route("/<int:period_id>/events/<int:event_id>/delete", methods=["POST"])
@roles_required(*TEAM_ROLES)
def delete_event(period_id: int, event_id: int) -> Response:
    """Withdraw a recorded event (the audit log keeps it)."""
    period = _period(period_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    cadre_ids = {c.cadre_id for c in service.list_assessed(db.session, period, current_scope())}
    event = service.get_event(db.session, period, event_id, cadre_ids)
    with unit_of_work(current_user.id, reason="event withdrawn") as session:
        service.delete_event(session, period=period, event=event)
    flash(_("The event was withdrawn."), "success")
    return redirect(url_for(".events", period_id=period.id))


# ---------------------------------------------------------------------------
# ratings, conflicts of interest, progress
# ---------------------------------------------------------------------------


@bp.route("/<int:period_id>/ratings")
@roles_required(*TEAM_ROLES)
def ratings(period_id: int) -> str:
    """The cadres I rate: what I have rated so far (my own ratings only)."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    if rulebook is None:
        return _no_rulebook(period)
    cadres = service.list_assessed(db.session, period, current_scope())
    plan = service.build_rating_plan(db.session, period, rulebook, cadres)
    mine = {a.cadre_id: a for a in plan.of_assessor(current_user.id)}
    excluded = {
        cadre_id: code
        for (assessor_id, cadre_id), code in plan.excluded.items()
        if assessor_id == current_user.id
    }
    return _render(
        "ratings.html",
        period=period,
        cadres=[c for c in cadres if c.cadre_id in mine or c.cadre_id in excluded],
        mine=mine,
        excluded=excluded,
        refusal=lambda code: input_refused_message(code),
        collecting=service.is_collecting(period),
        computed=service.is_computed(period),
    )


@bp.route("/<int:period_id>/ratings/<int:cadre_id>", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def rate(period_id: int, cadre_id: int) -> str | Response | tuple[str, int]:
    """Rate one cadre on each qualitative indicator; only my own ratings are shown."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    if rulebook is None:
        return _no_rulebook(period)
    cadre = service.get_assessed(db.session, period, cadre_id, current_scope())
    indicator_set = service.indicator_set_of(rulebook, cadre)
    indicators = (
        indicator_set.of_kind(IndicatorKind.QUALITATIVE) if indicator_set is not None else ()
    )
    refusal = service.may_rate(db.session, period, current_user, cadre.cadre_id)
    mine = {
        code: level
        for (_cadre, code), level in service.list_my_ratings(
            db.session, period, current_user.id, cadre.cadre_id
        ).items()
    }
    panel = (
        service.list_panel_ratings(db.session, period, cadre.cadre_id)
        if service.is_computed(period)
        else []
    )
    form = rating_form(rulebook, indicators, mine)
    status = 200
    nothing_saved = ""
    if form.is_submitted():
        status = 400
        if refusal is not None:
            raise RatingRefusedError(refusal)
        if form.validate():
            levels = {i.code: form[f"level_{i.code}"].data for i in indicators}
            with (
                field_errors(form) as attempt,
                unit_of_work(current_user.id) as session,
            ):
                changed = service.save_ratings(
                    session,
                    period=period,
                    rulebook=rulebook,
                    assessor=current_user,
                    cadre=cadre,
                    levels=levels,
                    now=utcnow(),
                )
            if attempt.saved:
                if changed:
                    flash(
                        ngettext(
                            "%(num)s rating saved for %(name)s.",
                            "%(num)s ratings saved for %(name)s.",
                            changed,
                            name=cadre.name,
                        ),
                        "success",
                    )
                    return redirect(_next_to_rate(period, rulebook, cadre.cadre_id))
                if any(levels.values()):
                    # the same levels as before: nothing to save, and nothing lost
                    flash(_("Your ratings of %(name)s are unchanged.", name=cadre.name), "info")
                    return redirect(_next_to_rate(period, rulebook, cadre.cadre_id))
                # no level chosen at all: say so on the form, which stays as it was
                nothing_saved = _(
                    "Nothing was saved: no level was chosen. Choose a level for each "
                    "indicator you rate, then save."
                )
    level_names = {}
    # What each level means, from the rulebook, beside its choice (issue 20).
    level_descriptions = {}
    for indicator in indicators:
        for lv in rulebook.rubric(indicator.rubric or "").levels:
            level_names[(indicator.code, lv.code)] = f"{_label(lv.name)} ({lv.value:g})"
            if description := _label(lv.description):
                level_descriptions[(indicator.code, lv.code)] = description
    page = _render(
        "rate.html",
        period=period,
        cadre=cadre,
        indicators=indicators,
        rulebook=rulebook,
        form=form,
        refusal=input_refused_message(refusal) if refusal else "",
        nothing_saved=nothing_saved,
        panel=panel,
        level_names=level_names,
        level_descriptions=level_descriptions,
        collecting=service.is_collecting(period),
        work_report=find_work_report(db.session, period.id, cadre.cadre_id),
    )
    return page_with_status(page, status)


def _next_to_rate(period: Period, rulebook: Rulebook, after: int) -> str:
    """The next cadre (by code) I still owe ratings, else my ratings list."""
    cadres = service.list_assessed(db.session, period, current_scope())
    plan = service.build_rating_plan(db.session, period, rulebook, cadres)
    owed = {a.cadre_id for a in plan.of_assessor(current_user.id) if a.missing}
    order = [c.cadre_id for c in cadres]
    start = order.index(after) + 1 if after in order else 0
    for cadre_id in order[start:] + order[:start]:
        if cadre_id in owed:
            return url_for(".rate", period_id=period.id, cadre_id=cadre_id)
    return url_for(".ratings", period_id=period.id)


@bp.route("/<int:period_id>/conflicts", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def conflicts(period_id: int) -> str | Response | tuple[str, int]:
    """Declare a conflict of interest with a cadre (audited); my declarations so far."""
    period = _period(period_id)
    cadres = service.list_assessed(db.session, period, current_scope())
    form = ConflictForm()
    form.cadre_id.choices = choices(
        [(c.cadre_id, f"{c.code} {c.name} · {c.unit_name}") for c in cadres]
    )
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            cadre = service.get_assessed(db.session, period, form.cadre_id.data, current_scope())
            with (
                field_errors(form) as attempt,
                unit_of_work(current_user.id, reason=form.reason.data) as session,
            ):
                service.declare_conflict(
                    session,
                    period=period,
                    assessor=current_user,
                    cadre=cadre,
                    reason=form.reason.data or "",
                )
            if attempt.saved:
                flash(
                    _(
                        "Conflict of interest declared: you no longer rate %(name)s.",
                        name=cadre.name,
                    ),
                    "success",
                )
                return redirect(url_for(".conflicts", period_id=period.id))
    page = _render(
        "conflicts.html",
        period=period,
        form=form,
        declarations=service.list_conflicts(db.session, period, current_user.id),
        collecting=service.is_collecting(period),
    )
    return page_with_status(page, status)


@bp.route("/<int:period_id>/progress")
@roles_required(*TEAM_ROLES)
def progress(period_id: int) -> str:
    """Which ratings are still missing, by assessor and by cadre (never the levels)."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    if rulebook is None:
        return _no_rulebook(period)
    cadres = service.list_assessed(db.session, period, current_scope())
    plan = service.build_rating_plan(db.session, period, rulebook, cadres)
    by_id = {c.cadre_id: c for c in cadres}
    names = {a.id: a.display_name for a in plan.assessors}
    by_assessor = []
    for account in plan.assessors:
        own = plan.of_assessor(account.id)
        if not own:
            continue
        by_assessor.append(
            {
                "name": account.display_name,
                "expected": sum(len(a.indicators) for a in own),
                "done": sum(len(a.done) for a in own),
                "owed": [(by_id[a.cadre_id], len(a.missing)) for a in own if a.missing],
            }
        )
    by_cadre = []
    for cadre in cadres:
        own = plan.of_cadre(cadre.cadre_id)
        if not own:
            continue
        by_cadre.append(
            {
                "cadre": cadre,
                "assessors": len(own),
                "complete": sum(1 for a in own if not a.missing),
                "owing": [(names[a.assessor_id], len(a.missing)) for a in own if a.missing],
            }
        )
    return _render("progress.html", period=period, by_assessor=by_assessor, by_cadre=by_cadre)


# ---------------------------------------------------------------------------
# live preview
# ---------------------------------------------------------------------------


def _previews(period: Period, rulebook: Rulebook, cadres: Sequence[service.AssessedCadre]) -> Any:
    # Panel values only once the team may see the ratings themselves (core.preview).
    return service.compute_previews(
        db.session, period, rulebook, cadres, show_panels=service.is_computed(period)
    )


@bp.route("/<int:period_id>/preview")
@roles_required(*TEAM_ROLES)
def preview(period_id: int) -> str:
    """The score each cadre would get now, and how many inputs are still missing."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    if rulebook is None:
        return _no_rulebook(period)
    cadres = service.list_assessed(db.session, period, current_scope())
    return _render(
        "preview.html",
        period=period,
        cadres=cadres,
        previews=_previews(period, rulebook, cadres),
        panels_shown=service.is_computed(period),
        grade_label=lambda code: _label(rulebook.grading.grade(code).name) if code else "",
    )


@bp.route("/<int:period_id>/preview/<int:cadre_id>")
@roles_required(*TEAM_ROLES)
def preview_cadre(period_id: int, cadre_id: int) -> str:
    """One cadre's preview: every indicator's points so far and every missing input."""
    period = _period(period_id)
    rulebook = _rulebook(period)
    if rulebook is None:
        return _no_rulebook(period)
    cadre = service.get_assessed(db.session, period, cadre_id, current_scope())
    indicator_set = service.indicator_set_of(rulebook, cadre)
    result = _previews(period, rulebook, [cadre]).get(cadre.cadre_id)
    names = {}
    if indicator_set is not None:
        names = {i.code: _label(i.name) for i in indicator_set.indicators}
    return _render(
        "preview_cadre.html",
        period=period,
        cadre=cadre,
        result=result,
        names=names,
        panels_shown=service.is_computed(period),
        grade_label=lambda code: _label(rulebook.grading.grade(code).name) if code else "",
    )
