"""Reads for the county dashboard: townships side by side over their final periods.

Every figure comes from a period's **final** result version (``Period.final_version_number``
of a period whose state is final), read with
:func:`~assessment.services.results.result_of_version`: periods still computed or on
notice are left out, because their figures may change. Objections are the one figure
the result does not hold: they are counted from the period's objections. The arithmetic
(pooling the targets' indices, hiding small groups) is :mod:`assessment.core.dashboard`.

A period scoped at the county is split by the township of each cadre's unit; a period
scoped at a township is that township's. The reader sees the townships of their scope
only. Labels are ``{"zh", "en"}`` pairs (services never translate). Reads only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.dashboard import (
    PooledSatisfaction,
    TargetFigures,
    pool_satisfaction,
    pooled_response_rate,
    suppress_counts,
)
from assessment.models import Objection, Period, ResultVersion, Unit
from assessment.services.overview import TOWNSHIP_KINDS, GradeInfo, township_of_units
from assessment.services.results import result_of_version, rulebook_of_version

#: Decided objections whose outcome counts as upheld (wholly or in part).
UPHELD_OUTCOMES = ("upheld", "partly_upheld")


@dataclass(frozen=True, slots=True)
class Slot:
    """Periods of different townships that cover the same time: one column of the page."""

    key: str
    year: int
    kind: str
    starts_on: date
    ends_on: date
    #: The name of the slot's first period (periods are named by each township).
    name: str


@dataclass(frozen=True, slots=True)
class TownshipFigures:
    """One township in one final period, every figure from its final result version."""

    township_id: int
    period_id: int
    period_name: str
    slot_key: str
    version_number: int
    rules_digest: str
    data_digest: str
    min_group_size: int
    #: Level of the survey intervals (the result's settings).
    confidence: float
    cadres: int
    #: Grades of the period's rulebook, best first.
    grades: tuple[GradeInfo, ...]
    #: Cadres per grade code; None where the group is under the minimum size.
    grade_counts: Mapping[str, int | None]
    #: True when the number of cadres itself must be hidden (one grade only).
    cadres_suppressed: bool
    satisfaction: PooledSatisfaction
    response_rate: float | None
    objections_lodged: int
    objections_upheld: int
    #: Cadres with at least one triggered veto.
    vetoed: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What the reader may see: townships, slots (newest first) and the figures."""

    townships: Mapping[int, Mapping[str, str]]
    slots: tuple[Slot, ...]
    figures: tuple[TownshipFigures, ...]
    #: The pooled figures of all shown townships per slot (no grade counts).
    totals: Mapping[str, TownshipFigures]

    def of_slot(self, key: str) -> list[TownshipFigures]:
        """The slot's rows, in the order of the townships' names (Chinese)."""
        order = {t: i for i, t in enumerate(self.townships)}
        rows = [f for f in self.figures if f.slot_key == key]
        return sorted(rows, key=lambda f: (order.get(f.township_id, 0), f.period_id))


class YearRangeError(ValueError):
    """The year range is not a pair of years in order (``field`` names the bad one)."""

    def __init__(self, field: str, value: object) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field}: {value!r}")


def check_year_range(first: int | None, last: int | None) -> None:
    """Refuse years outside 1900-2100 and a range that ends before it starts."""
    for field, value in (("from", first), ("to", last)):
        if value is not None and not 1900 <= value <= 2100:
            raise YearRangeError(field, value)
    if first is not None and last is not None and first > last:
        raise YearRangeError("to", last)


def slot_key(period: Period) -> str:
    """The key that puts periods covering the same days with the same kind side by side."""
    return f"{period.starts_on.isoformat()}_{period.ends_on.isoformat()}_{period.kind}"


def list_final_periods(
    session: Session, unit_ids: Collection[int], *, first: int | None, last: int | None
) -> list[Period]:
    """Final periods of cadres with a final version, scoped in ``unit_ids``, in the years given.

    A period assessing units (a township's leadership team, its villages) is left out: its
    grades are another scheme, and its subjects are no township's staff.
    """
    query = sa.select(Period).where(
        Period.scope_unit_id.in_(list(unit_ids)),
        Period.subjects == "cadres",
        Period.status == "final",
        Period.final_version_number.is_not(None),
    )
    if first is not None:
        query = query.where(Period.year >= first)
    if last is not None:
        query = query.where(Period.year <= last)
    return list(session.scalars(query.order_by(Period.year.desc(), Period.id)))


