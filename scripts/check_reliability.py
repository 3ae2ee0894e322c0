"""Reliability check: no acknowledged answer lost or doubled while workers and databases fail.

Not a test. Run ``.venv/bin/python scripts/check_reliability.py [--backend both]
[--levels 8,32,64] [--seconds 20]``.

For each backend (SQLite in WAL mode in a temporary folder; a throwaway PostgreSQL
cluster started as ``scripts/with-postgres.sh`` starts one, but kept under this script's
control so that it can be restarted):

1. ``flask db upgrade``, the demo township, an open survey and enough access codes
   (generated in this process, so the clear codes are known to the residents).
2. For each concurrency level: gunicorn (2 sync workers) serves the real app on a
   loopback port; that many resident threads, for ``--seconds``, each take a fresh code
   and do what a phone does: ``GET`` the survey page (CSRF token), ``POST`` the code,
   ``POST`` the answers, and read the receipt. One resident in ten double-clicks: the
   same form is posted twice at once. A third of the way in, one gunicorn worker is
   killed with SIGKILL (gunicorn starts another); two thirds of the way in, PostgreSQL
   is restarted (``pg_ctl restart -m immediate``, a crash and recovery). A resident
   whose request fails (connection reset, 5xx) does what a person does: sends the same
   form again, until it works (for at most a minute after the level's time is up).
3. After each level the database is read: stored responses, used codes and the stored
   receipts must equal the receipts the residents were shown (each once; both copies of a
   double click show the same one), with no receipt shown twice.

At the end ``--extra-responses`` synthetic responses are added in bulk (a county-sized
survey), the survey is closed in this process, and the close (rewrite and seal) and the
compaction are timed. Prints a summary table and exits with 1 when any check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.bench_submit import CSRF, HIDDEN, Browser, _free_port  # noqa: E402

VENV_BIN = Path(sys.executable).parent
WORKERS = 2
DOUBLE_CLICK_SHARE = 0.1
RETRY_GRACE_S = 60.0
ANSWERS = {"q_overall__t1": "4", "q_grade__t1": "competent", "q_overall__t2": "5", "q_age": "60"}


# ---------------------------------------------------------------------------
# databases
# ---------------------------------------------------------------------------


class SqliteDatabase:
    name = "sqlite"

    def __init__(self, folder: Path) -> None:
        self.path = folder / "reliability.sqlite3"
        self.url = f"sqlite:///{self.path}"

    def __enter__(self) -> SqliteDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def prepare(self) -> None:
        import sqlite3

        with sqlite3.connect(self.path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")

    def restart(self) -> bool:
        return False  # an embedded database has no server to restart


class PostgresCluster:
    """A throwaway cluster, started the way scripts/with-postgres.sh starts one."""

    name = "postgresql"

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "pg"
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/reliability"
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql-15)")
        self.bin = bins[-1].parent
        # PostgreSQL refuses to run as root: as root, the server runs as `postgres`.
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True)  # noqa: S603

    def __enter__(self) -> PostgresCluster:
        self.folder.mkdir(mode=0o700)
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        self._pg_ctl("start")
        psql = [str(self.bin / "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port)]
        self._run(*psql, "-U", "postgres", "-d", "postgres", "-c", "CREATE DATABASE reliability")
        return self

    def _pg_ctl(self, action: str, *extra: str) -> None:
        # fsync off as in with-postgres.sh (this machine is shared); synchronous_commit
        # stays on: an acknowledged commit must survive the immediate restart.
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", "60", "-o", options, *extra, action)  # fmt: skip

    def restart(self) -> bool:
        self._pg_ctl("restart", "-m", "immediate")
        return True

    def prepare(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


# ---------------------------------------------------------------------------
# the app and its data
# ---------------------------------------------------------------------------


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSESSMENT_")}
    env.pop("DATABASE_URL", None)
    env.update(
        ASSESSMENT_SQLALCHEMY_DATABASE_URI=url,
        ASSESSMENT_SECRET_KEY="k" + secrets.token_hex(20),
        ASSESSMENT_ACCESS_CODE_HASH_KEY="k" + secrets.token_hex(20),
        # Every resident comes from 127.0.0.1 here; none types a wrong code anyway.
        ASSESSMENT_SURVEY_CODE_MAX_FAILURES_PER_CLIENT="1000000",
    )
    return env


def _app(env: dict[str, str]) -> Any:
    os.environ.update(env)
    from assessment.app import create_app

    return create_app()


def _seed(env: dict[str, str], codes: int) -> tuple[int, str, list[str]]:
    flask = [str(VENV_BIN / "flask"), "--app", "assessment.app", "db", "upgrade"]
    subprocess.run(flask, cwd=REPO, env=env, check=True, capture_output=True)  # noqa: S603
    import sqlalchemy as sa

    from assessment.app.db import db, unit_of_work, utcnow
    from assessment.models import Unit
    from assessment.services.demo import seed_demo
    from surveys.models.surveys import Survey
    from surveys.services import surveys as services
    from tests.surveys.conftest import build_survey

    app = _app(env)
    with app.app_context():
        with unit_of_work(None, reason="reliability check") as session:
            seed_demo(session)
            built = build_survey(session)
            survey = session.get(Survey, built["survey_id"])
            unit = session.scalars(sa.select(Unit).where(Unit.code == "QSZ-01")).one()
            drawn: list[str] = []
            while len(drawn) < codes:
                _, slips = services.generate_batch(
                    session,
                    survey,
                    unit=unit,
                    size=min(services.MAX_BATCH_SIZE, codes - len(drawn)),
                    note="reliability",
                    key=app.config["ACCESS_CODE_HASH_KEY"],
                    now=utcnow(),
                )
                drawn += [slip.code for slip in slips]
        db.session.remove()
        db.engine.dispose()
    random.shuffle(drawn)
    return built["survey_id"], built["short_id"], drawn


def _counts(env: dict[str, str], survey_id: int) -> tuple[int, int, set[str]]:
    import sqlalchemy as sa

    from assessment.app.db import db
    from surveys.models.surveys import AccessCode, Response

    app = _app(env)
    with app.app_context():
        stored = set(
            db.session.scalars(sa.select(Response.receipt).where(Response.survey_id == survey_id))
        )
        responses = db.session.scalar(
            sa.select(sa.func.count()).where(Response.survey_id == survey_id)
        )
        used = db.session.scalar(
            sa.select(sa.func.count()).where(
                AccessCode.survey_id == survey_id, AccessCode.used.is_(True)
            )
        )
        db.session.remove()
        db.engine.dispose()
    return int(responses or 0), int(used or 0), stored


def _add_synthetic_responses(session: Any, survey_id: int, count: int) -> None:
    """``count`` more responses of the unit's residents, answered at random, in bulk."""
    import uuid

    import sqlalchemy as sa

    from assessment.app.db import utcnow
    from assessment.models import Unit
    from surveys.models.surveys import Answer, Response
    from surveys.services import surveys as services
    from surveys.services.queries import list_items

    unit_id = session.scalars(sa.select(Unit.id).where(Unit.code == "QSZ-01")).one()
    items = [i for i in list_items(session, survey_id, unit_id) if i.kind == "likert"]
    survey = session.get(services.Survey, survey_id)
    voter_group = services.respondent_group(session, survey, unit_id)
    today = utcnow().date()
    for start in range(0, count, 1000):
        responses, answers = [], []
        for _ in range(min(1000, count - start)):
            response_id = uuid.uuid4().hex
            chosen = {item.key: random.choice(item.values) for item in items}  # noqa: S311
            responses.append(
                {
                    "id": response_id,
                    "survey_id": survey_id,
                    "unit_id": unit_id,
                    "voter_group": voter_group,
                    "channel": "online",
                    "submitted_on": today,
                    "receipt": uuid.uuid4().hex[:9].upper(),
                    "submission_key": secrets.token_hex(32),
                    "content_digest": services.content_digest(unit_id, chosen),
                    "duration_band_s": 240,
                }
            )
            answers += [
                {
                    "response_id": response_id,
                    "item": item.key,
                    "question_id": item.question_id,
                    "target_id": item.target_id,
                    "value_int": int(chosen[item.key]),
                    "value_text": None,
                }
                for item in items
            ]
        session.execute(sa.insert(Response), responses)
        session.execute(sa.insert(Answer), answers)


