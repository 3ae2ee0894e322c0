"""unlinkable survey storage

Issue 11, resident side. The code row keeps a keyed-hash claim of the form that used it
(``claim_key``); the response keeps a different keyed hash of the form's submission id
(``submission_key``) instead of the raw id, and its time as a coarse band
(``duration_band_s``) instead of whole seconds; ``survey_code_failures`` counts wrong
codes per survey for the guessing alarm.

Existing rows: durations become their band (the edges of
``surveys.core.quality.DURATION_BAND_EDGES``, copied here as they are today); raw
submission ids are dropped (forms rendered before the upgrade no longer open, so a
resident mid-form re-enters the code). A closed survey's seal covered the raw ids and
the seconds, so each seal that still verified before the change is recomputed over the
converted rows and the change is appended to the audit chain as a system entry naming
both digests; a seal that did not verify is left as it was (it keeps saying so).

Downgrade puts the band's lower bound back as ``duration_s`` and draws new random
submission ids; seals of closed surveys do not verify after a downgrade.

Revision ID: 9d922086693c
Revises: fc94533121b4
Create Date: 2026-12-05 16:55:35.339612

"""

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import assessment.app.db
from assessment.core.digest import (
    GENESIS_HASH,
    canonical_json,
    compute_entry_hash,
    sha256_hex,
)

# revision identifiers, used by Alembic.
revision = "9d922086693c"
down_revision = "f95d7a7e1c6d"
branch_labels = None
depends_on = None

BAND_EDGES = (
    0, 10, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 960, 1440, 1920, 2880,
    3600, 5400, 7200, 10800, 14400, 21600, 28800, 43200, 86400,
)  # fmt: skip
REASON = (
    "migration 9d922086693c (issue 11): response times coarsened to bands and raw "
    "submission ids dropped; the seal is recomputed over the converted rows"
)

