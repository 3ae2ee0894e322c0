"""Error pages for the HTTP errors a person can meet."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from assessment.app.db import db
from assessment.app.hygiene import ControlCharacterError

HANDLED = (400, 403, 404, 405, 413, 422, 429)


def _render(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    return render_template("errors/error.html", code=code, error=error), code


def _render_csrf(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/error.html", code=400, error=error, csrf=True), 400


def _render_control_character(error: ControlCharacterError) -> tuple[str, int]:
    return (
        render_template(
            "errors/error.html",
            code=400,
            error=error,
            field_name=error.field_name,
            character=error.character.label,
        ),
        400,
    )


def _render_500(error: Exception) -> tuple[str, int]:
    db.session.rollback()
    return render_template("errors/error.html", code=500, error=None), 500


def init_app(app: Flask) -> None:
    for code in HANDLED:
        app.register_error_handler(code, _render)
    app.register_error_handler(CSRFError, _render_csrf)
    app.register_error_handler(ControlCharacterError, _render_control_character)
    app.register_error_handler(500, _render_500)
