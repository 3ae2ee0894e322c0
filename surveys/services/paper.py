"""Paper ballots: clerk entry (single or double), adjudication, spreadsheet import,
and the team's exclusion decisions.

A ballot is keyed by survey and serial. In double-entry mode two different accounts
type it independently; when the second entry equals the first exactly, the response is
stored through :func:`surveys.services.surveys.store_response` (channel ``paper``) and the
slip's receipt is marked counted. When they differ, both wait in the conflict queue
until a third account picks the right value of each differing field against the paper;
the adjudication stores the response. In single-entry mode the first entry stores it.

Answers are typed as digits: a Likert or 0–10 answer as its value, "don't know" (不了解)
about a target as :data:`DONT_KNOW_DIGITS`, a grade ballot or a choice as the 1-based
position of the option in the order printed on the ballot, free text as text, and a
blank for no answer. The entries keep what was typed; the response
gets the decoded values. The response keeps no trace of the entries or the clerks: its
id is random and no entry records it.

Services flush and never commit; errors name the form field (or the import column).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.digest import canonical_json
from assessment.core.errors import FieldError
from assessment.core.roster import RowError, Sheet
from surveys.models.paper import PaperEntry, PaperSettings, ResponseExclusion
from surveys.models.surveys import PaperReceipt, Response, Survey
from surveys.services import surveys as services
from surveys.services.queries import (
    DONT_KNOW,
    ResidentItem,
    list_excluded_ids,
    list_items,
    respondent_units,
)

logger = logging.getLogger(__name__)

SERIAL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
MAX_BATCH_LENGTH = 64
#: Fields compared between two entries besides the answers (``q_<item>``).
BALLOT_FIELDS = ("batch", "receipt")
IMPORT_REQUIRED = ("serial", "receipt")
#: What the clerk types for "don't know" (不了解). Every single digit is a level of
#: some scale (0–10, and Likert scales up to 11 points), so it is two digits that no
#: scale reaches; the printed questionnaire shows the same code.
DONT_KNOW_DIGITS = "99"


class ImportRejected(Exception):  # noqa: N818  (a rejection, not a failure of the program)
    """The file breaks at least one rule; nothing was written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = tuple(errors)
        super().__init__(f"{len(self.errors)} errors in the imported file")


# ---------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------


def double_entry(session: Session, survey_id: int) -> bool:
    """Whether the survey's paper ballots are entered twice (the default)."""
    settings = session.get(PaperSettings, survey_id)
    return True if settings is None else settings.double_entry


def set_double_entry(session: Session, survey: Survey, *, enabled: bool) -> None:
    """Turn double entry on or off; refused while entries wait for a second one."""
    waiting = session.scalar(
        sa.select(sa.func.count(PaperEntry.id)).where(
            PaperEntry.survey_id == survey.id, PaperEntry.state != "stored"
        )
    )
    if waiting and not enabled:
        raise FieldError("double_entry", "entries_waiting", count=int(waiting))
    settings = session.get(PaperSettings, survey.id)
    if settings is None:
        settings = PaperSettings(survey_id=survey.id)
        session.add(settings)
    settings.double_entry = enabled
    session.flush()


@dataclass(frozen=True, slots=True)
class UnfinishedBallots:
    """Paper ballots typed but not yet counted: closing the survey leaves them out."""

    #: Typed once, waiting for the second clerk's entry.
    waiting_second_entry: int
    #: Typed twice with differences, waiting for someone to settle them.
    in_conflict: int

    @property
    def total(self) -> int:
        return self.waiting_second_entry + self.in_conflict


def count_unfinished_ballots(session: Session, survey_id: int) -> UnfinishedBallots:
    """How many ballots (by serial) wait for a second entry or for a conflict's decision."""
    rows = dict(
        session.execute(
            sa.select(PaperEntry.state, sa.func.count(sa.distinct(PaperEntry.serial)))
            .where(PaperEntry.survey_id == survey_id, PaperEntry.state != "stored")
            .group_by(PaperEntry.state)
        ).all()
    )
    return UnfinishedBallots(int(rows.get("pending", 0)), int(rows.get("conflict", 0)))


