"""Inputs of a period: quantitative results, events, ratings, conflicts, and the preview.

Every write checks that the period is "collecting" (the only state in which inputs
change) and that the indicator belongs to the cadre's indicator set in the published
rulebook. Services flush and never commit; every flush inside ``unit_of_work`` is audited.

Rating secrecy is kept here, not only in the pages: :func:`list_my_ratings` returns one
assessor's own ratings, :func:`list_panel_ratings` (every assessor's) refuses before the
period is computed, and :func:`compute_previews` hands the pure preview the rating
values but gets back only panel values.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.errors import (
    AssessmentError,
    FieldError,
    InputsClosedError,
    InvalidParameterError,
    MissingInputError,
    RatingRefusedError,
)
from assessment.core.lifecycle import PERIOD_STATES
from assessment.core.plausibility import check_plausibility
from assessment.core.preview import PreviewEvent, PreviewResult, compute_preview
from assessment.core.roster import RowError, Sheet, check_header
from assessment.core.rulebook import (
    Indicator,
    IndicatorKind,
    IndicatorSet,
    Rulebook,
    quantitative_rule,
)
from assessment.core.scoring import compute_quantitative_points
from assessment.core.text import find_control_character
from assessment.models import (
    Account,
    AccountScope,
    Appointment,
    Cadre,
    ConflictDeclaration,
    Event,
    Evidence,
    Period,
    Post,
    QuantitativeResult,
    Rating,
    Unit,
)
from assessment.services.imports import ImportRejected
from assessment.services.queries import NotFoundError, scope_unit_ids
from assessment.services.rulebooks import find_assessed_posts, find_published, rulebook_of
from assessment.services.unit_subjects import subject_kind

logger = logging.getLogger(__name__)

#: Roles that sit on the assessment panel and enter inputs.
PANEL_ROLES = ("admin", "assessor")
#: Columns of a quantitative results file, in the template's order.
RESULT_COLUMNS = ("cadre_code", "indicator_code", "actual", "source", "note")
RESULT_REQUIRED_COLUMNS = ("cadre_code", "indicator_code", "actual", "source")
EVENT_KINDS = (IndicatorKind.BONUS, IndicatorKind.PENALTY, IndicatorKind.VETO)
MAX_SOURCE = 200
MAX_TEXT = 2000
# Scoring errors about an actual value, as the field error codes people see.
_ACTUAL_PROBLEMS = {
    "negative": "actual_negative",
    "binary_not_0_or_1": "actual_not_binary",
    "not_finite": "not_a_number",
    "not_a_number": "not_a_number",
}


# ---------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssessedCadre:
    """A cadre assessed in a period, under the post that decides their indicator set."""

    cadre_id: int
    code: str
    name: str
    post: str
    post_name: str
    unit_id: int
    unit_name: str
    account_id: int | None = None


def is_collecting(period: Period) -> bool:
    """Whether inputs can be entered or changed now."""
    return period.status == "collecting"


def is_computed(period: Period) -> bool:
    """Whether the results have been computed (the ratings are no longer secret)."""
    return PERIOD_STATES.index(period.status) >= PERIOD_STATES.index("computed")


def find_rulebook(session: Session, period: Period) -> Rulebook | None:
    """The published rulebook in force for the period, or None before publication."""
    version = find_published(session, period.id)
    return rulebook_of(version) if version is not None else None


def list_assessed(
    session: Session, period: Period, unit_ids: Collection[int] | None = None
) -> list[AssessedCadre]:
    """Cadres with an appointment in the period's scope during its year, by code.

    The subjects are persons in a cadre period and units in a unit period (issue 16,
    :mod:`assessment.services.unit_subjects`), never both. A cadre with several such
    appointments is assessed under the one that started last (ties: the later one
    entered). When the published rulebook assesses only its listed posts
    (``assessed_posts: listed``), only appointments to those posts count. ``unit_ids``
    limits the list to a reader's scope.
    """
    first, last = date(period.year, 1, 1), date(period.year, 12, 31)
    query = (
        sa.select(Cadre, Post, Unit)
        .select_from(Appointment)
        .join(Cadre, Appointment.cadre_id == Cadre.id)
        .join(Post, Appointment.post_id == Post.id)
        .join(Unit, Appointment.unit_id == Unit.id)
        .where(
            Unit.path.startswith(period.scope_unit.path),
            Cadre.kind == subject_kind(period),
            Appointment.start_date <= last,
            sa.or_(Appointment.end_date.is_(None), Appointment.end_date >= first),
        )
        .order_by(Cadre.code, Appointment.start_date, Appointment.id)
    )
    listed = find_assessed_posts(session, period)
    if listed is not None:
        query = query.where(Post.code.in_(sorted(listed)))
    chosen: dict[int, AssessedCadre] = {}
    for cadre, post, unit in session.execute(query):
        chosen[cadre.id] = AssessedCadre(
            cadre_id=cadre.id,
            code=cadre.code,
            name=cadre.name,
            post=post.code,
            post_name=post.name_zh,
            unit_id=unit.id,
            unit_name=unit.name_zh,
        )
    linked = dict(
        session.execute(
            sa.select(Account.cadre_id, Account.id).where(Account.cadre_id.in_(list(chosen)))
        ).all()
    )
    assessed = [
        replace(c, account_id=linked.get(c.cadre_id))
        for c in chosen.values()
        if unit_ids is None or c.unit_id in unit_ids
    ]
    return sorted(assessed, key=lambda c: c.code)


def get_assessed(
    session: Session, period: Period, cadre_id: int, unit_ids: Collection[int]
) -> AssessedCadre:
    """One assessed cadre in the reader's scope (NotFoundError otherwise)."""
    for cadre in list_assessed(session, period, unit_ids):
        if cadre.cadre_id == cadre_id:
            return cadre
    raise NotFoundError(cadre_id)


