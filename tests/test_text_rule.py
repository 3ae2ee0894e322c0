"""One text rule for every input (issue 11, item 7): control characters are refused.

NUL gave a 500 on PostgreSQL (a resident comment, a login name, a public objection, a
cadre import) and was stored as typed on SQLite. Every kind of input now refuses it
with a message naming the field (or the row and column), the same on both databases,
and saves nothing: forms (:class:`assessment.forms.base.BaseForm`), the services' text checks,
spreadsheet cells, YAML rulebooks, and raw reads of the request's parameters.
"""

from __future__ import annotations

import ast
import html
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from assessment.app.db import db, unit_of_work
from assessment.core.errors import FieldError, RulebookError
from assessment.models import (
    Appointment,
    Cadre,
    Objection,
    Period,
    QuantitativeResult,
    RulebookVersion,
    ThrottleCounter,
    Unit,
)
from assessment.services import inputs as inputs_service
from assessment.services.rulebook_io import read_yaml
from surveys.core.codes import format_code
from surveys.models.surveys import Response
from tests.surveys.conftest import open_survey, survey_factory  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parent.parent
NUL = "\x00"


@pytest.fixture
def app_config(app_config):
    # English pages, so that the assertions do not depend on the Chinese catalogue.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def text(response):
    return html.unescape(response.get_data(as_text=True))


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---------------------------------------------------------------------------
# forms
# ---------------------------------------------------------------------------


def test_a_nul_in_the_login_name_is_named_and_nothing_is_counted(app, client, demo):
    response = client.post("/login", data={"username": f"admin{NUL}", "password": "x" * 12})
    assert response.status_code == 400
    assert (
        "“User name” contains an invisible control character (U+0000) that cannot be saved"
        in text(response)
    )
    assert count(app, ThrottleCounter) == 0


def test_a_control_character_in_a_form_field_is_named_and_nothing_is_saved(app, client, auth, demo):
    auth.login("admin")
    units = count(app, Unit)
    response = client.post(
        "/admin/units/new",
        data={
            "code": "QSZ-99",
            "kind": "village",
            "name_zh": "新村\x07",
            "parent_id": "0",
            "households": "1",
            "population": "1",
        },
    )
    assert "“Chinese name” contains an invisible control character (U+0007)" in text(response)
    assert count(app, Unit) == units


def test_line_breaks_pass_in_text_areas_only(app, client, auth, published_rulebook, make):
    def collect(session):
        from assessment.services.periods import advance_period

        advance_period(session, session.get(Period, published_rulebook), "collecting")
        return session.scalars(sa.select(Cadre.id).where(Cadre.code == "QS009")).one()

    qs009 = make(collect)
    auth.login("admin")
    url = f"/admin/periods/{published_rulebook}/quantitative/{qs009}/W1"
    refused = client.post(url, data={"actual": "12", "source": "年报\t2026", "note": ""})
    assert "“Source” contains an invisible control character (U+0009)" in text(refused)
    assert count(app, QuantitativeResult) == 0
    saved = client.post(url, data={"actual": "12", "source": "年报", "note": "第一行\r\n第二行"})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.scalars(sa.select(QuantitativeResult.note)).one() == "第一行\r\n第二行"


def test_every_form_of_the_product_uses_the_base_form():
    """A form class that skips BaseForm would skip the text rule (checked on the source)."""
    offenders = []
    for package in ("assessment", "surveys", "reports"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    bases = {
                        b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in node.bases
                    }
                    if bases & {"FlaskForm", "Form", "wtforms.Form", "flask_wtf.FlaskForm"}:
                        offenders.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert offenders == [
        "assessment/forms/base.py:BaseForm",
        "assessment/forms/base.py:BaseSubform",
    ]


# ---------------------------------------------------------------------------
# services
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "multiline", "refused"),
    [
        ("a\x00b", True, "U+0000"),
        ("a\x1bb", True, "U+001B"),
        ("a\x85b", True, "U+0085"),  # C1 "next line" is Cc too
        ("a\nb", False, "U+000A"),
        ("a\nb\tc\r", True, None),
        ("零宽\u200b空格", False, None),  # Cf, not Cc: allowed
    ],
)
def test_the_services_text_check_applies_the_rule(value, multiline, refused):
    if refused is None:
        assert inputs_service.check_text(
            value, "note", required=True, limit=100, multiline=multiline
        )
        return
    with pytest.raises(FieldError) as caught:
        inputs_service.check_text(value, "note", required=True, limit=100, multiline=multiline)
    assert (caught.value.field, caught.value.code) == ("note", "control_character")
    assert caught.value.params == {"character": refused}


# ---------------------------------------------------------------------------
# public objection
# ---------------------------------------------------------------------------


@pytest.fixture
def on_notice(computed_period, make):
    from tests.assessment.test_publication import open_notice

    open_notice(make)
    return computed_period


