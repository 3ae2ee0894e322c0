"""Translated messages for the stable codes that core and services raise."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from assessment.core.ballots import share_text
from assessment.core.errors import FieldError, LifecycleError, RulebookStateError
from assessment.core.explain import format_number
from assessment.core.rollup import EligibilityCap
from assessment.core.rulebook import REGULAR_GRADES, Label, Rulebook
from assessment.core.templates import index_path, parse_template, short_value

FIELD_MESSAGES: dict[str, Any] = {
    "duplicate_code": _l("The code %(code)s is already used."),
    "duplicate_username": _l("The user name %(username)s is already taken."),
    "unknown_kind": _l("Unknown unit kind %(kind)s."),
    "parent_required": _l("This kind of unit needs a parent unit."),
    "parent_kind_not_allowed": _l("A %(kind)s cannot be placed under a %(parent)s."),
    "parent_cycle": _l("A unit cannot be placed under itself or one of its own sub-units."),
    "negative": _l("Must not be negative."),
    "has_active_children": _l("This unit still has %(count)s active sub-units; retire them first."),
    "unknown_level": _l("Unknown post level %(level)s."),
    "unknown_gender": _l("Gender must be M, F or empty."),
    "end_before_start": _l("The end date is before the start date."),
    "post_retired": _l("This post is retired."),
    "unit_retired": _l("This unit is retired."),
    "post_level_mismatch": _l(
        "Village posts go to villages or communities; township posts to townships or streets."
    ),
    "overlapping_appointment": _l(
        "This cadre already holds this post in this unit during these dates."
    ),
    "password_too_short": _l("The password must have at least %(min)s characters."),
    "wrong_password": _l("The current password is not right."),
    "required": _l("This field is required."),
    "unknown_role": _l("Unknown role."),
    "cadre_required": _l("A cadre account must be linked to a cadre."),
    "cadre_only_for_cadre_role": _l("Only cadre accounts are linked to a cadre."),
    "scope_required": _l("Choose at least one unit this account may work on."),
    "unknown_unit": _l("Unknown unit."),
    "period_scope_kind": _l("A period covers a county, a township or a street."),
    "year_out_of_range": _l("The year must be between 2000 and 2100."),
    # Period kinds, dates and parents (issue 15).
    "unknown_period_kind": _l("Unknown kind of period: %(value)s."),
    "period_ends_before_start": _l("The last day is before the first day (%(starts_on)s)."),
    "parent_only_for_sub_periods": _l(
        "Only a month, a quarter or a half-year can be part of another period."
    ),
    "parent_not_annual_or_term": _l(
        "“%(name)s” is not an annual or term period: a sub-period rolls up only into one."
    ),
    "parent_other_scope": _l("“%(name)s” covers another township."),
    "outside_parent": _l("The dates must lie inside “%(name)s” (%(start)s to %(end)s)."),
    "parent_has_four_quarters": _l("“%(name)s” already has four quarters."),
    # Units as assessed subjects (issue 16).
    "unknown_period_subjects": _l("Unknown choice of what is assessed: %(value)s."),
    "subjects_not_parents": _l("A sub-period assesses what “%(name)s” assesses."),
    "unit_post_code_taken": _l(
        "The post code %(code)s is needed for assessed units but a post of persons has it."
    ),
    "unit_subject_code_taken": _l(
        "The code %(code)s is needed for the unit %(unit)s but a cadre already has it."
    ),
    "unit_post_for_units_only": _l(
        "A unit post is held only by the assessed unit itself, and a unit holds no other post."
    ),
    "cadre_not_a_person": _l("An account is linked to a person, not to an assessed unit."),
    "unit_post_fixed": _l("The unit post %(code)s is kept by the system for assessed units."),
    "overlaps_sibling": _l("The dates overlap “%(name)s” of the same kind."),
    "period_not_draft": _l("The kind, dates and parent are fixed once the rules are published."),
    "period_has_children": _l("The period has sub-periods: it stays an annual or term period."),
    # Spreadsheet imports (assessment.core.roster, assessment.services.spreadsheets).
    "missing_column": _l("The header row has no column %(column)s."),
    "ratings_closed": _l("Ratings are closed once the results are computed."),
    "unit_grades_closed": _l(
        "The results are published: the period that grades the units can no longer change."
    ),
    "unit_grades_unknown_period": _l("There is no other period with the number %(value)s."),
    "unit_grades_not_final": _l(
        "The period %(name)s is not final: only final results can grade the units."
    ),
    "unit_grades_other_scope": _l(
        "The period %(name)s covers %(scope)s, which neither is nor encloses %(own)s."
    ),
    "unit_grades_unknown_grades": _l(
        "The rulebook's quota shares name grades the period %(name)s does not have: "
        "%(codes)s (its grades are %(known)s)."
    ),
    "deadline_out_of_period": _l("Choose a day in or next to the period's year %(year)s."),
    "invalid_email": _l("Enter an e-mail address such as name@example.gov.cn, or leave it empty."),
    "unread_column": _l(
        "This import reads no column %(column)s: compare its spelling with the template's."
    ),
    "too_long": _l("At most %(max)s characters."),
    "bad_code": _l("Letters, digits, - and _ only."),
    "not_integer": _l("Must be a whole number."),
    "bad_date": _l("Must be a date written as %(format)s."),
    "out_of_range": _l("Must be between %(min)s and %(max)s."),
    "bad_site_address": _l(
        "Write the site address as it is typed in a browser, starting with https:// "
        "(for example https://kaohe.example.gov.cn), with no ? or # part."
    ),
    "bad_date_in_list": _l(
        "Line %(line)s (“%(value)s”) is not a date written as YYYY-MM-DD, such as 2026-10-08."
    ),
    "date_added_and_removed": _l("%(day)s is both added and removed; keep it in one list."),
    "date_holiday_and_workday": _l(
        "%(day)s is both a day off and a make-up working day; keep it in one list."
    ),
    "bad_gender": _l("Gender must be M, F, 男, 女 or empty."),
    "duplicate_in_file": _l("The code %(code)s is already used in row %(first_row)s."),
    "unknown_parent": _l("No unit has the code %(code)s, neither saved nor in this file."),
    "unknown_unit_code": _l("No unit has the code %(code)s."),
    "unknown_post_code": _l("No post has the code %(code)s."),
    "out_of_scope": _l("The unit %(code)s is outside the units you work on."),
    "top_level_out_of_scope": _l(
        "Give a parent unit: only units below the units you work on can be imported."
    ),
    "cadre_name_mismatch": _l(
        "The personnel number %(code)s belongs to %(name)s; check the number or the name."
    ),
    "cadre_retired": _l("This cadre is retired."),
    "cadre_conflict_in_file": _l(
        "Row %(first_row)s gives other details for the personnel number %(code)s."
    ),
    "overlapping_in_file": _l(
        "Row %(first_row)s already appoints this cadre to this post in this unit"
        " for overlapping dates."
    ),
    "unsupported_file_type": _l(
        "Files of type %(extension)s cannot be imported; save the sheet as .xlsx, .xls, .ods "
        "or .csv."
    ),
    "unreadable_file": _l("The file could not be read as a spreadsheet."),
    "unreadable_encoding": _l(
        "The file is neither UTF-8 nor GBK text; save it from Excel as “CSV UTF-8”."
    ),
    "csv_extra_cells": _l("Row %(row)s has more cells than the header row."),
    "empty_file": _l("The file has no rows below the header row."),
    "too_many_rows": _l("At most %(max)s rows can be imported at once."),
    "too_large_file": _l(
        "The file is larger than %(max_mb)s MB, more than any roster needs; nothing was "
        "read. Save only the sheet to import, or save it as .xlsx or .csv."
    ),
    "too_many_cells": _l(
        "The sheet's cells reach further than %(max)s cells (rows × columns); nothing was "
        "read. Delete the empty rows and columns below and beside the data, or save only "
        "the data as .csv."
    ),
    "too_large_unpacked": _l(
        "The workbook unpacks to more than %(max_mb)s MB (or is packed unusually densely), "
        "more than any roster needs; nothing was read. Save only the sheet to import, or "
        "save it as .csv."
    ),
    # The text rule (assessment.core.text): services, spreadsheet cells.
    "control_character": _l(
        "Contains an invisible control character (%(character)s) that cannot be saved; "
        "remove it (retype the text if need be)."
    ),
    "control_character_in_cell": _l(
        "Row %(row)s, column %(column)s contains an invisible control character "
        "(%(character)s) that cannot be saved; remove it from the sheet and import again."
    ),
}

STATE_LABELS: dict[str, Any] = {
    "draft": _l("Draft"),
    "rules_published": _l("Rules published"),
    "collecting": _l("Collecting"),
    "computed": _l("Computed"),
    "notice": _l("Public notice"),
    "final": _l("Final"),
}

PERIOD_KIND_LABELS: dict[str, Any] = {
    "month": _l("Month"),
    "quarter": _l("Quarter"),
    "half_year": _l("Half-year"),
    "annual": _l("Annual"),
    "special": _l("Special"),
    "term": _l("Term"),
}

#: What a period assesses (issue 16).
PERIOD_SUBJECT_LABELS: dict[str, Any] = {
    "cadres": _l("Cadres"),
    "units": _l("Units and leadership teams"),
}

ROLE_LABELS: dict[str, Any] = {
    "admin": _l("Administrator"),
    "assessor": _l("Assessment team member"),
    "clerk": _l("Clerk"),
    "cadre": _l("Cadre"),
    "official": _l("Official"),
}

#: What became of a weighted indicator in a result (``IndicatorOutcome.status``).
INDICATOR_STATUS_LABELS: dict[str, Any] = {
    "scored": _l("scored"),
    "score_zero": _l("zero by decision"),
    "excluded": _l("left out by decision"),
}

#: Statuses of an explained indicator: the weighted ones, and of bonus/penalty and veto rows.
EXPLANATION_STATUS_LABELS: dict[str, Any] = {
    **INDICATOR_STATUS_LABELS,
    "recorded": _l("recorded"),
    "triggered": _l("triggered"),
}

#: The team's decisions about a missing input (``DecisionKind``).
DECISION_LABELS: dict[str, Any] = {
    "score_zero_with_reason": _l("Score zero points"),
    "exclude_indicator_reweight": _l("Leave the indicator out and reweight the others"),
}

#: Inputs the results engine found missing (``MissingInput.kind``).
MISSING_KIND_LABELS: dict[str, Any] = {
    "actual": _l("actual value not entered"),
    "ratings": _l("no rating"),
    "survey_responses": _l("no valid survey response"),
    "indicator_set": _l("the rulebook has no indicator set for this post"),
    "unit_population": _l("unit population missing (needed for post-stratification)"),
    "child_result": _l("a sub-period is not final, or has no result for the cadre"),
    "unit_grade": _l(
        "no grade, or no share for its grade, in the period that grades the units "
        "(set on the period's page)"
    ),
}

#: How a quota's ``share × size`` is made whole, as the rules page and results say it.
QUOTA_ROUNDING_LABELS: dict[str, Any] = {
    "down": _l("rounded down"),
    "half_up": _l("rounded half up"),
    "up": _l("rounded up"),
}

UNIT_KIND_LABELS: dict[str, Any] = {
    "county": _l("County"),
    "township": _l("Township"),
    "street": _l("Street"),
    "village": _l("Village"),
    "community": _l("Community"),
    "department": _l("Township department"),
}


def post_group_name(rulebook: Rulebook, post_group: str, unit_names: Mapping[str, str]) -> str:
    """What a result's grading group is called: a post's indicator set, a quota group, or
    a quota group split by unit (``code@unit``: the group's name · the unit's name)."""
    code, _at, unit = post_group.partition("@")
    try:
        group = rulebook.grading.quota_group(code)
    except KeyError:
        for indicator_set in rulebook.indicator_sets:
            if indicator_set.post == code:
                return rulebook_label(indicator_set.name)
        return post_group
    name = rulebook_label(group.name)
    return f"{name} · {unit_names.get(unit, unit)}" if unit else name


def rulebook_label(value: Label | Mapping[str, str] | None) -> str:
    """A rulebook label (record or plain dict) in the reader's language; Chinese when the
    English is empty."""
    if value is None:
        return ""
    zh = value["zh"] if isinstance(value, Mapping) else value.zh
    en = value["en"] if isinstance(value, Mapping) else value.en
    language = get_locale()
    return zh if language is None or language.language == "zh" else (en or zh)


def field_error_message(error: FieldError) -> str:
    template = FIELD_MESSAGES.get(error.code)
    if template is None:
        return gettext("Invalid value (%(code)s).", code=error.code)
    return str(template) % {k: _label(v) for k, v in error.params.items()}


def _label(value: object) -> object:
    if isinstance(value, str) and value in UNIT_KIND_LABELS:
        return str(UNIT_KIND_LABELS[value])
    return value


def lifecycle_message(error: LifecycleError) -> str:
    if error.code in LIFECYCLE_MESSAGES:
        return str(LIFECYCLE_MESSAGES[error.code])
    current = str(STATE_LABELS.get(error.current, error.current))
    target = str(STATE_LABELS.get(error.target, error.target))
    if error.required:
        steps = " → ".join(str(STATE_LABELS.get(s, s)) for s in error.required)
        return gettext(
            "A period in state “%(current)s” cannot move to “%(target)s”. "
            "It must first go through: %(steps)s.",
            current=current,
            target=target,
            steps=steps,
        )
    return gettext(
        "A period in state “%(current)s” cannot move to “%(target)s”: "
        "the lifecycle only moves forward, one step at a time.",
        current=current,
        target=target,
    )


# ---------------------------------------------------------------------------
# rulebooks
# ---------------------------------------------------------------------------

LIFECYCLE_MESSAGES: dict[str, Any] = {
    "results_not_computed": _l(
        "Compute the results on the results page: the period moves to “Computed” "
        "when its first result version is stored."
    ),
    "rulebook_not_published": _l(
        "Publish the rulebook first: the period moves to “Rules published” "
        "when its first rulebook version is published."
    ),
    # Publication (issue 6): these two steps are taken on the period's notice page.
    "notice_not_opened": _l(
        "Open the public notice on the notice page: the period moves to “Public notice” "
        "when the notice is opened with its dates."
    ),
    "finalise_on_notice_page": _l(
        "Finalise on the notice page, which checks that the notice has ended and every "
        "objection is decided."
    ),
}

FIELD_MESSAGES.update(
    {
        "category_in_use": _l(
            "%(count)s indicators still belong to this category; move or delete them first."
        ),
        "rubric_in_use": _l(
            "%(count)s qualitative indicators still use this rubric; change them first."
        ),
    }
)

KIND_LABELS: dict[str, Any] = {
    "quantitative": _l("Quantitative"),
    "qualitative": _l("Qualitative"),
    "survey": _l("Resident satisfaction survey"),
    "veto": _l("Veto"),
    "bonus": _l("Bonus"),
    "penalty": _l("Penalty"),
    "rollup": _l("Roll-up of sub-periods"),
}

METHOD_LABELS: dict[str, Any] = {
    "linear": _l("linear"),
    "ratio": _l("ratio"),
    "steps": _l("steps"),
    "binary": _l("met or not met"),
    "efficacy": _l("efficacy coefficient"),
    "piecewise": _l("piecewise linear"),
}

#: How a panel value or a satisfaction index was formed (``IndicatorOutcome.method``).
AGGREGATE_LABELS: dict[str, Any] = {
    "trimmed_mean": _l("mean without the highest and the lowest rating"),
    "mean": _l("mean"),
    "poststratified_mean": _l("mean weighted by unit population"),
    "ballot": _l("grade ballots weighted by voter group"),
    "group_weighted_mean": _l("group indices weighted by voter group"),
}


def method_label(code: str | None) -> str:
    """An outcome's method in the reader's language: a quantitative rule or an aggregate."""
    if code is None:
        return ""
    return str(METHOD_LABELS.get(code) or AGGREGATE_LABELS.get(code, code))


#: What set a grade cap (``assessment.core.records.GradeCap.kind``), in words; a kind
#: not listed here is shown by its code, so a new source of caps still reads.
GRADE_CAP_KINDS: dict[str, Any] = {
    "veto": _l("veto item %(source)s"),
    "ballot_share": _l("vote-share rule of %(source)s (%(detail)s)"),
}

#: A vote-share rule's comparison (``above``: >, ``at_least``: ≥ ...) in words.
SHARE_COMPARISON_LABELS: dict[str, Any] = {
    "above": _l("more than"),
    "at_least": _l("at least"),
    "below": _l("less than"),
    "at_most": _l("at most"),
}


def share_label(share: Fraction) -> str:
    """A rule's share for reading: a percentage when a finite decimal (30%), else ``1/3``."""
    text = share_text(share)
    if "/" in text:
        return text
    return format_number(float(share) * 100) + "%"


