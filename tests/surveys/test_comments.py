"""Residents' free-text comments: embargo, the team's review, small groups, the portal feed.

The survey is the one of ``tests/surveys/conftest.py``: residents of 石桥村 (QSZ-01)
rate the township secretary QS001, their village head QS009, the township and the
service centre; residents of other villages rate QS001 and not QS009. The question
``comment`` is the free-text one.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from assessment.app.db import utcnow
from assessment.app.survey_source import get_survey_source
from assessment.models import Account, AuditEntry, Cadre, Period, Unit
from assessment.services.demo import DEMO_PASSWORD
from surveys.models.comments import CommentReview
from surveys.models.surveys import Survey, Target
from surveys.services import comments, paper
from surveys.services import surveys as services
from surveys.services.queries import EmbargoError, list_items

DAY = date(2026, 6, 2)


def _store(session: Any, survey: Survey, unit_code: str, comment: str | None) -> str:
    """One online response rating every assigned target 4 of 5, with a comment or none."""
    unit_id = session.scalars(sa.select(Unit.id).where(Unit.code == unit_code)).one()
    items = list_items(session, survey.id, unit_id)
    answers = {item.key: "4" for item in items if item.kind == "likert"}
    if comment is not None:
        answers["comment"] = comment
    return services.store_response(
        session,
        survey=survey,
        unit_id=unit_id,
        channel="online",
        answers=answers,
        receipt=uuid.uuid4().hex[:12].upper(),
        submission_key=uuid.uuid4().hex,
        today=DAY,
        items=items,
    )


def _ids(make: Any) -> dict[str, int]:
    """Cadre ids by personnel code."""
    return make(lambda session: dict(session.execute(sa.select(Cadre.code, Cadre.id)).all()))


@pytest.fixture
def survey_with_comments(demo, survey_factory, make):
    """``build(shiqiao=5, other=0, close=True)``: responses from 石桥村 (each with a
    comment "石桥村意见 i") and from 柳塘村 (QSZ-02, comment "柳塘村意见 i"), and one
    response from 石桥村 without a comment."""

    def build(*, shiqiao: int = 5, other: int = 0, close: bool = True) -> dict[str, Any]:
        built = survey_factory(codes=1)

        def fill(session: Any) -> dict[str, Any]:
            survey = session.get(Survey, built["survey_id"])
            ids = {
                f"石桥村意见 {i}": _store(session, survey, "QSZ-01", f"石桥村意见 {i}")
                for i in range(shiqiao)
            }
            ids |= {
                f"柳塘村意见 {i}": _store(session, survey, "QSZ-02", f"柳塘村意见 {i}")
                for i in range(other)
            }
            _store(session, survey, "QSZ-01", None)
            if close:
                services.close_survey(session, survey, now=utcnow())
            targets = {
                (t.cadre.code if t.cadre else t.kind): t.id
                for t in session.scalars(sa.select(Target).where(Target.survey_id == survey.id))
            }
            return {"responses": ids, "targets": targets}

        return {**built, **make(fill)}

    return build


def _review(make: Any, survey_id: int, response_id: str, action: str, about: int | None) -> None:
    def change(session: Any) -> None:
        admin = session.scalars(sa.select(Account.id).where(Account.username == "admin")).one()
        comments.review_comment(
            session,
            session.get(Survey, survey_id),
            response_id=response_id,
            item="comment",
            action=action,
            about_target_id=about,
            reason="",
            reviewer_id=admin,
            now=utcnow(),
        )

    make(change, actor_id=1)


def _exclude(make: Any, survey_id: int, response_id: str) -> None:
    """The team's recorded decision to exclude a response from the results."""

    def change(session: Any) -> None:
        admin = session.scalars(sa.select(Account.id).where(Account.username == "admin")).one()
        paper.decide_exclusion(
            session,
            session.get(Survey, survey_id),
            response_id=response_id,
            action="exclude",
            reason="filled in by the village clerk",
            decided_by=admin,
        )

    make(change, actor_id=1)


