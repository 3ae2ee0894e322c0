"""Staff pages of a period's rulebook: the editor, import/export, publication, versions.

Team roles (admin, assessor) edit; every staff role reads. Each editing route works on
the period's draft version and refuses, with a message saying that a new version with a
reason is needed, once the rules are published and no draft is open.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.core.errors import RulebookError, RulebookStateError
from assessment.core.rulebook import (
    DIRECTIONS,
    METHODS,
    SUBJECTS,
    IndicatorKind,
    RulebookProblem,
    describe_indicator,
    diff_documents,
)
from assessment.core.scoring import quota_arithmetic
from assessment.forms.base import (
    NOT_UNDERSTOOD,
    CopyConfirmForm,
    IrreversibleForm,
    RulebookCopyChoiceForm,
    choices,
)
from assessment.forms.rulebooks import (
    INDICATOR_FIELD_GROUPS,
    METHOD_FIELDS,
    CategoryForm,
    ConfirmForm,
    ImportForm,
    IndicatorForm,
    IndicatorSetForm,
    ReasonForm,
    RubricForm,
    SettingsForm,
    as_number,
    parse_steps,
)
from assessment.forms.templates import AdoptForm
from assessment.models import Period, RulebookVersion
from assessment.services import rulebooks as service
from assessment.services import templates as template_service
from assessment.services.queries import NotFoundError, get_period, list_periods, list_posts
from assessment.services.rulebook_io import dump_rulebook_yaml, read_yaml
from assessment.views.access import STAFF_ROLES, TEAM_ROLES, current_scope, roles_required
from assessment.views.form_errors import field_errors
from assessment.views.messages import (
    BALLOT_GRADE_LABELS,
    DIRECTION_LABELS,
    KIND_LABELS,
    METHOD_LABELS,
    QUOTA_ROUNDING_LABELS,
    RULEBOOK_STATUS_LABELS,
    SHARE_COMPARISON_LABELS,
    SUBJECT_LABELS,
    UNIT_KIND_LABELS,
    VOTER_GROUP_LABELS,
    adoption_context,
    copy_note_message,
    rulebook_label,
    rulebook_path_label,
    rulebook_problem_message,
    rulebook_state_message,
    share_label,
)

bp = Blueprint("rulebooks", __name__, url_prefix="/admin/periods/<int:period_id>/rulebook")
#: The group size of the rules page's worked quota example (7 × 15% = 1.05 → 1).
QUOTA_EXAMPLE_SIZE = 7

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


@bp.app_context_processor
def _rulebook_labels() -> dict[str, Any]:
    """Label lookups for the rulebook templates (staff and public)."""
    return {
        "kind_label": lambda code: KIND_LABELS.get(code, code),
        "method_label": lambda code: METHOD_LABELS.get(code, code),
        "direction_label": lambda code: DIRECTION_LABELS.get(code, code),
        "subject_label": lambda code: SUBJECT_LABELS.get(code, code),
        "voter_group_label": lambda code: VOTER_GROUP_LABELS.get(code, code),
        "ballot_grade_label": lambda code: BALLOT_GRADE_LABELS.get(code, code),
        "share_comparison_label": lambda code: SHARE_COMPARISON_LABELS.get(code, code),
        "share_label": share_label,
        "rulebook_status_label": lambda code: RULEBOOK_STATUS_LABELS.get(code, code),
        "describe": describe_indicator,
        "quota_rounding_label": lambda code: QUOTA_ROUNDING_LABELS.get(code, code),
        "unit_kind_label": lambda code: UNIT_KIND_LABELS.get(code, code),
        "quota_arithmetic": quota_arithmetic,
        "quota_example_size": QUOTA_EXAMPLE_SIZE,
    }


@bp.errorhandler(RulebookStateError)
def _refused(error: RulebookStateError) -> Response:
    flash(rulebook_state_message(error), "error")
    return redirect(url_for(".show", period_id=request.view_args["period_id"]))  # type: ignore[index]


@bp.errorhandler(NotFoundError)
def _not_found(error: NotFoundError) -> tuple[str, int]:
    # abort() inside an error handler would not reach the app's 404 page
    return render_template("errors/error.html", code=404, error=NotFound()), 404


def _period(period_id: int) -> Period:
    return get_period(db.session, period_id, current_scope())


def _draft(period: Period) -> RulebookVersion:
    """The draft being edited; refuses with the reason when there is none."""
    draft = service.find_draft(db.session, period.id)
    if draft is not None:
        return draft
    published = service.find_published(db.session, period.id)
    if published is not None:
        raise RulebookStateError("rulebook_frozen", number=published.number)
    raise RulebookStateError("no_rulebook")


def _problem_rows(
    problems: tuple[RulebookProblem, ...] | tuple[object, ...],
    document: Mapping[str, Any] | None = None,
) -> list[dict[str, str]]:
    """Problems with their place in words (posts and indicators named from ``document``)."""
    rows = []
    for problem in problems:
        if isinstance(problem, RulebookProblem):
            rows.append(
                {
                    "path": rulebook_path_label(problem.path, document),
                    "message": rulebook_problem_message(
                        problem.code, _named_params(problem, document)
                    ),
                }
            )
    return rows


_POST_INDEX = re.compile(r"^posts\[(\d+)\]")


def _named_params(problem: RulebookProblem, document: Mapping[str, Any] | None) -> dict[str, Any]:
    """A problem's params with a category's code replaced by its name, where known."""
    params = dict(problem.params)
    match = _POST_INDEX.match(problem.path)
    posts = document.get("posts") if isinstance(document, Mapping) else None
    if "category" not in params or match is None or not isinstance(posts, list):
        return params
    index = int(match.group(1))
    post = posts[index] if index < len(posts) and isinstance(posts[index], Mapping) else {}
    for category in post.get("categories") or ():
        if not isinstance(category, Mapping) or category.get("code") != params["category"]:
            continue
        name = category.get("name")
        if isinstance(name, Mapping) and "zh" in name:
            params["category"] = rulebook_label(name)
    return params


def _attach(form: FlaskForm, error: RulebookError, fields: Callable[[str], str | None]) -> None:
    """Show each problem under the edited item beside its form field."""
    prefix = error.item_path
    for problem in error.problems:
        if not isinstance(problem, RulebookProblem):
            continue
        if prefix and not problem.path.startswith(prefix + "."):
            continue
        rest = problem.path[len(prefix) + 1 :] if prefix else problem.path
        name = fields(rest)
        field = form
        for part in (name or "").split("-"):
            field = getattr(field, part, None) if not part.isdigit() else _entry(field, part)
            if field is None:
                break
        if name and field is not None and hasattr(field, "errors"):
            message = rulebook_problem_message(problem.code, problem.params)
            field.errors = [*list(field.errors or []), message]


def _entry(field: Any, index: str) -> Any:
    entries = getattr(field, "entries", None)
    if entries is None or int(index) >= len(entries):
        return None
    return entries[int(index)].form if hasattr(entries[int(index)], "form") else entries[int(index)]


def _flat_field(rest: str) -> str | None:
    """``name.zh`` → ``name_zh``; ``steps[1].ratio`` → ``steps``; ``weight`` → ``weight``."""
    for listed in ("steps", "breakpoints"):
        if rest.startswith(listed):
            return listed
    return rest.replace(".", "_") if rest else None


def _save(
    form: FlaskForm,
    change: Callable[[], Any],
    *,
    fields: Callable[[str], str | None] = _flat_field,
    reason: str | None = None,
    document: Mapping[str, Any] | None = None,
) -> list[dict[str, str]] | None:
    """Run one change in a unit of work; return the problems to show, or None on success.

    ``document`` (the draft before the change) names the posts and indicators that the
    problems' places refer to.
    """
    try:
        with (
            field_errors(form, flash_it=True) as attempt,
            unit_of_work(current_user.id, reason=reason),
        ):
            change()
    except RulebookError as error:
        _attach(form, error, fields)
        flash(_("Nothing was saved: the rulebook would break the rules listed below."), "error")
        return _problem_rows(error.problems, document)
    if not attempt.saved:
        return []
    return None


def _render_form(
    period: Period,
    form: FlaskForm,
    title: str,
    problems: list[dict[str, str]] | None = None,
    **extra: Any,
) -> str:
    return render_template(
        "assessment/rulebooks/form.html",
        period=period,
        form=form,
        title=title,
        problems=problems or [],
        **extra,
    )


def _back(period: Period, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for(".show", period_id=period.id))


def _label(form: FlaskForm, prefix: str) -> dict[str, str]:
    """A name in both languages from a form; an English left empty is the Chinese."""
    zh = (getattr(form, f"{prefix}_zh").data or "").strip()
    en = (getattr(form, f"{prefix}_en").data or "").strip()
    return {"zh": zh, "en": en or zh}


def _english(label: Mapping[str, str]) -> str:
    """The English of a stored name for its form: empty when it only repeats the Chinese."""
    return "" if label["en"] == label["zh"] else label["en"]


def _find(items: list[dict[str, Any]], code: str, key: str = "code") -> dict[str, Any]:
    for item in items:
        if item.get(key) == code:
            return item
    raise NotFoundError(code)


def _set_document(draft: RulebookVersion, post: str) -> dict[str, Any]:
    return _find(service.document_of(draft)["posts"], post, "post")


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------


@bp.route("/")
@roles_required(*STAFF_ROLES)
def show(period_id: int) -> str:
    """The rulebook of a period: the draft (or a chosen version), its problems, versions."""
    period = _period(period_id)
    versions = service.list_versions(db.session, period.id)
    draft = service.find_draft(db.session, period.id)
    chosen = request.args.get("v", type=int)
    version = None
    if chosen is not None:
        version = service.get_version(db.session, period.id, chosen)
    else:
        version = draft or service.find_published(db.session, period.id)
    problems: list[dict[str, str]] = []
    if version is not None and not version.is_published:
        document = service.document_of(version)
        problems = _problem_rows(
            service.publication_problems(db.session, period, document, utcnow().date()),
            document,
        )
    return render_template(
        "assessment/rulebooks/show.html",
        period=period,
        versions=versions,
        version=version,
        draft=draft,
        rulebook=service.rulebook_of(version) if version is not None else None,
        editable=version is not None and version is draft and current_user.role in TEAM_ROLES,
        can_edit=current_user.role in TEAM_ROLES,
        problems=problems,
        reason_form=ReasonForm(),
        confirm_form=ConfirmForm(),
        publish_form=IrreversibleForm(),
        status_labels=RULEBOOK_STATUS_LABELS,
        copy_form=_copy_choice_form(period) if current_user.role in TEAM_ROLES else None,
        adopt_form=_adopt_form(period) if current_user.role in TEAM_ROLES else None,
        adoption=_adoption(version),
    )


def _adopt_form(period: Period) -> AdoptForm | None:
    """The published county templates this period may adopt, or None when there are none."""
    versions = template_service.adoptable_versions(db.session, period)
    if not versions:
        return None
    form = AdoptForm()
    form.version_id.choices = [
        (v.id, f"{v.template.title_zh} · {v.template.code} · v{v.number}") for v in versions
    ]
    return form


def _adoption(version: RulebookVersion | None) -> dict[str, Any] | None:
    if version is None:
        return None
    document = service.document_of(version)
    return adoption_context(template_service.adoption_of(db.session, document), document)


@bp.route("/adopt", methods=["POST"])
@roles_required(*TEAM_ROLES)
def adopt(period_id: int) -> Response:
    """Make the draft a published county template's rulebook (the template is recorded)."""
    period = _period(period_id)
    form = _adopt_form(period)
    if form is None or not form.validate_on_submit():
        abort(400)
    reason = (form.reason.data or "").strip()
    with unit_of_work(current_user.id, reason=reason or _("county template adopted")):
        version = service.adopt_template(
            db.session, period=period, template_version_id=form.version_id.data, reason=reason
        )
    return _back(
        period,
        _("Draft version %(number)s now holds the county template.", number=version.number),
    )


