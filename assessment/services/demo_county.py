"""The rest of the demo county (issue 16): two more townships beside 青山镇.

清溪县 assesses three townships. 白水镇 and 红岭乡 each have a small organisation (three
villages or communities, thirteen cadres), their own team (an administrator, three
assessors, two clerks) and a final 2025 annual period with a resident survey, run
through the same services as 青山镇's (:mod:`assessment.services.demo`). With 青山镇's own 2025
period the county dashboard shows three townships side by side.

The county publishes a template rulebook for 2025 (:data:`TEMPLATE_ADOPTION` says what a
township may change); 白水镇 adopts it as it is, 红岭乡 with one allowed local change (a
higher waste-collection target for its secretary). The county also assesses the three
townships' leadership teams (领导班子) in a period of units, graded 好/较好/一般/较差.

Seeded after 青山镇's history, so that 青山镇's numbers do not depend on these cadres.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.core.rulebook import Label
from assessment.models import Account, Period, Post, Unit
from assessment.models.templates import RulebookTemplateVersion
from assessment.services import accounts, inputs, org, periods, results, rulebooks, unit_grades
from assessment.services import templates as county_templates
from assessment.services.demo import (
    DEMO_PASSWORD,
    HISTORY_SEED,
    POSTS,
    NoticeSettings,
    PeriodPlan,
    account_named,
    acting_as,
    demo_rulebook_document,
    enter_inputs,
    history_plans,
    label,
    latent_standings,
    local_time,
    publish_final,
    seed_resident_survey,
    unit_coded,
    working_day_on_or_before,
)
from assessment.services.survey_source import SurveySource


@dataclass(frozen=True, slots=True)
class DemoTownship:
    """One more township of the demo county: its units, cadres and team."""

    code: str
    name_zh: str
    name_en: str
    households: int
    population: int
    #: (code suffix, kind, name zh, name en, households, population)
    villages: tuple[tuple[str, str, str, str, int, int], ...]
    #: Thirteen names: secretary, head, two station chiefs, then three per village
    #: (secretary, director, grid worker).
    names: tuple[str, ...]
    genders: str
    seed: int

    @property
    def prefix(self) -> str:
        """Cadre codes and user names start with it (BS001, bsz-admin)."""
        return self.code[:2]


OTHER_TOWNSHIPS = (
    DemoTownship(
        code="BSZ",
        name_zh="白水镇",
        name_en="Baishui Town",
        households=7180,
        population=25840,
        villages=(
            ("01", "village", "东坪村", "Dongping Village", 906, 3270),
            ("02", "village", "溪口村", "Xikou Village", 1134, 4015),
            ("03", "community", "白水社区", "Baishui Community", 1708, 5960),
        ),
        names=(
            "侯建设",
            "邱丽华",
            "秦卫东",
            "江淑英",
            "尹国栋",
            "黎秀珍",
            "易志勇",
            "常玉梅",
            "武海军",
            "乔凤英",
            "贺文杰",
            "赖小红",
            "龚德胜",
        ),
        genders="MFMFMFMFMFMFM",
        seed=HISTORY_SEED + 11,
    ),
    DemoTownship(
        code="HLX",
        name_zh="红岭乡",
        name_en="Hongling Township",
        households=4120,
        population=14630,
        villages=(
            ("01", "village", "上岭村", "Shangling Village", 642, 2290),
            ("02", "village", "杉木村", "Shanmu Village", 588, 2105),
            ("03", "village", "茶园村", "Chayuan Village", 815, 2930),
        ),
        names=(
            "文爱国",
            "庞秀云",
            "樊建华",
            "兰春花",
            "殷志明",
            "施桂兰",
            "陶永福",
            "洪丽萍",
            "翟国庆",
            "安美华",
            "颜光明",
            "倪素琴",
            "严卫国",
        ),
        genders="MFMFMFMFMFMFM",
        seed=HISTORY_SEED + 12,
    ),
)


#: The county's administrator (templates, the county's own periods) and a township's
#: official (the county dashboard shows them their township only).
COUNTY_ADMIN = ("county-admin", "县委组织部考核办")
TOWNSHIP_OFFICIAL = ("bsz-official", "白水镇组织委员", "BSZ")
#: What a township adopting the county's template may change (docs/rulebook.md,
#: "County templates"): targets of named indicators, weights within two points, local
#: indicators in 工作实绩, bonus and penalty items for village secretaries.
TEMPLATE_ADOPTION = {
    "posts": [
        {"post": "TSEC", "targets": ["J2", "J3"], "weights_within": 2, "local_indicators": ["ji"]},
        {"post": "THEAD", "targets": ["J2", "J4"], "weights_within": 2},
        {"post": "VSEC", "targets": ["W1", "W3", "W6"], "bonus_penalty": True},
    ]
}
#: The template's quota: 优秀 among a township's staff by its leadership team's grade in
#: the county's assessment of the teams (15/12/10/8 %, rounded down), the grades read
#: from that period's final results.
STAFF_QUOTA_GROUP = {
    "code": "staff",
    "name": label("乡镇干部（按班子等次）", "Township staff (by the team's grade)"),
    "posts": [code for code, *_ in POSTS],
    "rounding": "down",
    "by_unit_grade": {
        "unit_kind": "township",
        "shares": {"good": 0.15, "fair": 0.12, "average": 0.1, "poor": 0.08},
    },
}
#: The leadership teams are graded together across the county's townships.
TEAMS_QUOTA_GROUP = {
    "code": "teams",
    "name": label("全县乡镇领导班子", "The county's township leadership teams"),
    "posts": ["UNIT-TEAM"],
    "top_quota": 0.2,
    "rounding": "half_up",
}
#: The county's own assessment of its townships' secretaries and heads (2026, collecting):
#: only these posts are assessed (``assessed_posts: listed``), graded together.
LEADERS_QUOTA_GROUP = {
    "code": "leaders",
    "name": label("全县乡镇党政正职", "The county's township secretaries and heads"),
    "posts": ["TSEC", "THEAD"],
    "top_quota": 0.2,
    "rounding": "half_up",
}
LEADERS_TITLE = (
    "清溪县2026年度乡镇党政正职考核细则",
    "Qingxi County 2026 rules for township secretaries and heads",
)
TEMPLATE_TITLE = ("清溪县2025年度乡镇干部考核模板", "Qingxi County 2025 township cadre template")
#: 红岭乡's one local change: its secretary's waste-collection target (J2) from 95 to 98.
LOCAL_CHANGE = ("HLX", "TSEC", "J2", "target", 98)
#: The leadership teams' period: (indicator, name zh, name en, category, weight, target)
#: and each township's actuals, in that order.
TEAM_INDICATORS = (
    ("T1", "县下达重点任务完成率", "Key county tasks completed", "ji", 60, 100),
    ("T2", "党建工作考核得分", "Party-building review score", "dj", 40, 100),
)
TEAM_ACTUALS = {"QSZ": (98.0, 95.0), "BSZ": (91.0, 88.0), "HLX": (84.0, 90.0)}


def _team(township: DemoTownship) -> dict[str, tuple[str, str]]:
    """User name → (display name, role) of the township's team."""
    prefix = township.code.lower()
    return {
        f"{prefix}-admin": (f"{township.name_zh}考核办管理员", "admin"),
        f"{prefix}-assessor1": (f"{township.name_zh}考核组成员一", "assessor"),
        f"{prefix}-assessor2": (f"{township.name_zh}考核组成员二", "assessor"),
        f"{prefix}-assessor3": (f"{township.name_zh}考核组成员三", "assessor"),
        f"{prefix}-clerk1": (f"{township.name_zh}录入员一", "clerk"),
        f"{prefix}-clerk2": (f"{township.name_zh}录入员二", "clerk"),
    }


