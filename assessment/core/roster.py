"""Validation of spreadsheet imports: the unit tree and the cadre roster.

Both imports are all-or-nothing: the functions here check every row of a file against
the rules and against what already exists, and return either records ready to be saved
or the complete list of errors, each named by the row and column a person sees in the
spreadsheet (the header is row 1, the first data row is row 2). They take plain values
(a :class:`Sheet` of text cells and an :class:`OrgSnapshot` of existing codes) and read
no database: the service layer builds the snapshot and saves the records.

Errors carry stable codes and parameters, never words; the web layer translates them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "ALLOWED_PARENT_KINDS",
    "BIRTH_YEAR_RANGE",
    "ROSTER_COLUMNS",
    "ROSTER_REQUIRED_COLUMNS",
    "UNIT_COLUMNS",
    "UNIT_REQUIRED_COLUMNS",
    "ExistingAppointment",
    "OrgSnapshot",
    "RosterImportResult",
    "RosterRecord",
    "RowError",
    "Sheet",
    "UnitImportResult",
    "UnitRecord",
    "check_header",
    "validate_roster",
    "validate_units",
]

#: Columns of a unit-tree file, in the order of the template.
UNIT_COLUMNS = ("code", "parent_code", "kind", "name_zh", "name_en", "households", "population")
#: Columns that must be in the header row (``name_en`` may be left out).
UNIT_REQUIRED_COLUMNS = ("code", "parent_code", "kind", "name_zh", "households", "population")
#: Columns of a roster file, in the order of the template.
ROSTER_COLUMNS = (
    "code",
    "name",
    "gender",
    "birth_year",
    "post_code",
    "unit_code",
    "start_date",
    "end_date",
)
#: Columns that must be in the header row (gender, birth year and end date are optional).
ROSTER_REQUIRED_COLUMNS = ("code", "name", "post_code", "unit_code", "start_date")

#: Which unit kinds may hang under which: county → township/street → village/community.
#: The one copy of this rule: the unit form's service uses it too.
ALLOWED_PARENT_KINDS: Mapping[str, tuple[str, ...]] = {
    "county": (),
    "township": ("county",),
    "street": ("county",),
    "village": ("township", "street"),
    "community": ("township", "street"),
    "department": ("township", "street"),
}
#: Unit kinds a post of each level may be held in. A ``unit`` post is held by an assessed
#: unit in itself (issue 16): the leadership team of a township is the township.
POST_LEVEL_UNIT_KINDS: Mapping[str, tuple[str, ...]] = {
    "township": ("township", "street"),
    "village": ("village", "community"),
    "unit": ("township", "street", "village", "community", "department"),
}
#: Inclusive range of a plausible year of birth (the same as the cadre form).
BIRTH_YEAR_RANGE = (1930, 2010)

# Spellings a person may type for a unit kind or a gender: the codes, and the Chinese words
# used on the forms and in county rosters.
_KIND_ALIASES = {
    "county": "county",
    "县": "county",
    "township": "township",
    "乡": "township",
    "镇": "township",
    "乡镇": "township",
    "street": "street",
    "街道": "street",
    "village": "village",
    "村": "village",
    "community": "community",
    "社区": "community",
    "department": "department",
    "部门": "department",
    "乡镇部门": "department",
}
_GENDER_ALIASES = {"": "", "m": "M", "男": "M", "f": "F", "女": "F"}

_CODE_RE = re.compile(r"[A-Za-z0-9_-]+")
_CODE_MAX = 32
_UNIT_NAME_MAX = 100
_CADRE_NAME_MAX = 50
# Whole numbers as spreadsheets write them: "1200", "1,200", and "1200.0" from a float cell.
_INT_RE = re.compile(r"(\d+|\d{1,3}(?:,\d{3})+)(?:\.0+)?")
# YYYY-MM-DD, also with "/" or "." and one-digit month or day as Chinese Excel writes
# dates, optionally followed by a midnight time as pandas renders an .xlsx date cell.
_DATE_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?")
_DATE_FORMAT = "YYYY-MM-DD"
# An appointment's (start, end, file row); the row is None for a stored appointment.
_Span = tuple[date, date | None, int | None]


@dataclass(frozen=True, slots=True)
class Sheet:
    """The text cells of one spreadsheet, as read from a file.

    Parameters
    ----------
    columns : tuple of str
        Column names from the header row, trimmed and in lower case.
    rows : tuple of mapping
        One mapping of column name to cell text per data row (blank rows left out).
    row_numbers : tuple of int
        The spreadsheet row number of each entry of ``rows`` (the header is row 1).

    Raises
    ------
    ValueError
        When ``rows`` and ``row_numbers`` differ in length.

    Examples
    --------
    >>> sheet = Sheet.from_dicts([{"code": "A", "kind": "county"}])
    >>> sheet.columns, sheet.row_numbers
    (('code', 'kind'), (2,))
    """

    columns: tuple[str, ...]
    rows: tuple[Mapping[str, str], ...]
    row_numbers: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.rows) != len(self.row_numbers):
            raise ValueError(f"{len(self.rows)} rows but {len(self.row_numbers)} row numbers")

    @classmethod
    def from_dicts(
        cls, rows: Sequence[Mapping[str, str]], columns: Sequence[str] | None = None
    ) -> Sheet:
        """Build a sheet from dicts numbered from row 2 (directly below a header row).

        Parameters
        ----------
        rows : sequence of mapping
            Cell text by column name.
        columns : sequence of str, optional
            The header; by default every key of the rows, in order of first appearance.

        Returns
        -------
        Sheet
        """
        if columns is None:
            columns = list(dict.fromkeys(key for row in rows for key in row))
        return cls(
            columns=tuple(columns),
            rows=tuple(rows),
            row_numbers=tuple(range(2, len(rows) + 2)),
        )


@dataclass(frozen=True, slots=True)
class ExistingAppointment:
    """An appointment already stored, reduced to the codes an import compares.

    Parameters
    ----------
    cadre_code, post_code, unit_code : str
        Who holds which post where.
    start : date
        First day.
    end : date or None
        Last day, or ``None`` while it lasts.
    """

    cadre_code: str
    post_code: str
    unit_code: str
    start: date
    end: date | None = None


@dataclass(frozen=True, slots=True)
class OrgSnapshot:
    """What already exists, as plain codes: the context an import is checked against.

    Parameters
    ----------
    unit_kinds : mapping of str to str
        Every stored unit code (retired ones included) to its kind.
    retired_units : set of str
        Codes of retired units (no unit may be added under them, nobody appointed in them).
    post_levels : mapping of str to str
        Every stored post code to its level, ``"township"`` or ``"village"``.
    retired_posts : set of str
        Codes of retired posts.
    cadre_names : mapping of str to str
        Every stored cadre's personnel number to their name.
    retired_cadres : set of str
        Personnel numbers of retired cadres.
    appointments : sequence of ExistingAppointment
        Stored appointments of the cadres named in the file (others are not needed).
    """

    unit_kinds: Mapping[str, str] = field(default_factory=dict)
    retired_units: Set[str] = frozenset()
    post_levels: Mapping[str, str] = field(default_factory=dict)
    retired_posts: Set[str] = frozenset()
    cadre_names: Mapping[str, str] = field(default_factory=dict)
    retired_cadres: Set[str] = frozenset()
    appointments: Sequence[ExistingAppointment] = ()


@dataclass(frozen=True, slots=True)
class RowError:
    """One broken rule in one cell of a file.

    Parameters
    ----------
    row : int
        Spreadsheet row number; 1 (the header row) for a missing column.
    column : str
        The column the error is about.
    code : str
        Stable error code, translated by the web layer (``assessment.views.messages``).
    params : mapping
        Values the message names, e.g. ``{"code": "QSZ-09"}``.
    value : str
        The cell text as given (empty for a missing column).
    """

    row: int
    column: str
    code: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    value: str = ""


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """A valid row of a unit-tree file.

    Parameters
    ----------
    row : int
        Spreadsheet row number.
    code, kind, name_zh, name_en : str
        The unit; ``kind`` is a code such as ``"village"``.
    parent_code : str or None
        Code of the parent unit (stored or in the same file); ``None`` for a county.
    households, population : int
        Non-negative counts.
    """

    row: int
    code: str
    kind: str
    name_zh: str
    name_en: str
    parent_code: str | None
    households: int
    population: int


@dataclass(frozen=True, slots=True)
class UnitImportResult:
    """Outcome of :func:`validate_units`.

    Parameters
    ----------
    records : tuple of UnitRecord
        Valid rows, each parent before its children (empty when there is any error).
    errors : tuple of RowError
        Every error, by row then column order.
    """

    records: tuple[UnitRecord, ...]
    errors: tuple[RowError, ...]

    @property
    def is_valid(self) -> bool:
        """Whether the whole file may be saved."""
        return not self.errors


@dataclass(frozen=True, slots=True)
class RosterRecord:
    """A valid row of a roster file: one appointment, and the cadre when new.

    Parameters
    ----------
    row : int
        Spreadsheet row number.
    code, name : str
        Personnel number and name.
    gender : str
        ``"M"``, ``"F"`` or ``""``.
    birth_year : int or None
        Year of birth, when given.
    post_code, unit_code : str
        The post held and the unit it is held in.
    start, end : date, date or None
        The appointment's dates.
    is_new_cadre : bool
        True when no stored cadre has this personnel number (the first row of a new
        cadre creates them; the others only add appointments).
    """

    row: int
    code: str
    name: str
    gender: str
    birth_year: int | None
    post_code: str
    unit_code: str
    start: date
    end: date | None
    is_new_cadre: bool


@dataclass(frozen=True, slots=True)
class RosterImportResult:
    """Outcome of :func:`validate_roster`.

    Parameters
    ----------
    records : tuple of RosterRecord
        Valid rows in file order (empty when there is any error).
    errors : tuple of RowError
        Every error, by row then column order.
    """

    records: tuple[RosterRecord, ...]
    errors: tuple[RowError, ...]

    @property
    def is_valid(self) -> bool:
        """Whether the whole file may be saved."""
        return not self.errors


class _Row:
    """Reads the cells of one row and collects its errors."""

    def __init__(self, number: int, cells: Mapping[str, str], errors: list[RowError]) -> None:
        self.number = number
        self.cells = cells
        self.errors = errors

    def text(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()

    def error(self, column: str, code: str, /, **params: str | int) -> None:
        self.errors.append(RowError(self.number, column, code, params, self.text(column)))

    def required(self, column: str) -> str | None:
        value = self.text(column)
        if not value:
            self.error(column, "required")
            return None
        return value

    def code(self, column: str) -> str | None:
        value = self.required(column)
        if value is None:
            return None
        if len(value) > _CODE_MAX:
            self.error(column, "too_long", max=_CODE_MAX)
            return None
        if not _CODE_RE.fullmatch(value):
            self.error(column, "bad_code")
            return None
        return value

    def name(self, column: str, max_length: int, *, required: bool = True) -> str | None:
        value = self.required(column) if required else self.text(column)
        if value is not None and len(value) > max_length:
            self.error(column, "too_long", max=max_length)
            return None
        return value

    def integer(self, column: str, *, required: bool = True) -> int | None:
        value = self.text(column)
        if not value:
            if required:
                self.error(column, "required")
            return None
        if value.startswith("-") and _INT_RE.fullmatch(value[1:]):
            self.error(column, "negative")
            return None
        if not _INT_RE.fullmatch(value):
            self.error(column, "not_integer")
            return None
        return int(value.split(".")[0].replace(",", ""))

    def date(self, column: str, *, required: bool = True) -> date | None:
        value = self.text(column)
        if not value:
            if required:
                self.error(column, "required")
            return None
        match = _DATE_RE.fullmatch(value)
        try:
            if match is None:
                raise ValueError(value)
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            self.error(column, "bad_date", format=_DATE_FORMAT)
            return None


def check_header(
    sheet: Sheet, columns: Sequence[str], required: Sequence[str]
) -> tuple[RowError, ...]:
    """Errors of a header row that lacks a required column (row 1), or none.

    A missing column is ``missing_column``; when one is missing, every header the import
    does not read is listed too (``unread_column``, its text as the value), since it is
    most likely the missing one misspelled. Unread columns of a complete header are
    ignored (a county's roster may carry columns of its own).

    Examples
    --------
    >>> sheet = Sheet.from_dicts([{"code": "A", "parent": "B"}])
    >>> [(e.column, e.code) for e in check_header(sheet, UNIT_COLUMNS, ("code", "parent_code"))]
    [('parent_code', 'missing_column'), ('parent', 'unread_column')]
    >>> check_header(sheet, UNIT_COLUMNS, ("code",))
    ()
    """
    present = set(sheet.columns)
    missing = [
        RowError(1, column, "missing_column", {"column": column})
        for column in required
        if column not in present
    ]
    if not missing:
        return ()
    unread = [
        RowError(1, name, "unread_column", {"column": name}, name)
        for name in sheet.columns
        if name not in columns
    ]
    return (*missing, *unread)


def _sorted(errors: list[RowError], columns: Sequence[str]) -> tuple[RowError, ...]:
    order = {column: index for index, column in enumerate(columns)}
    return tuple(sorted(errors, key=lambda e: (e.row, order.get(e.column, len(order)))))


def validate_units(sheet: Sheet, existing: OrgSnapshot, scope: Set[str] | None) -> UnitImportResult:
    """Check every row of a unit-tree file; return the units to create or every error.

    Parameters
    ----------
    sheet : Sheet
        Columns ``code, parent_code, kind, name_zh, name_en, households, population``
        (``name_en`` optional).
    existing : OrgSnapshot
        Stored units (``unit_kinds``, ``retired_units``); the other fields are not used.
    scope : set of str or None
        Codes of the units the importer works on (their whole subtrees). A stored parent
        must be one of them, and a unit without a parent can only be imported with
        ``None`` (no restriction).

    Returns
    -------
    UnitImportResult
        The records, parents before children, or the errors (then no record).

    Notes
    -----
    The import only adds units: a code already stored is refused (``duplicate_code``), as
    is a code used twice in the file (``duplicate_in_file``). A parent may be a stored unit
    or a unit anywhere in the same file, above or below the row. Kinds nest county →
    township/street → village/community (``parent_kind_not_allowed``), which also rules
    out a unit placed under itself. ``households`` and ``population`` are required
    non-negative whole numbers. Error codes: ``missing_column``, ``required``,
    ``too_long``, ``bad_code``, ``unknown_kind``, ``not_integer``, ``negative``,
    ``duplicate_code``, ``duplicate_in_file``, ``unknown_parent``, ``unit_retired``,
    ``parent_required``, ``parent_kind_not_allowed``, ``out_of_scope``,
    ``top_level_out_of_scope``.

    Examples
    --------
    >>> sheet = Sheet.from_dicts([
    ...     {"code": "V2", "parent_code": "T1", "kind": "village", "name_zh": "新村",
    ...      "households": "120", "population": "400"},
    ...     {"code": "T1", "parent_code": "C", "kind": "township", "name_zh": "新镇",
    ...      "households": "1,200", "population": "4000"},
    ... ])
    >>> result = validate_units(sheet, OrgSnapshot(unit_kinds={"C": "county"}), {"C"})
    >>> [(r.code, r.parent_code) for r in result.records]
    [('T1', 'C'), ('V2', 'T1')]
    >>> bad = Sheet.from_dicts([{"code": "C", "parent_code": "", "kind": "county",
    ...                          "name_zh": "县", "households": "-1", "population": ""}])
    >>> [(e.row, e.column, e.code) for e in validate_units(bad, OrgSnapshot(), None).errors]
    [(2, 'households', 'negative'), (2, 'population', 'required')]
    """
    missing = check_header(sheet, UNIT_COLUMNS, UNIT_REQUIRED_COLUMNS)
    if missing:
        return UnitImportResult((), missing)
    errors: list[RowError] = []
    parsed: list[tuple[_Row, UnitRecord | None, str | None, str | None]] = []
    first_row: dict[str, int] = {}
    file_kinds: dict[str, str | None] = {}
    for number, cells in zip(sheet.row_numbers, sheet.rows, strict=True):
        row = _Row(number, cells, errors)
        code = row.code("code")
        parent_code = row.text("parent_code") or None
        kind_text = row.required("kind")
        kind = _KIND_ALIASES.get(kind_text.lower()) if kind_text else None
        if kind_text and kind is None:
            row.error("kind", "unknown_kind", kind=kind_text)
        name_zh = row.name("name_zh", _UNIT_NAME_MAX)
        name_en = row.name("name_en", _UNIT_NAME_MAX, required=False)
        households = row.integer("households")
        population = row.integer("population")
        if code is not None:
            if code in existing.unit_kinds:
                row.error("code", "duplicate_code", code=code)
            elif code in first_row:
                row.error("code", "duplicate_in_file", code=code, first_row=first_row[code])
            else:
                first_row[code] = number
                file_kinds[code] = kind
        record = None
        if (
            code is not None
            and kind is not None
            and name_zh is not None
            and name_en is not None
            and households is not None
            and population is not None
        ):
            record = UnitRecord(
                number, code, kind, name_zh, name_en, parent_code, households, population
            )
        parsed.append((row, record, kind, parent_code))

    for row, _record, kind, parent_code in parsed:
        _check_parent(row, kind, parent_code, existing, file_kinds, scope)

    if errors:
        return UnitImportResult((), _sorted(errors, UNIT_COLUMNS))
    records = [record for _row, record, _kind, _parent in parsed if record is not None]
    return UnitImportResult(_parents_first(records), ())


def _check_parent(
    row: _Row,
    kind: str | None,
    parent_code: str | None,
    existing: OrgSnapshot,
    file_kinds: Mapping[str, str | None],
    scope: Set[str] | None,
) -> None:
    if parent_code is None:
        if kind is not None and ALLOWED_PARENT_KINDS[kind]:
            row.error("parent_code", "parent_required")
        elif kind is not None and scope is not None:
            # A new top of the tree would fall outside every scope, the importer's too.
            row.error("parent_code", "top_level_out_of_scope")
        return
    parent_kind: str | None
    if parent_code in existing.unit_kinds:
        parent_kind = existing.unit_kinds[parent_code]
        if parent_code in existing.retired_units:
            row.error("parent_code", "unit_retired")
        if scope is not None and parent_code not in scope:
            row.error("parent_code", "out_of_scope", code=parent_code)
    elif parent_code in file_kinds:
        # Checked on its own row: its parent is in scope, or it is in the file in turn.
        parent_kind = file_kinds[parent_code]
    else:
        row.error("parent_code", "unknown_parent", code=parent_code)
        return
    if kind is None or parent_kind is None:
        return
    if parent_kind not in ALLOWED_PARENT_KINDS[kind]:
        row.error("parent_code", "parent_kind_not_allowed", kind=kind, parent=parent_kind)


def _parents_first(records: Sequence[UnitRecord]) -> tuple[UnitRecord, ...]:
    """Order records so that a parent from the file comes before its children."""
    by_code = {record.code: record for record in records}
    depths: dict[str, int] = {}

    def depth(record: UnitRecord) -> int:
        seen: list[str] = []
        current: UnitRecord | None = record
        while current is not None and current.code not in depths:
            if current.code in seen:  # unreachable once kinds nest; never loop forever
                raise ValueError(f"units {seen} form a cycle")
            seen.append(current.code)
            current = by_code.get(current.parent_code or "")
        base = depths[current.code] + 1 if current is not None else 0
        for offset, code in enumerate(reversed(seen)):
            depths[code] = base + offset
        return depths[record.code]

    return tuple(sorted(records, key=lambda record: (depth(record), record.row)))


def validate_roster(
    sheet: Sheet, existing: OrgSnapshot, scope: Set[str] | None
) -> RosterImportResult:
    """Check every row of a roster file; return the appointments to make or every error.

    Parameters
    ----------
    sheet : Sheet
        Columns ``code, name, gender, birth_year, post_code, unit_code, start_date,
        end_date`` (gender, birth year and end date optional). One row is one appointment.
    existing : OrgSnapshot
        Stored units, posts, cadres, and the appointments of the cadres in the file.
    scope : set of str or None
        Codes of the units the importer works on; every ``unit_code`` must be one.
        ``None`` means no restriction.

    Returns
    -------
    RosterImportResult
        The records in file order, or the errors (then no record).

    Notes
    -----
    A personnel number that is not stored creates a cadre from its first row; later
    rows with the same number must give the same name, gender and year of birth
    (``cadre_conflict_in_file``). A stored number only gets a new appointment, and only
    when the name is the stored one (``cadre_name_mismatch``): a roster is matched to
    people by number *and* name, so that a typo in a number cannot attach a post to the
    wrong person. Its stored gender and year of birth are left as they are. Township
    posts go to townships or streets, village posts to villages or communities
    (``post_level_mismatch``). The same cadre may not hold the same post in the same unit
    twice over overlapping dates, against stored appointments (``overlapping_appointment``)
    or earlier rows (``overlapping_in_file``). Dates are ``YYYY-MM-DD`` (``/`` and one-digit
    months and days are accepted); the end date, when given, is not before the start date.

    Examples
    --------
    >>> existing = OrgSnapshot(unit_kinds={"T": "township", "V": "village"},
    ...                        post_levels={"VDIR": "village"}, cadre_names={"P1": "王芳"})
    >>> sheet = Sheet.from_dicts([
    ...     {"code": "P2", "name": "李明", "gender": "男", "post_code": "VDIR",
    ...      "unit_code": "V", "start_date": "2026/3/1"},
    ...     {"code": "P1", "name": "王方", "post_code": "VDIR", "unit_code": "T",
    ...      "start_date": "2026-03-01"},
    ... ])
    >>> result = validate_roster(sheet, existing, {"T", "V"})
    >>> [(e.row, e.column, e.code) for e in result.errors]
    [(3, 'name', 'cadre_name_mismatch'), (3, 'unit_code', 'post_level_mismatch')]
    >>> validate_roster(Sheet.from_dicts(sheet.rows[:1]), existing, None).records[0].start
    datetime.date(2026, 3, 1)
    """
    missing = check_header(sheet, ROSTER_COLUMNS, ROSTER_REQUIRED_COLUMNS)
    if missing:
        return RosterImportResult((), missing)
    errors: list[RowError] = []
    records: list[RosterRecord] = []
    new_cadres: dict[str, tuple[int, str | None, str | None, int | None]] = {}
    stored_spans: dict[tuple[str, str, str], list[_Span]] = {}
    for appointment in existing.appointments:
        key = (appointment.cadre_code, appointment.post_code, appointment.unit_code)
        stored_spans.setdefault(key, []).append((appointment.start, appointment.end, None))
    file_spans: dict[tuple[str, str, str], list[_Span]] = {}

    for number, cells in zip(sheet.row_numbers, sheet.rows, strict=True):
        row = _Row(number, cells, errors)
        code = row.code("code")
        name = row.name("name", _CADRE_NAME_MAX)
        gender = _GENDER_ALIASES.get(row.text("gender").lower())
        if gender is None:
            row.error("gender", "bad_gender")
        birth_year = row.integer("birth_year", required=False)
        low, high = BIRTH_YEAR_RANGE
        if birth_year is not None and not low <= birth_year <= high:
            row.error("birth_year", "out_of_range", min=low, max=high)
            birth_year = None
        post_code = _check_post(row, existing)
        unit_code = _check_unit(row, existing, scope)
        if post_code is not None and unit_code is not None:
            allowed = POST_LEVEL_UNIT_KINDS.get(existing.post_levels[post_code], ())
            if existing.unit_kinds[unit_code] not in allowed:
                row.error("unit_code", "post_level_mismatch")
                unit_code = None
        start = row.date("start_date")
        end = row.date("end_date", required=False)
        if start is not None and end is not None and end < start:
            row.error("end_date", "end_before_start")
            end = None

        is_new = False
        if code is not None:
            if code in existing.cadre_names:
                stored_name = existing.cadre_names[code]
                if name is not None and name != stored_name:
                    row.error("name", "cadre_name_mismatch", code=code, name=stored_name)
                if code in existing.retired_cadres:
                    row.error("code", "cadre_retired")
            elif code in new_cadres:
                _check_same_cadre(row, code, new_cadres[code], (name, gender, birth_year))
            else:
                is_new = True
                new_cadres[code] = (number, name, gender, birth_year)

        # Overlaps are only meaningful once both dates are known to be valid.
        end_ok = end is not None or not row.text("end_date")
        if (
            code is not None
            and post_code is not None
            and unit_code is not None
            and start is not None
            and end_ok
        ):
            key = (code, post_code, unit_code)
            spans = [*stored_spans.get(key, []), *file_spans.get(key, [])]
            overlap = _find_overlap(start, end, spans)
            if overlap is not None:
                _, _, other_row = overlap
                if other_row is None:
                    row.error("start_date", "overlapping_appointment")
                else:
                    row.error("start_date", "overlapping_in_file", first_row=other_row)
            file_spans.setdefault(key, []).append((start, end, number))

        if (
            code is not None
            and name is not None
            and gender is not None
            and post_code is not None
            and unit_code is not None
            and start is not None
        ):
            records.append(
                RosterRecord(
                    number, code, name, gender, birth_year, post_code, unit_code, start, end, is_new
                )
            )

    if errors:
        return RosterImportResult((), _sorted(errors, ROSTER_COLUMNS))
    return RosterImportResult(tuple(records), ())


def _find_overlap(start: date, end: date | None, spans: Sequence[_Span]) -> _Span | None:
    """The first span (start, end, row) whose dates meet [start, end]; open ends run on."""
    for span in spans:
        other_start, other_end, _row = span
        if start <= (other_end or date.max) and (end or date.max) >= other_start:
            return span
    return None


def _check_post(row: _Row, existing: OrgSnapshot) -> str | None:
    post_code = row.required("post_code")
    if post_code is None:
        return None
    if post_code not in existing.post_levels:
        row.error("post_code", "unknown_post_code", code=post_code)
        return None
    if post_code in existing.retired_posts:
        row.error("post_code", "post_retired")
        return None
    return post_code


def _check_unit(row: _Row, existing: OrgSnapshot, scope: Set[str] | None) -> str | None:
    unit_code = row.required("unit_code")
    if unit_code is None:
        return None
    if unit_code not in existing.unit_kinds:
        row.error("unit_code", "unknown_unit_code", code=unit_code)
        return None
    if scope is not None and unit_code not in scope:
        row.error("unit_code", "out_of_scope", code=unit_code)
        return None
    if unit_code in existing.retired_units:
        row.error("unit_code", "unit_retired")
        return None
    return unit_code


def _check_same_cadre(
    row: _Row,
    code: str,
    first: tuple[int, str | None, str | None, int | None],
    this: tuple[str | None, str | None, int | None],
) -> None:
    """A new cadre named on several rows must be described the same way on each."""
    first_row, *details = first
    for column, before, now in zip(("name", "gender", "birth_year"), details, this, strict=True):
        if before is not None and now is not None and before != now:
            row.error(column, "cadre_conflict_in_file", code=code, first_row=first_row)
