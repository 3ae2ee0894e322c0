"""Small factories: a cadre, a period, a rulebook, a survey with targets, on an empty database.

The whole-world fixtures of ``tests/conftest.py`` (``demo``, ``published_rulebook``,
``collecting``, ``computed_period``) seed the demo township of 40 cadres and fill every
input; use them for pages and results that need a full period. When a test needs one
cadre, one rulebook or one survey, build just that here:

    def test_something(make):
        def build(session):
            cadre = factories.make_cadre(session)
            period = factories.make_period(session, scope=factories.township_of(cadre))
            factories.make_rulebook(session, period)
            survey = factories.make_survey(session, period, cadres=[cadre])
            return survey.id
        survey_id = make(build)

Each factory takes the session first and keyword overrides after it, goes through the
product's own services (so it validates what the product validates), adds and flushes,
and never commits: the ``make`` fixture, or the test's own ``unit_of_work``, commits once.
Whatever a factory needs and is not given (a unit above a village, a post) it makes too.
Codes are numbered from the rows already there, so repeated calls never collide.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.rulebook import Label, default_document
from assessment.models import Cadre, Notice, Period, Post, ResultVersion, RulebookVersion, Unit
from assessment.services import inputs as inputs_service
from assessment.services import org, periods, publication, rulebooks
from assessment.services import results as results_service
from assessment.services.queries import find_post_by_code
from surveys.models.surveys import Survey
from surveys.services import surveys as survey_services

#: The day the factories' appointments start, and their periods' year.
START = date(2026, 1, 1)
#: The day the factories' surveys are built (a cadre target needs a post held that day).
SURVEY_DAY = date(2026, 6, 1)
#: The unit kind above each kind (core.roster.ALLOWED_PARENT_KINDS: the first allowed).
PARENT_KIND = {
    "township": "county",
    "street": "county",
    "village": "township",
    "community": "township",
}
#: Posts the factories know by code: (Chinese name, English name, unit level).
POSTS = {
    "VSEC": ("村党组织书记", "Village Party secretary", "village"),
    "VDIR": ("村委会主任", "Village committee director", "village"),
    "TSEC": ("镇党委书记", "Township Party secretary", "township"),
}


def _next_number(session: Session, column: Any) -> int:
    return int(session.scalar(sa.select(sa.func.count(column))) or 0) + 1


def make_unit(
    session: Session,
    *,
    kind: str = "township",
    parent: Unit | None = None,
    code: str | None = None,
    name_zh: str | None = None,
) -> Unit:
    """A unit of ``kind``; without a ``parent``, one of the kind above it is made first."""
    if parent is None and kind in PARENT_KIND:
        parent = make_unit(session, kind=PARENT_KIND[kind])
    number = _next_number(session, Unit.id)
    return org.create_unit(
        session,
        org.UnitData(
            code=code or f"U{number:03d}",
            kind=kind,
            name_zh=name_zh or f"测试单位{number}",
            name_en=f"Test unit {number}",
            parent_id=parent.id if parent else None,
            households=100,
            population=300,
        ),
    )


def make_post(session: Session, *, code: str = "VSEC") -> Post:
    """The post ``code`` (one of :data:`POSTS`), made the first time it is asked for."""
    existing = find_post_by_code(session, code)
    if existing is not None:
        return existing
    name_zh, name_en, level = POSTS[code]
    return org.save_post(
        session, org.PostData(code=code, name_zh=name_zh, name_en=name_en, unit_level=level)
    )


def make_cadre(
    session: Session,
    *,
    unit: Unit | None = None,
    post: str = "VSEC",
    name: str | None = None,
    start: date = START,
) -> Cadre:
    """A cadre holding ``post`` in ``unit`` from ``start`` (a new village by default)."""
    level = POSTS[post][2]
    if unit is None:
        unit = make_unit(session, kind="village" if level == "village" else "township")
    number = _next_number(session, Cadre.id)
    cadre = org.save_cadre(
        session,
        org.CadreData(
            code=f"C{number:03d}", name=name or f"干部{number}", gender="", birth_year=1980
        ),
    )
    org.appoint(session, cadre, make_post(session, code=post), unit, start)
    return cadre


def township_of(cadre: Cadre) -> Unit:
    """The township (or street) above the cadre's first unit: a period's scope."""
    unit = cadre.appointments[0].unit
    while unit.kind not in ("township", "street", "county"):
        assert unit.parent is not None
        unit = unit.parent
    return unit


def make_period(
    session: Session, *, scope: Unit | None = None, year: int = START.year, name: str = ""
) -> Period:
    """A draft period over ``scope`` (a new township by default)."""
    return periods.create_period(
        session,
        name=name or f"{year}年度考核",
        year=year,
        scope_unit=scope or make_unit(session, kind="township"),
    )


def work_indicator(
    *, weight: float = 100, name: tuple[str, str] = ("工作完成率", "Work done")
) -> dict[str, Any]:
    """Indicator ``W1`` of category ``ji``: linear, 0 points at 0 up to full marks at 100.

    With weight 100 (alone in its set) a cadre's total equals the actual entered.
    """
    return {
        "code": "W1",
        "name": {"zh": name[0], "en": name[1]},
        "kind": "quantitative",
        "category": "ji",
        "weight": weight,
        "method": "linear",
        "baseline": 0,
        "target": 100,
    }


def rulebook_document(*, posts: Sequence[str] = ("VSEC",), survey_weight: int = 40) -> dict:
    """A small valid rulebook: per post, one linear indicator and one resident survey.

    The work category weighs ``100 - survey_weight`` (indicator ``W1``: 0 at 0 up to
    full marks at 100), the satisfaction category ``survey_weight`` (indicator ``S1``,
    residents rate the cadre). Default grades and quota (core.rulebook.default_document).
    """
    document = default_document(Label("测试细则", "Test rules"))
    work = 100 - survey_weight
    document["posts"] = [
        {
            "post": code,
            "name": {"zh": POSTS[code][0], "en": POSTS[code][1]},
            "categories": [
                {"code": "ji", "name": {"zh": "工作实绩", "en": "Work"}, "weight": work},
                {
                    "code": "my",
                    "name": {"zh": "群众满意度", "en": "Residents"},
                    "weight": 100 - work,
                },
            ],
            "indicators": [
                work_indicator(weight=work),
                {
                    "code": "S1",
                    "name": {"zh": "群众满意度测评", "en": "Resident survey"},
                    "kind": "survey",
                    "category": "my",
                    "weight": 100 - work,
                    "subject": "cadre",
                },
            ],
        }
        for code in posts
    ]
    return document


def make_rulebook(
    session: Session,
    period: Period,
    *,
    document: dict | None = None,
    publish: bool = True,
    on: date = START,
) -> RulebookVersion:
    """The period's rulebook (:func:`rulebook_document` by default), published on ``on``."""
    version = rulebooks.import_document(
        session, period=period, document=document or rulebook_document()
    )
    if not publish:
        return version
    now = datetime(on.year, on.month, on.day, 8, tzinfo=UTC)
    return rulebooks.publish_version(session, version=version, on=on, now=now)


