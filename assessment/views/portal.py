"""The cadre portal: a cadre's own results, explained point by point (issue 6 item 3).

Only the ``cadre`` role, and only for the cadre its account belongs to: no URL names a
cadre, so no other cadre can be asked for; a period or version whose results are not
public (on notice or final, :func:`assessment.services.publication.shown_version_number`),
or in which this cadre is not assessed, is 404. The page shows what the stored result
holds about the cadre, with each indicator's formula and numbers
(:mod:`assessment.core.explain`), and about the post group only numbers without names:
the distribution of totals and the category means (:mod:`assessment.core.charts`). The
stored inputs (individual ratings, who gave them) never reach the template. Nothing
here writes; objections are filed on the notice package's form.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from assessment.app.db import db
from assessment.app.survey_source import find_survey_source
from assessment.core.charts import histogram, paired_bars, probability_segments
from assessment.core.explain import CadreExplanation, explain_cadre_result, format_number
from assessment.core.records import CadreResult, PeriodResult, record_to_plain
from assessment.core.rulebook import REGULAR_GRADES, Rulebook
from assessment.models import Objection, Period, ResultVersion
from assessment.services import publication
from assessment.services.queries import find_period, find_unit, list_periods_of_cadre
from assessment.services.results import get_version, result_of_version, rulebook_of_version
from assessment.views.access import roles_required
from assessment.views.messages import (
    DIRECTION_LABELS,
    EXPLANATION_STATUS_LABELS,
    KIND_LABELS,
    STATE_LABELS,
    eligibility_lines,
    explanation_note,
    grade_cap_lines,
    method_label,
)
from assessment.views.messages import rulebook_label as _label
from assessment.views.notice import OUTCOME_LABELS, local_today, shown_version
from assessment.views.notice import STATUS_LABELS as OBJECTION_STATUS_LABELS
from assessment.views.record_rows import trend
from assessment.views.results import grade_info

logger = logging.getLogger(__name__)

bp = Blueprint("portal", __name__, url_prefix="/me")

#: Period states in which results are public.
PUBLIC_STATES = ("notice", "final")
#: Endpoint of the cadre's own scorecard PDF (reports package), linked when registered.
SCORECARD_ENDPOINT = "reports.my_scorecard"


@dataclass(frozen=True, slots=True)
class PortalLinks:
    """Where a result page's links go: the cadre's own pages, or a unit's (issue 16).

    ``endpoint`` is the blueprint of the pages (``assessment.portal`` or
    ``assessment.unit_portal``); ``args`` the URL arguments naming the subject on a
    unit's pages; ``unit`` switches the words that speak of cadres.
    """

    endpoint: str = "assessment.portal"
    args: Mapping[str, Any] = field(default_factory=dict)
    unit: bool = False
    title: Any = field(default_factory=lambda: _l("My assessment"))

    def index(self) -> str:
        return url_for(f"{self.endpoint}.index")

    def period(self, period_id: int) -> str:
        return url_for(f"{self.endpoint}.period", period_id=period_id, **self.args)

    def version(self, period_id: int, number: int) -> str:
        return url_for(f"{self.endpoint}.version", period_id=period_id, number=number, **self.args)

    def objection(self, period_id: int, objection_id: int) -> str:
        endpoint = f"{self.endpoint}.objection"
        return url_for(endpoint, period_id=period_id, objection_id=objection_id, **self.args)

    def new_objection(self, period_id: int, indicator: str | None = None) -> str:
        subject = {"subject": self.args["subject_id"]} if self.unit else {}
        return url_for(
            "assessment.notice.new_objection", period_id=period_id, indicator=indicator, **subject
        )


# ---------------------------------------------------------------------------
# finding the cadre's public results
# ---------------------------------------------------------------------------


def _cadre_id() -> int:
    cadre_id: int | None = current_user.cadre_id
    if cadre_id is None:
        abort(404)
    return cadre_id


def _candidate_periods(cadre_id: int) -> list[Period]:
    """Public periods whose scope holds one of the cadre's units, oldest first."""
    return list_periods_of_cadre(db.session, cadre_id, PUBLIC_STATES)


