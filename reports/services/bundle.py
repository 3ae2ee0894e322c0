"""The open-data bundle of a result version, from the database (format: docs/open-data.md).

:func:`build_bundle` reads one result version (its canonical inputs, stored result and
rulebook) and the period's closed surveys, and hands plain data to
:mod:`reports.core.bundle`, which writes the files. Before the manifest is written the
bundle is recomputed exactly as ``python -m reports.recompute`` would, and the
manifest says whether ``results.csv`` came back byte for byte (``"reproduced"``).

Reads only: nothing here writes to the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from assessment.core.cells import encode_csv
from assessment.core.errors import AssessmentError
from assessment.models import Period, ResultVersion
from assessment.services import results as results_service
from assessment.services.queries import NotFoundError
from assessment.services.rulebook_io import dump_rulebook_yaml
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
from reports.render.context import software_version
from surveys.services import queries as survey_queries


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
    for survey in survey_queries.list_closed_surveys(session, period):
        scored = survey_queries.list_scored_responses(session, survey)
        if not scored.questions:
            continue
        survey_key = str(survey.id)
        questions += [
            QuestionRecord(survey_key, q.code, q.kind, q.points, q.text_zh, q.text_en)
            for q in scored.questions
        ]
        targets = {t.id: t for t in survey.targets}
        for row, target_id in enumerate(scored.target_ids):
            # "don't know" rows are in no index (surveys.services.results_source leaves them out)
            if scored.excluded[row] or scored.scores.dont_know[row] or target_id not in targets:
                continue
            target = targets[target_id]
            if target.kind == "cadre":
                target_key = str(target.cadre_id)
            elif target.kind == "unit":
                target_key = str(target.unit_id)
            else:
                target_key = target.code
            values: dict[str, int | None] = {
                q.code: int(value)
                for q, value in zip(scored.questions, scored.answers[row], strict=True)
                if not math.isnan(value)
            }
            responses.append(
                ResponseRecord(
                    survey=survey_key,
                    response=scored.response_ids[row],
                    target_kind=target.kind,
                    target=target_key,
                    unit=str(scored.unit_ids[row]),
                    day=scored.days[row].isoformat(),
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
