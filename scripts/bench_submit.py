"""Benchmark: the resident flow and its submission under gunicorn, against a bare ceiling.

Not a test. On SQLite (a temporary file) or on the PostgreSQL database given::

    .venv/bin/python scripts/bench_submit.py [--seconds 20] [--forms 3000]
    scripts/with-postgres.sh sh -c \
        '.venv/bin/python scripts/bench_submit.py --database-url "$TEST_DATABASE_URL"'

1. Prepares the database (``flask db upgrade``, the demo township), an open survey over
   it (``tests.surveys.conftest.build_survey``) and enough access codes, generated in this
   process so the clear codes are known; and the ceiling's own two tables.
2. Serves the real app as production does (``scripts/serve-prod.sh``: gunicorn with
   ``gunicorn.conf.py``, 2 sync workers) and, the same way, the *ceiling*: a bare Flask
   app defined here (Flask-WTF CSRF, a one-time code checked and used up with one
   conditional UPDATE on an HMAC of the code, one INSERT; SQLAlchemy Core on the same
   database).
3. Drives both with ``wrk`` (a C load generator: no client shares this interpreter),
   one phone per connection, with ``scripts/bench_submit.lua``:

   - **flow**: for ``--seconds``, each connection does a resident's whole journey with a
     fresh code: the landing page, the code (which shows the questionnaire), the
     answers (every question answered); the ceiling's journey is GET and POST its form;
   - **submit**: ``--forms`` answer forms are filled in first (untimed), then all posted.

4. Prints flows and submissions per second, p50/p99 latency per step, the ratios, and
   checks the stored rows of *this run only* (the benchmark's survey, the ceiling's
   table): receipts shown <= responses stored <= submissions sent, and codes used =
   responses stored (nothing lost or doubled; a request still in flight when a timed run
   ends may have stored its row unseen).

``--app-root`` serves another checkout (for a before/after comparison in one session);
its translations must be compiled.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
LUA = Path(__file__).with_suffix(".lua")
WORKERS = 2


# ---------------------------------------------------------------------------
# the ceiling: one bare Flask endpoint (loaded by gunicorn from this file)
# ---------------------------------------------------------------------------


def _engine_url(url: str) -> str:
    """The SQLAlchemy URL of a conventional DATABASE_URL (the app ships psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_ceiling_app() -> Any:
    """Flask + Flask-WTF CSRF + one-time code check + one INSERT, and nothing else."""
    import sqlalchemy as sa
    from flask import Flask, abort
    from flask_wtf import CSRFProtect, FlaskForm
    from flask_wtf.csrf import generate_csrf
    from wtforms import StringField

    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ["ASSESSMENT_SECRET_KEY"]
    CSRFProtect(app)
    url = _engine_url(os.environ["BENCH_DATABASE_URL"])
    options = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
    engine = sa.create_engine(url, **options)
    key = os.environ["ASSESSMENT_ACCESS_CODE_HASH_KEY"].encode()
    use = sa.text("UPDATE bench_codes SET used = 1 WHERE code_hash = :code_hash AND used = 0")
    insert = sa.text("INSERT INTO bench_rows (id, answer) VALUES (:id, :answer)")

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
        with engine.begin() as connection:
            if connection.execute(use, {"code_hash": code_hash}).rowcount != 1:
                abort(409)
            connection.execute(insert, {"id": secrets.token_hex(16), "answer": posted.answer.data})
        return "ok"

    return app


# ---------------------------------------------------------------------------
# setup
# ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(database_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ASSESSMENT_") and k not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    env.update(
        ASSESSMENT_SQLALCHEMY_DATABASE_URI=database_url,
        ASSESSMENT_SECRET_KEY="k" + secrets.token_hex(20),
        ASSESSMENT_ACCESS_CODE_HASH_KEY="k" + secrets.token_hex(20),
        # A benchmark sends thousands of codes from one address; lift the per-client lock.
        ASSESSMENT_SURVEY_CODE_MAX_FAILURES_PER_CLIENT="1000000",
        BENCH_DATABASE_URL=database_url,
        WORKERS=str(WORKERS),
    )
    return env


