"""The small factories of tests/factories.py build what the product accepts, and no more."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from assessment.app.db import unit_of_work
from assessment.core.errors import RulebookError
from assessment.models import Period
from assessment.services.rulebooks import load_rulebook
from tests import factories


def test_a_cadre_comes_with_the_units_above_and_a_post(make: Any) -> None:
    def build(session: Any) -> tuple[list[str], str, str]:
        cadre = factories.make_cadre(session)
        unit = cadre.appointments[0].unit
        kinds = [unit.kind]
        while unit.parent is not None:
            unit = unit.parent
            kinds.append(unit.kind)
        return kinds, cadre.appointments[0].post.code, factories.township_of(cadre).kind

    assert make(build) == (["village", "township", "county"], "VSEC", "township")


def test_repeated_factories_do_not_collide(make: Any) -> None:
    def build(session: Any) -> list[str]:
        township = factories.make_unit(session, kind="township")
        first = factories.make_cadre(
            session, unit=factories.make_unit(session, kind="village", parent=township)
        )
        second = factories.make_cadre(session, unit=first.appointments[0].unit, post="VDIR")
        return sorted({first.code, second.code})

    assert len(make(build)) == 2


def test_a_published_rulebook_moves_the_period_on(make: Any) -> None:
    def build(session: Any) -> tuple[str, list[tuple[str, str]]]:
        cadre = factories.make_cadre(session)
        period = factories.make_period(session, scope=factories.township_of(cadre))
        factories.make_rulebook(session, period)
        indicators = load_rulebook(session, period.id).indicator_set("VSEC").indicators
        return period.status, [(i.code, str(i.kind)) for i in indicators]

    status, indicators = make(build)
    assert status == "rules_published"
    assert [code for code, _kind in indicators] == ["W1", "S1"]


def test_publishing_refuses_a_rulebook_without_a_post_held_in_the_scope(make: Any) -> None:
    """Bad input: the village director holds a post the rulebook does not cover."""

    def build(session: Any) -> int:
        cadre = factories.make_cadre(session, post="VDIR")
        return factories.make_period(session, scope=factories.township_of(cadre)).id

    period_id = make(build)

    def publish(session: Any) -> None:
        factories.make_rulebook(session, session.get(Period, period_id))

    with pytest.raises(RulebookError) as refused:
        make(publish)
    assert "VDIR" in str(refused.value)
    assert make(lambda session: session.get(Period, period_id).status) == "draft"


def test_a_survey_is_rated_by_the_villages_below_each_target(make: Any) -> None:
    def build(session: Any) -> tuple[str, set[tuple[str, str]]]:
        township = factories.make_unit(session, kind="township")
        home = factories.make_unit(session, kind="village", parent=township, name_zh="甲村")
        factories.make_unit(session, kind="village", parent=township, name_zh="乙村")
        cadre = factories.make_cadre(session, unit=home, name="张三")
        period = factories.make_period(session, scope=township)
        factories.make_rulebook(session, period)
        survey = factories.make_survey(session, period, cadres=[cadre], units=[township])
        pairs = {(a.unit.name_zh, a.target.label_zh) for a in survey.assignments}
        return survey.status, pairs

    status, pairs = make(build)
    assert status == "open"
    township_name = next(label for village, label in pairs if village == "乙村")
    assert pairs == {
        ("甲村", "张三（村党组织书记）"),
        ("甲村", township_name),
        ("乙村", township_name),
    }


def test_factories_flush_and_never_commit(app: Any) -> None:
    commits: list[object] = []
    record = commits.append  # one bound method: the listener is removed by identity
    with app.app_context(), unit_of_work(None, reason="test") as session:
        sa.event.listen(session, "after_commit", record)
        cadre = factories.make_cadre(session)
        period = factories.make_period(session, scope=factories.township_of(cadre))
        factories.make_rulebook(session, period)
        survey = factories.make_survey(session, period, cadres=[cadre])
        assert (cadre.id, survey.id) > (0, 0)  # flushed: the rows have their ids
        assert commits == []
        sa.event.remove(session, "after_commit", record)
