"""Locale selection and Babel formatting filters for templates."""

from __future__ import annotations

import math
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


def format_share(value: float | None, places: int = 1) -> str:
    """A share (0-1) as a percentage in the reader's locale, never rounded to a lie.

    A share that is not zero never reads "0%" (0.0001 is "<0.1%") and one that is not
    all never reads "100%" (0.9999 is ">99.9%"): a village where 1 of 563 households
    answered shows 0.2%, a township total of 1 in 9,460 shows <0.1%. No share (``None``,
    or NaN from a target without valid responses) is a dash.
    """
    if value is None or math.isnan(value):
        return "—"
    pattern = "#,##0." + "0" * places + "%" if places > 0 else "#,##0%"
    step = 10.0 ** -(places + 2)  # the smallest share the pattern shows: 0.001 is 0.1%
    text = str(format_percent(value, pattern))
    # compared as printed, so Babel's rounding (half to even) decides, not a float bound
    if value > 0 and text == format_percent(0, pattern):
        return "<" + str(format_percent(step, pattern))
    if value < 1 and text == format_percent(1, pattern):
        return ">" + str(format_percent(1 - step, pattern))
    return text


def init_app(app: Flask, babel: Babel) -> None:
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=TRANSLATIONS_DIR
    )
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["decimal"] = format_decimal
    app.jinja_env.filters["percent"] = format_percent
    app.jinja_env.filters["share"] = format_share
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True
