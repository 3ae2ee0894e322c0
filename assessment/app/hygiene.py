"""The request-level backstop of the text rule (:mod:`assessment.core.text`).

Forms check every field themselves (:class:`assessment.forms.base.BaseForm`) and show the
message beside it. Code that reads ``request.form`` or ``request.args`` directly (the
resident answer path, search boxes, ``?next=``) gets the same rule here: the request's
parameters are a :class:`CheckedMultiDict` that refuses, with a 400 naming the field,
to hand out a value holding a control character. Only the value read is checked, so a
form's CSRF token can be read while the form itself reports a bad field; tab, line feed
and carriage return pass (a comment may span lines; forms are stricter per field).
A URL path segment holding a control character names nothing that can exist: 404.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, Request, abort, request
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict
from werkzeug.exceptions import BadRequest

from assessment.core.text import ControlCharacter, find_control_character


class ControlCharacterError(BadRequest):
    """A request parameter holds a control character; nothing was done with it."""

    def __init__(self, field_name: str, character: ControlCharacter) -> None:
        super().__init__(f"the field {field_name!r} holds the control character {character.label}")
        self.field_name = field_name
        self.character = character


class CheckedMultiDict(ImmutableMultiDict[str, Any]):
    """Request parameters whose values are checked by the text rule when read."""

    def _check(self, key: str, values: Iterable[Any]) -> None:
        for text in (key, *values):
            if not isinstance(text, str):
                continue
            found = find_control_character(text, multiline=True)
            if found is not None:
                raise ControlCharacterError(key, found)

    def _checked_lists(self) -> Iterator[tuple[str, list[Any]]]:
        for key, values in dict.items(self):
            self._check(key, values)
            yield key, values

    def __getitem__(self, key: str) -> Any:
        if key in self:
            self._check(key, dict.__getitem__(self, key))
        return super().__getitem__(key)

    def getlist(self, key: str, type: Any = None) -> list[Any]:
        if key in self:
            self._check(key, dict.__getitem__(self, key))
        return super().getlist(key, type)

    def __iter__(self) -> Iterator[str]:
        return (key for key, _values in self._checked_lists())

    def keys(self) -> Any:
        return list(self)

    def items(self, multi: bool = False) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        for key, values in self._checked_lists():
            if multi:
                yield from ((key, value) for value in values)
            else:
                yield key, values[0]

    def lists(self) -> Iterator[tuple[str, list[Any]]]:
        return ((key, list(values)) for key, values in self._checked_lists())

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        return (values[0] for _key, values in self._checked_lists())

    def listvalues(self) -> Iterator[list[Any]]:
        return (values for _key, values in self._checked_lists())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({sorted(dict.keys(self))!r})"

    def unchecked(self) -> ImmutableMultiDict[str, Any]:
        """The same parameters unchecked, for a form that checks each field itself."""
        return ImmutableMultiDict({key: list(values) for key, values in dict.items(self)})


def unchecked(formdata: Any) -> Any:
    """Form data a :class:`~assessment.forms.base.BaseForm` reads: checked dicts unwrapped."""
    if isinstance(formdata, CheckedMultiDict):
        return formdata.unchecked()
    if isinstance(formdata, CombinedMultiDict):
        return CombinedMultiDict([unchecked(part) for part in formdata.dicts])
    return formdata


class CheckedRequest(Request):
    """Flask's request with query and form parameters checked by the text rule."""

    parameter_storage_class = CheckedMultiDict


def _refuse_control_characters_in_path() -> None:
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and find_control_character(value, multiline=False):
            abort(404)


def init_app(app: Flask) -> None:
    app.request_class = CheckedRequest
    app.before_request(_refuse_control_characters_in_path)


__all__ = [
    "CheckedMultiDict",
    "CheckedRequest",
    "ControlCharacterError",
    "init_app",
    "unchecked",
]
