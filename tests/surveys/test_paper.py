"""Paper ballots: double entry, adjudication, import, and their refusals."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
import sqlalchemy as sa

from assessment.core.errors import FieldError
from assessment.core.roster import Sheet
from assessment.models import Account, Unit
from surveys.models.paper import PaperEntry
from surveys.models.surveys import PaperReceipt, Response, Survey
from surveys.services import paper
from surveys.services.queries import list_items
from surveys.services.surveys import SurveyStateError

TODAY = date(2026, 6, 2)


def _account_id(session, username: str) -> int:
    return session.scalars(sa.select(Account.id).where(Account.username == username)).one()


@pytest.fixture
def paper_survey(demo, survey_factory, make):
    """An open survey with 5 receipts for QSZ-01, 2 for QSZ-02; the demo's two clerks."""
    built = survey_factory(codes=5)

    def more(session):
        from surveys.services import surveys as services

        survey = session.get(Survey, built["survey_id"])
        other = session.scalars(sa.select(Unit).where(Unit.code == "QSZ-02")).one()
        _batch, slips = services.generate_batch(
            session, survey, unit=other, size=2, note="", key="k" * 40, now=survey.opened_at
        )
        items = list_items(session, survey.id, built["unit_id"])
        other_keys = {item.key for item in list_items(session, survey.id, other.id)}
        return {
            "other_keys": other_keys,
            "other_receipts": [slip.receipt for slip in slips],
            "keys": [item.key for item in items],
            "kinds": {item.key: item.kind for item in items},
            "clerk": _account_id(session, "clerk"),
            "clerk2": _account_id(session, "clerk2"),
            "admin": _account_id(session, "admin"),
        }

    return {**built, **make(more)}


def _answers(ps, likert: str = "4", ballot: str = "1") -> dict[str, str]:
    answers = {}
    for key, kind in ps["kinds"].items():
        if kind == "likert":
            answers[key] = likert
        elif kind == "ballot":
            answers[key] = ballot
        elif kind == "choice":
            answers[key] = "2"
        else:
            answers[key] = ""
    return answers


def _enter(make, ps, clerk: str, *, serial="P001", receipt=None, answers=None, unit_id=None):
    def change(session):
        survey = session.get(Survey, ps["survey_id"])
        ballot = paper.clean_ballot(
            session,
            survey,
            serial=serial,
            batch="B1",
            receipt=receipt or ps["receipts"][0],
            unit_id=ps["unit_id"] if unit_id is None else unit_id,
            answers=_answers(ps) if answers is None else answers,
        )
        return paper.record_entry(session, survey, ballot, clerk_id=ps[clerk], today=TODAY)

    return make(change)


def _count(make, model) -> int:
    return make(lambda s: s.scalar(sa.select(sa.func.count()).select_from(model)))


def test_two_matching_entries_store_one_paper_response(make, paper_survey):
    ps = paper_survey
    assert _enter(make, ps, "clerk").state == "pending"
    assert _count(make, Response) == 0
    assert _enter(make, ps, "clerk2").state == "stored"

    def check(session):
        response = session.scalars(sa.select(Response)).one()
        assert response.channel == "paper"
        assert (response.paper_serial, response.paper_batch) == ("P001", "B1")
        assert response.receipt == ps["receipts"][0]
        assert response.duration_band_s is None and response.submission_key is None
        values = {a.item: (a.value_int, a.value_text) for a in response.answers}
        grade = next(k for k, kind in ps["kinds"].items() if kind == "ballot")
        age = next(k for k, kind in ps["kinds"].items() if kind == "choice")
        assert values[grade] == (None, "excellent")  # digit 1 = first grade on the ballot
        assert values[age] == (None, "45-59")  # digit 2 = second option
        receipt = session.get(PaperReceipt, (ps["survey_id"], ps["receipts"][0]))
        assert receipt.used
        entries = session.scalars(sa.select(PaperEntry)).all()
        assert {e.state for e in entries} == {"stored"}
        # No entry column holds the response id.
        for entry in entries:
            assert response.id not in {
                str(getattr(entry, c.key)) for c in sa.inspect(entry).mapper.column_attrs
            }

    make(check)


