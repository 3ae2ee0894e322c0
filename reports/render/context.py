"""Template contexts of the PDF reports: labels, translations and plain dicts.

``reports.core.layout`` gives codes and formatted numbers; this module puts names on
them in the locale in force (call inside ``flask_babel.force_locale``), adds the
formula of each indicator (``assessment.core.explain``), the chart geometry
(``assessment.core.charts``), the verification code with its QR code, and the PDF
metadata. Everything returned is plain data (dicts, lists, str, numbers): no ORM
object reaches a template. Database reads happen in ``reports.services.documents``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

import segno
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l

from assessment.core import charts
from assessment.core.errors import InvalidParameterError
from assessment.core.explain import (
    CadreExplanation,
    explain_ballot,
    explain_cadre_result,
    explain_published_ballots,
)
from assessment.core.records import PeriodResult, record_to_plain, result_from_plain
from assessment.core.rulebook import IndicatorSet, Label, Rulebook
from assessment.views.messages import (
    DECISION_LABELS,
    EXPLANATION_STATUS_LABELS,
    KIND_LABELS,
    MISSING_KIND_LABELS,
    SUBJECT_LABELS,
    eligibility_lines,
    explanation_note,
    grade_cap_lines,
    method_label,
    post_group_name,
)
from assessment.views.messages import rulebook_label as label
from reports.core.codes import ReportKind, make_verification_code
from reports.core.layout import (
    NOT_AVAILABLE,
    CadreRow,
    format_number,
    format_share,
    layout_notice,
    layout_scorecard,
    layout_summary,
)

logger = logging.getLogger(__name__)

#: The distribution whose version every report prints.
DISTRIBUTION = "township-assessment"
#: Path of the public verification page; the code follows it.
VERIFY_PATH = "/p/verify/"

AGREEMENT_STATUS_LABELS: dict[str, Any] = {
    "ok": _l("computed"),
    "insufficient_data": _l("too few ratings"),
}
REPORT_TITLES: dict[str, Any] = {
    "scorecard": _l("Assessment scorecard"),
    "summary": _l("Township assessment summary"),
    "notice": _l("Public notice of assessment results"),
}


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """What every report prints about where its numbers come from.

    Parameters
    ----------
    period_id : int
    period_name : str
    version_id : int
        Database id of the result version (in the verification code).
    version_number : int
        Its number within the period (printed).
    rules_digest, data_digest : str
        The version's digests.
    generated_at : datetime
        Time of generation (timezone-aware UTC; shown in the deployment time zone).
    base_url : str
        Absolute site root for the verification link, e.g. ``https://kh.example.gov.cn``.
    audit_head : tuple of (int, str), optional
        ``(seq, entry_hash)`` of the newest audit entry at generation: an anchor outside
        the database (``flask audit verify --anchor``, and the verify page for a PDF).
    subjects : str
        What the period assesses, ``cadres`` or ``units`` (issue 16): the reports name
        the assessed "unit" instead of "cadre" in a unit period.
    """

    period_id: int
    period_name: str
    version_id: int
    version_number: int
    rules_digest: str
    data_digest: str
    generated_at: datetime
    base_url: str
    audit_head: tuple[int, str] | None = None
    subjects: str = "cadres"

    @property
    def layout_facts(self) -> dict[str, Any]:
        """The keyword arguments of the ``reports.core.layout`` functions."""
        return {
            "period_name": self.period_name,
            "version_number": self.version_number,
            "rules_digest": self.rules_digest,
            "data_digest": self.data_digest,
        }


@dataclass(frozen=True, slots=True)
class ExclusionCount:
    """Responses of one survey excluded by the team for one written reason."""

    survey: str
    reason: str
    count: int


def software_version() -> str:
    """``township-assessment 0.1.0`` from the installed package metadata."""
    try:
        return f"{DISTRIBUTION} {package_version(DISTRIBUTION)}"
    except PackageNotFoundError:
        return f"{DISTRIBUTION} (not installed)"


def is_chinese() -> bool:
    """Whether the locale in force is Chinese (the default when none is)."""
    locale = get_locale()
    return locale is None or locale.language == "zh"


def qr_svg(url: str) -> str:
    """An inline SVG QR code (the fetcher refuses ``data:`` URLs, so no image files)."""
    return str(segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True))


def _named(labels: Mapping[str, Any], code: str | None) -> str:
    if code is None:
        return ""
    return str(labels.get(code, code))


def _grade_names(rulebook: Rulebook) -> dict[str, str]:
    return {g.code: label(g.name) for g in rulebook.grading.grades}


def _set_of(rulebook: Rulebook, post: str) -> IndicatorSet | None:
    return next((s for s in rulebook.indicator_sets if s.post == post), None)


def _verification(
    facts: ReportFacts,
    kind: ReportKind,
    cadre_id: int | None,
    fields: Sequence[tuple[str, str]],
    title: str,
) -> dict[str, Any]:
    """Code, QR, fields, footer and PDF metadata shared by every report."""
    code = make_verification_code(
        version_id=facts.version_id, kind=str(kind), cadre_id=cadre_id, fields=fields
    )
    url = facts.base_url.rstrip("/") + VERIFY_PATH + code
    generated = format_datetime(facts.generated_at, "yyyy-MM-dd HH:mm")
    software = software_version()
    keywords = [
        f"period={facts.period_name}",
        f"period_id={facts.period_id}",
        f"version={facts.version_number}",
        f"rules_digest={facts.rules_digest}",
        f"data_digest={facts.data_digest}",
        f"verification_code={code}",
        f"generated={facts.generated_at.isoformat(timespec='seconds')}",
        f"software={software}",
    ]
    audit_head = None
    if facts.audit_head is not None:
        audit_head = f"{facts.audit_head[0]}:{facts.audit_head[1]}"
        keywords.append(f"audit_head={audit_head}")
    return {
        "title": title,
        "code": code,
        "verify_url": url,
        "qr_svg": qr_svg(url),
        "fields": [
            {"key": key, "value": value, "label": verification_field_label(key)}
            for key, value in fields
        ],
        "generated": generated,
        "generated_iso": facts.generated_at.isoformat(timespec="seconds"),
        "software": software,
        "period_name": facts.period_name,
        "version_number": facts.version_number,
        "rules_digest": facts.rules_digest,
        "data_digest": facts.data_digest,
        "keywords": ", ".join(keywords),
        "audit_head": audit_head,
        "subject": "; ".join(keywords),
        "lang": "zh-CN" if is_chinese() else "en",
        "of_units": facts.subjects == "units",
    }


# ---------------------------------------------------------------------------
# scorecard
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResultIndex:
    """A stored result read once for every scorecard of its version.

    Reading the whole result back into records, and each post group's cadres into plain
    form for the group means, once per scorecard made a build of ``n`` scorecards
    quadratic in ``n`` (issue 16: 800 cadres did not finish in 16 minutes). Built once
    per version (:attr:`reports.services.documents.VersionData.index`) and shared.
    """

    record: PeriodResult
    #: ``record_to_plain`` of every cadre, by post group (result order).
    groups: Mapping[str, tuple[Mapping[str, Any], ...]]

    @classmethod
    def of(cls, result: Mapping[str, Any]) -> ResultIndex:
        """Index ``payload["result"]`` of a version."""
        record = result_from_plain(result)
        groups: dict[str, list[Mapping[str, Any]]] = {}
        for cadre in record.cadres:
            groups.setdefault(cadre.post_group, []).append(record_to_plain(cadre))
        return cls(record, {group: tuple(rows) for group, rows in groups.items()})


def _input_text(value: str, unit: Label | None) -> str:
    if value == NOT_AVAILABLE or unit is None:
        return value
    return f"{value} {label(unit)}"


def _chart_context(view: CadreExplanation, card: Any, rulebook: Rulebook) -> dict[str, Any]:
    """Histogram of the post group's totals (own band marked); categories against the mean."""
    minimums = [float(g.minimum) for g in rulebook.grading.grades]
    categories = [c for c in view.categories if c.scored]
    bars = charts.paired_bars(
        [(c.code, c.points, c.mean, c.weight) for c in categories],
        width=300.0,
        bar=7.0,
        label=12.0,
        gap=5.0,
    )
    names = {c.code: label(c.name) for c in categories}
    return {
        "histogram": asdict(
            charts.histogram(card.group_totals, minimums, own=card.total_value, height=90.0)
        ),
        "categories": {
            **asdict(bars),
            "rows": [
                {
                    **asdict(row),
                    "name": names.get(row.code, row.code),
                    "own_text": format_number(row.own),
                    "mean_text": format_number(row.mean),
                }
                for row in bars.rows
            ],
        },
    }


