#!/usr/bin/env bash
# Production serving: migrate the database, then gunicorn with gunicorn.conf.py.
#
#   DATABASE_URL=postgresql://user:password@host:5432/assessment scripts/serve-prod.sh
#
# Settings (environment): WORKERS (default 2), BIND (default 127.0.0.1:8000; put a
# reverse proxy such as nginx with HTTPS in front, see deploy/ and docs/deploy.md),
# FORWARDED_ALLOW_IPS, TIMEOUT, LOG_LEVEL (see gunicorn.conf.py). Secrets come from
# instance/secrets.json (generated on first start) or ASSESSMENT_SECRET_KEY and
# ASSESSMENT_ACCESS_CODE_HASH_KEY. Run `make run` or scripts/install-python.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DATABASE_URL:-}" ] && [ -z "${ASSESSMENT_SQLALCHEMY_DATABASE_URI:-}" ]; then
    echo "error: set DATABASE_URL=postgresql://USER:PASSWORD@HOST:PORT/DB for production" >&2
    exit 2
fi

.venv/bin/flask --app assessment.app db upgrade
exec .venv/bin/gunicorn --config gunicorn.conf.py
