"""gunicorn settings for production (``make serve-prod``, deploy/assessment.service).

Environment: WORKERS (default 2; about 2 per core), BIND (default 127.0.0.1:8000, behind
nginx), FORWARDED_ALLOW_IPS (the proxy's address; default loopback), TIMEOUT (seconds).
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WORKERS", "2"))
# Synchronous workers behind nginx, which buffers slow clients (old phones on weak
# networks) so a worker is never held by one.
worker_class = "sync"
# The longest request the product serves is a result computation with its bootstrap or a
# report verification (seconds to a minute for a county); rendering every report runs
# outside requests (reports/services/builds.py). 120 s leaves room without hiding a hung worker.
timeout = int(os.environ.get("TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (memory of long-running processes), not all at once.
max_requests = 1000
max_requests_jitter = 100
# Only the proxy may set X-Forwarded-*; the app itself trusts them only with
# ASSESSMENT_TRUSTED_PROXY_COUNT (Werkzeug's ProxyFix).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Logs to stderr (journald under systemd). The access log has no client address and no
# query string (%(U)s is the path alone): a resident's code or receipt never lands in it,
# and the app's redaction filter masks a code in a path. The request id ties a line to
# the app's own log lines.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
# The app reads instance/ relative to the project; start from its root.
chdir = os.path.dirname(os.path.abspath(__file__))
wsgi_app = "assessment.app:create_app()"
