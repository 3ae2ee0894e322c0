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

from assessment.app.db import db, unit_of_work
from assessment.app.survey_source import find_survey_source
from assessment.core.charts import histogram, probability_segments
from assessment.core.confidence import DEFAULT_RESAMPLES
from assessment.core.errors import AssessmentError, FieldError, RulebookError
from assessment.core.precision import Precision
from assessment.core.records import result_from_plain
from assessment.core.results import IncompleteInputsError
from assessment.core.rulebook import Rulebook
from assessment.forms.base import choices
from assessment.forms.results import ComputeForm, DecisionForm, MissingFilterForm, WhatIfForm
from assessment.models import Period, ResultVersion
from assessment.services import results as service
from assessment.services.inputs import find_rulebook, is_computed, list_assessed
from assessment.services.periods import list_children
from assessment.services.queries import NotFoundError, get_period
from assessment.views.access import STAFF_ROLES, TEAM_ROLES, current_scope, roles_required
from assessment.views.messages import (
    DECISION_LABELS,
    INDICATOR_STATUS_LABELS,
    MISSING_KIND_LABELS,
    STATE_LABELS,
    field_error_message,
    grade_cap_lines,
    post_group_name,
    rulebook_problem_message,
)
from assessment.views.messages import rulebook_label as _label

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
    "incompetent_over_third": _l("more than one third of valid ballots say incompetent"),
    "ballot_share": _l("a ballot vote-share rule is met"),
    "invalid_ballots": _l("invalid ballot sheets"),
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
    "required": _l("Write the reason for the decision: nothing was saved."),
    "no_decision_items": _l("Tick at least one missing input: nothing was saved."),
    "decision_cadre_not_assessed": _l(
        "Cadre no. %(cadre)s is not assessed in this period: nothing was saved."
    ),
    "decision_unknown_indicator": _l(
        "%(cadre)s has no indicator %(code)s in the rulebook: nothing was saved."
    ),
    "decision_wrong_kind": _l(
        "The indicator %(code)s of %(cadre)s carries no weight, so no decision can cover "
        "it: nothing was saved."
    ),
}
#: Fill colours of the grades, best first (SVG attributes: the CSP blocks inline styles).
GRADE_COLOURS = ("#2e7d32", "#1565c0", "#f9a825", "#c62828", "#6a1b9a", "#455a64")


#: The filters of the missing inputs: query parameter -> the row's key it compares.
FILTERS = {
    "missing": "kind",
    "indicator": "indicator",
    "unit": "unit_id",
    "post": "post",
    "cadre": "cadre_id",
}


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


def _refusal(error: service.ResultsRefusedError) -> str:
    return str(REFUSALS[error.code]) % {"state": str(STATE_LABELS.get(error.status, error.status))}


def _sources_message(error: RulebookError) -> str:
    """The rulebook's ``sources`` that the period's surveys cannot satisfy, each by path."""
    problems = "; ".join(
        f"{p.path}: {rulebook_problem_message(p.code, p.params)}"  # type: ignore[attr-defined]
        for p in error.problems
    )
    return str(
        _(
            "The rulebook names survey sources this period does not have: %(problems)s",
            problems=problems,
        )
    )


def _field_message(error: FieldError) -> str:
    template = FIELD_MESSAGES.get(error.code)
    if template is None:
        return field_error_message(error)
    return str(template) % {k: str(v) for k, v in error.params.items()}


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


def grade_info(rulebook: Rulebook) -> list[dict[str, Any]]:
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