def _seed_organisation(session: Session, township: DemoTownship, start: date) -> Unit:
    """The township's units, cadres (appointed from ``start``) and team accounts."""
    county = unit_coded(session, "CX")
    unit = org.create_unit(
        session,
        org.UnitData(
            code=township.code,
            kind="township",
            name_zh=township.name_zh,
            name_en=township.name_en,
            parent_id=county.id,
            households=township.households,
            population=township.population,
        ),
    )
    villages = [
        org.create_unit(
            session,
            org.UnitData(
                code=f"{township.code}-{suffix}",
                kind=kind,
                name_zh=name_zh,
                name_en=name_en,
                parent_id=unit.id,
                households=households,
                population=population,
            ),
        )
        for suffix, kind, name_zh, name_en, households, population in township.villages
    ]
    posts = {
        code: session.scalars(sa.select(Post).where(Post.code == code)).one() for code, *_ in POSTS
    }
    plan = [("TSEC", unit), ("THEAD", unit), ("STATION", unit), ("STATION", unit)]
    for village in villages:
        plan += [(post, village) for post in ("VSEC", "VDIR", "GRID")]
    for index, ((post_code, place), name) in enumerate(zip(plan, township.names, strict=True)):
        cadre = org.save_cadre(
            session,
            org.CadreData(
                code=f"{township.prefix}{index + 1:03d}",
                name=name,
                gender=township.genders[index],
                birth_year=1968 + (index * 5) % 26,
            ),
        )
        org.appoint(session, cadre, posts[post_code], place, start)
    for username, (display, role) in _team(township).items():
        accounts.save_account(
            session,
            accounts.AccountData(username, display, role, (unit.id,)),
            password=DEMO_PASSWORD,
        )
    return unit