def test_mismatch_goes_to_adjudication_by_a_third_account(make, paper_survey):
    ps = paper_survey
    _enter(make, ps, "clerk")
    changed = _answers(ps)
    first_likert = next(k for k, kind in ps["kinds"].items() if kind == "likert")
    changed[first_likert] = "2"
    outcome = _enter(make, ps, "clerk2", answers=changed)
    assert outcome.state == "conflict"
    assert outcome.differing == (f"q_{first_likert}",)
    assert _count(make, Response) == 0

    def by(clerk):
        def change(session):
            survey = session.get(Survey, ps["survey_id"])
            paper.adjudicate(
                session,
                survey,
                serial="P001",
                choices={f"q_{first_likert}": "second"},
                adjudicator_id=ps[clerk],
                today=TODAY,
            )

        return change

    with pytest.raises(FieldError) as refused:
        make(by("clerk2"))
    assert refused.value.code == "adjudicator_entered"
    make(by("admin"))

    def check(session):
        response = session.scalars(sa.select(Response)).one()
        value = next(a.value_int for a in response.answers if a.item == first_likert)
        assert value == 2
        assert paper.list_conflicts(session, ps["survey_id"]) == []
        kinds = sorted(e.kind for e in session.scalars(sa.select(PaperEntry)))
        assert kinds == ["adjudication", "entry", "entry"]

    make(check)


def test_a_third_entry_of_a_conflicting_ballot_is_refused(make, paper_survey):
    ps = paper_survey
    _enter(make, ps, "clerk")
    _enter(make, ps, "clerk2", answers=_answers(ps, likert="1"))
    with pytest.raises(FieldError) as refused:
        _enter(make, ps, "admin")
    assert (refused.value.field, refused.value.code) == ("serial", "serial_in_conflict")


def test_adjudication_needs_a_choice_for_every_differing_field(make, paper_survey):
    ps = paper_survey
    _enter(make, ps, "clerk")
    _enter(make, ps, "clerk2", answers=_answers(ps, likert="1"))

    def change(session):
        survey = session.get(Survey, ps["survey_id"])
        paper.adjudicate(
            session, survey, serial="P001", choices={}, adjudicator_id=ps["admin"], today=TODAY
        )

    with pytest.raises(FieldError) as refused:
        make(change)
    assert refused.value.code == "choose_value"
    assert refused.value.field.startswith("q_")
    assert _count(make, Response) == 0


def test_the_same_clerk_cannot_enter_a_ballot_twice(make, paper_survey):
    ps = paper_survey
    _enter(make, ps, "clerk")
    with pytest.raises(FieldError) as refused:
        _enter(make, ps, "clerk")
    assert (refused.value.field, refused.value.code) == ("serial", "same_clerk")
    assert _count(make, PaperEntry) == 1


@pytest.mark.parametrize(
    ("receipt", "field", "code"),
    [("ZZZZZZZZ", "receipt", "unknown_receipt"), ("", "receipt", "required")],
)
def test_unknown_receipt_is_refused(make, paper_survey, receipt, field, code):
    ps = paper_survey

    def change(session):
        survey = session.get(Survey, ps["survey_id"])
        paper.clean_ballot(
            session,
            survey,
            serial="P9",
            batch="",
            receipt=receipt,
            unit_id=ps["unit_id"],
            answers=_answers(ps),
        )

    with pytest.raises(FieldError) as refused:
        make(change)
    assert (refused.value.field, refused.value.code) == (field, code)


def test_receipt_of_another_unit_is_refused(make, paper_survey):
    with pytest.raises(FieldError) as refused:
        _enter(make, paper_survey, "clerk", receipt=paper_survey["other_receipts"][0])
    assert (refused.value.field, refused.value.code) == ("receipt", "receipt_other_unit")


def test_a_counted_receipt_cannot_be_used_again(make, paper_survey):
    ps = paper_survey
    _enter(make, ps, "clerk")
    _enter(make, ps, "clerk2")
    with pytest.raises(FieldError) as refused:
        _enter(make, ps, "clerk", serial="P002")
    assert (refused.value.field, refused.value.code) == ("receipt", "receipt_used")


