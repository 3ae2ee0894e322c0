"""Migrations: one head, same schema as the models, and each revision goes up and down."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from assessment.app import create_app
from assessment.app.db import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@pytest.fixture
def empty_app(app_config, tmp_path):
    uri = app_config["SQLALCHEMY_DATABASE_URI"]
    if uri == "sqlite://":
        uri = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        yield app
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.engine.dispose()


def _script(app):
    return ScriptDirectory.from_config(
        app.extensions["migrate"].migrate.get_config(str(MIGRATIONS))
    )


def test_single_head(empty_app):
    assert len(_script(empty_app).get_heads()) == 1


def test_upgrade_matches_the_models(empty_app):
    upgrade(directory=str(MIGRATIONS))
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_every_revision_goes_down_and_up_again(empty_app):
    upgrade(directory=str(MIGRATIONS))
    revisions = list(_script(empty_app).walk_revisions())
    for _ in revisions:
        downgrade(directory=str(MIGRATIONS), revision="-1")
    with db.engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade(directory=str(MIGRATIONS))
    with db.engine.connect() as connection:
        assert "audit_entry" in sa.inspect(connection).get_table_names()


def _migration(revision: str):
    (path,) = (MIGRATIONS / "versions").glob(f"*_{revision}_*.py")
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_unlinkable_storage_converts_rows_and_reseals_closed_surveys(empty_app):
    """Migration 9d922086693c on data sealed before it: times become bands, raw submission
    ids go, and the seal, which covered both, is recomputed and chained in the audit log."""
    from datetime import date

    from assessment.app.db import unit_of_work, utcnow
    from assessment.models import AuditEntry, Unit
    from assessment.services.audit import verify_audit_chain
    from assessment.services.demo import seed_demo
    from surveys.models.surveys import Response, Survey
    from surveys.services import surveys as services
    from tests.surveys.conftest import answer_online, build_survey

    upgrade(directory=str(MIGRATIONS))
    with unit_of_work(None, reason="test data") as session:
        seed_demo(session)
        survey = session.get(Survey, build_survey(session)["survey_id"])
        unit = session.scalars(sa.select(Unit).where(Unit.code == "QSZ-01")).one()
        key = empty_app.config["ACCESS_CODE_HASH_KEY"]
        _, slips = services.generate_batch(
            session, survey, unit=unit, size=3, note="", key=key, now=utcnow()
        )
        for slip in slips:
            answer_online(
                session,
                survey=survey,
                key=key,
                code=slip.code,
                unit_id=unit.id,
                answers={"overall__t1": "4"},
                today=date(2026, 6, 2),
            )
        services.close_survey(session, survey, now=utcnow())
        survey_id = survey.id
    db.session.remove()

    # As it was before the migration: seconds, raw submission ids, a seal over both.
    migration = _migration("9d922086693c")
    downgrade(directory=str(MIGRATIONS), revision="f95d7a7e1c6d")
    with db.engine.begin() as connection:
        ids = sorted(connection.scalars(sa.text("SELECT id FROM survey_responses")))
        for response_id, seconds in zip(ids, (137, 250, None), strict=True):
            connection.execute(
                sa.text("UPDATE survey_responses SET duration_s = :s WHERE id = :id"),
                {"s": seconds, "id": response_id},
            )
        old_digest = migration._response_set_digest(connection, survey_id, old=True)
        connection.execute(sa.text("UPDATE survey_seals SET digest = :d"), {"d": old_digest})

    upgrade(directory=str(MIGRATIONS))
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, duration_band_s FROM survey_responses"))
        bands = {row.id: row.duration_band_s for row in rows}
        if connection.dialect.name == "sqlite":
            sql = connection.scalar(
                sa.text("SELECT sql FROM sqlite_master WHERE name = 'survey_responses'")
            )
            assert "WITHOUT ROWID" in sql
    assert [bands[i] for i in ids] == [120, 240, None]
    assert not db.session.scalar(
        sa.select(sa.func.count()).where(Response.submission_key.is_not(None))
    )
    check = services.verify_seal(db.session, db.session.get(Survey, survey_id))
    assert check.ok and check.sealed_digest != old_digest
    assert verify_audit_chain(db.session).ok
    last = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (last.action, last.actor_name) == ("survey_seals.update", "system")
    assert old_digest in last.before and check.sealed_digest in last.after
    assert "9d922086693c" in last.reason
    db.session.remove()
