"""Composition root: ``flask --app assessment.app ...`` builds the whole web app here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from assessment.app import logs
from assessment.app.config import (
    DefaultConfig,
    database_uri,
    load_instance_secrets,
    validate_config,
)
from assessment.app.extensions import babel, csrf, login_manager, migrate

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV_PREFIX = "ASSESSMENT"


def create_app(
    test_config: Mapping[str, Any] | None = None, *, instance_path: str | None = None
) -> Flask:
    """Build the app: config, extensions, error handlers, blueprints, CLI. Nothing else.

    ``instance_path`` is the server's own folder (secrets file, SQLite default, logs);
    ``instance/`` of the checkout by default.
    """
    app = Flask(
        __name__,
        instance_path=instance_path or os.path.join(PROJECT_ROOT, "instance"),
        instance_relative_config=True,
        template_folder=os.path.join(PROJECT_ROOT, "templates"),
        static_folder=os.path.join(PROJECT_ROOT, "static"),
    )
    app.config.from_object(DefaultConfig)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
        app.instance_path, "assessment.sqlite3"
    )
    os.makedirs(app.instance_path, exist_ok=True)
    if test_config is None:
        app.config.update(load_instance_secrets(app.instance_path))
        app.config.from_pyfile("config.py", silent=True)
        if os.environ.get("DATABASE_URL"):
            app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
        app.config.from_prefixed_env(ENV_PREFIX)
    else:
        app.config.update(test_config)
    app.config.setdefault("UPLOAD_FOLDER", os.path.join(app.instance_path, "uploads"))
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite has no pool pre-ping need, and waits for the write lock instead of failing.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    validate_config(app.config)
    logs.init_app(app)

    # Imported here, not at module level: binding the name ``db`` in this package would
    # hide the ``assessment.app.db`` module that migrations refer to.
    from assessment.app.db import configure_engine, db

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(
        app, db, directory=os.path.join(PROJECT_ROOT, "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    login_manager.init_app(app)

    from assessment.app import (
        errors,
        health,
        hygiene,
        i18n,
        logging_setup,
        secret_check,
        security,
    )
    from assessment.app.cli import register_commands
    from assessment.services import audit  # noqa: F401  (registers the audited write path)
    from assessment.views import create_blueprint

    logging_setup.configure_logging(app, filters=(logs.ResidentRedactingFilter(),))
    i18n.init_app(app, babel)
    security.init_app(app)
    secret_check.init_app(app)
    hygiene.init_app(app)
    errors.init_app(app)
    health.init_app(app)
    app.register_blueprint(create_blueprint())
    register_commands(app)

    # The only place the base package reaches into surveys (STYLE section 19).
    from assessment.app.survey_source import register_survey_source
    from surveys.cli import surveys_cli
    from surveys.services.results_source import ResidentSurveys
    from surveys.views import comments as comment_views
    from surveys.views import export as export_views
    from surveys.views import paper as paper_views
    from surveys.views import reuse as reuse_views
    from surveys.views import surveys as survey_views

    survey_views.init_app(app)
    paper_views.init_app(app)
    comment_views.init_app(app)
    export_views.init_app(app)
    reuse_views.init_app(app)
    app.cli.add_command(surveys_cli)
    # Everything the assessment side reads from the surveys, in one typed object.
    register_survey_source(app, ResidentSurveys())

    from reports.cli import reports_cli
    from reports.views import records as record_views
    from reports.views import reports as report_views
    from reports.views import verify as verify_views

    report_views.init_app(app)
    verify_views.init_app(app)
    record_views.init_app(app)
    app.cli.add_command(reports_cli)
    return app