def _result_view(
    payload: Mapping[str, Any], rulebook: Rulebook, unit_names: Mapping[str, str]
) -> dict[str, Any]:
    """The stored result arranged for the version page."""
    result = payload["result"]
    grades = grade_info(rulebook)
    grade_names = {g["code"]: g["name"] for g in grades}
    confidence = {}
    if result["confidence"] is not None:
        confidence = {c["cadre"]: c for c in result["confidence"]["cadres"]}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    typed = result_from_plain(result)
    for cadre in result["cadres"]:
        conf = confidence.get(cadre["id"])
        own = typed.cadre(cadre["id"])
        groups[cadre["post_group"]].append(
            {
                **cadre,
                "grade_name": grade_names.get(cadre["grade"], cadre["grade"]),
                "earned_name": grade_names.get(cadre["earned"], cadre["earned"]),
                "flags": _cadre_flags(cadre, result["flags"]),
                "cap_lines": grade_cap_lines(own.grade_caps, grade_names, own.applied_cap),
                "confidence": conf,
                "p_grade": None if conf is None else conf["probabilities"].get(cadre["grade"]),
                "segments": ()
                if conf is None
                else probability_segments(
                    conf["probabilities"], [(g["code"], g["colour"]) for g in grades]
                ),
            }
        )
    quotas = {g["post_group"]: g for g in result["groups"]} if result["groups"] else {}
    minimums = [float(g["minimum"]) for g in grades]
    return {
        "grades": grades,
        "groups": [
            {
                "code": code,
                "name": post_group_name(rulebook, code, unit_names),
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


def _missing_rows(
    period: Period,
    missing: Sequence[Any],
    rulebook: Rulebook | None,
    child_names: Mapping[str, str],
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Undecided missing inputs a decision can cover, with names; and those it cannot.

    A sub-period a roll-up misses is named by its name (``child_names``, by id as text).
    """
    assessed = {str(c.cadre_id): c for c in list_assessed(db.session, period)}
    rows, others = [], []
    for m in missing:
        cadre = assessed.get(m.cadre)
        if m.decision is not None:
            continue
        if m.kind not in service.DECIDABLE_KINDS or cadre is None or rulebook is None:
            others.append(m)
            continue
        try:
            name = _label(rulebook.indicator_set(cadre.post).indicator(m.indicator).name)
        except KeyError:
            name = ""
        rows.append(
            {
                "key": f"{cadre.cadre_id}/{m.indicator}",
                "kind": m.kind,
                "cadre_id": str(cadre.cadre_id),
                "cadre": f"{cadre.code} {cadre.name}",
                "unit_id": str(cadre.unit_id),
                "unit": cadre.unit_name,
                "post": cadre.post,
                "post_name": cadre.post_name,
                "indicator": m.indicator,
                "indicator_name": name,
                "sub_period": (
                    child_names.get(m.subject, m.subject) if m.kind == "child_result" else ""
                ),
            }
        )
    return rows, others


def _filter_form(rows: Sequence[Mapping[str, Any]]) -> tuple[MissingFilterForm, list[Any]]:
    """The filter of the missing inputs from the query string, and the rows it keeps."""
    form = MissingFilterForm(request.args)
    options: dict[str, dict[str, str]] = {name: {} for name in FILTERS}
    for row in rows:
        options["missing"].setdefault(row["kind"], str(MISSING_KIND_LABELS[row["kind"]]))
        options["indicator"].setdefault(
            row["indicator"], f"{row['indicator']} {row['indicator_name']}"
        )
        options["unit"].setdefault(row["unit_id"], row["unit"])
        options["post"].setdefault(row["post"], row["post_name"])
        options["cadre"].setdefault(row["cadre_id"], row["cadre"])
    kept = list(rows)
    for name, key in FILTERS.items():
        field = form[name]
        field.choices = choices(
            [("", _("(all)")), *sorted(options[name].items(), key=lambda item: item[1])]
        )
        if field.data:
            kept = [row for row in kept if row[key] == field.data]
    return form, kept


def _decision_indicator_names(
    decisions: Sequence[Any], assessed: Sequence[Any], rulebook: Rulebook | None
) -> dict[tuple[int, str], str]:
    """The indicator names of the recorded decisions, in the reader's language."""
    posts = {c.cadre_id: c.post for c in assessed}
    names = {}
    for d in decisions:
        if rulebook is None or d.cadre_id not in posts:
            continue
        try:
            indicator = rulebook.indicator_set(posts[d.cadre_id]).indicator(d.indicator_code)
        except KeyError:
            continue
        names[(d.cadre_id, d.indicator_code)] = _label(indicator.name)
    return names


def _index_page(period: Period, decision_form: DecisionForm) -> str:
    is_team = current_user.role in TEAM_ROLES
    if not is_team and not is_computed(period):
        return _render("not_computed.html", period=period)
    versions = service.list_versions(db.session, period.id)
    missing: Sequence[Any] = ()
    problem = None
    can_compute = is_team and period.status in service.COMPUTE_STATES
    if can_compute:
        try:
            missing = service.find_missing(db.session, period, surveys=find_survey_source())
        except service.ResultsRefusedError as error:
            problem = _refusal(error)
            can_compute = False
        except RulebookError as error:
            problem = _sources_message(error)
        except AssessmentError as error:
            problem = _("The stored inputs cannot be read: %(error)s", error=str(error))
    elif is_team:
        problem = _refusal(
            service.ResultsRefusedError(
                "results_final" if period.status == "final" else "results_not_collecting",
                period.status,
            )
        )
    rulebook = find_rulebook(db.session, period)
    child_names = {str(child.id): child.name for child in list_children(db.session, period)}
    rows, others = _missing_rows(period, missing, rulebook, child_names)
    filter_form, shown = _filter_form(rows)
    ticked = set(decision_form.items.data or ()) if decision_form.is_submitted() else None
    assessed = list_assessed(db.session, period)
    cadre_names = {str(c.cadre_id): f"{c.code} {c.name}" for c in assessed}
    decisions = service.list_decisions(db.session, period)
    return _render(
        "index.html",
        filter_args={name: filter_form[name].data for name in FILTERS if filter_form[name].data},
        decision_names=_decision_indicator_names(decisions, assessed, rulebook),
        period=period,
        versions=versions,
        undecided=[m for m in missing if m.decision is None],
        rows=shown,
        all_rows=len(rows),
        ticked=ticked,
        others=others,
        filter_form=filter_form,
        filtered=any(filter_form[name].data for name in FILTERS),
        decisions=decisions,
        cadre_names=cadre_names,
        unit_names=service.unit_names(db.session, period),
        child_names=child_names,
        can_compute=can_compute,
        reason_required=period.status != "collecting",
        problem=problem,
        form=ComputeForm(),
        decision_form=decision_form,
        has_survey_source=find_survey_source() is not None,
    )


@bp.route("/<int:period_id>/results")
@roles_required(*STAFF_ROLES)
def index(period_id: int) -> str:
    """The results of a period: compute, missing inputs and decisions, versions."""
    return _index_page(_period(period_id), DecisionForm(formdata=None))


@bp.route("/<int:period_id>/results/compute", methods=["POST"])
@roles_required(*TEAM_ROLES)
def compute(period_id: int) -> Response:
    """Compute and store the next version (the period moves to "computed" from collecting)."""
    period = _period(period_id)
    form = ComputeForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
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
                surveys=find_survey_source(),
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
    except service.NothingChangedError as error:
        flash(
            _(
                "Nothing changed since version %(number)s: the rules and the inputs are the "
                "same, so no new version was made.",
                number=error.number,
            ),
            "info",
        )
    except FieldError as error:
        flash(_field_message(error), "error")
    except RulebookError as error:
        flash(_sources_message(error), "error")
    except AssessmentError as error:
        logger.warning("results of period %s not computed: %s", period.id, error)
        flash(_("The results could not be computed: %(error)s", error=str(error)), "error")
    else:
        flash(_("Results version %(number)s computed.", number=number), "success")
        return redirect(url_for(".version", period_id=period.id, number=number))
    return redirect(url_for(".index", period_id=period.id))


def _decision_items(keys: Sequence[str]) -> list[service.DecisionItem] | None:
    """``cadre_id/indicator_code`` keys as items; None when one cannot be read."""
    items = []
    for key in keys:
        cadre_id, _sep, code = str(key).partition("/")
        if not cadre_id.isdigit() or not code:
            return None
        items.append(service.DecisionItem(int(cadre_id), code))
    return items


@bp.route("/<int:period_id>/results/decisions", methods=["POST"])
@roles_required(*TEAM_ROLES)
def decide(period_id: int) -> Response | tuple[str, int]:
    """Record one decision, with one reason, for every missing input ticked.

    Every item is recorded (and audited) on its own; any problem saves none of them
    and shows the page again with the ticks and the reason kept.
    """
    period = _period(period_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _index_page(period, form), 400
    items = _decision_items(form.items.data or [])
    reason = (form.reason.data or "").strip()
    try:
        if items is None:
            raise FieldError("items", "no_decision_items")
        with unit_of_work(current_user.id, reason=reason):
            recorded = len(
                service.record_decisions(
                    db.session,
                    period=period,
                    items=items,
                    kind=form.kind.data,
                    reason=reason,
                    actor_id=current_user.id,
                )
            )
    except service.ResultsRefusedError as error:
        flash(_refusal(error), "error")
    except FieldError as error:
        target = form.reason if error.field == "reason" else form.items
        target.errors = [*target.errors, _field_message(error)]
        return _index_page(period, form), 400
    else:
        flash(
            ngettext(
                "Decision recorded for %(num)d missing input.",
                "Decision recorded for %(num)d missing inputs.",
                recorded,
            ),
            "success",
        )
    kept: dict[str, Any] = {name: request.args[name] for name in FILTERS if request.args.get(name)}
    return redirect(url_for(".index", period_id=period.id, **kept))


def _quality_names(
    payload: Mapping[str, Any],
    rulebook: Rulebook,
    units: Mapping[str, str],
    assessors: Mapping[str, str],
) -> dict[str, Any]:
    """Lookups that put names where the stored result keeps ids and codes.

    ``post(code)``, ``indicator(code, post)``, ``target(survey entry)`` (a cadre or a
    unit) and ``subject(flag)``; each falls back to what is stored.
    """
    cadres = {c["id"]: c for c in payload["inputs"]["cadres"]}
    sets = {s.post: s for s in rulebook.indicator_sets}
    survey_subjects = {
        (s["indicator"], s["target"]): s["subject"] for s in payload["result"]["surveys"]
    }

    def post(code: str) -> str:
        return _label(sets[code].name) if code in sets else code

    def indicator(code: str | None, post_code: str | None = None) -> str:
        if not code:
            return ""
        candidates = [sets[post_code]] if post_code in sets else list(sets.values())
        for indicator_set in candidates:
            try:
                return f"{code} {_label(indicator_set.indicator(code).name)}"
            except KeyError:
                continue
        return code

    def cadre(key: str) -> str:
        entry = cadres.get(key)
        return f"{entry['code']} {entry['name']}" if entry else key

    def target(entry: Mapping[str, Any]) -> str:
        if entry.get("subject") == "unit":
            return units.get(entry["target"], entry["target"])
        return cadre(entry["target"])

    def target_post(entry: Mapping[str, Any]) -> str | None:
        if entry.get("subject") == "unit":
            return next((c["post"] for c in cadres.values() if c["unit"] == entry["target"]), None)
        found = cadres.get(entry["target"])
        return found["post"] if found else None

    def subject(flag: Mapping[str, Any]) -> str:
        kind, key = flag["subject_kind"], flag["subject"]
        if kind == "panel":
            return post(key)
        if kind == "assessor":
            return assessors.get(key, key)
        if kind == "cadre":
            return cadre(key)
        if kind == "survey_target":
            return target({"target": key, "subject": survey_subjects.get((flag["indicator"], key))})
        return str(key)

    def flag_post(flag: Mapping[str, Any]) -> str | None:
        """The post whose indicator set names the flag's indicator."""
        kind, key = flag["subject_kind"], flag["subject"]
        if kind == "panel":
            return str(key)
        if kind == "cadre":
            return cadres[key]["post"] if key in cadres else None
        if kind == "survey_target":
            subject_of = survey_subjects.get((flag["indicator"], key))
            return target_post({"target": key, "subject": subject_of})
        return None

    return {
        "post_name": post,
        "indicator_name": indicator,
        "flag_post": flag_post,
        "target_name": target,
        "target_post": target_post,
        "subject_name": subject,
    }


@bp.route("/<int:period_id>/results/versions/<int:number>")
@roles_required(*STAFF_ROLES)
def version(period_id: int, number: int) -> str:
    """One stored version: ranking per post group, confidence, distributions, flags."""
    period = _period(period_id)
    stored = _version(period, number)
    payload = service.payload_of(stored)
    units = service.unit_names(db.session, period)
    view = _result_view(payload, service.rulebook_of_version(stored), units)
    result = view["result"]
    assessor_ids = [a["assessor"] for a in result["leniency"]]
    assessor_ids += [f["subject"] for f in result["flags"] if f["subject_kind"] == "assessor"]
    assessors = service.account_names(db.session, assessor_ids)
    return _render(
        "version.html",
        period=period,
        version=stored,
        view=view,
        payload=payload,
        assessors=assessors,
        unit_names=units,
        versions=service.list_versions(db.session, period.id),
        low_response_rate=service.result_of_version(stored).settings.low_response_rate,
        **_quality_names(payload, service.rulebook_of_version(stored), units, assessors),
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
            changed = service.what_if(stored, change, surveys=find_survey_source(), resamples=0)
        except KeyError:
            problem = _("That indicator or grade is not in the rulebook.")
        except AssessmentError as error:
            problem = _("These rules cannot be applied: %(error)s", error=str(error))
        else:
            grades = {g["code"]: g["name"] for g in grade_info(rulebook)}
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