def grade_cap_lines(
    caps: Any, grade_names: Mapping[str, str], applied: str | None
) -> list[dict[str, Any]]:
    """Each grade cap in the reader's language: ``{"text", "applied"}`` (the lowest cap,
    the one applied, marked), for the portal, the scorecard and the results page."""
    lines = []
    for cap in caps:
        if cap.kind == "eligibility":
            continue  # worded in full, with the sub-periods counted, by eligibility_lines
        wording = GRADE_CAP_KINDS.get(cap.kind)
        # the detail names ballot grades by code ("incompetent 7/15 > 1/3")
        detail = " ".join(
            "+".join(str(BALLOT_GRADE_LABELS.get(g, g)) for g in word.split("+"))
            for word in cap.detail.split(" ")
        )
        why = (
            str(wording) % {"source": cap.source, "detail": detail}
            if wording is not None
            else f"{cap.kind} {cap.source} {cap.detail}".strip()
        )
        lines.append(
            {
                "text": gettext(
                    "The %(why)s caps the grade at “%(grade)s”.",
                    why=why,
                    grade=grade_names.get(cap.cap, cap.cap),
                ),
                "applied": cap.cap == applied,
            }
        )
    return lines


DIRECTION_LABELS: dict[str, Any] = {
    "higher": _l("higher is better"),
    "lower": _l("lower is better"),
}