def test_a_receipt_already_typed_on_another_ballot_is_refused(make, paper_survey):
    ps = paper_survey
    _enter(make, ps, "clerk")
    with pytest.raises(FieldError) as refused:
        _enter(make, ps, "clerk2", serial="P002")
    assert refused.value.code == "receipt_on_other_ballot"
    assert refused.value.params["serial"] == "P001"


@pytest.mark.parametrize("typed", ["6", "0", "x", "4.5", "-1", "9", "98", "099", "999"])
def test_bad_digits_name_the_field(make, paper_survey, typed):
    ps = paper_survey
    answers = _answers(ps)
    key = next(k for k, kind in ps["kinds"].items() if kind == "likert")
    answers[key] = typed
    with pytest.raises(FieldError) as refused:
        _enter(make, ps, "clerk", answers=answers)
    # a Likert item about a target also takes the "don't know" code, and the message says so
    assert (refused.value.field, refused.value.code) == (f"q_{key}", "bad_digit_or_dont_know")
    assert refused.value.params == {"low": 1, "high": 5, "dont_know": "99"}
    assert _count(make, PaperEntry) == 0


def test_a_ballot_digit_beyond_the_options_is_refused(make, paper_survey):
    ps = paper_survey
    answers = _answers(ps, ballot="6")  # 4 grades + abstain
    with pytest.raises(FieldError) as refused:
        _enter(make, ps, "clerk", answers=answers)
    assert refused.value.code == "bad_digit"


def test_an_empty_ballot_is_refused(make, paper_survey):
    ps = paper_survey
    with pytest.raises(FieldError) as refused:
        _enter(make, ps, "clerk", answers=dict.fromkeys(ps["keys"], ""))
    assert (refused.value.field, refused.value.code) == ("answers", "nothing_answered")


def test_bad_serial_is_refused(make, paper_survey):
    with pytest.raises(FieldError) as refused:
        _enter(make, paper_survey, "clerk", serial="P 1/2")
    assert (refused.value.field, refused.value.code) == ("serial", "bad_serial")


def test_single_entry_mode_stores_at_once(make, paper_survey):
    ps = paper_survey

    def switch(session):
        paper.set_double_entry(session, session.get(Survey, ps["survey_id"]), enabled=False)

    make(switch)
    assert _enter(make, ps, "clerk").state == "stored"
    assert _count(make, Response) == 1


def test_double_entry_cannot_be_turned_off_with_entries_waiting(make, paper_survey):
    ps = paper_survey
    _enter(make, ps, "clerk")

    def switch(session):
        paper.set_double_entry(session, session.get(Survey, ps["survey_id"]), enabled=False)

    with pytest.raises(FieldError) as refused:
        make(switch)
    assert refused.value.code == "entries_waiting"


def test_entries_need_an_open_survey(make, paper_survey):
    ps = paper_survey

    def close(session):
        from assessment.app.db import utcnow
        from surveys.services import surveys as services

        services.close_survey(session, session.get(Survey, ps["survey_id"]), now=utcnow())

    make(close)
    with pytest.raises(SurveyStateError):
        _enter(make, ps, "clerk")


# ---------------------------------------------------------------------------
# import
# ---------------------------------------------------------------------------


def _sheet(ps, rows: list[dict[str, str]]) -> Sheet:
    columns = ("serial", "batch", "receipt", *(f"q_{key}" for key in ps["keys"]))
    full = [{c: row.get(c, "") for c in columns} for row in rows]
    return Sheet(columns=columns, rows=tuple(full), row_numbers=tuple(range(2, len(rows) + 2)))


def _row(ps, serial: str, receipt: str, likert: str = "4") -> dict[str, str]:
    row = {"serial": serial, "batch": "B1", "receipt": receipt}
    row.update({f"q_{k}": v for k, v in _answers(ps, likert=likert).items()})
    return row


def _import(make, ps, sheet, clerk="clerk2"):
    def change(session):
        survey = session.get(Survey, ps["survey_id"])
        return paper.import_ballots(session, survey, sheet, clerk_id=ps[clerk], today=TODAY)

    return make(change)


