"""A deterministic, realistic demo township (fake people, fake numbers)."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
import yaml
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from assessment.app.db import UTCDateTime
from assessment.core.rulebook import (
    REGULAR_GRADES,
    Indicator,
    IndicatorKind,
    Label,
    Rubric,
    default_document,
)
from assessment.core.workdays import add_working_days
from assessment.models import (
    Account,
    Cadre,
    Event,
    Period,
    QuantitativeResult,
    RulebookVersion,
    Unit,
)
from assessment.services import (
    accounts,
    inputs,
    org,
    periods,
    publication,
    records,
    results,
    rulebooks,
)
from assessment.services.survey_source import SurveySource

EXAMPLE_RULEBOOKS = (
    Path(__file__).resolve().parent.parent.parent / "docs" / "examples" / "rulebooks"
)

# Published in the README: the demo is for trying the product, never for real data.
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105

COUNTY = ("CX", "county", "清溪县", "Qingxi County", 0, None, 86400, 312000)
TOWNSHIP = ("QSZ", "township", "青山镇", "Qingshan Town", 0, "CX", 9460, 33810)
VILLAGES = [
    ("QSZ-01", "village", "石桥村", "Shiqiao Village", 0, "QSZ", 812, 2950),
    ("QSZ-02", "village", "柳塘村", "Liutang Village", 0, "QSZ", 1046, 3712),
    ("QSZ-03", "village", "枫岭村", "Fengling Village", 0, "QSZ", 563, 1988),
    ("QSZ-04", "village", "白沙村", "Baisha Village", 0, "QSZ", 1320, 4705),
    ("QSZ-05", "village", "竹园村", "Zhuyuan Village", 0, "QSZ", 688, 2410),
    ("QSZ-06", "village", "龙潭村", "Longtan Village", 0, "QSZ", 934, 3368),
    ("QSZ-07", "community", "新华社区", "Xinhua Community", 0, "QSZ", 2215, 7420),
    ("QSZ-08", "community", "青山街社区", "Qingshan Street Community", 0, "QSZ", 1882, 6257),
]
POSTS = [
    ("TSEC", "乡镇党委书记", "Township Party secretary", "township"),
    ("THEAD", "乡镇长", "Township head", "township"),
    ("STATION", "站所负责人", "Station chief", "township"),
    ("VSEC", "村党组织书记", "Village Party branch secretary", "village"),
    ("VDIR", "村委会主任", "Village committee director", "village"),
    ("GRID", "网格员", "Grid worker", "village"),
]
# 40 names: township leaders, six station chiefs, then four cadres per village.
NAMES = [
    "王建国",
    "李秀兰",
    "张志强",
    "刘海燕",
    "陈立新",
    "杨春梅",
    "赵国华",
    "黄丽娟",
    "周文斌",
    "吴晓红",
    "徐建军",
    "孙玉芳",
    "胡德明",
    "朱桂英",
    "高振华",
    "林淑珍",
    "何永红",
    "郭明亮",
    "马秀英",
    "罗建平",
    "梁小燕",
    "宋家宝",
    "郑美玲",
    "谢国强",
    "韩春燕",
    "唐志刚",
    "冯玉兰",
    "于海涛",
    "董翠花",
    "萧明远",
    "程红霞",
    "曹立军",
    "袁素芬",
    "邓宏伟",
    "许金凤",
    "傅长青",
    "沈雪梅",
    "曾庆丰",
    "彭晓东",
    "吕桂香",
]
GENDERS = "MFMFMFMFMFMFMFMFMFMFMFMFMFMFMFMFMFMFMFMF"


def seed_demo(session: Session) -> dict[str, int]:
    """Create the demo township; returns counts of what was made."""
    units: dict[str, Unit] = {}
    for code, kind, name_zh, name_en, _unused, parent, households, population in [
        COUNTY,
        TOWNSHIP,
        *VILLAGES,
    ]:
        units[code] = org.create_unit(
            session,
            org.UnitData(
                code=code,
                kind=kind,
                name_zh=name_zh,
                name_en=name_en,
                parent_id=units[parent].id if parent else None,
                households=households,
                population=population,
            ),
        )
    posts = {
        code: org.save_post(session, org.PostData(code, name_zh, name_en, level))
        for code, name_zh, name_en, level in POSTS
    }
    start = date(2022, 1, 1)
    plan = [("TSEC", "QSZ"), ("THEAD", "QSZ")] + [("STATION", "QSZ")] * 6
    for village in VILLAGES:
        plan += [(post, village[0]) for post in ("VSEC", "VDIR", "GRID", "GRID")]
    cadres = []
    for index, ((post_code, unit_code), name) in enumerate(zip(plan, NAMES, strict=True)):
        cadre = org.save_cadre(
            session,
            org.CadreData(
                code=f"QS{index + 1:03d}",
                name=name,
                gender=GENDERS[index],
                birth_year=1966 + (index * 7) % 30,
            ),
        )
        org.appoint(session, cadre, posts[post_code], units[unit_code], start)
        cadres.append(cadre)
    demo_accounts = [
        ("admin", "考核办管理员", "admin", "QSZ", None),
        ("assessor1", "考核组成员一", "assessor", "QSZ", None),
        ("assessor2", "考核组成员二", "assessor", "QSZ", None),
        ("assessor3", "考核组成员三", "assessor", "QSZ", None),
        ("clerk", "录入员", "clerk", "QSZ", None),
        # paper ballots are typed twice, by two different people (double entry)
        ("clerk2", "录入员二", "clerk", "QSZ", None),
        ("cadre", NAMES[8], "cadre", "QSZ", cadres[8].id),
        ("official", "县委组织部", "official", "CX", None),
    ]
    for username, display, role, scope, cadre_id in demo_accounts:
        accounts.save_account(
            session,
            accounts.AccountData(username, display, role, (units[scope].id,), cadre_id),
            password=DEMO_PASSWORD,
        )
    periods.create_period(session, name="2026年度考核", year=2026, scope_unit=units["QSZ"])
    return {
        "units": len(units),
        "posts": len(posts),
        "cadres": len(cadres),
        "accounts": len(demo_accounts),
    }


def is_database_empty(session: Session) -> bool:
    return session.query(Account).first() is None


#: The democratic evaluation (民主测评) of the township's leaders in the 2026 first half:
#: (voter group, survey code, weight inside the indicator, voters, title zh, title en).
DEMO_BALLOT_GROUPS = (
    ("leaders", "mzcp-bz", 30, 9, "班子成员民主测评", "Leadership team evaluation"),
    ("staff", "mzcp-zg", 40, 26, "干部职工民主测评", "Cadres and staff evaluation"),
    ("village-reps", "mzcp-cm", 30, 34, "村民代表民主测评", "Village representatives' evaluation"),
)
#: Posts whose cadres the democratic evaluation grades, and the indicator it feeds
#: (in category 德, whose qualitative indicators D1 8 + D2 7 give up 3 + 3 points).
DEMO_BALLOT_POSTS = ("TSEC", "THEAD")
DEMO_BALLOT_INDICATOR: dict[str, Any] = {
    "code": "MZ",
    "name": {"zh": "民主测评", "en": "Democratic evaluation"},
    "kind": "survey",
    "category": "de",
    "weight": 6,
    "sources": {
        "surveys": [code for _, code, *_ in DEMO_BALLOT_GROUPS],
        "questions": ["grade"],
        "method": "ballot",
        "min_responses": 5,
        "quorum_share": 0.6,
        "groups": [
            {"group": group, "weight": weight} for group, _, weight, *_ in DEMO_BALLOT_GROUPS
        ],
        # the public notice shows each leader's votes and shares (issue 14)
        "publish_votes": True,
        # a sheet grading every leader alike is counted but shown apart (docs/rulebook.md)
        "validity": {"same_grade_for_all": "flag"},
        "consequences": [
            {"votes": ["incompetent"], "above": "1/3", "then": "cap", "cap_at": "basic"},
            {"votes": ["excellent", "competent"], "below": "2/3", "then": "flag"},
        ],
    },
    "description": {
        "zh": "班子成员、干部职工、村民代表分别投票（优秀、称职、基本称职、不称职或弃权），"
        "按测评主体加权",
        "en": "Leaders, staff and village representatives each vote (excellent, competent, "
        "basically competent, incompetent or abstain), weighted by group",
    },
}


def _with_democratic_evaluation(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The township leaders' posts with the ballot indicator MZ in category 德."""
    out = []
    for post in posts:
        if post["post"] not in DEMO_BALLOT_POSTS:
            out.append(post)
            continue
        indicators = []
        for indicator in post["indicators"]:
            if indicator["code"] in ("D1", "D2"):
                indicator = {**indicator, "weight": indicator["weight"] - 3}
            indicators.append(indicator)
            if indicator["code"] == "D2":
                # a copy: a caller may change its document without changing the next one
                indicators.append(copy.deepcopy(DEMO_BALLOT_INDICATOR))
        out.append({**post, "indicators": indicators})
    return out