def seed_county(
    session: Session,
    *,
    today: date,
    surveys: SurveySource,
    access_code_key: str,
    resamples: int,
    notice: NoticeSettings,
) -> dict[str, int]:
    """Add :data:`OTHER_TOWNSHIPS`, each with a final 2025 annual period and its survey.

    Each period runs as 青山镇's 2025 period did (the same rulebook with the township's
    title, the same dates): rules published, actuals, ratings, a resident survey
    (online and paper), results, notice and final. Returns counts of what was made.
    """
    counts = {"townships": 0, "cadres": 0, "periods": 0, "responses": 0}
    model = history_plans(today)[0]
    county = unit_coded(session, "CX")
    county_admin = accounts.save_account(
        session,
        accounts.AccountData(*COUNTY_ADMIN, "admin", (county.id,)),
        password=DEMO_PASSWORD,
    )
    with acting_as(session, county_admin, at=local_time(model.published_on, 9)):
        template_version = _publish_template(session, county, now=local_time(model.published_on, 9))
    made = [_seed_organisation(session, t, date(2022, 1, 1)) for t in OTHER_TOWNSHIPS]
    counts["townships"] += len(made)
    counts["cadres"] += sum(len(t.names) for t in OTHER_TOWNSHIPS)
    # the teams' grades are final before the townships grade their staff by them
    teams = _seed_team_period(
        session, county, county_admin, _team_plan(model), surveys=surveys, notice=notice
    )
    counts["periods"] += 1
    for township, unit in zip(OTHER_TOWNSHIPS, made, strict=True):
        prefix = township.code.lower()
        plan = dataclasses.replace(
            model,
            title=(
                f"{township.name_zh}2025年度干部考核细则",
                f"{township.name_en} 2025 cadre assessment rules",
            ),
            survey_title=("2025年度群众满意度测评", "2025 resident satisfaction survey"),
            seed=township.seed,
            events=(),
            raters=(f"{prefix}-assessor1", f"{prefix}-assessor2", f"{prefix}-assessor3"),
            conflicts=(),
            admin=f"{prefix}-admin",
        )
        admin = account_named(session, plan.admin)
        with acting_as(session, admin, at=local_time(plan.published_on, 9)):
            period = periods.create_period(session, name=plan.name, year=plan.year, scope_unit=unit)
            _adopt(
                session,
                period,
                template_version,
                township,
                plan.title,
                now=local_time(plan.published_on, 9, 30),
            )
            unit_grades.set_unit_grades_period(session, period, teams.id)
            periods.advance_period(session, period, "collecting")
        assessed = [a.cadre_id for a in inputs.list_assessed(session, period)]
        standing = latent_standings(assessed, township.seed)[0]
        enter_inputs(session, period, plan, standing)
        counts["responses"] += seed_resident_survey(
            session,
            period,
            plan,
            standing,
            surveys=surveys,
            access_code_key=access_code_key,
            team=admin,
            clerks=(
                account_named(session, f"{prefix}-clerk1"),
                account_named(session, f"{prefix}-clerk2"),
            ),
        )
        with acting_as(session, admin, at=local_time(plan.computed_on, 16)):
            results.compute_results(
                session,
                period=period,
                reason="",
                actor_id=admin.id,
                surveys=surveys,
                resamples=resamples,
            )
        publish_final(session, period, plan, notice, admin)
        counts["periods"] += 1
    # collecting, not computed: not among the counted periods
    _seed_leaders_period(session, county, county_admin)
    username, display, township_code = TOWNSHIP_OFFICIAL
    official_scope = (unit_coded(session, township_code).id,)
    accounts.save_account(
        session,
        accounts.AccountData(username, display, "official", official_scope),
        password=DEMO_PASSWORD,
    )
    return counts


