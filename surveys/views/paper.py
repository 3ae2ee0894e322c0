"""The "survey_paper" blueprint: paper ballot entry, adjudication and import for clerks,
and the quality page (flags, exclusions) for the team, under /admin/surveys/<id>/.

The entry screen is built for typing: server-rendered, no JavaScript, the serial field
has the focus, the fields follow the ballot's order so Tab walks them, answers are
digits, and after each ballot the page comes back empty with the batch kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.core.errors import FieldError
from assessment.core.headers import PAPER_BALLOT_HEADERS
from assessment.core.roster import RowError
from assessment.forms.base import ImportForm
from assessment.models import Unit
from assessment.services.spreadsheets import read_sheet
from assessment.views.access import TEAM_ROLES, current_scope, roles_required
from assessment.views.downloads import template_download
from assessment.views.form_errors import Attempt, field_errors
from assessment.views.imports import error_rows
from surveys.forms import (
    DoubleEntryForm,
    ExclusionForm,
    build_adjudication_form,
    build_ballot_form,
    field_message,
    state_message,
)
from surveys.models.paper import PaperEntry  # noqa: F401  (registers the tables)
from surveys.models.surveys import Survey
from surveys.services import paper, queries
from surveys.services.surveys import SurveyError
from surveys.views import questionnaire

logger = logging.getLogger(__name__)

bp = Blueprint("survey_paper", __name__, url_prefix="/admin/surveys/<int:survey_id>")

#: Who types and adjudicates paper ballots.
ENTRY_ROLES = ("clerk", *TEAM_ROLES)

PAPER_MESSAGES: dict[str, Any] = {
    "required": _l("This field is required."),
    "too_long": _l("At most %(max)s characters."),
    "bad_serial": _l("A serial is 1–64 letters, digits or “-”, starting with a letter or digit."),
    "unknown_receipt": _l(
        "Receipt %(receipt)s is not one of this survey's printed receipts. Check it on the slip."
    ),
    "receipt_other_unit": _l(
        "Receipt %(receipt)s was printed for another village or community, not this one."
    ),
    "receipt_used": _l("Receipt %(receipt)s has already been counted."),
    "receipt_on_other_ballot": _l("Receipt %(receipt)s was already entered on ballot %(serial)s."),
    "unknown_item_for_unit": _l("This question is not asked of this unit's residents."),
    "bad_digit": _l("Type a whole number from %(low)s to %(high)s, or leave it blank."),
    "bad_digit_or_dont_know": _l(
        "Type a whole number from %(low)s to %(high)s, %(dont_know)s for “don't know”, "
        "or leave it blank."
    ),
    "nothing_answered": _l("The ballot has no rated answer; enter at least one."),
    "not_a_choice": _l("Type one of the numbers printed on the ballot."),
    "serial_stored": _l("Ballot %(serial)s is already counted."),
    "same_clerk": _l(
        "You already entered ballot %(serial)s; a different account must enter it the second time."
    ),
    "serial_in_conflict": _l(
        "Ballot %(serial)s was entered twice with differences and waits for adjudication."
    ),
    "no_conflict": _l("Ballot %(serial)s has no differences waiting for adjudication."),
    "adjudicator_entered": _l(
        "You entered this ballot yourself; another account must adjudicate it."
    ),
    "choose_value": _l("Choose the value printed on the paper ballot."),
    "entries_waiting": _l(
        "%(count)s entries wait for a second entry or for adjudication; finish them first."
    ),
    "missing_column": _l("The header row has no column %(column)s."),
    "unknown_column": _l(
        "Unknown column %(column)s: use serial, batch, receipt and q_<question> columns."
    ),
    "duplicate_serial_in_file": _l("This serial is also on row %(row)s of the file."),
    "duplicate_receipt_in_file": _l("This receipt is also on row %(row)s of the file."),
    "unknown_action": _l("Unknown decision."),
    "unknown_response": _l("Unknown response."),
    "already_excluded": _l("This response is already excluded."),
    "already_included": _l("This response is already included."),
}

STATE_MESSAGES: dict[str, Any] = {
    "paper_needs_open": _l("Paper ballots are entered while the survey is open."),
}

FLAG_LABELS: dict[str, Any] = {
    "straight_lining": _l("Straight-lining (the same answer to every item)"),
    "too_fast": _l("Completed in under a third of the median time"),
    "duplicate_serial": _l("Paper serial used more than once"),
}


def paper_message(error: FieldError) -> str:
    template = PAPER_MESSAGES.get(error.code)
    if template is None:
        return field_message(error)
    return str(template) % error.params


def _refusals(form: Any) -> Attempt:
    """A service's FieldError shown beside its field and flashed, in the paper wording."""
    return field_errors(form, describe=paper_message, flash_it=True)


