"""The cadre portal: a cadre's own results, explained point by point."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/me")
