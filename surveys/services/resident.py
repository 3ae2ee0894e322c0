"""What the resident pages read, and what they keep per process while a survey is open.

A resident's request reads the survey's row once (:func:`find_public_survey`: one
statement, a plain record, so nothing is re-read after a commit). Everything else a
questionnaire needs does not change while the survey is open: every service that edits
its questions, targets or who rates what refuses unless the survey is a draft
(``surveys.services.surveys._require_draft``), and an open survey only goes on to closed. So the
items of a survey and unit, and whatever the views derive from them per language (the
compiled form class), are kept in a :class:`ResidentCache` under a key naming the open
survey (:attr:`PublicSurvey.cache_key`: id, short id and the moment it opened). A draft or
closed survey has no key and is never cached; the status is read fresh on every request,
so a survey closed by another server refuses at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveys.models.surveys import Survey
from surveys.services.queries import ResidentItem, list_items
from surveys.services.surveys import respondent_group

Value = TypeVar("Value")


@dataclass(frozen=True, slots=True)
class PublicSurvey:
    """The survey as a resident page shows it: a plain record of its row."""

    id: int
    short_id: str
    status: str
    title_zh: str
    title_en: str
    intro_zh: str
    intro_en: str
    one_per_screen: bool
    opened_at: datetime | None
    voter_group: str

    @property
    def cache_key(self) -> tuple[int, str, datetime] | None:
        """What names this survey's unchanging content: only an open survey has one."""
        if self.status != "open" or self.opened_at is None:
            return None
        return (self.id, self.short_id, self.opened_at)


_PUBLIC_COLUMNS = (
    Survey.id,
    Survey.short_id,
    Survey.status,
    Survey.title_zh,
    Survey.title_en,
    Survey.intro_zh,
    Survey.intro_en,
    Survey.one_per_screen,
    Survey.opened_at,
    Survey.voter_group,
)


def find_public_survey(session: Session, short_id: str) -> PublicSurvey | None:
    """The survey with this public id (one SELECT of its columns), or None."""
    row = session.execute(sa.select(*_PUBLIC_COLUMNS).where(Survey.short_id == short_id)).first()
    if row is None:
        return None
    return PublicSurvey(
        id=row.id,
        short_id=row.short_id,
        status=row.status,
        title_zh=row.title_zh,
        title_en=row.title_en or "",
        intro_zh=row.intro_zh or "",
        intro_en=row.intro_en or "",
        one_per_screen=bool(row.one_per_screen),
        opened_at=row.opened_at,
        voter_group=row.voter_group,
    )


class ResidentCache:
    """A bounded per-process store of what an open survey's pages derive from it.

    Keys start with the survey's :attr:`PublicSurvey.cache_key`; a survey without one
    (draft, closed) is computed afresh every time. The oldest entries go first when
    ``max_entries`` is reached (a county's surveys × units × languages fit many times).
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, survey: PublicSurvey, part: Hashable, build: Callable[[], Value]) -> Value:
        """The cached ``part`` of an open survey, built by ``build`` the first time."""
        survey_key = survey.cache_key
        if survey_key is None:
            return build()
        key = (survey_key, part)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]  # type: ignore[return-value]
        value = build()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def items(
        self, session: Session, survey: PublicSurvey, unit_id: int
    ) -> tuple[ResidentItem, ...]:
        """What a resident of ``unit_id`` answers (:func:`surveys.services.queries.list_items`)."""
        return self.get(survey, ("items", unit_id), lambda: list_items(session, survey.id, unit_id))

    def voter_group(self, session: Session, survey: PublicSurvey, unit_id: int) -> str:
        """The voter group of a response from ``unit_id`` (:func:`respondent_group`).

        Safe to keep while the survey is open: a response needs a code of one of the
        unit's batches, and every batch of a unit names the same group.
        """
        return self.get(
            survey, ("voter_group", unit_id), lambda: respondent_group(session, survey, unit_id)
        )
