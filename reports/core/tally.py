"""The tally sheet (计票单) of a closed ballot survey: rows per cadre and printed fields.

Pure: plain data in and out. ``reports.services.tally`` reads the survey's ballot sheets and the
rulebook's rules for them, and renders the PDF.

Per rated target (a cadre, or a unit): votes per grade, abstentions, invalid sheets
(voided by the rulebook's ``validity``), flagged sheets, valid ballots, each grade's
share of the valid ballots, and the group score by the rulebook's method (coefficients
or vote-share bands, :func:`assessment.core.ballots.compute_ballot_result` with this
survey's voter group alone). Every number printed is also a verification field, so the
code binds the sheet to the stored ballots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assessment.core.ballots import (
    DEFAULT_COEFFICIENTS,
    EVERY_SHEET,
    GRADE_CODES,
    BallotBands,
    BallotValidity,
    GroupBallots,
    compute_ballot_result,
    tally_sheets,
)
from assessment.core.precision import DEFAULT_PRECISION, Precision

__all__ = ["TallyRow", "tally_fields", "tally_rows"]


@dataclass(frozen=True, slots=True)
class TallyRow:
    """One target's line on the tally sheet.

    Parameters
    ----------
    target : str
        Target key (its id as text).
    votes : tuple of (str, int, float)
        Grade, votes and share of the valid ballots (0 when there is none), best first.
    abstentions, invalid, flagged, valid : int
        Counted abstentions, voided sheets, flagged (counted) sheets, valid ballots.
    score : float or None
        The group score published; ``None`` without a valid ballot.
    """

    target: str
    votes: tuple[tuple[str, int, float], ...]
    abstentions: int
    invalid: int
    flagged: int
    valid: int
    score: float | None


def tally_rows(
    sheets: Sequence[Mapping[str, str | None]],
    targets: Sequence[str],
    *,
    validity: BallotValidity | None = None,
    coefficients: Mapping[str, float] = DEFAULT_COEFFICIENTS,
    bands: BallotBands | None = None,
    precision: Precision = DEFAULT_PRECISION,
) -> list[TallyRow]:
    """Count a survey's ballot sheets per target, as the results engine does.

    Parameters
    ----------
    sheets : sequence of mapping of str to str or None
        One per counted response and ballot question: target to grade (``None``
        abstains).
    targets : sequence of str
        Every target of the survey, in printed order (one with no ballot gets a row of
        zeros).
    validity, coefficients, bands, precision
        From the rulebook's ballot indicator naming the survey (defaults otherwise).

    Returns
    -------
    list of TallyRow

    Examples
    --------
    >>> rows = tally_rows([{"a": "excellent"}, {"a": "competent"}, {"a": None}], ["a", "b"])
    >>> rows[0].valid, rows[0].abstentions, rows[0].score, rows[0].votes[0]
    (2, 1, 90.0, ('excellent', 1, 0.5))
    >>> rows[1].score is None
    True
    """
    counted = tally_sheets(sheets, validity or EVERY_SHEET)
    rows = []
    for target in targets:
        tally = counted.get(target)
        votes = dict(tally.votes) if tally is not None else {}
        result = compute_ballot_result(
            [GroupBallots("g", votes)],
            [("g", 1)],
            coefficients=coefficients,
            precision=precision,
            bands=bands,
            rules=(),
        )
        (group,) = result.groups
        rows.append(
            TallyRow(
                target=target,
                votes=tuple(
                    (
                        grade,
                        n,
                        precision.publish_share(n / group.valid) if group.valid else 0.0,
                    )
                    for grade, n in group.votes
                ),
                abstentions=tally.abstentions if tally is not None else 0,
                invalid=tally.invalid if tally is not None else 0,
                flagged=tally.flagged if tally is not None else 0,
                valid=group.valid,
                score=group.score,
            )
        )
    return rows


def tally_fields(
    rows: Sequence[TallyRow],
    *,
    survey_id: int,
    survey_code: str,
    voter_group: str,
    sheets: int,
    precision: Precision = DEFAULT_PRECISION,
) -> tuple[tuple[str, str], ...]:
    """The verification fields of a tally sheet, language-neutral.

    ``target <id>`` → ``优秀/称职/基本称职/不称职/abstain/invalid/flagged/valid/score``
    counts, e.g. ``"3/2/0/1/1/0/0/6/76.67"``.

    Examples
    --------
    >>> rows = tally_rows([{"7": "excellent"}], ["7"])
    >>> tally_fields(rows, survey_id=4, survey_code="mz", voter_group="staff", sheets=1)[-1]
    ('target 7', '1/0/0/0/0/0/0/1/100.00')
    """
    fields: list[tuple[str, str]] = [
        ("survey", str(survey_id)),
        ("survey_code", survey_code),
        ("voter_group", voter_group),
        ("sheets", str(sheets)),
        ("grades", "/".join((*GRADE_CODES, "abstain", "invalid", "flagged", "valid", "score"))),
    ]
    for row in rows:
        counts = [str(n) for _, n, _ in row.votes]
        counts += [str(row.abstentions), str(row.invalid), str(row.flagged), str(row.valid)]
        counts.append(precision.format(row.score) if row.score is not None else "-")
        fields.append((f"target {row.target}", "/".join(counts)))
    return tuple(fields)
