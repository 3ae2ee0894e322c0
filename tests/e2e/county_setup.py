"""Add two townships with a final 2025 period to a seeded demo database (browser tests).

Run as ``python tests/e2e/county_setup.py`` with the server's ``ASSESSMENT_*`` variables,
after ``flask demo seed`` and before the server starts. The demo has one township
(青山镇); the county dashboard's journey needs townships side by side. Each new
township gets a unit, an official scoped to it, and a 2025 annual period whose final
version 1 stores the demo's final 2025 version with every cadre (and unit survey
target) moved to it and every total shifted, so the townships differ. The result
versions are stored as the tests' fixtures store them: the dashboard reads stored
versions and nothing else.
"""

from __future__ import annotations

import sqlalchemy as sa

from assessment.app import create_app
from assessment.app.db import db, unit_of_work
from assessment.models import Period
from assessment.queries import find_unit_by_code
from assessment.services import accounts, org
from assessment.services import results as results_service
from assessment.services.periods import create_period
from tests.factories import store_final_copy

#: (code, Chinese name, English name, shift of every total and index, official's username)
TOWNSHIPS = (
    ("HSZ", "河山镇", "Heshan Town", -6.0, "heshan"),
    ("SQZ", "石桥镇", "Shiqiao Town", 3.0, "shiqiao"),
)
PASSWORD = "township-password-2026"


def add_townships() -> None:
    """Store the two townships' final 2025 periods in the app's database."""
    app = create_app()
    with app.app_context():
        _store()
        db.engine.dispose()


def _store() -> None:
    with unit_of_work(None, reason="browser test setup") as session:
        county = find_unit_by_code(session, "CX")
        source_period = session.scalars(
            sa.select(Period).where(Period.name == "2025年度考核", Period.status == "final")
        ).one()
        source = results_service.get_version(
            session, source_period.id, source_period.final_version_number
        )
        for code, zh, en, shift, username in TOWNSHIPS:
            township = org.create_unit(
                session, org.UnitData(code, "township", zh, en, county.id, 800, 2600)
            )
            period = create_period(
                session, name=f"{zh}2025年度考核", year=2025, scope_unit=township
            )
            store_final_copy(session, source=source, period=period, township=township, shift=shift)
            accounts.save_account(
                session,
                accounts.AccountData(username, f"{zh}组织委员", "official", (township.id,)),
                password=PASSWORD,
            )


if __name__ == "__main__":
    add_townships()