responses = sa.table(
    "survey_responses",
    sa.column("id", sa.String),
    sa.column("survey_id", sa.Integer),
    sa.column("unit_id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("submitted_on", sa.Date),
    sa.column("receipt", sa.String),
    sa.column("submission_id", sa.String),
    sa.column("content_digest", sa.String),
    sa.column("duration_s", sa.Integer),
    sa.column("duration_band_s", sa.Integer),
    sa.column("paper_serial", sa.String),
    sa.column("paper_batch", sa.String),
)
answers = sa.table(
    "survey_answers",
    sa.column("response_id", sa.String),
    sa.column("item", sa.String),
    sa.column("question_id", sa.Integer),
    sa.column("target_id", sa.Integer),
    sa.column("value_int", sa.Integer),
    sa.column("value_text", sa.Text),
)
seals = sa.table(
    "survey_seals",
    sa.column("id", sa.Integer),
    sa.column("survey_id", sa.Integer),
    sa.column("sealed_at", assessment.app.db.UTCDateTime()),
    sa.column("response_count", sa.Integer),
    sa.column("digest", sa.String),
)
audit = sa.table(
    "audit_entry",
    sa.column("seq", sa.Integer),
    sa.column("at", assessment.app.db.UTCDateTime()),
    sa.column("actor_id", sa.Integer),
    sa.column("actor_name", sa.String),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
    sa.column("before", sa.Text),
    sa.column("after", sa.Text),
    sa.column("reason", sa.Text),
    sa.column("prev_hash", sa.String),
    sa.column("entry_hash", sa.String),
)


def _response_set_digest(connection: sa.Connection, survey_id: int, *, old: bool) -> str:
    """The seal's digest as surveys.services.surveys computed it before (old) or after this change."""
    by_response: dict[str, list[dict[str, Any]]] = {}
    for row in connection.execute(
        sa.select(answers)
        .join(responses, responses.c.id == answers.c.response_id)
        .where(responses.c.survey_id == survey_id)
        .order_by(answers.c.response_id, answers.c.item)
    ):
        by_response.setdefault(row.response_id, []).append(
            {
                "item": row.item,
                "question": row.question_id,
                "target": row.target_id,
                "int": row.value_int,
                "text": row.value_text,
            }
        )
    c = responses.c
    stored_then = [c.submission_id, c.duration_s] if old else [c.duration_band_s]
    records = []
    for r in connection.execute(
        sa.select(
            c.id,
            c.unit_id,
            c.channel,
            c.submitted_on,
            c.receipt,
            c.content_digest,
            c.paper_serial,
            c.paper_batch,
            *stored_then,
        )
        .where(c.survey_id == survey_id)
        .order_by(c.id)
    ):
        record: dict[str, Any] = {
            "id": r.id,
            "unit": r.unit_id,
            "channel": r.channel,
            "on": r.submitted_on.isoformat(),
            "receipt": r.receipt,
        }
        if old:
            record.update(submission=r.submission_id, digest=r.content_digest)
            record["duration"] = r.duration_s
        else:
            record.update(digest=r.content_digest, duration_band=r.duration_band_s)
        record.update(serial=r.paper_serial, paper_batch=r.paper_batch)
        record["answers"] = by_response.get(r.id, [])
        records.append(record)
    receipts = sorted(str(record["receipt"]) for record in records)
    document = {"survey": survey_id, "responses": records, "receipts": receipts}
    return sha256_hex(canonical_json(document))


def _seal_snapshot(seal: Any, digest: str) -> dict[str, Any]:
    return {
        "id": seal.id,
        "survey_id": seal.survey_id,
        "sealed_at": seal.sealed_at.isoformat(),
        "response_count": seal.response_count,
        "digest": digest,
    }


def _append_audit_entry(connection: sa.Connection, seal: Any, old: str, new: str) -> None:
    head = connection.execute(
        sa.select(audit.c.seq, audit.c.entry_hash).order_by(audit.c.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)
    at = datetime.now(UTC).replace(microsecond=0)
    content = {
        "seq": seq + 1,
        "at": at.isoformat(),
        "actor_id": None,
        "actor_name": "system",
        "action": "survey_seals.update",
        "object_type": "survey_seals",
        "object_id": str(seal.id),
        "before": canonical_json(_seal_snapshot(seal, old)),
        "after": canonical_json(_seal_snapshot(seal, new)),
        "reason": REASON,
    }
    entry_hash = compute_entry_hash(content, prev_hash)
    connection.execute(
        sa.insert(audit).values(**{**content, "at": at}, prev_hash=prev_hash, entry_hash=entry_hash)
    )


def _band_case() -> sa.ColumnElement[Any]:
    whens = [(responses.c.duration_s >= edge, edge) for edge in reversed(BAND_EDGES[1:])]
    return sa.case(*whens, else_=0)


def upgrade():
    op.create_table(
        "survey_code_failures",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("bucket_start", assessment.app.db.UTCDateTime(), nullable=False),
        sa.Column("wrong_codes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "wrong_codes >= 0", name=op.f("ck_survey_code_failures_count_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_code_failures_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("survey_id", "bucket_start", name=op.f("pk_survey_code_failures")),
    )
    with op.batch_alter_table("survey_access_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_key", sa.String(length=64), nullable=True))
    with op.batch_alter_table("survey_responses", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("duration_band_s", sa.Integer(), nullable=True))

    connection = op.get_bind()
    verified = [
        (seal, seal.digest)
        for seal in connection.execute(sa.select(seals).order_by(seals.c.id)).all()
        if _response_set_digest(connection, seal.survey_id, old=True) == seal.digest
    ]
    connection.execute(
        sa.update(responses)
        .where(responses.c.duration_s.is_not(None))
        .values(duration_band_s=_band_case())
    )

    with op.batch_alter_table(
        "survey_responses", schema=None, table_kwargs={"sqlite_with_rowid": False}
    ) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_survey_responses_survey_id_submission_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_survey_responses_survey_id_submission_key"),
            ["survey_id", "submission_key"],
        )
        batch_op.drop_column("submission_id")
        batch_op.drop_column("duration_s")

    for seal, old_digest in verified:
        new_digest = _response_set_digest(connection, seal.survey_id, old=False)
        if new_digest != old_digest:
            connection.execute(
                sa.update(seals).where(seals.c.id == seal.id).values(digest=new_digest)
            )
            _append_audit_entry(connection, seal, old_digest, new_digest)


def downgrade():
    with op.batch_alter_table("survey_responses", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("duration_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("submission_id", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    connection.execute(sa.update(responses).values(duration_s=responses.c.duration_band_s))
    for (response_id,) in connection.execute(sa.select(responses.c.id)).all():
        connection.execute(
            sa.update(responses)
            .where(responses.c.id == response_id)
            .values(submission_id=uuid.uuid4().hex)
        )
    with op.batch_alter_table(
        "survey_responses", schema=None, table_kwargs={"sqlite_with_rowid": False}
    ) as batch_op:
        batch_op.alter_column("submission_id", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("uq_survey_responses_survey_id_submission_key"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_survey_responses_survey_id_submission_id"),
            ["survey_id", "submission_id"],
        )
        batch_op.drop_column("duration_band_s")
        batch_op.drop_column("submission_key")

    with op.batch_alter_table("survey_access_codes", schema=None) as batch_op:
        batch_op.drop_column("claim_key")

    op.drop_table("survey_code_failures")
