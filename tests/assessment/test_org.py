"""Admin pages for units, posts, cadres and appointments, driven through the client."""

from __future__ import annotations

import sqlalchemy as sa

from assessment.app.db import db
from assessment.models import Appointment, AuditEntry, Cadre, Post, Unit


def _count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _unit_id(app, code):
    with app.app_context():
        return db.session.scalars(sa.select(Unit.id).where(Unit.code == code)).one()


UNIT = {
    "code": "QSZ-09",
    "kind": "village",
    "name_zh": "新村",
    "name_en": "New Village",
    "households": "300",
    "population": "1000",
}


def test_admin_adds_a_village_under_the_township(app, client, auth, demo):
    auth.login("admin")
    township = _unit_id(app, "QSZ")
    response = client.post("/admin/units/new", data={**UNIT, "parent_id": township})
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.scalars(sa.select(Unit).where(Unit.code == "QSZ-09")).one()
        assert unit.path.startswith(db.session.get(Unit, township).path)
        entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert entry.actor_name == "admin"
        assert entry.object_type == "unit"


def test_unit_form_names_each_bad_field_and_saves_nothing(app, client, auth, demo):
    auth.login("admin")
    before = _count(app, Unit), _count(app, AuditEntry)
    response = client.post(
        "/admin/units/new",
        data={**UNIT, "code": "bad code!", "households": "-3", "name_zh": "", "parent_id": 0},
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'id="code-error"' in text
    assert 'id="households-error"' in text
    assert 'id="name_zh-error"' in text
    assert (_count(app, Unit), _count(app, AuditEntry)) == before


def test_duplicate_code_and_wrong_parent_kind_are_explained(app, client, auth, demo):
    auth.login("admin")
    client.get("/lang/en")
    village = _unit_id(app, "QSZ-01")
    township = _unit_id(app, "QSZ")
    duplicate = client.post(
        "/admin/units/new", data={**UNIT, "code": "QSZ-01", "parent_id": township}
    )
    assert "The code QSZ-01 is already used." in duplicate.get_data(as_text=True)
    # Villages are not offered as parents, so the choice itself is refused.
    wrong_parent = client.post("/admin/units/new", data={**UNIT, "parent_id": village})
    assert 'id="parent_id-error"' in wrong_parent.get_data(as_text=True)
    no_parent = client.post("/admin/units/new", data={**UNIT, "parent_id": 0})
    assert "needs a parent unit" in no_parent.get_data(as_text=True)
    assert _count(app, Unit) == 10


def test_unit_cannot_move_under_its_own_subtree(app, client, auth, demo):
    auth.login("admin")
    client.get("/lang/en")
    township = _unit_id(app, "QSZ")
    response = client.post(
        f"/admin/units/{township}/edit",
        data={
            "code": "QSZ",
            "kind": "township",
            "name_zh": "青山镇",
            "households": 1,
            "population": 1,
            "parent_id": township,
        },
    )
    assert 'id="parent_id-error"' in response.get_data(as_text=True)
    # The county above the administrator's scope is not theirs to edit at all.
    assert client.get(f"/admin/units/{_unit_id(app, 'CX')}/edit").status_code == 404


def test_retiring_a_township_with_active_villages_is_refused(app, client, auth, demo):
    auth.login("admin")
    client.get("/lang/en")
    township = _unit_id(app, "QSZ")
    response = client.post(
        f"/admin/units/{township}/retire", data={"on": "2026-06-30"}, follow_redirects=True
    )
    assert "still has 8 active sub-units" in response.get_data(as_text=True)
    village = _unit_id(app, "QSZ-03")
    client.post(f"/admin/units/{village}/retire", data={"on": "2026-06-30"})
    with app.app_context():
        assert str(db.session.get(Unit, village).retired_on) == "2026-06-30"
    missing_date = client.post(
        f"/admin/units/{village}/retire", data={"on": ""}, follow_redirects=True
    )
    assert "Give the date of retirement." in missing_date.get_data(as_text=True)


def test_posts_create_edit_duplicate_and_retire(app, client, auth, demo):
    auth.login("admin")
    client.get("/lang/en")
    data = {
        "code": "SEC2",
        "name_zh": "副书记",
        "name_en": "Deputy secretary",
        "unit_level": "township",
    }
    assert client.post("/admin/posts/new", data=data).status_code == 302
    duplicate = client.post("/admin/posts/new", data={**data, "code": "TSEC"})
    assert "The code TSEC is already used." in duplicate.get_data(as_text=True)
    bad_level = client.post("/admin/posts/new", data={**data, "code": "X1", "unit_level": "moon"})
    assert 'id="unit_level-error"' in bad_level.get_data(as_text=True)
    with app.app_context():
        post_id = db.session.scalars(sa.select(Post.id).where(Post.code == "SEC2")).one()
    assert (
        client.post(f"/admin/posts/{post_id}/retire", data={"on": "2026-01-01"}).status_code == 302
    )
    assert _count(app, Post) == 7


def test_new_cadre_with_first_appointment(app, client, auth, demo):
    auth.login("admin")
    with app.app_context():
        post = db.session.scalars(sa.select(Post.id).where(Post.code == "GRID")).one()
    data = {
        "code": "QS041",
        "name": "蒋晓梅",
        "gender": "F",
        "birth_year": "1990",
        "appointment-post_id": post,
        "appointment-unit_id": _unit_id(app, "QSZ-02"),
        "appointment-start_date": "2026-03-01",
    }
    response = client.post("/admin/cadres/new", data=data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "蒋晓梅" in page
    assert "柳塘村" in page


def test_new_cadre_with_a_bad_appointment_saves_no_cadre(app, client, auth, demo):
    auth.login("admin")
    client.get("/lang/en")
    with app.app_context():
        village_post = db.session.scalars(sa.select(Post.id).where(Post.code == "GRID")).one()
    data = {
        "code": "QS041",
        "name": "蒋晓梅",
        "gender": "F",
        "birth_year": "1990",
        "appointment-post_id": village_post,
        "appointment-unit_id": _unit_id(app, "QSZ"),
        "appointment-start_date": "2026-03-01",
    }
    response = client.post("/admin/cadres/new", data=data)
    assert "Village posts go to villages or communities" in response.get_data(as_text=True)
    assert _count(app, Cadre) == 40
    no_date = client.post("/admin/cadres/new", data={**data, "appointment-start_date": ""})
    assert 'id="appointment-start_date-error"' in no_date.get_data(as_text=True)
    bad_year = client.post("/admin/cadres/new", data={**data, "birth_year": "1800"})
    assert 'id="birth_year-error"' in bad_year.get_data(as_text=True)
    assert _count(app, Cadre) == 40


def test_appointment_history_end_and_overlap(app, client, auth, demo):
    auth.login("admin")
    client.get("/lang/en")
    with app.app_context():
        cadre = db.session.scalars(sa.select(Cadre).where(Cadre.code == "QS010")).one()
        cadre_id, appointment = cadre.id, cadre.appointments[0]
        appointment_id, post_id, unit_id = appointment.id, appointment.post_id, appointment.unit_id
    overlap = client.post(
        f"/admin/cadres/{cadre_id}/appointments",
        data={
            "appointment-post_id": post_id,
            "appointment-unit_id": unit_id,
            "appointment-start_date": "2025-01-01",
        },
    )
    assert overlap.status_code == 400
    assert "already holds this post" in overlap.get_data(as_text=True)
    early = client.post(
        f"/admin/appointments/{appointment_id}/end",
        data={"on": "2020-01-01"},
        follow_redirects=True,
    )
    assert "The end date is before the start date." in early.get_data(as_text=True)
    client.post(f"/admin/appointments/{appointment_id}/end", data={"on": "2026-06-30"})
    after = client.post(
        f"/admin/cadres/{cadre_id}/appointments",
        data={
            "appointment-post_id": post_id,
            "appointment-unit_id": unit_id,
            "appointment-start_date": "2026-07-01",
        },
    )
    assert after.status_code == 302
    assert _count(app, Appointment) == 41


def test_cadre_details_edit_and_retire(app, client, auth, demo):
    auth.login("admin")
    with app.app_context():
        cadre_id = db.session.scalars(sa.select(Cadre.id).where(Cadre.code == "QS012")).one()
    edited = client.post(
        f"/admin/cadres/{cadre_id}/edit",
        data={"code": "QS012", "name": "孙玉芬", "gender": "F", "birth_year": ""},
    )
    assert edited.status_code == 302
    duplicate = client.post(
        f"/admin/cadres/{cadre_id}/edit", data={"code": "QS001", "name": "孙玉芬", "gender": "F"}
    )
    assert duplicate.status_code == 400
    client.post(f"/admin/cadres/{cadre_id}/retire", data={"on": "2026-09-30"})
    with app.app_context():
        cadre = db.session.get(Cadre, cadre_id)
        assert cadre.name == "孙玉芬"
        assert str(cadre.retired_on) == "2026-09-30"
        assert all(str(a.end_date) == "2026-09-30" for a in cadre.appointments)


def test_cadre_search_and_unknown_ids(client, auth, demo):
    auth.login("assessor1")
    page = client.get("/admin/cadres/?q=王建国").get_data(as_text=True)
    assert "王建国" in page
    assert "李秀兰" not in page
    assert client.get("/admin/cadres/9999").status_code == 404
    assert client.get("/admin/units/9999/edit").status_code == 403  # assessors never edit


def test_township_admin_edits_own_township_under_a_county_outside_scope(app, client, auth, demo):
    auth.login("admin")
    township = _unit_id(app, "QSZ")
    response = client.post(
        f"/admin/units/{township}/edit",
        data={
            "code": "QSZ",
            "kind": "township",
            "name_zh": "青山镇",
            "households": 9500,
            "population": 34000,
            "parent_id": _unit_id(app, "CX"),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Unit, township).households == 9500
