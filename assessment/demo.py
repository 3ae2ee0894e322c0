"""A deterministic, realistic demo township (fake people, fake numbers)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from assessment.models import Account, Period, RulebookVersion
from assessment.services import accounts, org, periods, rulebooks

EXAMPLE_RULEBOOKS = Path(__file__).resolve().parent.parent / "docs" / "examples" / "rulebooks"

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
    units = {}
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
    start = date(2024, 1, 1)
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
    return {"units": len(units), "posts": len(posts), "cadres": len(cadres), "accounts": 7}


def is_database_empty(session: Session) -> bool:
    return session.query(Account).first() is None


def demo_rulebook_document() -> dict[str, Any]:
    """The township and village example rulebooks as one rulebook for the demo township.

    The township example gives the title, grading and aggregation; the posts and
    rubrics of both examples are kept (rubrics by code, the township's first).
    """
    township = yaml.safe_load((EXAMPLE_RULEBOOKS / "township.yaml").read_text(encoding="utf-8"))
    village = yaml.safe_load((EXAMPLE_RULEBOOKS / "village.yaml").read_text(encoding="utf-8"))
    rubric_codes = {rubric["code"] for rubric in township["rubrics"]}
    return {
        **township,
        "title": {"zh": "青山镇2026年度干部考核细则", "en": "Qingshan Town 2026 cadre assessment rules"},
        "rubrics": township["rubrics"]
        + [rubric for rubric in village["rubrics"] if rubric["code"] not in rubric_codes],
        "posts": township["posts"] + village["posts"],
    }


def publish_demo_rulebook(session: Session, period: Period, now: datetime) -> RulebookVersion:
    """Import and publish :func:`demo_rulebook_document` for ``period``."""
    version = rulebooks.import_document(
        session, period=period, document=demo_rulebook_document()
    )
    return rulebooks.publish_version(session, version=version, on=now.date(), now=now)