def demo_rulebook_document(
    title: tuple[str, str] | None = None, *, democratic_evaluation: bool = False
) -> dict[str, Any]:
    """The township and village example rulebooks as one rulebook for the demo township.

    The township example gives the grading and aggregation; the posts and rubrics of
    both examples are kept (rubrics by code, the township's first). ``title`` is the
    (Chinese, English) title; the default names the 2026 annual rules. With
    ``democratic_evaluation`` the township leaders' posts get the ballot indicator
    :data:`DEMO_BALLOT_INDICATOR`.
    """
    title_zh, title_en = title or (
        "青山镇2026年度干部考核细则",
        "Qingshan Town 2026 cadre assessment rules",
    )
    township = yaml.safe_load((EXAMPLE_RULEBOOKS / "township.yaml").read_text(encoding="utf-8"))
    village = yaml.safe_load((EXAMPLE_RULEBOOKS / "village.yaml").read_text(encoding="utf-8"))
    rubric_codes = {rubric["code"] for rubric in township["rubrics"]}
    return {
        **township,
        "title": {"zh": title_zh, "en": title_en},
        "rubrics": township["rubrics"]
        + [rubric for rubric in village["rubrics"] if rubric["code"] not in rubric_codes],
        "posts": (
            _with_democratic_evaluation(township["posts"])
            if democratic_evaluation
            else township["posts"]
        )
        + village["posts"],
    }


def publish_demo_rulebook(
    session: Session,
    period: Period,
    now: datetime,
    *,
    title: tuple[str, str] | None = None,
    democratic_evaluation: bool = False,
) -> RulebookVersion:
    """Import and publish :func:`demo_rulebook_document` for ``period``."""
    version = rulebooks.import_document(
        session,
        period=period,
        document=demo_rulebook_document(title, democratic_evaluation=democratic_evaluation),
    )
    return rulebooks.publish_version(session, version=version, on=now.date(), now=now)


# ---------------------------------------------------------------------------
# computed history: period 2 "2025年度考核" (final) and period 3 "2026年上半年考核" (notice)
# ---------------------------------------------------------------------------

#: Business hours are in China Standard Time; stored times are UTC.
CHINA_TIME = timezone(timedelta(hours=8))
#: Fixed seeds: the same "today" always gives the same inputs, answers and results.
HISTORY_SEED = 20250101
#: Two more members sat on the 2025 panel and have since left (their accounts are
#: disabled, so today's panel is the four accounts of :func:`seed_demo`). Five ratings
#: make the panel value a trimmed mean (DESIGN section 4).
FORMER_ASSESSORS = (("assessor4", "考核组成员四"), ("assessor5", "考核组成员五"))
#: How lenient each assessor is, in rubric points (leniency shows in the results).
LENIENCY = {
    "assessor1": 0.0,
    "assessor2": -5.0,
    "assessor3": 4.0,
    "assessor4": 1.0,
    "assessor5": -1.0,
}
#: (cadre code, indicator, points, days into the period, reason) per period.
EVENTS_2025 = (
    ("QS001", "B1", 1.0, 250, "获评全县乡村振兴工作先进个人（县委〔2025〕18号）"),
    ("QS005", "P2", 0.5, 160, "县督查室交办的农机补贴核查事项逾期10天未办结"),
    ("QS009", "B2", 1.0, 200, "引进竹制品加工项目落地石桥村，投资额320万元"),
    ("QS017", "B1", 2.0, 300, "获评全县优秀村党组织书记"),
    ("QS030", "P2", 1.0, 120, "人居环境整治推进缓慢，被镇党委约谈"),
)
EVENTS_2026H1 = (
    ("QS002", "B2", 0.5, 60, "“一窗通办”做法被县政务服务中心推广"),
    ("QS012", "P1", 2.0, 90, "网格事件漏报，被镇综治中心通报批评"),
    ("QS034", "B1", 2.0, 120, "新华社区获评全县“五星级”平安社区"),
)
#: Cadres the 2025 panel's fourth member did not rate (declared conflicts of interest).
CONFLICTS_2025 = (
    ("assessor4", "QS013", "本人与柳塘村党组织书记系表兄弟关系，申请回避"),
    ("assessor4", "QS014", "本人配偶在柳塘村村委会任职，申请回避"),
)


