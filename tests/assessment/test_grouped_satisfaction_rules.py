"""A satisfaction indicator weighting voter groups: its words on the public rules page."""

from __future__ import annotations

from assessment.app.db import utcnow
from assessment.models import Period
from assessment.services import rulebooks
from assessment.services.demo import demo_rulebook_document


def _publish_grouped(session):
    period = session.get(Period, 1)
    document = demo_rulebook_document(None, democratic_evaluation=True)
    for post in document["posts"]:
        for indicator in post["indicators"]:
            if indicator["code"] == "MZ":
                indicator["sources"] = {
                    "surveys": ["mzcp-zg", "mzcp-cm"],
                    "min_responses": 5,
                    "groups": [
                        {"group": "staff", "weight": 0.6},
                        {"group": "village-reps", "weight": 0.4},
                    ],
                }
                indicator.pop("description", None)
    now = utcnow()
    version = rulebooks.import_document(session, period=period, document=document)
    rulebooks.publish_version(session, version=version, on=now.date(), now=now)
    return period.id


def test_the_public_rules_page_says_how_groups_are_weighted(client, demo, make):
    period_id = make(_publish_grouped)
    client.get("/lang/zh_CN")
    page = client.get(f"/p/periods/{period_id}/rules").get_data(as_text=True)
    assert "各测评主体的指数为本主体有效答卷的平均分，S 为各主体指数的加权平均" in page
    assert "干部职工 0.6, 村民代表 0.4" in page
    assert "有效答卷少于 5 份的测评主体为缺失输入" in page
    client.get("/lang/en")
    page = client.get(f"/p/periods/{period_id}/rules").get_data(as_text=True)
    assert "S = Σ w × group index / Σ w" in page
    assert "A voter group with fewer than 5 valid responses is a missing input" in page
