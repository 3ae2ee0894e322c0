"""Session cookie policy, security headers, and the client address behind a proxy."""

from __future__ import annotations

import logging

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def _add_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _no_store_behind_login(response: Response) -> Response:
    """A page or file shown to a logged-in person is kept by no cache (browser or proxy).

    Otherwise the back button, a shared computer or a caching proxy would show staff
    data after logout. Static files are the same for everyone and stay cacheable.
    """
    if request.endpoint != "static" and current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def _warn_about_untrusted_forwarding() -> None:
    """Say once, in the log, that a proxy forwards addresses the app does not trust."""
    if "X-Forwarded-For" in request.headers and not current_app.extensions.get(
        "assessment.proxy_warned"
    ):
        current_app.extensions["assessment.proxy_warned"] = True
        logger.warning(
            "requests carry X-Forwarded-For but TRUSTED_PROXY_COUNT is 0: every client "
            "looks like the proxy, so login and code limits count them all as one; set "
            "ASSESSMENT_TRUSTED_PROXY_COUNT to the number of proxies in front of the app"
        )


def init_app(app: Flask) -> None:
    app.session_interface = HttpsAwareSessionInterface()
    app.after_request(_add_headers)
    app.after_request(_no_store_behind_login)
    proxies = int(app.config["TRUSTED_PROXY_COUNT"])
    if proxies:
        # The client address and scheme as the proxies saw them (request.remote_addr,
        # request.is_secure). The Host header is left alone: nginx passes the real one,
        # and trusting X-Forwarded-Host would let a client choose the links we print.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    else:
        app.before_request(_warn_about_untrusted_forwarding)