@dataclass(frozen=True, slots=True)
class DemoSurveyPlan:
    """What the survey part of a demo period is asked to do (see ``surveys/services/demo.py``).

    ``standing`` holds each assessed cadre's latent standing (a z-score) by cadre id:
    better cadres get better answers, as they get better actuals and ratings.
    """

    period: Period
    seed: int
    title_zh: str
    title_en: str
    opens_at: datetime
    closes_at: datetime
    standing: Mapping[int, float]
    access_code_key: str
    #: Accounts that act: the team member who runs the survey, the two clerks who type
    #: the paper ballots (double entry).
    team_id: int
    clerk_ids: tuple[int, int]


@dataclass(frozen=True, slots=True)
class DemoBallotPlan:
    """The democratic evaluation meetings of a demo period (see ``surveys/services/demo.py``).

    ``groups`` is :data:`DEMO_BALLOT_GROUPS`; ``cadre_ids`` the cadres graded;
    ``standing`` their latent standing, as for :class:`DemoSurveyPlan`.
    """

    period: Period
    seed: int
    held_at: datetime
    closes_at: datetime
    groups: tuple[tuple[str, str, int, int, str, str], ...]
    cadre_ids: tuple[int, ...]
    standing: Mapping[int, float]
    access_code_key: str
    team_id: int


@dataclass(frozen=True, slots=True)
class PeriodPlan:
    name: str
    year: int
    title: tuple[str, str]
    survey_title: tuple[str, str]
    seed: int
    published_on: date
    survey_opens_on: date
    survey_closes_on: date
    computed_on: date
    notice_starts_on: date
    events: tuple[tuple[str, str, float, int, str], ...]
    raters: tuple[str, ...]
    conflicts: tuple[tuple[str, str, str], ...] = ()
    #: Whether the township leaders are also graded by a democratic evaluation.
    democratic_evaluation: bool = False
    #: The team administrator who enters the actuals and events.
    admin: str = "admin"


