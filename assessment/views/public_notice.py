"""Public notice pages (no login): a period's notice of results and the public objection form."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public_notice", __name__, url_prefix="/p")
