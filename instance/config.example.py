"""Example deployment settings: copy to instance/config.py and change what you need.

instance/config.py is read after instance/secrets.json and before the environment:
DATABASE_URL and ASSESSMENT_* variables override what is set here (see instance/README.md).
Every setting below is optional; the values shown are the defaults unless said otherwise.
"""

# --- Database ---------------------------------------------------------------------------
# Default: SQLite in instance/assessment.sqlite3 (fine for one township).
# For a county or a province use PostgreSQL (or set DATABASE_URL in the environment);
# postgresql:// URLs are mapped to the psycopg 3 driver automatically.
# SQLALCHEMY_DATABASE_URI = "postgresql://assessment:PASSWORD@127.0.0.1:5432/assessment"

# --- Secrets ----------------------------------------------------------------------------
# Generated into instance/secrets.json on the first start; set them here or as
# ASSESSMENT_SECRET_KEY / ASSESSMENT_ACCESS_CODE_HASH_KEY only if you manage secrets
# elsewhere. Each must be a random string of at least 32 characters, e.g. from
#   python3 -c "import secrets; print(secrets.token_hex(32))"
# Changing ACCESS_CODE_HASH_KEY invalidates every resident access code already printed.
# SECRET_KEY = "..."
# ACCESS_CODE_HASH_KEY = "..."

# --- Language and time ------------------------------------------------------------------
# Interface language for readers who have not chosen one: "zh_CN" or "en".
# BABEL_DEFAULT_LOCALE = "zh_CN"
# BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"

# --- Sessions and cookies ---------------------------------------------------------------
# Session cookies are marked Secure automatically on HTTPS requests; set True to force it
# (behind a proxy that terminates HTTPS without telling the app).
# SESSION_COOKIE_SECURE = False
# Staff stay logged in for this many seconds.
# PERMANENT_SESSION_LIFETIME = 8 * 3600
# WTF_CSRF_TIME_LIMIT = 8 * 3600

# --- Uploads ----------------------------------------------------------------------------
# Largest accepted request (spreadsheet imports), in bytes.
# MAX_CONTENT_LENGTH = 10 * 1024 * 1024

# --- Reverse proxy ----------------------------------------------------------------------
# How many reverse proxies stand in front of the app and append the client's address to
# X-Forwarded-For (and the scheme to X-Forwarded-Proto): 1 for one nginx on the same
# machine. With 0 (the default) the client is whoever connects, so behind a proxy every
# request seems to come from the proxy and the login and access-code limits count all
# clients as one. Set it only when the app cannot be reached except through the proxies.
# Also read as ASSESSMENT_TRUSTED_PROXY_COUNT; a whole number, 0 or more.
# TRUSTED_PROXY_COUNT = 0

# --- Login throttling -------------------------------------------------------------------
# Failed logins allowed for one account from one client address, and for one client
# address over all accounts, within the window; then that client waits out the lock-out
# (in seconds). A stranger's wrong passwords never lock the account's owner out.
# `flask accounts unlock USERNAME`, or the Unlock button on the accounts page, ends a
# lock-out early (both are in the audit log).
# LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
# LOGIN_MAX_FAILURES_PER_CLIENT = 20
# LOGIN_WINDOW_SECONDS = 15 * 60
# LOGIN_LOCKOUT_SECONDS = 15 * 60

# --- Logging --------------------------------------------------------------------------
# Level of the app's lines on stderr (the journal under systemd): DEBUG, INFO, WARNING.
# LOG_LEVEL = "INFO"

# --- Privacy of survey results ----------------------------------------------------------
# Smallest group of resident answers shown in any breakdown (by village, age, ...);
# smaller groups show as suppressed. Each period may set its own.
# MIN_GROUP_SIZE = 5

# --- Resident access codes ----------------------------------------------------------------
# Wrong codes one client (its address; behind TRUSTED_PROXY_COUNT proxies the forwarded
# one) may try within the window before it waits out the lock-out, in seconds. Only that
# client is locked out. From SURVEY_CODE_ALARM_PER_HOUR wrong codes on one survey within
# an hour, from any number of clients, the survey page warns the team (no lock).
# SURVEY_CODE_MAX_FAILURES_PER_CLIENT = 10
# SURVEY_CODE_CLIENT_WINDOW_SECONDS = 15 * 60
# SURVEY_CODE_CLIENT_LOCKOUT_SECONDS = 15 * 60
# SURVEY_CODE_ALARM_PER_HOUR = 30

# --- Public notice and objections -------------------------------------------------------
# Length of the public notice (公示) of results and the time the team has to decide an
# objection, in working days (Monday to Friday, less holidays, plus make-up days).
# NOTICE_WORKING_DAYS = 5
# NOTICE_REVIEW_WORKING_DAYS = 5
# China's statutory public holidays and make-up working days (调休上班) count by default,
# from the maintained `holidays` package ("CN"); "" turns them off (weekends only).
# HOLIDAY_CALENDAR = "CN"
# The deployment's own extra days off and make-up working days, as "YYYY-MM-DD"; the
# settings page (administrators) adds and removes more, and shows the statutory ones.
# NOTICE_HOLIDAYS = []
# NOTICE_EXTRA_WORKDAYS = []
# Objections from the public notice page allowed per client within the window, and how
# long a client that sent too many waits, in seconds. No address is stored, only a keyed
# hash.
# PUBLIC_OBJECTION_MAX_PER_CLIENT = 5
# PUBLIC_OBJECTION_WINDOW_SECONDS = 3600
# PUBLIC_OBJECTION_LOCKOUT_SECONDS = 3600

# --- Reports ------------------------------------------------------------------------
# The public address of this site, printed in every PDF report's verification link and
# QR code (/p/verify/<code>). Set it in production: without it, web downloads use the
# host the request came to, and `flask reports build` uses http://localhost:5000.
# PUBLIC_BASE_URL = "https://kaohe.example.gov.cn"

# --- E-mail of reminders ----------------------------------------------------------------
# `flask reminders send` (deploy/assessment-reminders.timer) e-mails reminders to accounts
# with an e-mail address through this SMTP server; without MAIL_SERVER (the default) they
# show on each account's "My reminders" page only. MAIL_USE_TLS is STARTTLS (port 587),
# MAIL_USE_SSL is SMTPS (port 465); MAIL_FROM is required when MAIL_SERVER is set.
# MAIL_SERVER = "smtp.example.gov.cn"
# MAIL_PORT = 587
# MAIL_USE_TLS = True
# MAIL_USE_SSL = False
# MAIL_USERNAME = "kaohe@example.gov.cn"
# MAIL_PASSWORD = "..."
# MAIL_FROM = "kaohe@example.gov.cn"
