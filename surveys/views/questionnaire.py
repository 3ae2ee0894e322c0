"""The printable paper questionnaire of a survey, as plain data for its PDF template.

Every digit printed comes from the functions the clerk's entry screen checks and decodes
with (:func:`surveys.services.paper.digit_range`, :func:`surveys.services.paper.decode_answer`,
:data:`surveys.services.paper.DONT_KNOW_DIGITS`), so the paper and the screen cannot drift apart:
each printed option carries the digit to type and the answer value that digit stores.

Grade ballots (民主测评) print as one table per ballot question with every target as a
row and a box per grade; the other questions print per target, then the questions asked
once. A survey of grade ballots only prints as the numbered ballots of a meeting
(:attr:`Questionnaire.is_meeting_ballot`): the same serials, digits and double entry,
a compact sheet naming the batch's voter group. Labels are whatever the current locale
gives; the view renders in Chinese.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _

from surveys.forms import BALLOT_LABELS, LIKERT5_LABELS
from surveys.services import paper
from surveys.services.queries import ResidentItem

#: Most questionnaires in one PDF (a batch is printed in parts of this size).
MAX_COPIES_PER_PDF = 200


@dataclass(frozen=True, slots=True)
class PrintedOption:
    """One printed choice: the digit the clerk types and the answer it stores."""

    digit: str
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class PrintedItem:
    """A question as printed: its entry-screen field, wording and options (none: text)."""

    field_name: str
    kind: str
    text: str
    options: tuple[PrintedOption, ...]


@dataclass(frozen=True, slots=True)
class TargetBlock:
    """The questions about one target, outside the grade-ballot tables."""

    label: str
    items: tuple[PrintedItem, ...]


@dataclass(frozen=True, slots=True)
class BallotRow:
    label: str
    field_name: str


@dataclass(frozen=True, slots=True)
class BallotTable:
    """One grade-ballot question: a row per target, a column (and a box) per grade."""

    text: str
    columns: tuple[PrintedOption, ...]
    rows: tuple[BallotRow, ...]


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """What a resident of one unit is asked, laid out for paper."""

    targets: tuple[TargetBlock, ...]
    ballots: tuple[BallotTable, ...]
    once: tuple[PrintedItem, ...]

    @property
    def is_meeting_ballot(self) -> bool:
        """Only grade ballots: a democratic evaluation's ballot (民主测评票) for a meeting,
        every rated cadre a row of one table, printed compact."""
        return bool(self.ballots) and not self.targets and not self.once

    @property
    def items(self) -> tuple[PrintedItem, ...]:
        """Every printed question except the ballot rows, in printed order."""
        return tuple(i for block in self.targets for i in block.items) + self.once


@dataclass(frozen=True, slots=True)
class PrintedCopy:
    """One numbered questionnaire: the serial and batch the clerk types from it."""

    serial: str
    batch: str


def _level_label(item: ResidentItem, digit: str, low: int, high: int) -> str:
    if item.kind == "likert" and high - low + 1 == 5:
        return str(LIKERT5_LABELS[int(digit) - low])
    if int(digit) == low:
        return str(_("very dissatisfied"))
    if int(digit) == high:
        return str(_("very satisfied"))
    return ""


def printed_options(item: ResidentItem) -> tuple[PrintedOption, ...]:
    """The options of an item in printed order, each with its entry digit and value."""
    bounds = paper.digit_range(item)
    if bounds is None:
        return ()
    low, high = bounds
    options = []
    for number in range(low, high + 1):
        digit = str(number)
        value = paper.decode_answer(item, digit)
        if item.kind in ("likert", "scale10"):
            label = _level_label(item, digit, low, high)
        elif item.kind == "ballot":
            label = str(BALLOT_LABELS.get(value, value))
        else:
            label = next(zh for code, zh, _en in item.options if code == value)
        options.append(PrintedOption(digit, label, value))
    if item.dont_know:
        digit = paper.DONT_KNOW_DIGITS
        options.append(PrintedOption(digit, _("Don't know"), paper.decode_answer(item, digit)))
    return tuple(options)


def _printed(item: ResidentItem) -> PrintedItem:
    return PrintedItem(item.field_name, item.kind, item.text_zh, printed_options(item))


def build_questionnaire(items: Sequence[ResidentItem]) -> Questionnaire:
    """Lay out what a unit's residents answer (``surveys.services.queries.list_items``) for
    paper."""
    blocks: dict[int, list[PrintedItem]] = {}
    labels: dict[int, str] = {}
    ballots: dict[int, tuple[ResidentItem, list[BallotRow]]] = {}
    once = []
    for item in items:
        if item.target_id is None:
            once.append(_printed(item))
        elif item.kind == "ballot":
            _first, rows = ballots.setdefault(item.question_id, (item, []))
            rows.append(BallotRow(item.target_label_zh, item.field_name))
        else:
            labels[item.target_id] = item.target_label_zh
            blocks.setdefault(item.target_id, []).append(_printed(item))
    return Questionnaire(
        targets=tuple(TargetBlock(labels[t], tuple(printed)) for t, printed in blocks.items()),
        ballots=tuple(
            BallotTable(first.text_zh, printed_options(first), tuple(rows))
            for first, rows in ballots.values()
        ),
        once=tuple(once),
    )


def batch_copies(batch_id: int, size: int, *, first: int = 1) -> tuple[PrintedCopy, ...]:
    """Numbered copies ``first ..`` of a code batch (at most :data:`MAX_COPIES_PER_PDF`).

    The serial is ``<batch>-<number>``: unique in the survey because batch ids are, and
    the same on a reprint, so a reprinted sheet is recognised as the same ballot.
    """
    last = min(size, first + MAX_COPIES_PER_PDF - 1)
    return tuple(
        PrintedCopy(f"{batch_id}-{number:04d}", str(batch_id)) for number in range(first, last + 1)
    )
