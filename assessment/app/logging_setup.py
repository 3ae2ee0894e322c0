"""One logging configuration: levels, a request id on every line, stderr for journald.

What is logged is events and ids, never a survey answer, an access code, a receipt or a
submission id (STYLE section 12); the redaction filter of :mod:`assessment.app.logs`
masks any that reach a request line. Behind a trusted proxy the proxy's
``X-Request-ID`` is kept, so one request can be followed through nginx, gunicorn and
the app; otherwise the app makes one. Every response carries it back.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from werkzeug.wrappers import Response

#: Format of each line; journald adds the time itself, other sinks get it from here.
DEFAULT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
REQUEST_ID_HEADER = "X-Request-ID"
_GOOD_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: Libraries whose INFO lines are progress noise (WeasyPrint logs every CSS step).
QUIET_LIBRARIES = ("weasyprint", "fontTools")
#: The handler this module installs on the root logger, found again by its name.
HANDLER_NAME = "assessment"


class RequestIdFilter(logging.Filter):
    """Put the current request's id (or ``-`` outside a request) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id", "-")
        elif not hasattr(record, "request_id"):
            record.request_id = "-"
        return True


def _assign_request_id() -> None:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    # Only a proxy the app trusts may name the request; a client's header is ignored.
    trusted = int(current_app.config.get("TRUSTED_PROXY_COUNT", 0) or 0) > 0
    if trusted and _GOOD_REQUEST_ID.match(offered):
        g.request_id = offered
    else:
        g.request_id = uuid.uuid4().hex[:16]


def _return_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    return response


def app_handler() -> logging.Handler | None:
    """The handler this configuration installed (to add a filter to it), if any."""
    return next((h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME), None)


def configure_logging(app: Flask, *, filters: tuple[logging.Filter, ...] = ()) -> None:
    """Send the app's and gunicorn's log lines to stderr at ``LOG_LEVEL``, with request ids.

    ``filters`` (such as the redaction filter) are added to the handler; under gunicorn
    its own error and access loggers get them too. Calling it twice changes nothing.
    """
    level = logging.getLevelName(str(app.config.get("LOG_LEVEL", "INFO")).upper())
    if not isinstance(level, int):
        level = logging.INFO
    root = logging.getLogger()
    handler = app_handler()
    if handler is None and not app.testing:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(logging.Formatter(str(app.config.get("LOG_FORMAT", DEFAULT_FORMAT))))
        root.addHandler(handler)
        root.setLevel(level)
    targets: list[Any] = [handler] if handler is not None else []
    targets += [logging.getLogger(name) for name in ("gunicorn.error", "gunicorn.access")]
    for target in targets:
        wanted = (RequestIdFilter(), *filters)
        for new in wanted:
            if not any(type(old) is type(new) for old in target.filters):
                target.addFilter(new)
    logging.getLogger("assessment").setLevel(level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    app.before_request(_assign_request_id)
    app.after_request(_return_request_id)
