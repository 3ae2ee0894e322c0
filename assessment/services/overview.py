"""Reads for the officials' overview: stored results across townships and periods.

Every number comes from a stored :class:`~assessment.models.ResultVersion` (the
version shown: the final one when the period is final, else the latest), never from
a new computation. The functions return plain records; labels are ``{"zh", "en"}``
pairs that the views pick from by locale (services never translate). Reads only.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.records import SurveyIndexResult
from assessment.models import Period, ResultVersion, Unit
from assessment.services.publication import shown_version_number
from assessment.services.results import result_of_version, rulebook_of_version

#: Unit kinds that count as a township (乡镇/街道) when results are grouped.
TOWNSHIP_KINDS = ("township", "street")


@dataclass(frozen=True, slots=True)
class GradeInfo:
    """A grade of a period's rulebook, best first."""

    code: str
    name: Mapping[str, str]
    minimum: float


@dataclass(frozen=True, slots=True)
class CadreRow:
    """One cadre's stored result in one period."""

    period_id: int
    cadre_id: str
    code: str
    name: str
    township_id: int
    unit_id: int | None
    post_group: str
    total: float
    grade: str
    rank: int
    group_size: int


@dataclass(frozen=True, slots=True)
class PeriodResults:
    """The shown result version of one period, as plain facts and rows."""

    period_id: int
    name: str
    year: int
    status: str
    scope_unit_id: int
    version_number: int
    #: True only when the period is final and this is its final version.
    is_final: bool
    rules_digest: str
    data_digest: str
    computed_at: datetime
    grades: tuple[GradeInfo, ...]
    #: Post group code -> the indicator set's name (``{"zh", "en"}``).
    post_group_names: Mapping[str, Mapping[str, str]]
    cadres: tuple[CadreRow, ...]
    #: Response rate (0-1) of each rated survey target that has one.
    response_rates: tuple[float, ...]

    @property
    def mean_total(self) -> float | None:
        """Arithmetic mean of the cadres' totals (full precision), None without cadres."""
        return statistics.fmean(c.total for c in self.cadres) if self.cadres else None

    @property
    def grade_counts(self) -> dict[str, int]:
        """Cadres per final grade, every grade of the rulebook present (0 when none)."""
        return _grade_counts(self.grades, self.cadres)

    @property
    def median_response_rate(self) -> float | None:
        return statistics.median(self.response_rates) if self.response_rates else None


@dataclass(frozen=True, slots=True)
class TownshipGroup:
    """One township's cadres of one post group in one period: size, mean, grades."""

    post_group: str
    period_id: int
    township_id: int
    n: int
    mean_total: float
    grade_counts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One cadre of one township and post group, with a result per period (or none)."""

    township_id: int
    post_group: str
    cadre_id: str
    code: str
    name: str
    cells: Mapping[int, CadreRow] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TownshipInfo:
    id: int
    name_zh: str
    name_en: str


def _grade_counts(grades: Iterable[GradeInfo], cadres: Iterable[CadreRow]) -> dict[str, int]:
    counts = {g.code: 0 for g in grades}
    for cadre in cadres:
        counts[cadre.grade] = counts.get(cadre.grade, 0) + 1
    return counts


# ---------------------------------------------------------------------------
# periods and versions
# ---------------------------------------------------------------------------


def list_result_periods(session: Session, unit_ids: Collection[int]) -> list[Period]:
    """Periods whose scope unit is in ``unit_ids`` and that have a result version.

    Newest year first, then by id (newest first).
    """
    has_result = sa.select(ResultVersion.id).where(ResultVersion.period_id == Period.id).exists()
    return list(
        session.scalars(
            sa.select(Period)
            .where(Period.scope_unit_id.in_(list(unit_ids)), has_result)
            .order_by(Period.year.desc(), Period.id.desc())
        )
    )


def shown_version(session: Session, period: Period) -> ResultVersion | None:
    """The final version of a final period, else the latest one; None before any.

    Officials and the team also read results not yet on notice (the public and the
    cadres do not: :func:`~assessment.services.publication.shown_version_number`).
    """
    query = sa.select(ResultVersion).where(ResultVersion.period_id == period.id)
    number = shown_version_number(session, period)
    if number is not None:
        query = query.where(ResultVersion.number == number)
    return session.scalars(query.order_by(ResultVersion.number.desc()).limit(1)).first()


def _townships(session: Session) -> tuple[dict[int, int], dict[int, TownshipInfo]]:
    """Each unit's township (itself, or its nearest township/street ancestor)."""
    units = session.execute(sa.select(Unit.id, Unit.kind, Unit.path, Unit.name_zh, Unit.name_en))
    kinds: dict[int, str] = {}
    paths: dict[int, str] = {}
    info: dict[int, TownshipInfo] = {}
    for unit_id, kind, path, name_zh, name_en in units:
        kinds[unit_id] = kind
        paths[unit_id] = path
        info[unit_id] = TownshipInfo(unit_id, name_zh, name_en or name_zh)
    township_of: dict[int, int] = {}
    for unit_id, path in paths.items():
        ancestors = [int(part) for part in path.strip("/").split("/") if part.isdigit()]
        found = next((a for a in reversed(ancestors) if kinds.get(a) in TOWNSHIP_KINDS), unit_id)
        township_of[unit_id] = found
    return township_of, info


