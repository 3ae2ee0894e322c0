"""Filing an objection with its attachment: one use case for the cadre's and the public's form.

The caller stores the attachment (``assessment.services.evidence.store_upload``) and runs this in
the same unit of work, so a failure stores neither the file nor the objection. Flushes,
never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from assessment.models import Evidence, Objection, Period
from assessment.services import publication, site_settings
from assessment.services.evidence import StoredFile


def file_with_attachment(
    session: Session,
    *,
    period: Period,
    stored: StoredFile | None,
    uploader_id: int | None,
    config: Mapping[str, Any],
    today: date,
    **objection: Any,
) -> Objection:
    """Record the attachment (if any) and file the objection; the review is due in the
    township's working days from ``today`` (:func:`site_settings.notice_calendar`).

    ``objection`` holds the remaining arguments of :func:`publication.file_objection`
    (channel, cadre, filer, contact, indicator, reason).
    """
    holidays, extra = site_settings.notice_calendar(session, config, around=today)
    attachment: Evidence | None = None
    if stored is not None:
        attachment = publication.add_attachment(
            session, period=period, stored=stored, uploaded_by_id=uploader_id
        )
    return publication.file_objection(
        session,
        period=period,
        attachment=attachment,
        today=today,
        holidays=holidays,
        extra_workdays=extra,
        **objection,
    )