def _own(result: PeriodResult, cadre_id: int) -> CadreResult | None:
    try:
        return result.cadre(str(cadre_id))
    except KeyError:
        return None


def _history(cadre_id: int) -> list[dict[str, Any]]:
    """The cadre's total and grade in every public period it was assessed in, oldest first."""
    rows = []
    for period in _candidate_periods(cadre_id):
        version = shown_version(period)
        if version is None:
            continue
        result = result_of_version(version)
        own = _own(result, cadre_id)
        if own is None:
            continue
        grades = {g["code"]: g["name"] for g in grade_info(rulebook_of_version(version))}
        rows.append(
            {
                "period": period,
                "version": version.number,
                "total": own.total,
                "grade": grades.get(own.grade, own.grade),
                "rank": own.rank,
                "size": sum(1 for c in result.cadres if c.post_group == own.post_group),
            }
        )
    return rows


def _public_period(period_id: int) -> Period:
    period = find_period(db.session, period_id)
    if period is None or period.status not in PUBLIC_STATES:
        abort(404)
    return period


# ---------------------------------------------------------------------------
# the page's data (plain dicts: no ORM object with inputs reaches the template)
# ---------------------------------------------------------------------------


def _indicator_rows(view: CadreExplanation) -> list[dict[str, Any]]:
    """Every weighted indicator with its formula, named in the reader's language."""
    rows = []
    regular_names = {g.code: _label(g.name) for g in REGULAR_GRADES}
    for item in view.indicators:
        outcome, indicator, explanation = item.outcome, item.indicator, item.explanation
        rows.append(
            {
                "code": outcome.code,
                "name": _label(indicator.name),
                "kind": outcome.kind,
                "category": outcome.category,
                "status": outcome.status,
                "input": outcome.input,
                "input_unit": _label(indicator.unit) if indicator.unit else "",
                "method": outcome.method,
                "direction": indicator.direction,
                "subject": indicator.subject,
                "weight": outcome.weight,
                "effective_weight": outcome.effective_weight,
                "points": outcome.points,
                "n": outcome.n,
                "reason": outcome.reason,
                "expression": explanation.expression if explanation else "",
                "note": explanation_note(explanation) if explanation else "",
                "survey": record_to_plain(item.survey) if item.survey else None,
                "ballot": record_to_plain(item.ballot) if item.ballot else None,
                "survey_groups": [
                    {
                        "group": g.group,
                        "weight": g.weight,
                        "index": g.survey.index if g.survey else None,
                        "n": g.survey.n if g.survey else 0,
                    }
                    for g in item.survey_groups
                ],
                "children": [
                    {
                        "total": child.total,
                        "grade": regular_names.get(child.grade or "", child.grade or ""),
                    }
                    for child in outcome.children
                ],
            }
        )
    return rows


def _categories(
    view: CadreExplanation, rows: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], Any]:
    """Categories with own points, group mean and their indicators; the paired-bar chart."""
    categories = [
        {
            "code": c.code,
            "name": _label(c.name),
            "weight": c.weight,
            "points": c.points,
            "mean": c.mean,
            "indicators": [r for r in rows if r["category"] == c.code],
        }
        for c in view.categories
    ]
    chart = paired_bars([(c.code, c.points, c.mean, c.weight) for c in view.categories])
    return categories, chart


def _events(view: CadreExplanation, rulebook: Rulebook) -> list[Any]:
    grade_names = {g.code: _label(g.name) for g in rulebook.grading.grades}
    return [
        {
            "code": e.explanation.code,
            "name": _label(e.indicator.name),
            "kind": e.explanation.kind,
            "count": e.explanation.n,
            "points": e.explanation.points,
            "expression": e.explanation.expression,
            "caps_at": grade_names.get(e.indicator.caps_at or "", e.indicator.caps_at),
        }
        for e in view.events
    ]


def _comments(period: Period, cadre_id: int) -> tuple[bool, list[str] | None]:
    """(whether comments are offered at all, the approved comments or None if hidden)."""
    surveys = find_survey_source()
    if surveys is None:
        return False, None
    return True, surveys.approved_comments(db.session, period, cadre_id)


