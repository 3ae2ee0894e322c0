"""Every route, opened by every role and by an anonymous visitor: allowed or refused.

ACCESS lists each endpoint with who may use it. A route missing from the table fails
the test, so a new page cannot ship without an access decision.
"""

from __future__ import annotations

import re

import pytest

PUBLIC = "public"
ROLES = ("admin", "assessor", "clerk", "cadre", "official")
STAFF = ("admin", "assessor", "clerk", "official")
TEAM = ("admin", "assessor")
ADMIN = ("admin",)
ANY_LOGGED_IN = ROLES

DEMO_USER = {
    "admin": "admin",
    "assessor": "assessor1",
    "clerk": "clerk",
    "cadre": "cadre",
    "official": "official",
}

ACCESS: dict[str, object] = {
    "static": PUBLIC,
    "healthz": PUBLIC,
    "assessment.auth.login": PUBLIC,
    "assessment.auth.logout": PUBLIC,
    "assessment.auth.switch_language": PUBLIC,
    "assessment.auth.index": PUBLIC,
    "assessment.auth.home": ANY_LOGGED_IN,
    "assessment.auth.password": ANY_LOGGED_IN,
    "assessment.reminders.index": ANY_LOGGED_IN,
    "assessment.reminders.mark_read": ANY_LOGGED_IN,
    "assessment.periods.rating_deadline": TEAM,
    "assessment.periods.unit_grades_period": TEAM,
    "assessment.org.units": STAFF,
    "assessment.org.new_unit": ADMIN,
    "assessment.org.edit_unit": ADMIN,
    "assessment.org.retire_unit": ADMIN,
    "assessment.org.posts": STAFF,
    "assessment.org.edit_post": ADMIN,
    "assessment.org.retire_post": ADMIN,
    "assessment.org.cadres": STAFF,
    "assessment.org.new_cadre": ADMIN,
    "assessment.org.cadre": STAFF,
    "assessment.org.edit_cadre": ADMIN,
    "assessment.org.appoint": ADMIN,
    "assessment.org.end_appointment": ADMIN,
    "assessment.org.retire_cadre": ADMIN,
    "assessment.imports.units": ADMIN,
    "assessment.imports.cadres": ADMIN,
    "assessment.imports.units_template": ADMIN,
    "assessment.imports.cadres_template": ADMIN,
    "assessment.accounts.index": ADMIN,
    "assessment.accounts.edit": ADMIN,
    "assessment.accounts.unlock": ADMIN,
    "assessment.settings.edit": ADMIN,
    "assessment.periods.index": STAFF,
    "assessment.periods.calendar": STAFF,
    "assessment.periods.edit": ADMIN,
    "assessment.periods.new": ADMIN,
    "assessment.periods.show": STAFF,
    "assessment.periods.transition": TEAM,
    "assessment.audit.index": ADMIN,
    "surveys.start": PUBLIC,
    "surveys.start_with_code": PUBLIC,
    "surveys.answer": PUBLIC,
    "surveys.check_code": PUBLIC,
    "surveys.receipts": PUBLIC,
    "surveys.index": STAFF,
    "surveys.new": TEAM,
    "surveys.preview": STAFF,
    "surveys.show": STAFF,
    "surveys.edit": TEAM,
    "surveys.add_target": TEAM,
    "surveys.remove_target": TEAM,
    "surveys.add_question": TEAM,
    "surveys.remove_question": TEAM,
    "surveys.assign_default": TEAM,
    "surveys.unit_targets": TEAM,
    "surveys.open_survey": TEAM,
    "surveys.close_survey": TEAM,
    "surveys.new_batch": TEAM,
    "surveys.questionnaires": ("admin", "assessor", "clerk"),
    "surveys.revoke_batch": TEAM,
    "surveys.dashboard": STAFF,
    "surveys.results": STAFF,
    "surveys.seal": STAFF,
    "survey_paper.home": ("admin", "assessor", "clerk"),
    "survey_paper.settings": TEAM,
    "survey_paper.enter": ("admin", "assessor", "clerk"),
    "survey_paper.conflicts": ("admin", "assessor", "clerk"),
    "survey_paper.adjudicate": ("admin", "assessor", "clerk"),
    "survey_paper.import_ballots": ("admin", "assessor", "clerk"),
    "survey_paper.import_template": ("admin", "assessor", "clerk"),
    "survey_paper.quality": TEAM,
    "survey_paper.decide": TEAM,
    "survey_export.answers": TEAM,
    "survey_reuse.choose": TEAM,
    "survey_reuse.preview": TEAM,
    "assessment.rulebooks.show": STAFF,
    "assessment.rulebooks.export": STAFF,
    "assessment.rulebooks.diff": STAFF,
    "assessment.rulebooks.start": TEAM,
    "assessment.rulebooks.import_yaml": TEAM,
    "assessment.rulebooks.publish": TEAM,
    "assessment.rulebooks.discard": TEAM,
    "assessment.rulebooks.settings": TEAM,
    "assessment.rulebooks.edit_set": TEAM,
    "assessment.rulebooks.delete_set": TEAM,
    "assessment.rulebooks.edit_category": TEAM,
    "assessment.rulebooks.delete_category": TEAM,
    "assessment.rulebooks.edit_indicator": TEAM,
    "assessment.rulebooks.delete_indicator": TEAM,
    "assessment.rulebooks.edit_rubric": TEAM,
    "assessment.rulebooks.delete_rubric": TEAM,
    "assessment.rulebooks.copy_choose": TEAM,
    "assessment.rulebooks.copy_from": TEAM,
    "assessment.rulebooks.adopt": TEAM,
    "assessment.templates.index": ADMIN,
    "assessment.templates.show": ADMIN,
    "assessment.templates.export": ADMIN,
    "assessment.templates.import_yaml": ADMIN,
    "assessment.templates.publish": ADMIN,
    "assessment.templates.adoptions": ("admin", "official"),
    "assessment.public.index": PUBLIC,
    "assessment.public.rules": PUBLIC,
    "assessment.public.rules_yaml": PUBLIC,
    "assessment.public.rules_json": PUBLIC,
    "assessment.public.rules_diff": PUBLIC,
    "assessment.inputs.overview": STAFF,
    "assessment.inputs.index": STAFF,
    "assessment.inputs.quantitative": STAFF,
    "assessment.inputs.edit_result": TEAM,
    "assessment.inputs.grid": TEAM,
    "assessment.inputs.import_results": TEAM,
    "assessment.inputs.results_template": TEAM,
    "assessment.inputs.evidence": STAFF,
    "assessment.inputs.events": STAFF,
    "assessment.inputs.new_event": TEAM,
    "assessment.inputs.delete_event": TEAM,
    "assessment.inputs.ratings": TEAM,
    "assessment.inputs.rate": TEAM,
    "assessment.inputs.conflicts": TEAM,
    "assessment.inputs.progress": TEAM,
    "assessment.inputs.preview": TEAM,
    "assessment.inputs.preview_cadre": TEAM,
    "assessment.results.index": STAFF,
    "assessment.results.compute": TEAM,
    "assessment.results.decide": TEAM,
    "assessment.results.version": STAFF,
    "assessment.results.what_if": STAFF,
    # officials' overview (issue 6 item 4) and the team's review of resident comments
    "assessment.overview.index": ("admin", "assessor", "official"),
    "assessment.overview.export": ("admin", "assessor", "official"),
    "assessment.overview.compare": ("admin", "assessor", "official"),
    "assessment.overview.compare_export": ("admin", "assessor", "official"),
    "assessment.overview.period_export": ("admin", "assessor", "official"),
    # the county dashboard (issue 16): officials and admins, within their scope
    "assessment.county.dashboard": ("admin", "official"),
    "assessment.county.export": ("admin", "official"),
    "survey_comments.index": TEAM,
    "survey_comments.review": TEAM,
    # public notice, objections and review, finalisation (issue 6 items 1, 2, 5)
    "assessment.notice.show": TEAM,
    "assessment.notice.open_notice": TEAM,
    "assessment.notice.finalise": TEAM,
    "assessment.notice.objection": TEAM,
    "assessment.notice.assign": TEAM,
    "assessment.notice.decide": TEAM,
    "assessment.notice.attachment": TEAM,
    "assessment.notice.new_objection": ("cadre",),
    "assessment.public_notice.show": PUBLIC,
    "assessment.public_notice.objection": PUBLIC,
    "assessment.public_notice.objection_sent": PUBLIC,
    # PDF reports (issue 7 items 2-3): downloads for the team and officials, own scorecard
    "reports.scorecard": ("admin", "assessor", "official"),
    "reports.summary": ("admin", "assessor", "official"),
    "reports.notice": ("admin", "assessor", "official"),
    "reports.archive": ("admin", "assessor", "official"),
    "reports.build": ("admin", "assessor", "official"),
    "reports.tally_sheet": ("admin", "assessor", "clerk", "official"),
    "reports.my_scorecard": ("cadre",),
    # the cadre portal (issue 6 item 3): the cadre's own results only
    "assessment.portal.index": ("cadre",),
    "assessment.portal.period": ("cadre",),
    "assessment.portal.version": ("cadre",),
    "assessment.portal.objection": ("cadre",),
    # a unit's page for the people holding posts in it (issue 16)
    "assessment.unit_portal.index": ("cadre",),
    "assessment.unit_portal.period": ("cadre",),
    "assessment.unit_portal.version": ("cadre",),
    "assessment.unit_portal.objection": ("cadre",),
    "assessment.unit_subjects.assessed": STAFF,
    # verification and open data (issue 7 items 4-5): public checks; the bundle for the
    # team and officials in scope, and for anyone once the period is final
    "verify.form": PUBLIC,
    "verify.code": PUBLIC,
    "verify.upload": PUBLIC,
    "verify.bundle": ("admin", "assessor", "official"),
    "verify.public_bundle": PUBLIC,
    # a cadre's record, conversations, work reports, the eligibility list (issue 15):
    # conversations never reach the cadre, the clerk or the public
    "assessment.records.record": ("admin", "assessor", "official"),
    "assessment.records.record_xlsx": ("admin", "assessor", "official"),
    "assessment.records.add_conversation": TEAM,
    "assessment.records.eligibility": ("admin", "assessor", "official"),
    "assessment.records.eligibility_xlsx": ("admin", "assessor", "official"),
    "assessment.records.rules": ("admin",),
    "assessment.records.my_record": ("cadre",),
    "assessment.records.work_report": ("cadre",),
    "assessment.records.work_report_file": TEAM,
    "record_reports.cadre_record": ("admin", "assessor", "official"),
    "record_reports.eligibility": ("admin", "assessor", "official"),
}