SUBJECT_LABELS: dict[str, Any] = {
    "cadre": _l("the cadre"),
    "unit": _l("the cadre's unit"),
}

#: Voter groups (测评主体) every township knows; a survey may name its own code instead.
VOTER_GROUP_LABELS: dict[str, Any] = {
    "leaders": _l("Leadership team members"),
    "staff": _l("Cadres and staff"),
    "party-reps": _l("Party member representatives"),
    "village-reps": _l("Village representatives"),
    "public": _l("Residents / service users"),
}

#: The grades of a grade ballot (民主测评票), as the rulebook's ``sources`` name them.
BALLOT_GRADE_LABELS: dict[str, Any] = {
    "excellent": _l("Excellent"),
    "competent": _l("Competent"),
    "basic": _l("Basically competent"),
    "incompetent": _l("Incompetent"),
}

RULEBOOK_STATUS_LABELS: dict[str, Any] = {
    "draft": _l("Draft"),
    "published": _l("Published"),
}

RULEBOOK_STATE_MESSAGES: dict[str, Any] = {
    "rulebook_frozen": _l(
        "Version %(number)s of the rulebook is published and can no longer be changed. "
        "To change the rules, start a new version and write down the reason for the change."
    ),
    "no_rulebook": _l("This period has no rulebook draft yet. Start one first."),
    "draft_exists": _l("A draft version already exists; edit or discard it first."),
    "reason_required": _l(
        "The rules are already published: write down why a new version is needed."
    ),
    "period_final": _l("This period is final; its rules can no longer change."),
    "copy_same_period": _l(
        "A rulebook cannot be copied into its own period: choose an earlier period."
    ),
    "copy_from_later": _l(
        "That period is of a later year (%(year)s): choose an earlier period to copy from."
    ),
    "copy_into_published": _l(
        "Version %(number)s of this period's rulebook is already published, so nothing was "
        "copied. To change the rules, start a new version with a reason in the editor."
    ),
    "copy_source_unpublished": _l("The period %(period)s has no published rulebook to copy."),
    "copy_stale": _l(
        "The rulebook to copy or this period's draft changed since the list of differences "
        "was shown; nothing was copied. Read the new list and confirm again."
    ),
}