# ---------------------------------------------------------------------------
# one ballot as typed
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ballot:
    """A paper ballot as typed: serial, batch, receipt, unit and raw answers by item key."""

    serial: str
    batch: str
    receipt: str
    unit_id: int
    answers: Mapping[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, str]:
        """Everything compared between two entries, by form field name."""
        values = {"batch": self.batch, "receipt": self.receipt}
        values.update({f"q_{key}": value for key, value in self.answers.items()})
        return values


def normalise_receipt(text: str) -> str:
    return re.sub(r"[\s-]", "", text).upper()


def digit_range(item: ResidentItem) -> tuple[int, int] | None:
    """The digits a clerk may type for an item (None for free text)."""
    if item.kind == "text":
        return None
    if item.kind == "scale10":
        return 0, 10
    if item.kind == "likert":
        return 1, len(item.values)
    return 1, len(item.values)


def decode_answer(item: ResidentItem, typed: str) -> str:
    """The stored answer value of what was typed (a digit or text)."""
    if item.dont_know and typed == DONT_KNOW_DIGITS:
        return DONT_KNOW
    if item.kind in ("text", "likert", "scale10"):
        return typed
    return item.values[int(typed) - 1]


def clean_ballot(
    session: Session,
    survey: Survey,
    *,
    serial: str,
    batch: str,
    receipt: str,
    unit_id: int | None,
    answers: Mapping[str, str],
    items: Sequence[ResidentItem] | None = None,
) -> Ballot:
    """Check the shape of one typed ballot; raise FieldError naming the field.

    ``unit_id`` None takes the unit from the receipt (imports); otherwise the receipt
    must belong to that unit's pool.
    """
    serial = serial.strip()
    if not serial:
        raise FieldError("serial", "required")
    if not SERIAL_PATTERN.match(serial):
        raise FieldError("serial", "bad_serial")
    batch = batch.strip()
    if len(batch) > MAX_BATCH_LENGTH:
        raise FieldError("batch", "too_long", max=MAX_BATCH_LENGTH)
    receipt = normalise_receipt(receipt)
    if not receipt:
        raise FieldError("receipt", "required")
    pooled = session.get(PaperReceipt, (survey.id, receipt))
    if pooled is None:
        raise FieldError("receipt", "unknown_receipt", receipt=receipt)
    if unit_id is not None and pooled.unit_id != unit_id:
        raise FieldError("receipt", "receipt_other_unit", receipt=receipt)
    if pooled.used:
        raise FieldError("receipt", "receipt_used", receipt=receipt)
    if items is None:
        items = list_items(session, survey.id, pooled.unit_id)
    known = {item.key: item for item in items}
    typed: dict[str, str] = {}
    for key, raw in answers.items():
        item = known.get(key)
        value = raw.strip()
        if item is None:
            if value:
                raise FieldError(f"q_{key}", "unknown_item_for_unit")
            continue
        if not value:
            continue
        bounds = digit_range(item)
        if bounds is None:
            if len(value) > services.MAX_TEXT_LENGTH:
                raise FieldError(item.field_name, "too_long", max=services.MAX_TEXT_LENGTH)
        elif item.dont_know and value == DONT_KNOW_DIGITS:
            pass
        elif not value.isdigit() or not bounds[0] <= int(value) <= bounds[1]:
            if item.dont_know:
                raise FieldError(
                    item.field_name,
                    "bad_digit_or_dont_know",
                    low=bounds[0],
                    high=bounds[1],
                    dont_know=DONT_KNOW_DIGITS,
                )
            raise FieldError(item.field_name, "bad_digit", low=bounds[0], high=bounds[1])
        else:
            value = str(int(value))
        typed[key] = value
    decoded = {key: decode_answer(known[key], value) for key, value in typed.items()}
    services.clean_answers(items, decoded)  # nothing answered → FieldError("answers")
    return Ballot(serial, batch, receipt, pooled.unit_id, typed)