def scorecard_context(
    result: Mapping[str, Any],
    rulebook: Rulebook,
    facts: ReportFacts,
    cadre_id: str,
    *,
    unit_names: Mapping[str, str],
    index: ResultIndex | None = None,
) -> dict[str, Any]:
    """Everything ``templates/reports/scorecard.html`` prints for one cadre.

    The numbers and the verification fields come from ``reports.core.layout``; the
    formulas, categories and group means from the one explanation of the cadre
    (:func:`assessment.core.explain.explain_cadre_result`) that the portal shows too.
    ``index`` is :meth:`ResultIndex.of` ``result``, passed when rendering many
    scorecards of one result (built here otherwise).

    Raises
    ------
    assessment.core.errors.InvalidParameterError
        When the cadre is not in the result, or the stored numbers do not match the
        rulebook (a PDF never prints a number it cannot explain).
    """
    card = layout_scorecard(result, cadre_id, **facts.layout_facts)
    if index is None:
        index = ResultIndex.of(result)
    view = explain_cadre_result(
        index.record, card.cadre_id, rulebook, group_plain=index.groups.get(card.post_group)
    )
    if not view.explained:
        raise InvalidParameterError("explanation", "; ".join(view.problems), "not_explained")
    indicator_set = view.indicator_set
    grade_names = _grade_names(rulebook)
    explained = {i.outcome.code: i for i in view.indicators}
    events = {e.explanation.code: e for e in view.events}
    categories = {c.code: label(c.name) for c in indicator_set.categories}
    rows = []
    for row in card.indicators:
        item = explained[row.code]
        indicator, explanation = item.indicator, item.explanation
        rows.append(
            {
                "code": row.code,
                "name": label(indicator.name),
                "category": categories.get(row.category or "", row.category or ""),
                "kind": _named(KIND_LABELS, row.kind),
                "method": method_label(row.method),
                "subject": _named(SUBJECT_LABELS, indicator.subject),
                "input": _input_text(row.input, indicator.unit),
                "n": row.n,
                "weight": row.effective_weight,
                "reweighted": row.effective_weight != row.weight,
                "expression": explanation.expression if explanation is not None else "",
                "note": explanation_note(explanation) if explanation is not None else "",
                "points": row.points,
                "status": row.status,
                "status_label": _named(EXPLANATION_STATUS_LABELS, row.status),
                "reason": row.reason or "",
                "ballot": record_to_plain(item.ballot) if item.ballot is not None else None,
            }
        )
    event_rows = [
        {
            "code": event.code,
            "name": label(events[event.code].indicator.name),
            "kind": _named(KIND_LABELS, event.kind),
            "count": event.count,
            "points": event.points,
            "expression": events[event.code].explanation.expression,
        }
        for event in card.events
    ]
    grade_order = [g.code for g in rulebook.grading.grades]
    confidence = [
        {"grade": grade_names.get(c.grade, c.grade), "share": c.share, "p": c.probability}
        for c in sorted(
            card.confidence,
            key=lambda c: (
                grade_order.index(c.grade) if c.grade in grade_names else len(grade_names)
            ),
        )
    ]
    name = card.name
    title = f"{REPORT_TITLES['scorecard']} · {name}"
    return {
        **_verification(facts, ReportKind.SCORECARD, int(card.cadre_id), card.fields, title),
        "cadre": {
            "code": card.code,
            "name": name,
            "post": label(indicator_set.name),
            "post_code": card.post,
            "unit": unit_names.get(card.unit, card.unit),
            "post_group": card.post_group,
        },
        "indicators": rows,
        "events": event_rows,
        "points": card.points,
        "bonus": card.bonus,
        "penalty": card.penalty,
        "bonus_capped": card.bonus_capped,
        "penalty_capped": card.penalty_capped,
        "total": card.total,
        "total_expression": view.total.expression if view.total is not None else "",
        "grade": grade_names.get(card.grade, card.grade),
        "earned": grade_names.get(card.earned, card.earned),
        "grade_lowered": card.grade != card.earned,
        "dropped_by_quota": card.dropped_by_quota,
        "tie_dropped": card.tie_dropped,
        "veto_capped": card.veto_capped,
        "cap_lines": grade_cap_lines(view.cadre.grade_caps, grade_names, view.cadre.applied_cap),
        "vetoes": list(card.vetoes),
        "eligibility": eligibility_lines(view.cadre.eligibility, rulebook, grade_names),
        "rank": card.rank,
        "group_size": card.group_size,
        "grade_probability": card.grade_probability,
        "rank_interval": card.rank_interval,
        "confidence": confidence,
        "resamples": card.resamples,
        "charts": _chart_context(view, card, rulebook),
    }