def _seed(env: dict[str, str], app_root: Path, count: int) -> tuple[str, int, list[str], list[str]]:
    """The demo township, an open survey with ``count`` codes, the ceiling's tables."""
    flask = [str(VENV_BIN / "flask"), "--app", "assessment.app"]
    for args in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([*flask, *args], cwd=app_root, env=env, check=True, capture_output=True)  # noqa: S603
    os.environ.update(env)
    sys.path.insert(0, str(app_root))
    import sqlalchemy as sa

    from assessment.app import create_app
    from assessment.app.db import db, unit_of_work, utcnow
    from assessment.models import Unit
    from surveys.models.surveys import Survey
    from surveys.services import surveys as services
    from tests.surveys.conftest import build_survey

    app = create_app()
    with app.app_context(), unit_of_work(None, reason="benchmark"):
        built = build_survey(db.session)
        survey = db.session.get_one(Survey, built["survey_id"])
        unit = db.session.scalars(sa.select(Unit).where(Unit.code == "QSZ-01")).one()
        codes: list[str] = []
        while len(codes) < count:
            _, slips = services.generate_batch(
                db.session,
                survey,
                unit=unit,
                size=min(count - len(codes), services.MAX_BATCH_SIZE),
                note="benchmark",
                key=app.config["ACCESS_CODE_HASH_KEY"],
                now=utcnow(),
            )
            codes.extend(slip.code for slip in slips)
    with app.app_context():
        db.engine.dispose()
    key = env["ASSESSMENT_ACCESS_CODE_HASH_KEY"].encode()
    ceiling_codes = [secrets.token_hex(6) for _ in range(count)]
    engine = sa.create_engine(_engine_url(env["BENCH_DATABASE_URL"]))
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS bench_codes"))
        connection.execute(sa.text("DROP TABLE IF EXISTS bench_rows"))
        connection.execute(
            sa.text("CREATE TABLE bench_codes (code_hash VARCHAR(64) PRIMARY KEY, used INTEGER)")
        )
        connection.execute(
            sa.text("CREATE TABLE bench_rows (id VARCHAR(32) PRIMARY KEY, answer VARCHAR(20))")
        )
        connection.execute(
            sa.text("INSERT INTO bench_codes VALUES (:code_hash, 0)"),
            [
                {"code_hash": hmac.new(key, c.encode(), hashlib.sha256).hexdigest()}
                for c in ceiling_codes
            ],
        )
    engine.dispose()
    return str(built["short_id"]), int(built["survey_id"]), codes, ceiling_codes


def _serve(
    env: dict[str, str], app_root: Path, target: str | None, port: int, log: Path, ready: str
) -> subprocess.Popen[bytes]:
    """gunicorn as production runs it: scripts/serve-prod.sh, or its config with ``target``."""
    env = {**env, "BIND": f"127.0.0.1:{port}"}
    if target is None:
        command = [str(app_root / "scripts" / "serve-prod.sh")]
    else:
        command = [str(VENV_BIN / "gunicorn"), "--config", "gunicorn.conf.py", target]
    server = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
        command,
        cwd=app_root,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    # The master listens before its workers have imported the app: wait until a run of
    # requests is answered (both workers up), so start-up is not timed.
    deadline = time.monotonic() + 120
    answered = 0
    while time.monotonic() < deadline and answered < 10 * WORKERS:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=30) as reply:
                answered += reply.status == 200
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    if answered >= 10 * WORKERS:
        return server
    _stop(server)
    raise SystemExit(f"gunicorn did not start: {log.read_text(errors='replace')[-3000:]}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=60)


# ---------------------------------------------------------------------------
# wrk runs
# ---------------------------------------------------------------------------


@dataclass
class Run:
    """What one wrk run measured, from the lines the Lua script prints."""

    ok: int
    failed: int
    sent: int
    window: float
    latencies: dict[int, list[float]]
    prepared: list[str]

    @property
    def rate(self) -> float:
        return self.ok / self.window if self.window > 0 else 0.0

    def percentile(self, step: int, share: float) -> float:
        values = sorted(self.latencies.get(step, []))
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(len(values) * share))]

    def median(self, step: int) -> float:
        values = self.latencies.get(step, [])
        return statistics.median(values) if values else float("nan")


