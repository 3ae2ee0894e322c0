"""The "surveys" blueprint: the builder and dashboards for staff under /admin/surveys,
and the resident pages under /s/<short id>.

Resident routes log nothing about the client and never put a code or a receipt in a
URL (an access log would keep it beside the client's address and the time): code checks
and receipt lookups are POSTs. The QR URL /s/<short>/<code> itself is masked in the
werkzeug and gunicorn access logs by :mod:`assessment.app.logs`.

An online response is stored in two transactions (:func:`_submit`), and the form state
the browser carries between them is encrypted (:mod:`surveys.services.form_state`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import segno
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from assessment.app.db import db, unit_of_work, utcnow
from assessment.core.errors import FieldError
from assessment.core.records import ResultSettings
from assessment.forms.base import NOT_UNDERSTOOD, IrreversibleForm
from assessment.services import throttle
from assessment.services.queries import NotFoundError as BaseNotFoundError
from assessment.services.queries import find_unit, get_period, list_cadres, list_periods
from assessment.services.results import list_versions
from assessment.views.access import STAFF_ROLES, TEAM_ROLES, current_scope, roles_required
from assessment.views.form_errors import Attempt, field_errors
from assessment.views.messages import VOTER_GROUP_LABELS
from reports.render.pdf import html_to_pdf
from surveys.core.codes import format_code, normalise_code
from surveys.core.quality import duration_band
from surveys.core.tally import compute_shown_interval
from surveys.forms import (
    BALLOT_LABELS,
    QUESTION_KIND_LABELS,
    SURVEY_STATUS_LABELS,
    TARGET_KIND_LABELS,
    ActionForm,
    BatchForm,
    CodeCheckForm,
    CodeEntryForm,
    NewSurveyForm,
    QuestionForm,
    ReceiptLookupForm,
    ResponseFormBase,
    RevokeForm,
    SurveyForm,
    TargetForm,
    UnitTargetsForm,
    build_response_form,
    choices,
    code_message,
    field_message,
    state_message,
    survey_form_of,
)
from surveys.models.surveys import RATED_KINDS, Question, Survey, Target
from surveys.services import form_state, paper, queries, storage, tokens
from surveys.services import surveys as services
from surveys.services.queries import ResidentItem
from surveys.services.resident import PublicSurvey, ResidentCache, find_public_survey
from surveys.views import questionnaire
from surveys.views.reuse import copy_choice_form

logger = logging.getLogger(__name__)

bp = Blueprint("surveys", __name__)

ENTRY_PURPOSE = "survey-entry"
CARRIED_PURPOSE = "survey-carried"
ENTRY_MAX_AGE = 12 * 3600
#: The hidden ``step`` of the review page, which carries every answer in its sealed state
#: and shows no question field.
REVIEW_STEP = "review"
DASHBOARD_REFRESH_SECONDS = 60
MAX_DURATION_S = 24 * 3600

# Code entry limits fall on the client that tries wrong codes (a keyed hash of its
# address, the forwarded one behind TRUSTED_PROXY_COUNT proxies, never stored with
# anything else). Guessing spread over many addresses locks nobody out: it raises an
# alarm the team sees on the survey's pages (wrong codes in the last hour).
THROTTLE_DEFAULTS = {
    "SURVEY_CODE_MAX_FAILURES_PER_CLIENT": 10,
    "SURVEY_CODE_CLIENT_WINDOW_SECONDS": 15 * 60,
    "SURVEY_CODE_CLIENT_LOCKOUT_SECONDS": 15 * 60,
    "SURVEY_CODE_ALARM_PER_HOUR": 30,
}


def init_app(app: Flask) -> None:
    """Register the blueprint, the interval every page shows beside an index, and the
    per-process store of open surveys' questionnaires (:mod:`surveys.services.resident`)."""
    app.register_blueprint(bp)
    app.extensions["surveys.resident_cache"] = ResidentCache()
    app.add_template_global(compute_shown_interval, "shown_interval")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _language() -> str:
    locale = get_locale()
    return "zh" if locale is None or locale.language == "zh" else "en"


def _survey_or_404(survey_id: int) -> Survey:
    try:
        return queries.get_survey(db.session, survey_id, current_scope())
    except queries.NotFoundError:
        abort(404)


def _public_survey_or_404(short_id: str) -> Survey:
    survey = queries.find_survey_by_short_id(db.session, short_id.upper())
    if survey is None:
        abort(404)
    return survey


def _resident_survey_or_404(short_id: str) -> PublicSurvey:
    """The survey of a resident's journey: one read of its row, as a plain record."""
    survey = find_public_survey(db.session, short_id.upper())
    if survey is None:
        abort(404)
    return survey


def _resident_cache() -> ResidentCache:
    cache: ResidentCache = current_app.extensions["surveys.resident_cache"]
    return cache


def _resident_items(survey: PublicSurvey, unit_id: int) -> tuple[ResidentItem, ...]:
    cache = _resident_cache()
    # The unit's voter group is read with its questions, once, so that storing the
    # answers (:func:`_submit`) reads nothing but the survey's row.
    cache.voter_group(db.session, survey, unit_id)
    return cache.items(db.session, survey, unit_id)


def _config(name: str) -> int:
    return int(current_app.config.get(name, THROTTLE_DEFAULTS[name]))


def _client_policy() -> throttle.ThrottlePolicy:
    return throttle.ThrottlePolicy(
        max_failures=_config("SURVEY_CODE_MAX_FAILURES_PER_CLIENT"),
        window=timedelta(seconds=_config("SURVEY_CODE_CLIENT_WINDOW_SECONDS")),
        lockout=timedelta(seconds=_config("SURVEY_CODE_CLIENT_LOCKOUT_SECONDS")),
    )


