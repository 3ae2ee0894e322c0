"""Officials' view: results across townships and periods, with .xlsx exports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("overview", __name__, url_prefix="/admin/overview")
