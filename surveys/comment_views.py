"""Team review of residents' free-text comments: approve or hide each, after closing."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("survey_comments", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