def _close_and_compact(
    env: dict[str, str], survey_id: int, extra: int
) -> tuple[int, int, float, float, str]:
    import sqlalchemy as sa

    from assessment.app.db import db, unit_of_work, utcnow
    from surveys.models.surveys import Answer, Response, Survey
    from surveys.services import storage
    from surveys.services import surveys as services

    app = _app(env)
    with app.app_context():
        if extra:
            with unit_of_work(None, reason="reliability check") as session:
                _add_synthetic_responses(session, survey_id, extra)
        responses = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
        answers = db.session.scalar(sa.select(sa.func.count()).select_from(Answer))
        db.session.remove()
        started = time.perf_counter()
        with unit_of_work(None, reason="reliability check") as session:
            services.close_survey(session, session.get(Survey, survey_id), now=utcnow())
        closed = time.perf_counter() - started
        db.session.remove()
        started = time.perf_counter()
        result = storage.compact_survey_tables(db.engine, lock_timeout_s=60)
        compacted = time.perf_counter() - started
        with unit_of_work(None):
            check = services.verify_seal(db.session, db.session.get(Survey, survey_id))
        db.session.remove()
        db.engine.dispose()
    verdict = "done" if result.done else result.problem
    seal = "verifies" if check and check.ok else "BROKEN"
    return int(responses or 0), int(answers or 0), closed, compacted, f"{verdict}, seal {seal}"