def _state_message(error: SurveyError) -> str:
    template = STATE_MESSAGES.get(error.code)
    return str(template) if template is not None else state_message(error)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def _survey_or_404(survey_id: int) -> Survey:
    try:
        return queries.get_survey(db.session, survey_id, current_scope())
    except queries.NotFoundError:
        abort(404)


def _unit_or_404(survey: Survey, unit_id: int) -> Unit:
    for unit in queries.respondent_units(db.session, survey.period):
        if unit.id == unit_id:
            return unit
    abort(404)


def _language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return "zh" if locale is None or locale.language == "zh" else "en"


# ---------------------------------------------------------------------------
# clerk pages
# ---------------------------------------------------------------------------


@bp.route("/paper/")
@roles_required(*ENTRY_ROLES)
def home(survey_id: int) -> str:
    """Paper ballots of a survey: pick a unit to type its ballots, the queue, import."""
    survey = _survey_or_404(survey_id)
    form = DoubleEntryForm(double_entry=paper.double_entry(db.session, survey.id))
    return render_template(
        "surveys/paper/home.html",
        survey=survey,
        units=queries.respondent_units(db.session, survey.period),
        batches=[b for b in queries.list_batches(db.session, survey.id) if b.revoked_at is None],
        copies_per_pdf=questionnaire.MAX_COPIES_PER_PDF,
        conflicts=len(paper.list_conflicts(db.session, survey.id)),
        double_entry=paper.double_entry(db.session, survey.id),
        settings_form=form,
        can_configure=current_user.role in TEAM_ROLES,
    )


@bp.route("/paper/settings", methods=["POST"])
@roles_required(*TEAM_ROLES)
def settings(survey_id: int) -> Response:
    """Turn double entry on or off."""
    survey = _survey_or_404(survey_id)
    form = DoubleEntryForm()
    if not form.validate_on_submit():
        abort(400)
    with _refusals(form) as attempt, unit_of_work(current_user.id):
        paper.set_double_entry(db.session, survey, enabled=bool(form.double_entry.data))
    if attempt.saved:
        flash(_("Saved."), "success")
    return redirect(url_for(".home", survey_id=survey.id))


def _outcome_message(serial: str, outcome: paper.EntryOutcome) -> str:
    if outcome.state == "stored":
        return str(_("Ballot %(serial)s is counted.", serial=serial))
    if outcome.state == "pending":
        return str(
            _("Ballot %(serial)s: first entry saved; a second account enters it.", serial=serial)
        )
    return str(
        _(
            "Ballot %(serial)s differs from the first entry (%(fields)s); it goes to adjudication.",
            serial=serial,
            fields=", ".join(outcome.differing),
        )
    )


@bp.route("/paper/units/<int:unit_id>", methods=["GET", "POST"])
@roles_required(*ENTRY_ROLES)
def enter(survey_id: int, unit_id: int) -> str | Response | tuple[str, int]:
    """The keyboard entry screen for the ballots of one village or community."""
    survey = _survey_or_404(survey_id)
    unit = _unit_or_404(survey, unit_id)
    items = queries.list_items(db.session, survey.id, unit.id)
    form = build_ballot_form(items, _language())()
    if request.method == "GET":
        form.batch.data = request.args.get("batch", "")[:64]
    status = 200
    if form.validate_on_submit():
        answers = {item.key: getattr(form, item.field_name).data or "" for item in items}
        serial = (form.serial.data or "").strip()
        try:
            with _refusals(form) as attempt, unit_of_work(current_user.id):
                ballot = paper.clean_ballot(
                    db.session,
                    survey,
                    serial=serial,
                    batch=form.batch.data or "",
                    receipt=form.receipt.data or "",
                    unit_id=unit.id,
                    answers=answers,
                    items=items,
                )
                outcome = paper.record_entry(
                    db.session, survey, ballot, clerk_id=current_user.id, today=utcnow().date()
                )
        except SurveyError as error:
            flash(_state_message(error), "error")
        else:
            if attempt.saved:
                flash(
                    _outcome_message(serial, outcome),
                    "success" if outcome.state != "conflict" else "warning",
                )
                return redirect(
                    url_for(
                        ".enter", survey_id=survey.id, unit_id=unit.id, batch=form.batch.data or ""
                    )
                )
        status = 400
    elif request.method == "POST":
        status = 400
    page = render_template(
        "surveys/paper/enter.html",
        survey=survey,
        unit=unit,
        form=form,
        items=items,
        double_entry=paper.double_entry(db.session, survey.id),
    )
    return (page, status) if status != 200 else page


