"""Benchmark: resident survey submissions per second under gunicorn, against a ceiling.

Not a test. Run ``.venv/bin/python scripts/bench_submit.py [--submissions 2000]``.

1. Builds a temporary SQLite database (``flask db upgrade``, the demo township), an open
   survey over it and enough access codes (generated in this process, so the clear codes
   are known to the clients).
2. Serves the real app with gunicorn (sync workers, 2 workers) on a loopback port and runs
   concurrent clients (threads with ``http.client``), each doing what a resident's phone
   does: open the survey page, send the code, send the answers.
3. Serves the *ceiling* the same way: a bare Flask app defined here whose one form is
   validated the same way (Flask-WTF CSRF + a one-time code checked with one conditional
   UPDATE on an HMAC of the code) and that inserts one row. Its clients open the form and
   post it.
4. Prints submissions/s, p50/p99 latency per submission, the ratio to the ceiling, and
   checks that stored responses equal successful submissions (nothing lost or doubled).

Both servers use the same database file in WAL mode (set once on the file).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import os
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WORKERS = 2


# ---------------------------------------------------------------------------
# the ceiling: one bare Flask endpoint (loaded by gunicorn from this file)
# ---------------------------------------------------------------------------


def make_ceiling_app() -> Any:
    """Flask + Flask-WTF CSRF + one-time code check + one INSERT, and nothing else."""
    from flask import Flask, abort
    from flask_wtf import CSRFProtect, FlaskForm
    from flask_wtf.csrf import generate_csrf
    from wtforms import StringField

    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ["ASSESSMENT_SECRET_KEY"]
    CSRFProtect(app)
    database = os.environ["BENCH_DB"]
    key = os.environ["ASSESSMENT_ACCESS_CODE_HASH_KEY"].encode()

    class Form(FlaskForm):  # type: ignore[misc]
        code = StringField()
        answer = StringField()

    @app.get("/form")
    def form() -> str:
        return f'<form method="post"><input name="csrf_token" value="{generate_csrf()}"></form>'

    @app.post("/form")
    def submit() -> str:
        posted = Form()
        if not posted.validate_on_submit():
            abort(400)
        code_hash = hmac.new(key, posted.code.data.encode(), hashlib.sha256).hexdigest()
        connection = sqlite3.connect(database, timeout=30, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            used = connection.execute(
                "UPDATE bench_codes SET used = 1 WHERE code_hash = ? AND used = 0", (code_hash,)
            ).rowcount
            if used != 1:
                connection.execute("ROLLBACK")
                abort(409)
            connection.execute(
                "INSERT INTO bench_rows (id, answer) VALUES (?, ?)",
                (secrets.token_hex(16), posted.answer.data),
            )
            connection.execute("COMMIT")
        finally:
            connection.close()
        return "ok"

    return app


# ---------------------------------------------------------------------------
# setup
# ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSESSMENT_")}
    env.update(
        ASSESSMENT_SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
        ASSESSMENT_SECRET_KEY="k" + secrets.token_hex(20),
        ASSESSMENT_ACCESS_CODE_HASH_KEY="k" + secrets.token_hex(20),
        # A benchmark sends thousands of codes from one address; lift the per-client lock.
        ASSESSMENT_SURVEY_CODE_MAX_FAILURES_PER_CLIENT="1000000",
        BENCH_DB=str(database),
    )
    return env


def _seed(env: dict[str, str], database: Path, count: int) -> tuple[str, list[str], list[str]]:
    flask = [str(VENV_BIN / "flask"), "--app", "assessment.app"]
    for args in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([*flask, *args], cwd=REPO, env=env, check=True, capture_output=True)  # noqa: S603
    os.environ.update(env)
    sys.path.insert(0, str(REPO))
    import sqlalchemy as sa

    from assessment.app import create_app
    from assessment.app.db import db, unit_of_work, utcnow
    from assessment.models import Unit
    from surveys import services
    from surveys.models import Survey
    from tests.surveys.conftest import build_survey

    app = create_app()
    with app.app_context(), unit_of_work(None, reason="benchmark"):
        built = build_survey(db.session)
        survey = db.session.get(Survey, built["survey_id"])
        unit = db.session.scalars(sa.select(Unit).where(Unit.code == "QSZ-01")).one()
        _, slips = services.generate_batch(
            db.session,
            survey,
            unit=unit,
            size=count,
            note="benchmark",
            key=app.config["ACCESS_CODE_HASH_KEY"],
            now=utcnow(),
        )
        codes = [slip.code for slip in slips]
    key = env["ASSESSMENT_ACCESS_CODE_HASH_KEY"].encode()
    ceiling_codes = [secrets.token_hex(6) for _ in range(count)]
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE bench_codes (code_hash TEXT PRIMARY KEY, used INTEGER)")
        connection.execute("CREATE TABLE bench_rows (id TEXT PRIMARY KEY, answer TEXT)")
        connection.executemany(
            "INSERT INTO bench_codes VALUES (?, 0)",
            [(hmac.new(key, c.encode(), hashlib.sha256).hexdigest(),) for c in ceiling_codes],
        )
    return built["short_id"], codes, ceiling_codes


def _serve(
    env: dict[str, str], target: str, port: int, log: Path, ready_path: str
) -> subprocess.Popen[bytes]:
    command = [
        str(VENV_BIN / "gunicorn"),
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(REPO),
        "--log-level",
        "warning",
        target,
    ]
    server = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
        command, cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    # Warm up: the master listens before its workers have imported the app; wait until
    # both workers answer (a few requests each), so worker start-up is not timed.
    deadline = time.monotonic() + 60
    answered = 0
    while time.monotonic() < deadline and answered < 4 * WORKERS:
        try:
            status, _ = Browser(port).request("GET", ready_path)
            answered += status == 200
        except OSError:
            time.sleep(0.2)
    if answered >= 4 * WORKERS:
        return server
    server.kill()
    raise SystemExit(f"gunicorn did not start: {log.read_text(errors='replace')}")


# ---------------------------------------------------------------------------
# clients
# ---------------------------------------------------------------------------


class Browser:
    """One resident's phone: a cookie jar and fresh connections (sync workers close them)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HIDDEN = re.compile(r'name="(entry|carried|step)"[^>]*value="([^"]*)"')


