"""Results applied: the county's consequence rules and the eligibility list (issue 15).

The rules are one settings document (``site_settings`` row ``consequence_rules``, JSON),
so every change is an audited write like any other setting; without a saved document
the defaults of :class:`assessment.core.consequences.ConsequenceRules` apply. The flags
themselves are computed by :func:`assessment.core.consequences.consequence_flags` from
the final annual results that :func:`assessment.services.records.annual_periods` selects.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import asdict, dataclass, fields

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.consequences import (
    AnnualGrade,
    ConsequenceFlag,
    ConsequenceRules,
    EligibilityLine,
    check_rules,
    consequence_flags,
    eligibility_lines,
)
from assessment.core.digest import canonical_json
from assessment.models import Appointment, Cadre, Post, SiteSetting, Unit
from assessment.services.records import ancestor_unit_ids, annual_grades, annual_periods

#: The ``site_settings`` key of the rules document.
RULES_KEY = "consequence_rules"


def get_rules(session: Session) -> ConsequenceRules:
    """The rules in force: the saved document, else the defaults."""
    row = session.get(SiteSetting, RULES_KEY)
    if row is None:
        return ConsequenceRules()
    saved = json.loads(row.value)
    known = {f.name for f in fields(ConsequenceRules)}
    return ConsequenceRules(**{k: v for k, v in saved.items() if k in known})


def save_rules(session: Session, rules: ConsequenceRules) -> ConsequenceRules:
    """Check and save the rules (an audited row); the defaults remove the saved document.

    Raises
    ------
    FieldError
        As :func:`assessment.core.consequences.check_rules`; nothing is saved then.
    """
    check_rules(rules)
    row = session.get(SiteSetting, RULES_KEY)
    if rules == ConsequenceRules():
        if row is not None:
            session.delete(row)
    else:
        stored = canonical_json(asdict(rules))
        if row is None:
            session.add(SiteSetting(key=RULES_KEY, value=stored))
        elif row.value != stored:
            row.value = stored
    session.flush()
    return rules


def cadre_flags(
    session: Session, cadre_id: int, rules: ConsequenceRules
) -> tuple[ConsequenceFlag, ...]:
    """Every flag of the cadre's final annual results, by year."""
    periods = annual_periods(session, ancestor_unit_ids(session, cadre_id))
    history = annual_grades(session, periods).get(str(cadre_id), [])
    return consequence_flags(history, rules)


@dataclass(frozen=True, slots=True)
class PeriodFact:
    """What a line prints about one annual period behind a flag."""

    period_id: int
    name: str
    year: int
    grade: str


@dataclass(frozen=True, slots=True)
class EligibilityRow:
    """A line of the list with the cadre's names and the periods behind it."""

    line: EligibilityLine
    cadre_code: str
    cadre_name: str
    unit_name: str
    post_name: str
    periods: tuple[PeriodFact, ...]


@dataclass(frozen=True, slots=True)
class EligibilityList:
    """The list for one year over a scope, with the rules that made it."""

    year: int | None
    years: tuple[int, ...]
    rules: ConsequenceRules
    rows: tuple[EligibilityRow, ...]


def _current_post(cadre: Cadre, unit_ids: Collection[int]) -> tuple[str, str]:
    """(unit name, post name) of the cadre's latest appointment inside the scope."""
    inside = [a for a in cadre.appointments if a.unit_id in unit_ids]
    if not inside:
        return "", ""
    latest: Appointment = max(inside, key=lambda a: a.start_date)
    unit: Unit = latest.unit
    post: Post = latest.post
    return unit.name_zh, post.name_zh


def eligibility_list(
    session: Session, scope_unit_ids: Collection[int], *, year: int | None
) -> EligibilityList:
    """Who may be considered for promotion or reward in ``year``, who is barred and why.

    ``year`` None takes the latest year with a final annual result in the scope. Only
    cadres with an appointment in the scope appear.
    """
    rules = get_rules(session)
    periods = annual_periods(session, scope_unit_ids)
    years = tuple(sorted({p.year for p in periods}, reverse=True))
    chosen = year if year is not None else (years[0] if years else None)
    if chosen is None:
        return EligibilityList(year=None, years=years, rules=rules, rows=())
    histories: dict[str, list[AnnualGrade]] = annual_grades(session, periods)
    in_scope = set(
        session.scalars(
            sa.select(Appointment.cadre_id).where(Appointment.unit_id.in_(list(scope_unit_ids)))
        )
    )
    histories = {k: v for k, v in histories.items() if k.isdigit() and int(k) in in_scope}
    names = {p.id: p.name for p in periods}
    cadres = {
        str(c.id): c
        for c in session.scalars(sa.select(Cadre).where(Cadre.id.in_([int(k) for k in histories])))
    }
    rows = []
    for line in eligibility_lines(histories, chosen, rules):
        cadre = cadres[line.cadre]
        unit_name, post_name = _current_post(cadre, scope_unit_ids)
        rows.append(
            EligibilityRow(
                line=line,
                cadre_code=cadre.code,
                cadre_name=cadre.name,
                unit_name=unit_name,
                post_name=post_name,
                periods=tuple(
                    PeriodFact(p.period_id, names[p.period_id], p.year, p.grade)
                    for p in line.flag.periods
                ),
            )
        )
    order = {"considered": 0, "barred": 1}
    rows.sort(key=lambda r: (order[r.line.standing], r.line.flag.kind, r.cadre_code))
    return EligibilityList(year=chosen, years=years, rules=rules, rows=tuple(rows))


def flags_by_year(flags: Collection[ConsequenceFlag]) -> dict[int, list[ConsequenceFlag]]:
    """Flags grouped by the year they were raised in."""
    grouped: dict[int, list[ConsequenceFlag]] = {}
    for flag in flags:
        grouped.setdefault(flag.year, []).append(flag)
    return grouped


__all__ = [
    "RULES_KEY",
    "EligibilityList",
    "EligibilityRow",
    "PeriodFact",
    "cadre_flags",
    "eligibility_list",
    "flags_by_year",
    "get_rules",
    "save_rules",
]