RULEBOOK_PROBLEM_MESSAGES: dict[str, Any] = {
    "invalid": _l("The rulebook is not valid."),
    "not_a_mapping": _l("Expected a set of named fields (a mapping)."),
    "not_a_list": _l("Expected a list."),
    "missing": _l("This field is required."),
    "unknown_field": _l("Unknown field. Allowed here: %(allowed)s."),
    "not_a_string": _l("Expected text."),
    "empty": _l("Must not be empty."),
    "too_long": _l("Too long (at most %(max)s characters)."),
    "bad_code": _l("“%(value)s” is not a valid code: use 1-32 letters, digits, “.”, “-” or “_”."),
    "not_a_number": _l("Expected a number, got “%(value)s”."),
    "not_positive": _l("Must be greater than 0 (got %(value)s)."),
    "out_of_range": _l("Must be between %(min)s and %(max)s (got %(value)s)."),
    "out_of_range_min": _l("Must be at least %(min)s (got %(value)s)."),
    "out_of_range_max": _l("Must be at most %(max)s (got %(value)s)."),
    "not_an_integer": _l("Expected a whole number, got “%(value)s”."),
    "not_a_boolean": _l("Expected true or false, got “%(value)s”."),
    "unknown_choice": _l("“%(value)s” is not one of: %(choices)s."),
    "duplicate_code": _l("The code %(code)s is used twice."),
    "unsupported_format": _l(
        "Unknown document format “%(value)s”; this version reads “%(expected)s”."
    ),
    "missing_for_method": _l("The %(method)s method needs this value."),
    "not_used_by_method": _l("The %(method)s method does not use this value; remove it."),
    "target_equals_baseline": _l(
        "The target must differ from the baseline (both are %(baseline)s): "
        "otherwise the score divides by zero."
    ),
    "target_wrong_side": _l(
        "With “%(direction)s” the target must lie beyond the baseline "
        "(baseline %(baseline)s, target %(target)s)."
    ),
    "steps_not_ordered": _l(
        "Steps must be strictly ordered from the easiest threshold to the hardest "
        "(%(direction)s): %(value)s does not come after %(previous)s."
    ),
    "step_ratio_decreasing": _l(
        "A harder step must not give a lower ratio (%(value)s after %(previous)s)."
    ),
    "satisfactory_equals_unacceptable": _l(
        "The satisfactory value must differ from the unacceptable value (both are "
        "%(value)s): otherwise the efficacy coefficient divides by zero."
    ),
    "satisfactory_wrong_side": _l(
        "With “%(direction)s” the satisfactory value must lie beyond the unacceptable value "
        "(unacceptable %(unacceptable)s, satisfactory %(satisfactory)s)."
    ),
    "floor_not_below_cap": _l("The lowest ratio (%(value)s) must be below the cap (%(cap)s)."),
    "too_few_breakpoints": _l(
        "Piecewise linear scoring needs at least %(min)s breakpoints (got %(count)s)."
    ),
    "breakpoints_not_ordered": _l(
        "Breakpoints must be strictly ordered from the worst value to the best "
        "(%(direction)s): %(value)s does not come after %(previous)s."
    ),
    "breakpoint_ratio_decreasing": _l(
        "A better breakpoint must not give a lower ratio (%(value)s after %(previous)s)."
    ),
    "more_decimals_than_precision": _l(
        "%(value)s has more decimals than the rulebook publishes (%(places)s): no published "
        "total could be compared with it exactly. Round it, or declare more decimals."
    ),
    "unknown_category": _l("There is no category “%(value)s” in this indicator set."),
    "unknown_rubric": _l("There is no rubric “%(value)s”."),
    "unknown_grade": _l("There is no grade “%(value)s”; grades are: %(choices)s."),
    "veto_caps_top_grade": _l(
        "A veto that caps at the top grade “%(value)s” has no effect; choose a lower grade."
    ),
    "coefficient_above_better_grade": _l(
        "The coefficient %(value)s is above a better grade's; a worse grade cannot count more."
    ),
    "unknown_survey": _l("No survey of this period has the code “%(value)s”."),
    "not_a_share": _l(
        "“%(value)s” is not a share: write a number from 0 to 1 (0.3) or a fraction (“1/3”)."
    ),
    "band_not_descending": _l(
        "The band threshold %(value)s must be below the one before it: list bands from the "
        "highest share down."
    ),
    "band_points_rise": _l(
        "%(value)s is more than the band before it gives: a lower share cannot count more."
    ),
    "bands_with_coefficients": _l(
        "A ballot indicator is scored either by bands or by coefficients; remove one."
    ),
    "one_comparison": _l("Give exactly one of %(choices)s."),
    "cap_at_with_flag": _l("A rule that raises a flag caps no grade; remove cap_at."),
    "no_top_grade_limit": _l(
        "There is no top-grade limit (max_top_grade or max_top_grade_share) to exceed."
    ),
    "unknown_ballot_grade": _l(
        "There is no ballot grade “%(value)s”; ballot grades are: %(choices)s."
    ),
    "sources_differ": _l(
        "The indicator %(code)s names other sources in another indicator set; "
        "one indicator code reads one set of sources."
    ),
    "unknown_question": _l(
        "None of the named surveys has a question “%(value)s” of the kind this method reads."
    ),
    "one_of_at_least_at_most": _l(
        "An eligibility rule needs exactly one of “at least” and “at most”."
    ),
    "eligibility_without_rollup": _l(
        "The post %(post)s has no roll-up indicator, but the rulebook has eligibility rules: "
        "missing sub-periods are decided on a roll-up indicator."
    ),
    "cap_required": _l("This indicator set has %(kind)s items, so it needs a cap on their sum."),
    "category_weights_sum": _l(
        "The category weights add up to %(actual)s; they must add up to %(expected)s."
    ),
    "category_without_indicators": _l(
        "Category %(category)s has no indicators; add some or delete the category."
    ),
    "indicator_weights_sum": _l(
        "The indicators of category %(category)s weigh %(actual)s in total; "
        "they must add up to the category's weight, %(expected)s."
    ),
    "grades_not_ordered": _l(
        "Grades go from best to worst with falling minimum totals: "
        "%(value)s is not below %(previous)s."
    ),
    "too_few_grades": _l("A grading scheme needs at least %(min)s grades."),
    "last_grade_minimum": _l(
        "The lowest grade is for every total below the others: its minimum must be 0, "
        "not %(value)s."
    ),
    "quota_out_of_range": _l(
        "The top-grade quota is a share of the group: more than 0 and at most 1 (got %(value)s)."
    ),
    "quota_group_share": _l(
        "A quota group needs exactly one of %(fields)s: one share for the whole group, or "
        "shares by the unit's grade."
    ),
    "post_in_two_quota_groups": _l(
        "The post %(post)s is in two quota groups, %(first)s and %(second)s; a post is "
        "graded in one group only."
    ),
    "too_few_levels": _l("A rubric needs at least %(min)s levels."),
    "levels_not_ordered": _l(
        "Levels go from best to worst with falling values: %(value)s is not below %(previous)s."
    ),
    "unknown_post": _l("There is no post with the code %(post)s."),
    "post_without_indicator_set": _l(
        "Post %(post)s (%(name)s) is held in this period's scope but has no indicator set."
    ),
    "yaml_syntax": _l("The file is not valid YAML (line %(line)s, column %(column)s): %(problem)s"),
    "duplicate_key": _l("The key %(key)s appears twice in one place (line %(line)s)."),
    "too_large": _l("The file is too large (at most %(max)s bytes)."),
    "not_utf8": _l("The file is not UTF-8 text."),
    "too_deep": _l(
        "The file nests lists and mappings more than %(max)s levels deep; a rulebook "
        "needs far fewer. Nothing was read."
    ),
    "too_many_aliases": _l(
        "The file uses more than %(max)s aliases (*name); write the values out instead."
    ),
    "too_many_nodes": _l(
        "The file stands for more than %(max)s values once its aliases (*name) are "
        "expanded, or an alias repeats the value it is part of. Nothing was read."
    ),
    "control_character": _l(
        "Contains an invisible control character (%(character)s) that cannot be saved; remove it."
    ),
}


