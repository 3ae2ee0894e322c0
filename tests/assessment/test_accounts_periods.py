"""Account administration and period lifecycle pages."""

from __future__ import annotations

import sqlalchemy as sa

from assessment.app.db import db
from assessment.models import Account, Cadre, Period, Unit


def _ids(app):
    with app.app_context():
        township = db.session.scalars(sa.select(Unit.id).where(Unit.code == "QSZ")).one()
        cadre = db.session.scalars(sa.select(Cadre.id).where(Cadre.code == "QS020")).one()
        period = db.session.scalars(sa.select(Period.id)).first()
    return township, cadre, period


ACCOUNT = {
    "username": "assessor4",
    "display_name": "考核组成员四",
    "role": "assessor",
    "cadre_id": 0,
    "is_enabled": "y",
    "password": "a-long-password",
}


def test_admin_creates_an_assessor_who_can_log_in(app, client, auth, demo):
    township, _, _ = _ids(app)
    auth.login("admin")
    response = client.post("/admin/accounts/new", data={**ACCOUNT, "scope_unit_ids": [township]})
    assert response.status_code == 302
    client.post("/logout")
    assert auth.login("assessor4", "a-long-password").status_code == 302


def test_account_form_errors_are_named(app, client, auth, demo):
    township, _, _ = _ids(app)
    auth.login("admin")
    client.get("/lang/en")
    short = client.post(
        "/admin/accounts/new", data={**ACCOUNT, "password": "short", "scope_unit_ids": [township]}
    )
    assert "at least 10 characters" in short.get_data(as_text=True)
    no_scope = client.post("/admin/accounts/new", data=ACCOUNT)
    assert 'id="scope_unit_ids-error"' in no_scope.get_data(as_text=True)
    cadre_without_link = client.post(
        "/admin/accounts/new", data={**ACCOUNT, "role": "cadre", "scope_unit_ids": [township]}
    )
    assert "must be linked to a cadre" in cadre_without_link.get_data(as_text=True)
    taken = client.post(
        "/admin/accounts/new", data={**ACCOUNT, "username": "clerk", "scope_unit_ids": [township]}
    )
    assert "already taken" in taken.get_data(as_text=True)
    no_password = client.post(
        "/admin/accounts/new", data={**ACCOUNT, "password": "", "scope_unit_ids": [township]}
    )
    assert "This field is required." in no_password.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 8
        )  # the demo accounts


def test_admin_cannot_grant_a_scope_above_their_own(app, client, auth, demo):
    auth.login("admin")
    with app.app_context():
        county = db.session.scalars(sa.select(Unit.id).where(Unit.code == "CX")).one()
    response = client.post("/admin/accounts/new", data={**ACCOUNT, "scope_unit_ids": [county]})
    assert response.status_code == 200  # not a valid choice: the form refuses it
    assert 'id="scope_unit_ids-error"' in response.get_data(as_text=True)


def test_editing_keeps_the_password_when_left_empty(app, client, auth, demo):
    township, _, _ = _ids(app)
    auth.login("admin")
    with app.app_context():
        clerk_id = db.session.scalars(
            sa.select(Account.id).where(Account.username == "clerk")
        ).one()
    response = client.post(
        f"/admin/accounts/{clerk_id}/edit",
        data={
            **ACCOUNT,
            "username": "clerk",
            "role": "clerk",
            "password": "",
            "display_name": "录入员甲",
            "scope_unit_ids": [township],
        },
    )
    assert response.status_code == 302
    client.post("/logout")
    assert auth.login("clerk").status_code == 302


def test_period_moves_one_step_at_a_time_with_a_named_actor(app, client, auth, published_rulebook):
    period = published_rulebook
    auth.login("assessor1")
    client.get("/lang/en")
    skipped = client.post(
        f"/admin/periods/{period}/transition",
        data={"target": "notice", "understood": "y"},
        follow_redirects=True,
    )
    text = skipped.get_data(as_text=True)
    assert "cannot move to “Public notice”" in text
    assert "Collecting → Computed" in text
    moved = client.post(
        f"/admin/periods/{period}/transition",
        data={"target": "collecting", "understood": "y"},
        follow_redirects=True,
    )
    page = moved.get_data(as_text=True)
    assert "The period is now “Collecting”" in page
    assert "assessor1" in page  # the history names who moved it
    back = client.post(
        f"/admin/periods/{period}/transition",
        data={"target": "draft", "understood": "y"},
        follow_redirects=True,
    )
    assert "only moves forward" in back.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Period, period).status == "collecting"