@bp.route("/versions/<int:number>.yaml")
@roles_required(*STAFF_ROLES)
def export(period_id: int, number: int) -> Response:
    """Download one version (draft or published) as YAML."""
    period = _period(period_id)
    version = service.get_version(db.session, period.id, number)
    text = dump_rulebook_yaml(service.rulebook_of(version), digest=version.digest)
    filename = f"rulebook-period{period.id}-v{version.number}.yaml"
    return Response(
        text,
        mimetype="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/diff")
@roles_required(*STAFF_ROLES)
def diff(period_id: int) -> str:
    """What changed between two versions (drafts included)."""
    period = _period(period_id)
    old = service.get_version(db.session, period.id, request.args.get("from", 0, type=int))
    new = service.get_version(db.session, period.id, request.args.get("to", 0, type=int))
    return render_template(
        "assessment/rulebooks/diff.html",
        period=period,
        old=old,
        new=new,
        changes=diff_documents(service.document_of(old), service.document_of(new)),
    )


# ---------------------------------------------------------------------------
# versions: start, import, publish, discard
# ---------------------------------------------------------------------------


@bp.route("/start", methods=["POST"])
@roles_required(*TEAM_ROLES)
def start(period_id: int) -> Response:
    """Start the first draft, or a new version (with a reason) after publication."""
    period = _period(period_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    reason = (form.reason.data or "").strip()
    with unit_of_work(current_user.id, reason=reason or None):
        version = service.start_rulebook(db.session, period=period, reason=reason)
    return _back(period, _("Draft version %(number)s started.", number=version.number))


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def import_yaml(period_id: int) -> str | Response:
    """Import a YAML rulebook into the draft (or as a new draft); all or nothing."""
    period = _period(period_id)
    form = ImportForm()
    problems: list[dict[str, str]] = []
    if form.validate_on_submit():
        if form.file.data:
            raw: str | bytes = form.file.data.read()
        else:
            raw = form.text.data or ""
        reason = (form.reason.data or "").strip()
        if not raw.strip():
            form.text.errors = [*list(form.text.errors), _("Choose a file or paste YAML.")]
        else:
            document: object = None
            try:
                document = read_yaml(raw)
                if not isinstance(document, dict):
                    raise RulebookError((RulebookProblem("", "not_a_mapping"),))
                with unit_of_work(current_user.id, reason=reason or _("rulebook import")):
                    version = service.import_document(
                        db.session, period=period, document=document, reason=reason
                    )
            except RulebookError as error:
                flash(_("Nothing was imported: the file has the problems listed below."), "error")
                problems = _problem_rows(
                    error.problems, document if isinstance(document, Mapping) else None
                )
            else:
                return _back(
                    period, _("Imported into draft version %(number)s.", number=version.number)
                )
    return _render_form(period, form, _("Import a rulebook"), problems, multipart=True)


@bp.route("/publish", methods=["POST"])
@roles_required(*TEAM_ROLES)
def publish(period_id: int) -> Response:
    """Freeze the draft and publish it; the public rules page shows it from now on."""
    period = _period(period_id)
    draft = _draft(period)
    if not IrreversibleForm().validate_on_submit():
        flash(str(NOT_UNDERSTOOD), "error")
        return redirect(url_for(".show", period_id=period.id))
    try:
        with unit_of_work(current_user.id, reason=draft.reason or _("rulebook published")):
            now = utcnow()
            service.publish_version(db.session, version=draft, on=now.date(), now=now)
    except RulebookError as error:
        flash(_("The rulebook cannot be published yet:"), "error")
        for row in _problem_rows(error.problems, service.document_of(draft)):
            flash(f"{row['path']}: {row['message']}" if row["path"] else row["message"], "error")
        return redirect(url_for(".show", period_id=period.id))
    return _back(
        period,
        _(
            "Version %(number)s is published and frozen. Digest: %(digest)s",
            number=draft.number,
            digest=draft.digest,
        ),
    )


@bp.route("/discard", methods=["POST"])
@roles_required(*TEAM_ROLES)
def discard(period_id: int) -> Response:
    """Delete the draft version."""
    period = _period(period_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    draft = _draft(period)
    with unit_of_work(current_user.id, reason=_("draft discarded")):
        service.discard_draft(db.session, draft)
    return _back(period, _("The draft was discarded."))


# ---------------------------------------------------------------------------
# editing the draft
# ---------------------------------------------------------------------------


def _settings_field(rest: str) -> str | None:
    mapping = {
        "title.zh": "title_zh",
        "title.en": "title_en",
        "grading.top_quota": "top_quota",
        "aggregation.trim_threshold": "trim_threshold",
        "precision.places": "places",
        "precision.rounding": "rounding",
    }
    if rest in mapping:
        return mapping[rest]
    match = re.match(r"^grading\.grades\[(\d+)\]\.(code|min|name\.zh|name\.en)$", rest)
    if match:
        name = {"min": "minimum"}.get(match[2], match[2].replace(".", "_"))
        return f"grades-{match[1]}-{name}"
    return None


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def settings(period_id: int) -> str | Response:
    """Title, grading scheme, quota and aggregation settings."""
    period = _period(period_id)
    draft = _draft(period)
    document = service.document_of(draft)
    if request.method == "GET":
        form = SettingsForm(
            data={
                "title_zh": document["title"]["zh"],
                "title_en": _english(document["title"]),
                "grades": [
                    {
                        "code": g["code"],
                        "name_zh": g["name"]["zh"],
                        "name_en": _english(g["name"]),
                        "minimum": g["min"],
                    }
                    for g in document["grading"]["grades"]
                ],
                "top_quota": document["grading"]["top_quota"],
                "trim_threshold": document["aggregation"]["trim_threshold"],
                "post_stratification": document["aggregation"]["post_stratification"],
                "places": document.get("precision", {}).get("places", 2),
                "rounding": document.get("precision", {}).get("rounding", "half_up"),
            }
        )
    else:
        form = SettingsForm()
    problems = None
    if form.validate_on_submit():
        grades = [
            {
                "code": entry.code.data.strip(),
                "name": _label(entry, "name"),
                "min": as_number(str(entry.minimum.data)),
            }
            for entry in (e.form for e in form.grades.entries)
        ]
        problems = _save(
            form,
            lambda: service.update_settings(
                db.session,
                version=draft,
                title=_label(form, "title"),
                grades=grades,
                top_quota=as_number(str(form.top_quota.data)),
                trim_threshold=form.trim_threshold.data,
                post_stratification=bool(form.post_stratification.data),
                precision={
                    "places": 2 if form.places.data is None else form.places.data,
                    "rounding": form.rounding.data or "half_up",
                },
            ),
            fields=_settings_field,
            document=service.document_of(draft),
        )
        if problems is None:
            return _back(period, _("Settings saved."))
    return _render_form(period, form, _("Rulebook settings"), problems)


def _post_choices(form: IndicatorSetForm, draft: RulebookVersion, current: str | None) -> None:
    taken = {s["post"] for s in service.document_of(draft)["posts"]} - {current}
    form.post.choices = [
        (p.code, f"{p.name_zh} ({p.code})")
        for p in list_posts(db.session, include_retired=False)
        if p.code not in taken
    ]


@bp.route("/posts/new", methods=["GET", "POST"])
@bp.route("/posts/<post>/edit", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def edit_set(period_id: int, post: str | None = None) -> str | Response:
    """Add the indicator set of a post, or change its bonus and penalty caps."""
    period = _period(period_id)
    draft = _draft(period)
    current = _set_document(draft, post) if post is not None else None
    form = IndicatorSetForm(data=current if request.method == "GET" and current else None)
    _post_choices(form, draft, post)
    problems = None
    if form.validate_on_submit():
        chosen = next(p for p in list_posts(db.session) if p.code == form.post.data)
        problems = _save(
            form,
            lambda: service.save_indicator_set(
                db.session,
                version=draft,
                post=chosen,
                bonus_cap=form.bonus_cap.data,
                penalty_cap=form.penalty_cap.data,
                original=post,
            ),
            document=service.document_of(draft),
        )
        if problems is None:
            return _back(period, _("Indicator set of %(post)s saved.", post=chosen.code))
    title = _("Indicator set of %(post)s", post=post) if post else _("Add an indicator set")
    return _render_form(period, form, title, problems)


@bp.route("/posts/<post>/delete", methods=["POST"])
@roles_required(*TEAM_ROLES)
def delete_set(period_id: int, post: str) -> Response:
    """Remove a post's indicator set."""
    period = _period(period_id)
    draft = _draft(period)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with unit_of_work(current_user.id):
        service.delete_indicator_set(db.session, version=draft, post=post)
    return _back(period, _("Indicator set of %(post)s deleted.", post=post))


@bp.route("/posts/<post>/categories/new", methods=["GET", "POST"])
@bp.route("/posts/<post>/categories/<code>/edit", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def edit_category(period_id: int, post: str, code: str | None = None) -> str | Response:
    """Add or change a category and its weight."""
    period = _period(period_id)
    draft = _draft(period)
    indicator_set = _set_document(draft, post)
    data = None
    if request.method == "GET" and code is not None:
        item = _find(indicator_set["categories"], code)
        data = {
            "code": item["code"],
            "name_zh": item["name"]["zh"],
            "name_en": _english(item["name"]),
            "weight": item["weight"],
        }
    form = CategoryForm(data=data)
    problems = None
    if form.validate_on_submit():
        item = {
            "code": form.code.data.strip(),
            "name": _label(form, "name"),
            "weight": as_number(str(form.weight.data)),
        }
        problems = _save(
            form,
            lambda: service.save_category(
                db.session, version=draft, post=post, data=item, original=code
            ),
            document=service.document_of(draft),
        )
        if problems is None:
            return _back(period, _("Category %(code)s saved.", code=item["code"]))
    return _render_form(period, form, _("Category of %(post)s", post=post), problems)


@bp.route("/posts/<post>/categories/<code>/delete", methods=["POST"])
@roles_required(*TEAM_ROLES)
def delete_category(period_id: int, post: str, code: str) -> Response:
    """Remove an empty category."""
    period = _period(period_id)
    draft = _draft(period)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    with field_errors(form, flash_it=True) as attempt, unit_of_work(current_user.id):
        service.delete_category(db.session, version=draft, post=post, code=code)
    if not attempt.saved:
        return redirect(url_for(".show", period_id=period.id))
    return _back(period, _("Category %(code)s deleted.", code=code))


def _indicator_choices(form: IndicatorForm, document: dict[str, Any], post: str) -> None:
    indicator_set = _find(document["posts"], post, "post")
    form.kind.choices = [(k.value, str(KIND_LABELS[k.value])) for k in IndicatorKind]
    form.category.choices = [("", "—")] + [
        (c["code"], rulebook_label(c["name"])) for c in indicator_set["categories"]
    ]
    form.method.choices = [(m, str(METHOD_LABELS[m])) for m in METHODS]
    form.direction.choices = [(d, str(DIRECTION_LABELS[d])) for d in DIRECTIONS]
    form.rubric.choices = [(r["code"], rulebook_label(r["name"])) for r in document["rubrics"]]
    form.subject.choices = [(s, str(SUBJECT_LABELS[s])) for s in SUBJECTS]
    form.caps_at.choices = [
        (g["code"], rulebook_label(g["name"])) for g in document["grading"]["grades"][1:]
    ]


def _indicator_form_data(item: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        key: item[key]
        for key in (
            "code",
            "kind",
            "category",
            "weight",
            "method",
            "direction",
            "baseline",
            "target",
            "cap",
            "rubric",
            "subject",
            "caps_at",
            "points",
            "unacceptable",
            "satisfactory",
            "floor",
        )
        if key in item
    }
    for key in ("name", "unit", "description"):
        if key in item:
            data[f"{key}_zh"] = item[key]["zh"]
            data[f"{key}_en"] = _english(item[key])
    if "steps" in item:
        data["steps"] = "; ".join(f"{s['threshold']}:{s['ratio']}" for s in item["steps"])
    if "breakpoints" in item:
        data["breakpoints"] = "; ".join(f"{p['actual']}:{p['ratio']}" for p in item["breakpoints"])
    return data


def _indicator_document(form: IndicatorForm) -> dict[str, Any]:
    """The plain entry for the chosen kind: only the fields that kind uses."""
    kind = form.kind.data
    item: dict[str, Any] = {
        "code": form.code.data.strip(),
        "name": _label(form, "name"),
        "kind": kind,
    }

    def put(key: str, value: Any) -> None:
        if value is not None and value != "":
            item[key] = as_number(str(value)) if isinstance(value, float) else value

    if kind in {"quantitative", "qualitative", "survey"}:
        put("category", form.category.data)
        put("weight", form.weight.data)
    if kind == "quantitative":
        method = form.method.data
        put("method", method)
        put("direction", form.direction.data)
        put("cap", form.cap.data if form.cap.data is not None else 1.0)
        if method == "linear":
            put("baseline", form.baseline.data)
        if method in {"linear", "ratio", "binary"}:
            put("target", form.target.data)
        if method == "steps":
            item["steps"] = parse_steps(form.steps.data or "")
        if method == "efficacy":
            put("unacceptable", form.unacceptable.data)
            put("satisfactory", form.satisfactory.data)
            put("floor", form.floor.data)
        if method == "piecewise":
            item["breakpoints"] = parse_steps(form.breakpoints.data or "", "actual")
        unit = _label(form, "unit")
        if unit["zh"] or unit["en"]:
            item["unit"] = unit
    elif kind == "qualitative":
        put("rubric", form.rubric.data)
    elif kind == "survey":
        put("subject", form.subject.data)
    elif kind == "veto":
        put("caps_at", form.caps_at.data)
    elif kind in {"bonus", "penalty"}:
        put("points", form.points.data)
    description = _label(form, "description")
    if description["zh"] or description["en"]:
        item["description"] = description
    return item


@bp.route("/posts/<post>/indicators/new", methods=["GET", "POST"])
@bp.route("/posts/<post>/indicators/<code>/edit", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def edit_indicator(period_id: int, post: str, code: str | None = None) -> str | Response:
    """Add or change an indicator of any kind."""
    period = _period(period_id)
    draft = _draft(period)
    document = service.document_of(draft)
    indicator_set = _find(document["posts"], post, "post")
    data = None
    if request.method == "GET":
        if code is not None:
            data = _indicator_form_data(_find(indicator_set["indicators"], code))
        else:
            data = {"kind": request.args.get("kind", "quantitative"), "cap": 1.0}
    form = IndicatorForm(data=data)
    _indicator_choices(form, document, post)
    problems = None
    if form.validate_on_submit():
        item = _indicator_document(form)
        problems = _save(
            form,
            lambda: service.save_indicator(
                db.session, version=draft, post=post, data=item, original=code
            ),
            document=service.document_of(draft),
        )
        if problems is None:
            return _back(period, _("Indicator %(code)s saved.", code=item["code"]))
    grouped = {name for _legend, _kinds, names in INDICATOR_FIELD_GROUPS for name in names}
    return render_template(
        "assessment/rulebooks/indicator_form.html",
        period=period,
        form=form,
        title=_(
            "Indicator of %(post)s",
            post=rulebook_label(indicator_set["name"]) if "name" in indicator_set else post,
        ),
        problems=problems or [],
        groups=INDICATOR_FIELD_GROUPS,
        grouped=grouped,
        method_fields=METHOD_FIELDS,
        methods=METHODS,
    )


@bp.route("/posts/<post>/indicators/<code>/delete", methods=["POST"])
@roles_required(*TEAM_ROLES)
def delete_indicator(period_id: int, post: str, code: str) -> Response:
    """Remove one indicator."""
    period = _period(period_id)
    draft = _draft(period)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with unit_of_work(current_user.id):
        service.delete_indicator(db.session, version=draft, post=post, code=code)
    return _back(period, _("Indicator %(code)s deleted.", code=code))


def _rubric_field(rest: str) -> str | None:
    match = re.match(r"^levels\[(\d+)\]\.(code|value|name\.zh|name\.en)$", rest)
    if match:
        return f"levels-{match[1]}-{match[2].replace('.', '_')}"
    return _flat_field(rest)


@bp.route("/rubrics/new", methods=["GET", "POST"])
@bp.route("/rubrics/<code>/edit", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def edit_rubric(period_id: int, code: str | None = None) -> str | Response:
    """Add or change a rubric: the levels assessors pick from, with values 0-100."""
    period = _period(period_id)
    draft = _draft(period)
    data: dict[str, Any] | None = None
    if request.method == "GET":
        levels: list[dict[str, Any]] = []
        data = {"levels": levels}
        if code is not None:
            rubric = _find(service.document_of(draft)["rubrics"], code)
            data.update(
                code=rubric["code"], name_zh=rubric["name"]["zh"], name_en=_english(rubric["name"])
            )
            for level in rubric["levels"]:
                description = level.get("description", {"zh": "", "en": ""})
                levels.append(
                    {
                        "code": level["code"],
                        "name_zh": level["name"]["zh"],
                        "name_en": _english(level["name"]),
                        "value": level["value"],
                        "description_zh": description["zh"],
                        "description_en": _english(description),
                    }
                )
        levels.extend({} for _unused in range(max(6 - len(levels), 2)))
    form = RubricForm(data=data)
    problems = None
    if form.validate_on_submit():
        rows = []
        for entry in (e.form for e in form.levels.entries):
            if not (entry.code.data or "").strip():
                continue
            row: dict[str, Any] = {
                "code": entry.code.data.strip(),
                "name": _label(entry, "name"),
                "value": as_number(str(entry.value.data)) if entry.value.data is not None else None,
            }
            description = _label(entry, "description")
            if description["zh"] or description["en"]:
                row["description"] = description
            rows.append(row)
        item = {"code": form.code.data.strip(), "name": _label(form, "name"), "levels": rows}
        problems = _save(
            form,
            lambda: service.save_rubric(db.session, version=draft, data=item, original=code),
            fields=_rubric_field,
            document=service.document_of(draft),
        )
        if problems is None:
            return _back(period, _("Rubric %(code)s saved.", code=item["code"]))
    return _render_form(period, form, _("Rubric"), problems)


@bp.route("/rubrics/<code>/delete", methods=["POST"])
@roles_required(*TEAM_ROLES)
def delete_rubric(period_id: int, code: str) -> Response:
    """Remove a rubric no indicator uses."""
    period = _period(period_id)
    draft = _draft(period)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    with field_errors(form, flash_it=True) as attempt, unit_of_work(current_user.id):
        service.delete_rubric(db.session, version=draft, code=code)
    if not attempt.saved:
        return redirect(url_for(".show", period_id=period.id))
    return _back(period, _("Rubric %(code)s deleted.", code=code))


# ---------------------------------------------------------------------------
# copying the rulebook of an earlier period
# ---------------------------------------------------------------------------


def _copy_choice_form(period: Period) -> RulebookCopyChoiceForm | None:
    """The choice of an earlier period to copy from (None when none can be copied now)."""
    if period.status == "final" or service.find_published(db.session, period.id) is not None:
        return None
    sources = service.copy_sources(db.session, period, list_periods(db.session, current_scope()))
    if not sources:
        return None
    form = RulebookCopyChoiceForm(request.args if "source_period_id" in request.args else None)
    form.source_period_id.choices = choices([(p.id, f"{p.name} ({p.year})") for p in sources])
    return form


@bp.route("/copy")
@roles_required(*TEAM_ROLES)
def copy_choose(period_id: int) -> Response:
    """Where the choice on the rulebook page goes: on to the list of differences."""
    period = _period(period_id)
    form = _copy_choice_form(period)
    if form is None:
        published = service.find_published(db.session, period.id)
        if published is not None:
            raise RulebookStateError("copy_into_published", number=published.number)
        flash(_("No earlier period has a published rulebook to copy."), "error")
        return redirect(url_for(".show", period_id=period.id))
    if not form.validate():
        flash(_("Choose the period to copy the rulebook from."), "error")
        return redirect(url_for(".show", period_id=period.id))
    return redirect(
        url_for(".copy_from", period_id=period.id, source_period_id=form.source_period_id.data)
    )


@bp.route("/copy/<int:source_period_id>", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def copy_from(period_id: int, source_period_id: int) -> str | Response:
    """What copying the earlier period's rulebook changes; POST stores it as the draft."""
    period = _period(period_id)
    source_period = _period(source_period_id)
    today = utcnow().date()
    plan = service.plan_rulebook_copy(
        db.session, source_period=source_period, period=period, on=today
    )
    form = CopyConfirmForm()
    if form.validate_on_submit():
        reason = _("rulebook copied from %(period)s", period=source_period.name)
        try:
            with unit_of_work(current_user.id, reason=reason):
                version = service.copy_rulebook(
                    db.session,
                    source_period=source_period,
                    period=period,
                    on=today,
                    fingerprint=form.fingerprint.data or "",
                )
                number = version.number
        except RulebookStateError as error:
            if error.code != "copy_stale":
                raise
            flash(rulebook_state_message(error), "error")
            return redirect(
                url_for(".copy_from", period_id=period.id, source_period_id=source_period.id)
            )
        return _back(
            period,
            _(
                "The rulebook of %(source)s was copied into draft version %(number)s. "
                "Check it, then publish it.",
                source=source_period.name,
                number=number,
            ),
        )
    form.fingerprint.data = plan.fingerprint
    return render_template(
        "assessment/rulebooks/copy.html",
        period=period,
        plan=plan,
        form=form,
        notes=[copy_note_message(note) for note in plan.notes],
        problems=_problem_rows(plan.problems, plan.document),
    )
