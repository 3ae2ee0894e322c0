"""What the app's and the web servers' logs may not hold: resident codes, receipts, addresses.

An access log keeps each request line beside the client's address and the time. Under
``/s/<short id>`` the only URLs the product itself makes are the landing page, the
slip's QR address ``/s/<short id>/<code>`` and the fixed pages ``answer``, ``check``
and ``receipts`` (whose lookups are POSTs). Anything else there is a code, a receipt,
or text a resident typed into the address bar, so :class:`ResidentRedactingFilter`
keeps a 6-character short id and the fixed page names and masks every other path
segment and every query string under ``/s/``; anywhere else it masks the values of the
query parameters that could carry a code, a receipt or the form's state. Records about
a resident URL also lose the client's address (DESIGN section 5: survey routes log no
client address).

The filter is installed on the loggers of the web servers the product runs under
(Werkzeug's development server, gunicorn's access and error logs) and on the app's own
logger, whose error messages name the request path. A reverse proxy's log (nginx) is
outside the app: ``docs/threat-model.md`` says how to configure it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from flask import Flask

REDACTED = "[redacted]"
#: Pages under /s/<short id>/ whose names carry nothing.
RESIDENT_PAGES = frozenset({"answer", "check", "receipts"})
#: Loggers of the servers the app runs under; the app's own logger is added per app.
SERVER_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")

_SHORT_ID = re.compile(r"[A-Za-z0-9]{6}")
_RESIDENT_URL = re.compile(r"/s/([^\s?#\"/]*)((?:/[^\s?#\"]*)?)(\?[^\s#\"]*)?", re.IGNORECASE)
# In a URL after "?", "&" or ";"; at the start of a bare query string (gunicorn's %(q)s).
_SECRET_PARAMETER = re.compile(
    r"((?:^|[?&;])(?:code|receipt|entry|carried|sub)=)[^&;\s\"#]*", re.IGNORECASE
)
# Atoms holding a bare query string: all of it goes when the request is a resident's.
_QUERY_ATOM = re.compile(r"^q$|query_string", re.IGNORECASE)
# Werkzeug's request lines start with the client address: "ADDRESS - - [date] ...".
_WERKZEUG_ADDRESS = re.compile(r"^\S+ - - \[")
_ADDRESS_ATOM = re.compile(r"forwarded|real-ip|remote_addr", re.IGNORECASE)


def _mask_resident_url(match: re.Match[str]) -> str:
    short, rest, query = match.group(1), match.group(2) or "", match.group(3) or ""
    if not _SHORT_ID.fullmatch(short):
        short = REDACTED
    if rest.strip("/") and rest.strip("/") not in RESIDENT_PAGES:
        rest = "/" + REDACTED
    return f"/s/{short}{rest}{'?' + REDACTED if query else ''}"


def redact(text: str) -> str:
    """``text`` with every code, receipt or form state a URL in it could carry masked."""
    return _SECRET_PARAMETER.sub(r"\1" + REDACTED, _RESIDENT_URL.sub(_mask_resident_url, text))


def is_resident_url(text: str) -> bool:
    return _RESIDENT_URL.search(text) is not None


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, int | float):
        return value
    # Objects logged as atoms (a request, a header list) print their URL too.
    return redact(str(value))


def _strings(values: Iterable[Any]) -> list[str]:
    return [value for value in values if isinstance(value, str)]


class ResidentRedactingFilter(logging.Filter):
    """Mask codes, receipts and form state in log records; drop addresses of resident URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, dict):
            about_resident = any(is_resident_url(v) for v in _strings(args.values()))
            # gunicorn passes its own dict type (SafeAtoms answers "-" for missing
            # atoms): change it in place rather than replacing it with a plain dict.
            for key, value in list(args.items()):
                if about_resident and (key == "h" or _ADDRESS_ATOM.search(str(key))):
                    args[key] = "-"
                elif about_resident and _QUERY_ATOM.search(str(key)) and value:
                    args[key] = REDACTED
                else:
                    args[key] = _redact_value(value)
        elif isinstance(args, tuple):
            about_resident = any(is_resident_url(v) for v in _strings(args))
            record.args = tuple(_redact_value(value) for value in args)
        else:
            about_resident = False
        if isinstance(record.msg, str):
            about_resident = about_resident or is_resident_url(record.msg)
            message = redact(record.msg)
            if about_resident:
                message = _WERKZEUG_ADDRESS.sub("- - - [", message)
            record.msg = message
        return True


def install_redaction(logger_names: Iterable[str]) -> None:
    """Add the filter once to each named logger."""
    for name in logger_names:
        target = logging.getLogger(name)
        if not any(isinstance(f, ResidentRedactingFilter) for f in target.filters):
            target.addFilter(ResidentRedactingFilter())


def init_app(app: Flask) -> None:
    """Redact the server loggers and the app's own logger."""
    install_redaction((*SERVER_LOGGERS, app.logger.name))