def test_rules_cannot_be_published_by_a_bare_transition(app, client, auth, demo):
    _, _, period = _ids(app)
    auth.login("assessor1")
    client.get("/lang/en")
    response = client.post(
        f"/admin/periods/{period}/transition",
        data={"target": "rules_published", "understood": "y"},
        follow_redirects=True,
    )
    assert "flash-error" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Period, period).status == "draft"


def test_clerk_and_official_cannot_move_a_period(app, client, auth, demo):
    _, _, period = _ids(app)
    for username in ("clerk", "official"):
        auth.login(username)
        assert (
            client.post(
                f"/admin/periods/{period}/transition",
                data={"target": "rules_published", "understood": "y"},
            ).status_code
            == 403
        )
        client.post("/logout")


def test_admin_creates_a_period_and_bad_year_is_named(app, client, auth, demo):
    township, _, _ = _ids(app)
    auth.login("admin")
    bad = client.post(
        "/admin/periods/new",
        data={"name": "2027年度考核", "year": "1999", "scope_unit_id": township},
    )
    assert 'id="year-error"' in bad.get_data(as_text=True)
    good = client.post(
        "/admin/periods/new",
        data={"name": "2027年度考核", "year": "2027", "scope_unit_id": township},
    )
    assert good.status_code == 302
    assert "2027年度考核" in client.get(good.headers["Location"]).get_data(as_text=True)


def test_demo_seed_command_refuses_a_non_empty_database(runner, demo):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "数据库不为空" in result.output
    quiet = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert quiet.exit_code == 0
    assert "未写入演示数据" in quiet.output


def test_demo_seed_command_builds_the_county(app, runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    # 青山镇's 40 cadres and 13 in each of the county's two other townships
    assert "3 个乡镇、66 名干部" in result.output
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0


def test_create_admin_on_an_empty_database(app, runner, client, auth):
    result = runner.invoke(
        args=[
            "accounts",
            "create-admin",
            "--username",
            "root",
            "--name",
            "县考核办",
            "--unit",
            "X1",
            "--new-county",
            "某县",
            "--password",
            "a-long-password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert auth.login("root", "a-long-password").status_code == 302
    assert "某县" in client.get("/admin/units/").get_data(as_text=True)


def test_create_admin_refuses_bad_input_and_saves_nothing(app, runner, demo):
    unknown = runner.invoke(
        args=[
            "accounts",
            "create-admin",
            "--username",
            "root",
            "--name",
            "x",
            "--unit",
            "NOPE",
            "--password",
            "a-long-password",
        ]
    )
    assert unknown.exit_code != 0
    assert "没有代码为 NOPE 的单位" in unknown.output
    short = runner.invoke(
        args=[
            "accounts",
            "create-admin",
            "--username",
            "root",
            "--name",
            "x",
            "--unit",
            "QSZ",
            "--password",
            "short",
        ]
    )
    assert short.exit_code != 0
    assert "password: 密码至少需要 10 个字符" in short.output  # the message, not its code
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 8
        )  # the demo accounts


def test_computed_is_reached_only_by_computing_results(app, client, auth, published_rulebook, make):
    from assessment.services.periods import advance_period

    make(
        lambda session: advance_period(
            session, session.get(Period, published_rulebook), "collecting"
        )
    )
    auth.login("assessor1")
    client.get("/lang/en")
    response = client.post(
        f"/admin/periods/{published_rulebook}/transition",
        data={"target": "computed", "understood": "y"},
        follow_redirects=True,
    )
    assert "Compute the results on the results page" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Period, published_rulebook).status == "collecting"