def _awareness(period: Period, cadre_id: int) -> list[dict[str, Any]]:
    """Per closed survey: residents who rated the cadre and who did not know them."""
    surveys = find_survey_source()
    if surveys is None:
        return []
    return [
        {
            "survey": _label({"zh": entry.survey_title_zh, "en": entry.survey_title_en}),
            "n_rated": entry.n_rated,
            "n_dont_know": entry.n_dont_know,
            "share_known": entry.share_known,
        }
        for entry in surveys.cadre_awareness(db.session, period, cadre_id)
    ]


def _objections(period: Period, cadre_id: int) -> list[Objection]:
    return publication.list_objections(db.session, period.id, cadre_id=cadre_id)


def _confidence(
    view: CadreExplanation, result: PeriodResult, grades: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    if view.confidence is None or result.confidence is None:
        return None
    entry = view.confidence
    return {
        **record_to_plain(entry),
        "resamples": result.confidence.resamples,
        "level": result.confidence.level,
        "rows": [{**g, "p": entry.probabilities.get(g["code"], 0.0)} for g in grades],
        "segments": probability_segments(
            entry.probabilities, [(g["code"], g["colour"]) for g in grades], width=300.0
        ),
    }


def _period_view(period: Period, version: ResultVersion, cadre_id: int) -> dict[str, Any]:
    result = result_of_version(version)
    rulebook = rulebook_of_version(version)
    if _own(result, cadre_id) is None:
        abort(404)
    view = explain_cadre_result(result, str(cadre_id), rulebook)
    if not view.explained:
        # the stored numbers are shown even if a formula cannot be rebuilt (a bug)
        logger.error("explanation of cadre %s failed: %s", cadre_id, "; ".join(view.problems))
    own = view.cadre
    grades = grade_info(rulebook)
    grade_names = {g["code"]: g["name"] for g in grades}
    rows = _indicator_rows(view)
    categories, category_chart = _categories(view, rows)
    unit = find_unit(db.session, int(own.unit)) if own.unit.isdigit() else None
    return {
        "own": own,
        "precision": result.precision,
        "post_name": _label(view.indicator_set.name),
        "unit_name": unit.name_zh if unit is not None else "",
        "grade_name": grade_names.get(own.grade, own.grade),
        "earned_name": grade_names.get(own.earned, own.earned),
        "veto_names": [grade_names.get(own.veto_cap or "", own.veto_cap)],
        "eligibility": eligibility_lines(own.eligibility, rulebook, grade_names),
        "cap_lines": grade_cap_lines(own.grade_caps, grade_names, own.applied_cap),
        "grades": grades,
        "group_size": view.group_size,
        "quota": view.quota,
        "confidence": _confidence(view, result, grades),
        "categories": categories,
        "category_chart": category_chart,
        "events": _events(view, rulebook),
        "points_sum": " + ".join(format_number(c["points"]) for c in categories)
        + f" = {format_number(own.points)}",
        "indicator_names": {i.code: _label(i.name) for i in view.indicator_set.indicators},
        "total": view.total,
        "explained": view.explained,
        "histogram": histogram(
            list(view.group_totals), [g["minimum"] for g in grades], own=own.total
        ),
        "low_response_rate": result.settings.low_response_rate,
        "rules_title": _label(rulebook.title),
        "rules_digest": version.rules_digest,
        "data_digest": version.data_digest,
    }


def _trend(history: Sequence[Mapping[str, Any]], minimums: Sequence[float] = ()) -> Any:
    """The trend chart on a scale from ten points below the lowest total or grade line."""
    return trend([h["total"] for h in history], minimums)


def _render(template: str, links: PortalLinks | None = None, **context: Any) -> str:
    return render_template(
        f"assessment/portal/{template}",
        links=links or PortalLinks(),
        label=_label,
        kind_label=lambda code: KIND_LABELS.get(code, code),
        method_label=method_label,
        direction_label=lambda code: DIRECTION_LABELS.get(code, code),
        status_label=lambda code: EXPLANATION_STATUS_LABELS.get(code, code),
        objection_status_label=lambda code: OBJECTION_STATUS_LABELS.get(code, code),
        outcome_label=lambda code: OUTCOME_LABELS.get(code, code),
        period_state_label=lambda code: STATE_LABELS.get(code, code),
        **context,
    )


# ---------------------------------------------------------------------------
# pages
# ---------------------------------------------------------------------------


@bp.route("/")
@roles_required("cadre")
def index() -> str:
    """The cadre's results in every public period, with the trend."""
    cadre_id = _cadre_id()
    history = _history(cadre_id)
    return _render("index.html", history=history, trend=_trend(history))


def result_page(
    period: Period,
    version: ResultVersion,
    *,
    latest: bool,
    subject_id: int | None = None,
    links: PortalLinks | None = None,
) -> str:
    """A subject's result page: the cadre's own (by default), or a unit's for its head."""
    cadre_id = _cadre_id() if subject_id is None else subject_id
    view = _period_view(period, version, cadre_id)
    notice = publication.find_notice(db.session, period)
    can_object = (
        latest
        and period.status == "notice"
        and notice is not None
        and publication.is_notice_open(notice, local_today())
    )
    comments_offered, comments = _comments(period, cadre_id)
    awareness = _awareness(period, cadre_id)
    history = _history(cadre_id)
    scorecard = None
    if subject_id is None and SCORECARD_ENDPOINT in current_app.view_functions:
        scorecard = url_for(SCORECARD_ENDPOINT, period_id=period.id)
    versions = [v.number for v in publication.list_shown_versions(db.session, period)]
    return _render(
        "period.html",
        links=links,
        period=period,
        version=version,
        latest=latest,
        versions=versions,
        view=view,
        notice=notice,
        can_object=can_object,
        objections=_objections(period, cadre_id),
        comments_offered=comments_offered,
        comments=comments,
        awareness=awareness,
        min_group_size=period.min_group_size,
        history=history,
        trend=_trend(history, [g["minimum"] for g in view["grades"]]),
        scorecard=scorecard,
    )


@bp.route("/periods/<int:period_id>")
@roles_required("cadre")
def period(period_id: int) -> str:
    """One period's result of the cadre, every point explained."""
    found = _public_period(period_id)
    version = shown_version(found)
    if version is None:
        abort(404)
    return result_page(found, version, latest=True)


@bp.route("/periods/<int:period_id>/versions/<int:number>")
@roles_required("cadre")
def version(period_id: int, number: int) -> str:
    """An earlier public version of the period (replaced after an objection)."""
    found = _public_period(period_id)
    shown = {v.number for v in publication.list_shown_versions(db.session, found)}
    if number not in shown:
        abort(404)
    stored = get_version(db.session, found.id, number)
    current = publication.shown_version_number(db.session, found)
    return result_page(found, stored, latest=number == current)


@bp.route("/periods/<int:period_id>/objections/<int:objection_id>")
@roles_required("cadre")
def objection(period_id: int, objection_id: int) -> str:
    """One objection about the cadre's result, as filed, and the team's written answer."""
    return objection_page(_public_period(period_id), objection_id)


def objection_page(
    found: Period,
    objection_id: int,
    *,
    subject_id: int | None = None,
    links: PortalLinks | None = None,
) -> str:
    """An objection about the subject's result (the cadre's own by default), or 404."""
    cadre_id = _cadre_id() if subject_id is None else subject_id
    chosen = publication.get_objection(db.session, found, objection_id)
    if chosen is None or chosen.cadre_id != cadre_id:
        abort(404)
    version = shown_version(found)
    names: dict[str, str] = {}
    if version is not None:
        own = _own(result_of_version(version), cadre_id)
        try:
            indicator_set = rulebook_of_version(version).indicator_set(own.post) if own else None
        except KeyError:
            indicator_set = None
        if indicator_set is not None:
            names = {i.code: _label(i.name) for i in indicator_set.indicators}
    return _render(
        "objection.html",
        links=links,
        period=found,
        objection=chosen,
        indicator_names=names,
        mine=chosen.filed_by_id == current_user.id,
    )