def _problem_param(value: object) -> object:
    if isinstance(value, str):
        for labels in (DIRECTION_LABELS, KIND_LABELS, METHOD_LABELS):
            if value in labels:
                return str(labels[value])
    return value


def rulebook_problem_message(code: str, params: Any) -> str:
    """Translated message for one rulebook problem (the path is shown beside it)."""
    values = {k: _problem_param(v) for k, v in dict(params).items()}
    if code == "out_of_range":
        if values.get("max") is None:
            code = "out_of_range_min"
        elif values.get("min") is None:
            code = "out_of_range_max"
    if code == "template_change_forbidden":
        values["why"] = template_rule_text(str(values.get("rule")), values)
    template = RULEBOOK_PROBLEM_MESSAGES.get(code)
    if template is None:
        return gettext("Invalid value (%(code)s).", code=code)
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return str(template)


def rulebook_state_message(error: RulebookStateError) -> str:
    """Translated message for a refused rulebook change."""
    template = RULEBOOK_STATE_MESSAGES.get(error.code)
    if template is None:
        return gettext("Invalid value (%(code)s).", code=error.code)
    return str(template) % error.params


# ---------------------------------------------------------------------------
# inputs: quantitative results, events, ratings, conflicts, preview
# ---------------------------------------------------------------------------

