"""Spreadsheet imports of the unit tree and the cadre roster."""

from __future__ import annotations

from flask import Blueprint

from assessment.access import roles_required

bp = Blueprint("imports", __name__, url_prefix="/admin/import")


@bp.route("/units", methods=["GET", "POST"])
@roles_required("admin")
def units() -> str:
    """Import the unit tree."""
    raise NotImplementedError  # being written


@bp.route("/cadres", methods=["GET", "POST"])
@roles_required("admin")
def cadres() -> str:
    """Import the cadre roster."""
    raise NotImplementedError  # being written
