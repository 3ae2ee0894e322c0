"""Migrations: one head, same schema as the models, and each revision goes up and down."""

from __future__ import annotations

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