FIELD_MESSAGES.update(
    {
        "no_indicator_set": _l("The rulebook has no indicator set for the post %(post)s."),
        "unknown_indicator_code": _l(
            "The indicator set of the post %(post)s has no indicator %(code)s."
        ),
        "wrong_indicator_kind": _l("The indicator %(code)s is not of the kind needed here."),
        "unknown_cadre_code": _l("No cadre has the personnel number %(code)s."),
        "cadre_not_assessed": _l(
            "The cadre %(code)s is not assessed in this period within the units you work on."
        ),
        "not_a_number": _l("Must be a number."),
        "actual_negative": _l("Must not be negative for this indicator."),
        "actual_not_binary": _l("Enter 1 (met) or 0 (not met)."),
        "actual_invalid": _l("This value cannot be scored under the indicator's rule."),
        "duplicate_result_in_file": _l(
            "Row %(first_row)s already gives a value for this cadre and indicator."
        ),
        "points_out_of_range": _l("Points must be more than 0 and at most %(max)s."),
        "date_in_future": _l("The date is in the future."),
        "unknown_rubric_level": _l("Unknown rubric level %(level)s."),
        "conflict_already_declared": _l(
            "You have already declared a conflict of interest with this cadre."
        ),
        "evidence_type": _l(
            "Files of type %(extension)s are not accepted as evidence; allowed: %(allowed)s."
        ),
        "evidence_empty": _l("The file is empty."),
        "evidence_too_large": _l("The file is too large (at most %(max_mb)s MB)."),
        "evidence_content": _l("The file's content is not a %(extension)s file."),
    }
)

INPUT_REFUSALS: dict[str, Any] = {
    "inputs_closed": _l(
        "Inputs can be entered or changed only while the period is “Collecting”; "
        "this period is “%(state)s”."
    ),
    "self_rating": _l("You cannot rate yourself."),
    "conflict_declared": _l(
        "You declared a conflict of interest with this cadre and do not rate them."
    ),
    "not_an_assessor": _l("Only members of the assessment team rate cadres."),
}

MISSING_LABELS: dict[str, Any] = {
    "actual_missing": _l("actual value not entered"),
    "invalid_actual": _l("actual value cannot be scored"),
    "no_ratings": _l("no rating yet"),
    "ratings_missing": _l("ratings still missing"),
    "unknown_level": _l("ratings name a level the rubric no longer has"),
    "survey_pending": _l("pending survey"),
    "unknown_indicator": _l("event for an indicator the rulebook no longer has"),
}

PREVIEW_STATUS_LABELS: dict[str, Any] = {
    "scored": _l("scored"),
    "partial": _l("partly rated"),
    "withheld": _l("hidden until the results are computed"),
    "missing": _l("missing"),
    "pending_survey": _l("pending survey"),
    "invalid": _l("cannot be scored"),
}


def input_refused_message(code: str, status: str = "") -> str:
    """Translated message for a refused input (closed period, self-rating, conflict)."""
    template = INPUT_REFUSALS.get(code)
    if template is None:
        return gettext("Invalid value (%(code)s).", code=code)
    return str(template) % {"state": str(STATE_LABELS.get(status, status))}


_OBJECTION_REASON = re.compile(r"^objection #(\d+): (.*)$", re.DOTALL)


def version_reason(reason: str | None) -> str:
    """A result version's stored reason, in the reader's language.

    A version made by an upheld objection is stored with the reason
    ``"objection #N: <the reviewer's words>"`` (:func:`assessment.services.publication.
    decide_objection`); the prefix is the product's and is translated here, the rest is
    shown as written. Other reasons are people's own words.
    """
    if not reason:
        return ""
    match = _OBJECTION_REASON.match(reason)
    if match is None:
        return reason
    return gettext(
        "After objection no. %(number)s: %(reason)s",
        number=match.group(1),
        reason=match.group(2),
    )


def explanation_note(explanation: Any) -> str:
    """The bound that counted instead of the formula's ratio, in the reader's language.

    ``explanation`` is an ``assessment.core.explain.IndicatorExplanation``. When the
    formula's ratio lay beyond a bound of the rule, its expression shows an arrow to the
    bound (``(130 − 50) / (100 − 50) = 1.6 → 1.2 × 20 = 24.00``) and this note says which
    bound it was; ``""`` otherwise. The portal and the scorecard PDF print the same note
    beside the expression.
    """
    bound = getattr(explanation, "bound", None)
    if bound is None:
        return ""
    ratio = format_formula_number(explanation.bound_ratio)
    value = format_formula_number(explanation.bound_value)
    if bound == "cap":
        note = gettext(
            "the ratio %(ratio)s is above the cap %(cap)s, so %(cap)s counts",
            ratio=ratio,
            cap=value,
        )
    else:
        note = gettext(
            "the ratio %(ratio)s is below the lowest ratio %(floor)s, so %(floor)s counts",
            ratio=ratio,
            floor=value,
        )
    return str(note)


def format_formula_number(value: float | None) -> str:
    """A number as formulas print it (at most 4 decimals, the minus sign U+2212)."""
    return "" if value is None else format_number(float(value))


# ---------------------------------------------------------------------------
# where a rulebook problem is, in words (issue 20: no machine paths on screens)
# ---------------------------------------------------------------------------

