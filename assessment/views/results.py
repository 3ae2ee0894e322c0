"""Staff pages for a period's results: compute, decide on missing inputs, versions, what-if.

The team (admin, assessor) computes and records decisions; every staff role in scope
reads the results once they are computed. The survey data and the survey statistics
come from the callables the app factory registers in ``app.extensions`` (this package
does not import ``surveys``). The what-if panel recomputes in memory and stores nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from assessment.access import STAFF_ROLES, TEAM_ROLES, current_scope, roles_required
from assessment.app.db import db, unit_of_work
from assessment.core.charts import histogram, probability_segments
from assessment.core.confidence import DEFAULT_RESAMPLES
from assessment.core.errors import AssessmentError, FieldError
from assessment.core.precision import Precision
from assessment.core.results import IncompleteInputsError
from assessment.core.rulebook import Rulebook
from assessment.forms import BaseForm, BaseSubform, choices
from assessment.messages import (
    DECISION_LABELS,
    INDICATOR_STATUS_LABELS,
    MISSING_KIND_LABELS,
    STATE_LABELS,
    field_error_message,
)
from assessment.messages import rulebook_label as _label
from assessment.models import Period, ResultVersion
from assessment.queries import NotFoundError, get_period
from assessment.services import results as service
from assessment.services.inputs import is_computed, list_assessed

logger = logging.getLogger(__name__)

bp = Blueprint("results", __name__, url_prefix="/admin/periods")


@bp.app_template_filter("score")
def score_filter(
    value: float | None, precision: Precision | Mapping[str, Any] | None = None
) -> str:
    """A published number (points, total, index) with the rulebook's declared decimals.

    ``precision`` is a result's precision, typed or as stored (``None``: two decimals,
    what results stored before it was declared were printed with). The value is rounded
    by the declared rule (``assessment.core.precision``) and written in the reader's locale.
    """
    if value is None:
        return "—"
    declared = precision if isinstance(precision, Precision) else Precision.from_plain(precision)
    pattern = "#,##0." + "0" * declared.places if declared.places else "#,##0"
    return str(format_decimal(declared.round(float(value)), format=pattern))


FLAG_LABELS: dict[str, Any] = {
    "low_agreement": _l("low panel agreement"),
    "lenient_assessor": _l("lenient assessor"),
    "severe_assessor": _l("severe assessor"),
    "low_response_rate": _l("low response rate"),
    "low_alpha": _l("low Cronbach's alpha"),
    "excluded_responses": _l("responses excluded"),
    "decision_applied": _l("missing input decided by the team"),
}
REFUSALS: dict[str, Any] = {
    "results_final": _l("The period is final: results can no longer be computed or changed."),
    "results_not_collecting": _l(
        "Results can be computed once the period is “Collecting”; this period is “%(state)s”."
    ),
    "no_rulebook": _l("No rulebook is published for this period."),
}
FIELD_MESSAGES: dict[str, Any] = {
    "reason_required_after_computed": _l(
        "The results have been computed already: give the reason for a new version."
    ),
    "unknown_decision_kind": _l("Choose what to do about the missing input."),
}
#: Fill colours of the grades, best first (SVG attributes: the CSP blocks inline styles).
GRADE_COLOURS = ("#2e7d32", "#1565c0", "#f9a825", "#c62828", "#6a1b9a", "#455a64")


# ---------------------------------------------------------------------------
# forms (shape only)
# ---------------------------------------------------------------------------


class ComputeForm(BaseForm):
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Required once the results have been computed: why a new version?"),
        validators=[Optional(), Length(max=service.MAX_REASON)],
    )
    submit = SubmitField(_l("Compute the results"))


class DecisionForm(BaseForm):
    cadre_id = HiddenField(validators=[DataRequired()])
    indicator_code = HiddenField(validators=[DataRequired()])
    kind = SelectField(
        _l("Decision"), choices=choices(DECISION_LABELS.items()), validate_choice=True
    )
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(), Length(max=service.MAX_REASON)]
    )
    submit = SubmitField(_l("Record the decision"))


class WhatIfForm(BaseSubform):
    """GET form: one indicator weight or one grade minimum (no CSRF: it changes nothing)."""

    indicator = SelectField(_l("Indicator"), validate_choice=False)
    weight = StringField(_l("New weight"))
    grade = SelectField(_l("Grade"), validate_choice=False)
    minimum = StringField(_l("New minimum score"))


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _period(period_id: int) -> Period:
    try:
        return get_period(db.session, period_id, current_scope())
    except NotFoundError:
        abort(404)


def _version(period: Period, number: int) -> ResultVersion:
    try:
        return service.get_version(db.session, period.id, number)
    except NotFoundError:
        abort(404)


def _survey_source() -> service.SurveySource | None:
    source: service.SurveySource | None = current_app.extensions.get("assessment.survey_source")
    return source


def _summarise() -> Any:
    return current_app.extensions.get("assessment.summarise_survey")


def _refusal(error: service.ResultsRefusedError) -> str:
    return str(REFUSALS[error.code]) % {"state": str(STATE_LABELS.get(error.status, error.status))}


def _field_message(error: FieldError) -> str:
    template = FIELD_MESSAGES.get(error.code)
    return str(template) if template is not None else field_error_message(error)


def _render(template: str, **context: Any) -> str:
    return render_template(
        f"assessment/results/{template}",
        label=_label,
        missing_label=lambda code: MISSING_KIND_LABELS.get(code, code),
        decision_label=lambda code: DECISION_LABELS.get(code, code),
        flag_label=lambda code: FLAG_LABELS.get(code, code),
        status_label=lambda code: INDICATOR_STATUS_LABELS.get(code, code),
        is_team=current_user.role in TEAM_ROLES,
        **context,
    )


def _grade_info(rulebook: Rulebook) -> list[dict[str, Any]]:
    return [
        {
            "code": g.code,
            "name": _label(g.name),
            "minimum": g.minimum,
            "colour": GRADE_COLOURS[i % len(GRADE_COLOURS)],
        }
        for i, g in enumerate(rulebook.grading.grades)
    ]


def _cadre_flags(cadre: Mapping[str, Any], flags: Sequence[Mapping[str, Any]]) -> list[str]:
    """Flag codes about this cadre: its decisions, its survey targets, its post's panels."""
    targets = {(i["code"], i["survey_target"]) for i in cadre["indicators"] if i["survey_target"]}
    out = []
    for f in flags:
        kind = f["subject_kind"]
        if (
            (kind == "cadre" and f["subject"] == cadre["id"])
            or (kind == "survey_target" and (f["indicator"], f["subject"]) in targets)
            or (kind == "panel" and f["subject"] == cadre["post"])
        ):
            out.append(f["code"])
    return sorted(set(out))