@bp.route("/paper/conflicts")
@roles_required(*ENTRY_ROLES)
def conflicts(survey_id: int) -> str:
    """Ballots whose two entries differ, waiting for a third account to adjudicate."""
    survey = _survey_or_404(survey_id)
    queue = paper.list_conflicts(db.session, survey.id)
    names = queries.account_usernames(
        db.session, {c.first.clerk_id for c in queue} | {c.second.clerk_id for c in queue}
    )
    return render_template(
        "surveys/paper/conflicts.html", survey=survey, conflicts=queue, names=names
    )


@dataclass(frozen=True)
class _Choice:
    name: str
    first: str
    second: str
    field: Any


@bp.route("/paper/conflicts/<serial>", methods=["GET", "POST"])
@roles_required(*ENTRY_ROLES)
def adjudicate(serial: str, survey_id: int) -> str | Response | tuple[str, int]:
    """Pick the right value of each differing field against the paper ballot."""
    survey = _survey_or_404(survey_id)
    conflict = paper.get_conflict(db.session, survey.id, serial)
    if conflict is None:
        abort(404)

    first, second = conflict.first_fields, conflict.second_fields
    form = build_adjudication_form(
        conflict.differing,
        first,
        second,
        choose_message=str(PAPER_MESSAGES["choose_value"]),
    )()
    status = 200
    if form.validate_on_submit():
        picks = {name: getattr(form, f"pick_{name}").data for name in conflict.differing}
        try:
            with _refusals(form) as attempt, unit_of_work(current_user.id):
                paper.adjudicate(
                    db.session,
                    survey,
                    serial=serial,
                    choices=picks,
                    adjudicator_id=current_user.id,
                    today=utcnow().date(),
                )
        except SurveyError as error:
            flash(_state_message(error), "error")
        else:
            if attempt.saved:
                flash(_("Ballot %(serial)s is counted.", serial=serial), "success")
                return redirect(url_for(".conflicts", survey_id=survey.id))
        status = 400
    elif request.method == "POST":
        status = 400
    picked = [
        _Choice(name, first.get(name, ""), second.get(name, ""), getattr(form, f"pick_{name}"))
        for name in conflict.differing
    ]
    labels = _field_labels(survey, conflict.first.ballot_unit_id)
    names = queries.account_usernames(
        db.session, {conflict.first.clerk_id, conflict.second.clerk_id}
    )
    page = render_template(
        "surveys/paper/adjudicate.html",
        survey=survey,
        conflict=conflict,
        form=form,
        choices=picked,
        labels=labels,
        names=names,
        same_fields=sorted(set(first) - set(conflict.differing)),
        first_fields=first,
    )
    return (page, status) if status != 200 else page


def _field_labels(survey: Survey, unit_id: int) -> dict[str, str]:
    language = _language()
    labels = {"batch": str(_("Batch")), "receipt": str(_("Receipt code (from the slip)"))}
    for item in queries.list_items(db.session, survey.id, unit_id):
        text = item.text_zh if language == "zh" else item.text_en
        target = item.target_label_zh if language == "zh" else item.target_label_en
        labels[item.field_name] = f"{target} · {text}" if target else text
    return labels


@dataclass(frozen=True)
class _ImportKind:
    title: str
    intro: str
    columns: list[str]
    required: tuple[str, ...]
    descriptions: dict[str, str]
    headers: Mapping[str, str]


def _import_kind(survey: Survey) -> _ImportKind:
    columns = paper.template_columns(db.session, survey)
    descriptions = {
        "serial": str(_("Serial number printed on the ballot.")),
        "batch": str(_("Batch the ballot belongs to (optional).")),
        "receipt": str(_("Receipt code from the slip; it decides the village or community.")),
    }
    for column in columns[3:]:
        descriptions[column] = str(
            _("Answer as on the entry screen: a digit, or blank for no answer.")
        )
    return _ImportKind(
        title=str(_("Import paper ballots")),
        intro=str(
            _(
                "Each row is one ballot, counted as one entry by your account: with double "
                "entry on, another account's entry (typed or imported) must match it."
            )
        ),
        columns=columns,
        required=paper.IMPORT_REQUIRED,
        descriptions=descriptions,
        headers=PAPER_BALLOT_HEADERS,
    )


