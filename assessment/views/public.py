"""Public pages under /p/: published rulebooks, readable without logging in.

Only published versions are ever shown here; drafts stay with the assessment team.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from werkzeug.wrappers import Response

from assessment.app.db import db
from assessment.core.rulebook import diff_documents
from assessment.models import Period, RulebookVersion
from assessment.services import rulebooks as service
from assessment.services import templates as template_service
from assessment.services.queries import find_period, list_periods_with_published_rules
from assessment.services.rulebook_io import dump_rulebook_yaml
from assessment.views.messages import adoption_context

bp = Blueprint("public", __name__, url_prefix="/p")


def _published_versions(period_id: int) -> list[RulebookVersion]:
    return [v for v in service.list_versions(db.session, period_id) if v.is_published]


def _period(period_id: int) -> tuple[Period, list[RulebookVersion]]:
    """A period with at least one published rulebook version, else 404."""
    period = find_period(db.session, period_id)
    versions = _published_versions(period_id) if period is not None else []
    if period is None or not versions:
        abort(404)
    return period, versions


def _version(versions: list[RulebookVersion], number: int) -> RulebookVersion:
    for version in versions:
        if version.number == number:
            return version
    abort(404)


@bp.route("/")
def index() -> str:
    """Periods whose rules are published."""
    periods = list_periods_with_published_rules(db.session)
    # The verification page belongs to the reports package, which this one may not import.
    verify_url = url_for("verify.form") if "verify.form" in current_app.view_functions else None
    return render_template("public/index.html", periods=list(periods), verify_url=verify_url)


@bp.route("/periods/<int:period_id>/rules")
@bp.route("/periods/<int:period_id>/rules/v/<int:number>")
def rules(period_id: int, number: int | None = None) -> str:
    """The rulebook in force (or an older published version) with every formula."""
    period, versions = _period(period_id)
    version = versions[-1] if number is None else _version(versions, number)
    previous = [v for v in versions if v.number < version.number]
    document = service.document_of(version)
    return render_template(
        "public/rules.html",
        period=period,
        version=version,
        versions=versions,
        current=versions[-1],
        previous=previous[-1] if previous else None,
        rulebook=service.rulebook_of(version),
        adoption=adoption_context(template_service.adoption_of(db.session, document), document),
    )


@bp.route("/periods/<int:period_id>/rules/v/<int:number>.yaml")
def rules_yaml(period_id: int, number: int) -> Response:
    """One published version as YAML."""
    _unused, versions = _period(period_id)
    version = _version(versions, number)
    text = dump_rulebook_yaml(service.rulebook_of(version), digest=version.digest)
    return Response(
        text,
        mimetype="application/yaml",
        headers={
            "Content-Disposition": (
                f'attachment; filename="rulebook-period{period_id}-v{number}.yaml"'
            )
        },
    )


@bp.route("/periods/<int:period_id>/rules/v/<int:number>.json")
def rules_json(period_id: int, number: int) -> Response:
    """The canonical JSON whose SHA-256 is the digest (anyone can check it)."""
    _unused, versions = _period(period_id)
    version = _version(versions, number)
    return Response(version.document.encode("utf-8"), mimetype="application/json")


@bp.route("/periods/<int:period_id>/rules/diff")
def rules_diff(period_id: int) -> str:
    """What changed between two published versions, by path."""
    period, versions = _period(period_id)
    old = _version(versions, request.args.get("from", 0, type=int))
    new = _version(versions, request.args.get("to", 0, type=int))
    return render_template(
        "public/diff.html",
        period=period,
        old=old,
        new=new,
        versions=versions,
        changes=diff_documents(service.document_of(old), service.document_of(new)),
    )
