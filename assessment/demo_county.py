"""The rest of the demo county (issue 16): two more townships beside 青山镇.

清溪县 assesses three townships. 白水镇 and 红岭乡 each have a small organisation (three
villages or communities, thirteen cadres), their own team (an administrator, three
assessors, two clerks) and a final 2025 annual period with a resident survey, run
through the same services as 青山镇's (:mod:`assessment.demo`). With 青山镇's own 2025
period the county dashboard shows three townships side by side.

Seeded after 青山镇's history, so that 青山镇's numbers do not depend on these cadres.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from assessment.demo import (
    DEMO_PASSWORD,
    HISTORY_SEED,
    POSTS,
    DemoSurveyPlan,
    NoticeSettings,
    account_named,
    acting_as,
    enter_inputs,
    history_plans,
    latent_standings,
    local_time,
    publish_demo_rulebook,
    publish_final,
    unit_coded,
)
from assessment.models import Post, Unit
from assessment.services import accounts, inputs, org, periods, results
from assessment.survey_source import SurveySource


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
    for township in OTHER_TOWNSHIPS:
        prefix = township.code.lower()
        unit = _seed_organisation(session, township, date(2022, 1, 1))
        counts["townships"] += 1
        counts["cadres"] += len(township.names)
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
            publish_demo_rulebook(
                session, period, local_time(plan.published_on, 9, 30), title=plan.title
            )
            periods.advance_period(session, period, "collecting")
        assessed = [a.cadre_id for a in inputs.list_assessed(session, period)]
        standing = latent_standings(assessed, township.seed)[0]
        enter_inputs(session, period, plan, standing)
        survey = surveys.seed_demo_survey(
            session,
            DemoSurveyPlan(
                period=period,
                seed=plan.seed,
                title_zh=plan.survey_title[0],
                title_en=plan.survey_title[1],
                opens_at=local_time(plan.survey_opens_on, 9),
                closes_at=local_time(plan.survey_closes_on, 18),
                standing=standing,
                access_code_key=access_code_key,
                team_id=admin.id,
                clerk_ids=(
                    account_named(session, f"{prefix}-clerk1").id,
                    account_named(session, f"{prefix}-clerk2").id,
                ),
            ),
        )
        counts["responses"] += survey.get("online", 0) + survey.get("paper", 0)
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
    return counts