def enter_actuals(
    session: Session,
    period: Period,
    actual_of: Callable[[Any], float],
    *,
    indicator: str = "W1",
    now: datetime = datetime(2026, 12, 1, tzinfo=UTC),
) -> None:
    """Enter ``indicator``'s actual for every subject the period assesses (a collecting
    period), ``actual_of(subject)`` each (the subject: ``services.inputs.list_assessed``)."""
    rulebook = inputs_service.find_rulebook(session, period)
    assert rulebook is not None, "publish the period's rulebook first"
    for subject in inputs_service.list_assessed(session, period):
        inputs_service.save_result(
            session,
            period=period,
            rulebook=rulebook,
            cadre=subject,
            indicator_code=indicator,
            actual=actual_of(subject),
            source="test",
            entered_by_id=None,
            now=now,
        )


def compute(
    session: Session, period: Period, *, surveys: Any = None, resamples: int = 0
) -> ResultVersion:
    """The period's next result version, computed by the team with no reason given."""
    return results_service.compute_results(
        session, period=period, reason="", actor_id=None, surveys=surveys, resamples=resamples
    )


def open_notice(
    session: Session,
    period: Period,
    *,
    starts_on: date,
    review_working_days: int = 10,
    today: date | None = None,
) -> Notice:
    """A notice of five working days on the computed period's latest version."""
    return publication.open_notice(
        session,
        period=period,
        starts_on=starts_on,
        working_days=5,
        review_working_days=review_working_days,
        instructions="",
        holidays=(),
        extra_workdays=(),
        actor_id=None,
        today=today,
    )


def make_survey(
    session: Session,
    period: Period,
    *,
    cadres: Sequence[Cadre] = (),
    units: Sequence[Unit] = (),
    open_it: bool = True,
    today: date = SURVEY_DAY,
) -> Survey:
    """A survey rating ``cadres`` and ``units`` with one Likert question, each village of
    the scope rating the targets of its own unit and the units above (the default)."""
    survey = survey_services.create_survey(
        session,
        period=period,
        data=survey_services.SurveyData(title_zh="测试满意度测评", title_en="Test survey"),
    )
    for cadre in cadres:
        survey_services.add_target(session, survey, kind="cadre", cadre=cadre, today=today)
    for unit in units:
        survey_services.add_target(session, survey, kind="unit", unit=unit, today=today)
    survey_services.add_question(
        session,
        survey,
        data=survey_services.QuestionData(
            code="overall", kind="likert", text_zh="总体满意度", text_en="Overall satisfaction"
        ),
    )
    survey_services.assign_by_default(session, survey)
    if open_it:
        now = datetime(today.year, today.month, today.day, 8, tzinfo=UTC)
        survey_services.open_survey(session, survey, now=now)
    return survey


def store_final_copy(
    session: Session, *, source: Any, period: Period, township: Unit, shift: float = 0.0
) -> None:
    """Make ``period`` final with version 1: ``source``'s stored payload (a ResultVersion)
    with every cadre and unit survey target moved into ``township`` and every total and
    index moved by ``shift``. Stored, not computed: for readers of stored versions only
    (the county dashboard), where a second township's computation adds nothing."""
    from assessment.services.results import payload_of

    payload = payload_of(source)
    for cadre in payload["result"]["cadres"]:
        cadre["unit"] = str(township.id)
        cadre["total"] += shift
    for survey in payload["result"]["surveys"]:
        survey["index"] = min(100.0, survey["index"] + shift)
        survey["ci_low"] += shift
        survey["ci_high"] += shift
        if survey["subject"] == "unit":
            survey["target"] = str(township.id)
    session.add(
        ResultVersion(
            period_id=period.id,
            number=1,
            rules_digest=source.rules_digest,
            data_digest=f"{township.code.lower():0<64}"[:64],
            payload=json.dumps(payload),
        )
    )
    period.status = "final"
    period.final_version_number = 1
