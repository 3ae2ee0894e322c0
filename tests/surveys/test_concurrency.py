"""Two copies of one form sent at the same moment (double click, retry) store one response."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from assessment.app.db import db as _db
from surveys.models.surveys import AccessCode, Response
from surveys.services import surveys as services


@pytest.fixture
def app_config(app_config, tmp_path):
    # Threads need a shared database: a file, not SQLite's per-connection memory.
    if app_config["SQLALCHEMY_DATABASE_URI"] == "sqlite://":
        return {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'race.sqlite3'}"}
    return app_config


@pytest.mark.parametrize("copies", [2, 4])
def test_simultaneous_copies_of_one_form_store_one_response(app, open_survey, copies):
    short = open_survey["short_id"]
    page = app.test_client().post(f"/s/{short}", data={"code": open_survey["codes"][0]})
    fields = dict(
        re.findall(r'name="(entry|carried|step)"[^>]*value="([^"]*)"', page.get_data(as_text=True))
    )
    data = {**fields, "q_overall__t1": "4", "q_grade__t1": "competent", "nav": "confirm"}
    barrier = threading.Barrier(copies)
    outcomes: list[tuple[int, str]] = []

    def send() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/s/{short}/answer", data=data)
        match = re.search(r'<p class="receipt">([^<]+)</p>', response.get_data(as_text=True))
        outcomes.append((response.status_code, match.group(1) if match else ""))

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in outcomes] == [200] * copies
    assert len({receipt for _, receipt in outcomes}) == 1
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
        assert _db.session.scalar(sa.select(sa.func.count()).where(AccessCode.used.is_(True))) == 1


@pytest.mark.parametrize("pause_in", ["store_online_response", "store_response"])
def test_a_second_click_while_the_first_is_storing_shows_the_receipt(
    app, open_survey, monkeypatch, pause_in
):
    """The first copy stops inside the storing step (before its duplicate check, or
    between that check and its insert) until the second copy has finished: the second
    stores the answers, the first finds them or meets the unique key; both show the
    same receipt, and neither says the code was used by someone else."""
    short = open_survey["short_id"]
    page = app.test_client().post(f"/s/{short}", data={"code": open_survey["codes"][0]})
    fields = dict(
        re.findall(r'name="(entry|carried|step)"[^>]*value="([^"]*)"', page.get_data(as_text=True))
    )
    data = {**fields, "q_overall__t1": "4", "nav": "confirm"}
    real = getattr(services, pause_in)
    first_inside = threading.Event()
    second_done = threading.Event()
    entered: list[str] = []
    lock = threading.Lock()

    def paused(*args, **kwargs):
        with lock:
            entered.append(threading.current_thread().name)
            first = len(entered) == 1
        if first:
            first_inside.set()
            assert second_done.wait(timeout=60)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, pause_in, paused)
    outcomes: dict[str, tuple[int, str]] = {}

    def send(name: str) -> None:
        response = app.test_client().post(f"/s/{short}/answer", data=data)
        text = response.get_data(as_text=True)
        match = re.search(r'<p class="receipt">([^<]+)</p>', text)
        outcomes[name] = (response.status_code, match.group(1) if match else text)

    first = threading.Thread(target=send, args=("first",), name="first")
    first.start()
    assert first_inside.wait(timeout=60)
    send("second")
    second_done.set()
    first.join()
    assert outcomes["first"][0] == outcomes["second"][0] == 200, outcomes
    assert outcomes["first"][1] == outcomes["second"][1]
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
        assert _db.session.scalar(sa.select(sa.func.count()).where(AccessCode.used.is_(True))) == 1
