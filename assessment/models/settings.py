"""Settings an administrator changes on the settings page (holidays, notice lengths, ...)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from assessment.app.db import db


class SiteSetting(db.Model):  # type: ignore[name-defined,misc]
    """One setting's value over the deployment's configured default; every change audited."""

    __tablename__ = "site_settings"

    #: The setting's name, as in :class:`assessment.services.site_settings.SiteSettings`.
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: Canonical JSON of the value (a number, a string or a list of ISO dates).
    value: Mapped[str] = mapped_column(sa.Text)