def _team_plan(model: PeriodPlan) -> PeriodPlan:
    """The teams' period runs a month ahead of the townships' (final by mid-December)."""
    return dataclasses.replace(
        model,
        computed_on=working_day_on_or_before(model.computed_on - timedelta(days=35)),
        notice_starts_on=working_day_on_or_before(model.notice_starts_on - timedelta(days=35)),
    )


def _publish_template(session: Session, county: Unit, *, now: datetime) -> RulebookTemplateVersion:
    """The county's 2025 template: the demo rulebook with :data:`TEMPLATE_ADOPTION`."""
    template = county_templates.create_template(
        session, unit=county, code="QX2025", year=2025, title=Label(*TEMPLATE_TITLE)
    )
    document = demo_rulebook_document(TEMPLATE_TITLE)
    document["grading"] = {**document["grading"], "quota_groups": [STAFF_QUOTA_GROUP]}
    document["adoption"] = TEMPLATE_ADOPTION
    draft = county_templates.import_template_document(session, template=template, document=document)
    return county_templates.publish_template_version(session, version=draft, now=now)


def _adopt(
    session: Session,
    period: Period,
    template_version: RulebookTemplateVersion,
    township: DemoTownship,
    title: tuple[str, str],
    *,
    now: datetime,
) -> None:
    """The township adopts the county template under its own title, with its local change."""
    draft = rulebooks.adopt_template(
        session, period=period, template_version_id=template_version.id
    )
    document = copy.deepcopy(rulebooks.document_of(draft))
    document["title"] = {"zh": title[0], "en": title[1]}
    code, post, indicator, field, value = LOCAL_CHANGE
    if township.code == code:
        indicators = next(s for s in document["posts"] if s["post"] == post)["indicators"]
        next(i for i in indicators if i["code"] == indicator)[field] = value
    rulebooks.import_document(session, period=period, document=document)
    rulebooks.publish_version(session, version=draft, on=now.date(), now=now)


def _team_document(document: dict[str, Any]) -> dict[str, Any]:
    """The leadership teams' rulebook: the started draft's grading (好/较好/一般/较差),
    rounded half up, and one indicator set for the post UNIT-TEAM."""
    return {
        **document,
        "title": {
            "zh": "清溪县2025年度乡镇领导班子考核细则",
            "en": "Qingxi County 2025 township leadership team rules",
        },
        "grading": {**document["grading"], "quota_groups": [TEAMS_QUOTA_GROUP]},
        "posts": [
            {
                "post": "UNIT-TEAM",
                "name": {"zh": "乡镇领导班子", "en": "Township leadership team"},
                "categories": [
                    {"code": "ji", "name": {"zh": "工作实绩", "en": "Work results"}, "weight": 60},
                    {
                        "code": "dj",
                        "name": {"zh": "党的建设", "en": "Party building"},
                        "weight": 40,
                    },
                ],
                "indicators": [
                    {
                        "code": code,
                        "name": {"zh": zh, "en": en},
                        "kind": "quantitative",
                        "category": category,
                        "weight": weight,
                        "method": "ratio",
                        "target": target,
                        "unit": {"zh": "%", "en": "%"},
                    }
                    for code, zh, en, category, weight, target in TEAM_INDICATORS
                ],
            }
        ],
    }