def local_time(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` China time on ``day``, as aware UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=CHINA_TIME).astimezone(UTC)


def working_day_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def history_plans(today: date) -> tuple[PeriodPlan, PeriodPlan]:
    """The two computed demo periods, every date a function of ``today``.

    The 2025 annual period was noticed in January 2026 (or 60 days before ``today``,
    if that is earlier) and is final; the 2026 first-half period opens its notice today.
    """
    notice_2025 = working_day_on_or_before(min(date(2026, 1, 12), today - timedelta(days=60)))
    start_2026 = working_day_on_or_before(min(date(2026, 1, 5), today - timedelta(days=70)))
    return (
        PeriodPlan(
            name="2025年度考核",
            year=2025,
            title=("青山镇2025年度干部考核细则", "Qingshan Town 2025 cadre assessment rules"),
            survey_title=("2025年度群众满意度测评", "2025 resident satisfaction survey"),
            seed=HISTORY_SEED,
            published_on=working_day_on_or_before(notice_2025 - timedelta(days=365)),
            survey_opens_on=notice_2025 - timedelta(days=40),
            survey_closes_on=notice_2025 - timedelta(days=12),
            computed_on=working_day_on_or_before(notice_2025 - timedelta(days=4)),
            notice_starts_on=notice_2025,
            events=EVENTS_2025,
            raters=("assessor1", "assessor2", "assessor3", "assessor4", "assessor5"),
            conflicts=CONFLICTS_2025,
        ),
        PeriodPlan(
            name="2026年上半年考核",
            year=2026,
            title=(
                "青山镇2026年上半年干部考核细则",
                "Qingshan Town 2026 first-half cadre assessment rules",
            ),
            survey_title=(
                "2026年上半年群众满意度测评",
                "2026 first-half resident satisfaction survey",
            ),
            seed=HISTORY_SEED + 1,
            published_on=start_2026,
            survey_opens_on=today - timedelta(days=35),
            survey_closes_on=today - timedelta(days=10),
            computed_on=working_day_on_or_before(today - timedelta(days=3)),
            notice_starts_on=today,
            events=EVENTS_2026H1,
            raters=("assessor1", "assessor2", "assessor3"),
            democratic_evaluation=True,
        ),
    )


#: ``session.info`` key of the time the demo's rows are stamped with (see below).
_DEMO_TIME = "demo_time"


@contextmanager
def acting_as(
    session: Session, account: Account | None, *, at: datetime | None = None
) -> Iterator[None]:
    """Record the writes inside as ``account``'s, made ``at`` (same transaction).

    The demo plays every role in one unit of work, so that a failure leaves nothing
    half-seeded; each step is still audited under the person who would have done it.
    With ``at``, rows created inside whose time the services leave to the column
    default (a result version's ``created_at``, a notice's ``opened_at``, ...) get
    ``at`` instead of the clock: the demo's past happened in the past. The audit log
    keeps the real time of writing.
    """
    if "actor_id" not in session.info:
        raise RuntimeError("acting_as() runs inside unit_of_work()")
    previous = session.info["actor_id"], session.info.get(_DEMO_TIME)
    session.flush()
    session.info["actor_id"] = account.id if account is not None else None
    session.info[_DEMO_TIME] = at if at is not None else previous[1]
    try:
        yield
        session.flush()
    finally:
        session.info["actor_id"] = previous[0]
        session.info[_DEMO_TIME] = previous[1]


@event.listens_for(Session, "before_flush")
def _stamp_demo_time(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    when = session.info.get(_DEMO_TIME)
    if when is None:
        return
    for obj in session.new:
        for attribute in sa.inspect(obj).mapper.column_attrs:
            column = attribute.columns[0]
            if (
                isinstance(column.type, UTCDateTime)
                and column.default is not None
                and getattr(obj, attribute.key) is None
            ):
                setattr(obj, attribute.key, when)


def account_named(session: Session, username: str) -> Account:
    account = session.scalars(sa.select(Account).where(Account.username == username)).one()
    return account


def unit_coded(session: Session, code: str) -> Unit:
    return session.scalars(sa.select(Unit).where(Unit.code == code)).one()


def demo_actual(indicator: Indicator, achievement: float, rng: np.random.Generator) -> float:
    """A plausible actual value reaching about ``achievement`` of the indicator's target.

    ``achievement`` is the score ratio r aimed at (about 0.8 for an average cadre);
    counts are whole numbers and percentages stay at most 100 (a ratio capped above 1,
    such as budget revenue against the county's quota, may exceed it).
    """
    r = float(np.clip(achievement, 0.3, 1.25))
    unit = indicator.unit.en if indicator.unit is not None else ""
    lower = indicator.direction == "lower"
    if indicator.method == "binary":
        return 1.0 if rng.random() < 0.6 + 0.3 * r else 0.0
    if indicator.method == "linear":
        baseline, target = float(indicator.baseline or 0), float(indicator.target or 0)
        value = baseline + r * (target - baseline)
    elif indicator.method == "ratio":
        target = float(indicator.target or 1)
        value = target * (1 + (1 - r) * 4) if lower else target * r
    else:  # steps: spread between just under the first threshold and the last one
        thresholds = [step.threshold for step in indicator.steps]
        low, high = thresholds[0] * 0.9, thresholds[-1]
        value = low + (r - 0.3) / 0.75 * (high - low)
    if unit == "%":
        ceiling = 100.0 * (indicator.cap if indicator.method == "ratio" else 1.0)
        return round(float(np.clip(value, 0.0, ceiling)), 1)
    if unit in ("cases", "fires", "items", "households"):
        return float(max(0, round(value)))
    return round(max(0.0, value), 1)


def _level(rubric: Rubric, score: float) -> str:
    """The rubric level whose value is nearest to ``score``."""
    return min(rubric.levels, key=lambda level: abs(level.value - score)).code


def latent_standings(
    cadre_ids: Sequence[int], seed: int
) -> tuple[dict[int, float], dict[int, float]]:
    """Latent standings (z-scores) of each cadre in 2025 and in the first half of 2026.

    A cadre's 2026 standing keeps about half of the 2025 one (correlation 0.7), so the
    trend across periods is believable.
    """
    rng = np.random.default_rng(seed)
    first = rng.normal(0.0, 1.0, len(cadre_ids))
    second = 0.7 * first + np.sqrt(1 - 0.7**2) * rng.normal(0.0, 1.0, len(cadre_ids))
    return (
        dict(zip(cadre_ids, first.tolist(), strict=True)),
        dict(zip(cadre_ids, second.tolist(), strict=True)),
    )


def enter_inputs(
    session: Session,
    period: Period,
    plan: PeriodPlan,
    standing: Mapping[int, float],
) -> dict[str, int]:
    """Actuals (by the admin), conflicts and ratings (by each assessor), events."""
    rulebook = inputs.find_rulebook(session, period)
    if rulebook is None:  # pragma: no cover - published just before
        raise RuntimeError("the demo rulebook is not published")
    rng = np.random.default_rng(plan.seed)
    assessed = inputs.list_assessed(session, period)
    by_code = {cadre.code: cadre for cadre in assessed}
    admin = account_named(session, plan.admin)
    counts = {"actuals": 0, "ratings": 0, "events": 0}
    entered_at = local_time(plan.computed_on - timedelta(days=14), 10)
    with acting_as(session, admin, at=entered_at):
        for cadre in assessed:
            indicator_set = inputs.indicator_set_of(rulebook, cadre)
            if indicator_set is None:  # pragma: no cover - every demo post has a set
                continue
            for indicator in indicator_set.of_kind(IndicatorKind.QUANTITATIVE):
                achievement = 0.8 + 0.1 * standing[cadre.cadre_id] + rng.normal(0.0, 0.07)
                inputs.save_result(
                    session,
                    period=period,
                    rulebook=rulebook,
                    cadre=cadre,
                    indicator_code=indicator.code,
                    actual=demo_actual(indicator, achievement, rng),
                    source="镇考核办汇总台账",
                    entered_by_id=admin.id,
                    now=entered_at,
                )
                counts["actuals"] += 1
    for code, indicator_code, points, days, reason in plan.events:
        # within the period, and before the results (whatever "today" is)
        occurred_on = min(
            plan.published_on + timedelta(days=days), plan.computed_on - timedelta(days=5)
        )
        with acting_as(session, admin, at=local_time(occurred_on + timedelta(days=2), 11)):
            inputs.record_event(
                session,
                period=period,
                rulebook=rulebook,
                cadre=by_code[code],
                indicator_code=indicator_code,
                points=points,
                occurred_on=occurred_on,
                reason=reason,
                recorded_by_id=admin.id,
                today=plan.computed_on,
            )
            counts["events"] += 1
    for username, code, reason in plan.conflicts:
        declared_at = local_time(plan.computed_on - timedelta(days=10), 9)
        with acting_as(session, account_named(session, username), at=declared_at):
            inputs.declare_conflict(
                session,
                period=period,
                assessor=account_named(session, username),
                cadre=by_code[code],
                reason=reason,
            )
    rated_at = local_time(plan.computed_on - timedelta(days=7), 15)
    for username in plan.raters:
        assessor = account_named(session, username)
        with acting_as(session, assessor, at=rated_at):
            for cadre in assessed:
                if inputs.may_rate(session, period, assessor, cadre.cadre_id) is not None:
                    continue
                indicator_set = inputs.indicator_set_of(rulebook, cadre)
                if indicator_set is None:  # pragma: no cover
                    continue
                levels: dict[str, str | None] = {}
                for indicator in indicator_set.of_kind(IndicatorKind.QUALITATIVE):
                    rubric = rulebook.rubric(indicator.rubric or "")
                    # innovation is rarer than plain good work: its rubric starts lower
                    base = 76.0 if indicator.rubric == "innovation" else 84.0
                    score = (
                        base
                        + 7.0 * standing[cadre.cadre_id]
                        + LENIENCY.get(username, 0.0)
                        + rng.normal(0.0, 5.0)
                    )
                    levels[indicator.code] = _level(rubric, score)
                counts["ratings"] += inputs.save_ratings(
                    session,
                    period=period,
                    rulebook=rulebook,
                    assessor=assessor,
                    cadre=cadre,
                    levels=levels,
                    now=rated_at,
                )
    return counts


@dataclass(frozen=True, slots=True)
class NoticeSettings:
    """The deployment's notice settings (``NOTICE_*`` in the config)."""

    working_days: int = 5
    review_working_days: int = 5
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()


#: How to object, shown on the public notice pages.
NOTICE_INSTRUCTIONS = (
    "对公示结果有异议的，请在公示期内提出：干部本人登录“我的考核”提交；群众可在本页填写"
    "姓名和联系方式提交，或到镇考核办（镇政府二楼204室）当面反映。考核组将在5个工作日内复核并答复。"
)
#: The public objection to the 2026 first-half results that the team upholds, and the
#: cadre's own objection that waits for review: (cadre, indicator, reason).
PUBLIC_OBJECTION = (
    "QS012",
    "P1",
    "我是石桥村村民。那次网格事件孙玉芳当天就打电话报给了镇综治中心，是平台故障没录进去，"
    "通报批评扣分不应该算在她头上。",
)
PUBLIC_DECISION = "经核查镇综治中心值班电话记录，该事件当日已电话上报，撤销通报批评扣分，重新计算。"
CADRE_OBJECTION = (
    "W6",
    "本村上半年信访件数登记为{actual:g}件，其中有同一户就同一事项重复登记的，请核实后按实际件数计算。",
)


def seed_resident_survey(
    session: Session,
    period: Period,
    plan: PeriodPlan,
    standing: Mapping[int, float],
    *,
    surveys: SurveySource,
    access_code_key: str,
    team: Account,
    clerks: tuple[Account, Account],
) -> int:
    """The period's resident survey over the plan's dates; returns the responses made."""
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
            team_id=team.id,
            clerk_ids=(clerks[0].id, clerks[1].id),
        ),
    )
    return survey.get("online", 0) + survey.get("paper", 0)


def seed_history(
    session: Session,
    *,
    today: date,
    now: datetime,
    surveys: SurveySource,
    access_code_key: str,
    resamples: int = 1000,
    notice: NoticeSettings | None = None,
) -> dict[str, int]:
    """Add the computed demo periods to the township made by :func:`seed_demo`.

    Period 2 "2025年度考核" goes draft → rules published → collecting → computed →
    notice → final, all in the past; period 3 "2026年上半年考核" opens its notice
    ``today``, with a public objection upheld (result version 2) and the ``cadre``
    account's objection waiting for review. Every step goes through the services
    (inputs, the resident survey by ``surveys.seed_demo_survey``, results, publication), audited
    under the account that would have done it; ``now`` is when today's steps happen.
    Returns counts of what was made.
    """
    notice = notice or NoticeSettings()
    plans = history_plans(today)
    township = unit_coded(session, "QSZ")
    admin = account_named(session, "admin")
    clerks = (account_named(session, "clerk"), account_named(session, "clerk2"))
    standings = latent_standings([cadre.id for cadre in _list_cadres(session)], HISTORY_SEED)
    counts = {"periods": 0, "actuals": 0, "ratings": 0, "events": 0, "responses": 0}
    former: list[Account] = []
    with acting_as(session, admin, at=local_time(plans[0].published_on, 9)):
        for username, display in FORMER_ASSESSORS:
            former.append(
                accounts.save_account(
                    session,
                    accounts.AccountData(username, display, "assessor", (township.id,)),
                    password=DEMO_PASSWORD,
                )
            )
    made = []
    for plan, standing in zip(plans, standings, strict=True):
        with acting_as(session, admin, at=local_time(plan.published_on, 9)):
            period = periods.create_period(
                session, name=plan.name, year=plan.year, scope_unit=township
            )
            publish_demo_rulebook(
                session,
                period,
                local_time(plan.published_on, 9, 30),
                title=plan.title,
                democratic_evaluation=plan.democratic_evaluation,
            )
            periods.advance_period(session, period, "collecting")
        for key, value in enter_inputs(session, period, plan, standing).items():
            counts[key] += value
        counts["responses"] += seed_resident_survey(
            session,
            period,
            plan,
            standing,
            surveys=surveys,
            access_code_key=access_code_key,
            team=admin,
            clerks=clerks,
        )
        if plan.democratic_evaluation:
            # the meetings are held a week into the resident survey, one morning
            held = plan.survey_opens_on + timedelta(days=7)
            counts["ballots"] = counts.get("ballots", 0) + surveys.seed_demo_ballots(
                session,
                DemoBallotPlan(
                    period=period,
                    seed=plan.seed + 100,
                    held_at=local_time(held, 9),
                    closes_at=local_time(held, 12),
                    groups=DEMO_BALLOT_GROUPS,
                    cadre_ids=tuple(
                        a.cadre_id
                        for a in inputs.list_assessed(session, period)
                        if a.post in DEMO_BALLOT_POSTS
                    ),
                    standing=standing,
                    access_code_key=access_code_key,
                    team_id=admin.id,
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
        counts["periods"] += 1
        made.append(period)
        if plan.year == 2025:
            # the 2025 panel's two extra members have left the team since
            with acting_as(session, admin):
                for account in former:
                    _disable(session, account, township)
    final, on_notice = made
    publish_final(session, final, plans[0], notice, admin)
    _open_today(
        session,
        on_notice,
        plans[1],
        notice,
        admin,
        now=now,
        surveys=surveys,
        resamples=resamples,
    )
    counts.update(seed_year_round(session, surveys=surveys, resamples=resamples, notice=notice))
    return counts


def _disable(session: Session, account: Account, township: Unit) -> None:
    accounts.save_account(
        session,
        accounts.AccountData(
            account.username, account.display_name, "assessor", (township.id,), is_enabled=False
        ),
        password=None,
        account=account,
    )


def publish_final(
    session: Session, period: Period, plan: PeriodPlan, notice: NoticeSettings, admin: Account
) -> None:
    """The 2025 notice ran its course without objections; the team then finalised."""
    with acting_as(session, admin, at=local_time(plan.notice_starts_on, 9)):
        opened = publication.open_notice(
            session,
            period=period,
            starts_on=plan.notice_starts_on,
            working_days=notice.working_days,
            review_working_days=notice.review_working_days,
            instructions=NOTICE_INSTRUCTIONS,
            holidays=notice.holidays,
            extra_workdays=notice.extra_workdays,
            actor_id=admin.id,
        )
    day = add_working_days(
        opened.ends_on, 1, holidays=notice.holidays, extra_workdays=notice.extra_workdays
    )
    with acting_as(session, admin, at=local_time(day, 10)):
        publication.finalise_period(
            session, period=period, today=day, actor_id=admin.id, now=local_time(day, 10)
        )


def _open_today(
    session: Session,
    period: Period,
    plan: PeriodPlan,
    notice: NoticeSettings,
    admin: Account,
    *,
    now: datetime,
    surveys: SurveySource,
    resamples: int,
) -> None:
    """Open the 2026 first-half notice today; a resident's objection is upheld at once
    (a new result version), the cadre's own objection waits for review."""
    today = plan.notice_starts_on
    calendar = {"holidays": notice.holidays, "extra_workdays": notice.extra_workdays}
    with acting_as(session, admin, at=now):
        publication.open_notice(
            session,
            period=period,
            starts_on=today,
            working_days=notice.working_days,
            review_working_days=notice.review_working_days,
            instructions=NOTICE_INSTRUCTIONS,
            actor_id=admin.id,
            today=today,
            **calendar,
        )
    cadre_code, indicator_code, reason = PUBLIC_OBJECTION
    objected = _cadre(session, cadre_code)
    with acting_as(session, None, at=now):  # a resident, on the public notice page
        public = publication.file_objection(
            session,
            period=period,
            channel="public",
            cadre_id=objected.id,
            filed_by_id=None,
            contact_name="李大伯",
            contact="石桥村三组",
            indicator_code=indicator_code,
            reason=reason,
            attachment=None,
            today=today,
            **calendar,
        )
    penalty = session.scalars(
        sa.select(Event).where(
            Event.period_id == period.id,
            Event.cadre_id == objected.id,
            Event.indicator_code == indicator_code,
        )
    ).one()
    with acting_as(session, admin, at=now):
        publication.assign_objection(session, objection=public, assignee_id=admin.id)
        publication.decide_objection(
            session,
            objection=public,
            outcome="upheld",
            reason=PUBLIC_DECISION,
            correction=publication.Correction(kind="remove_event", event_id=penalty.id),
            actor_id=admin.id,
            now=now,
            surveys=surveys,
            resamples=resamples,
            today=today,
        )
    account = account_named(session, "cadre")
    if account.cadre_id is None:  # pragma: no cover - seed_demo links it
        raise RuntimeError("the demo cadre account has no cadre")
    indicator_code, template = CADRE_OBJECTION
    actual = session.scalars(
        sa.select(QuantitativeResult.actual).where(
            QuantitativeResult.period_id == period.id,
            QuantitativeResult.cadre_id == account.cadre_id,
            QuantitativeResult.indicator_code == indicator_code,
        )
    ).one()
    with acting_as(session, account, at=now):
        publication.file_objection(
            session,
            period=period,
            channel="cadre",
            cadre_id=account.cadre_id,
            filed_by_id=account.id,
            contact_name="",
            contact="",
            indicator_code=indicator_code,
            reason=template.format(actual=actual),
            attachment=None,
            today=today,
            **calendar,
        )


def _cadre(session: Session, code: str) -> Cadre:
    return session.scalars(sa.select(Cadre).where(Cadre.code == code)).one()


def _list_cadres(session: Session) -> list[Cadre]:
    return list(session.scalars(sa.select(Cadre).order_by(Cadre.code)))


# ---------------------------------------------------------------------------
# the year round (issue 15): four 2022 quarters rolled up into the 2022 annual period
# ---------------------------------------------------------------------------

#: The 2022 year: an annual period (id 4) and its four quarters (ids 5-8), all final.
YEAR_ROUND = 2022
YEAR_ROUND_SEED = HISTORY_SEED - 1
#: The cadre barred from 优秀 by a quarter: the ``cadre`` account's QS009, who led the
#: village secretaries all year but had a 较差 third quarter (a flood-season task failed).
BARRED_CADRE = "QS009"
BARRED_QUARTER = 3
#: The eligibility rules of the 2022 annual rulebook (docs/rulebook.md, ``eligibility``).
YEAR_ROUND_ELIGIBILITY = (
    {
        "code": "three_good",
        "name": {
            "zh": "年度优秀须至少三个季度平时考核为“好”",
            "en": "Excellent needs at least three quarters graded good",
        },
        "grade": "good",
        "at_least": 3,
        "caps_at": "competent",
    },
    {
        "code": "no_poor",
        "name": {
            "zh": "有季度平时考核为“较差”的，不得评为优秀",
            "en": "A quarter graded poor bars excellent",
        },
        "grade": "poor",
        "at_most": 0,
        "caps_at": "competent",
    },
)


def label(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _year_round_posts(categories: Any, indicators: Any) -> list[dict[str, Any]]:
    """The same categories and indicators for every demo post."""
    return [
        {
            "post": code,
            "name": label(name_zh, name_en),
            "categories": categories,
            "indicators": indicators,
        }
        for code, name_zh, name_en, _level in POSTS
    ]


def year_round_documents() -> tuple[dict[str, Any], dict[str, Any]]:
    """The rulebooks of a 2022 quarter and of the 2022 annual period.

    A quarter (平时考核) is light: the quarter's tasks (60 points, linear from 60 % to
    100 % done) and the team's rating of the quarter's work (40 points), graded
    好/较好/一般/较差 with at most half of a post group graded 好. The year rolls the
    quarters up: the mean of the four quarterly totals (30 points) and the year's key
    tasks (70 points), with the two eligibility rules of :data:`YEAR_ROUND_ELIGIBILITY`.
    """
    quarter = default_document(
        Label("青山镇2022年季度平时考核细则", "Qingshan Town 2022 quarterly assessment rules"),
        REGULAR_GRADES,
    )
    quarter["grading"]["top_quota"] = 0.5
    quarter["posts"] = _year_round_posts(
        [
            {"code": "work", "name": label("平时工作", "Work of the quarter"), "weight": 60},
            {"code": "conduct", "name": label("工作表现", "Conduct"), "weight": 40},
        ],
        [
            {
                "code": "GZ",
                "name": label("季度工作任务完成率", "Quarterly tasks done"),
                "kind": "quantitative",
                "category": "work",
                "weight": 60,
                "method": "linear",
                "baseline": 60,
                "target": 100,
                "unit": label("%", "%"),
            },
            {
                "code": "BX",
                "name": label("季度工作表现", "Conduct in the quarter"),
                "kind": "qualitative",
                "category": "conduct",
                "weight": 40,
                "rubric": "standard",
            },
        ],
    )
    annual = default_document(
        Label("青山镇2022年度干部考核细则", "Qingshan Town 2022 cadre assessment rules")
    )
    annual["eligibility"] = [dict(rule) for rule in YEAR_ROUND_ELIGIBILITY]
    annual["posts"] = _year_round_posts(
        [
            {"code": "regular", "name": label("平时考核", "Regular assessment"), "weight": 30},
            {"code": "year", "name": label("年度实绩", "The year's results"), "weight": 70},
        ],
        [
            {
                "code": "PS",
                "name": label("四个季度平时考核得分平均", "Mean of the four quarters' totals"),
                "kind": "rollup",
                "category": "regular",
                "weight": 30,
                "of": "mean_total",
            },
            {
                "code": "ND",
                "name": label("年度重点任务完成率", "Key tasks of the year done"),
                "kind": "quantitative",
                "category": "year",
                "weight": 70,
                "method": "linear",
                "baseline": 60,
                "target": 100,
                "unit": label("%", "%"),
            },
        ],
    )
    return quarter, annual


def _year_round_plan(
    name: str, starts_on: date, ends_on: date, seed: int, *, results_after: int = 10
) -> PeriodPlan:
    """Dates of one 2022 period: rules in its first days, results ``results_after`` days
    after its end (a quarter 10, the year 30: after the fourth quarter is final)."""
    computed_on = working_day_on_or_before(ends_on + timedelta(days=results_after))
    return PeriodPlan(
        name=name,
        year=YEAR_ROUND,
        title=(name, name),
        survey_title=("", ""),
        seed=seed,
        published_on=working_day_on_or_before(starts_on + timedelta(days=3)),
        survey_opens_on=starts_on,
        survey_closes_on=ends_on,
        computed_on=computed_on,
        notice_starts_on=add_working_days(computed_on, 1),
        events=(),
        raters=("assessor1", "assessor2", "assessor3"),
    )


def _enter_year_round_inputs(
    session: Session, period: Period, plan: PeriodPlan, standing: Mapping[str, float]
) -> None:
    """Every actual (by the admin) and rating (by each assessor) of a 2022 period.

    ``standing`` is by cadre code; a standing of ``None``-like -3 makes a poor quarter.
    """
    rulebook = inputs.find_rulebook(session, period)
    if rulebook is None:  # pragma: no cover - published just before
        raise RuntimeError("the demo rulebook is not published")
    rng = np.random.default_rng(plan.seed)
    assessed = inputs.list_assessed(session, period)
    admin = account_named(session, "admin")
    entered_at = local_time(plan.computed_on - timedelta(days=5), 10)
    with acting_as(session, admin, at=entered_at):
        for cadre in assessed:
            indicator_set = inputs.indicator_set_of(rulebook, cadre)
            for indicator in (
                indicator_set.of_kind(IndicatorKind.QUANTITATIVE) if indicator_set else ()
            ):
                achievement = 0.85 + 0.08 * standing[cadre.code] + rng.normal(0.0, 0.04)
                inputs.save_result(
                    session,
                    period=period,
                    rulebook=rulebook,
                    cadre=cadre,
                    indicator_code=indicator.code,
                    actual=demo_actual(indicator, achievement, rng),
                    source="镇考核办季度工作台账",
                    entered_by_id=admin.id,
                    now=entered_at,
                )
    rated_at = local_time(plan.computed_on - timedelta(days=3), 15)
    for username in plan.raters:
        assessor = account_named(session, username)
        with acting_as(session, assessor, at=rated_at):
            for cadre in assessed:
                indicator_set = inputs.indicator_set_of(rulebook, cadre)
                qualitative = (
                    indicator_set.of_kind(IndicatorKind.QUALITATIVE) if indicator_set else ()
                )
                if not qualitative:
                    continue
                levels = {
                    indicator.code: _level(
                        rulebook.rubric(indicator.rubric or ""),
                        86.0 + 7.0 * standing[cadre.code] + LENIENCY[username] + rng.normal(0, 4),
                    )
                    for indicator in qualitative
                }
                inputs.save_ratings(
                    session,
                    period=period,
                    rulebook=rulebook,
                    assessor=assessor,
                    cadre=cadre,
                    levels=levels,
                    now=rated_at,
                )


def _run_year_round_period(
    session: Session,
    period: Period,
    plan: PeriodPlan,
    standing: Mapping[str, float],
    *,
    surveys: SurveySource,
    resamples: int,
    notice: NoticeSettings,
) -> None:
    """Inputs, results, notice and final for one 2022 period whose rules are published."""
    admin = account_named(session, "admin")
    _enter_year_round_inputs(session, period, plan, standing)
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


def seed_year_round(
    session: Session, *, surveys: SurveySource, resamples: int, notice: NoticeSettings
) -> dict[str, int]:
    """The demo's full 2022 year: four final quarters rolled up into the final annual period.

    The annual period "2022年度考核" (id 4) publishes its rules in January, the quarters
    (ids 5-8) run the whole lifecycle each with their own light rulebook, and after the
    fourth quarter is final the annual period is computed from the quarters' published
    totals and grades (:func:`year_round_documents`). :data:`BARRED_CADRE` earns 优秀
    by the total but keeps 称职: the 较差 third quarter bars 优秀.
    """
    township = unit_coded(session, "QSZ")
    admin = account_named(session, "admin")
    quarter_document, annual_document = year_round_documents()
    rng = np.random.default_rng(YEAR_ROUND_SEED)
    codes = [cadre.code for cadre in _list_cadres(session)]
    base = dict(zip(codes, rng.normal(0.0, 1.0, len(codes)).tolist(), strict=True))
    base[BARRED_CADRE] = 2.0  # the best village secretary of the year ...
    year_plan = _year_round_plan(
        f"{YEAR_ROUND}年度考核",
        date(YEAR_ROUND, 1, 1),
        date(YEAR_ROUND, 12, 31),
        YEAR_ROUND_SEED,
        results_after=30,
    )
    with acting_as(session, admin, at=local_time(year_plan.published_on, 9)):
        annual = periods.create_period(
            session, name=year_plan.name, year=YEAR_ROUND, scope_unit=township
        )
        version = rulebooks.import_document(session, period=annual, document=annual_document)
        rulebooks.publish_version(
            session,
            version=version,
            on=year_plan.published_on,
            now=local_time(year_plan.published_on, 9, 30),
        )
        periods.advance_period(session, annual, "collecting")
    for number in range(1, 5):
        first = date(YEAR_ROUND, 3 * number - 2, 1)
        last = date(YEAR_ROUND + number // 4, (3 * number) % 12 + 1, 1) - timedelta(days=1)
        plan = _year_round_plan(
            f"{YEAR_ROUND}年第{'一二三四'[number - 1]}季度平时考核",
            first,
            last,
            YEAR_ROUND_SEED + number,
        )
        with acting_as(session, admin, at=local_time(plan.published_on, 9)):
            quarter = periods.create_period(
                session,
                name=plan.name,
                year=YEAR_ROUND,
                scope_unit=township,
                kind="quarter",
                starts_on=first,
                ends_on=last,
                parent=annual,
            )
            version = rulebooks.import_document(session, period=quarter, document=quarter_document)
            rulebooks.publish_version(
                session,
                version=version,
                on=plan.published_on,
                now=local_time(plan.published_on, 9, 30),
            )
            periods.advance_period(session, quarter, "collecting")
        standing = dict(base)
        if number == BARRED_QUARTER:
            standing[BARRED_CADRE] = -4.0  # ... whose third quarter went badly
        _run_year_round_period(
            session, quarter, plan, standing, surveys=surveys, resamples=resamples, notice=notice
        )
    _run_year_round_period(
        session, annual, year_plan, base, surveys=surveys, resamples=resamples, notice=notice
    )
    return {"year_round_periods": 5}


# ---------------------------------------------------------------------------
# the record's history (issue 15): two earlier annual periods, conversations, work reports
# ---------------------------------------------------------------------------

#: Earlier years' events: commendations that keep two village cadres 优秀 three years
#: running, and a work-safety accident (veto, 不称职) two years running for a grid worker.
EVENTS_BY_YEAR = {
    2023: (
        ("QS023", "B1", 1.0, 200, "获评全县优秀网格员（县委政法委〔2023〕9号）"),
        ("QS025", "B1", 1.0, 240, "获评全县乡村振兴工作先进个人（县委〔2023〕21号）"),
        ("QS028", "V1", 0.0, 150, "负责网格内自建房坍塌致人受伤，经调查认定履职不到位"),
    ),
    2024: (
        ("QS023", "B1", 1.0, 210, "获评全县平安建设先进个人（县委政法委〔2024〕12号）"),
        ("QS025", "B1", 1.0, 260, "获评全县优秀村党组织书记（县委组织部〔2024〕5号）"),
        ("QS028", "V1", 0.0, 170, "网格内烟花爆竹非法储存点起火，未按规定排查上报"),
    ),
}
#: Why the earlier years have no resident survey score (their missing-input decision).
NO_SURVEY_REASON = "该年度未开展线上群众满意度测评，按考核办决定不计该项，其余指标按权重折算。"
#: (cadre code, days before the 2026 first-half notice, who took part, topics, summary).
CONVERSATIONS = (
    (
        "QS028",
        120,
        "镇党委副书记王建华、组织委员刘敏",
        "连续两年考核不称职的原因；网格安全隐患排查",
        "本人对两起事故中的履职不到位认识深刻，表示将每周走访网格内自建房和经营场所；"
        "组织委员提醒下一年度如再不称职将按规定调整岗位。",
    ),
    (
        "QS023",
        90,
        "镇党委书记李国强、组织委员刘敏",
        "连续三年优秀后的工作打算；网格工作经验推广",
        "本人希望在全镇推广“网格议事会”做法；党委拟推荐其参加县级评先并作为后备干部人选。",
    ),
    (
        "QS002",
        60,
        "镇党委书记李国强",
        "2025年度基本称职的原因；政务服务整改",
        "本人说明上半年病休期间工作衔接不畅；约定每月报告“一窗通办”整改进度。",
    ),
)
#: Work reports typed in by the team from the paper ones handed in (cadre code, text).
WORK_REPORTS = (
    ("QS009", "本年度完成农机补贴核查、人居环境整治两项重点任务，存在问题：宣传不够深入。"),
    ("QS023", "本年度网格内矛盾纠纷调处率百分之百，推行“网格议事会”，下一步加强夜间巡查。"),
    ("QS028", "本年度主要负责网格安全隐患排查，对发生的事故负有责任，今后加强巡查频次。"),
)


def _year_plan(year: int) -> PeriodPlan:
    """An earlier annual period: published in January, noticed the next January."""
    notice_on = working_day_on_or_before(date(year + 1, 1, 13))
    return PeriodPlan(
        name=f"{year}年度考核",
        year=year,
        title=(f"青山镇{year}年度干部考核细则", f"Qingshan Town {year} cadre assessment rules"),
        survey_title=("", ""),
        seed=HISTORY_SEED - (2025 - year),
        published_on=working_day_on_or_before(date(year, 1, 10)),
        survey_opens_on=notice_on,
        survey_closes_on=notice_on,
        computed_on=working_day_on_or_before(notice_on - timedelta(days=4)),
        notice_starts_on=notice_on,
        events=EVENTS_BY_YEAR[year],
        raters=("assessor1", "assessor2", "assessor3"),
    )


def seed_record_history(
    session: Session, *, today: date, surveys: SurveySource, notice: NoticeSettings
) -> dict[str, int]:
    """Add the 2023 and 2024 annual periods (final), conversations and work reports.

    With 2025 they make three years of annual results, so that the consequence rules
    fire: QS023 and QS025 优秀 three years running, QS028 不称职 in 2023 and 2024, and
    the 2025 基本称职 cadres barred that year. The earlier years held no resident survey
    (their survey indicator is left out by a written decision) and skip the bootstrap,
    which keeps the seed fast. Work reports are typed in by the team while the rules are
    published, before the ratings open. Returns counts of what was made.
    """
    township = unit_coded(session, "QSZ")
    admin = account_named(session, "admin")
    standing = latent_standings([cadre.id for cadre in _list_cadres(session)], HISTORY_SEED)[0]
    counts = {"periods": 0, "conversations": 0, "work_reports": 0}
    for year in sorted(EVENTS_BY_YEAR):
        plan = _year_plan(year)
        with acting_as(session, admin, at=local_time(plan.published_on, 9)):
            period = periods.create_period(
                session, name=plan.name, year=plan.year, scope_unit=township
            )
            publish_demo_rulebook(
                session, period, local_time(plan.published_on, 9, 30), title=plan.title
            )
        with acting_as(session, admin, at=local_time(plan.published_on + timedelta(days=20), 9)):
            for code, text in WORK_REPORTS:
                records.submit_work_report(
                    session,
                    period=period,
                    cadre_id=_cadre(session, code).id,
                    text=f"{year}年度述职：{text}",
                    stored=None,
                    actor_id=admin.id,
                    now=local_time(plan.published_on + timedelta(days=20), 9),
                )
                counts["work_reports"] += 1
            periods.advance_period(session, period, "collecting")
        enter_inputs(session, period, plan, standing)
        with acting_as(session, admin, at=local_time(plan.computed_on, 15)):
            missing = results.find_missing(session, period, surveys=surveys)
            results.record_decisions(
                session,
                period=period,
                items={
                    results.DecisionItem(int(m.cadre), m.indicator)
                    for m in missing
                    if m.indicator is not None
                },
                kind="exclude_indicator_reweight",
                reason=NO_SURVEY_REASON,
                actor_id=admin.id,
            )
        with acting_as(session, admin, at=local_time(plan.computed_on, 16)):
            results.compute_results(
                session, period=period, reason="", actor_id=admin.id, surveys=surveys, resamples=0
            )
        publish_final(session, period, plan, notice, admin)
        counts["periods"] += 1
    notice_today = history_plans(today)[1].notice_starts_on
    for code, days, participants, topics, summary in CONVERSATIONS:
        held_on = notice_today - timedelta(days=days)
        with acting_as(session, admin, at=local_time(held_on, 16)):
            records.add_conversation(
                session,
                cadre=_cadre(session, code),
                held_on=held_on,
                participants=participants,
                topics=topics,
                summary=summary,
                today=today,
                actor_id=admin.id,
            )
            counts["conversations"] += 1
    return counts