def test_import_is_one_of_the_two_entries(make, paper_survey):
    ps = paper_survey
    _enter(make, ps, "clerk")  # P001 typed by the first clerk
    other_village = _row(ps, "P003", ps["other_receipts"][0])  # unit from the receipt
    for column in list(other_village):
        if column.startswith("q_") and column[2:] not in ps["other_keys"]:
            other_village[column] = ""
    sheet = _sheet(
        ps,
        [_row(ps, "P001", ps["receipts"][0]), _row(ps, "P002", ps["receipts"][1]), other_village],
    )
    summary = _import(make, ps, sheet)
    assert (summary.stored, summary.pending, summary.conflicts) == (1, 2, 0)
    assert _count(make, Response) == 1
    sources = make(lambda s: sorted(s.scalars(sa.select(PaperEntry.source))))
    assert sources == ["form", "import", "import", "import"]


def test_import_with_bad_rows_saves_nothing_and_names_rows(make, paper_survey):
    ps = paper_survey
    likert = next(k for k, kind in ps["kinds"].items() if kind == "likert")
    bad_digit = _row(ps, "P002", ps["receipts"][1])
    bad_digit[f"q_{likert}"] = "9"
    sheet = _sheet(
        ps,
        [
            _row(ps, "P001", ps["receipts"][0]),
            bad_digit,
            _row(ps, "P003", "NOSUCHRCPT"),
            _row(ps, "P001", ps["receipts"][2]),
            _row(ps, "P004", ps["receipts"][0]),
        ],
    )
    with pytest.raises(paper.ImportRejected) as rejected:
        _import(make, ps, sheet)
    found = {(e.row, e.column, e.code) for e in rejected.value.errors}
    assert found == {
        (3, f"q_{likert}", "bad_digit_or_dont_know"),
        (4, "receipt", "unknown_receipt"),
        (5, "serial", "duplicate_serial_in_file"),
        (6, "receipt", "duplicate_receipt_in_file"),
    }
    assert _count(make, PaperEntry) == 0
    assert _count(make, Response) == 0


def test_import_refuses_missing_and_unknown_columns(make, paper_survey):
    ps = paper_survey
    sheet = Sheet(
        columns=("serial", "colour"), rows=({"serial": "P1", "colour": "red"},), row_numbers=(2,)
    )
    with pytest.raises(paper.ImportRejected) as rejected:
        _import(make, ps, sheet)
    assert {(e.row, e.column, e.code) for e in rejected.value.errors} == {
        (1, "receipt", "missing_column"),
        (1, "colour", "unknown_column"),
    }


def test_import_by_the_clerk_who_typed_a_ballot_is_refused_whole(make, paper_survey):
    ps = paper_survey
    _enter(make, ps, "clerk2")
    sheet = _sheet(ps, [_row(ps, "P002", ps["receipts"][1]), _row(ps, "P001", ps["receipts"][0])])
    with pytest.raises(paper.ImportRejected) as rejected:
        _import(make, ps, sheet)
    assert [(e.row, e.column, e.code) for e in rejected.value.errors] == [
        (3, "serial", "same_clerk")
    ]
    assert _count(make, PaperEntry) == 1


# ---------------------------------------------------------------------------
# web: the keyboard screen, the queue, the import page
# ---------------------------------------------------------------------------


def _form_data(ps, serial="P001", likert="4", receipt=None) -> dict[str, str]:
    data = {"serial": serial, "batch": "B1", "receipt": receipt or ps["receipts"][0]}
    data.update({f"q_{k}": v for k, v in _answers(ps, likert=likert).items()})
    return data


def test_entry_screen_is_keyboard_first(client, auth, paper_survey):
    ps = paper_survey
    auth.login("clerk")
    page = client.get(f"/admin/surveys/{ps['survey_id']}/paper/units/{ps['unit_id']}?batch=B7")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    serial_input = re.search(r'<input[^>]*name="serial"[^>]*>', html)
    assert serial_input is not None and "autofocus" in serial_input.group(0)
    assert 'value="B7"' in html
    assert 'inputmode="numeric"' in html
    assert "<script" not in html


