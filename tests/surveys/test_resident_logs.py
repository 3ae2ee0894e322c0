"""A whole resident journey served by Werkzeug's server and by gunicorn logs no secret.

The captured logs (the ``werkzeug`` logger; gunicorn's access and error logs) are searched
for every secret the journey produced: the code, the receipt, the submission id, the code
hash, the claim and submission keys, the form state, and the resident's address.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

from assessment.app.db import utcnow
from surveys.core.codes import format_code
from surveys.models.surveys import Survey
from surveys.services import form_state, tokens
from surveys.services import surveys as services
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_config(app_config, tmp_path):
    # The servers below run in other threads or processes: a file, not memory.
    if app_config["SQLALCHEMY_DATABASE_URI"] == "sqlite://":
        return {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'logs.sqlite3'}"}
    return app_config


class Browser:
    """A resident's phone: plain HTTP requests, sent through a proxy that forwards its address."""

    def __init__(self, port: int) -> None:
        self.port = port

    def send(self, method: str, path: str, form: dict[str, str] | None = None) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = urlencode(form or {})
        headers = {"X-Forwarded-For": "198.51.100.23", "User-Agent": "phone"}
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(
                method, path, body=body if form is not None else None, headers=headers
            )
            return connection.getresponse().read().decode("utf-8")
        finally:
            connection.close()


def _journey(app, make, built, port: int) -> list[str]:
    """Scan, start, answer, check the code, look the receipt up; return every secret met."""
    short, code = built["short_id"], built["codes"][0]
    phone = Browser(port)
    phone.send("GET", f"/s/{short}/{code}")
    page = phone.send("POST", f"/s/{short}", {"code": format_code(code)})
    fields = dict(re.findall(r'name="(entry|carried|step)"[^>]*value="([^"]*)"', page))
    done = phone.send(
        "POST", f"/s/{short}/answer", {**fields, "q_overall__t1": "4", "nav": "confirm"}
    )
    receipt = re.search(r'<p class="receipt">([^<]+)</p>', done).group(1)
    phone.send("POST", f"/s/{short}/check", {"code": code})
    make(lambda s: services.close_survey(s, s.get(Survey, built["survey_id"]), now=utcnow()))
    phone.send("POST", f"/s/{short}/receipts", {"receipt": receipt})
    phone.send("GET", f"/s/{short}/receipts?receipt={receipt}")  # an old bookmark
    phone.send("GET", f"/s/{short}/{code}/more?code={code}")  # a mistyped address
    entry = form_state.open_sealed(TEST_SECRET, "survey-entry", fields["entry"], now=0)
    key = app.config["ACCESS_CODE_HASH_KEY"]
    plain = receipt.replace("-", "")
    return [
        code,
        format_code(code),
        code.lower(),
        receipt,
        plain,
        entry["sub"],
        entry["h"],
        tokens.claim_key(key, built["survey_id"], entry["sub"]),
        tokens.submission_key(key, built["survey_id"], entry["sub"]),
        fields["entry"],
    ]


def _check(log: str, secrets: list[str], short: str) -> None:
    resident_lines = [line for line in log.splitlines() if f"/s/{short}" in line]
    assert len(resident_lines) >= 7, log  # the journey's seven requests were logged
    for secret in secrets:
        assert secret not in log, secret
    for line in resident_lines:
        assert "127.0.0.1" not in line and "198.51.100.23" not in line, line


def test_a_journey_served_by_werkzeug_logs_no_secret(app, demo, survey_factory, make):
    built = survey_factory(codes=2)
    captured: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(self.format(record))

    handler = Capture()
    werkzeug_logger = logging.getLogger("werkzeug")
    werkzeug_logger.addHandler(handler)
    previous = werkzeug_logger.level
    werkzeug_logger.setLevel(logging.INFO)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        secrets = _journey(app, make, built, server.server_port)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        werkzeug_logger.removeHandler(handler)
        werkzeug_logger.setLevel(previous)
    _check("\n".join(captured), secrets, built["short_id"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_journey_served_by_gunicorn_logs_no_secret(app, demo, survey_factory, make, tmp_path):
    built = survey_factory(codes=2)
    port = _free_port()
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSESSMENT_")}
    env.update(
        ASSESSMENT_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        ASSESSMENT_SECRET_KEY=TEST_SECRET,
        ASSESSMENT_ACCESS_CODE_HASH_KEY=app.config["ACCESS_CODE_HASH_KEY"],
        ASSESSMENT_WTF_CSRF_ENABLED="false",
        ASSESSMENT_TRUSTED_PROXY_COUNT="1",
    )
    log_format = (
        '%(h)s %({x-forwarded-for}i)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(U)s %(q)s'
    )
    server = subprocess.Popen(  # noqa: S603  (our own gunicorn, fixed arguments)
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers", "1",
            "--bind", f"127.0.0.1:{port}",
            "--access-logfile", str(access),
            "--access-logformat", log_format,
            "--error-logfile", str(errors),
            "--log-level", "debug",
            "assessment.app:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, errors.read_text()
                time.sleep(0.1)
        secrets = _journey(app, make, built, port)
    finally:
        server.terminate()
        server.wait(timeout=30)
    _check(access.read_text() + errors.read_text(), secrets, built["short_id"])