def indicator_set_of(rulebook: Rulebook, cadre: AssessedCadre) -> IndicatorSet | None:
    """The indicator set of the cadre's post, or None when the rulebook has none."""
    try:
        return rulebook.indicator_set(cadre.post)
    except KeyError:
        return None


def indicator_of(
    rulebook: Rulebook, cadre: AssessedCadre, code: str, kinds: Iterable[str], field_name: str
) -> Indicator:
    """The indicator ``code`` of the cadre's set, of one of ``kinds``; else a FieldError."""
    indicator_set = indicator_set_of(rulebook, cadre)
    if indicator_set is None:
        raise FieldError(field_name, "no_indicator_set", post=cadre.post)
    try:
        indicator = indicator_set.indicator(code)
    except KeyError:
        raise FieldError(field_name, "unknown_indicator_code", code=code, post=cadre.post) from None
    if indicator.kind not in set(kinds):
        raise FieldError(field_name, "wrong_indicator_kind", code=code)
    return indicator


def list_results(session: Session, period: Period) -> dict[tuple[int, str], QuantitativeResult]:
    """Stored quantitative results of a period by (cadre id, indicator code)."""
    rows = session.scalars(
        sa.select(QuantitativeResult).where(QuantitativeResult.period_id == period.id)
    )
    return {(row.cadre_id, row.indicator_code): row for row in rows}


def find_result(
    session: Session, period: Period, cadre_id: int, code: str
) -> QuantitativeResult | None:
    return session.scalars(
        sa.select(QuantitativeResult).where(
            QuantitativeResult.period_id == period.id,
            QuantitativeResult.cadre_id == cadre_id,
            QuantitativeResult.indicator_code == code,
        )
    ).one_or_none()


def list_events(session: Session, period: Period, cadre_ids: Collection[int]) -> list[Event]:
    """Recorded events of the given cadres, newest first."""
    query = (
        sa.select(Event)
        .where(Event.period_id == period.id, Event.cadre_id.in_(list(cadre_ids)))
        .order_by(Event.occurred_on.desc(), Event.id.desc())
    )
    return list(session.scalars(query))


def get_event(session: Session, period: Period, event_id: int, cadre_ids: Collection[int]) -> Event:
    event = session.get(Event, event_id)
    if event is None or event.period_id != period.id or event.cadre_id not in cadre_ids:
        raise NotFoundError(event_id)
    return event


def get_evidence(
    session: Session, period: Period, evidence_id: int, cadre_ids: Collection[int]
) -> Evidence:
    """Evidence attached to a result or event of a cadre the reader may see."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.period_id != period.id:
        raise NotFoundError(evidence_id)
    ids = list(cadre_ids)
    used = session.scalar(
        sa.select(sa.func.count())
        .select_from(QuantitativeResult)
        .where(QuantitativeResult.evidence_id == evidence_id, QuantitativeResult.cadre_id.in_(ids))
    ) or session.scalar(
        sa.select(sa.func.count())
        .select_from(Event)
        .where(Event.evidence_id == evidence_id, Event.cadre_id.in_(ids))
    )
    if not used:
        raise NotFoundError(evidence_id)
    return evidence


def list_my_ratings(
    session: Session, period: Period, assessor_id: int, cadre_id: int | None = None
) -> dict[tuple[int, str], str]:
    """One assessor's own ratings as (cadre id, indicator code) -> level code."""
    query = sa.select(Rating).where(
        Rating.period_id == period.id, Rating.assessor_id == assessor_id
    )
    if cadre_id is not None:
        query = query.where(Rating.cadre_id == cadre_id)
    return {(r.cadre_id, r.indicator_code): r.level for r in session.scalars(query)}