def _approved(make: Any, cadre_id: int) -> list[str] | None:
    return make(
        lambda session: comments.approved_comments(
            session, session.scalars(sa.select(Period)).first(), cadre_id
        )
    )


def _list(make: Any, survey_id: int, **kwargs: Any) -> comments.CommentList:
    return make(
        lambda session: comments.list_comments(
            session, session.get(Survey, survey_id), min_group_size=5, **kwargs
        )
    )


# ---------------------------------------------------------------------------
# embargo
# ---------------------------------------------------------------------------


def test_nothing_is_read_before_the_survey_closes(client, auth, make, survey_with_comments):
    built = survey_with_comments(close=False)
    with pytest.raises(EmbargoError):
        _list(make, built["survey_id"])
    auth.login("admin")
    page = client.get(f"/admin/surveys/{built['survey_id']}/comments/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "once the survey is closed" in text and "石桥村意见" not in text
    response_id = built["responses"]["石桥村意见 0"]
    done = client.post(
        f"/admin/surveys/{built['survey_id']}/comments/review",
        data={"response_id": response_id, "item": "comment", "hide": "hide"},
        follow_redirects=True,
    )
    assert "Comments are reviewed once the survey is closed." in done.get_data(as_text=True)
    assert make(lambda s: s.scalar(sa.select(sa.func.count()).select_from(CommentReview))) == 0
    ids = _ids(make)
    assert _approved(make, ids["QS009"]) is None


# ---------------------------------------------------------------------------
# the review list
# ---------------------------------------------------------------------------


def test_comments_are_listed_pending_with_no_order_of_arrival(make, survey_with_comments):
    built = survey_with_comments(shiqiao=5, other=2)
    listing = _list(make, built["survey_id"])
    assert sorted(c.text for c in listing.comments) == sorted(built["responses"])
    assert {c.status for c in listing.comments} == {"pending"}
    assert listing.counts == {"pending": 7}
    # sorted by the responses' random keys, not by when they came in
    assert [c.response_id for c in listing.comments] == sorted(built["responses"].values())
    responses = {t.id: t.responses for t in listing.targets}
    # 6 responses from 石桥村 (one without a comment) rated QS009; all 8 rated QS001
    assert responses[built["targets"]["QS009"]] == 6
    assert responses[built["targets"]["QS001"]] == 8


def test_unit_is_named_only_for_groups_of_the_minimum_size(make, survey_with_comments):
    # 石桥村: 4 responses with a comment + 1 without = 5 (shown); 柳塘村: 4 (withheld)
    built = survey_with_comments(shiqiao=4, other=4)
    listing = _list(make, built["survey_id"])
    units = make(lambda s: dict(s.execute(sa.select(Unit.code, Unit.id)).all()))
    for c in listing.comments:
        if c.text.startswith("石桥村"):
            assert c.unit_id == units["QSZ-01"]
            assert built["targets"]["QS009"] in c.rated
        else:
            assert c.unit_id is None and c.rated is None


def test_review_page_withholds_the_unit_of_a_small_group(client, auth, survey_with_comments):
    built = survey_with_comments(shiqiao=3)  # 4 responses from 石桥村
    auth.login("assessor1")
    page = client.get(f"/admin/surveys/{built['survey_id']}/comments/").get_data(as_text=True)
    assert page.count("石桥村意见") == 3
    assert page.count("Unit and rated targets withheld") == 3
    assert "From: 石桥村" not in page and "Rated in this response" not in page


def test_review_page_names_the_unit_of_a_large_group(client, auth, survey_with_comments):
    built = survey_with_comments(shiqiao=5)
    auth.login("assessor1")
    page = client.get(f"/admin/surveys/{built['survey_id']}/comments/").get_data(as_text=True)
    assert page.count("From: 石桥村") == 5
    assert page.count("Rated in this response") == 5


# ---------------------------------------------------------------------------
# approving and hiding through the page
# ---------------------------------------------------------------------------


def _post(client: Any, survey_id: int, **data: Any) -> str:
    response = client.post(
        f"/admin/surveys/{survey_id}/comments/review",
        data={"item": "comment", **data},
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _reviews(make: Any) -> list[tuple[str, str, int | None, str]]:
    return make(
        lambda s: [
            (r.response_id, r.review_status, r.about_target_id, r.review_reason)
            for r in s.scalars(sa.select(CommentReview))
        ]
    )


def test_team_approves_hides_and_changes_its_mind_audited(client, auth, make, survey_with_comments):
    built = survey_with_comments()
    survey_id, qs009 = built["survey_id"], built["targets"]["QS009"]
    response_id = built["responses"]["石桥村意见 0"]
    auth.login("admin")
    page = _post(
        client, survey_id, response_id=response_id, about_target_id=qs009, approve="approve"
    )
    assert "Comment approved." in page
    assert _reviews(make) == [(response_id, "approved", qs009, "")]
    page = _post(
        client,
        survey_id,
        response_id=response_id,
        about_target_id=qs009,
        reason="names a neighbour",
        hide="hide",
    )
    assert "Comment hidden." in page
    assert _reviews(make) == [(response_id, "hidden", None, "names a neighbour")]
    actions = make(
        lambda s: [
            (a.action, a.reason)
            for a in s.scalars(
                sa.select(AuditEntry)
                .where(AuditEntry.object_type == "survey_comment_reviews")
                .order_by(AuditEntry.seq)
            )
        ]
    )
    assert actions == [
        ("survey_comment_reviews.create", ""),
        ("survey_comment_reviews.update", "names a neighbour"),
    ]
    listing = client.get(f"/admin/surveys/{survey_id}/comments/?status=hidden")
    assert listing.get_data(as_text=True).count("石桥村意见") == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"approve": "approve"}, "Choose the target the comment is about before approving it."),
        (
            {"approve": "approve", "about_target_id": "999999"},
            "The target the comment is about must be one of this survey&#39;s targets.",
        ),
        (
            {"approve": "approve", "about_target_id": "abc"},
            "The target the comment is about must be one of this survey&#39;s targets.",
        ),
        ({}, "Choose “Approve” or “Hide”."),
        ({"hide": "hide", "reason": "x" * 1001}, "Reason: at most 1000 characters."),
        (
            {"hide": "hide", "response_id": "0" * 32},
            "This comment is not one of this survey&#39;s free-text answers.",
        ),
        ({"hide": "hide", "item": "overall__t1"}, "not one of this survey&#39;s free-text"),
    ],
)
def test_bad_reviews_are_refused_with_a_message_and_store_nothing(
    client, auth, make, survey_with_comments, data, message
):
    built = survey_with_comments()
    auth.login("admin")
    page = _post(
        client, built["survey_id"], **{"response_id": built["responses"]["石桥村意见 0"], **data}
    )
    assert message in page
    assert _reviews(make) == []


