"""DESIGN section 5, checked on the schema: who took part and what they answered are
stored apart, with nothing to join them, no order of arrival and no time finer than a day.
"""

from __future__ import annotations

import logging
import re
from collections import deque

import sqlalchemy as sa

from assessment.app.db import db as _db
from surveys.models import surveys as models

PARTICIPATION = {"survey_access_codes", "survey_code_batches"}
CONTENT = {"survey_responses", "survey_answers"}
# Shared reference data: knowing a response's survey, unit or question names no one.
REFERENCE = {
    "surveys",
    "survey_targets",
    "survey_questions",
    "survey_assignments",
    "survey_seals",
    "unit",
    "cadre",
    "period",
    "post",
    "appointment",
}


def _edges(metadata: sa.MetaData) -> dict[str, set[str]]:
    """Tables linked by a foreign key or by a column of the same name outside reference data."""
    tables = {name: table for name, table in metadata.tables.items() if name not in REFERENCE}
    edges: dict[str, set[str]] = {name: set() for name in tables}
    for name, table in tables.items():
        for fk in table.foreign_keys:
            other = fk.column.table.name
            if other in tables:
                edges[name].add(other)
                edges[other].add(name)
    # a voter group, like a unit, is what is known of a response (issue 14), naming no one
    reference_keys = {
        "id",
        "survey_id",
        "unit_id",
        "voter_group",
        "question_id",
        "target_id",
        "used",
    }
    for (a, ta), (b, tb) in ((x, y) for x in tables.items() for y in tables.items() if x[0] < y[0]):
        shared = ({c.name for c in ta.columns} & {c.name for c in tb.columns}) - reference_keys
        if shared:
            edges[a].add(b)
            edges[b].add(a)
    return edges


def test_no_join_path_between_participation_and_responses(app):
    edges = _edges(_db.metadata)
    seen, queue = set(PARTICIPATION), deque(PARTICIPATION)
    while queue:
        for other in edges.get(queue.popleft(), ()):
            if other not in seen:
                seen.add(other)
                queue.append(other)
    assert not seen & CONTENT, f"join path from the code table to {sorted(seen & CONTENT)}"
    # Sanity: the walk does find links that exist (answers → responses, codes → batches).
    assert "survey_answers" in edges["survey_responses"]
    assert "survey_code_batches" in edges["survey_access_codes"]


def test_the_walk_would_catch_a_foreign_key_added_later(app):
    metadata = sa.MetaData()
    for table in _db.metadata.tables.values():
        table.to_metadata(metadata)
    sa.Table(
        "sneaky",
        metadata,
        sa.Column("code_id", sa.ForeignKey("survey_access_codes.id")),
        sa.Column("response_id", sa.ForeignKey("survey_responses.id")),
    )
    assert "sneaky" in _edges(metadata)["survey_responses"]
    assert "sneaky" in _edges(metadata)["survey_access_codes"]


def test_response_tables_reveal_no_order_and_no_time_finer_than_a_day(app):
    with app.app_context():
        inspector = sa.inspect(_db.engine)
        for name in CONTENT:
            table = _db.metadata.tables[name]
            for column in table.primary_key.columns:
                assert not isinstance(column.type, sa.Integer), (
                    f"{name}.{column.name} is sequential"
                )
            for column in table.columns:
                assert not isinstance(column.type, sa.DateTime), f"{name}.{column.name} is a time"
                assert column.name not in {
                    "ip",
                    "ip_address",
                    "session",
                    "cookie",
                    "code_hash",
                    "user_agent",
                    "created_at",
                    "batch_id",
                    "claim_key",
                    "submission_id",
                    "duration_s",
                }
            assert table.dialect_options["sqlite"]["with_rowid"] is False
            assert {c["name"] for c in inspector.get_columns(name)} == {
                c.name for c in table.columns
            }
        if _db.engine.dialect.name == "sqlite":
            for name in CONTENT:
                sql = _db.session.execute(
                    sa.text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": name}
                ).scalar_one()
                assert "WITHOUT ROWID" in sql
    codes = _db.metadata.tables["survey_access_codes"]
    assert {c.name for c in codes.columns} == {
        "id",
        "survey_id",
        "batch_id",
        "code_hash",
        "used",
        "claim_key",
    }
    # Time on a response: the day and a coarse band, never seconds or a raw form id.
    responses = _db.metadata.tables["survey_responses"]
    assert {"submitted_on", "duration_band_s", "submission_key"} <= set(responses.c.keys())


def test_responses_and_codes_are_not_audited_one_by_one():
    for model in (models.Response, models.Answer, models.AccessCode, models.PaperReceipt):
        assert model.__audit_exempt__
    assert not getattr(models.SurveySeal, "__audit_exempt__", None)
    assert not getattr(models.CodeBatch, "__audit_exempt__", None)


def test_a_resident_journey_logs_no_code_and_no_address(client, open_survey, caplog):
    code = open_survey["codes"][0]
    caplog.set_level(logging.DEBUG)
    client.get(f"/s/{open_survey['short_id']}/{code}", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    page = client.post(
        f"/s/{open_survey['short_id']}",
        data={"code": code},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    ).get_data(as_text=True)
    fields = dict(re.findall(r'name="(entry|carried|step)"[^>]*value="([^"]*)"', page))
    done = client.post(
        f"/s/{open_survey['short_id']}/answer",
        data={**fields, "q_overall__t1": "4", "nav": "confirm"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert done.status_code == 200
    logged = caplog.text
    assert code not in logged and "203.0.113.9" not in logged