@dataclass(frozen=True, slots=True)
class PanelRating:
    """One assessor's rating, shown only once the period is computed."""

    assessor: str
    indicator_code: str
    level: str


def list_panel_ratings(session: Session, period: Period, cadre_id: int) -> list[PanelRating]:
    """Every assessor's ratings of one cadre; refused before the results are computed."""
    if not is_computed(period):
        raise InputsClosedError(period.status)
    query = (
        sa.select(Account.display_name, Rating.indicator_code, Rating.level)
        .join(Account, Rating.assessor_id == Account.id)
        .where(Rating.period_id == period.id, Rating.cadre_id == cadre_id)
        .order_by(Rating.indicator_code, Account.display_name)
    )
    return [PanelRating(*row) for row in session.execute(query)]


def list_conflicts(session: Session, period: Period, assessor_id: int) -> list[ConflictDeclaration]:
    query = (
        sa.select(ConflictDeclaration)
        .where(
            ConflictDeclaration.period_id == period.id,
            ConflictDeclaration.assessor_id == assessor_id,
        )
        .order_by(ConflictDeclaration.declared_at)
    )
    return list(session.scalars(query))


def has_conflict(session: Session, period: Period, assessor_id: int, cadre_id: int) -> bool:
    return bool(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(ConflictDeclaration)
            .where(
                ConflictDeclaration.period_id == period.id,
                ConflictDeclaration.assessor_id == assessor_id,
                ConflictDeclaration.cadre_id == cadre_id,
            )
        )
    )


def list_panel(session: Session, period: Period) -> list[Account]:
    """Enabled admin and assessor accounts scoped at the period's scope unit or below it.

    An account scoped above (the county's administrator, for a township's period) is not
    on the township's panel: the county runs its own periods, and a panel member is
    expected to rate and is reminded to.
    """
    query = (
        sa.select(Account)
        .join(AccountScope, AccountScope.account_id == Account.id)
        .join(Unit, AccountScope.unit_id == Unit.id)
        .where(Account.role.in_(PANEL_ROLES), Account.is_enabled.is_(True))
        .distinct()
        .order_by(Account.username)
    )
    scope_path = period.scope_unit.path
    return [
        account
        for account in session.scalars(query)
        if any(scope.unit.path.startswith(scope_path) for scope in account.scopes)
    ]


# ---------------------------------------------------------------------------
# who rates whom
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assignment:
    """The qualitative indicators one assessor should rate for one cadre, and those done."""

    assessor_id: int
    cadre_id: int
    indicators: tuple[str, ...]
    done: frozenset[str]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(code for code in self.indicators if code not in self.done)


@dataclass(frozen=True, slots=True)
class RatingPlan:
    """Every (assessor, cadre) pair that owes ratings in a period.

    Secrecy: it holds which indicators are rated, never the levels.
    """

    assessors: tuple[Account, ...]
    cadres: tuple[AssessedCadre, ...]
    assignments: tuple[Assignment, ...]
    excluded: Mapping[tuple[int, int], str] = field(default_factory=dict)

    def of_assessor(self, assessor_id: int) -> list[Assignment]:
        return [a for a in self.assignments if a.assessor_id == assessor_id]

    def of_cadre(self, cadre_id: int) -> list[Assignment]:
        return [a for a in self.assignments if a.cadre_id == cadre_id]


