"""A service's refusal of a staff form, shown beside the field it names (issue 19).

Every form page runs its change the same way: the change raises
:class:`~assessment.core.errors.FieldError` naming a field, its unit of work rolls back,
and the page shows the message beside that field (and, where the page asks, as a flash),
answering 400. :func:`field_errors` is that handling, written once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from flask import flash
from flask_wtf import FlaskForm

from assessment.core.errors import FieldError
from assessment.forms.base import show_field_error


@dataclass
class Attempt:
    """A change run under :func:`field_errors`, and what became of it."""

    form: FlaskForm
    messages: Mapping[str, Any] | None = None
    flash_it: bool = False
    #: The package's own wording of a refusal, instead of ``messages`` and the base wording.
    describe: Callable[[FieldError], str] | None = None
    #: The message shown, when the service refused the change.
    refusal: str | None = None

    @property
    def saved(self) -> bool:
        return self.refusal is None

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if not isinstance(error, FieldError):
            return False
        if self.describe is None:
            self.refusal = show_field_error(self.form, error, self.messages)
        else:
            self.refusal = self.describe(error)
            field = getattr(self.form, error.field, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*list(field.errors), self.refusal]
        if self.flash_it:
            flash(self.refusal, "error")
        return True


def field_errors(
    form: FlaskForm,
    *,
    messages: Mapping[str, Any] | None = None,
    flash_it: bool = False,
    describe: Callable[[FieldError], str] | None = None,
) -> Attempt:
    """Run the block; a ``FieldError`` it raises is shown on ``form`` instead of propagating.

    The message goes beside the named field (:func:`assessment.forms.base.show_field_error`,
    with the page's own ``messages``) and, with ``flash_it``, into a flash as well. A
    package with its own table of wordings (``surveys.forms.field_message``) passes it as
    ``describe``, which then words every refusal.
    Any other error propagates. Use ``attempt.saved`` where ``try``'s ``else`` would go::

        with field_errors(form) as attempt, unit_of_work(current_user.id) as session:
            service.change(session, ...)
        if attempt.saved:
            return redirect(...)
    """
    return Attempt(form, messages, flash_it, describe)


def page_with_status(page: str, status: int) -> str | tuple[str, int]:
    """A rendered page with its status: 400 while a posted form is refused, 429, ..."""
    return (page, status) if status != 200 else page
