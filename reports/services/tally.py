"""The tally sheet (计票单) of a closed ballot survey: read, count, render, verify.

The one pipeline of the other reports (STYLE.md section 7), for a survey instead of a
result version: the survey's counted ballot sheets (``surveys.services.queries.list_ballot_sheets``)
and the rules of the rulebook indicator that names the survey → ``reports.core.tally``
→ (``reports.views.reports.tally_sheet``) ``templates/reports/tally.html`` →
``reports.render.pdf.html_to_pdf``. Its verification code (``<survey id>-T-<check>``,
:mod:`reports.core.codes`) binds the printed counts; the verify page re-counts the
stored sheets and compares (:func:`tally_fields_of`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from assessment.core.ballots import DEFAULT_COEFFICIENTS, BallotBands, BallotValidity
from assessment.core.precision import DEFAULT_PRECISION, Precision
from assessment.core.rulebook import Indicator, Rulebook
from assessment.services.inputs import find_rulebook
from reports.core.codes import ReportKind, make_verification_code
from reports.core.tally import TallyRow, tally_fields, tally_rows
from reports.services.documents import ReportNotFoundError
from surveys.models.surveys import Survey
from surveys.services.queries import list_ballot_sheets

__all__ = ["TallySheet", "read_tally", "tally_code", "tally_fields_of", "tally_filename"]


@dataclass(frozen=True, slots=True)
class TallySheet:
    """A closed ballot survey counted: its rows, fields and the rules it was counted by."""

    survey: Survey
    rows: list[TallyRow]
    labels: dict[str, tuple[str, str]]
    fields: tuple[tuple[str, str], ...]
    sheets: int
    indicator: Indicator | None
    validity: BallotValidity | None
    bands: BallotBands | None
    precision: Precision


def _ballot_indicator(rulebook: Rulebook | None, code: str | None) -> Indicator | None:
    """The rulebook's ballot indicator that names the survey's code (first found)."""
    if rulebook is None or code is None:
        return None
    for indicator_set in rulebook.indicator_sets:
        for indicator in indicator_set.indicators:
            sources = indicator.sources
            if sources is not None and sources.method == "ballot" and code in sources.surveys:
                return indicator
    return None


def read_tally(session: Session, survey: Survey) -> TallySheet:
    """Count a closed survey's ballot sheets by the rules of the indicator naming it.

    Raises
    ------
    ReportNotFoundError
        The survey is not closed, or has no grade-ballot question.
    """
    if survey.status != "closed":
        raise ReportNotFoundError("closed survey", survey.id)
    rulebook = find_rulebook(session, survey.period)
    indicator = _ballot_indicator(rulebook, survey.code)
    sources = indicator.sources if indicator is not None else None
    ids = [
        q.id
        for q in survey.questions
        if q.kind == "ballot"
        and (sources is None or not sources.questions or q.code in sources.questions)
    ]
    if not ids:
        raise ReportNotFoundError("ballot question", survey.id)
    sheets = [
        {str(target): grade for target, grade in sheet.items()}
        for sheet in list_ballot_sheets(session, survey, ids)
    ]
    targets = sorted(survey.targets, key=lambda t: t.id)
    precision = rulebook.precision if rulebook is not None else DEFAULT_PRECISION
    rows = tally_rows(
        sheets,
        [str(t.id) for t in targets],
        validity=sources.validity if sources is not None else None,
        coefficients=sources.coefficient_of if sources is not None else DEFAULT_COEFFICIENTS,
        bands=sources.bands if sources is not None else None,
        precision=precision,
    )
    return TallySheet(
        survey=survey,
        rows=rows,
        labels={str(t.id): (t.label_zh, t.label_en or t.label_zh) for t in targets},
        fields=tally_fields(
            rows,
            survey_id=survey.id,
            survey_code=survey.code or "",
            voter_group=survey.voter_group,
            sheets=len(sheets),
            precision=precision,
        ),
        sheets=len(sheets),
        indicator=indicator,
        validity=sources.validity if sources is not None else None,
        bands=sources.bands if sources is not None else None,
        precision=precision,
    )


def tally_fields_of(session: Session, survey_id: int) -> tuple[Survey, tuple[tuple[str, str], ...]]:
    """The survey and its tally sheet's fields re-counted now (for the verify page).

    Raises
    ------
    LookupError
        No such survey, or it is not a closed ballot survey.
    """
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise LookupError("unknown_survey")
    try:
        return survey, read_tally(session, survey).fields
    except ReportNotFoundError:
        raise LookupError("unknown_survey") from None


def tally_code(tally: TallySheet) -> str:
    """The verification code printed on the sheet: ``<survey id>-T-<check>``."""
    return make_verification_code(
        version_id=tally.survey.id, kind=str(ReportKind.TALLY), cadre_id=None, fields=tally.fields
    )


def tally_filename(survey: Survey, lang: str) -> str:
    """``tally-s12-zh_CN.pdf``: ASCII only."""
    return f"tally-s{survey.id}-{lang}.pdf"
