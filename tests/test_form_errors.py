"""The one handling of a service's FieldError on a staff form (assessment/views/form_errors.py)."""

from __future__ import annotations

import pytest
from flask import Flask, get_flashed_messages
from wtforms import StringField

from assessment.core.errors import FieldError
from assessment.forms.base import BaseForm
from assessment.views.form_errors import field_errors, page_with_status
from assessment.views.messages import field_error_message


class _CodeForm(BaseForm):
    class Meta:
        csrf = False

    code = StringField("Code")


def test_a_refused_change_is_shown_beside_its_field_and_not_saved(app: Flask) -> None:
    with app.test_request_context("/", method="POST", data={"code": "U1"}):
        form = _CodeForm()
        error = FieldError("code", "duplicate_code", code="U1")
        with field_errors(form) as attempt:
            raise error
        assert not attempt.saved
        assert form.code.errors == [field_error_message(error)]
        assert attempt.refusal == field_error_message(error)
        assert "U1" in attempt.refusal
        assert get_flashed_messages() == []  # only the field shows it unless asked


def test_the_page_s_own_wording_and_the_flash(app: Flask) -> None:
    with app.test_request_context("/", method="POST", data={"code": "U1"}):
        form = _CodeForm()
        with field_errors(
            form, messages={"taken": "Code %(code)s is taken"}, flash_it=True
        ) as attempt:
            raise FieldError("code", "taken", code="U1")
        assert form.code.errors == ["Code U1 is taken"]
        assert get_flashed_messages(with_categories=True) == [("error", "Code U1 is taken")]
        assert not attempt.saved


def test_an_error_naming_no_field_of_the_form_is_still_returned(app: Flask) -> None:
    with app.test_request_context("/", method="POST"):
        form = _CodeForm()
        with field_errors(form, flash_it=True) as attempt:
            raise FieldError("nowhere", "required")
        assert not form.code.errors
        assert attempt.refusal == field_error_message(FieldError("nowhere", "required"))
        assert get_flashed_messages() == [attempt.refusal]


def test_a_change_that_succeeds_is_saved_and_other_errors_propagate(app: Flask) -> None:
    with app.test_request_context("/", method="POST"):
        form = _CodeForm()
        with field_errors(form) as attempt:
            pass
        assert attempt.saved
        with pytest.raises(ValueError, match="not a refusal"), field_errors(form):
            raise ValueError("not a refusal")
        assert not form.code.errors


def test_page_with_status_leaves_a_200_page_bare() -> None:
    assert page_with_status("<p>", 200) == "<p>"
    assert page_with_status("<p>", 400) == ("<p>", 400)


def test_a_package_s_own_wording_words_every_refusal(app: Flask) -> None:
    def describe(error: FieldError) -> str:
        return f"survey wording of {error.code} ({error.params['code']})"

    with app.test_request_context("/", method="POST", data={"code": "U1"}):
        form = _CodeForm()
        with field_errors(form, describe=describe, flash_it=True) as attempt:
            raise FieldError("code", "duplicate_code", code="U1")
        assert attempt.refusal == "survey wording of duplicate_code (U1)"
        assert form.code.errors == [attempt.refusal]
        assert get_flashed_messages() == [attempt.refusal]