def _load(entry: PaperEntry) -> Ballot:
    return Ballot(
        entry.serial,
        entry.ballot_batch,
        entry.slip_receipt,
        entry.ballot_unit_id,
        json.loads(entry.answers_json),
    )


def ballot_entries(session: Session, survey_id: int, serial: str) -> list[PaperEntry]:
    return list(
        session.scalars(
            sa.select(PaperEntry)
            .where(PaperEntry.survey_id == survey_id, PaperEntry.serial == serial)
            .order_by(PaperEntry.id)
        )
    )


def differing_fields(first: Ballot, second: Ballot) -> list[str]:
    """Form field names whose values differ between two entries (unit counts as receipt)."""
    a, b = first.fields(), second.fields()
    names = sorted(set(a) | set(b), key=lambda n: (n not in BALLOT_FIELDS, n))
    differ = [name for name in names if a.get(name, "") != b.get(name, "")]
    if first.unit_id != second.unit_id and "receipt" not in differ:
        differ.insert(0, "receipt")
    return differ


def _store(session: Session, survey: Survey, ballot: Ballot, *, today: date) -> None:
    """Store the ballot's response and mark its receipt counted; the entry keeps no id."""
    items = list_items(session, survey.id, ballot.unit_id)
    known = {item.key: item for item in items}
    answers = {key: decode_answer(known[key], value) for key, value in ballot.answers.items()}
    cleaned = services.clean_answers(items, answers)
    marked = session.execute(
        sa.update(PaperReceipt)
        .where(
            PaperReceipt.survey_id == survey.id,
            PaperReceipt.receipt == ballot.receipt,
            PaperReceipt.used.is_(False),
        )
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        raise FieldError("receipt", "receipt_used", receipt=ballot.receipt)
    services.store_response(
        session,
        survey=survey,
        unit_id=ballot.unit_id,
        channel="paper",
        answers=cleaned,
        receipt=ballot.receipt,
        today=today,
        paper_serial=ballot.serial,
        paper_batch=ballot.batch or None,
        items=items,
    )
    logger.info("survey %s: a paper ballot was stored", survey.id)


@dataclass(frozen=True, slots=True)
class EntryOutcome:
    """What happened to a typed ballot: ``pending``, ``stored`` or ``conflict``."""

    state: str
    differing: tuple[str, ...] = ()


def _require_open(survey: Survey) -> None:
    if survey.status != "open":
        raise services.SurveyStateError("paper_needs_open", status=survey.status)


def _receipt_taken(session: Session, survey_id: int, receipt: str, serial: str) -> str | None:
    return session.scalar(
        sa.select(PaperEntry.serial)
        .where(
            PaperEntry.survey_id == survey_id,
            PaperEntry.slip_receipt == receipt,
            PaperEntry.serial != serial,
            PaperEntry.state != "stored",
        )
        .limit(1)
    )


def record_entry(
    session: Session,
    survey: Survey,
    ballot: Ballot,
    *,
    clerk_id: int,
    today: date,
    source: str = "form",
) -> EntryOutcome:
    """Record one clerk's entry of a cleaned ballot; store the response when it may be."""
    _require_open(survey)
    entries = [e for e in ballot_entries(session, survey.id, ballot.serial) if e.kind == "entry"]
    if any(e.state == "stored" for e in entries):
        raise FieldError("serial", "serial_stored", serial=ballot.serial)
    if any(e.clerk_id == clerk_id for e in entries):
        raise FieldError("serial", "same_clerk", serial=ballot.serial)
    if any(e.state == "conflict" for e in entries) or len(entries) >= 2:
        raise FieldError("serial", "serial_in_conflict", serial=ballot.serial)
    other = _receipt_taken(session, survey.id, ballot.receipt, ballot.serial)
    if other is not None:
        raise FieldError("receipt", "receipt_on_other_ballot", receipt=ballot.receipt, serial=other)
    entry = PaperEntry(
        survey_id=survey.id,
        serial=ballot.serial,
        ballot_batch=ballot.batch,
        ballot_unit_id=ballot.unit_id,
        slip_receipt=ballot.receipt,
        answers_json=canonical_json(dict(ballot.answers)),
        clerk_id=clerk_id,
        kind="entry",
        source=source,
        state="pending",
    )
    session.add(entry)
    if not double_entry(session, survey.id):
        _store(session, survey, ballot, today=today)
        entry.state = "stored"
        session.flush()
        return EntryOutcome("stored")
    if not entries:
        session.flush()
        return EntryOutcome("pending")
    first = entries[0]
    differ = differing_fields(_load(first), ballot)
    if differ:
        first.state = entry.state = "conflict"
        session.flush()
        return EntryOutcome("conflict", tuple(differ))
    _store(session, survey, ballot, today=today)
    first.state = entry.state = "stored"
    session.flush()
    return EntryOutcome("stored")


# ---------------------------------------------------------------------------
# adjudication
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two entries of one ballot that differ, for the adjudication page."""

    serial: str
    first: PaperEntry
    second: PaperEntry
    differing: tuple[str, ...]

    @property
    def first_fields(self) -> dict[str, str]:
        return _load(self.first).fields()

    @property
    def second_fields(self) -> dict[str, str]:
        return _load(self.second).fields()


def list_conflicts(session: Session, survey_id: int) -> list[Conflict]:
    entries = session.scalars(
        sa.select(PaperEntry)
        .where(
            PaperEntry.survey_id == survey_id,
            PaperEntry.state == "conflict",
            PaperEntry.kind == "entry",
        )
        .order_by(PaperEntry.serial, PaperEntry.id)
    )
    by_serial: dict[str, list[PaperEntry]] = {}
    for entry in entries:
        by_serial.setdefault(entry.serial, []).append(entry)
    return [
        Conflict(serial, pair[0], pair[1], tuple(differing_fields(_load(pair[0]), _load(pair[1]))))
        for serial, pair in by_serial.items()
        if len(pair) == 2
    ]


def get_conflict(session: Session, survey_id: int, serial: str) -> Conflict | None:
    for conflict in list_conflicts(session, survey_id):
        if conflict.serial == serial:
            return conflict
    return None


def adjudicate(
    session: Session,
    survey: Survey,
    *,
    serial: str,
    choices: Mapping[str, str],
    adjudicator_id: int,
    today: date,
) -> None:
    """Settle a conflict: ``choices`` maps each differing field to ``first`` or ``second``.

    The adjudicator must be neither of the two clerks. The settled ballot is checked like
    a typed one and stored; the adjudication is kept as an entry of kind adjudication.
    """
    _require_open(survey)
    conflict = get_conflict(session, survey.id, serial)
    if conflict is None:
        raise FieldError("serial", "no_conflict", serial=serial)
    if adjudicator_id in (conflict.first.clerk_id, conflict.second.clerk_id):
        raise FieldError("serial", "adjudicator_entered")
    first, second = conflict.first_fields, conflict.second_fields
    chosen = dict(first)
    for name in conflict.differing:
        pick = choices.get(name, "")
        if pick not in ("first", "second"):
            raise FieldError(name, "choose_value")
        source = first if pick == "first" else second
        if name in source:
            chosen[name] = source[name]
        else:
            chosen.pop(name, None)
    unit_source = conflict.first if choices.get("receipt") != "second" else conflict.second
    ballot = clean_ballot(
        session,
        survey,
        serial=serial,
        batch=chosen.get("batch", ""),
        receipt=chosen.get("receipt", ""),
        unit_id=unit_source.ballot_unit_id,
        answers={name[2:]: value for name, value in chosen.items() if name.startswith("q_")},
    )
    _store(session, survey, ballot, today=today)
    conflict.first.state = conflict.second.state = "stored"
    session.add(
        PaperEntry(
            survey_id=survey.id,
            serial=serial,
            ballot_batch=ballot.batch,
            ballot_unit_id=ballot.unit_id,
            slip_receipt=ballot.receipt,
            answers_json=canonical_json(dict(ballot.answers)),
            clerk_id=adjudicator_id,
            kind="adjudication",
            source="form",
            state="stored",
        )
    )
    session.flush()


# ---------------------------------------------------------------------------
# import
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportSummary:
    pending: int = 0
    stored: int = 0
    conflicts: int = 0


def _row_error(row: int, error: FieldError, values: Mapping[str, str]) -> RowError:
    column = error.field if error.field != "answers" else "q_*"
    params = {key: str(value) for key, value in error.params.items()}
    return RowError(row, column, error.code, params, values.get(column, ""))


def import_ballots(
    session: Session, survey: Survey, sheet: Sheet, *, clerk_id: int, today: date
) -> ImportSummary:
    """Enter every ballot of a file (one entry each, by ``clerk_id``), or none.

    Raises :class:`ImportRejected` with every row error found before writing anything.
    """
    _require_open(survey)
    errors: list[RowError] = []
    for column in IMPORT_REQUIRED:
        if column not in sheet.columns:
            errors.append(RowError(1, column, "missing_column", {"column": column}, ""))
    bad_columns = [
        c
        for c in sheet.columns
        if c not in ("serial", "batch", "receipt") and not c.startswith("q_")
    ]
    for column in bad_columns:
        errors.append(RowError(1, column, "unknown_column", {"column": column}, column))
    if errors:
        raise ImportRejected(errors)
    units = {u.id for u in respondent_units(session, survey.period)}
    items_by_unit = {unit_id: list_items(session, survey.id, unit_id) for unit_id in units}
    ballots: list[tuple[int, Ballot]] = []
    serial_rows: dict[str, int] = {}
    receipt_rows: dict[str, int] = {}
    for row, values in zip(sheet.row_numbers, sheet.rows, strict=True):
        receipt = normalise_receipt(values.get("receipt", ""))
        pooled = session.get(PaperReceipt, (survey.id, receipt)) if receipt else None
        try:
            ballot = clean_ballot(
                session,
                survey,
                serial=values.get("serial", ""),
                batch=values.get("batch", ""),
                receipt=values.get("receipt", ""),
                unit_id=None,
                answers={c[2:]: v for c, v in values.items() if c.startswith("q_")},
                items=items_by_unit.get(pooled.unit_id) if pooled is not None else None,
            )
        except FieldError as error:
            errors.append(_row_error(row, error, values))
            continue
        if ballot.serial in serial_rows:
            errors.append(
                RowError(
                    row,
                    "serial",
                    "duplicate_serial_in_file",
                    {"row": str(serial_rows[ballot.serial])},
                    ballot.serial,
                )
            )
            continue
        if ballot.receipt in receipt_rows:
            errors.append(
                RowError(
                    row,
                    "receipt",
                    "duplicate_receipt_in_file",
                    {"row": str(receipt_rows[ballot.receipt])},
                    ballot.receipt,
                )
            )
            continue
        serial_rows[ballot.serial] = row
        receipt_rows[ballot.receipt] = row
        ballots.append((row, ballot))
    if errors:
        raise ImportRejected(errors)
    counts = {"pending": 0, "stored": 0, "conflict": 0}
    for row, ballot in ballots:
        try:
            outcome = record_entry(
                session, survey, ballot, clerk_id=clerk_id, today=today, source="import"
            )
        except FieldError as error:
            errors.append(_row_error(row, error, {}))
            continue
        counts[outcome.state] += 1
    if errors:
        raise ImportRejected(errors)
    logger.info("survey %s: imported %d paper ballots", survey.id, len(ballots))
    return ImportSummary(counts["pending"], counts["stored"], counts["conflict"])


def template_columns(session: Session, survey: Survey) -> list[str]:
    """Columns of an import file: serial, batch, receipt, then every item of any unit."""
    keys: dict[str, None] = {}
    for unit in respondent_units(session, survey.period):
        for item in list_items(session, survey.id, unit.id):
            keys.setdefault(f"q_{item.key}", None)
    return ["serial", "batch", "receipt", *keys]


# ---------------------------------------------------------------------------
# exclusions
# ---------------------------------------------------------------------------


def decide_exclusion(
    session: Session,
    survey: Survey,
    *,
    response_id: str,
    action: str,
    reason: str,
    decided_by: int,
) -> ResponseExclusion:
    """Record a decision to exclude a response, or to include it again (audited)."""
    if action not in ("exclude", "include"):
        raise FieldError("action", "unknown_action")
    reason = reason.strip()
    if not reason:
        raise FieldError("reason", "required")
    if len(reason) > 2000:
        raise FieldError("reason", "too_long", max=2000)
    found = session.scalar(
        sa.select(Response.id).where(Response.id == response_id, Response.survey_id == survey.id)
    )
    if found is None:
        raise FieldError("response_id", "unknown_response")
    currently = response_id in list_excluded_ids(session, survey.id)
    if currently == (action == "exclude"):
        raise FieldError("action", "already_" + ("excluded" if currently else "included"))
    decision = ResponseExclusion(
        survey_id=survey.id,
        response_id=response_id,
        decision=action,
        decision_reason=reason,
        decided_by=decided_by,
    )
    session.add(decision)
    session.flush()
    return decision


# ---------------------------------------------------------------------------
# quality signals for the team page (reads)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlaggedResponse:
    response_id: str
    channel: str
    #: The unit id, or None when the unit has fewer responses than the minimum group size.
    unit_id: int | None
    paper_serial: str | None
    flags: tuple[str, ...]
    excluded: bool
    #: Answers by item key (only after the survey closed).
    answers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ClerkRow:
    clerk_id: int
    entries: int
    conflicts: int
    #: Answer-based figures, None before closing.
    suspect_share: float | None
    z: float | None
    flagged: bool


@dataclass(frozen=True, slots=True)
class UnitRow:
    unit_id: int
    responses: int
    #: Spread and z, None before closing or below the minimum group size.
    spread: float | None
    z: float | None
    flagged: bool


@dataclass(frozen=True, slots=True)
class QualityReport:
    closed: bool
    responses: int
    counts: Mapping[str, int]
    flagged: Sequence[FlaggedResponse]
    clerks: Sequence[ClerkRow]
    units: Sequence[UnitRow]
    excluded: int


FLAG_NAMES = ("straight_lining", "too_fast", "duplicate_serial")


def _numeric_keys(session: Session, survey: Survey) -> list[str]:
    keys: set[str] = set()
    for unit in respondent_units(session, survey.period):
        for item in list_items(session, survey.id, unit.id):
            if item.kind in ("likert", "scale10"):
                keys.add(item.key)
    return sorted(keys)


def quality_report(session: Session, survey: Survey, *, min_group_size: int) -> QualityReport:
    """Flags and group signals of a survey; answer-based ones only once it is closed."""
    import numpy as np

    from surveys.core import quality
    from surveys.models.surveys import Answer

    closed = survey.status == "closed"
    rows = session.execute(
        sa.select(
            Response.id,
            Response.unit_id,
            Response.channel,
            Response.duration_band_s,
            Response.paper_serial,
        )
        .where(Response.survey_id == survey.id)
        .order_by(Response.id)
    ).all()
    ids = [r.id for r in rows]
    serials = [r.paper_serial for r in rows]
    duplicate = quality.flag_duplicate_serials(serials) if rows else np.zeros(0, dtype=bool)
    counts = {"duplicate_serial": int(duplicate.sum())}
    excluded = list_excluded_ids(session, survey.id)
    entries = list(
        session.scalars(
            sa.select(PaperEntry).where(
                PaperEntry.survey_id == survey.id, PaperEntry.kind == "entry"
            )
        )
    )
    clerk_ids = sorted({e.clerk_id for e in entries})
    unit_sizes: dict[int, int] = {}
    for r in rows:
        unit_sizes[r.unit_id] = unit_sizes.get(r.unit_id, 0) + 1
    clerks: list[ClerkRow] = []
    units: list[UnitRow] = []
    if not closed:
        clerks = [
            ClerkRow(
                c,
                sum(1 for e in entries if e.clerk_id == c),
                sum(1 for e in entries if e.clerk_id == c and e.state == "conflict"),
                None,
                None,
                False,
            )
            for c in clerk_ids
        ]
        units = [UnitRow(u, n, None, None, False) for u, n in sorted(unit_sizes.items())]
        flagged = [
            FlaggedResponse(
                ids[i],
                rows[i].channel,
                None,
                serials[i],
                ("duplicate_serial",),
                ids[i] in excluded,
                {},
            )
            for i in np.flatnonzero(duplicate).tolist()
        ]
        return QualityReport(False, len(rows), counts, flagged, clerks, units, len(excluded))

    keys = _numeric_keys(session, survey)
    column = {key: j for j, key in enumerate(keys)}
    position = {rid: i for i, rid in enumerate(ids)}
    matrix = np.full((len(ids), len(keys)), np.nan)
    answers: dict[str, dict[str, str]] = {rid: {} for rid in ids}
    for a in session.execute(
        sa.select(Answer.response_id, Answer.item, Answer.value_int, Answer.value_text)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.survey_id == survey.id)
    ):
        value = a.value_int if a.value_int is not None else a.value_text
        answers[a.response_id][a.item] = "" if value is None else str(value)
        if a.value_int is not None and a.item in column:
            matrix[position[a.response_id], column[a.item]] = a.value_int
    durations = np.array(
        [np.nan if r.duration_band_s is None else float(r.duration_band_s) for r in rows],
        dtype=float,
    )
    straight = quality.flag_straight_lining(matrix) if rows else np.zeros(0, dtype=bool)
    fast = quality.flag_too_fast(durations) if rows else np.zeros(0, dtype=bool)
    counts.update(straight_lining=int(straight.sum()), too_fast=int(fast.sum()))
    flagged = []
    for i, rid in enumerate(ids):
        names = tuple(
            name
            for name, flags in zip(FLAG_NAMES, (straight, fast, duplicate), strict=True)
            if flags[i]
        )
        if names:
            unit_id = rows[i].unit_id
            flagged.append(
                FlaggedResponse(
                    rid,
                    rows[i].channel,
                    unit_id if unit_sizes[unit_id] >= min_group_size else None,
                    serials[i],
                    names,
                    rid in excluded,
                    answers[rid],
                )
            )
    if entries:
        entry_matrix = np.full((len(entries), len(keys)), np.nan)
        for i, entry in enumerate(entries):
            for key, value in json.loads(entry.answers_json).items():
                if key in column and value.isdigit():
                    entry_matrix[i, column[key]] = int(value)
        signal = quality.clerk_uniformity(entry_matrix, [e.clerk_id for e in entries]).table
        for clerk_id, rec in signal.iterrows():
            cid = int(str(clerk_id))
            clerks.append(
                ClerkRow(
                    cid,
                    int(rec["n"]),
                    sum(1 for e in entries if e.clerk_id == cid and e.state == "conflict"),
                    float(rec["share"]),
                    None if np.isnan(rec["z"]) else float(rec["z"]),
                    bool(rec["flagged"]),
                )
            )
    if rows:
        unit_signal = quality.unit_uniformity(
            matrix, [r.unit_id for r in rows], min_group_size=min_group_size
        ).table
        for unit_id, rec in unit_signal.iterrows():
            small = int(rec["n"]) < min_group_size
            units.append(
                UnitRow(
                    int(str(unit_id)),
                    int(rec["n"]),
                    None if small or np.isnan(rec["spread"]) else float(rec["spread"]),
                    None if small or np.isnan(rec["z"]) else float(rec["z"]),
                    bool(rec["flagged"]),
                )
            )
    counts["clerks_flagged"] = sum(1 for c in clerks if c.flagged)
    counts["units_flagged"] = sum(1 for u in units if u.flagged)
    return QualityReport(True, len(rows), counts, flagged, clerks, units, len(excluded))
