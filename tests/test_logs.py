"""The log filter of :mod:`assessment.app.logs`: codes, receipts and resident addresses masked.

Whole resident journeys through real servers are in ``tests/surveys/test_resident_logs.py``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from gunicorn.glogging import SafeAtoms

from assessment.app.logs import REDACTED, ResidentRedactingFilter, redact

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("logged", "expected"),
    [
        ("GET /s/ABC234/ABCDEFGHJKS HTTP/1.1", f"GET /s/ABC234/{REDACTED} HTTP/1.1"),
        ("GET /s/abc234/abcd-efgh-jks HTTP/1.1", f"GET /s/abc234/{REDACTED} HTTP/1.1"),
        ("GET /S/ABC234/ABCD%2DEFGH HTTP/1.1", f"GET /s/ABC234/{REDACTED} HTTP/1.1"),
        ("POST /s/ABC234/answer HTTP/1.1", "POST /s/ABC234/answer HTTP/1.1"),
        ("GET /s/ABC234 HTTP/1.1", "GET /s/ABC234 HTTP/1.1"),
        ("GET /s/ABC234/ HTTP/1.1", "GET /s/ABC234/ HTTP/1.1"),
        ("POST /s/ABC234/check HTTP/1.1", "POST /s/ABC234/check HTTP/1.1"),
        (
            "GET /s/ABC234/receipts?receipt=K7M HTTP/1.1",
            f"GET /s/ABC234/receipts?{REDACTED} HTTP/1.1",
        ),
        ("GET /s/ABC234?code=K7M HTTP/1.1", f"GET /s/ABC234?{REDACTED} HTTP/1.1"),
        ("GET /s/ABC234/receipts/K7MXXX HTTP/1.1", f"GET /s/ABC234/{REDACTED} HTTP/1.1"),
        ("GET /s/ABCDEFGHJKS HTTP/1.1", f"GET /s/{REDACTED} HTTP/1.1"),
        ("GET /s/ABC234/ABCDEFGHJKS/x?y HTTP/1.1", f"GET /s/ABC234/{REDACTED}?{REDACTED} HTTP/1.1"),
        ("https://example.org/s/ABC234/ABCDEFGHJKS", f"https://example.org/s/ABC234/{REDACTED}"),
        (
            "GET /admin/x?receipt=K7M&page=2 HTTP/1.1",
            f"GET /admin/x?receipt={REDACTED}&page=2 HTTP/1.1",
        ),
        ("GET /verify?code=ABC&code=DEF", f"GET /verify?code={REDACTED}&code={REDACTED}"),
        ("receipt=K7M&page=2", f"receipt={REDACTED}&page=2"),
        ("GET /admin/surveys/3 HTTP/1.1", "GET /admin/surveys/3 HTTP/1.1"),
        ("Exception on /s/ABC234/ABCDEFGHJKS [GET]", f"Exception on /s/ABC234/{REDACTED} [GET]"),
    ],
)
def test_redact_masks_what_a_url_may_carry(logged, expected):
    assert redact(logged) == expected


def test_werkzeug_lines_about_residents_lose_the_address():
    def record(path: str) -> logging.LogRecord:
        return logging.LogRecord(
            "werkzeug",
            logging.INFO,
            "",
            0,
            '203.0.113.9 - - [05/Dec/2026 10:00:00] "%s" %s %s',
            (f"GET {path} HTTP/1.1", "200", "-"),
            None,
        )

    resident = record("/s/ABC234/ABCDEFGHJKS")
    ResidentRedactingFilter().filter(resident)
    assert (
        resident.getMessage()
        == f'- - - [05/Dec/2026 10:00:00] "GET /s/ABC234/{REDACTED} HTTP/1.1" 200 -'
    )
    staff = record("/admin/surveys/")
    ResidentRedactingFilter().filter(staff)
    assert staff.getMessage().startswith("203.0.113.9 - - [")


def test_gunicorn_atoms_are_masked_in_place():
    atoms = SafeAtoms(
        {
            "h": "127.0.0.1",
            "r": "GET /s/ABC234/ABCDEFGHJKS HTTP/1.1",
            "U": "/s/ABC234/ABCDEFGHJKS",
            "q": "code=ABCDEFGHJKS",
            "{query_string}e": "code=ABCDEFGHJKS",
            "f": "-",
            "{x-forwarded-for}i": "203.0.113.9",
            "{raw_uri}e": "/s/ABC234/ABCDEFGHJKS",
        }
    )
    record = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "", None, None)
    record.msg = (
        '%(h)s "%(r)s" %(U)s %(q)s %({query_string}e)s %({x-forwarded-for}i)s '
        "%({x-missing}i)s %({raw_uri}e)s"
    )
    record.args = atoms
    ResidentRedactingFilter().filter(record)
    assert record.args is atoms  # gunicorn's own type, which answers "-" for missing atoms
    assert record.getMessage() == (
        f'- "GET /s/ABC234/{REDACTED} HTTP/1.1" /s/ABC234/{REDACTED} {REDACTED} {REDACTED} - - '
        f"/s/ABC234/{REDACTED}"
    )
