"""Health check and database outages: ``/healthz``, and 503 pages instead of tracebacks.

While the database cannot be reached, every request answers 503 with a short page in
Chinese and English and a ``Retry-After`` header, and each worker process writes one
log line when the outage starts and one when it ends, not a traceback per request.
Nothing is lost: a resident's answers live in the page they re-send.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import sqlalchemy as sa
from flask import Flask, Response, g, jsonify, render_template
from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy.exc import InterfaceError, OperationalError

from assessment.app.db import db
from assessment.app.extensions import login_manager

logger = logging.getLogger(__name__)

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 30
#: Errors that mean "the database is not there", as opposed to a bad query.
UNREACHABLE = (OperationalError, InterfaceError)


class _Outage:
    """This process's view of the database: reachable, or unreachable since when."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.since: float | None = None

    def begin(self, error: Exception) -> None:
        with self._lock:
            if self.since is not None:
                return
            self.since = time.monotonic()
        # One line, no traceback: the cause's class names the kind of failure.
        logger.error(
            "database unreachable (%s); answering 503 until it is back",
            type(getattr(error, "orig", error) or error).__name__,
        )

    def end(self) -> None:
        with self._lock:
            if self.since is None:
                return
            lasted = time.monotonic() - self.since
            self.since = None
        logger.warning("database reachable again after %.0f s", lasted)


outage = _Outage()


def is_database_reachable() -> bool:
    """Run ``SELECT 1`` on a fresh checkout of the pool (pre-ping drops dead connections)."""
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except UNREACHABLE as error:
        outage.begin(error)
        return False
    outage.end()
    return True


def healthz() -> tuple[Response, int] | Response:
    """200 with the database reachable, 503 without; for load balancers and monitors."""
    if is_database_reachable():
        return jsonify(status="ok", database="ok")
    response = jsonify(status="unavailable", database="unreachable")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response, 503


def _unavailable_page() -> str:
    texts = {}
    for language, locale in (("zh", "zh_CN"), ("en", "en")):
        with force_locale(locale):
            # Autoescaped template output: safe to place inside the page as it is.
            html = render_template("errors/_unavailable_text.html")
            texts[language] = Markup(html)  # noqa: S704
    return render_template("errors/unavailable.html", texts=texts)


def _render_unavailable(error: Exception) -> Response:
    outage.begin(error)
    with contextlib.suppress(*UNREACHABLE):
        db.session.rollback()
    # The page must not load the logged-in account (that needs the database too).
    g._login_user = login_manager.anonymous_user()
    response = Response(_unavailable_page(), status=503, mimetype="text/html")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _note_recovery(response: Response) -> Response:
    # Only while an outage is recorded: one cheap check per request until it ends.
    if outage.since is not None and response.status_code < 500:
        is_database_reachable()
    return response


def init_app(app: Flask) -> None:
    app.add_url_rule("/healthz", "healthz", healthz)
    for error_class in UNREACHABLE:
        app.register_error_handler(error_class, _render_unavailable)
    app.after_request(_note_recovery)
