"""Resident and staff pages of surveys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from assessment.app.db import db as _db
from assessment.app.db import utcnow
from assessment.models import Cadre, ThrottleCounter, Unit
from surveys.core.codes import format_code
from surveys.models.surveys import AccessCode, CodeBatch, Response, Survey
from surveys.services import surveys as services

ROOT = Path(__file__).resolve().parents[2]
TOP_MARKS_FOR_T1 = {"q_overall__t1": "5", "q_grade__t1": "excellent"}


def hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(entry|carried|step)"[^>]*value="([^"]*)"', page))


def checked(page: str) -> dict[str, str]:
    """What a browser sends back for the answers already shown as chosen."""
    return dict(re.findall(r'name="(q_[^"]+)" value="([^"]+)" checked', page))


def enter_code(client, short_id, code):
    return client.post(f"/s/{short_id}", data={"code": code})


def answer(client, short_id, fields, **answers):
    return client.post(f"/s/{short_id}/answer", data={**fields, **answers})


def receipt_in(page: str) -> str:
    return re.search(r'<p class="receipt">([^<]+)</p>', page).group(1)


def count_responses(app) -> int:
    with app.app_context():
        return _db.session.scalar(sa.select(sa.func.count()).select_from(Response))


# -- resident journey ----------------------------------------------------------------------


def test_resident_answers_and_gets_a_receipt(app, client, open_survey):
    short = open_survey["short_id"]
    landing = client.get(f"/s/{short}")
    assert landing.status_code == 200 and 'name="code"' in landing.get_data(as_text=True)
    form = enter_code(client, short, format_code(open_survey["codes"][0]).lower())
    page = form.get_data(as_text=True)
    assert form.status_code == 200
    assert page.count("<fieldset") == page.count("<legend>") >= 8
    assert (
        'type="radio" name="q_overall__t1"' in page and "王建国 (Township Party secretary)" in page
    )
    done = answer(
        client,
        short,
        hidden_fields(page),
        q_overall__t1="4",
        q_grade__t1="excellent",
        q_age="60",
        q_comment="好",
        nav="confirm",
    )
    text = done.get_data(as_text=True)
    assert done.status_code == 200
    receipt = receipt_in(text)
    assert "published" in text
    assert done.headers["Referrer-Policy"] == "no-referrer"
    assert done.headers["Cache-Control"] == "no-store"
    # Double click / retry: the same form again stores nothing new, shows the same receipt.
    again = answer(
        client,
        short,
        hidden_fields(page),
        q_overall__t1="4",
        q_grade__t1="excellent",
        q_age="60",
        q_comment="好",
        nav="confirm",
    )
    assert receipt_in(again.get_data(as_text=True)) == receipt
    assert count_responses(app) == 1
    # The same form with other answers is refused with a clear message.
    changed = answer(client, short, hidden_fields(page), q_overall__t1="1", nav="confirm")
    assert changed.status_code == 409
    assert "different content" in changed.get_data(as_text=True)
    assert count_responses(app) == 1


def test_qr_address_fills_in_the_code(client, open_survey):
    code = open_survey["codes"][0]
    page = client.get(f"/s/{open_survey['short_id']}/{code}").get_data(as_text=True)
    assert f'value="{format_code(code)}"' in page


def test_typo_is_caught_before_any_lookup(app, client, open_survey):
    code = open_survey["codes"][0]
    typo = code[:3] + code[4] + code[3] + code[5:] if code[3] != code[4] else code[:-1] + "2"
    response = enter_code(client, open_survey["short_id"], typo)
    assert response.status_code == 400
    assert "not a valid access code" in response.get_data(as_text=True)
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(ThrottleCounter)) == 0


def test_wrong_codes_lock_out_the_guesser_alone(app, client, open_survey):
    from surveys.services import tokens

    app.config["SURVEY_CODE_MAX_FAILURES_PER_CLIENT"] = 3
    guesses = [tokens.new_access_code() for _ in range(3)]
    for guess in guesses:
        response = enter_code(client, open_survey["short_id"], guess)
        assert response.status_code == 400
        assert "not known" in response.get_data(as_text=True)
    locked = enter_code(client, open_survey["short_id"], open_survey["codes"][0])
    assert locked.status_code == 429
    # The same lock guards "was my code used?"
    assert (
        client.post(
            f"/s/{open_survey['short_id']}/check", data={"code": open_survey["codes"][0]}
        ).status_code
        == 429
    )
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert enter_code(other, open_survey["short_id"], open_survey["codes"][0]).status_code == 200
    with app.app_context():
        keys = list(_db.session.scalars(sa.select(ThrottleCounter.key_hash)))
    assert len(keys) == 1
    assert all("127.0.0.1" not in key and len(key) == 64 for key in keys)


def test_used_code_is_refused_with_a_hint(client, open_survey):
    short, code = open_survey["short_id"], open_survey["codes"][0]
    page = enter_code(client, short, code).get_data(as_text=True)
    answer(client, short, hidden_fields(page), q_overall__t1="4", nav="confirm")
    again = enter_code(client, short, code)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


def test_nothing_answered_is_refused_with_a_message(client, open_survey):
    short = open_survey["short_id"]
    page = enter_code(client, short, open_survey["codes"][0]).get_data(as_text=True)
    response = answer(client, short, hidden_fields(page), q_age="60", nav="submit")
    assert response.status_code == 400
    assert "Answer at least one question" in response.get_data(as_text=True)


def test_one_question_per_screen_carries_answers_without_javascript(
    app, client, demo, survey_factory
):
    built = survey_factory(one_per_screen=True)
    short = built["short_id"]
    page = enter_code(client, short, built["codes"][0]).get_data(as_text=True)
    assert page.count("<fieldset") == 1 and "Question 1 of" in page
    total = int(re.search(r"Question 1 of (\d+)", page).group(1))
    page = answer(client, short, hidden_fields(page), q_overall__t1="5", nav="next").get_data(
        as_text=True
    )
    assert "Question 2 of" in page and 'name="q_grade__t1"' in page
    page = answer(client, short, hidden_fields(page), nav="back").get_data(as_text=True)
    assert re.search(r'value="5" checked', page), "the first answer is kept when going back"
    for _ in range(total - 1):
        page = answer(client, short, hidden_fields(page), **checked(page), nav="next").get_data(
            as_text=True
        )
    assert "Submit my answers" in page
    done = answer(client, short, hidden_fields(page), q_comment="谢谢", nav="confirm")
    assert done.status_code == 200 and receipt_in(done.get_data(as_text=True))
    with app.app_context():
        stored = {
            a.item: (a.value_int, a.value_text)
            for a in _db.session.scalars(sa.select(services.Answer))
        }
    assert stored == {"overall__t1": (5, None), "comment": (None, "谢谢")}


def test_language_buttons_keep_the_answers(client, open_survey):
    short = open_survey["short_id"]
    page = enter_code(client, short, open_survey["codes"][0]).get_data(as_text=True)
    assert '<html lang="en">' in page and "Overall satisfaction" in page
    switched = answer(client, short, hidden_fields(page), q_overall__t1="2", lang="zh_CN")
    text = switched.get_data(as_text=True)
    assert '<html lang="zh-CN">' in text and "总体满意度" in text
    assert re.search(r'name="q_overall__t1" value="2" checked', text)
    back = answer(client, short, hidden_fields(text), **checked(text), lang="en")
    assert '<html lang="en">' in back.get_data(as_text=True)


def test_expired_or_forged_form_asks_for_the_code_again(client, open_survey):
    response = answer(
        client,
        open_survey["short_id"],
        {"entry": "forged", "carried": "x", "step": "0"},
        q_overall__t1="4",
        nav="confirm",
    )
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_resident_page_with_its_css_is_under_60_kb(app, client, demo, make):
    from tests.surveys.conftest import build_survey

    def big(session):
        built = build_survey(session, open_it=False)
        survey = session.get(Survey, built["survey_id"])
        have = {t.cadre_id for t in survey.targets}
        for cadre in session.scalars(sa.select(Cadre).order_by(Cadre.code)):
            if cadre.id not in have:
                services.add_target(
                    session, survey, kind="cadre", cadre=cadre, today=utcnow().date()
                )
        services.assign_by_default(session, survey)
        services.open_survey(session, survey, now=utcnow())
        unit = session.scalars(sa.select(Unit).where(Unit.code == "QSZ-01")).one()
        _, slips = services.generate_batch(
            session,
            survey,
            unit=unit,
            size=1,
            note="",
            key=app.config["ACCESS_CODE_HASH_KEY"],
            now=utcnow(),
        )
        return built["short_id"], slips[0].code

    short, code = make(big)
    response = enter_code(client, short, code)
    page = response.data
    css_url = re.search(rb'href="([^"]+resident\.css)"', page).group(1).decode()
    with client.get(css_url) as css_response:
        css = css_response.data
    assert page.count(b"<fieldset") >= 28  # 8 township + 4 village cadres, unit, service × 2
    assert len(page) + len(css) < 60 * 1024, (len(page), len(css))
    assert b"app.css" not in page and b"<script" not in page


def test_check_my_code_page(client, open_survey):
    short, code = open_survey["short_id"], open_survey["codes"][0]
    unused = client.post(f"/s/{short}/check", data={"code": code}).get_data(as_text=True)
    assert "has not been used yet" in unused
    page = enter_code(client, short, code).get_data(as_text=True)
    answer(client, short, hidden_fields(page), q_overall__t1="4", nav="confirm")
    used = client.post(f"/s/{short}/check", data={"code": code}).get_data(as_text=True)
    assert "has been used" in used
    assert client.get(f"/s/{short}/check").status_code == 200


def test_receipts_are_published_after_closing(app, client, open_survey, make):
    short = open_survey["short_id"]
    page = enter_code(client, short, open_survey["codes"][0]).get_data(as_text=True)
    receipt = receipt_in(
        answer(client, short, hidden_fields(page), q_overall__t1="4", nav="confirm").get_data(
            as_text=True
        )
    )
    before = client.get(f"/s/{short}/receipts").get_data(as_text=True)
    assert receipt not in before and "published when the survey closes" in before
    make(lambda s: services.close_survey(s, s.get(Survey, open_survey["survey_id"]), now=utcnow()))
    after = client.get(f"/s/{short}/receipts").get_data(as_text=True)
    assert f"<li>{receipt}</li>" in after
    # "Is my receipt counted?" is a POST; the page's form posts, and a receipt in the
    # query string (an old bookmark) is not looked up.
    assert 'method="post"' in after and 'name="receipt"' in after
    found = client.post(f"/s/{short}/receipts", data={"receipt": receipt.lower()})
    assert found.status_code == 200 and "was counted" in found.get_data(as_text=True)
    missing = client.post(f"/s/{short}/receipts", data={"receipt": "AAA-AAA-AAA"})
    assert "is not on the list" in missing.get_data(as_text=True)
    ignored = client.get(f"/s/{short}/receipts", query_string={"receipt": receipt})
    assert "was counted" not in ignored.get_data(as_text=True)
    empty = client.post(f"/s/{short}/receipts", data={"receipt": ""})
    assert empty.status_code == 400
    landing = client.get(f"/s/{short}").get_data(as_text=True)
    assert "closed" in landing and 'name="code"' not in landing


def test_csrf_is_enforced_on_the_resident_form(app, open_survey):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    short = open_survey["short_id"]
    assert enter_code(client, short, open_survey["codes"][0]).status_code == 400
    landing = client.get(f"/s/{short}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', landing).group(1)
    page = client.post(f"/s/{short}", data={"code": open_survey["codes"][0], "csrf_token": token})
    assert page.status_code == 200
    fields = hidden_fields(page.get_data(as_text=True))
    assert answer(client, short, fields, q_overall__t1="4", nav="confirm").status_code == 400
    ok = answer(client, short, fields, q_overall__t1="4", nav="confirm", csrf_token=token)
    assert ok.status_code == 200


# -- embargo for every role ------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "assessor1", "clerk", "official", "cadre"])
def test_nobody_sees_answers_or_scores_before_closing(app, client, auth, open_survey, role):
    short = open_survey["short_id"]
    resident = app.test_client()
    page = enter_code(resident, short, open_survey["codes"][0]).get_data(as_text=True)
    answer(
        resident,
        short,
        hidden_fields(page),
        q_overall__t1="5",
        q_grade__t1="excellent",
        q_comment="SECRET-REMARK",
        nav="confirm",
    )
    auth.login(role)
    survey_id = open_survey["survey_id"]
    pages = {
        "show": client.get(f"/admin/surveys/{survey_id}"),
        "results": client.get(f"/admin/surveys/{survey_id}/results"),
        "dashboard": client.get(f"/admin/surveys/{survey_id}/dashboard"),
        "seal": client.get(f"/admin/surveys/{survey_id}/seal"),
    }
    if role == "cadre":
        assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(pages, 403)
        return
    for name, response in pages.items():
        text = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert "SECRET-REMARK" not in text and "Satisfaction index" not in text, name
        assert "Excellent 1" not in text, name
    assert "under embargo" in pages["results"].get_data(as_text=True)
    dashboard = pages["dashboard"].get_data(as_text=True)
    assert (
        '<td>石桥村</td><td class="num">812</td><td class="num">5</td><td class="num">1</td>'
        in dashboard
    )
    assert pages["dashboard"].headers["Refresh"] == "60"


def test_results_show_after_closing(app, client, auth, open_survey, make):
    short = open_survey["short_id"]
    page = enter_code(client, short, open_survey["codes"][0]).get_data(as_text=True)
    answer(client, short, hidden_fields(page), **TOP_MARKS_FOR_T1, nav="confirm")
    make(lambda s: services.close_survey(s, s.get(Survey, open_survey["survey_id"]), now=utcnow()))
    auth.login("official")
    text = client.get(f"/admin/surveys/{open_survey['survey_id']}/results").get_data(as_text=True)
    assert "Satisfaction index" in text and "100.00" in text
    seal = client.get(f"/admin/surveys/{open_survey['survey_id']}/seal").get_data(as_text=True)
    assert "match the seal" in seal


def test_results_page_renders_in_chinese_the_default_language(app, client, auth, open_survey, make):
    """The Chinese page answered 500: a bare % in the translation of "95 per cent"."""
    short = open_survey["short_id"]
    page = enter_code(client, short, open_survey["codes"][0]).get_data(as_text=True)
    answer(client, short, hidden_fields(page), **TOP_MARKS_FOR_T1, nav="confirm")
    make(lambda s: services.close_survey(s, s.get(Survey, open_survey["survey_id"]), now=utcnow()))
    auth.login("official")
    client.get("/lang/zh_CN")
    response = client.get(f"/admin/surveys/{open_survey['survey_id']}/results")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in text and "置信区间（95％）" in text


# -- staff builder ------------------------------------------------------------------------


def test_team_builds_opens_prints_and_revokes_through_the_pages(app, client, auth, demo):
    auth.login("assessor1")
    bad = client.post("/admin/surveys/new", data={"period_id": 1, "title_zh": ""})
    assert bad.status_code == 200 and "This field is required" in bad.get_data(as_text=True)
    created = client.post(
        "/admin/surveys/new", data={"period_id": 1, "title_zh": "满意度测评", "title_en": "Survey"}
    )
    assert created.status_code == 302
    survey_url = created.headers["Location"]
    survey_id = int(survey_url.rstrip("/").split("/")[-1])
    with app.app_context():
        cadre_id = _db.session.scalars(sa.select(Cadre.id).where(Cadre.code == "QS001")).one()
        unit_id = _db.session.scalars(sa.select(Unit.id).where(Unit.code == "QSZ-01")).one()
    assert (
        client.post(
            f"{survey_url}/targets", data={"target-kind": "cadre", "target-cadre_id": cadre_id}
        ).status_code
        == 302
    )
    missing = client.post(
        f"{survey_url}/targets", data={"target-kind": "service", "target-label_zh": ""}
    )
    assert missing.status_code == 400 and "This field is required" in missing.get_data(as_text=True)
    options = client.post(
        f"{survey_url}/questions",
        data={
            "question-code": "age",
            "question-kind": "choice",
            "question-text_zh": "年龄",
            "question-options": "18-44 | 18–44岁\nBad Code | 坏",
        },
    )
    assert options.status_code == 400
    assert "Line 2: the option code “Bad Code”" in options.get_data(as_text=True)
    assert (
        client.post(
            f"{survey_url}/questions",
            data={
                "question-code": "overall",
                "question-kind": "likert",
                "question-text_zh": "总体满意度",
                "question-points": 7,
            },
        ).status_code
        == 302
    )
    refused = client.post(f"{survey_url}/open", data={"understood": "y"}, follow_redirects=True)
    assert "Choose which units" in refused.get_data(as_text=True)
    assert client.post(f"{survey_url}/assign-default").status_code == 302
    unit_page = client.get(f"{survey_url}/units/{unit_id}")
    assert unit_page.status_code == 200 and 'type="checkbox"' in unit_page.get_data(as_text=True)
    opened = client.post(f"{survey_url}/open", data={"understood": "y"}, follow_redirects=True)
    assert "The survey is open" in opened.get_data(as_text=True)
    pdf = client.post(f"{survey_url}/batches", data={"batch-unit_id": unit_id, "batch-size": 3})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF") and "attachment" in pdf.headers["Content-Disposition"]
    with app.app_context():
        batch_id = _db.session.scalars(
            sa.select(CodeBatch.id).where(CodeBatch.survey_id == survey_id)
        ).one()
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(AccessCode)) == 3
    no_reason = client.post(
        f"{survey_url}/batches/{batch_id}/revoke", data={"revoke-reason": ""}, follow_redirects=True
    )
    assert "Give a reason" in no_reason.get_data(as_text=True)
    revoked = client.post(
        f"{survey_url}/batches/{batch_id}/revoke",
        data={"revoke-reason": "lost"},
        follow_redirects=True,
    )
    assert f"Batch {batch_id} revoked" in revoked.get_data(as_text=True)
    closed = client.post(f"{survey_url}/close", data={"understood": "y"}, follow_redirects=True)
    assert "Seal:" in closed.get_data(as_text=True)
    assert client.get("/admin/surveys/").status_code == 200


def test_clerk_and_official_may_look_but_not_build(client, auth, open_survey):
    auth.login("clerk")
    survey_id = open_survey["survey_id"]
    assert client.get(f"/admin/surveys/{survey_id}").status_code == 200
    assert client.post(f"/admin/surveys/{survey_id}/close").status_code == 403
    assert (
        client.post(f"/admin/surveys/{survey_id}/batches", data={"batch-size": 1}).status_code
        == 403
    )


def test_results_from_two_answers_show_no_interval_but_too_few_answers(
    app, client, auth, open_survey, make
):
    # issue 20: two answers gave "87.5–87.5" or an interval past 100; t(0.975, 1) = 12.71
    short = open_survey["short_id"]
    for code, value in zip(open_survey["codes"][:2], ("5", "3"), strict=True):
        page = enter_code(client, short, code).get_data(as_text=True)
        answer(
            client, short, hidden_fields(page), q_overall__t1=value, nav="confirm"
        )  # other questions left blank on purpose
    make(lambda s: services.close_survey(s, s.get(Survey, open_survey["survey_id"]), now=utcnow()))
    auth.login("official")
    text = client.get(f"/admin/surveys/{open_survey['survey_id']}/results").get_data(as_text=True)
    assert "75.00" in text  # (100 + 50) / 2
    assert "too few answers for an interval" in text
    assert "393" not in text and "–" + "100.0" not in text