def _client_key() -> str:
    # Only a keyed hash of the address is kept, in the throttle table alone.
    key = current_app.config["ACCESS_CODE_HASH_KEY"]
    return throttle.subject_key(key, "survey-code-client", request.remote_addr or "")


def _is_locked() -> bool:
    return throttle.locked_until(db.session, _client_key(), utcnow()) is not None


def _record_code_failure(survey: Survey | PublicSurvey) -> None:
    now = utcnow()
    with unit_of_work(None):
        throttle.record_failure(db.session, _client_key(), _client_policy(), now)
        services.record_wrong_code(db.session, survey_id=survey.id, now=now)


def _code_alarm(survey: Survey) -> dict[str, int | bool]:
    """The guessing alarm shown to the team: wrong codes in the last hour."""
    count = services.count_wrong_codes(db.session, survey_id=survey.id, now=utcnow())
    threshold = _config("SURVEY_CODE_ALARM_PER_HOUR")
    return {"count": count, "threshold": threshold, "raised": count >= threshold}


def _seal_state(purpose: str, payload: dict[str, Any]) -> str:
    return form_state.seal(current_app.config["SECRET_KEY"], purpose, payload, now=int(time.time()))


def _open_state(purpose: str, token: str, max_age: int | None = None) -> dict[str, Any]:
    return form_state.open_sealed(
        current_app.config["SECRET_KEY"], purpose, token, now=int(time.time()), max_age=max_age
    )


def _no_referrer(response: Response) -> Response:
    # Resident URLs may hold a code; keep them out of Referer headers and caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _resident(template: str, status: int = 200, **context: Any) -> Response:
    html = render_template(template, language=_language(), **context)
    return _no_referrer(Response(html, status=status, mimetype="text/html"))


# ---------------------------------------------------------------------------
# resident pages
# ---------------------------------------------------------------------------


@bp.route("/s/<short_id>", methods=["GET", "POST"])
def start(short_id: str, code: str | None = None) -> Response:
    """The resident landing page: enter (or scan) an access code."""
    survey = _resident_survey_or_404(short_id)
    form = CodeEntryForm()
    if request.method == "GET" and code:
        form.code.data = format_code(normalise_code(code))
    status = 200
    if survey.status == "open" and form.validate_on_submit():
        typed = normalise_code(form.code.data)
        if not tokens.is_access_code(typed):
            # A typo, caught by the check character before any lookup.
            form.code.errors = [code_message("malformed_code")]
            status = 400
        elif _is_locked():
            form.code.errors = [
                _("Too many wrong codes were tried. Wait 15 minutes and try again.")
            ]
            status = 429
        else:
            code_hash = tokens.hash_access_code(
                current_app.config["ACCESS_CODE_HASH_KEY"], survey.id, typed
            )
            try:
                unit_id = services.check_code(db.session, survey=survey, code_hash=code_hash)
            except services.CodeRejectedError as error:
                _record_code_failure(survey)
                form.code.errors = [code_message(error.code)]
                status = 400
            else:
                entry = {
                    "s": survey.id,
                    "h": code_hash,
                    "u": unit_id,
                    "sub": tokens.new_submission_id(),
                    "t": int(time.time()),
                }
                return _questionnaire(survey, entry, step=0, carried={})
    elif form.is_submitted():
        status = 400
    return _resident("surveys/resident/start.html", status, survey=survey, form=form)


@bp.route("/s/<short_id>/<code>")
def start_with_code(short_id: str, code: str) -> Response:
    """The address in a slip's QR code: the landing page with the code filled in."""
    return start(short_id, code)


def _screens(
    survey: Survey | PublicSurvey, items: tuple[ResidentItem, ...]
) -> list[list[ResidentItem]]:
    if survey.one_per_screen:
        return [[item] for item in items]
    return [list(items)]


def _screen_of(survey: Survey | PublicSurvey, items: tuple[ResidentItem, ...]) -> dict[str, int]:
    """The screen (step) on which each item is asked, by item key."""
    return {
        item.key: number for number, screen in enumerate(_screens(survey, items)) for item in screen
    }


def _questions_context(
    survey: Survey | PublicSurvey, items: tuple[ResidentItem, ...], step: int
) -> dict[str, Any]:
    """What the questionnaire template shows of one screen, for residents and the preview."""
    screens = _screens(survey, items)
    step = max(0, min(step, len(screens) - 1))
    return {
        "survey": survey,
        "items": screens[step],
        "step": step,
        "steps": len(screens),
        # Questions are numbered across the whole survey ("Question 3 of 12").
        "first_number": sum(len(screen) for screen in screens[:step]) + 1,
        "total": len(items),
        "ballot_labels": BALLOT_LABELS,
    }


def _questionnaire(
    survey: PublicSurvey,
    entry: dict[str, Any],
    *,
    step: int,
    carried: dict[str, str],
    status: int = 200,
    error: str = "",
    error_field: str = "",
    unanswered: frozenset[str] = frozenset(),
) -> Response:
    """One screen of the questionnaire, with the sealed form state.

    What does not change while the survey is open is kept per survey, unit and
    language (:class:`surveys.services.resident.ResidentCache`): the compiled form class, and
    the HTML of a screen that shows no answer, error or reminder (the first view).
    """
    cache = _resident_cache()
    unit_id = entry["u"]
    language = str(get_locale())
    items = _resident_items(survey, unit_id)
    context = _questions_context(survey, items, step)
    form_class = cache.get(
        survey, ("form", unit_id, language), lambda: build_response_form(items, _language())
    )
    form = form_class(formdata=None, data={f"q_{k}": v for k, v in carried.items()})
    form.entry.data = _seal_state(ENTRY_PURPOSE, entry)
    form.carried.data = _seal_state(CARRIED_PURPOSE, {"sub": entry["sub"], "a": carried})
    form.step.data = str(context["step"])
    shown = {
        "form": form,
        "error": error,
        "error_field": error_field,
        "unanswered": unanswered,
        **context,
    }
    questions_html = None
    if not (error or unanswered or any(carried.get(item.key) for item in context["items"])):
        questions_html = cache.get(
            survey,
            ("screen", unit_id, language, context["step"]),
            lambda: Markup(  # noqa: S704  (render_template's output is autoescaped HTML)
                render_template("surveys/resident/questions.html", language=_language(), **shown)
            ),
        )
    return _resident("surveys/resident/answer.html", status, questions_html=questions_html, **shown)


