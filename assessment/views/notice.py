"""Team pages of the public notice and objection review; the cadre's objection form."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("notice", __name__)
