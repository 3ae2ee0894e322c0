"""The quantitative results grid (issue 20): many values on one page, all or nothing.

The demo rulebook (docs/examples/rulebooks/village.yaml): the village committee
directors (VDIR, one per village) have W1 (collective income, 万元, linear 5 → 20), W2
(met or not), W5 (pension enrolment, %, ratio with target 95) and W6 (forest fires).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from assessment.core.rulebook import IndicatorKind
from assessment.models import AuditEntry, Period, QuantitativeResult
from assessment.services import inputs as service
from assessment.services.periods import advance_period


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def period_id(published_rulebook: int, make: Any) -> int:
    def collect(session: Any) -> int:
        period = session.get(Period, published_rulebook)
        advance_period(session, period, "collecting")
        return period.id

    return make(collect)


def _grid_of(app: Any, period_id: int, post: str) -> dict[str, Any]:
    """The cadres of a post and that post's quantitative indicators."""
    with app.app_context():
        from assessment.app.db import db

        period = db.session.get(Period, period_id)
        rulebook = service.find_rulebook(db.session, period)
        cadres = [c for c in service.list_assessed(db.session, period) if c.post == post]
        indicators = rulebook.indicator_set(post).of_kind(IndicatorKind.QUANTITATIVE)
        return {"cadres": cadres, "indicators": {i.code: i for i in indicators}}


def _stored(app: Any) -> dict[tuple[int, str], float]:
    with app.app_context():
        from assessment.app.db import db

        return {
            (r.cadre_id, r.indicator_code): r.actual
            for r in db.session.scalars(sa.select(QuantitativeResult))
        }


def _url(period_id: int, **query: str) -> str:
    return f"/admin/periods/{period_id}/quantitative/grid?" + "&".join(
        f"{k}={v}" for k, v in query.items()
    )


def test_the_grid_of_one_indicator_has_one_input_per_cadre_in_row_order(
    app, client, auth, period_id
):
    auth.login("admin")
    grid = _grid_of(app, period_id, "VDIR")
    page = client.get(_url(period_id, indicator="VDIR/W1")).get_data(as_text=True)
    names = [f'name="v-{c.cadre_id}-W1"' for c in grid["cadres"]]
    assert len(names) == 8
    positions = [page.index(name) for name in names]
    assert positions == sorted(positions)  # tab order follows the rows
    assert page.count('inputmode="decimal"') == 8
    assert "js/grid.js" in page  # pasting from Excel, on top of a page that works without it


def test_saving_a_grid_saves_every_value_and_audits_each(app, client, auth, period_id):
    auth.login("admin")
    grid = _grid_of(app, period_id, "VDIR")
    data = {f"v-{c.cadre_id}-W1": str(10 + n) for n, c in enumerate(grid["cadres"])}
    response = client.post(
        _url(period_id, indicator="VDIR/W1"), data={**data, "source": "2026年村集体经济台账"}
    )
    assert response.status_code == 302
    assert "8 values saved." in client.get(response.headers["Location"]).get_data(as_text=True)
    stored = _stored(app)
    assert [stored[(c.cadre_id, "W1")] for c in grid["cadres"]] == [10 + n for n in range(8)]
    with app.app_context():
        from assessment.app.db import db

        audited = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.object_type == "quantitative_result")
        )
    assert audited == 8
    # the same values again change nothing
    response = client.post(
        _url(period_id, indicator="VDIR/W1"),
        data={**data, "source": "again"},
        follow_redirects=True,
    )
    assert "Nothing was changed, so nothing was saved." in response.get_data(as_text=True)