#: List keys of a rulebook document: how one of their items is named.
PATH_ITEMS: dict[str, Any] = {
    "posts": _l("Post %(name)s"),
    "categories": _l("Category %(name)s"),
    "indicators": _l("Indicator %(name)s"),
    "rubrics": _l("Rubric %(name)s"),
    "levels": _l("Level %(name)s"),
    "grades": _l("Grade %(name)s"),
    "steps": _l("Step %(name)s"),
    "quota_groups": _l("Quota group %(name)s"),
}
#: Fields of a rulebook document as the editor's forms call them.
PATH_FIELDS: dict[str, Any] = {
    "title": _l("Title"),
    "grading": _l("Grading"),
    "aggregation": _l("Aggregation"),
    "top_quota": _l("Top-grade quota"),
    "tie_rule": _l("Ties at the quota"),
    "rounding": _l("Rounding"),
    "by_unit_grade": _l("Share by the unit's grade"),
    "unit_kind": _l("Whose grade"),
    "shares": _l("Share for each grade"),
    "trim_threshold": _l("Trimmed mean from this many ratings"),
    "post_stratification": _l("Weight survey responses by unit population"),
    "format": _l("Document format"),
    "post": _l("Post"),
    "code": _l("Code"),
    "name": _l("Name"),
    "zh": _l("Chinese"),
    "en": _l("English"),
    "kind": _l("Kind"),
    "category": _l("Category"),
    "weight": _l("Weight"),
    "method": _l("Method"),
    "direction": _l("Direction"),
    "baseline": _l("Baseline"),
    "target": _l("Target value"),
    "cap": _l("Cap"),
    "threshold": _l("Threshold"),
    "ratio": _l("Ratio"),
    "unit": _l("Unit of the value"),
    "rubric": _l("Rubric"),
    "subject": _l("Residents rate"),
    "caps_at": _l("A triggered veto caps the grade at"),
    "points": _l("Points per event"),
    "description": _l("Description"),
    "value": _l("Value (0-100)"),
    "min": _l("Minimum total"),
    "bonus_cap": _l("Bonus cap"),
    "penalty_cap": _l("Penalty cap"),
}
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _item_name(item: object, key: str, index: int) -> str:
    """How one list item of a rulebook is named: its code and name, else its number."""
    if not isinstance(item, Mapping):
        return f"#{index + 1}"
    if key == "steps":
        return str(index + 1)
    code = item.get("post") if key == "posts" else item.get("code")
    name = item.get("name")
    label = rulebook_label(name) if isinstance(name, Mapping) and "zh" in name else ""
    if key != "indicators" and label:
        return label  # indicator codes (J1, W3) are how the team refers to them
    return " ".join(str(part) for part in (code, label) if part) or f"#{index + 1}"


def rulebook_path_label(path: str, document: Mapping[str, Any] | None = None) -> str:
    """A problem's place in a rulebook in the reader's words.

    ``posts[5].categories[0].weight`` becomes "Post 村党组织书记 › Category 德 › Weight":
    list items are named from ``document`` (by code and name), fields by the labels of
    the editor's forms. Unknown keys are shown as they are.
    """
    parts: list[str] = []
    node: Any = document
    key = ""
    for match in _PATH_PART.finditer(path or ""):
        name, index = match.group(1), match.group(2)
        if name is not None:
            key = name
            node = node.get(name) if isinstance(node, Mapping) else None
            if name not in PATH_ITEMS:
                parts.append(str(PATH_FIELDS.get(name, name)))
            continue
        number = int(index)
        item = node[number] if isinstance(node, list) and number < len(node) else None
        template = PATH_ITEMS.get(key)
        shown = _item_name(item, key, number)
        parts.append(str(template) % {"name": shown} if template is not None else shown)
        node = item
    return " › ".join(parts)


# ---------------------------------------------------------------------------
# reuse: what a copy from an earlier period changes (assessment.core.reuse.CopyNote)
# ---------------------------------------------------------------------------

COPY_NOTE_MESSAGES: dict[str, Any] = {
    "title_changed": _l("The title “%(old)s” becomes “%(new)s”."),
    "post_dropped.post_retired": _l(
        "The indicator set of %(name)s (%(post)s) is left out: the post is retired."
    ),
    "post_dropped.post_unknown": _l(
        "The indicator set of %(name)s (%(post)s) is left out: the post no longer exists."
    ),
    "post_renamed": _l(
        "The post %(post)s is now called %(new)s (was %(old)s); the copy uses the new name."
    ),
    "target_dropped.cadre_left": _l("%(target)s is left out: the cadre holds no post today."),
    "target_dropped.outside_scope": _l(
        "%(target)s is left out: it now lies outside this period's area."
    ),
    "target_dropped.unit_retired": _l("%(target)s is left out: its unit was retired."),
    "target_moved": _l(
        "%(target)s now works in %(new)s (was %(old)s): check the wording after copying."
    ),
    "unit_stops_rating": _l(
        "%(unit)s no longer takes part (retired or outside the area): whom it rated is left out."
    ),
    "unit_rates_nothing": _l(
        "%(unit)s rates no target in the copy: choose its targets after copying."
    ),
}


def copy_note_message(note: Any) -> str:
    """Translated sentence for one difference between a source and its copy."""
    params = dict(note.params)
    template = COPY_NOTE_MESSAGES.get(f"{note.code}.{params.get('why')}") or (
        COPY_NOTE_MESSAGES.get(note.code)
    )
    if template is None:
        return gettext("Invalid value (%(code)s).", code=note.code)
    return str(template) % params


def eligibility_lines(
    caps: Sequence[EligibilityCap], rulebook: Rulebook, grade_names: Mapping[str, str]
) -> list[dict[str, str]]:
    """Each eligibility rule that capped a cadre's grade, with its reason in words.

    ``grade_names`` names the period's own grades; the sub-periods' grades are named by
    the regular grades (好 较好 一般 较差) when they are theirs, else by their code.
    """
    rule_names = {e.rule.code: rulebook_label(e.name) for e in rulebook.eligibility}
    regular = {g.code: rulebook_label(g.name) for g in REGULAR_GRADES}
    lines = []
    for cap in caps:
        params = {
            "count": cap.count,
            "limit": cap.limit,
            "grade": regular.get(cap.grade, cap.grade),
            "cap": grade_names.get(cap.caps_at, cap.caps_at),
        }
        if cap.reason == "too_few":
            reason = gettext(
                "%(count)s sub-periods graded “%(grade)s”, fewer than %(limit)s: "
                "the grade is at most “%(cap)s”.",
                **params,
            )
        else:
            reason = gettext(
                "%(count)s sub-periods graded “%(grade)s”, more than %(limit)s: "
                "the grade is at most “%(cap)s”.",
                **params,
            )
        lines.append({"rule": rule_names.get(cap.rule, cap.rule), "reason": reason})
    return lines