# ---------------------------------------------------------------------------
# summary
# ---------------------------------------------------------------------------


def _cadre_row(row: CadreRow, rulebook: Rulebook, unit_names: Mapping[str, str]) -> dict[str, Any]:
    grade_names = _grade_names(rulebook)
    indicator_set = _set_of(rulebook, row.post)
    return {
        "rank": row.rank,
        "code": row.code,
        "name": row.name,
        "post": label(indicator_set.name) if indicator_set is not None else row.post,
        "unit": unit_names.get(row.unit, row.unit),
        "total": row.total,
        "grade": grade_names.get(row.grade, row.grade),
        "earned": grade_names.get(row.earned, row.earned),
        "lowered": row.grade != row.earned,
        "dropped_by_quota": row.dropped_by_quota,
        "tie_dropped": row.tie_dropped,
        "veto_capped": row.veto_capped,
    }


def _grade_table(
    counts: Sequence[tuple[str, int]], rulebook: Rulebook, size: int
) -> list[dict[str, Any]]:
    found = dict(counts)
    return [
        {
            "code": g.code,
            "name": label(g.name),
            "count": found.get(g.code, 0),
            "share": format_share(found.get(g.code, 0) / size if size else None),
        }
        for g in rulebook.grading.grades
    ]


def _indicator_name(rulebook: Rulebook, code: str) -> str:
    for indicator_set in rulebook.indicator_sets:
        for indicator in indicator_set.indicators:
            if indicator.code == code:
                return label(indicator.name)
    return code


