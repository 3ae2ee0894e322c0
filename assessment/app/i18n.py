"""Locale selection and Babel formatting filters for templates."""

from __future__ import annotations

import os

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
)

from assessment.app.hygiene import ControlCharacterError

TRANSLATIONS_DIR = os.path.join(os.path.dirname(__file__), "translations")


def select_locale() -> str:
    """The reader's choice from the language switch, else the configured default.

    Outside a request (the command line) it is the configured default, so ``flask ...``
    commands speak the deployment's language through the same catalogs.
    """
    supported = current_app.config["SUPPORTED_LOCALES"]
    if not has_request_context():
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    chosen = session.get("lang")
    if chosen in supported:
        return str(chosen)
    try:
        asked = request.args.get("lang")
    except ControlCharacterError:
        # Compared with the supported list only; the error page must still render.
        asked = None
    if asked in supported:
        return str(asked)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def init_app(app: Flask, babel: Babel) -> None:
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=TRANSLATIONS_DIR
    )
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["decimal"] = format_decimal
    app.jinja_env.filters["percent"] = format_percent
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True
