"""Report downloads for staff: one PDF, or a zip of a period's reports."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("reports", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
