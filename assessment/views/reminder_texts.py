"""What a reminder says and where it leads, in the reader's language (page and e-mail)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _

from assessment.models import Reminder
from assessment.views.notice import OUTCOME_LABELS as OBJECTION_OUTCOME_LABELS


@dataclass(frozen=True, slots=True)
class ReminderText:
    title: str
    body: str
    #: Absolute when built in a request context with ``_external``; else a path.
    link: str


def _day(value: object) -> str:
    return str(format_date(date.fromisoformat(str(value)), "long"))


def describe(reminder: Reminder, *, external: bool = False) -> ReminderText:
    """The title, sentence and link of a reminder (needs a request context for the link)."""
    params = json.loads(reminder.params or "{}")
    period = str(params.get("period", ""))
    period_id = int(params.get("period_id", 0))
    kind = reminder.kind
    if kind == "ratings_due":
        return ReminderText(
            _("Ratings due by %(day)s", day=_day(params["deadline"])),
            _(
                "%(period)s: %(missing)s of your ratings are still missing; the team's "
                "deadline is %(day)s.",
                period=period,
                missing=params.get("missing", 0),
                day=_day(params["deadline"]),
            ),
            url_for("assessment.inputs.ratings", period_id=period_id, _external=external),
        )
    if kind == "notice_opened":
        return ReminderText(
            _("Your results are on public notice"),
            _(
                "%(period)s: the results are on public notice until %(day)s. You may read "
                "your scores and file an objection until then.",
                period=period,
                day=_day(params["ends_on"]),
            ),
            url_for("assessment.portal.period", period_id=period_id, _external=external),
        )
    if kind == "objection_decided":
        outcome = OBJECTION_OUTCOME_LABELS.get(str(params.get("outcome")), "")
        return ReminderText(
            _("Your objection was decided"),
            _(
                "%(period)s: the team decided your objection no. %(number)s: %(outcome)s. "
                "The written reason is on your page.",
                period=period,
                number=params.get("objection_id"),
                outcome=str(outcome),
            ),
            url_for("assessment.portal.period", period_id=period_id, _external=external),
        )
    objection_link = url_for(
        "assessment.notice.objection",
        period_id=period_id,
        objection_id=int(params.get("objection_id", 0)),
        _external=external,
    )
    if kind == "objection_due_soon":
        return ReminderText(
            _("An objection is due for review by %(day)s", day=_day(params["due"])),
            _(
                "%(period)s: objection no. %(number)s must be decided by %(day)s.",
                period=period,
                number=params.get("objection_id"),
                day=_day(params["due"]),
            ),
            objection_link,
        )
    return ReminderText(
        _("An objection is past its review deadline"),
        _(
            "%(period)s: objection no. %(number)s was due to be decided by %(day)s and is "
            "still undecided.",
            period=period,
            number=params.get("objection_id"),
            day=_day(params["due"]),
        ),
        objection_link,
    )