def _result_view(payload: Mapping[str, Any], rulebook: Rulebook) -> dict[str, Any]:
    """The stored result arranged for the version page."""
    result = payload["result"]
    grades = _grade_info(rulebook)
    grade_names = {g["code"]: g["name"] for g in grades}
    confidence = {}
    if result["confidence"] is not None:
        confidence = {c["cadre"]: c for c in result["confidence"]["cadres"]}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cadre in result["cadres"]:
        conf = confidence.get(cadre["id"])
        groups[cadre["post_group"]].append(
            {
                **cadre,
                "grade_name": grade_names.get(cadre["grade"], cadre["grade"]),
                "earned_name": grade_names.get(cadre["earned"], cadre["earned"]),
                "flags": _cadre_flags(cadre, result["flags"]),
                "confidence": conf,
                "p_grade": None if conf is None else conf["probabilities"].get(cadre["grade"]),
                "segments": ()
                if conf is None
                else probability_segments(
                    conf["probabilities"], [(g["code"], g["colour"]) for g in grades]
                ),
            }
        )
    set_names = {s.post: _label(s.name) for s in rulebook.indicator_sets}
    quotas = {g["post_group"]: g for g in result["groups"]} if result["groups"] else {}
    minimums = [float(g["minimum"]) for g in grades]
    return {
        "grades": grades,
        "groups": [
            {
                "code": code,
                "name": set_names.get(code, code),
                "cadres": sorted(members, key=lambda c: (c["rank"], c["code"])),
                "quota": quotas.get(code),
                "histogram": histogram([c["total"] for c in members], minimums),
            }
            for code, members in sorted(
                groups.items(), key=lambda item: rulebook.post_sort_key(item[0])
            )
        ],
        "result": result,
    }


# ---------------------------------------------------------------------------
# pages
# ---------------------------------------------------------------------------