def _ballot_rows(result: Mapping[str, Any], rulebook: Rulebook) -> list[dict[str, Any]]:
    """Every cadre's ballot indicators (民主测评): votes, shares and formulas per voter
    group, built once by :func:`assessment.core.explain.explain_ballot` as on the portal,
    the scorecard and the public notice. The summary is the team's report: all of them."""
    rows = []
    for cadre in result_from_plain(result).cadres:
        for outcome in cadre.indicators:
            if outcome.ballot is None:
                continue
            rows.append(
                {
                    "cadre": cadre.name,
                    "code": cadre.code,
                    "indicator": outcome.code,
                    "indicator_name": _indicator_name(rulebook, outcome.code),
                    "tally": explain_ballot(outcome.ballot, rulebook.precision),
                }
            )
    return rows


def summary_context(
    result: Mapping[str, Any],
    rulebook: Rulebook,
    facts: ReportFacts,
    *,
    unit_names: Mapping[str, str],
    exclusions: Sequence[ExclusionCount] = (),
) -> dict[str, Any]:
    """Everything ``templates/reports/summary.html`` prints."""
    summary = layout_summary(result, **facts.layout_facts)
    set_names = {s.post: label(s.name) for s in rulebook.indicator_sets}
    codes = {str(c["id"]): str(c["code"]) for c in result["cadres"]}
    quotas = {str(q["post_group"]): q for q in result.get("groups", ())}
    groups = [
        {
            "code": g.post_group,
            "name": post_group_name(rulebook, g.post_group, unit_names),
            "size": g.size,
            "allowed": g.allowed,
            "quota": quotas.get(g.post_group),
            "rows": [_cadre_row(r, rulebook, unit_names) for r in g.rows],
            "grades": _grade_table(g.grade_counts, rulebook, g.size),
        }
        for g in sorted(summary.groups, key=lambda g: rulebook.post_sort_key(g.post_group))
    ]
    settings = summary.settings
    grading = rulebook.grading
    title = f"{REPORT_TITLES['summary']} · {facts.period_name}"
    return {
        **_verification(facts, ReportKind.SUMMARY, None, summary.fields, title),
        "n_cadres": summary.n_cadres,
        "groups": groups,
        "ballots": _ballot_rows(result, rulebook),
        "places": rulebook.precision.places,
        "grades": _grade_table(summary.grade_counts, rulebook, summary.n_cadres),
        "response_rates": [
            {
                "indicator": r.indicator,
                "indicator_name": _indicator_name(rulebook, r.indicator),
                "subject": _named(SUBJECT_LABELS, r.subject),
                "unit": unit_names.get(r.unit, r.unit),
                "targets": r.targets,
                "responses": r.responses,
                "excluded": r.excluded,
                "invalid": r.invalid,
                "households": r.households,
                "rate": r.rate,
                "low": r.low,
            }
            for r in summary.response_rates
        ],
        "agreement": [
            {
                "post": set_names.get(r.post, r.post),
                "indicator": r.indicator,
                "indicator_name": _indicator_name(rulebook, r.indicator),
                "n_cadres": r.n_cadres,
                "n_assessors": r.n_assessors,
                "icc": r.icc,
                "icc_ci": r.icc_ci,
                "kendall_w": r.kendall_w,
                "kendall_p": r.kendall_p,
                "status": _named(AGREEMENT_STATUS_LABELS, r.status),
                "low": r.low,
            }
            for r in summary.agreement
        ],
        "leniency": [
            {
                "label": r.label,
                "mean_deviation": r.mean_deviation,
                "standardized": r.standardized,
                "n_ratings": r.n_ratings,
                "flagged": r.flagged,
            }
            for r in summary.leniency
        ],
        "reliability": [
            {
                "survey": r.survey,
                "alpha": r.alpha,
                "ci": r.ci,
                "n_respondents": r.n_respondents,
                "k_items": r.k_items,
                "low": r.low,
            }
            for r in summary.reliability
        ],
        # A response rating several targets is one excluded response but one left-out
        # rating per target: the result counts the latter, the decisions the former.
        "excluded_responses": sum(e.count for e in exclusions),
        "excluded_ratings": summary.excluded_responses,
        "exclusions": [
            {"survey": e.survey, "reason": e.reason, "count": e.count} for e in exclusions
        ],
        "missing": [
            {
                "cadre": r.cadre_code or codes.get(r.cadre, r.cadre),
                "indicator": r.indicator or "",
                "indicator_name": _indicator_name(rulebook, r.indicator) if r.indicator else "",
                "kind": _named(MISSING_KIND_LABELS, r.kind),
                "subject": unit_names.get(r.subject, r.subject),
                "decision": _named(DECISION_LABELS, r.decision),
                "reason": r.reason or "",
            }
            for r in summary.missing
        ],
        "method": {
            "grades": [
                {"name": label(g.name), "minimum": format_number(g.minimum, 0)}
                for g in grading.grades
            ],
            "top_grade": label(grading.top.name),
            "top_quota": format_share(grading.top_quota, 0),
            "rounding": grading.rounding,
            "trim_threshold": rulebook.aggregation.trim_threshold,
            "post_stratification": rulebook.aggregation.post_stratification,
            "satisfied": format_number(settings.get("satisfied_threshold", 75.0), 0),
            "confidence": format_share(settings.get("confidence", 0.95), 0),
            "low_agreement": format_number(settings.get("low_agreement", 0.5)),
            "leniency_threshold": format_number(settings.get("leniency_threshold", 2.0), 0),
            "low_alpha": format_number(settings.get("low_alpha", 0.7)),
            "low_response_rate": format_share(settings.get("low_response_rate", 0.2), 0),
            "resamples": summary.resamples,
        },
    }