@bp.route("/paper/import", methods=["GET", "POST"])
@roles_required(*ENTRY_ROLES)
def import_ballots(survey_id: int) -> str | Response | tuple[str, int]:
    """Import ballots from .xlsx/.csv: every row valid, or nothing saved."""
    survey = _survey_or_404(survey_id)
    form = ImportForm()
    status = 200
    errors: tuple[RowError, ...] = ()
    if form.is_submitted():
        status = 400
        if form.validate():
            upload = form.file.data
            filename = upload.filename or ""
            try:
                with field_errors(form) as attempt:
                    sheet = read_sheet(upload.stream, filename, PAPER_BALLOT_HEADERS)
                    reason = f"import of paper ballots from {filename[:100]}"
                    with unit_of_work(current_user.id, reason=reason):
                        summary = paper.import_ballots(
                            db.session,
                            survey,
                            sheet,
                            clerk_id=current_user.id,
                            today=utcnow().date(),
                        )
            except paper.ImportRejected as rejected:
                status = 422
                errors = rejected.errors
            except SurveyError as error:
                flash(_state_message(error), "error")
            else:
                if attempt.saved:
                    flash(
                        _(
                            "Imported: %(stored)s counted, %(pending)s waiting for a second "
                            "entry, %(conflicts)s sent to adjudication.",
                            stored=summary.stored,
                            pending=summary.pending,
                            conflicts=summary.conflicts,
                        ),
                        "success",
                    )
                    return redirect(url_for(".home", survey_id=survey.id))
    rows = {e.row for e in errors}
    summary_text = ""
    if errors:
        summary_text = (
            str(
                ngettext(
                    "%(num)s error; nothing was imported.",
                    "%(num)s errors; nothing was imported.",
                    len(errors),
                )
            )
            + " "
            + str(ngettext("(%(num)s row)", "(%(num)s rows)", len(rows)))
        )
    page = render_template(
        "assessment/imports/upload.html",
        kind=_import_kind(survey),
        form=form,
        errors=error_rows(errors, paper_message, PAPER_BALLOT_HEADERS),
        error_count=len(errors),
        summary=summary_text,
        template_endpoint=(".import_template", {"survey_id": survey.id}),
    )
    return (page, status) if status != 200 else page


@bp.route("/paper/import/template.xlsx")
@roles_required(*ENTRY_ROLES)
def import_template(survey_id: int) -> Response:
    """An .xlsx with the ballot columns (``?headers=zh`` or ``en``), for typing ballots in."""
    survey = _survey_or_404(survey_id)
    return template_download(
        paper.template_columns(db.session, survey),
        PAPER_BALLOT_HEADERS,
        [],
        "paper-ballots-template",
    )


# ---------------------------------------------------------------------------
# team: quality signals and exclusions
# ---------------------------------------------------------------------------


@bp.route("/quality")
@roles_required(*TEAM_ROLES)
def quality(survey_id: int) -> str:
    """Flags per survey, with counts; answer-based ones only after closing."""
    survey = _survey_or_404(survey_id)
    min_group_size = survey.period.min_group_size
    report = paper.quality_report(db.session, survey, min_group_size=min_group_size)
    units = {u.id: u for u in queries.respondent_units(db.session, survey.period)}
    return render_template(
        "surveys/quality/index.html",
        survey=survey,
        report=report,
        flag_labels=FLAG_LABELS,
        channel_labels={"online": _("Online"), "paper": _("Paper")},
        item_names=_item_names(survey),
        units=units,
        clerk_names=queries.account_usernames(db.session, {c.clerk_id for c in report.clerks}),
        min_group_size=min_group_size,
        form=ExclusionForm(),
    )


def _item_names(survey: Survey) -> dict[str, str]:
    """Answer keys (``<question>__<target>``) as the question and target in words."""
    zh = _language() == "zh"
    names = {}
    for question in survey.questions:
        text = question.text_zh if zh else question.text_en or question.text_zh
        names[question.code] = text
        for target in survey.targets:
            about = target.label_zh if zh else target.label_en or target.label_zh
            names[f"{question.code}__{target.code}"] = f"{text} · {about}"
    return names


@bp.route("/quality/responses/<response_id>/<action>", methods=["POST"])
@roles_required(*TEAM_ROLES)
def decide(survey_id: int, response_id: str, action: str) -> Response:
    """Record a decision to exclude a response, or include it again, with a reason."""
    survey = _survey_or_404(survey_id)
    form = ExclusionForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for the decision."), "error")
        return redirect(url_for(".quality", survey_id=survey.id))
    with _refusals(form) as attempt, unit_of_work(current_user.id):
        paper.decide_exclusion(
            db.session,
            survey,
            response_id=response_id,
            action=action,
            reason=form.reason.data or "",
            decided_by=current_user.id,
        )
    if attempt.saved:
        flash(_("Decision recorded."), "success")
    return redirect(url_for(".quality", survey_id=survey.id))