@bp.route("/<int:period_id>/results")
@roles_required(*STAFF_ROLES)
def index(period_id: int) -> str:
    """The results of a period: compute, missing inputs and decisions, versions."""
    period = _period(period_id)
    is_team = current_user.role in TEAM_ROLES
    if not is_team and not is_computed(period):
        return _render("not_computed.html", period=period)
    versions = service.list_versions(db.session, period.id)
    missing: Sequence[Any] = ()
    problem = None
    can_compute = is_team and period.status in service.COMPUTE_STATES
    if can_compute:
        try:
            missing = service.find_missing(db.session, period, survey_source=_survey_source())
        except service.ResultsRefusedError as error:
            problem = _refusal(error)
            can_compute = False
        except AssessmentError as error:
            problem = _("The stored inputs cannot be read: %(error)s", error=str(error))
    elif is_team:
        problem = _refusal(
            service.ResultsRefusedError(
                "results_final" if period.status == "final" else "results_not_collecting",
                period.status,
            )
        )
    names = service.unit_names(db.session, period)
    cadre_names = {str(c.cadre_id): f"{c.code} {c.name}" for c in list_assessed(db.session, period)}
    return _render(
        "index.html",
        period=period,
        versions=versions,
        undecided=[m for m in missing if m.decision is None],
        decided=[m for m in missing if m.decision is not None],
        decidable=service.DECIDABLE_KINDS,
        decisions=service.list_decisions(db.session, period),
        cadre_names=cadre_names,
        unit_names=names,
        can_compute=can_compute,
        reason_required=period.status != "collecting",
        problem=problem,
        form=ComputeForm(),
        decision_form=DecisionForm(),
        has_survey_source=_survey_source() is not None,
    )


@bp.route("/<int:period_id>/results/compute", methods=["POST"])
@roles_required(*TEAM_ROLES)
def compute(period_id: int) -> Response:
    """Compute and store the next version (the period moves to "computed" from collecting)."""
    period = _period(period_id)
    form = ComputeForm()
    if not form.validate_on_submit():
        flash(_("The form could not be read; try again."), "error")
        return redirect(url_for(".index", period_id=period.id))
    reason = (form.reason.data or "").strip()
    resamples = int(current_app.config.get("RESULTS_RESAMPLES", DEFAULT_RESAMPLES))
    try:
        with unit_of_work(current_user.id, reason=reason or None):
            version = service.compute_results(
                db.session,
                period=period,
                reason=reason,
                actor_id=current_user.id,
                survey_source=_survey_source(),
                summarise_survey=_summarise(),
                resamples=resamples,
            )
            number = version.number
    except IncompleteInputsError as error:
        flash(
            ngettext(
                "%(num)d input is missing without a decision; see the list below.",
                "%(num)d inputs are missing without a decision; see the list below.",
                len(error.missing),
            ),
            "error",
        )
    except service.ResultsRefusedError as error:
        flash(_refusal(error), "error")
    except FieldError as error:
        flash(_field_message(error), "error")
    except AssessmentError as error:
        logger.warning("results of period %s not computed: %s", period.id, error)
        flash(_("The results could not be computed: %(error)s", error=str(error)), "error")
    else:
        flash(_("Results version %(number)s computed.", number=number), "success")
        return redirect(url_for(".version", period_id=period.id, number=number))
    return redirect(url_for(".index", period_id=period.id))


@bp.route("/<int:period_id>/results/decisions", methods=["POST"])
@roles_required(*TEAM_ROLES)
def decide(period_id: int) -> Response:
    """Record the team's decision about one missing input."""
    period = _period(period_id)
    form = DecisionForm()
    if not form.validate_on_submit() or not str(form.cadre_id.data).isdigit():
        flash(_("Choose a decision and give its reason."), "error")
        return redirect(url_for(".index", period_id=period.id))
    reason = form.reason.data.strip()
    try:
        with unit_of_work(current_user.id, reason=reason):
            service.record_decision(
                db.session,
                period=period,
                cadre_id=int(form.cadre_id.data),
                indicator_code=form.indicator_code.data,
                kind=form.kind.data,
                reason=reason,
                actor_id=current_user.id,
            )
    except service.ResultsRefusedError as error:
        flash(_refusal(error), "error")
    except FieldError as error:
        flash(_field_message(error), "error")
    except NotFoundError:
        abort(404)
    else:
        flash(_("Decision recorded."), "success")
    return redirect(url_for(".index", period_id=period.id))


