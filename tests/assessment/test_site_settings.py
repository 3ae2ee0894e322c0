"""China's statutory calendar by default, and the administrators' settings page (issue 12).

Expected dates: the State Council General Office's notice on the 2026 holiday schedule
(国务院办公厅关于2026年部分节假日安排的通知, published November 2025 on gov.cn): Spring
Festival 15-23 February off with Saturday 14 and Saturday 28 February worked; National Day
1-7 October with Sunday 20 September and Saturday 10 October worked. Measured before: a
5-working-day notice published on 12 February 2026 ended on 19 February, mid-festival.
"""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from assessment.models import AuditEntry, Period, SiteSetting
from assessment.services import publication, site_settings
from assessment.services.holiday_calendar import statutory_days

FESTIVAL_OFF = {date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)}


def test_the_statutory_2026_calendar_has_the_festival_and_its_make_up_days():
    holidays, workdays = statutory_days("CN", [2026])
    assert holidays >= FESTIVAL_OFF
    assert {date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)} <= (
        workdays
    )
    assert statutory_days("", [2026]) == (frozenset(), frozenset())


def _calendar(app, around):
    with app.app_context():
        from assessment.app.db import db

        return site_settings.notice_calendar(db.session, app.config, around=around)


def test_a_notice_published_on_12_february_2026_ends_on_26_february(app, make, computed_period):
    holidays, workdays = _calendar(app, date(2026, 2, 12))

    def open_it(session):
        notice = publication.open_notice(
            session,
            period=session.get(Period, computed_period),
            starts_on=date(2026, 2, 12),
            working_days=5,
            review_working_days=5,
            instructions="",
            holidays=holidays,
            extra_workdays=workdays,
            actor_id=None,
        )
        return notice.ends_on

    assert make(open_it) == date(2026, 2, 26)


def test_a_make_up_working_day_counts(app):
    # Published Friday 18 September 2026: Sunday 20 September is worked (day 1), then
    # Monday 21 (day 2). Without the calendar day 2 would be Tuesday 22.
    from assessment.core.workdays import notice_end

    holidays, workdays = _calendar(app, date(2026, 9, 18))
    assert notice_end(date(2026, 9, 18), 2, holidays=holidays, extra_workdays=workdays) == date(
        2026, 9, 21
    )
    assert notice_end(date(2026, 9, 18), 2) == date(2026, 9, 22)


def _settings_form(**changes):
    form = {
        "notice_working_days": "5",
        "review_working_days": "5",
        "holidays_added": "",
        "holidays_removed": "",
        "workdays_added": "",
        "workdays_removed": "",
        "public_base_url": "",
        "min_group_size": "5",
    }
    form.update(changes)
    return form


def _saved(app):
    with app.app_context():
        from assessment.app.db import db

        return {row.key: row.value for row in db.session.scalars(sa.select(SiteSetting))}


def test_only_administrators_open_the_settings_page(app, client, auth, demo):
    auth.login("assessor1")
    assert client.get("/admin/settings/").status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get("/admin/settings/")
    assert page.status_code == 200
    # This year's statutory make-up working days are listed (Beijing date, Chinese format).
    from babel.dates import format_date

    from assessment.views.notice import local_today

    with app.test_request_context():
        year = local_today().year
    _holidays, workdays = statutory_days("CN", [year])
    text = page.get_data(as_text=True)
    assert all(format_date(day, "medium", locale="zh_CN") in text for day in workdays)


def test_bad_settings_name_the_field_and_save_nothing(app, client, auth, demo):
    auth.login("admin")
    cases = [
        ({"holidays_added": "2026-10-08\n2026-13-01"}, "2026-13-01"),
        ({"notice_working_days": "-2"}, "1"),
        ({"review_working_days": "0"}, "30"),
        ({"public_base_url": "kaohe.example.gov.cn"}, "https://"),
        ({"min_group_size": "1"}, "100"),
        ({"workdays_added": "2026-10-10", "workdays_removed": "2026-10-10"}, "2026-10-10"),
    ]
    for changes, shown in cases:
        response = client.post("/admin/settings/", data=_settings_form(**changes))
        assert response.status_code == 400, changes
        assert shown in response.get_data(as_text=True), changes
    assert _saved(app) == {}


def test_saved_settings_change_the_calendar_and_are_audited(app, client, auth, demo):
    auth.login("admin")
    response = client.post(
        "/admin/settings/",
        data=_settings_form(
            notice_working_days="7",
            holidays_added="2026-03-09",
            holidays_removed="2026-02-23",
            public_base_url="https://kaohe.example.gov.cn/",
            min_group_size="8",
        ),
    )
    assert response.status_code == 302
    assert _saved(app) == {
        "notice_working_days": "7",
        "holidays_added": '["2026-03-09"]',
        "holidays_removed": '["2026-02-23"]',
        "public_base_url": '"https://kaohe.example.gov.cn"',
        "min_group_size": "8",
    }
    holidays, _workdays = _calendar(app, date(2026, 3, 1))
    assert date(2026, 3, 9) in holidays and date(2026, 2, 23) not in holidays
    with app.app_context():
        from assessment.app.db import db

        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.object_type == "site_settings")
        ).all()
        actors = {entry.actor_name for entry in entries}
    assert len(entries) == 5 and actors == {"admin"}
    # Back to the defaults: the stored rows go (and that is audited too).
    client.post("/admin/settings/", data=_settings_form())
    assert _saved(app) == {}


def test_the_notice_form_offers_the_saved_lengths(app, client, auth, computed_period):
    auth.login("admin")
    client.post("/admin/settings/", data=_settings_form(notice_working_days="9"))
    page = client.get(f"/admin/periods/{computed_period}/notice").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="working_days"[^>]*>', page).group(0)
    assert 'value="9"' in field