def test_a_bad_cell_names_the_cadre_and_indicator_and_nothing_is_saved(
    app, client, auth, period_id
):
    auth.login("admin")
    grid = _grid_of(app, period_id, "VDIR")
    first, second = grid["cadres"][:2]
    data = {f"v-{c.cadre_id}-W1": "12" for c in grid["cadres"]}
    data[f"v-{second.cadre_id}-W1"] = "12,5万"
    data[f"v-{first.cadre_id}-W2"] = "2"  # binary: 1 or 0 only
    response = client.post(
        _url(period_id, unit=str(first.unit_id)), data={**data, "source": "台账"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "1 value cannot be used; nothing was saved" in page
    assert f"{first.code} {first.name} · W2 " in page and "Enter 1 (met) or 0 (not met)." in page
    # the unit grid holds the first village only; the second's cell is not on it
    response = client.post(_url(period_id, indicator="VDIR/W1"), data={**data, "source": "台账"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"{second.code} {second.name} · W1 " in page and "12,5万" in page
    assert "Must be a number." in page
    assert 'aria-invalid="true"' in page
    # what was typed stays in the cells for the correction
    assert 'value="12,5万"' in page
    assert _stored(app) == {}


def test_changed_values_need_a_source(app, client, auth, period_id):
    auth.login("admin")
    cadre = _grid_of(app, period_id, "VDIR")["cadres"][0]
    response = client.post(
        _url(period_id, indicator="VDIR/W1"), data={f"v-{cadre.cadre_id}-W1": "12", "source": ""}
    )
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)
    assert _stored(app) == {}


def test_implausible_values_wait_for_the_team_to_confirm_them(app, client, auth, period_id):
    auth.login("admin")
    grid = _grid_of(app, period_id, "VDIR")
    pension = grid["indicators"]["W5"]
    assert pension.unit.zh == "%"
    cadre, other = grid["cadres"][:2]
    data = {
        f"v-{cadre.cadre_id}-W5": "150",  # a share above 100 %
        f"v-{other.cadre_id}-W5": "90",
        "source": "县医保局数据",
    }
    url = _url(period_id, indicator="VDIR/W5")
    response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert "I confirm these values" in page
    assert f"{cadre.code} {cadre.name} · W5 Pension insurance enrolment: 150 — " in page
    assert "a share above 100%: is it written in per cent?" in page
    assert _stored(app) == {}  # nothing saved, not even the plausible 90
    response = client.post(url, data={**data, "confirm": "y"})
    assert response.status_code == 302
    stored = _stored(app)
    assert stored[(cadre.cadre_id, "W5")] == 150.0 and stored[(other.cadre_id, "W5")] == 90.0


def test_the_grid_is_read_only_outside_collecting(app, client, auth, published_rulebook):
    auth.login("admin")
    page = client.get(_url(published_rulebook, post="VDIR")).get_data(as_text=True)
    assert "disabled" in page and "Save the values" not in page
    response = client.post(_url(published_rulebook, post="VDIR"), data={"source": "x"})
    assert response.status_code == 302  # refused with the state message
    assert _stored(app) == {}


def test_unknown_grids_are_not_found_and_clerks_may_not_enter(app, client, auth, period_id):
    auth.login("admin")
    assert client.get(_url(period_id, indicator="VDIR/NOPE")).status_code == 404
    assert client.get(_url(period_id, unit="99999")).status_code == 404
    assert client.get(_url(period_id)).status_code == 200  # the chooser
    client.post("/logout")
    auth.login("clerk")
    assert client.get(_url(period_id, post="VDIR")).status_code == 403


def test_the_single_value_form_asks_to_confirm_an_implausible_value(app, client, auth, period_id):
    auth.login("admin")
    cadre = _grid_of(app, period_id, "VDIR")["cadres"][0]
    url = f"/admin/periods/{period_id}/quantitative/{cadre.cadre_id}/W5"
    response = client.post(url, data={"actual": "150", "source": "县医保局"})
    page = response.get_data(as_text=True)
    assert "I confirm these values" in page and "a share above 100%" in page
    assert _stored(app) == {}
    response = client.post(url, data={"actual": "150", "source": "县医保局", "confirm": "y"})
    assert response.status_code == 302
    assert _stored(app) == {(cadre.cadre_id, "W5"): 150.0}
