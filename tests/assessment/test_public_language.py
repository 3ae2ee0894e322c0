"""Public pages speak one language at a time, and say so (issue 12's language leaks).

Measured before: every /p/ page said <html lang="en"> while showing Chinese (the locale's
string is "zh_Hans_CN", never "zh_CN"); a version made by an upheld objection showed its
stored English prefix "objection #1: …" on the Chinese public notice; a new rulebook of
the period "2026年度考核" was titled "2026年度考核考核细则".
"""

from __future__ import annotations

import re

import pytest

from assessment.app.db import utcnow
from assessment.models import Objection
from assessment.services.rulebooks import default_title
from tests.assessment.test_publication import (
    file_as_cadre,
    open_notice,
    service,
    today,
)


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


@pytest.fixture
def on_notice(computed_period, make):
    open_notice(make)
    return computed_period


@pytest.mark.parametrize(("language", "expected"), [("zh_CN", "zh-CN"), ("en", "en")])
def test_every_public_page_names_the_language_it_shows(client, on_notice, language, expected):
    client.get(f"/lang/{language}")
    for path in (
        "/p/",
        f"/p/periods/{on_notice}/rules",
        f"/p/periods/{on_notice}/notice",
        f"/p/periods/{on_notice}/notice/objection",
        "/p/verify",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _lang(response) == expected, path


def test_an_upheld_objection_reads_in_the_readers_language(client, make, on_notice):
    objection = file_as_cadre(make, indicator_code="B1")

    def uphold(session):
        from tests.conftest import SYNTHETIC_SURVEYS

        return service.decide_objection(
            session,
            objection=session.get(Objection, objection),
            outcome="partly_upheld",
            reason="县级表彰未计入",
            correction=service.Correction(
                kind="add_event", indicator_code="B1", points=1.0, occurred_on=today()
            ),
            actor_id=None,
            now=utcnow(),
            surveys=SYNTHETIC_SURVEYS,
            resamples=0,
            today=today(),
        ).new_version_number

    assert make(uphold) == 2
    client.get("/lang/zh_CN")
    chinese = client.get(f"/p/periods/{on_notice}/notice").get_data(as_text=True)
    assert f"根据第 {objection} 号异议复核：县级表彰未计入" in chinese
    assert "objection #" not in chinese
    client.get("/lang/en")
    english = client.get(f"/p/periods/{on_notice}/notice").get_data(as_text=True)
    assert f"After objection no. {objection}: 县级表彰未计入" in english


def test_a_new_rulebook_title_does_not_double_the_word_assessment():
    assert default_title("2026年度考核").zh == "2026年度考核细则"
    assert default_title("2026年第一季度").zh == "2026年第一季度考核细则"