# Ids of demo objects for URL parameters (the demo seeds these first).
URL_VALUES = {
    "unit_id": 3,
    "post_id": 1,
    "cadre_id": 2,
    "appointment_id": 2,
    "account_id": 2,
    "period_id": 1,
    "code": "en",
    "filename": "css/app.css",
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for method in methods:
            yield rule, method


def _url(rule):
    values = {arg: URL_VALUES.get(arg, 1) for arg in rule.arguments}
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def test_every_route_has_an_access_decision(app):
    missing = sorted({rule.endpoint for rule, _ in _routes(app)} - set(ACCESS))
    assert not missing, f"add these endpoints to ACCESS in {__file__}: {missing}"


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_route_allows_or_refuses_as_declared(app, client, auth, demo, role):
    if role is not None:
        assert auth.login(DEMO_USER[role]).status_code == 302
    problems = []
    for rule, method in _routes(app):
        if rule.endpoint == "assessment.auth.logout":
            continue  # would end the session under test
        allowed = ACCESS[rule.endpoint]
        url = _url(rule)
        response = client.open(url, method=method)
        status = response.status_code
        response.close()
        if allowed == PUBLIC:
            ok = status < 500 and status not in (401, 403)
        elif role is None:
            ok = status == 302 and "/login" in response.headers.get("Location", "")
        elif role in allowed:
            ok = status < 500 and status != 403
        else:
            ok = status == 403
        if not ok:
            problems.append(f"{method} {url} as {role or 'anonymous'}: {status}")
    assert not problems, "\n".join(problems)


def test_scope_hides_other_townships(client, auth, demo, make):
    from assessment.services import org

    def other_township(session):
        from assessment.services.queries import find_unit_by_code

        county = find_unit_by_code(session, "CX")
        return org.create_unit(
            session, org.UnitData("HSZ", "township", "河山镇", "Heshan", county.id, 100, 400)
        ).id

    other_id = make(other_township)
    auth.login("admin")  # scoped to 青山镇
    assert client.get(f"/admin/units/{other_id}/edit").status_code == 404
    assert "河山镇" not in client.get("/admin/units/").get_data(as_text=True)
    client.post("/logout")
    auth.login("official")  # scoped to the county
    assert "河山镇" in client.get("/admin/units/").get_data(as_text=True)
