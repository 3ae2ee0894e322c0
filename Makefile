# Thin wrappers: the logic lives in scripts/. See README.md.
#   make run         install, migrate, seed the demo if empty, serve on http://127.0.0.1:5000
#   make test        the whole suite on SQLite, then on a throwaway PostgreSQL 15
#   make lint        ruff check, ruff format --check and mypy (make test runs it too)
#   make serve-prod  migrate and serve with gunicorn (needs DATABASE_URL)
#   make bench       the resident-flow benchmark on SQLite, then on a throwaway PostgreSQL

FLASK := .venv/bin/flask --app assessment.app
PYTEST_ARGS ?=

.PHONY: run test lint serve-prod install install-dev i18n bench

run: install
	scripts/install-system-packages.sh fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0
	scripts/compile-translations.sh
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000

test:
	scripts/test.sh $(PYTEST_ARGS)

lint: install-dev
	scripts/lint.sh

serve-prod: install
	scripts/install-system-packages.sh fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0
	scripts/compile-translations.sh
	scripts/serve-prod.sh

# wrk drives the load from outside the interpreter (scripts/bench_submit.py).
bench: install
	scripts/install-system-packages.sh wrk postgresql-15 fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0
	scripts/compile-translations.sh
	.venv/bin/python scripts/bench_submit.py
	scripts/with-postgres.sh sh -c '.venv/bin/python scripts/bench_submit.py --database-url "$$TEST_DATABASE_URL"'

install:
	scripts/install-python.sh

install-dev:
	scripts/install-python.sh dev

i18n: install
	scripts/compile-translations.sh