def _review(
    survey: PublicSurvey,
    entry: dict[str, Any],
    carried: dict[str, str],
    *,
    items: tuple[ResidentItem, ...],
    unanswered: tuple[ResidentItem, ...],
) -> Response:
    """Name the questions left blank; the resident answers them or confirms.

    Nothing is claimed or stored here: every answer rides in the sealed form state,
    and only "submit without them" (``nav=confirm``) goes on to :func:`_submit`.
    """
    form = ResponseFormBase(formdata=None)
    form.entry.data = _seal_state(ENTRY_PURPOSE, entry)
    form.carried.data = _seal_state(CARRIED_PURPOSE, {"sub": entry["sub"], "a": carried})
    form.step.data = REVIEW_STEP
    screen_of = _screen_of(survey, items)
    return _resident(
        "surveys/resident/review.html",
        survey=survey,
        form=form,
        unanswered=[(item, screen_of[item.key]) for item in unanswered],
        asked=sum(1 for item in items if item.kind != "text"),
        answered=sum(1 for item in items if item.kind != "text") - len(unanswered),
    )


@bp.route("/s/<short_id>/answer", methods=["POST"])
def answer(short_id: str) -> Response:
    """Answer the questions (one long form or one screen at a time) and submit."""
    survey = _resident_survey_or_404(short_id)
    try:
        entry = _open_state(ENTRY_PURPOSE, request.form.get("entry", ""), ENTRY_MAX_AGE)
        carried_token = _open_state(CARRIED_PURPOSE, request.form.get("carried", ""))
    except form_state.FormStateError:
        form = CodeEntryForm(formdata=None)
        form.code.errors = [code_message("expired")]
        return _resident("surveys/resident/start.html", 400, survey=survey, form=form)
    if entry.get("s") != survey.id or carried_token.get("sub") != entry.get("sub"):
        abort(400)
    carried: dict[str, str] = dict(carried_token.get("a", {}))
    if request.form.get("lang") in current_app.config["SUPPORTED_LOCALES"]:
        # The language buttons re-show the same screen, answers kept, nothing saved.
        session["lang"] = request.form["lang"]
        refresh()
    items = _resident_items(survey, entry["u"])
    screens = _screens(survey, items)
    navigation = request.form.get("nav", "submit")
    if request.form.get("step") == REVIEW_STEP:
        # The review page shows no question: every answer is in the sealed state.
        unanswered = services.list_unanswered(items, carried)
        if "lang" in request.form:
            return _review(survey, entry, carried, items=items, unanswered=unanswered)
        if navigation != "confirm":
            # "Answer it" opens the screen of that question, "go back" the first one's.
            screen_of = _screen_of(survey, items)
            wanted = request.form.get("to", "")
            first = screen_of[unanswered[0].key] if unanswered else len(screens) - 1
            return _questionnaire(
                survey,
                entry,
                step=int(wanted) if wanted.isdigit() else first,
                carried=carried,
                unanswered=frozenset(item.field_name for item in unanswered),
            )
        return _submit(survey, entry, carried, step=len(screens) - 1, items=items, confirmed=True)
    try:
        step = max(0, min(int(request.form.get("step", "0")), len(screens) - 1))
    except ValueError:
        step = 0
    # CSRF is checked for every POST by CSRFProtect; answer values are checked by the
    # service (clean_answers), so the submit path builds no WTForms form at all.
    carried.update(
        {item.key: request.form.get(item.field_name, "")[:5000] for item in screens[step]}
    )
    if "lang" in request.form:
        return _questionnaire(survey, entry, step=step, carried=carried)
    if navigation == "back":
        return _questionnaire(survey, entry, step=step - 1, carried=carried)
    if navigation == "next" and step < len(screens) - 1:
        return _questionnaire(survey, entry, step=step + 1, carried=carried)
    return _submit(
        survey, entry, carried, step=step, items=items, confirmed=navigation == "confirm"
    )