# ---------------------------------------------------------------------------
# public notice
# ---------------------------------------------------------------------------


def notice_context(
    result: Mapping[str, Any],
    rulebook: Rulebook,
    facts: ReportFacts,
    *,
    unit_names: Mapping[str, str],
    starts_on: date,
    ends_on: date,
    instructions: str,
) -> dict[str, Any]:
    """Everything ``templates/reports/notice.html`` prints."""
    notice = layout_notice(
        result,
        **facts.layout_facts,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
    )
    quotas = {str(q["post_group"]): q for q in result.get("groups", ())}
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in notice.rows:
        groups.setdefault(row.post_group, []).append(_cadre_row(row, rulebook, unit_names))
    title = f"{REPORT_TITLES['notice']} · {facts.period_name}"
    published = [
        {
            "cadre": cadre.name,
            "indicator_name": label(indicator.name),
            "tally": tally,
        }
        for cadre in result_from_plain(result).cadres
        for indicator, tally in explain_published_ballots(rulebook, cadre)
    ]
    return {
        **_verification(facts, ReportKind.NOTICE, None, notice.fields, title),
        "ballots": published,
        "places": rulebook.precision.places,
        "groups": [
            {
                "code": code,
                "name": post_group_name(rulebook, code, unit_names),
                "rows": groups[code],
                "quota": quotas.get(code),
            }
            for code in sorted(groups, key=rulebook.post_sort_key)
        ],
        "grades": _grade_table(notice.grade_counts, rulebook, len(notice.rows)),
        "n_cadres": len(notice.rows),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "instructions": instructions,
        "site": facts.base_url.rstrip("/") + "/",
    }


