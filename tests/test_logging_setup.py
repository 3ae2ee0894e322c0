"""One logging configuration with a request id on every line (issue 12).

Measured before: no logging configuration, so every INFO line was dropped, and nothing
tied a log line to the request that wrote it.
"""

from __future__ import annotations

import io
import logging

import pytest

from assessment.app.logging_setup import HANDLER_NAME, app_handler


@pytest.fixture
def production_like(another_app):
    """An app that is not in testing mode, so it installs its stderr handler."""
    app = another_app(TESTING=False, LOG_LEVEL="INFO")
    handler = app_handler()
    stream = io.StringIO()
    handler.setStream(stream)
    yield app, stream
    logging.getLogger().removeHandler(handler)


def test_a_line_logged_in_a_request_carries_the_id_the_response_returns(production_like):
    app, stream = production_like

    @app.route("/log-something")
    def log_something():
        logging.getLogger("assessment.example").info("an event")
        return "ok"

    response = app.test_client().get("/log-something")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 16
    line = next(x for x in stream.getvalue().splitlines() if "an event" in x)
    assert f"INFO assessment.example [{request_id}] an event" in line


def test_configuring_twice_adds_no_second_handler(production_like):
    app, _stream = production_like
    from assessment.app.logging_setup import configure_logging

    configure_logging(app)
    names = [h.get_name() for h in logging.getLogger().handlers]
    assert names.count(HANDLER_NAME) == 1


def test_a_request_id_is_taken_from_a_trusted_proxy_only(another_app):
    untrusted_app = another_app()
    trusted_app = another_app(TRUSTED_PROXY_COUNT=1)
    untrusted = untrusted_app.test_client()
    sent = untrusted.get("/healthz", headers={"X-Request-ID": "from-the-client"})
    assert sent.headers["X-Request-ID"] != "from-the-client"
    trusted = trusted_app.test_client()
    kept = trusted.get("/healthz", headers={"X-Request-ID": "nginx-4f2a"})
    assert kept.headers["X-Request-ID"] == "nginx-4f2a"
    bad = trusted.get("/healthz", headers={"X-Request-ID": "a b;c"})
    assert bad.headers["X-Request-ID"] != "a b;c"