def _submit(
    survey: PublicSurvey,
    entry: dict[str, Any],
    answers: dict[str, str],
    *,
    step: int,
    items: tuple[ResidentItem, ...],
    confirmed: bool,
) -> Response:
    """Use up the code, then store the answers: two transactions, one after the other.

    Unless the resident ``confirmed`` on the review page (or answered everything), blank
    questions lead to that page first (:func:`_review`), before anything is claimed.

    In one transaction, PostgreSQL would stamp the code's update and the response with
    the same transaction id (``xmin``) and join them for anyone who reads the tables.
    Between the two commits the code is claimed by this form alone (a keyed hash of its
    submission id), so when the second step fails (a worker killed, the database
    restarted) the resident's resend of the same form finishes it instead of hearing
    that the code was used; no receipt is shown before the answers are stored.
    """
    key = current_app.config["ACCESS_CODE_HASH_KEY"]
    elapsed = max(0, min(int(time.time()) - int(entry.get("t", 0)), MAX_DURATION_S))
    submission_key = tokens.submission_key(key, survey.id, entry["sub"])
    try:
        cleaned = services.clean_answers(items, answers)
    except FieldError as error:
        return _questionnaire(
            survey,
            entry,
            step=step,
            carried=answers,
            status=400,
            error=field_message(error),
            error_field=error.field,
        )
    unanswered = services.list_unanswered(items, answers)
    if unanswered and not confirmed:
        return _review(survey, entry, answers, items=items, unanswered=unanswered)
    try:
        with unit_of_work(None):
            services.claim_code(
                db.session,
                survey=survey,
                code_hash=entry["h"],
                claim_key=tokens.claim_key(key, survey.id, entry["sub"]),
            )
        with unit_of_work(None):
            result = services.store_online_response(
                db.session,
                survey=survey,
                unit_id=entry["u"],
                submission_key=submission_key,
                answers=cleaned,
                today=utcnow().date(),
                duration_band_s=duration_band(elapsed),
                items=items,
                voter_group=_resident_cache().voter_group(db.session, survey, entry["u"]),
            )
    except services.SubmissionConflictError as error:
        return _resident(
            "surveys/resident/message.html", 409, survey=survey, message=state_message(error)
        )
    except IntegrityError as error:
        # A copy of this form (double click, resend) stored its answers first.
        if not services.is_duplicate_submission(error):
            raise
        receipt = _earlier_receipt(survey, submission_key, entry["u"], cleaned)
        if receipt is None:
            raise
        return _receipt_page(survey, receipt)
    except services.CodeRejectedError as error:
        return _resident(
            "surveys/resident/message.html", 409, survey=survey, message=code_message(error.code)
        )
    except services.SurveyError as error:
        return _resident(
            "surveys/resident/message.html", 409, survey=survey, message=state_message(error)
        )
    return _receipt_page(survey, result.receipt)


def _earlier_receipt(
    survey: PublicSurvey, submission_key: str, unit_id: int, cleaned: dict[str, str]
) -> str | None:
    try:
        return services.find_resubmission(
            db.session,
            survey_id=survey.id,
            submission_key=submission_key,
            digest=services.content_digest(unit_id, cleaned),
        )
    except services.SubmissionConflictError:
        return None


def _receipt_page(survey: PublicSurvey, receipt: str) -> Response:
    return _resident(
        "surveys/resident/receipt.html", survey=survey, receipt=format_code(receipt, 3)
    )


@bp.route("/s/<short_id>/check", methods=["GET", "POST"])
def check_code(short_id: str) -> Response:
    """ "Was my code used?": any time, throttled like code entry."""
    survey = _public_survey_or_404(short_id)
    form = CodeCheckForm()
    outcome = ""
    status = 200
    if form.validate_on_submit():
        typed = normalise_code(form.code.data)
        if not tokens.is_access_code(typed):
            form.code.errors = [code_message("malformed_code")]
            status = 400
        elif _is_locked():
            form.code.errors = [
                _("Too many wrong codes were tried. Wait 15 minutes and try again.")
            ]
            status = 429
        else:
            code_hash = tokens.hash_access_code(
                current_app.config["ACCESS_CODE_HASH_KEY"], survey.id, typed
            )
            outcome = services.code_status(db.session, survey=survey, code_hash=code_hash)
            if outcome == "unknown":
                _record_code_failure(survey)
    elif form.is_submitted():
        status = 400
    return _resident(
        "surveys/resident/check.html", status, survey=survey, form=form, outcome=outcome
    )


@bp.route("/s/<short_id>/receipts", methods=["GET", "POST"])
def receipts(short_id: str) -> Response:
    """Every counted receipt, online and paper, once the survey is closed.

    "Is my receipt counted?" is a POST: a receipt leads to a response, so it must not
    sit in a URL (access logs, browser history, proxies).
    """
    survey = _public_survey_or_404(short_id)
    form = ReceiptLookupForm()
    listed: list[str] = []
    if survey.status == "closed":
        listed = queries.list_receipts(db.session, survey)
    wanted = ""
    found = None
    status = 200
    if form.validate_on_submit():
        wanted = normalise_code(form.receipt.data or "")[:20]
        found = wanted in set(listed) if wanted and listed else None
    elif form.is_submitted():
        status = 400
    return _resident(
        "surveys/resident/receipts.html",
        status,
        survey=survey,
        form=form,
        receipts=[format_code(r, 3) for r in listed],
        wanted=format_code(wanted, 3) if wanted else "",
        found=found,
    )


# ---------------------------------------------------------------------------
# staff: builder
# ---------------------------------------------------------------------------


def _survey_data(form: SurveyForm) -> services.SurveyData:
    return services.SurveyData(
        title_zh=form.title_zh.data or "",
        title_en=form.title_en.data or "",
        intro_zh=form.intro_zh.data or "",
        intro_en=form.intro_en.data or "",
        one_per_screen=bool(form.one_per_screen.data),
        code=form.code.data or "",
        voter_group=form.voter_group.data or form.own_group_code.data or "",
        voter_group_name=form.voter_group_name.data or "",
    )


def _refusals(form: Any) -> Attempt:
    """A service's FieldError shown beside its field and flashed, in the surveys' wording."""
    return field_errors(form, describe=field_message, flash_it=True)


@bp.route("/admin/surveys/")
@roles_required(*STAFF_ROLES)
def index() -> str:
    """Surveys of the periods in the reader's scope."""
    return render_template(
        "surveys/index.html",
        surveys=queries.list_surveys(db.session, current_scope()),
        status_labels=SURVEY_STATUS_LABELS,
    )


