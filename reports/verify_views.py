"""Public verification of reports (no login), and the open-data bundle download."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("verify", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
