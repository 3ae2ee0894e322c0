"""Public notice pages (no login): a period's notice of results and the public objection form.

The page shows, for the version on notice (or the final one), each cadre's name, post,
unit, total and grade, ranked within the post group, with the digests, the notice dates
and how to object. Nothing else of the result is shown: no ratings, no answers, no
assessor, no confidence details. Before a notice is opened the page does not exist.
Public objections are throttled per client by a keyed hash of its address (no address is
stored).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.core.explain import explain_published_ballots
from assessment.core.records import CadreResult
from assessment.core.rulebook import Rulebook
from assessment.forms.base import choices
from assessment.forms.notice import PublicObjectionForm
from assessment.models import Period, ResultVersion
from assessment.services import objections, throttle
from assessment.services import publication as service
from assessment.services.queries import find_period, list_posts
from assessment.services.results import (
    get_version,
    payload_of,
    result_of_version,
    rulebook_of_version,
    unit_names,
)
from assessment.views.form_errors import field_errors, page_with_status
from assessment.views.notice import (
    FIELD_MESSAGES,
    attachment_hint,
    closed_message,
    label,
    local_today,
    refusal_message,
    shown_version,
    store_attachment,
)

bp = Blueprint("public_notice", __name__, url_prefix="/p")


def _period(period_id: int) -> tuple[Period, ResultVersion]:
    """A period with a result version on notice or final, else 404."""
    period = find_period(db.session, period_id)
    version = shown_version(period) if period is not None else None
    if period is None or version is None:
        abort(404)
    return period, version


def _post_names() -> dict[str, str]:
    return {post.code: post.name_zh for post in list_posts(db.session)}


def public_rows(period: Period, version: ResultVersion) -> list[dict[str, Any]]:
    """Post groups with their cadres ranked: name, post, unit, total, grade; nothing else."""
    rulebook = rulebook_of_version(version)
    grades = {g.code: label(g.name) for g in rulebook.grading.grades}
    groups = {s.post: label(s.name) for s in rulebook.indicator_sets}
    posts = _post_names()
    units = unit_names(db.session, period)
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cadre in result_of_version(version).cadres:
        members[cadre.post_group].append(
            {
                "id": cadre.id,
                "rank": cadre.rank,
                "name": cadre.name,
                "post": posts.get(cadre.post, cadre.post),
                "unit": units.get(cadre.unit, cadre.unit),
                "total": cadre.total,
                "grade": grades.get(cadre.grade, cadre.grade),
                "ballots": published_ballots(rulebook, cadre),
            }
        )
    return [
        {
            "code": code,
            "name": groups.get(code, code),
            "cadres": sorted(rows, key=lambda r: (r["rank"], r["name"])),
        }
        for code, rows in sorted(members.items(), key=lambda item: rulebook.post_sort_key(item[0]))
    ]


def published_ballots(rulebook: Rulebook, cadre: CadreResult) -> list[dict[str, Any]]:
    """The cadre's ballot indicators whose votes the rulebook publishes (``sources.
    publish_votes``): name and tally with shares and formulas; none unless it says so."""
    return [
        {"code": indicator.code, "name": label(indicator.name), "tally": tally}
        for indicator, tally in explain_published_ballots(rulebook, cadre)
    ]


def _policy() -> throttle.ThrottlePolicy:
    config = current_app.config
    return throttle.ThrottlePolicy(
        max_failures=int(config["PUBLIC_OBJECTION_MAX_PER_CLIENT"]),
        window=timedelta(seconds=int(config["PUBLIC_OBJECTION_WINDOW_SECONDS"])),
        lockout=timedelta(seconds=int(config["PUBLIC_OBJECTION_LOCKOUT_SECONDS"])),
    )


@bp.route("/periods/<int:period_id>/notice")
@bp.route("/periods/<int:period_id>/notice/v/<int:number>")
def show(period_id: int, number: int | None = None) -> str:
    """The public notice of results (or the final results), and earlier noticed versions."""
    period, current = _period(period_id)
    versions = service.list_shown_versions(db.session, period)
    version = current
    if number is not None and number != current.number:
        if number not in {v.number for v in versions}:
            abort(404)
        version = get_version(db.session, period.id, number)
    notice = service.find_notice(db.session, period)
    return render_template(
        "public/notice.html",
        period=period,
        version=version,
        current=current,
        versions=versions,
        notice=notice,
        groups=public_rows(period, version),
        precision=payload_of(version)["result"].get("precision"),
        is_open=notice is not None and service.is_notice_open(notice, local_today()),
        is_final=period.status == "final",
    )


def _cadre_choices(version: ResultVersion) -> list[tuple[str, str]]:
    pairs = [("", _("(none in particular)"))]
    cadres = result_of_version(version).cadres
    pairs.extend((c.id, c.name) for c in sorted(cadres, key=lambda c: c.name))
    return pairs


@bp.route("/periods/<int:period_id>/notice/objection", methods=["GET", "POST"])
def objection(period_id: int) -> str | Response | tuple[str, int]:
    """A member of the public objects while the notice is open (throttled per client)."""
    period, version = _period(period_id)
    notice = service.find_notice(db.session, period)
    form = PublicObjectionForm()
    form.cadre_id.choices = choices(_cadre_choices(version))
    if period.subjects == "units":
        form.cadre_id.label.text = _("Unit concerned")
    form.attachment.description = attachment_hint()
    closed = closed_message(period, notice)
    status = 200
    problem = None
    if form.is_submitted() and closed is None:
        status = 400
        now = utcnow()
        key = throttle.subject_key(
            current_app.config["SECRET_KEY"], "public_objection", request.remote_addr or ""
        )
        # Every attempt counts, valid or not; the count commits even if filing fails.
        with unit_of_work(None) as session:
            until = throttle.locked_until(session, key, now)
            if until is None:
                throttle.record_failure(session, key, _policy(), now)
        if until is not None:
            status = 429
            problem = _(
                "Too many objections were sent from this connection. Try again after %(time)s.",
                time=format_datetime(until, "short"),
            )
        elif form.validate():
            cadre = form.cadre_id.data or ""
            try:
                with (
                    field_errors(form, messages=FIELD_MESSAGES) as attempt,
                    unit_of_work(None, reason=_("objection filed")) as session,
                ):
                    filed = objections.file_with_attachment(
                        session,
                        period=period,
                        stored=store_attachment(session, form),
                        uploader_id=None,
                        config=current_app.config,
                        today=local_today(),
                        channel="public",
                        cadre_id=int(cadre) if cadre.isdigit() else None,
                        filed_by_id=None,
                        contact_name=form.contact_name.data or "",
                        contact=form.contact.data or "",
                        indicator_code=None,
                        reason=form.reason.data or "",
                    )
            except service.PublicationRefusedError as error:
                closed = refusal_message(error)
            else:
                if attempt.saved:
                    return redirect(
                        url_for(
                            ".objection_sent",
                            period_id=period.id,
                            number=filed.id,
                            due=filed.review_due_on.isoformat(),
                        )
                    )
    page = render_template(
        "public/notice_objection.html",
        period=period,
        notice=notice,
        form=form,
        closed=closed,
        problem=problem,
    )
    return page_with_status(page, status)


@bp.route("/periods/<int:period_id>/notice/objection/sent")
def objection_sent(period_id: int) -> str:
    """Confirmation with the objection's number (nothing is read back from the database)."""
    period, _version = _period(period_id)
    number = request.args.get("number", "")
    due = request.args.get("due", "")
    try:
        due_text = format_date(date.fromisoformat(due)) if due else ""
    except ValueError:
        due_text = ""
    return render_template(
        "public/notice_sent.html",
        period=period,
        number=number if number.isdigit() else "",
        due=due_text,
    )
