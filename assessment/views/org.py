"""Admin pages for units, posts, cadres and appointments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.forms.base import (
    AppointmentForm,
    CadreForm,
    PostForm,
    RetireForm,
    UnitForm,
    choices,
)
from assessment.models import Post, Unit
from assessment.services import org
from assessment.services.queries import (
    NotFoundError,
    get_appointment,
    get_cadre,
    get_post,
    get_unit,
    list_cadres,
    list_posts,
    list_units,
)
from assessment.views.access import STAFF_ROLES, current_scope, roles_required
from assessment.views.form_errors import field_errors
from assessment.views.messages import UNIT_KIND_LABELS

bp = Blueprint("org", __name__, url_prefix="/admin")


def _or_404(lookup: Callable[[], Any]) -> Any:
    try:
        return lookup()
    except NotFoundError:
        abort(404)


def _saved(form: FlaskForm, change: Callable[[], Any]) -> Any | None:
    """Run one audited change for a submitted form; show a service error on the form."""
    with field_errors(form, flash_it=True), unit_of_work(current_user.id):
        return change()
    return None


# Units ---------------------------------------------------------------------------------


def _unit_choices(form: UnitForm, editing: Unit | None) -> None:
    form.kind.choices = choices((k, str(label)) for k, label in UNIT_KIND_LABELS.items())
    candidates = [
        u
        for u in list_units(db.session, current_scope(), include_retired=False)
        if u.kind in {"county", "township", "street"}
        and (editing is None or not u.path.startswith(editing.path))
    ]
    # A unit keeps its current parent even when that parent is above the editor's scope.
    if editing is not None and editing.parent is not None and editing.parent not in candidates:
        candidates.insert(0, editing.parent)
    form.parent_id.choices = choices(
        [(0, _("(none: top of the tree)"))]
        + [(u.id, f"{u.name_zh} ({u.code})") for u in candidates]
    )


def _unit_data(form: UnitForm) -> org.UnitData:
    return org.UnitData(
        code=form.code.data.strip(),
        kind=form.kind.data,
        name_zh=form.name_zh.data.strip(),
        name_en=(form.name_en.data or "").strip(),
        parent_id=form.parent_id.data or None,
        households=form.households.data,
        population=form.population.data,
    )


def _check_parent_in_scope(form: UnitForm, editing: Unit | None = None) -> bool:
    unchanged = editing is not None and form.parent_id.data == (editing.parent_id or 0)
    if form.parent_id.data and not unchanged and form.parent_id.data not in current_scope():
        form.parent_id.errors = [_("Choose a unit within your scope.")]
        return False
    return True


@bp.route("/units/")
@roles_required(*STAFF_ROLES)
def units() -> str:
    """The unit tree in scope."""
    return render_template(
        "assessment/org/units.html",
        units=list_units(db.session, current_scope()),
        kind_labels=UNIT_KIND_LABELS,
    )


@bp.route("/units/new", methods=["GET", "POST"])
@roles_required("admin")
def new_unit() -> str | Response:
    """Add a unit to the tree."""
    form = UnitForm()
    _unit_choices(form, None)
    if (
        form.validate_on_submit()
        and _check_parent_in_scope(form)
        and _saved(form, lambda: org.create_unit(db.session, _unit_data(form)))
    ):
        flash(_("Unit saved."), "success")
        return redirect(url_for(".units"))
    return render_template("assessment/org/form.html", form=form, title=_("New unit"))


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_unit(unit_id: int) -> str | Response:
    """Change a unit's names, numbers or place in the tree."""
    unit = _or_404(lambda: get_unit(db.session, unit_id, current_scope()))
    form = UnitForm(obj=unit)
    _unit_choices(form, unit)
    if request.method == "GET":
        form.parent_id.data = unit.parent_id or 0
    if (
        form.validate_on_submit()
        and _check_parent_in_scope(form, unit)
        and _saved(form, lambda: org.update_unit(db.session, unit, _unit_data(form)))
    ):
        flash(_("Unit saved."), "success")
        return redirect(url_for(".units"))
    return render_template(
        "assessment/org/form.html",
        form=form,
        title=_("Edit unit %(name)s", name=unit.name_zh),
        retire_url=url_for(".retire_unit", unit_id=unit.id) if not unit.retired_on else None,
        retire_form=RetireForm(on=utcnow().date()),
    )