def _wrk(
    folder: Path,
    port: int,
    *,
    mode: str,
    server: str,
    work: list[str],
    short_id: str,
    connections: int,
    seconds: float | None,
) -> Run:
    """One wrk run; a run without ``seconds`` ends when every connection used its work."""
    work_file = folder / f"{server}-{mode}.work"
    work_file.write_text("\n".join(work) + "\n")
    done_dir = folder / f"{server}-{mode}.done"
    done_dir.mkdir()
    command = [
        "wrk",
        f"-t{connections}",
        f"-c{connections}",
        f"-d{int(seconds) if seconds else 3600}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}",
        "--",
        mode,
        server,
        str(work_file),
        str(connections),
        str(done_dir),
        short_id,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
    if seconds is None:
        while process.poll() is None and len(list(done_dir.iterdir())) < connections:
            time.sleep(0.2)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # wrk ends the run and calls done()
    out, err = process.communicate(timeout=4000)
    if process.returncode != 0:
        raise SystemExit(f"wrk failed: {err.decode(errors='replace')}")
    latencies: dict[int, list[float]] = {1: [], 2: [], 3: []}
    ok = failed = sent = 0
    starts: list[float] = []
    ends: list[float] = []
    prepared: list[str] = []
    for line in out.decode().splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "LAT":
            step, value = rest.split()
            latencies[int(step)].append(float(value))
        elif kind == "STAT":
            _, t_ok, t_failed, t_sent, first, last = rest.split()
            ok, failed, sent = ok + int(t_ok), failed + int(t_failed), sent + int(t_sent)
            if float(first) > 0 and float(last) > 0:
                starts.append(float(first))
                ends.append(float(last))
        elif kind == "PREP":
            prepared.append(rest)
    window = max(ends) - min(starts) if starts else 0.0
    return Run(ok, failed, sent, window, latencies, prepared)


# ---------------------------------------------------------------------------
# counting this run's rows
# ---------------------------------------------------------------------------


def _count_rows(database_url: str, survey_id: int) -> dict[str, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(_engine_url(database_url))
    with engine.connect() as connection:

        def one(sql: str) -> int:
            return int(connection.execute(sa.text(sql), {"survey": survey_id}).scalar_one())

        counts = {
            # Only the benchmark's survey: the demo periods hold resident surveys of their own.
            "responses": one("SELECT count(*) FROM survey_responses WHERE survey_id = :survey"),
            "used_codes": one(
                "SELECT count(*) FROM survey_access_codes WHERE survey_id = :survey AND used"
            ),
            "ceiling_rows": one("SELECT count(*) FROM bench_rows"),
            "ceiling_used": one("SELECT count(*) FROM bench_codes WHERE used = 1"),
        }
    engine.dispose()
    return counts


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _machine(database_url: str) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    backend = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout  # noqa: S607
    return (
        f"{backend}; nproc {os.cpu_count()}, {cpu}; Python {platform.python_version()}; "
        f"{wrk_version.splitlines()[0] if wrk_version else 'wrk'}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a temporary SQLite file)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the flow run")
    parser.add_argument("--forms", type=int, default=3000, help="forms posted in the submit run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--app-root", type=Path, default=REPO, help="checkout to serve")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args()
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:  # noqa: S607
        raise SystemExit("wrk is missing: scripts/install-system-packages.sh wrk")
    app_root = options.app_root.resolve()
    # Enough codes for the flow run at a few hundred journeys a second, and the forms.
    codes_needed = int(options.seconds * 400) + options.forms + 200
    with tempfile.TemporaryDirectory(prefix="bench-submit-") as name:
        folder = Path(name)
        database_url = options.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        env = _env(database_url)
        print(f"load average at start: {_load_average()}", flush=True)  # noqa: T201
        print(f"seeding {codes_needed} codes per server ...", flush=True)  # noqa: T201
        short_id, survey_id, codes, ceiling_codes = _seed(env, app_root, codes_needed)
        # Both servers run side by side and are driven in turn, phase by phase, so the
        # app and its ceiling are measured minutes apart at most on a shared machine.
        plans = {
            "app": (None, f"/s/{short_id}", codes),
            "ceiling": ("scripts.bench_submit:make_ceiling_app()", "/form", ceiling_codes),
        }
        ports: dict[str, int] = {}
        processes: list[subprocess.Popen[bytes]] = []
        runs: dict[str, dict[str, Run]] = {"app": {}, "ceiling": {}}
        common: dict[str, Any] = {"short_id": short_id, "connections": options.connections}
        try:
            for server, (target, ready, _) in plans.items():
                ports[server] = _free_port()
                # The ceiling is this script's own app, whichever checkout the app comes from.
                root = app_root if target is None else REPO
                log = folder / f"{server}.log"
                processes.append(_serve(env, root, target, ports[server], log, ready))
            pools = {}
            for server, (_, _, pool) in plans.items():
                # Each worker's first requests (imports, caches) are not timed.
                warm_folder = folder / f"warm-{server}"
                warm_folder.mkdir()
                _wrk(
                    warm_folder,
                    ports[server],
                    mode="flow",
                    server=server,
                    work=pool[:100],
                    seconds=None,
                    **common,
                )
                pools[server] = pool[100:]
            for server, pool in pools.items():
                runs[server]["flow"] = _wrk(
                    folder,
                    ports[server],
                    mode="flow",
                    server=server,
                    work=pool[: len(pool) - options.forms],
                    seconds=options.seconds,
                    **common,
                )
            for server, pool in pools.items():
                runs[server]["prepare"] = _wrk(
                    folder,
                    ports[server],
                    mode="prepare",
                    server=server,
                    work=pool[-options.forms :],
                    seconds=None,
                    **common,
                )
            for server in pools:
                runs[server]["submit"] = _wrk(
                    folder,
                    ports[server],
                    mode="submit",
                    server=server,
                    work=runs[server]["prepare"].prepared,
                    seconds=None,
                    **common,
                )
        finally:
            for process in processes:
                _stop(process)
        counts = _count_rows(database_url, survey_id)
        app, ceiling = runs["app"], runs["ceiling"]
        print(f"load average at end: {_load_average()}")  # noqa: T201
        print(_machine(database_url))  # noqa: T201
        print(f"{options.connections} connections, 2 gunicorn sync workers each")  # noqa: T201
        flow_ratio = app["flow"].rate / ceiling["flow"].rate
        submit_ratio = app["submit"].rate / ceiling["submit"].rate
        lines = [
            ("whole flow", app["flow"], ceiling["flow"], flow_ratio, 3),
            ("submission", app["submit"], ceiling["submit"], submit_ratio, 3),
        ]
        for label, mine, bare, ratio, step in lines:
            print(  # noqa: T201
                f"{label:12s} app {mine.rate:7.1f}/s ({mine.ok} ok, {mine.failed} failed), "
                f"p50 {_ms(mine.median(step))} ms, p99 {_ms(mine.percentile(step, 0.99))} ms | "
                f"ceiling {bare.rate:7.1f}/s ({bare.ok} ok, {bare.failed} failed), "
                f"p50 {_ms(bare.median(step))} ms, p99 {_ms(bare.percentile(step, 0.99))} ms | "
                f"ratio {ratio:.0%}"
            )
        for step, label in ((1, "landing page"), (2, "code -> questionnaire"), (3, "answers")):
            print(  # noqa: T201
                f"  flow step {label:22s} app p50 {_ms(app['flow'].median(step))} ms, "
                f"p99 {_ms(app['flow'].percentile(step, 0.99))} ms"
            )
        for step, label in ((1, "GET form"), (3, "POST form")):
            print(  # noqa: T201
                f"  flow step {label:22s} ceiling p50 {_ms(ceiling['flow'].median(step))} ms, "
                f"p99 {_ms(ceiling['flow'].percentile(step, 0.99))} ms"
            )
        shown = sum(run.ok for key, run in app.items() if key != "prepare")
        sent = sum(run.sent for key, run in app.items() if key != "prepare") + 100
        bare_shown = sum(run.ok for key, run in ceiling.items() if key != "prepare")
        bare_sent = sum(run.sent for key, run in ceiling.items() if key != "prepare") + 100
        print(  # noqa: T201
            f"rows of this run: app receipts shown {shown} (+ warm-up) <= responses "
            f"{counts['responses']} = codes used {counts['used_codes']} <= sent {sent}; "
            f"ceiling {bare_shown} (+ warm-up) <= rows {counts['ceiling_rows']} = codes used "
            f"{counts['ceiling_used']} <= sent {bare_sent}"
        )
        if options.json:
            options.json.write_text(
                json.dumps(
                    {
                        "machine": _machine(database_url),
                        "flow_ratio": flow_ratio,
                        "submit_ratio": submit_ratio,
                        "counts": counts,
                    }
                )
            )
        if not (
            shown <= counts["responses"] <= sent
            and counts["used_codes"] == counts["responses"]
            and bare_shown <= counts["ceiling_rows"] <= bare_sent
            and counts["ceiling_used"] == counts["ceiling_rows"]
        ):
            raise SystemExit("MISMATCH: responses lost or duplicated")


if __name__ == "__main__":
    main()