def resident_prepare(port: int, short_id: str, code: str) -> Any:
    """What a phone does before submitting: open the survey page, send the code."""
    browser = Browser(port)
    status, page = browser.request("GET", f"/s/{short_id}")
    token = CSRF.search(page)
    if status != 200 or token is None:
        return None
    status, page = browser.request(
        "POST", f"/s/{short_id}", {"csrf_token": token.group(1), "code": code}
    )
    token = CSRF.search(page)
    if status != 200 or token is None:
        return None
    answers = {
        "q_overall__t1": "4",
        "q_grade__t1": "competent",
        "q_overall__t2": "5",
        "q_age": "60",
    }
    form = {**dict(HIDDEN.findall(page)), **answers, "nav": "submit", "csrf_token": token.group(1)}
    return browser, f"/s/{short_id}/answer", form


def resident_submit(prepared: Any) -> bool:
    browser, path, form = prepared
    status, page = browser.request("POST", path, form)
    return status == 200 and 'class="receipt"' in page


def ceiling_prepare(port: int, code: str) -> Any:
    browser = Browser(port)
    status, page = browser.request("GET", "/form")
    token = CSRF.search(page)
    if status != 200 or token is None:
        return None
    return browser, "/form", {"csrf_token": token.group(1), "code": code, "answer": "4"}


def ceiling_submit(prepared: Any) -> bool:
    browser, path, form = prepared
    status, _ = browser.request("POST", path, form)
    return status == 200


