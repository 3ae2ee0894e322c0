"""The audited write path and tamper detection of the hash chain."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from assessment.models import AuditEntry, Unit
from assessment.services import org
from assessment.services.audit import AuditError, verify_audit_chain


def _entries(db):
    return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()


def test_every_seeded_write_is_chained(db, demo):
    entries = _entries(db)
    # 10 units (each inserted then its path set), 6 posts, 40 cadres, 40 appointments,
    # 8 accounts with 8 scopes, 1 period.
    tables = {e.object_type for e in entries}
    assert {"unit", "post", "cadre", "appointment", "account", "account_scope", "period"} <= tables
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert verify_audit_chain(db.session).ok


def test_update_records_actor_before_after_and_reason(db, demo, make):
    admin_id = 1

    def change(session):
        unit = session.scalars(sa.select(Unit).where(Unit.code == "QSZ-03")).one()
        org.update_unit(
            session,
            unit,
            org.UnitData("QSZ-03", "village", "枫岭村", "Fengling", unit.parent_id, 600, 2000),
        )

    make(change, actor_id=admin_id)
    # make() runs with reason "test fixture"
    last = _entries(db)[-1]
    assert last.action == "unit.update"
    assert last.actor_name == "admin"
    assert json.loads(last.before)["households"] == 563
    assert json.loads(last.after)["households"] == 600
    assert last.reason == "test fixture"
    assert verify_audit_chain(db.session).ok


def test_password_hashes_never_reach_the_log(db, demo):
    account_entries = [e for e in _entries(db) if e.object_type == "account"]
    assert account_entries
    for entry in account_entries:
        assert json.loads(entry.after)["password_hash"] == "***"
        assert "argon2" not in entry.after


def test_write_outside_unit_of_work_is_refused(db, demo):
    unit = db.session.scalars(sa.select(Unit).where(Unit.code == "QSZ-01")).one()
    unit.households = 1
    with pytest.raises(AuditError, match="outside unit_of_work"):
        db.session.flush()
    db.session.rollback()


def test_orm_cannot_rewrite_the_log(demo, make):
    def rewrite(session):
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.seq == 1)).one()
        entry.reason = "rewritten"
        session.flush()

    with pytest.raises(AuditError, match="append-only"):
        make(rewrite)


def _tamper(db, sql, **params):
    with db.engine.begin() as connection:
        connection.execute(sa.text(sql), params)
    db.session.expire_all()


def test_changed_entry_is_named(db, demo):
    _tamper(db, "UPDATE audit_entry SET after = :v WHERE seq = 7", v='{"households":1}')
    result = verify_audit_chain(db.session)
    assert not result.ok
    assert result.first_broken_seq == 7
    assert result.problem == "content_changed"


def test_changed_actor_is_named(db, demo):
    _tamper(db, "UPDATE audit_entry SET actor_name = 'someone' WHERE seq = 12")
    result = verify_audit_chain(db.session)
    assert (result.first_broken_seq, result.problem) == (12, "content_changed")


def test_deleted_entry_is_named_at_the_gap(db, demo):
    _tamper(db, "DELETE FROM audit_entry WHERE seq = 5")
    result = verify_audit_chain(db.session)
    assert not result.ok
    assert result.first_broken_seq == 6
    assert result.problem == "sequence_gap"


def test_deleted_and_renumbered_entries_break_the_link(db, demo):
    # A careful forger deletes seq 5 and renumbers the rest to close the gap.
    _tamper(db, "DELETE FROM audit_entry WHERE seq = 5")
    _tamper(db, "UPDATE audit_entry SET seq = -seq WHERE seq > 5")
    _tamper(db, "UPDATE audit_entry SET seq = -seq - 1 WHERE seq < 0")
    result = verify_audit_chain(db.session)
    assert not result.ok
    assert result.first_broken_seq == 5
    assert result.problem in {"link_broken", "content_changed"}


def test_swapped_entries_are_named(db, demo):
    _tamper(db, "UPDATE audit_entry SET seq = -1 WHERE seq = 3")
    _tamper(db, "UPDATE audit_entry SET seq = 3 WHERE seq = 4")
    _tamper(db, "UPDATE audit_entry SET seq = 4 WHERE seq = -1")
    result = verify_audit_chain(db.session)
    assert not result.ok
    assert result.first_broken_seq == 3


def test_cli_verify_passes_then_names_the_tampered_entry(db, demo, runner):
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0
    assert "哈希链完整" in ok.output  # the command speaks the default language
    _tamper(db, "UPDATE audit_entry SET object_id = '999' WHERE seq = 20")
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert "seq=20" in broken.output
    assert "content_changed" in broken.output


def test_audit_page_filters_and_verifies(client, auth, demo):
    auth.login("admin")
    page = client.get("/admin/audit/?object_type=period&verify=1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "period.create" in text
    assert "unit.create" not in text
    assert "flash-success" in text