# ---------------------------------------------------------------------------
# gunicorn
# ---------------------------------------------------------------------------


def _serve(env: dict[str, str], port: int, log: Path, ready_path: str) -> subprocess.Popen[bytes]:
    command = [
        str(VENV_BIN / "gunicorn"), "--workers", str(WORKERS), "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning",
        "assessment.app:create_app()",
    ]  # fmt: skip
    server = subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
        command, cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 90
    answered = 0
    while time.monotonic() < deadline and answered < 4 * WORKERS:
        try:
            status, _ = Browser(port).request("GET", ready_path)
            answered += status == 200
        except OSError:
            time.sleep(0.2)
    if answered < 4 * WORKERS:
        server.kill()
        raise SystemExit(f"gunicorn did not start: {log.read_text(errors='replace')[-2000:]}")
    return server


def _workers_of(master: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            children.append(int(entry.name))
    return sorted(children)


# ---------------------------------------------------------------------------
# residents
# ---------------------------------------------------------------------------


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    receipts: list[str] = field(default_factory=list)
    double_clicks: int = 0
    double_click_mismatches: int = 0
    retried_residents: int = 0
    failed_requests: int = 0
    gave_up: int = 0
    #: Answers other than a receipt or an outage (e.g. "code already used"): each a defect.
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


class OutageError(Exception):
    """A request that failed as in an outage: connection refused or reset, or a 5xx."""


def _request(browser: Browser, method: str, path: str, form: dict[str, str] | None = None) -> str:
    try:
        status, page = browser.request(method, path, form)
    except (OSError, ConnectionError, EOFError) as error:
        raise OutageError(str(error)) from error
    except Exception as error:  # http.client.RemoteDisconnected, BadStatusLine, ...
        raise OutageError(type(error).__name__) from error
    if status >= 500:
        raise OutageError(str(status))
    if status != 200:
        raise RuntimeError(f"{method} {path}: HTTP {status}: {page[:300]}")
    return page


def _until_it_works(tally: Tally, give_up_at: float, action: Any) -> Any:
    """Do it again after a failure, as a person would (a moment later), until it works."""
    failures = 0
    while True:
        try:
            result = action()
        except OutageError:
            failures += 1
            with tally.lock:
                tally.failed_requests += 1
            if time.monotonic() > give_up_at:
                raise
            time.sleep(min(2.0, 0.05 * 2**failures))
        else:
            return result, failures


def _receipt(page: str) -> str:
    marker = '<p class="receipt">'
    start = page.index(marker) + len(marker)
    return page[start : page.index("<", start)]


def _one_resident(port: int, short: str, code: str, tally: Tally, give_up_at: float) -> None:
    browser = Browser(port)
    retried = 0

    def csrf_token(page: str) -> str:
        found = CSRF.search(page)
        if found is None:
            raise RuntimeError(f"no CSRF token in {page[:300]}")
        return found.group(1)

    def open_form() -> dict[str, str]:
        landing = _request(browser, "GET", f"/s/{short}")
        sent = {"csrf_token": csrf_token(landing), "code": code}
        page = _request(browser, "POST", f"/s/{short}", sent)
        hidden = dict(HIDDEN.findall(page))
        return {**hidden, **ANSWERS, "nav": "submit", "csrf_token": csrf_token(page)}

    def submit(copy: Browser) -> str:
        return _receipt(_request(copy, "POST", f"/s/{short}/answer", form))

    started = time.perf_counter()
    try:
        form, failures = _until_it_works(tally, give_up_at, open_form)
        retried += failures
        if random.random() < DOUBLE_CLICK_SHARE:  # noqa: S311  (simulation, not security)
            twin = Browser(port)
            twin.cookies = dict(browser.cookies)
            seen: list[str] = []

            def click(copy: Browser) -> None:
                nonlocal retried
                receipt, failures = _until_it_works(tally, give_up_at, lambda: submit(copy))
                seen.append(receipt)
                retried += failures

            other = threading.Thread(target=click, args=(twin,))
            other.start()
            click(browser)
            other.join()
            with tally.lock:
                tally.double_clicks += 1
                tally.double_click_mismatches += len(set(seen)) != 1 or len(seen) != 2
            receipt = seen[0]
        else:
            receipt, failures = _until_it_works(tally, give_up_at, lambda: submit(browser))
            retried += failures
    except OutageError:
        with tally.lock:
            tally.gave_up += 1
        return
    except (RuntimeError, AssertionError, ValueError) as error:
        with tally.lock:
            tally.errors.append(str(error)[:300])
        return
    with tally.lock:
        tally.receipts.append(receipt.replace("-", ""))
        tally.retried_residents += retried > 0
        tally.latencies.append(time.perf_counter() - started)


@dataclass
class LevelResult:
    backend: str
    residents: int
    seconds: float
    tally: Tally
    stored: int
    used: int
    receipts_match: bool
    worker_killed_at: float | None
    database_restarted_at: float | None

    @property
    def acknowledged(self) -> int:
        return len(self.tally.receipts)

    @property
    def ok(self) -> bool:
        t = self.tally
        return (
            self.acknowledged == self.stored == self.used
            and len(set(t.receipts)) == len(t.receipts)
            and self.receipts_match
            and t.double_click_mismatches == 0
            and t.gave_up == 0
            and not t.errors
        )


def _run_level(
    database: Any, env: dict[str, str], survey_id: int, short: str, codes: list[str],
    residents: int, seconds: float, folder: Path,
) -> LevelResult:  # fmt: skip
    before_responses, before_used, before_receipts = _counts(env, survey_id)
    port = _free_port()
    server = _serve(env, port, folder / f"gunicorn-{database.name}.log", f"/s/{short}")
    tally = Tally()
    pool = list(codes)
    pool_lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds
    give_up_at = deadline + RETRY_GRACE_S

    def resident_thread() -> None:
        while time.monotonic() < deadline:
            with pool_lock:
                if not pool:
                    return
                code = pool.pop()
            _one_resident(port, short, code, tally, give_up_at)

    threads = [threading.Thread(target=resident_thread) for _ in range(residents)]
    for thread in threads:
        thread.start()
    killed_at = restarted_at = None
    try:
        time.sleep(seconds / 3)
        workers = _workers_of(server.pid)
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            killed_at = time.monotonic() - started
        time.sleep(seconds / 3)
        if database.restart():
            restarted_at = time.monotonic() - started
        for thread in threads:
            thread.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    codes[:] = pool  # the codes not handed out stay for the next level
    elapsed = time.monotonic() - started
    responses, used, receipts = _counts(env, survey_id)
    new_receipts = receipts - before_receipts
    return LevelResult(
        backend=database.name,
        residents=residents,
        seconds=elapsed,
        tally=tally,
        stored=responses - before_responses,
        used=used - before_used,
        receipts_match=new_receipts == set(tally.receipts),
        worker_killed_at=killed_at,
        database_restarted_at=restarted_at,
    )


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def _table(results: list[LevelResult]) -> str:
    head = (
        "| backend | residents | time | acknowledged | stored | used codes | duplicates | "
        "double clicks (same receipt) | failed requests | residents who retried | "
        "gave up or error | "
        "worker SIGKILL | DB restart | journeys/s | p50 / p99 journey | check |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        t = r.tally
        p50, p99 = (_percentile(t.latencies, share) * 1000 for share in (0.5, 0.99))
        cells = [
            r.backend,
            str(r.residents),
            f"{r.seconds:.0f} s",
            str(r.acknowledged),
            str(r.stored),
            str(r.used),
            str(len(t.receipts) - len(set(t.receipts))),
            f"{t.double_clicks} ({t.double_clicks - t.double_click_mismatches})",
            str(t.failed_requests),
            str(t.retried_residents),
            str(t.gave_up + len(t.errors)),
            "—" if r.worker_killed_at is None else f"at {r.worker_killed_at:.0f} s",
            "—" if r.database_restarted_at is None else f"at {r.database_restarted_at:.0f} s",
            f"{r.acknowledged / r.seconds:.1f}",
            f"{p50:.0f} / {p99:.0f} ms",
            "OK" if r.ok else "FAILED",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--levels", default="8,32,64", help="concurrent residents per level")
    parser.add_argument("--seconds", type=float, default=20.0, help="time of each level")
    parser.add_argument("--codes", type=int, default=12000, help="access codes to draw")
    parser.add_argument(
        "--extra-responses",
        type=int,
        default=20000,
        help="responses added in bulk before closing, to time the close and the compaction",
    )
    options = parser.parse_args()
    levels = [int(level) for level in options.levels.split(",")]
    backends = ["sqlite", "postgresql"] if options.backend == "both" else [options.backend]
    print(  # noqa: T201
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, nproc {os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.2f}, Python {platform.python_version()}",
        flush=True,
    )
    results: list[LevelResult] = []
    closing: list[str] = []
    with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        folder = Path(tmp)
        if os.getuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        for backend in backends:
            kind = SqliteDatabase if backend == "sqlite" else PostgresCluster
            with kind(folder) as database:
                env = _env(database.url)
                database.prepare()
                print(f"{backend}: seeding {options.codes} codes ...", flush=True)  # noqa: T201
                survey_id, short, codes = _seed(env, options.codes)
                for residents in levels:
                    result = _run_level(
                        database, env, survey_id, short, codes, residents, options.seconds, folder
                    )
                    results.append(result)
                    print(_table([result]).splitlines()[-1], flush=True)  # noqa: T201
                    for error in result.tally.errors[:5]:
                        print(f"  error: {error}", flush=True)  # noqa: T201
                responses, answers, closed, compacted, verdict = _close_and_compact(
                    env, survey_id, options.extra_responses
                )
                closing.append(
                    f"{backend}: closing the survey ({responses} responses, {answers} answers in "
                    f"the tables; rewrite and seal) {closed:.2f} s, compaction {compacted:.2f} s "
                    f"({verdict})"
                )
    print()  # noqa: T201
    print(_table(results))  # noqa: T201
    print("\n".join(closing))  # noqa: T201
    print(f"load average at the end {os.getloadavg()[0]:.2f}")  # noqa: T201
    if not all(r.ok for r in results) or any("BROKEN" in c or "done" not in c for c in closing):
        raise SystemExit("FAILED: see the table")


if __name__ == "__main__":
    main()