@bp.route("/<int:period_id>/results/versions/<int:number>")
@roles_required(*STAFF_ROLES)
def version(period_id: int, number: int) -> str:
    """One stored version: ranking per post group, confidence, distributions, flags."""
    period = _period(period_id)
    stored = _version(period, number)
    payload = service.payload_of(stored)
    view = _result_view(payload, service.rulebook_of_version(stored))
    result = view["result"]
    assessors = service.account_names(db.session, [a["assessor"] for a in result["leniency"]])
    return _render(
        "version.html",
        period=period,
        version=stored,
        view=view,
        payload=payload,
        assessors=assessors,
        unit_names=service.unit_names(db.session, period),
        versions=service.list_versions(db.session, period.id),
    )


def _what_if_choices(rulebook: Rulebook) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    indicators = [("", _("(no change)"))]
    for indicator_set in rulebook.indicator_sets:
        for ind in indicator_set.indicators:
            if ind.is_weighted:
                indicators.append(
                    (
                        f"{indicator_set.post}/{ind.code}",
                        f"{_label(indicator_set.name)} · {ind.code} {_label(ind.name)}"
                        f" ({ind.weight:g})",
                    )
                )
    grades = [("", _("(no change)"))] + [
        (g.code, f"{_label(g.name)} (≥ {g.minimum:g})") for g in rulebook.grading.grades
    ]
    return indicators, grades


def _number(text: str | None) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


@bp.route("/<int:period_id>/results/versions/<int:number>/what-if")
@roles_required(*STAFF_ROLES)
def what_if(period_id: int, number: int) -> str:
    """Change one weight or one grade minimum and see ranks and grades move; nothing saved."""
    period = _period(period_id)
    stored = _version(period, number)
    rulebook = service.rulebook_of_version(stored)
    form = WhatIfForm(request.args)
    indicator_choices, grade_choices = _what_if_choices(rulebook)
    form.indicator.choices = choices(indicator_choices)
    form.grade.choices = choices(grade_choices)
    post, _sep, code = (form.indicator.data or "").partition("/")
    weight = _number(form.weight.data)
    minimum = _number(form.minimum.data)
    change = service.WhatIfChange(
        post=post or None,
        indicator=code or None,
        weight=weight if code else None,
        grade=form.grade.data or None,
        minimum=minimum if form.grade.data else None,
    )
    rows: list[dict[str, Any]] = []
    problem = None
    asked = bool(request.args)
    if asked and change.weight is None and change.minimum is None:
        problem = _("Choose an indicator and a new weight, or a grade and a new minimum score.")
    elif (change.weight is not None and change.weight < 0) or (
        change.minimum is not None and not 0 <= change.minimum <= 100
    ):
        problem = _("Weights are not negative and minimum scores lie between 0 and 100.")
    elif asked:
        try:
            changed = service.what_if(stored, change, summarise_survey=_summarise(), resamples=0)
        except KeyError:
            problem = _("That indicator or grade is not in the rulebook.")
        except AssessmentError as error:
            problem = _("These rules cannot be applied: %(error)s", error=str(error))
        else:
            grades = {g["code"]: g["name"] for g in _grade_info(rulebook)}
            after = {c.id: c for c in changed.cadres}
            for before in service.result_of_version(stored).cadres:
                new = after[before.id]
                rows.append(
                    {
                        "code": before.code,
                        "name": before.name,
                        "group": before.post_group,
                        "total": before.total,
                        "rank": before.rank,
                        "grade": grades.get(before.grade, before.grade),
                        "new_total": new.total,
                        "new_rank": new.rank,
                        "new_grade": grades.get(new.grade, new.grade),
                        "changed": new.rank != before.rank or new.grade != before.grade,
                    }
                )
            rows.sort(key=lambda r: (not r["changed"], r["group"], r["new_rank"], r["code"]))
    return _render(
        "what_if.html",
        period=period,
        version=stored,
        precision=service.payload_of(stored)["result"].get("precision"),
        form=form,
        rows=rows,
        changed=sum(1 for r in rows if r["changed"]),
        problem=problem,
    )