def test_a_comment_of_an_excluded_response_cannot_be_approved(
    client, auth, make, survey_with_comments
):
    built = survey_with_comments()
    response_id = built["responses"]["石桥村意见 0"]
    _exclude(make, built["survey_id"], response_id)
    auth.login("admin")
    page = _post(
        client,
        built["survey_id"],
        response_id=response_id,
        about_target_id=built["targets"]["QS009"],
        approve="approve",
    )
    assert "its comments cannot be approved" in page
    assert _reviews(make) == []


def test_only_the_team_reviews(client, auth, survey_with_comments):
    built = survey_with_comments()
    for user in ("clerk", "official", "cadre"):
        auth.login(user)
        assert client.get(f"/admin/surveys/{built['survey_id']}/comments/").status_code == 403
        auth.logout()


def test_bad_filter_values_get_a_message(client, auth, survey_with_comments):
    built = survey_with_comments()
    auth.login("admin")
    page = client.get(f"/admin/surveys/{built['survey_id']}/comments/?status=odd&about=x")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Status: “odd” is not a review status." in text
    assert "About: “x” is not a target of this survey." in text


def test_survey_page_links_to_the_review(client, auth, survey_with_comments):
    built = survey_with_comments()
    auth.login("admin")
    page = client.get(f"/admin/surveys/{built['survey_id']}").get_data(as_text=True)
    assert f"/admin/surveys/{built['survey_id']}/comments/" in page


