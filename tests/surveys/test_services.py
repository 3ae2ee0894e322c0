"""Survey services: building, states, codes, responses (idempotent, one per code), seals."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from assessment.app.db import db as _db
from assessment.app.db import unit_of_work, utcnow
from assessment.core.errors import FieldError
from assessment.models import AuditEntry, Period, Unit
from surveys.models.surveys import AccessCode, Answer, CodeBatch, PaperReceipt, Response, Survey
from surveys.services import surveys as services
from surveys.services import tokens
from surveys.services.queries import list_items, list_participation, list_receipts, list_results
from tests.surveys.conftest import answer_online, build_survey

KEY_NAME = "ACCESS_CODE_HASH_KEY"
TODAY = date(2026, 6, 2)


def _survey(session, survey_id):
    return session.get(Survey, survey_id)


def _hash(app, survey_id, code):
    return tokens.hash_access_code(app.config[KEY_NAME], survey_id, code)


def _submit(app, built, code, answers=None, submission_id=None):
    with app.app_context(), unit_of_work(None):
        return answer_online(
            _db.session,
            survey=_survey(_db.session, built["survey_id"]),
            key=app.config[KEY_NAME],
            code=code,
            unit_id=built["unit_id"],
            submission_id=submission_id,
            answers=answers or {"overall__t1": "4", "grade__t1": "excellent"},
            today=TODAY,
        )


# -- building ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"code": "Bad Code", "kind": "likert", "text_zh": "问"}, "code", "bad_question_code"),
        ({"code": "q1", "kind": "likert", "text_zh": ""}, "text_zh", "required"),
        (
            {"code": "q1", "kind": "likert", "text_zh": "问", "points": 12},
            "points",
            "points_out_of_range",
        ),
        (
            {"code": "q1", "kind": "likert", "text_zh": "问", "points": 2},
            "points",
            "points_out_of_range",
        ),
        (
            {"code": "q1", "kind": "choice", "text_zh": "问", "options": (("a", "甲", ""),)},
            "options",
            "too_few_options",
        ),
        (
            {
                "code": "q1",
                "kind": "choice",
                "text_zh": "问",
                "options": (("a", "甲", ""), ("a", "乙", "")),
            },
            "options",
            "duplicate_option",
        ),
        (
            {"code": "q1", "kind": "ballot", "text_zh": "问", "ballot_values": {"excellent": 100}},
            "ballot_values",
            "ballot_grades",
        ),
        (
            {
                "code": "q1",
                "kind": "ballot",
                "text_zh": "问",
                "ballot_values": {"excellent": 120, "competent": 80, "basic": 60, "incompetent": 0},
            },
            "ballot_values",
            "ballot_value_range",
        ),
        ({"code": "q1", "kind": "radio", "text_zh": "问"}, "kind", "unknown_question_kind"),
        ({"code": "overall", "kind": "likert", "text_zh": "问"}, "code", "duplicate_question_code"),
    ],
)
def test_bad_questions_are_refused_naming_the_field(app, demo, make, data, field, code):
    built = make(lambda s: build_survey(s, open_it=False))
    with app.app_context(), pytest.raises(FieldError) as caught, unit_of_work(None):
        services.add_question(
            _db.session,
            _survey(_db.session, built["survey_id"]),
            data=services.QuestionData(**data),
        )
    assert (caught.value.field, caught.value.code) == (field, code)


def test_likert_points_default_to_five_and_accept_three_to_eleven(app, demo, make):
    built = make(lambda s: build_survey(s, open_it=False))

    def add(session):
        survey = _survey(session, built["survey_id"])
        for points in (3, 7, 11):
            services.add_question(
                session,
                survey,
                data=services.QuestionData(
                    code=f"k{points}", kind="likert", text_zh="问", points=points
                ),
            )
        return [q.settings for q in survey.questions if q.kind == "likert"]

    assert make(add) == ['{"points":5}', '{"points":3}', '{"points":7}', '{"points":11}']


def test_default_assignment_gives_each_village_its_own_cadres_and_the_townships(app, demo, make):
    built = make(lambda s: build_survey(s, open_it=False))
    with app.app_context():
        qsz01 = _db.session.scalars(sa.select(Unit).where(Unit.code == "QSZ-01")).one()
        qsz02 = _db.session.scalars(sa.select(Unit).where(Unit.code == "QSZ-02")).one()
        keys01 = {i.key for i in list_items(_db.session, built["survey_id"], qsz01.id)}
        keys02 = {i.key for i in list_items(_db.session, built["survey_id"], qsz02.id)}
    # t1 township secretary, t2 QSZ-01 branch secretary, t3 QSZ-02, t4 township, t5 service
    assert {"overall__t1", "overall__t2", "overall__t4", "overall__t5", "age", "comment"} <= keys01
    assert "overall__t3" not in keys01
    assert "overall__t3" in keys02 and "overall__t2" not in keys02


def test_state_moves_draft_open_closed_and_locks_the_builder(app, demo, make):
    built = make(lambda s: build_survey(s, open_it=False))

    def empty(session):
        period = session.scalars(sa.select(Period)).first()
        return services.create_survey(session, period=period, data=services.SurveyData("空")).id

    empty_id = make(empty)
    with app.app_context(), pytest.raises(services.SurveyStateError) as caught, unit_of_work(None):
        services.open_survey(_db.session, _survey(_db.session, empty_id), now=utcnow())
    assert caught.value.code == "no_targets"
    make(lambda s: services.open_survey(s, _survey(s, built["survey_id"]), now=utcnow()))
    with app.app_context(), pytest.raises(services.SurveyStateError) as caught, unit_of_work(None):
        services.add_question(
            _db.session,
            _survey(_db.session, built["survey_id"]),
            data=services.QuestionData(code="late", kind="text", text_zh="晚"),
        )
    assert caught.value.code == "not_draft"
    make(lambda s: services.close_survey(s, _survey(s, built["survey_id"]), now=utcnow()))
    with app.app_context():
        assert _survey(_db.session, built["survey_id"]).status == "closed"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (services.SurveyData("满意度\x00调查"), "title_zh"),
        (services.SurveyData("满意度调查", intro_zh="请\x1b作答"), "intro_zh"),
    ],
)
def test_survey_text_follows_the_text_rule(app, demo, data, field):
    """Control characters are refused in survey texts as in every other typed text
    (assessment.core.text); line breaks stay allowed in the multi-line intro."""
    with app.app_context(), pytest.raises(FieldError) as caught, unit_of_work(None):
        period = _db.session.scalars(sa.select(Period)).first()
        services.create_survey(_db.session, period=period, data=data)
    assert (caught.value.field, caught.value.code) == (field, "control_character")
    with app.app_context(), unit_of_work(None):
        period = _db.session.scalars(sa.select(Period)).first()
        survey = services.create_survey(
            _db.session, period=period, data=services.SurveyData("调查", intro_zh="第一行\n第二行")
        )
        assert survey.intro_zh == "第一行\n第二行"


# -- codes ------------------------------------------------------------------------------


def test_batch_stores_only_keyed_hashes_and_unlinked_receipts(app, open_survey):
    with app.app_context():
        hashes = set(_db.session.scalars(sa.select(AccessCode.code_hash)))
        receipts = set(_db.session.scalars(sa.select(PaperReceipt.receipt)))
        dump = "\n".join(str(row) for row in _db.session.execute(sa.select(AccessCode)).all())
    assert hashes == {_hash(app, open_survey["survey_id"], c) for c in open_survey["codes"]}
    assert receipts == set(open_survey["receipts"])
    for code in open_survey["codes"]:
        assert code not in dump
    assert "batch_id" not in PaperReceipt.__table__.c


def test_code_is_checked_then_used_once(app, open_survey):
    code = open_survey["codes"][0]
    with app.app_context():
        survey = _survey(_db.session, open_survey["survey_id"])
        assert (
            services.check_code(_db.session, survey=survey, code_hash=_hash(app, survey.id, code))
            == open_survey["unit_id"]
        )
        assert (
            services.code_status(_db.session, survey=survey, code_hash=_hash(app, survey.id, code))
            == "unused"
        )
    result = _submit(app, open_survey, code)
    assert tokens.is_receipt(result.receipt) and not result.repeated
    with pytest.raises(services.CodeRejectedError) as caught:
        _submit(app, open_survey, code)
    assert caught.value.code == "used_code"
    with app.app_context():
        survey = _survey(_db.session, open_survey["survey_id"])
        assert (
            services.code_status(_db.session, survey=survey, code_hash=_hash(app, survey.id, code))
            == "used"
        )
        with pytest.raises(services.CodeRejectedError):
            services.check_code(_db.session, survey=survey, code_hash=_hash(app, survey.id, code))


def test_revoked_batch_refuses_its_codes(app, open_survey, make):
    make(
        lambda s: services.revoke_batch(
            s, s.get(CodeBatch, open_survey["batch_id"]), reason="slips lost", now=utcnow()
        )
    )
    with pytest.raises(services.CodeRejectedError) as caught:
        _submit(app, open_survey, open_survey["codes"][0])
    assert caught.value.code == "used_code"
    with app.app_context():
        survey = _survey(_db.session, open_survey["survey_id"])
        code_hash = _hash(app, survey.id, open_survey["codes"][0])
        assert services.code_status(_db.session, survey=survey, code_hash=code_hash) == "revoked"
        with pytest.raises(services.CodeRejectedError) as caught:
            services.check_code(_db.session, survey=survey, code_hash=code_hash)
        assert caught.value.code == "revoked_code"


# -- responses --------------------------------------------------------------------------


def test_resend_with_same_content_returns_the_same_receipt_and_stores_one(app, open_survey):
    first = _submit(app, open_survey, open_survey["codes"][0], submission_id="same-id")
    again = _submit(app, open_survey, open_survey["codes"][0], submission_id="same-id")
    assert again.receipt == first.receipt and again.repeated
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1


def test_resend_with_other_content_is_refused(app, open_survey):
    _submit(app, open_survey, open_survey["codes"][0], submission_id="same-id")
    with pytest.raises(services.SubmissionConflictError):
        _submit(
            app, open_survey, open_survey["codes"][0], {"overall__t1": "1"}, submission_id="same-id"
        )


def test_database_refuses_a_second_row_with_the_same_submission_key(app, open_survey):
    _submit(app, open_survey, open_survey["codes"][0], submission_id="dup")
    key = tokens.submission_key(app.config[KEY_NAME], open_survey["survey_id"], "dup")
    with app.app_context(), pytest.raises(IntegrityError), unit_of_work(None):
        _db.session.execute(
            sa.insert(Response).values(
                id=uuid.uuid4().hex,
                survey_id=open_survey["survey_id"],
                unit_id=open_survey["unit_id"],
                channel="online",
                submitted_on=TODAY,
                receipt="OTHER",
                submission_key=key,
                content_digest="0" * 64,
            )
        )


@pytest.mark.parametrize(
    ("answers", "field", "code"),
    [
        ({"overall__t1": "6"}, "q_overall__t1", "not_a_choice"),
        ({"grade__t1": "great"}, "q_grade__t1", "not_a_choice"),
        ({"overall__t3": "4"}, "answers", "unknown_item"),  # t3 is another village's cadre
        ({"age": "60", "comment": "好"}, "answers", "nothing_answered"),
        ({"overall__t1": "4", "comment": "字" * 2001}, "q_comment", "too_long"),
    ],
)
def test_bad_answers_are_refused_naming_the_field(app, open_survey, answers, field, code):
    with pytest.raises(FieldError) as caught:
        _submit(app, open_survey, open_survey["codes"][0], answers)
    assert (caught.value.field, caught.value.code) == (field, code)
    with app.app_context():  # nothing half-saved: the code is still unused
        assert not _db.session.scalar(sa.select(sa.func.count()).where(AccessCode.used.is_(True)))


def test_answers_are_stored_by_kind(app, open_survey):
    _submit(
        app,
        open_survey,
        open_survey["codes"][0],
        {"overall__t1": "5", "grade__t2": "abstain", "age": "45-59", "comment": "路灯坏了"},
    )
    with app.app_context():
        rows = {a.item: (a.value_int, a.value_text) for a in _db.session.scalars(sa.select(Answer))}
        response = _db.session.scalars(sa.select(Response)).one()
    assert rows == {
        "overall__t1": (5, None),
        "grade__t2": (None, "abstain"),
        "age": (None, "45-59"),
        "comment": (None, "路灯坏了"),
    }
    assert response.channel == "online" and response.submitted_on == TODAY
    assert len(response.id) == 32 and response.paper_serial is None


def test_closed_or_draft_survey_takes_no_responses(app, open_survey, make):
    make(lambda s: services.close_survey(s, _survey(s, open_survey["survey_id"]), now=utcnow()))
    with pytest.raises(services.CodeRejectedError) as caught:
        _submit(app, open_survey, open_survey["codes"][0])
    assert caught.value.code == "survey_closed"


def test_paper_responses_share_the_storage(app, open_survey, make):
    receipt = open_survey["receipts"][0]

    def enter(session):
        survey = _survey(session, open_survey["survey_id"])
        return services.store_response(
            session,
            survey=survey,
            unit_id=open_survey["unit_id"],
            channel="paper",
            answers={"overall__t1": "3"},
            receipt=receipt,
            today=TODAY,
            paper_serial="0001",
            paper_batch="B1",
        )

    make(enter)
    with app.app_context():
        row = _db.session.scalars(sa.select(Response)).one()
        assert (row.channel, row.paper_serial, row.receipt) == ("paper", "0001", receipt)


# -- participation, embargo, seal ---------------------------------------------------------


def test_participation_counts_codes_and_responses_per_unit(app, open_survey):
    _submit(app, open_survey, open_survey["codes"][0])
    with app.app_context():
        rows = {
            r.code: r
            for r in list_participation(_db.session, _survey(_db.session, open_survey["survey_id"]))
        }
    assert (rows["QSZ-01"].codes_issued, rows["QSZ-01"].codes_used, rows["QSZ-01"].online) == (
        5,
        1,
        1,
    )
    assert rows["QSZ-01"].response_rate == pytest.approx(1 / 812)
    assert rows["QSZ-02"].responses == 0


def test_results_and_receipts_are_embargoed_until_closed(app, open_survey, make):
    first = _submit(
        app, open_survey, open_survey["codes"][0], {"overall__t1": "5", "grade__t1": "competent"}
    )
    _submit(app, open_survey, open_survey["codes"][1], {"overall__t1": "3", "grade__t1": "abstain"})
    with app.app_context():
        survey = _survey(_db.session, open_survey["survey_id"])
        with pytest.raises(PermissionError):
            list_results(_db.session, survey)
        with pytest.raises(PermissionError):
            list_receipts(_db.session, survey)
    make(lambda s: services.close_survey(s, _survey(s, open_survey["survey_id"]), now=utcnow()))
    with app.app_context():
        survey = _survey(_db.session, open_survey["survey_id"])
        results = {r.label_zh: r for r in list_results(_db.session, survey)}
        assert first.receipt in list_receipts(_db.session, survey)
    secretary = results["王建国（乡镇党委书记）"]
    assert secretary.satisfaction.index == pytest.approx(75.0)  # (100 + 50) / 2
    assert secretary.ballot.score == pytest.approx(80.0) and secretary.ballot.n_abstained == 1


def test_seal_is_one_audit_entry_and_detects_later_changes(app, open_survey, make):
    _submit(app, open_survey, open_survey["codes"][0])
    with app.app_context():
        before = _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    make(lambda s: services.close_survey(s, _survey(s, open_survey["survey_id"]), now=utcnow()))
    with app.app_context():
        actions = list(_db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)))[
            before:
        ]
        assert "survey_seals.create" in actions
        assert not [a for a in actions if a.startswith(("survey_responses", "survey_answers"))]
        survey = _survey(_db.session, open_survey["survey_id"])
        assert services.verify_seal(_db.session, survey).ok
    with app.app_context(), unit_of_work(None):
        _db.session.execute(sa.update(Answer).values(value_int=1))
    with app.app_context():
        check = services.verify_seal(_db.session, _survey(_db.session, open_survey["survey_id"]))
        assert not check.ok and check.sealed_digest != check.current_digest