def _seed_team_period(
    session: Session,
    county: Unit,
    admin: Account,
    model: PeriodPlan,
    *,
    surveys: SurveySource,
    notice: NoticeSettings,
) -> Period:
    """The county's 2025 assessment of the three leadership teams (a period of units).

    The three teams are one quota group across the townships (:data:`TEAMS_QUOTA_GROUP`):
    rounded down no team could keep 好, so it rounds half up (3 × 20 % = 0.6 → 1).
    Returns the period, final, whose grades set the townships' staff quotas.
    """
    with acting_as(session, admin, at=local_time(model.published_on, 10)):
        period = periods.create_period(
            session, name="2025年度乡镇领导班子考核", year=2025, scope_unit=county, subjects="units"
        )
        draft = rulebooks.start_rulebook(session, period=period)
        rulebooks.import_document(
            session, period=period, document=_team_document(rulebooks.document_of(draft))
        )
        now = local_time(model.published_on, 10, 30)
        rulebooks.publish_version(session, version=draft, on=now.date(), now=now)
        periods.advance_period(session, period, "collecting")
    rulebook = inputs.find_rulebook(session, period)
    if rulebook is None:  # pragma: no cover - published just before
        raise RuntimeError("the leadership teams' rulebook is not published")
    entered_at = local_time(model.computed_on - timedelta(days=7), 10)
    with acting_as(session, admin, at=entered_at):
        for subject in inputs.list_assessed(session, period):
            actuals = TEAM_ACTUALS[subject.code.removeprefix("U-")]
            for (code, *_), actual in zip(TEAM_INDICATORS, actuals, strict=True):
                inputs.save_result(
                    session,
                    period=period,
                    rulebook=rulebook,
                    cadre=subject,
                    indicator_code=code,
                    actual=actual,
                    source="县考核办年度考核台账",
                    entered_by_id=admin.id,
                    now=entered_at,
                )
    with acting_as(session, admin, at=local_time(model.computed_on, 17)):
        results.compute_results(
            session, period=period, reason="", actor_id=admin.id, surveys=surveys, resamples=0
        )
    publish_final(session, period, model, notice, admin)
    return period


def _seed_leaders_period(session: Session, county: Unit, admin: Account) -> Period:
    """The county's 2026 assessment of the township secretaries and heads, collecting.

    Its rules list only those two posts (``assessed_posts: listed``), so the period's
    subjects are the secretary and the head of each of the three townships (six cadres),
    one quota group across the county (:data:`LEADERS_QUOTA_GROUP`: 6 × 20 % = 1.2 → 1);
    the townships' own periods assess everyone else.
    """
    published = local_time(working_day_on_or_before(date(2026, 1, 16)), 10)
    with acting_as(session, admin, at=published):
        period = periods.create_period(
            session, name="2026年度乡镇党政正职考核", year=2026, scope_unit=county
        )
        document = demo_rulebook_document(LEADERS_TITLE)
        document["posts"] = [s for s in document["posts"] if s["post"] in ("TSEC", "THEAD")]
        document["grading"] = {**document["grading"], "quota_groups": [LEADERS_QUOTA_GROUP]}
        document["assessed_posts"] = "listed"
        draft = rulebooks.import_document(session, period=period, document=document)
        rulebooks.publish_version(session, version=draft, on=published.date(), now=published)
        periods.advance_period(session, period, "collecting")
    return period