# ---------------------------------------------------------------------------
# what the cadre portal gets
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("shiqiao", "shown"), [(3, False), (4, True)])
def test_suppressed_below_the_minimum_group_size(make, survey_with_comments, shiqiao, shown):
    # responses rating QS009: ``shiqiao`` with a comment + 1 without = 4 (hidden) or 5
    built = survey_with_comments(shiqiao=shiqiao)
    ids = _ids(make)
    for i in range(shiqiao):
        response_id = built["responses"][f"石桥村意见 {i}"]
        _review(make, built["survey_id"], response_id, "approve", built["targets"]["QS009"])
    expected = sorted(f"石桥村意见 {i}" for i in range(shiqiao))
    assert _approved(make, ids["QS009"]) == (expected if shown else None)


def test_only_approved_comments_about_the_cadre_are_given(make, app, survey_with_comments):
    built = survey_with_comments(shiqiao=5, other=3)
    ids = _ids(make)
    targets = built["targets"]
    r = built["responses"]
    _review(make, built["survey_id"], r["石桥村意见 0"], "approve", targets["QS009"])
    _review(make, built["survey_id"], r["石桥村意见 1"], "approve", targets["QS001"])
    _review(make, built["survey_id"], r["石桥村意见 2"], "hide", None)
    _review(make, built["survey_id"], r["柳塘村意见 0"], "approve", targets["QS001"])
    assert _approved(make, ids["QS009"]) == ["石桥村意见 0"]
    # the registered survey source (what the portal reads) gives the same comments
    surveys = get_survey_source(app)
    assert make(
        lambda session: surveys.approved_comments(
            session, session.scalars(sa.select(Period)).first(), ids["QS009"]
        )
    ) == ["石桥村意见 0"]
    assert _approved(make, str(ids["QS001"])) == ["柳塘村意见 0", "石桥村意见 1"]


def test_excluded_responses_count_and_show_nothing(make, survey_with_comments):
    built = survey_with_comments(shiqiao=5)  # 6 responses rate QS009
    ids = _ids(make)
    targets = built["targets"]
    for i in range(2):
        _review(
            make,
            built["survey_id"],
            built["responses"][f"石桥村意见 {i}"],
            "approve",
            targets["QS009"],
        )

    _exclude(make, built["survey_id"], built["responses"]["石桥村意见 0"])  # 5 valid remain
    assert _approved(make, ids["QS009"]) == ["石桥村意见 1"]
    _exclude(make, built["survey_id"], built["responses"]["石桥村意见 4"])  # 4: suppressed
    assert _approved(make, ids["QS009"]) is None


def test_the_minimum_group_size_is_the_periods(make, survey_with_comments):
    built = survey_with_comments(shiqiao=3)  # 4 responses rate QS009
    ids = _ids(make)
    _review(
        make,
        built["survey_id"],
        built["responses"]["石桥村意见 0"],
        "approve",
        built["targets"]["QS009"],
    )
    assert _approved(make, ids["QS009"]) is None

    def lower(session: Any) -> None:
        session.scalars(sa.select(Period)).first().min_group_size = 4

    make(lower)
    assert _approved(make, ids["QS009"]) == ["石桥村意见 0"]


class TestWithCsrf:
    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_a_review_without_the_form_token_is_refused(self, client, make, survey_with_comments):
        built = survey_with_comments()
        login = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
        logged_in = client.post(
            "/login", data={"username": "admin", "password": DEMO_PASSWORD, "csrf_token": token}
        )
        assert logged_in.status_code == 302 and "/login" not in logged_in.headers["Location"]
        data = {
            "response_id": built["responses"]["石桥村意见 0"],
            "item": "comment",
            "hide": "hide",
        }
        response = client.post(f"/admin/surveys/{built['survey_id']}/comments/review", data=data)
        assert response.status_code == 400
        assert _reviews(make) == []