@bp.route("/units/<int:unit_id>/retire", methods=["POST"])
@roles_required("admin")
def retire_unit(unit_id: int) -> Response:
    """Retire a unit (it stays in history, and leaves every list of choices)."""
    unit = _or_404(lambda: get_unit(db.session, unit_id, current_scope()))
    return _retire(lambda on: org.retire_unit(db.session, unit, on), url_for(".units"))


def _retire(change: Callable[[date], None], back: str) -> Response:
    form = RetireForm()
    if not form.validate_on_submit():
        flash(_("Give the date of retirement."), "error")
        return redirect(back)
    with field_errors(form, flash_it=True) as attempt, unit_of_work(current_user.id):
        change(form.on.data)
    if attempt.saved:
        flash(_("Retired."), "success")
    return redirect(back)


# Posts ---------------------------------------------------------------------------------


def _post_data(form: PostForm) -> org.PostData:
    return org.PostData(
        code=form.code.data.strip(),
        name_zh=form.name_zh.data.strip(),
        name_en=(form.name_en.data or "").strip(),
        unit_level=form.unit_level.data,
    )


@bp.route("/posts/")
@roles_required(*STAFF_ROLES)
def posts() -> str:
    """Every post."""
    return render_template("assessment/org/posts.html", posts=list_posts(db.session))


@bp.route("/posts/new", methods=["GET", "POST"])
@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_post(post_id: int | None = None) -> str | Response:
    """Create or change a post."""
    post: Post | None = _or_404(lambda: get_post(db.session, post_id)) if post_id else None
    form = PostForm(obj=post)
    if form.validate_on_submit() and _saved(
        form, lambda: org.save_post(db.session, _post_data(form), post)
    ):
        flash(_("Post saved."), "success")
        return redirect(url_for(".posts"))
    return render_template(
        "assessment/org/form.html",
        form=form,
        title=_("Edit post") if post else _("New post"),
        retire_url=url_for(".retire_post", post_id=post.id)
        if post and not post.retired_on
        else None,
        retire_form=RetireForm(on=utcnow().date()),
    )


@bp.route("/posts/<int:post_id>/retire", methods=["POST"])
@roles_required("admin")
def retire_post(post_id: int) -> Response:
    """Retire a post."""
    post = _or_404(lambda: get_post(db.session, post_id))
    return _retire(lambda on: org.retire_post(db.session, post, on), url_for(".posts"))


# Cadres and appointments ---------------------------------------------------------------


def _cadre_data(form: CadreForm) -> org.CadreData:
    return org.CadreData(
        code=form.code.data.strip(),
        name=form.name.data.strip(),
        gender=form.gender.data,
        birth_year=form.birth_year.data,
    )


def _appointment_choices(form: AppointmentForm) -> None:
    form.post_id.choices = choices(
        [(p.id, f"{p.name_zh} ({p.code})") for p in list_posts(db.session, include_retired=False)]
    )
    form.unit_id.choices = choices(
        [
            (u.id, f"{u.name_zh} ({u.code})")
            for u in list_units(db.session, current_scope(), include_retired=False)
        ]
    )


@bp.route("/cadres/")
@roles_required(*STAFF_ROLES)
def cadres() -> str:
    """Cadres appointed (now or before) in a unit of the scope."""
    search = request.args.get("q", "").strip()[:50]
    return render_template(
        "assessment/org/cadres.html",
        cadres=list_cadres(db.session, current_scope(), search=search),
        search=search,
    )


