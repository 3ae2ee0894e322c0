"""The open-data bundle of a result version, from the database (format: docs/open-data.md).

:func:`build_bundle` reads one result version (its canonical inputs, stored result and
rulebook) and the period's closed surveys, and hands plain data to
:mod:`reports.core.bundle`, which writes the files. Before the manifest is written the
bundle is recomputed exactly as ``python -m reports.recompute`` would, and the
manifest says whether ``results.csv`` came back byte for byte (``"reproduced"``).

Reads only: nothing here writes to the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.cells import encode_csv
from assessment.core.errors import AssessmentError
from assessment.models import Period, ResultVersion
from assessment.queries import NotFoundError
from assessment.rulebook_io import dump_rulebook_yaml
from assessment.services import results as results_service
from reports.context import software_version
from reports.core.bundle import (
    CHECKSUMS,
    FORMAT,
    MANIFEST,
    QuestionRecord,
    ResponseRecord,
    checksums_text,
    input_tables,
    manifest_json,
    responses_tables,
    results_csv,
    write_zip,
)
from reports.recompute import recompute_results
from surveys.models import Answer, Response, Survey
from surveys.paper import excluded_ids
from surveys.results_source import SCORED_KINDS


class NoResultsError(AssessmentError):
    """The period has no result version (``code``: ``no_results``)."""

    code = "no_results"


@dataclass(frozen=True, slots=True)
class Bundle:
    """A built bundle: the zip, its file name and its manifest."""

    data: bytes
    filename: str
    manifest: dict[str, Any]

    @property
    def reproduced(self) -> bool:
        """The builder's own recompute gave back ``results.csv`` byte for byte."""
        return bool(self.manifest.get("reproduced"))


def bundle_version(session: Session, period: Period, number: int | None) -> ResultVersion:
    """The version a bundle is made of: ``number``, else the final one, else the newest.

    Raises
    ------
    NoResultsError
        The period has no version.
    NotFoundError
        ``number`` does not exist.
    """
    if number is not None:
        return results_service.get_version(session, period.id, number)
    if period.final_version_number is not None:
        return results_service.get_version(session, period.id, period.final_version_number)
    versions = results_service.list_versions(session, period.id)
    if not versions:
        raise NoResultsError("no result version")
    return versions[0]


def _points(question_settings: str, kind: str) -> int:
    if kind == "scale10":
        return 11
    return int(json.loads(question_settings or "{}").get("points", 5))


def survey_records(
    session: Session, period: Period
) -> tuple[list[ResponseRecord], list[QuestionRecord]]:
    """Counted responses of the period's closed surveys, per target, scored items only.

    Excluded responses are left out (they are not counted in the results). Nothing
    that could join a response to a participation is read: no receipt, submission id,
    paper serial or batch, duration, or channel; only the day.
    """
    responses: list[ResponseRecord] = []
    questions: list[QuestionRecord] = []
    surveys = session.scalars(
        sa.select(Survey)
        .where(Survey.period_id == period.id, Survey.status == "closed")
        .order_by(Survey.id)
    ).all()
    for survey in surveys:
        scored = {q.id: q for q in survey.questions if q.kind in SCORED_KINDS}
        if not scored:
            continue
        survey_key = str(survey.id)
        questions += [
            QuestionRecord(
                survey_key, q.code, q.kind, _points(q.settings, q.kind), q.text_zh, q.text_en
            )
            for q in scored.values()
        ]
        targets = {t.id: t for t in survey.targets}
        excluded = excluded_ids(session, survey.id)
        meta = {
            response_id: (unit_id, day)
            for response_id, unit_id, day in session.execute(
                sa.select(Response.id, Response.unit_id, Response.submitted_on).where(
                    Response.survey_id == survey.id
                )
            )
        }
        answers: dict[tuple[str, int], dict[str, int | None]] = {}
        rows = session.execute(
            sa.select(Answer.response_id, Answer.target_id, Answer.question_id, Answer.value_int)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.survey_id == survey.id, Answer.target_id.is_not(None))
        )
        for response_id, target_id, question_id, value in rows:
            if response_id in excluded or target_id not in targets:
                continue
            values = answers.setdefault((response_id, target_id), {})
            question = scored.get(question_id)
            if question is not None:
                values[question.code] = value
        for (response_id, target_id), values in answers.items():
            target = targets[target_id]
            if target.kind == "cadre":
                target_key = str(target.cadre_id)
            elif target.kind == "unit":
                target_key = str(target.unit_id)
            else:
                target_key = target.code
            unit_id, day = meta[response_id]
            responses.append(
                ResponseRecord(
                    survey=survey_key,
                    response=response_id,
                    target_kind=target.kind,
                    target=target_key,
                    unit=str(unit_id),
                    day=day.isoformat(),
                    values=values,
                )
            )
    return responses, questions