def test_a_nul_in_a_public_objection_is_named_and_nothing_is_saved(app, client, on_notice):
    url = f"/p/periods/{on_notice}/notice/objection"
    for field, label in (("reason", "Your objection"), ("contact_name", "Your name")):
        data = {"contact_name": "张三", "contact": "13800000000", "reason": "打分不公"}
        data[field] += NUL
        response = client.post(url, data=data)
        assert response.status_code == 400, field
        page = text(response)
        assert "contains an invisible control character (U+0000)" in page, field
        assert f"“{label}”" in page, field
    assert count(app, Objection) == 0


def test_the_objection_service_refuses_a_nul_too(app, on_notice):
    from assessment.services import publication
    from tests.assessment.test_publication import today

    with app.app_context(), pytest.raises(FieldError) as caught, unit_of_work(None):
        publication.file_objection(
            db.session,
            period=db.session.get(Period, on_notice),
            channel="public",
            cadre_id=None,
            indicator_code=None,
            reason="不公" + NUL,
            contact_name="张三",
            contact="13800000000",
            filed_by_id=None,
            attachment=None,
            today=today(),
            holidays=(),
            extra_workdays=(),
        )
    assert (caught.value.field, caught.value.code) == ("reason", "control_character")
    assert count(app, Objection) == 0


# ---------------------------------------------------------------------------
# spreadsheet cells
# ---------------------------------------------------------------------------


def test_a_nul_in_a_cadre_import_names_row_and_column_and_imports_nothing(app, client, auth, demo):
    auth.login("admin")
    rows = [
        "code,name,gender,birth_year,post_code,unit_code,start_date,end_date",
        "QS041,陈晓明,M,1985,GRID,QSZ-01,2026-01-01,",
        f"QS042,李{NUL}四,F,1990,GRID,QSZ-02,2026-01-01,",
    ]
    before = (count(app, Cadre), count(app, Appointment))
    response = client.post(
        "/admin/import/cadres",
        data={"file": (io.BytesIO("\r\n".join(rows).encode("utf-8")), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Row 3, column name contains an invisible control character (U+0000)" in text(response)
    assert (count(app, Cadre), count(app, Appointment)) == before


# ---------------------------------------------------------------------------
# YAML rulebooks
# ---------------------------------------------------------------------------


def test_a_nul_escape_in_an_imported_rulebook_is_named_and_nothing_is_imported(
    app, client, auth, demo
):
    auth.login("admin")
    yaml_text = (ROOT / "docs/examples/rulebooks/township.yaml").read_text(encoding="utf-8")
    bad = re.sub(r"title: \{zh: ([^,]+),", r'title: {zh: "\1\\0",', yaml_text, count=1)
    assert bad != yaml_text
    response = client.post(
        "/admin/periods/1/rulebook/import",
        data={"file": (io.BytesIO(bad.encode()), "township.yaml")},
        content_type="multipart/form-data",
    )
    page = text(response)
    assert "Nothing was imported" in page
    assert re.search(
        # placed in words since issue 20 (the rulebook editor names no document paths)
        r"<td>Title › Chinese</td><td>Contains an invisible control character \(U\+0000\)",
        page,
    )
    assert count(app, RulebookVersion) == 0


def test_the_yaml_reader_names_the_path_of_a_control_character():
    with pytest.raises(RulebookError) as caught:
        read_yaml('posts:\n  - name: {zh: "村\\x07", en: x}\n')
    (problem,) = caught.value.problems
    assert (problem.path, problem.code, problem.params) == (
        "posts[0].name.zh",
        "control_character",
        {"character": "U+0007"},
    )


# ---------------------------------------------------------------------------
# the request-level backstop: raw reads of request.form and request.args
# ---------------------------------------------------------------------------


def test_a_nul_in_a_resident_comment_gets_a_readable_400_and_nothing_is_stored(
    app,
    client,
    open_survey,  # noqa: F811 (the imported fixture)
):
    from tests.surveys.test_views import answer, enter_code, hidden_fields

    short = open_survey["short_id"]
    page = enter_code(client, short, format_code(open_survey["codes"][0])).get_data(as_text=True)
    response = answer(
        client,
        short,
        hidden_fields(page),
        q_overall__t1="4",
        q_comment=f"路灯坏了{NUL}",
        nav="submit",
    )
    assert response.status_code == 400
    assert "The field “q_comment” holds an invisible control character (U+0000)" in text(response)
    assert count(app, Response) == 0


def test_a_nul_in_a_query_parameter_is_named(app, client, auth, demo):
    auth.login("admin")
    response = client.get("/admin/cadres/", query_string={"q": f"王{NUL}"})
    assert response.status_code == 400
    assert "The field “q” holds an invisible control character (U+0000)" in text(response)
    assert client.get("/admin/cadres/", query_string={"q": "王"}).status_code == 200


def test_a_nul_in_the_language_parameter_is_ignored_not_a_failure(client, demo):
    assert client.get("/p/", query_string={"lang": NUL}).status_code == 200


def test_a_nul_in_a_path_segment_is_not_found(app, client, auth, published_rulebook):
    auth.login("admin")
    response = client.get(f"/admin/periods/{published_rulebook}/quantitative/1/W{NUL}1")
    assert response.status_code == 404
