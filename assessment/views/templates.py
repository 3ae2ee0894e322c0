"""County rulebook templates (issue 16): the county's pages.

An admin whose scope holds a county unit creates its templates, imports their documents
(YAML: a rulebook plus the ``adoption`` section), publishes them, and sees which
townships adopted which version. Nobody else finds a template here: a township adopts a
published template from its period's rulebook page.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.core.errors import RulebookError, RulebookStateError
from assessment.core.rulebook import Label, RulebookProblem
from assessment.forms.base import NOT_UNDERSTOOD, IrreversibleForm
from assessment.forms.templates import TemplateForm, TemplateImportForm
from assessment.models import RulebookTemplate, Unit
from assessment.services import templates as service
from assessment.services.queries import NotFoundError, list_units
from assessment.services.rulebook_io import dump_yaml, read_yaml
from assessment.views.access import current_scope, roles_required
from assessment.views.form_errors import field_errors
from assessment.views.messages import (
    adoption_lines,
    rulebook_path_label,
    rulebook_problem_message,
    rulebook_state_message,
)

bp = Blueprint("templates", __name__, url_prefix="/admin/templates")


@bp.errorhandler(NotFoundError)
def _not_found(error: NotFoundError) -> tuple[str, int]:
    return render_template("errors/error.html", code=404, error=NotFound()), 404


@bp.errorhandler(RulebookStateError)
def _refused(error: RulebookStateError) -> Response:
    flash(rulebook_state_message(error), "error")
    return redirect(url_for(".index"))


def _counties() -> list[Unit]:
    return [u for u in list_units(db.session, current_scope()) if u.kind == "county"]


def _template(template_id: int) -> RulebookTemplate:
    county_ids = {u.id for u in _counties()}
    return service.get_template(db.session, template_id, county_ids)


def _problem_rows(problems: tuple[object, ...], document: object) -> list[dict[str, str]]:
    rows = []
    for problem in problems:
        if isinstance(problem, RulebookProblem):
            rows.append(
                {
                    "path": rulebook_path_label(
                        problem.path, document if isinstance(document, dict) else None
                    ),
                    "message": rulebook_problem_message(problem.code, problem.params),
                }
            )
    return rows


@bp.route("/", methods=["GET", "POST"])
@roles_required("admin")
def index() -> str | Response:
    """The county's templates, and a form for a new one (county admins only)."""
    counties = _counties()
    if not counties:
        raise NotFoundError("county")
    form = TemplateForm()
    form.unit_id.choices = [(u.id, u.name_zh) for u in counties]
    if form.validate_on_submit():
        unit = next(u for u in counties if u.id == form.unit_id.data)
        with (
            field_errors(form, flash_it=True) as attempt,
            unit_of_work(current_user.id, reason=_("template created")),
        ):
            template = service.create_template(
                db.session,
                unit=unit,
                code=form.code.data or "",
                year=form.year.data or 0,
                title=Label(form.title_zh.data or "", form.title_en.data or ""),
            )
        if attempt.saved:
            flash(_("Template %(code)s created with draft version 1.", code=template.code))
            return redirect(url_for(".show", template_id=template.id))
    return render_template(
        "assessment/templates/index.html",
        templates=service.list_templates(db.session, {u.id for u in counties}),
        form=form,
    )


@bp.route("/<int:template_id>/")
@roles_required("admin")
def show(template_id: int) -> str:
    """A template's versions, the chosen one's adoption rules and problems."""
    template = _template(template_id)
    number = request.args.get("v", type=int)
    draft = service.find_draft_version(db.session, template)
    version = (
        service.get_template_version(db.session, template, number)
        if number is not None
        else draft or (template.versions[-1] if template.versions else None)
    )
    problems: list[dict[str, str]] = []
    lines: list[str] = []
    if version is not None:
        document = service.template_document(version)
        problems = _problem_rows(service.publication_problems(version), document)
        if not problems:
            lines = adoption_lines(service.template_of(version))
    return render_template(
        "assessment/templates/show.html",
        template=template,
        version=version,
        draft=draft,
        problems=problems,
        lines=lines,
        publish_form=IrreversibleForm(),
    )


@bp.route("/<int:template_id>/v/<int:number>.yaml")
@roles_required("admin")
def export(template_id: int, number: int) -> Response:
    """One version of the template as YAML (edit it and import it back)."""
    template = _template(template_id)
    version = service.get_template_version(db.session, template, number)
    return Response(
        dump_yaml(service.template_document(version)),
        mimetype="application/yaml",
        headers={
            "Content-Disposition": f'attachment; filename="template-{template.code}-v{number}.yaml"'
        },
    )


@bp.route("/<int:template_id>/import", methods=["GET", "POST"])
@roles_required("admin")
def import_yaml(template_id: int) -> str | Response:
    """Import a template document into the draft (or as the next version); all or nothing."""
    template = _template(template_id)
    form = TemplateImportForm()
    problems: list[dict[str, str]] = []
    if form.validate_on_submit():
        raw: str | bytes = form.file.data.read() if form.file.data else (form.text.data or "")
        document: object = None
        try:
            document = read_yaml(raw)
            if not isinstance(document, dict):
                raise RulebookError((RulebookProblem("", "not_a_mapping"),))
            with unit_of_work(current_user.id, reason=_("template import")):
                version = service.import_template_document(
                    db.session, template=template, document=document
                )
        except RulebookError as error:
            flash(_("Nothing was imported: the file has the problems listed below."), "error")
            problems = _problem_rows(error.problems, document)
        else:
            flash(_("Imported into draft version %(number)s.", number=version.number))
            return redirect(url_for(".show", template_id=template.id))
    return render_template(
        "assessment/templates/import.html", template=template, form=form, problems=problems
    )


@bp.route("/<int:template_id>/publish", methods=["POST"])
@roles_required("admin")
def publish(template_id: int) -> Response:
    """Freeze the draft: townships can adopt it from now on."""
    template = _template(template_id)
    draft = service.find_draft_version(db.session, template)
    if draft is None:
        raise RulebookStateError("template_frozen", number=template.versions[-1].number)
    if not IrreversibleForm().validate_on_submit():
        flash(str(NOT_UNDERSTOOD), "error")
        return redirect(url_for(".show", template_id=template.id))
    try:
        with unit_of_work(current_user.id, reason=_("template published")):
            service.publish_template_version(db.session, version=draft, now=utcnow())
    except RulebookError as error:
        flash(_("The template cannot be published yet:"), "error")
        for row in _problem_rows(error.problems, service.template_document(draft)):
            flash(f"{row['path']}: {row['message']}" if row["path"] else row["message"], "error")
    else:
        flash(
            _(
                "Version %(number)s is published and frozen. Digest: %(digest)s",
                number=draft.number,
                digest=draft.digest,
            )
        )
    return redirect(url_for(".show", template_id=template.id))


@bp.route("/adoptions")
@roles_required("admin", "official")
def adoptions() -> str:
    """Which township adopted which template version, and how many differences it has."""
    counties = _counties()
    if not counties:
        raise NotFoundError("county")
    rows = [row for county in counties for row in service.list_adoptions(db.session, county)]
    return render_template("assessment/templates/adoptions.html", rows=rows)