#: What each field of the "Verification" table is, in words; the key stays beside it
#: because the check (and an auditor's script) reads the keys back from the PDF.
VERIFICATION_FIELD_LABELS: dict[str, Any] = {
    "period": _l("Assessment period"),
    "version": _l("Result version"),
    "cadre": _l("Cadre number"),
    "name": _l("Name"),
    "post": _l("Post"),
    "bonus": _l("Bonus points"),
    "penalty": _l("Penalty points"),
    "total": _l("Total score"),
    "grade": _l("Grade"),
    "rank": _l("Rank"),
    "grade_probability": _l("Chance of this grade"),
    "rank_interval": _l("Likely ranks"),
    "cadres": _l("Cadres assessed"),
    "rankings": _l("Digest of the ranking table"),
    "response_rates": _l("Digest of the response-rate table"),
    "agreement": _l("Digest of the agreement table"),
    "leniency": _l("Digest of the leniency table"),
    "reliability": _l("Digest of the reliability table"),
    "missing": _l("Digest of the missing-input table"),
    "list": _l("Digest of the published list"),
    "starts_on": _l("Notice starts on"),
    "ends_on": _l("Notice ends on"),
    "rules_digest": _l("Digest of the rules"),
    "data_digest": _l("Digest of the inputs"),
}
#: Keys ``prefix.<code>``: the words name the code's part (an indicator, event or grade).
VERIFICATION_PREFIX_LABELS: dict[str, Any] = {
    "input": _l("Input of %(code)s"),
    "points": _l("Points of %(code)s"),
    "events": _l("Times %(code)s was recorded"),
    "event_points": _l("Points from %(code)s"),
    "group": _l("Cadres in group %(code)s"),
    "grades": _l("Cadres graded %(code)s"),
}


def verification_field_label(key: str) -> str:
    """The words for a verification field's key (the key itself when it has none)."""
    if key in VERIFICATION_FIELD_LABELS:
        return str(VERIFICATION_FIELD_LABELS[key])
    prefix, _dot, code = key.partition(".")
    template = VERIFICATION_PREFIX_LABELS.get(prefix)
    return str(template) % {"code": code} if template is not None and code else key
