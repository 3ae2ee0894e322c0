"""The app's one survey source: registered by the composition root, found by views and
commands (the protocol itself: :mod:`assessment.services.survey_source`)."""

from __future__ import annotations

from flask import Flask, current_app

from assessment.services.survey_source import SurveySource

EXTENSION = "assessment.surveys"


def register_survey_source(app: Flask, source: SurveySource) -> None:
    """Make ``source`` the app's survey source (the composition root does this once)."""
    app.extensions[EXTENSION] = source


def find_survey_source(app: Flask | None = None) -> SurveySource | None:
    """The survey source registered on ``app`` (default: the current app), or ``None``."""
    source: SurveySource | None = (app or current_app).extensions.get(EXTENSION)
    return source


def get_survey_source(app: Flask | None = None) -> SurveySource:
    """The registered survey source; :class:`LookupError` when none is registered."""
    source = find_survey_source(app)
    if source is None:
        raise LookupError("no survey source registered")
    return source