def final_version(session: Session, period: Period) -> ResultVersion:
    """The version the period was made final with."""
    return session.scalars(
        sa.select(ResultVersion).where(
            ResultVersion.period_id == period.id,
            ResultVersion.number == period.final_version_number,
        )
    ).one()


def _objections(
    session: Session, period_ids: Collection[int]
) -> dict[int, list[tuple[int | None, str | None]]]:
    """(cadre id, outcome) of every objection of the periods, by period."""
    out: dict[int, list[tuple[int | None, str | None]]] = defaultdict(list)
    rows = session.execute(
        sa.select(Objection.period_id, Objection.cadre_id, Objection.outcome).where(
            Objection.period_id.in_(list(period_ids))
        )
    )
    for period_id, cadre_id, outcome in rows:
        out[period_id].append((cadre_id, outcome))
    return out


def _figures_of_period(
    period: Period,
    version: ResultVersion,
    township_of: Mapping[int, int],
    shown: Collection[int],
    objections: Sequence[tuple[int | None, str | None]],
) -> list[tuple[TownshipFigures, list[TargetFigures]]]:
    """Per township of the period shown to the reader: its figures and its targets."""
    result = result_of_version(version)
    rulebook = rulebook_of_version(version)
    grades = tuple(
        GradeInfo(g.code, {"zh": g.name.zh, "en": g.name.en}, g.minimum)
        for g in rulebook.grading.grades
    )

    def township(unit: str) -> int:
        unit_id = int(unit) if unit.isdigit() else None
        found = township_of.get(unit_id) if unit_id is not None else None
        return found if found is not None else period.scope_unit_id

    cadre_township = {c.id: township(c.unit) for c in result.cadres}
    members: dict[int, list[str]] = defaultdict(list)
    vetoed: dict[int, int] = defaultdict(int)
    for cadre in result.cadres:
        members[cadre_township[cadre.id]].append(cadre.grade)
        if cadre.vetoes:
            vetoed[cadre_township[cadre.id]] += 1
    targets: dict[int, list[TargetFigures]] = defaultdict(list)
    for s in result.surveys:
        owner = cadre_township.get(s.target) if s.subject == "cadre" else township(s.target)
        targets[owner if owner is not None else period.scope_unit_id].append(
            TargetFigures(s.index, s.ci_low, s.ci_high, s.n, s.n_effective, s.households)
        )
    lodged: dict[int, int] = defaultdict(int)
    upheld: dict[int, int] = defaultdict(int)
    for cadre_id, outcome in objections:
        # A public objection that names no cadre belongs to the period's own scope.
        owner = cadre_township.get(str(cadre_id)) if cadre_id is not None else None
        owner = owner if owner is not None else period.scope_unit_id
        lodged[owner] += 1
        upheld[owner] += int(outcome in UPHELD_OUTCOMES)
    out = []
    for township_id in sorted(set(members) | set(targets)):
        if township_id not in shown:
            continue
        # every grade of the rulebook, zeros included, best first
        tally = dict.fromkeys((g.code for g in grades), 0)
        for grade in members.get(township_id, []):
            tally[grade] = tally.get(grade, 0) + 1
        counts = list(tally.items())
        hidden, total_hidden = suppress_counts(counts, min_group_size=period.min_group_size)
        pooled = pool_satisfaction(
            targets.get(township_id, []),
            confidence=result.settings.confidence,
            min_group_size=period.min_group_size,
        )
        figures = TownshipFigures(
            township_id=township_id,
            period_id=period.id,
            period_name=period.name,
            slot_key=slot_key(period),
            version_number=version.number,
            rules_digest=version.rules_digest,
            data_digest=version.data_digest,
            min_group_size=period.min_group_size,
            confidence=result.settings.confidence,
            cadres=len(members.get(township_id, [])),
            grades=grades,
            grade_counts=hidden,
            cadres_suppressed=total_hidden,
            satisfaction=pooled,
            response_rate=pooled_response_rate(targets.get(township_id, [])),
            objections_lodged=lodged[township_id],
            objections_upheld=upheld[township_id],
            vetoed=vetoed[township_id],
        )
        out.append((figures, targets.get(township_id, [])))
    return out