def build_rating_plan(
    session: Session, period: Period, rulebook: Rulebook, cadres: Sequence[AssessedCadre]
) -> RatingPlan:
    """Who should rate whom on what: panel × cadres, minus self-ratings and conflicts."""
    panel = list_panel(session, period)
    scopes = {account.id: scope_unit_ids(session, account) for account in panel}
    conflicts = set(
        session.execute(
            sa.select(ConflictDeclaration.assessor_id, ConflictDeclaration.cadre_id).where(
                ConflictDeclaration.period_id == period.id
            )
        )
    )
    done: dict[tuple[int, int], set[str]] = defaultdict(set)
    for assessor_id, cadre_id, code in session.execute(
        sa.select(Rating.assessor_id, Rating.cadre_id, Rating.indicator_code).where(
            Rating.period_id == period.id
        )
    ):
        done[(assessor_id, cadre_id)].add(code)
    assignments = []
    excluded: dict[tuple[int, int], str] = {}
    for cadre in cadres:
        indicator_set = indicator_set_of(rulebook, cadre)
        if indicator_set is None:
            continue
        codes = tuple(i.code for i in indicator_set.of_kind(IndicatorKind.QUALITATIVE))
        if not codes:
            continue
        for account in panel:
            if cadre.unit_id not in scopes[account.id]:
                continue
            if account.cadre_id == cadre.cadre_id:
                excluded[(account.id, cadre.cadre_id)] = "self_rating"
                continue
            if (account.id, cadre.cadre_id) in conflicts:
                excluded[(account.id, cadre.cadre_id)] = "conflict_declared"
                continue
            rated = frozenset(done.get((account.id, cadre.cadre_id), set()) & set(codes))
            assignments.append(Assignment(account.id, cadre.cadre_id, codes, rated))
    return RatingPlan(tuple(panel), tuple(cadres), tuple(assignments), excluded)


# ---------------------------------------------------------------------------
# writes
# ---------------------------------------------------------------------------


def check_collecting(period: Period) -> None:
    """Refuse any change to inputs unless the period is collecting."""
    if not is_collecting(period):
        raise InputsClosedError(period.status)


def check_text(
    value: str | None, field_name: str, *, required: bool, limit: int, multiline: bool
) -> str:
    """Text typed by a person, stripped; FieldError when required and empty, too long, or
    holding a control character (the text rule, :mod:`assessment.core.text`)."""
    text = (value or "").strip()
    found = find_control_character(text, multiline=multiline)
    if found is not None:
        raise FieldError(field_name, "control_character", character=found.label)
    if required and not text:
        raise FieldError(field_name, "required")
    if len(text) > limit:
        raise FieldError(field_name, "too_long", max=limit)
    return text


def check_actual(indicator: Indicator, actual: float | None, field_name: str = "actual") -> float:
    """Check that the scoring rule can use the actual value; return it as a float.

    The check is the scoring function itself, so an accepted value always scores.
    """
    if actual is None:
        raise FieldError(field_name, "required")
    try:
        compute_quantitative_points(quantitative_rule(indicator), actual)
    except MissingInputError:
        raise FieldError(field_name, "required") from None
    except InvalidParameterError as error:
        if error.name != "actual":
            raise
        raise FieldError(field_name, _ACTUAL_PROBLEMS.get(error.reason, "actual_invalid")) from None
    return float(actual)