@bp.route("/cadres/new", methods=["GET", "POST"])
@roles_required("admin")
def new_cadre() -> str | Response:
    """Add a cadre with a first appointment (a cadre outside every unit is out of scope)."""
    form = CadreForm()
    appointment = AppointmentForm(prefix="appointment")
    _appointment_choices(appointment)

    def create() -> Any:
        cadre = org.save_cadre(db.session, _cadre_data(form))
        org.appoint(
            db.session,
            cadre,
            get_post(db.session, appointment.post_id.data),
            get_unit(db.session, appointment.unit_id.data, current_scope()),
            appointment.start_date.data,
            appointment.end_date.data,
        )
        return cadre

    if request.method == "POST":
        valid = form.validate() & appointment.validate()
        if valid and (cadre := _saved(form, create)):
            flash(_("Cadre saved."), "success")
            return redirect(url_for(".cadre", cadre_id=cadre.id))
    return render_template("assessment/org/cadre_new.html", form=form, appointment=appointment)


def _render_cadre(
    cadre: Any, form: CadreForm, appointment: AppointmentForm, status: int = 200
) -> tuple[str, int]:
    return render_template(
        "assessment/org/cadre.html",
        cadre=cadre,
        form=form,
        appointment=appointment,
        retire_form=RetireForm(on=utcnow().date()),
    ), status


@bp.route("/cadres/<int:cadre_id>")
@roles_required(*STAFF_ROLES)
def cadre(cadre_id: int) -> tuple[str, int]:
    """One cadre: details and appointment history."""
    cadre = _or_404(lambda: get_cadre(db.session, cadre_id, current_scope()))
    appointment = AppointmentForm(prefix="appointment")
    _appointment_choices(appointment)
    return _render_cadre(cadre, CadreForm(obj=cadre), appointment)


@bp.route("/cadres/<int:cadre_id>/edit", methods=["POST"])
@roles_required("admin")
def edit_cadre(cadre_id: int) -> tuple[str, int] | Response:
    """Change a cadre's details."""
    cadre = _or_404(lambda: get_cadre(db.session, cadre_id, current_scope()))
    form = CadreForm()
    if form.validate() and _saved(
        form, lambda: org.save_cadre(db.session, _cadre_data(form), cadre)
    ):
        flash(_("Cadre saved."), "success")
        return redirect(url_for(".cadre", cadre_id=cadre.id))
    appointment = AppointmentForm(prefix="appointment")
    _appointment_choices(appointment)
    return _render_cadre(cadre, form, appointment, 400)


@bp.route("/cadres/<int:cadre_id>/appointments", methods=["POST"])
@roles_required("admin")
def appoint(cadre_id: int) -> tuple[str, int] | Response:
    """Add an appointment to a cadre's history."""
    cadre = _or_404(lambda: get_cadre(db.session, cadre_id, current_scope()))
    appointment = AppointmentForm(prefix="appointment")
    _appointment_choices(appointment)
    if appointment.validate_on_submit() and _saved(
        appointment,
        lambda: org.appoint(
            db.session,
            cadre,
            get_post(db.session, appointment.post_id.data),
            get_unit(db.session, appointment.unit_id.data, current_scope()),
            appointment.start_date.data,
            appointment.end_date.data,
        ),
    ):
        flash(_("Appointment added."), "success")
        return redirect(url_for(".cadre", cadre_id=cadre.id))
    return _render_cadre(cadre, CadreForm(obj=cadre), appointment, 400)


@bp.route("/appointments/<int:appointment_id>/end", methods=["POST"])
@roles_required("admin")
def end_appointment(appointment_id: int) -> Response:
    """End an appointment on a date (the row stays as history)."""
    appointment = _or_404(lambda: get_appointment(db.session, appointment_id, current_scope()))
    return _retire(
        lambda on: org.end_appointment(db.session, appointment, on),
        url_for(".cadre", cadre_id=appointment.cadre_id),
    )


@bp.route("/cadres/<int:cadre_id>/retire", methods=["POST"])
@roles_required("admin")
def retire_cadre(cadre_id: int) -> Response:
    """Retire a cadre and end their open appointments."""
    cadre = _or_404(lambda: get_cadre(db.session, cadre_id, current_scope()))
    return _retire(
        lambda on: org.retire_cadre(db.session, cadre, on),
        url_for(".cadre", cadre_id=cadre.id),
    )