def test_entry_flow_through_the_web(client, auth, paper_survey):
    ps = paper_survey
    url = f"/admin/surveys/{ps['survey_id']}/paper/units/{ps['unit_id']}"
    auth.login("clerk")
    first = client.post(url, data=_form_data(ps), follow_redirects=True)
    assert "first entry saved" in first.get_data(as_text=True)
    again = client.post(url, data=_form_data(ps))
    assert again.status_code == 400
    assert "a different account must enter it" in again.get_data(as_text=True)
    auth.logout()
    auth.login("clerk2")
    second = client.post(url, data=_form_data(ps, likert="3"), follow_redirects=True)
    assert "goes to adjudication" in second.get_data(as_text=True)
    queue = client.get(f"/admin/surveys/{ps['survey_id']}/paper/conflicts").get_data(as_text=True)
    assert "P001" in queue
    refused = client.post(f"/admin/surveys/{ps['survey_id']}/paper/conflicts/P001", data={})
    assert refused.status_code == 400
    auth.logout()
    auth.login("admin")
    page = client.get(f"/admin/surveys/{ps['survey_id']}/paper/conflicts/P001")
    assert page.status_code == 200
    likert_keys = [k for k, kind in ps["kinds"].items() if kind == "likert"]
    picks = {f"pick_q_{k}": "first" for k in likert_keys}
    done = client.post(
        f"/admin/surveys/{ps['survey_id']}/paper/conflicts/P001", data=picks, follow_redirects=True
    )
    assert "Ballot P001 is counted." in done.get_data(as_text=True)


def test_bad_digit_on_the_screen_names_the_field_and_saves_nothing(
    client, auth, make, paper_survey
):
    ps = paper_survey
    auth.login("clerk")
    data = _form_data(ps, likert="7")
    page = client.post(f"/admin/surveys/{ps['survey_id']}/paper/units/{ps['unit_id']}", data=data)
    assert page.status_code == 400
    assert "Type a whole number from 1 to 5" in page.get_data(as_text=True)
    assert _count(make, PaperEntry) == 0


def test_import_page_lists_row_errors(client, auth, make, paper_survey):
    ps = paper_survey
    columns = ["serial", "batch", "receipt", *(f"q_{k}" for k in ps["keys"])]
    good = _row(ps, "P001", ps["receipts"][0])
    bad = _row(ps, "P002", "NOPE")
    lines = [",".join(columns)] + [",".join(r.get(c, "") for c in columns) for r in (good, bad)]
    auth.login("clerk")
    page = client.post(
        f"/admin/surveys/{ps['survey_id']}/paper/import",
        data={"file": (io.BytesIO("\n".join(lines).encode()), "ballots.csv")},
        content_type="multipart/form-data",
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "not one of this survey&#39;s printed receipts" in html or "printed receipts" in html
    assert _count(make, PaperEntry) == 0
    ok = client.post(
        f"/admin/surveys/{ps['survey_id']}/paper/import",
        data={"file": (io.BytesIO("\n".join(lines[:2]).encode()), "ballots.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "1 waiting for a second entry" in ok.get_data(as_text=True)
    assert _count(make, PaperEntry) == 1


@pytest.mark.parametrize(
    ("headers", "first"),
    [("en", ["serial", "batch", "receipt"]), ("zh", ["问卷编号", "批次", "回执码"])],
)
def test_import_template_lists_the_columns(client, auth, paper_survey, headers, first):
    from openpyxl import load_workbook

    auth.login("clerk")
    url = f"/admin/surveys/{paper_survey['survey_id']}/paper/import/template.xlsx"
    body = client.get(url, query_string={"headers": headers})
    header = [c.value for c in load_workbook(io.BytesIO(body.data)).worksheets[0][1]]
    assert header[:3] == first
    assert header[3].startswith("q_")


def test_the_audit_log_keeps_no_typed_answers(make, paper_survey):
    from assessment.models import AuditEntry

    _enter(make, paper_survey, "clerk")
    after = make(
        lambda s: s.scalars(
            sa.select(AuditEntry.after).where(AuditEntry.object_type == "survey_paper_entries")
        ).one()
    )
    assert json.loads(after)["answers_json"] == "***"
    assert json.loads(after)["slip_receipt"] == paper_survey["receipts"][0]
