"""Forms of the report pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

from assessment.forms.base import BaseForm


class StartBuildForm(BaseForm):
    """Start rendering every report of a version (CSRF-protected POST)."""

    submit = SubmitField(_l("Prepare every report"))


class UploadForm(BaseForm):
    pdf = FileField(
        _l("Report PDF"),
        validators=[FileRequired(_l("Choose the PDF file of the report."))],
    )
    submit = SubmitField(_l("Check the PDF"))
