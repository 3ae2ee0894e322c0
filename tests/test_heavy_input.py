"""Heavy input (issue 11, item 10): refused with a message, never a 500 or a stuck worker.

A 310 KB .xlsx that unpacks to 300 MB held a worker until gunicorn's timeout and ended
in a bare 500; YAML nested 10,000 levels deep gave a 500 (RecursionError). Both are now
refused from their structure, before the expensive step, on every database alike.
"""

from __future__ import annotations

import html
import io
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from assessment.app.db import db
from assessment.core.errors import FieldError, RulebookError
from assessment.models import Cadre, RulebookVersion
from assessment.services.rulebook_io import MAX_YAML_ALIASES, MAX_YAML_DEPTH, read_yaml
from assessment.services.spreadsheets import MAX_XLSX_UNPACKED_BYTES, read_sheet

MB = 1024 * 1024


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def text(response):
    return html.unescape(response.get_data(as_text=True))


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def workbook_with_sheet(padding_mb: int) -> bytes:
    """A real roster workbook whose sheet XML carries ``padding_mb`` MB of blanks.

    Blanks between XML tags are legal, and deflate packs them about 1,000 to 1: the
    archive stays a few hundred kilobytes whatever it unpacks to (a "zip bomb").
    """
    book = Workbook()
    book.active.append(["code", "name", "post_code", "unit_code", "start_date"])
    book.active.append(["QS041", "陈晓明", "GRID", "QSZ-01", "2026-01-01"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb,
    ):
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(member.filename, data)
                continue
            head, sep, tail = data.partition(b"<sheetData>")
            with bomb.open(member.filename, "w", force_zip64=True) as sheet:
                sheet.write(head + sep)
                blanks = b" " * MB
                for _ in range(padding_mb):
                    sheet.write(blanks)
                sheet.write(tail)
    return out.getvalue()


def test_a_zip_bomb_roster_is_refused_with_a_message_before_it_is_unpacked(app, client, auth, demo):
    bomb = workbook_with_sheet(300)
    assert 250_000 < len(bomb) < 400_000  # about 300 KB that stand for 300 MB
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert sum(m.file_size for m in archive.infolist()) > 300 * MB
    auth.login("admin")
    cadres = count(app, Cadre)
    response = client.post(
        "/admin/import/cadres",
        data={"file": (io.BytesIO(bomb), "roster.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert f"The workbook unpacks to more than {MAX_XLSX_UNPACKED_BYTES // MB} MB" in text(response)
    assert count(app, Cadre) == cadres


def test_a_densely_packed_member_is_refused_even_under_the_size_limit():
    dense = workbook_with_sheet(20)  # 20 MB of blanks: under 32 MB, but packed 1,000 to 1
    with pytest.raises(FieldError) as caught:
        read_sheet(io.BytesIO(dense), "roster.xlsx")
    assert (caught.value.field, caught.value.code) == ("file", "too_large_unpacked")


def test_an_ordinary_workbook_is_still_read():
    sheet = read_sheet(io.BytesIO(workbook_with_sheet(0)), "roster.xlsx")
    assert sheet.rows == (
        {
            "code": "QS041",
            "name": "陈晓明",
            "post_code": "GRID",
            "unit_code": "QSZ-01",
            "start_date": "2026-01-01",
        },
    )


def test_a_file_that_is_not_a_zip_is_unreadable_not_a_failure():
    with pytest.raises(FieldError) as caught:
        read_sheet(io.BytesIO(b"PK\x03\x04 not really a zip"), "roster.xlsx")
    assert caught.value.code == "unreadable_file"


# ---------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------


def import_yaml(client, document: str):
    return client.post(
        "/admin/periods/1/rulebook/import",
        data={"file": (io.BytesIO(document.encode()), "rules.yaml")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[" * 10_000, f"nests lists and mappings more than {MAX_YAML_DEPTH} levels deep"),
        ("a: " + "[" * 10_000 + "]" * 10_000, "more than 32 levels deep"),
        ("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)), "levels deep"),
    ],
)
def test_deeply_nested_yaml_is_refused_with_a_message(app, client, auth, demo, document, message):
    auth.login("admin")
    response = import_yaml(client, document)
    assert response.status_code == 200
    page = text(response)
    assert "Nothing was imported" in page
    assert message in page
    assert count(app, RulebookVersion) == 0


def billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_aliases_that_stand_for_a_billion_values_are_refused(app, client, auth, demo):
    auth.login("admin")
    page = text(import_yaml(client, billion_laughs()))
    assert "more than 1000000 values once its aliases (*name) are expanded" in page
    assert count(app, RulebookVersion) == 0


def test_yaml_limits_name_their_problem():
    cases = {
        "too_deep": "x: " + "{a: " * 40 + "1" + "}" * 40,
        "too_many_aliases": "a: &a 1\nb: [" + ", ".join(["*a"] * (MAX_YAML_ALIASES + 1)) + "]\n",
        "too_many_nodes": billion_laughs(7),
    }
    for code, document in cases.items():
        with pytest.raises(RulebookError) as caught:
            read_yaml(document)
        assert [p.code for p in caught.value.problems] == [code], code
    # an alias inside the value it names would never end once expanded
    with pytest.raises(RulebookError) as caught:
        read_yaml("a: &a [1, *a]\n")
    assert caught.value.problems[0].code == "too_many_nodes"
    # a few aliases in a small document are fine
    assert read_yaml("a: &a [1, 2]\nb: *a\nc: *a\n") == {"a": [1, 2], "b": [1, 2], "c": [1, 2]}
