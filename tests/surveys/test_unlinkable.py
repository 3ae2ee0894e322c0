"""DESIGN section 5 on the database itself: what PostgreSQL and SQLite keep beside the
declared columns (``xmin``, ``ctid``, rowid, physical order, old row versions) joins no
response to its access code and orders no responses by arrival once a survey is closed;
while it is open, no response shares a transaction with the use of its code.

Residents answer through the web, as on their phones; the team closes through the web.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from assessment.app.db import db as _db
from assessment.app.db import utcnow
from surveys.core.quality import DURATION_BAND_EDGES
from surveys.models.surveys import AccessCode, Response, Survey
from surveys.services import form_state, storage, tokens
from surveys.services import surveys as services
from surveys.views import surveys as survey_views
from tests.conftest import TEST_SECRET
from tests.surveys.conftest import hidden_fields, receipt_in, resident_answers

RESIDENTS = 10


@pytest.fixture
def app_config(app_config, tmp_path):
    # A file, not SQLite's in-memory database: the test reads the file's bytes.
    if app_config["SQLALCHEMY_DATABASE_URI"] == "sqlite://":
        return {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rows.sqlite3'}"}
    return app_config


@pytest.fixture(autouse=True)
def _sqlite_as_commonly_built(app):
    """SQLite in WAL mode (as deployed under several workers, BENCHMARKS.md) and without
    ``secure_delete``, the default of most builds (Debian's turns it on): a changed row
    then leaves its old bytes in the page's free space, the ``-wal`` file or both."""
    with app.app_context():
        if _db.engine.dialect.name == "sqlite":

            def insecure_delete(connection, _record):
                connection.execute("PRAGMA secure_delete=OFF")

            sa.event.listen(_db.engine, "connect", insecure_delete)
            _db.engine.dispose()
            with _db.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")


def _dialect(app) -> str:
    with app.app_context():
        return _db.engine.dialect.name


def _keys_of(app, survey_id: int, fields: dict[str, str]) -> tuple[str, str]:
    """The claim and the submission key a questionnaire's hidden state leads to."""
    entry = form_state.open_sealed(TEST_SECRET, "survey-entry", fields["entry"], now=0)
    key = app.config["ACCESS_CODE_HASH_KEY"]
    return (
        tokens.claim_key(key, survey_id, entry["sub"]),
        tokens.submission_key(key, survey_id, entry["sub"]),
    )


def _stored_bytes(app) -> bytes:
    """Every byte the database keeps for the survey tables, old row versions included."""
    with app.app_context(), _db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            path = Path(str(_db.engine.url.database))
            wal = path.with_name(path.name + "-wal")
            return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        relations = list(
            connection.scalars(
                sa.text(
                    "SELECT c.oid::regclass::text FROM pg_class c WHERE c.oid IN ("
                    " SELECT oid FROM pg_class WHERE relname IN"
                    " ('survey_access_codes', 'survey_responses', 'survey_answers')"
                    " UNION SELECT indexrelid FROM pg_index WHERE indrelid::regclass::text IN"
                    " ('survey_access_codes', 'survey_responses', 'survey_answers'))"
                )
            )
        )
        pages = []
        for relation in relations:
            count = connection.scalar(
                sa.text("SELECT pg_relation_size(:r) / current_setting('block_size')::int"),
                {"r": relation},
            )
            for number in range(int(count)):
                pages.append(
                    connection.scalar(
                        sa.text("SELECT get_raw_page(:r, :n)"), {"r": relation, "n": number}
                    )
                )
        connection.commit()
        return b"".join(bytes(page) for page in pages)


def _close_through_the_web(client, auth, survey_id: int) -> None:
    auth.login("admin")
    closed = client.post(f"/admin/surveys/{survey_id}/close", data={"understood": "y"})
    assert closed.status_code == 302
    page = client.get(f"/admin/surveys/{survey_id}").get_data(as_text=True)
    assert "could not yet drop the old copies" not in page
    assert "Sealed on" in page


# Any transaction of another worker's test, in its own database of the same cluster,
# would keep CLUSTER from dropping the old versions (as it would in production, where
# the page then says so and `flask surveys compact` finishes later).
@pytest.mark.cluster_alone
def test_closed_survey_keeps_nothing_that_joins_or_orders_its_responses(
    app, demo, survey_factory, client, auth, runner
):
    built = survey_factory(codes=RESIDENTS)
    survey_id, short = built["survey_id"], built["short_id"]
    arrivals: list[tuple[str, str]] = []  # (receipt, code hash), in order of arrival
    secrets: list[bytes] = []  # claim and submission keys
    for number, code in enumerate(built["codes"]):
        receipt, fields = resident_answers(
            app.test_client(), short, code, q_overall__t1=str(1 + number % 5)
        )
        code_hash = tokens.hash_access_code(app.config["ACCESS_CODE_HASH_KEY"], survey_id, code)
        arrivals.append((receipt.replace("-", ""), code_hash))
        secrets += [key.encode() for key in _keys_of(app, survey_id, fields)]
    before = _stored_bytes(app)
    # Sanity: while open, the table files do hold the claims and submission keys.
    assert all(secret in before for secret in secrets)

    _close_through_the_web(client, auth, survey_id)

    after = _stored_bytes(app)
    assert not [secret for secret in secrets if secret in after], "an old row version survived"
    arrival_receipts = [receipt for receipt, _ in arrivals]
    with app.app_context():
        connection = _db.session.connection()
        ids_by_receipt = dict(connection.execute(sa.select(Response.receipt, Response.id)).all())
        arrival_ids = [ids_by_receipt[receipt] for receipt in arrival_receipts]
        assert not connection.scalar(
            sa.select(sa.func.count()).where(
                sa.or_(AccessCode.claim_key.is_not(None), AccessCode.used.is_(False))
            )
        )
        assert not connection.scalar(
            sa.select(sa.func.count()).where(Response.submission_key.is_not(None))
        )
        if connection.dialect.name == "postgresql":
            code_xmins = set(
                connection.scalars(sa.text("SELECT xmin::text FROM survey_access_codes WHERE used"))
            )
            response_xmins = set(
                connection.scalars(sa.text("SELECT xmin::text FROM survey_responses"))
            )
            answer_xmins = set(connection.scalars(sa.text("SELECT xmin::text FROM survey_answers")))
            assert not code_xmins & (response_xmins | answer_xmins)
            # One transaction id for all the codes, one for all the content: no order.
            assert len(code_xmins) == len(response_xmins) == len(answer_xmins) == 1
            scan = list(
                connection.scalars(sa.text("SELECT receipt FROM survey_responses ORDER BY ctid"))
            )
            answer_scan = list(
                connection.scalars(sa.text("SELECT response_id FROM survey_answers ORDER BY ctid"))
            )
            code_scan = list(
                connection.scalars(
                    sa.text("SELECT code_hash FROM survey_access_codes WHERE used ORDER BY ctid")
                )
            )
        else:
            with pytest.raises(OperationalError, match="rowid"):
                connection.execute(sa.text("SELECT rowid FROM survey_responses"))
            connection.rollback()
            scan = list(
                connection.scalars(sa.text("SELECT receipt FROM survey_responses NOT INDEXED"))
            )
            answer_scan = list(
                connection.scalars(sa.text("SELECT response_id FROM survey_answers NOT INDEXED"))
            )
            # Code rows keep the rowid of their generation, which is not the order of use.
            code_scan = list(
                connection.scalars(
                    sa.text("SELECT code_hash FROM survey_access_codes WHERE used ORDER BY rowid")
                )
            )
    assert sorted(scan) == sorted(arrival_receipts)
    assert scan not in (arrival_receipts, arrival_receipts[::-1])
    answer_order = list(dict.fromkeys(answer_scan))
    assert sorted(answer_order) == sorted(arrival_ids)
    assert answer_order not in (arrival_ids, arrival_ids[::-1])
    assert code_scan != [code_hash for _, code_hash in arrivals]

    # The seal was computed over the rewritten rows and still verifies.
    assert "match the seal" in client.get(f"/admin/surveys/{survey_id}/seal").get_data(as_text=True)
    assert runner.invoke(args=["surveys", "verify-seal"]).exit_code == 0


def test_while_open_no_response_shares_a_transaction_with_its_code(app, demo, survey_factory):
    if _dialect(app) != "postgresql":
        pytest.skip("SQLite rows carry no transaction id")
    built = survey_factory(codes=3)
    for code in built["codes"]:
        resident_answers(app.test_client(), built["short_id"], code)
    with app.app_context():
        code_xmins = set(
            _db.session.scalars(sa.text("SELECT xmin::text FROM survey_access_codes WHERE used"))
        )
        content_xmins = set(
            _db.session.scalars(
                sa.text(
                    "SELECT xmin::text FROM survey_responses "
                    "UNION SELECT xmin::text FROM survey_answers"
                )
            )
        )
    assert len(code_xmins) == 3
    assert not code_xmins & content_xmins


def test_a_failure_between_the_two_steps_is_finished_by_the_resend(app, open_survey, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the error page, as a resident would see it
    real = services.store_online_response
    calls: list[int] = []

    def fails_the_first_time(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "store_online_response", fails_the_first_time)
    short, code = open_survey["short_id"], open_survey["codes"][0]
    client = app.test_client()
    page = client.post(f"/s/{short}", data={"code": code}).get_data(as_text=True)
    data = {**hidden_fields(page), "q_overall__t1": "4", "nav": "confirm"}
    failed = client.post(f"/s/{short}/answer", data=data)
    # A lost database connection is the outage page ("try again shortly"), not a receipt.
    assert failed.status_code == 503 and 'class="receipt"' not in failed.get_data(as_text=True)
    # The code is held for that form: someone else cannot start with it ...
    other = app.test_client().post(f"/s/{short}", data={"code": code})
    assert other.status_code == 400 and "already been used" in other.get_data(as_text=True)
    # ... and the resident's resend of the same form stores the answers.
    again = client.post(f"/s/{short}/answer", data=data)
    assert again.status_code == 200 and receipt_in(again.get_data(as_text=True))
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
        assert _db.session.scalar(sa.select(sa.func.count()).where(AccessCode.used.is_(True))) == 1


def test_the_time_taken_is_stored_as_its_coarse_band(app, open_survey, monkeypatch):
    clock = SimpleNamespace(now=1_780_000_000.0)
    monkeypatch.setattr(survey_views, "time", SimpleNamespace(time=lambda: clock.now))
    short = open_survey["short_id"]
    client = app.test_client()
    page = client.post(f"/s/{short}", data={"code": open_survey["codes"][0]}).get_data(as_text=True)
    clock.now += 137
    done = client.post(
        f"/s/{short}/answer", data={**hidden_fields(page), "q_overall__t1": "4", "nav": "confirm"}
    )
    assert done.status_code == 200
    with app.app_context():
        stored = _db.session.scalars(sa.select(Response.duration_band_s)).one()
    assert stored == 120 and stored in DURATION_BAND_EDGES


@pytest.mark.cluster_alone  # as above
def test_compaction_waits_for_an_older_transaction_of_any_database(app, demo, survey_factory, make):
    """A transaction begun before the compaction, even in another database of the cluster,
    keeps CLUSTER's own snapshot from dropping the old row versions: wait for it, or say so."""
    if _dialect(app) != "postgresql":
        pytest.skip("one SQLite file is one database; VACUUM needs no other to finish")
    built = survey_factory(codes=2)
    secrets = []
    for code in built["codes"]:
        _, fields = resident_answers(app.test_client(), built["short_id"], code)
        secrets += [key.encode() for key in _keys_of(app, built["survey_id"], fields)]
    with app.app_context():
        other = sa.create_engine(_db.engine.url.set(database="postgres"))
        try:
            with other.connect() as elsewhere:
                elsewhere.execute(sa.text("SELECT pg_current_xact_id()"))  # begun before
                make(
                    lambda s: services.close_survey(
                        s, s.get(Survey, built["survey_id"]), now=utcnow()
                    )
                )
                held = storage.compact_survey_tables(_db.engine, lock_timeout_s=0.5)
                elsewhere.rollback()
        finally:
            other.dispose()
        assert (held.done, held.problem) == (False, "older_transactions")
        assert storage.compact_survey_tables(_db.engine).done
    assert not [secret for secret in secrets if secret in _stored_bytes(app)]