@bp.route("/admin/surveys/new", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def new() -> str | Response:
    """Create a draft survey in a period."""
    form = NewSurveyForm()
    form.period_id.choices = choices(
        [(p.id, f"{p.name} ({p.year})") for p in list_periods(db.session, current_scope())]
    )
    if request.method == "GET" and request.args.get("period_id", "").isdigit():
        form.period_id.data = int(request.args["period_id"])
    if form.validate_on_submit():
        try:
            period = get_period(db.session, form.period_id.data, current_scope())
        except BaseNotFoundError:
            abort(404)
        with _refusals(form) as attempt, unit_of_work(current_user.id):
            survey = services.create_survey(db.session, period=period, data=_survey_data(form))
        if attempt.saved:
            flash(_("Survey created. Add targets and questions next."), "success")
            return redirect(url_for(".show", survey_id=survey.id))
    period_id = form.period_id.data if isinstance(form.period_id.data, int) else None
    return render_template("surveys/new.html", form=form, copy_form=copy_choice_form(period_id))


def _builder_forms(survey: Survey) -> dict[str, Any]:
    target_form = TargetForm(prefix="target")
    scope = current_scope()
    target_form.cadre_id.choices = choices(
        [(0, "—")] + [(c.id, f"{c.name} ({c.code})") for c in list_cadres(db.session, scope)]
    )
    units = [survey.period.scope_unit, *queries.respondent_units(db.session, survey.period)]
    target_form.unit_id.choices = choices(
        [(0, "—")] + [(u.id, f"{u.name_zh} ({u.code})") for u in units]
    )
    return {
        "target_form": target_form,
        "question_form": QuestionForm(prefix="question"),
        "survey_form": survey_form_of(survey),
        "batch_form": _batch_form(survey),
        "action_form": ActionForm(),
        "revoke_form": RevokeForm(prefix="revoke"),
    }


def _batch_form(survey: Survey) -> BatchForm:
    form = BatchForm(prefix="batch")
    form.unit_id.choices = choices(
        [
            (u.id, f"{u.name_zh} ({u.code}) · {u.households}")
            for u in queries.respondent_units(db.session, survey.period)
        ]
    )
    form.voter_group.choices = choices(
        [("", _("The survey's group (%(group)s)", group=_group_label(survey)))]
        + [
            (code, _group_label(survey, code))
            for code in services.batch_groups(survey)
            if code != survey.voter_group
        ]
    )
    return form


def _group_label(survey: Survey, code: str | None = None) -> str:
    """A voter group's name: built in, or the survey's own."""
    code = code or survey.voter_group
    return str(VOTER_GROUP_LABELS.get(code, survey.voter_group_name or code))


def _question_details(question: Question) -> str:
    """A question's settings in words (the stored JSON is for the program)."""
    settings = services.settings_of(question)
    zh = get_locale() is None or get_locale().language == "zh"
    if question.kind == "likert":
        return str(_("%(points)s-point scale", points=settings.get("points", "")))
    if question.kind == "ballot":
        grades = sorted(settings.get("values", {}).items(), key=lambda item: -item[1])
        values = " · ".join(
            f"{BALLOT_LABELS.get(grade, grade)}: {value}" for grade, value in grades
        )
        if settings.get("abstain"):
            return str(_("%(values)s; abstaining allowed", values=values))
        return values
    if question.kind == "choice":
        return " · ".join(
            option["zh"] if zh else option.get("en") or option["zh"]
            for option in settings.get("options", ())
        )
    return ""


def _render_show(survey: Survey, status: int = 200, **forms: Any) -> tuple[str, int]:
    context = _builder_forms(survey)
    context.update(forms)
    units = queries.respondent_units(db.session, survey.period)
    assigned: dict[int, list[Target]] = {}
    by_id = {t.id: t for t in survey.targets}
    for assignment in survey.assignments:
        assigned.setdefault(assignment.unit_id, []).append(by_id[assignment.target_id])
    return render_template(
        "surveys/show.html",
        survey=survey,
        units=units,
        assigned=assigned,
        batches=queries.list_batches(db.session, survey.id),
        copies_per_pdf=questionnaire.MAX_COPIES_PER_PDF,
        seal=queries.find_seal(db.session, survey.id),
        status_labels=SURVEY_STATUS_LABELS,
        kind_labels=QUESTION_KIND_LABELS,
        target_kind_labels=TARGET_KIND_LABELS,
        voter_group_label=_group_label(survey),
        group_label=lambda code: _group_label(survey, code),
        rated_kinds=RATED_KINDS,
        public_url=_public_url(survey),
        code_alarm=_code_alarm(survey),
        step_form=IrreversibleForm(),
        question_details={q.id: _question_details(q) for q in survey.questions},
        unfinished=paper.count_unfinished_ballots(db.session, survey.id)
        if survey.status == "open"
        else None,
        **context,
    ), status


@bp.route("/admin/surveys/<int:survey_id>")
@roles_required(*STAFF_ROLES)
def show(survey_id: int) -> tuple[str, int]:
    """A survey: wording, targets, questions, who rates whom, code batches, state."""
    return _render_show(_survey_or_404(survey_id))


@bp.route("/admin/surveys/<int:survey_id>/preview")
@roles_required(*STAFF_ROLES)
def preview(survey_id: int) -> Response:
    """The questionnaire as the residents of one unit see it; nothing can be submitted.

    A GET that writes nothing and carries no form state: the page has no code, no
    sealed entry and no form that posts, and its submit button is disabled.
    """
    survey = _survey_or_404(survey_id)
    units = queries.respondent_units(db.session, survey.period)
    assigned = {assignment.unit_id for assignment in survey.assignments}
    wanted = request.args.get("unit")
    if wanted is None:
        unit = next((u for u in units if u.id in assigned), units[0] if units else None)
    else:
        unit = next((u for u in units if str(u.id) == wanted), None)
    if unit is None:
        abort(404)
    items = queries.list_items(db.session, survey.id, unit.id)
    step = request.args.get("step", "0")
    context = _questions_context(survey, items, int(step) if step.isdigit() else 0)
    zh = _language() == "zh"

    def here(step: int, unit_id: int = unit.id) -> str:
        return url_for(".preview", survey_id=survey.id, unit=unit_id, step=step)

    form = build_response_form(items, _language())(formdata=None)
    return _resident(
        "surveys/resident/answer.html",
        form=form,
        error="",
        error_field="",
        unanswered=frozenset(),
        preview={
            "unit_name": unit.name_zh if zh else (unit.name_en or unit.name_zh),
            "units": [
                {
                    "name": u.name_zh if zh else (u.name_en or u.name_zh),
                    "url": here(0, u.id),
                    "current": u.id == unit.id,
                }
                for u in units
                if u.id in assigned
            ],
            "here": here(context["step"]),
            "back": here(context["step"] - 1) if context["step"] > 0 else "",
            "next": here(context["step"] + 1) if context["step"] + 1 < context["steps"] else "",
            "back_to_survey": url_for(".show", survey_id=survey.id),
        },
        **context,
    )


def _state_error(error: services.SurveyError) -> None:
    flash(state_message(error), "error")


def _builder_change(
    survey: Survey,
    form_name: str,
    form: Any,
    change: Callable[[], object],
    *,
    done: str,
    anchor: str,
) -> tuple[str, int] | Response:
    """Run one change of the survey builder: a refused field shows the builder page again
    with ``form`` (400), a refused state is flashed, and a change made is flashed as ``done``;
    both of the latter go back to the builder at ``anchor``."""
    try:
        with _refusals(form) as attempt, unit_of_work(current_user.id):
            change()
    except services.SurveyError as error:
        _state_error(error)
    else:
        if not attempt.saved:
            return _render_show(survey, 400, **{form_name: form})
        flash(done, "success")
    return redirect(url_for(".show", survey_id=survey.id) + anchor)


@bp.route("/admin/surveys/<int:survey_id>/edit", methods=["POST"])
@roles_required(*TEAM_ROLES)
def edit(survey_id: int) -> tuple[str, int] | Response:
    """Change the wording of a draft survey."""
    survey = _survey_or_404(survey_id)
    form = SurveyForm(prefix="survey")
    if not form.validate_on_submit():
        return _render_show(survey, 400, survey_form=form)
    return _builder_change(
        survey,
        "survey_form",
        form,
        lambda: services.update_survey(db.session, survey, data=_survey_data(form)),
        done=_("Saved."),
        anchor="",
    )


@bp.route("/admin/surveys/<int:survey_id>/targets", methods=["POST"])
@roles_required(*TEAM_ROLES)
def add_target(survey_id: int) -> tuple[str, int] | Response:
    """Add a cadre, unit or service as a target."""
    survey = _survey_or_404(survey_id)
    forms = _builder_forms(survey)
    form = forms["target_form"]
    if not form.validate_on_submit():
        return _render_show(survey, 400, target_form=form)
    scope = current_scope()
    cadre = queries.find_cadre(db.session, form.cadre_id.data) if form.cadre_id.data else None
    unit = find_unit(db.session, form.unit_id.data) if form.unit_id.data else None
    if unit is not None and unit.id not in scope:
        abort(404)
    return _builder_change(
        survey,
        "target_form",
        form,
        lambda: services.add_target(
            db.session,
            survey,
            kind=form.kind.data,
            today=utcnow().date(),
            cadre=cadre,
            unit=unit,
            label_zh=form.label_zh.data or "",
            label_en=form.label_en.data or "",
        ),
        done=_("Target added."),
        anchor="#targets",
    )


@bp.route("/admin/surveys/<int:survey_id>/targets/<int:target_id>/delete", methods=["POST"])
@roles_required(*TEAM_ROLES)
def remove_target(survey_id: int, target_id: int) -> Response:
    """Remove a target from a draft survey."""
    survey = _survey_or_404(survey_id)
    target = next((t for t in survey.targets if t.id == target_id), None)
    if target is None or not ActionForm().validate_on_submit():
        abort(404 if target is None else 400)
    try:
        with unit_of_work(current_user.id):
            services.remove_target(db.session, survey, target)
    except services.SurveyError as error:
        _state_error(error)
    return redirect(url_for(".show", survey_id=survey.id) + "#targets")


def _parse_options(text: str) -> tuple[tuple[str, str, str], ...]:
    options = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (2, 3):
            raise FieldError("options", "option_line", line=line_number)
        code, zh = parts[0], parts[1]
        options.append((code, zh, parts[2] if len(parts) == 3 else ""))
    return tuple(options)


@bp.route("/admin/surveys/<int:survey_id>/questions", methods=["POST"])
@roles_required(*TEAM_ROLES)
def add_question(survey_id: int) -> tuple[str, int] | Response:
    """Add a question of any kind, with Chinese and English wording."""
    survey = _survey_or_404(survey_id)
    form = QuestionForm(prefix="question")
    if not form.validate_on_submit():
        return _render_show(survey, 400, question_form=form)

    def add() -> None:
        data = services.QuestionData(
            code=form.code.data or "",
            kind=form.kind.data,
            text_zh=form.text_zh.data or "",
            text_en=form.text_en.data or "",
            points=form.points.data,
            options=_parse_options(form.options.data or ""),
            allow_abstain=bool(form.allow_abstain.data),
        )
        services.add_question(db.session, survey, data=data)

    return _builder_change(
        survey, "question_form", form, add, done=_("Question added."), anchor="#questions"
    )


@bp.route("/admin/surveys/<int:survey_id>/questions/<int:question_id>/delete", methods=["POST"])
@roles_required(*TEAM_ROLES)
def remove_question(survey_id: int, question_id: int) -> Response:
    """Remove a question from a draft survey."""
    survey = _survey_or_404(survey_id)
    question: Question | None = next((q for q in survey.questions if q.id == question_id), None)
    if question is None or not ActionForm().validate_on_submit():
        abort(404 if question is None else 400)
    try:
        with unit_of_work(current_user.id):
            services.remove_question(db.session, survey, question)
    except services.SurveyError as error:
        _state_error(error)
    return redirect(url_for(".show", survey_id=survey.id) + "#questions")


@bp.route("/admin/surveys/<int:survey_id>/assign-default", methods=["POST"])
@roles_required(*TEAM_ROLES)
def assign_default(survey_id: int) -> Response:
    """Each village rates its own cadres and the township's (the default rule)."""
    survey = _survey_or_404(survey_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work(current_user.id):
            count = services.assign_by_default(db.session, survey)
    except services.SurveyError as error:
        _state_error(error)
    else:
        flash(_("%(count)s unit–target pairs chosen by the default rule.", count=count), "success")
    return redirect(url_for(".show", survey_id=survey.id) + "#raters")


@bp.route("/admin/surveys/<int:survey_id>/units/<int:unit_id>", methods=["GET", "POST"])
@roles_required(*TEAM_ROLES)
def unit_targets(survey_id: int, unit_id: int) -> str | Response:
    """Choose which targets one unit's residents rate."""
    survey = _survey_or_404(survey_id)
    unit = next(
        (u for u in queries.respondent_units(db.session, survey.period) if u.id == unit_id), None
    )
    if unit is None:
        abort(404)
    form = UnitTargetsForm()
    form.target_ids.choices = choices([(t.id, t.label_zh) for t in survey.targets])
    if request.method == "GET":
        form.target_ids.data = [a.target_id for a in survey.assignments if a.unit_id == unit.id]
    if form.validate_on_submit():
        try:
            with _refusals(form) as attempt, unit_of_work(current_user.id):
                services.set_unit_targets(
                    db.session, survey, unit=unit, target_ids=form.target_ids.data or []
                )
        except services.SurveyError as error:
            _state_error(error)
        else:
            if attempt.saved:
                flash(_("Saved."), "success")
                return redirect(url_for(".show", survey_id=survey.id) + "#raters")
    return render_template("surveys/unit_targets.html", survey=survey, unit=unit, form=form)


@bp.route("/admin/surveys/<int:survey_id>/open", methods=["POST"])
@roles_required(*TEAM_ROLES)
def open_survey(survey_id: int) -> Response:
    """Open the survey to residents."""
    survey = _survey_or_404(survey_id)
    if not IrreversibleForm().validate_on_submit():
        flash(str(NOT_UNDERSTOOD), "error")
        return redirect(url_for(".show", survey_id=survey.id))
    try:
        with unit_of_work(current_user.id):
            services.open_survey(db.session, survey, now=utcnow())
    except services.SurveyError as error:
        _state_error(error)
    else:
        flash(_("The survey is open."), "success")
    return redirect(url_for(".show", survey_id=survey.id))


@bp.route("/admin/surveys/<int:survey_id>/close", methods=["POST"])
@roles_required(*TEAM_ROLES)
def close_survey(survey_id: int) -> Response:
    """Close the survey and seal its responses and receipts.

    The show page says how many paper ballots still wait for their second entry (or
    a decision on differing entries): closing leaves them uncounted, so the box that
    confirms the step names them.
    """
    survey = _survey_or_404(survey_id)
    if not IrreversibleForm().validate_on_submit():
        flash(str(NOT_UNDERSTOOD), "error")
        return redirect(url_for(".show", survey_id=survey.id))
    try:
        with unit_of_work(current_user.id):
            seal = services.close_survey(db.session, survey, now=utcnow())
            digest = seal.digest
    except services.SurveyError as error:
        _state_error(error)
        return redirect(url_for(".show", survey_id=survey_id))
    # After the commit, and before this request reads anything again: the compaction
    # waits for transactions older than itself.
    compacted = storage.compact_survey_tables(db.engine)
    flash(_("The survey is closed. Seal: %(digest)s", digest=digest), "success")
    if not compacted.done:
        flash(
            _(
                "The database could not yet drop the old copies of the rows (%(problem)s). "
                "Ask the administrator to run “flask surveys compact”.",
                problem=compacted.problem,
            ),
            "error",
        )
    return redirect(url_for(".show", survey_id=survey_id))


# ---------------------------------------------------------------------------
# staff: access codes
# ---------------------------------------------------------------------------


def _public_url(survey: Survey) -> str:
    base = str(current_app.config.get("SURVEY_PUBLIC_BASE_URL") or request.url_root)
    return base.rstrip("/") + url_for("surveys.start", short_id=survey.short_id)


def _qr_svg(url: str) -> str:
    return str(segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True))


@bp.route("/admin/surveys/<int:survey_id>/batches", methods=["POST"])
@roles_required(*TEAM_ROLES)
def new_batch(survey_id: int) -> tuple[str, int] | Response:
    """Generate a batch of codes and return the printable slips: the only clear copy."""
    survey = _survey_or_404(survey_id)
    form = _batch_form(survey)
    if not form.validate_on_submit():
        return _render_show(survey, 400, batch_form=form)
    unit = find_unit(db.session, form.unit_id.data)
    if unit is None:
        abort(404)
    url = _public_url(survey)
    try:
        with _refusals(form) as attempt, unit_of_work(current_user.id):
            batch, slips = services.generate_batch(
                db.session,
                survey,
                unit=unit,
                size=form.size.data,
                note=form.note.data or "",
                key=current_app.config["ACCESS_CODE_HASH_KEY"],
                now=utcnow(),
                voter_group=form.voter_group.data or "",
            )
            # Rendered inside the transaction: if the PDF fails, no unseen codes are kept.
            with force_locale("zh_CN"):
                html = render_template(
                    "surveys/slips_pdf.html",
                    title=survey.title_zh,
                    unit_name=unit.name_zh,
                    batch_id=batch.id,
                    short_url=url,
                    slips=[
                        {
                            "code": format_code(slip.code),
                            "receipt": format_code(slip.receipt, 3),
                            "qr_svg": _qr_svg(f"{url}/{slip.code}"),
                        }
                        for slip in slips
                    ],
                )
            pdf = html_to_pdf(html)
            batch_id = batch.id
    except services.SurveyError as error:
        _state_error(error)
        return redirect(url_for(".show", survey_id=survey.id) + "#codes")
    if not attempt.saved:
        return _render_show(survey, 400, batch_form=form)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="survey-{survey.short_id}-batch-{batch_id}-slips.pdf"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/surveys/<int:survey_id>/batches/<int:batch_id>/questionnaires.pdf")
@roles_required("clerk", *TEAM_ROLES)
def questionnaires(survey_id: int, batch_id: int) -> Response:
    """Numbered paper questionnaires for a batch's households (issue 17), as a PDF.

    One per slip of the batch, with the digits the clerk's entry screen expects; a
    large batch is printed in parts (``?first=201``) of ``MAX_COPIES_PER_PDF``. A survey
    of grade ballots only prints the numbered ballots of a meeting (issue 14).
    """
    survey = _survey_or_404(survey_id)
    try:
        batch = queries.get_batch(db.session, survey.id, batch_id)
    except queries.NotFoundError:
        abort(404)
    if batch.revoked_at is not None:
        abort(404)
    first = request.args.get("first", 1, type=int)
    if not 1 <= first <= batch.size:
        abort(404)
    items = queries.list_items(db.session, survey.id, batch.unit_id)
    if not items:
        flash(
            _("The residents of %(unit)s are asked nothing yet.", unit=batch.unit.name_zh), "error"
        )
        return redirect(url_for(".show", survey_id=survey.id) + "#codes")
    with force_locale("zh_CN"):
        layout = questionnaire.build_questionnaire(items)  # its labels are Chinese too
        html = render_template(
            "surveys/questionnaire_pdf.html",
            title=survey.title_zh,
            intro=survey.intro_zh,
            unit_name=batch.unit.name_zh,
            voter_group=_group_label(survey, batch.voter_group),
            questionnaire=layout,
            copies=questionnaire.batch_copies(batch.id, batch.size, first=first),
            dont_know=queries.DONT_KNOW,
            dont_know_digits=paper.DONT_KNOW_DIGITS,
        )
    response = Response(html_to_pdf(html), mimetype="application/pdf")
    kind = "ballots" if layout.is_meeting_ballot else "questionnaires"
    name = f"survey-{survey.short_id}-batch-{batch.id}-{kind}-{first}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/admin/surveys/<int:survey_id>/batches/<int:batch_id>/revoke", methods=["POST"])