# ---------------------------------------------------------------------------
# county templates (issue 16): what an adopting township may change, in words
# ---------------------------------------------------------------------------

#: Each rule of assessment.core.templates.judge_change that allows or forbids a change.
TEMPLATE_RULE_LABELS: dict[str, Any] = {
    "title": _l("the title is the township's own"),
    "targets": _l("the template lets the township set this indicator's targets and thresholds"),
    "weights": _l("an indicator weight may move by up to %(within)s points (moved %(delta)s)"),
    "local_indicator": _l("local indicators may be added to the category %(category)s"),
    "bonus_penalty": _l("bonus and penalty items may be added (their caps stay fixed)"),
    "fixed": _l("the template fixes this"),
    "targets_not_open": _l("the template does not open this indicator's targets"),
    "ratios_fixed": _l("only thresholds may move; the number of steps and their ratios are fixed"),
    "weights_fixed": _l("the template fixes the indicator weights of this post"),
    "weight_beyond": _l(
        "an indicator weight may move by at most %(within)s points, this one moved %(delta)s"
    ),
    "category_not_open": _l(
        "the template does not open the category %(category)s to local indicators"
    ),
    "bonus_penalty_not_open": _l("the template does not allow added bonus or penalty items here"),
}

RULEBOOK_PROBLEM_MESSAGES.update(
    {
        "template_change_forbidden": _l(
            "Not allowed by the county template: %(before)s → %(after)s (%(why)s)."
        ),
        "not_a_quantitative_indicator": _l(
            "The post %(post)s has no quantitative indicator “%(value)s”."
        ),
        "template_of_template": _l("A template cannot itself adopt a template."),
        "not_a_digest": _l("“%(value)s” is not a SHA-256 digest (64 hexadecimal digits)."),
        "unknown_template": _l("No published county template %(code)s version %(version)s exists."),
        "template_digest_differs": _l(
            "The digest recorded here is not the digest of the adopted template version."
        ),
    }
)

RULEBOOK_STATE_MESSAGES.update(
    {
        "template_frozen": _l(
            "Version %(number)s of the template is published and can no longer be changed; "
            "import a document to start the next version."
        ),
        "template_not_published": _l("Only a published template version can be adopted."),
    }
)

FIELD_MESSAGES.update(
    {
        "template_needs_county": _l("Only a county publishes templates."),
        "template_code_taken": _l("The county already has a template with the code %(code)s."),
    }
)


def _template_param(value: object) -> object:
    if isinstance(value, float):
        return format_number(value)
    return value


def template_rule_text(rule: str, params: Mapping[str, Any]) -> str:
    """The words of one adoption rule (``TEMPLATE_RULE_LABELS``) with its numbers."""
    template = TEMPLATE_RULE_LABELS.get(rule)
    if template is None:
        return rule
    values = {k: _template_param(v) for k, v in params.items()}
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        return str(template)


def template_difference_rows(
    differences: Sequence[Any],
    template_document: Mapping[str, Any],
    adopted_document: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Each difference from a template: where (in words), before, after, and why."""
    rows = []
    for difference in differences:
        document = template_document if difference.op == "removed" else adopted_document
        rows.append(
            {
                "path": difference.path,
                "where": rulebook_path_label(index_path(difference.path, document), document),
                "before": short_value(difference.before),
                "after": short_value(difference.after),
                "allowed": difference.allowed,
                "why": template_rule_text(difference.rule, difference.params),
            }
        )
    return rows


def list_text(items: Iterable[str]) -> str:
    """Items in a sentence, joined by the reader's list separator: 、 in Chinese, ", " in English.

    The separator is a translatable string (msgid ``", "``), so a list in a Chinese sentence
    reads 绩、廉 rather than 绩, 廉.
    """
    # Translators: the separator between the items of a list in a sentence.
    return gettext(", ").join(items)


def adoption_lines(template: Any) -> list[str]:
    """What an adopting township may change, one sentence per post (the public page)."""
    lines = []
    for rules in template.adoption:
        indicator_set = template.rulebook.indicator_set(rules.post)
        name = rulebook_label(indicator_set.name)
        categories = {c.code: rulebook_label(c.name) for c in indicator_set.categories}
        parts = []
        if rules.targets:
            parts.append(
                gettext("the targets and thresholds of %(codes)s", codes=list_text(rules.targets))
            )
        if rules.weights_within is not None:
            parts.append(
                gettext(
                    "indicator weights within ±%(within)s points (category weights fixed)",
                    within=format_number(rules.weights_within),
                )
            )
        if rules.local_indicators:
            parts.append(
                gettext(
                    "local indicators in the categories %(codes)s",
                    codes=list_text(categories.get(c, c) for c in rules.local_indicators),
                )
            )
        if rules.bonus_penalty:
            parts.append(gettext("added bonus and penalty items within the caps"))
        if parts:
            lines.append(
                gettext(
                    "%(post)s: may change %(what)s.",
                    post=name,
                    # Translators: the separator between the clauses of a sentence.
                    what=gettext("; ").join(parts),
                )
            )
    return lines


def adoption_context(adoption: Any, document: Mapping[str, Any]) -> dict[str, Any] | None:
    """A rulebook's adopted template version and its differences from it, as rows for
    ``_adoption.html`` (``adoption``: services.templates.Adoption, or None)."""
    if adoption is None:
        return None
    template_document = json.loads(adoption.version.document)
    template = adoption.version.template
    return {
        "version": adoption.version,
        "title": rulebook_label({"zh": template.title_zh, "en": template.title_en}),
        "lines": adoption_lines(parse_template(template_document)),
        "rows": template_difference_rows(adoption.differences, template_document, document),
    }