def parse_number(text: str) -> float | None:
    """A decimal number typed by a person, or None when it is not one."""
    try:
        number = float(text.strip().replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def add_evidence(
    session: Session,
    *,
    period: Period,
    stored_name: str,
    original_name: str,
    content_type: str,
    size: int,
    sha256: str,
    uploaded_by_id: int | None,
) -> Evidence:
    """Record an uploaded file (already written by :mod:`assessment.services.evidence`)."""
    check_collecting(period)
    return record_evidence(
        session,
        period=period,
        stored_name=stored_name,
        original_name=original_name,
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_by_id=uploaded_by_id,
    )


def record_evidence(
    session: Session,
    *,
    period: Period,
    stored_name: str,
    original_name: str,
    content_type: str,
    size: int,
    sha256: str,
    uploaded_by_id: int | None,
) -> Evidence:
    """The Evidence row of a stored file, whatever the period's state: callers check it."""
    evidence = Evidence(
        period_id=period.id,
        stored_name=stored_name,
        original_name=original_name[:255],
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_by_id=uploaded_by_id,
    )
    session.add(evidence)
    session.flush()
    return evidence


def save_result(
    session: Session,
    *,
    period: Period,
    rulebook: Rulebook,
    cadre: AssessedCadre,
    indicator_code: str,
    actual: float | None,
    source: str,
    note: str = "",
    evidence: Evidence | None = None,
    entered_by_id: int | None,
    now: datetime,
    confirmed: bool = True,
) -> QuantitativeResult:
    """Enter or change the actual value of one quantitative indicator for one cadre.

    New evidence replaces the previous file's link; without it the link is kept. With
    ``confirmed`` false, a changed value that looks implausible raises
    :class:`UnconfirmedValuesError` (the person is asked to confirm it) and nothing is
    saved; callers that have no one to ask (imports, corrections) leave it true.
    """
    check_collecting(period)
    if not confirmed and actual is not None:
        indicator = indicator_of(
            rulebook, cadre, indicator_code, (IndicatorKind.QUANTITATIVE,), "indicator_code"
        )
        value = check_actual(indicator, actual)
        previous = find_result(session, period, cadre.cadre_id, indicator_code)
        warnings = plausibility_problems(cadre, indicator, value)
        if warnings and (previous is None or previous.actual != value):
            raise UnconfirmedValuesError(warnings)
    return write_result(
        session,
        period=period,
        rulebook=rulebook,
        cadre=cadre,
        indicator_code=indicator_code,
        actual=actual,
        source=source,
        note=note,
        evidence=evidence,
        entered_by_id=entered_by_id,
        now=now,
    )


def write_result(
    session: Session,
    *,
    period: Period,
    rulebook: Rulebook,
    cadre: AssessedCadre,
    indicator_code: str,
    actual: float | None,
    source: str,
    note: str = "",
    evidence: Evidence | None = None,
    entered_by_id: int | None,
    now: datetime,
) -> QuantitativeResult:
    """:func:`save_result` without the state check: for callers that check their own
    (a correction decided on an objection during the notice)."""
    indicator = indicator_of(
        rulebook, cadre, indicator_code, (IndicatorKind.QUANTITATIVE,), "indicator_code"
    )
    value = check_actual(indicator, actual)
    source = check_text(source, "source", required=True, limit=MAX_SOURCE, multiline=False)
    note = check_text(note, "note", required=False, limit=MAX_TEXT, multiline=True)
    result = find_result(session, period, cadre.cadre_id, indicator_code)
    if result is None:
        result = QuantitativeResult(
            period_id=period.id, cadre_id=cadre.cadre_id, indicator_code=indicator_code
        )
        session.add(result)
    result.actual = value
    result.source = source
    result.note = note
    if evidence is not None:
        result.evidence_id = evidence.id
    result.entered_by_id = entered_by_id
    result.entered_at = now
    session.flush()
    return result


@dataclass(frozen=True, slots=True)
class GridCell:
    """One cell of the results grid as typed: the actual value of one indicator of one cadre."""

    cadre_id: int
    indicator_code: str
    text: str


@dataclass(frozen=True, slots=True)
class CellProblem:
    """What is wrong with one cell (an error code) or looks wrong (a warning)."""

    cadre: AssessedCadre
    indicator: Indicator
    code: str
    params: Mapping[str, float | str] = field(default_factory=dict)


class GridRejectedError(AssessmentError):
    """Cells of the grid cannot be saved; nothing was saved. ``problems`` lists them all."""

    code = "grid_rejected"

    def __init__(self, problems: Sequence[CellProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{len(self.problems)} cells refused")


class UnconfirmedValuesError(AssessmentError):
    """Values look implausible and the team has not confirmed them; nothing was saved."""

    code = "unconfirmed_values"

    def __init__(self, warnings: Sequence[CellProblem]) -> None:
        self.warnings = tuple(warnings)
        super().__init__(f"{len(self.warnings)} values to confirm")


def plausibility_problems(
    cadre: AssessedCadre, indicator: Indicator, actual: float
) -> list[CellProblem]:
    """The plausibility warnings of one value (:mod:`assessment.core.plausibility`)."""
    return [
        CellProblem(cadre, indicator, w.code, {"low": w.low, "high": w.high, "value": actual})
        for w in check_plausibility(indicator, actual)
    ]


def save_results_grid(
    session: Session,
    *,
    period: Period,
    rulebook: Rulebook,
    cadres: Sequence[AssessedCadre],
    cells: Sequence[GridCell],
    source: str,
    confirmed: bool,
    entered_by_id: int | None,
    now: datetime,
) -> int:
    """Save every changed cell of the results grid, or none of them.

    An empty cell leaves the stored value as it is; a cell equal to the stored value is
    not rewritten. Changed values get ``source`` (required when anything changes); their
    note and evidence stay. Returns how many values were saved.

    Raises
    ------
    GridRejectedError
        A cell is not a number, cannot be scored, or names an indicator or cadre that
        is not there (every such cell is listed).
    FieldError
        ``source`` is empty (or too long) while values change.
    UnconfirmedValuesError
        Changed values look implausible (:func:`plausibility_problems`) and
        ``confirmed`` is false.
    """
    check_collecting(period)
    by_id = {c.cadre_id: c for c in cadres}
    stored = list_results(session, period)
    problems: list[CellProblem] = []
    warnings: list[CellProblem] = []
    changes: list[tuple[AssessedCadre, Indicator, float]] = []
    for cell in cells:
        text = cell.text.strip()
        cadre = by_id.get(cell.cadre_id)
        if not text:
            continue
        if cadre is None:
            raise NotFoundError(cell.cadre_id)
        indicator = indicator_of(
            rulebook, cadre, cell.indicator_code, (IndicatorKind.QUANTITATIVE,), "actual"
        )
        value = parse_number(text)
        if value is None:
            problems.append(CellProblem(cadre, indicator, "not_a_number", {"value": text}))
            continue
        try:
            check_actual(indicator, value)
        except FieldError as error:
            problems.append(CellProblem(cadre, indicator, error.code, {"value": text}))
            continue
        previous = stored.get((cadre.cadre_id, indicator.code))
        if previous is not None and previous.actual == value:
            continue
        changes.append((cadre, indicator, value))
        warnings.extend(plausibility_problems(cadre, indicator, value))
    if problems:
        raise GridRejectedError(problems)
    if not changes:
        return 0
    source = check_text(source, "source", required=True, limit=MAX_SOURCE, multiline=False)
    if warnings and not confirmed:
        raise UnconfirmedValuesError(warnings)
    for cadre, indicator, value in changes:
        previous = stored.get((cadre.cadre_id, indicator.code))
        write_result(
            session,
            period=period,
            rulebook=rulebook,
            cadre=cadre,
            indicator_code=indicator.code,
            actual=value,
            source=source,
            note=previous.note if previous is not None else "",
            entered_by_id=entered_by_id,
            now=now,
        )
    logger.info("saved %d quantitative results from the grid", len(changes))
    return len(changes)


@dataclass(frozen=True, slots=True)
class ResultsImportSummary:
    created: int
    updated: int


@dataclass(frozen=True, slots=True)
class _ResultRow:
    row: int
    cadre: AssessedCadre
    indicator_code: str
    actual: float
    source: str
    note: str


def _check_result_rows(
    sheet: Sheet, rulebook: Rulebook, cadres: Mapping[str, AssessedCadre], known: set[str]
) -> tuple[list[_ResultRow], list[RowError]]:
    errors = list(check_header(sheet, RESULT_COLUMNS, RESULT_REQUIRED_COLUMNS))
    if errors:
        return [], errors
    rows: list[_ResultRow] = []
    seen: dict[tuple[str, str], int] = {}
    for number, cells in zip(sheet.row_numbers, sheet.rows, strict=True):
        row_errors: list[RowError] = []

        def fail(column: str, code: str, /, **params: str | int) -> None:
            row_errors.append(RowError(number, column, code, params, cells.get(column, "")))  # noqa: B023

        cadre_code = cells.get("cadre_code", "").strip()
        indicator_code = cells.get("indicator_code", "").strip()
        cadre = cadres.get(cadre_code)
        indicator = None
        if not cadre_code:
            fail("cadre_code", "required")
        elif cadre is None:
            code = "cadre_not_assessed" if cadre_code in known else "unknown_cadre_code"
            fail("cadre_code", code, code=cadre_code)
        if not indicator_code:
            fail("indicator_code", "required")
        elif cadre is not None:
            try:
                indicator = indicator_of(
                    rulebook,
                    cadre,
                    indicator_code,
                    (IndicatorKind.QUANTITATIVE,),
                    "indicator_code",
                )
            except FieldError as error:
                fail("indicator_code", error.code, **{k: str(v) for k, v in error.params.items()})
        actual_text = cells.get("actual", "").strip()
        actual = parse_number(actual_text) if actual_text else None
        if not actual_text:
            fail("actual", "required")
        elif actual is None:
            fail("actual", "not_a_number")
        elif indicator is not None:
            try:
                check_actual(indicator, actual)
            except FieldError as error:
                fail("actual", error.code)
        source = cells.get("source", "").strip()
        note = cells.get("note", "").strip()
        if not source:
            fail("source", "required")
        elif len(source) > MAX_SOURCE:
            fail("source", "too_long", max=MAX_SOURCE)
        if len(note) > MAX_TEXT:
            fail("note", "too_long", max=MAX_TEXT)
        key = (cadre_code, indicator_code)
        if cadre_code and indicator_code:
            if key in seen:
                fail("indicator_code", "duplicate_result_in_file", first_row=seen[key])
            else:
                seen[key] = number
        if row_errors:
            errors.extend(row_errors)
        elif cadre is not None and actual is not None:
            rows.append(_ResultRow(number, cadre, indicator_code, actual, source, note))
    return rows, errors


def import_results(
    session: Session,
    *,
    period: Period,
    rulebook: Rulebook,
    sheet: Sheet,
    scope_unit_ids: Collection[int],
    entered_by_id: int | None,
    now: datetime,
) -> ResultsImportSummary:
    """Enter every row of a results file, or none (raises :class:`ImportRejected`).

    A row for a result already entered replaces its value, source and note (its
    evidence stays).
    """
    check_collecting(period)
    cadres = {c.code: c for c in list_assessed(session, period, scope_unit_ids)}
    known = set(session.scalars(sa.select(Cadre.code)))
    rows, errors = _check_result_rows(sheet, rulebook, cadres, known)
    if errors:
        raise ImportRejected(errors)
    existing = list_results(session, period)
    created = updated = 0
    for row in rows:
        if (row.cadre.cadre_id, row.indicator_code) in existing:
            updated += 1
        else:
            created += 1
        save_result(
            session,
            period=period,
            rulebook=rulebook,
            cadre=row.cadre,
            indicator_code=row.indicator_code,
            actual=row.actual,
            source=row.source,
            note=row.note,
            entered_by_id=entered_by_id,
            now=now,
        )
    logger.info("imported %d quantitative results (%d updated)", created + updated, updated)
    return ResultsImportSummary(created=created, updated=updated)


def record_event(
    session: Session,
    *,
    period: Period,
    rulebook: Rulebook,
    cadre: AssessedCadre,
    indicator_code: str,
    points: float | None,
    occurred_on: date | None,
    reason: str,
    evidence: Evidence | None = None,
    recorded_by_id: int | None,
    today: date,
) -> Event:
    """Record a bonus, penalty or veto event for a cadre, with its reason.

    Bonus and penalty points are positive and at most the rulebook's points for the
    item (the rulebook sets the points per event; a smaller award is allowed).
    """
    check_collecting(period)
    return write_event(
        session,
        period=period,
        rulebook=rulebook,
        cadre=cadre,
        indicator_code=indicator_code,
        points=points,
        occurred_on=occurred_on,
        reason=reason,
        evidence=evidence,
        recorded_by_id=recorded_by_id,
        today=today,
    )


def write_event(
    session: Session,
    *,
    period: Period,
    rulebook: Rulebook,
    cadre: AssessedCadre,
    indicator_code: str,
    points: float | None,
    occurred_on: date | None,
    reason: str,
    evidence: Evidence | None = None,
    recorded_by_id: int | None,
    today: date,
) -> Event:
    """:func:`record_event` without the state check (see :func:`write_result`)."""
    indicator = indicator_of(rulebook, cadre, indicator_code, EVENT_KINDS, "indicator_code")
    if indicator.kind == IndicatorKind.VETO:
        points = None
    else:
        if points is None or not math.isfinite(points):
            raise FieldError("points", "required")
        limit = indicator.points or 0.0
        if not 0 < points <= limit:
            raise FieldError("points", "points_out_of_range", max=limit)
    if occurred_on is None:
        raise FieldError("occurred_on", "required")
    if occurred_on > today:
        raise FieldError("occurred_on", "date_in_future")
    reason = check_text(reason, "reason", required=True, limit=MAX_TEXT, multiline=True)
    event = Event(
        period_id=period.id,
        cadre_id=cadre.cadre_id,
        indicator_code=indicator_code,
        kind=indicator.kind.value,
        points=points,
        occurred_on=occurred_on,
        reason=reason,
        evidence_id=evidence.id if evidence is not None else None,
        recorded_by_id=recorded_by_id,
    )
    session.add(event)
    session.flush()
    return event


def delete_event(session: Session, *, period: Period, event: Event) -> None:
    """Withdraw a recorded event (the audit log keeps what it said)."""
    check_collecting(period)
    session.delete(event)
    session.flush()


def _check_may_rate(session: Session, period: Period, assessor: Account, cadre_id: int) -> None:
    if assessor.role not in PANEL_ROLES:
        raise RatingRefusedError("not_an_assessor")
    if assessor.cadre_id is not None and assessor.cadre_id == cadre_id:
        raise RatingRefusedError("self_rating")
    if has_conflict(session, period, assessor.id, cadre_id):
        raise RatingRefusedError("conflict_declared")


def may_rate(session: Session, period: Period, assessor: Account, cadre_id: int) -> str | None:
    """None when the assessor may rate the cadre, else the refusal code."""
    try:
        _check_may_rate(session, period, assessor, cadre_id)
    except RatingRefusedError as error:
        return error.code
    return None


def save_ratings(
    session: Session,
    *,
    period: Period,
    rulebook: Rulebook,
    assessor: Account,
    cadre: AssessedCadre,
    levels: Mapping[str, str | None],
    now: datetime,
) -> int:
    """Store the assessor's levels for the cadre's qualitative indicators.

    ``levels`` maps indicator codes to rubric level codes; an empty level leaves that
    indicator as it is. Returns how many ratings were created or changed.
    """
    check_collecting(period)
    _check_may_rate(session, period, assessor, cadre.cadre_id)
    mine = list_my_ratings(session, period, assessor.id, cadre.cadre_id)
    changes: list[tuple[str, str]] = []
    for code, level in levels.items():
        if not level:
            continue
        indicator = indicator_of(
            rulebook, cadre, code, (IndicatorKind.QUALITATIVE,), f"level_{code}"
        )
        rubric = rulebook.rubric(indicator.rubric or "")
        if level not in {lv.code for lv in rubric.levels}:
            raise FieldError(f"level_{code}", "unknown_rubric_level", level=level)
        if mine.get((cadre.cadre_id, code)) != level:
            changes.append((code, level))
    for code, level in changes:
        rating = session.scalars(
            sa.select(Rating).where(
                Rating.period_id == period.id,
                Rating.assessor_id == assessor.id,
                Rating.cadre_id == cadre.cadre_id,
                Rating.indicator_code == code,
            )
        ).one_or_none()
        if rating is None:
            rating = Rating(
                period_id=period.id,
                assessor_id=assessor.id,
                cadre_id=cadre.cadre_id,
                indicator_code=code,
            )
            session.add(rating)
        rating.level = level
        rating.rated_at = now
    session.flush()
    return len(changes)


def declare_conflict(
    session: Session,
    *,
    period: Period,
    assessor: Account,
    cadre: AssessedCadre,
    reason: str,
) -> ConflictDeclaration:
    """Declare a conflict of interest: the assessor's ratings of the cadre are withdrawn
    and no more can be given in this period."""
    check_collecting(period)
    if assessor.role not in PANEL_ROLES:
        raise RatingRefusedError("not_an_assessor")
    reason = check_text(reason, "reason", required=True, limit=MAX_TEXT, multiline=True)
    if has_conflict(session, period, assessor.id, cadre.cadre_id):
        raise FieldError("cadre_id", "conflict_already_declared")
    declaration = ConflictDeclaration(
        period_id=period.id, assessor_id=assessor.id, cadre_id=cadre.cadre_id, reason=reason
    )
    session.add(declaration)
    for rating in session.scalars(
        sa.select(Rating).where(
            Rating.period_id == period.id,
            Rating.assessor_id == assessor.id,
            Rating.cadre_id == cadre.cadre_id,
        )
    ):
        session.delete(rating)
    session.flush()
    return declaration


# ---------------------------------------------------------------------------
# preview
# ---------------------------------------------------------------------------


def compute_previews(
    session: Session,
    period: Period,
    rulebook: Rulebook,
    cadres: Sequence[AssessedCadre],
    *,
    show_panels: bool,
) -> dict[int, PreviewResult]:
    """The provisional score of each cadre from the inputs so far (cadres without an
    indicator set are left out)."""
    results = list_results(session, period)
    plan = build_rating_plan(session, period, rulebook, cadres)
    expected: dict[int, int] = defaultdict(int)
    for assignment in plan.assignments:
        expected[assignment.cadre_id] += 1
    levels: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    excluded = set(plan.excluded)
    for assessor_id, cadre_id, code, level in session.execute(
        sa.select(Rating.assessor_id, Rating.cadre_id, Rating.indicator_code, Rating.level).where(
            Rating.period_id == period.id
        )
    ):
        if (assessor_id, cadre_id) not in excluded:
            levels[cadre_id][code].append(level)
    events: dict[int, list[PreviewEvent]] = defaultdict(list)
    for event in list_events(session, period, [c.cadre_id for c in cadres]):
        events[event.cadre_id].append(PreviewEvent(event.indicator_code, event.points))
    previews = {}
    for cadre in cadres:
        indicator_set = indicator_set_of(rulebook, cadre)
        if indicator_set is None:
            continue
        previews[cadre.cadre_id] = compute_preview(
            rulebook,
            indicator_set,
            actuals={
                code: result.actual
                for (cadre_id, code), result in results.items()
                if cadre_id == cadre.cadre_id
            },
            rating_levels=levels.get(cadre.cadre_id, {}),
            expected_ratings=expected[cadre.cadre_id],
            events=events.get(cadre.cadre_id, []),
            show_panels=show_panels,
        )
    return previews
