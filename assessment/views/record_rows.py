"""The words and rows of a cadre's record and of the eligibility list, for every output.

The record page, its .xlsx, its PDF (``reports/views/records.py``) and the eligibility
list in its three forms are built from the same plain rows made here, so the three
always say the same thing. Labels follow the request's locale (the PDF view forces its
language around the call).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from assessment.core.charts import TrendLine, trend_line
from assessment.core.consequences import ConsequenceFlag, ConsequenceKind, ConsequenceRules
from assessment.models import Conversation
from assessment.services.consequences import EligibilityList
from assessment.services.records import CadreRecord, RecordEntry
from assessment.views.downloads import Sheet, local_time
from assessment.views.messages import BALLOT_GRADE_LABELS

DECIMAL_FORMAT = "0.00"

KIND_LABELS: dict[str, Any] = {
    ConsequenceKind.REWARD_CONSIDERATION: _l("Consider for reward or promotion"),
    ConsequenceKind.INCOMPETENT_CONSECUTIVE: _l("Consecutive years incompetent"),
    ConsequenceKind.PROMOTION_BARRED: _l("Not promoted this year"),
}
STANDING_LABELS: dict[str, Any] = {
    "considered": _l("May be considered"),
    "barred": _l("Barred"),
}
OBJECTION_OUTCOMES: dict[str, Any] = {
    "upheld": _l("Upheld"),
    "partly_upheld": _l("Partly upheld"),
    "rejected": _l("Rejected"),
}
OBJECTION_CHANNELS: dict[str, Any] = {"cadre": _l("the cadre"), "public": _l("the public")}


def _pick(pair: tuple[str, str] | None, fallback: str = "") -> str:
    if pair is None:
        return fallback
    locale = get_locale()
    return pair[0] if locale is None or locale.language == "zh" else pair[1]


def grade_label(code: str) -> str:
    """The standard grade name of a code (the rules name grades by code)."""
    return str(BALLOT_GRADE_LABELS.get(code, code))


def rule_text(kind: str, rules: ConsequenceRules) -> str:
    """The rule behind a flag, in words with its numbers."""
    if kind == ConsequenceKind.REWARD_CONSIDERATION:
        return str(
            _(
                "%(years)s consecutive years graded %(grade)s: may be considered for reward "
                "or promotion",
                years=rules.reward_years,
                grade=grade_label(rules.reward_grade),
            )
        )
    if kind == ConsequenceKind.INCOMPETENT_CONSECUTIVE:
        return str(
            _(
                "%(years)s consecutive years graded %(grade)s: not considered, flagged for "
                "adjustment of the post",
                years=rules.incompetent_years,
                grade=grade_label(rules.incompetent_grade),
            )
        )
    return str(_("Graded %(grade)s: not promoted in that year", grade=grade_label(rules.bar_grade)))


# ---------------------------------------------------------------------------
# the record
# ---------------------------------------------------------------------------


def entry_row(entry: RecordEntry) -> dict[str, Any]:
    """One period of the record as plain values (numbers as stored)."""
    own = entry.cadre
    names = entry.indicator_names
    events = [
        {
            "name": _pick(names.get(e.code), e.code),
            "code": e.code,
            "kind": e.kind,
            "count": e.count,
            "points": e.points,
        }
        for e in own.events
        if e.kind in ("bonus", "penalty")
    ]
    objections = [
        {
            "id": o.id,
            "filed_on": local_time(o.filed_at),
            "channel": str(OBJECTION_CHANNELS.get(o.channel, o.channel)),
            "indicator": _pick(names.get(o.indicator_code or ""), o.indicator_code or "")
            or _("the result as a whole"),
            "reason": o.reason,
            "outcome": str(OBJECTION_OUTCOMES.get(o.outcome or "", "")) or _("not decided"),
            "decision": o.decision_reason,
            "new_version": o.new_version_number,
        }
        for o in entry.objections
    ]
    return {
        "period_id": entry.period_id,
        "period": entry.period_name,
        "year": entry.year,
        "is_final": entry.is_final,
        "version": entry.version_number,
        "total": own.total,
        "grade": _pick(entry.grade_names.get(own.grade), own.grade),
        "grade_code": own.grade,
        "earned": _pick(entry.grade_names.get(own.earned), own.earned),
        "rank": own.rank,
        "group_size": entry.group_size,
        "vetoes": [_pick(names.get(code), code) for code in own.vetoes],
        "bonus": own.bonus,
        "penalty": own.penalty,
        "events": events,
        "objections": objections,
        "rules_digest": entry.rules_digest,
        "data_digest": entry.data_digest,
    }


def record_rows(record: CadreRecord) -> list[dict[str, Any]]:
    """Every period of the record, oldest first."""
    return [entry_row(entry) for entry in record.entries]


def flag_rows(
    flags: Sequence[ConsequenceFlag], rules: ConsequenceRules, period_names: Mapping[int, str]
) -> list[dict[str, Any]]:
    """The flags of a cadre, newest year first, with the rule and periods in words."""
    return [
        {
            "year": flag.year,
            "kind": flag.kind.value,
            "label": str(KIND_LABELS[flag.kind]),
            "standing": str(STANDING_LABELS[flag.standing]),
            "rule": rule_text(flag.kind, rules),
            "periods": periods_text(
                (period_names.get(p.period_id, str(p.year)), p.grade) for p in flag.periods
            ),
        }
        for flag in sorted(flags, key=lambda f: (-f.year, f.kind))
    ]


def periods_text(periods: Any) -> str:
    """``2023年度考核 (优秀); 2024年度考核 (优秀)``."""
    return "; ".join(f"{name} ({grade_label(grade)})" for name, grade in periods)


def trend(totals: Sequence[float], minimums: Sequence[float] = ()) -> TrendLine:
    """The trend chart on a scale from ten points below the lowest total or grade line."""
    values = [float(t) for t in totals] + [m for m in minimums if m > 0]
    low = max(0.0, 10 * math.floor(min(values, default=0.0) / 10) - 10)
    return trend_line(list(totals), minimums, low=min(low, 90.0), height=120.0, pad=16.0)


def _events_text(events: Sequence[Mapping[str, Any]]) -> str:
    return "; ".join(f"{e['name']} ×{e['count']} ({e['points']:+.2f})" for e in events)


def _objections_text(objections: Sequence[Mapping[str, Any]]) -> str:
    return "; ".join(
        f"#{o['id']} {o['indicator']}: {o['outcome']}"
        + (f" ({o['decision']})" if o["decision"] else "")
        for o in objections
    )


def record_sheets(
    record: CadreRecord,
    rows: Sequence[Mapping[str, Any]],
    flags: Sequence[Mapping[str, Any]],
    conversations: Sequence[Conversation],
) -> list[Sheet]:
    """The record workbook: periods, flags, and the team's conversations."""
    periods = Sheet(
        _("Record"),
        [
            _("Year"),
            _("Period"),
            _("Final"),
            _("Result version"),
            _("Total"),
            _("Grade"),
            _("Rank"),
            _("Group size"),
            _("Vetoes"),
            _("Bonus"),
            _("Penalty"),
            _("Bonus and penalty events"),
            _("Objections and outcomes"),
            _("Rules digest"),
            _("Data digest"),
        ],
        formats={4: DECIMAL_FORMAT, 9: DECIMAL_FORMAT, 10: DECIMAL_FORMAT},
    )
    for r in rows:
        periods.rows.append(
            [
                r["year"],
                r["period"],
                _("yes") if r["is_final"] else _("no (on notice)"),
                r["version"],
                r["total"],
                r["grade"],
                r["rank"],
                r["group_size"],
                "; ".join(r["vetoes"]),
                r["bonus"],
                r["penalty"],
                _events_text(r["events"]),
                _objections_text(r["objections"]),
                r["rules_digest"],
                r["data_digest"],
            ]
        )
    flag_sheet = Sheet(
        _("Consequences"), [_("Year"), _("Consequence"), _("Standing"), _("Rule"), _("Periods")]
    )
    flag_sheet.rows.extend(
        [f["year"], f["label"], f["standing"], f["rule"], f["periods"]] for f in flags
    )
    talks = Sheet(_("Conversations"), [_("Date"), _("Participants"), _("Topics"), _("Summary")])
    talks.rows.extend([c.held_on, c.participants, c.topics, c.summary] for c in conversations)
    talks.formats[0] = "yyyy-mm-dd"
    return [periods, flag_sheet, talks]