@roles_required(*TEAM_ROLES)
def revoke_batch(survey_id: int, batch_id: int) -> Response:
    """Withdraw a batch's unused codes (lost or stolen slips)."""
    survey = _survey_or_404(survey_id)
    try:
        batch = queries.get_batch(db.session, survey.id, batch_id)
    except queries.NotFoundError:
        abort(404)
    form = RevokeForm(prefix="revoke")
    if not form.validate_on_submit():
        flash(_("Give a reason for revoking the batch."), "error")
        return redirect(url_for(".show", survey_id=survey.id) + "#codes")
    try:
        with _refusals(form) as attempt, unit_of_work(current_user.id, reason=form.reason.data):
            services.revoke_batch(db.session, batch, reason=form.reason.data or "", now=utcnow())
    except services.SurveyError as error:
        _state_error(error)
    else:
        if attempt.saved:
            flash(_("Batch %(number)s revoked.", number=batch.id), "success")
    return redirect(url_for(".show", survey_id=survey.id) + "#codes")


# ---------------------------------------------------------------------------
# staff: participation, results, seal
# ---------------------------------------------------------------------------


@bp.route("/admin/surveys/<int:survey_id>/dashboard")
@roles_required(*STAFF_ROLES)
def dashboard(survey_id: int) -> Response:
    """Response rate per unit against its households; refreshes itself."""
    survey = _survey_or_404(survey_id)
    rows = queries.list_participation(db.session, survey)
    html = render_template(
        "surveys/dashboard.html",
        survey=survey,
        rows=rows,
        total=queries.total_participation(rows),
        refresh_seconds=DASHBOARD_REFRESH_SECONDS,
        status_labels=SURVEY_STATUS_LABELS,
        code_alarm=_code_alarm(survey),
    )
    response = Response(html, mimetype="text/html")
    if survey.status == "open":
        response.headers["Refresh"] = str(DASHBOARD_REFRESH_SECONDS)
    return response