def build_bundle(
    session: Session,
    *,
    period: Period,
    version_number: int | None = None,
    today: date,
) -> Bundle:
    """The open-data bundle of one result version of a period (see docs/open-data.md).

    Raises
    ------
    NoResultsError, NotFoundError
        As :func:`bundle_version`.
    """
    version = bundle_version(session, period, version_number)
    payload = results_service.payload_of(version)
    rulebook = results_service.rulebook_of_version(version)
    min_group_size = int(period.min_group_size)
    files_text, surveys = input_tables(
        payload["inputs"],
        payload["result"],
        unit_names=results_service.unit_names(session, period),
        post_stratification=rulebook.aggregation.post_stratification,
        min_group_size=min_group_size,
    )
    responses, questions = survey_records(session, period)
    responses_text, questions_text, rows_left_out = responses_tables(
        responses, questions, min_group_size=min_group_size
    )
    published = results_csv(payload["result"])
    # CSV files carry the byte-order mark, so that Excel opens them as UTF-8.
    files = {
        name: encode_csv(text) if name.endswith(".csv") else text.encode("utf-8")
        for name, text in {
            **files_text,
            "rulebook.yaml": dump_rulebook_yaml(rulebook, digest=version.rules_digest),
            "responses.csv": responses_text,
            "questions.csv": questions_text,
            "results.csv": published,
        }.items()
    }
    try:
        recomputed, _digest = recompute_results(files)
        reproduced = recomputed == published
    except AssessmentError:
        reproduced = False
    is_final = period.final_version_number == version.number
    manifest = {
        "format": FORMAT,
        "period": {"id": period.id, "name": period.name, "year": period.year},
        "version": {
            "id": version.id,
            "number": version.number,
            "computed_on": version.created_at.date().isoformat(),
            "final": is_final,
        },
        "rules_digest": version.rules_digest,
        "data_digest": version.data_digest,
        "software_version": software_version(),
        "generated_on": today.isoformat(),
        "min_group_size": min_group_size,
        "post_stratification": rulebook.aggregation.post_stratification,
        # results.csv is written at the rulebook's declared precision (issue 13)
        "precision": {
            "places": rulebook.precision.places,
            "rounding": rulebook.precision.rounding.value,
        },
        "suppressed": {
            "responses_rows": rows_left_out,
            "survey_score_units_blanked": surveys.blanked_groups,
            "unreproducible_survey_targets": [list(k) for k in surveys.unreproducible],
        },
        "reproduced": reproduced,
        "recompute": "python -m reports.recompute BUNDLE.zip",
    }
    files[MANIFEST] = manifest_json(files, manifest)
    files[CHECKSUMS] = checksums_text(files)
    folder = f"open-data-period{period.id}-v{version.number}"
    data = write_zip(files, folder=folder, day=(today.year, today.month, today.day))
    return Bundle(data=data, filename=f"{folder}.zip", manifest=manifest)


__all__ = [
    "Bundle",
    "NoResultsError",
    "NotFoundError",
    "build_bundle",
    "bundle_version",
    "survey_records",
]