# ---------------------------------------------------------------------------
# the eligibility list
# ---------------------------------------------------------------------------


def eligibility_rows(found: EligibilityList) -> list[dict[str, Any]]:
    """The lines of the list as plain values."""
    return [
        {
            "standing": str(STANDING_LABELS[row.line.standing]),
            "standing_code": row.line.standing.value,
            "kind": row.line.flag.kind.value,
            "label": str(KIND_LABELS[row.line.flag.kind]),
            "cadre_id": int(row.line.cadre),
            "code": row.cadre_code,
            "name": row.cadre_name,
            "unit": row.unit_name,
            "post": row.post_name,
            "rule": rule_text(row.line.flag.kind, found.rules),
            "periods": periods_text((p.name, p.grade) for p in row.periods),
        }
        for row in found.rows
    ]


def eligibility_sheet(found: EligibilityList, rows: Sequence[Mapping[str, Any]]) -> Sheet:
    """The list as one worksheet, the year in its title."""
    sheet = Sheet(
        _("Eligibility %(year)s", year=found.year or ""),
        [
            _("Standing"),
            _("Consequence"),
            _("Cadre code"),
            _("Name"),
            _("Unit"),
            _("Post"),
            _("Rule"),
            _("Periods behind it"),
        ],
    )
    sheet.rows.extend(
        [
            r["standing"],
            r["label"],
            r["code"],
            r["name"],
            r["unit"],
            r["post"],
            r["rule"],
            r["periods"],
        ]
        for r in rows
    )
    return sheet