@bp.route("/admin/surveys/<int:survey_id>/results")
@roles_required(*STAFF_ROLES)
def results(survey_id: int) -> str:
    """Scores per target, once the survey is closed; before that only participation."""
    survey = _survey_or_404(survey_id)
    if survey.status != "closed":
        total = queries.total_participation(queries.list_participation(db.session, survey))
        return render_template(
            "surveys/embargo.html",
            survey=survey,
            total_responses=total.responses,
            total_households=total.households,
        )
    versions = list_versions(db.session, survey.period_id)
    return render_template(
        "surveys/results.html",
        survey=survey,
        results=queries.list_results(db.session, survey),
        # this page counts the answers as given; the official numbers are the version's
        latest_version=versions[0] if versions else None,
        n_excluded=len(queries.list_excluded_ids(db.session, survey.id)),
        ballot_labels=BALLOT_LABELS,
        min_group_size=survey.period.min_group_size,
        low_response_rate=ResultSettings().low_response_rate,
    )


@bp.route("/admin/surveys/<int:survey_id>/seal")
@roles_required(*STAFF_ROLES)
def seal(survey_id: int) -> str:
    """Recompute the closed survey's digest and compare it with the sealed one."""
    survey = _survey_or_404(survey_id)
    check = services.verify_seal(db.session, survey)
    return render_template("surveys/seal.html", survey=survey, check=check)