def run_clients(
    work_items: list[Any], step: Callable[[Any], Any], threads: int, time_limit: float
) -> tuple[list[Any], dict[str, Any]]:
    """Run ``step`` over the items from ``threads`` threads; results and timing."""
    queue = list(reversed(work_items))
    lock = threading.Lock()
    latencies: list[float] = []
    results: list[Any] = []
    failures = 0
    deadline = time.monotonic() + time_limit

    def work() -> None:
        nonlocal failures
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    return
                item = queue.pop()
            started = time.perf_counter()
            result = step(item)
            elapsed = time.perf_counter() - started
            with lock:
                if result:
                    latencies.append(elapsed)
                    results.append(result)
                else:
                    failures += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return results, {
        "ok": len(latencies),
        "failed": failures,
        "wall": wall,
        "rate": len(latencies) / wall if wall else 0.0,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        if latencies
        else float("nan"),
    }


def _line(label: str, r: dict[str, Any]) -> str:
    return (
        f"{label:26s} {r['ok']:5d} ok {r['failed']:3d} failed in {r['wall']:6.1f}s: "
        f"{r['rate']:7.1f}/s, p50 {r['p50'] * 1000:6.1f} ms, p99 {r['p99'] * 1000:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=120.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-submit-") as folder:
        database = Path(folder) / "bench.sqlite3"
        env = _env(database)
        print(f"seeding {options.submissions} codes ...", flush=True)  # noqa: T201
        short_id, codes, ceiling_codes = _seed(env, database, options.submissions)
        results: dict[str, dict[str, Any]] = {}
        plans = (
            (
                "app",
                "assessment.app:create_app()",
                f"/s/{short_id}",
                lambda port, c: resident_prepare(port, short_id, c),
                resident_submit,
                codes,
            ),
            (
                "ceiling",
                "scripts.bench_submit:make_ceiling_app()",
                "/form",
                ceiling_prepare,
                ceiling_submit,
                ceiling_codes,
            ),
        )
        for name, target, ready_path, prepare, submit, pool in plans:
            port = _free_port()
            server = _serve(env, target, port, Path(folder) / f"{name}.log", ready_path)
            try:
                # Forms are fetched first (the phone opening the page), then all submitted
                # at once: the timed step is the submission itself on both servers.
                forms, fetched = run_clients(
                    pool,
                    lambda c, p=prepare, port=port: p(port, c),
                    options.threads,
                    options.time_limit,
                )
                _, results[name] = run_clients(forms, submit, options.threads, options.time_limit)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
            print(_line(f"{name} fetch form", fetched), flush=True)  # noqa: T201
            print(_line(f"{name} SUBMIT", results[name]), flush=True)  # noqa: T201
        with sqlite3.connect(database) as connection:
            # Only the benchmark's survey: the demo periods hold resident surveys of their own.
            (survey_id,) = connection.execute(
                "SELECT id FROM surveys WHERE short_id = ?", (short_id,)
            ).fetchone()
            stored = connection.execute(
                "SELECT count(*) FROM survey_responses WHERE survey_id = ?", (survey_id,)
            ).fetchone()[0]
            used = connection.execute(
                "SELECT count(*) FROM survey_access_codes WHERE used AND survey_id = ?",
                (survey_id,),
            ).fetchone()[0]
            ceiling_rows = connection.execute("SELECT count(*) FROM bench_rows").fetchone()[0]
        ratio = results["app"]["rate"] / results["ceiling"]["rate"]
        print(f"ratio app/ceiling: {ratio:.0%} (target >= 40%)")  # noqa: T201
        print(  # noqa: T201
            f"stored responses {stored} = successful submissions {results['app']['ok']} "
            f"= codes used {used}; ceiling rows {ceiling_rows} = {results['ceiling']['ok']}"
        )
        if (
            stored != results["app"]["ok"]
            or used != stored
            or ceiling_rows != results["ceiling"]["ok"]
        ):
            raise SystemExit("MISMATCH: responses lost or duplicated")


if __name__ == "__main__":
    main()