def _total(
    slot: Slot, rows: Sequence[TownshipFigures], targets: Sequence[TargetFigures]
) -> TownshipFigures:
    """The shown townships of one slot pooled: cadres, index, rate, objections, vetoes.

    No grade counts: a county total per grade would let a township's hidden count be
    recovered by subtraction; for the same reason the index is hidden when the hidden
    townships' responses together are under the minimum group size. The minimum group
    size is the largest of the periods'.
    """
    minimum = max(r.min_group_size for r in rows)
    levels = {r.confidence for r in rows}
    hidden = sum(r.satisfaction.n for r in rows if r.satisfaction.suppressed)
    pooled = pool_satisfaction(
        targets, confidence=min(levels), min_group_size=minimum, hidden_responses=hidden
    )
    if len(levels) > 1:
        # intervals at different levels do not pool into one
        pooled = PooledSatisfaction(
            pooled.n, pooled.targets, pooled.suppressed, pooled.index, None, None
        )
    return TownshipFigures(
        township_id=0,
        period_id=0,
        period_name=slot.name,
        slot_key=slot.key,
        version_number=0,
        rules_digest="",
        data_digest="",
        min_group_size=minimum,
        confidence=min(levels),
        cadres=sum(r.cadres for r in rows),
        grades=(),
        grade_counts={},
        cadres_suppressed=False,
        satisfaction=pooled,
        response_rate=pooled_response_rate(targets),
        objections_lodged=sum(r.objections_lodged for r in rows),
        objections_upheld=sum(r.objections_upheld for r in rows),
        vetoed=sum(r.vetoed for r in rows),
    )


def load_dashboard(
    session: Session, scope: Collection[int], *, first: int | None = None, last: int | None = None
) -> Dashboard | None:
    """The dashboard of the townships in ``scope``; None when the scope holds none.

    ``first`` and ``last`` bound the periods' years (inclusive; :func:`check_year_range`).
    """
    check_year_range(first, last)
    township_of, _info = township_of_units(session)
    units = session.execute(
        sa.select(Unit.id, Unit.name_zh, Unit.name_en)
        .where(Unit.id.in_(list(scope)), Unit.kind.in_(TOWNSHIP_KINDS))
        .order_by(Unit.name_zh, Unit.id)
    )
    townships = {i: {"zh": zh, "en": en or zh} for i, zh, en in units}
    if not townships:
        return None
    periods = list_final_periods(session, scope, first=first, last=last)
    objections = _objections(session, [p.id for p in periods])
    figures: list[TownshipFigures] = []
    targets_of_slot: dict[str, list[TargetFigures]] = defaultdict(list)
    slots: dict[str, Slot] = {}
    for period in periods:
        version = final_version(session, period)
        rows = _figures_of_period(
            period, version, township_of, townships, objections.get(period.id, [])
        )
        if not rows:
            continue
        key = slot_key(period)
        slots.setdefault(
            key, Slot(key, period.year, period.kind, period.starts_on, period.ends_on, period.name)
        )
        for row, targets in rows:
            figures.append(row)
            targets_of_slot[key].extend(targets)
    ordered = tuple(sorted(slots.values(), key=lambda s: (s.ends_on, s.starts_on), reverse=True))
    totals = {
        s.key: _total(s, [f for f in figures if f.slot_key == s.key], targets_of_slot[s.key])
        for s in ordered
    }
    return Dashboard(townships, ordered, tuple(figures), totals)


def scope_has_county(session: Session, scope: Collection[int]) -> bool:
    """Whether the scope holds a county unit (the overview then links the dashboard)."""
    found = session.scalar(
        sa.select(Unit.id).where(Unit.id.in_(list(scope)), Unit.kind == "county").limit(1)
    )
    return found is not None