def township_of_units(session: Session) -> tuple[dict[int, int], dict[int, TownshipInfo]]:
    """Each unit's township (itself, or its nearest township/street ancestor), and names."""
    return _townships(session)


def _survey_rates(surveys: Sequence[SurveyIndexResult]) -> tuple[float, ...]:
    """Response rates of the distinct rated targets (an indicator's target counted once)."""
    rates: dict[tuple[str, str], float] = {}
    for entry in surveys:
        if entry.response_rate is not None:
            rates.setdefault((entry.subject, entry.target), entry.response_rate)
    return tuple(rates[key] for key in sorted(rates))


def load_period_results(
    session: Session, period: Period, *, township_of: Mapping[int, int] | None = None
) -> PeriodResults | None:
    """The period's shown result version as plain rows; None when nothing is computed."""
    version = shown_version(session, period)
    if version is None:
        return None
    if township_of is None:
        township_of, _info = _townships(session)
    result = result_of_version(version)
    rulebook = rulebook_of_version(version)
    grades = tuple(
        GradeInfo(g.code, {"zh": g.name.zh, "en": g.name.en}, g.minimum)
        for g in rulebook.grading.grades
    )
    group_names = {s.post: {"zh": s.name.zh, "en": s.name.en} for s in rulebook.indicator_sets}
    sizes: dict[str, int] = defaultdict(int)
    for cadre in result.cadres:
        sizes[cadre.post_group] += 1
    rows = []
    for cadre in result.cadres:
        unit_id = int(cadre.unit) if cadre.unit.isdigit() else None
        township = township_of.get(unit_id, period.scope_unit_id) if unit_id else None
        rows.append(
            CadreRow(
                period_id=period.id,
                cadre_id=cadre.id,
                code=cadre.code,
                name=cadre.name,
                township_id=township if township is not None else period.scope_unit_id,
                unit_id=unit_id,
                post_group=cadre.post_group,
                total=cadre.total,
                grade=cadre.grade,
                rank=cadre.rank,
                group_size=sizes[cadre.post_group],
            )
        )
    rows.sort(key=lambda r: (r.post_group, r.rank, r.code))
    return PeriodResults(
        period_id=period.id,
        name=period.name,
        year=period.year,
        status=period.status,
        scope_unit_id=period.scope_unit_id,
        version_number=version.number,
        is_final=period.status == "final" and period.final_version_number == version.number,
        rules_digest=version.rules_digest,
        data_digest=version.data_digest,
        computed_at=version.created_at,
        grades=grades,
        post_group_names=group_names,
        cadres=tuple(rows),
        response_rates=_survey_rates(result.surveys),
    )


def load_results(session: Session, periods: Iterable[Period]) -> list[PeriodResults]:
    """:func:`load_period_results` for several periods (periods without results left out)."""
    township_of, _info = _townships(session)
    loaded = (load_period_results(session, p, township_of=township_of) for p in periods)
    return [p for p in loaded if p is not None]


def township_info(session: Session, ids: Iterable[int]) -> dict[int, TownshipInfo]:
    """Names of the given township (or other) units by id."""
    wanted = list(set(ids))
    rows = session.execute(
        sa.select(Unit.id, Unit.name_zh, Unit.name_en).where(Unit.id.in_(wanted))
    )
    return {i: TownshipInfo(i, zh, en or zh) for i, zh, en in rows}


# ---------------------------------------------------------------------------
# comparison (plain data in, plain data out)
# ---------------------------------------------------------------------------


def filter_rows(
    periods: Iterable[PeriodResults],
    *,
    townships: Collection[int] = (),
    post_group: str | None = None,
) -> list[CadreRow]:
    """Cadre rows of the periods, kept to the townships (all when empty) and post group."""
    return [
        row
        for period in periods
        for row in period.cadres
        if (not townships or row.township_id in townships)
        and (post_group is None or row.post_group == post_group)
    ]


def cadre_matrix(rows: Iterable[CadreRow]) -> list[MatrixRow]:
    """Cadres × periods: one row per (township, post group, cadre), a cell per period.

    A cadre who moved to another township or post group gets one row for each, so that
    each row compares like with like.
    """
    matrix: dict[tuple[int, str, str], MatrixRow] = {}
    for row in rows:
        key = (row.township_id, row.post_group, row.cadre_id)
        entry = matrix.get(key)
        if entry is None:
            entry = matrix[key] = MatrixRow(
                row.township_id, row.post_group, row.cadre_id, row.code, row.name, {}
            )
        entry.cells[row.period_id] = row  # type: ignore[index]
    return sorted(matrix.values(), key=lambda m: (m.township_id, m.post_group, m.code))


def township_groups(
    periods: Iterable[PeriodResults], rows: Iterable[CadreRow]
) -> list[TownshipGroup]:
    """Per post group, period and township: number of cadres, mean total, grade counts.

    The mean is the arithmetic mean of the stored totals at full precision.
    """
    grades = {p.period_id: p.grades for p in periods}
    buckets: dict[tuple[str, int, int], list[CadreRow]] = defaultdict(list)
    for row in rows:
        buckets[(row.post_group, row.period_id, row.township_id)].append(row)
    return [
        TownshipGroup(
            post_group=group,
            period_id=period_id,
            township_id=township_id,
            n=len(members),
            mean_total=statistics.fmean(m.total for m in members),
            grade_counts=_grade_counts(grades.get(period_id, ()), members),
        )
        for (group, period_id, township_id), members in sorted(buckets.items())
    ]
