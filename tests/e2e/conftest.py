"""Browser-test fixtures: the real app in its own process, and Debian's Chromium.

The server is started once per session as a separate process (``live_server.py``) on
a free loopback port, against a temporary SQLite file that ``flask db upgrade`` creates
and ``flask demo seed`` fills. Its configuration comes from ``ASSESSMENT_*`` environment
variables: the instance folder is the repository's ``instance/``, so the variables
override whatever a developer keeps there.

The servers (and the modules that prepare their data) use that SQLite file on both passes,
so the PostgreSQL pass (``TEST_DATABASE_URL`` set) skips the browser tests instead of
running the same thing twice. Serving them from PostgreSQL on that pass is still to do.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.navigators import StaffNavigator

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_TIMEOUT = 60.0
DEFAULT_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL pass, skip the browser tests: their servers run on SQLite."""
    if not os.environ.get("TEST_DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="browser tests serve a SQLite demo: they run on the SQLite pass")
    for item in items:
        if item.get_closest_marker("e2e") is not None:
            item.add_marker(skip)


def _random_key() -> str:
    # 40 letters and digits that never parse as JSON (from_prefixed_env tries).
    return "k" + secrets.token_hex(20)[:39]


def _server_env(database: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ASSESSMENT_") and name != "DATABASE_URL"
    }
    env.update(
        ASSESSMENT_SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
        ASSESSMENT_SECRET_KEY=_random_key(),
        ASSESSMENT_ACCESS_CODE_HASH_KEY=_random_key(),
        ASSESSMENT_BABEL_DEFAULT_LOCALE="zh_CN",
        PYTHONUNBUFFERED="1",
    )
    return env


def _flask(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(  # noqa: S603  (fixed argv, no shell)
        [sys.executable, "-m", "flask", "--app", "assessment.app", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def _read_port(server: subprocess.Popen[str], log: Path) -> int:
    """Wait for the first line the server prints (its port), or for it to die."""
    assert server.stdout is not None
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([server.stdout], [], [], deadline - time.monotonic())
        if ready:
            line = server.stdout.readline()
            if line.strip().isdigit():
                return int(line)
            break
    server.kill()
    server.wait()
    pytest.fail(f"the test server did not start:\n{log.read_text(errors='replace')}")


@contextlib.contextmanager
def serve_demo(workdir: Path) -> Iterator[str]:
    """Seed the demo county into a new database in ``workdir`` and serve it; the base URL."""
    env = _server_env(workdir / "assessment.sqlite3")
    _flask(env, "db", "upgrade")
    _flask(env, "demo", "seed")
    log = workdir / "server.log"
    with (
        log.open("w", encoding="utf-8") as log_file,
        subprocess.Popen(  # noqa: S603  (fixed argv, no shell)
            [sys.executable, str(Path(__file__).with_name("live_server.py"))],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
        ) as server,
    ):
        port = _read_port(server, log)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the real app, with the demo township, served by another process.

    Shared by the whole session: a test that moves a period through its lifecycle uses
    a server of its own (:func:`serve_demo`), so the others find the demo as seeded.
    """
    with serve_demo(tmp_path_factory.mktemp("e2e-server")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} not found: `make test` installs it (apt-get install chromium), "
            'or deselect the browser tests with -m "not e2e"'
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    """Window size of the test's browser page; override in a test module or with parametrize."""
    return {"width": 1280, "height": 800}


@pytest.fixture
def page(browser: Browser, live_server: str, viewport: dict[str, int]) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test."""
    context = browser.new_context(base_url=live_server, viewport=viewport)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def staff(page: Page, live_server: str) -> StaffNavigator:
    return StaffNavigator(page, live_server)
